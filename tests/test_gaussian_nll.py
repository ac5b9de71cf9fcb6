"""MSE against the Gaussian NLL: limits from two moments (checked by quadrature), the affine identity."""

import math

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from common import assert_one_line_error, first_problem
from mcloss.estimands import build
from mcloss.laws.streams import scenario_key, stream_rng
from mcloss.maths.grid import batch_grid
from mcloss.simulate.engine import simulate

NLL = {
    "estimand": "gaussian_nll",
    "data": {"dist": "norm", "loc": 1.0, "scale": 2.0},
    "model": {"mean": 0.5, "sigma": 1.5},
}

LAWS = [
    {"dist": "norm", "loc": 1.0, "scale": 2.0},
    {"dist": "gamma", "a": 2.0, "scale": 0.5},
    {"dist": "t", "df": 5.0, "loc": -1.0, "scale": 0.7},
    {"dist": "lognorm", "s": 0.6, "scale": 1.5},
    {"dist": "uniform", "loc": -2.0, "scale": 3.0},
    {"dist": "beta", "a": 2.0, "b": 3.0},
    {"dist": "laplace", "loc": 0.3, "scale": 1.2},
]


def frozen(law):
    return getattr(scipy.stats, law["dist"])(**{k: v for k, v in law.items() if k != "dist"})


@pytest.mark.parametrize("law", LAWS, ids=lambda law: law["dist"])
def test_limits_from_two_moments_equal_quadrature(law):
    """dist.mean()/var() against scipy's own expect(), and the limits against E(Y - m)^2 and E[-log N]."""
    estimand = build({**NLL, "data": law, "model": {"mean": 0.4, "sigma": 0.8}}, "s")
    dist = frozen(law)
    options = {"epsabs": 1e-12, "epsrel": 1e-12, "limit": 200}
    mean = dist.expect(lambda y: y, **options)
    var = dist.expect(lambda y: (y - mean) ** 2, **options)
    assert dist.mean() == pytest.approx(mean, rel=1e-9, abs=1e-10)
    assert dist.var() == pytest.approx(var, rel=1e-8, abs=1e-10)
    exact = estimand.exact()
    assert exact["mse"] == pytest.approx(dist.expect(lambda y: (y - 0.4) ** 2, **options), rel=1e-8)
    nll = dist.expect(lambda y: -scipy.stats.norm.logpdf(y, 0.4, 0.8), **options)
    assert exact["nll"] == pytest.approx(nll, rel=1e-8)
    assert exact["nll_from_mse"] == exact["nll"]
    for check in estimand.exact_checks():
        assert abs(check.value - check.reference) <= check.tolerance, check


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=20), st.floats(-10, 10), st.floats(1e-2, 1e2))
def test_per_sample_nll_is_minus_the_normal_log_density(y, m, sigma):
    estimand = build({**NLL, "model": {"mean": m, "sigma": sigma}}, "s")
    y = np.array(y)
    expected = -scipy.stats.norm.logpdf(y, m, sigma)
    np.testing.assert_allclose(estimand.nll(y), expected, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("law", LAWS[:2], ids=lambda law: law["dist"])
def test_estimates_equal_direct_numpy_on_the_same_draws(law):
    estimand = build({**NLL, "data": law}, "s")
    grid = batch_grid(1, 5000, 8)
    key, seed = scenario_key("s"), 41
    sim = simulate(estimand, grid, range(3), seed, key, chunk_size=1024)
    dist = frozen(law)
    for r in range(3):
        rng = stream_rng(seed, key, 0, r)
        # The sampler draws chunk by chunk; regenerate with the same chunk sizes.
        y = np.concatenate([dist.rvs(size=s, random_state=rng) for s in (1024,) * 4 + (904,)])
        sq = (y - 0.5) ** 2
        nll = -scipy.stats.norm.logpdf(y, 0.5, 1.5)
        for k, n in enumerate(grid):
            assert sim.estimate["mse"][r, k] == pytest.approx(sq[:n].mean(), rel=1e-12)
            assert sim.estimate["nll"][r, k] == pytest.approx(nll[:n].mean(), rel=1e-12)
            assert sim.estimate["nll_from_mse"][r, k] == pytest.approx(nll[:n].mean(), rel=1e-12)
            if n >= 2:
                assert sim.se["mse"][r, k] == pytest.approx(sq[:n].std(ddof=1) / math.sqrt(n), rel=1e-9)
                assert sim.se["nll"][r, k] == pytest.approx(nll[:n].std(ddof=1) / math.sqrt(n), rel=1e-9)


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(LAWS), st.floats(-5, 5), st.floats(0.05, 20), st.integers(0, 2**31))
def test_affine_identity_holds_on_every_batch(law, m, sigma, seed):
    estimand = build({**NLL, "data": law, "model": {"mean": m, "sigma": sigma}}, "s")
    sim = simulate(estimand, batch_grid(1, 3000, 4), range(2), seed, 5, chunk_size=1024)
    [ident] = estimand.identities
    dev = np.abs(sim.estimate[ident.left] - sim.estimate[ident.right])
    scale = np.maximum(1.0, np.abs(sim.estimate[ident.left]))
    assert np.all(np.isfinite(dev)) and (dev / scale).max() <= ident.tolerance


