"""Sampling plans (mcloss.laws.plans): samplers, exact factors, plan statistics, config errors, claims."""

import math

import numpy as np
import pandas as pd
import pytest
import scipy.stats
import yaml

from common import GAN, ROOT, SCHEMA, assert_one_line_error, first_problem
from mcloss.errors import ConfigError
from mcloss.estimands import build
from mcloss.estimands.base import TermStats
from mcloss.evidence.efficiency import efficiency_table
from mcloss.judge import plan_claims
from mcloss.judge.claim_rules import LEVEL, Evidence, power_to_exclude_one, replicates_for_power
from mcloss.judge.verdicts import CONVERGES, ELSEWHERE, SLOWER
from mcloss.laws.inversion import AntitheticSampler, MarkovAntitheticSampler, SobolSampler, inversion
from mcloss.laws.plan_exact import quantity_variances, term_factors
from mcloss.laws.plans import Planned, check_plans, plan
from mcloss.laws.streams import (
    BernoulliSampler,
    CategoricalSampler,
    IIDSampler,
    MarkovSampler,
    MixtureSampler,
    class_index,
    stream_rng,
)
from mcloss.maths.grid import power_of_two_grid
from mcloss.simulate.engine import simulate

MSE = {"estimand": "gaussian_nll", "data": {"dist": "norm", "loc": 1.0, "scale": 2.0},
       "model": {"mean": 0.5, "sigma": 1.5}}
BCE = {"estimand": "binary_cross_entropy", "labels": {"p": 0.3}, "model": {"p": 0.6}}
GAMMA = scipy.stats.gamma(2.0, scale=0.5)


def wrapped(sampler, cls):
    return cls(inversion(sampler, "s", "k"), sampler)


def chunks(draw, sizes):
    parts = [draw(k) for k in sizes]
    if isinstance(parts[0], tuple):
        return tuple(np.concatenate(p) for p in zip(*parts))
    return np.concatenate(parts)


# --- samplers -----------------------------------------------------------------------
@pytest.mark.parametrize("cls", [AntitheticSampler, SobolSampler])
@pytest.mark.parametrize("dist", [scipy.stats.norm(1.0, 2.0), GAMMA])
def test_continuous_draws_follow_the_law(cls, dist):
    x = wrapped(IIDSampler(dist), cls).start(stream_rng(1, 2, 0, 0))(1 << 14)
    # Antithetic: each member of the pairs separately (the pair is dependent by design); Sobol: the whole
    # net (a subsequence such as every other point is not uniform).
    for part in ((x[0::2], x[1::2]) if cls is AntitheticSampler else (x,)):
        assert scipy.stats.kstest(part, dist.cdf).pvalue > 1e-3


@pytest.mark.parametrize("cls", [AntitheticSampler, SobolSampler])
def test_discrete_and_mixture_draws_follow_the_law(cls):
    rng = stream_rng(1, 2, 0, 0)
    labels = wrapped(CategoricalSampler((0.5, 0.3, 0.2)), cls).start(rng)(30000)
    counts = np.bincount(labels, minlength=3)
    assert scipy.stats.chisquare(counts, 30000 * np.array([0.5, 0.3, 0.2])).pvalue > 1e-3
    y = wrapped(BernoulliSampler(0.3), cls).start(rng)(30000)
    assert abs(y.mean() - 0.3) < 4 * math.sqrt(0.21 / 30000)
    mixture = MixtureSampler(0.25, scipy.stats.norm(0, 1), scipy.stats.norm(1, 1))
    label, value = wrapped(mixture, cls).start(rng)(1 << 14)
    assert abs(label.mean() - 0.25) < 4 * math.sqrt(0.25 * 0.75 / label.size)
    part = value[0::2] if cls is AntitheticSampler else value
    assert scipy.stats.kstest(part, mixture.marginal().cdf).pvalue > 1e-3


