r"""Common base class of the dynamical systems whose laws are learned (docs/algorithms.md A1-A2).

A system is a :class:`param.Parameterized` model with bounded, documented parameters, so invalid input is
rejected with a clear error before any work starts. Every system offers

- ``order``: 1 for :math:`\dot x = f(x)`, 2 for :math:`\ddot x = f(x)`;
- ``domain``: per-mode sampling bounds, an array ``(d, 2)``;
- ``law(X)``: the physical :math:`f`, vectorised ``(N, d) -> (N, d)``;
- ``target(X)``: what is learned (equal to the law except for Lennard-Jones, seed eq. 50) and its inverse
  ``law_from_target(X, G)``;
- ``sample_states`` / ``sample``: seeded random states and data pairs;
- ``energy(x, v=None)`` where the system has a conserved energy;
- ``trajectory`` / ``trajectory_data``: integrated trajectories and finite-difference data
  (:mod:`explorer.systems.trajectories`).
"""

from __future__ import annotations

import numpy as np
import param

from explorer.systems._validate import as_rng, check_count
from explorer.systems.trajectories import Trajectory, finite_difference_data, integrate

__all__ = ["DynamicalSystem"]


def _jsonable(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if callable(value):
        return f"{value.__module__}:{value.__qualname__}"
    return value


_TRUE, _FALSE = ("true", "yes", "1", "on"), ("false", "no", "0", "off")


def _from_text(name: str, parameter: param.Parameter, text: str):
    """``text`` read as a value of ``parameter`` (a ValueError naming ``name`` when it cannot be)."""
    try:
        if isinstance(parameter, param.Boolean):
            if text.lower() not in _TRUE + _FALSE:
                raise ValueError(text)
            return text.lower() in _TRUE
        if isinstance(parameter, param.Selector):
            return next(obj for obj in parameter.objects if str(obj) == text)
        if isinstance(parameter, param.Integer):
            return int(text)
        if isinstance(parameter, param.Number):
            value = float(text)
            if not np.isfinite(value):
                raise ValueError(text)
            return value
    except (ValueError, StopIteration):
        raise ValueError(f"system parameter {name} cannot be {text!r}") from None
    return text


class DynamicalSystem(param.Parameterized):
    r"""Base class of a law :math:`\dot x = f(x)` (``order=1``) or :math:`\ddot x = f(x)` (``order=2``).

    Subclasses implement ``_law`` and the ``domain`` property and, where they have one, ``_potential_energy``.
    """

    modes = param.Integer(default=10, bounds=(2, None), doc="Number of modes d (dimension of the state x).")

    order = 1
    key = "system"

    @property
    def domain(self) -> np.ndarray:
        """Per-mode sampling bounds ``[low, high]`` as an array of shape ``(d, 2)``."""
        raise NotImplementedError

    def _check_states(self, X, name: str = "X") -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.modes:
            raise ValueError(f"{name} must have shape (N, {self.modes}), got shape {X.shape}")
        if not np.all(np.isfinite(X)):
            raise ValueError(f"{name} contains NaN or infinite values")
        return X

    def law(self, X) -> np.ndarray:
        """The physical law :math:`f(X)` of shape ``(N, d)`` for states ``X`` of shape ``(N, d)``."""
        return self._law(self._check_states(X))

    def _law(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def target(self, X) -> np.ndarray:
        """The function that is learned; equal to :meth:`law` unless the subclass transforms it."""
        X = self._check_states(X)
        return self._target_factors(X) * self._law(X)

    def _check_pair(self, X, Y, name: str) -> tuple[np.ndarray, np.ndarray]:
        X, Y = self._check_states(X), self._check_states(Y, name)
        if Y.shape != X.shape:
            raise ValueError(f"{name} must have the shape of X, {X.shape}, got shape {Y.shape}")
        return X, Y

    def target_from_law(self, X, F) -> np.ndarray:
        """Transform law values ``F`` at states ``X`` into target values (identity unless overridden)."""
        X, F = self._check_pair(X, F, "F")
        return self._target_factors(X) * F

    def law_from_target(self, X, G) -> np.ndarray:
        """Invert :meth:`target`: law values from target values ``G`` at states ``X``."""
        X, G = self._check_pair(X, G, "G")
        return G / self._target_factors(X)

    def _target_factors(self, X: np.ndarray) -> np.ndarray | float:
        return 1.0

    def sample_states(self, n: int, rng=None) -> np.ndarray:
        """``n`` states drawn from the system's sampling distribution; ``rng`` is a Generator or a seed."""
        return self._sample_states(check_count(n, "n"), as_rng(rng))

    def _sample_states(self, n: int, rng: np.random.Generator) -> np.ndarray:
        low, high = self.domain.T
        return rng.uniform(low, high, size=(n, self.modes))

    def sample(self, n: int, noise: float = 0.0, seed=None) -> tuple[np.ndarray, np.ndarray]:
        """Data pairs ``(X, Y)``, ``Y = target(X) + noise * N(0, 1)``, drawn from ``default_rng(seed)``."""
        n = check_count(n, "n")
        if not np.isfinite(noise) or noise < 0:
            raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
        rng = as_rng(seed)
        X = self._sample_states(n, rng)
        Y = self.target(X)
        if noise > 0:
            Y = Y + noise * rng.standard_normal(Y.shape)
        return X, Y

    def _potential_energy(self, X: np.ndarray) -> np.ndarray:
        """Potential energy of states ``X`` (validated, shape ``(N, d)``), shape ``(N,)``."""
        raise NotImplementedError(f"{type(self).__name__} has no energy function")

    def _kinetic_energy(self, V: np.ndarray) -> np.ndarray:
        r"""Kinetic energy :math:`\sum_k v_k^2/2` of velocities ``V`` of shape ``(N, d)``, shape ``(N,)``."""
        return 0.5 * np.sum(V**2, axis=1)

    def energy(self, x, v=None):
        """Total energy: potential energy plus, when ``v`` is given, the kinetic energy.

        ``x`` (and ``v``) are one state ``(d,)``, giving a float, or a batch ``(N, d)``, giving shape
        ``(N,)``.
        """
        single = np.ndim(x) == 1
        X = self._check_states(np.atleast_2d(x), "x")
        E = self._potential_energy(X)
        if v is not None:
            V = self._check_states(np.atleast_2d(v), "v")
            if V.shape != X.shape:
                raise ValueError(f"v must have the shape of x, {np.shape(x)}, got {np.shape(v)}")
            E = E + self._kinetic_energy(V)
        return float(E[0]) if single else E

    def trajectory(self, x0, t_final: float, n_points: int, v0=None, order: int | None = None,
                   rtol: float = 1e-12, atol: float = 1e-12) -> Trajectory:
        """Integrate the law from ``x0`` (see :func:`explorer.systems.trajectories.integrate`)."""
        return integrate(self, x0, t_final, n_points, v0=v0, order=order, rtol=rtol, atol=atol)

    def trajectory_data(self, x0, t_final: float, n_points: int, v0=None, order: int | None = None,
                        rtol: float = 1e-12, atol: float = 1e-12) -> tuple[np.ndarray, np.ndarray]:
        """Data pairs ``(X, Y)`` with ``Y`` the target estimated by finite differences along trajectories.

        See :func:`explorer.systems.trajectories.finite_difference_data`.
        """
        return finite_difference_data(self, x0, t_final, n_points, v0=v0, order=order, rtol=rtol, atol=atol)

    def parameter_info(self) -> dict:
        """``{name: {"default", "bounds", "inclusive_bounds", "doc"}}`` for every parameter.

        Defaults are this instance's values; bounds are ``[low, high]`` (``None`` where unbounded), or
        ``None`` for non-numeric parameters.
        """
        info = {}
        for pname, parameter in self.param.objects("existing").items():
            if pname == "name":
                continue
            bounds = getattr(parameter, "bounds", None)
            info[pname] = {
                "default": _jsonable(getattr(self, pname)),
                "bounds": None if bounds is None else _jsonable(tuple(bounds)),
                "inclusive_bounds": None if bounds is None else list(parameter.inclusive_bounds),
                "doc": parameter.doc or "",
            }
        return info

    def settable_parameters(self) -> list[str]:
        """Names of the parameters :meth:`configure` sets: every listed parameter but ``modes`` (a size, set by
        the caller) whose value can be written as text (numbers, flags, choices, strings)."""
        kinds = (param.Number, param.Boolean, param.Selector, param.String)
        return [
            name
            for name, parameter in self.param.objects("existing").items()
            if name not in ("name", "modes") and isinstance(parameter, kinds)
        ]

    def configure(self, values: dict) -> None:
        """Set parameters by name; text values (e.g. ``--param beta=0.5``) are read as the parameter's type.

        Raises ValueError naming the parameter for an unknown name, unreadable text or a value out of bounds.
        """
        settable = self.settable_parameters()
        for name, value in values.items():
            if name not in settable:
                raise ValueError(f"{type(self).__name__} has no settable parameter {name!r}; choose from {settable}")
            setattr(self, name, _from_text(name, self.param[name], value) if isinstance(value, str) else value)

    def describe(self) -> dict:
        """JSON-serialisable description: the registry name, the order and every parameter value."""
        values = {k: _jsonable(v) for k, v in self.param.values().items() if k != "name"}
        return {"system": self.key, "order": self.order, **values}
