r"""Density-matrix renormalisation group (one- and two-site) with dense local effective Hamiltonians.

The chain Hamiltonian becomes an MPO by splitting every bond term by an SVD,
:math:`h_{k,k+1} = \sum_r L^{[k]}_r\otimes R^{[k]}_r`, with the finite-state-machine layout
(start, one channel per :math:`r`, done). A sweep optimises every site (one-site) or neighbouring pair
(two-site, SVD-truncated to ``D``) left-to-right and back, diagonalising the dense effective Hamiltonian.

Each report carries the **true** energy of the current (truncated, normalised) MPS recomputed with
:meth:`.mps.MPS.energy` next to the solver's internal eigenvalue (docs/algorithms.md B6).
"""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg as sla
import scipy.sparse.linalg as spla

from explorer.cancellation import check
from explorer.progress import run_to_end

from .hamiltonians import ChainHamiltonian
from .mps import MPS

DENSE_EIGH_LIMIT = 1024


@dataclass(frozen=True)
class DMRGSweepReport:
    """Progress after one full sweep (left-to-right and back).

    Attributes
    ----------
    sweep : int
        1-based sweep index.
    energy : float
        True energy of the current MPS (recomputed).
    eigenvalue : float
        Last local eigenvalue (the solver's internal estimate).
    discarded : float
        Largest discarded weight of a truncation in this sweep (0 for one-site DMRG).
    max_bond : int
        Largest bond dimension of the current MPS.
    seconds : float
        Wall time since the start.
    """

    sweep: int
    energy: float
    eigenvalue: float
    discarded: float
    max_bond: int
    seconds: float


@dataclass(frozen=True)
class DMRGResult:
    """Final state of a DMRG run: true ``energy``, ``mps``, sweeps run, last ``eigenvalue``, seconds,
    history."""

    energy: float
    mps: MPS
    sweeps: int
    eigenvalue: float
    seconds: float
    history: list = field(default_factory=list)


def mpo(ham: ChainHamiltonian) -> list:
    """MPO tensors ``W[k]`` of shape ``(chi_{k-1}, chi_k, d, d)`` (bra, ket) for
    :math:`H = \\sum_k h_{k,k+1}`."""
    splits = [_split_term(ham, k) for k in range(ham.n - 1)]
    out = []
    for k, d in enumerate(ham.dims):
        left = 1 if k == 0 else 2 + len(splits[k - 1][1])
        right = 1 if k == ham.n - 1 else 2 + len(splits[k][0])
        dtype = np.result_type(*[op for s in splits for op in s[0] + s[1]])
        w = np.zeros((left, right, d, d), dtype=dtype)
        if k < ham.n - 1:
            w[0, 0] = np.eye(d)
            for r, op in enumerate(splits[k][0]):
                w[0, 1 + r] = op
        if k > 0:
            for r, op in enumerate(splits[k - 1][1]):
                w[1 + r, right - 1] = op
            w[left - 1, right - 1] = np.eye(d)
        out.append(w)
    return out


def _split_term(ham: ChainHamiltonian, k: int) -> tuple[list, list]:
    """Operator-Schmidt decomposition of bond term ``k``: lists of left and right operators."""
    d1, d2 = ham.dims[k], ham.dims[k + 1]
    op = ham.local_term(k).transpose(0, 2, 1, 3).reshape(d1 * d1, d2 * d2)
    u, s, vh = np.linalg.svd(op)
    keep = s > 1e-14 * max(s[0], 1e-300)
    lefts = [(u[:, r] * s[r]).reshape(d1, d1) for r in np.flatnonzero(keep)]
    rights = [vh[r].reshape(d2, d2) for r in np.flatnonzero(keep)]
    return lefts, rights


def _grow_left(env: np.ndarray, tensor: np.ndarray, w: np.ndarray) -> np.ndarray:
    return np.einsum("wxa,xsb,wvsu,auc->vbc", env, tensor.conj(), w, tensor, optimize=True)


def _grow_right(env: np.ndarray, tensor: np.ndarray, w: np.ndarray) -> np.ndarray:
    return np.einsum("vbc,xsb,wvsu,auc->wxa", env, tensor.conj(), w, tensor, optimize=True)


