"""Dynamical systems whose laws are learned: FPUT, rotating dipoles, Lennard-Jones and user laws.

``SYSTEMS`` maps the command-line names to factories; :func:`make_system` builds a system by name, including a
user law given as ``MODULE:CALLABLE`` (see :func:`load_callable`).
"""

from __future__ import annotations

from functools import partial

from explorer.systems.base import DynamicalSystem
from explorer.systems.custom import CustomSystem, load_callable
from explorer.systems.dipoles import Dipoles
from explorer.systems.fput import FPUT
from explorer.systems.lennard_jones import LennardJones
from explorer.systems.trajectories import Trajectory, finite_difference_data, integrate

__all__ = [
    "DynamicalSystem",
    "FPUT",
    "Dipoles",
    "LennardJones",
    "CustomSystem",
    "Trajectory",
    "integrate",
    "finite_difference_data",
    "load_callable",
    "make_system",
    "SYSTEMS",
]

SYSTEMS = {
    "fput": FPUT,
    "fput-disordered": partial(FPUT, disordered=True),
    "dipoles": Dipoles,
    "lennard-jones": LennardJones,
}


def make_system(name: str, **params) -> DynamicalSystem:
    """Build a system by registry name (``SYSTEMS``) or from a user law ``"MODULE:CALLABLE"``.

    ``params`` are the system's parameters (e.g. ``modes=20``); ``"fput-disordered"`` is
    ``FPUT(disordered=True)``.
    For a user law, ``params`` go to :class:`CustomSystem` (``modes``, ``domain``, ``order``).
    """
    if ":" in name:
        return CustomSystem(law=load_callable(name), **params)
    if name not in SYSTEMS:
        raise ValueError(f"system must be one of {sorted(SYSTEMS)} or MODULE:CALLABLE, got {name!r}")
    return SYSTEMS[name](**params)
