"""The Learn page: pick a system and a learner, run the sweeps live, stop at any time.

While the learner runs the page shows the training and test residuum per sweep (log scale), the wall time of each
sweep, the learned law of one equation against the true one on held-out states, and the block magnitudes of one
core (``law.block_norms``). Stopping keeps the law learned so far; it is published to the session so that the
Sparsity page can overlay it.
"""

from __future__ import annotations

from functools import partial

import panel as pn

from explorer.learning.anatomy import block_cells, type_name
from explorer.learning.experiment import LearningExperiment
from explorer.learning.law import SelfSimilarLaw
from explorer.streams.learn import LearnUpdate, default_experiment, experiment_memory, learn_updates
from explorer.views.controls import (
    SEED_END,
    SIDEBAR_WIDTH,
    ErrorBox,
    RunBar,
    checkbox,
    choice_input,
    float_input,
    int_input,
    param_controls,
    select,
)
from explorer.views.plots import Heatmap, LineChart, make_figure, placeholder
from explorer.views.server_options import system_choices
from explorer.views.session import SessionState
from explorer.views.worker import Job, JobOwner, on_session_end, ui_callback

__all__ = ["LearnPage"]

BOUND_LABEL = "lower bound (any law, this ρ and L)"
"""Legend of the capacity bound (:meth:`LearningExperiment.capacity_bound`), drawn for the dipoles."""

LAW_NOTE = "Other laws are registered by whoever starts the server: panel serve apps/ --args --law MODULE:CALLABLE."
"""End of the System box's refusal: the browser never names code for the server to import."""


