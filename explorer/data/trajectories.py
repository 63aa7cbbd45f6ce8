r"""Measured trajectories and data pairs, and the training pairs ``(X, Y)`` they give.

:class:`TrajectoryData` holds ``M`` trajectories of ``T`` time points in ``d`` modes; :meth:`TrajectoryData.pairs`
turns them into states and derivatives of the law's order: measured ``xdot``/``xddot`` when the file has them
(and no estimator is asked for), otherwise estimates from the positions (:class:`~explorer.data.derivatives.
Differentiation`; for :math:`\ddot x = f(x)` the second derivative of ``x``: velocities are not needed, a file's
``v`` only starts simulations). :class:`PairData` holds ready pairs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from explorer.data.derivatives import Differentiation

__all__ = ["TrajectoryData", "PairData", "MEASURED"]

ARRAYS = ("t", "x", "v", "xdot", "xddot")
MEASURED = {1: "xdot", 2: "xddot"}
"""Key of the measured derivative for each law order."""


def _check_order(order) -> int:
    if order not in (1, 2):
        raise ValueError(f"order must be 1 (xdot = f(x)) or 2 (xddot = f(x)), got {order!r}")
    return int(order)


@dataclass(frozen=True)
class TrajectoryData:
    """``M`` trajectories: times ``t`` ``(M, T)``, states ``x`` ``(M, T, d)``, optional ``v``, ``xdot``, ``xddot``.

    Build it from arrays with :meth:`from_arrays` (validated) or read a file with
    :func:`explorer.data.load_data`. ``name`` and ``sha256`` identify the source file in a saved law.
    """

    t: np.ndarray
    x: np.ndarray
    v: np.ndarray | None = None
    xdot: np.ndarray | None = None
    xddot: np.ndarray | None = None
    name: str = "arrays"
    sha256: str | None = None

    @classmethod
    def from_arrays(cls, t, x, v=None, xdot=None, xddot=None, name: str = "arrays") -> TrajectoryData:
        """Validated trajectories from arrays; ``t`` may be a scalar step (times ``0, dt, 2 dt, ...``).

        Shapes as in a file (:mod:`explorer.data.files`): ``x`` ``(T, d)`` or ``(M, T, d)``, ``t`` ``(T,)`` or
        ``(M, T)``; errors name the array and the expected shape.
        """
        from explorer.data.files import _trajectories

        x = np.asarray(x, dtype=np.float64)
        if np.ndim(t) == 0:
            t = float(t) * np.arange(x.shape[-2] if x.ndim >= 2 else 0)
        arrays = {"t": np.asarray(t, dtype=np.float64), "x": x}
        arrays.update({k: np.asarray(a, dtype=np.float64) for k, a in
                       (("v", v), ("xdot", xdot), ("xddot", xddot)) if a is not None})
        return _trajectories(arrays, name, None)

    @property
    def modes(self) -> int:
        return int(self.x.shape[2])

    @property
    def trajectories(self) -> int:
        return int(self.x.shape[0])

    @property
    def points(self) -> int:
        return int(self.x.shape[1])

    def source(self) -> dict:
        """The file (name and sha256) the data came from, for a law's provenance."""
        return {"file": self.name, "sha256": self.sha256, "trajectories": self.trajectories, "points": self.points}

    def states(self) -> np.ndarray:
        """Every state, shape ``(M T, d)``."""
        return self.x.reshape(-1, self.modes)

    def subset(self, indices) -> TrajectoryData:
        """The trajectories ``indices`` (in that order)."""
        idx = np.asarray(indices, dtype=np.int64)
        return self._select(lambda a: a[idx])

    def _select(self, pick) -> TrajectoryData:
        """A copy with ``pick`` applied to every array (the absent ones stay None)."""
        arrays = {k: getattr(self, k) for k in ARRAYS}
        return replace(self, **{k: None if a is None else pick(a) for k, a in arrays.items()})

    def until(self, t_final: float) -> TrajectoryData:
        """The time points with ``t <= t_final`` (of the first trajectory's grid; grids must then agree)."""
        keep = self.t[0] <= t_final
        if not np.all((self.t <= t_final) == keep):
            raise ValueError("until needs the same time grid for every trajectory")
        if keep.sum() < 2:
            raise ValueError(f"until = {t_final} keeps fewer than 2 time points (t starts at {self.t[0, 0]})")
        return self._select(lambda a: a[:, keep])

    def split(self, fraction: float) -> tuple[TrajectoryData, TrajectoryData | None]:
        """Training trajectories and the held-out last ``round(fraction M)`` (at least one when ``fraction > 0``)."""
        if not 0 <= fraction < 1:
            raise ValueError(f"validation must be a fraction in [0, 1), got {fraction!r}")
        held = 0 if fraction == 0 else max(1, round(fraction * self.trajectories))
        if held == 0:
            return self, None
        if held >= self.trajectories:
            raise ValueError(f"{self.name}: validation {fraction} holds out all {self.trajectories} trajectories; "
                             "give --test-data or more trajectories")
        cut = self.trajectories - held
        return self.subset(range(cut)), self.subset(range(cut, self.trajectories))

    def pairs(self, order: int, differentiation: Differentiation | str | None = None):
        """States ``X`` and derivatives ``Y`` of order ``order``, each ``(N, d)``, over all trajectories.

        ``differentiation`` is a :class:`Differentiation`, an estimator name, or ``None``: the measured ``xdot``
        (order 1) / ``xddot`` (order 2) when present, else the default estimator.
        """
        order = _check_order(order)
        measured = getattr(self, MEASURED[order])
        if differentiation is None and measured is not None:
            return self.states(), measured.reshape(-1, self.modes)
        if isinstance(differentiation, str) or differentiation is None:
            differentiation = Differentiation(**({} if differentiation is None else {"method": differentiation}))
        differentiation.check(order)
        need = differentiation.minimum_points()
        if self.points < need:
            raise ValueError(f"{self.name}: key 'x' must have at least {need} time points per trajectory for "
                             f"{differentiation.method} (shape (M, >={need}, d)), got {self.x.shape}")
        try:
            estimates = [differentiation.estimate(t, x, order) for t, x in zip(self.t, self.x, strict=True)]
        except ValueError as err:
            raise ValueError(f"{self.name}: key 't': {err}") from err
        return np.concatenate([e[1] for e in estimates]), np.concatenate([e[2] for e in estimates])


