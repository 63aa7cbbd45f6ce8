r"""Compiled per-sample kernels of the summed local problems (:mod:`explorer.learning.local`).

Many equations sharing a core are kept in square-root form: per sample :math:`n` a factor
:math:`F_n \in \mathbb{R}^{r \times k}` and targets :math:`t_n \in \mathbb{R}^k`. Every operation on them is a
loop over samples of tiny matrix products (``r`` and ``k`` are a few to a few tens), which NumPy's batched
routines run far below the machine's speed. These kernels store the samples *last* (``F[j, s, n]``, ``t[j, n]``)
so that the innermost loop runs over contiguous samples and compiles to vector instructions (Numba, with
re-association allowed: sums are accumulated in a different order than in a plain loop, to rounding).

- :func:`transport`: :math:`F_n \to M_n^\top F_n` or :math:`M_n F_n` with :math:`M_n = C[\psi_n]` (seed eq. 4);
  entries below ``TINY`` are flushed to zero (:func:`explorer.tt.contraction.flush_tiny`).
- :func:`compress`: the triangle ``R`` of a Householder QR of :math:`[F_n^\top \mid t_n]` per sample, keeping
  :math:`\|t_n - F_n^\top z\|^2` up to a constant for every ``z``.
- :func:`weights`: :math:`W_n = F_n F_n^\top`.
- :func:`factored_gram`, :func:`factored_matvec`, :func:`factored_rmatvec`: the Gram matrix and products of the
  design with rows :math:`(j, n)` equal to :math:`\phi_{nu} F_{j s_u n}`
  (:class:`~explorer.learning.local.FactoredDesign`), and :func:`factored_rows` that design formed;
  :func:`design_rows` the rows :math:`L_{n a} \psi_{n i} R_{n b}` of one equation's design.
"""

from __future__ import annotations

import numpy as np

from explorer.tt.contraction import compiled, flush_tiny

__all__ = [
    "transport", "compress", "weights", "factored_gram", "factored_matvec", "factored_rmatvec", "factored_rows",
    "design_rows",
]

CHUNK = 256
"""Samples per block in :func:`transport`: the per-sample matrices ``C[psi_n]`` of one block stay in cache."""


@compiled
def _axpy(y, a, x):
    """``y += a * x`` elementwise."""
    for s in range(y.shape[0]):
        y[s] += a[s] * x[s]


@compiled
def _transfer(core, psi_t, c0, m):
    """``M[a, b, s] = sum_i C[a, i, b] psi[i, c0 + s]`` for the samples of one chunk (``M`` preallocated)."""
    r0, p, r1 = core.shape
    w = m.shape[2]
    m[:] = 0.0
    for a in range(r0):
        for i in range(p):
            for b in range(r1):
                c = core[a, i, b]
                if c != 0.0:
                    for s in range(w):
                        m[a, b, s] += c * psi_t[i, c0 + s]


@compiled
def _transport(core, psi_t, factor, transpose):
    """:func:`transport` on ``psi_t`` ``(p, N)``, block by block of samples."""
    r0, _, r1 = core.shape
    k, _, n = factor.shape
    rows = r1 if transpose else r0
    out = np.zeros((k, rows, n))
    for c0 in range(0, n, CHUNK):
        c1 = min(n, c0 + CHUNK)
        m = np.empty((r0, r1, c1 - c0))
        _transfer(core, psi_t, c0, m)
        for j in range(k):
            for a in range(r0):
                for b in range(r1):
                    row, col = (b, a) if transpose else (a, b)
                    _axpy(out[j, row, c0:c1], m[a, b], factor[j, col, c0:c1])
            for row in range(rows):
                flush_tiny(out[j, row, c0:c1])
    return out


def transport(core: np.ndarray, psi: np.ndarray, factor: np.ndarray, left: bool) -> np.ndarray:
    r"""Move square-root factors ``(k, r, N)`` across ``core`` ``(r0, p, r1)`` at features ``psi`` ``(N, p)``.

    ``left=True``: row-vector environments, :math:`F_n \to C[\psi_n]^\top F_n` (``r0 -> r1``);
    ``left=False``: column-vector environments, :math:`F_n \to C[\psi_n] F_n` (``r1 -> r0``).
    """
    return _transport(np.ascontiguousarray(core), np.ascontiguousarray(psi.T), factor, left)


