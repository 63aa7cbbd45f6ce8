"""The sweep loop shared by every learning method: a generator yielding one :class:`SweepReport` per sweep.

A sweep is a left-to-right half-sweep followed by the mirrored right-to-left one (Algorithm 1 and its mirror).
The loop stops at a target training residuum, on stagnation (relative decrease below a tolerance), at the sweep
limit, or when the consumer stops iterating. Every report carries a copy of the law after its sweep, so a consumer
may keep, display or save it while the loop goes on (the law passed in is fitted in place).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

from explorer.learning.als import Chain, half_sweep, right_orthogonalise
from explorer.learning.law import SelfSimilarLaw, relative_residuum

__all__ = ["SweepReport", "StopRule", "als_sweeps"]


@dataclass(frozen=True)
class SweepReport:
    """What one sweep did.

    Attributes
    ----------
    sweep : int
        1-based sweep number.
    train_residuum : float
        Relative residuum on the training data after the sweep.
    test_residuum : float or None
        Relative residuum on the test data (when given).
    seconds : float
        Wall time of the sweep's fitting (residuum evaluations excluded).
    elapsed : float
        Wall time since the start, evaluations included.
    gauges : list of dict
        Gauge matrices applied in this sweep: ``mode``, ``type``, ``equation``, ``side`` and ``U`` (a core
        ``C -> C U`` for ``side == "right"``, ``C -> U C`` for ``side == "left"``).
    law : SelfSimilarLaw
        The law as it is after this sweep (a copy: later sweeps do not change it).
    stop : str or None
        Why the loop ends after this sweep (``"target"``, ``"stagnation"``, ``"sweeps"``), or None.
    """

    sweep: int
    train_residuum: float
    test_residuum: float | None
    seconds: float
    elapsed: float
    gauges: list = field(repr=False)
    law: SelfSimilarLaw = field(repr=False)
    stop: str | None = None

    def as_dict(self) -> dict:
        return {
            "sweep": self.sweep,
            "train_residuum": self.train_residuum,
            "test_residuum": self.test_residuum,
            "seconds": self.seconds,
            "elapsed": self.elapsed,
            "gauges": len(self.gauges),
        }


@dataclass
class StopRule:
    """Sweep limit, target training residuum and stagnation rule.

    Stagnation: the best training residuum of the last ``patience`` sweeps is not below the best one before them
    by the relative tolerance ``stagnation`` (0 disables the rule). GMWS sweeps are not monotone (gauge updates
    can raise the residuum for a sweep before it falls further), so ``patience > 1`` lets a run through a
    transient rise; the rule is checked from sweep ``patience + 2`` on.
    """

    sweeps: int = 10
    target: float = 0.0
    stagnation: float = 1e-3
    patience: int = 1

    def reason(self, sweep: int, history: list[float]) -> str | None:
        if history[-1] <= self.target:
            return "target"
        if sweep >= self.sweeps:
            return "sweeps"
        if self.stagnation > 0 and len(history) >= self.patience + 2:
            before, recent = min(history[: -self.patience]), min(history[-self.patience :])
            if before - recent < self.stagnation * before:
                return "stagnation"
        return None


def _chain(law: SelfSimilarLaw, features: np.ndarray, targets: np.ndarray) -> Chain:
    st = law.structure
    return Chain(
        cores=law.cores,
        masks=st.masks,
        blocks=st.blocks,
        left_vec=np.ones(st.ranks[0]),
        right_vec=np.ones(st.ranks[-1]),
        features=features,
        targets=targets,
        interaction_length=law.interaction_length,
    )


def _sweep(law: SelfSimilarLaw, features, targets, gauge: bool, ridge: float, far=None, threads: int = 1):
    """One sweep (right, then left half-sweep) on samples-last ``features`` ``(d, p, N)`` and ``targets``
    ``(d, N)``; returns the gauges and the far side of the next sweep's first half-sweep."""
    chain = _chain(law, features, targets)
    right, far = half_sweep(chain, gauge, ridge, far, threads)
    gauges = [dict(g, side="right") for g in right]
    mirror = chain.reflected()
    d, lint = law.modes, law.interaction_length
    left, far = half_sweep(mirror, gauge, ridge, far, threads)
    for g in left:
        gauges.append(dict(g, mode=d - 1 - g["mode"], type=2 * lint + 4 - g["type"], U=g["U"].T, side="left"))
    law.cores.clear()
    law.cores.update(mirror.reflected().cores)
    for key, core in law.cores.items():
        law.cores[key] = np.ascontiguousarray(core)
    return gauges, far


def _right_orthogonalised(law: SelfSimilarLaw, features, targets) -> None:
    """Bring ``law`` to the form a right-to-left half-sweep leaves (:func:`.als.right_orthogonalise`)."""
    chain = _chain(law, features, targets)
    right_orthogonalise(chain)
    for key, core in chain.cores.items():
        law.cores[key] = np.ascontiguousarray(core)


@dataclass
class _CarriedFarSide:
    """The far side recorded by the last half-sweep; valid while the law holds exactly the core arrays it saw."""

    far: object
    cores: dict

    def valid_for(self, law: SelfSimilarLaw) -> object:
        unchanged = self.cores.keys() == law.cores.keys() and all(law.cores[k] is c for k, c in self.cores.items())
        return self.far if unchanged else None


def als_sweeps(
    law: SelfSimilarLaw,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    gauge: bool = True,
    ridge: float = 0.0,
    stop: StopRule | None = None,
    X_test: np.ndarray | None = None,
    F_test: np.ndarray | None = None,
    threads: int = 1,
):
    """Fit ``law`` to ``Y ~ f(X)`` in place, yielding a :class:`SweepReport` with a copy of it after every sweep.

    Each half-sweep records the environments the next one needs from its far side, so only the very first
    half-sweep computes them from the cores (again after any core of ``law`` is replaced between sweeps).
    ``threads`` threads share the independent local problems of each mode. BLAS keeps its own threading (changing
    it here would race with other threads calling BLAS, e.g. the dashboard's sessions); the command line runs
    with one BLAS thread, which is faster for the many small products of the local problems.
    """
    stop = stop or StopRule()
    features = law.dictionary.evaluate(X)
    test_features = None if X_test is None else law.dictionary.evaluate(X_test)
    samples_last = np.ascontiguousarray(features.transpose(1, 2, 0))
    targets = np.ascontiguousarray(Y.T)
    history: list[float] = []
    _right_orthogonalised(law, samples_last, targets)
    carried = _CarriedFarSide(None, {})
    start = time.perf_counter()
    for sweep in range(1, stop.sweeps + 1):
        t0 = time.perf_counter()
        gauges, far = _sweep(law, samples_last, targets, gauge, ridge, carried.valid_for(law), threads)
        carried = _CarriedFarSide(far, dict(law.cores))
        seconds = time.perf_counter() - t0
        history.append(relative_residuum(law.evaluate_features(features), Y))
        if not np.isfinite(history[-1]):
            raise FloatingPointError(
                f"training residuum became {history[-1]} in sweep {sweep}; try ridge > 0"
            )
        test = (
            None if test_features is None else relative_residuum(law.evaluate_features(test_features), F_test)
        )
        reason = stop.reason(sweep, history)
        report = SweepReport(
            sweep, history[-1], test, seconds, time.perf_counter() - start, gauges, law, reason
        )
        law.history.append(report.as_dict())
        yield replace(report, law=law.copy())
        if reason:
            return
