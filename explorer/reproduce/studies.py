"""Sweep specifications: one :class:`param.Parameterized` class per study, a grid of independent points.

Each study reproduces one figure of the seed paper (Fuksa, Götte, Roth, Eisert, arXiv:2208.01591, Figs. 1-5) or
the epsilon-net convergence study of part B of docs/algorithms.md. A *point* is a flat dict of parameters (its seed
included); the point function (:mod:`explorer.reproduce.points`) turns it into a row of results, so a point is
a pure function of its parameters. ``FULL`` holds the seed's grid, ``QUICK`` a tiny grid that runs in CI.

The seed labels its self-similar runs "L=5" and "L=9": in the reference code that is the number of activation
types, i.e. windows of 3 and 7 modes, ``interaction_length`` 1 and 3 here (docs/algorithms.md A5).
"""

from __future__ import annotations

import copy
import itertools

import param

from explorer.groundstate.model import NAMED_MODELS, GroundStateModel
from explorer.learning.experiment import LearningExperiment
from explorer.learning.learner import Learner
from explorer.learning.presets import PRESETS
from explorer.reproduce import points

__all__ = [
    "STUDIES",
    "Sweep",
    "LearningSweep",
    "FPUTSweep",
    "DipolesSweep",
    "DipolesLegendreSweep",
    "DipolesNoiseSweep",
    "LennardJonesSweep",
    "EpsilonNetSweep",
    "make_sweep",
]

# Learner preset name -> system it learns (the Legendre dipoles use the dipole system with another dictionary).
PRESET_SYSTEM = {"dipoles-legendre": "dipoles"}


def _declared(model: type[param.Parameterized], name: str, **changes) -> param.Parameter:
    """A copy of ``model``'s parameter ``name`` (type, bounds, doc), with ``changes`` such as another default."""
    parameter = copy.copy(model.param[name])
    for key, value in changes.items():
        setattr(parameter, key, value)
    return parameter


def _check_list(name: str, values, parameter: param.Parameter) -> None:
    """Every value of the list ``name`` within the bounds of the model's ``parameter`` (ValueError naming it)."""
    if not values:
        raise ValueError(f"{name} must not be empty")
    low, high = parameter.bounds
    for value in values:
        if (low is not None and value < low) or (high is not None and value > high):
            bound = f">= {low}" if high is None else f"in [{low}, {high}]"
            raise ValueError(f"{name} must hold values {bound}, got {value!r}")


class Sweep(param.Parameterized):
    """A grid of independent points and how to plot their results.

    Subclasses set ``study``, ``function`` (the point function), ``RESULTS`` (its result columns), ``FULL`` and
    ``QUICK`` (parameter overrides of the two presets) and the figure layout: ``x`` and ``y`` columns, ``lines``
    (columns that label one line each), ``panel`` (column that splits the figure, or None), ``aggregate``
    (``median`` or ``mean`` over seeds) and ``instances`` (also draw every seed's point).
    """

    tag = param.String(default="", doc="Stem of the table and figure files (default: the study name).")
    seeds = param.List(default=[0], item_type=int, doc="Seeds of data and initialisation; one point per seed.")

    study = "sweep"
    function = None
    RESULTS: tuple[str, ...] = ()
    FULL: dict = {}
    QUICK: dict = {}
    x = "samples"
    y = "residuum"
    xlabel = "Number of samples"
    ylabel = "Residuum"
    lines: tuple[str, ...] = ()
    panel: str | None = None
    logx = False
    aggregate = "median"
    instances = False
    title = ""

    def __init__(self, **params):
        params = {**self.FULL, **params}
        params.setdefault("tag", self.study)
        super().__init__(**params)

    @classmethod
    def preset(cls, quick: bool = False, **overrides) -> Sweep:
        """The seed's grid, or the CI-sized grid with ``quick=True``; ``overrides`` replace parameters."""
        if quick:
            overrides = {"tag": f"{cls.study}-quick", **cls.QUICK, **overrides}
        return cls(**overrides)

    def axes(self) -> dict:
        """Parameter name -> list of values; the grid is their Cartesian product (defined by every study)."""
        raise NotImplementedError(f"{type(self).__name__} must define the axes of its grid")

    def validate(self) -> None:
        """Raise ValueError naming the parameter when a value is out of range."""
        _check_list("seeds", self.seeds, LearningExperiment.param["seed"])
        if not self.tag or any(c in self.tag for c in "/\\"):
            raise ValueError(f"tag must be a non-empty file stem, got {self.tag!r}")

    def points(self) -> list[dict]:
        """Every point of the grid, each a flat dict that starts with the study name."""
        self.validate()
        axes = self.axes()
        return [
            {"study": self.study, **dict(zip(axes, combo, strict=True))}
            for combo in itertools.product(*axes.values())
        ]

    def columns(self) -> list[str]:
        """Columns of the tidy table: key, point parameters, results, finish time."""
        return ["key", *self.points()[0], *self.RESULTS, "finished"]


