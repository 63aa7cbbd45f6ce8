"""Measured data: derivative estimators (error orders), data files (npz, csv, bad input), domain warnings."""

import io

import numpy as np
import pytest

from explorer.data import (
    DataError,
    Differentiation,
    DomainWarning,
    PairData,
    TrajectoryData,
    data_domain,
    load_data,
    measure_trajectories,
    parse_data,
    save_pairs,
    save_trajectories,
    warn_outside,
)
from explorer.data.derivatives import stencil_weights
from explorer.systems import make_system


def _sine(t):
    x = np.stack([np.sin(t), np.cos(2 * t)], axis=1)
    d1 = np.stack([np.cos(t), -2 * np.sin(2 * t)], axis=1)
    d2 = np.stack([-np.sin(t), -4 * np.cos(2 * t)], axis=1)
    return x, {1: d1, 2: d2}


def _error(method, t, derivative):
    x, exact = _sine(t)
    idx, _, values = Differentiation(method=method).estimate(t, x, derivative)
    return np.abs(values - exact[derivative][idx]).max()


@pytest.mark.parametrize("derivative", [1, 2])
@pytest.mark.parametrize(("method", "order"), [("fd2", 2), ("fd4", 4), ("fd6", 6), ("spline", None)])
def test_estimator_error_order_on_uniform_grid(method, order, derivative):
    coarse = _error(method, np.linspace(0, 3, 61), derivative)
    fine = _error(method, np.linspace(0, 3, 121), derivative)
    observed = np.log2(coarse / fine)
    expected = order if order is not None else 6 - derivative  # quintic spline: O(h^(6-m))
    assert observed == pytest.approx(expected, abs=0.35)


def test_stencil_weights_are_the_textbook_ones():
    np.testing.assert_allclose(stencil_weights([-1, 0, 1], 2), [1, -2, 1], atol=1e-13)
    np.testing.assert_allclose(stencil_weights([-2, -1, 0, 1, 2], 1), [1 / 12, -2 / 3, 0, 2 / 3, -1 / 12], atol=1e-13)


@pytest.mark.parametrize(("derivative", "expected"), [(1, 6), (2, 5)])
def test_nonuniform_grid_keeps_its_documented_order(derivative, expected):
    def grid(n):
        base = np.linspace(0, 3, n)
        return base + 0.2 * (base[1] - base[0]) * np.sin(7 * base)  # smooth jitter: steps vary by ~50 %

    observed = np.log2(_error("fd6", grid(61), derivative) / _error("fd6", grid(121), derivative))
    assert observed > expected - 0.4


def test_savgol_refuses_nonuniform_grid_and_beats_fd_on_noise():
    t = np.linspace(0, 10, 1001)
    x, exact = _sine(t)
    noisy = x + 1e-3 * np.random.default_rng(0).standard_normal(x.shape)
    with pytest.raises(ValueError, match="savgol needs a uniform time grid"):
        Differentiation(method="savgol").estimate(t**1.1, x, 2)
    errors = {}
    for method in ("fd6", "savgol"):
        diff = Differentiation(method=method, window=61, polyorder=4)
        idx, _, values = diff.estimate(t, noisy, 2)
        errors[method] = np.abs(values - exact[2][idx]).max()
    assert errors["savgol"] < 0.2 and 100 * errors["savgol"] < errors["fd6"]


def test_savgol_settings_are_checked():
    with pytest.raises(ValueError, match="window must be odd"):
        Differentiation(method="savgol", window=20).check(2)
    with pytest.raises(ValueError, match="polyorder must be >= 2"):
        Differentiation(method="savgol", polyorder=1).check(2)


def test_initial_velocity_from_positions():
    t = np.linspace(0, 1, 51)
    x, exact = _sine(t)
    np.testing.assert_allclose(Differentiation().initial_velocity(t, x), exact[1][0], atol=1e-8)


def test_fput_second_derivative_from_positions_matches_the_law():
    system = make_system("fput", modes=8)
    data = measure_trajectories(system, 3, 0.05, 10.0, seed=1)
    positions = TrajectoryData.from_arrays(data.t, data.x)
    residua = {}
    for method in ("fd2", "fd4", "fd6"):
        X, Y = positions.pairs(2, method)
        residua[method] = np.linalg.norm(Y - system.law(X)) / np.linalg.norm(system.law(X))
    assert residua["fd6"] < 1e-5 and residua["fd6"] < residua["fd4"] / 10 < residua["fd2"] / 100
    X, Y = data.pairs(2)  # measured xddot is used when present and no estimator is asked for
    np.testing.assert_array_equal(Y, data.xddot.reshape(-1, 8))


def test_npz_and_csv_files_hold_the_same_trajectories(tmp_path):
    rng = np.random.default_rng(0)
    t = np.linspace(0, 1, 9)
    x, v = rng.standard_normal((2, 9, 3)), rng.standard_normal((2, 9, 3))
    save_trajectories(tmp_path / "a.npz", t, x, v=v)
    header = "trajectory,t," + ",".join(f"x{i + 1}" for i in range(3)) + "," + ",".join(f"v{i + 1}" for i in range(3))
    rows = [[m, t[k], *x[m, k], *v[m, k]] for m in range(2) for k in range(9)]
    (tmp_path / "a.csv").write_text(header + "\n" + "\n".join(",".join(repr(float(c)) for c in r) for r in rows))
    from_npz, from_csv = load_data(tmp_path / "a.npz"), load_data(tmp_path / "a.csv")
    for key in ("t", "x", "v"):
        np.testing.assert_array_equal(getattr(from_npz, key), getattr(from_csv, key))
    assert from_npz.xdot is None and len(from_npz.sha256) == 64


