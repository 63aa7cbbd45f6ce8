"""The Learn page: pick a system and a learner, run the sweeps live, stop at any time.

While the learner runs the page shows the training and test residuum per sweep (log scale), the wall time of each
sweep, the learned law of one equation against the true one on held-out states, and the block magnitudes of one
core (``law.block_norms``). Stopping keeps the law learned so far; it is published to the session so that the
Sparsity page can overlay it.

"Your data" replaces the system by an uploaded trajectory or pair file (``.npz`` read without pickle, or ``.csv``;
at most :data:`MAX_UPLOAD_MB` MB): the page learns from it with the learner's settings (the domain from the data),
draws one trajectory and mode, measured against the law of each sweep simulated from the trajectory's first state,
and offers the learned law as a law file (:meth:`SelfSimilarLaw.to_bytes`) for download.
"""

from __future__ import annotations

import io
from functools import partial

import panel as pn

from explorer.data import ESTIMATORS, DataError, TrajectoryData, parse_data
from explorer.learning.anatomy import block_cells, type_name
from explorer.learning.experiment import LearningExperiment
from explorer.learning.law import SelfSimilarLaw
from explorer.streams.learn import (
    LearnUpdate,
    TrajectoryCurves,
    data_learn_updates,
    data_memory,
    default_experiment,
    experiment_memory,
    learn_updates,
    trajectory_curves,
)
from explorer.views.controls import (
    SEED_END,
    SIDEBAR_WIDTH,
    WIDGET_WIDTH,
    ErrorBox,
    RunBar,
    checkbox,
    choice_input,
    float_input,
    int_input,
    param_controls,
    select,
)
from explorer.views.plots import WAITING, Heatmap, LineChart, make_figure, placeholder
from explorer.views.server_options import system_choices
from explorer.views.session import SessionState
from explorer.views.worker import Job, JobOwner, on_session_end, ui_callback

__all__ = ["LearnPage"]

BOUND_LABEL = "lower bound (any law, this ρ and L)"
"""Legend of the capacity bound (:meth:`LearningExperiment.capacity_bound`), drawn for the dipoles."""

LAW_NOTE = "Other laws are registered by whoever starts the server: panel serve apps/ --args --law MODULE:CALLABLE."
"""End of the System box's refusal: the browser never names code for the server to import."""

MAX_UPLOAD_MB = 50
"""Largest data file the page accepts (the server's websocket limit must allow it, see the README)."""

NO_TRAJECTORY = "A pair file holds no trajectory to simulate."

MEASURED_DERIVATIVE = "measured, else fd6"
"""Derivative choice: the file's xdot/xddot when present, else the default estimator."""


