"""Dynamical systems: laws, energies, sampling, trajectories, finite-difference data and input validation."""

import json
import math
import sys

import numpy as np
import pytest

from explorer.systems import (
    FPUT,
    SYSTEMS,
    CustomSystem,
    Dipoles,
    LennardJones,
    load_callable,
    make_system,
)

SYSTEMS_WITH_ENERGY = [
    FPUT(modes=5),
    FPUT(modes=5, disordered=True, seed=3),
    Dipoles(modes=5),
    LennardJones(modes=5),
]


def minus_gradient(energy, X, h=1e-6):
    """Central finite-difference approximation of ``-grad energy`` at every row of ``X``."""
    grad = np.empty_like(X)
    for k in range(X.shape[1]):
        step = np.zeros(X.shape[1])
        step[k] = h
        grad[:, k] = (energy(X + step) - energy(X - step)) / (2 * h)
    return -grad


# ---------------------------------------------------------------- laws against hand-computed values (d = 3)


def test_fput_law_by_hand():
    # springs e = (0.1, -0.3, 0.5, -0.3); tensions e + 0.7 e^3 = (0.1007, -0.3189, 0.5875, -0.3189)
    f = FPUT(modes=3).law([[0.1, -0.2, 0.3]])
    np.testing.assert_allclose(f, [[-0.4196, 0.9064, -0.9064]], rtol=1e-12)


def test_fput_constants_and_disorder():
    ordered = FPUT(modes=3, kappa=2.0, beta=0.5)
    np.testing.assert_array_equal(ordered.kappas, [2.0] * 4)
    np.testing.assert_array_equal(ordered.betas, [0.5] * 4)
    chain = FPUT(modes=6, disordered=True, seed=11)
    assert chain.kappas.shape == chain.betas.shape == (7,)
    assert np.all((chain.kappas >= 0) & (chain.kappas <= 2))
    assert np.all((chain.betas >= 0) & (chain.betas <= 1.4))
    assert np.ptp(chain.kappas) > 0.1
    np.testing.assert_array_equal(chain.kappas, FPUT(modes=6, disordered=True, seed=11).kappas)
    assert not np.allclose(chain.kappas, FPUT(modes=6, disordered=True, seed=12).kappas)


def test_disordered_fput_law_matches_explicit_sum():
    chain = FPUT(modes=3, disordered=True, seed=5)
    x = np.array([0.4, -0.7, 0.2])
    k, b = chain.kappas, chain.betas
    padded = [0.0, *x, 0.0]
    expected = [k[j + 1] * (padded[j + 2] - padded[j + 1]) - k[j] * (padded[j + 1] - padded[j])
                + b[j + 1] * (padded[j + 2] - padded[j + 1]) ** 3 - b[j] * (padded[j + 1] - padded[j]) ** 3
                for j in range(3)]
    np.testing.assert_allclose(chain.law(x[None]), [expected], rtol=1e-12)


def test_dipole_law_by_hand():
    # X = (0, 1, 2): couplings 1 (neighbours) and 1/8 (ends)
    x = [0.3, -0.5, 1.1]
    s = math.sin
    expected = [s(0.8) + s(-0.8) / 8, s(-0.8) + s(-1.6), s(0.8) / 8 + s(1.6)]
    np.testing.assert_allclose(Dipoles(modes=3).law([x]), [expected], rtol=1e-12)
    scaled = Dipoles(modes=3, inertia=2.0, moment=3.0)  # I M^2 = 18
    np.testing.assert_allclose(scaled.law([x]), [np.multiply(18, expected)], rtol=1e-12)


def test_lennard_jones_law_and_target_by_hand():
    # pair(r) = 2 r^-5 - r^-3: pair(1) = 1, pair(2) = -1/16, pair(3) = -7/243
    X = np.array([[0.0, 1.0, 3.0]])
    system = LennardJones(modes=3)
    f = 6 * np.array([-1 + 7 / 243, 1 + 1 / 16, -7 / 243 - 1 / 16])
    np.testing.assert_allclose(system.law(X), [f], rtol=1e-12)
    # g_1 = (x1-x2)^5 f_1, g_2 = (x2-x1)^5 (x2-x3)^5 f_2, g_3 = (x3-x2)^5 f_3
    np.testing.assert_allclose(system.target(X), [[-f[0], -32 * f[1], 32 * f[2]]], rtol=1e-12)
    np.testing.assert_allclose(system.law_from_target(X, system.target(X)), system.law(X), rtol=1e-12)