class LearningSweep(Sweep):
    """Residuum of a learned law against the number of training samples (seed Figs. 1-5)."""

    study = "learning"

    systems = param.List(default=["fput"], item_type=str, doc="Learner presets (systems), one line each.")
    modes = param.List(default=[50], item_type=int, doc="Numbers of modes d.")
    samples = param.List(default=[1400], item_type=int, doc="Training set sizes N.")
    noises = param.List(default=[0.0], doc="Std of Gaussian noise on the training targets.")
    block_sizes = param.List(default=[2], item_type=int, doc="Largest block sizes rho.")
    interaction_lengths = param.List(default=[1], item_type=int, doc="L of the selection table (window 2L+1).")
    test_samples = _declared(LearningExperiment, "test_samples", bounds=(1, None))
    sweeps = _declared(Learner, "sweeps")
    stagnation = _declared(Learner, "stagnation")
    init = _declared(Learner, "init")
    method = _declared(Learner, "method")

    function = staticmethod(points.learning_point)
    RESULTS = points.LEARNING_RESULTS

    def validate(self) -> None:
        super().validate()
        for system in self.systems:
            if system not in PRESETS:
                raise ValueError(f"systems must hold names of {sorted(PRESETS)}, got {system!r}")
        for name, model, setting in (
            ("modes", LearningExperiment, "modes"),
            ("samples", LearningExperiment, "samples"),
            ("noises", LearningExperiment, "noise"),
            ("block_sizes", Learner, "block_size"),
            ("interaction_lengths", Learner, "interaction_length"),
        ):
            _check_list(name, getattr(self, name), model.param[setting])
        if max(self.interaction_lengths) >= min(self.modes):
            raise ValueError(
                f"interaction_lengths must be < the smallest of modes ({min(self.modes)}), "
                f"got {max(self.interaction_lengths)}"
            )

    def axes(self) -> dict:
        return {
            "preset": list(self.systems),
            "modes": list(self.modes),
            "samples": list(self.samples),
            "test_samples": [self.test_samples],
            "noise": [float(s) for s in self.noises],
            "seed": list(self.seeds),
            "block_size": list(self.block_sizes),
            "interaction_length": list(self.interaction_lengths),
            "sweeps": [self.sweeps],
            "stagnation": [float(self.stagnation)],
            "init": [self.init],
            "method": [self.method],
        }

    def points(self) -> list[dict]:
        """Every point of the grid, with the ``system`` that its learner ``preset`` learns."""
        return [
            {"study": p["study"], "system": PRESET_SYSTEM.get(p["preset"], p["preset"]), **p}
            for p in super().points()
        ]


class FPUTSweep(LearningSweep):
    """Seed Fig. 1: FPUT d = 50, uniform and disordered springs, residuum after 10 sweeps vs N.

    The seed starts ALS from random cores; so does this sweep (``init='random'``). The project's window start
    recovers FPUT exactly from far fewer samples, which would flatten the figure.
    """

    study = "fput"
    FULL = dict(
        systems=["fput", "fput-disordered"], modes=[50], samples=list(range(500, 2600, 100)), block_sizes=[2],
        interaction_lengths=[1], sweeps=10, init="random",
    )
    QUICK = dict(modes=[6], samples=[100, 200, 400], test_samples=2000)
    lines = ("system",)
    title = "FPUT, Legendre degree 3, rho = 2, window 3 (seed Fig. 1)"


class DipolesSweep(LearningSweep):
    """Seed Fig. 2: dipoles, trigonometric dictionary, rho = 3, windows 3 and 7, residuum after 8 sweeps vs N."""

    study = "dipoles"
    FULL = dict(
        systems=["dipoles"], modes=[10, 20, 30, 40, 50], samples=list(range(100, 1600, 100)), block_sizes=[3],
        interaction_lengths=[1, 3], sweeps=8,
    )
    QUICK = dict(modes=[6, 8], samples=[100, 400], test_samples=2000)
    lines = ("modes",)
    panel = "interaction_length"
    title = "Dipoles, trigonometric dictionary, rho = 3 (seed Fig. 2)"


