r"""What a self-similar block-sparse TT can reach at all: a lower bound on the residuum of pair-coupled laws.

For a law of pair interactions in the angles (the dipoles of seed eq. 47 with any couplings :math:`J`)

.. math::

    f_k(x) = \sum_{l \neq k} J_{kl} \sin(x_k - x_l)
           = \sum_{l \neq k} J_{kl} (\cos x_l \sin x_k - \sin x_l \cos x_k),
    \qquad x \sim U[-\pi, \pi)^d,

learned with the dictionary :math:`\{1, \sin, \cos\}` (degrees 0, 1, 1, total degree exactly 2) and the selection
table :math:`S^L` (seed eq. 41), every term with :math:`l < k - L` reaches equation :math:`k` through the *shared*
left-outside cores. At an interface :math:`i \le k - L` (modes :math:`0..i-1` on its left, all of type 1 for
equation :math:`k`) the left factors of :math:`f_k` are the channels of the shared chain. Project the error
:math:`f_k - \hat f_k` onto :math:`A_i \otimes B_k`, :math:`A_i = \mathrm{span}\{\cos x_l, \sin x_l : l < i\}`,
:math:`B_k = \mathrm{span}\{\sin x_k, \cos x_k\}`: channels of block label 0 (constants) and 2 (products of two
factors) are orthogonal to :math:`A_i`, so only the degree-1 block survives, a space :math:`U_i` of dimension at
most its block size :math:`r_i \le \rho`. With :math:`c^{(i)}_k = (J_{kl})_{l<i}` on the cosines and the same
vector :math:`s^{(i)}_k` on the sines (orthogonal, each function of norm :math:`1/\sqrt 2`),

.. math::

    \|f_k - \hat f_k\|^2_{\text{left}} \;\ge\; \tfrac14 \left(\operatorname{dist}(c^{(i)}_k, U_i)^2
        + \operatorname{dist}(s^{(i)}_k, U_i)^2\right) \quad\text{for every } i \le k - L .

Averaging this over the interfaces of each equation with weights :math:`\alpha_{ki}` (a point of a simplex per
equation) and summing over equations, each :math:`U_i` can be optimised on its own: the best :math:`r_i`-dimensional
subspace for the stacked vectors :math:`\sqrt{\alpha_{ki}}\,(c_k; s_k)` is a truncated SVD, whose spectrum is the
one of :math:`H_i = (\sqrt{\alpha_{ki}} J_{kl})_{k, l<i}` taken twice (cosines and sines). So

.. math::

    \sum_k \|f_k - \hat f_k\|^2_{\text{left}} \;\ge\; \sum_i \tfrac14
        \sum_{j > r_i} \tilde\sigma_j(H_i)^2 , \qquad
        \tilde\sigma = (\sigma_1, \sigma_1, \sigma_2, \sigma_2, \dots),

for *every* choice of the weights, and the right-outside chain gives the same with :math:`l \ge i > k + L`; the two
parts are orthogonal and add. Divided by :math:`\sum_k \|f_k\|^2 = \tfrac12 \sum_{k \ne l} J_{kl}^2` this bounds
the relative residuum (docs/algorithms.md A1, population version) of *any* law with these block sizes and this
selection table, however it is learned and from however many samples. The weights are improved by exponentiated
supergradient ascent (the bound is concave in them); every iterate is a valid bound and the best is returned.

Our addition, not in the seed. It shows why the dipoles need :math:`\rho \ge 4` for a window of 3 modes: with
:math:`\rho = 3` the tail :math:`|k - l|^{-3}` cannot be carried below a residuum of 3.1e-3 (d = 50), while the
seed's figure reports 1.5e-3 (benchmarks/RESULTS.md, "capacity").
"""

from __future__ import annotations

import numpy as np

from explorer.dictionaries import TrigonometricDictionary
from explorer.tt.structure import BlockStructure

__all__ = ["pair_coupling_bound"]

STEP = 3.0
"""Exponentiated-gradient step, relative to the largest supergradient entry of an equation."""


