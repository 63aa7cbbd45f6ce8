"""Epsilon-net DP and DMRG against exact references (explorer.groundstate.dp, explorer.groundstate.dmrg)."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

from explorer.groundstate import dp, exact, hamiltonians, nets
from explorer.groundstate.dmrg import DMRG, DMRGSweepReport
from explorer.groundstate.dp import EpsilonNetDP, SiteReport
from explorer.progress import Progress

try:
    from threadpoolctl import threadpool_limits
except ImportError:
    threadpool_limits = None

BEST_PRODUCT_N8 = -9.40248
TFIM_E0_N10 = -12.3814899997


@pytest.fixture(autouse=True)
def _single_blas_thread():
    """Small dense LAPACK calls crawl when BLAS threads oversubscribe the two shared cores."""
    with threadpool_limits(1) if threadpool_limits else contextlib.nullcontext():
        yield


def _assert_valid_output(result, ham, e0):
    """Variational, normalised, right-isometric output whose true energy is the dense expectation value."""
    state = result.mps
    assert result.energy >= e0 - 1e-9
    assert state.norm() == pytest.approx(1.0, abs=1e-10)
    assert state.is_right_isometric(1e-10)
    vec = state.to_dense()
    dense = np.vdot(vec, ham.to_sparse() @ vec).real
    assert result.energy == pytest.approx(dense, abs=1e-10)
    assert abs(result.energy - result.energy_dp) <= result.bound + 1e-12


def _product_energy_table(ham, vectors, bond):
    """``T[i, j] = <v_i v_j| h_bond |v_i v_j>`` for a list of real local vectors."""
    pair = np.einsum("is,jt->ijst", vectors, vectors).reshape(len(vectors), len(vectors), -1)
    return np.einsum("ija,ab,ijb->ij", pair, ham.terms[bond], pair)


@pytest.mark.parametrize("ham", [hamiltonians.tfim(3, 0.7), hamiltonians.xxz(3, 1.0, -0.4, 0.9)])
def test_product_dp_equals_brute_force_over_its_net(ham):
    solver = EpsilonNetDP(ham, 1, family="lemma3", delta=0.1)
    result = solver.solve()
    vectors = nets.lemma3_isometries(1, 2, 0.1)[:, 0, :]
    t01, t12 = _product_energy_table(ham, vectors, 0), _product_energy_table(ham, vectors, 1)
    brute = (t01[:, :, None] + t12[None, :, :]).min()
    assert result.energy_dp == pytest.approx(brute, abs=1e-12)
    assert result.energy == pytest.approx(brute, abs=1e-12)
    _assert_valid_output(result, ham, exact.ground_energy(ham))


def test_product_dp_matches_fine_grid_minimum():
    ham = hamiltonians.tfim(3, 1.0)
    angles = np.linspace(0.0, np.pi, 360, endpoint=False)
    vectors = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    t01, t12 = _product_energy_table(ham, vectors, 0), _product_energy_table(ham, vectors, 1)
    grid_min = (t01[:, :, None] + t12[None, :, :]).min()
    result = EpsilonNetDP(ham, 1, family="lemma3", delta=0.02).solve()
    assert grid_min - 1e-4 <= result.energy <= grid_min + 1e-5


def test_product_dp_tfim_n8_reaches_best_product_state():
    ham = hamiltonians.tfim(8)
    result = EpsilonNetDP(ham, 1, family="lemma3", delta=0.05).solve()
    assert abs(result.energy - BEST_PRODUCT_N8) < 1e-3
    assert result.energy == pytest.approx(result.energy_dp, abs=1e-12)
    assert max(result.mps.bond_dims) == 1


def test_dp_d2_tfim_n10_with_refinement():
    ham = hamiltonians.tfim(10)
    progress = Progress(EpsilonNetDP(ham, 2, net_size=500, eta=0.05, refine=10, seed=0).iterate())
    reports = list(progress)
    result = progress.result
    assert result.energy <= -12.30
    _assert_valid_output(result, ham, TFIM_E0_N10)
    assert len(reports) == 11 * 10 and all(isinstance(r, SiteReport) for r in reports)
    assert [r.site for r in reports[:10]] == list(range(1, 11))
    assert np.all(np.diff([r.seconds for r in reports]) >= 0)
    assert len(result.history) == 11 and result.net_sizes["interior"] == 500
    best_true = np.minimum.accumulate([true for _, true in result.history])
    for r in range(1, 11):
        assert result.history[r][0] <= best_true[r - 1] + 1e-9
    assert result.energy == pytest.approx(best_true[-1], abs=1e-12)


def test_global_dp_reports_etilde_and_the_true_energy():
    ham = hamiltonians.tfim(6)
    result = EpsilonNetDP(ham, 2, net_size=200, eta=0.05, refine=0, seed=3).solve()
    _assert_valid_output(result, ham, exact.ground_energy(ham))
    assert result.max_stitch <= 0.05
    assert result.bound == pytest.approx(ham.norm_bound * 0.05 * 5 * 4 / 2)
    assert result.energy_dp != result.energy


def test_cached_tables_do_not_change_the_result(monkeypatch):
    ham = hamiltonians.tfim(7)
    cached = EpsilonNetDP(ham, 2, net_size=120, refine=0, seed=5).solve()
    monkeypatch.setattr(dp, "TABLE_CACHE", 0)
    fresh = EpsilonNetDP(ham, 2, net_size=120, refine=0, seed=5).solve()
    assert cached.energy_dp == fresh.energy_dp and cached.energy == fresh.energy


def test_gauge_fixing_makes_every_pair_stitchable():
    lams = nets.schmidt_net(2, dp.default_schmidt_count(0.1))
    tensors = nets.as_tensors(nets.haar_isometries(2, 4, 200, np.random.default_rng(0)), 2, 2, 2)

    def stitchable(pairs):
        return np.unique(np.concatenate(dp.stitch_links(pairs, lams, 0.1))).size

    fixed, raw = nets.pair_net(lams, tensors, gauge=True), nets.pair_net(lams, tensors, gauge=False)
    assert stitchable(fixed) == fixed.size
    assert stitchable(raw) < 0.5 * raw.size


def test_ungauged_dp_is_still_valid():
    ham = hamiltonians.tfim(5)
    result = EpsilonNetDP(ham, 2, net_size=300, eta=0.3, gauge=False, refine=0, seed=1).solve()
    _assert_valid_output(result, ham, exact.ground_energy(ham))


def test_dp_with_boundary_grouping_returns_original_sites():
    ham = hamiltonians.heisenberg(6)
    solver = EpsilonNetDP(ham, 4, net_size=100, schmidt_count=3, refine=2, refine_size=50, seed=0)
    result = solver.solve()
    assert solver.grouped.dims == (4, 2, 2, 4)
    assert result.mps.dims == (2,) * 6 and max(result.mps.bond_dims) <= 4
    assert result.energy >= exact.ground_energy(ham) - 1e-9
    assert result.mps.is_right_isometric(1e-10)
    vec = result.mps.to_dense()
    assert result.energy == pytest.approx(np.vdot(vec, ham.to_sparse() @ vec).real, abs=1e-10)


def test_complex_chain_dp_and_dmrg():
    x, y, z = hamiltonians.PAULI_X, hamiltonians.PAULI_Y, hamiltonians.PAULI_Z
    term = np.kron(x, x) + np.kron(y, y) + 0.5 * np.kron(z, z) + 0.8 * (np.kron(x, y) - np.kron(y, x))
    ham = hamiltonians.from_terms(5, term, 0.3 * z + 0.2 * y)
    assert not ham.is_real
    e0 = exact.ground_energy(ham)
    result = EpsilonNetDP(ham, 2, net_size=150, refine=2, seed=0).solve()
    assert np.iscomplexobj(result.mps.tensors[1])
    _assert_valid_output(result, ham, e0)
    assert DMRG(ham, 4, seed=0).solve().energy == pytest.approx(e0, abs=1e-8)


def test_long_chains_use_exact_integer_dimensions():
    ham = hamiltonians.tfim(70)
    result = EpsilonNetDP(ham, 2, net_size=30, eta=0.1, refine=0, seed=0).solve()
    assert result.mps.bond_dims == (2,) * 69
    assert exact.tfim_free_fermion_energy(70) - 1e-9 <= result.energy < 0


def test_trap_chain_dp_escapes_where_two_site_dmrg_stays():
    ham = hamiltonians.trap(10)
    result = EpsilonNetDP(ham, 2, net_size=300, refine=2, seed=0).solve()
    assert result.energy <= 0.05
    _assert_valid_output(result, ham, 0.0)
    stuck = DMRG(ham, 4, two_site=True, init="up").solve()
    assert stuck.energy == pytest.approx(3.0, abs=1e-10)


def test_two_site_dmrg_tfim_n10_d8():
    ham = hamiltonians.tfim(10)
    progress = Progress(DMRG(ham, 8, two_site=True, seed=0).iterate())
    reports = list(progress)
    result = progress.result
    assert all(isinstance(r, DMRGSweepReport) for r in reports) and result.sweeps == len(reports)
    assert abs(result.energy - TFIM_E0_N10) < 1e-6
    assert result.energy >= TFIM_E0_N10 - 1e-9
    assert result.energy == pytest.approx(result.mps.energy(ham), abs=1e-12)
    assert reports[-1].energy == result.energy and max(result.mps.bond_dims) <= 8


def test_one_site_dmrg_heisenberg():
    ham = hamiltonians.heisenberg(8)
    result = DMRG(ham, 8, two_site=False, seed=2).solve()
    assert result.energy == pytest.approx(-3.3749325987, abs=1e-4)
    assert result.energy >= -3.3749325987 - 1e-9
    assert result.energy == pytest.approx(result.mps.energy(ham), abs=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bond_dim": 0}, "bond_dim"),
        ({"eta": -1.0}, "eta"),
        ({"eta": float("nan")}, "eta"),
        ({"family": "grid"}, "family"),
        ({"eta": 1e-6, "schmidt_count": 3}, "eta"),
    ],
)
def test_dp_rejects_bad_input(kwargs, message):
    params = {"bond_dim": 2, "net_size": 50, "refine": 0} | kwargs
    with pytest.raises(ValueError, match=message):
        EpsilonNetDP(hamiltonians.tfim(4), **params).solve()