def test_pair_files(tmp_path):
    x = np.arange(12.0).reshape(6, 2)
    save_pairs(tmp_path / "p.npz", x, 2 * x)
    data = load_data(tmp_path / "p.npz")
    assert isinstance(data, PairData)
    np.testing.assert_array_equal(data.pairs(1)[1], 2 * x)
    (tmp_path / "p.csv").write_text("x1,x2,y1,y2\n" + "\n".join(f"{a},{b},{2 * a},{2 * b}" for a, b in x))
    np.testing.assert_array_equal(load_data(tmp_path / "p.csv").y, 2 * x)
    train, test = data.split(0.5, seed=0)
    assert sorted(np.concatenate([train.x[:, 0], test.x[:, 0]])) == list(x[:, 0])


def _npz_bytes(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


T = np.linspace(0, 1, 10)
X = np.zeros((2, 10, 3))


@pytest.mark.parametrize(("arrays", "message"), [
    ({"t": T, "x": np.zeros(10)}, r"data.npz: key 'x' must have shape \(M, T, d\) or \(T, d\), got \(10,\)"),
    ({"t": T[:9], "x": X}, r"data.npz: key 't' must have shape \(10,\) or \(2, 10\) to match 'x' \(2, 10, 3\), "
                           r"got \(9,\)"),
    ({"t": T, "x": X, "v": X[:, :, :2]}, r"data.npz: key 'v' must have the shape of 'x', \(2, 10, 3\)"),
    ({"t": T, "x": np.where(np.arange(3) == 1, np.nan, X)}, r"data.npz: key 'x' contains NaN or infinite values "
                                                            r"\(first at index \(0, 0, 1\)\)"),
    ({"t": np.r_[T[:5], T[4:9]], "x": X}, r"data.npz: key 't' must hold at least 2 strictly increasing times"),
    ({"t": T, "x": X, "speed": X}, r"data.npz: unknown keys \['speed'\]"),
    ({"x": X[0]}, r"data.npz: expected keys t and x \(trajectories\) or x and y \(pairs\), found \['x'\]"),
    ({"x": X[0], "y": X[0, :, :2]}, r"data.npz: key 'y' must have the shape of 'x', \(10, 3\), got \(10, 2\)"),
    ({"t": T, "x": np.array([object()] * 10, dtype=object)}, r"data.npz: key 'x' holds Python objects"),
])
def test_bad_files_name_file_key_and_shape(arrays, message):
    with pytest.raises(DataError, match=message):
        parse_data(_npz_bytes(**arrays), "data.npz")


def test_unreadable_and_unsupported_files():
    with pytest.raises(DataError, match="data.npz: not a readable .npz file"):
        parse_data(b"not a zip archive", "data.npz")
    with pytest.raises(DataError, match="expected a .npz or .csv file"):
        parse_data(b"", "data.txt")
    with pytest.raises(DataError, match="data.csv: the header names 3 columns, the rows hold 2"):
        parse_data(b"t,x1,x2\n0,1\n", "data.csv")
    with pytest.raises(DataError, match="data.csv: rows must hold 3 numbers separated by commas"):
        parse_data(b"t,x1,x2\n0,1,one\n", "data.csv")


def test_too_few_points_for_the_stencil():
    data = TrajectoryData.from_arrays(np.arange(5.0), np.zeros((5, 3)), name="short.npz")
    with pytest.raises(ValueError, match=r"short.npz: key 'x' must have at least 7 time points per trajectory for "
                                         r"fd6 \(shape \(M, >=7, d\)\), got \(1, 5, 3\)"):
        data.pairs(2, "fd6")
    assert data.pairs(2, "fd2")[0].shape == (3, 3)


def test_domain_from_data_and_warnings():
    states = np.array([[-1.0, 0.5], [0.0, 1.0]])
    assert data_domain(states) == pytest.approx((-1.2, 1.2))
    with pytest.warns(DomainWarning, match=r"test: states lie up to 0.5 outside the law's domain \[-1, 0.5\] "
                                           r"\(25% of the values\)"):
        assert warn_outside(states, (-1.0, 0.5), "test") == 0.5


def test_validation_holds_out_whole_trajectories():
    data = TrajectoryData.from_arrays(0.1, np.arange(5 * 20 * 2.0).reshape(5, 20, 2))
    train, held = data.split(0.2)
    assert (train.trajectories, held.trajectories) == (4, 1)
    np.testing.assert_array_equal(held.x[0], data.x[4])
    np.testing.assert_allclose(data.t[0, :3], [0.0, 0.1, 0.2])
    with pytest.raises(ValueError, match="holds out all 1 trajectories"):
        data.subset([0]).split(0.5)


def test_learner_fit_x_t_is_pysindy_like():
    system = make_system("fput", modes=6)
    data = measure_trajectories(system, 4, 0.05, 10.0, seed=4)
    from explorer.learning import Learner

    law = Learner(sweeps=2).fit(data.x[:3], 0.05, order=2)  # positions and a time step, as pysindy takes them
    assert law.order == 2 and law.provenance["training"]["derivative"]["method"] == "fd6"
    X, Y = data.subset([3]).pairs(2)  # the exact xddot along an unseen trajectory
    assert law.residuum(X, Y) < 1e-5
    expected = data_domain(TrajectoryData.from_arrays(data.t[:3], data.x[:3]).pairs(2, "fd6")[0])
    np.testing.assert_allclose(law.dictionary.domain, expected)
    same = Learner(sweeps=2).fit_trajectories(data.t[:3], data.x[:3], order=2, derivative="fd6")
    np.testing.assert_array_equal(same.predict(X), law.predict(X))
