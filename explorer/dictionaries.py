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
    "dictionary_class",
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
    symbol : str
        Letter naming function ``i`` as ``<symbol><i>`` (``P`` for orthonormal Legendre).
    polynomial : bool
        The functions are polynomials of degree ``w(i)``: a law can be written in monomials
        (:meth:`monomial_change_of_basis`).
    fixed_degree : int or None
        The dictionary's largest degree when it has no choice (``{1, sin, cos}``: 1), else None.
    default_total_degree : int or None
        Total degree a learner uses with this dictionary when nothing else sets it (None: the learner's own).
    """

    name = "dictionary"
    symbol = "F"
    polynomial = False
    fixed_degree: int | None = None
    default_total_degree: int | None = None

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

    @classmethod
    def build(cls, degree: int | None = None, domain=None) -> Dictionary:
        """The dictionary of a learner's settings: its ``degree`` (and, where it rescales, its ``domain``)."""
        return cls() if degree is None else cls(degree=int(degree))

    def describe(self) -> dict:
        """JSON-serialisable description from which :func:`make_dictionary` rebuilds the dictionary."""
        return {"name": self.name, "degree": self.max_degree}

    def feature_names(self) -> list[str]:
        """Short names of the ``p`` functions, e.g. ``P0, P1, ...``, ``x^0, x^1, ...`` or ``1, sin, cos``."""
        return [f"{self.symbol}{i}" for i in range(self.size)]

    def function_label(self, index: int, variable: str) -> str:
        """Function ``index`` applied to ``variable`` as text, e.g. ``P2(x3)``."""
        return f"{self.symbol}{index}({variable})"

    def monomial_change_of_basis(self, mode: int = 0, modes: int = 1) -> np.ndarray:
        """Matrix ``T`` with ``x**j = sum_i T[j, i] psi_i(x)`` for ``j < p`` on mode ``mode`` of ``modes``.

        Exact on ``p`` Gauss-Legendre nodes of the mode's interval. Raises ValueError for a dictionary that is not
        polynomial.
        """
        if not self.polynomial:
            raise ValueError(f"the {self.name} dictionary is not polynomial: it has no monomial basis")
        p = self.size
        nodes, _ = np.polynomial.legendre.leggauss(p)
        lo, hi = self.interval(mode)
        x = lo + (nodes + 1.0) * (hi - lo) / 2.0
        states = np.zeros((p, modes))
        states[:, mode] = x
        psi = self.evaluate(states)[:, mode, :]
        return np.linalg.solve(psi, x[:, None] ** np.arange(p)[None, :]).T

    def interval(self, mode: int = 0) -> tuple[float, float]:
        """Interval of mode ``mode`` on which the functions are meant to be used (``[-1, 1]`` unless rescaled)."""
        return -1.0, 1.0

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.size}, degrees={self.degrees.tolist()})"


class MonomialDictionary(Dictionary):
    r"""Monomials :math:`x^0, \dots, x^P` with :math:`w(i) = i` (seed eq. 21)."""

    name = "monomial"
    symbol = "M"
    polynomial = True

    def __init__(self, degree: int = 3):
        if degree < 0:
            raise ValueError(f"degree must be >= 0, got {degree}")
        super().__init__(np.arange(degree + 1))

    def _evaluate(self, X):
        return X[:, :, None] ** self.degrees[None, None, :]

    def feature_names(self) -> list[str]:
        return [f"x^{i}" for i in range(self.size)]

    def monomial_change_of_basis(self, mode: int = 0, modes: int = 1) -> np.ndarray:
        """The identity: the functions are the monomials."""
        return np.eye(self.size)


class LegendreDictionary(Dictionary):
    r"""Legendre polynomials orthonormal for the uniform probability on ``[a, b]``.

    :math:`\psi_i(x) = \sqrt{2i+1}\, P_i(t)`, :math:`t = 2(x-a)/(b-a) - 1`, so that
    :math:`\frac{1}{b-a}\int_a^b \psi_i \psi_j\,dx = \delta_{ij}`. ``domain`` is either one interval ``(a, b)``
    for every mode or an array ``(d, 2)`` of per-mode intervals. States outside the interval (beyond a relative
    slack of 1e-9) raise a warning: the polynomials are still defined there but grow fast.
    """

    name = "legendre"
    symbol = "P"
    polynomial = True

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

    @classmethod
    def build(cls, degree: int | None = None, domain=None) -> LegendreDictionary:
        kwargs = {} if domain is None else {"domain": domain}
        return cls(**kwargs) if degree is None else cls(degree=int(degree), **kwargs)

    def interval(self, mode: int = 0) -> tuple[float, float]:
        return tuple(self.domain if self.domain.ndim == 1 else self.domain[mode])

    def describe(self):
        return {"name": self.name, "degree": self.max_degree, "domain": self.domain.tolist()}


class TrigonometricDictionary(Dictionary):
    r"""The dictionary :math:`\{1, \sin x, \cos x\}` with :math:`w = (0, 1, 1)` (seed eq. 24)."""

    name = "trigonometric"
    fixed_degree = 1
    default_total_degree = 2

    def __init__(self, degree: int = 1):
        if degree != 1:
            raise ValueError("the trigonometric dictionary {1, sin, cos} has degree 1")
        super().__init__([0, 1, 1])

    def _evaluate(self, X):
        return np.stack([np.ones_like(X), np.sin(X), np.cos(X)], axis=-1)

    def feature_names(self) -> list[str]:
        return ["1", "sin", "cos"]

    def function_label(self, index: int, variable: str) -> str:
        return ("", f"sin({variable})", f"cos({variable})")[index]


DICTIONARIES = {
    "legendre": LegendreDictionary,
    "monomial": MonomialDictionary,
    "trigonometric": TrigonometricDictionary,
}


def dictionary_class(name: str) -> type[Dictionary]:
    """The dictionary class registered as ``name`` in :data:`DICTIONARIES` (ValueError naming it otherwise)."""
    if name not in DICTIONARIES:
        raise ValueError(f"dictionary must be one of {sorted(DICTIONARIES)}, got {name!r}")
    return DICTIONARIES[name]


def make_dictionary(name: str, degree: int | None = None, domain=None) -> Dictionary:
    """Build a dictionary by name (:meth:`Dictionary.build`); ``domain`` only applies to dictionaries that rescale
    (Legendre)."""
    return dictionary_class(name).build(degree, domain)
