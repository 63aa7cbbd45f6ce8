"""The domain a law is learned on: from the data with a margin, and how far other states lie outside it.

A Legendre dictionary is orthonormal on its interval and grows fast outside it, so a law predicts reliably only on
states inside the domain it was learned on. :func:`data_domain` chooses one interval for every mode from the data;
:func:`warn_outside` warns (:class:`DomainWarning`) naming how far test or simulated states leave it.
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["DomainWarning", "data_domain", "domain_excess", "warn_outside", "DOMAIN_MARGIN"]

DOMAIN_MARGIN = 0.1
"""Margin added on each side of the data's range, as a fraction of the range."""


class DomainWarning(UserWarning):
    """States lie outside the domain a law was learned on: its predictions there extrapolate."""


def data_domain(states: np.ndarray, margin: float = DOMAIN_MARGIN) -> tuple[float, float]:
    """``(a, b)``: the smallest and largest value of any mode, widened by ``margin`` times the range per side."""
    low, high = float(np.min(states)), float(np.max(states))
    width = high - low if high > low else max(abs(high), 1.0)
    return low - margin * width, high + margin * width


def domain_excess(states: np.ndarray, domain) -> tuple[float, float]:
    """Largest distance of a state's entry outside ``domain`` (``(a, b)`` or ``(d, 2)``) and the fraction outside."""
    bounds = np.asarray(domain, dtype=np.float64)
    low, high = (bounds[0], bounds[1]) if bounds.ndim == 1 else (bounds[:, 0], bounds[:, 1])
    distance = np.maximum(np.maximum(low - states, states - high), 0.0)
    return float(distance.max(initial=0.0)), float(np.mean(distance > 0)) if distance.size else 0.0


def warn_outside(states: np.ndarray, domain, what: str) -> float:
    """Warn when ``states`` leave ``domain``; returns the largest distance outside (0 when inside)."""
    excess, fraction = domain_excess(states, domain)
    if excess > 0:
        bounds = np.asarray(domain, dtype=np.float64)
        shown = f"[{bounds[0]:g}, {bounds[1]:g}]" if bounds.ndim == 1 else "its per-mode intervals"
        warnings.warn(f"{what}: states lie up to {excess:.3g} outside the law's domain {shown} "
                      f"({100 * fraction:.2g}% of the values); predictions there extrapolate",
                      DomainWarning, stacklevel=2)
    return excess
