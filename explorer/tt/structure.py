r"""Block structure of a block-sparse tensor train (seed Sec. 4, Thm. 1, eqs. 19-28).

Every virtual index at interface :math:`l` (between modes :math:`l` and :math:`l+1`, interfaces :math:`0..d`) is
split into blocks labelled by the degree :math:`a \in \{0..\lambda\}` accumulated by the modes left of it. The
slice :math:`(C_l)_i` of core :math:`l` may have a nonzero block :math:`(a, b)` only if

.. math:: b = a + w(i)                                             \qquad\text{(seed eq. 19)}

The left boundary is one block of label 0 and size 1; the right boundary has one size-1 block per allowed total
degree :math:`T` (``T = {0..lambda}`` for "degree at most lambda"; ``T = {2}`` for the dipoles' "exactly two
factors"), contracted with a vector of ones (seed eq. 28).

Block sizes. The size of label :math:`a` at interface :math:`l` is at most :math:`\rho`, at most the number of rows
that can feed it (``sum`` of the sizes of the labels :math:`a - w(i)` at interface :math:`l-1`) and at most the
number of columns it can feed at interface :math:`l+1`. These are the multi-index counts of docs/algorithms.md A4 made
effective: a block larger than what feeds it would be rank deficient. A label with size 0 is dropped.

A *dense* structure has the same ranks but a single block per interface and no zero pattern: the baseline
"dense cores of the same ranks".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BlockStructure", "Block"]


@dataclass(frozen=True)
class Block:
    """One block of an interface: its degree label and the index range ``start:start+size``."""

    label: int
    start: int
    size: int

    @property
    def stop(self) -> int:
        return self.start + self.size

    @property
    def slice(self) -> slice:
        return slice(self.start, self.stop)


def _cap(sizes: dict[int, int], available: dict[int, int]) -> dict[int, int]:
    """Sizes no larger than what the neighbouring interface can feed; labels fed by nothing are dropped."""
    return {a: min(s, available[a]) for a, s in sizes.items() if available.get(a, 0) > 0}


def _layout(sizes: dict[int, int]) -> list[Block]:
    blocks, start = [], 0
    for label in sorted(sizes):
        if sizes[label] > 0:
            blocks.append(Block(label, start, sizes[label]))
            start += sizes[label]
    return blocks


class BlockStructure:
    """Block layout of every interface and the allowed entries of every core.

    Parameters
    ----------
    degrees : array_like of int
        Degree map ``w`` of the dictionary (length ``p``).
    modes : int
        Number of modes ``d``.
    block_size : int
        ``rho``, the largest block size.
    total_degrees : iterable of int
        Allowed total degrees ``T``; ``range(lambda + 1)`` for "degree at most lambda".
    dense : bool
        Same ranks, but one block per interface and every entry allowed.
    """

    def __init__(self, degrees, modes: int, block_size: int, total_degrees, dense: bool = False):
        self.degrees = np.asarray(degrees, dtype=np.int64)
        if modes < 1:
            raise ValueError(f"modes must be >= 1, got {modes}")
        if block_size < 1:
            raise ValueError(f"block_size must be >= 1, got {block_size}")
        self.total_degrees = tuple(sorted({int(t) for t in total_degrees}))
        if not self.total_degrees or self.total_degrees[0] < 0:
            raise ValueError("total_degrees must be a non-empty set of non-negative integers")
        self.modes, self.block_size, self.dense = int(modes), int(block_size), bool(dense)
        self.max_degree = self.total_degrees[-1]
        self.label_sizes = self._block_sizes()
        if not self.label_sizes[-1]:
            raise ValueError(
                f"no multi-index of {modes} modes reaches a total degree in {self.total_degrees}"
            )
        sparse_blocks = [_layout(sizes) for sizes in self.label_sizes]
        self.ranks = [sum(b.size for b in blocks) for blocks in sparse_blocks]
        if dense:
            self.blocks = [[Block(0, 0, r)] for r in self.ranks]
        else:
            self.blocks = sparse_blocks
        self.masks = [self._core_mask(l) for l in range(self.modes)]

    @property
    def size(self) -> int:
        """Dictionary size ``p``."""
        return int(self.degrees.size)

    def _feed(self, sizes: dict[int, int], sign: int) -> dict[int, int]:
        out: dict[int, int] = {}
        for a, s in sizes.items():
            for w in self.degrees:
                b = a + sign * int(w)
                if 0 <= b <= self.max_degree:
                    out[b] = out.get(b, 0) + s
        return out

    def _block_sizes(self) -> list[dict[int, int]]:
        d, rho = self.modes, self.block_size
        sizes = [{a: rho for a in range(self.max_degree + 1)} for _ in range(d + 1)]
        sizes[0] = {0: 1}
        sizes[d] = {t: 1 for t in self.total_degrees}
        changed = True
        while changed:
            before = [dict(s) for s in sizes]
            for l in range(1, d + 1):
                sizes[l] = _cap(sizes[l], self._feed(sizes[l - 1], +1))
            for l in range(d - 1, -1, -1):
                sizes[l] = _cap(sizes[l], self._feed(sizes[l + 1], -1))
            changed = sizes != before
        return sizes

    def _core_mask(self, l: int) -> np.ndarray:
        mask = np.zeros((self.ranks[l], self.size, self.ranks[l + 1]), dtype=bool)
        if self.dense:
            mask[:] = True
            return mask
        right = {b.label: b for b in self.label_blocks(l + 1)}
        for a in self.label_blocks(l):
            for i, w in enumerate(self.degrees):
                b = right.get(a.label + int(w))
                if b is not None:
                    mask[a.slice, i, b.slice] = True
        return mask

    def label_blocks(self, interface: int) -> list[Block]:
        """Degree-labelled blocks of an interface (also for a dense structure, for display)."""
        return _layout(self.label_sizes[interface])

    def transitions(self, l: int) -> list[tuple[Block, int, Block]]:
        """Allowed ``(left block, feature i, right block)`` triples of core ``l`` (0-based), seed eq. 19."""
        right = {b.label: b for b in self.label_blocks(l + 1)}
        out = []
        for a in self.label_blocks(l):
            for i, w in enumerate(self.degrees):
                b = right.get(a.label + int(w))
                if b is not None:
                    out.append((a, i, b))
        return out

    def parameter_count(self) -> int:
        """Number of allowed entries of one tensor train (all ``d`` cores)."""
        return int(sum(m.sum() for m in self.masks))

    def dense_parameter_count(self) -> int:
        """Entries of a dense TT with the same ranks."""
        return int(sum(self.ranks[l] * self.size * self.ranks[l + 1] for l in range(self.modes)))

    def full_tensor_count(self) -> int:
        """Entries of the full coefficient tensor, ``p**d`` (a Python int; it can be astronomically large)."""
        return self.size**self.modes

    def describe(self) -> dict:
        return {
            "degrees": self.degrees.tolist(),
            "modes": self.modes,
            "block_size": self.block_size,
            "total_degrees": list(self.total_degrees),
            "dense": self.dense,
        }

    def __repr__(self) -> str:
        kind = "dense" if self.dense else "block-sparse"
        return (
            f"BlockStructure({kind}, d={self.modes}, p={self.size}, rho={self.block_size}, "
            f"T={list(self.total_degrees)}, max rank={max(self.ranks)})"
        )
