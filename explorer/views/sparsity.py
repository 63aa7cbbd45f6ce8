"""The Sparsity page: the block pattern of every slice of a core, block sizes and parameter counts.

For a dictionary, a degree bound lambda, a block size rho, ``d`` modes and a core ``l``, every slice
:math:`(C_l)_i` is drawn entry by entry: allowed entries (block ``(a, b)`` with ``b = a + w(i)``, seed eq. 19)
coloured, forbidden ones grey, block boundaries as lines and block labels along the edges. With ``rho = 1`` the
pictures are the seed's eqs. 23, 25 and 48 (buttons set those examples). When the session has a learned law with
the same structure, the allowed entries show the magnitudes of its core instead.
"""

from __future__ import annotations

import numpy as np
import panel as pn
import param

from explorer.dictionaries import Dictionary
from explorer.learning.anatomy import parameter_counts, type_name
from explorer.learning.law import SelfSimilarLaw
from explorer.learning.learner import Learner
from explorer.views.controls import SIDEBAR_WIDTH, WIDGET_WIDTH, ErrorBox, checkbox, int_input, param_controls, select
from explorer.views.plots import Heatmap, MatrixMosaic
from explorer.views.session import SessionState
from explorer.views.worker import ui_callback

__all__ = ["SparsityPage", "SparsitySettings", "SEED_EXAMPLES", "slice_tiles"]

SEED_EXAMPLES = {
    "eq. (23)": dict(dictionary="monomial", degree=2, total_degree=3, exact_degree=False, block_size=1),
    "eq. (25)": dict(dictionary="trigonometric", degree=1, total_degree=3, exact_degree=False, block_size=1),
    "eq. (48)": dict(dictionary="trigonometric", degree=1, total_degree=2, exact_degree=True, block_size=1),
}
"""Learner settings that reproduce the seed's block patterns (block size 1: one entry per block)."""

TILE_COLUMNS = 4


class SparsitySettings(param.Parameterized):
    """Size of the chain and the core on display."""

    modes = param.Integer(default=10, bounds=(1, 200), doc="Number of modes d.")
    core = param.Integer(default=5, bounds=(1, 200), doc="Core l (1-based) whose slices (C_l)_i are drawn.")
    overlay = param.Boolean(
        default=True, doc="Colour allowed entries by |C| of the session's learned law when its structure matches."
    )

    @param.depends("modes", watch=True, on_init=True)
    def _core_bounds(self):
        self.param.core.bounds = (1, self.modes)
        self.core = min(self.core, self.modes)


def slice_tiles(structure, core: int, names: list[str], values: np.ndarray | None = None) -> list[dict]:
    """Mosaic tiles of the slices ``(C_core)_i`` (0-based ``core``): mask or ``|values|`` on allowed entries."""
    mask = structure.masks[core]
    shown = mask.astype(np.float64) if values is None else np.abs(values)
    rows = [(b.start, b.stop, b.label) for b in structure.label_blocks(core)]
    cols = [(b.start, b.stop, b.label) for b in structure.label_blocks(core + 1)]
    tiles = []
    for i, name in enumerate(names):
        matrix = np.where(mask[:, i, :], shown[:, i, :], np.nan)
        caption = f"(C_{core + 1})_{i + 1}: ψ = {name}, w = {int(structure.degrees[i])}"
        tiles.append({"matrix": matrix, "caption": caption, "row_blocks": rows, "col_blocks": cols})
    return tiles


def _format_count(value: int) -> str:
    return f"{value:,}" if value < 10**12 else f"{float(value):.3e}"


def _same_structure(law: SelfSimilarLaw | None, structure) -> bool:
    if law is None:
        return False
    mine, theirs = structure.describe(), law.structure.describe()
    return {k: v for k, v in mine.items() if k != "dense"} == {k: v for k, v in theirs.items() if k != "dense"}


