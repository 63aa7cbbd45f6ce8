r"""A single block-sparse tensor train :math:`f(x) = C_1[\Psi(x_1)] \cdots C_d[\Psi(x_d)]\,\mathbf{1}`.

Seed eqs. 4 and 28: the cores :math:`C_l` have shape ``(r_{l-1}, p, r_l)`` and vanish outside the pattern of a
:class:`~explorer.tt.structure.BlockStructure`; the right boundary is contracted with a vector of ones, one entry
per allowed total degree. The block-preserving QR factorises one block column at a time, so the orthogonal factor
keeps the pattern and the triangular factor is block diagonal (it only mixes vectors of one degree label).
"""

from __future__ import annotations

import json

import numpy as np

from explorer.tt.contraction import apply_left, compiled_small
from explorer.tt.structure import BlockStructure

__all__ = ["BlockSparseTT", "block_qr", "block_lq", "random_core", "random_cores"]


@compiled_small
def _block_columns_qr(flat, mask, starts, stops):
    """QR of every block column ``flat[rows, start:stop]`` (rows: the allowed ones of the block), compiled.

    Each block is factorised by ``numpy.linalg.qr`` in its compiled form (LAPACK ``dgeqrf``/``dorgqr``).
    """
    r1 = flat.shape[1]
    q = np.zeros_like(flat)
    rmat = np.zeros((r1, r1))
    for blk in range(starts.shape[0]):
        start, stop = starts[blk], stops[blk]
        rows = np.flatnonzero(mask[:, start])
        if rows.shape[0] == 0:
            continue
        sub = np.empty((rows.shape[0], stop - start))
        for i in range(rows.shape[0]):
            sub[i] = flat[rows[i], start:stop]
        qb, rb = np.linalg.qr(sub)
        k = qb.shape[1]
        for i in range(rows.shape[0]):
            q[rows[i], start : start + k] = qb[i]
        rmat[start : start + k, start:stop] = rb
    return q, rmat


def _block_columns(flat: np.ndarray, mask: np.ndarray, blocks) -> tuple[np.ndarray, np.ndarray]:
    """``flat = Q R`` with one QR per block column (:func:`_block_columns_qr`) for the blocks of its columns."""
    starts = np.array([b.start for b in blocks], dtype=np.int64)
    stops = np.array([b.stop for b in blocks], dtype=np.int64)
    return _block_columns_qr(np.ascontiguousarray(flat, dtype=np.float64), np.ascontiguousarray(mask), starts, stops)


def block_qr(core: np.ndarray, structure: BlockStructure, l: int) -> tuple[np.ndarray, np.ndarray]:
    """Left-orthogonalise core ``l``: ``core = Q R`` along its right index, block by block.

    Returns ``Q`` (same pattern, orthonormal columns in the unfolding ``(r_{l-1} p) x r_l``) and a block-diagonal
    ``R`` of shape ``(r_l, r_l)``.
    """
    r0, p, r1 = core.shape
    q, rmat = _block_columns(core.reshape(r0 * p, r1), structure.masks[l].reshape(r0 * p, r1), structure.blocks[l + 1])
    return q.reshape(r0, p, r1), rmat


def block_lq(core: np.ndarray, structure: BlockStructure, l: int) -> tuple[np.ndarray, np.ndarray]:
    """Right-orthogonalise core ``l``: ``core = L Q`` along its left index, block by block (``L`` block diagonal):
    the block QR of the transposed unfolding ``(p r_l) x r_{l-1}``."""
    r0, p, r1 = core.shape
    q, rmat = _block_columns(core.reshape(r0, p * r1).T, structure.masks[l].reshape(r0, p * r1).T, structure.blocks[l])
    return q.T.reshape(r0, p, r1), rmat.T


