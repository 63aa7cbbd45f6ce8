"""A learning problem from measured data: training and test pairs, the domain, and what the law file records.

:func:`data_problem` is the one path from data files (or arrays) to the inputs of
:meth:`explorer.learning.Learner.iterate`, shared by :meth:`Learner.fit_trajectories` and ``explorer learn --data``:

- training pairs from the training data (derivatives measured or estimated, :meth:`TrajectoryData.pairs`);
- test pairs from the test data, or from held-out whole trajectories (the last ``validation`` fraction; for a pair
  file a seeded random fraction of the pairs), with the same estimator;
- the domain: given, or the training states' range with a margin (:func:`explorer.data.data_domain`); test states
  outside it raise a :class:`~explorer.data.DomainWarning` naming how far out they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from explorer.data import Differentiation, PairData, data_domain, warn_outside
from explorer.data.trajectories import MEASURED

__all__ = ["DataProblem", "data_problem", "attach_system"]


@dataclass
class DataProblem:
    """Training pairs ``X, Y``; test pairs ``X_test, F_test`` (or None); the domain ``(a, b)``; provenance."""

    X: np.ndarray
    Y: np.ndarray
    X_test: np.ndarray | None
    F_test: np.ndarray | None
    domain: tuple[float, float]
    order: int
    provenance: dict = field(default_factory=dict)

    def attach(self, law, learner_settings: dict | None = None):
        """Set the law's order and provenance (source, training settings) for its law file; returns it."""
        law.order = self.order
        law.provenance = {**self.provenance, "learned": "law"}
        if learner_settings is not None:
            settings = {k: v for k, v in learner_settings.items() if k != "name"}
            law.provenance["training"] = {**law.provenance.get("training", {}), "learner": settings}
        return law


def _differentiation(derivative) -> Differentiation | None:
    if derivative is None or isinstance(derivative, Differentiation):
        return derivative
    return Differentiation(method=derivative)


def _derivative_record(train, order: int, differentiation):
    if differentiation is None and (isinstance(train, PairData) or getattr(train, MEASURED[order]) is not None):
        return "measured"
    settings = (differentiation or Differentiation()).param.values()
    return {k: v for k, v in settings.items() if k != "name"}


def data_problem(train, order: int, derivative=None, test=None, domain=None, validation: float = 0.2,
                 seed: int = 0) -> DataProblem:
    """Build the learning problem from ``train`` (and ``test``) data.

    Parameters
    ----------
    train, test : TrajectoryData or PairData
        Same ``d``; without ``test``, ``validation`` of ``train`` is held out (0: no test residuum).
    order : {1, 2}
        ``xdot = f(x)`` or ``xddot = f(x)``.
    derivative : str, Differentiation or None
        Estimator for trajectories (None: measured derivatives when present, else ``fd6``).
    domain : (a, b), optional
        The dictionary's interval; default: the training states' range with a 10 % margin per side.
    """
    differentiation = _differentiation(derivative)
    held_out = test is None
    if held_out:
        train, test = train.split(validation, seed) if isinstance(train, PairData) else train.split(validation)
    elif test.modes != train.modes:
        raise ValueError(f"{test.name}: key 'x' must have d = {train.modes} modes like {train.name}, "
                         f"got {test.modes}")
    X, Y = train.pairs(order, differentiation)
    domain = tuple(float(v) for v in domain) if domain is not None else data_domain(X)
    if not domain[0] < domain[1]:
        raise ValueError(f"domain must satisfy a < b, got {domain}")
    warn_outside(X, domain, f"{train.name} (training)")
    X_test = F_test = None
    if test is not None:
        X_test, F_test = test.pairs(order, None if isinstance(test, PairData) else differentiation)
        warn_outside(X_test, domain, f"{test.name} (test)")
    training = {
        "order": order,
        "derivative": _derivative_record(train, order, differentiation),
        "domain": list(domain),
        "validation": validation if held_out else None,
        "test": None if test is None else test.source(),
        "samples": int(X.shape[0]),
    }
    return DataProblem(X, Y, X_test, F_test, domain, order, {"source": train.source(), "training": training})


def attach_system(law, system, learner_settings: dict):
    """Set the order and provenance of a law learned from a built-in or user system (for its law file).

    A system whose learned target differs from its law (Lennard-Jones, seed eq. 50) is recorded as such, so that
    the law file refuses to be simulated.
    """
    from explorer.systems.base import DynamicalSystem

    transformed = type(system)._target_factors is not DynamicalSystem._target_factors
    law.order = system.order
    law.provenance = {
        "learned": f"{system.key} target (seed eq. 50)" if transformed else "law",
        "source": {"system": system.describe()},
        "training": {"learner": {k: v for k, v in learner_settings.items() if k != "name"},
                     "domain": system.domain.tolist()},
    }
    return law
