"""The Epsilon-net page's stream: the library's epsilon-net study (:mod:`explorer.groundstate.study`), i.e. the
references (exact, DMRG, best product state), then the DP's site steps and result per resolution."""

from __future__ import annotations

from explorer.groundstate.model import GroundStateModel
from explorer.groundstate.study import NetFailure, NetResult, Reference, SiteStep, net_study

__all__ = ["Reference", "SiteStep", "NetResult", "NetFailure", "epsnet_updates"]


def epsnet_updates(model: GroundStateModel, resolutions: list):
    """Generator run in the worker: :func:`explorer.groundstate.study.net_study` of ``model`` at ``resolutions``."""
    yield from net_study(model, resolutions)
