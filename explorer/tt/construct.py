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

__all__ = ["window_cores", "pass_through_core"]


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
    w = structure.degrees
    width = coeffs.ndim
    state = {0: coeffs.reshape(1, -1)}
    cores = []
    for j in range(width):
        mode = start + j
        core = np.zeros(structure.masks[mode].shape)
        left, right = _offsets(structure, mode), _offsets(structure, mode + 1)
        new_state = {}
        for b_label, blk_b in right.items():
            rows, pieces = [], []
            for a_label, mat in state.items():
                for i in np.flatnonzero(a_label + w == b_label):
                    rest = mat.reshape(mat.shape[0], structure.size, -1)[:, i, :]
                    rows.extend((left[a_label].start + r, i) for r in range(mat.shape[0]))
                    pieces.append(rest)
            if not pieces:
                continue
            stacked = np.vstack(pieces)
            u, carry = _factor(stacked, blk_b.size, tol, last=j == width - 1)
            if u.shape[1] == 0:
                continue
            for row, (r, i) in enumerate(rows):
                core[r, i, blk_b.start : blk_b.start + u.shape[1]] = u[row]
            new_state[b_label] = carry
        cores.append(core)
        state = new_state
    return cores


def _factor(stacked: np.ndarray, size: int, tol: float, last: bool):
    """Split rows ``stacked = U @ carry`` with at most ``size`` columns in ``U`` (truncated SVD)."""
    if last:
        if not np.any(stacked):
            return np.zeros((stacked.shape[0], 0)), None
        return stacked[:, :1], None
    u, s, vt = np.linalg.svd(stacked, full_matrices=False)
    keep = min(size, int(np.sum(s > tol * s[0]))) if s.size and s[0] > 0 else 0
    return u[:, :keep], s[:keep, None] * vt[:keep]
