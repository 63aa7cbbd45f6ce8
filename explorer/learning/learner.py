r"""The learner as a param model: method, ansatz and optimiser settings with bounds and docs.

Methods (:mod:`explorer.learning.methods`, docs/algorithms.md A7), all with the same interface and the
same per-sweep reports: ``gmws`` (ALS with gauge-mediated weight sharing, seed Algorithm 1), ``shared`` (weight
sharing without gauge mediation), ``independent`` (one block-sparse TT per equation) and ``dense`` (``gmws`` with
dense cores).

Initialisation: ``random`` (pass-through cores plus Gaussian noise) or ``window`` (our addition: per-equation
least squares on the products of features of its window, turned into cores by a labelled TT-SVD, see
:mod:`explorer.learning.window`), plus ``init_noise`` on every allowed entry.
"""

from __future__ import annotations

import os
import threading

import numpy as np
import param

from explorer.data import PairData, TrajectoryData
from explorer.dictionaries import DICTIONARIES, Dictionary, dictionary_class
from explorer.learning.from_data import data_problem
from explorer.learning.law import SelfSimilarLaw
from explorer.learning.methods import METHODS, Method, method
from explorer.learning.sweeps import StopRule, als_sweeps
from explorer.learning.window import window_regression_law
from explorer.tt.structure import BlockStructure

__all__ = ["Learner", "METHODS", "warm_up_kernels"]



def _check_array(name: str, value, shape=None) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (N, d), got shape {arr.shape}")
    if shape is not None and arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


