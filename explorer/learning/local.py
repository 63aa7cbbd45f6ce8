r"""Local problems of alternating least squares (ALGORITHMS.md A6) and the gauge fit of ALS-GMWS (A7).

With every core but one fixed, each equation is linear in the free core :math:`C`:
:math:`f_e(x) = L_e(x)^\top C[\Psi(x_l)] R_e(x)`. A design row is :math:`L_e \otimes \Psi(x_l) \otimes R_e`
restricted to the allowed entries of the block pattern; the local solve minimises the summed squared error of the
equations that use the core.

A local problem has one side common to all its equations (:class:`Common`) and one side that is either one
equation (:class:`Single`) or a sum over many (:class:`Sums`). Many equations are kept per sample as
:math:`A = \sum_e v_e v_e^\top` and :math:`c = \sum_e y_e v_e`: adding an equation is an outer product, moving the
sums across a core :math:`M` is :math:`M^\top A M`, and the design rows come from a Cholesky factor of :math:`A`.
So a core shared by ``|E|`` equations costs ``N r`` design rows instead of ``N |E|``, and the sums are carried
along the chain in :math:`O(N r^3)` per mode, never quadratic in ``d``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from explorer.tt.contraction import TINY, flush_tiny, transfer

__all__ = ["Common", "Single", "Sums", "solve_core", "solve_gauge", "psd_cholesky"]


@dataclass
class Common:
    """An environment ``v`` ``(N, r)`` shared by every equation of the problem."""

    v: np.ndarray

    def factor(self) -> np.ndarray:
        return self.v[:, :, None]

    def weighted(self) -> np.ndarray:
        return self.v


@dataclass
class Single:
    """One equation: environment ``v`` ``(N, r)`` and target ``y`` ``(N,)``."""

    v: np.ndarray
    y: np.ndarray

    def factor(self) -> np.ndarray:
        return self.v[:, :, None]

    def weighted(self) -> np.ndarray:
        return self.v * self.y[:, None]

    def sums(self) -> Sums:
        return Sums(self.v[:, :, None] * self.v[:, None, :], self.weighted())


@dataclass
class Sums:
    """Many equations: ``gram = sum_e v_e v_e^T`` ``(N, r, r)`` and ``rhs = sum_e y_e v_e`` ``(N, r)``."""

    gram: np.ndarray
    rhs: np.ndarray

    def add(self, eq: Single) -> Sums:
        return Sums(self.gram + eq.v[:, :, None] * eq.v[:, None, :], self.rhs + eq.weighted())

    def factor(self) -> np.ndarray:
        """A square root ``F`` with ``F F^T = gram`` per sample (:func:`psd_cholesky`)."""
        return psd_cholesky(self.gram)

    def weighted(self) -> np.ndarray:
        return self.rhs

    def transported_left(self, core: np.ndarray, psi: np.ndarray) -> Sums:
        """Move left environments (row vectors) across ``core``: ``v -> C[psi]^T v``."""
        m = transfer(core, psi)
        return Sums(flush_tiny(m.transpose(0, 2, 1) @ self.gram @ m), np.einsum("nrs,nr->ns", m, self.rhs))

    def transported_right(self, core: np.ndarray, psi: np.ndarray) -> Sums:
        """Move right environments (column vectors) across ``core``: ``v -> C[psi] v``."""
        m = transfer(core, psi)
        return Sums(flush_tiny(m @ self.gram @ m.transpose(0, 2, 1)), np.einsum("nrs,ns->nr", m, self.rhs))


def psd_cholesky(gram: np.ndarray) -> np.ndarray:
    """Batched Cholesky factors of positive semidefinite matrices ``(N, r, r)``, vectorised over ``N``.

    A pivot below ``1e-14`` of the largest diagonal entry of its matrix marks a direction the sums do not reach
    (fewer equations than ``r``, or rounding): that column of the factor is set to zero instead of failing.
    """
    n, r, _ = gram.shape
    factor = np.zeros_like(gram)
    floor = 1e-14 * np.einsum("nii->ni", gram).max(axis=1) + TINY
    for j in range(r):
        pivot = gram[:, j, j] - np.einsum("nk,nk->n", factor[:, j, :j], factor[:, j, :j])
        ok = pivot > floor
        root = np.sqrt(np.where(ok, pivot, 1.0))
        col = gram[:, j + 1 :, j] - np.einsum("nik,nk->ni", factor[:, j + 1 :, :j], factor[:, j, :j])
        factor[:, j, j] = np.where(ok, root, 0.0)
        factor[:, j + 1 :, j] = np.where(ok[:, None], col / root[:, None], 0.0)
    return factor


def _design(left: np.ndarray, psi: np.ndarray, right: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Rows ``(n, j)`` and the allowed columns ``(a, i, b)`` of ``left[n,a,j] psi[n,i] right[n,b,j]``.

    One of ``left`` ``(N, r_l, k)`` and ``right`` ``(N, r_r, k)`` has ``k = 1``; the rows run over the other.
    """
    n, r0, kl = left.shape
    ai, bi = np.divmod(np.flatnonzero(mask), right.shape[1])
    lp = (left.transpose(0, 2, 1)[:, :, :, None] * psi[:, None, None, :]).reshape(n, kl, -1)[:, :, ai]
    return (lp * right.transpose(0, 2, 1)[:, :, bi]).reshape(-1, ai.size)


