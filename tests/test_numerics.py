import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mcloss.maths.numerics import bernoulli_nll_of_logit, log1m_sigmoid, log_sigmoid, polynomial_logit, softplus


def test_log_sigmoid_is_finite_and_exact_at_extreme_logits():
    t = np.array([-1e4, 1e4])
    assert np.array_equal(log_sigmoid(t), np.array([-1e4, 0.0]))
    assert np.array_equal(log1m_sigmoid(t), np.array([0.0, -1e4]))


def test_log_sigmoid_matches_logaddexp_reference():
    t = np.linspace(-700, 700, 100_001)
    np.testing.assert_allclose(log_sigmoid(t), -np.logaddexp(0.0, -t), rtol=1e-15, atol=1e-300)
    np.testing.assert_allclose(log1m_sigmoid(t), -np.logaddexp(0.0, t), rtol=1e-15, atol=1e-300)


@settings(max_examples=200, deadline=None)
@given(st.floats(-30, 30))
def test_sigmoid_complements_sum_to_one(t):
    # D + (1 - D) = 1, each side formed from its own log.
    assert abs(np.exp(log_sigmoid(np.array([t])))[0] + np.exp(log1m_sigmoid(np.array([t])))[0] - 1.0) <= 1e-15


def test_softplus_does_not_modify_its_input():
    u = np.array([-3.0, 0.0, 2.0])
    softplus(u)
    assert np.array_equal(u, [-3.0, 0.0, 2.0])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-5, 5), min_size=1, max_size=5), st.floats(-3, 3))
def test_polynomial_logit_matches_numpy(coefficients, x):
    got = polynomial_logit(np.array([x]), coefficients)[0]
    expected = np.polynomial.polynomial.polyval(x, coefficients)
    assert abs(got - expected) <= 1e-12 * (1 + abs(expected))


def _extreme_logits():
    rng = np.random.default_rng(7)
    special = [0.0, -0.0, 1e-300, -1e-300, 36.7, -36.7, 745.0, -745.0, 1e4, -1e4, 1e308, -1e308,
               np.inf, -np.inf, np.nan]
    return np.concatenate([special, rng.normal(0.0, 5.0, 20_000), rng.standard_cauchy(5_000)])


def test_bernoulli_nll_of_logit_is_the_two_branches_bit_for_bit():
    t = _extreme_logits()
    t = np.concatenate([t, t[:15]])  # every special value in both branches
    positive = np.random.default_rng(8).random(t.size) < 0.5
    positive[:15], positive[-15:] = True, False
    with np.errstate(invalid="ignore", over="ignore"):
        expected = -np.where(positive, log_sigmoid(t), log1m_sigmoid(t))
        got = bernoulli_nll_of_logit(t.copy(), positive)
        in_place = t.copy()
        bernoulli_nll_of_logit(in_place, positive, out=in_place)
    assert got.tobytes() == expected.tobytes()
    assert in_place.tobytes() == expected.tobytes()
    # The comparison can fail: the other branch's values differ from these.
    with np.errstate(invalid="ignore", over="ignore"):
        assert bernoulli_nll_of_logit(t.copy(), ~positive).tobytes() != expected.tobytes()
