r"""Derivatives of sampled trajectories: finite differences, splines and Savitzky-Golay smoothing.

A measured trajectory gives states :math:`x(t_0), \dots, x(t_{T-1})`; learning :math:`\dot x = f(x)` needs
:math:`\dot x(t_i)`, learning :math:`\ddot x = f(x)` needs :math:`\ddot x(t_i)` (from positions only: no velocities
are needed). Every estimator returns the states it pairs with the derivatives, at the points where it is accurate:

``fd2``, ``fd4``, ``fd6`` (finite differences, :func:`finite_differences`)
    Central stencils of :math:`2k+1` points, :math:`k = 1, 2, 3`. On a uniform grid of step :math:`h` the first and
    the second derivative both carry an error :math:`O(h^{2k})` (``fd2``: :math:`h^2 x^{(3)}/6` and
    :math:`h^2 x^{(4)}/12`), so the order is 2, 4, 6. On a non-uniform grid the weights come from the same
    polynomial-interpolation conditions on the actual nodes; the first derivative keeps :math:`O(h^{2k})`, the
    second drops to :math:`O(h^{2k-1})` (the symmetry that cancels one term is lost). Measurement noise of standard
    deviation :math:`\sigma` enters as :math:`O(\sigma / h^m)` for the :math:`m`-th derivative. The :math:`k` points
    at each end are dropped.
``spline`` (:func:`spline_derivatives`)
    The quintic interpolating spline (:func:`scipy.interpolate.make_interp_spline`, not-a-knot ends), differentiated:
    error :math:`O(h^{6-m})`, any increasing grid; 3 points at each end are dropped (the spline is least
    accurate there). No smoothing: noise is amplified like finite differences of the same reach.
``savgol`` (:func:`savgol_derivatives`)
    Savitzky-Golay: a least-squares polynomial of degree :math:`p` (``polyorder``) over a window of :math:`w`
    points (``window``), evaluated and differentiated at the window's centre (:func:`scipy.signal.savgol_filter`).
    States are replaced by the smoothed ones. The bias is :math:`O((wh)^{p+1-m})` (one order more for a symmetric
    window when :math:`p + 1 - m` is odd), the noise shrinks to :math:`O(\sigma / (w^{m+1/2} h^m))`: the estimator
    for noisy data. Uniform grids only; :math:`(w-1)/2` points at each end are dropped. The default (``w = 15``,
    ``p = 6``) keeps the bias small: a learned law averages the noise of many samples but not a bias. On FPUT
    d = 12, dt = 0.05 (notebook 5), a law learned with ``savgol`` (15, 6) has test residuum 1.6e-3 at noise 1e-4
    and 1.5e-2 at 1e-3, against 5.3e-3 and 6.1e-2 with ``fd6`` and 1.1e-2 and 1.5e-2 with (15, 4).

Measured on the example of issue 22 (FPUT d = 20, dt = 0.05, no noise, second derivative from positions): test
residuum 2.4e-3 (``fd2``), 2.2e-5 (``fd4``), 3.5e-7 (``fd6``), hence ``fd6`` is the default.
"""

from __future__ import annotations

from math import factorial

import numpy as np
import param
from scipy.interpolate import make_interp_spline
from scipy.signal import savgol_filter

__all__ = ["Differentiation", "ESTIMATORS", "DEFAULT_ESTIMATOR", "stencil_weights", "finite_differences",
           "spline_derivatives", "savgol_derivatives", "grid_nonuniformity", "UNIFORM_TOLERANCE"]

ESTIMATORS = ("fd2", "fd4", "fd6", "spline", "savgol")
DEFAULT_ESTIMATOR = "fd6"
UNIFORM_TOLERANCE = 1e-9
"""Largest relative spread of the time steps for which a grid counts as uniform."""
SPLINE_DEGREE = 5
SPLINE_TRIM = 3


def stencil_weights(offsets, derivative: int) -> np.ndarray:
    r"""Weights :math:`w_j` with :math:`\sum_j w_j\, g(s_j) = g^{(m)}(0)` for every polynomial of degree < n.

    ``offsets`` (shape ``(..., n)``) are the node positions relative to the evaluation point (in units of the step,
    for conditioning); the conditions :math:`\sum_j w_j s_j^q / q! = \delta_{qm}`, :math:`q = 0..n-1`, are one
    Vandermonde solve per point.
    """
    s = np.asarray(offsets, dtype=np.float64)
    n = s.shape[-1]
    powers = np.arange(n)
    vander = s[..., None, :] ** powers[:, None] / np.array([factorial(q) for q in powers])[:, None]
    rhs = np.zeros(s.shape[:-1] + (n,))
    rhs[..., derivative] = 1.0
    return np.linalg.solve(vander, rhs[..., None])[..., 0]


def grid_nonuniformity(t: np.ndarray) -> float:
    """Relative spread ``(max step - min step) / mean step`` of an increasing grid (0 for a uniform one)."""
    steps = np.diff(t)
    return float((steps.max() - steps.min()) / steps.mean())


