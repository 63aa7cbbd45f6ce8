"""The Learn page's stream: per sweep, the report, a frozen law and its predictions on held-out states."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.learning.experiment import LearningExperiment
from explorer.learning.law import SelfSimilarLaw

__all__ = ["LearnUpdate", "learn_updates", "SCATTER_STATES"]

SCATTER_STATES = 400
"""Held-out states of the learned-versus-true scatter."""


@dataclass
class LearnUpdate:
    """One sweep as the worker process hands it to the page: the report, a frozen law and its predictions."""

    report: dict
    stop: str | None
    law: SelfSimilarLaw
    prediction: np.ndarray
    truth: np.ndarray
    bound: float | None = None


def learn_updates(experiment: LearningExperiment):
    """Generator of :class:`LearnUpdate` (runs in the worker process: data, capacity bound, sweeps, predictions)."""
    system = experiment.make_system()
    X = system.sample_states(SCATTER_STATES, rng=experiment.seed + 7)
    truth = system.target(X)
    bound = experiment.capacity_bound()
    for report in experiment.iterate():
        law = report.law
        yield LearnUpdate(report.as_dict(), report.stop, law, law.predict(X), truth, bound)


