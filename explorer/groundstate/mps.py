r"""Matrix product states :math:`\psi = A^{[1]}\cdots A^{[n]}`, tensors of shape ``(D_{k-1}, d_k, D_k)``.

Conventions (docs/algorithms.md B2, B5). A tensor is a *right isometry* when
:math:`\sum_s A_s A_s^\dagger = I`; a chain of right isometries is normalised. Vidal's canonical form writes
:math:`\psi = \Gamma^{[1]}\Lambda^{[1]}\Gamma^{[2]}\cdots\Lambda^{[n-1]}\Gamma^{[n]}` with Schmidt values
:math:`\Lambda^{[k]}` sorted decreasingly; the epsilon-net DP works with pairs
:math:`(\lambda^{[k-1]}, A^{[k]} = \Gamma^{[k]}\Lambda^{[k]})`.

Bond energies use the factorisation of docs/algorithms.md B4/B5 (reconstructed): for a left environment ``L``
(:math:`L_0 = 1`, :math:`L_k = \sum_s A_s^\dagger L_{k-1} A_s`),

.. math::
    e = \langle M(L, A), R(B)\rangle, \quad
    M_{(b t),(b' t')} = \sum \bar A_{a' s' b'} L_{a' a} h_{s' t', s t} A_{a s b}, \quad
    R_{(b t),(b' t')} = \sum_c B_{b t c}\bar B_{b' t' c},

a plain (non-conjugated) dot product of two length-:math:`(D d)^2` vectors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .hamiltonians import ChainHamiltonian


def left_block(env: np.ndarray, tensors: np.ndarray, h4: np.ndarray) -> np.ndarray:
    """Batched :math:`M(L, A)`: ``env`` (P, Dl, Dl), ``tensors`` (P, Dl, d, Dr), ``h4`` (d, d2, d, d2).

    Returns an array of shape (P, Dr, d2, Dr, d2) indexed ``[p, b, t, b', t']``.
    """
    weighted = np.einsum("pxa,pasb->pxsb", env, tensors)
    overlap = np.einsum("pxrc,pxsb->prcsb", tensors.conj(), weighted)
    return np.einsum("prcsb,rtsu->pbuct", overlap, h4)


def diagonal_left_block(lam: np.ndarray, tensors: np.ndarray, h4: np.ndarray) -> np.ndarray:
    """:func:`left_block` with the diagonal environment :math:`\\mathrm{diag}(\\lambda^2)` (``lam`` is (P,
    Dl))."""
    weighted = (lam**2)[:, :, None, None] * tensors
    overlap = np.einsum("pxrc,pxsb->prcsb", tensors.conj(), weighted)
    return np.einsum("prcsb,rtsu->pbuct", overlap, h4)


def right_block(tensors: np.ndarray) -> np.ndarray:
    """Batched :math:`R(B)_{(b t),(b' t')} = \\sum_c B_{btc}\\bar B_{b't'c}`; ``tensors`` (P, Dl, d, Dr)."""
    return np.einsum("pbtc,pxyc->pbtxy", tensors, tensors.conj())


def transfer(env: np.ndarray, tensor: np.ndarray) -> np.ndarray:
    """One step of the left environment, :math:`L' = \\sum_s A_s^\\dagger L A_s`."""
    return np.einsum("xsb,xa,asc->bc", tensor.conj(), env, tensor)


@dataclass(frozen=True)
class VidalForm:
    """Vidal canonical form: ``gammas[k]`` (D_{k-1}, d_k, D_k) and ``lambdas[k]`` (Schmidt values at bond
    k)."""

    gammas: tuple
    lambdas: tuple

    def to_mps(self) -> MPS:
        """Right-canonical MPS :math:`A^{[k]} = \\Gamma^{[k]}\\Lambda^{[k]}` (last site
        :math:`\\Gamma^{[n]}`)."""
        tensors = [g * lam[None, None, :] for g, lam in zip(self.gammas[:-1], self.lambdas, strict=True)]
        return MPS(tuple(tensors) + (self.gammas[-1],))

    def pairs(self) -> list:
        """Canonical pairs :math:`(\\lambda^{[k-1]}, A^{[k]})` per site, with :math:`\\lambda^{[0]} = (1)`."""
        lams = (np.ones(1),) + tuple(self.lambdas)
        return list(zip(lams, self.to_mps().tensors, strict=True))


@dataclass(frozen=True)
class MPS:
    """An open-boundary MPS given by its tensors ``(D_{k-1}, d_k, D_k)`` with ``D_0 = D_n = 1``."""

    tensors: tuple

    def __post_init__(self):
        tensors = tuple(np.asarray(t) for t in self.tensors)
        if not tensors or tensors[0].shape[0] != 1 or tensors[-1].shape[2] != 1:
            raise ValueError("MPS tensors must be rank-3 with boundary bond dimensions 1")
        for k, t in enumerate(tensors):
            if t.ndim != 3 or not np.all(np.isfinite(t)):
                raise ValueError(f"MPS tensor {k} must be a finite rank-3 array, got shape {t.shape}")
            if k and tensors[k - 1].shape[2] != t.shape[0]:
                raise ValueError(f"bond dimensions of MPS tensors {k - 1} and {k} do not match")
        dtype = np.result_type(*tensors, np.float64)
        object.__setattr__(self, "tensors", tuple(t.astype(dtype) for t in tensors))

    @property
    def n(self) -> int:
        """Number of sites."""
        return len(self.tensors)

    @property
    def dims(self) -> tuple:
        """Local dimensions."""
        return tuple(t.shape[1] for t in self.tensors)

    @property
    def bond_dims(self) -> tuple:
        """Bond dimensions :math:`D_1, \\dots, D_{n-1}`."""
        return tuple(t.shape[2] for t in self.tensors[:-1])

    def to_dense(self) -> np.ndarray:
        """Full state vector (site 0 most significant); only for small chains."""
        vec = np.ones((1, 1))
        for t in self.tensors:
            vec = np.einsum("pa,asb->psb", vec, t).reshape(-1, t.shape[2])
        return vec[:, 0]

    def norm(self) -> float:
        """:math:`\\|\\psi\\|` by transfer matrices."""
        env = np.ones((1, 1))
        for t in self.tensors:
            env = transfer(env, t)
        return float(np.sqrt(abs(env[0, 0])))

    def is_right_isometric(self, tol: float = 1e-10) -> bool:
        """True when every tensor satisfies :math:`\\sum_s A_s A_s^\\dagger = I` to ``tol``."""
        for t in self.tensors:
            gram = np.einsum("asb,csb->ac", t, t.conj())
            if np.abs(gram - np.eye(t.shape[0])).max() > tol:
                return False
        return True

    def right_canonical(self) -> MPS:
        """Same state, normalised, with right-isometric tensors (LQ sweep from the right)."""
        tensors = list(self.tensors)
        for k in range(self.n - 1, 0, -1):
            dl, d, dr = tensors[k].shape
            q, r = np.linalg.qr(tensors[k].reshape(dl, d * dr).conj().T)
            tensors[k] = q.conj().T.reshape(-1, d, dr)
            tensors[k - 1] = np.einsum("asb,bc->asc", tensors[k - 1], r.conj().T)
        norm = np.linalg.norm(tensors[0])
        if norm == 0.0:
            raise ValueError("cannot normalise the zero MPS")
        tensors[0] = tensors[0] / norm
        return MPS(tuple(tensors))

    def vidal(self, tol: float = 1e-13) -> VidalForm:
        """Vidal canonical form by a left-to-right SVD sweep over the right-canonical state.

        Bonds are truncated to the numerical Schmidt rank (values ``<= tol * max``) so that
        :math:`\\Gamma^{[k]} = \\Lambda^{[k-1]\\,-1} U^{[k]}` is well defined.
        """
        right = self.right_canonical().tensors
        gammas, lambdas = [], []
        carry, prev = np.ones((1, 1)), np.ones(1)
        for k in range(self.n - 1):
            c = np.einsum("ab,bsc->asc", carry, right[k])
            dl, d, _ = c.shape
            u, s, vh = np.linalg.svd(c.reshape(dl * d, -1), full_matrices=False)
            rank = max(1, int(np.sum(s > tol * s[0])))
            u, s, vh = u[:, :rank], s[:rank], vh[:rank]
            gammas.append(u.reshape(dl, d, rank) / prev[:, None, None])
            lambdas.append(s)
            carry, prev = s[:, None] * vh, s
        last = np.einsum("ab,bsc->asc", carry, right[-1])
        gammas.append(last / prev[:, None, None])
        return VidalForm(tuple(gammas), tuple(lambdas))

    def schmidt_spectra(self) -> list:
        """Schmidt values at every bond (numerically nonzero ones, decreasing)."""
        return list(self.vidal().lambdas)

    def bond_energies(self, ham: ChainHamiltonian) -> np.ndarray:
        """Energies :math:`\\langle h_{k,k+1}\\rangle` of the normalised state (docs/algorithms.md B5).

        The state is right-canonicalised first (unless already right-isometric), so the right environment is
        the identity and :math:`e_k = \\langle M(L_{k-1}, A^{[k]}), R(A^{[k+1]})\\rangle`; ``Tr L_n = 1`` is
        checked.
        """
        if ham.dims != self.dims:
            raise ValueError(f"Hamiltonian dims {ham.dims} do not match MPS dims {self.dims}")
        state = self if self.is_right_isometric() else self.right_canonical()
        tensors = state.tensors
        env, out = np.ones((1, 1)), np.zeros(self.n - 1)
        for k in range(self.n - 1):
            m = left_block(env[None], tensors[k][None], ham.local_term(k))
            out[k] = float(np.sum(m * right_block(tensors[k + 1][None])).real)
            env = transfer(env, tensors[k])
        env = transfer(env, tensors[-1])
        if abs(np.trace(env) - 1.0) > 1e-8:
            raise ValueError(f"MPS is not normalised: Tr L_n = {np.trace(env).real:.3e}")
        return out

    def energy(self, ham: ChainHamiltonian) -> float:
        """True energy :math:`\\langle\\psi|H|\\psi\\rangle / \\langle\\psi|\\psi\\rangle`."""
        return float(self.bond_energies(ham).sum())

    def ungroup(self, site_dims) -> MPS:
        """Split grouped sites back into their constituents by exact successive SVDs.

        Parameters
        ----------
        site_dims : sequence of sequence of int
            For each site the original local dimensions it groups, e.g. ``[(2, 2), (2,), (2, 2)]``.
        """
        if len(site_dims) != self.n:
            raise ValueError(f"site_dims must list {self.n} groups, got {len(site_dims)}")
        tensors = []
        for t, parts in zip(self.tensors, site_dims, strict=True):
            if math.prod(parts) != t.shape[1]:
                raise ValueError(f"group {tuple(parts)} does not multiply to local dimension {t.shape[1]}")
            tensors.extend(_split_tensor(t, tuple(parts)))
        return MPS(tuple(tensors))

    @classmethod
    def product(cls, vectors) -> MPS:
        """Product state from one local vector per site (normalised on output)."""
        tensors = tuple(np.asarray(v)[None, :, None] for v in vectors)
        return cls(tensors).right_canonical()

    @classmethod
    def from_dense(cls, psi: np.ndarray, dims, bond_dim: int) -> MPS:
        """Normalised MPS of bond dimension ``<= bond_dim`` by successive truncated SVDs of ``psi``."""
        psi = np.asarray(psi)
        dims = tuple(int(x) for x in dims)
        if psi.size != math.prod(dims) or not np.all(np.isfinite(psi)):
            raise ValueError(f"psi must be a finite vector of length prod(dims) = {math.prod(dims)}")
        tensors, rest, left = [], psi.reshape(1, -1), 1
        for d in dims[:-1]:
            u, s, vh = np.linalg.svd(rest.reshape(left * d, -1), full_matrices=False)
            keep = min(bond_dim, s.size)
            tensors.append(u[:, :keep].reshape(left, d, keep))
            rest, left = s[:keep, None] * vh[:keep], keep
        tensors.append(rest.reshape(left, dims[-1], 1))
        return cls(tuple(tensors)).right_canonical()

    @classmethod
    def random(cls, dims, bond_dim: int, rng: np.random.Generator, real: bool = True) -> MPS:
        """Random normalised MPS with bond dimensions ``min(bond_dim, prod left dims, prod right dims)``."""
        dims = tuple(int(x) for x in dims)
        bonds = (
            [1]
            + [
                min(bond_dim, math.prod(dims[: k + 1]), math.prod(dims[k + 1 :]))
                for k in range(len(dims) - 1)
            ]
            + [1]
        )
        tensors = []
        for k, d in enumerate(dims):
            shape = (bonds[k], d, bonds[k + 1])
            t = rng.standard_normal(shape)
            if not real:
                t = t + 1j * rng.standard_normal(shape)
            tensors.append(t)
        return cls(tuple(tensors)).right_canonical()


def _split_tensor(tensor: np.ndarray, parts: tuple) -> list:
    """Split one tensor (Dl, prod(parts), Dr) into ``len(parts)`` tensors by exact SVDs (rank kept)."""
    out, rest = [], tensor
    for d in parts[:-1]:
        dl = rest.shape[0]
        u, s, vh = np.linalg.svd(rest.reshape(dl * d, -1), full_matrices=False)
        rank = max(1, int(np.sum(s > 1e-14 * s[0])))
        out.append(u[:, :rank].reshape(dl, d, rank))
        rest = (s[:rank, None] * vh[:rank]).reshape(rank, -1, tensor.shape[2])
    out.append(rest)
    return out