@pytest.mark.parametrize("system", [FPUT(modes=4), Dipoles(modes=4)], ids=["fput", "dipoles"])
def test_target_equals_law_except_lennard_jones(system):
    X = system.sample_states(5, rng=0)
    np.testing.assert_array_equal(system.target(X), system.law(X))
    np.testing.assert_array_equal(system.law_from_target(X, system.law(X)), system.law(X))


def test_internal_forces_sum_to_zero():
    for system in (Dipoles(modes=6), LennardJones(modes=6)):
        assert np.max(np.abs(system.law(system.sample_states(20, rng=1)).sum(axis=1))) < 1e-10


# ---------------------------------------------------------------- forces are minus the gradient of the energy


@pytest.mark.parametrize("system", SYSTEMS_WITH_ENERGY, ids=["fput", "fput-disordered", "dipoles", "lj"])
def test_force_is_minus_gradient_of_potential(system):
    X = system.sample_states(6, rng=2)
    np.testing.assert_allclose(system.law(X), minus_gradient(system.energy, X), rtol=1e-6, atol=1e-7)


def test_dipole_energy_sign_and_inertia_factor():
    x = np.array([0.0, 0.0, 0.0])
    assert Dipoles(modes=3).energy(x) == pytest.approx(1 + 1 + 1 / 8)
    system = Dipoles(modes=4, inertia=2.5)
    X = system.sample_states(4, rng=3)
    np.testing.assert_allclose(system.law(X), 2.5 * minus_gradient(system.energy, X), rtol=1e-6, atol=1e-7)


def test_lennard_jones_pair_potential_minimum():
    system = LennardJones(modes=2)
    r = np.linspace(0.9, 1.8, 901)
    V = system.energy(np.column_stack([np.zeros_like(r), r]))
    assert r[np.argmin(V)] == pytest.approx(2 ** 0.5, abs=1e-3)
    assert V.min() == pytest.approx(-6 / 2 / 4)


def test_energy_shapes_and_kinetic_term():
    system = FPUT(modes=3)
    x, v = np.array([0.1, -0.2, 0.3]), np.array([1.0, 2.0, -1.0])
    assert isinstance(system.energy(x), float)
    assert system.energy(x, v) == pytest.approx(system.energy(x) + 3.0)
    assert system.energy(np.stack([x, x, x])).shape == (3,)
    assert LennardJones(modes=3, m=2.0).energy(x + [0, 1, 2], v) == pytest.approx(
        LennardJones(modes=3).energy(x + [0, 1, 2]) + 1.5)


# ---------------------------------------------------------------- trajectories


def test_fput_energy_is_conserved():
    system = FPUT(modes=8)
    rng = np.random.default_rng(4)
    traj = system.trajectory(rng.uniform(-1, 1, 8), 10.0, 101, v0=rng.uniform(-0.5, 0.5, 8))
    E = system.energy(traj.X, traj.V)
    assert np.max(np.abs(E - E[0])) / abs(E[0]) < 1e-8
    assert np.ptp(system.energy(traj.X)) > 1e-2


def test_dipole_energy_is_conserved_as_second_order_system():
    system = Dipoles(modes=6)
    rng = np.random.default_rng(5)
    traj = system.trajectory(system.sample_states(1, rng)[0], 10.0, 101, v0=rng.uniform(-1, 1, 6), order=2)
    E = system.energy(traj.X, traj.V)
    assert traj.order == 2
    assert np.max(np.abs(E - E[0])) / abs(E[0]) < 1e-8


def test_trajectory_fields():
    system = Dipoles(modes=3)
    traj = system.trajectory([0.1, 0.2, -0.4], 1.0, 11)
    assert traj.t.shape == (11,) and traj.X.shape == (11, 3) and traj.V is None
    np.testing.assert_allclose(traj.t[[0, -1]], [0.0, 1.0])
    np.testing.assert_allclose(traj.derivatives, system.law(traj.X))
    np.testing.assert_allclose(traj.X[0], [0.1, 0.2, -0.4])
    with pytest.raises(ValueError, match="v0"):
        system.trajectory([0.1, 0.2, -0.4], 1.0, 11, v0=[0, 0, 0])


def test_harmonic_custom_law_follows_cosine():
    system = CustomSystem(law=lambda X: -X, modes=2, order=2)
    traj = system.trajectory([1.0, -0.5], 3.0, 31)
    np.testing.assert_allclose(traj.X, np.outer(np.cos(traj.t), [1.0, -0.5]), atol=1e-10)
    np.testing.assert_allclose(traj.V, -np.outer(np.sin(traj.t), [1.0, -0.5]), atol=1e-10)


