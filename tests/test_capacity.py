"""The capacity bound of self-similar block-sparse TTs for pair-coupled angle laws, against learned laws."""

import numpy as np
import pytest

from explorer.learning import capacity
from explorer.learning.capacity import pair_coupling_bound
from explorer.learning.learner import Learner
from explorer.learning.presets import preset
from explorer.systems import make_system


def _exponential_couplings(d, decay):
    distance = np.abs(np.subtract.outer(np.arange(d), np.arange(d)))
    couplings = decay ** distance.astype(float)
    np.fill_diagonal(couplings, 0.0)
    return couplings


def _pair_law(couplings):
    def law(X):
        s, c = np.sin(X), np.cos(X)
        return s * (c @ couplings) - c * (s @ couplings)

    return law


def _learned_residuum(couplings, block_size, interaction_length=1, samples=800, sweeps=6):
    d = couplings.shape[0]
    rng = np.random.default_rng(7)
    law = _pair_law(couplings)
    X, X_test = rng.uniform(-np.pi, np.pi, (samples, d)), rng.uniform(-np.pi, np.pi, (4000, d))
    learner = Learner(
        **(preset("dipoles") | dict(block_size=block_size, interaction_length=interaction_length, sweeps=sweeps))
    )
    fitted = learner.fit(X, law(X), domain=np.tile([-np.pi, np.pi], (d, 1)))
    return fitted.residuum(X_test, law(X_test))


def test_interface_value_is_the_truncation_of_cosines_and_sines_stacked():
    rng = np.random.default_rng(0)
    rows, alpha = rng.standard_normal((6, 9)), rng.uniform(0.1, 1.0, 6)
    weighted = np.sqrt(alpha)[:, None] * rows
    stacked = np.block([[weighted, np.zeros_like(weighted)], [np.zeros_like(weighted), weighted]])
    sigma = np.linalg.svd(stacked, compute_uv=False)
    for rank in range(6):
        value, _ = capacity._interface(rows, alpha, rank)
        assert value == pytest.approx(0.25 * np.sum(sigma[rank:] ** 2), rel=1e-12)


def test_interface_gradient_is_a_supergradient_of_the_concave_value():
    rng = np.random.default_rng(1)
    rows = rng.standard_normal((5, 8))
    alpha = rng.uniform(0.1, 1.0, 5)
    value, grad = capacity._interface(rows, alpha, 3)
    for _ in range(20):
        other = rng.uniform(0.0, 1.0, 5)
        assert capacity._interface(rows, other, 3)[0] <= value + grad @ (other - alpha) + 1e-12


def test_couplings_inside_the_windows_cost_no_channels():
    couplings = make_system("dipoles", modes=12).couplings()
    distance = np.abs(np.subtract.outer(np.arange(12), np.arange(12)))
    couplings[distance > 2] = 0.0
    assert pair_coupling_bound(couplings, 2, 1, iterations=5) == 0.0


def test_an_exponential_tail_takes_exactly_two_channels():
    """One decaying exponential needs a cosine and a sine sum: rho=2 is exact, rho=1 is bounded away from it."""
    couplings = _exponential_couplings(16, 0.5)
    assert pair_coupling_bound(couplings, 1, 2, iterations=20) < 1e-12
    assert _learned_residuum(couplings, 2, sweeps=10) < 1e-10
    bound = pair_coupling_bound(couplings, 1, 1, iterations=100)
    assert bound > 0.3
    assert _learned_residuum(couplings, 1) >= bound


@pytest.mark.slow
@pytest.mark.parametrize("block_size", [2, 3, 5])
def test_no_learned_dipole_law_beats_the_bound(block_size):
    couplings = make_system("dipoles", modes=16).couplings()
    bound = pair_coupling_bound(couplings, 1, block_size, iterations=100)
    assert 1e-4 < bound < _learned_residuum(couplings, block_size)


def test_rho3_cannot_reach_the_dipole_targets_of_windows_3_and_7():
    """docs/algorithms.md A8 quotes 1.5e-3 (window 3) and 1.7e-4 (window 7) for rho=3; no such law exists at d=50."""
    couplings = make_system("dipoles", modes=50).couplings()
    assert pair_coupling_bound(couplings, 1, 3, iterations=50) > 2e-3
    assert pair_coupling_bound(couplings, 3, 3, iterations=50) > 2e-4
    assert pair_coupling_bound(couplings, 1, 5, iterations=50) < 8e-4


def test_bound_rejects_bad_couplings():
    with pytest.raises(ValueError, match="finite"):
        pair_coupling_bound(np.full((3, 3), np.nan), 1, 3)
    with pytest.raises(ValueError, match="all zero"):
        pair_coupling_bound(np.eye(4), 1, 3)
