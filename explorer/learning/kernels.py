r"""Compiled per-sample kernels of the summed local problems (:mod:`explorer.learning.local`).

Many equations sharing a core are kept in square-root form: per sample :math:`n` a factor
:math:`F_n \in \mathbb{R}^{r \times k}` and targets :math:`t_n \in \mathbb{R}^k`. Every operation on them is a
loop over samples of tiny matrix products (``r`` and ``k`` are a few to a few tens), which NumPy's batched
routines run far below the machine's speed. These kernels store the samples *last* (``F[j, s, n]``, ``t[j, n]``)
so that the innermost loop runs over contiguous samples and compiles to vector instructions (Numba, with
re-association allowed: sums are accumulated in a different order than in a plain loop, to rounding).

Features of one mode are ``(p, N)`` and environments ``(r, N)``, also samples last
(:mod:`explorer.tt.contraction`).

- :func:`transport`: :math:`F_n \to M_n^\top F_n` or :math:`M_n F_n` with :math:`M_n = C[\psi_n]` (seed eq. 4);
  entries below ``TINY`` are flushed to zero (:func:`explorer.tt.contraction.flush_tiny`).
- :func:`compress`: the triangle ``R`` of a Householder QR of :math:`[F_n^\top \mid t_n]` per sample, keeping
  :math:`\|t_n - F_n^\top z\|^2` up to a constant for every ``z``.
- :func:`weights`: :math:`W_n = F_n F_n^\top`.
- :func:`factored_gram`, :func:`factored_matvec`, :func:`factored_rmatvec`: the Gram matrix and products of the
  design with rows :math:`(j, n)` equal to :math:`\phi_{nu} F_{j s_u n}`
  (:class:`~explorer.learning.local.FactoredDesign`), and :func:`factored_rows` that design formed;
  :func:`design_rows` the rows :math:`L_{a n} \psi_{i n} R_{b n}` of one equation's design.
- :func:`factored_normal`, :func:`dense_normal`: the normal equations of the update from a start ``c``,
  :math:`G` and :math:`D^\top t - G c`, in one call; :func:`factored_gradient`, :func:`dense_gradient`:
  :math:`D^\top (t - D x)` for refinement, the residual taken from the design.
- :func:`scaled_system`, :func:`gather_scaled`, :func:`scatter_scaled`: the Jacobi scaling of the semi-normal
  solve (microseconds each: they keep the GIL, :data:`~explorer.tt.contraction.compiled_small`).
"""

from __future__ import annotations

import numpy as np

from explorer.tt.contraction import compiled, compiled_small, flush_tiny

__all__ = [
    "transport", "compress", "weights", "factored_gram", "factored_matvec", "factored_rmatvec", "factored_rows",
    "design_rows", "factored_normal", "factored_gradient", "dense_normal", "dense_gradient", "scaled_system",
    "gather_scaled", "scatter_scaled",
]

CHUNK = 256
"""Samples per block in :func:`transport`: the per-sample matrices ``C[psi_n]`` of one block stay in cache."""


@compiled_small
def _live_pairs(core):
    """The pairs ``(a, b)`` with a nonzero ``C[a, :, b]`` (the entries of ``C[psi]`` that can be nonzero)."""
    r0, p, r1 = core.shape
    pairs = np.empty((r0 * r1, 2), dtype=np.int64)
    count = 0
    for a in range(r0):
        for b in range(r1):
            for i in range(p):
                if core[a, i, b] != 0.0:
                    pairs[count, 0], pairs[count, 1] = a, b
                    count += 1
                    break
    return pairs[:count]


@compiled
def _transfer(core, psi, pairs, c0, m):
    """``M[q, s] = sum_i C[a_q, i, b_q] psi[i, c0 + s]`` for the live pairs ``q`` and the samples of one chunk."""
    p = core.shape[1]
    width = m.shape[1]
    for q in range(pairs.shape[0]):
        a, b = pairs[q, 0], pairs[q, 1]
        row = m[q]
        row[:width] = 0.0
        for i in range(p):
            c = core[a, i, b]
            if c != 0.0:
                weight = psi[i, c0 : c0 + width]
                for s in range(width):
                    row[s] += c * weight[s]


@compiled
def _transport(core, psi, factor, transpose):
    """:func:`transport`, block by block of samples, over the live pairs of the core only."""
    r0, _, r1 = core.shape
    k, _, n = factor.shape
    rows = r1 if transpose else r0
    pairs = _live_pairs(core)
    out = np.zeros((k, rows, n))
    m = np.empty((pairs.shape[0], CHUNK))
    for c0 in range(0, n, CHUNK):
        c1 = min(n, c0 + CHUNK)
        width = c1 - c0
        _transfer(core, psi, pairs, c0, m[:, :width])
        for j in range(k):
            for q in range(pairs.shape[0]):
                a, b = pairs[q, 0], pairs[q, 1]
                row, col = (b, a) if transpose else (a, b)
                acc, weight, source = out[j, row, c0:c1], m[q], factor[j, col, c0:c1]
                for s in range(width):
                    acc[s] += weight[s] * source[s]
            for row in range(rows):
                flush_tiny(out[j, row, c0:c1])
    return out


def transport(core: np.ndarray, psi: np.ndarray, factor: np.ndarray, left: bool) -> np.ndarray:
    r"""Move square-root factors ``(k, r, N)`` across ``core`` ``(r0, p, r1)`` at features ``psi`` ``(p, N)``.

    ``left=True``: row-vector environments, :math:`F_n \to C[\psi_n]^\top F_n` (``r0 -> r1``);
    ``left=False``: column-vector environments, :math:`F_n \to C[\psi_n] F_n` (``r1 -> r0``).
    """
    return _transport(np.ascontiguousarray(core), psi, factor, left)


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
        acc, weight, xu = w[index[u]], phi_t[u], x[u]
        for i in range(n):
            acc[i] += weight[i] * xu
    out = np.zeros((k, n))
    for j in range(k):
        acc = out[j]
        for s in range(r):
            source, ws = factor[j, s], w[s]
            for i in range(n):
                acc[i] += source[i] * ws[i]
    return out


