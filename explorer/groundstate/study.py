r"""The epsilon-net study: reference energies, then the DP at each net resolution (docs/algorithms.md B3-B6).

One implementation for the Epsilon-net page, ``explorer reproduce epsnet`` (one resolution per grid point) and
``benchmarks/groundstate_convergence.py``:

- :func:`references`: the exact ground energy (with the exact state's Schmidt spectra when ED is cheap), DMRG at the
  model's bond dimension and the best product state (the DP with ``D = 1``);
- :func:`dp_at`: the DP at one resolution (a Haar net size or a Lemma-3 delta), yielding its site reports and
  returning a :class:`NetResult`;
- :func:`net_study`: both, as one stream of :class:`Reference`, :class:`SiteStep`, :class:`NetResult` and
  :class:`NetFailure` (a resolution at which the DP cannot run, e.g. a too small ``eta``).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass

import numpy as np

from explorer.progress import Progress

from . import exact
from .dmrg import DMRG
from .model import REFERENCE_LIMIT, GroundStateModel
from .mps import MPS

__all__ = [
    "REFERENCES",
    "PRODUCT_NET",
    "SPECTRUM_VALUES",
    "Reference",
    "SiteStep",
    "NetResult",
    "NetFailure",
    "at_resolution",
    "references",
    "dp_at",
    "net_study",
]

REFERENCES = ("exact E0", "DMRG", "best product state")
"""Labels of the reference energies, in the order :func:`references` yields them."""

PRODUCT_NET = {"net_size": 1000}
"""Net of the product-state (``D = 1``) DP that gives the best-product-state reference: the model's net family with
1000 Haar unit vectors."""

SPECTRUM_VALUES = 4
"""Largest Schmidt values kept per bond."""


@dataclass(frozen=True)
class Reference:
    """A reference energy and, where available, its state's Schmidt spectra (one array per bond)."""

    label: str
    energy: float | None
    spectra: list | None = None


@dataclass(frozen=True)
class SiteStep:
    """One DP site report of the run at ``resolution``."""

    resolution: float
    report: object


@dataclass(frozen=True)
class NetResult:
    """The DP at one resolution: net size used, true energy ``E``, estimate ``Etilde``, the exact energy (or None),
    the reconstructed bound ``J eta (n-1)(n-2)/2``, seconds and the Schmidt spectra of the DP's state."""

    resolution: float
    net_size: int
    energy: float
    energy_dp: float
    bound: float
    seconds: float
    spectra: list
    exact: float | None = None


@dataclass(frozen=True)
class NetFailure:
    """A resolution at which the DP could not run, and why."""

    resolution: float
    message: str


def at_resolution(model: GroundStateModel, resolution: float | None = None, **changes) -> GroundStateModel:
    """A copy of ``model`` running the DP (``method="dp"``) at ``resolution``: the Haar net size or the Lemma-3
    delta, as ``family`` says (None keeps the model's); ``changes`` set other parameters of the copy."""
    values = {k: v for k, v in model.param.values().items() if k != "name"}
    values.update({"method": "dp", **changes})
    if resolution is not None:
        values["net_size" if values["family"] == "haar" else "delta"] = resolution
    return GroundStateModel(**values)


def schmidt_spectra(state: MPS, count: int = SPECTRUM_VALUES) -> list:
    """The ``count`` largest Schmidt values at every bond of ``state``."""
    return [np.asarray(s)[:count] for s in state.schmidt_spectra()]


def exact_reference(model: GroundStateModel, ham) -> Reference:
    """Exact ground energy and, when ED is cheap, the exact ground state's Schmidt spectra."""
    energy = model.reference(ham)
    if int(np.prod(ham.dims)) > REFERENCE_LIMIT:
        return Reference(REFERENCES[0], energy)
    energy_ed, psi = exact.ground_state(ham, seed=model.seed)
    state = MPS.from_dense(psi, ham.dims, int(np.prod(ham.dims)))
    return Reference(REFERENCES[0], energy if energy is not None else energy_ed, schmidt_spectra(state))


def references(model: GroundStateModel, product: dict | None = None) -> Iterator[Reference]:
    """The references of :data:`REFERENCES`: exact, DMRG at ``model.bond_dim`` (the lower energy of two-site and
    one-site DMRG from the model's start), the best product state.

    ``product`` holds the net settings of the product-state DP (default :data:`PRODUCT_NET`).
    """
    ham = model.validate()
    yield exact_reference(model, ham)
    dmrg = min(
        (
            DMRG(ham, model.bond_dim, two_site=two_site, init=model.dmrg_start, seed=model.seed).solve()
            for two_site in (True, False)
        ),
        key=lambda out: out.energy,
    )
    yield Reference(REFERENCES[1], dmrg.energy, schmidt_spectra(dmrg.mps))
    best = at_resolution(model, method="product", **(PRODUCT_NET if product is None else product)).solve()
    yield Reference(REFERENCES[2], best.energy)


def dp_at(model: GroundStateModel, resolution: float | None = None) -> Generator[SiteStep, None, NetResult]:
    """The DP of ``model`` at ``resolution`` (see :func:`at_resolution`): yields a :class:`SiteStep` per site
    report and returns the :class:`NetResult`. Raises ValueError when the DP cannot run at this resolution."""
    run = at_resolution(model, resolution)
    if resolution is None:
        resolution = run.net_size if run.family == "haar" else run.delta
    progress = Progress(run.iterate())
    for report in progress:
        yield SiteStep(resolution, report)
    out = progress.result
    spectra = schmidt_spectra(out.mps)
    bound = out.details["bound"]
    return NetResult(resolution, out.net_size, out.energy, out.energy_dp, bound, out.seconds, spectra, out.exact)


def net_study(model: GroundStateModel, resolutions: list, product: dict | None = None):
    """References first (:func:`references`), then for each resolution its site steps and its result or failure."""
    yield from references(model, product)
    for resolution in resolutions:
        try:
            result = yield from dp_at(model, resolution)
        except ValueError as exc:
            yield NetFailure(resolution, str(exc))
            continue
        yield result
