r"""A chain of particles with a modified Lennard-Jones interaction (seed eqs. 49-51).

Positions :math:`x_1 < \dots < x_d` on a line, all pairs interacting (seed eq. 49, with :math:`m_k = m`,
:math:`\varepsilon_{kl} = \varepsilon`, :math:`R_{kl} = R` and :math:`r = |x_k - x_l|`):

.. math::

    f_k(x) = 6 m \sum_{l \neq k} \operatorname{sign}(x_k - x_l) \frac{\varepsilon}{R}
             \left(2 \left(\frac{R}{r}\right)^{2q+1} - \left(\frac{R}{r}\right)^{q+1}\right),
    \qquad \ddot x = f(x).

What is learned is the polynomial-friendly (seed eq. 50)

.. math::

    g_k(x) = (x_k - x_{k-1})^{2q+1} (x_k - x_{k+1})^{2q+1} f_k(x),

with the missing factor dropped at the chain ends (no :math:`x_0` for :math:`k = 1`, no :math:`x_{d+1}` for
:math:`k = d`).

Energy. The pair potential whose negative derivative gives the force above is

.. math::

    V(r) = \frac{6\varepsilon}{q}\left[\left(\frac{R}{r}\right)^{2q} - \left(\frac{R}{r}\right)^{q}\right],
    \qquad -V'(r) = \frac{6\varepsilon}{R}\left(2\left(\frac{R}{r}\right)^{2q+1}
    - \left(\frac{R}{r}\right)^{q+1}\right),

so :math:`f_k = -m\, \partial_{x_k} \sum_{i<j} V(|x_i - x_j|)` and the conserved energy of
:math:`\ddot x = f(x)` is :math:`\sum_{k<l} V(|x_k-x_l|) + \sum_k v_k^2 / (2m)`. The seed's eq. 51 prints
:math:`\sum_{k<l} \varepsilon[(R/r)^{2q} - (R/r)^q] + \sum_k m_k \dot x_k^2 / 2`, which lacks the factor
:math:`6/q` (3 for :math:`q = 2`) needed for consistency with eq. 49 and has :math:`m` where eq. 49 implies
:math:`1/m`. We use the consistent form, verified by finite differences in the tests.

States: :math:`x_1 \sim U[-d, -d/2]`, gaps :math:`x_{k+1} - x_k \sim U[1, 2]`, so mode :math:`k` (1-based)
lies in :math:`[-d + (k-1),\ -d/2 + 2(k-1)]`. Positions are of size :math:`\sim d`: rescale them per mode
(e.g. a Legendre dictionary on ``domain``) before learning.
"""

from __future__ import annotations

import numpy as np
import param

from explorer.systems.base import DynamicalSystem

__all__ = ["LennardJones"]


class LennardJones(DynamicalSystem):
    """Modified Lennard-Jones chain, second order (seed eqs. 49-51), learned through g of eq. 50."""

    q = param.Integer(default=2, bounds=(1, None), doc="Exponent q of the interaction (seed: 2).")
    m = param.Number(default=1.0, bounds=(0, None), inclusive_bounds=(False, True),
                     doc="Mass factor m multiplying the force in eq. 49.")
    eps = param.Number(default=1.0, bounds=(0, None), inclusive_bounds=(False, True),
                       doc="Interaction strength epsilon.")
    R = param.Number(default=1.0, bounds=(0, None), inclusive_bounds=(False, True),
                     doc="Interaction length R (minimum of the pair potential at 2^(1/q) R).")

    order = 2
    key = "lennard-jones"

    @property
    def domain(self) -> np.ndarray:
        """Mode :math:`k` (1-based): :math:`[-d + (k-1), -d/2 + 2(k-1)]`, reachable by the sampled states."""
        d, k = self.modes, np.arange(self.modes)
        return np.column_stack([-d + k, -d / 2 + 2.0 * k]).astype(np.float64)

    def _sample_states(self, n, rng):
        first = rng.uniform(-self.modes, -self.modes / 2, size=(n, 1))
        gaps = rng.uniform(1.0, 2.0, size=(n, self.modes - 1))
        return first + np.concatenate([np.zeros((n, 1)), np.cumsum(gaps, axis=1)], axis=1)

    def _ratios(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(sign(x_k - x_l), R / |x_k - x_l|)`` of shape ``(N, d, d)``, with zero ratio on the diagonal."""
        diff = X[:, :, None] - X[:, None, :]
        distance = np.abs(diff)
        distance[:, np.arange(self.modes), np.arange(self.modes)] = np.inf
        return np.sign(diff), self.R / distance

    def _law(self, X):
        sign, ratio = self._ratios(X)
        pair = 2.0 * ratio ** (2 * self.q + 1) - ratio ** (self.q + 1)
        return 6.0 * self.m * self.eps / self.R * np.sum(sign * pair, axis=2)

    def _target_factors(self, X):
        """The factors of seed eq. 50: :math:`(x_k - x_{k-1})^{2q+1} (x_k - x_{k+1})^{2q+1}`, ends dropped."""
        gaps = np.diff(X, axis=1) ** (2 * self.q + 1)
        factors = np.ones_like(X)
        factors[:, 1:] *= gaps
        factors[:, :-1] *= -gaps
        return factors

    def _potential_energy(self, X):
        _, ratio = self._ratios(X)
        pair = 6.0 * self.eps / self.q * (ratio ** (2 * self.q) - ratio**self.q)
        return 0.5 * np.sum(pair, axis=(1, 2))

    def _kinetic_energy(self, V):
        return 0.5 * np.sum(V**2, axis=1) / self.m
