"""Synthetic measurements: trajectories of a built-in system as a user's file would hold them.

:func:`measure_trajectories` integrates ``M`` trajectories of a system at once (one DOP853 solve of the stacked
``M d``-dimensional problem, far fewer calls than ``M`` separate solves) from seeded random starts, on a uniform grid,
and adds Gaussian measurement noise to the positions if asked. The notebooks, tests and benchmarks build their
example files with it; :func:`explorer.data.save_trajectories` writes them.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from explorer.data.trajectories import TrajectoryData

__all__ = ["measure_trajectories"]


def measure_trajectories(system, trajectories: int, dt: float, t_final: float, x_range: float = 0.6,
                         v_range: float = 0.3, noise: float = 0.0, seed: int = 0, rtol: float = 1e-11,
                         atol: float = 1e-11) -> TrajectoryData:
    """``trajectories`` solutions of ``system`` from ``x ~ U(-x_range, x_range)``, ``v ~ U(-v_range, v_range)``.

    Times ``0, dt, ..., t_final``; the result has the exact ``v`` (second order) and the law along the trajectory
    (``xdot`` or ``xddot``, noise free); ``noise`` is the standard deviation added to the positions ``x`` only.
    """
    if trajectories < 1 or dt <= 0 or t_final <= dt or noise < 0:
        raise ValueError(f"need trajectories >= 1, 0 < dt < t_final and noise >= 0, got {trajectories}, {dt}, "
                         f"{t_final}, {noise}")
    rng = np.random.default_rng(seed)
    d, m, order = system.modes, trajectories, system.order
    t = np.arange(int(round(t_final / dt)) + 1) * dt
    x0 = rng.uniform(-x_range, x_range, (m, d))
    y0 = x0 if order == 1 else np.concatenate([x0, rng.uniform(-v_range, v_range, (m, d))], axis=1)

    def rhs(_t, y):
        states = y.reshape(m, -1)
        law = system.law(states[:, :d])
        return (law if order == 1 else np.concatenate([states[:, d:], law], axis=1)).ravel()

    sol = solve_ivp(rhs, (0.0, t[-1]), y0.ravel(), method="DOP853", t_eval=t, rtol=rtol, atol=atol)
    if not sol.success:
        raise RuntimeError(f"integration failed: {sol.message}")
    states = sol.y.T.reshape(t.shape[0], m, -1).transpose(1, 0, 2)
    x = states[:, :, :d]
    law = system.law(x.reshape(-1, d)).reshape(x.shape)
    measured = x + noise * rng.standard_normal(x.shape) if noise > 0 else x
    extra = {"xdot": law} if order == 1 else {"v": states[:, :, d:], "xddot": law}
    return TrajectoryData.from_arrays(t, measured, name=f"{system.key} d={d}", **extra)
