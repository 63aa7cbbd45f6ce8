"""Small input checks shared by the system modules."""

from __future__ import annotations

import numpy as np


def as_rng(rng) -> np.random.Generator:
    """A :class:`numpy.random.Generator` from a generator, an integer seed or ``None``."""
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def check_count(n, name: str, minimum: int = 1) -> int:
    """``n`` as an int, or a ValueError naming ``name`` unless it is an integer ``>= minimum``."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {n!r}")
    return int(n)
