"""Hamiltonians, exact references, MPS algebra, nets and the classical chain DP (explorer.groundstate)."""

from __future__ import annotations

import contextlib
import itertools

import numpy as np
import pytest
import scipy.linalg as sla
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.groundstate import exact, hamiltonians, nets
from explorer.groundstate.csp import ChainCSP
from explorer.groundstate.mps import MPS

try:
    from threadpoolctl import threadpool_limits
except ImportError:
    threadpool_limits = None

TFIM_E0 = {6: -7.2962298106, 8: -9.8379514475, 10: -12.3814899997, 12: -14.9259711099}
HEISENBERG_E0 = {4: -1.6160254038, 6: -2.4935771339, 8: -3.3749325987, 10: -4.2580352073}


@pytest.fixture(autouse=True)
def _single_blas_thread():
    """Small dense LAPACK calls crawl when BLAS threads oversubscribe the two shared cores."""
    with threadpool_limits(1) if threadpool_limits else contextlib.nullcontext():
        yield


@pytest.mark.parametrize("n", sorted(TFIM_E0))
def test_tfim_exact_and_free_fermion_reference(n):
    assert exact.tfim_free_fermion_energy(n, 1.0) == pytest.approx(TFIM_E0[n], abs=1e-8)
    assert exact.ground_energy(hamiltonians.tfim(n, 1.0)) == pytest.approx(TFIM_E0[n], abs=1e-8)


def test_tfim_free_fermions_agree_with_ed_off_criticality():
    for g in (0.3, 1.7):
        assert exact.tfim_free_fermion_energy(7, g) == pytest.approx(
            exact.ground_energy(hamiltonians.tfim(7, g)), abs=1e-9
        )


@pytest.mark.parametrize("n", sorted(HEISENBERG_E0))
def test_heisenberg_exact_reference(n):
    assert exact.ground_energy(hamiltonians.heisenberg(n)) == pytest.approx(HEISENBERG_E0[n], abs=1e-8)


def test_trap_chain_ground_state_and_all_up_energy():
    ham = hamiltonians.trap(10)
    energy, vector = exact.ground_state(ham)
    assert energy == pytest.approx(0.0, abs=1e-12)
    assert abs(vector[-1]) == pytest.approx(1.0)
    all_up = MPS.product([np.array([1.0, 0.0])] * 10)
    assert all_up.energy(ham) == pytest.approx(3.0, abs=1e-12)


def test_fields_are_counted_once():
    ham = hamiltonians.from_terms(5, np.zeros((4, 4)), hamiltonians.PAULI_Z)
    diagonal = ham.to_sparse().diagonal()
    expected = [sum(1 - 2 * b for b in bits) for bits in itertools.product((0, 1), repeat=5)]
    np.testing.assert_allclose(diagonal, expected)


def test_norm_bound_and_translation_invariance():
    ham = hamiltonians.tfim(6, 1.0)
    assert ham.norm_bound == pytest.approx(max(np.abs(np.linalg.eigvalsh(t)).max() for t in ham.terms))
    assert ham.interior_uniform and ham.is_real and ham.d == 2


def test_custom_term_from_npy(tmp_path):
    path = tmp_path / "xx.npy"
    np.save(path, -np.kron(hamiltonians.PAULI_X, hamiltonians.PAULI_X))
    ham = hamiltonians.from_terms(6, str(path), -hamiltonians.PAULI_Z)
    assert exact.ground_energy(ham) == pytest.approx(TFIM_E0[6], abs=1e-8)


@pytest.mark.parametrize(
    ("term", "message"),
    [
        (np.array([[0.0, 1.0], [0.0, 0.0]]), "d\\^2"),
        (np.triu(np.ones((4, 4))), "Hermitian"),
        (np.full((4, 4), np.nan), "NaN"),
    ],
)
def test_bad_terms_raise(term, message):
    with pytest.raises(ValueError, match=message):
        hamiltonians.from_terms(4, term)


