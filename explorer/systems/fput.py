r"""The Fermi-Pasta-Ulam-Tsingou chain of nonlinear springs (seed eq. 46).

With fixed ends :math:`x_0 = x_{d+1} = 0` and spring :math:`j = 1, \dots, d+1` joining masses :math:`j-1` and
:math:`j`,

.. math::

    f_k(x) = \kappa_{k+1}(x_{k+1}-x_k) - \kappa_k(x_k-x_{k-1})
           + \beta_{k+1}(x_{k+1}-x_k)^3 - \beta_k(x_k-x_{k-1})^3, \qquad \ddot x = f(x),

which is :math:`f = -\nabla V` for the spring potential

.. math::

    V(x) = \sum_{j=1}^{d+1} \frac{\kappa_j}{2}(x_j - x_{j-1})^2 + \frac{\beta_j}{4}(x_j - x_{j-1})^4,

so :math:`H = \sum_k v_k^2/2 + V(x)` is conserved. States are sampled from :math:`U[-1, 1]^d`.
"""

from __future__ import annotations

import numpy as np
import param

from explorer.systems.base import DynamicalSystem

__all__ = ["FPUT"]


class FPUT(DynamicalSystem):
    r"""FPUT chain, second order (seed eq. 46).

    Translation-invariant (``disordered=False``): every spring has :math:`\kappa_j = \kappa`,
    :math:`\beta_j = \beta` (seed: 1 and 0.7). Disordered: :math:`\kappa_j \sim U[0, 2\kappa]`,
    :math:`\beta_j \sim U[0, 2\beta]` drawn from ``numpy.random.default_rng(seed)`` (the seed's
    :math:`U[0,2]` and :math:`U[0,1.4]` with the default means).
    """

    kappa = param.Number(default=1.0, bounds=(0, None),
                         doc="Linear spring constant (mean value when disordered).")
    beta = param.Number(default=0.7, bounds=(0, None),
                        doc="Cubic spring constant (mean value when disordered).")
    disordered = param.Boolean(default=False,
                               doc="Draw kappa_j ~ U[0, 2 kappa], beta_j ~ U[0, 2 beta] per spring.")
    seed = param.Integer(default=0, bounds=(0, None), doc="Seed of the disordered spring constants.")

    order = 2

    @property
    def key(self) -> str:
        return "fput-disordered" if self.disordered else "fput"

    @property
    def domain(self) -> np.ndarray:
        """:math:`[-1, 1]` for every mode."""
        return np.tile([-1.0, 1.0], (self.modes, 1))

    def _springs(self) -> tuple[np.ndarray, np.ndarray]:
        n = self.modes + 1
        if not self.disordered:
            return np.full(n, float(self.kappa)), np.full(n, float(self.beta))
        rng = np.random.default_rng(self.seed)
        kappas = rng.uniform(0.0, 2.0 * self.kappa, n)
        return kappas, rng.uniform(0.0, 2.0 * self.beta, n)

    @property
    def kappas(self) -> np.ndarray:
        r"""Linear spring constants :math:`\kappa_1, \dots, \kappa_{d+1}`."""
        return self._springs()[0]

    @property
    def betas(self) -> np.ndarray:
        r"""Cubic spring constants :math:`\beta_1, \dots, \beta_{d+1}`."""
        return self._springs()[1]

    @staticmethod
    def _extensions(X: np.ndarray) -> np.ndarray:
        """Spring extensions :math:`x_j - x_{j-1}`, shape ``(N, d+1)``, with the fixed ends padded in."""
        return np.diff(np.pad(X, ((0, 0), (1, 1))), axis=1)

    def _law(self, X):
        kappas, betas = self._springs()
        e = self._extensions(X)
        return np.diff(kappas * e + betas * e**3, axis=1)

    def _potential_energy(self, X):
        """Spring potential :math:`V(x)` (module docstring), shape ``(N,)``."""
        kappas, betas = self._springs()
        e = self._extensions(X)
        return np.sum(0.5 * kappas * e**2 + 0.25 * betas * e**4, axis=1)