class LearnPage(JobOwner):
    """Controls, live charts and the run logic of the Learn page.

    Parameters
    ----------
    session : SessionState, optional
        Shared with the other pages of a dashboard session; the page publishes its law there.
    experiment : LearningExperiment, optional
        The model behind the controls (default: :func:`default_experiment`).
    """

    title = "Learn"

    def __init__(self, session: SessionState | None = None, experiment: LearningExperiment | None = None):
        self.session = session or SessionState()
        self.experiment = experiment or default_experiment()
        self.job: Job | None = None
        self.law: SelfSimilarLaw | None = None
        self.updates: list[LearnUpdate] = []
        self._sweep_limit, self._label, self._settings = self.experiment.learner.sweeps, "", ""
        self.errors = ErrorBox()
        self.bar = RunBar(self.run, self.stop)
        self._build_charts()
        self._build_selectors()
        self.panel = self._layout()
        on_session_end(self._abandon)

    def _build_charts(self) -> None:
        self.residuum = LineChart("Residuum per sweep", "sweep", "relative residuum", ["train", "test"], log_y=True,
                                  references=[BOUND_LABEL], name="learn-residuum")
        self.timing = LineChart("Wall time per sweep", "sweep", "seconds", ["fit", "elapsed (cumulative)"])
        self.scatter = make_figure("Learned vs true law", "true target", "learned", match_aspect=True)
        self.scatter_source = self.scatter.scatter(
            [], [], size=4, alpha=0.6, color="#1f77b4", legend_label="held-out states"
        ).data_source
        self.scatter_source.name = "learn-scatter"
        self.diagonal = self.scatter.line([], [], color="#999999", line_dash="dashed", legend_label="y = x")
        self.scatter.legend.location = "top_left"
        self.scatter.legend.visible = False
        self.scatter_note = placeholder(self.scatter)
        self.blocks = Heatmap("Block magnitudes of a core", "dictionary function ψ_i", "left block label a",
                              bar_title="‖block‖", name="learn-blocks")

    def _build_selectors(self) -> None:
        self.equation = pn.widgets.IntInput(label="Equation k", value=1, start=1, end=self.experiment.modes,
                                            width=130, description="Equation shown in the scatter (1-based).")
        modes = self.experiment.modes
        self.core_mode = pn.widgets.IntInput(label="Core mode l", value=(modes + 1) // 2, start=1, end=modes, width=130,
                                             description="Mode of the core whose blocks are shown.")
        self.core_type = pn.widgets.Select(label="Activation type", options={}, width=200, disabled=True,
                                           description="Type t of the core C_l^(t) (seed eq. 41); filled by Run.")
        self.equation.param.watch(ui_callback(lambda _e: self._draw_scatter()), "value")
        self.core_mode.param.watch(ui_callback(lambda _e: self._draw_blocks(update_types=True)), "value")
        self.core_type.param.watch(ui_callback(lambda _e: self._draw_blocks()), "value")

    def _controls(self) -> pn.Column:
        problem = param_controls(self.experiment, {
            "system": choice_input("System", system_choices(), LAW_NOTE), "modes": int_input("d (modes)"),
            "samples": int_input("N (training samples)"), "noise": float_input("Noise σ", 0.001),
        })
        learner = param_controls(self.experiment.learner, {
            "dictionary": select("Dictionary"), "degree": int_input("Degree of the dictionary"),
            "total_degree": int_input("λ (total degree bound)"), "block_size": int_input("ρ (max block size)"),
            "interaction_length": int_input("L (interaction length)"), "method": select("Method"),
            "sweeps": int_input("Sweeps (limit)"),
        })
        data = param_controls(self.experiment, {"test_samples": int_input("Test samples N'"),
                                                "seed": int_input("Data seed", SEED_END)})
        optimiser = param_controls(self.experiment.learner, {
            "exact_degree": checkbox("Total degree exactly λ"),
            "init": select("Initialisation"), "init_noise": float_input("Initial noise", 0.01),
            "ridge": float_input("Ridge", 1e-6), "stagnation": float_input("Stagnation tolerance", 1e-4),
            "patience": int_input("Patience (sweeps)"),
        })
        self.bar.guard(problem, learner, data, optimiser)
        advanced = pn.Card(data, optimiser, title="More settings", collapsed=True, sizing_mode="stretch_width")
        return pn.Column(
            "### Problem", problem, "### Learner", learner, advanced, self.bar.panel, self.errors.pane,
            width=SIDEBAR_WIDTH,
        )

    def _layout(self) -> pn.Row:
        charts = pn.Column(
            pn.Row(self.residuum.figure, self.timing.figure),
            pn.Row(
                pn.Column(self.equation, self.scatter),
                pn.Column(pn.Row(self.core_mode, self.core_type), self.blocks.figure),
            ),
        )
        return pn.Row(self._controls(), charts, name=self.title)

    def run(self) -> None:
        """Start learning with a copy of the current settings (does nothing while a run is going on)."""
        if self.job is not None and self.job.running:
            return
        self.errors.clear()
        experiment = self.experiment.copy()
        if not self.fits(*experiment_memory(experiment)):
            return
        self._reset(experiment)
        self.bar.running(True)
        self.running_text = f"Drawing data and initialising ({experiment.system}, d={experiment.modes}) ..."
        self.bar.say(self.running_text)
        self.job = Job(partial(learn_updates, experiment), self._consume, self._finish, self._queued).start()

    def _reset(self, experiment: LearningExperiment) -> None:
        self.updates, self.law = [], None
        self._sweep_limit = experiment.learner.sweeps
        self._label = f"{experiment.system}, d={experiment.modes}, {experiment.learner.method}"
        self._settings = f"{self._label}, N={experiment.samples:,}, N'={experiment.test_samples:,}"
        self.residuum.clear()
        self.timing.clear()
        self.scatter_source.data = {"x": [], "y": []}
        self.diagonal.data_source.data = {"x": [], "y": []}
        self.scatter_note.visible = True
        self.scatter.legend.visible = False
        self.blocks.update([], [], [], [], [], [])
        for widget in (self.equation, self.core_mode):
            widget.end = experiment.modes
            widget.value = min(widget.value, experiment.modes)

    def _consume(self, updates: list[LearnUpdate]) -> None:
        self.updates.extend(updates)
        reports = [u.report for u in updates]
        sweeps = [r["sweep"] for r in reports]
        self.residuum.stream("train", sweeps, [r["train_residuum"] for r in reports])
        self.residuum.stream("test", sweeps, [r["test_residuum"] for r in reports])
        self.timing.stream("fit", sweeps, [r["seconds"] for r in reports])
        self.timing.stream("elapsed (cumulative)", sweeps, [r["elapsed"] for r in reports])
        if updates[-1].bound is not None:
            self.residuum.set(BOUND_LABEL, [1, max(sweeps[-1], 2)], [updates[-1].bound] * 2)
        self.law = updates[-1].law
        self.session.param.update(law=self.law, law_label=f"{self._label}, sweep {sweeps[-1]}")
        self._draw_scatter()
        self._draw_blocks(update_types=True)
        self.bar.say(self._progress(reports[-1]))

    def _progress(self, report: dict) -> str:
        test = report["test_residuum"]
        test_text = "" if test is None else f" · test {test:.2e}"
        return (f"**Sweeps done: {report['sweep']}** of at most {self._sweep_limit} · "
                f"train {report['train_residuum']:.2e}{test_text} · {report['elapsed']:.1f} s · {self._settings}")

    def _finish(self, error, stopped: bool) -> None:
        self.bar.running(False)
        done = len(self.updates)
        if error is not None:
            self.errors.show(error)
            self.bar.say(f"Failed after {done} sweep(s).")
        elif stopped:
            self.bar.say(f"**Stopped** after {done} sweep(s) ({self._settings}); the law learned so far is kept.")
        else:
            reason = self.updates[-1].stop if self.updates else None
            self.bar.say(f"**Finished** ({self._settings}): {done} sweep(s), stopped by {reason}. "
                         + self._final_numbers())

    def _final_numbers(self) -> str:
        if not self.updates:
            return ""
        report, bound = self.updates[-1].report, self.updates[-1].bound
        test = report["test_residuum"]
        text = f"Train {report['train_residuum']:.2e}" + ("" if test is None else f", test {test:.2e}")
        return text + ("." if bound is None else f"; no law with this ρ and L gets below {bound:.2e}.")

    def _draw_scatter(self) -> None:
        if not self.updates:
            return
        update = self.updates[-1]
        k = min(self.equation.value, update.truth.shape[1]) - 1
        truth, learned = update.truth[:, k], update.prediction[:, k]
        self.scatter_source.data = {"x": truth.tolist(), "y": learned.tolist()}
        low, high = float(truth.min()), float(truth.max())
        self.diagonal.data_source.data = {"x": [low, high], "y": [low, high]}
        self.scatter_note.visible = False
        self.scatter.legend.visible = True
        self.scatter.title.text = f"Equation k={k + 1}: learned vs true ({len(truth)} held-out states)"

    def _draw_blocks(self, update_types: bool = False) -> None:
        if self.law is None:
            return
        mode = min(self.core_mode.value, self.law.modes) - 1
        if update_types:
            self._update_type_options(mode)
        kind = self.core_type.value
        if kind is None or (mode, kind) not in self.law.cores:
            return
        xs, ys, values, texts, x_factors, y_factors = block_cells(self.law, mode, kind)
        self.blocks.update(xs, ys, values, texts, x_factors, y_factors)
        self.blocks.figure.title.text = f"Block magnitudes of C_{mode + 1}^({kind}) (cell text: right label b)"

    def _update_type_options(self, mode: int) -> None:
        kinds = sorted(t for m, t in self.law.cores if m == mode)
        options = {type_name(t, self.law.interaction_length): t for t in kinds}
        if options != self.core_type.options:
            current = self.core_type.value
            self.core_type.param.update(options=options, value=current if current in kinds else kinds[-1],
                                        disabled=False)
