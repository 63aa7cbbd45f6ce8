"""A learning experiment as a param model: system, data and learner together.

This is what the dashboard's Learn page, the notebooks and ``explorer learn`` drive: choose a system and its size,
the number of training and test samples and the noise, and a :class:`~explorer.learning.learner.Learner`;
:meth:`LearningExperiment.iterate` draws the data (seeded) and yields one report per sweep with the test residuum
(docs/algorithms.md A1) on fresh states.
"""

from __future__ import annotations

import numpy as np
import param

from explorer.dictionaries import TrigonometricDictionary, dictionary_class
from explorer.learning.capacity import pair_coupling_bound
from explorer.learning.learner import Learner
from explorer.learning.presets import PRESETS, default_samples, preset
from explorer.systems import SYSTEMS, DynamicalSystem, make_system

__all__ = ["LearningExperiment", "BOUND_WORK"]

BOUND_WORK = 2500
"""Budget of :meth:`LearningExperiment.capacity_bound`: ascent iterations times modes (50 iterations at d = 50)."""


class LearningExperiment(param.Parameterized):
    """Data from a dynamical system and a learner that recovers its law.

    Build one from flat settings with :meth:`from_settings` (the command line, the reproduction grids, the
    benchmarks and the pages do), copy it with :meth:`copy`. A change of ``system`` applies that system's learner
    preset (:func:`~explorer.learning.presets.preset`); ``system_params`` sets the system's own parameters.
    """

    system = param.String(
        default="fput", doc="fput, fput-disordered, dipoles, lennard-jones, or MODULE:CALLABLE (a user law)."
    )
    modes = param.Integer(
        default=DynamicalSystem.param["modes"].default, bounds=(2, 5000), doc="Number of modes d."
    )
    samples = param.Integer(
        default=default_samples("fput"),
        bounds=(1, 10_000_000),
        doc="Training samples N (a new experiment takes the seed's number for its system, DEFAULT_SAMPLES).",
    )
    test_samples = param.Integer(default=20_000, bounds=(0, 10_000_000), doc="Fresh test samples N'.")
    noise = param.Number(default=0.0, bounds=(0, None), doc="Std of Gaussian noise added to the targets.")
    seed = param.Integer(
        default=0,
        bounds=(0, None),
        doc="Seed of the data (from_settings and `explorer learn` seed the learner's initialisation with it too).",
    )
    domain = param.NumericTuple(default=None, length=2, allow_None=True, doc="Domain (a, b) for a user law.")
    order = param.Integer(default=1, bounds=(1, 2), doc="Order of a user law (1: xdot = f, 2: xddot = f).")
    system_params = param.Dict(
        default={},
        doc="Values of the system's own parameters by name, e.g. {'beta': 0.5} (`explorer systems` lists them).",
    )
    learner = param.ClassSelector(class_=Learner, doc="The learner and its settings.")

    def __init__(self, **params):
        learner = params.pop("learner", None)
        params.setdefault("samples", default_samples(params.get("system", self.param["system"].default)))
        super().__init__(**params)
        self.learner = learner or Learner(**preset(self.system))
        self.param.watch(lambda _event: self.apply_preset(), "system")

    @classmethod
    def from_settings(
        cls, *, preset_of: str | None = None, init_seed: int | None = None, **settings
    ) -> LearningExperiment:
        """An experiment from flat settings: its own parameters and the learner's, by name.

        The one construction rule of the command line, the reproduction grids, the benchmarks and the pages:

        - the learner starts from the preset of ``preset_of`` (default: the system) and takes the learner
          settings given;
        - ``seed`` seeds the data and the learner's initialisation alike, unless ``init_seed`` seeds the latter;
        - ``samples`` defaults to the seed's number for the system (:func:`~explorer.learning.presets.default_samples`);
        - a ``degree`` given without ``total_degree`` also bounds the total degree (unless the preset asks for
          exactly that degree); a dictionary with a fixed degree (trigonometric: 1) sets it, and its default
          total degree (trigonometric: 2) unless the preset or the settings give one.

        Raises ValueError naming the setting for an unknown name or a value out of bounds.
        """
        learner_names = set(Learner.param) - {"name"}
        own_names = set(cls.param) - {"name", "learner"}
        unknown = set(settings) - learner_names - own_names
        if unknown:
            raise ValueError(f"unknown settings {sorted(unknown)}")
        own = {k: v for k, v in settings.items() if k in own_names}
        given = {k: v for k, v in settings.items() if k in learner_names}
        system = own.get("system", cls.param["system"].default)
        chosen = PRESETS.get(preset_of or system, {}) | given
        if "degree" in given and "total_degree" not in given and not chosen.get("exact_degree"):
            chosen["total_degree"] = given["degree"]
        dictionary = dictionary_class(chosen.get("dictionary", Learner.param["dictionary"].default))
        if dictionary.fixed_degree is not None:
            total = chosen.get("total_degree", dictionary.default_total_degree)
            chosen.update(degree=dictionary.fixed_degree, total_degree=total)
        learner_settings = preset(preset_of or system) | chosen
        seed = own.get("seed") if init_seed is None else init_seed
        if seed is not None:
            learner_settings["seed"] = seed
        return cls(learner=Learner(**learner_settings), **own)

    def copy(self) -> LearningExperiment:
        """An independent copy with an independent learner (a run may use it while the original changes)."""
        values = {k: v for k, v in self.param.values().items() if k not in ("name", "learner")}
        learner = Learner(**{k: v for k, v in self.learner.param.values().items() if k != "name"})
        return type(self)(learner=learner, **{**values, "system_params": dict(self.system_params)})

    def apply_preset(self) -> None:
        """Set the learner to the seed's settings for the current system (also done on every change of system)."""
        self.learner.param.update(**preset(self.system))

    def make_system(self) -> DynamicalSystem:
        """The system of ``system`` with ``modes`` (a user law: also ``order``, ``domain``) and ``system_params``.

        A system with a ``seed`` (the disordered FPUT chain) takes the experiment's seed unless ``system_params``
        sets its own.
        """
        if ":" in self.system:
            kwargs = {"modes": self.modes, "order": self.order}
            if self.domain is not None:
                kwargs["domain"] = tuple(self.domain)
            system = make_system(self.system, **kwargs)
        elif self.system not in SYSTEMS:
            raise ValueError(
                f"system must be one of {sorted(SYSTEMS)} or MODULE:CALLABLE, got {self.system!r}"
            )
        else:
            system = make_system(self.system, modes=self.modes)
            if "seed" in system.param:
                system.seed = self.seed
        system.configure(self.system_params)
        return system

    def capacity_bound(self) -> float | None:
        """Residuum no law of this learner's ansatz can beat, when :mod:`explorer.learning.capacity` applies.

        It applies to pair-coupled angle laws (systems with ``couplings()``, the dipoles) learned with the
        trigonometric dictionary, total degree exactly 2 and shared block-sparse cores (``gmws``, ``shared``); otherwise
        ``None``. The ascent gets ``BOUND_WORK / d`` iterations (at least 5): a valid, slightly loose bound.
        """
        learner = self.learner
        angles = isinstance(learner.make_dictionary(), TrigonometricDictionary)
        pairs = angles and learner.degree == 1 and learner.total_degrees() == [2]
        if not (pairs and learner.learning_method().shared_block_sparse):
            return None
        system = self.make_system()
        if not hasattr(system, "couplings"):
            return None
        lint = learner.effective_interaction_length(self.modes)
        iterations = max(5, BOUND_WORK // self.modes)
        return pair_coupling_bound(system.couplings(), lint, learner.block_size, iterations=iterations)

    def data(self):
        """Training pairs ``(X, Y)`` and test pairs ``(X_test, F_test)`` (noise-free test targets)."""
        system = self.make_system()
        X, Y = system.sample(self.samples, noise=self.noise, seed=self.seed)
        if self.test_samples:
            X_test, F_test = system.sample(self.test_samples, seed=self.seed + 1_000_003)
        else:
            X_test = F_test = None
        return system, X, Y, X_test, F_test

    def iterate(self):
        """Generator of sweep reports (see :class:`~explorer.learning.sweeps.SweepReport`)."""
        system, X, Y, X_test, F_test = self.data()
        domain = system.domain if self.domain is None else np.asarray(self.domain, dtype=np.float64)
        yield from self.learner.iterate(X, Y, domain=domain, X_test=X_test, F_test=F_test)
