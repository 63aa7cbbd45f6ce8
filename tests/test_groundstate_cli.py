"""`explorer groundstate` command line and the GroundStateModel front end."""

from __future__ import annotations

import contextlib
import json

import numpy as np
import pytest

from explorer.cli import main
from explorer.groundstate import hamiltonians
from explorer.groundstate.model import GroundStateModel
from explorer.progress import Progress

try:
    from threadpoolctl import threadpool_limits
except ImportError:
    threadpool_limits = None

REQUIRED = {"energy", "energy_dp", "exact", "net_size", "seconds"}


@pytest.fixture(autouse=True)
def _single_blas_thread():
    """Small dense LAPACK calls crawl when BLAS threads oversubscribe the two shared cores."""
    with threadpool_limits(1) if threadpool_limits else contextlib.nullcontext():
        yield


def _run_json(capsys, *argv):
    assert main(["groundstate", *argv, "--json"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    summary = json.loads(lines[-1])
    assert REQUIRED <= set(summary)
    return lines, summary


def test_cli_dp_json_summary(capsys):
    lines, summary = _run_json(
        capsys,
        "--model",
        "tfim",
        "--sites",
        "6",
        "--bond-dim",
        "2",
        "--net-size",
        "150",
        "--refine",
        "2",
        "--seed",
        "1",
    )
    assert len(lines) == 1 + 3 * 6
    assert summary["exact"] == pytest.approx(-7.2962298106, abs=1e-8)
    assert summary["energy"] >= summary["exact"] - 1e-9
    assert isinstance(summary["energy_dp"], float) and summary["net_size"] == 150


def test_cli_other_methods(capsys):
    _, dmrg = _run_json(
        capsys, "--model", "heisenberg", "--sites", "6", "--bond-dim", "8", "--method", "dmrg"
    )
    assert dmrg["energy"] == pytest.approx(-2.4935771339, abs=1e-6) and dmrg["energy_dp"] is None
    _, ed = _run_json(capsys, "--model", "xxz", "--sites", "6", "--bond-dim", "2", "--method", "exact")
    assert ed["energy"] == pytest.approx(ed["exact"]) and ed["net_size"] is None
    _, product = _run_json(
        capsys, "--model", "trap", "--sites", "6", "--bond-dim", "2", "--method", "product", "--delta", "0.2"
    )
    assert product["energy"] == pytest.approx(0.0, abs=1e-12)


def test_cli_custom_term(capsys, tmp_path):
    path = tmp_path / "ising.npy"
    np.save(path, hamiltonians.tfim(2, 0.0).terms[0])
    _, summary = _run_json(capsys, "--model", str(path), "--sites", "5", "--method", "exact")
    assert summary["energy"] == pytest.approx(-4.0)


@pytest.mark.parametrize(
    "argv",
    [
        ["--sites", "1"],
        ["--model", "nope"],
        ["--model", "missing.npy"],
        ["--bond-dim", "2", "--delta", "0.05"],
        ["--eta", "nan"],
        ["--method", "exact", "--sites", "30"],
        ["--eta", "-1"],
    ],
)
def test_cli_bad_input_exits_2(capsys, argv):
    assert main(["groundstate", *argv]) == 2
    assert "error" in capsys.readouterr().err


def test_model_validates_before_work():
    with pytest.raises(ValueError, match="sites"):
        GroundStateModel(sites=1)
    with pytest.raises(ValueError, match="sites"):
        GroundStateModel(sites=40, method="exact").validate()
    with pytest.raises(ValueError, match="term_path"):
        GroundStateModel(model="custom").validate()


def test_model_iterates_and_solves():
    model = GroundStateModel(model="tfim", sites=8, method="product", family="lemma3", delta=0.05)
    progress = Progress(model.iterate())
    reports = list(progress)
    assert [r.site for r in reports] == list(range(1, 9))
    assert progress.result.energy == pytest.approx(-9.40248, abs=1e-3)
    assert progress.result.details["net_sizes"]["interior"] == progress.result.net_size
    assert model.solve().energy == progress.result.energy
    assert not hasattr(model, "result")


def test_cli_trap_chain_dmrg_from_all_up_stays_stuck_while_dp_escapes(capsys):
    _, stuck = _run_json(capsys, "--model", "trap", "--sites", "10", "--bond-dim", "2",
                      "--method", "dmrg", "--dmrg-start", "up")
    assert stuck["energy"] == pytest.approx(3.0, abs=1e-10) and stuck["exact"] == pytest.approx(0.0, abs=1e-10)
    _, found = _run_json(capsys, "--model", "trap", "--sites", "10", "--bond-dim", "2",
                      "--net-size", "300", "--refine", "2")
    assert found["exact"] - 1e-9 <= found["energy"] <= 0.05