def _lowest(matrix: np.ndarray, guess: np.ndarray) -> tuple[float, np.ndarray]:
    """Lowest eigenpair of a dense Hermitian matrix (``eigh`` up to 1024, else Lanczos from ``guess``)."""
    matrix = 0.5 * (matrix + matrix.conj().T)
    if matrix.shape[0] <= DENSE_EIGH_LIMIT:
        vals, vecs = sla.eigh(matrix, subset_by_index=[0, 0])
        return float(vals[0]), vecs[:, 0]
    vals, vecs = spla.eigsh(matrix, k=1, which="SA", v0=guess, tol=1e-12)
    return float(vals[0]), vecs[:, 0]


def initial_state(ham: ChainHamiltonian, bond_dim: int, init, rng: np.random.Generator) -> MPS:
    """``"up"``: product of basis state 0; ``"random"``: random MPS of bond dimension D; or an
    :class:`MPS`."""
    if isinstance(init, MPS):
        if init.dims != ham.dims:
            raise ValueError(f"initial MPS dims {init.dims} do not match the chain {ham.dims}")
        return init.right_canonical()
    if init == "up":
        return MPS.product([np.eye(d)[0] for d in ham.dims])
    if init == "random":
        return MPS.random(ham.dims, bond_dim, rng, real=ham.is_real)
    raise ValueError(f"init must be 'up', 'random' or an MPS, got {init!r}")


