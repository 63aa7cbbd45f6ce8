"""``explorer reproduce``: quick sweeps on a LocalCluster, resume after a kill, rows equal direct calls."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from explorer.cli import main
from explorer.groundstate.model import GroundStateModel
from explorer.learning.experiment import LearningExperiment
from explorer.learning.presets import preset
from explorer.reproduce import STUDIES, ResultTable, make_sweep, point_key, run_sweep
from explorer.reproduce.studies import EpsilonNetSweep, FPUTSweep, LearningSweep

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def client():
    from dask.distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as active,
    ):
        yield active


@pytest.fixture(scope="module")
def quick(client, tmp_path_factory):
    """Every quick preset, run once on the shared LocalCluster."""
    out = tmp_path_factory.mktemp("quick")
    return {name: run_sweep(name, quick=True, out=out, client=client, progress=False) for name in STUDIES}


def _by(rows, **where):
    found = [r for r in rows if all(r[k] == v for k, v in where.items())]
    assert found, f"no row with {where}"
    return found


def test_quick_presets_write_complete_tables_and_figures(quick):
    for name, run in quick.items():
        points = make_sweep(name, quick=True).points()
        assert run.failed == []
        assert run.computed == len(points) and run.skipped == 0
        assert sorted(r["key"] for r in run.rows) == sorted(point_key(p) for p in points)
        assert run.table.name == f"{name}-quick.csv"
        html, png = run.figures
        assert html.suffix == ".html" and "bokeh" in html.read_text()
        assert png.read_bytes().startswith(b"\x89PNG")
        assert all(r["seconds"] > 0 and r["finished"] for r in run.rows)


def test_quick_fput_residuum_falls_with_samples(quick):
    rows = quick["fput"].rows
    for system in ("fput", "fput-disordered"):
        small = _by(rows, system=system, samples=100)[0]["residuum"]
        large = _by(rows, system=system, samples=400)[0]["residuum"]
        assert large < 1e-5 < small


def test_quick_dipoles_wider_window_and_noise_floor(quick):
    rows = quick["dipoles"].rows
    window3 = _by(rows, modes=8, samples=400, interaction_length=1)[0]["residuum"]
    window7 = _by(rows, modes=8, samples=400, interaction_length=3)[0]["residuum"]
    assert window7 < window3 / 3
    noisy = quick["dipoles-noise"].rows
    for modes in (6, 8):
        floors = [_by(noisy, modes=modes, samples=400, noise=s)[0]["residuum"] for s in (1e-1, 1e-2, 1e-3)]
        assert floors[0] > floors[1] > floors[2]


def test_quick_legendre_and_lennard_jones_improve_with_samples(quick):
    legendre = quick["dipoles-legendre"].rows
    assert _by(legendre, samples=600)[0]["residuum"] < _by(legendre, samples=300)[0]["residuum"]
    lj = quick["lennard-jones"].rows
    for rho in (2, 4):
        means = [np.mean([r["residuum"] for r in _by(lj, block_size=rho, samples=n)]) for n in (300, 600)]
        assert means[1] < means[0]


def test_quick_epsnet_is_variational_and_d2_beats_products(quick):
    rows = quick["epsnet"].rows
    assert all(r["energy"] >= r["exact"] - 1e-9 and r["error"] == r["energy"] - r["exact"] for r in rows)
    for sites in (6, 8):
        product = _by(rows, sites=sites, bond_dim=1, net_size=200)[0]["error"]
        assert _by(rows, sites=sites, bond_dim=2, net_size=200)[0]["error"] < product


def test_learning_row_equals_direct_learner_call(quick):
    row = _by(quick["fput"].rows, system="fput-disordered", samples=200)[0]
    experiment = LearningExperiment(
        system="fput-disordered", modes=row["modes"], samples=200, test_samples=row["test_samples"], seed=row["seed"]
    )
    settings = preset("fput-disordered") | dict(sweeps=10, init="random", seed=row["seed"])
    experiment.learner.param.update(**settings)
    reports = list(experiment.iterate())
    # Same computation; BLAS thread counts of the worker and this process may differ in the last bits.
    assert row["residuum"] == pytest.approx(reports[-1].test_residuum, rel=1e-9, abs=0)
    assert row["sweeps_done"] == len(reports)
    assert row["parameters"] == reports[-1].law.parameter_count()


def test_epsnet_row_equals_direct_model_call(quick):
    row = _by(quick["epsnet"].rows, sites=8, bond_dim=2, net_size=100)[0]
    result = GroundStateModel(model="tfim", sites=8, bond_dim=2, net_size=100, refine=0, seed=0).solve()
    assert row["energy"] == pytest.approx(result.energy, rel=1e-12, abs=0)
    assert row["energy_dp"] == pytest.approx(result.energy_dp, rel=1e-12, abs=0)


def test_rerun_skips_everything(quick, client):
    first = quick["epsnet"]
    again = run_sweep("epsnet", quick=True, out=first.table.parent, client=client, progress=False, figure=False)
    assert again.computed == 0 and again.skipped == len(first.rows)
    assert again.rows == first.rows


def _rows_on_disk(path: Path) -> int:
    return max(0, path.read_text().count("\n") - 1) if path.exists() else 0


def test_resume_after_killing_a_sweep(client, tmp_path):
    table = tmp_path / "fput-quick.csv"
    command = [sys.executable, "-m", "explorer.cli", "reproduce", "fput", "--quick", "--workers", "1",
               "--out", str(tmp_path), "--no-figure"]
    proc = subprocess.Popen(command, cwd=REPO, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    try:
        while _rows_on_disk(table) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    before = ResultTable(table, FPUTSweep.preset(quick=True).columns()).read()
    points = make_sweep("fput", quick=True).points()
    assert 2 <= len(before) < len(points), "the sweep must be killed midway"

    run = run_sweep("fput", quick=True, out=tmp_path, client=client, progress=False, figure=False)
    assert run.skipped == len(before) and run.computed == len(points) - len(before)
    assert len(run.rows) == len(points) == len({r["key"] for r in run.rows})
    after = {r["key"]: r for r in run.rows}
    for row in before:
        assert after[row["key"]] == row  # same residuum, same finish time: not recomputed


def test_partial_last_line_is_dropped_and_its_point_rerun(tmp_path):
    sweep = EpsilonNetSweep(sites=[4], bond_dims=[1], net_sizes=[10, 20], seeds=[0], tag="tiny")
    first, second = sweep.points()
    table = ResultTable(tmp_path / "tiny.csv", sweep.columns())
    table.append({"key": point_key(first), **first, "energy": -1.5, "seconds": 0.1, "finished": "t"})
    with table.path.open("a") as handle:
        handle.write(point_key(second) + ",epsnet,tfim,4")  # killed while writing
    assert table.keys() == {point_key(first)}
    assert table.path.read_text().endswith("\n")
    table.append({"key": point_key(second), **second, "energy": -1.6, "seconds": 0.1, "finished": "t"})
    assert [r["energy"] for r in table.read()] == [-1.5, -1.6]


def test_table_with_other_columns_is_refused(tmp_path):
    ResultTable(tmp_path / "t.csv", ["key", "a"]).append({"key": "k", "a": 1})
    with pytest.raises(ValueError, match="out: .*columns"):
        ResultTable(tmp_path / "t.csv", ["key", "b"]).read()


@pytest.mark.parametrize(
    ("params", "name"),
    [
        (dict(samples=[0]), "samples"),
        (dict(modes=[]), "modes"),
        (dict(noises=[-0.1]), "noises"),
        (dict(systems=["pendulum"]), "systems"),
        (dict(modes=[4], interaction_lengths=[4]), "interaction_lengths"),
        (dict(seeds=[-1]), "seeds"),
    ],
)
def test_bad_grid_raises_value_error_naming_parameter(params, name):
    with pytest.raises(ValueError, match=name):
        LearningSweep(**params).points()


def test_unknown_study_and_bad_workers_are_reported(capsys):
    with pytest.raises(ValueError, match="study"):
        make_sweep("figure-6")
    assert main(["reproduce", "epsnet", "--quick", "--workers", "0"]) == 2
    assert "--workers" in capsys.readouterr().err


def test_full_presets_are_the_seed_grids():
    fput = make_sweep("fput")
    assert {p["system"] for p in fput.points()} == {"fput", "fput-disordered"}
    assert {p["modes"] for p in fput.points()} == {50} and fput.sweeps == 10
    lj = make_sweep("lennard-jones")
    assert lj.block_sizes == [4, 6, 8] and len(lj.seeds) == 6 and lj.sweeps == 8
    legendre = make_sweep("dipoles-legendre").points()
    assert {(p["system"], p["preset"]) for p in legendre} == {("dipoles", "dipoles-legendre")}
    assert make_sweep("dipoles").interaction_lengths == [1, 3]


def test_cli_runs_a_quick_sweep_and_prints_json(tmp_path, capsys):
    assert main(["reproduce", "epsnet", "--quick", "--workers", "1", "--out", str(tmp_path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["computed"] == summary["points"] == len(make_sweep("epsnet", quick=True).points())
    assert [Path(p).suffix for p in summary["figures"]] == [".html", ".png"]
    assert _rows_on_disk(Path(summary["table"])) == summary["points"]


def test_series_aggregates_seeds_and_drops_undrawable_points():
    from explorer.reproduce.figures import series

    rows = [
        {"modes": 4, "samples": 100, "residuum": 1e-2},
        {"modes": 4, "samples": 100, "residuum": 3e-2},
        {"modes": 4, "samples": 200, "residuum": 0.0},
        {"modes": 8, "samples": 200, "residuum": None},
        {"modes": 8, "samples": 100, "residuum": 5e-3},
    ]
    out = series(rows, "samples", "residuum", ("modes",), "mean")
    assert list(out) == ["d = 4", "d = 8"]
    xs, ys, all_xs, all_ys = out["d = 4"]
    np.testing.assert_allclose(xs, [100.0])
    np.testing.assert_allclose(ys, [2e-2])
    np.testing.assert_allclose(all_ys, [1e-2, 3e-2])
