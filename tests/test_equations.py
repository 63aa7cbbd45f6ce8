"""The learned law as equations: exact references (dense coefficient tensors, the FPUT coefficients)."""

import json

import numpy as np
import pytest

from explorer.cli import main
from explorer.dictionaries import make_dictionary
from explorer.learning.equations import equations, format_equations, window_coefficients
from explorer.learning.law import SelfSimilarLaw
from explorer.learning.learner import Learner
from explorer.learning.window import law_from_window_coefficients
from explorer.systems import make_system
from explorer.tt.structure import BlockStructure


def _random_law(modes=6, lint=1, seed=3):
    dictionary = make_dictionary("legendre", 3)
    structure = BlockStructure(dictionary.degrees, modes, 2, range(4))
    return SelfSimilarLaw.random(structure, dictionary, lint, seed=seed)


def _monomial_terms(row) -> dict:
    return {tuple(zip(t.modes, t.indices, strict=True)): t.coefficient for t in row.terms}


def _true_fput_terms(system, k) -> dict:
    tensor = system.window_coefficients(k)
    modes = range(max(0, k - 1), min(system.modes, k + 2))
    out = {}
    for idx in zip(*np.nonzero(tensor), strict=True):
        key = tuple((m, int(i)) for m, i in zip(modes, idx, strict=True) if i > 0)
        out[key] = tensor[idx]
    return out


def test_window_coefficients_are_entries_of_the_dense_tensor():
    law = _random_law()
    for k in range(law.modes):
        dense = law.equation_tt(k).to_dense()
        modes, tensor = window_coefficients(law, k, radius=1)
        index = [0] * law.modes
        for idx in np.ndindex(tensor.shape):
            for m, i in zip(modes, idx, strict=True):
                index[m] = i
            assert tensor[idx] == pytest.approx(dense[tuple(index)], abs=1e-12)
            for m in modes:
                index[m] = 0


def test_total_and_unreported_norms_match_the_dense_tensor():
    law = _random_law()
    rows = equations(law, threshold=0.0, basis="dictionary", radius=1)
    for row in rows:
        dense = law.equation_tt(row.equation).to_dense()
        outside = dense.copy()
        outside[tuple(slice(None) if m in row.modes else 0 for m in range(law.modes))] = 0.0
        assert row.total_norm == pytest.approx(np.linalg.norm(dense), rel=1e-12)
        assert row.unreported_norm == pytest.approx(np.linalg.norm(outside), rel=1e-9)


@pytest.mark.parametrize("dictionary", ["legendre", "monomial"])
def test_exact_disordered_fput_law_prints_its_true_monomial_coefficients(dictionary):
    system = make_system("fput-disordered", modes=7, seed=5)
    law = system.exact_law(make_dictionary(dictionary, 3, system.domain))
    for row in law.equations(threshold=1e-9):
        got, want = _monomial_terms(row), _true_fput_terms(system, row.equation)
        assert got.keys() == want.keys()
        assert max(abs(got[key] - want[key]) for key in want) < 1e-12
        assert row.unreported_norm < 1e-12


def test_learned_fput_law_has_the_true_coefficients_to_1e_8():
    system = make_system("fput", modes=20)
    X, Y = system.sample(700, seed=2)
    law = Learner(sweeps=2, stagnation=0.0).fit(X, Y, domain=system.domain)
    for row in law.equations(threshold=1e-8):
        got, want = _monomial_terms(row), _true_fput_terms(system, row.equation)
        assert got.keys() == want.keys()
        assert max(abs(got[key] - want[key]) for key in want) < 1e-8


def test_trigonometric_terms_are_named_by_their_functions():
    dictionary = make_dictionary("trigonometric")
    structure = BlockStructure(dictionary.degrees, 3, 3, [2])
    coefficients = []
    for k in range(3):
        width = len(range(max(0, k - 1), min(3, k + 2)))
        tensor = np.zeros((3,) * width)
        if k == 1:
            tensor[1, 2, 0] = 0.5
        coefficients.append(tensor)
    law = law_from_window_coefficients(structure, dictionary, 1, coefficients)
    text = format_equations(law, law.equations(), order=2)
    assert text.splitlines()[1] == "x2'' = 0.5 sin(x1) cos(x2)"
    with pytest.raises(ValueError, match="basis"):
        law.equations(basis="monomial")


def test_bad_threshold_is_rejected():
    with pytest.raises(ValueError, match="threshold"):
        equations(_random_law(), threshold=-1.0)


def test_cli_learn_equations(capsys):
    code = main(
        ["learn", "--system", "fput", "--modes", "6", "--samples", "300", "--test-samples", "1000",
         "--sweeps", "1", "--equations", "--json"]
    )
    assert code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert "x2'' = 1 x1 - 2 x2 + 1 x3 + 0.7 x1^3" in "\n".join(lines)
    equations_text = [line for line in lines if line.startswith("x")]
    assert equations_text[0].startswith("x1'' = - 2 x1 + 1 x2 ")
    assert equations_text[-1].startswith("x6'' = 1 x5 - 2 x6 ")
    out = json.loads(lines[-1])
    assert out["equations"][0]["terms"][0] == {"modes": [0], "indices": [1], "coefficient": pytest.approx(-2.0)}