def test_antithetic_pairs_are_exact_mirror_images():
    x = wrapped(IIDSampler(scipy.stats.norm(0.0, 1.0)), AntitheticSampler).start(stream_rng(1, 2, 0, 0))(4096)
    np.testing.assert_array_equal(x[1::2], -x[0::2])      # ppf(u) = -isf(u) for the standard normal
    g = wrapped(IIDSampler(GAMMA), AntitheticSampler).start(stream_rng(1, 2, 0, 1))(4096)
    np.testing.assert_allclose(GAMMA.cdf(g[0::2]) + GAMMA.cdf(g[1::2]), 1.0, atol=1e-12)
    y = wrapped(BernoulliSampler(0.3), AntitheticSampler).start(stream_rng(1, 2, 0, 2))(4096)
    assert not np.any(y[0::2] + y[1::2] == 2.0)            # u < 0.3 and 1 - u < 0.3 never both


@pytest.mark.parametrize("cls", [AntitheticSampler, SobolSampler])
@pytest.mark.parametrize("sampler", [IIDSampler(GAMMA), CategoricalSampler((0.5, 0.3, 0.2)),
                                     MixtureSampler(0.5, scipy.stats.norm(0, 1), scipy.stats.norm(1, 1))])
def test_chunking_does_not_change_the_numbers(cls, sampler):
    s = wrapped(sampler, cls)
    whole = s.start(stream_rng(1, 2, 0, 0))(64)
    split = chunks(s.start(stream_rng(1, 2, 0, 0)), [3, 5, 1, 7, 16, 32])
    for a, b in zip(*(((whole,), (split,)) if not isinstance(whole, tuple) else (whole, split))):
        np.testing.assert_array_equal(a, b)


def test_scrambles_are_independent_across_replicates():
    s = wrapped(IIDSampler(scipy.stats.uniform()), SobolSampler)
    first = np.array([s.start(stream_rng(1, 2, 0, r))(4)[0] for r in range(2000)])
    assert scipy.stats.kstest(first, "uniform").pvalue > 1e-3
    assert abs(np.corrcoef(first[:-1], first[1:])[0, 1]) < 4 / math.sqrt(first.size)
    # Each replicate's own points are balanced: 2^k points hit every interval [j/2^k, (j+1)/2^k) once.
    points = s.start(stream_rng(1, 2, 0, 7))(256)
    np.testing.assert_array_equal(np.sort(np.floor(points * 256)), np.arange(256))


@pytest.mark.parametrize("sampling", ["iid", "antithetic", "sobol", "control_variate"])
def test_a_replicate_is_the_same_whatever_block_it_is_computed_in(sampling):
    estimand = build({**GAN, "sampling": sampling}, "s")
    n = power_of_two_grid(2, 1 << 12, 2)
    whole = simulate(estimand, n, range(0, 6), 5, 9, chunk_size=1 << 8)
    part = simulate(estimand, n, range(3, 6), 5, 9, chunk_size=1 << 8)
    for q in whole.estimate:
        np.testing.assert_array_equal(whole.estimate[q][3:], part.estimate[q])
        np.testing.assert_array_equal(whole.se[q][3:], part.se[q])


def test_iid_is_the_estimand_itself():
    estimand = build(GAN, "s")
    assert not isinstance(estimand, Planned) and plan(estimand) == "iid"
    assert type(build({**GAN, "sampling": "iid"}, "s")) is type(estimand)


# --- exact factors --------------------------------------------------------------------
def test_factors_match_the_normal_closed_forms():
    # f = (y - m)^2, y ~ N(mu, s^2), d = mu - m: antithetic 2 s^2 / (s^2 + 2 d^2), control y: s^2 / (s^2 + 2 d^2).
    for mean in (0.5, 1.0, -2.0):
        spec = {**MSE, "model": {"mean": mean, "sigma": 1.5}}
        d, s2 = 1.0 - mean, 4.0
        f = term_factors(build(spec, "s"))["sq"]
        assert f["antithetic"] == pytest.approx(2 * s2 / (s2 + 2 * d * d), rel=1e-10)
        assert f["control_variate"] == pytest.approx(s2 / (s2 + 2 * d * d), rel=1e-10)
        assert f["variance"] == pytest.approx(2 * s2 * s2 + 4 * s2 * d * d, rel=1e-10)


