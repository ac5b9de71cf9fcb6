"""BCE: the 2-class cross-entropy, a binomial NLL, its minimiser and minimum, on the same draws."""

import math

import numpy as np
import pytest
import scipy.optimize
import scipy.special
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from common import assert_one_line_error, first_problem
from mcloss.estimands import build
from mcloss.laws.streams import BernoulliSampler, scenario_key, stream_rng
from mcloss.maths.exact import bernoulli_logpmf, binomial_logpmf, log_binomial_coefficient
from mcloss.maths.grid import batch_grid
from mcloss.simulate.engine import simulate

BCE = {"estimand": "binary_cross_entropy", "labels": {"p": 0.3}, "model": {"p": 0.6}}

probabilities = st.floats(1e-3, 1 - 1e-3)


def spec(p, model):
    return {"estimand": "binary_cross_entropy", "labels": {"p": p}, "model": model}


@settings(max_examples=100, deadline=None)
@given(probabilities, probabilities)
def test_exact_limits_against_scipy(p, q):
    exact = build(spec(p, {"p": q}), "s").exact()
    h, kl = scipy.stats.entropy([p, 1 - p]), scipy.stats.entropy([p, 1 - p], [q, 1 - q])
    assert exact["bce"] == pytest.approx(h + kl, abs=1e-12)
    assert exact["ce2"] == exact["bce_binomial"] == exact["bce"]
    assert exact["mle_p"] == p
    assert exact["min_bce"] == pytest.approx(float(scipy.stats.bernoulli(p).entropy()), abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(probabilities, st.floats(-40, 40))
def test_logit_model_limit_uses_sigmoid(p, t):
    exact = build(spec(p, {"logit": t}), "s").exact()
    # -log sigmoid(t) = log(1 + e^-t), -log(1 - sigmoid(t)) = log(1 + e^t).
    direct = p * np.logaddexp(0.0, -t) + (1 - p) * np.logaddexp(0.0, t)
    assert exact["bce"] == pytest.approx(direct, rel=1e-13, abs=1e-13)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10**7), st.floats(0, 1), st.one_of(probabilities, st.floats(-600, 600)))
def test_binomial_nll_identity_on_random_counts(n, fraction, model):
    """sum_i BCE_i = -log Binomial(k; n, q) + log C(n, k), to 1e-9 per sample."""
    k = math.floor(fraction * n)
    estimand = build(spec(0.5, {"p": model} if 0 < model < 1 else {"logit": model}), "s")
    got = (estimand._binomial_nll(np.float64(n), np.float64(k)) + log_binomial_coefficient(n, k)) / n
    direct = -(k * estimand.log_q + (n - k) * estimand.log_1mq) / n
    assert math.isfinite(got)
    assert abs(got - direct) <= 1e-9 * max(1.0, abs(direct))


def test_bernoulli_sampler_frequency():
    draw = BernoulliSampler(0.3).start(np.random.default_rng(4))
    y = np.concatenate([draw(40_000) for _ in range(5)])
    assert y.dtype == np.float64 and set(np.unique(y)) == {0.0, 1.0}
    assert abs(y.mean() - 0.3) <= 4 * math.sqrt(0.3 * 0.7 / y.size)


@pytest.mark.parametrize("model", [{"p": 0.6}, {"logit": -2.5}, {"logit": 30.0}])
def test_estimates_equal_direct_numpy_on_the_same_draws(model):
    estimand = build(spec(0.3, model), "s")
    grid = batch_grid(1, 5000, 8)
    key, seed = scenario_key("s"), 29
    sim = simulate(estimand, grid, range(3), seed, key, chunk_size=1024)
    t = math.log(0.6 / 0.4) if "p" in model else model["logit"]
    log_q2 = np.array([-np.logaddexp(0.0, -t), -np.logaddexp(0.0, t)])  # [log q, log(1 - q)]
    for r in range(3):
        y = (stream_rng(seed, key, 0, r).random(grid[-1]) < 0.3).astype(float)
        onehot = np.stack([y, 1 - y], axis=1)  # class 1: y = 1 with q_1 = q; class 2: y = 0 with q_2 = 1 - q
        ce2 = -(onehot * log_q2).sum(axis=1)
        for k, n in enumerate(grid):
            kk = int(y[:n].sum())
            p_hat = kk / n
            direct = ce2[:n].mean()
            for name in ("bce", "ce2", "bce_binomial"):
                assert sim.estimate[name][r, k] == pytest.approx(direct, rel=1e-12, abs=1e-12), name
            assert sim.estimate["mle_p"][r, k] == pytest.approx(p_hat, abs=1e-15)
            assert sim.estimate["min_bce"][r, k] == pytest.approx(scipy.stats.entropy([p_hat, 1 - p_hat]), abs=1e-12)
            if n >= 2:
                assert sim.se["bce"][r, k] == pytest.approx(ce2[:n].std(ddof=1) / math.sqrt(n), rel=1e-9, abs=1e-14)
                assert sim.se["mle_p"][r, k] == pytest.approx(y[:n].std(ddof=1) / math.sqrt(n), rel=1e-9, abs=1e-14)


