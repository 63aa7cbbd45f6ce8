r"""Trajectories of a system and data pairs estimated from them by finite differences.

:func:`integrate` solves :math:`\dot x = f(x)` or, for second-order systems,
:math:`\dot x = v,\ \dot v = f(x)` with :func:`scipy.integrate.solve_ivp` (DOP853, tight default tolerances)
and returns the states on an equispaced time grid together with the exact derivatives :math:`f(x(t))`.

:func:`finite_difference_data` is the second data source (besides exact samples): it estimates the derivatives
from the sampled states alone, as an experiment with measured trajectories would. With step :math:`\Delta t`,

- first order, central difference: :math:`(x(t+\Delta t) - x(t-\Delta t)) / (2\Delta t)
  = \dot x(t) + \tfrac{\Delta t^2}{6}\, x^{(3)}(t) + O(\Delta t^4)`;
- second order, second difference: :math:`(x(t+\Delta t) - 2x(t) + x(t-\Delta t)) / \Delta t^2
  = \ddot x(t) + \tfrac{\Delta t^2}{12}\, x^{(4)}(t) + O(\Delta t^4)`;

so both estimates carry an :math:`O(\Delta t^2)` error (plus the integration error, about ``rtol``/``atol``
divided by :math:`\Delta t` or :math:`\Delta t^2`). The estimates are at the interior time points only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from explorer.systems._validate import check_count

__all__ = ["Trajectory", "integrate", "finite_difference_data"]


@dataclass(frozen=True)
class Trajectory:
    r"""A solved trajectory on an equispaced time grid.

    Attributes
    ----------
    t : numpy.ndarray
        Times, shape ``(n_points,)``, from 0 to ``t_final``.
    X : numpy.ndarray
        States, shape ``(n_points, d)``.
    V : numpy.ndarray or None
        Velocities, shape ``(n_points, d)``, for second-order integration; ``None`` otherwise.
    derivatives : numpy.ndarray
        The law along the trajectory, :math:`f(x(t))`: :math:`\dot x` (order 1) or :math:`\ddot x` (order 2).
    order : int
        The order the law was integrated with.
    """

    t: np.ndarray
    X: np.ndarray
    V: np.ndarray | None
    derivatives: np.ndarray
    order: int


def _initial_state(system, x0, name: str) -> np.ndarray:
    x0 = np.asarray(x0, dtype=np.float64)
    if x0.shape != (system.modes,):
        raise ValueError(f"{name} must have shape ({system.modes},), got shape {x0.shape}")
    if not np.all(np.isfinite(x0)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return x0


def _check_order(system, order) -> int:
    order = system.order if order is None else order
    if order not in (1, 2):
        raise ValueError(f"order must be 1 or 2, got {order!r}")
    return order


def _initial_vector(system, x0, v0, order: int) -> np.ndarray:
    x0 = _initial_state(system, x0, "x0")
    if order == 1:
        if v0 is not None:
            raise ValueError("v0 only applies to second-order integration")
        return x0
    return np.concatenate([x0, np.zeros_like(x0) if v0 is None else _initial_state(system, v0, "v0")])


def _right_hand_side(system, order: int):
    d = system.modes
    if order == 1:
        return lambda t, y: system.law(y[None, :])[0]
    return lambda t, y: np.concatenate([y[d:], system.law(y[None, :d])[0]])


def integrate(system, x0, t_final: float, n_points: int, v0=None, order: int | None = None,
              rtol: float = 1e-12, atol: float = 1e-12) -> Trajectory:
    r"""Integrate ``system`` from ``x0`` (and ``v0``, default zero, for second order) up to ``t_final``.

    Parameters
    ----------
    system : DynamicalSystem
        The system whose ``law`` is integrated.
    x0, v0 : array_like, shape (d,)
        Initial state and, for second-order integration only, initial velocity.
    t_final : float
        End time, > 0.
    n_points : int
        Number of equispaced output times (>= 2), including 0 and ``t_final``.
    order : {None, 1, 2}
        Integrate as first or second order; ``None`` uses ``system.order``. Second order for a first-order
        system (e.g. dipoles, whose physical dynamics is :math:`I\ddot x = \text{torque}`) integrates
        :math:`\ddot x = f(x)`.
    rtol, atol : float
        Tolerances of the DOP853 integrator.
    """
    order = _check_order(system, order)
    y0 = _initial_vector(system, x0, v0, order)
    if not np.isfinite(t_final) or t_final <= 0:
        raise ValueError(f"t_final must be a finite number > 0, got {t_final!r}")
    t = np.linspace(0.0, t_final, check_count(n_points, "n_points", 2))
    sol = solve_ivp(_right_hand_side(system, order), (0.0, t_final), y0, method="DOP853", t_eval=t,
                    rtol=rtol, atol=atol)
    if not sol.success:
        raise RuntimeError(f"integration failed: {sol.message}")
    d = system.modes
    X = sol.y[:d].T
    V = sol.y[d:].T if order == 2 else None
    return Trajectory(t=sol.t, X=X, V=V, derivatives=system.law(X), order=order)


def _differences(traj: Trajectory) -> tuple[np.ndarray, np.ndarray]:
    X, dt = traj.X, traj.t[1] - traj.t[0]
    if traj.order == 1:
        return X[1:-1], (X[2:] - X[:-2]) / (2.0 * dt)
    return X[1:-1], (X[2:] - 2.0 * X[1:-1] + X[:-2]) / dt**2


def finite_difference_data(system, x0, t_final: float, n_points: int, v0=None, order: int | None = None,
                           rtol: float = 1e-12, atol: float = 1e-12) -> tuple[np.ndarray, np.ndarray]:
    r"""Data pairs ``(X, Y)`` from trajectories, with derivatives estimated by finite differences.

    ``x0`` (and ``v0``) is one initial state ``(d,)`` or several ``(m, d)``; each trajectory has
    ``n_points >= 3`` times and contributes its ``n_points - 2`` interior states. ``Y`` is
    ``system.target_from_law`` of the difference quotients (central differences for order 1, second
    differences for order 2; error :math:`O(\Delta t^2)`, see the module docstring). Arguments as in
    :func:`integrate`.
    """
    check_count(n_points, "n_points", 3)
    starts = np.atleast_2d(np.asarray(x0, dtype=np.float64))
    if starts.ndim != 2:
        raise ValueError(f"x0 must have shape (d,) or (m, d), got shape {np.shape(x0)}")
    velocities = [None] * len(starts) if v0 is None else np.atleast_2d(np.asarray(v0, dtype=np.float64))
    if len(velocities) != len(starts):
        raise ValueError(f"v0 must give one velocity per initial state, got shape {np.shape(v0)}")
    pairs = [_differences(integrate(system, x, t_final, n_points, v0=v, order=order, rtol=rtol, atol=atol))
             for x, v in zip(starts, velocities, strict=True)]
    X = np.concatenate([p[0] for p in pairs])
    return X, system.target_from_law(X, np.concatenate([p[1] for p in pairs]))