def test_bernoulli_factors_match_the_closed_form():
    # Labels (u < p) and (1 - u < p): correlation -p / (1 - p) for p < 1/2; a linear loss is the control itself.
    f = term_factors(build(BCE, "s"))
    label_term = next(iter(f.values()))
    assert label_term["antithetic"] == pytest.approx(1 - 0.3 / 0.7, rel=1e-12)
    assert label_term["control_variate"] == pytest.approx(0.0, abs=1e-12)


def test_iid_delta_method_reproduces_the_estimands_own_variances():
    for spec in (GAN, MSE, BCE, {"estimand": "cross_entropy", "labels": {"probs": [0.5, 0.3, 0.2]},
                                 "model": {"probs": [0.25, 0.25, 0.5]}, "label_smoothing": 0.1}):
        estimand = build(spec, "s")
        own = estimand.asymptotic_variance()
        mine = quantity_variances(estimand, ("iid",))
        for q, v in own.items():
            if math.isfinite(v):
                # 1e-7: central differences at n = 2^40 through log C(n, k) (bce_binomial) lose a few digits.
                assert mine[q]["iid"] == pytest.approx(v, rel=1e-7), q


@pytest.mark.parametrize("spec", [GAN, MSE, {**MSE, "model": {"mean": 1.0, "sigma": 1.5}}])
@pytest.mark.parametrize("sampling", ["antithetic", "control_variate"])
def test_measured_variance_agrees_with_the_exact_plan_variance(spec, sampling):
    estimand = build({**spec, "sampling": sampling}, "s")
    q = estimand.quantities[0].name
    exact = estimand.asymptotic_variance()[q]
    n = np.array([1 << 12])
    sim = simulate(estimand, n, range(300), 11, 13, chunk_size=1 << 12)
    x = sim.estimate[q][:, 0]
    v = n[0] * x.var(ddof=1)
    mcse = v * math.sqrt(2.0 / (x.size - 1))
    assert abs(v - exact) <= 4 * mcse, (v, exact, mcse)
    # The per-replicate SE of the plan (pair means / regression residuals) estimates the same variance.
    assert np.mean(n[0] * sim.se[q][:, 0] ** 2) == pytest.approx(exact, rel=0.05)


def test_exact_bce_is_accurate_enough_to_measure_a_1e_minus_7_rmse():
    # An independent route: Gauss-Hermite quadrature (no QUADPACK, no splitting) at two orders.
    estimand = build(GAN, "s")
    exact = estimand.exact()["bce"]
    values = []
    for order in (200, 300):
        z, w = np.polynomial.hermite_e.hermegauss(order)
        w = w / math.sqrt(2 * math.pi)
        real = w @ estimand.log_d(z.copy())
        fake = w @ estimand.log_1md(z + 1.0)
        values.append(-(real + fake) / 2)
    assert abs(values[0] - values[1]) < 1e-12
    assert abs(exact - values[1]) < 1e-10


# --- plan statistics --------------------------------------------------------------------
def stats_of(x):
    x = np.asarray(x, dtype=np.float64)
    return TermStats(count=np.array([x.size]), mean=np.array([x.mean()]), m2=np.array([((x - x.mean()) ** 2).sum()]))


def test_control_variate_statistics_are_the_regression_estimate():
    rng = np.random.default_rng(3)
    y = rng.normal(1.0, 2.0, 1000)
    estimand = build({**MSE, "sampling": "control_variate"}, "s")
    terms = estimand.terms("data", y)
    own = estimand.own_stats({k: stats_of(v) for k, v in terms.items()})
    c = y - 1.0
    for t in ("sq", "nll"):
        f = terms[t]
        beta = np.cov(f, c)[0, 1] / c.var(ddof=1)
        assert own[t].mean[0] == pytest.approx(f.mean() - beta * c.mean(), rel=1e-12)
        assert own[t].m2[0] == pytest.approx(((f - beta * c - (f - beta * c).mean()) ** 2).sum(), rel=1e-10)


