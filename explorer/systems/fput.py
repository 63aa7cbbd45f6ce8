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

Every :math:`f_k` is a polynomial of degree 3 in the modes :math:`k-1, k, k+1`: :meth:`FPUT.window_coefficients`
gives its monomial coefficients and :meth:`FPUT.exact_law` the law written exactly as a self-similar
block-sparse tensor train (interaction length 1, total degree at most 3, block size 2 suffices).
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

    def window_coefficients(self, equation: int) -> np.ndarray:
        """Monomial coefficients of ``f_equation`` over its window ``equation-1 .. equation+1`` (0-based modes).

        Entry ``[i, j, l]`` multiplies ``x_{k-1}^i x_k^j x_{k+1}^l``; fixed ends ``x_0 = x_{d+1} = 0`` drop the
        missing neighbour (two axes at the chain ends). Shape ``(4,) * W``.
        """
        if not 0 <= equation < self.modes:
            raise ValueError(f"equation must be in 0..{self.modes - 1}, got {equation}")
        kappas, betas = self._springs()
        lo, hi = max(0, equation - 1), min(self.modes, equation + 2)
        axes = hi - lo
        left = equation - 1 - lo if equation > 0 else None
        centre = equation - lo
        right = equation + 1 - lo if equation + 1 < self.modes else None
        tensor = np.zeros((4,) * axes)
        _linear_difference(tensor, kappas[equation + 1], right, centre, axes)
        _linear_difference(tensor, -kappas[equation], centre, left, axes)
        _cube_difference(tensor, betas[equation + 1], right, centre, axes)
        _cube_difference(tensor, -betas[equation], centre, left, axes)
        return tensor

    def exact_law(self, dictionary, block_size: int = 2):
        """This chain's law written exactly as a self-similar block-sparse TT in a degree-3 polynomial
        ``dictionary`` (``L = 1``, total degree at most 3), a :class:`~explorer.learning.law.SelfSimilarLaw`.

        The monomial coefficients of every window are rewritten in the dictionary with its one-mode change of
        basis and turned into cores (:func:`explorer.learning.window.law_from_window_coefficients`).
        """
        from explorer.learning.window import law_from_window_coefficients
        from explorer.tt.structure import BlockStructure

        if dictionary.size != 4 or not dictionary.polynomial:
            raise ValueError("the exact FPUT construction needs a degree-3 polynomial dictionary")
        d = self.modes
        structure = BlockStructure(dictionary.degrees, d, block_size, range(4))
        coefficients = []
        for e in range(d):
            tensor = self.window_coefficients(e)
            for axis, m in enumerate(range(max(0, e - 1), min(d, e + 2))):
                change = dictionary.monomial_change_of_basis(m, d)
                tensor = np.moveaxis(np.tensordot(tensor, change, ([axis], [0])), -1, axis)
            coefficients.append(tensor)
        return law_from_window_coefficients(structure, dictionary, 1, coefficients)

    def _potential_energy(self, X):
        """Spring potential :math:`V(x)` (module docstring), shape ``(N,)``."""
        kappas, betas = self._springs()
        e = self._extensions(X)
        return np.sum(0.5 * kappas * e**2 + 0.25 * betas * e**4, axis=1)


def _cube_difference(tensor: np.ndarray, coef: float, hi: int | None, lo: int | None, axes: int) -> None:
    """Add ``coef * (x_hi - x_lo)^3`` and nothing for a fixed end (``None``), monomial coefficients."""
    for power in range(4):
        binom = (1, 3, 3, 1)[power] * (-1) ** (3 - power)
        idx = [0] * axes
        if hi is not None:
            idx[hi] += power
        elif power:
            continue
        if lo is not None:
            idx[lo] += 3 - power
        elif power != 3:
            continue
        tensor[tuple(idx)] += coef * binom


def _linear_difference(tensor: np.ndarray, coef: float, hi: int | None, lo: int | None, axes: int) -> None:
    for pos, sign in ((hi, 1.0), (lo, -1.0)):
        if pos is not None:
            idx = [0] * axes
            idx[pos] = 1
            tensor[tuple(idx)] += coef * sign
