"""``GroundStateModel``: a validated, parameterised front end to the ground-state solvers (no GUI imports).

Every parameter carries bounds and documentation; out-of-range values raise ``ValueError`` when set, and
:meth:`GroundStateModel.validate` checks the combinations (Hilbert-space size for ED, Lemma-3 grid size)
before any work starts. ``iterate()`` yields the solver's progress reports and returns a
:class:`GroundStateResult`; ``solve()`` runs it to the end and returns the result. Chains (:data:`MODELS`) and
solvers (:data:`SOLVERS`) come from small registries in this module.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path

import param

from explorer.progress import run_to_end

from . import exact, hamiltonians, nets
from .dmrg import DMRG, DMRGSweepReport
from .dp import NET_SIZE, REFINE, EpsilonNetDP, SiteReport
from .hamiltonians import ChainHamiltonian
from .mps import MPS

REFERENCE_LIMIT = 2**16


@dataclass(frozen=True)
class ChainModel:
    """One chain of :data:`MODELS`: how to build it from the model's settings and its cheap exact energy.

    Attributes
    ----------
    name : str
        Registry key (``--model`` on the command line).
    field : float
        Default of ``field`` for this chain.
    build : callable
        ``build(model, field) -> ChainHamiltonian`` from a :class:`GroundStateModel` and the field in use.
    exact : callable or None
        ``exact(sites, field) -> float``: the ground energy without diagonalisation (TFIM: free fermions), or None.
    from_file : bool
        The chain is read from ``term_path`` (not a named model of the command line).
    """

    name: str
    field: float
    build: Callable
    exact: Callable | None = None
    from_file: bool = False


def _custom(model: GroundStateModel, field: float) -> ChainHamiltonian:
    if model.term is not None:
        return hamiltonians.from_terms(model.sites, model.term, name="custom")
    if not model.term_path:
        raise ValueError("model='custom' needs term (a two-site term) or term_path (a .npy file holding one)")
    return hamiltonians.from_terms(model.sites, Path(model.term_path), name=Path(model.term_path).stem)


def _heisenberg(model: GroundStateModel, field: float) -> ChainHamiltonian:
    return hamiltonians.heisenberg(model.sites) if field == 0.0 else hamiltonians.xxz(model.sites, 1.0, 1.0, field)


MODELS = {
    chain.name: chain
    for chain in (
        ChainModel("tfim", 1.0, lambda m, g: hamiltonians.tfim(m.sites, g), exact.tfim_free_fermion_energy),
        ChainModel("heisenberg", 0.0, _heisenberg),
        ChainModel("xxz", 0.0, lambda m, g: hamiltonians.xxz(m.sites, 1.0, m.anisotropy, g)),
        ChainModel("trap", 0.3, lambda m, g: hamiltonians.trap(m.sites, 1.0, g)),
        ChainModel("custom", 0.0, _custom, from_file=True),
    )
}
"""The chains by name; adding one is one entry here."""

NAMED_MODELS = tuple(name for name, chain in MODELS.items() if not chain.from_file)
"""Chains chosen by name (the command line's ``--model`` names; a file gives the others)."""

DEFAULT_FIELD = {name: chain.field for name, chain in MODELS.items()}
"""Default ``field`` of every chain."""


@dataclass(frozen=True)
class GroundStateResult:
    """Outcome of one run.

    Attributes
    ----------
    method : str
        ``dp``, ``product`` (DP with D = 1), ``dmrg`` or ``exact``.
    energy : float
        True energy of the returned state.
    energy_dp : float or None
        The DP's :math:`\\tilde E` (``dp``/``product`` only).
    exact : float or None
        Reference ground energy (free fermions for the TFIM, else ED when the Hilbert space is <= 2**16).
    net_size : int or None
        Isometries in the interior net (``dp``/``product``).
    seconds : float
        Wall time of the solver.
    mps : MPS or None
        The returned state (``None`` for ``exact``).
    details : dict
        Method-specific extras (net sizes, bound, stitch, sweeps, history).
    """

    method: str
    energy: float
    energy_dp: float | None
    exact: float | None
    net_size: int | None
    seconds: float
    mps: MPS | None = None
    details: dict = field(default_factory=dict)


def _exact(model: GroundStateModel, ham: ChainHamiltonian):
    """Exact diagonalisation: no progress reports, the result at once."""
    start = time.perf_counter()
    energy, _ = exact.ground_state(ham, seed=model.seed)
    yield from ()
    return GroundStateResult("exact", energy, None, energy, None, time.perf_counter() - start)


def _check_exact(model: GroundStateModel, ham: ChainHamiltonian) -> None:
    if not exact.ed_feasible(ham):
        raise ValueError(f"sites={model.sites} is too large for method='exact'")


def _dmrg(model: GroundStateModel, ham: ChainHamiltonian):
    solver = DMRG(ham, model.bond_dim, two_site=True, init=model.dmrg_start, seed=model.seed)
    out = yield from solver.iterate()
    details = {"sweeps": out.sweeps, "eigenvalue": out.eigenvalue, "history": out.history}
    return GroundStateResult("dmrg", out.energy, None, model.reference(ham), None, out.seconds, out.mps, details)


def _net_dp(model: GroundStateModel, ham: ChainHamiltonian, bond_dim: int):
    solver = EpsilonNetDP(
        ham,
        bond_dim,
        family=model.family,
        net_size=model.net_size,
        delta=model.delta,
        eta=model.eta,
        seed=model.seed,
        refine=model.refine,
    )
    out = yield from solver.iterate()
    details = {
        "net_sizes": out.net_sizes,
        "bound": out.bound,
        "max_stitch": out.max_stitch,
        "rounds": out.rounds,
        "history": [list(h) for h in out.history],
    }
    size = out.net_sizes.get("interior") or out.net_sizes.get("first")
    return GroundStateResult(
        model.method, out.energy, out.energy_dp, model.reference(ham), size, out.seconds, out.mps, details
    )


@dataclass(frozen=True)
class Solver:
    """One solver of :data:`SOLVERS`.

    ``run(model, ham)`` is a generator of progress reports returning the :class:`GroundStateResult`;
    ``check(model, ham)`` raises ValueError for settings the solver cannot run, before any work starts.
    """

    name: str
    summary: str
    run: Callable
    check: Callable = lambda model, ham: None


SOLVERS = {
    solver.name: solver
    for solver in (
        Solver(
            "dp", "epsilon-net DP within bond dimension D",
            lambda m, h: _net_dp(m, h, m.bond_dim), lambda m, h: m.check_nets(h, m.bond_dim),
        ),
        Solver("dmrg", "two-site DMRG", _dmrg),
        Solver("exact", "exact diagonalisation", _exact, _check_exact),
        Solver(
            "product", "the DP over product states (D = 1)",
            lambda m, h: _net_dp(m, h, 1), lambda m, h: m.check_nets(h, 1),
        ),
    )
}
"""The solvers by name; adding one is one entry here."""


class GroundStateModel(param.Parameterized):
    """Ground state of a 1D chain by epsilon-net DP, DMRG, product-state DP or exact diagonalisation."""

    model = param.Selector(default="tfim", objects=list(MODELS), doc="Chain Hamiltonian.")
    term_path = param.String(default="", doc="'.npy' file with the d^2 x d^2 two-site term (model='custom').")
    term = param.Array(
        default=None, allow_None=True, doc="The d^2 x d^2 two-site term itself (model='custom'; before term_path)."
    )
    field = param.Number(
        default=None,
        allow_None=True,
        bounds=(-100.0, 100.0),
        doc="Field: TFIM g (default 1), XXZ h (0), trap h (0.3).",
    )
    anisotropy = param.Number(default=1.0, bounds=(-100.0, 100.0), doc="XXZ Jz (Jxy = 1).")
    sites = param.Integer(default=10, bounds=(2, 200), doc="Number of sites n.")
    bond_dim = param.Integer(default=2, bounds=(1, 32), doc="Bond dimension D.")
    family = param.Selector(default="haar", objects=["haar", "lemma3"], doc="Isometry net family.")
    delta = param.Number(default=1.0, bounds=(1e-3, 2.0), doc="Lemma-3 net resolution.")
    net_size = param.Integer(default=NET_SIZE, bounds=(1, 200_000), doc="Haar net size.")
    eta = param.Number(default=0.05, bounds=(1e-4, 2.0), doc="Stitching tolerance (trace norm).")
    refine = param.Integer(
        default=REFINE, bounds=(0, 50), doc="Refinement rounds after the global DP (our addition; none for D = 1)."
    )
    seed = param.Integer(default=0, bounds=(0, 2**63 - 1), doc="Seed of the numpy Generator.")
    method = param.Selector(default="dp", objects=list(SOLVERS), doc="Solver (SOLVERS).")
    dmrg_start = param.Selector(
        default="random", objects=["random", "up"],
        doc="Initial state of DMRG: a random MPS or the all-up product state (gets stuck on the trap chain).",
    )

    def chain(self) -> ChainModel:
        """The :class:`ChainModel` selected by ``model``."""
        return MODELS[self.model]

    def field_value(self) -> float:
        """``field``, or the chain's default when it is None."""
        return self.chain().field if self.field is None else self.field

    def hamiltonian(self) -> ChainHamiltonian:
        """The chain selected by ``model``/``field``/``anisotropy``/``sites``."""
        return self.chain().build(self, self.field_value())

    def validate(self) -> ChainHamiltonian:
        """Check parameter combinations and return the Hamiltonian; raises ValueError naming the parameter."""
        ham = self.hamiltonian()
        SOLVERS[self.method].check(self, ham)
        return ham

    def check_nets(self, ham: ChainHamiltonian, bond_dim: int) -> None:
        """Raise ValueError when the nets of a DP within ``bond_dim`` cannot be built (too many grid matrices)."""
        d = ham.d
        nets.boundary_blocks(ham.n, d, bond_dim)
        if self.family == "lemma3":
            cols = d * bond_dim
            count = nets.lemma3_grid_count(bond_dim, cols, min(self.delta, math.sqrt(cols)), ham.is_real)
            if count > nets.GRID_LIMIT:
                raise ValueError(
                    f"delta={self.delta:g} needs {count} Lemma-3 grid matrices; choose a larger delta"
                )

    def reference(self, ham: ChainHamiltonian) -> float | None:
        """Exact ground energy when cheap: the chain's own (TFIM: free fermions), ED up to 2**16 states, else None."""
        chain = self.chain()
        if chain.exact is not None:
            return chain.exact(ham.n, self.field_value())
        if math.prod(ham.dims) <= REFERENCE_LIMIT:
            return exact.ground_energy(ham)
        return None

    def iterate(self) -> Generator[SiteReport | DMRGSweepReport, None, GroundStateResult]:
        """Yield the solver's progress reports (DP: per site, DMRG: per sweep) and return the
        :class:`GroundStateResult` (``result = yield from model.iterate()``, or :class:`explorer.progress.Progress`)."""
        ham = self.validate()
        return (yield from SOLVERS[self.method].run(self, ham))

    def solve(self) -> GroundStateResult:
        """Run to the end and return the :class:`GroundStateResult`."""
        return run_to_end(self.iterate())