def test_antithetic_statistics_use_the_pair_means():
    estimand = build({**MSE, "sampling": "antithetic"}, "s")
    y = estimand.streams[0].sampler.start(stream_rng(1, 2, 0, 0))(1000)
    terms = estimand.terms("data", y)
    own = estimand.own_stats({k: stats_of(v) for k, v in terms.items()})
    pairs = 0.5 * (terms["sq"][0::2] + terms["sq"][1::2])
    assert own["sq"].var[0] / own["sq"].count[0] == pytest.approx(pairs.var(ddof=1) / pairs.size, rel=1e-12)
    assert own["sq"].mean[0] == pytest.approx(terms["sq"].mean(), rel=1e-14)


def test_sobol_reports_no_per_replicate_interval():
    estimand = build({**GAN, "sampling": "sobol"}, "s")
    sim = simulate(estimand, np.array([64, 128]), range(2), 1, 2)
    assert np.isnan(sim.se["bce"]).all() and np.isfinite(sim.estimate["bce"]).all()


# --- grid and config errors ------------------------------------------------------------------
def test_power_of_two_grid():
    np.testing.assert_array_equal(power_of_two_grid(1, 1000), [1, 2, 4, 8, 16, 32, 64, 128, 256, 512])
    np.testing.assert_array_equal(power_of_two_grid(3, 64, 4), [4, 8, 16, 32, 64])
    with pytest.raises(ValueError):
        power_of_two_grid(5, 7)


def config_with(spec, **top):
    return {"seed": 1, "replicates": 4, "batch_sizes": {"min": 1, "max": 1000, "per_decade": 4},
            "scenarios": {"x": spec}, **top}


def test_a_bad_plan_is_one_line_naming_the_key():
    assert_one_line_error(first_problem(config_with({**GAN, "sampling": "qmc"})), "scenarios.x.sampling",
                          "sobol")
    with pytest.raises(ConfigError) as err:
        build({**GAN, "sampling": "qmc"}, "scenarios.x")
    assert_one_line_error(str(err.value), "scenarios.x.sampling", "antithetic")


MARKOV = {"estimand": "binary_cross_entropy", "labels": {"markov": {"stay1": 0.9, "stay0": 0.8}},
          "model": {"p": 0.6}}


def test_markov_streams_refuse_sobol_in_one_line():
    assert_one_line_error(first_problem(config_with({**MARKOV, "sampling": "sobol"})), "scenarios.x.sampling",
                          "antithetic")


def sequential_chain(u, stay1, stay0, p):
    x, previous = np.empty(u.size), None
    for t, ut in enumerate(u):
        threshold = p if previous is None else (stay1 if previous == 1.0 else 1.0 - stay0)
        previous = float(ut < threshold)
        x[t] = previous
    return x


@pytest.mark.parametrize("stay1, stay0", [(0.9, 0.8), (0.1, 0.3), (1.0, 1.0), (0.5, 0.5)])
def test_markov_antithetic_pairs_are_two_chains_driven_by_u_and_1_minus_u(stay1, stay0):
    chain = MarkovSampler(stay1, stay0)
    draw = MarkovAntitheticSampler(chain).start(stream_rng(1, 2, 0, 0))
    x = chunks(draw, [3, 500, 1, 496])
    u = stream_rng(1, 2, 0, 0).random(500)
    np.testing.assert_array_equal(x[0::2], sequential_chain(u, stay1, stay0, chain.stationary_p))
    np.testing.assert_array_equal(x[1::2], sequential_chain(1.0 - u, stay1, stay0, chain.stationary_p))


@pytest.mark.parametrize("sampling", ["antithetic", "control_variate"])
def test_markov_labels_under_a_plan_keep_their_limit(sampling):
    estimand = build({**MARKOV, "sampling": sampling}, "s")
    sim = simulate(estimand, np.array([1 << 14]), range(40), 3, 4)
    x = sim.estimate["mle_p"][:, 0]
    assert abs(x.mean() - 2 / 3) <= 4 * x.std(ddof=1) / math.sqrt(x.size)
    assert math.isnan(estimand.asymptotic_variance()["mle_p"])   # no 1-d quadrature for a chain


