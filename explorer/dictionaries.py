r"""Function dictionaries :math:`\Psi: \mathbb{R} \to \mathbb{R}^p` with degree maps :math:`w: [p] \to \mathbb{N}_0`.

A dictionary turns the state of one mode into ``p`` features; a tensor train contracts one core with them per
mode (seed eq. 4). The degree map ``w`` (nondecreasing) is what makes the block structure of seed Thm. 1 appear:
the product of features ``i_1, ..., i_d`` has total degree ``sum_l w(i_l)``.

- :class:`MonomialDictionary`: :math:`\psi_i(x) = x^i`, :math:`w(i) = i` (seed eq. 21).
- :class:`LegendreDictionary`: :math:`\psi_i(x) = \sqrt{2i+1}\,P_i(2(x-a)/(b-a) - 1)`, orthonormal for the uniform
  probability on :math:`[a, b]`, :math:`w(i) = i`. Bounds may differ per mode (the Lennard-Jones positions grow
  with the mode index, so each mode is rescaled to its own interval).
- :class:`TrigonometricDictionary`: :math:`\{1, \sin x, \cos x\}`, :math:`w = (0, 1, 1)` (seed eq. 24).
"""

from __future__ import annotations

import abc
import warnings

import numpy as np
from scipy.special import eval_legendre

__all__ = [
    "Dictionary",
    "MonomialDictionary",
    "LegendreDictionary",
    "TrigonometricDictionary",
    "make_dictionary",
    "DICTIONARIES",
]


def _as_states(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array of shape (N, d), got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or infinite values")
    return X


class Dictionary(abc.ABC):
    """Abstract base class: ``evaluate(X)`` maps states ``(N, d)`` to features ``(N, d, p)``.

    Attributes
    ----------
    degrees : numpy.ndarray of int
        The degree map ``w`` as an array of length ``p``; nondecreasing.
    name : str
        Short name used by the command line (``legendre``, ``monomial``, ``trigonometric``).
    """

    name = "dictionary"

    def __init__(self, degrees):
        self.degrees = np.asarray(degrees, dtype=np.int64)
        if np.any(np.diff(self.degrees) < 0) or self.degrees[0] != 0:
            raise ValueError("degree map must be nondecreasing and start at 0")

    @property
    def size(self) -> int:
        """Number of functions ``p``."""
        return int(self.degrees.size)

    @property
    def max_degree(self) -> int:
        return int(self.degrees.max())

    def evaluate(self, X: np.ndarray) -> np.ndarray:
        """Features ``Psi[n, l, i] = psi_i(X[n, l])`` of shape ``(N, d, p)``."""
        X = _as_states(X)
        return self._evaluate(X)

    @abc.abstractmethod
    def _evaluate(self, X: np.ndarray) -> np.ndarray:
        """Features of validated states (implemented by each dictionary)."""

    def describe(self) -> dict:
        """JSON-serialisable description from which :func:`make_dictionary` rebuilds the dictionary."""
        return {"name": self.name, "degree": self.max_degree}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.size}, degrees={self.degrees.tolist()})"


class MonomialDictionary(Dictionary):
    r"""Monomials :math:`x^0, \dots, x^P` with :math:`w(i) = i` (seed eq. 21)."""

    name = "monomial"

    def __init__(self, degree: int = 3):
        if degree < 0:
            raise ValueError(f"degree must be >= 0, got {degree}")
        super().__init__(np.arange(degree + 1))

    def _evaluate(self, X):
        return X[:, :, None] ** self.degrees[None, None, :]


class LegendreDictionary(Dictionary):
    r"""Legendre polynomials orthonormal for the uniform probability on ``[a, b]``.

    :math:`\psi_i(x) = \sqrt{2i+1}\, P_i(t)`, :math:`t = 2(x-a)/(b-a) - 1`, so that
    :math:`\frac{1}{b-a}\int_a^b \psi_i \psi_j\,dx = \delta_{ij}`. ``domain`` is either one interval ``(a, b)``
    for every mode or an array ``(d, 2)`` of per-mode intervals. States outside the interval (beyond a relative
    slack of 1e-9) raise a warning: the polynomials are still defined there but grow fast.
    """

    name = "legendre"

    def __init__(self, degree: int = 3, domain=(-1.0, 1.0)):
        if degree < 0:
            raise ValueError(f"degree must be >= 0, got {degree}")
        super().__init__(np.arange(degree + 1))
        domain = np.asarray(domain, dtype=np.float64)
        if domain.shape[-1] != 2 or domain.ndim not in (1, 2):
            raise ValueError(f"domain must be (a, b) or an array of shape (d, 2), got shape {domain.shape}")
        if np.any(domain[..., 1] <= domain[..., 0]):
            raise ValueError("domain must satisfy a < b for every mode")
        self.domain = domain

    def _bounds(self, d: int):
        if self.domain.ndim == 1:
            return np.full(d, self.domain[0]), np.full(d, self.domain[1])
        if self.domain.shape[0] != d:
            raise ValueError(f"domain has {self.domain.shape[0]} modes but X has {d}")
        return self.domain[:, 0], self.domain[:, 1]

    def _evaluate(self, X):
        a, b = self._bounds(X.shape[1])
        t = 2.0 * (X - a) / (b - a) - 1.0
        if np.any(np.abs(t) > 1.0 + 1e-9):
            warnings.warn(
                "states lie outside the Legendre domain; features may be badly scaled", stacklevel=3
            )
        scale = np.sqrt(2.0 * self.degrees + 1.0)
        return eval_legendre(self.degrees[None, None, :], t[:, :, None]) * scale

    def describe(self):
        return {"name": self.name, "degree": self.max_degree, "domain": self.domain.tolist()}


class TrigonometricDictionary(Dictionary):
    r"""The dictionary :math:`\{1, \sin x, \cos x\}` with :math:`w = (0, 1, 1)` (seed eq. 24)."""

    name = "trigonometric"

    def __init__(self, degree: int = 1):
        if degree != 1:
            raise ValueError("the trigonometric dictionary {1, sin, cos} has degree 1")
        super().__init__([0, 1, 1])

    def _evaluate(self, X):
        return np.stack([np.ones_like(X), np.sin(X), np.cos(X)], axis=-1)


DICTIONARIES = {
    "monomial": MonomialDictionary,
    "legendre": LegendreDictionary,
    "trigonometric": TrigonometricDictionary,
}


def make_dictionary(name: str, degree: int | None = None, domain=None) -> Dictionary:
    """Build a dictionary by name; ``domain`` only applies to Legendre."""
    if name not in DICTIONARIES:
        raise ValueError(f"dictionary must be one of {sorted(DICTIONARIES)}, got {name!r}")
    kwargs = {} if degree is None else {"degree": int(degree)}
    if name == "legendre" and domain is not None:
        kwargs["domain"] = domain
    return DICTIONARIES[name](**kwargs)
