"""The Learn page's stream: per sweep, the report, a frozen law and its predictions on held-out states."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.learning.experiment import LearningExperiment
from explorer.learning.law import SelfSimilarLaw
from explorer.resources import learning_bytes

__all__ = ["LearnUpdate", "learn_updates", "experiment_memory", "default_experiment", "SCATTER_STATES"]

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


DEFAULTS = dict(system="fput", modes=10, samples=500, test_samples=2000, noise=0.0, seed=0)
"""A problem small enough that a sweep takes well under a second on a quiet machine."""


def default_experiment(**overrides) -> LearningExperiment:
    """The dashboard's starting point: FPUT with the seed's learner settings, random initialisation, 10 sweeps."""
    return LearningExperiment.from_settings(**{**DEFAULTS, **overrides}, init="random", sweeps=10)


def experiment_memory(experiment: LearningExperiment) -> tuple[int, str]:
    """Estimated peak memory of learning ``experiment`` (:func:`explorer.resources.learning_bytes`) and the
    settings it depends on, for a message."""
    estimate = learning_bytes(experiment.modes, experiment.samples, experiment.test_samples)
    what = f"learning with d = {experiment.modes} modes and N = {experiment.samples:,} samples"
    return estimate, what


def learn_updates(experiment: LearningExperiment):
    """Generator of :class:`LearnUpdate` (runs in the worker process: data, capacity bound, sweeps, predictions)."""
    system = experiment.make_system()
    X = system.sample_states(SCATTER_STATES, rng=experiment.seed + 7)
    truth = system.target(X)
    bound = experiment.capacity_bound()
    for report in experiment.iterate():
        law = report.law
        yield LearnUpdate(report.as_dict(), report.stop, law, law.predict(X), truth, bound)


