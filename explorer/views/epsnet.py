r"""The Epsilon-net page: the DP's energy as the net grows, against exact, DMRG and product-state references.

For a Hamiltonian, ``n`` sites and bond dimension ``D`` the page runs the epsilon-net DP
(:class:`~explorer.groundstate.model.GroundStateModel`, ``method="dp"``) once per resolution (Haar net sizes or
Lemma-3 deltas) in a worker thread and shows, live:

- :math:`\tilde E` (the DP's estimate) and the true energy :math:`E` of the DP's state against the net size, with
  the exact ground energy, DMRG at the same ``D`` and the best product state (the DP with ``D = 1``) as lines;
- the errors against the reconstructed bound :math:`J\eta(n-1)(n-2)/2` (docs/algorithms.md B5);
- the DP's progress per site (best partial energy :math:`\min f_k`);
- the Schmidt spectra of the best DP state, of DMRG's state and of the exact ground state (ED, small ``n``).
"""

from __future__ import annotations

import io
from functools import partial

import numpy as np
import panel as pn
import param

from explorer.groundstate.model import GroundStateModel
from explorer.groundstate.study import (
    REFERENCES,
    NetFailure,
    NetResult,
    Reference,
    SiteStep,
    at_resolution,
    net_study,
)
from explorer.views.controls import (
    SEED_END,
    SIDEBAR_WIDTH,
    WIDGET_WIDTH,
    ErrorBox,
    RunBar,
    float_input,
    int_input,
    param_controls,
    select,
)
from explorer.views.plots import LineChart
from explorer.views.session import SessionState
from explorer.views.worker import Job, JobOwner, on_session_end, ui_callback

__all__ = ["EpsnetPage", "NetSweep", "TermUpload", "parse_resolutions", "read_term", "REFERENCES"]

RESOLUTION_DEFAULTS = {"haar": "20, 50, 100, 200, 400", "lemma3": "1.4"}


class NetSweep(param.Parameterized):
    """The resolutions at which the DP runs."""

    resolutions = param.String(
        default=RESOLUTION_DEFAULTS["haar"],
        doc="Comma-separated Haar net sizes, or Lemma-3 deltas (each in (0, sqrt(dD)]); one DP per value.",
    )


TERM_UPLOAD_LIMIT = 4 * 2**20
"""Largest uploaded two-site term file in bytes (a complex d = 16 term, 256 x 256, takes 1 MiB)."""


def read_term(data: bytes) -> np.ndarray:
    """The two-site term in the bytes of an uploaded ``.npy`` file (read without pickle; size, shape and values
    checked, raising ValueError)."""
    if len(data) > TERM_UPLOAD_LIMIT:
        raise ValueError(f"the file has {len(data):,} bytes; at most {TERM_UPLOAD_LIMIT:,} are accepted")
    try:
        term = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise ValueError(f"not a .npy array without pickled objects ({exc})") from None
    if not isinstance(term, np.ndarray) or term.dtype.kind not in "iufc":
        raise ValueError("the file must hold one numeric array")
    d = int(round(np.sqrt(term.shape[0]))) if term.ndim == 2 else 0
    if term.ndim != 2 or term.shape != (d * d, d * d) or d < 2:
        raise ValueError(f"the two-site term must be a d^2 x d^2 matrix with d >= 2, got shape {term.shape}")
    if not np.all(np.isfinite(term)):
        raise ValueError("the two-site term has NaN or infinite entries")
    return term.astype(np.complex128 if term.dtype.kind == "c" else np.float64)


class TermUpload:
    """Upload of a custom two-site term (``.npy``): sets ``model.term`` and says what was read or why not."""

    def __init__(self, model: GroundStateModel):
        self.model = model
        self.input = pn.widgets.FileInput(accept=".npy", multiple=False, width=WIDGET_WIDTH)
        self.note = pn.pane.Markdown("No term uploaded.", sizing_mode="stretch_width", css_classes=["term-note"],
                                     margin=(0, 10))
        self.input.param.watch(ui_callback(self._uploaded), "value")
        self.panel = pn.Column(
            pn.pane.Markdown("Two-site term for Hamiltonian *custom* (`.npy`, d² × d²):", margin=(0, 10)),
            self.input, self.note, margin=0, sizing_mode="stretch_width",
        )

    def _uploaded(self, event) -> None:
        if not event.new:
            return
        try:
            term = read_term(event.new)
        except ValueError as exc:
            self.note.object = f"**Not used:** {self.input.filename}: {exc}"
            return
        self.model.param.update(term=term, model="custom")
        d = int(round(np.sqrt(term.shape[0])))
        self.note.object = f"Using **{self.input.filename}** (local dimension d = {d}) as Hamiltonian *custom*."


