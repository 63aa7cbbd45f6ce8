"""Block structure, block-sparse TT contraction, block-preserving factorisations and storage."""

import numpy as np
import pytest

from explorer.tt import BlockSparseTT, BlockStructure
from explorer.tt.blocksparse import block_lq, block_qr
from explorer.tt.construct import pass_through_core, sparse_window_cores, window_cores


def _dense_eval(tt: BlockSparseTT, features: np.ndarray) -> np.ndarray:
    full = tt.to_dense()
    vals = []
    for n in range(features.shape[0]):
        t = full
        for l in range(features.shape[1]):
            t = np.tensordot(features[n, l, :], t, axes=([0], [0]))
        vals.append(t)
    return np.array(vals)


def test_fput_structure_block_sizes_and_rule():
    st = BlockStructure([0, 1, 2, 3], 6, 2, range(4))
    assert st.ranks == [1, 4, 6, 6, 6, 6, 4]
    assert st.label_sizes[3] == {0: 1, 1: 2, 2: 2, 3: 1}
    for l in range(6):
        for a, i, b in st.transitions(l):
            assert b.label == a.label + st.degrees[i]
        allowed = {(a.label, i, b.label) for a, i, b in st.transitions(l)}
        for a in st.label_blocks(l):
            for b in st.label_blocks(l + 1):
                for i in range(4):
                    block = st.masks[l][a.slice, i, b.slice]
                    assert block.all() == ((a.label, i, b.label) in allowed)
                    assert block.any() == block.all()


def test_trigonometric_exact_degree_two():
    st = BlockStructure([0, 1, 1], 5, 3, [2])
    assert st.label_sizes[0] == {0: 1}
    assert st.label_sizes[5] == {2: 1}
    assert st.label_sizes[2] == {0: 1, 1: 3, 2: 1}


def test_parameter_counts_sparse_dense_full():
    st = BlockStructure([0, 1, 2, 3], 10, 2, range(4))
    dense = BlockStructure([0, 1, 2, 3], 10, 2, range(4), dense=True)
    assert dense.ranks == st.ranks
    assert st.parameter_count() < st.dense_parameter_count() == dense.parameter_count()
    assert st.full_tensor_count() == 4**10


@pytest.mark.parametrize("dense", [False, True])
def test_evaluation_matches_dense_contraction(dense):
    st = BlockStructure([0, 1, 2], 5, 2, range(3), dense=dense)
    tt = BlockSparseTT.random(st, seed=3)
    tt.cores = [c * 5 for c in tt.cores]
    features = np.random.default_rng(0).standard_normal((9, 5, 3))
    np.testing.assert_allclose(tt.evaluate(features), _dense_eval(tt, features), rtol=1e-12, atol=1e-12)


def test_block_qr_and_lq_keep_pattern_and_function():
    st = BlockStructure([0, 1, 2, 3], 6, 2, range(4))
    rng = np.random.default_rng(1)
    tt = BlockSparseTT(st, [rng.standard_normal(m.shape) * m for m in st.masks])
    features = rng.standard_normal((20, 6, 4))
    before = tt.evaluate(features)
    q, r = block_qr(tt.cores[2], st, 2)
    assert np.all(q[~st.masks[2]] == 0)
    flat = q.reshape(-1, q.shape[2])
    np.testing.assert_allclose(flat.T @ flat, np.eye(q.shape[2]), atol=1e-12)
    block_diagonal = np.zeros_like(r, dtype=bool)
    for blk in st.blocks[3]:
        block_diagonal[blk.slice, blk.slice] = True
    assert np.all(r[~block_diagonal] == 0)
    np.testing.assert_allclose(np.einsum("apb,bc->apc", q, r), tt.cores[2], atol=1e-12)
    tt.left_orthogonalize()
    np.testing.assert_allclose(tt.evaluate(features), before, rtol=1e-10, atol=1e-12)
    lq, lmat = block_lq(tt.cores[3], st, 3)
    flat = lq.reshape(lq.shape[0], -1)
    np.testing.assert_allclose(flat @ flat.T, np.eye(lq.shape[0]), atol=1e-12)
    np.testing.assert_allclose(np.einsum("ab,bpc->apc", lmat, lq), tt.cores[3], atol=1e-12)


def test_tt_roundtrip_npz(tmp_path):
    st = BlockStructure([0, 1, 1], 4, 3, [2])
    tt = BlockSparseTT.random(st, seed=2)
    tt.save(tmp_path / "tt.npz")
    loaded = BlockSparseTT.load(tmp_path / "tt.npz")
    for a, b in zip(tt.cores, loaded.cores, strict=True):
        np.testing.assert_array_equal(a, b)
    assert loaded.structure.describe() == st.describe()


def test_rejects_entries_outside_pattern():
    st = BlockStructure([0, 1, 2, 3], 4, 2, range(4))
    cores = [np.ones(m.shape) for m in st.masks]
    with pytest.raises(ValueError, match="outside the block pattern"):
        BlockSparseTT(st, cores)


def test_window_cores_reproduce_polynomial_exactly():
    st = BlockStructure([0, 1, 2, 3], 3, 4, range(4))
    rng = np.random.default_rng(5)
    coeffs = rng.standard_normal((4, 4, 4))
    degree = np.add.outer(np.add.outer(np.arange(4), np.arange(4)), np.arange(4))
    coeffs[degree > 3] = 0
    tt = BlockSparseTT(st, window_cores(coeffs, st, 0))
    np.testing.assert_allclose(tt.to_dense(), coeffs, atol=1e-12)


def test_sparse_window_cores_never_form_the_full_tensor_of_a_wide_window():
    """19 modes of {1, sin, cos} with total degree 2: 3**19 entries, of which 20 are nonzero."""
    width = 19
    st = BlockStructure([0, 1, 1], width, 8, [2])
    rng = np.random.default_rng(2)
    pairs = [(0, 4), (3, 18), (7, 8), (10, 12), (2, 15)]
    indices = []
    for a, b in pairs:
        for fa in (1, 2):
            for fb in (1, 2):
                row = np.zeros(width, dtype=np.int64)
                row[[a, b]] = fa, fb
                indices.append(row)
    values = rng.standard_normal(len(indices))
    tt = BlockSparseTT(st, sparse_window_cores(np.array(indices), values, width, st, 0))
    x = rng.uniform(-np.pi, np.pi, (50, width))
    psi = np.stack([np.ones_like(x), np.sin(x), np.cos(x)], axis=-1)
    expected = sum(v * psi[:, np.arange(width), idx].prod(axis=1) for v, idx in zip(values, indices, strict=True))
    np.testing.assert_allclose(tt.evaluate(psi), expected, atol=1e-12)


def test_pass_through_is_identity_on_blocks():
    st = BlockStructure([0, 1, 2, 3], 6, 2, range(4))
    core = pass_through_core(st, 3)
    assert np.all(core[~st.masks[3]] == 0)
    np.testing.assert_array_equal(core[:, 0, :], np.eye(st.ranks[3]))
