"""Point functions: one grid point's parameters (its seed included) in, one row of results out.

They run on Dask workers, so they are module-level, deterministic and free of side effects: the same point gives
the same numbers on any worker, and the same numbers as a direct call of the learner or the ground-state model.
"""

from __future__ import annotations

import time

from explorer.groundstate.model import GroundStateModel
from explorer.groundstate.study import dp_at
from explorer.learning.experiment import LearningExperiment
from explorer.progress import run_to_end

__all__ = [
    "GROUNDSTATE_RESULTS",
    "LEARNING_RESULTS",
    "groundstate_point",
    "learning_experiment",
    "learning_point",
]

LEARNING_SETTINGS = (
    "system", "modes", "samples", "test_samples", "noise", "seed", "block_size", "interaction_length", "sweeps",
    "stagnation", "init", "method",
)
"""Settings of a learning point, passed by name to :meth:`LearningExperiment.from_settings`."""
LEARNING_RESULTS = ("residuum", "train_residuum", "sweeps_done", "parameters", "seconds")
GROUNDSTATE_RESULTS = ("energy", "energy_dp", "exact", "error", "error_dp", "net_size_used", "seconds")


def learning_experiment(point: dict) -> LearningExperiment:
    """The :class:`LearningExperiment` of a learning point: the preset's learner with the point's settings.

    Built by :meth:`LearningExperiment.from_settings`, like the experiments of ``explorer learn``.

    One ``seed`` seeds both the data and the initialisation, as in ``explorer learn --seed``. The learner runs on
    one thread, since each worker owns one core (the law does not depend on the thread count).
    """
    settings = {name: point[name] for name in LEARNING_SETTINGS}
    return LearningExperiment.from_settings(preset_of=point["preset"], threads=1, **settings)


def learning_point(point: dict) -> dict:
    """Learn the law of one point; the test residuum after the last sweep and the run's cost.

    Parameters
    ----------
    point : dict
        ``system``, ``preset``, ``modes``, ``samples``, ``test_samples``, ``noise``, ``seed``, ``block_size``,
        ``interaction_length``, ``sweeps``, ``stagnation``, ``init`` and ``method``.

    Returns
    -------
    dict
        :data:`LEARNING_RESULTS`: ``residuum`` (test), ``train_residuum``, ``sweeps_done``, ``parameters``
        (allowed entries of the law) and ``seconds`` (wall time of data and learning).
    """
    start = time.perf_counter()
    reports = list(learning_experiment(point).iterate())
    last = reports[-1]
    return {
        "residuum": float(last.test_residuum),
        "train_residuum": float(last.train_residuum),
        "sweeps_done": len(reports),
        "parameters": last.law.parameter_count(),
        "seconds": time.perf_counter() - start,
    }


def groundstate_point(point: dict) -> dict:
    """Epsilon-net DP on one chain (:func:`explorer.groundstate.study.dp_at`): the true energy of the returned MPS,
    the DP estimate and the exact energy.

    Parameters
    ----------
    point : dict
        ``model``, ``sites``, ``bond_dim``, ``net_size`` (Haar net), ``eta``, ``refine`` and ``seed``.

    Returns
    -------
    dict
        :data:`GROUNDSTATE_RESULTS`: ``energy`` (true energy E), ``energy_dp`` (the DP's Etilde), ``exact``
        (E0, or None when too expensive), ``error`` = E - E0 and ``error_dp`` = Etilde - E0 (None without E0),
        ``net_size_used`` and ``seconds``.
    """
    model = GroundStateModel(
        model=point["model"],
        sites=point["sites"],
        bond_dim=point["bond_dim"],
        family="haar",
        net_size=point["net_size"],
        eta=point["eta"],
        refine=point["refine"],
        seed=point["seed"],
        method="dp",
    )
    result = run_to_end(dp_at(model))
    exact = result.exact
    return {
        "energy": result.energy,
        "energy_dp": result.energy_dp,
        "exact": exact,
        "error": None if exact is None else result.energy - exact,
        "error_dp": None if exact is None else result.energy_dp - exact,
        "net_size_used": result.net_size,
        "seconds": result.seconds,
    }
