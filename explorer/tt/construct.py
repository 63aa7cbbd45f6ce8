r"""Constructing block-sparse TT cores from known coefficients (exact representations, warm starts).

:func:`window_cores` turns the coefficient tensor of a function of a few consecutive modes (a window),
:math:`g(x) = \sum_{i_1..i_W} c_{i_1..i_W} \psi_{i_1}(x_1) \cdots \psi_{i_W}(x_W)`, into block-sparse cores by a
TT-SVD that respects the degree labels: at each step the rows feeding label :math:`b` (pairs :math:`(a, i)` with
:math:`a + w(i) = b`, seed eq. 19) are factorised on their own, so every factor keeps the block pattern. The first
core reads label 0 (entry 0) of its left interface; the last core writes the value of degree :math:`b` into entry 0
of label :math:`b`. Ranks above the block sizes of the structure are truncated by the SVD (best approximation per
label).

:func:`pass_through_core` gives the cores outside a window: label :math:`a \to a` through the constant feature
:math:`\psi_0 = 1`, so :math:`f_k` does not depend on those modes.
"""

from __future__ import annotations

import numpy as np

from explorer.tt.structure import BlockStructure

__all__ = ["window_cores", "sparse_window_cores", "pass_through_core"]


def pass_through_core(structure: BlockStructure, mode: int, labels=None) -> np.ndarray:
    """Identity on the blocks of ``labels`` (all labels by default) through feature 0 at ``mode``."""
    core = np.zeros(structure.masks[mode].shape)
    right = {b.label: b for b in structure.label_blocks(mode + 1)}
    for a in structure.label_blocks(mode):
        b = right.get(a.label)
        if b is None or (labels is not None and a.label not in labels):
            continue
        k = min(a.size, b.size)
        core[a.start + np.arange(k), 0, b.start + np.arange(k)] = 1.0
    return core


def _offsets(structure: BlockStructure, interface: int) -> dict[int, object]:
    return {b.label: b for b in structure.label_blocks(interface)}


def window_cores(coeffs: np.ndarray, structure: BlockStructure, start: int, tol: float = 1e-13) -> list:
    """Cores for modes ``start .. start + W - 1`` representing the window function with coefficients ``coeffs``.

    Parameters
    ----------
    coeffs : numpy.ndarray
        Shape ``(p,) * W``; entries whose degree is not allowed must vanish.
    structure : BlockStructure
    start : int
        First mode of the window (0-based).
    tol : float
        Singular values below ``tol`` times the largest of their label are dropped.
    """
    coeffs = np.asarray(coeffs, dtype=float)
    indices = np.argwhere(coeffs != 0)
    return sparse_window_cores(indices, coeffs[tuple(indices.T)], coeffs.ndim, structure, start, tol)


def sparse_window_cores(indices, values, width: int, structure: BlockStructure, start: int, tol: float = 1e-13):
    """:func:`window_cores` for coefficients given by their nonzero entries.

    The labelled TT-SVD never forms the ``p**W`` tensor: the unfolding at each interface has one column per
    distinct suffix multi-index that occurs, so wide windows (e.g. ``W = 19`` with a degree-2 law: 723 allowed
    multi-indices against ``3**19``) cost what their nonzero coefficients cost.

    Parameters
    ----------
    indices : array_like of int, shape (n, W)
        Distinct multi-indices ``(i_1..i_W)`` of the nonzero coefficients.
    values : array_like of float, shape (n,)
    width : int
        Window width ``W`` (so that an all-zero window still gets its ``W`` cores).
    structure, start, tol
        As in :func:`window_cores`.
    """
    indices = np.asarray(indices, dtype=np.int64).reshape(-1, width)
    state = {0: (np.asarray(values, dtype=float)[None, :], indices)}
    cores = []
    for j in range(width):
        core, state = _window_step(structure, start + j, state, last=j == width - 1, tol=tol)
        cores.append(core)
    return cores


def _window_step(structure: BlockStructure, mode: int, state: dict, last: bool, tol: float):
    """One labelled factorisation: rows ``(left row, feature i)`` feeding label ``b``, columns the suffixes."""
    w = structure.degrees
    core = np.zeros(structure.masks[mode].shape)
    left = _offsets(structure, mode)
    new_state = {}
    for b_label, blk_b in _offsets(structure, mode + 1).items():
        rows, pieces = [], []
        for a_label, (mat, suffixes) in state.items():
            for i in np.flatnonzero(a_label + w == b_label):
                cols = suffixes[:, 0] == i
                rows.extend((left[a_label].start + r, i) for r in range(mat.shape[0]))
                pieces.append((mat[:, cols], suffixes[cols, 1:]))
        if not pieces:
            continue
        stacked, suffixes = _align_columns(pieces)
        u, carry = _factor(stacked, blk_b.size, tol, last)
        if u.shape[1] == 0:
            continue
        for row, (r, i) in enumerate(rows):
            core[r, i, blk_b.start : blk_b.start + u.shape[1]] = u[row]
        new_state[b_label] = (carry, suffixes)
    return core, new_state


def _align_columns(pieces):
    """Stack row blocks whose columns are labelled by suffixes onto the union of those suffixes."""
    every = np.vstack([suffixes for _, suffixes in pieces])
    union, position = np.unique(every, axis=0, return_inverse=True)
    position = position.reshape(-1)
    stacked = np.zeros((sum(mat.shape[0] for mat, _ in pieces), max(union.shape[0], 1)))
    row = col = 0
    for mat, suffixes in pieces:
        stacked[row : row + mat.shape[0], position[col : col + suffixes.shape[0]]] = mat
        row, col = row + mat.shape[0], col + suffixes.shape[0]
    return stacked, union


def _factor(stacked: np.ndarray, size: int, tol: float, last: bool):
    """Split rows ``stacked = U @ carry`` with at most ``size`` columns in ``U`` (truncated SVD)."""
    if last:
        if not np.any(stacked):
            return np.zeros((stacked.shape[0], 0)), None
        return stacked[:, :1], None
    u, s, vt = np.linalg.svd(stacked, full_matrices=False)
    keep = min(size, int(np.sum(s > tol * s[0]))) if s.size and s[0] > 0 else 0
    return u[:, :keep], s[:keep, None] * vt[:keep]