class Learner(param.Parameterized):
    """Learn ``f`` in ``xdot = f(x)`` (or ``xddot = f(x)``) with self-similar block-sparse tensor trains."""

    method = param.Selector(
        default="gmws", objects=list(METHODS), doc="Optimiser / ansatz (explorer.learning.methods)."
    )
    dictionary = param.Selector(
        default="legendre", objects=list(DICTIONARIES), doc="Functions of one mode (explorer.dictionaries)."
    )
    degree = param.Integer(default=3, bounds=(1, 20), doc="Largest polynomial degree of the dictionary.")
    total_degree = param.Integer(
        default=3, bounds=(0, 60), doc="Bound lambda on the total degree (seed eq. 28)."
    )
    exact_degree = param.Boolean(
        default=False,
        doc="Total degree exactly lambda (dipoles: 'exactly two factors') instead of at most lambda.",
    )
    block_size = param.Integer(default=2, bounds=(1, 64), doc="Largest block size rho.")
    interaction_length = param.Integer(
        default=1, bounds=(0, None), doc="L of the selection table (window 2L+1)."
    )
    sweeps = param.Integer(default=10, bounds=(1, 1000), doc="Sweep limit (one sweep: left-right and back).")
    target_residuum = param.Number(default=0.0, bounds=(0, None), doc="Stop at this training residuum.")
    stagnation = param.Number(
        default=1e-3,
        bounds=(0, 1),
        doc="Stop when the best residuum improves by less than this fraction within `patience` sweeps (0: never).",
    )
    patience = param.Integer(
        default=1,
        bounds=(1, 100),
        doc="Sweeps the best residuum may go without improving by the stagnation fraction before the run stops.",
    )
    ridge = param.Number(
        default=0.0, bounds=(0, None), doc="Ridge regularisation of local solves (0: min-norm)."
    )
    init = param.Selector(default="window", objects=["window", "random"], doc="Initialisation of the cores.")
    init_noise = param.Number(
        default=0.0,
        bounds=(0, 10),
        doc="Gaussian noise added to every allowed entry (the window start is exact for local polynomial laws; "
        "1e-6 gives long-range directions a start).",
    )
    seed = param.Integer(default=0, bounds=(0, None), doc="Seed of the initialisation.")
    threads = param.Integer(
        default=None,
        bounds=(1, 64),
        allow_None=True,
        doc="Threads sharing the independent local problems of each mode (None: the available cores, at most 4). "
        "The learned law is the same for every value.",
    )

    def thread_count(self) -> int:
        """``threads``, or the cores this process may use (at most 4) when it is None."""
        if self.threads is not None:
            return self.threads
        return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()))

    def learning_method(self) -> Method:
        """The :class:`~explorer.learning.methods.Method` named by ``method``."""
        return method(self.method)

    def total_degrees(self) -> list[int]:
        return [self.total_degree] if self.exact_degree else list(range(self.total_degree + 1))

    def make_dictionary(self, domain=None) -> Dictionary:
        """The dictionary of ``degree``; one that rescales (Legendre) is rescaled to ``domain`` (one interval or
        ``(d, 2)``); one with a fixed degree (trigonometric) ignores ``degree``."""
        cls = dictionary_class(self.dictionary)
        return cls.build(None if cls.fixed_degree is not None else self.degree, domain)

    def structure(self, modes: int, dictionary=None) -> BlockStructure:
        dictionary = dictionary or self.make_dictionary()
        return BlockStructure(
            dictionary.degrees, modes, self.block_size, self.total_degrees(), dense=self.learning_method().dense
        )

    def effective_interaction_length(self, modes: int) -> int:
        """The ``L`` of the selection table for ``modes`` modes (``d - 1`` for a method without sharing)."""
        return self.learning_method().interaction_length(self.interaction_length, modes)

    def initial_law(self, X: np.ndarray, Y: np.ndarray, domain=None) -> SelfSimilarLaw:
        dictionary = self.make_dictionary(domain)
        structure = self.structure(X.shape[1], dictionary)
        lint = self.effective_interaction_length(X.shape[1])
        rng = np.random.default_rng(self.seed)
        if self.init == "window":
            law = window_regression_law(structure, dictionary, lint, dictionary.evaluate(X), Y)
        else:
            law = SelfSimilarLaw.random(structure, dictionary, lint, seed=rng)
        for key, core in law.cores.items():
            mask = structure.masks[key[0]]
            law.cores[key] = core + self.init_noise * rng.standard_normal(mask.shape) * mask
        return law

    def iterate(self, X, Y, *, domain=None, X_test=None, F_test=None, law: SelfSimilarLaw | None = None):
        """Generator of :class:`~explorer.learning.sweeps.SweepReport`, one per sweep; ``law`` continues a run."""
        X = _check_array("X", X)
        Y = _check_array("Y", Y, X.shape)
        if X_test is not None:
            X_test = _check_array("X_test", X_test)
            F_test = _check_array("F_test", F_test, X_test.shape)
        law = law or self.initial_law(X, Y, domain)
        stop = StopRule(self.sweeps, self.target_residuum, self.stagnation, self.patience)
        yield from als_sweeps(
            law,
            X,
            Y,
            gauge=self.learning_method().gauge,
            ridge=self.ridge,
            stop=stop,
            X_test=X_test,
            F_test=F_test,
            threads=self.thread_count(),
        )

    def fit(self, X, Y=None, **kwargs) -> SelfSimilarLaw:
        """Run all sweeps and return the learned law (``predict``, ``history``, ``save``, ``simulate``).

        ``fit(X, Y)``: data pairs ``(N, d)``. ``fit(x, t, order=1, derivative=None)``, the pysindy-like call: when the
        second argument is times (a step, or an array ``(T,)`` or ``(M, T)``), ``x`` holds trajectories and
        :meth:`fit_trajectories` estimates the derivatives. ``fit(data, order=2)`` takes a
        :class:`~explorer.data.TrajectoryData` or :class:`~explorer.data.PairData` (e.g. from ``load_data``).
        """
        if Y is None or np.ndim(Y) < 2 or np.ndim(X) == 3:
            return self.fit_trajectories(Y, X, **kwargs)
        reports = list(self.iterate(X, Y, **kwargs))
        return reports[-1].law

    def fit_trajectories(self, t, x, order: int = 1, derivative=None, domain=None, validation: float = 0.0,
                         **kwargs) -> SelfSimilarLaw:
        """Learn from trajectories ``x`` ``(T, d)`` or ``(M, T, d)`` at times ``t`` (a step, ``(T,)`` or ``(M, T)``).

        ``order`` 2 learns ``xddot = f(x)`` from positions only (second derivatives); ``derivative`` chooses the
        estimator (:class:`explorer.data.Differentiation` or its name: ``fd2``, ``fd4``, ``fd6`` (default),
        ``spline``, ``savgol``); ``domain`` defaults to the data's range with a margin; ``validation`` > 0 holds
        out the last trajectories for the per-sweep test residuum. The law knows its order (``law.simulate``).
        """
        if isinstance(x, TrajectoryData | PairData):
            data = x
        elif t is None:
            raise ValueError("fit needs data pairs fit(X, Y), trajectories and their times fit(x, t), or a data "
                             "object fit(load_data(FILE))")
        else:
            data = TrajectoryData.from_arrays(t, x)
        problem = data_problem(data, order, derivative, domain=domain, validation=validation, seed=self.seed)
        law = self.fit(problem.X, problem.Y, domain=problem.domain, X_test=problem.X_test, F_test=problem.F_test,
                       **kwargs)
        return problem.attach(law, self.param.values())


_WARM_UP_LOCK = threading.Lock()
_WARMED_UP = threading.Event()


def warm_up_kernels() -> None:
    """Load the learner's compiled kernels (compiling them on the first run after an install) once per process.

    One sweep of a 4-mode FPUT problem on two threads. The dashboard calls it before it builds its first page:
    compiling holds the GIL for seconds, which must not happen while sessions stream results over their websockets.
    """
    with _WARM_UP_LOCK:
        if _WARMED_UP.is_set():
            return
        rng = np.random.default_rng(0)
        X = rng.uniform(-1.0, 1.0, (60, 4))
        Y = np.roll(X, 1, axis=1) - 2.0 * X + np.roll(X, -1, axis=1) + 0.5 * X**3
        for method in ("gmws", "shared"):
            Learner(method=method, init="random", init_noise=0.05, sweeps=1, threads=2).fit(X, Y)
        _WARMED_UP.set()
