r"""The classical 1D constraint-satisfaction DP of the paper's introduction (Sec. I.1) -- the teaching entry
point.

Minimise :math:`E(x_1, \dots, x_n) = \sum_k u_k(x_k) + \sum_{k=1}^{n-1} c_k(x_k, x_{k+1})` over discrete
:math:`x_k \in \{0, \dots, q_k - 1\}`. After step ``k`` the algorithm holds a list with, for every possible
value ``v`` of :math:`x_k`, the best partial assignment ("tail") of :math:`x_1..x_{k-1}` ending in ``v`` and
its energy :math:`f_k(v)`:

.. math::
    f_1(v) = u_1(v), \qquad f_{k+1}(w) = u_{k+1}(w) + \min_v \left[f_k(v) + c_k(v, w)\right].

Each step checks all :math:`q_k q_{k+1}` pairs, so the cost is linear in ``n`` and quadratic in ``q``. The
epsilon-net DP (:mod:`.dp`) replaces the values by net points of MPS tensors.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TailList:
    """The list after site ``site`` (1-based): best energy ``energy[v]`` and best tail ``tails[v]`` per
    ending ``v``."""

    site: int
    energy: np.ndarray
    tails: tuple


@dataclass(frozen=True)
class ChainCSP:
    """A chain cost function.

    Parameters
    ----------
    pairwise : sequence of ndarray
        ``pairwise[k][v, w]`` is :math:`c_k(v, w)`, shape ``(q_k, q_{k+1})``.
    unary : sequence of ndarray, optional
        ``unary[k][v]`` is :math:`u_k(v)` (zeros if omitted).
    """

    pairwise: tuple
    unary: tuple | None = None

    def __post_init__(self):
        pairwise = tuple(np.asarray(c, dtype=np.float64) for c in self.pairwise)
        if not pairwise or any(c.ndim != 2 for c in pairwise):
            raise ValueError("pairwise must hold at least one 2-D cost table")
        sizes = [pairwise[0].shape[0]] + [c.shape[1] for c in pairwise]
        if any(a.shape[1] != b.shape[0] for a, b in zip(pairwise[:-1], pairwise[1:], strict=True)):
            raise ValueError("consecutive pairwise tables must agree on the shared variable's domain size")
        unary = self.unary if self.unary is not None else [np.zeros(q) for q in sizes]
        unary = tuple(np.asarray(u, dtype=np.float64) for u in unary)
        if [u.shape for u in unary] != [(q,) for q in sizes]:
            raise ValueError(f"unary must hold one vector per variable with sizes {sizes}")
        if not all(np.all(np.isfinite(a)) for a in pairwise + unary):
            raise ValueError("costs must be finite")
        object.__setattr__(self, "pairwise", pairwise)
        object.__setattr__(self, "unary", unary)

    @property
    def n(self) -> int:
        """Number of variables."""
        return len(self.unary)

    def cost(self, assignment) -> float:
        """:math:`E(x)` of one assignment."""
        total = sum(u[x] for u, x in zip(self.unary, assignment, strict=True))
        return float(
            total
            + sum(c[a, b] for c, a, b in zip(self.pairwise, assignment[:-1], assignment[1:], strict=True))
        )

    def iterate(self) -> Iterator[TailList]:
        """Yield the list of best tails after every site."""
        energy = self.unary[0].copy()
        tails = tuple(() for _ in range(energy.size))
        yield TailList(1, energy, tails)
        for k, table in enumerate(self.pairwise):
            total = energy[:, None] + table
            best = total.argmin(axis=0)
            tails = tuple(tails[v] + (int(v),) for v in best)
            energy = total[best, np.arange(table.shape[1])] + self.unary[k + 1]
            yield TailList(k + 2, energy, tails)

    def solve(self) -> tuple[float, tuple]:
        """Minimal cost and a minimising assignment by the DP."""
        *_, final = self.iterate()
        end = int(final.energy.argmin())
        return float(final.energy[end]), final.tails[end] + (end,)

    def brute_force(self) -> tuple[float, tuple]:
        """Minimal cost and assignment by enumerating every assignment (for checking small instances)."""
        domains = [range(u.size) for u in self.unary]
        best = min(itertools.product(*domains), key=self.cost)
        return self.cost(best), tuple(int(x) for x in best)