class DMRG:
    """DMRG ground-state search.

    Parameters
    ----------
    ham : ChainHamiltonian
        The chain.
    bond_dim : int
        Maximal bond dimension ``D``.
    two_site : bool
        Two-site (bond dimension can grow up to ``D``) or one-site (bond dimensions of the initial state).
    init : {"random", "up"} or MPS
        Initial state.
    max_sweeps : int
        Upper bound on sweeps.
    tol : float
        Stop when the true energy changes by less than ``tol`` between sweeps.
    seed : int
        Seed of the Generator for the random initial state.
    """

    def __init__(
        self,
        ham: ChainHamiltonian,
        bond_dim: int,
        two_site: bool = True,
        init="random",
        max_sweeps: int = 20,
        tol: float = 1e-10,
        seed: int = 0,
    ):
        if int(bond_dim) != bond_dim or bond_dim < 1:
            raise ValueError(f"bond_dim must be a positive integer, got {bond_dim}")
        if int(max_sweeps) != max_sweeps or max_sweeps < 1:
            raise ValueError(f"max_sweeps must be a positive integer, got {max_sweeps}")
        self.ham, self.bond_dim, self.two_site = ham, int(bond_dim), bool(two_site)
        self.max_sweeps, self.tol = int(max_sweeps), float(tol)
        self.state = initial_state(ham, self.bond_dim, init, np.random.default_rng(seed))
        self.mpo = mpo(ham)

    def _environments(self, tensors: list) -> list:
        """Right environments ``R[k]`` (everything right of site ``k-1``) of a right-canonical state."""
        right = [None] * (self.ham.n + 1)
        right[self.ham.n] = np.ones((1, 1, 1))
        for k in range(self.ham.n - 1, 0, -1):
            right[k] = _grow_right(right[k + 1], tensors[k], self.mpo[k])
        return right

    def _two_site_update(self, tensors, left, right, k, forward) -> tuple[float, float]:
        """Optimise sites ``k, k+1``; split by SVD truncated to ``D``; returns (eigenvalue, discarded)."""
        a, b = tensors[k], tensors[k + 1]
        theta = np.einsum("asb,btc->astc", a, b)
        heff = np.einsum(
            "wxa,wvsu,vyte,yzc->xstzauec", left[k], self.mpo[k], self.mpo[k + 1], right[k + 2], optimize=True
        )
        dim = theta.size
        val, vec = _lowest(heff.reshape(dim, dim), theta.reshape(-1))
        dl, d1, d2, dr = theta.shape
        u, s, vh = np.linalg.svd(vec.reshape(dl * d1, d2 * dr), full_matrices=False)
        keep = max(1, min(self.bond_dim, int(np.sum(s > 1e-14 * s[0]))))
        discarded = float(np.sum(s[keep:] ** 2))
        s = s[:keep] / np.linalg.norm(s[:keep])
        if forward:
            tensors[k] = u[:, :keep].reshape(dl, d1, keep)
            tensors[k + 1] = (s[:, None] * vh[:keep]).reshape(keep, d2, dr)
        else:
            tensors[k] = (u[:, :keep] * s[None, :]).reshape(dl, d1, keep)
            tensors[k + 1] = vh[:keep].reshape(keep, d2, dr)
        return val, discarded

    def _one_site_update(self, tensors, left, right, k, forward) -> float:
        """Optimise site ``k`` and move the gauge centre by a QR step; returns the eigenvalue."""
        a = tensors[k]
        heff = np.einsum("wxa,wvsu,vzc->xszauc", left[k], self.mpo[k], right[k + 1], optimize=True)
        val, vec = _lowest(heff.reshape(a.size, a.size), a.reshape(-1))
        dl, d, dr = a.shape
        if forward and k < self.ham.n - 1:
            q, r = np.linalg.qr(vec.reshape(dl * d, dr))
            tensors[k] = q.reshape(dl, d, -1)
            tensors[k + 1] = np.einsum("ab,bsc->asc", r, tensors[k + 1])
        elif not forward and k > 0:
            q, r = np.linalg.qr(vec.reshape(dl, d * dr).T)
            tensors[k] = q.T.reshape(-1, d, dr)
            tensors[k - 1] = np.einsum("asb,cb->asc", tensors[k - 1], r)
        else:
            tensors[k] = vec.reshape(dl, d, dr)
        return val

    def _sweep(self, tensors: list) -> tuple[float, float]:
        """One left-to-right and right-to-left sweep in place; returns (last eigenvalue, max discarded)."""
        n, left, right = self.ham.n, [None] * (self.ham.n + 1), self._environments(tensors)
        left[0] = np.ones((1, 1, 1))
        val, worst = 0.0, 0.0
        span = n - 1 if self.two_site else n
        for k in range(span):
            check()
            if self.two_site:
                val, disc = self._two_site_update(tensors, left, right, k, True)
                worst = max(worst, disc)
            else:
                val = self._one_site_update(tensors, left, right, k, True)
            if k < n - 1:
                left[k + 1] = _grow_left(left[k], tensors[k], self.mpo[k])
        for k in range(span - 1, -1, -1):
            check()
            if self.two_site:
                val, disc = self._two_site_update(tensors, left, right, k, False)
                worst = max(worst, disc)
                right[k + 1] = _grow_right(right[k + 2], tensors[k + 1], self.mpo[k + 1])
            else:
                val = self._one_site_update(tensors, left, right, k, False)
                if k > 0:
                    right[k] = _grow_right(right[k + 1], tensors[k], self.mpo[k])
        return val, worst

    def iterate(self) -> Generator[DMRGSweepReport, None, DMRGResult]:
        """Sweep until converged, yielding a :class:`DMRGSweepReport` per sweep; returns the :class:`DMRGResult`
        (``result = yield from dmrg.iterate()``, or :class:`explorer.progress.Progress`)."""
        start, tensors, history = time.perf_counter(), list(self.state.tensors), []
        previous, val = np.inf, 0.0
        for sweep in range(1, self.max_sweeps + 1):
            val, worst = self._sweep(tensors)
            self.state = MPS(tuple(tensors))
            energy = self.state.energy(self.ham)
            history.append(energy)
            yield DMRGSweepReport(
                sweep, energy, val, worst, max(self.state.bond_dims, default=1), time.perf_counter() - start
            )
            if abs(previous - energy) < self.tol:
                break
            previous = energy
        return DMRGResult(history[-1], self.state, len(history), val, time.perf_counter() - start, history)

    def solve(self) -> DMRGResult:
        """Run :meth:`iterate` to convergence and return the :class:`DMRGResult`."""
        return run_to_end(self.iterate())