def test_sample_mean_minimises_the_batch_bce():
    y = (stream_rng(1, 2, 0, 0).random(777) < 0.3).astype(float)

    def batch_bce(q):
        return -(y * math.log(q) + (1 - y) * math.log1p(-q)).mean()

    found = scipy.optimize.minimize_scalar(batch_bce, bounds=(1e-6, 1 - 1e-6), method="bounded",
                                           options={"xatol": 1e-10})
    assert found.x == pytest.approx(y.mean(), abs=1e-7)
    # ... and the minimum is the batch's empirical entropy H(p_hat).
    assert found.fun == pytest.approx(scipy.stats.entropy([y.mean(), 1 - y.mean()]), abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(probabilities,
       st.one_of(probabilities.map(lambda q: {"p": q}), st.floats(-600, 600).map(lambda t: {"logit": t})),
       st.integers(0, 2**31))
def test_identities_hold_on_every_batch_for_random_models(p, model, seed):
    estimand = build(spec(p, model), "s")
    sim = simulate(estimand, batch_grid(1, 3000, 4), range(2), seed, 5, chunk_size=1024)
    for ident in estimand.identities:
        dev = np.abs(sim.estimate[ident.left] - sim.estimate[ident.right])
        assert np.all(np.isfinite(dev)) and dev.max() <= ident.tolerance, ident


def test_standard_errors_match_the_spread_over_replicates():
    estimand = build(BCE, "s")
    sim = simulate(estimand, np.array([4000]), range(400), 31, 7)
    variance = estimand.asymptotic_variance()
    for q in ("bce", "mle_p", "min_bce"):
        emp = sim.estimate[q][:, 0].std(ddof=1)
        model = math.sqrt(np.mean(sim.se[q][:, 0] ** 2))
        # The SD of R = 400 replicates is known to about 1 / sqrt(2 R) = 3.5%.
        assert model == pytest.approx(emp, rel=0.15), q
        assert math.sqrt(variance[q] / 4000) == pytest.approx(emp, rel=0.15), q


@settings(max_examples=50, deadline=None)
@given(probabilities, probabilities)
def test_asymptotic_variances_against_scipy(p, q):
    variance = build(spec(p, {"p": q}), "s").asymptotic_variance()
    # The per-sample BCE takes -log q with probability p and -log(1 - q) otherwise.
    loss = scipy.stats.rv_discrete(values=([0, 1], [1 - p, p]))
    jump = math.log(q) - math.log1p(-q)
    assert variance["bce"] == pytest.approx(loss.var() * jump**2, rel=1e-9)
    assert variance["mle_p"] == pytest.approx(scipy.stats.bernoulli(p).var(), rel=1e-12)
    # Delta method: H'(p) = log((1 - p) / p).
    assert variance["min_bce"] == pytest.approx(p * (1 - p) * math.log((1 - p) / p) ** 2, rel=1e-9, abs=1e-15)


def test_exact_checks_hold_at_extreme_logits():
    for t in (-650.0, -30.0, 0.0, 30.0, 650.0):
        for check in build(spec(0.8, {"logit": t}), "s").exact_checks():
            assert abs(check.value - check.reference) <= check.tolerance, (t, check)


@pytest.mark.parametrize("mutate, key, allowed", [
    (lambda s: s["labels"].update(p=1.0), "scenarios.g.labels.p", "> 0 and < 1"),
    (lambda s: s["labels"].update(p=0.0), "scenarios.g.labels.p", "> 0 and < 1"),
    (lambda s: s["model"].update(p=1.2), "scenarios.g.model.p", "> 0 and < 1"),
    (lambda s: s["model"].update(logit=1.0), "scenarios.g.model", "exactly one of"),
    (lambda s: s.update(model={}), "scenarios.g.model", "exactly one of"),
    (lambda s: s.update(model={"logit": 1000.0}), "scenarios.g.model.logit", "<= 700"),
    (lambda s: s.update(model={"logit": "big"}), "scenarios.g.model.logit", "number"),
    (lambda s: s.update(model={"q": 0.2}), "scenarios.g.model.q", "logit, p"),
    (lambda s: s.update(labels={"probs": [0.3, 0.7]}), "scenarios.g.labels.probs", "p"),
    (lambda s: s.pop("labels"), "scenarios.g", "labels"),
])
def test_rejections_name_the_key_and_what_is_allowed(mutate, key, allowed):
    scenario = {**BCE, "labels": dict(BCE["labels"]), "model": dict(BCE["model"])}
    mutate(scenario)
    message = first_problem({"scenarios": {"g": scenario}})
    assert_one_line_error(message, key, allowed)


def test_the_log_pmfs_are_scipy_stats_own_to_the_bit():
    """binomial_logpmf and bernoulli_logpmf write out scipy.stats' formula (a simulate job then needs no
    scipy.stats): the same values bit for bit, at whole k from 0 to n, at p from the smallest subnormal to 1/2
    (the log-pmfs are always given the smaller of q, 1 - q), and at p = 0 (an underflowed sigmoid)."""
    p = np.concatenate([[0.0, 5e-324, 1e-300, 1e-17, 0.5], np.random.default_rng(0).uniform(0.0, 0.5, 200)])
    for n in (1.0, 2.0, 7.0, 1000.0, 1e6):
        k = np.floor(np.linspace(0.0, n, 9))
        kk, pp = np.meshgrid(k, p)
        assert binomial_logpmf(kk, n, pp).tobytes() == scipy.stats.binom.logpmf(kk, n, pp).tobytes()
    y = np.random.default_rng(1).integers(0, 2, p.size).astype(np.float64)
    assert bernoulli_logpmf(y, p).tobytes() == scipy.stats.bernoulli.logpmf(y, p).tobytes()
    assert bernoulli_logpmf(1.0 - y, p).tobytes() == scipy.stats.bernoulli.logpmf(1.0 - y, p).tobytes()