def _finite_difference_errors(system, x0, t_final, steps, **kwargs):
    errors = []
    for n in steps:
        X, Y = system.trajectory_data(x0, t_final, n, **kwargs)
        assert X.shape == (len(np.atleast_2d(x0)) * (n - 2), system.modes)
        errors.append(np.max(np.abs(Y - system.target(X))) / np.max(np.abs(system.target(X))))
    return np.array(errors)


@pytest.mark.parametrize(("system", "kwargs"), [(FPUT(modes=4), {}), (Dipoles(modes=4), {}),
                                                (Dipoles(modes=4), {"order": 2})],
                         ids=["fput-second-difference", "dipoles-central", "dipoles-second-difference"])
def test_finite_difference_data_error_is_second_order(system, kwargs):
    x0 = system.sample_states(2, rng=6)
    errors = _finite_difference_errors(system, x0, 2.0, [21, 41, 81], **kwargs)
    ratios = errors[:-1] / errors[1:]
    assert np.all((ratios > 3.5) & (ratios < 4.5)), ratios
    assert errors[-1] < 1e-2


def test_lennard_jones_finite_difference_data_approximate_target():
    system = LennardJones(modes=4)
    errors = _finite_difference_errors(system, system.sample_states(1, rng=7)[0], 0.2, [21, 41])
    assert errors[1] < errors[0] / 3.5 and errors[1] < 1e-3


# ---------------------------------------------------------------- sampling


def test_sampling_is_seeded_and_in_domain():
    for name in SYSTEMS:
        system = make_system(name, modes=5)
        X, Y = system.sample(200, seed=8)
        X2, Y2 = system.sample(200, seed=8)
        np.testing.assert_array_equal(X, X2)
        np.testing.assert_array_equal(Y, Y2)
        assert X.dtype == Y.dtype == np.float64
        assert not np.allclose(X, system.sample(200, seed=9)[0])
        low, high = system.domain.T
        assert np.all((X >= low) & (X <= high))


def test_domains():
    np.testing.assert_array_equal(FPUT(modes=3).domain, [[-1, 1]] * 3)
    np.testing.assert_allclose(Dipoles(modes=2).domain, [[-np.pi, np.pi]] * 2)
    np.testing.assert_array_equal(LennardJones(modes=4).domain, [[-4, -2], [-3, 0], [-2, 2], [-1, 4]])


def test_lennard_jones_states_satisfy_gap_constraints():
    system = LennardJones(modes=6)
    X = system.sample_states(2000, rng=10)
    gaps = np.diff(X, axis=1)
    assert np.all((gaps >= 1) & (gaps <= 2))
    assert np.all((X[:, 0] >= -6) & (X[:, 0] <= -3))
    low, high = system.domain.T
    assert np.all((X >= low) & (X <= high))
    assert X[:, 0].min() < -5.9 and X[:, 0].max() > -3.1


def test_noise_has_requested_standard_deviation():
    system = FPUT(modes=3)
    X, Y = system.sample(4000, noise=0.1, seed=11)
    assert np.std(Y - system.target(X)) == pytest.approx(0.1, rel=0.05)


def test_sample_states_accepts_generator_or_seed():
    system = Dipoles(modes=3)
    np.testing.assert_array_equal(system.sample_states(4, rng=np.random.default_rng(3)),
                                  system.sample_states(4, rng=3))


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("cls", [FPUT, Dipoles, LennardJones])
def test_modes_below_two_is_rejected(cls):
    with pytest.raises(ValueError, match="modes"):
        cls(modes=1)


@pytest.mark.parametrize(("cls", "params", "name"), [
    (FPUT, {"kappa": -1.0}, "kappa"), (FPUT, {"seed": -1}, "seed"), (Dipoles, {"moment": 0.0}, "moment"),
    (Dipoles, {"inertia": -1.0}, "inertia"), (LennardJones, {"q": 0}, "q"), (LennardJones, {"R": 0.0}, "R"),
])
def test_out_of_bounds_parameters_are_rejected(cls, params, name):
    with pytest.raises(ValueError, match=name):
        cls(**params)


@pytest.mark.parametrize("X", [np.zeros(3), np.zeros((2, 4)), np.zeros((2, 3, 1)), [[0.0, np.nan, 0.0]],
                               [[0.0, np.inf, 0.0]]], ids=["1d", "wrong-d", "3d", "nan", "inf"])
def test_bad_states_are_rejected(X):
    for system in (FPUT(modes=3), Dipoles(modes=3), LennardJones(modes=3)):
        for method in (system.law, system.target):
            with pytest.raises(ValueError, match=r"\bX\b"):
                method(X)


def test_bad_sample_arguments_are_rejected():
    system = FPUT(modes=3)
    with pytest.raises(ValueError, match="noise"):
        system.sample(10, noise=-0.1)
    with pytest.raises(ValueError, match=r"\bn\b"):
        system.sample(0)
    with pytest.raises(ValueError, match=r"\bn\b"):
        system.sample_states(2.5)


