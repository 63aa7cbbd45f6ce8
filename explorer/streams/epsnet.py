"""The Epsilon-net page's stream: the references (exact, DMRG, best product state), then the DP per resolution."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.groundstate import exact
from explorer.groundstate.model import REFERENCE_LIMIT, GroundStateModel
from explorer.groundstate.mps import MPS
from explorer.progress import Progress

__all__ = ["Reference", "SiteStep", "NetResult", "NetFailure", "epsnet_updates", "exact_reference", "copy_model",
           "PRODUCT_NET", "SPECTRUM_VALUES"]

PRODUCT_NET = 1000
"""Unit vectors in the product-state (``D = 1``) DP that gives the best-product-state line."""

SPECTRUM_VALUES = 4
"""Largest Schmidt values shown per bond."""


@dataclass
class Reference:
    """A reference energy (and, where available, its state's Schmidt spectra)."""

    label: str
    energy: float | None
    spectra: list | None = None


@dataclass
class SiteStep:
    """One DP site report of the run at ``resolution``."""

    resolution: float
    report: object


@dataclass
class NetResult:
    """The outcome of the DP at one resolution."""

    resolution: float
    net_size: int
    energy: float
    energy_dp: float
    bound: float
    seconds: float
    spectra: list


@dataclass
class NetFailure:
    """A resolution at which the DP could not run (e.g. eta too small)."""

    resolution: float
    message: str


def copy_model(model: GroundStateModel, **changes) -> GroundStateModel:
    values = {k: v for k, v in model.param.values().items() if k != "name"}
    return GroundStateModel(**{**values, **changes})


def _spectra(state: MPS) -> list:
    return [np.asarray(s)[:SPECTRUM_VALUES] for s in state.schmidt_spectra()]


def exact_reference(model: GroundStateModel, ham) -> Reference:
    """Exact ground energy and, when ED is cheap, the exact ground state's Schmidt spectra."""
    energy = model.reference(ham)
    if int(np.prod(ham.dims)) > REFERENCE_LIMIT:
        return Reference("exact E0", energy)
    energy_ed, psi = exact.ground_state(ham, seed=model.seed)
    state = MPS.from_dense(psi, ham.dims, int(np.prod(ham.dims)))
    return Reference("exact E0", energy if energy is not None else energy_ed, _spectra(state))


def epsnet_updates(model: GroundStateModel, resolutions: list):
    """Generator run in the worker: references first, then site reports and a result per resolution."""
    ham = model.validate()
    yield exact_reference(model, ham)
    dmrg = copy_model(model, method="dmrg").solve()
    yield Reference("DMRG", dmrg.energy, _spectra(dmrg.mps))
    yield Reference("best product state", copy_model(model, method="product", net_size=PRODUCT_NET).solve().energy)
    key = "net_size" if model.family == "haar" else "delta"
    for resolution in resolutions:
        run = copy_model(model, method="dp", **{key: resolution})
        progress = Progress(run.iterate())
        try:
            for report in progress:
                yield SiteStep(resolution, report)
        except ValueError as exc:
            yield NetFailure(resolution, str(exc))
            continue
        out = progress.result
        yield NetResult(resolution, out.net_size, out.energy, out.energy_dp, out.details["bound"], out.seconds,
                        _spectra(out.mps))
