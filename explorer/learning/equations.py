r"""A learned law as readable equations: the terms of each :math:`f_k` with their coefficients.

Every dictionary used here contains the constant :math:`\psi_0 = 1`, so the coefficient of a product
:math:`\prod_{m \in W} \psi_{i_m}(x_m)` over a set of modes :math:`W` (all other modes at :math:`\psi_0`) is one
entry of the equation's coefficient tensor (seed eq. 18):

.. math:: c_{i_W} = \Big(\prod_{m < W} C_m[0]\Big) \prod_{m \in W} C_m[i_m] \Big(\prod_{m > W} C_m[0]\Big)\mathbf{1}.

:func:`window_coefficients` contracts these entries for the modes ``k - r .. k + r`` (``r`` defaults to the law's
``L``). For the Legendre dictionary they are converted to monomials with the one-mode change of basis
:math:`\psi_i(x) = \sum_j B_{ij} x^j` on every axis. What lies outside the reported modes is not lost silently:
:func:`equations` also returns, per equation, the Frobenius norm of all coefficients of the equation's tensor
train (in the dictionary's basis, an :math:`L^2` norm for the orthonormal Legendre basis) and of the part it did
not report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from explorer.dictionaries import Dictionary

if TYPE_CHECKING:
    from explorer.learning.law import SelfSimilarLaw

MONOMIAL_BASIS, DICTIONARY_BASIS = "monomial", "dictionary"
BASES = (MONOMIAL_BASIS, DICTIONARY_BASIS)
"""Bases the terms can be written in: monomials (polynomial dictionaries) or the dictionary's own functions."""

__all__ = ["BASES", "Term", "EquationTerms", "window_coefficients", "equations", "format_equations"]


@dataclass(frozen=True)
class Term:
    """One term ``coefficient * prod_j f_j(x_{modes[j]})``; ``indices[j]`` is the power (monomial basis) or the
    dictionary index of mode ``modes[j]``."""

    modes: tuple[int, ...]
    indices: tuple[int, ...]
    coefficient: float


@dataclass(frozen=True)
class EquationTerms:
    """The reported terms of ``f_equation``, the basis they are written in, and what was left out.

    ``total_norm`` is the Frobenius norm of every dictionary coefficient of the equation; ``unreported_norm`` that
    of the coefficients on modes outside ``modes`` (both in the dictionary's basis). ``equation`` and ``modes`` are
    0-based indices (the text of :func:`format_equations` names them from ``x1``).
    """

    equation: int
    modes: tuple[int, ...]
    basis: str
    terms: tuple[Term, ...]
    total_norm: float
    unreported_norm: float


def _constant_chain(law: SelfSimilarLaw, row: np.ndarray, modes: range) -> np.ndarray:
    """Product of the cores of ``modes`` at dictionary index 0 (the constant function)."""
    ranks = law.structure.ranks
    v = np.eye(ranks[modes.start])
    for m in modes:
        v = v @ law.cores[(m, int(row[m]))][:, 0, :]
    return v


def window_coefficients(law: SelfSimilarLaw, equation: int, radius: int | None = None) -> tuple[range, np.ndarray]:
    """Dictionary coefficients of ``f_equation`` over the modes ``equation - radius .. equation + radius``.

    Returns the modes and a tensor of shape ``(p,) * len(modes)``; every other mode is at ``psi_0 = 1``.
    """
    d = law.modes
    radius = law.interaction_length if radius is None else int(radius)
    if radius < 0:
        raise ValueError(f"radius must be >= 0, got {radius}")
    if not 0 <= equation < d:
        raise ValueError(f"equation must be in 0..{d - 1}, got {equation}")
    modes = range(max(0, equation - radius), min(d, equation + radius + 1))
    row = law.table[equation]
    left = _constant_chain(law, row, range(0, modes.start))
    right = _constant_chain(law, row, range(modes.stop, d)) @ np.ones(law.structure.ranks[d])
    tensor = left[0]
    for m in modes:
        tensor = np.tensordot(tensor, law.cores[(m, int(row[m]))], axes=([-1], [0]))
    return modes, tensor @ right


def _gram(gram: np.ndarray, core: np.ndarray) -> np.ndarray:
    return np.einsum("ab,aic,bid->cd", gram, core, core)


def _norms(law: SelfSimilarLaw, equation: int, modes: range) -> tuple[float, float]:
    """Frobenius norms of all dictionary coefficients of ``f_equation`` and of those not supported on ``modes``.

    Two Gram matrices run along the chain: ``z`` over index choices with every mode outside ``modes`` at 0 and
    ``u`` over all other choices; ``u`` only accumulates positive terms, so small unreported norms are exact.
    """
    row = law.table[equation]
    z, u = np.ones((1, 1)), np.zeros((1, 1))
    for m in range(law.modes):
        core = law.cores[(m, int(row[m]))]
        u_next = _gram(u, core)
        if m in modes:
            z = _gram(z, core)
        else:
            u_next += _gram(z, core[:, 1:])
            z = _gram(z, core[:, :1])
        u = u_next
    ones = np.ones(z.shape[0])
    reported, unreported = max(ones @ z @ ones, 0.0), max(ones @ u @ ones, 0.0)
    return float(np.sqrt(reported + unreported)), float(np.sqrt(unreported))


