r"""Local problems of alternating least squares (ALGORITHMS.md A6) and the gauge fit of ALS-GMWS (A7).

With every core but one fixed, each equation is linear in the free core :math:`C`:
:math:`f_e(x) = L_e(x)^\top C[\Psi(x_l)] R_e(x)`. A design row is :math:`L_e \otimes \Psi(x_l) \otimes R_e`
restricted to the allowed entries of the block pattern; the local solve minimises the summed squared error of
the equations that use the core.

A local problem has one side common to all its equations (:class:`Common`) and one side that is either one
equation (:class:`Single`) or a sum over many (:class:`Sums`). Many equations are kept per sample in square-root
form: a factor :math:`F \in \mathbb{R}^{r \times k}` and targets :math:`t \in \mathbb{R}^k` with
:math:`\sum_e (y_e - v_e^\top z)^2 = \|t - F^\top z\|^2 + \text{const}` for every :math:`z`. Adding an equation
appends a column and a batched Householder QR of :math:`[F^\top | t]` compresses back to :math:`k \le r`
columns; moving the sums across a core :math:`M` is :math:`F \to M^\top F`. So a core shared by ``|E|``
equations costs ``N r`` design rows instead of ``N |E|``, the sums are carried along the chain in
:math:`O(N r^3)` per mode, never quadratic in ``d``, and no Gram matrix of environments is ever formed (that
would square their conditioning and stall the learner near 1e-5). The local least squares are solved from a QR of
the design itself, so exact laws are recovered to ~1e-13.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from explorer.tt.contraction import flush_tiny, transfer

__all__ = ["Common", "Single", "Sums", "solve_core", "solve_gauge", "householder_r"]


@dataclass
class Common:
    """An environment ``v`` ``(N, r)`` shared by every equation of the problem (target factor 1)."""

    v: np.ndarray

    def factor(self) -> np.ndarray:
        return self.v[:, :, None]

    def targets(self) -> np.ndarray:
        return np.ones((self.v.shape[0], 1))


@dataclass
class Single:
    """One equation: environment ``v`` ``(N, r)`` and target ``y`` ``(N,)``."""

    v: np.ndarray
    y: np.ndarray

    def factor(self) -> np.ndarray:
        return self.v[:, :, None]

    def targets(self) -> np.ndarray:
        return self.y[:, None]

    def sums(self) -> Sums:
        return Sums(self.factor(), self.targets())


@dataclass
class Sums:
    """Many equations in square-root form: ``F`` ``(N, r, k)`` and targets ``t`` ``(N, k)``, ``k <= r``."""

    F: np.ndarray
    t: np.ndarray

    def add(self, eq: Single) -> Sums:
        """Include one more equation (append a column, then compress)."""
        return _compressed(
            np.concatenate([self.F, eq.v[:, :, None]], axis=2), np.concatenate([self.t, eq.y[:, None]], axis=1)
        )

    def factor(self) -> np.ndarray:
        return self.F

    def targets(self) -> np.ndarray:
        return self.t

    def transported_left(self, core: np.ndarray, psi: np.ndarray) -> Sums:
        """Move left environments (row vectors) across ``core``: ``v -> C[psi]^T v``."""
        return _compressed(flush_tiny(np.einsum("nrs,nrk->nsk", transfer(core, psi), self.F)), self.t)

    def transported_right(self, core: np.ndarray, psi: np.ndarray) -> Sums:
        """Move right environments (column vectors) across ``core``: ``v -> C[psi] v``."""
        return _compressed(flush_tiny(np.einsum("nrs,nsk->nrk", transfer(core, psi), self.F)), self.t)


def householder_r(a: np.ndarray) -> np.ndarray:
    """Triangular factors ``R`` of the QR decompositions of a batch ``(N, k, c)``, vectorised over ``N``.

    Householder reflections (backward stable); returns ``(N, min(k, c), c)``.
    """
    a = np.array(a, dtype=np.float64)
    k, c = a.shape[1], a.shape[2]
    for j in range(min(k, c)):
        v = a[:, j:, j].copy()
        norm = np.linalg.norm(v, axis=1)
        v[:, 0] += np.where(v[:, 0] >= 0, 1.0, -1.0) * norm
        vnorm2 = np.einsum("nk,nk->n", v, v)
        scale = np.where(vnorm2 > 1e-200, 2.0 / np.maximum(vnorm2, 1e-200), 0.0)
        proj = np.einsum("nk,nkc->nc", v, a[:, j:, j:]) * scale[:, None]
        a[:, j:, j:] -= v[:, :, None] * proj[:, None, :]
    return np.triu(a[:, : min(k, c), :])


def _compressed(F: np.ndarray, t: np.ndarray) -> Sums:
    """At most ``r`` columns: the ``R`` of ``[F^T | t]`` keeps ``||t - F^T z||`` up to a constant."""
    r, k = F.shape[1], F.shape[2]
    if k <= r:
        return Sums(F, t)
    aug = householder_r(np.concatenate([F.transpose(0, 2, 1), t[:, :, None]], axis=2))
    return Sums(aug[:, :r, :r].transpose(0, 2, 1), aug[:, :r, r])


def _design(left: np.ndarray, psi: np.ndarray, right: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Rows ``(n, j)`` and the allowed columns ``(a, i, b)`` of ``left[n,a,j] psi[n,i] right[n,b,j]``.

    One of ``left`` ``(N, r_l, k)`` and ``right`` ``(N, r_r, k)`` has ``k = 1``; the rows run over the other.
    """
    n, kl = left.shape[0], left.shape[2]
    ai, bi = np.divmod(np.flatnonzero(mask), right.shape[1])
    lp = (left.transpose(0, 2, 1)[:, :, :, None] * psi[:, None, None, :]).reshape(n, kl, -1)[:, :, ai]
    return (lp * right.transpose(0, 2, 1)[:, :, bi]).reshape(-1, ai.size)


