r"""Contractions of TT cores with dictionary features, batched over samples.

A core :math:`C` of shape ``(r, p, s)`` evaluated at features :math:`\psi \in \mathbb{R}^p` is the matrix
:math:`C[\psi] = \sum_i \psi_i (C)_i` of shape ``(r, s)`` (seed eq. 4). Everything here is batched over ``N``
samples: ``psi`` has shape ``(N, p)``.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["apply_left", "apply_right", "flush_tiny", "TINY", "compiled"]

TINY = 1e-100
"""Magnitudes below this are set to zero in environments: products of decaying entries along a long chain
otherwise reach subnormal floats, which make BLAS calls orders of magnitude slower."""

compiled = numba.njit(cache=True, fastmath={"reassoc", "contract"}, nogil=True)
"""Compile a per-sample kernel (Numba, cached on disk; sums may be re-associated, never NaN/inf assumptions)."""


@compiled
def flush_tiny(y):
    """Set entries of the 1-D array ``y`` with ``|y| < TINY`` to zero, in place (compiled; call it on views)."""
    for s in range(y.shape[0]):
        if abs(y[s]) < TINY:
            y[s] = 0.0


@compiled
def _feature_sum(tmp, psi):
    """``out[n, s] = sum_i tmp[n, i, s] psi[n, i]``, entries below ``TINY`` flushed to zero."""
    n, p, s = tmp.shape
    out = np.zeros((n, s))
    for row in range(n):
        for i in range(p):
            weight = psi[row, i]
            for col in range(s):
                out[row, col] += tmp[row, i, col] * weight
        flush_tiny(out[row])
    return out


def apply_left(v: np.ndarray, core: np.ndarray, psi: np.ndarray) -> np.ndarray:
    """Row vectors times the core: ``out[n] = v[n] @ C[psi_n]``, ``v`` of shape ``(N, r)``."""
    r, p, s = core.shape
    return _feature_sum((v @ core.reshape(r, p * s)).reshape(-1, p, s), psi)


def apply_right(core: np.ndarray, psi: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The core times column vectors: ``out[n] = C[psi_n] @ v[n]``, ``v`` of shape ``(N, s)``."""
    r, p, s = core.shape
    return _feature_sum((v @ core.transpose(1, 0, 2).reshape(p * r, s).T).reshape(-1, p, r), psi)
