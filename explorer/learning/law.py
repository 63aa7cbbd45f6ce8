r"""A learned (or constructed) self-similar law: one block-sparse TT per equation with shared cores.

Seed eq. 40: :math:`f_k(x) = C_1^{(S_{k1})}[\Psi(x_1)] \cdots C_d^{(S_{kd})}[\Psi(x_d)]\,\mathbf{1}` with the
selection table :math:`S^L` of eq. 41. Evaluation shares work between equations: the left-outside cores (type 1)
form one common prefix chain and the right-outside cores (type ``2L+3``) one common suffix chain, so evaluating all
``d`` equations costs :math:`O(N d (2L+3) r^2 p)`, linear in ``d``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from explorer.cancellation import check
from explorer.dictionaries import Dictionary
from explorer.learning.equations import equations
from explorer.learning.selection import LEFT_TYPE, right_type, selection_table, window
from explorer.tt.blocksparse import BlockSparseTT, random_core
from explorer.tt.contraction import apply_left, apply_right
from explorer.tt.structure import BlockStructure

__all__ = ["SelfSimilarLaw", "Core", "relative_residuum"]

Core = tuple[int, int]
"""Key of a core: ``(mode, type)`` with a 0-based mode and a 1-based activation type."""


EVALUATION_BLOCK = 4096
"""Samples per block when a law is evaluated (:meth:`SelfSimilarLaw.evaluate_features`)."""


@dataclass
class SelfSimilarLaw:
    """Cores ``C_l^{(t)}`` of a self-similar block-sparse TT law and the dictionary they act on.

    Parameters
    ----------
    structure : BlockStructure
        Shared by all cores (mode ``l`` uses ``structure.masks[l]`` whatever its type).
    dictionary : Dictionary
    interaction_length : int
        ``L`` of the selection table (window of ``2L + 1`` modes).
    cores : dict
        ``{(mode, type): array (r_l, p, r_{l+1})}`` for every type used at every mode.
    history : list of dict
        Per-sweep records of the learner that produced the law.
    order : {1, 2} or None
        ``xdot = f(x)`` or ``xddot = f(x)``; needed by :meth:`simulate` (``None``: unknown).
    provenance : dict
        ``source`` (system or training file with its sha256), ``training`` (settings) and ``learned`` (``"law"``
        unless the train represents a transformed target), written into the law file.
    """

    structure: BlockStructure
    dictionary: Dictionary
    interaction_length: int
    cores: dict = field(default_factory=dict)
    history: list = field(default_factory=list)
    order: int | None = None
    provenance: dict = field(default_factory=dict)

    @property
    def modes(self) -> int:
        return self.structure.modes

    @property
    def table(self) -> np.ndarray:
        return selection_table(self.modes, self.interaction_length)

    def core_keys(self) -> list[Core]:
        """Every ``(mode, type)`` used by some equation, in sweep order."""
        table = self.table
        return [(m, int(t)) for m in range(self.modes) for t in np.unique(table[:, m])]

    @classmethod
    def random(cls, structure, dictionary, interaction_length, seed=None) -> SelfSimilarLaw:
        rng = np.random.default_rng(seed)
        law = cls(structure, dictionary, interaction_length)
        for m, t in law.core_keys():
            law.cores[(m, t)] = random_core(structure.masks[m], rng)
        return law

    def predict(self, X: np.ndarray) -> np.ndarray:
        """``fhat(X)`` of shape ``(N, d)``."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.modes:
            raise ValueError(f"X must have shape (N, {self.modes}), got {X.shape}")
        return self.evaluate_features(self.dictionary.evaluate(X))

    def evaluate_features(self, features: np.ndarray) -> np.ndarray:
        """All equations at features ``(N, d, p)``; returns ``(N, d)``.

        Samples are evaluated in blocks of ``EVALUATION_BLOCK``, so the prefix and suffix chains of a large test set
        take ``O(d r EVALUATION_BLOCK)`` memory instead of ``O(d r N)``.
        """
        n = features.shape[0]
        out = np.empty((n, self.modes))
        for start in range(0, n, EVALUATION_BLOCK):
            check()
            block = features[start : start + EVALUATION_BLOCK]
            out[start : start + block.shape[0]] = self._evaluate_block(
                np.ascontiguousarray(block.transpose(1, 2, 0))
            )
        return out

    def _evaluate_block(self, feats: np.ndarray) -> np.ndarray:
        """All equations at samples-last features ``(d, p, n)`` with the shared prefix and suffix chains."""
        d, lint = self.modes, self.interaction_length
        n = feats.shape[2]
        prefix = [np.ones((1, n))]
        for m in range(d):
            if (m, LEFT_TYPE) not in self.cores:
                break
            prefix.append(apply_left(prefix[-1], self.cores[(m, LEFT_TYPE)], feats[m]))
        suffix = {d: np.ones((self.structure.ranks[d], n))}
        rtype = right_type(lint)
        for m in range(d - 1, -1, -1):
            if (m, rtype) not in self.cores:
                break
            suffix[m] = apply_right(self.cores[(m, rtype)], feats[m], suffix[m + 1])
        out = np.empty((n, d))
        for e in range(d):
            modes = window(d, lint, e)
            v = prefix[modes.start]
            for m in modes:
                v = apply_left(v, self.cores[(m, m - e + lint + 2)], feats[m])
            out[:, e] = np.einsum("rn,rn->n", v, suffix[modes.stop])
        return out

    def equation_tt(self, equation: int) -> BlockSparseTT:
        """The tensor train of ``f_equation`` alone (for dense contraction in tests and displays)."""
        row = self.table[equation]
        return BlockSparseTT(self.structure, [self.cores[(m, int(row[m]))] for m in range(self.modes)])

    def block_norms(self, mode: int, kind: int) -> np.ndarray:
        """Frobenius norms of the blocks of core ``(mode, kind)``: array ``(labels left, p, labels right)``."""
        core = self.cores[(mode, kind)]
        left = self.structure.label_blocks(mode)
        right = self.structure.label_blocks(mode + 1)
        norms = np.zeros((len(left), core.shape[1], len(right)))
        for a, ba in enumerate(left):
            for b, bb in enumerate(right):
                norms[a, :, b] = np.linalg.norm(core[ba.slice, :, bb.slice], axis=(0, 2))
        return norms

    def parameter_count(self) -> int:
        """Allowed entries over all distinct cores (shared cores counted once)."""
        return int(sum(self.structure.masks[m].sum() for m, _ in self.cores))

    def equations(self, threshold: float = 1e-6, basis: str = "auto", radius: int | None = None) -> list:
        """The terms of every equation above ``threshold`` (see :func:`explorer.learning.equations.equations`)."""
        return equations(self, threshold, basis, radius)

    def residuum(self, X: np.ndarray, F: np.ndarray) -> float:
        """``sqrt(sum ||fhat(x) - f(x)||^2 / sum ||f(x)||^2)`` (docs/algorithms.md A1)."""
        return relative_residuum(self.predict(X), F)

    def copy(self) -> SelfSimilarLaw:
        """A copy whose cores and history later sweeps of this law do not change (structure and dictionary, which
        nothing changes, are shared)."""
        cores = {key: core.copy() for key, core in self.cores.items()}
        return SelfSimilarLaw(self.structure, self.dictionary, self.interaction_length, cores, list(self.history),
                              self.order, dict(self.provenance))

    def simulate(self, x0, t, v0=None, **tolerances):
        """Integrate the law from ``x0`` (and ``v0`` for second order) on the times ``t`` (DOP853).

        See :func:`explorer.learning.simulation.simulate`; returns a :class:`~explorer.learning.simulation.
        Simulation` with ``t``, ``x`` and ``v``.
        """
        from explorer.learning.simulation import simulate

        return simulate(self, x0, t, v0=v0, **tolerances)

    def save(self, path) -> None:
        """The versioned, validated law file (:mod:`explorer.learning.lawfile`): ``.npz`` with JSON metadata."""
        from explorer.learning.lawfile import write_law

        write_law(self, path)

    def to_bytes(self) -> bytes:
        """The law file's bytes (for a download)."""
        from explorer.learning.lawfile import law_to_bytes

        return law_to_bytes(self)

    @classmethod
    def load(cls, path) -> SelfSimilarLaw:
        """Read and validate a law file; a damaged or edited file raises a ValueError naming what is wrong."""
        from explorer.learning.lawfile import read_law

        return read_law(path)

    @classmethod
    def from_bytes(cls, content: bytes, name: str = "law") -> SelfSimilarLaw:
        """Read and validate a law file's bytes (an upload)."""
        from explorer.learning.lawfile import law_from_bytes

        return law_from_bytes(content, name)


def relative_residuum(prediction: np.ndarray, reference: np.ndarray) -> float:
    """``||prediction - reference||_F / ||reference||_F``."""
    denom = np.linalg.norm(reference)
    if denom == 0:
        raise ValueError("reference values are all zero: the relative residuum is undefined")
    return float(np.linalg.norm(prediction - reference) / denom)