@compiled
def compress(factor, targets):
    """``(F', t')`` with ``r`` rows: the triangle of a Householder QR of ``[F_n^T | t_n]`` (``k x (r+1)``) per sample.

    ``factor`` is ``(k, r, N)`` with ``k > r``, ``targets`` ``(k, N)``; neither is modified.
    """
    k, r, n = factor.shape
    a = np.empty((k, r + 1, n))
    a[:, :r, :] = factor
    a[:, r, :] = targets
    norm2, scale, alpha, proj = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    for c in range(r):
        norm2[:] = 0.0
        for j in range(c, k):
            for s in range(n):
                norm2[s] += a[j, c, s] * a[j, c, s]
        for s in range(n):
            head = a[c, c, s]
            alpha[s] = -np.sqrt(norm2[s]) if head >= 0.0 else np.sqrt(norm2[s])
            a[c, c, s] = head - alpha[s]
            vnorm2 = norm2[s] - head * head + a[c, c, s] * a[c, c, s]
            scale[s] = 2.0 / vnorm2 if vnorm2 > 0.0 else 0.0
        for col in range(c + 1, r + 1):
            proj[:] = 0.0
            for j in range(c, k):
                for s in range(n):
                    proj[s] += a[j, c, s] * a[j, col, s]
            for s in range(n):
                proj[s] *= scale[s]
            for j in range(c, k):
                for s in range(n):
                    a[j, col, s] -= proj[s] * a[j, c, s]
        a[c, c, :] = alpha
        a[c + 1 :, c, :] = 0.0
    return a[:r, :r, :].copy(), a[:r, r, :].copy()


@compiled
def weights(factor):
    """``W[s, s', n] = sum_j F[j, s, n] F[j, s', n]`` (symmetric, both halves filled)."""
    k, r, n = factor.shape
    w = np.zeros((r, r, n))
    for s in range(r):
        for s2 in range(s, r):
            for j in range(k):
                for i in range(n):
                    w[s, s2, i] += factor[j, s, i] * factor[j, s2, i]
            if s2 > s:
                w[s2, s, :] = w[s, s2, :]
    return w


@compiled
def factored_gram(phi_t, index, factor):
    """``G[u, v] = sum_n phi[u, n] phi[v, n] W[index[u], index[v], n]`` for ``phi_t`` ``(m, N)``."""
    m, n = phi_t.shape
    w = weights(factor)
    g = np.empty((m, m))
    for u in range(m):
        for v in range(u, m):
            a, b = index[u], index[v]
            acc = 0.0
            for i in range(n):
                acc += phi_t[u, i] * phi_t[v, i] * w[a, b, i]
            g[u, v] = acc
            g[v, u] = acc
    return g


@compiled
def factored_matvec(phi_t, index, factor, x):
    """``out[j, n] = sum_u phi[u, n] F[j, index[u], n] x[u]``."""
    m, n = phi_t.shape
    k, r = factor.shape[0], factor.shape[1]
    w = np.zeros((r, n))
    for u in range(m):
        for i in range(n):
            w[index[u], i] += phi_t[u, i] * x[u]
    out = np.zeros((k, n))
    for j in range(k):
        for s in range(r):
            for i in range(n):
                out[j, i] += factor[j, s, i] * w[s, i]
    return out


@compiled
def factored_rmatvec(phi_t, index, factor, residual):
    """``g[u] = sum_{j, n} phi[u, n] F[j, index[u], n] residual[j, n]``."""
    m, n = phi_t.shape
    k, r = factor.shape[0], factor.shape[1]
    q = np.zeros((r, n))
    for j in range(k):
        for s in range(r):
            for i in range(n):
                q[s, i] += factor[j, s, i] * residual[j, i]
    g = np.zeros(m)
    for u in range(m):
        acc = 0.0
        for i in range(n):
            acc += phi_t[u, i] * q[index[u], i]
        g[u] = acc
    return g


@compiled
def factored_rows(phi, index, factor):
    """The formed design ``D[j, n, u] = phi[n, u] F[j, index[u], n]`` (``phi`` ``(N, m)``)."""
    n, m = phi.shape
    k = factor.shape[0]
    out = np.empty((k, n, m))
    for j in range(k):
        for i in range(n):
            for u in range(m):
                out[j, i, u] = phi[i, u] * factor[j, index[u], i]
    return out


@compiled
def design_rows(left, a, psi, i, right, b):
    """Rows ``out[n, u] = left[n, a[u]] psi[n, i[u]] right[n, b[u]]`` of a local design (``right`` may be
    ``(N, 1)`` ones with ``b = 0`` for the common-times-feature part alone)."""
    n, m = left.shape[0], a.shape[0]
    out = np.empty((n, m))
    for row in range(n):
        for u in range(m):
            out[row, u] = left[row, a[u]] * psi[row, i[u]] * right[row, b[u]]
    return out
