r"""Self-similarity: activation types and the selection table :math:`S^L` (seed Sec. 6.1, eq. 41).

For a chain with interaction length :math:`L` each mode plays one of :math:`\alpha = 2L + 3` roles in the law of
mode :math:`k`: left of the window (type 1), inside it (types :math:`2..2L+2`) or right of it (type
:math:`2L+3`):

.. math::

    S^L_{kj} = \begin{cases} 1 & j < k - L \\ 2L + 3 & j > k + L \\ j - k + L + 2 & \text{otherwise}\end{cases}
    \qquad\text{(seed eq. 41)}

The law :math:`f_k` uses core :math:`C_l^{(S_{kl})}` at position :math:`l`. Figure labels: docs/algorithms.md A5
reads the seed's "L=5" and "L=9" as the reference code's *number of activation types*, i.e. windows of 3 and 7
modes, which is :math:`L = 1` and :math:`L = 3` in eq. 41 (:func:`interaction_length_from_figure_label`). That
reading does not fit the seed's own dipole residua at :math:`\rho = 3` (1.5e-3 and 1.7e-4): no law with
:math:`\rho = 3` and those windows gets below 3.1e-3 and 5.0e-4 (:mod:`explorer.learning.capacity`), while
windows of 11 and 19 modes (eq. 41's :math:`L = 5, 9`) allow 1.6e-4 and 3.7e-5.

Indices here are 0-based for modes and equations; types keep the seed's 1-based numbering.
"""

from __future__ import annotations

import numpy as np

LEFT_TYPE = 1
"""Type of a mode left of the window."""

__all__ = [
    "selection_table",
    "activation_types",
    "LEFT_TYPE",
    "right_type",
    "equations_using",
    "interaction_length_from_figure_label",
    "window",
]


def activation_types(interaction_length: int) -> int:
    """Number of activation types ``alpha = 2L + 3``."""
    return 2 * interaction_length + 3


def right_type(interaction_length: int) -> int:
    """Type of a mode right of the window (``2L + 3``)."""
    return 2 * interaction_length + 3


def selection_table(modes: int, interaction_length: int) -> np.ndarray:
    """The table ``S[k, j]`` of seed eq. 41 for 0-based ``k, j``; entries are 1-based types."""
    if modes < 1 or interaction_length < 0:
        raise ValueError("modes must be >= 1 and interaction_length >= 0")
    k = np.arange(modes)[:, None]
    j = np.arange(modes)[None, :]
    table = j - k + interaction_length + 2
    table = np.where(j < k - interaction_length, 1, table)
    return np.where(j > k + interaction_length, 2 * interaction_length + 3, table)


def equations_using(modes: int, interaction_length: int, mode: int, kind: int) -> np.ndarray:
    """Equations ``e`` (0-based) whose law uses type ``kind`` at ``mode``: ``{e : S[e, mode] = kind}``."""
    return np.flatnonzero(selection_table(modes, interaction_length)[:, mode] == kind)


def window(modes: int, interaction_length: int, equation: int) -> range:
    """Modes of the window of ``equation``: ``max(0, k - L) .. min(d - 1, k + L)``."""
    return range(max(0, equation - interaction_length), min(modes, equation + interaction_length + 1))


def interaction_length_from_figure_label(label: int) -> int:
    """Map the seed's figure label (number of activation types of the reference code) to ``L`` of eq. 41.

    ``5 -> 1`` (window of 3 modes), ``9 -> 3`` (window of 7 modes): ``L = (label - 3) // 2``.
    """
    if label < 3 or label % 2 == 0:
        raise ValueError(f"figure label must be an odd number >= 3, got {label}")
    return (label - 3) // 2
