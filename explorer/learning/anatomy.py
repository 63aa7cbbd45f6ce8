"""The anatomy of a self-similar law, as the pages and notebooks show it: roles of the activation types, the
magnitudes of a core's blocks and the parameter counts of the ansatz against its alternatives.

Domain logic only (no plotting): :func:`type_name` names the role of a type of the selection table (seed eq. 41),
:func:`block_cells` lays out the block norms of one core (seed eq. 19), :func:`parameter_counts` counts the allowed
entries of a block structure, of the self-similar law and of the dense and full alternatives.
"""

from __future__ import annotations

import numpy as np

from explorer.learning.law import SelfSimilarLaw
from explorer.learning.selection import right_type, selection_table
from explorer.tt.structure import BlockStructure

__all__ = ["type_name", "block_cells", "parameter_counts"]


def type_name(kind: int, interaction_length: int) -> str:
    """Role of an activation type (seed eq. 41): left of the window, a window position, or right of it."""
    if kind == 1:
        return "t=1 (left of window)"
    if kind == right_type(interaction_length):
        return f"t={kind} (right of window)"
    return f"t={kind} (window offset {kind - interaction_length - 2:+d})"


def block_cells(law: SelfSimilarLaw, mode: int, kind: int):
    """Cells of the block-magnitude map of core ``(mode, kind)``.

    One cell per left block label ``a`` and dictionary function ``i``: the norm of the block ``(a, i, b)`` summed
    over right labels ``b`` (a block-sparse core has one allowed ``b = a + w(i)``, given as the cell text; NaN marks
    a forbidden block). Returns ``xs`` (function names), ``ys`` (``a=<label>``), values, texts and the two axes'
    factors (function names; labels from the top down).
    """
    norms = law.block_norms(mode, kind)
    st = law.structure
    left = [b.label for b in st.label_blocks(mode)]
    right = {b.label for b in st.label_blocks(mode + 1)}
    names = law.dictionary.feature_names()
    xs, ys, values, texts = [], [], [], []
    for a_index, a in enumerate(left):
        for i, name in enumerate(names):
            target = a + int(st.degrees[i])
            allowed = st.dense or target in right
            xs.append(name)
            ys.append(f"a={a}")
            values.append(float(np.sqrt(np.sum(norms[a_index, i] ** 2))) if allowed else np.nan)
            texts.append(f"→{target}" if allowed and not st.dense else "")
    return xs, ys, values, texts, names, [f"a={a}" for a in reversed(left)]


def parameter_counts(structure: BlockStructure, interaction_length: int) -> dict[str, int]:
    """Allowed entries of one block-sparse TT, of the self-similar law, of dense TTs and of the full tensor."""
    d = structure.modes
    lint = min(interaction_length, d - 1)
    table = selection_table(d, lint)
    per_mode = [int(structure.masks[m].sum()) for m in range(d)]
    shared = sum(len(np.unique(table[:, m])) * per_mode[m] for m in range(d))
    return {
        "block-sparse TT (one equation)": structure.parameter_count(),
        f"self-similar law, all d equations (L={lint})": shared,
        "d independent block-sparse TTs": d * structure.parameter_count(),
        "dense TT, same ranks (one equation)": structure.dense_parameter_count(),
        "full coefficient tensor p^d (one equation)": structure.full_tensor_count(),
    }