def finite_differences(t: np.ndarray, x: np.ndarray, derivative: int, accuracy: int = 6):
    """Central finite differences of order ``accuracy`` (2, 4, 6); returns ``(indices, derivatives)``.

    ``t`` has shape ``(T,)``, ``x`` shape ``(T, d)``; the estimate is at ``indices = k .. T-k-1`` with
    ``k = accuracy // 2`` (error orders in the module docstring).
    """
    k = accuracy // 2
    T = t.shape[0]
    idx = np.arange(k, T - k)
    window = idx[:, None] + np.arange(-k, k + 1)[None, :]
    if grid_nonuniformity(t) <= UNIFORM_TOLERANCE:
        h = (t[-1] - t[0]) / (T - 1)
        weights = stencil_weights(np.arange(-k, k + 1), derivative)
        return idx, np.einsum("j,ijd->id", weights, x[window]) / h**derivative
    h = (t[idx + 1] - t[idx - 1]) / 2.0
    weights = stencil_weights((t[window] - t[idx, None]) / h[:, None], derivative)
    return idx, np.einsum("ij,ijd->id", weights, x[window]) / h[:, None] ** derivative


def spline_derivatives(t: np.ndarray, x: np.ndarray, derivative: int):
    """Derivative of the quintic interpolating spline at ``indices = 3 .. T-4``; returns ``(indices, values)``."""
    spline = make_interp_spline(t, x, k=SPLINE_DEGREE, axis=0)
    idx = np.arange(SPLINE_TRIM, t.shape[0] - SPLINE_TRIM)
    return idx, spline.derivative(derivative)(t[idx])


def savgol_derivatives(t: np.ndarray, x: np.ndarray, derivative: int, window: int, polyorder: int):
    """Savitzky-Golay smoothed states and derivatives at the points a full window is centred on.

    Returns ``(indices, states, derivatives)``; the grid must be uniform.
    """
    h = (t[-1] - t[0]) / (t.shape[0] - 1)
    half = window // 2
    idx = np.arange(half, t.shape[0] - half)
    states = savgol_filter(x, window, polyorder, deriv=0, axis=0)[idx]
    values = savgol_filter(x, window, polyorder, deriv=derivative, delta=h, axis=0)[idx]
    return idx, states, values


class Differentiation(param.Parameterized):
    """How derivatives are estimated from sampled states (see the module docstring for each estimator)."""

    method = param.Selector(default=DEFAULT_ESTIMATOR, objects=list(ESTIMATORS),
                            doc="fd2/fd4/fd6: central finite differences of that order; spline: quintic "
                                "interpolating spline; savgol: Savitzky-Golay smoothing (noisy data).")
    window = param.Integer(default=15, bounds=(3, 10_001),
                           doc="savgol: points of the least-squares window (odd, > polyorder).")
    polyorder = param.Integer(default=6, bounds=(1, 20), doc="savgol: degree of the window polynomial.")

    def margin(self) -> int:
        """Points dropped at each end of a trajectory (the stencil's or window's half width)."""
        if self.method.startswith("fd"):
            return int(self.method[2:]) // 2
        if self.method == "spline":
            return SPLINE_TRIM
        return self.window // 2

    def minimum_points(self) -> int:
        """Fewest time points a trajectory needs to yield at least one estimate."""
        if self.method == "spline":
            return max(SPLINE_DEGREE + 1, 2 * SPLINE_TRIM + 1)
        return 2 * self.margin() + 1

    def check(self, derivative: int) -> None:
        """Raise a ValueError naming the parameter when the settings cannot estimate ``derivative``."""
        if self.method != "savgol":
            return
        if self.window % 2 == 0:
            raise ValueError(f"window must be odd for savgol, got {self.window}")
        if not derivative <= self.polyorder < self.window:
            raise ValueError(f"polyorder must be >= {derivative} (the derivative) and < window ({self.window}), "
                             f"got {self.polyorder}")

    def estimate(self, t, x, derivative: int):
        """States and their ``derivative``-th time derivative along one trajectory.

        Parameters
        ----------
        t : numpy.ndarray, shape (T,)
            Strictly increasing times.
        x : numpy.ndarray, shape (T, d)
            States.
        derivative : {1, 2}

        Returns
        -------
        indices, states, derivatives : numpy.ndarray
            The time indices used, the states there (smoothed for ``savgol``) and the derivative estimates.
        """
        self.check(derivative)
        if t.shape[0] < self.minimum_points():
            raise ValueError(f"{self.method} needs at least {self.minimum_points()} time points per trajectory, "
                             f"got {t.shape[0]}")
        if self.method == "savgol":
            spread = grid_nonuniformity(t)
            if spread > UNIFORM_TOLERANCE:
                raise ValueError(f"savgol needs a uniform time grid (the steps vary by {spread:.2g} relative); "
                                 "use fd2, fd4, fd6 or spline")
            return savgol_derivatives(t, x, derivative, self.window, self.polyorder)
        if self.method == "spline":
            idx, values = spline_derivatives(t, x, derivative)
        else:
            idx, values = finite_differences(t, x, derivative, int(self.method[2:]))
        return idx, x[idx], values

    def initial_velocity(self, t, x) -> np.ndarray:
        """``xdot(t_0)`` from the first ``2k + 1`` positions by a one-sided stencil (``k``: this method's reach).

        Used to start a simulation of a second-order law from positions only; one-sided stencils of the same width
        have the same order but larger constants than the central ones.
        """
        n = min(t.shape[0], 7 if not self.method.startswith("fd") else int(self.method[2:]) + 1)
        h = t[1] - t[0]
        weights = stencil_weights((t[:n] - t[0]) / h, 1)
        return weights @ x[:n] / h