def test_grouping_preserves_the_spectrum():
    ham = hamiltonians.xxz(7, 1.0, 0.6, 0.4)
    blocks = nets.boundary_blocks(7, 2, 4)
    assert blocks == [2, 1, 1, 1, 2]
    grouped = ham.grouped(blocks)
    assert grouped.dims == (4, 2, 2, 2, 4)
    full, regrouped = ham.to_sparse().toarray(), grouped.to_sparse().toarray()
    np.testing.assert_allclose(sla.eigvalsh(regrouped), sla.eigvalsh(full), atol=1e-12)
    assert nets.boundary_blocks(4, 2, 4) == [2, 2]
    assert nets.boundary_blocks(5, 2, 2) == [1] * 5


def _random_state(seed, dims=(2,) * 6, bond=3, real=False):
    return MPS.random(dims, bond, np.random.default_rng(seed), real=real)


def test_mps_true_energy_matches_dense_expectation():
    ham = hamiltonians.xxz(6, 1.0, 0.7, 0.3)
    state = _random_state(1)
    vec = state.to_dense()
    dense = np.vdot(vec, ham.to_sparse() @ vec).real / np.vdot(vec, vec).real
    assert state.energy(ham) == pytest.approx(dense, abs=1e-12)
    assert state.norm() == pytest.approx(1.0, abs=1e-12)
    scaled = MPS((3.0 * state.tensors[0],) + state.tensors[1:])
    assert scaled.energy(ham) == pytest.approx(dense, abs=1e-12)


def test_vidal_form_reconstructs_and_is_canonical():
    state = _random_state(2)
    vidal = state.vidal()
    np.testing.assert_allclose(vidal.to_mps().to_dense(), state.to_dense(), atol=1e-12)
    for k in range(1, state.n - 1):
        gamma, left, right = vidal.gammas[k], vidal.lambdas[k - 1], vidal.lambdas[k]
        left_id = np.einsum("asb,a,asc->bc", gamma.conj(), left**2, gamma)
        right_id = np.einsum("asb,b,csb->ac", gamma, right**2, gamma.conj())
        np.testing.assert_allclose(left_id, np.eye(left_id.shape[0]), atol=1e-10)
        np.testing.assert_allclose(right_id, np.eye(right_id.shape[0]), atol=1e-10)
    for lam in vidal.lambdas:
        assert np.all(np.diff(lam) <= 1e-14) and np.sum(lam**2) == pytest.approx(1.0)


def test_schmidt_spectra_match_dense_svd():
    state = _random_state(3)
    vec = state.to_dense()
    for k, lam in enumerate(state.schmidt_spectra()):
        s = np.linalg.svd(vec.reshape(2 ** (k + 1), -1), compute_uv=False)
        np.testing.assert_allclose(lam, s[: lam.size], atol=1e-12)


def test_from_dense_truncation_and_ungroup():
    ham = hamiltonians.tfim(8)
    _, psi = exact.ground_state(ham)
    assert MPS.from_dense(psi, ham.dims, 16).energy(ham) == pytest.approx(TFIM_E0[8], abs=1e-9)
    two = MPS.from_dense(psi, ham.dims, 2)
    assert max(two.bond_dims) == 2 and two.energy(ham) > TFIM_E0[8]
    grouped = MPS.from_dense(psi, (4, 2, 2, 2, 2, 4), 4)
    split = grouped.ungroup([(2, 2), (2,), (2,), (2,), (2,), (2, 2)])
    np.testing.assert_allclose(np.abs(split.to_dense()), np.abs(grouped.to_dense()), atol=1e-12)


