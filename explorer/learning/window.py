r"""Laws built window by window: exact constructions and the regression warm start.

A law with interaction length :math:`L` whose :math:`f_k` depends only on the modes of its window
:math:`k-L..k+L` is a self-similar block-sparse TT with pass-through outside cores (label :math:`a \to a` through
:math:`\psi_0 = 1`) and window cores from a labelled TT-SVD of the window's coefficient tensor
(:func:`explorer.tt.construct.window_cores`).

- :func:`law_from_window_coefficients`: any such law from its coefficient tensors (e.g. FPUT, seed eq. 46, written
  exactly in the monomial or Legendre dictionary: :meth:`explorer.systems.FPUT.exact_law`).
- :func:`window_regression_law`: the *warm start* (our addition, not in the seed): every ``f_e`` is first fitted by
  linear least squares on the products of dictionary functions of its window with an allowed total degree, then
  converted to cores. ALS-GMWS sweeps then fit everything, including what lies outside the windows.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from explorer.dictionaries import Dictionary
from explorer.learning.law import SelfSimilarLaw
from explorer.learning.selection import LEFT_TYPE, right_type, window
from explorer.tt.construct import pass_through_core, sparse_window_cores, window_cores
from explorer.tt.structure import BlockStructure

__all__ = [
    "law_from_window_coefficients",
    "window_regression_law",
    "window_multi_indices",
]


def _outside_cores(law: SelfSimilarLaw) -> None:
    st, lint = law.structure, law.interaction_length
    for m, t in law.core_keys():
        if t == LEFT_TYPE:
            law.cores[(m, t)] = pass_through_core(st, m, labels={0})
        elif t == right_type(lint):
            law.cores[(m, t)] = pass_through_core(st, m)


def law_from_window_coefficients(structure, dictionary, interaction_length, coefficients) -> SelfSimilarLaw:
    """Law whose ``f_e`` has the dense coefficient tensor ``coefficients[e]`` over the modes of its window."""
    return _law_from_windows(
        structure, dictionary, interaction_length,
        lambda e, modes: window_cores(coefficients[e], structure, modes.start),
    )


def _law_from_windows(structure, dictionary, interaction_length, cores_of) -> SelfSimilarLaw:
    """Law with pass-through outside cores and window cores ``cores_of(e, modes)`` for every equation ``e``."""
    law = SelfSimilarLaw(structure, dictionary, interaction_length)
    _outside_cores(law)
    for e in range(structure.modes):
        modes = window(structure.modes, interaction_length, e)
        for m, core in zip(modes, cores_of(e, modes), strict=True):
            law.cores[(m, m - e + interaction_length + 2)] = core
    return law


def window_multi_indices(structure: BlockStructure, width: int) -> np.ndarray:
    """Multi-indices ``(i_1..i_W)`` over a window whose total degree ``sum w(i_j)`` is allowed.

    Built mode by mode, keeping only prefixes whose degree can still be allowed, so the cost follows the number of
    allowed multi-indices (723 for a degree-2 law on 19 modes of ``{1, sin, cos}``), not ``p**W``.
    """
    w = np.asarray(structure.degrees)
    allowed = np.asarray(sorted(structure.total_degrees))
    top = allowed.max()
    prefixes, degree = np.zeros((1, 0), dtype=np.int64), np.zeros(1, dtype=np.int64)
    for _ in range(width):
        grown = degree[:, None] + w[None, :]
        keep, feature = np.nonzero(grown <= top)
        prefixes = np.column_stack([prefixes[keep], feature])
        degree = grown[keep, feature]
    return prefixes[np.isin(degree, allowed)]


def window_regression_law(
    structure, dictionary: Dictionary, interaction_length, features, Y
) -> SelfSimilarLaw:
    """Warm start: per-equation least squares on its window's products of features (min-norm)."""

    def cores_of(e, modes):
        idx = window_multi_indices(structure, len(modes))
        design = np.ones((features.shape[0], idx.shape[0]))
        for j, m in enumerate(modes):
            design *= features[:, m, idx[:, j]]
        coef = scipy.linalg.lstsq(design, Y[:, e], lapack_driver="gelsd", check_finite=False)[0]
        return sparse_window_cores(idx, coef, len(modes), structure, modes.start)

    return _law_from_windows(structure, dictionary, interaction_length, cores_of)