def test_plans_check_the_chunk_size_and_the_grid():
    anti = {"x": build({**GAN, "sampling": "antithetic"}, "scenarios.x")}
    with pytest.raises(ConfigError) as err:
        check_plans(anti, 1001, lambda name: {"min": 1, "max": 100})
    assert_one_line_error(str(err.value), "chunk_size", "even")
    check_plans(anti, 1000, lambda name: {"min": 1, "max": 100})
    sobol = {"x": build({**GAN, "sampling": "sobol"}, "scenarios.x")}
    with pytest.raises(ConfigError) as err:
        check_plans(sobol, 1000, lambda name: {"min": 5, "max": 7})
    assert_one_line_error(str(err.value), "batch_sizes", "power of two")


def test_sampling_is_sweepable_with_a_categorical_x():
    config = config_with(GAN, sweeps={"plans": {"scenario": "x", "vary": {"sampling": ["iid", "sobol"]}}})
    assert first_problem(config) is None
    from mcloss.pipeline import sweeps

    found, estimands = sweeps.check(config)
    assert [p.name for p in found["plans"].points] == ["plans__sampling=iid", "plans__sampling=sobol"]
    assert plan(estimands["plans__sampling=sobol"]) == "sobol"


# --- efficiency and claims ------------------------------------------------------------------
def summary_rows(scenario, quantity, ns, rmse, emp_se=None, rel=0.1):
    emp_se = rmse if emp_se is None else emp_se
    return pd.DataFrame({"scenario": scenario, "quantity": quantity, "n": ns, "replicates": 100, "rmse": rmse,
                         "rmse_mcse": np.asarray(rmse) * rel / 2, "emp_se": emp_se,
                         "emp_se_mcse": np.asarray(emp_se) * rel / 2, "coverage": np.nan})


def test_efficiency_is_relative_to_the_iid_point():
    ns = np.array([100, 1000])
    summaries = {"s__sampling=iid": summary_rows("s__sampling=iid", "q", ns, [0.1, 0.0316]),
                 "s__sampling=sobol": summary_rows("s__sampling=sobol", "q", ns, [0.01, 0.0001])}
    timings = {"s__sampling=iid": pd.DataFrame({"cpu_seconds": [1.0, 1.0]}),
               "s__sampling=sobol": pd.DataFrame({"cpu_seconds": [2.0, 2.0]})}
    points = [{"scenario": name, "values": {"sampling": name.split("=")[1]}} for name in summaries]
    table = efficiency_table(summaries, timings, points, "s", "base")
    row = table[(table.sampling == "sobol") & (table.n == 1000)].iloc[0]
    assert row.relative_efficiency == pytest.approx(0.0316**2 * 1.0 / (0.0001**2 * 2.0))
    assert row.seconds == pytest.approx(2.0)
    iid = table[table.sampling == "iid"]
    assert (iid.relative_efficiency == 1.0).all() and (iid.relative_efficiency_mcse == 0.0).all()
    # MCSE by the delta method: the relative MCSEs of the two MSEs add in quadrature (times have none here).
    assert row.relative_efficiency_mcse == pytest.approx(row.relative_efficiency * math.hypot(0.1, 0.1))


