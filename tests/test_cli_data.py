"""``explorer learn --data``, ``explorer simulate`` and ``explorer equations``: the example of issue 22 and bad input.

The example: FPUT d = 20, 10 trajectories, dt = 0.05, t in [0, 25], starts x ~ U(-0.6, 0.6), v ~ U(-0.3, 0.3),
positions only; test pairs on U[-1, 1]^20; Legendre degree 3 on [-1.5, 1.5], order 2 -> test residuum <= 1e-5, and
the saved law simulated from a held-out trajectory's start stays within 1e-3 of it up to t = 10.
"""

import json

import numpy as np
import pytest

from explorer.cli import main
from explorer.data import measure_trajectories, save_pairs, save_trajectories
from explorer.learning import SelfSimilarLaw
from explorer.systems import make_system


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    folder = tmp_path_factory.mktemp("example")
    system = make_system("fput", modes=20)
    data = measure_trajectories(system, 11, 0.05, 25.0, seed=2)
    save_trajectories(folder / "train.npz", data.t[0], data.x[:10])
    save_trajectories(folder / "heldout.npz", data.t[0], data.x[10], v=data.v[10])
    save_trajectories(folder / "positions.npz", data.t[0], data.x[10:])
    X, Y = system.sample(2000, seed=5)
    save_pairs(folder / "test.npz", X, Y)
    return folder


def _json(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def learned(example):
    law = example / "law.npz"
    code = main(["learn", "--data", str(example / "train.npz"), "--test-data", str(example / "test.npz"),
                 "--order", "2", "--degree", "3", "--domain", "-1.5", "1.5", "--save", str(law), "--json"])
    assert code == 0
    return law


def test_issue_example_learns_and_simulates(example, learned, capsys):
    code = main(["learn", "--data", str(example / "train.npz"), "--test-data", str(example / "test.npz"),
                 "--order", "2", "--degree", "3", "--domain", "-1.5", "1.5", "--sweeps", "1", "--json"])
    assert code == 0
    out = _json(capsys)
    assert out["residuum"] <= 1e-5 and out["samples"] == 10 * (501 - 6) and out["test_samples"] == 2000
    assert out["derivative"]["method"] == "fd6" and out["domain"] == [-1.5, 1.5]
    law = SelfSimilarLaw.load(learned)
    assert law.order == 2 and law.provenance["source"]["file"].endswith("train.npz")
    assert law.provenance["training"]["learner"]["degree"] == 3
    X, Y = make_system("fput", modes=20).sample(2000, seed=9)
    assert law.residuum(X, Y) <= 1e-5

    sim = example / "sim.npz"
    assert main(["simulate", str(learned), "--data", str(example / "heldout.npz"), "--until", "10",
                 "--out", str(sim), "--json"]) == 0
    out = _json(capsys)
    assert out["deviation"] <= 1e-3 and out["exceeds_at"] == [None] and out["velocity"] == "file"
    with np.load(sim, allow_pickle=False) as simulated:
        assert simulated["x"].shape == (1, 201, 20) and simulated["t"][0, -1] == pytest.approx(10.0)
        assert simulated["deviations"][0] == pytest.approx(out["deviation"])


def test_simulate_from_positions_only_estimates_the_start_velocity(example, learned, capsys):
    assert main(["simulate", str(learned), "--data", str(example / "positions.npz"), "--until", "5", "--json"]) == 0
    out = _json(capsys)
    assert out["velocity"] == "estimated" and out["deviation"] <= 1e-3


def test_equations_of_a_saved_law(learned, capsys):
    assert main(["equations", str(learned), "--threshold", "1e-3"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 20 and lines[1].startswith("x2'' = 0.99999")
    assert main(["equations", str(learned), "--threshold", "1e-3", "--json"]) == 0
    out = _json(capsys)
    terms = {(tuple(t["modes"]), tuple(t["indices"])): t["coefficient"] for t in out["equations"][1]["terms"]}
    expected = {((0,), (1,)): 1.0, ((1,), (1,)): -2.0, ((2,), (1,)): 1.0, ((1,), (3,)): -1.4, ((0, 1), (2, 1)): -2.1}
    assert out["order"] == 2 and len(terms) == 10
    for key, value in expected.items():
        assert terms[key] == pytest.approx(value, abs=1e-4)


def test_validation_holds_out_trajectories_without_test_data(example, capsys):
    assert main(["learn", "--data", str(example / "train.npz"), "--order", "2", "--sweeps", "1", "--json"]) == 0
    out = _json(capsys)
    assert out["samples"] == 8 * 495 and out["test_samples"] == 2 * 495 and out["residuum"] < 1e-5
    low, high = out["domain"]
    assert -1.8 < low < -1.0 and 1.0 < high < 1.8


def _bad_input(capsys, argv, tmp_path, message):
    code = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0], err
    assert not (tmp_path / "out.npz").exists()


def test_bad_input_one_line_exit_2_nothing_written(example, learned, tmp_path, capsys):
    np.savez(tmp_path / "bad.npz", t=np.linspace(0, 1, 10), x=np.zeros((10,)))
    np.savez(tmp_path / "short.npz", t=np.linspace(0, 1, 5), x=np.ones((5, 20)))
    out = str(tmp_path / "out.npz")
    _bad_input(capsys, ["learn", "--data", str(tmp_path / "bad.npz"), "--order", "2", "--save", out], tmp_path,
               "bad.npz: key 'x' must have shape (M, T, d) or (T, d), got (10,)")
    _bad_input(capsys, ["learn", "--data", str(tmp_path / "short.npz"), "--test-data", str(example / "test.npz"),
                        "--order", "2", "--save", out], tmp_path,
               "short.npz: key 'x' must have at least 7 time points per trajectory for fd6 (shape (M, >=7, d)), "
               "got (1, 5, 20)")
    _bad_input(capsys, ["learn", "--data", str(example / "train.npz"), "--save", out], tmp_path,
               "--order is required with --data")
    _bad_input(capsys, ["learn", "--data", str(example / "train.npz"), "--order", "2", "--modes", "10",
                        "--system", "dipoles", "--save", out], tmp_path, "--system, --modes do not apply with --data")
    _bad_input(capsys, ["simulate", str(learned), "--data", str(tmp_path / "short.npz"), "--out", out], tmp_path,
               "short.npz: key 'x' must have at least 7 time points")
    np.savez(tmp_path / "bad.npz", t=np.linspace(0, 1, 50), x=np.zeros((50, 8)))
    _bad_input(capsys, ["simulate", str(learned), "--data", str(tmp_path / "bad.npz"), "--out", out], tmp_path,
               "bad.npz: key 'x' must have shape (M, T, 20) for a law of d = 20, got (1, 50, 8)")
    _bad_input(capsys, ["simulate", str(example / "test.npz"), "--data", str(example / "heldout.npz")], tmp_path,
               "test.npz: no 'metadata' entry: not a tn-explorer law file")