def test_bad_energy_and_trajectory_arguments_are_rejected():
    system = FPUT(modes=3)
    with pytest.raises(ValueError, match=r"\bv\b"):
        system.energy(np.zeros((2, 3)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"\bx\b"):
        system.energy([0.0, np.nan, 0.0])
    with pytest.raises(ValueError, match="x0"):
        system.trajectory([0.0, 0.0], 1.0, 5)
    with pytest.raises(ValueError, match="t_final"):
        system.trajectory([0.0, 0.0, 0.0], -1.0, 5)
    with pytest.raises(ValueError, match="n_points"):
        system.trajectory_data([0.0, 0.0, 0.0], 1.0, 2)
    with pytest.raises(ValueError, match="order"):
        system.trajectory([0.0, 0.0, 0.0], 1.0, 5, order=3)
    with pytest.raises(ValueError, match=r"\bG\b"):
        system.law_from_target(np.zeros((2, 3)), np.zeros((3, 3)))


# ---------------------------------------------------------------- user laws, registry, descriptions


def test_custom_law_with_wrong_shape_is_rejected():
    def truncated(X):
        return X[:, :2]

    with pytest.raises(ValueError, match=r"law .*truncated returned shape \(8, 2\)"):
        CustomSystem(law=truncated, modes=3)


def test_custom_law_with_nan_or_bad_arguments_is_rejected():
    with pytest.raises(ValueError, match="NaN"):
        CustomSystem(law=lambda X: np.where(X > 0, np.nan, X), modes=2)
    with pytest.raises(ValueError, match="law must be a callable"):
        CustomSystem(law=3.0, modes=2)
    with pytest.raises(ValueError, match="domain"):
        CustomSystem(law=np.sin, modes=3, domain=[[0, 1], [0, 1]])
    with pytest.raises(ValueError, match="domain"):
        CustomSystem(law=np.sin, modes=2, domain=(1.0, 0.0))
    with pytest.raises(ValueError, match="order"):
        CustomSystem(law=np.sin, modes=2, order=3)


def test_custom_system_per_mode_domain_and_description():
    system = CustomSystem(law=np.sin, modes=2, domain=[[0.0, 1.0], [5.0, 7.0]])
    X, Y = system.sample(500, seed=12)
    assert np.all((X[:, 0] >= 0) & (X[:, 0] < 1) & (X[:, 1] >= 5) & (X[:, 1] < 7))
    np.testing.assert_array_equal(Y, np.sin(X))
    description = json.loads(json.dumps(system.describe()))
    assert description["system"] == "numpy:sin" and description["order"] == 1
    assert description["domain"] == [[0.0, 1.0], [5.0, 7.0]] and "function" not in description


def test_load_callable_from_python_path(tmp_path, monkeypatch):
    (tmp_path / "user_law_module.py").write_text("def damped(X):\n    return -0.5 * X\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    law = load_callable("user_law_module:damped")
    np.testing.assert_array_equal(law(np.ones((2, 3))), -0.5 * np.ones((2, 3)))
    system = make_system("user_law_module:damped", modes=3, order=2)
    assert system.order == 2 and system.key == "user_law_module:damped"
    description = system.describe()
    assert make_system(description.pop("system"), **description).describe() == system.describe()
    assert load_callable("explorer.systems:FPUT.law") is FPUT.law
    sys.modules.pop("user_law_module")


@pytest.mark.parametrize(("spec", "message"), [
    ("no_colon", "MODULE:CALLABLE"), ("surely_missing_module_xyz:f", "cannot import"),
    ("math:nothing_here", "no attribute"), ("math:pi", "not callable"), (":f", "MODULE:CALLABLE"),
])
def test_load_callable_errors(spec, message):
    with pytest.raises(ValueError, match=message):
        load_callable(spec)


def test_make_system():
    chain = make_system("fput-disordered", modes=4, seed=2)
    assert isinstance(chain, FPUT) and chain.disordered and chain.modes == 4
    assert chain.key == "fput-disordered"
    assert isinstance(make_system("lennard-jones"), LennardJones)
    with pytest.raises(ValueError, match="system must be one of"):
        make_system("pendulum")


@pytest.mark.parametrize("name", list(SYSTEMS))
def test_describe_round_trips_through_json_and_make_system(name):
    description = json.loads(json.dumps(make_system(name, modes=7).describe()))
    params = {k: v for k, v in description.items() if k not in ("system", "order")}
    assert description["system"] == name and description["modes"] == 7
    assert make_system(description["system"], **params).describe() == description
