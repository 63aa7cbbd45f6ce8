"""The versioned law file (validated loading, refusing edited or damaged files) and simulating a law."""

import io
import json

import numpy as np
import pytest

from explorer.dictionaries import LegendreDictionary
from explorer.learning import SelfSimilarLaw
from explorer.learning.lawfile import FORMAT_VERSION, LawFileError, law_from_bytes
from explorer.learning.simulation import compare, deviation
from explorer.systems import make_system


def _law(d=6):
    system = make_system("fput", modes=d)
    law = system.exact_law(LegendreDictionary(3, (-1.5, 1.5)))
    law.order = 2
    law.provenance = {"source": {"file": "train.npz", "sha256": "ab" * 32}, "training": {"derivative": "fd6"}}
    law.history.append({"sweep": 1, "train_residuum": 1e-9})
    return system, law


def _arrays(content: bytes) -> dict:
    with np.load(io.BytesIO(content), allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def _rewrite(arrays: dict) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _with_metadata(arrays: dict, **changes) -> bytes:
    meta = json.loads(str(arrays["metadata"]))
    meta.update(changes)
    return _rewrite({**arrays, "metadata": np.array(json.dumps(meta))})


def test_law_file_roundtrip_is_self_describing(tmp_path):
    _, law = _law()
    law.save(tmp_path / "law.npz")
    loaded = SelfSimilarLaw.load(tmp_path / "law.npz")
    X = np.random.default_rng(0).uniform(-1, 1, (20, 6))
    np.testing.assert_array_equal(loaded.predict(X), law.predict(X))
    assert loaded.order == 2 and loaded.history == law.history
    assert loaded.provenance["source"]["sha256"] == "ab" * 32
    meta = json.loads(str(_arrays(law.to_bytes())["metadata"]))
    assert meta["format_version"] == FORMAT_VERSION and meta["package_version"]
    assert meta["dictionary"] == {"name": "legendre", "degree": 3, "domain": [-1.5, 1.5]}
    assert meta["block_sizes"][1] == [[0, 1], [1, 1], [2, 1], [3, 1]] and meta["ranks"][:3] == [1, 4, 6]


def test_edited_or_damaged_files_are_refused():
    _, law = _law()
    content = law.to_bytes()
    arrays = _arrays(content)
    key = "core_2_3"
    edited = arrays[key].copy()
    edited[edited != 0] *= 1.001
    cases = {
        "does not match the checksum": _rewrite({**arrays, key: edited}),
        "unknown format_version 2": _with_metadata(arrays, format_version=2),
        "not a tn-explorer law file": _with_metadata(arrays, format="other"),
        "the recorded block sizes or ranks do not follow": _with_metadata(arrays, ranks=[1] * 7),
        "must have shape": _rewrite({**arrays, key: arrays[key][:, :3]}),
        "contains NaN": _rewrite({**arrays, key: np.full_like(arrays[key], np.nan)}),
        "missing \\['core_2_3'\\]": _rewrite({k: v for k, v in arrays.items() if k != key}),
        "'selection_table' must be the \\(6, 6\\) table": _rewrite({**arrays, "selection_table": np.zeros((6, 6))}),
        "not a readable law file": content[: len(content) // 2],
        "metadata 'order' must be 1, 2 or null": _with_metadata(arrays, order=3),
    }
    for message, damaged in cases.items():
        with pytest.raises(LawFileError, match=f"law.npz: .*{message}"):
            law_from_bytes(damaged, "law.npz")


def test_entries_outside_the_blocks_are_refused_even_with_a_matching_checksum():
    _, law = _law()
    key = (2, 3)
    core = law.cores[key].copy()
    core[~law.structure.masks[2]] = 0.5
    law.cores[key] = core
    with pytest.raises(LawFileError, match="core_2_3 has nonzero entries outside its blocks"):
        law_from_bytes(law.to_bytes(), "law.npz")


def test_exact_law_simulates_the_system():
    system, law = _law()
    trajectory = system.trajectory(np.linspace(-0.5, 0.5, 6), 5.0, 101, v0=np.full(6, 0.1))
    simulation = law.simulate(trajectory.X[0], trajectory.t, v0=trajectory.V[0])
    assert simulation.complete
    error, first = deviation(simulation.x, trajectory.X, trajectory.t)
    assert error < 1e-8 and first is None
    np.testing.assert_allclose(simulation.v, trajectory.V, atol=1e-8)


def test_simulate_checks_its_input():
    _, law = _law()
    with pytest.raises(ValueError, match="v0 is required"):
        law.simulate(np.zeros(6), np.linspace(0, 1, 5))
    with pytest.raises(ValueError, match=r"x0 must have shape \(6,\)"):
        law.simulate(np.zeros(5), np.linspace(0, 1, 5), v0=np.zeros(6))
    law.order = None
    with pytest.raises(ValueError, match="order is unknown"):
        law.simulate(np.zeros(6), np.linspace(0, 1, 5))
    law.order, law.provenance = 2, {"learned": "lennard-jones target (seed eq. 50)"}
    with pytest.raises(ValueError, match="not the law itself"):
        law.simulate(np.zeros(6), np.linspace(0, 1, 5), v0=np.zeros(6))


def test_a_wrong_law_deviates_and_reports_when():
    system, law = _law()
    law.cores = {k: (1.2 if k[0] == 0 else 1.0) * c for k, c in law.cores.items()}  # every equation x 1.2
    from explorer.data import measure_trajectories

    data = measure_trajectories(system, 2, 0.05, 5.0, seed=0)
    result = compare(law, data)
    assert result["deviation"] > 0.05 and all(0 < t < 5 for t in result["exceeds_at"])
    assert result["velocity"] == "file"


def test_copy_keeps_order_and_provenance():
    _, law = _law()
    copy = law.copy()
    assert copy.order == 2 and copy.provenance == law.provenance and copy.provenance is not law.provenance


def test_files_from_before_format_versions_still_load_with_structural_checks():
    _, law = _law()
    arrays = {f"core_{m}_{t}": c for (m, t), c in law.cores.items()}
    structure = {**law.structure.describe()}
    structure["max_block_size"] = structure.pop("block_size")  # the key before the rename
    meta = {"structure": structure, "dictionary": law.dictionary.describe(), "interaction_length": 1,
            "history": []}
    old = _rewrite({"metadata": np.array(json.dumps(meta)), **arrays})
    loaded = law_from_bytes(old, "old.npz")
    X = np.random.default_rng(1).uniform(-1, 1, (5, 6))
    np.testing.assert_array_equal(loaded.predict(X), law.predict(X))
    assert loaded.order is None
    arrays["core_0_1"] = np.full_like(arrays["core_0_1"], np.nan)
    with pytest.raises(LawFileError, match="old.npz: core_0_1 contains NaN"):
        law_from_bytes(_rewrite({"metadata": np.array(json.dumps(meta)), **arrays}), "old.npz")