class DipolesLegendreSweep(LearningSweep):
    """Seed Fig. 3: dipoles, Legendre degree 9, rho = 3, window 3, residuum after 8 sweeps vs N."""

    study = "dipoles-legendre"
    FULL = dict(
        systems=["dipoles-legendre"], modes=[10, 20, 30], samples=list(range(5000, 20000, 2500)),
        block_sizes=[3], interaction_lengths=[1], sweeps=8,
    )
    QUICK = dict(modes=[4], samples=[300, 600], test_samples=2000)
    lines = ("modes",)
    title = "Dipoles, Legendre degree 9, rho = 3, window 3 (seed Fig. 3)"


class DipolesNoiseSweep(LearningSweep):
    """Seed Fig. 4: dipoles from noisy data, sigma = 1e-1, 1e-2, 1e-3, d = 20 and 50, residuum vs N."""

    study = "dipoles-noise"
    FULL = dict(
        systems=["dipoles"], modes=[20, 50], noises=[1e-1, 1e-2, 1e-3], samples=list(range(200, 1600, 100)),
        block_sizes=[3], interaction_lengths=[1], sweeps=8,
    )
    QUICK = dict(modes=[6, 8], samples=[100, 400], test_samples=2000)
    lines = ("noise", "modes")
    title = "Dipoles from noisy data, trigonometric dictionary, rho = 3, window 3 (seed Fig. 4)"


class LennardJonesSweep(LearningSweep):
    """Seed Fig. 5: Lennard-Jones d = 10, Legendre degree 8, rho = 4, 6, 8, six seeds: mean and instances."""

    study = "lennard-jones"
    FULL = dict(
        systems=["lennard-jones"], modes=[10], samples=list(range(2000, 11000, 1000)), block_sizes=[4, 6, 8],
        interaction_lengths=[1], sweeps=8, seeds=list(range(6)),
    )
    QUICK = dict(modes=[4], samples=[300, 600], block_sizes=[2, 4], seeds=[0, 1], test_samples=2000)
    lines = ("block_size",)
    aggregate = "mean"
    instances = True
    title = "Lennard-Jones, Legendre degree 8, window 3: mean and instances (seed Fig. 5)"


class EpsilonNetSweep(Sweep):
    """Epsilon-net DP (docs/algorithms.md part B): energy error E - E0 of the returned MPS vs the Haar net size.

    Pure DP (no refinement rounds) on an open chain, one line per (n, D), median over seeds. E is the true energy
    of the returned state; E0 the exact ground energy (free fermions for the TFIM).
    """

    model = param.Selector(default="tfim", objects=list(NAMED_MODELS), doc="Chain Hamiltonian.")
    sites = param.List(default=[10], item_type=int, doc="Chain lengths n.")
    bond_dims = param.List(default=[2], item_type=int, doc="Bond dimensions D.")
    net_sizes = param.List(default=[100], item_type=int, doc="Haar net sizes.")
    eta = _declared(GroundStateModel, "eta")
    refine = _declared(GroundStateModel, "refine", default=0)

    study = "epsnet"
    function = staticmethod(points.groundstate_point)
    RESULTS = points.GROUNDSTATE_RESULTS
    FULL = dict(
        sites=[6, 10, 14], bond_dims=[1, 2], net_sizes=[25, 50, 100, 200, 400, 800, 1600], seeds=list(range(5))
    )
    QUICK = dict(sites=[6, 8], net_sizes=[25, 50, 100, 200], seeds=[0])
    x = "net_size"
    y = "error"
    xlabel = "Net size (Haar isometries)"
    ylabel = "E - E0"
    lines = ("sites", "bond_dim")
    logx = True
    title = "Epsilon-net DP, TFIM g = 1: error of the returned MPS vs net size"

    def validate(self) -> None:
        super().validate()
        for name, setting in (("sites", "sites"), ("bond_dims", "bond_dim"), ("net_sizes", "net_size")):
            _check_list(name, getattr(self, name), GroundStateModel.param[setting])

    def axes(self) -> dict:
        return {
            "model": [self.model],
            "sites": list(self.sites),
            "bond_dim": list(self.bond_dims),
            "net_size": list(self.net_sizes),
            "eta": [float(self.eta)],
            "refine": [self.refine],
            "seed": list(self.seeds),
        }


STUDIES = {
    cls.study: cls
    for cls in (
        FPUTSweep,
        DipolesSweep,
        DipolesLegendreSweep,
        DipolesNoiseSweep,
        LennardJonesSweep,
        EpsilonNetSweep,
    )
}


def make_sweep(name: str, quick: bool = False, **overrides) -> Sweep:
    """The sweep of study ``name`` (one of :data:`STUDIES`), full or ``quick``."""
    if name not in STUDIES:
        raise ValueError(f"study must be one of {sorted(STUDIES)}, got {name!r}")
    return STUDIES[name].preset(quick, **overrides)