@dataclass(frozen=True)
class PairData:
    """Ready data pairs: states ``x`` ``(N, d)`` and the law's derivatives ``y`` ``(N, d)``."""

    x: np.ndarray
    y: np.ndarray
    name: str = "arrays"
    sha256: str | None = None

    @property
    def modes(self) -> int:
        return int(self.x.shape[1])

    def source(self) -> dict:
        return {"file": self.name, "sha256": self.sha256, "samples": int(self.x.shape[0])}

    def states(self) -> np.ndarray:
        return self.x

    def pairs(self, order: int, differentiation=None):
        """``(x, y)``; pairs carry their derivatives, so an estimator does not apply."""
        _check_order(order)
        if differentiation is not None:
            raise ValueError(f"{self.name}: a pair file carries its derivatives (key 'y'); --derivative applies "
                             "to trajectory files only")
        return self.x, self.y

    def split(self, fraction: float, seed: int = 0) -> tuple[PairData, PairData | None]:
        """A seeded random ``fraction`` of the pairs held out for testing."""
        if not 0 <= fraction < 1:
            raise ValueError(f"validation must be a fraction in [0, 1), got {fraction!r}")
        n = self.x.shape[0]
        held = 0 if fraction == 0 else max(1, round(fraction * n))
        if held == 0:
            return self, None
        if held >= n:
            raise ValueError(f"{self.name}: validation {fraction} holds out all {n} pairs")
        order = np.random.default_rng(seed).permutation(n)
        keep, test = np.sort(order[held:]), np.sort(order[:held])
        return (replace(self, x=self.x[keep], y=self.y[keep]), replace(self, x=self.x[test], y=self.y[test]))