def plan_evidence(ratio_anti, exact_anti, slope=(-1.1, -1.0), replicates=100, iid_variance=1.0, verdicts=None,
                  var_finite=True):
    """iid, anti and sobol points; anti's n Var is ratio_anti times iid's, on ``replicates`` replicates each."""
    n = np.array([1000, 10000])
    base = 1e-2 / np.sqrt(n)
    summary = pd.concat([
        summary_rows("iid", "q", n, base),
        summary_rows("anti", "q", n, base * math.sqrt(ratio_anti)),
        summary_rows("sobol", "q", n, base / n**0.5),
    ], ignore_index=True).assign(replicates=replicates)
    verdicts = {"iid": CONVERGES, "anti": CONVERGES, "sobol": CONVERGES, **(verdicts or {})}
    conv = pd.DataFrame([{"scenario": s, "quantity": "q", "exact": 1.0, "estimate": 1.0, "estimate_mcse": 1e-4,
                          "ci_low": 0.9998, "ci_high": 1.0002, "z_score": 0.0, "n_max": 10000, "replicates": replicates,
                          "slope": -1.05 if s == "sobol" else -0.5, "slope_ci_low": slope[0] if s == "sobol" else -0.55,
                          "slope_ci_high": slope[1] if s == "sobol" else -0.45, "fit_min_n": 100,
                          "verdict": verdicts[s], "reason": "synthetic", "mean_finite": True, "var_finite": var_finite}
                         for s in ("iid", "anti", "sobol")])
    empty = pd.DataFrame(columns=["scenario"])
    return Evidence(summary=summary, convergence=conv, identities=empty, exact_checks=empty, iid=empty,
                    variances={"iid": {"q": iid_variance}, "anti": {"q": exact_anti * iid_variance},
                               "sobol": {"q": float("nan")}})


FACTOR_CASES = {
    # (measured ratio, exact factor, keywords of plan_evidence): verdict
    "agrees": ((0.5, 0.5, {"replicates": 200}), "holds"),
    "excludes the exact factor": ((0.5, 0.9, {}), "refuted"),
    "a loss where theory says a gain": ((1.2, 0.5, {}), "refuted"),
    "no exact factor": ((0.5, float("nan"), {}), "inconclusive"),
    "too few replicates to tell 0.45 from 1": ((0.7, 0.45, {"replicates": 20}), "inconclusive"),
    "within the band, interval contains 1": ((0.9, 0.889, {}), "holds"),
    "infinite iid variance": ((0.5, 0.5, {"iid_variance": float("inf")}), "premise not met"),
    "slower than n^-1/2": ((0.5, 0.5, {"verdicts": {"iid": SLOWER}}), "premise not met"),
}


@pytest.mark.parametrize("case", FACTOR_CASES)
def test_factor_claims_reach_each_word(case):
    (ratio, exact, kw), word = FACTOR_CASES[case]
    row = plan_claims.antithetic_factor(plan_evidence(ratio, exact, **kw), ["iid", "anti"])
    assert row["verdict"] == word, row["detail"]
    assert bool(row["settle"]) == (word == "inconclusive")
    if word in ("holds", "refuted"):
        # The headline is the measured ratio with its F interval (one pair: at LEVEL), printed in the detail.
        r = kw.get("replicates", 100)
        q = scipy.stats.f.ppf(1 - (1 - LEVEL) / 2, r - 1, r - 1)
        assert row["estimate"] == pytest.approx(ratio) and row["exact"] == pytest.approx(exact)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((ratio / q, ratio * q), rel=1e-9)
        assert f"[{ratio / q:.4g}, {ratio * q:.4g}]" in row["detail"]
        assert f"{100 * LEVEL:g}% interval" in row["detail"]
    if case.startswith("too few"):
        needed = replicates_for_power(0.45)
        assert f"R >= {needed:.0f}" in row["settle"] and needed > 20
        again = plan_claims.antithetic_factor(plan_evidence(0.45, 0.45, replicates=int(needed)), ["iid", "anti"])
        assert again["verdict"] == "holds" and "excludes 1" in again["detail"]


def test_a_constant_factor_rule_fails_the_cases(monkeypatch):
    for word in ("holds", "refuted", "inconclusive"):
        monkeypatch.setattr(plan_claims, "ratio_verdict", lambda exact, measured, word=word: (word, "x"))
        wrong = [case for case, ((ratio, exact, kw), expected) in FACTOR_CASES.items()
                 if plan_claims.antithetic_factor(plan_evidence(ratio, exact, **kw), ["iid", "anti"])["verdict"]
                 != expected]
        assert wrong, word


