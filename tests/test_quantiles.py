"""The sampler seam's fast inverse CDFs (mcloss.laws.quantiles) against the frozen laws' own ppf and isf."""

import numpy as np
import pytest
import scipy.stats

from mcloss.laws.distributions import make_distribution
from mcloss.laws.inversion import _U_MAX, _U_MIN, inversion
from mcloss.laws.quantiles import FAST_FAMILIES, quantile_functions
from mcloss.laws.streams import IIDSampler

# Both tails down to the smallest uniform a plan hands over, the middle, and a dense sweep between.
U = np.unique(np.concatenate([
    [_U_MIN, 2.0**-60, 1e-300 + _U_MIN, 1e-12, 1e-6, 0.25, 0.5 - 2**-40, 0.5, 0.5 + 2**-40, 0.75, 1 - 1e-6,
     1 - 1e-12, 1 - 2.0**-52, _U_MAX],
    np.geomspace(_U_MIN, 0.5, 300), 1.0 - np.geomspace(2.0**-53, 0.5, 300), np.linspace(0.001, 0.999, 999),
]))
LAWS = {
    "norm": {"dist": "norm", "loc": 0.3, "scale": 1.7},
    "logistic": {"dist": "logistic", "loc": -0.2, "scale": 2.5},
    "expon": {"dist": "expon", "loc": 1.0, "scale": 0.5},
    "uniform": {"dist": "uniform", "loc": -1.0, "scale": 3.0},
    "t": {"dist": "t", "df": 3.0, "loc": 0.5, "scale": 1.2},
    "cauchy": {"dist": "cauchy", "loc": 0.25, "scale": 2.0},
}
# The families written exactly as scipy 1.17 writes them give its bits; Cauchy (numpy's tan, scipy's is
# a Boost ufunc) agrees to a few ulps.
BIT_IDENTICAL = {"norm", "logistic", "expon", "uniform", "t"}


def ulps(a, b):
    """|a - b| in units of the last place of the larger magnitude (0 where both are equal)."""
    return np.where(a == b, 0.0, np.abs(a - b) / np.spacing(np.maximum(np.abs(a), np.abs(b))))


def test_every_fast_family_is_checked():
    assert set(LAWS) == set(FAST_FAMILIES)


@pytest.mark.parametrize("family", sorted(LAWS))
def test_fast_inverse_agrees_with_the_laws_ppf_and_isf_to_a_few_ulps(family):
    dist = make_distribution(LAWS[family], "law")
    ppf, isf = quantile_functions(dist)
    assert ppf is not dist.ppf and isf is not dist.isf
    fast_low, fast_high = ppf(U), isf(U)
    slow_low, slow_high = dist.ppf(U), dist.isf(U)
    assert np.all(np.isfinite(fast_low)) and np.all(np.isfinite(fast_high))
    if family in BIT_IDENTICAL:
        np.testing.assert_array_equal(fast_low, slow_low)
        np.testing.assert_array_equal(fast_high, slow_high)
    else:
        # scipy's Cauchy quantile is -scale / tan(pi P) with P = u or u - 1, whose error near the median is
        # absolute (tan near its pole): in the tails the two agree to a few ulps, in the middle to a few eps.
        scale = LAWS[family]["scale"]
        tails = (U < 0.25) | (U > 0.75)
        for fast, slow in ((fast_low, slow_low), (fast_high, slow_high)):
            assert ulps(fast, slow)[tails].max() <= 4
            assert np.abs(fast - slow)[~tails].max() <= 4 * scale * np.finfo(float).eps
    # Monotone: increasing in u, decreasing from the upper tail.
    assert np.all(np.diff(fast_low) >= 0) and np.all(np.diff(fast_high) <= 0)


def test_the_cauchy_quantile_is_within_two_ulps_of_an_extended_precision_reference():
    ppf, isf = quantile_functions(scipy.stats.cauchy(loc=0.0, scale=1.0))
    long = np.longdouble
    pi, u = 4 * np.arctan(long(1)), U.astype(long)
    reference = np.where(u < 0.25, -1 / np.tan(pi * u),
                         np.where(u > 0.75, 1 / np.tan(pi * (1 - u)), np.tan(pi * (u - long(0.5))))).astype(float)
    if np.finfo(long).eps >= np.finfo(float).eps:
        pytest.skip("no extended precision on this platform")
    assert ulps(ppf(U), reference).max() <= 2 and ulps(isf(U), -reference).max() <= 2


@pytest.mark.parametrize("spec", [{"dist": "gamma", "a": 2.0, "scale": 0.5}, {"dist": "lognorm", "s": 0.7},
                                  {"dist": "laplace", "loc": 0.0, "scale": 1.0}])
def test_other_families_fall_back_to_the_laws_own_ppf(spec):
    dist = make_distribution(spec, "law")
    ppf, isf = quantile_functions(dist)
    assert ppf == dist.ppf and isf == dist.isf


def test_positional_parameters_fall_back_too():
    dist = scipy.stats.norm(0.5, 2.0)
    ppf, isf = quantile_functions(dist)
    assert ppf == dist.ppf and isf == dist.isf


@pytest.mark.parametrize("family", sorted(BIT_IDENTICAL))
def test_the_sampler_seam_draws_the_ppf_numbers(family):
    """A stream under antithetic or Sobol' draws what ppf and isf give, bit for bit, mirrored rows included."""
    dist = make_distribution(LAWS[family], "law")
    sample = inversion(IIDSampler(dist), "x", "k").sample
    u = U[:, None]
    upper = np.arange(U.size) % 3 == 0
    np.testing.assert_array_equal(sample(u, None), dist.ppf(U))
    np.testing.assert_array_equal(sample(u, True), dist.isf(U))
    np.testing.assert_array_equal(sample(u, upper), np.where(upper, dist.isf(U), dist.ppf(U)))
