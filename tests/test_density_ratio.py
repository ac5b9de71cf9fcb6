"""The optimal discriminator's closed-form logit (normal/normal) against its log-density definition."""

import numpy as np
import pytest
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st

from mcloss.estimands import build
from mcloss.laws.distributions import log_density_ratio_polynomial

finite = st.floats(min_value=-5.0, max_value=5.0)
scales = st.floats(min_value=0.1, max_value=10.0)


@given(finite, scales, finite, scales)
def test_normal_ratio_is_the_log_density_difference(m_p, s_p, m_q, s_q):
    p, q = scipy.stats.norm(m_p, s_p), scipy.stats.norm(m_q, s_q)
    c = log_density_ratio_polynomial(p, q)
    x = np.linspace(-30.0, 30.0, 241)
    reference = p.logpdf(x) - q.logpdf(x)
    closed = c[0] + c[1] * x + c[2] * x**2
    assert np.max(np.abs(closed - reference) / np.maximum(1.0, np.abs(reference))) < 1e-12


def test_equal_laws_give_a_zero_logit_to_the_bit():
    law = scipy.stats.norm(0.3, 1.7)
    assert log_density_ratio_polynomial(law, scipy.stats.norm(0.3, 1.7)) == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("p, q", [(scipy.stats.t(3), scipy.stats.t(3, loc=1.0)),
                                  (scipy.stats.norm(), scipy.stats.cauchy()),
                                  (scipy.stats.gamma(2.0), scipy.stats.norm())])
def test_other_families_keep_the_logpdf_path(p, q):
    assert log_density_ratio_polynomial(p, q) is None


def test_optimal_gan_terms_agree_with_the_logpdf_path(gan_spec):
    gan_spec["discriminator"] = "optimal"
    gan_spec["generator"] = {"dist": "norm", "loc": -0.7, "scale": 2.2}
    closed = build(gan_spec, "scenarios.g")
    assert closed.optimal_logit is not None
    x = np.random.default_rng(7).standard_normal(10_000) * 4.0
    lp, lg = closed.data.logpdf(x), closed.generator.logpdf(x)
    np.testing.assert_allclose(closed.log_d(x), lp - np.logaddexp(lp, lg), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(closed.log_1md(x), lg - np.logaddexp(lp, lg), rtol=1e-12, atol=1e-14)