def test_several_pairs_hold_together_at_the_claims_level():
    ev = plan_evidence(0.5, 0.5)
    row = plan_claims.control_variate_factor(ev, ["iid", "anti", "iid", "anti"])
    each = 1 - (1 - LEVEL) / 2                       # two pairs: each at 1 - (1 - LEVEL) / 2 (Bonferroni)
    q = scipy.stats.f.ppf(1 - (1 - each) / 2, 99, 99)
    assert row["verdict"] == "holds" and row["ci_high"] == pytest.approx(0.5 * q, rel=1e-9)
    assert f"{100 * each:g}% interval" in row["detail"] and row["scenarios"] == "anti: holds; anti: holds"


def test_power_the_default_config_buys():
    # The R per point with which a factor of 1/2 or 2 is told from 1 with probability 0.99: from F quantiles.
    for pairs in (1, 2):
        level, needed = plan_claims.pair_level(pairs), plan_claims.replicates_needed(pairs)
        for factor in (0.5, 2.0):
            assert power_to_exclude_one(factor, needed, needed, level) >= 0.99
        assert min(power_to_exclude_one(f, needed - 1, needed - 1, level) for f in (0.5, 2.0)) < 0.99
    assert plan_claims.replicates_needed(2) > 100     # the old default (100 per point) was short
    # Every (iid, plan) point the default claims read runs at least that many replicates.
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    defaults = yaml.safe_load(open(SCHEMA))["properties"]["claims"]["properties"]
    for claim_id in ("antithetic-factor", "control-variate-factor", "antithetic-negative-control"):
        points = config.get("claims", {}).get(claim_id, defaults[claim_id]["default"])
        needed = plan_claims.replicates_needed(len(points) // 2)
        for point in points:
            sweep = config["sweeps"][point.split("__")[0]]
            assert sweep.get("replicates", config["replicates"]) >= needed, (claim_id, point)


@pytest.mark.parametrize("ratio, exact, kw, word", [
    (2.0, 2.0, {"replicates": 200}, "holds"),
    (0.5, 2.0, {}, "refuted"),                      # the data show a gain
    (0.5, 0.5, {}, "premise not met"),              # the exact factor promises a gain: no negative control
    (1.4, 2.0, {"replicates": 20}, "inconclusive"),   # contains 1 and 2: too few replicates
])
def test_negative_control_reaches_each_word(ratio, exact, kw, word):
    row = plan_claims.antithetic_negative_control(plan_evidence(ratio, exact, **kw), ["iid", "anti"])
    assert row["verdict"] == word, row["detail"]


@pytest.mark.parametrize("slope, kw, word", [
    ((-1.1, -1.0), {}, "holds"),
    ((-0.7, -0.6), {}, "refuted"),                  # the whole CI slower than n^-0.9
    ((-1.0, -0.8), {}, "inconclusive"),             # straddles -0.9
    ((-1.1, -1.0), {"verdicts": {"sobol": ELSEWHERE}}, "refuted"),
    ((-1.1, -1.0), {"var_finite": False}, "premise not met"),
])
def test_rqmc_rate_reaches_each_word(slope, kw, word):
    row = plan_claims.rqmc_rate(plan_evidence(1.0, 1.0, slope=slope, **kw), ["sobol", "iid"])
    assert row["verdict"] == word, row["detail"]
    assert "RMSE iid / sobol" in row["detail"] and bool(row["settle"]) == (word == "inconclusive")


def test_a_control_needs_a_finite_mean():
    spec = {**GAN, "data": {"dist": "cauchy", "loc": 0.0, "scale": 1.0}, "sampling": "control_variate"}
    assert_one_line_error(first_problem(config_with(spec)), "scenarios.x.sampling", "finite mean")
    # Antithetic pairs need no control: the Cauchy scenario runs, and has no lim n Var where iid has none.
    variances = build({**spec, "sampling": "antithetic"}, "s").asymptotic_variance()
    assert math.isnan(variances["bce"]) and math.isfinite(variances["e_fake"])


def test_the_exact_curve_of_a_sweep_with_sampling_as_a_series_key():
    from mcloss.pipeline import sweeps

    frame, skipped = sweeps.exact_curve(GAN, "generator.loc", [0.0, 1.0],
                                        [{"sampling": "iid"}, {"sampling": "sobol"}])
    assert not skipped
    bce = frame[frame.quantity == "bce"].pivot(index="generator.loc", columns="sampling", values="exact")
    np.testing.assert_array_equal(bce["iid"], bce["sobol"])   # a plan changes how, not what, is estimated


@pytest.mark.parametrize("classes", [1, 2, 3, 9, 10, 40])
def test_class_index_is_searchsorted_right(classes):
    # Both sides of the few-boundaries switch (8), with u exactly on every boundary, 0 and just below 1.
    cdf = np.cumsum(np.full(classes, 1.0 / classes))[:-1]
    u = np.concatenate([np.random.default_rng(9).random(10_000), cdf, np.nextafter(cdf, 0.0), [0.0, 1 - 2**-53]])
    expected = np.searchsorted(cdf, u, side="right")
    got = class_index(cdf, u)
    assert got.dtype == expected.dtype and np.array_equal(got, expected)
    if classes > 1:
        assert not np.array_equal(class_index(cdf, u), np.searchsorted(cdf, u, side="left"))


def _markov_draw_as_lists(chain, rng):
    """MarkovSampler's draw as first written, with Python lists of runs: the reference for its numbers."""
    leave = {1.0: 1.0 - chain.stay1, 0.0: 1.0 - chain.stay0}
    first = 1.0 if rng.random() < chain.stationary_p else 0.0
    state = {"label": first, "left": chain._run(rng, leave[first], 1)[0]}

    def draw(k):
        labels, lengths = [state["label"]], [min(state["left"], k)]
        covered, label = lengths[0], state["label"]
        while covered < k:
            mean = 1.0 / max(min(leave.values()), 1e-12)
            count = int(min(max(16, 2 * (k - covered) / mean + 16), 4 * k + 16))
            other = 1.0 - label
            runs = np.empty(count)
            runs[0::2] = chain._run(rng, leave[other], runs[0::2].size)
            runs[1::2] = chain._run(rng, leave[label], runs[1::2].size)
            states = np.where(np.arange(count) % 2 == 0, other, label)
            ends = covered + np.cumsum(runs)
            stop = int(np.searchsorted(ends, k))
            labels.extend(states[: stop + 1].tolist())
            lengths.extend(runs[: stop + 1].tolist())
            if stop < count:
                label, covered, state["left"] = states[stop], k, ends[stop] - k
            else:
                label, covered, state["left"] = states[-1], ends[-1], 0.0
        if len(lengths) == 1:
            state["left"] -= k
        else:
            lengths[-1] -= state["left"]
        state["label"] = label
        return np.repeat(np.asarray(labels), np.asarray(lengths, dtype=np.int64))

    return draw


# (0.999, 0.5) and (0.5, 0.999): runs of very different lengths, so that one draw of 100,000 labels takes two
# batches of runs and a batch can end short of the draw (both branches of the loop).
@pytest.mark.parametrize("stay1, stay0", [(0.9, 0.8), (0.1, 0.3), (1.0, 1.0), (0.5, 0.5), (0.999, 0.998),
                                          (0.999, 0.5), (0.5, 0.999)])
def test_markov_draws_keep_the_numbers_of_the_list_version(stay1, stay0):
    chain, sizes = MarkovSampler(stay1, stay0), [1, 3, 500, 1, 65536, 7, 4096, 0, 100_000]
    got = chunks(chain.start(stream_rng(1, 2, 0, 0)), sizes)
    expected = chunks(_markov_draw_as_lists(chain, stream_rng(1, 2, 0, 0)), sizes)
    assert got.dtype == expected.dtype and np.array_equal(got, expected)
    assert got.size == sum(sizes)
