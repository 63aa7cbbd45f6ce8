r"""Contractions of TT cores with dictionary features, batched over samples stored last.

A core :math:`C` of shape ``(r, p, s)`` evaluated at features :math:`\psi \in \mathbb{R}^p` is the matrix
:math:`C[\psi] = \sum_i \psi_i (C)_i` of shape ``(r, s)`` (seed eq. 4). Everything here is batched over ``N``
samples with the samples on the *last* axis: features ``psi`` of one mode are ``(p, N)``, environments ``(r, N)``,
so that the per-sample loops of the compiled kernels run over contiguous memory.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["apply_left", "apply_right", "flush_tiny", "TINY", "compiled", "compiled_small"]

TINY = 1e-100
"""Magnitudes below this are set to zero in environments: products of decaying entries along a long chain
otherwise reach subnormal floats, which make BLAS calls orders of magnitude slower."""

compiled = numba.njit(cache=True, fastmath={"reassoc", "contract"}, nogil=True)
"""Compile a per-sample kernel (Numba, cached on disk; sums may be re-associated, never NaN/inf assumptions). It
releases the GIL, so threads sharing a sweep (:mod:`explorer.learning.als`) run such kernels side by side."""

compiled_small = numba.njit(cache=True, fastmath={"reassoc", "contract"})
"""Compile a helper that takes microseconds: it keeps the GIL, since handing the GIL to a waiting thread and
taking it back costs about as much as the helper itself."""


@compiled
def flush_tiny(y):
    """Set entries of the 1-D array ``y`` with ``|y| < TINY`` to zero, in place (compiled; call it on views)."""
    for s in range(y.shape[0]):
        if abs(y[s]) < TINY:
            y[s] = 0.0


@compiled
def _feature_sum(tmp, psi, width):
    """``out[b, n] = sum_i tmp[i * width + b, n] psi[i, n]``, entries below ``TINY`` flushed to zero."""
    p, n = psi.shape
    out = np.zeros((width, n))
    for i in range(p):
        weight = psi[i]
        for b in range(width):
            row, acc = tmp[i * width + b], out[b]
            for t in range(n):
                acc[t] += row[t] * weight[t]
    for b in range(width):
        flush_tiny(out[b])
    return out


@compiled
def _contract(matrix, v, psi, width):
    """``_feature_sum(matrix @ v)``: the product by BLAS inside the compiled call (one GIL release for both)."""
    return _feature_sum(np.dot(matrix, v), psi, width)


def apply_left(v: np.ndarray, core: np.ndarray, psi: np.ndarray) -> np.ndarray:
    """Row vectors times the core: ``out[:, n] = C[psi_n]^T v[:, n]``, ``v`` ``(r, N)``, ``psi`` ``(p, N)``."""
    r, p, s = core.shape
    return _contract(core.reshape(r, p * s).T, v, psi, s)


def apply_right(core: np.ndarray, psi: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The core times column vectors: ``out[:, n] = C[psi_n] v[:, n]``, ``v`` ``(s, N)``, ``psi`` ``(p, N)``."""
    r, p, s = core.shape
    return _contract(core.transpose(1, 0, 2).reshape(p * r, s), v, psi, r)
