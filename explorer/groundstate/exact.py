r"""Reference ground energies: exact diagonalisation and the TFIM free-fermion formula (docs/algorithms.md B6)."""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg as sla
import scipy.sparse.linalg as spla

from explorer.cancellation import check

from .hamiltonians import ChainHamiltonian

DENSE_LIMIT = 256
ED_LIMIT = 2**18


def ed_feasible(ham: ChainHamiltonian) -> bool:
    """True when the full Hilbert space is small enough for :func:`ground_state` (``<= 2**18``)."""
    return math.prod(ham.dims) <= ED_LIMIT


def ground_state(ham: ChainHamiltonian, seed: int = 0) -> tuple[float, np.ndarray]:
    """Ground energy and normalised ground vector by exact diagonalisation.

    Dense ``eigh`` for Hilbert spaces up to 256; a diagonal (classical) Hamiltonian is minimised directly
    (Lanczos breaks down on the few distinct eigenvalues of such matrices and can miss the ground state);
    otherwise Lanczos (``scipy.sparse.linalg.eigsh``, ``which='SA'``, tolerance 1e-12) from a seeded random
    vector.

    Raises
    ------
    ValueError
        If the Hilbert space exceeds ``2**18``.
    """
    total = math.prod(ham.dims)
    if total > ED_LIMIT:
        raise ValueError(f"n={ham.n} sites of dimensions {ham.dims} exceed the exact-diagonalisation limit")
    matrix = ham.to_sparse()
    if total <= DENSE_LIMIT:
        vals, vecs = sla.eigh(matrix.toarray())
        return float(vals[0]), vecs[:, 0]
    if matrix.count_nonzero() == np.count_nonzero(matrix.diagonal()):
        return _diagonal_ground_state(matrix.diagonal().real)
    v0 = np.random.default_rng(seed).standard_normal(total)
    vals, vecs = spla.eigsh(_stoppable_operator(matrix), k=1, which="SA", v0=v0, tol=1e-12)
    return float(vals[0]), vecs[:, 0] / np.linalg.norm(vecs[:, 0])


def _stoppable_operator(matrix) -> spla.LinearOperator:
    """``matrix`` as an operator that checks the stop flag before every product (:mod:`explorer.cancellation`)."""

    def product(v: np.ndarray) -> np.ndarray:
        check()
        return matrix @ v

    return spla.LinearOperator(matrix.shape, matvec=product, dtype=matrix.dtype)


def _diagonal_ground_state(diagonal: np.ndarray) -> tuple[float, np.ndarray]:
    """Ground state of a diagonal matrix: its smallest entry and the matching basis vector."""
    index = int(np.argmin(diagonal))
    vector = np.zeros(diagonal.size)
    vector[index] = 1.0
    return float(diagonal[index]), vector


def ground_energy(ham: ChainHamiltonian) -> float:
    """Exact ground energy (see :func:`ground_state`)."""
    return ground_state(ham)[0]


def tfim_free_fermion_energy(n: int, g: float = 1.0, J: float = 1.0) -> float:
    r"""Ground energy of the open TFIM :math:`-J\sum X_k X_{k+1} - g\sum Z_k` via free fermions.

    :math:`E_0 = -\tfrac12\sum_i \sigma_i(B)` with the ``n x n`` bidiagonal matrix
    :math:`B_{ii} = 2g`, :math:`B_{i,i+1} = 2J` (Jordan-Wigner + Bogoliubov; docs/algorithms.md B6).
    """
    if int(n) != n or n < 1:
        raise ValueError(f"n must be a positive integer, got {n}")
    n = int(n)
    b = np.diag(np.full(n, 2.0 * g)) + np.diag(np.full(n - 1, 2.0 * J), 1)
    return float(-0.5 * np.linalg.svd(b, compute_uv=False).sum())
