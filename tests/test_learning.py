"""Self-similar laws, local solves, ALS-GMWS and its baselines: exact references and end-to-end recovery."""

import itertools
import json

import numpy as np
import pytest

from explorer.cli import main
from explorer.dictionaries import LegendreDictionary, MonomialDictionary, TrigonometricDictionary
from explorer.learning import kernels
from explorer.learning.law import SelfSimilarLaw
from explorer.learning.learner import Learner
from explorer.learning.local import (
    COMPILED_DENSE_COLUMNS,
    COMPILED_GRAM_COLUMNS,
    COMPRESS_FACTOR,
    Common,
    DenseDesign,
    FactoredDesign,
    Single,
    least_squares,
    solve_core,
)
from explorer.learning.presets import preset
from explorer.learning.selection import (
    interaction_length_from_figure_label,
    selection_table,
)
from explorer.learning.sweeps import StopRule
from explorer.learning.window import window_multi_indices, window_regression_law
from explorer.systems import make_system
from explorer.tt import BlockStructure


def _random_law(d=7, lint=1, seed=0):
    st = BlockStructure([0, 1, 2, 3], d, 2, range(4))
    law = SelfSimilarLaw.random(st, LegendreDictionary(3), lint, seed=seed)
    rng = np.random.default_rng(seed + 1)
    for key, core in law.cores.items():
        law.cores[key] = core + rng.standard_normal(core.shape) * st.masks[key[0]]
    return law


def test_selection_table_eq41():
    table = selection_table(6, 1)
    np.testing.assert_array_equal(table[3], [1, 1, 2, 3, 4, 5])
    np.testing.assert_array_equal(table[0], [3, 4, 5, 5, 5, 5])
    np.testing.assert_array_equal(table[5], [1, 1, 1, 1, 2, 3])
    assert interaction_length_from_figure_label(5) == 1
    assert interaction_length_from_figure_label(9) == 3
    with pytest.raises(ValueError):
        interaction_length_from_figure_label(4)


