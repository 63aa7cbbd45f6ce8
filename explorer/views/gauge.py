"""The Gauge fixing page: ALS-GMWS against weight sharing without gauge mediation, on the same data, live.

Both learners (``gmws`` and ``shared``, docs/algorithms.md A7) run in one worker thread, one sweep each in turn. The
page shows both residua per sweep, the gauge matrices ``U`` that ALS-GMWS applied in a chosen sweep, how far they
are from the identity, and, across the runs of the session, the final test residuum against the number of modes
``d``: the selection-tensor approach without gauge mediation was reported unstable beyond ``d ~ 20``.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import panel as pn

from explorer.learning.experiment import LearningExperiment
from explorer.streams.gauge import GaugeUpdate, paired_updates
from explorer.streams.learn import default_experiment, experiment_memory
from explorer.views.controls import (
    SIDEBAR_WIDTH,
    WIDGET_WIDTH,
    ErrorBox,
    RunBar,
    float_input,
    int_input,
    param_controls,
    select,
)
from explorer.views.plots import LineChart, MatrixMosaic
from explorer.views.server_options import system_choices
from explorer.views.session import SessionState
from explorer.views.worker import Job, JobOwner, on_session_end, ui_callback

__all__ = ["GaugePage", "METHODS"]

METHODS = ("gmws", "shared")
GAUGE_COLUMNS = 8
MAX_MODES = 40


def gauge_tiles(gauges: list[dict]) -> list[dict]:
    """Mosaic tiles of gauge matrices, captioned by mode, type and side (1-based modes)."""
    arrows = {"right": "→", "left": "←"}
    return [
        {"matrix": g["U"], "caption": f"l={g['mode'] + 1} t={g['type']} {arrows.get(g['side'], '')}"}
        for g in gauges
    ]


def gauge_deviation(gauges: list[dict]) -> tuple[float, float]:
    """Largest and median ``||U - I||_F`` of a sweep's gauges (NaN when there are none)."""
    if not gauges:
        return np.nan, np.nan
    dev = [float(np.linalg.norm(g["U"] - np.eye(*g["U"].shape))) for g in gauges]
    return max(dev), float(np.median(dev))