@compiled
def factored_rmatvec(phi_t, index, factor, residual):
    """``g[u] = sum_{j, n} phi[u, n] F[j, index[u], n] residual[j, n]``."""
    m, n = phi_t.shape
    k, r = factor.shape[0], factor.shape[1]
    q = np.zeros((r, n))
    for j in range(k):
        rj = residual[j]
        for s in range(r):
            acc, source = q[s], factor[j, s]
            for i in range(n):
                acc[i] += source[i] * rj[i]
    g = np.zeros(m)
    for u in range(m):
        weight, qu = phi_t[u], q[index[u]]
        total = 0.0
        for i in range(n):
            total += weight[i] * qu[i]
        g[u] = total
    return g


@compiled
def factored_rows(phi_t, index, factor):
    """The formed design, transposed: ``D[u, j, n] = phi[u, n] F[j, index[u], n]``."""
    m, n = phi_t.shape
    k = factor.shape[0]
    out = np.empty((m, k, n))
    for u in range(m):
        for j in range(k):
            row, weight, col = out[u, j], phi_t[u], factor[j, index[u]]
            for t in range(n):
                row[t] = weight[t] * col[t]
    return out


@compiled
def design_rows(left, a, psi, i, right, b):
    """The design of one equation, transposed: ``out[u, n] = left[a[u], n] psi[i[u], n] right[b[u], n]`` (``right``
    may be ``(1, N)`` ones with ``b = 0`` for the common-times-feature part alone)."""
    m, n = a.shape[0], left.shape[1]
    out = np.empty((m, n))
    for u in range(m):
        row, la, pi, rb = out[u], left[a[u]], psi[i[u]], right[b[u]]
        for t in range(n):
            row[t] = la[t] * pi[t] * rb[t]
    return out


@compiled
def factored_normal(phi_t, index, factor, targets, start):
    """Normal equations of the factored design for the update from ``start``: ``G`` and ``D^T t - G start``."""
    gram = factored_gram(phi_t, index, factor)
    return gram, factored_rmatvec(phi_t, index, factor, targets) - gram @ start


@compiled
def factored_gradient(phi_t, index, factor, targets, x):
    """``D^T (t - D x)`` of the factored design, the residual taken from the design itself."""
    return factored_rmatvec(phi_t, index, factor, targets - factored_matvec(phi_t, index, factor, x))


GRAM_CHUNK = 128
"""Samples per block of :func:`dense_normal`: the rows of one block stay in the L1 cache."""


@compiled
def dense_normal(rows_t, target, start):
    """``G = D^T D`` and ``D^T t - G start`` for a formed design stored transposed, ``rows_t`` ``(m, rows)``."""
    m, n = rows_t.shape
    gram = np.zeros((m, m))
    rhs = np.zeros(m)
    for c0 in range(0, n, GRAM_CHUNK):
        c1 = min(n, c0 + GRAM_CHUNK)
        for u in range(m):
            ru = rows_t[u, c0:c1]
            for v in range(u, m):
                rv, acc = rows_t[v, c0:c1], 0.0
                for i in range(c1 - c0):
                    acc += ru[i] * rv[i]
                gram[u, v] += acc
            tu, acc = target[c0:c1], 0.0
            for i in range(c1 - c0):
                acc += ru[i] * tu[i]
            rhs[u] += acc
    for u in range(m):
        for v in range(u):
            gram[u, v] = gram[v, u]
    return gram, rhs - gram @ start


@compiled
def dense_gradient(rows_t, target, x):
    """``D^T (t - D x)`` for a formed design stored transposed, ``rows_t`` ``(m, rows)``."""
    m, n = rows_t.shape
    residual = target.copy()
    for u in range(m):
        row, xu = rows_t[u], x[u]
        for i in range(n):
            residual[i] -= row[i] * xu
    gradient = np.empty(m)
    for u in range(m):
        row, acc = rows_t[u], 0.0
        for i in range(n):
            acc += row[i] * residual[i]
        gradient[u] = acc
    return gradient


@compiled_small
def scaled_system(gram, ridge):
    """Jacobi scaling of a Gram matrix: the columns that do not vanish, their scales ``1 / sqrt(G_uu)``, the scaled
    matrix ``S G S + ridge S^2`` on them and its 1-norm (for LAPACK's condition estimate)."""
    norms2 = np.diag(gram).copy()
    largest = norms2.max() if norms2.size else 0.0
    active = np.flatnonzero(norms2 > 1e-24 * largest)
    scale = 1.0 / np.sqrt(norms2[active])
    k = active.shape[0]
    scaled = np.empty((k, k))
    for a in range(k):
        for b in range(k):
            scaled[a, b] = gram[active[a], active[b]] * (scale[a] * scale[b])
        scaled[a, a] += ridge * scale[a] ** 2
    norm = 0.0
    for b in range(k):
        norm = max(norm, np.abs(scaled[:, b]).sum())
    return active, scale, scaled, norm


@compiled_small
def gather_scaled(gradient, active, scale):
    """``S g`` on the active columns."""
    return scale * gradient[active]


@compiled_small
def scatter_scaled(x, active, scale, solution):
    """``x += S y`` on the active columns; returns the norm of the update."""
    total = 0.0
    for a in range(active.shape[0]):
        step = scale[a] * solution[a]
        x[active[a]] += step
        total += step * step
    return np.sqrt(total)