def pair_coupling_bound(couplings, interaction_length: int, block_size: int, iterations: int = 200) -> float:
    """Lower bound on the relative residuum of a self-similar block-sparse TT for ``sum_l J_kl sin(x_k - x_l)``.

    Parameters
    ----------
    couplings : array_like, shape (d, d)
        :math:`J_{kl}`; the diagonal is ignored.
    interaction_length : int
        :math:`L` of the selection table (window :math:`2L + 1`).
    block_size : int
        :math:`\\rho`; the degree-1 block sizes are those of :class:`BlockStructure` with the trigonometric
        degrees and total degree exactly 2.
    iterations : int
        Ascent steps on the interface weights (more can only raise the bound).

    Returns
    -------
    float
        A number every such law's residuum is at least (0 if the couplings vanish outside the windows).
    """
    J = np.array(couplings, dtype=np.float64)
    d = J.shape[0]
    if J.shape != (d, d) or not np.all(np.isfinite(J)):
        raise ValueError("couplings must be a finite (d, d) array")
    if interaction_length < 0 or iterations < 1:
        raise ValueError("interaction_length must be >= 0 and iterations >= 1")
    np.fill_diagonal(J, 0.0)
    norm = 0.5 * np.sum(J**2)
    if norm == 0:
        raise ValueError("couplings are all zero: the relative residuum is undefined")
    sizes = BlockStructure(TrigonometricDictionary().degrees, d, block_size, [2]).label_sizes
    capacity = np.array([sizes[i].get(1, 0) for i in range(d + 1)])
    total = sum(_side_bound(side, interaction_length, capacity_side, iterations)
                for side, capacity_side in ((J, capacity), (J[::-1, ::-1], capacity[::-1])))
    return float(np.sqrt(total / norm))


def _side_bound(J, interaction_length, capacity, iterations):
    """Best left-tail bound over the weights ``alpha[k, i]`` (exponentiated supergradient ascent).

    Interface ``i`` (modes ``0..i-1`` on its left) lies in the left-outside chain of equation ``k`` when
    ``k >= i + L``; each equation's weights live on a simplex over those interfaces.
    """
    d = J.shape[0]
    interfaces = np.arange(1, d - interaction_length)
    valid = np.arange(d)[:, None] >= interfaces[None, :] + interaction_length
    if not valid.any():
        return 0.0
    alpha = valid / np.maximum(valid.sum(axis=1, keepdims=True), 1)
    best = 0.0
    for _ in range(iterations):
        value, grad = 0.0, np.zeros_like(alpha)
        for column, i in enumerate(interfaces):
            k = np.flatnonzero(valid[:, column])
            part, grad[k, column] = _interface(J[k, :i], alpha[k, column], capacity[i])
            value += part
        best = max(best, value)
        alpha = _step(alpha, grad, valid)
    return best


def _interface(rows, alpha, rank):
    """``min_U sum_k alpha_k (dist(c_k, U)^2 + dist(s_k, U)^2) / 4`` and its supergradient in ``alpha``."""
    _u, sigma, vt = np.linalg.svd(np.sqrt(alpha)[:, None] * rows, full_matrices=False)
    doubled = np.sort(np.repeat(sigma**2, 2))[::-1]
    value = 0.25 * float(np.sum(doubled[rank:]))
    norms = np.sum(rows**2, axis=1)
    kept = [np.sum((rows @ vt[:n].T) ** 2, axis=1) for n in ((rank + 1) // 2, rank // 2)]
    return value, 0.25 * (2 * norms - kept[0] - kept[1])


def _step(alpha, grad, valid):
    """Multiply each equation's weights by ``exp(STEP (g - max g) / max g)`` and renormalise."""
    top = np.where(valid, grad, -np.inf).max(axis=1, keepdims=True)
    scale = np.where(top > 0, top, 1.0)
    new = np.where(valid, alpha * np.exp(np.where(valid, STEP * (grad - top) / scale, 0.0)), 0.0)
    return new / np.maximum(new.sum(axis=1, keepdims=True), np.finfo(float).tiny)