def random_core(mask: np.ndarray, rng: np.random.Generator, noise: float = 0.05) -> np.ndarray:
    """A core that passes the constant function through (label 0 -> 0 by feature 0) plus Gaussian noise.

    The noise on every allowed entry is scaled by the number of entries feeding a column, so long chains neither
    blow up nor vanish.
    """
    core = rng.standard_normal(mask.shape) * mask
    fan_in = np.maximum(mask.sum(axis=(0, 1), keepdims=True), 1)
    core *= noise / np.sqrt(fan_in)
    if mask[0, 0, 0]:
        core[0, 0, 0] += 1.0
    return core


def random_cores(structure: BlockStructure, rng: np.random.Generator, noise: float = 0.5) -> list[np.ndarray]:
    """One :func:`random_core` per mode."""
    return [random_core(mask, rng, noise) for mask in structure.masks]


class BlockSparseTT:
    """One block-sparse tensor train over ``d`` modes.

    Parameters
    ----------
    structure : BlockStructure
    cores : list of numpy.ndarray
        ``d`` cores of shape ``(r_{l-1}, p, r_l)``; entries outside the pattern must vanish.
    """

    def __init__(self, structure: BlockStructure, cores):
        self.structure = structure
        self.cores = [np.asarray(c, dtype=np.float64) for c in cores]
        if len(self.cores) != structure.modes:
            raise ValueError(f"expected {structure.modes} cores, got {len(self.cores)}")
        for l, (core, mask) in enumerate(zip(self.cores, structure.masks, strict=True)):
            if core.shape != mask.shape:
                raise ValueError(f"core {l} has shape {core.shape}, the structure needs {mask.shape}")
            if np.any(core[~mask] != 0):
                raise ValueError(f"core {l} has nonzero entries outside the block pattern")

    @classmethod
    def random(cls, structure: BlockStructure, seed=None) -> BlockSparseTT:
        return cls(structure, random_cores(structure, np.random.default_rng(seed)))

    def evaluate(self, features: np.ndarray) -> np.ndarray:
        """Values at states given by their features ``(N, d, p)``; returns ``(N,)``."""
        samples_last = np.ascontiguousarray(np.asarray(features, dtype=np.float64).transpose(1, 2, 0))
        v = np.ones((1, features.shape[0]))
        for core, psi in zip(self.cores, samples_last, strict=True):
            v = apply_left(v, core, psi)
        return v.sum(axis=0)

    def to_dense(self) -> np.ndarray:
        """Full coefficient tensor of shape ``(p,) * d`` (small ``d`` only)."""
        full = np.ones((1, 1))
        for core in self.cores:
            full = np.tensordot(full, core, axes=([-1], [0]))
        return full.sum(axis=-1).reshape((self.structure.size,) * self.structure.modes)

    def left_orthogonalize(self) -> None:
        """Make cores ``1..d-1`` left-orthogonal with block-preserving QR; the function is unchanged."""
        for l in range(self.structure.modes - 1):
            self.cores[l], r = block_qr(self.cores[l], self.structure, l)
            self.cores[l + 1] = np.einsum("ab,bpc->apc", r, self.cores[l + 1])

    def parameter_count(self) -> int:
        return self.structure.parameter_count()

    def save(self, path) -> None:
        """Write cores to ``.npz`` with the structure as JSON metadata (no pickle)."""
        arrays = {f"core_{l}": c for l, c in enumerate(self.cores)}
        np.savez(path, metadata=np.array(json.dumps(self.structure.describe())), **arrays)

    @classmethod
    def load(cls, path) -> BlockSparseTT:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["metadata"]))
            structure = BlockStructure(
                meta["degrees"], meta["modes"], _block_size(meta), meta["total_degrees"], meta["dense"]
            )
            cores = [data[f"core_{l}"] for l in range(structure.modes)]
        return cls(structure, cores)


def _block_size(description: dict) -> int:
    """``block_size`` of a stored structure description (files written before the rename say ``max_block_size``)."""
    return description["block_size"] if "block_size" in description else description["max_block_size"]
