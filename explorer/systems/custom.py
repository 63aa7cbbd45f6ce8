"""User-defined laws: any vectorised callable ``(N, d) -> (N, d)`` with a sampling domain and an order.

On the command line a law is named ``MODULE:CALLABLE`` and imported by :func:`load_callable` from the Python
path (``PYTHONPATH``).
"""

from __future__ import annotations

import importlib

import numpy as np
import param

from explorer.systems.base import DynamicalSystem

__all__ = ["CustomSystem", "UserLawError", "load_callable"]


class UserLawError(ValueError):
    """An exception raised inside a user's law (or its module), reported with the law's own message."""


def _describe(err: Exception) -> str:
    return f"{type(err).__name__}: {err}"


def _callable_name(function) -> str:
    return f"{getattr(function, '__module__', '?')}:{getattr(function, '__qualname__', repr(function))}"


def load_callable(spec: str):
    """Import ``CALLABLE`` (dotted attributes allowed) from ``MODULE`` given as ``"MODULE:CALLABLE"``."""
    module_name, sep, attribute = spec.partition(":")
    if not (sep and module_name and attribute):
        raise ValueError(f"expected a law as MODULE:CALLABLE, got {spec!r}")
    try:
        obj = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        raise ValueError(f"cannot import {module_name!r} for {spec!r} (is it on PYTHONPATH?): {err}") from err
    except Exception as err:
        raise UserLawError(f"importing your law's module {module_name!r} raised {_describe(err)}") from err
    for part in attribute.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"{spec!r}: module {module_name!r} has no attribute {attribute!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise ValueError(f"{spec!r} is not callable")
    return obj


class CustomSystem(DynamicalSystem):
    r"""A user's law :math:`\dot x = f(x)` or :math:`\ddot x = f(x)` with uniform sampling on ``domain``.

    Parameters
    ----------
    law : callable
        Vectorised law mapping states ``(N, d)`` to ``(N, d)``; checked on a probe batch of 8 states at
        construction and on every call (shape and finiteness), so a wrong law fails with a clear message.
    modes : int
        Number of modes d >= 2.
    domain : (a, b) or array (d, 2)
        Sampling interval of every mode or per-mode intervals.
    order : {1, 2}
        Order of the law.
    """

    function = param.Callable(default=None, doc="Vectorised law (N, d) -> (N, d).")
    domain_bounds = param.Parameter(default=(-1.0, 1.0),
                                    doc="Sampling domain: (a, b) for every mode or an array (d, 2).")
    order = param.Selector(default=1, objects=[1, 2], doc="1: xdot = f(x); 2: xddot = f(x).")

    def __init__(self, law=None, domain=(-1.0, 1.0), **params):
        if not callable(law):
            raise ValueError(f"law must be a callable (N, d) -> (N, d), got {law!r}")
        super().__init__(function=law, domain_bounds=domain, **params)
        self.law(self.sample_states(8, rng=0))

    @property
    def key(self) -> str:
        return _callable_name(self.function)

    @property
    def domain(self) -> np.ndarray:
        bounds = np.asarray(self.domain_bounds, dtype=np.float64)
        if bounds.shape == (2,):
            bounds = np.tile(bounds, (self.modes, 1))
        if bounds.shape != (self.modes, 2):
            raise ValueError(f"domain must be (a, b) or of shape ({self.modes}, 2), got shape {bounds.shape}")
        if not np.all(np.isfinite(bounds)) or np.any(bounds[:, 1] <= bounds[:, 0]):
            raise ValueError("domain must be finite with a < b for every mode")
        return bounds

    def describe(self) -> dict:
        """Parameters with ``system = "MODULE:CALLABLE"`` and ``domain`` as ``(d, 2)`` bounds.

        :func:`~explorer.systems.make_system` rebuilds the system from it when the law is importable (a lambda
        is not).
        """
        description = {k: v for k, v in super().describe().items() if k not in ("function", "domain_bounds")}
        return {**description, "domain": self.domain.tolist()}

    def _law(self, X):
        try:
            Y = np.asarray(self.function(X), dtype=np.float64)
        except Exception as err:
            raise UserLawError(f"your law {self.key} raised {_describe(err)}") from err
        if Y.shape != X.shape:
            raise ValueError(f"law {self.key} returned shape {Y.shape} for states of shape {X.shape}; "
                             f"it must return shape (N, d) = {X.shape}")
        if not np.all(np.isfinite(Y)):
            raise ValueError(f"law {self.key} returned NaN or infinite values")
        return Y