def _rhs(left: np.ndarray, psi: np.ndarray, right: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``sum_n left[n,a] psi[n,i] right[n,b]`` over the allowed entries (one matrix product)."""
    n = left.shape[0]
    lp = (left[:, :, None] * psi[:, None, :]).reshape(n, -1)
    return (lp.T @ right).reshape(mask.shape)[mask]


def _solve_normal(gram: np.ndarray, rhs: np.ndarray, ridge: float) -> np.ndarray:
    """Min-norm (or ridge) solution of the normal equations with a rank-revealing eigensolver.

    Directions whose Gram eigenvalue is below ``1e-13`` of the largest are treated as undetermined (min-norm).
    """
    if ridge > 0:
        gram = gram + ridge * np.eye(gram.shape[0])
    vals, vecs = scipy.linalg.eigh(gram, check_finite=False, driver="evd")
    keep = vals > 1e-13 * max(vals[-1], np.finfo(float).tiny)
    solution = vecs[:, keep] @ ((vecs[:, keep].T @ rhs) / vals[keep])
    if not np.all(np.isfinite(solution)):
        raise FloatingPointError("local least-squares solution is not finite; try a positive ridge")
    return solution


def solve_core(left, psi: np.ndarray, right, mask: np.ndarray, ridge: float = 0.0) -> np.ndarray:
    """Minimise the summed loss of the equations of a local problem over the allowed entries of one core.

    ``left`` and ``right`` are :class:`Common`, :class:`Single` or :class:`Sums`; exactly one is :class:`Common`.
    Returns the core ``(r_l, p, r_{l+1})``.
    """
    if isinstance(left, Common) == isinstance(right, Common):
        raise ValueError("exactly one side of a local problem must be common to all its equations")
    design = _design(left.factor(), psi, right.factor(), mask)
    rhs = _rhs(left.weighted(), psi, right.weighted(), mask)
    core = np.zeros(mask.shape)
    core[mask] = _solve_normal(design.T @ design, rhs, ridge)
    return core


def solve_gauge(a: np.ndarray, b: np.ndarray, y: np.ndarray, blocks, ridge: float = 0.0) -> np.ndarray:
    r"""Block-diagonal ``U`` minimising :math:`\sum_n (y_n - a_n^\top U b_n)^2` (seed eq. 45).

    ``a`` and ``b`` are ``(N, r)``; ``blocks`` the blocks of the interface (``U`` keeps the block structure).
    """
    r = a.shape[1]
    pairs = [(p, q) for blk in blocks for p in range(blk.start, blk.stop) for q in range(blk.start, blk.stop)]
    rows, cols = np.array(pairs).T
    design = a[:, rows] * b[:, cols]
    u = np.zeros((r, r))
    u[rows, cols] = _solve_normal(design.T @ design, design.T @ y, ridge)
    return u