def parse_resolutions(text: str, family: str) -> list:
    """Net sizes (``haar``, ascending) or deltas (``lemma3``, descending) from a comma-separated string."""
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    if not parts:
        raise ValueError("give at least one resolution (net sizes for Haar nets, deltas for Lemma-3 nets)")
    try:
        values = [int(p) for p in parts] if family == "haar" else [float(p) for p in parts]
    except ValueError:
        kind = "whole numbers (net sizes)" if family == "haar" else "numbers (deltas)"
        raise ValueError(f"resolutions must be comma-separated {kind}, got {text!r}") from None
    if min(values) <= 0:
        raise ValueError(f"resolutions must be positive, got {text!r}")
    return sorted(set(values), reverse=family != "haar")


class EpsnetPage(JobOwner):
    """Controls, live charts and run logic of the Epsilon-net page.

    Parameters
    ----------
    session : SessionState, optional
        Accepted like every page's, unused: ground states share nothing with the learning pages.
    model : GroundStateModel, optional
        Hamiltonian, size and net settings behind the controls (default: TFIM, n = 8, D = 2, Haar nets).
    sweep : NetSweep, optional
        The resolutions to run.
    """

    title = "Epsilon-net"

    def __init__(self, session: SessionState | None = None, model: GroundStateModel | None = None,
                 sweep: NetSweep | None = None):
        self.model = model or GroundStateModel(model="tfim", sites=8, bond_dim=2, family="haar", eta=0.05,
                                               refine=0, method="dp")
        self.sweep = sweep or NetSweep()
        self.model.param.watch(self._family_changed, "family")
        self.job: Job | None = None
        self.results: list[NetResult] = []
        self.references: dict[str, Reference] = {}
        self.resolutions: list = []
        self._progress_key = None
        self._settings = ""
        self.errors = ErrorBox()
        self.warnings = pn.pane.Alert("", alert_type="warning", visible=False, sizing_mode="stretch_width")
        self.bar = RunBar(self.run, self.stop)
        self.upload = TermUpload(self.model)
        self.progress = pn.indicators.Progress(value=0, max=1, width=WIDGET_WIDTH, bar_color="primary")
        self.summary = pn.pane.Markdown("", width=900)
        self._build_charts()
        self.panel = self._layout()
        on_session_end(self._abandon)

    def _build_charts(self) -> None:
        self.energy = LineChart("Energy vs net size", "isometries in the net", "energy", ["Ẽ (DP)", "E (true)"],
                                references=REFERENCES, integer_x=False, x_axis_type="log", name="epsnet-energy")
        self.error = LineChart("Errors and the bound", "isometries in the net", "energy difference",
                               ["E − E0", "|Ẽ − E0|", "|E − Ẽ|", "bound Jη(n−1)(n−2)/2"], integer_x=False,
                               x_axis_type="log", log_y=True)
        self.sites = LineChart("DP progress per site", "site k", "best partial energy min f_k", ["current DP"])
        self.spectra = LineChart("Schmidt spectra", "bond k", "Schmidt value", ["exact ground state",
                                 "best DP state", "DMRG"], log_y=True, lines=False)

    def _layout(self) -> pn.Row:
        hamiltonian = param_controls(self.model, {
            "model": select("Hamiltonian"), "field": float_input("Field (empty: model default)", 0.1),
            "anisotropy": float_input("XXZ anisotropy Jz", 0.1),
            "sites": int_input("n (sites)"), "bond_dim": int_input("D (bond dimension)"),
        })
        net = param_controls(self.model, {
            "family": select("Net family"), "eta": float_input("η (stitching tolerance)", 0.01),
            "refine": int_input("Refinement rounds (our addition)"), "seed": int_input("Seed", SEED_END),
        })
        resolutions = param_controls(self.sweep, {"resolutions": {
            "type": pn.widgets.TextInput, "name": "Resolutions (net sizes or deltas)", "width": WIDGET_WIDTH}})
        note = pn.pane.Markdown(
            "Haar nets: random isometries (practical). Lemma-3 nets: the paper's grid construction; a D=2 net "
            "holds thousands of isometries and one DP takes minutes.", sizing_mode="stretch_width")
        self.bar.guard(hamiltonian, net)
        controls = pn.Column("### Hamiltonian", hamiltonian, self.upload.panel, "### Net", net, resolutions, note,
                             self.bar.panel,
                             self.progress, self.errors.pane, self.warnings, width=SIDEBAR_WIDTH)
        charts = pn.Column(pn.Row(self.energy.figure, self.error.figure),
                           pn.Row(self.sites.figure, self.spectra.figure), self.summary)
        return pn.Row(controls, charts, name=self.title)

    def _family_changed(self, event) -> None:
        self.sweep.resolutions = RESOLUTION_DEFAULTS[event.new]

    def run(self) -> None:
        """Check the input, then run references and one DP per resolution in the worker thread."""
        if self.job is not None and self.job.running:
            return
        self.errors.clear()
        self.warnings.visible = False
        try:
            resolutions = parse_resolutions(self.sweep.resolutions, self.model.family)
            model = at_resolution(self.model)
            model.validate()
        except (ValueError, OSError) as exc:
            self.errors.show(exc)
            return
        self._reset(resolutions)
        self._settings = (f"{model.model}, n={model.sites}, D={model.bond_dim}, {model.family} nets, "
                          f"η={model.eta:g}, seed {model.seed}")
        self.bar.running(True)
        self.running_text = "Computing the references (exact, DMRG, product state) ..."
        self.bar.say(self.running_text)
        self.job = Job(partial(net_study, model, resolutions), self._consume, self._finish, self._queued).start()

    def _reset(self, resolutions: list) -> None:
        self.resolutions, self.results, self.references = resolutions, [], {}
        self._progress_key = None
        for chart in (self.energy, self.error, self.sites, self.spectra):
            chart.clear()
        self.summary.object = ""
        self.progress.value, self.progress.max = 0, len(resolutions)

    def _consume(self, items: list) -> None:
        handlers = {Reference: self._add_reference, SiteStep: self._add_site, NetResult: self._add_result,
                    NetFailure: self._add_failure}
        for item in items:
            handlers[type(item)](item)
        self.bar.say(self._status())
        self.summary.object = self._energy_table()

    def _energy_table(self) -> str:
        """The reference energies and the best DP state so far, with their distance to the exact energy."""
        e0 = self.references.get("exact E0")
        exact = None if e0 is None else e0.energy
        rows = [(label, ref.energy) for label, ref in self.references.items() if ref.energy is not None]
        if self.results:
            best = min(self.results, key=lambda r: r.energy)
            rows.append((f"best DP state (net size {best.net_size}), true energy E", best.energy))
        lines = [f"| {label} | {energy:.8f} | {'' if exact is None else f'{energy - exact:.2e}'} |"
                 for label, energy in rows]
        return "| state | energy | − exact E0 |\n|---|---:|---:|\n" + "\n".join(lines) if lines else ""

    def _add_reference(self, ref: Reference) -> None:
        self.references[ref.label] = ref
        self._draw_references()
        if ref.spectra is not None:
            label = "exact ground state" if ref.label == "exact E0" else ref.label
            self._draw_spectra(label, ref.spectra)

    def _add_site(self, step: SiteStep) -> None:
        report = step.report
        key = (step.resolution, report.round)
        if key != self._progress_key:
            self._progress_key = key
            self.sites.clear()
        self.sites.stream("current DP", [report.site], [report.best_energy])
        what = "net size" if self.model.family == "haar" else "δ"
        self.sites.figure.title.text = (
            f"DP progress per site ({what} {step.resolution}, round {report.round}: site {report.site}/{report.sites})"
        )

    def _add_result(self, result: NetResult) -> None:
        self.results.append(result)
        self.progress.value = len(self.results)
        x = [result.net_size]
        self.energy.stream("Ẽ (DP)", x, [result.energy_dp])
        self.energy.stream("E (true)", x, [result.energy])
        self.error.stream("|E − Ẽ|", x, [abs(result.energy - result.energy_dp)])
        self.error.stream("bound Jη(n−1)(n−2)/2", x, [result.bound])
        e0 = self.references.get("exact E0")
        if e0 is not None and e0.energy is not None:
            self.error.stream("E − E0", x, [max(result.energy - e0.energy, 1e-16)])
            self.error.stream("|Ẽ − E0|", x, [max(abs(result.energy_dp - e0.energy), 1e-16)])
        self._draw_references()
        best = min(self.results, key=lambda r: r.energy)
        self._draw_spectra("best DP state", best.spectra)

    def _add_failure(self, failure: NetFailure) -> None:
        self.progress.value = self.progress.value + 1
        text = f"Resolution {failure.resolution}: {failure.message}"
        self.warnings.object = (self.warnings.object + "\n\n" if self.warnings.visible else "") + text
        self.warnings.visible = True

    def _x_span(self) -> tuple[float, float]:
        sizes = [r.net_size for r in self.results]
        if not sizes and self.model.family == "haar":
            sizes = list(self.resolutions)
        if not sizes:
            return 1.0, 10.0
        return min(sizes) / 1.3, max(sizes) * 1.3

    def _draw_references(self) -> None:
        low, high = self._x_span()
        for label, ref in self.references.items():
            if ref.energy is not None:
                self.energy.set(label, [low, high], [ref.energy, ref.energy])

    def _draw_spectra(self, label: str, spectra: list) -> None:
        offset = {"exact ground state": -0.15, "best DP state": 0.0, "DMRG": 0.15}[label]
        xs, ys = [], []
        for bond, values in enumerate(spectra, start=1):
            for value in values:
                if value > 1e-12:
                    xs.append(bond + offset)
                    ys.append(float(value))
        self.spectra.set(label, xs, ys)

    def _status(self) -> str:
        done = len(self.results)
        text = f"**Resolutions done: {done}** of {len(self.resolutions)} ({self._settings})"
        if self.results:
            last = self.results[-1]
            text += f" · net size {last.net_size}: Ẽ = {last.energy_dp:.6f}, E = {last.energy:.6f}"
        return text

    def _finish(self, error, stopped: bool) -> None:
        self.bar.running(False)
        if error is not None:
            self.errors.show(error)
            self.bar.say("Failed. " + self._status())
            return
        prefix = "**Stopped**." if stopped else "**Finished**."
        self.bar.say(f"{prefix} {self._status()}")
