r"""A chain of rotating magnetic dipoles with all-to-all interactions (seed eq. 47).

Dipoles at positions :math:`X_l = l - 1` with moment :math:`M` and moment of inertia :math:`I` rotate in the
plane perpendicular to the chain; :math:`x_l` is the angle of dipole :math:`l`. The law is

.. math::

    f_k(x) = I_k M_k \sum_{l \neq k} \frac{M_l}{|X_k - X_l|^3} \sin(x_k - x_l),

the algebraically decaying (:math:`\chi = 3`) two-mode interaction the seed learns with the dictionary
:math:`\{1, \sin, \cos\}`. The physical system is second order (angular acceleration from the torque);
like the seed we learn the map :math:`x \mapsto f(x)` and therefore declare ``order = 1``.

Energy (sign checked by finite differences in the tests): with

.. math::

    U(x) = \sum_{k < l} \frac{M_k M_l}{|X_k - X_l|^3} \cos(x_k - x_l)

one has :math:`f_k = -I_k\, \partial U / \partial x_k`, so for :math:`I = 1` the torque is minus the gradient
of :math:`U`. (With the opposite sign, :math:`-\sum M_k M_l \cos(\cdot)/|X_k-X_l|^3`, :math:`f` would be
:math:`+\nabla U`.) For the dynamics :math:`\ddot x = f(x)` the conserved energy is
:math:`\sum_k v_k^2 / (2 I) + U(x)`, which :meth:`Dipoles.energy` returns when velocities are given; the
first-order flow :math:`\dot x = f(x) = -I\nabla U` decreases :math:`U`.
"""

from __future__ import annotations

import numpy as np
import param

from explorer.systems.base import DynamicalSystem

__all__ = ["Dipoles"]


class Dipoles(DynamicalSystem):
    r"""Rotating magnetic dipoles with all-to-all interactions (seed eq. 47), learned as first order.

    Angles are sampled from :math:`U[-\pi, \pi)^d`; the dipoles sit at :math:`X_l = l - 1`.
    """

    moment = param.Number(default=1.0, bounds=(0, None), inclusive_bounds=(False, True),
                          doc="Magnetic dipole moment M of every dipole.")
    inertia = param.Number(default=1.0, bounds=(0, None), inclusive_bounds=(False, True),
                           doc="Moment of inertia I of every dipole.")

    order = 1
    key = "dipoles"

    @property
    def domain(self) -> np.ndarray:
        r""":math:`[-\pi, \pi)` for every mode (stored as the closed bounds ``[-pi, pi]``)."""
        return np.tile([-np.pi, np.pi], (self.modes, 1))

    def couplings(self) -> np.ndarray:
        r"""Couplings :math:`J_{kl} = M^2 / |X_k - X_l|^3` (:math:`k \neq l`, zero diagonal), ``(d, d)``."""
        distance = np.abs(np.subtract.outer(np.arange(self.modes), np.arange(self.modes))).astype(np.float64)
        np.fill_diagonal(distance, np.inf)
        return self.moment**2 / distance**3

    def _law(self, X):
        J = self.couplings()
        s, c = np.sin(X), np.cos(X)
        return self.inertia * (s * (c @ J) - c * (s @ J))

    def _potential_energy(self, X):
        r""":math:`U = \sum_{k<l} J_{kl} \cos(x_k - x_l)`, expanding :math:`\cos(x_k - x_l)`."""
        J = self.couplings()
        s, c = np.sin(X), np.cos(X)
        return 0.5 * (np.sum((c @ J) * c, axis=1) + np.sum((s @ J) * s, axis=1))

    def _kinetic_energy(self, V):
        return 0.5 * np.sum(V**2, axis=1) / self.inertia