class GaugePage(JobOwner):
    """Controls, charts and run logic of the Gauge fixing page.

    Parameters
    ----------
    session : SessionState, optional
        Shared with the other pages of a dashboard session; the page publishes the law ALS-GMWS learns there.
    experiment : LearningExperiment, optional
        The data and the preset learner both methods use (default: FPUT, d = 10, 8 sweeps).
    """

    title = "Gauge fixing"

    def __init__(self, session: SessionState | None = None, experiment: LearningExperiment | None = None):
        self.session = session or SessionState()
        self.experiment = experiment or default_experiment(modes=10, samples=500)
        self.experiment.learner.sweeps = 8
        self.job: Job | None = None
        self.updates: dict[str, list[GaugeUpdate]] = {m: [] for m in METHODS}
        self.finals: dict[str, dict[int, float]] = {m: {} for m in METHODS}
        self._modes = self.experiment.modes
        self._settings = ""
        self.errors = ErrorBox()
        self.warnings = pn.pane.Alert("", alert_type="warning", visible=False, sizing_mode="stretch_width")
        self.bar = RunBar(self.run, self.stop, run_label="Run both")
        self._build_charts()
        self.panel = self._layout()
        on_session_end(self._abandon)

    def _build_charts(self) -> None:
        series = [f"{m} {part}" for m in METHODS for part in ("train", "test")]
        self.residuum = LineChart("Residuum per sweep", "sweep", "relative residuum", series, log_y=True,
                                  name="gauge-residuum")
        self.deviation = LineChart("Size of the gauges (ALS-GMWS)", "sweep", "‖U − I‖_F", ["largest", "median"],
                                   log_y=True)
        self.versus_d = LineChart("Final test residuum vs d (runs of this session)", "d (modes)",
                                  "test residuum", list(METHODS), log_y=True)
        self.mosaic = MatrixMosaic("Gauge matrices U of the sweep", bar_title="U", width=960, height=380)
        self.sweep = pn.widgets.IntSlider(label="Sweep shown", start=1, end=2, value=1, width=300, disabled=True)
        self.sweep.param.watch(ui_callback(lambda _e: self._draw_gauges()), "value")

    def _layout(self) -> pn.Row:
        problem = param_controls(self.experiment, {
            "system": {**select("System"), "options": system_choices()},
            "modes": {"type": pn.widgets.IntSlider, "name": "d (modes)", "start": 3, "end": MAX_MODES,
                      "width": WIDGET_WIDTH},
            "samples": int_input("N (training samples)"), "noise": float_input("Noise σ", 0.001),
        })
        learner = param_controls(self.experiment.learner, {
            "sweeps": int_input("Sweeps (limit)"), "init": select("Initialisation"),
            "init_noise": float_input("Initial noise", 0.01), "ridge": float_input("Ridge", 1e-6),
        })
        note = pn.pane.Markdown(
            "Both methods learn the same data with the system's preset ansatz. Weight sharing without gauge "
            "mediation (`shared`) fits every shared core on all its equations; it was reported unstable beyond "
            "d ≈ 20. Move d past 20 and run again: every run adds a point to *final test residuum vs d*. "
            "With Initialisation = random both start from cores that pass the constant function through, plus "
            "noise, right-orthogonalised before the first sweep, and local solves set the entries of vanishing "
            "columns to zero: without these the right environments of this start keep only the constant channel "
            "(the others shrink like noise^distance), the first sweep fits almost nothing and the start's noise "
            "stays in the cores (FPUT, d = 50, N = 1400, 10 sweeps: median 2.8e-6 with them, 2.2e-5 without).",
            sizing_mode="stretch_width",
        )
        self.bar.guard(problem, learner)
        controls = pn.Column("### Data", problem, "### Learners", learner, note, self.bar.panel,
                             self.errors.pane, self.warnings, width=SIDEBAR_WIDTH)
        reading = pn.pane.Markdown(
            "ALS-GMWS fits a shared core on the largest group of its equations and, for every other group, a "
            "block-diagonal gauge U on that group's left (or right) neighbour core, C → C U, so that the shared core "
            "fits them too (the seed's Algorithm 1). ‖U − I‖ small: the groups already agree; large: the gauge does "
            "real work. `shared` has no gauges. Pick the sweep whose matrices are drawn below:", width=420)
        charts = pn.Column(
            pn.Row(self.residuum.figure, self.versus_d.figure),
            pn.Row(self.deviation.figure, pn.Column(reading, self.sweep, margin=(20, 10))),
            self.mosaic.figure,
        )
        return pn.Row(controls, charts, name=self.title)

    def run(self) -> None:
        """Start both learners on copies of the current settings."""
        if self.job is not None and self.job.running:
            return
        self.errors.clear()
        self.warnings.visible = False
        experiments = {}
        for method in METHODS:
            experiments[method] = self.experiment.copy()
            experiments[method].learner.method = method
        estimate, what = experiment_memory(self.experiment)
        if not self.fits(len(METHODS) * estimate, f"{what}, learned by {len(METHODS)} methods at once"):
            return
        self._modes = self.experiment.modes
        self._settings = (f"{self.experiment.system}, d={self._modes}, N={self.experiment.samples:,}, "
                          f"at most {self.experiment.learner.sweeps} sweeps")
        self.updates = {m: [] for m in METHODS}
        self.residuum.clear()
        self.deviation.clear()
        self.bar.running(True)
        self.running_text = f"Learning with both methods (d={self._modes}) ..."
        self.bar.say(self.running_text)
        self.job = Job(partial(paired_updates, experiments), self._consume, self._finish, self._queued).start()

    def _consume(self, updates: list[GaugeUpdate]) -> None:
        for update in updates:
            if update.error is not None:
                self._warn(f"**{update.method}** stopped: {update.error}")
                continue
            self.updates[update.method].append(update)
            self._plot_sweep(update)
        self._follow_sweeps()
        self.bar.say(self._progress())

    def _plot_sweep(self, update: GaugeUpdate) -> None:
        report, method = update.report, update.method
        self.residuum.stream(f"{method} train", [report["sweep"]], [report["train_residuum"]])
        self.residuum.stream(f"{method} test", [report["sweep"]], [report["test_residuum"]])
        if method == "gmws":
            self.session.param.update(law=update.law, law_label=f"gauge page, gmws, d={self._modes}, "
                                                                f"sweep {report['sweep']}")
            largest, median = gauge_deviation(update.gauges)
            self.deviation.stream("largest", [report["sweep"]], [largest])
            self.deviation.stream("median", [report["sweep"]], [median])

    def _warn(self, text: str) -> None:
        self.warnings.object = (self.warnings.object + "\n\n" if self.warnings.visible else "") + text
        self.warnings.visible = True

    def _follow_sweeps(self) -> None:
        done = len(self.updates["gmws"])
        if not done:
            return
        at_end = self.sweep.value >= self.sweep.end or self.sweep.disabled
        self.sweep.end = max(done, 2)
        self.sweep.disabled = done < 2
        if at_end:
            self.sweep.value = done
        self._draw_gauges()

    def _draw_gauges(self) -> None:
        updates = self.updates["gmws"]
        if not updates:
            return
        update = updates[min(self.sweep.value, len(updates)) - 1]
        self.mosaic.update(gauge_tiles(update.gauges), GAUGE_COLUMNS)
        self.mosaic.figure.title.text = (
            f"Gauge matrices U applied by ALS-GMWS in sweep {update.report['sweep']} "
            f"({len(update.gauges)} matrices; → left-to-right half-sweep, ← right-to-left)"
        )

    def _progress(self) -> str:
        parts = []
        for method in METHODS:
            if self.updates[method]:
                last = self.updates[method][-1].report
                test = last["test_residuum"]
                parts.append(f"{method}: sweep {last['sweep']}, test {test:.2e}" if test is not None
                             else f"{method}: sweep {last['sweep']}")
        total = sum(len(v) for v in self.updates.values())
        return f"**Sweeps done: {total}** · " + " · ".join([*parts, self._settings])

    def _finish(self, error, stopped: bool) -> None:
        self.bar.running(False)
        if error is not None:
            self.errors.show(error)
            self.bar.say("Failed.")
            return
        self._record_finals()
        prefix = "**Stopped**" if stopped else "**Finished**"
        self.bar.say(f"{prefix}. " + self._progress())

    def _record_finals(self) -> None:
        for method in METHODS:
            if self.updates[method]:
                test = self.updates[method][-1].report["test_residuum"]
                if test is not None:
                    self.finals[method][self._modes] = test
            points = sorted(self.finals[method].items())
            self.versus_d.set(method, [d for d, _ in points], [r for _, r in points])
