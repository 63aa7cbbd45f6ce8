"""The epsilon-net study (explorer.groundstate.study): references, then the DP per resolution."""

from __future__ import annotations

import pytest

from explorer.groundstate.model import GroundStateModel
from explorer.groundstate.study import (
    REFERENCES,
    NetFailure,
    NetResult,
    Reference,
    SiteStep,
    at_resolution,
    dp_at,
    net_study,
)
from explorer.progress import run_to_end
from explorer.reproduce.points import groundstate_point

TFIM6 = -7.2962298106  # docs/algorithms.md B6
BEST_D2_TFIM6 = -7.2943159


def test_study_gives_references_then_each_resolution():
    model = GroundStateModel(model="tfim", sites=6, bond_dim=2, family="haar", eta=0.05, refine=0)
    items = list(net_study(model, [30, 60]))
    refs = [item for item in items if isinstance(item, Reference)]
    assert [r.label for r in refs] == list(REFERENCES) and items[:3] == refs
    exact, dmrg, product = (r.energy for r in refs)
    assert exact == pytest.approx(TFIM6, abs=1e-9)
    assert dmrg == pytest.approx(BEST_D2_TFIM6, abs=1e-6)
    assert exact < dmrg < product
    results = [item for item in items if isinstance(item, NetResult)]
    assert [r.resolution for r in results] == [30, 60] and [r.net_size for r in results] == [30, 60]
    for result in results:
        assert exact - 1e-9 <= result.energy and result.exact == pytest.approx(TFIM6, abs=1e-9)
        assert abs(result.energy - result.energy_dp) <= result.bound
    steps = [item for item in items if isinstance(item, SiteStep)]
    assert [s.report.site for s in steps if s.resolution == 30] == list(range(1, 7))


def test_a_resolution_that_cannot_run_is_reported_and_the_study_goes_on():
    model = GroundStateModel(model="tfim", sites=6, bond_dim=2, family="lemma3", delta=1.4, refine=0)
    items = [item for item in net_study(model, [0.01]) if not isinstance(item, Reference)]
    assert len(items) == 1 and isinstance(items[0], NetFailure) and "delta=0.01" in items[0].message


def test_reproduce_point_is_the_study_at_one_net_size():
    point = {"model": "tfim", "sites": 6, "bond_dim": 2, "net_size": 40, "eta": 0.05, "refine": 0, "seed": 1}
    row = groundstate_point(point)
    model = GroundStateModel(**{k: v for k, v in point.items() if k != "net_size"}, family="haar")
    result = run_to_end(dp_at(model, 40))
    assert (row["energy"], row["energy_dp"], row["net_size_used"]) == (result.energy, result.energy_dp, 40)
    assert row["error"] == pytest.approx(result.energy - TFIM6, abs=1e-9)
    assert at_resolution(model, 0.5, family="lemma3").delta == 0.5
