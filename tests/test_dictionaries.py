"""Function dictionaries: orthonormality, degree maps, values and input validation."""

import numpy as np
import pytest

from explorer.dictionaries import (
    DICTIONARIES,
    Dictionary,
    LegendreDictionary,
    MonomialDictionary,
    TrigonometricDictionary,
    make_dictionary,
)


def gram_matrices(dictionary, domain, nodes=40):
    """Per-mode Gram matrices ``1/(b-a) int_a^b psi_i psi_j dx`` by Gauss-Legendre quadrature."""
    t, w = np.polynomial.legendre.leggauss(nodes)
    a, b = np.asarray(domain, dtype=float).T
    X = a + (b - a) * (t[:, None] + 1) / 2
    psi = dictionary.evaluate(X)
    return np.einsum("n,nli,nlj->lij", w / 2, psi, psi)


@pytest.mark.parametrize("domain", [[[-1.0, 1.0]], [[0.5, 3.7]], [[-4.0, -2.0], [-3.0, 0.0], [1.0, 5.0]]],
                         ids=["symmetric", "non-symmetric", "per-mode"])
def test_legendre_is_orthonormal(domain):
    dictionary = LegendreDictionary(degree=8, domain=domain if len(domain) > 1 else domain[0])
    gram = gram_matrices(dictionary, domain)
    np.testing.assert_allclose(gram, np.broadcast_to(np.eye(9), gram.shape), atol=1e-12)


def test_legendre_values():
    dictionary = LegendreDictionary(degree=3, domain=(2.0, 6.0))
    psi = dictionary.evaluate([[6.0], [4.0], [2.0]])[:, 0]
    np.testing.assert_allclose(psi[0], np.sqrt([1, 3, 5, 7]), rtol=1e-14)
    np.testing.assert_allclose(psi[1], [1, 0, -np.sqrt(5) / 2, 0], atol=1e-14)
    np.testing.assert_allclose(psi[2], np.sqrt([1, 3, 5, 7]) * [1, -1, 1, -1], rtol=1e-14)


def test_degree_maps():
    np.testing.assert_array_equal(MonomialDictionary(3).degrees, [0, 1, 2, 3])
    np.testing.assert_array_equal(LegendreDictionary(4).degrees, [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(TrigonometricDictionary().degrees, [0, 1, 1])
    assert TrigonometricDictionary().size == 3 and TrigonometricDictionary().max_degree == 1
    assert LegendreDictionary(4).size == 5 and MonomialDictionary(2).max_degree == 2
    for bad in ([0, 2, 1], [1, 2]):
        with pytest.raises(ValueError, match="nondecreasing"):
            _Identity(bad)
    with pytest.raises(TypeError, match="abstract"):
        Dictionary([0, 1])


class _Identity(Dictionary):
    def _evaluate(self, X):
        return X[:, :, None]


def test_monomial_values():
    psi = MonomialDictionary(3).evaluate([[2.0, -0.5]])
    np.testing.assert_array_equal(psi, [[[1, 2, 4, 8], [1, -0.5, 0.25, -0.125]]])


def test_trigonometric_values():
    psi = TrigonometricDictionary().evaluate([[0.0, np.pi / 2, np.pi / 6]])
    np.testing.assert_allclose(psi[0], [[1, 0, 1], [1, 1, 0], [1, 0.5, np.sqrt(3) / 2]], atol=1e-15)


def test_evaluate_shape():
    assert LegendreDictionary(5).evaluate(np.zeros((7, 4))).shape == (7, 4, 6)


def test_warning_outside_legendre_domain():
    dictionary = LegendreDictionary(3, domain=(0.0, 1.0))
    with pytest.warns(UserWarning, match="outside the Legendre domain"):
        dictionary.evaluate([[1.5]])


@pytest.mark.parametrize("name", list(DICTIONARIES))
def test_nan_and_bad_shapes_are_rejected(name):
    dictionary = make_dictionary(name)
    with pytest.raises(ValueError, match="NaN"):
        dictionary.evaluate([[0.1, np.nan]])
    with pytest.raises(ValueError, match=r"\bX\b"):
        dictionary.evaluate(np.zeros(3))


def test_bad_dictionary_arguments_are_rejected():
    with pytest.raises(ValueError, match="a < b"):
        LegendreDictionary(3, domain=(1.0, 1.0))
    with pytest.raises(ValueError, match="domain"):
        LegendreDictionary(3, domain=(0.0, 1.0, 2.0))
    with pytest.raises(ValueError, match="modes"):
        LegendreDictionary(3, domain=[[0.0, 1.0], [0.0, 1.0]]).evaluate(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="degree"):
        MonomialDictionary(-1)
    with pytest.raises(ValueError, match="degree 1"):
        TrigonometricDictionary(2)
    with pytest.raises(ValueError, match="dictionary must be one of"):
        make_dictionary("chebyshev")


def test_make_dictionary_from_description():
    original = make_dictionary("legendre", degree=4, domain=[[0.0, 1.0], [-2.0, 3.0]])
    description = original.describe()
    rebuilt = make_dictionary(**description)
    X = np.array([[0.3, 1.2], [0.9, -1.5]])
    np.testing.assert_array_equal(rebuilt.evaluate(X), original.evaluate(X))
    assert make_dictionary("monomial", degree=2).describe() == {"name": "monomial", "degree": 2}


def test_dictionaries_carry_their_own_behaviour():
    legendre, monomial, trig = LegendreDictionary(3, (0.0, 2.0)), MonomialDictionary(2), TrigonometricDictionary()
    assert legendre.feature_names() == ["P0", "P1", "P2", "P3"]
    assert monomial.feature_names() == ["x^0", "x^1", "x^2"]
    assert trig.feature_names() == ["1", "sin", "cos"]
    assert (legendre.polynomial, monomial.polynomial, trig.polynomial) == (True, True, False)
    assert trig.function_label(2, "x3") == "cos(x3)" and legendre.function_label(2, "x3") == "P2(x3)"
    assert (trig.fixed_degree, trig.default_total_degree, legendre.fixed_degree) == (1, 2, None)
    np.testing.assert_array_equal(monomial.monomial_change_of_basis(), np.eye(3))
    with pytest.raises(ValueError, match="not polynomial"):
        trig.monomial_change_of_basis()


def test_legendre_change_of_basis_writes_monomials():
    """x^j = sum_i T[j, i] psi_i(x) on the dictionary's interval (here mode 1 of two, on [1, 3])."""
    dictionary = LegendreDictionary(3, [[-1.0, 1.0], [1.0, 3.0]])
    T = dictionary.monomial_change_of_basis(1, 2)
    x = np.linspace(1.0, 3.0, 7)
    psi = dictionary.evaluate(np.column_stack([np.zeros_like(x), x]))[:, 1, :]
    np.testing.assert_allclose(psi @ T.T, x[:, None] ** np.arange(4), atol=1e-12)
    assert dictionary.interval(1) == (1.0, 3.0)


def test_build_takes_a_learners_settings():
    assert LegendreDictionary.build(2, (0.0, 1.0)).interval() == (0.0, 1.0)
    assert MonomialDictionary.build(4, (0.0, 1.0)).size == 5
    assert list(DICTIONARIES) == ["legendre", "monomial", "trigonometric"]
