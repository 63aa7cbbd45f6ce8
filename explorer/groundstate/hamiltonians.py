r"""Nearest-neighbour chain Hamiltonians :math:`H = \sum_{k=1}^{n-1} h_{k,k+1}` (docs/algorithms.md B1).

A chain of ``n`` sites with local dimensions ``dims`` carries one two-site term per bond; the term on bond
``k`` (sites ``k, k+1``, zero-based) is a ``(d_k d_{k+1}) x (d_k d_{k+1})`` Hermitian matrix acting on the
ordered product space :math:`\mathbb{C}^{d_k}\otimes\mathbb{C}^{d_{k+1}}`. One-site terms are folded into the
bonds so that every site's field is counted exactly once: the field of site ``k < n-1`` goes into the bond to
its right (``f_k (x) 1``) and the field of the last site into its left bond (``1 (x) f_{n-1}``).

The operator norm bound :math:`J = \max_k \|h_{k,k+1}\|` enters the error bound of the epsilon-net DP (B5).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

PAULI_X = np.array([[0.0, 1.0], [1.0, 0.0]])
PAULI_Y = np.array([[0.0, -1.0j], [1.0j, 0.0]])
PAULI_Z = np.array([[1.0, 0.0], [0.0, -1.0]])
IDENTITY2 = np.eye(2)


def _check_term(term: np.ndarray, dim: int, name: str) -> np.ndarray:
    """Validate one bond term: square of size ``dim``, finite, Hermitian; return float64/complex128."""
    term = np.asarray(term)
    dtype = np.complex128 if np.iscomplexobj(term) else np.float64
    term = term.astype(dtype)
    if term.shape != (dim, dim):
        raise ValueError(f"{name} must have shape ({dim}, {dim}), got {term.shape}")
    if not np.all(np.isfinite(term)):
        raise ValueError(f"{name} contains NaN or infinite entries")
    if not np.allclose(term, term.conj().T, atol=1e-12 * max(1.0, np.abs(term).max())):
        raise ValueError(f"{name} must be Hermitian")
    if dtype == np.complex128 and np.abs(term.imag).max() == 0.0:
        term = term.real.copy()
    return term


@dataclass(frozen=True)
class ChainHamiltonian:
    """Open chain Hamiltonian given by its bond terms.

    Parameters
    ----------
    dims : tuple of int
        Local dimensions :math:`d_0, \\dots, d_{n-1}` (``n >= 2``).
    terms : tuple of ndarray
        ``terms[k]`` is :math:`h_{k,k+1}`, a Hermitian matrix of size ``dims[k] * dims[k+1]``.
    name : str
        Label used in reports.
    """

    dims: tuple
    terms: tuple
    name: str = "custom"

    def __post_init__(self):
        dims = tuple(int(x) for x in self.dims)
        if len(dims) < 2 or min(dims) < 1:
            raise ValueError(f"dims must list at least two positive local dimensions, got {self.dims}")
        if len(self.terms) != len(dims) - 1:
            raise ValueError(f"terms must hold n-1 = {len(dims) - 1} bond terms, got {len(self.terms)}")
        terms = tuple(_check_term(t, dims[k] * dims[k + 1], f"terms[{k}]") for k, t in enumerate(self.terms))
        object.__setattr__(self, "dims", dims)
        object.__setattr__(self, "terms", terms)

    @property
    def n(self) -> int:
        """Number of sites."""
        return len(self.dims)

    @property
    def d(self) -> int:
        """Local dimension of a uniform chain (ValueError when the dimensions differ)."""
        if len(set(self.dims)) != 1:
            raise ValueError(f"chain has non-uniform local dimensions {self.dims}")
        return self.dims[0]

    @property
    def is_real(self) -> bool:
        """True when every bond term is a real matrix."""
        return all(not np.iscomplexobj(t) for t in self.terms)

    @property
    def norm_bound(self) -> float:
        """:math:`J = \\max_k \\|h_{k,k+1}\\|` (operator norm)."""
        return max(float(np.abs(np.linalg.eigvalsh(t)).max()) for t in self.terms)

    @property
    def interior_uniform(self) -> bool:
        """True when all interior bond terms (bonds 1..n-3) and interior dimensions are equal.

        Boundary bonds may differ (folded end fields, grouped end sites); the DP then reuses one net and
        one table for every interior site.
        """
        inner = self.terms[1:-1]
        if len(inner) <= 1:
            return len(set(self.dims[1:-1])) <= 1
        same_terms = all(t.shape == inner[0].shape and np.allclose(t, inner[0]) for t in inner[1:])
        return same_terms and len(set(self.dims[1:-1])) <= 1

    def local_term(self, k: int) -> np.ndarray:
        """Bond term ``k`` as a four-index tensor ``h[s', t', s, t]`` (bra indices first)."""
        d1, d2 = self.dims[k], self.dims[k + 1]
        return self.terms[k].reshape(d1, d2, d1, d2)

    def to_sparse(self) -> sp.csr_matrix:
        """Full Hamiltonian as a sparse matrix on :math:`\\bigotimes_k \\mathbb{C}^{d_k}` (site 0 most
        significant)."""
        total = math.prod(self.dims)
        out = sp.csr_matrix((total, total), dtype=np.complex128 if not self.is_real else np.float64)
        for k, term in enumerate(self.terms):
            left = math.prod(self.dims[:k])
            right = math.prod(self.dims[k + 2 :])
            piece = sp.kron(sp.identity(left, format="csr"), sp.csr_matrix(term), format="csr")
            out = out + sp.kron(piece, sp.identity(right, format="csr"), format="csr")
        return out.tocsr()

    def grouped(self, blocks) -> ChainHamiltonian:
        """Regroup consecutive sites into blocks; the grouped chain has the same spectrum.

        Parameters
        ----------
        blocks : sequence of int
            Block sizes (sum ``n``, at least two blocks). Block ``b`` has dimension ``prod(dims of its
            sites)``.

        Notes
        -----
        A term crossing blocks ``b | b+1`` is embedded into the bond ``(b, b+1)``; a term inside block ``b``
        becomes a one-site term of that block and is folded into the block's right bond (left bond for the
        last block). Site order is preserved, so the full matrix is unchanged.
        """
        starts = _block_starts(blocks, self.n)
        new_dims = [math.prod(self.dims[s:e]) for s, e in zip(starts[:-1], starts[1:], strict=True)]
        nb = len(new_dims)
        new_terms = [
            np.zeros((new_dims[b] * new_dims[b + 1],) * 2, dtype=self.terms[0].dtype) for b in range(nb - 1)
        ]
        site_block = np.repeat(np.arange(nb), np.diff(starts))
        for k, term in enumerate(self.terms):
            b = min(site_block[k], nb - 2)
            lo, hi = starts[b], starts[b + 2]
            left = math.prod(self.dims[lo:k])
            right = math.prod(self.dims[k + 2 : hi])
            new_terms[b] = new_terms[b] + np.kron(np.kron(np.eye(left), term), np.eye(right))
        return ChainHamiltonian(
            tuple(new_dims), tuple(new_terms), name=f"{self.name} grouped {tuple(blocks)}"
        )


def _block_starts(blocks, n: int) -> np.ndarray:
    """Cumulative start indices of the blocks, validated to cover ``n`` sites with at least two blocks."""
    blocks = [int(b) for b in blocks]
    if len(blocks) < 2 or min(blocks) < 1 or sum(blocks) != n:
        raise ValueError(f"blocks must be >= 2 positive sizes summing to n={n}, got {blocks}")
    return np.concatenate([[0], np.cumsum(blocks)])


def _check_sites(n: int) -> int:
    """Validate the number of sites."""
    if int(n) != n or n < 2:
        raise ValueError(f"n (number of sites) must be an integer >= 2, got {n}")
    return int(n)


def _check_finite(name: str, value: float) -> float:
    """Validate a finite real coupling."""
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def from_terms(n: int, two_site, one_site=None, name: str = "custom") -> ChainHamiltonian:
    """Translation-invariant chain from one two-site term and an optional one-site term.

    Parameters
    ----------
    n : int
        Number of sites.
    two_site : array_like or str or Path
        The ``d^2 x d^2`` bond term, or the path of a ``.npy`` file holding it (loaded without pickle).
    one_site : array_like, optional
        ``d x d`` field added once per site (folded: site ``k`` into bond ``k``, the last site into bond
        ``n-2``).
    """
    n = _check_sites(n)
    if isinstance(two_site, str | Path):
        path = Path(two_site)
        if path.suffix != ".npy" or not path.is_file():
            raise ValueError(f"two-site term path must be an existing .npy file, got {path}")
        two_site = np.load(path, allow_pickle=False)
    two_site = np.asarray(two_site)
    d = int(round(np.sqrt(two_site.shape[0]))) if two_site.ndim == 2 else 0
    if two_site.ndim != 2 or two_site.shape != (d * d, d * d) or d < 2:
        raise ValueError(f"two-site term must be a d^2 x d^2 matrix with d >= 2, got shape {two_site.shape}")
    terms = [two_site.copy() for _ in range(n - 1)]
    if one_site is not None:
        field = _check_term(one_site, d, "one-site term")
        for k in range(n - 1):
            terms[k] = terms[k] + np.kron(field, np.eye(d))
        terms[-1] = terms[-1] + np.kron(np.eye(d), field)
    return ChainHamiltonian((d,) * n, tuple(terms), name=name)


def tfim(n: int, g: float = 1.0, J: float = 1.0) -> ChainHamiltonian:
    """Transverse-field Ising chain :math:`H = -J\\sum_k X_k X_{k+1} - g \\sum_k Z_k` (open)."""
    g, J = _check_finite("field g", g), _check_finite("coupling J", J)
    return from_terms(n, -J * np.kron(PAULI_X, PAULI_X), -g * PAULI_Z, name=f"tfim(g={g:g})")


def xxz(n: int, jxy: float = 1.0, jz: float = 1.0, field: float = 0.0) -> ChainHamiltonian:
    """XXZ chain :math:`\\sum_k J_{xy}(S^x S^x + S^y S^y) + J_z S^z S^z - h \\sum_k S^z_k`,
    :math:`S = \\sigma/2`."""
    jxy, jz = _check_finite("jxy", jxy), _check_finite("jz", jz)
    field = _check_finite("field", field)
    bond = 0.25 * (
        jxy * (np.kron(PAULI_X, PAULI_X) + np.kron(PAULI_Y, PAULI_Y)) + jz * np.kron(PAULI_Z, PAULI_Z)
    )
    return from_terms(n, bond.real, -0.5 * field * PAULI_Z, name=f"xxz(jxy={jxy:g}, jz={jz:g}, h={field:g})")


def heisenberg(n: int) -> ChainHamiltonian:
    """Spin-1/2 Heisenberg chain :math:`\\sum_k \\mathbf S_k\\cdot\\mathbf S_{k+1}` (open)."""
    ham = xxz(n, 1.0, 1.0, 0.0)
    return ChainHamiltonian(ham.dims, ham.terms, name="heisenberg")


def trap(n: int, J: float = 1.0, h: float = 0.3) -> ChainHamiltonian:
    """Classical trap chain :math:`\\sum_k J(1 - Z_k Z_{k+1})/2 + h\\sum_k (1 + Z_k)/2` (docs/algorithms.md B6).

    The ground state is all-down with energy 0; the all-up state has energy ``h n`` and is a fixed point of
    two-site DMRG when ``2h < J``.
    """
    J, h = _check_finite("coupling J", J), _check_finite("field h", h)
    bond = 0.5 * J * (np.eye(4) - np.kron(PAULI_Z, PAULI_Z))
    return from_terms(n, bond, 0.5 * h * (IDENTITY2 + PAULI_Z), name=f"trap(J={J:g}, h={h:g})")