@pytest.mark.parametrize("lint", [0, 1, 2])
@pytest.mark.parametrize("block", [4, 4096])
def test_shared_evaluation_equals_per_equation_trains(lint, block, monkeypatch):
    """Blocks of samples (the last one partial) give the values of each equation's own tensor train."""
    from explorer.learning import law as law_module

    monkeypatch.setattr(law_module, "EVALUATION_BLOCK", block)
    law = _random_law(d=7, lint=lint)
    features = np.random.default_rng(3).uniform(-1, 1, (11, 7, 4))
    shared = law.evaluate_features(features)
    for e in range(7):
        np.testing.assert_allclose(shared[:, e], law.equation_tt(e).evaluate(features), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dictionary", [MonomialDictionary(3), LegendreDictionary(3)])
@pytest.mark.parametrize("disordered", [False, True])
def test_exact_fput_law_reproduces_f(dictionary, disordered):
    system = make_system("fput", modes=15, disordered=disordered, seed=4)
    law = system.exact_law(dictionary, block_size=2)
    X = system.sample_states(3000, np.random.default_rng(0))
    assert law.residuum(X, system.law(X)) <= 1e-10


def test_gauge_invariance_of_a_self_similar_law():
    law = _random_law(d=6, lint=1)
    X = np.random.default_rng(2).uniform(-1, 1, (25, 6))
    before = law.predict(X)
    st, interface = law.structure, 3
    gauge = np.zeros((st.ranks[interface],) * 2)
    rng = np.random.default_rng(9)
    for blk in st.blocks[interface]:
        gauge[blk.slice, blk.slice] = rng.standard_normal((blk.size, blk.size)) + 3 * np.eye(blk.size)
    inverse = np.linalg.inv(gauge)
    for (m, t), core in list(law.cores.items()):
        if m == interface - 1:
            law.cores[(m, t)] = np.einsum("apb,bc->apc", core, gauge)
        elif m == interface:
            law.cores[(m, t)] = np.einsum("ab,bpc->apc", inverse, core)
        assert np.allclose(law.cores[(m, t)][~st.masks[m]], 0)
    np.testing.assert_allclose(law.predict(X), before, rtol=1e-9, atol=1e-11)


def _stacked_problem(n_equations, common_side="left", seed=0):
    rng = np.random.default_rng(seed)
    st = BlockStructure([0, 1, 2, 3], 5, 2, range(4))
    mask = st.masks[2]
    n, r0, r1 = 60, mask.shape[0], mask.shape[2]
    psi = rng.standard_normal((4, n))
    r_common, r_many = (r0, r1) if common_side == "left" else (r1, r0)
    common = rng.standard_normal((r_common, n))
    eqs = [Single(rng.standard_normal((r_many, n)), rng.standard_normal(n)) for _ in range(n_equations)]
    sums = eqs[0].sums()
    for eq in eqs[1:]:
        sums = sums.add(eq)
    spec = "an,in,bn->naib"
    rows = [
        np.einsum(spec, *((common, psi, eq.v) if common_side == "left" else (eq.v, psi, common))).reshape(n, -1)
        for eq in eqs
    ]
    design = np.vstack([row[:, mask.ravel()] for row in rows])
    return mask, psi, Common(common), sums, design, np.concatenate([eq.y for eq in eqs])


@pytest.mark.parametrize("common_side", ["left", "right"])
@pytest.mark.parametrize("n_equations", [4, 9, 40])
def test_local_solve_equals_stacked_least_squares(common_side, n_equations):
    """Sums (compressed once there are more than COMPRESS_FACTOR * r equations) give the stacked solution."""
    mask, psi, common, sums, design, y = _stacked_problem(n_equations, common_side)
    if n_equations == 40:
        assert sums.F.shape[0] <= COMPRESS_FACTOR * sums.F.shape[1] < n_equations
    sides = (common, sums) if common_side == "left" else (sums, common)
    core = solve_core(sides[0], psi, sides[1], mask, np.zeros(mask.shape))
    ref = np.linalg.lstsq(design, y, rcond=None)[0]
    np.testing.assert_allclose(core[mask], ref, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("columns", [11, COMPILED_GRAM_COLUMNS + 9])
def test_factored_design_products_equal_the_formed_design(columns):
    """Both Gram paths (compiled pass, grouped BLAS products) and the compiled products match the formed design."""
    rng = np.random.default_rng(3)
    phi_t, F = rng.standard_normal((columns, 30)), rng.standard_normal((7, 5, 30))
    index = rng.integers(0, 5, columns)
    design = FactoredDesign(phi_t, index, F)
    np.testing.assert_array_equal(design.dense(), np.einsum("un,jun->jnu", phi_t, F[:, index]).reshape(-1, columns))
    dense = design.dense()
    x, res = rng.standard_normal(columns), rng.standard_normal((7, 30))
    np.testing.assert_allclose(design.gram(), dense.T @ dense, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(design.matvec(x).ravel(), dense @ x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(design.rmatvec(res), dense.T @ res.ravel(), rtol=1e-12, atol=1e-12)
    _assert_normal_equations(design, dense, res, x)


def _assert_normal_equations(design, dense, target, start):
    """``normal`` gives ``G`` and ``D^T t - G c``; ``gradient`` gives ``D^T (t - D c)``."""
    gram, rhs = design.normal(target, start)
    np.testing.assert_allclose(gram, dense.T @ dense, rtol=1e-12, atol=1e-12)
    expected = dense.T @ (target.ravel() - dense @ start)
    np.testing.assert_allclose(rhs, expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(design.gradient(target, start), expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("columns", [COMPILED_DENSE_COLUMNS - 3, COMPILED_DENSE_COLUMNS + 9])
def test_formed_design_normal_equations_on_every_path(columns):
    """Compiled (few columns, stored transposed) and BLAS paths give the same normal equations and gradient."""
    rng = np.random.default_rng(8)
    matrix = rng.standard_normal((70, columns))
    target, start = rng.standard_normal(70), rng.standard_normal(columns)
    for layout in (matrix, np.ascontiguousarray(matrix.T).T):
        _assert_normal_equations(DenseDesign(layout), matrix, target, start)
    assert DenseDesign(matrix.T.copy().T).transposed and not DenseDesign(matrix).transposed


def test_rank_deficient_factored_problem_gets_the_min_norm_solution_of_the_formed_design():
    """The fallback (per-sample compression, then QR) of a singular shared-core problem is the pseudo-inverse."""
    rng = np.random.default_rng(7)
    phi_t, F, t = rng.standard_normal((9, 50)), rng.standard_normal((8, 3, 50)), rng.standard_normal((8, 50))
    phi_t[4] = phi_t[1]
    index = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2])
    design = FactoredDesign(phi_t, index, F)
    expected = np.linalg.pinv(design.dense()) @ t.ravel()
    np.testing.assert_allclose(least_squares(design, t), expected, rtol=1e-9, atol=1e-11)


def test_compress_keeps_every_summed_residual_up_to_a_constant():
    """Per sample, ||t - F^T z||^2 changes by the same constant for every z; F' is triangular; zero samples stay 0."""
    rng = np.random.default_rng(5)
    k, r, n = 9, 4, 25
    F, t = rng.standard_normal((k, r, n)), rng.standard_normal((k, n))
    F[:, 1, 3] = 0.0
    F[:, :, 7], t[:, 7] = 0.0, 0.0
    Fc, tc = kernels.compress(F, t)
    assert Fc.shape == (r, r, n) and tc.shape == (r, n)
    assert np.all(np.tril(Fc.transpose(2, 0, 1), -1) == 0.0)
    z = rng.standard_normal((3, r))
    full = ((t[:, None, :] - np.einsum("jsn,zs->jzn", F, z)) ** 2).sum(axis=0)
    reduced = ((tc[:, None, :] - np.einsum("jsn,zs->jzn", Fc, z)) ** 2).sum(axis=0)
    np.testing.assert_allclose(full - reduced, np.broadcast_to((full - reduced)[:1], (3, n)), atol=1e-11)
    assert np.all(Fc[:, :, 7] == 0.0) and np.all(tc[:, 7] == 0.0)


@pytest.mark.parametrize("left", [True, False])
def test_transport_matches_the_per_sample_matrix_products(left):
    rng = np.random.default_rng(6)
    core, psi = rng.standard_normal((3, 4, 5)), rng.standard_normal((4, 20))
    factor = rng.standard_normal((2, 3 if left else 5, 20))
    factor[0, 0, 0] = 1e-200
    m = np.einsum("in,aib->nab", psi, core)
    expected = np.einsum("nab,jan->jbn", m, factor) if left else np.einsum("nab,jbn->jan", m, factor)
    np.testing.assert_allclose(kernels.transport(core, psi, factor, left), expected, rtol=1e-13, atol=1e-13)


def test_environments_and_transported_sums_flush_entries_below_tiny():
    from explorer.tt.contraction import apply_left, apply_right

    core, psi = np.ones((1, 2, 1)), np.ones((2, 3))
    v = np.array([[1e-120, 1.0, -1e-120]])
    np.testing.assert_array_equal(apply_left(v, core, psi)[0], [0.0, 2.0, 0.0])
    np.testing.assert_array_equal(apply_right(core, psi, v)[0], [0.0, 2.0, 0.0])
    np.testing.assert_array_equal(kernels.transport(core, psi, v[None], left=True)[0, 0], [0.0, 2.0, 0.0])


def test_ill_conditioned_problem_is_refined_until_stagnation_to_the_accuracy_of_qr():
    """1e-14 <= rcond < 1e-12: semi-normal equations with steps until they stagnate match QR's residual."""
    from scipy.linalg import lapack

    from explorer.learning import local

    rng = np.random.default_rng(9)
    q, _ = np.linalg.qr(rng.standard_normal((3000, 12)))
    v, _ = np.linalg.qr(rng.standard_normal((12, 12)))
    matrix = (q * np.logspace(0, -6.5, 12)) @ v.T
    y = matrix @ rng.standard_normal(12) + 1e-3 * rng.standard_normal(3000)
    _, _, scaled, norm = kernels.scaled_system(matrix.T @ matrix, 0.0)
    rcond = lapack.dpocon(lapack.dpotrf(scaled)[0], norm)[0]
    assert local.RCOND_EXTENDED <= rcond < local.RCOND_MIN
    solution = local._semi_normal(DenseDesign(matrix), y, 0.0, np.zeros(12))
    assert solution is not None
    reference = np.linalg.lstsq(matrix, y, rcond=None)[0]
    residual, best = np.linalg.norm(y - matrix @ solution), np.linalg.norm(y - matrix @ reference)
    assert abs(residual - best) <= 1e-12 * best
    np.testing.assert_allclose(solution, reference, rtol=1e-6)


def test_least_squares_is_min_norm_when_rank_deficient_and_accurate_when_ill_conditioned():
    rng = np.random.default_rng(4)
    basis = rng.standard_normal((400, 6))
    deficient = np.column_stack([basis, basis[:, :2] @ rng.standard_normal((2, 3)), np.zeros(400)])
    y = rng.standard_normal(400)
    np.testing.assert_allclose(least_squares(deficient, y), np.linalg.pinv(deficient) @ y, rtol=1e-8, atol=1e-10)
    q, _ = np.linalg.qr(rng.standard_normal((400, 8)))
    graded = q * np.logspace(0, -9, 8)
    x_true = rng.standard_normal(8)
    solution = least_squares(graded, graded @ x_true)
    assert np.linalg.norm(graded @ (solution - x_true)) <= 1e-14 * np.linalg.norm(graded @ x_true)
    ridge = 0.3
    ref = np.linalg.solve(basis.T @ basis + ridge * np.eye(6), basis.T @ y)
    np.testing.assert_allclose(least_squares(basis, y, ridge), ref, rtol=1e-10)


def test_vanishing_columns_get_the_value_zero_and_the_others_their_update():
    """A column below 1e-12 of the largest norm is an absent environment channel: its entry becomes 0 (the min-norm
    value), not the current entry (a random start's noise); the other entries solve the problem from ``start``."""
    rng = np.random.default_rng(5)
    basis = rng.standard_normal((300, 4))
    design = np.column_stack([basis, 1e-14 * rng.standard_normal(300), np.zeros(300)])
    y = basis @ np.array([1.0, -2.0, 0.5, 3.0])
    start = np.array([0.3, 0.1, -0.2, 0.4, 0.7, -0.9])
    value = start + least_squares(design, y, start=start)
    np.testing.assert_allclose(value, [1.0, -2.0, 0.5, 3.0, 0.0, 0.0], atol=1e-12)


def _fput_data(d, n, seed=1):
    system = make_system("fput", modes=d)
    X, Y = system.sample(n, seed=seed)
    X_test, F_test = system.sample(5000, seed=seed + 100)
    return system, X, Y, X_test, F_test


def test_gmws_from_random_start_recovers_fput():
    system, X, Y, X_test, F_test = _fput_data(12, 800)
    learner = Learner(init="random", init_noise=0.05, sweeps=12, stagnation=0.0)
    reports = list(learner.iterate(X, Y, domain=system.domain, X_test=X_test, F_test=F_test))
    assert reports[-1].test_residuum < 1e-6
    assert reports[-1].test_residuum < 1e-3 * reports[0].test_residuum
    assert all(len(r.gauges) > 0 for r in reports)


def test_right_orthogonalise_keeps_the_law_and_rescues_the_right_environments_of_a_random_start():
    """Pass-through cores carry only the constant channel to the left: every other channel of the right environments
    is a product of noise entries and vanishes with the distance. The LQs keep the law and make every right-outside
    core right-orthogonal (``M M^T`` block-identity), so the channels are no longer negligible."""
    from explorer.learning.als import right_orthogonalise
    from explorer.learning.selection import right_type
    from explorer.learning.sweeps import _chain

    d, lint = 30, 1
    st = BlockStructure([0, 1, 2, 3], d, 2, range(4))
    law = SelfSimilarLaw.random(st, LegendreDictionary(3), lint, seed=0)
    features = np.random.default_rng(1).uniform(-1, 1, (200, d, 4))
    samples_last = np.ascontiguousarray(features.transpose(1, 2, 0))
    before = law.evaluate_features(features)
    suffix = np.ones((st.ranks[d], 200))
    for m in range(d - 1, 4, -1):
        right = law.cores[(m, right_type(lint))]
        suffix = np.einsum("aib,in,bn->an", right, samples_last[m], suffix)
    assert np.abs(suffix[1:]).max() < 1e-20 * np.abs(suffix[0]).max()
    chain = _chain(law, samples_last, np.zeros((d, 200)))
    right_orthogonalise(chain)
    law.cores.update(chain.cores)
    np.testing.assert_allclose(law.evaluate_features(features), before, rtol=1e-9, atol=1e-12)
    for m in range(5, d):
        core = law.cores[(m, right_type(lint))]
        flat = core.reshape(core.shape[0], -1)
        np.testing.assert_allclose(flat @ flat.T, np.eye(core.shape[0]), atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_first_sweep_from_a_random_start_fits_the_chain(seed):
    """d = 30, N = 800: the first sweep from pass-through cores reaches a training residuum of 0.06-0.18 (before the
    right-orthogonalisation of the start: 0.58-0.72, the first half-sweep fitted almost nothing)."""
    system = make_system("fput", modes=30)
    X, Y = system.sample(800, seed=1)
    report = next(iter(Learner(init="random", sweeps=1, seed=seed).iterate(X, Y, domain=system.domain)))
    assert report.train_residuum < 0.25


@pytest.mark.parametrize(("method", "lint", "gauge"), [("gmws", 1, True), ("gmws", 2, True), ("shared", 1, False),
                                                      ("independent", 1, False)])
def test_half_sweep_records_the_far_side_of_the_mirrored_half_sweep(method, lint, gauge):
    """The environments a half-sweep hands to the mirrored one equal those computed afresh from the final cores."""
    from explorer.learning.als import _far_side, half_sweep
    from explorer.learning.sweeps import _chain

    system, X, Y, _, _ = _fput_data(8, 120)
    learner = Learner(method=method, init="random", init_noise=0.05, interaction_length=lint)
    law = learner.initial_law(X, Y, domain=system.domain)
    features = np.ascontiguousarray(law.dictionary.evaluate(X).transpose(1, 2, 0))
    chain = _chain(law, features, np.ascontiguousarray(Y.T))
    _, recorded = half_sweep(chain, gauge=gauge)
    fresh = _far_side(chain.reflected())
    for name in ("suffix", "window_right"):
        got, want = getattr(recorded, name), getattr(fresh, name)
        assert got.keys() == want.keys()
        for key in want:
            np.testing.assert_allclose(got[key], want[key], rtol=1e-10, atol=1e-12)
    assert recorded.summed_right.keys() == fresh.summed_right.keys()
    for key, want in fresh.summed_right.items():
        got = recorded.summed_right[key]
        for spec in ("jsn,jtn->nst", "jsn,jn->ns"):
            args = (got.F, got.F if "jtn" in spec else got.t), (want.F, want.F if "jtn" in spec else want.t)
            np.testing.assert_allclose(np.einsum(spec, *args[0]), np.einsum(spec, *args[1]), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize(("method", "lint"), [("gmws", 1), ("gmws", 2), ("shared", 1), ("independent", 1)])
def test_threads_share_the_problems_of_a_mode_without_changing_the_result(method, lint):
    """The problems of one mode touch disjoint cores: 1 or 3 threads give the same law, bit for bit."""
    system, X, Y, _, _ = _fput_data(9, 150)
    laws = []
    for threads in (1, 3):
        learner = Learner(method=method, init="random", init_noise=0.05, interaction_length=lint, sweeps=2,
                          stagnation=0.0, threads=threads)
        reports = list(learner.iterate(X, Y, domain=system.domain))
        laws.append((reports[-1].law, [len(r.gauges) for r in reports]))
    (first, gauges), (second, gauges_threaded) = laws
    assert gauges == gauges_threaded
    assert first.cores.keys() == second.cores.keys()
    for key, core in first.cores.items():
        np.testing.assert_array_equal(second.cores[key], core)


@pytest.mark.parametrize("failing", ["solve_gauge", "block_qr"])
def test_an_error_in_any_lane_reaches_the_caller(monkeypatch, failing):
    """The gauge fit runs on lane 1, orthogonalisation on every lane: the error itself is raised, nothing hangs."""
    from explorer.learning import als

    def fail(*args, **kwargs):
        raise FloatingPointError(f"{failing} failed")

    monkeypatch.setattr(als, failing, fail)
    system, X, Y, _, _ = _fput_data(8, 100)
    learner = Learner(init="random", init_noise=0.05, sweeps=1, threads=3)
    with pytest.raises(FloatingPointError, match=failing):
        list(learner.iterate(X, Y, domain=system.domain))


def test_thread_count_defaults_to_the_available_cores():
    assert 1 <= Learner().thread_count() <= 4
    assert Learner(threads=3).thread_count() == 3
    with pytest.raises(ValueError):
        Learner(threads=0)


def test_window_start_recovers_fput_exactly_at_d50():
    system, X, Y, X_test, F_test = _fput_data(50, 300)
    learner = Learner(init="window", init_noise=0.0, sweeps=2, stagnation=0.0)
    reports = list(learner.iterate(X, Y, domain=system.domain, X_test=X_test, F_test=F_test))
    assert reports[-1].test_residuum <= 1e-10


def test_independent_als_never_increases_training_loss():
    system, X, Y, _, _ = _fput_data(6, 300)
    learner = Learner(method="independent", init="random", init_noise=0.3, sweeps=6, stagnation=0.0)
    residuals = [r.train_residuum for r in learner.iterate(X, Y, domain=system.domain)]
    assert all(b <= a * (1 + 1e-9) for a, b in zip(residuals, residuals[1:], strict=False))


@pytest.mark.parametrize("method", ["gmws", "shared", "independent"])
def test_every_block_sparse_method_learns_fput_from_random_start(method):
    system, X, Y, X_test, F_test = _fput_data(8, 500)
    learner = Learner(method=method, init="random", init_noise=0.05, sweeps=8, stagnation=0.0)
    reports = list(learner.iterate(X, Y, domain=system.domain, X_test=X_test, F_test=F_test))
    assert reports[-1].test_residuum < 1e-3


def test_dense_tt_is_exact_from_window_start_but_overfits_from_random_start():
    system, X, Y, X_test, F_test = _fput_data(8, 500)
    kwargs = dict(domain=system.domain, X_test=X_test, F_test=F_test)
    window = list(Learner(method="dense", sweeps=2, stagnation=0.0).iterate(X, Y, **kwargs))
    assert window[-1].law.structure.dense
    assert window[-1].test_residuum < 1e-10
    random = list(Learner(method="dense", init="random", sweeps=4, stagnation=0.0).iterate(X, Y, **kwargs))
    assert random[-1].test_residuum > max(0.1, 5 * random[-1].train_residuum)


def test_dipoles_with_trigonometric_dictionary():
    system = make_system("dipoles", modes=10)
    X, Y = system.sample(600, seed=3)
    X_test, F_test = system.sample(4000, seed=4)
    learner = Learner(
        dictionary="trigonometric", degree=1, total_degree=2, exact_degree=True, block_size=3, init_noise=1e-2,
        sweeps=6,
    )
    law = learner.fit(X, Y, domain=system.domain)
    assert law.residuum(X_test, F_test) < 1e-2
    assert isinstance(law.dictionary, TrigonometricDictionary)


@pytest.mark.slow
def test_dipoles_preset_beats_the_seed_window3_target_where_rho3_plateaus():
    """The shared outside chains need a pair of channels per exponential of the |k-l|^-3 tail (presets doc)."""
    system = make_system("dipoles", modes=16)
    X, Y = system.sample(800, seed=3)
    X_test, F_test = system.sample(4000, seed=4)
    residua = {}
    for rho in (3, preset("dipoles")["block_size"]):
        law = Learner(**(preset("dipoles") | dict(block_size=rho, sweeps=6))).fit(X, Y, domain=system.domain)
        residua[rho] = law.residuum(X_test, F_test)
    assert residua[3] > 4e-3
    assert residua[preset("dipoles")["block_size"]] < 1.5e-3


def test_window_regression_is_exact_for_local_polynomials():
    system = make_system("fput", modes=9, disordered=True)
    X, Y = system.sample(60, seed=0)
    st = BlockStructure([0, 1, 2, 3], 9, 2, range(4))
    dic = LegendreDictionary(3)
    law = window_regression_law(st, dic, 1, dic.evaluate(X), Y)
    X_test = system.sample_states(2000, np.random.default_rng(1))
    assert law.residuum(X_test, system.law(X_test)) < 1e-10


def test_window_multi_indices_are_the_allowed_rows_of_the_full_grid():
    st = BlockStructure([0, 1, 2, 3], 6, 2, [1, 3])
    grid = np.array(list(itertools.product(range(4), repeat=4)))
    expected = grid[np.isin(grid.sum(axis=1), [1, 3])]
    np.testing.assert_array_equal(window_multi_indices(st, 4), expected)


@pytest.mark.slow
def test_window_start_is_exact_for_a_pair_law_of_range_9():
    """Window of 19 modes: 723 allowed products per equation (not 3**19); rho=2 holds the exact law."""
    d, lint = 20, 9
    couplings = make_system("dipoles", modes=d).couplings()
    distance = np.abs(np.subtract.outer(np.arange(d), np.arange(d)))
    couplings[distance > lint] = 0.0

    def law(X):
        s, c = np.sin(X), np.cos(X)
        return s * (c @ couplings) - c * (s @ couplings)

    rng = np.random.default_rng(3)
    X, X_test = rng.uniform(-np.pi, np.pi, (900, d)), rng.uniform(-np.pi, np.pi, (2000, d))
    learner = Learner(**(preset("dipoles") | dict(block_size=2, interaction_length=lint, sweeps=1, init_noise=0.0)))
    fitted = learner.fit(X, law(X), domain=np.tile([-np.pi, np.pi], (d, 1)))
    assert fitted.residuum(X_test, law(X_test)) < 1e-10


def test_law_save_load_roundtrip(tmp_path):
    law = _random_law(d=5)
    law.history.append({"sweep": 1, "train_residuum": 0.5})
    law.save(tmp_path / "law.npz")
    loaded = SelfSimilarLaw.load(tmp_path / "law.npz")
    X = np.random.default_rng(0).uniform(-1, 1, (10, 5))
    np.testing.assert_array_equal(loaded.predict(X), law.predict(X))
    assert loaded.history == law.history


def test_learner_rejects_bad_input():
    learner = Learner()
    X = np.zeros((10, 4))
    with pytest.raises(ValueError, match="X contains NaN"):
        next(learner.iterate(np.full((10, 4), np.nan), X))
    with pytest.raises(ValueError, match="Y must have shape"):
        next(learner.iterate(X, np.zeros((10, 3))))
    with pytest.raises(ValueError, match="interaction_length"):
        next(Learner(interaction_length=4).iterate(X, X))
    with pytest.raises(ValueError):
        Learner(block_size=0)
    with pytest.raises(ValueError):
        Learner(method="magic")
    with pytest.raises(ValueError, match="patience"):
        Learner(patience=0)


def test_stop_rule_patience_lets_a_run_through_a_transient_rise():
    history = [1.0, 0.5, 0.6, 0.4, 0.45, 0.41]
    impatient = StopRule(sweeps=10, stagnation=1e-3)
    assert [impatient.reason(k, history[:k]) for k in range(1, 4)] == [None, None, "stagnation"]
    patient = StopRule(sweeps=10, stagnation=1e-3, patience=2)
    assert [patient.reason(k, history[:k]) for k in range(1, 7)] == [None] * 5 + ["stagnation"]
    assert StopRule(sweeps=5, stagnation=1e-3, patience=2).reason(5, history[:5]) == "sweeps"
    assert StopRule(sweeps=5, target=0.45).reason(4, history[:4]) == "target"
    assert StopRule(sweeps=10, stagnation=0.0).reason(3, history[:3]) is None


def test_stops_at_target_residual():
    system, X, Y, _, _ = _fput_data(10, 300)
    reports = list(Learner(init="window", init_noise=0.0, target_residuum=1e-8).iterate(X, Y, domain=system.domain))
    assert len(reports) == 1 and reports[0].stop == "target"


def test_cli_learn_json(capsys, tmp_path):
    path = tmp_path / "law.npz"
    code = main(
        ["learn", "--system", "fput", "--modes", "12", "--samples", "400", "--test-samples", "2000",
         "--sweeps", "2", "--json", "--save", str(path)]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for key in ("residuum", "residuum_per_sweep", "seconds", "sweep_seconds", "parameters"):
        assert key in out
    assert out["residuum"] < 1e-10
    assert SelfSimilarLaw.load(path).modes == 12


def test_cli_learn_user_law(capsys, tmp_path, monkeypatch):
    (tmp_path / "mylaw.py").write_text(
        "import numpy as np\n"
        "def cubic(X):\n"
        "    return -X**3 + 0.5*np.roll(X, 1, axis=1)*(np.arange(X.shape[1]) > 0)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    code = main(
        ["learn", "--system", "mylaw:cubic", "--modes", "8", "--samples", "300", "--test-samples", "1000",
         "--domain", "-1", "1", "--sweeps", "2", "--json"]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["residuum"] < 1e-10


def test_window_start_is_exact_from_very_few_samples():
    """Each window law has 20 Legendre coefficients (degree <= 3 in 3 modes): N = 30 samples determine FPUT."""
    system, X, Y, X_test, F_test = _fput_data(50, 30)
    reports = list(Learner(sweeps=1).iterate(X, Y, domain=system.domain, X_test=X_test, F_test=F_test))
    assert reports[-1].test_residuum <= 1e-10


def test_kernels_are_warmed_up_once_per_process():
    import time

    from explorer.learning.learner import _WARMED_UP, warm_up_kernels

    warm_up_kernels()
    assert _WARMED_UP.is_set()
    start = time.perf_counter()
    warm_up_kernels()
    assert time.perf_counter() - start < 0.01


def test_reports_carry_the_law_of_their_own_sweep():
    system, X, Y, _, _ = _fput_data(8, 200)
    learner = Learner(init="random", init_noise=0.05, sweeps=3, stagnation=0.0)
    reports = list(learner.iterate(X, Y, domain=system.domain))
    assert len({id(r.law) for r in reports}) == 3
    for report in reports:
        assert report.law.residuum(X, Y) == pytest.approx(report.train_residuum, rel=1e-12)
        assert len(report.law.history) == report.sweep
    assert reports[0].train_residuum > reports[-1].train_residuum


def test_anatomy_of_the_exact_fput_law():
    from explorer.learning.anatomy import block_cells, parameter_counts, type_name

    system = make_system("fput", modes=5)
    law = system.exact_law(LegendreDictionary(3, system.domain), block_size=2)
    assert [type_name(t, 1) for t in (1, 2, 3, 4, 5)] == [
        "t=1 (left of window)", "t=2 (window offset -1)", "t=3 (window offset +0)", "t=4 (window offset +1)",
        "t=5 (right of window)",
    ]
    xs, ys, values, texts, names, labels = block_cells(law, 2, 3)
    assert names == ["P0", "P1", "P2", "P3"] and labels[-1] == "a=0"
    for x, y, value, text in zip(xs, ys, values, texts, strict=True):
        target = int(y[2:]) + names.index(x)
        assert (text == f"→{target}") == (not np.isnan(value))
    assert np.nansum(np.square(values)) == pytest.approx(np.sum(law.cores[(2, 3)] ** 2), rel=1e-12)
    counts = parameter_counts(law.structure, 1)
    assert counts["self-similar law, all d equations (L=1)"] == law.parameter_count()