class SparsityPage:
    """Controls and charts of the Sparsity page; redraws on every change of the settings or the session law."""

    title = "Sparsity patterns"

    def __init__(self, session: SessionState | None = None, learner: Learner | None = None,
                 settings: SparsitySettings | None = None):
        self.session = session or SessionState()
        self.learner = learner or Learner(method="gmws")
        self.settings = settings or SparsitySettings()
        self.structure = None
        self.errors = ErrorBox()
        self.mosaic = MatrixMosaic("Slices (C_l)_i", diverging=False, log=True, bar_title="|C|", width=760,
                                   height=420)
        self.sizes = Heatmap("Block sizes per interface", "interface", "block label", log=False, integer=True,
                             bar_title="size", width=760, height=260)
        self.counts = pn.pane.Markdown("", sizing_mode="stretch_width")
        self.overlay_note = pn.pane.Markdown("", sizing_mode="stretch_width")
        self.core_type = pn.widgets.Select(label="Core type of the learned law", options={}, width=WIDGET_WIDTH,
                                           description="Activation type t of the overlaid core C_l^(t).")
        self.match_button = pn.widgets.Button(label="Use the learned law's structure", width=WIDGET_WIDTH)
        self.match_button.on_click(ui_callback(lambda _e: self.match_law()))
        self.learner.param.watch(self._changed, ["dictionary", "degree", "total_degree", "exact_degree",
                                                 "block_size", "interaction_length"])
        self.settings.param.watch(self._changed, ["modes", "core", "overlay"])
        self.core_type.param.watch(self._changed, "value")
        self.session.param.watch(self._changed, "law")
        self.panel = self._layout()
        self.refresh()

    def _layout(self) -> pn.Row:
        examples = pn.Row(*[self._example_button(label) for label in SEED_EXAMPLES], sizing_mode="stretch_width")
        controls = pn.Column(
            "### Structure",
            param_controls(self.learner, {
                "dictionary": select("Dictionary"), "degree": int_input("Degree of the dictionary"),
                "total_degree": int_input("λ (total degree bound)"),
                "exact_degree": checkbox("Total degree exactly λ"),
                "block_size": int_input("ρ (max block size)"),
                "interaction_length": int_input("L (for the parameter count)"),
            }),
            param_controls(self.settings, {"modes": int_input("d (modes)"), "core": int_input("Core l")}),
            "Seed examples (ρ = 1):", examples,
            "### Learned law",
            param_controls(self.settings, {"overlay": checkbox("Overlay magnitudes of the learned core")}),
            self.core_type, self.match_button, self.overlay_note, self.errors.pane,
            width=SIDEBAR_WIDTH,
        )
        return pn.Row(controls, pn.Column(self.mosaic.figure, self.sizes.figure, self.counts), name=self.title)

    def _example_button(self, label: str) -> pn.widgets.Button:
        button = pn.widgets.Button(label=label, width=80)
        button.on_click(lambda _e: self.learner.param.update(**SEED_EXAMPLES[label]))
        return button

    @ui_callback
    def _changed(self, *_events) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the structure from the settings and redraw everything (errors become a message)."""
        try:
            dictionary = self.learner.make_dictionary()
            self.structure = self.learner.structure(self.settings.modes, dictionary)
        except ValueError as exc:
            self.errors.show(exc, prefix="No block structure")
            return
        self.errors.clear()
        self._draw_slices(dictionary)
        self._draw_sizes()
        self._draw_counts()

    def learned_core(self) -> np.ndarray | None:
        """The session law's core at the displayed mode and type, when the overlay applies."""
        law = self.session.law
        if not (self.settings.overlay and _same_structure(law, self.structure)):
            return None
        mode = self.settings.core - 1
        kinds = sorted(t for m, t in law.cores if m == mode)
        options = {type_name(t, law.interaction_length): t for t in kinds}
        kind = self.core_type.value if self.core_type.value in kinds else kinds[-1]
        if options != self.core_type.options or self.core_type.value != kind:
            self.core_type.param.update(options=options, value=kind)
        return law.cores[(mode, kind)]

    def _draw_slices(self, dictionary: Dictionary) -> None:
        names = dictionary.feature_names()
        core = self.learned_core()
        self._describe_overlay(core is not None)
        tiles = slice_tiles(self.structure, self.settings.core - 1, names, core)
        self.mosaic.update(tiles, TILE_COLUMNS, scale=core is not None)
        what = "|C| of the learned core" if core is not None else "allowed entries (colour) vs forbidden (grey)"
        self.mosaic.figure.title.text = (
            f"Slices of core l={self.settings.core}: {what}; rows: left label a, columns: right label b = a + w(i)"
        )

    def _describe_overlay(self, shown: bool) -> None:
        law = self.session.law
        self.core_type.visible = shown
        self.match_button.visible = law is not None and not _same_structure(law, self.structure)
        if law is None:
            self.overlay_note.object = "No learned law yet: run the Learn page to overlay its core magnitudes."
        elif shown:
            self.overlay_note.object = f"Overlay: {self.session.law_label}."
        elif not self.settings.overlay:
            self.overlay_note.object = "Overlay off."
        else:
            self.overlay_note.object = f"The learned law ({self.session.law_label}) has another structure."

    def _draw_sizes(self) -> None:
        st = self.structure
        labels = sorted({b.label for k in range(st.modes + 1) for b in st.label_blocks(k)})
        xs, ys, values = [], [], []
        for k in range(st.modes + 1):
            for block in st.label_blocks(k):
                xs.append(str(k))
                ys.append(f"a={block.label}")
                values.append(block.size)
        self.sizes.update(xs, ys, values, [str(v) for v in values], [str(k) for k in range(st.modes + 1)],
                          [f"a={a}" for a in reversed(labels)])
        self.sizes.figure.title.text = f"Block sizes per interface (ranks r = {st.ranks})"

    def _draw_counts(self) -> None:
        counts = parameter_counts(self.structure, self.learner.interaction_length)
        rows = "\n".join(f"| {name} | {_format_count(value)} |" for name, value in counts.items())
        st = self.structure
        self.counts.object = (
            f"**Parameter counts** (p = {st.size}, d = {st.modes}, max rank {max(st.ranks)})\n\n"
            f"| ansatz | entries |\n|---|---:|\n{rows}"
        )

    def match_law(self) -> None:
        """Set the structure controls to those of the session's learned law."""
        law = self.session.law
        if law is None:
            return
        st = law.structure
        exact = len(st.total_degrees) == 1 and st.total_degrees[0] > 0
        with param.parameterized.batch_call_watchers(self.learner):
            self.learner.param.update(dictionary=law.dictionary.name, degree=max(int(st.degrees.max()), 1),
                                      total_degree=st.max_degree, exact_degree=exact,
                                      block_size=st.block_size, interaction_length=law.interaction_length)
        self.settings.modes = st.modes