def time_left(report: dict, sweep_limit: int) -> str:
    """`` (at most ~T more)``: the sweeps left to the limit at the mean pace so far ("" at the limit)."""
    left = (sweep_limit - report["sweep"]) * report["elapsed"] / report["sweep"]
    if left <= 0:
        return ""
    text = f"{left:.0f} s" if left < 120 else f"{left / 60:.0f} min" if left < 7200 else f"{left / 3600:.1f} h"
    return f" (at most ~{text} more)"


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
        self.data: TrajectoryData | None = None
        self.data_content: bytes | None = None
        self.curves: TrajectoryCurves | None = None
        self._scatter_reference = ("true", "held-out states", "true target")
        self._run_status = ""
        self._build_charts()
        self._build_selectors()
        self._build_data_controls()
        self._build_trajectory_chart()
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
            "### Problem", problem, self.data_card, "### Learner", learner, advanced, self.bar.panel, self.download,
            self.errors.pane, width=SIDEBAR_WIDTH,
        )

    def _layout(self) -> pn.Row:
        charts = pn.Column(
            pn.Row(self.residuum.figure, self.timing.figure),
            pn.Row(
                pn.Column(self.equation, self.scatter),
                pn.Column(pn.Row(self.core_mode, self.core_type), self.blocks.figure),
            ),
            pn.Column(pn.Row(self.trajectory, self.trajectory_mode, self.until),
                      self.trajectory_figure, visible=False),
        )
        self.trajectory_row = charts[-1]
        return pn.Row(self._controls(), charts, name=self.title)

    def run(self) -> None:
        """Start learning with a copy of the current settings (does nothing while a run is going on)."""
        if self.job is not None and self.job.running:
            return
        self.errors.clear()
        if self.data is not None:
            self._run_data()
            return
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
        self._scatter_reference = ("true", "held-out states", "true target")
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
        curves = [u.curves for u in updates if u.curves is not None]
        if curves:
            self.curves = curves[-1]
            self._draw_trajectory()
        self.session.param.update(law=self.law, law_label=f"{self._label}, sweep {sweeps[-1]}")
        self._draw_scatter()
        self._draw_blocks(update_types=True)
        self.bar.say(self._progress(reports[-1]))

    def _progress(self, report: dict) -> str:
        test = report["test_residuum"]
        test_text = "" if test is None else f" · test {test:.2e}"
        return (f"**Sweeps done: {report['sweep']}** of at most {self._sweep_limit} · "
                f"train {report['train_residuum']:.2e}{test_text} · {report['elapsed']:.1f} s"
                f"{time_left(report, self._sweep_limit)} · {self._settings}")

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
        self.download.disabled = self.law is None or self.law.order is None
        self._run_status = self.bar.status.object
        last = self.updates[-1].report["sweep"] if self.updates else None
        shown = None if self.curves is None else (self.curves.index, self.curves.sweep)
        if self.data is not None and shown != (self.trajectory.value - 1, last):
            self._simulate_trajectory()

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
        reference, states, axis = self._scatter_reference
        self.scatter.title.text = f"Equation k={k + 1}: learned vs {reference} ({len(truth)} {states})"
        self.scatter.xaxis.axis_label = axis

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

    # Your data: an uploaded file as the system, a trajectory measured vs simulated, the law file.

    def _build_data_controls(self) -> None:
        self.data_file = pn.widgets.FileInput(
            accept=".npz,.csv", width=WIDGET_WIDTH, css_classes=["learn-data-file"],
            description=f"Trajectories (t, x[, v]) or pairs (x, y), .npz (no pickle) or .csv, at most "
                        f"{MAX_UPLOAD_MB} MB (above 15 MB the server needs --websocket-max-message-size "
                        "100000000); replaces the system above.")
        self.data_note = pn.pane.Markdown("No file: learning from the system above.", width=WIDGET_WIDTH,
                                          margin=(0, 10))
        self.data_clear = pn.widgets.Button(label="Use the system instead", width=WIDGET_WIDTH, disabled=True)
        self.order = pn.widgets.Select(label="Order of the law", options={"1: ẋ = f(x)": 1, "2: ẍ = f(x)": 2},
                                       value=2, width=WIDGET_WIDTH)
        self.derivative = pn.widgets.Select(label="Derivative", options=[MEASURED_DERIVATIVE, *ESTIMATORS],
                                            width=WIDGET_WIDTH,
                                            description="Estimator of the derivatives from the positions (fd2/4/6: "
                                                        "finite differences; savgol: for noisy data).")
        self.validation = pn.widgets.FloatInput(label="Held out (fraction of trajectories)", value=0.2, start=0.0,
                                                end=0.9, step=0.05, width=WIDGET_WIDTH)
        self.data_file.param.watch(ui_callback(lambda _e: self._load_file()), "value")
        self.data_clear.on_click(ui_callback(lambda _e: self.clear_data()))
        self.data_card = pn.Card(self.data_file, self.data_note, self.order, self.derivative, self.validation,
                                 self.data_clear, title="Your data", collapsed=True, sizing_mode="stretch_width")

    def _build_trajectory_chart(self) -> None:
        self.trajectory = pn.widgets.IntInput(label="Trajectory", value=1, start=1, end=1, width=110,
                                              description="Trajectory of the file, simulated by the law from its "
                                                          "first state (the last ones are held out).")
        self.trajectory_mode = pn.widgets.IntInput(label="Mode l", value=1, start=1, end=1, width=90)
        self.until = pn.widgets.FloatInput(label="Simulate until t", value=None, start=0.0, width=130,
                                           placeholder="whole trajectory")
        self.download = pn.widgets.FileDownload(callback=self._law_file, filename="law.npz", disabled=True,
                                                label="Download the law", color="success", width=170)
        self.trajectory_figure = make_figure("Trajectory: measured vs simulated", "t", "x_l")
        self.measured_source = self.trajectory_figure.line(
            [], [], color="#1f77b4", line_width=2, legend_label="measured").data_source
        self.simulated_source = self.trajectory_figure.line(
            [], [], color="#d62728", line_width=2, line_dash="dashed", legend_label="simulated by the law").data_source
        self.measured_source.name = "learn-trajectory:measured"
        self.simulated_source.name = "learn-trajectory:simulated"
        self.trajectory_figure.legend.location = "top_left"
        self.trajectory_note = placeholder(self.trajectory_figure)
        self.trajectory_mode.param.watch(ui_callback(lambda _e: self._draw_trajectory()), "value")
        for widget in (self.trajectory, self.until):
            widget.param.watch(ui_callback(lambda _e: self._simulate_trajectory()), "value")

    def _load_file(self) -> None:
        """Parse the uploaded file (no pickle); a bad one shows one line and leaves the system in charge."""
        content, name = self.data_file.value, self.data_file.filename or "upload"
        if content is None:
            return
        self.errors.clear()
        try:
            if len(content) > MAX_UPLOAD_MB * 2**20:
                raise DataError(f"{name}: {len(content) / 2**20:.0f} MB exceeds the limit of {MAX_UPLOAD_MB} MB")
            data = parse_data(content, name)
        except DataError as exc:
            self.clear_data()
            self.errors.show(str(exc), prefix="Cannot read the file")
            return
        self.data, self.data_content = data, content
        self.data_clear.disabled = False
        trajectories = isinstance(data, TrajectoryData)
        for widget in (self.trajectory, self.trajectory_mode, self.until):
            widget.disabled = not trajectories
        self.curves = None
        self._clear_trajectory()
        self.trajectory_note.text = WAITING if trajectories else NO_TRAJECTORY
        if trajectories:
            self.data_note.object = (f"**{name}**: {data.trajectories} trajectories × {data.points} times, "
                                     f"d = {data.modes}; replaces the system above.")
            if data.xdot is not None or data.xddot is not None:
                self.order.value = 1 if data.xddot is None else 2
            self.trajectory.param.update(end=data.trajectories, value=data.trajectories)
        else:
            self.data_note.object = (f"**{name}**: {data.states().shape[0]:,} pairs, d = {data.modes}; "
                                     "replaces the system above.")
        self.trajectory_mode.param.update(end=data.modes, value=min(self.trajectory_mode.value, data.modes))
        self.trajectory_row.visible = True

    def clear_data(self) -> None:
        """Forget the uploaded file: Run learns from the system again."""
        self.data = self.data_content = None
        self.data_clear.disabled = True
        self.data_note.object = "No file: learning from the system above."

    def _derivative(self) -> str | None:
        return None if self.derivative.value == MEASURED_DERIVATIVE else self.derivative.value

    def _run_data(self) -> None:
        """Start learning from the uploaded file with a copy of the learner's settings."""
        data, validation = self.data, float(self.validation.value or 0.0)
        if not self.fits(*data_memory(data, validation)):
            return
        self._reset(self.experiment)
        self.curves = None
        self.download.disabled = True
        self._clear_trajectory()
        for widget in (self.equation, self.core_mode):
            widget.param.update(end=data.modes, value=min(widget.value, data.modes))
        self._label = f"{data.name}, d={data.modes}, {self.experiment.learner.method}"
        self._scatter_reference = ("data", "held-out states" if validation > 0 else "training states",
                                   "target from the data (measured or estimated derivative)")
        settings = {k: v for k, v in self.experiment.learner.param.values().items() if k != "name"}
        self.bar.running(True)
        self.running_text = f"Estimating derivatives and initialising ({data.name}, d={data.modes}) ..."
        self.bar.say(self.running_text)
        produce = partial(data_learn_updates, self.data_content, data.name, settings, self.order.value,
                          self._derivative(), validation, self.trajectory.value - 1, self.until.value)
        self.job = Job(produce, self._consume, self._finish, self._queued).start()

    def _simulate_trajectory(self) -> None:
        """Simulate the chosen trajectory with the law learned last (after a run; during one the next sweep does)."""
        if (self.job is not None and self.job.running) or self.law is None or self.law.order is None \
                or not isinstance(self.data, TrajectoryData):
            return
        self.running_text = f"{self._run_status} Simulating trajectory {self.trajectory.value} ...".strip()
        self.bar.say(self.running_text)
        sweep = self.updates[-1].report["sweep"] if self.updates else None
        produce = partial(trajectory_curves, self.law, self.data_content, self.data.name, self.trajectory.value - 1,
                          self.until.value, self._derivative(), sweep)
        self.job = Job(produce, self._consume_curves, self._simulated, self._queued).start()

    def _consume_curves(self, curves: list[TrajectoryCurves]) -> None:
        self.curves = curves[-1]
        self._draw_trajectory()

    def _simulated(self, error, stopped: bool) -> None:
        if error is not None:
            self.errors.show(error)
        done = "simulation stopped" if stopped else f"trajectory {self.trajectory.value} simulated"
        self.bar.say(f"{self._run_status} Then {done}.".strip())

    def _clear_trajectory(self) -> None:
        self.measured_source.data = {"x": [], "y": []}
        self.simulated_source.data = {"x": [], "y": []}
        self.trajectory_note.visible = True

    def _draw_trajectory(self) -> None:
        curves = self.curves
        if curves is None:
            return
        mode = min(self.trajectory_mode.value, curves.measured.shape[1]) - 1
        t = curves.t.tolist()
        self.measured_source.data = {"x": t, "y": curves.measured[:, mode].tolist()}
        self.simulated_source.data = {"x": t, "y": curves.simulated[:, mode].tolist()}
        self.trajectory_note.visible = False
        self.trajectory_figure.yaxis.axis_label = f"x_{mode + 1}"
        self.trajectory_figure.title.text = (f"Trajectory {curves.index + 1}, mode {mode + 1}: measured vs simulated "
                                             f"(deviation {curves.deviation:.2e})")

    def _law_file(self) -> io.BytesIO:
        """The learned law's file (validated on loading by :meth:`SelfSimilarLaw.from_bytes`)."""
        return io.BytesIO(self.law.to_bytes())
