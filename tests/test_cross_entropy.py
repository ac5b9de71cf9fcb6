"""Cross-entropy with label smoothing: exact limits, the per-batch identity, the engine on the same draws."""

import math

import numpy as np
import pytest
import scipy.special
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from common import assert_one_line_error, first_problem
from mcloss.estimands import build
from mcloss.estimands.cross_entropy import log_softmax, smoothed_class_losses
from mcloss.laws.streams import CategoricalSampler, scenario_key, stream_rng
from mcloss.maths.grid import batch_grid
from mcloss.simulate.engine import simulate

CE = {
    "estimand": "cross_entropy",
    "labels": {"probs": [0.5, 0.3, 0.2]},
    "model": {"probs": [0.25, 0.25, 0.5]},
    "label_smoothing": 0.1,
}


def simplex(k_min=2, k_max=6):
    """Probability vectors with entries >= 1e-3 (strictly inside (0, 1))."""
    return st.lists(st.floats(1e-3, 1.0), min_size=k_min, max_size=k_max).map(lambda w: list(np.array(w) / sum(w)))


def spec(p, model, eps=0.0):
    return {"estimand": "cross_entropy", "labels": {"probs": list(p)}, "model": model, "label_smoothing": eps}


@settings(max_examples=100, deadline=None)
@given(simplex(), st.data(), st.floats(0.0, 0.99))
def test_exact_limits_against_scipy_entropy(p, data, eps):
    q = data.draw(simplex(len(p), len(p)))
    exact = build(spec(p, {"probs": q}, eps), "s").exact()
    p, q = np.array(p) / sum(p), np.array(q) / sum(q)
    h, kl = scipy.stats.entropy(p), scipy.stats.entropy(p, q)
    assert exact["entropy"] == pytest.approx(h, abs=1e-12)
    assert exact["kl"] == pytest.approx(kl, abs=1e-12)
    assert exact["h_pq"] == pytest.approx(h + kl, abs=1e-12)
    # Label smoothing: the cross-entropy of the smoothed target distribution, summed class by class.
    target = (1 - eps) * p + eps / len(p)
    direct = -sum(t * math.log(qk) for t, qk in zip(target, q))
    assert exact["ce"] == pytest.approx(direct, abs=1e-12)
    assert exact["ce_from_counts"] == exact["ce"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-30, 30), min_size=2, max_size=6), st.floats(0.0, 0.99))
def test_label_smoothing_losses_against_a_direct_sum_over_classes(logits, eps):
    log_q = log_softmax(logits)
    losses = smoothed_class_losses(log_q, eps)
    K = len(logits)
    q = np.exp(np.array(logits) - max(logits))
    q /= q.sum()
    for y in range(K):
        target = np.full(K, eps / K)
        target[y] += 1 - eps
        direct = -sum(target[k] * math.log(q[k]) for k in range(K))
        assert losses[y] == pytest.approx(direct, rel=1e-12, abs=1e-12)


def test_log_softmax_is_finite_for_far_apart_logits():
    log_q = log_softmax([0.0, 600.0, -90.0])
    assert np.all(np.isfinite(log_q))
    np.testing.assert_allclose(log_q, [-600.0, 0.0, -690.0], rtol=0, atol=1e-12)


def test_model_from_logits_equals_model_from_probs():
    p = [0.1, 0.2, 0.3, 0.4]
    q = np.array([0.4, 0.1, 0.25, 0.25])
    a = build(spec(p, {"probs": list(q)}, 0.2), "s").exact()
    b = build(spec(p, {"logits": list(np.log(q) + 3.0)}, 0.2), "s").exact()
    for name in a:
        assert a[name] == pytest.approx(b[name], abs=1e-14)


def test_categorical_sampler_frequencies():
    probs = (0.5, 0.3, 0.15, 0.05)
    draw = CategoricalSampler(probs).start(np.random.default_rng(3))
    y = np.concatenate([draw(50_000) for _ in range(4)])
    assert y.dtype.kind == "i" and y.min() >= 0 and y.max() <= 3
    freq = np.bincount(y, minlength=4) / y.size
    se = np.sqrt(np.array(probs) * (1 - np.array(probs)) / y.size)
    assert np.all(np.abs(freq - probs) <= 4 * se)


def regenerate_labels(estimand, seed, key, r, size):
    """Class indices of replicate r, by an inverse CDF written independently of the sampler."""
    u = stream_rng(seed, key, 0, r).random(size)
    cdf = np.cumsum(estimand.p)
    return np.minimum((u[:, None] >= cdf[None, :]).sum(axis=1), len(cdf) - 1)