def test_standard_error_matches_the_spread_over_replicates():
    estimand = build({**NLL, "data": LAWS[1]}, "s")
    sim = simulate(estimand, np.array([4000]), range(400), 43, 8)
    variance = estimand.asymptotic_variance()
    for q in ("mse", "nll", "nll_from_mse"):
        emp = sim.estimate[q][:, 0].std(ddof=1)
        model = math.sqrt(np.mean(sim.se[q][:, 0] ** 2))
        assert model == pytest.approx(emp, rel=0.15), q
        assert math.sqrt(variance[q] / 4000) == pytest.approx(emp, rel=0.15), q


@pytest.mark.parametrize("law", LAWS, ids=lambda law: law["dist"])
def test_asymptotic_variance_against_quadrature(law):
    estimand = build({**NLL, "data": law, "model": {"mean": 0.4, "sigma": 0.8}}, "s")
    dist = frozen(law)
    options = {"epsabs": 1e-12, "epsrel": 1e-12, "limit": 200}
    fourth = dist.expect(lambda y: (y - 0.4) ** 4, **options)
    second = dist.expect(lambda y: (y - 0.4) ** 2, **options)
    variance = estimand.asymptotic_variance()
    assert variance["mse"] == pytest.approx(fourth - second**2, rel=1e-7)
    assert variance["nll"] == pytest.approx((fourth - second**2) / (4 * 0.8**4), rel=1e-7)


def test_asymptotic_variance_is_unknown_without_a_fourth_moment():
    variance = build({**NLL, "data": {"dist": "t", "df": 3.0}}, "s").asymptotic_variance()
    assert math.isnan(variance["mse"]) and math.isnan(variance["nll"])


@pytest.mark.parametrize("mutate, key, allowed", [
    (lambda s: s["model"].update(sigma=0.0), "scenarios.g.model.sigma", "> 0"),
    (lambda s: s["model"].update(sigma=-1.0), "scenarios.g.model.sigma", "> 0"),
    (lambda s: s["model"].pop("sigma"), "scenarios.g.model", "mean, sigma"),
    (lambda s: s["model"].update(mean="zero"), "scenarios.g.model.mean", "number"),
    (lambda s: s.update(data={"dist": "cauchy", "loc": 0.0, "scale": 1.0}), "scenarios.g.data", "finite variance"),
    (lambda s: s.update(data={"dist": "t", "df": 2.0}), "scenarios.g.data", "finite variance"),
    (lambda s: s.update(data={"dist": "pareto", "b": 1.5}), "scenarios.g.data", "finite variance"),
    (lambda s: s.update(data={"dist": "nrom"}), "scenarios.g.data.dist", "scipy.stats"),
    (lambda s: s.update(labels={"p": 0.3}), "scenarios.g.labels",
     "data, estimand, fit, identities, inputs, losses, model"),
])
def test_rejections_name_the_key_and_what_is_allowed(mutate, key, allowed):
    scenario = {**NLL, "data": dict(NLL["data"]), "model": dict(NLL["model"])}
    mutate(scenario)
    message = first_problem({"scenarios": {"g": scenario}})
    assert_one_line_error(message, key, allowed)