def _to_monomials(law: SelfSimilarLaw, modes: range, tensor: np.ndarray) -> np.ndarray:
    """Rewrite Legendre coefficients in monomials: ``c'_j = sum_i c_i prod_m B_m[i_m, j_m]``."""
    for axis, m in enumerate(modes):
        basis = np.linalg.inv(law.dictionary.monomial_change_of_basis(m, law.modes))
        tensor = np.moveaxis(np.tensordot(tensor, basis, axes=([axis], [0])), -1, axis)
    return tensor


def _terms(modes: range, tensor: np.ndarray, threshold: float) -> tuple[Term, ...]:
    order = sorted(zip(*np.nonzero(np.abs(tensor) > threshold), strict=True), key=lambda idx: (sum(idx), idx[::-1]))
    terms = []
    for idx in order:
        used = tuple((m, int(i)) for m, i in zip(modes, idx, strict=True) if i > 0)
        terms.append(Term(tuple(m for m, _ in used), tuple(i for _, i in used), float(tensor[idx])))
    return tuple(terms)


def equations(
    law: SelfSimilarLaw, threshold: float = 1e-6, basis: str = "auto", radius: int | None = None
) -> list[EquationTerms]:
    """The terms of every equation with ``|coefficient| > threshold``.

    Parameters
    ----------
    law : SelfSimilarLaw
    threshold : float
        Terms with smaller absolute coefficients are dropped (they still count in ``unreported_norm`` only if
        they lie outside the reported modes).
    basis : {"auto", "monomial", "dictionary"}
        ``"auto"``: monomials for polynomial dictionaries, the dictionary's own functions otherwise.
    radius : int, optional
        Report modes ``k - radius .. k + radius`` (default: the law's interaction length ``L``).
    """
    if threshold < 0 or not np.isfinite(threshold):
        raise ValueError(f"threshold must be a finite number >= 0, got {threshold}")
    dictionary = law.dictionary
    if basis == "auto":
        basis = MONOMIAL_BASIS if dictionary.polynomial else DICTIONARY_BASIS
    if basis not in BASES:
        raise ValueError(f"basis must be 'auto' or one of {BASES}, got {basis!r}")
    in_monomials = basis == MONOMIAL_BASIS
    if in_monomials and not dictionary.polynomial:
        raise ValueError("basis='monomial' needs a polynomial dictionary (legendre or monomial)")
    result = []
    for k in range(law.modes):
        modes, tensor = window_coefficients(law, k, radius)
        total, unreported = _norms(law, k, modes)
        if in_monomials:
            tensor = _to_monomials(law, modes, tensor)
        result.append(EquationTerms(k, tuple(modes), basis, _terms(modes, tensor, threshold), total, unreported))
    return result


def _factor(dictionary: Dictionary, basis: str, mode: int, index: int) -> str:
    var = f"x{mode + 1}"
    if basis == MONOMIAL_BASIS:
        return var if index == 1 else f"{var}^{index}"
    return dictionary.function_label(index, var)


def _format_term(term: Term, dictionary: Dictionary, basis: str) -> str:
    factors = [_factor(dictionary, basis, m, i) for m, i in zip(term.modes, term.indices, strict=True)]
    magnitude = f"{abs(term.coefficient):.10g}"
    body = " ".join([magnitude, *factors]) if factors else magnitude
    return ("- " if term.coefficient < 0 else "+ ") + body


def format_equations(law: SelfSimilarLaw, rows: list[EquationTerms], order: int = 1) -> str:
    """Text like ``x3'' = + 1 x2 - 2 x3 + ...``, one line per equation; ``order`` sets the number of primes.

    Modes are named from 1 (``x1`` to ``xd``, as the dashboard counts equations from k = 1); the fields of
    :class:`EquationTerms` stay 0-based indices.

    The dictionary functions are named ``P<i>(x)`` (orthonormal Legendre), ``sin(x)``/``cos(x)`` or powers.
    """
    lines = []
    for eq in rows:
        body = " ".join(_format_term(t, law.dictionary, eq.basis) for t in eq.terms) or "0"
        lhs = f"x{eq.equation + 1}" + "'" * order
        shown = eq.unreported_norm > 1e-8 * max(eq.total_norm, 1.0)
        note = f"   [terms on other modes: norm {eq.unreported_norm:.1e}]" if shown else ""
        lines.append(f"{lhs} = {body.removeprefix('+ ')}{note}")
    return "\n".join(lines)