def test_estimates_equal_direct_numpy_on_the_same_draws():
    estimand = build(CE, "s")
    grid = batch_grid(1, 5000, 8)
    key, seed = scenario_key("s"), 17
    sim = simulate(estimand, grid, range(3), seed, key, chunk_size=1024)
    q = np.array([0.25, 0.25, 0.5])
    for r in range(3):
        y = regenerate_labels(estimand, seed, key, r, grid[-1])
        onehot = np.eye(3)[y]
        target = 0.9 * onehot + 0.1 / 3
        per_sample = -(target * np.log(q)).sum(axis=1)
        for k, n in enumerate(grid):
            ce = per_sample[:n].mean()
            p_hat = np.bincount(y[:n], minlength=3) / n
            assert sim.estimate["ce"][r, k] == pytest.approx(ce, rel=1e-12, abs=1e-12)
            assert sim.estimate["ce_from_counts"][r, k] == pytest.approx(ce, rel=1e-12, abs=1e-12)
            assert sim.estimate["h_pq"][r, k] == pytest.approx(-(p_hat * np.log(q)).sum(), rel=1e-12, abs=1e-12)
            assert sim.estimate["entropy"][r, k] == pytest.approx(scipy.stats.entropy(p_hat), rel=1e-12, abs=1e-12)
            assert sim.estimate["kl"][r, k] == pytest.approx(scipy.stats.entropy(p_hat, q), rel=1e-12, abs=1e-12)
            if n >= 2:
                se = per_sample[:n].std(ddof=1) / math.sqrt(n)
                assert sim.se["ce"][r, k] == pytest.approx(se, rel=1e-9, abs=1e-14)
                assert sim.se["ce_from_counts"][r, k] == pytest.approx(se, rel=1e-9, abs=1e-14)


@settings(max_examples=25, deadline=None)
@given(simplex(2, 5), st.data(), st.floats(0.0, 0.9), st.integers(0, 2**31))
def test_identity_holds_on_every_batch_for_random_models(p, data, eps, seed):
    if data.draw(st.booleans()):
        model = {"logits": data.draw(st.lists(st.floats(-20, 20), min_size=len(p), max_size=len(p)))}
    else:
        model = {"probs": data.draw(simplex(len(p), len(p)))}
    estimand = build(spec(p, model, eps), "s")
    sim = simulate(estimand, batch_grid(1, 3000, 4), range(2), seed, 5, chunk_size=1024)
    for ident in estimand.identities:
        dev = np.abs(sim.estimate[ident.left] - sim.estimate[ident.right])
        assert np.all(np.isfinite(dev)) and dev.max() <= ident.tolerance


def test_delta_method_standard_errors_match_the_spread_over_replicates():
    estimand = build(CE, "s")
    n = np.array([4000])
    sim = simulate(estimand, n, range(400), 23, 6)
    variance = estimand.asymptotic_variance()
    for q in ("ce", "h_pq", "entropy", "kl"):
        emp = sim.estimate[q][:, 0].std(ddof=1)
        model = math.sqrt(np.mean(sim.se[q][:, 0] ** 2))
        # The SD of R = 400 replicates is known to about 1 / sqrt(2 R) = 3.5%.
        assert model == pytest.approx(emp, rel=0.15), q
        assert math.sqrt(variance[q] / n[0]) == pytest.approx(emp, rel=0.15), q


def test_asymptotic_variances_against_direct_sums():
    estimand = build(CE, "s")
    p, q, eps = np.array([0.5, 0.3, 0.2]), np.array([0.25, 0.25, 0.5]), 0.1
    variance = estimand.asymptotic_variance()

    def var(g):
        return sum(pk * gk**2 for pk, gk in zip(p, g)) - sum(pk * gk for pk, gk in zip(p, g)) ** 2

    loss = [-(1 - eps) * math.log(qk) - eps * np.mean(np.log(q)) for qk in q]
    assert variance["ce"] == pytest.approx(var(loss), rel=1e-12)
    assert variance["h_pq"] == pytest.approx(var(-np.log(q)), rel=1e-12)
    assert variance["entropy"] == pytest.approx(var(np.log(p)), rel=1e-12)
    assert variance["kl"] == pytest.approx(var(np.log(p / q)), rel=1e-12)


@pytest.mark.parametrize("mutate, key, allowed", [
    (lambda s: s["labels"].update(probs=[0.5, 0.6, -0.1]), "scenarios.g.labels.probs[2]", "> 0 and < 1"),
    (lambda s: s["labels"].update(probs=[0.5, 0.3, 0.3]), "scenarios.g.labels.probs", "summing to 1"),
    (lambda s: s["labels"].update(probs=[1.0]), "scenarios.g.labels.probs", "at least 2"),
    (lambda s: s["model"].update(probs=[0.5, 0.5]), "scenarios.g.model.probs", "K = 3"),
    (lambda s: s.update(model={"logits": [0.0, 1.0, 2.0, 3.0]}), "scenarios.g.model.logits", "K = 3"),
    (lambda s: s.update(model={"probs": [0.2, 0.3, 0.5], "logits": [0.0, 0.0, 0.0]}), "scenarios.g.model",
     "exactly one of"),
    (lambda s: s.update(model={}), "scenarios.g.model", "exactly one of"),
    (lambda s: s.update(model={"logits": [0.0, 800.0, 1.0]}), "scenarios.g.model.logits", "max - min <= 700"),
    (lambda s: s["model"].update(probs=[0.25, 0.25, 0.4]), "scenarios.g.model.probs", "summing to 1"),
    (lambda s: s.update(label_smoothing=1.0), "scenarios.g.label_smoothing", ">= 0 and < 1"),
    (lambda s: s.update(label_smoothing=-0.1), "scenarios.g.label_smoothing", ">= 0 and < 1"),
    (lambda s: s.update(temperature=2.0), "scenarios.g.temperature", "label_smoothing"),
    (lambda s: s["labels"].update(p=0.3), "scenarios.g.labels.p", "probs"),
])
def test_rejections_name_the_key_and_what_is_allowed(mutate, key, allowed):
    scenario = {**CE, "labels": dict(CE["labels"]), "model": dict(CE["model"])}
    mutate(scenario)
    message = first_problem({"scenarios": {"g": scenario}})
    assert_one_line_error(message, key, allowed)
