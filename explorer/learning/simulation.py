r"""Simulating a learned law and comparing it with measured trajectories, the way the field checks a law.

:func:`simulate` integrates :math:`\dot x = \hat f(x)` or :math:`\dot x = v,\ \dot v = \hat f(x)` with
:func:`scipy.integrate.solve_ivp` (DOP853) on the given times. :func:`compare` starts the law from the first state
of every trajectory of a data set (``x`` and, for second order, the file's ``v`` or, without one, a one-sided
finite-difference estimate from the positions) and reports, per trajectory,

.. math:: \delta = \frac{\max_t \lVert x_{\rm sim}(t) - x(t)\rVert_2}{\max_t \lVert x(t)\rVert_2}

and the first time at which :math:`\lVert x_{\rm sim}(t) - x(t)\rVert_2 / \max_t \lVert x(t)\rVert_2` exceeds
``threshold`` (1e-2); the data set's ``deviation`` is the largest :math:`\delta`. A law that diverges (states beyond
:data:`BLOWUP` times the scale of the data) stops there: its states are NaN afterwards and its deviation is
infinite.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from explorer.data.derivatives import Differentiation
from explorer.data.domain import warn_outside

__all__ = ["Simulation", "simulate", "compare", "deviation", "law_domain", "BLOWUP", "THRESHOLD"]

BLOWUP = 1e3
"""A simulation stops once a state exceeds this multiple of the initial state's and the domain's scale."""
THRESHOLD = 1e-2
"""Relative deviation whose first crossing :func:`compare` reports."""


@dataclass(frozen=True)
class Simulation:
    """States ``x`` (and velocities ``v`` for second order), shape ``(T, d)``, at times ``t``; NaN after a divergence.

    ``reached`` is the number of time points integrated (``T`` unless the law diverged or the solver failed),
    ``message`` the solver's status.
    """

    t: np.ndarray
    x: np.ndarray
    v: np.ndarray | None
    reached: int
    message: str

    @property
    def complete(self) -> bool:
        return self.reached == self.t.shape[0]


def law_domain(law):
    """The domain a law was learned on: the Legendre interval(s), else the recorded training domain (or None)."""
    domain = getattr(law.dictionary, "domain", None)
    if domain is not None:
        return domain
    training = (law.provenance or {}).get("training") or {}
    return training.get("domain")


def _vector(value, d: int, name: str) -> np.ndarray:
    value = np.asarray(value, dtype=np.float64)
    if value.shape != (d,):
        raise ValueError(f"{name} must have shape ({d},), got {value.shape}")
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return value


def _check_law(law) -> int:
    if law.order not in (1, 2):
        raise ValueError("the law's order is unknown (1: xdot = f(x), 2: xddot = f(x)); set law.order")
    learned = (law.provenance or {}).get("learned", "law")
    if learned != "law":
        raise ValueError(f"the tensor train represents {learned!r}, not the law itself: it cannot be simulated")
    return law.order


def _right_hand_side(law, order: int, d: int):
    def law_at(x):
        return law.evaluate_features(law.dictionary.evaluate(x[None]))[0]

    if order == 1:
        return lambda _t, y: law_at(y)
    return lambda _t, y: np.concatenate([y[d:], law_at(y[:d])])


def simulate(law, x0, t, v0=None, rtol: float = 1e-10, atol: float = 1e-12) -> Simulation:
    """Integrate ``law`` from ``x0`` (and ``v0``, required for a second-order law) on the increasing times ``t``.

    DOP853 with tolerances ``rtol``, ``atol``; the first time is the start.
    """
    order, d = _check_law(law), law.modes
    t = np.asarray(t, dtype=np.float64)
    if t.ndim != 1 or t.shape[0] < 2 or np.any(np.diff(t) <= 0) or not np.all(np.isfinite(t)):
        raise ValueError(f"t must be at least 2 finite, strictly increasing times, got shape {t.shape}")
    y0 = _vector(x0, d, "x0")
    if order == 2:
        if v0 is None:
            raise ValueError("v0 is required to simulate a second-order law (xddot = f(x))")
        y0 = np.concatenate([y0, _vector(v0, d, "v0")])
    elif v0 is not None:
        raise ValueError("v0 only applies to a second-order law")
    domain = law_domain(law)
    scale = BLOWUP * max(1.0, float(np.abs(y0).max()), float(np.abs(np.asarray(domain)).max()) if domain is not None
                         else 1.0)

    def blowup(_t, y):
        return scale - np.abs(y).max()

    blowup.terminal = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.filterwarnings("ignore", message="states lie outside the Legendre domain")
        sol = solve_ivp(_right_hand_side(law, order, d), (t[0], t[-1]), y0, method="DOP853", t_eval=t,
                        rtol=rtol, atol=atol, events=blowup)
    states = np.full((t.shape[0], y0.shape[0]), np.nan)
    reached = sol.y.shape[1]
    states[:reached] = sol.y.T
    message = sol.message if reached == t.shape[0] else f"stopped at t = {sol.t[-1]:.6g}: {sol.message}"
    return Simulation(t=t, x=states[:, :d], v=states[:, d:] if order == 2 else None, reached=reached,
                      message=message)


def deviation(simulated: np.ndarray, measured: np.ndarray, t: np.ndarray, threshold: float = THRESHOLD):
    """``(max_t |x_sim - x| / max_t |x|, first t where the ratio exceeds threshold or None)``; NaN counts as inf."""
    scale = float(np.linalg.norm(measured, axis=1).max())
    if scale == 0:
        raise ValueError("the measured trajectory is identically zero: the relative deviation is undefined")
    error = np.linalg.norm(simulated - measured, axis=1) / scale
    error = np.where(np.isnan(error), np.inf, error)
    above = np.flatnonzero(error > threshold)
    return float(error.max()), (float(t[above[0]]) if above.size else None)


def compare(law, data, until: float | None = None, differentiation: Differentiation | None = None,
            threshold: float = THRESHOLD, rtol: float = 1e-10, atol: float = 1e-12) -> dict:
    """Simulate ``law`` from the start of every trajectory of ``data`` and measure the deviation.

    Parameters
    ----------
    law : SelfSimilarLaw
        With ``order`` set.
    data : TrajectoryData
        Trajectories with ``d = law.modes``; for a second-order law without ``v`` the start velocity is estimated
        from the positions with ``differentiation`` (a one-sided stencil, default ``fd6``).
    until : float, optional
        Compare on the times ``t <= until`` only.

    Returns
    -------
    dict
        ``deviation``, ``deviations`` and ``exceeds_at`` (per trajectory), ``threshold``, ``velocity``
        (``"file"`` or ``"estimated"``) and ``simulations`` (one :class:`Simulation` per trajectory).
    """
    order = _check_law(law)
    if data.modes != law.modes:
        raise ValueError(f"{data.name}: key 'x' must have shape (M, T, {law.modes}) for a law of d = {law.modes}, "
                         f"got {data.x.shape}")
    data = data if until is None else data.until(until)
    domain = law_domain(law)
    if domain is not None:
        warn_outside(data.states(), domain, data.name)
    differentiation = differentiation or Differentiation()
    if order == 2 and data.v is None and data.points < differentiation.minimum_points():
        need = differentiation.minimum_points()
        raise ValueError(f"{data.name}: key 'x' must have at least {need} time points per trajectory to estimate "
                         f"the start velocity without key 'v' (shape (M, >={need}, d)), got {data.x.shape}")
    sims, deviations, times = [], [], []
    for i in range(data.trajectories):
        t, x = data.t[i], data.x[i]
        v0 = None
        if order == 2:
            v0 = data.v[i, 0] if data.v is not None else differentiation.initial_velocity(t, x)
        sim = simulate(law, x[0], t, v0=v0, rtol=rtol, atol=atol)
        if domain is not None:
            warn_outside(sim.x[: sim.reached], domain, f"simulation of trajectory {i}")
        dev, first = deviation(sim.x, x, t, threshold)
        sims.append(sim)
        deviations.append(dev)
        times.append(first)
    return {
        "deviation": max(deviations),
        "deviations": deviations,
        "exceeds_at": times,
        "threshold": threshold,
        "velocity": None if order == 1 else ("file" if data.v is not None else "estimated"),
        "simulations": sims,
    }