def _min_norm_lstsq(design: np.ndarray, target: np.ndarray, ridge: float) -> np.ndarray:
    """Min-norm (or ridge) least squares from the triangle of a QR of ``[design | target]`` and its SVD.

    Only ``R`` is computed (no ``Q``); conditioning is never squared. Singular values below ``1e-12`` of the
    largest are treated as zero.
    """
    m = design.shape[1]
    if ridge > 0:
        design = np.vstack([design, np.sqrt(ridge) * np.eye(m)])
        target = np.concatenate([target, np.zeros(m)])
    augmented = np.column_stack([design, target])
    if augmented.shape[0] > m + 1:
        augmented = scipy.linalg.qr(augmented, mode="r", overwrite_a=True, check_finite=False)[0][: m + 1]
    u, sv, vt = np.linalg.svd(augmented[:, :m], full_matrices=False)
    keep = sv > 1e-12 * sv.max(initial=np.finfo(float).tiny)
    solution = vt[keep].T @ ((u[:, keep].T @ augmented[:, m]) / sv[keep])
    if not np.all(np.isfinite(solution)):
        raise FloatingPointError("local least-squares solution is not finite; try a positive ridge")
    return solution


def solve_core(left, psi: np.ndarray, right, mask: np.ndarray, current: np.ndarray, ridge: float = 0.0):
    """Minimise the summed loss of the equations of a local problem over the allowed entries of one core.

    ``left`` and ``right`` are :class:`Common`, :class:`Single` or :class:`Sums`; exactly one is :class:`Common`.
    The solution closest to ``current`` is returned (min-norm *update*): directions the data do not determine
    keep their value instead of being zeroed. With ``ridge > 0`` the update is penalised.
    Returns the core ``(r_l, p, r_{l+1})``.
    """
    if isinstance(left, Common) == isinstance(right, Common):
        raise ValueError("exactly one side of a local problem must be common to all its equations")
    design = _design(left.factor(), psi, right.factor(), mask)
    target = (left.targets()[:, :, None] * right.targets()[:, None, :]).ravel() - design @ current[mask]
    core = current.copy()
    core[mask] += _min_norm_lstsq(design, target, ridge)
    return core


def solve_gauge(a: np.ndarray, b: np.ndarray, y: np.ndarray, blocks, ridge: float = 0.0) -> np.ndarray:
    r"""Block-diagonal ``U`` minimising :math:`\sum_n (y_n - a_n^\top U b_n)^2` (seed eq. 45).

    ``a`` and ``b`` are ``(N, r)``; ``blocks`` the blocks of the interface (``U`` keeps the block structure). The
    solution closest to the identity is returned, so directions the data do not determine are left unchanged.
    """
    r = a.shape[1]
    pairs = [(p, q) for blk in blocks for p in range(blk.start, blk.stop) for q in range(blk.start, blk.stop)]
    rows, cols = np.array(pairs).T
    design = a[:, rows] * b[:, cols]
    u = np.eye(r)
    u[rows, cols] += _min_norm_lstsq(design, y - np.einsum("nr,nr->n", a, b), ridge)
    return u