@pytest.mark.parametrize(
    ("rows", "cols", "delta", "real"),
    [(1, 2, 0.05, True), (2, 2, 0.5, True), (1, 4, 0.5, True), (1, 2, 0.7, False)],
)
def test_lemma3_nets_are_isometries_and_cover(rows, cols, delta, real):
    net = nets.lemma3_isometries(rows, cols, delta, real=real)
    grams = np.einsum("nij,nkj->nik", net, net.conj())
    np.testing.assert_allclose(grams, np.broadcast_to(np.eye(rows), grams.shape), atol=1e-12)
    assert len(net) <= nets.lemma3_size_bound(rows, cols, delta, real)
    samples = nets.haar_isometries(rows, cols, 100, np.random.default_rng(0), real=real)
    row_error = np.linalg.norm(samples[:, None] - net[None], axis=3).max(axis=2).min(axis=1)
    assert row_error.max() <= delta


def test_lemma3_rejects_oversized_grids():
    with pytest.raises(ValueError, match="delta"):
        nets.lemma3_isometries(2, 4, 0.2)
    with pytest.raises(ValueError, match="delta"):
        nets.lemma3_isometries(2, 2, 1.9)


def test_haar_nets_are_seeded_isometries():
    first = nets.haar_isometries(2, 4, 50, np.random.default_rng(7))
    again = nets.haar_isometries(2, 4, 50, np.random.default_rng(7))
    other = nets.haar_isometries(2, 4, 50, np.random.default_rng(8))
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)
    np.testing.assert_allclose(
        np.einsum("nij,nkj->nik", first, first), np.broadcast_to(np.eye(2), (50, 2, 2)), atol=1e-12
    )


def test_schmidt_nets_are_sorted_and_normalised():
    for bond, count in ((1, 3), (2, 9), (3, 5)):
        lams = nets.schmidt_net(bond, count)
        np.testing.assert_allclose(np.linalg.norm(lams, axis=1), 1.0)
        assert np.all(np.diff(lams, axis=1) <= 1e-15) and np.all(lams >= 0)
    t = np.arctan2(*nets.schmidt_net(2, 5)[:, ::-1].T)
    np.testing.assert_allclose(t, np.linspace(0, np.pi / 4, 5))


def test_gauge_fixed_pairs_are_left_canonical_isometries():
    lams = nets.schmidt_net(2, 5)
    tensors = nets.as_tensors(nets.haar_isometries(2, 4, 30, np.random.default_rng(1)), 2, 2, 2)
    pairs = nets.pair_net(lams, tensors)
    off = pairs.gram - np.einsum("pbb->pb", pairs.gram)[:, :, None] * np.eye(2)
    assert np.abs(off).max() < 1e-12
    assert np.all(np.diff(np.einsum("pbb->pb", pairs.gram), axis=1) <= 1e-12)
    rows = pairs.tensors.reshape(-1, 2, 4)
    np.testing.assert_allclose(
        np.einsum("nij,nkj->nik", rows, rows), np.broadcast_to(np.eye(2), (150, 2, 2)), atol=1e-12
    )


def test_gauge_fix_keeps_exact_canonical_pairs():
    state = _random_state(4, bond=2, real=True)
    for lam, tensor in state.vidal().pairs()[1:-1]:
        fixed = nets.gauge_fix(lam[None], tensor[None])[0]
        np.testing.assert_allclose(fixed, tensor, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 5), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_chain_csp_matches_brute_force(n, q, seed):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, q + 2, size=n)
    problem = ChainCSP(
        [rng.integers(-3, 4, (sizes[k], sizes[k + 1])) for k in range(n - 1)],
        [rng.integers(-3, 4, s) for s in sizes],
    )
    cost, assignment = problem.solve()
    assert cost == problem.brute_force()[0]
    assert problem.cost(assignment) == cost


def test_chain_csp_tail_lists():
    problem = ChainCSP([np.array([[0.0, 5.0], [1.0, 0.0]])] * 2, [np.array([0.0, 2.0])] * 3)
    lists = list(problem.iterate())
    assert [t.site for t in lists] == [1, 2, 3]
    np.testing.assert_allclose(lists[1].energy, [0.0, 4.0])
    assert lists[1].tails == ((0,), (1,))
    assert problem.solve() == (0.0, (0, 0, 0))
