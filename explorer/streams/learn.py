"""The Learn page's streams: per sweep, the report, a frozen law and its predictions on held-out states.

:func:`learn_updates` learns from a built-in or user system; :func:`data_learn_updates` from an uploaded data file
(:func:`explorer.data.parse_data`, no pickle), and each of its updates also carries one trajectory of the file,
measured and simulated by the law of that sweep (:class:`TrajectoryCurves`). :func:`trajectory_curves` simulates
another trajectory with a law already learned. All run in the worker process; the items are picklable snapshots.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np

from explorer.data import Differentiation, PairData, TrajectoryData, parse_data
from explorer.learning.experiment import LearningExperiment
from explorer.learning.from_data import attach_system, data_problem
from explorer.learning.law import SelfSimilarLaw
from explorer.learning.learner import Learner
from explorer.learning.simulation import compare
from explorer.resources import learning_bytes

__all__ = ["LearnUpdate", "TrajectoryCurves", "learn_updates", "data_learn_updates", "trajectory_curves",
           "data_memory", "experiment_memory", "default_experiment", "SCATTER_STATES"]

SCATTER_STATES = 400
"""Held-out states of the learned-versus-true scatter."""


@dataclass
class TrajectoryCurves:
    """Trajectory ``index`` (0-based) of a data file: times ``t`` ``(T,)``, the measured states ``measured``
    ``(T, d)`` and the law's simulation from its first state ``simulated`` ``(T, d)`` (NaN after a divergence);
    ``deviation`` is ``max_t |x_sim - x| / max_t |x|`` (:func:`explorer.learning.simulation.deviation`); ``sweep``
    the sweep of the law simulated (None: not known)."""

    index: int
    t: np.ndarray
    measured: np.ndarray
    simulated: np.ndarray
    deviation: float
    message: str
    sweep: int | None = None


@dataclass
class LearnUpdate:
    """One sweep as the worker process hands it to the page: the report, a frozen law and its predictions
    (learned from a data file: also one trajectory, measured and simulated, or None for a pair file)."""

    report: dict
    stop: str | None
    law: SelfSimilarLaw
    prediction: np.ndarray
    truth: np.ndarray
    bound: float | None = None
    curves: TrajectoryCurves | None = None


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
    """Generator of :class:`LearnUpdate` (runs in the worker process: data, capacity bound, sweeps, predictions).
    Each law carries its system's order and provenance, so it can be saved as a law file."""
    system = experiment.make_system()
    X = system.sample_states(SCATTER_STATES, rng=experiment.seed + 7)
    truth = system.target(X)
    bound = experiment.capacity_bound()
    settings = experiment.learner.param.values()
    for report in experiment.iterate():
        law = attach_system(report.law, system, settings)
        yield LearnUpdate(report.as_dict(), report.stop, law, law.predict(X), truth, bound)




def data_memory(data: TrajectoryData | PairData, validation: float) -> tuple[int, str]:
    """Estimated peak memory of learning from ``data`` with ``validation`` held out, and what it depends on."""
    states = data.states().shape[0]
    held = round(validation * states)
    estimate = learning_bytes(data.modes, states - held, held)
    return estimate, f"learning from {data.name} with d = {data.modes} modes and N = {states - held:,} samples"


def _differentiation(derivative: str | None) -> Differentiation | None:
    return None if derivative is None else Differentiation(method=derivative)


def data_learn_updates(content: bytes, filename: str, learner_settings: dict, order: int,
                       derivative: str | None = None, validation: float = 0.2, trajectory: int = 0,
                       until: float | None = None):
    """Generator of :class:`LearnUpdate` learned from the data file ``content`` (runs in the worker process).

    Parameters
    ----------
    content, filename : bytes, str
        The file's bytes and name (its suffix selects ``.npz`` or ``.csv``); parsed with :func:`parse_data`.
    learner_settings : dict
        Settings of :class:`~explorer.learning.learner.Learner`.
    order, derivative, validation
        As in :func:`explorer.learning.from_data.data_problem` (``derivative`` an estimator name or None).
    trajectory : int
        Trajectory (0-based) simulated by each sweep's law from its first state and drawn against the measurement.
    until : float, optional
        Simulate up to this time only (default: the whole trajectory).

    Each update's scatter compares the law with the test pairs (the held-out trajectories' derivatives), or with
    the training pairs when nothing is held out, on at most :data:`SCATTER_STATES` states. The simulation can cost
    more than a sweep (on FPUT d = 20, t in [0, 25]: about 1.5 s against 0.3 s), so a sweep's update carries
    curves only while the simulations so far have taken no longer than the sweeps (the run at most doubles), and
    always for the last sweep; the others carry ``curves=None``.
    """
    data = parse_data(content, filename)
    learner = Learner(**learner_settings)
    differentiation = _differentiation(derivative)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        problem = data_problem(data, order, differentiation, domain=None, validation=validation,
                               seed=learner.seed)
    X, F = (problem.X, problem.Y) if problem.X_test is None else (problem.X_test, problem.F_test)
    pick = np.random.default_rng(learner.seed).permutation(X.shape[0])[:SCATTER_STATES]
    X, F = X[pick], F[pick]
    learning = simulating = 0.0
    for report in learner.iterate(problem.X, problem.Y, domain=problem.domain, X_test=problem.X_test,
                                  F_test=problem.F_test):
        law = problem.attach(report.law, learner.param.values())
        learning += report.seconds
        curves = None
        if report.stop is not None or simulating <= learning:
            start = time.perf_counter()
            curves = _curves(law, data, trajectory, until, differentiation, report.sweep)
            simulating += time.perf_counter() - start
        yield LearnUpdate(report.as_dict(), report.stop, law, law.predict(X), F, None, curves)


def trajectory_curves(law: SelfSimilarLaw, content: bytes, filename: str, trajectory: int,
                      until: float | None = None, derivative: str | None = None, sweep: int | None = None):
    """Generator of the one :class:`TrajectoryCurves` of ``trajectory`` of a data file simulated by ``law`` (the
    law of ``sweep``)."""
    yield _curves(law, parse_data(content, filename), trajectory, until, _differentiation(derivative), sweep)


def _curves(law, data, index: int, until, differentiation, sweep: int | None = None) -> TrajectoryCurves | None:
    """Trajectory ``index`` of ``data`` measured and simulated by ``law`` (None for a pair file)."""
    if not isinstance(data, TrajectoryData):
        return None
    if not 0 <= index < data.trajectories:
        raise ValueError(f"trajectory must be in 1..{data.trajectories}, got {index + 1}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = compare(law, data.subset([index]), until=until, differentiation=differentiation)
    sim = result["simulations"][0]
    measured = data.x[index, : sim.t.shape[0]]
    return TrajectoryCurves(index, sim.t, measured, sim.x, result["deviations"][0], sim.message, sweep)
