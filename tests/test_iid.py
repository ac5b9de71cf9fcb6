"""The i.i.d. check: its statistics, its rejection rates over replicate streams, and the verdict rule."""

import math

import numpy as np
import pandas as pd
import pytest
import scipy.stats
import yaml

from common import GAN, ROOT, SCHEMA, assert_one_line_error, first_problem
from mcloss.estimands import build
from mcloss.evidence import iid
from mcloss.judge import claims
from mcloss.laws.streams import BernoulliSampler, IIDSampler, MarkovSampler, scenario_key

CONFIG = yaml.safe_load((ROOT / "config.yaml").read_text())
DEFAULTS = yaml.safe_load(open(SCHEMA))["properties"]["analysis"]["properties"]
BERNOULLI = {"estimand": "binary_cross_entropy", "labels": {"p": 0.3}, "model": {"p": 0.6}}


def markov(stay1, stay0):
    return {"estimand": "binary_cross_entropy", "labels": {"markov": {"stay1": stay1, "stay0": stay0}},
            "model": {"p": 0.6}}


def rates(specs, seed, replicates=400, samples=None):
    """The iid table of named scenarios, as rule summarise writes it."""
    rows = []
    for name, spec in specs.items():
        estimand = build(spec, f"scenarios.{name}")
        for row in iid.rejection_rates(estimand.streams, seed, scenario_key(name), replicates,
                                       samples or DEFAULTS["iid_samples"]["default"],
                                       DEFAULTS["iid_alpha"]["default"], 50, DEFAULTS["iid_lags"]["default"]):
            rows.append({"scenario": name, **row})
    return pd.DataFrame(rows).reindex(columns=iid.IID_COLUMNS)


# --- the statistics --------------------------------------------------------------------
def test_pearson_equals_scipy_chisquare_row_by_row():
    rng = np.random.default_rng(3)
    normal = scipy.stats.norm(1.0, 2.0)
    x = normal.rvs(size=(5, 3000), random_state=rng)
    stat, dof = iid.pearson(x, IIDSampler(normal).marginal(), bins=20)
    assert dof == 19
    for row, value in zip(x, stat):
        u = normal.cdf(row)
        observed = np.bincount(np.minimum((u * 20).astype(int), 19), minlength=20)
        assert value == pytest.approx(scipy.stats.chisquare(observed).statistic, rel=1e-12)
    labels = (rng.random((4, 2000)) < 0.3).astype(float)
    stat, dof = iid.pearson(labels, BernoulliSampler(0.3).marginal())
    for row, value in zip(labels, stat):
        observed = [np.sum(row == 0), np.sum(row == 1)]
        assert dof == 1 and value == pytest.approx(
            scipy.stats.chisquare(observed, [0.7 * row.size, 0.3 * row.size]).statistic, rel=1e-12)


def test_ljung_box_matches_its_definition():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 500)).cumsum(axis=1) * 0.1 + rng.standard_normal((3, 500))
    q, constant = iid.ljung_box(x, 5)
    for row, value in zip(x, q):
        c = row - row.mean()
        r = [sum(c[t] * c[t + k] for t in range(c.size - k)) / sum(c * c) for k in range(1, 6)]
        expected = c.size * (c.size + 2) * sum(rk**2 / (c.size - k) for k, rk in enumerate(r, start=1))
        assert value == pytest.approx(expected, rel=1e-12)
    assert not constant.any()
    q, constant = iid.ljung_box(np.ones((2, 100)), 3)
    assert constant.all() and np.isinf(q).all()


# --- rejection rates over all replicate streams -----------------------------------------
@pytest.mark.parametrize("spec", [BERNOULLI, {"estimand": "gaussian_nll", "data": {"dist": "gamma", "a": 2.0},
                                               "model": {"mean": 0.5, "sigma": 1.5}}])
def test_both_tests_reject_iid_streams_at_alpha_within_mcse(spec):
    table = rates({"s": spec}, seed=7)
    for row in table.itertuples():
        mcse = iid.null_mcse(row.alpha, row.replicates)
        assert not row.dependent and row.replicates == 400
        assert abs(row.gof_rate - row.alpha) <= 4 * mcse
        assert abs(row.serial_rate - row.alpha) <= 4 * mcse
        assert row.gof_ci_low <= row.gof_rate <= row.gof_ci_high


def test_chi_squared_is_size_distorted_by_dependence_as_theory_says():
    # X^2 ~ (1 + rho) / (1 - rho) chi^2_1 for a two-state chain: rho = 0.7 rejects a correct marginal ~41%.
    row = rates({"bce_markov": CONFIG["scenarios"]["bce_markov"]}, seed=8).iloc[0]
    theory = scipy.stats.chi2.sf(scipy.stats.chi2.isf(0.05, 1) * 0.3 / 1.7, 1)
    assert row.dependent and row.gof_rate_theory == pytest.approx(theory, rel=1e-12)
    assert abs(row.gof_rate - theory) <= 4 * math.sqrt(theory * (1 - theory) / row.replicates)
    assert row.serial_rate > 0.95


def test_a_frozen_chain_is_rejected_by_both_tests_on_every_stream():
    row = rates({"frozen": markov(1.0, 1.0)}, seed=9, replicates=50).iloc[0]
    assert row.gof_rate == 1.0 and row.serial_rate == 1.0 and row.constant == 50


def test_an_iid_chain_is_not_marked_dependent():
    assert not MarkovSampler(0.6, 0.4).marginal().dependent
    assert MarkovSampler(0.6, 0.5).marginal().dependent


def test_rates_are_a_function_of_the_seed_and_the_replicate_keys_only():
    spec = {"bce_markov": CONFIG["scenarios"]["bce_markov"]}
    a, b = rates(spec, seed=2, replicates=30), rates(spec, seed=2, replicates=30)
    pd.testing.assert_frame_equal(a, b)


def test_rates_do_not_depend_on_the_block_size(monkeypatch):
    spec = {"bce_markov": CONFIG["scenarios"]["bce_markov"], "bern": BERNOULLI}
    whole = rates(spec, seed=4, replicates=30, samples=1000)
    monkeypatch.setattr(iid, "BLOCK", 7)
    pd.testing.assert_frame_equal(rates(spec, seed=4, replicates=30, samples=1000), whole)


# --- the verdict rule ----------------------------------------------------------------------
def row(scenario, dependent, gof, serial, both=None, replicates=400, alpha=0.05):
    g, s = round(gof * replicates), round(serial * replicates)
    return {"scenario": scenario, "stream": "labels", "dependent": dependent, "replicates": replicates,
            "samples": 4096, "alpha": alpha, "gof_rejections": g, "gof_rate": g / replicates, "gof_ci_low": 0.0,
            "gof_ci_high": 1.0, "gof_rate_theory": np.nan, "serial_rejections": s, "serial_rate": s / replicates,
            "serial_ci_low": 0.0, "serial_ci_high": 1.0, "both_rejections": min(g, s) if both is None else both}


BRANCHES = [
    ([row("i", False, 0.05, 0.05), row("d", True, 0.41, 1.0)], "refuted"),       # misses what Ljung-Box sees
    ([row("i", False, 0.05, 0.05), row("d", True, 1.0, 1.0)], "holds"),
    ([row("i", False, 0.05, 0.05), row("d", True, 0.97, 0.99)], "holds"),        # within paired MCSE
    ([row("i", False, 0.05, 0.05), row("d", True, 0.01, 1.0)], "refuted"),       # below alpha: blind
    ([row("i", False, 0.05, 0.05), row("d", True, 0.06, 1.0)], "refuted"),       # at alpha: blind
    ([row("i", False, 0.15, 0.05), row("d", True, 1.0, 1.0)], "inconclusive"),   # control fails (chi-squared)
    ([row("i", False, 0.05, 0.15), row("d", True, 1.0, 1.0)], "inconclusive"),   # control fails (serial)
    ([row("i", False, 0.0, 0.05), row("d", True, 1.0, 1.0)], "inconclusive"),    # a test that never rejects
    ([row("i", False, 0.05, 0.05)], "premise not met"),                           # nothing dependent
    ([row("i", False, 0.05, 0.05), row("d", True, 0.3, 0.06)], "inconclusive"),  # dependence not detected
    ([row("d", True, 1.0, 1.0)], "inconclusive"),                                 # no i.i.d. control
    ([row("i", False, 0.05, 0.05, replicates=300), row("d", True, 1.0, 1.0)], "inconclusive"),   # R too small
    ([row("i", False, 0.05, 0.05, replicates=320), row("d", True, 1.0, 1.0)], "holds"),          # ...and enough
]


@pytest.mark.parametrize("rows, verdict", BRANCHES)
def test_each_branch_of_the_rule(rows, verdict):
    table = pd.DataFrame(rows)
    result = iid.judge_claim(table, ["i", "d"])
    assert result["verdict"] == verdict, result["detail"]
    assert result["rule"] == iid.RULE and bool(result["settle"]) == (verdict == "inconclusive")
    if verdict in ("holds", "refuted"):
        assert result["scenario"] == "d" and "lower bound can trigger" in result["detail"]
        assert "i: labels: i.i.d. control, at alpha" in result["scenarios"]


def test_a_constant_rule_fails_the_branches():
    # Four words among the branches: any constant verdict gets at least three kinds of them wrong.
    assert {verdict for _, verdict in BRANCHES} == {"holds", "refuted", "inconclusive", "premise not met"}


def test_the_controls_lower_bound_needs_305_replicates_at_alpha_005():
    # alpha - 4 sqrt(alpha (1 - alpha) / R) > 0 <=> R > 16 x 0.95 / 0.05 = 304.
    assert iid.min_replicates(0.05) == 305 and iid.min_replicates(0.01) == 1585
    assert not iid.lower_bound_can_trigger(0.05, 304) and iid.lower_bound_can_trigger(0.05, 305)
    table = iid.control_bounds(pd.DataFrame([row("i", False, 0.05, 0.05, replicates=r) for r in (100, 400)]))
    assert table.lower_bound_can_trigger.tolist() == [False, True]
    assert table.control_low.iloc[0] < 0 < table.control_low.iloc[1] < 0.05 < table.control_high.iloc[1]
    # The default run's i.i.d. check runs at an R that lets it trigger, on every assigned scenario.
    defaults = yaml.safe_load(open(SCHEMA))["properties"]["claims"]["properties"]["iid-check"]["default"]
    alpha = DEFAULTS["iid_alpha"]["default"]
    for name in CONFIG.get("claims", {}).get("iid-check", defaults):
        assert CONFIG["scenarios"][name].get("replicates", CONFIG["replicates"]) >= iid.min_replicates(alpha), name


def test_the_verdict_flips_with_the_chain_and_is_not_a_constant():
    # The same rule on measured rates: persistent and anti-persistent chains refute, a frozen one holds; an
    # i.i.d. chain cannot test the claim. R = 320 lets the control's lower bound trigger.
    verdicts = {}
    for name, spec in {"persistent": markov(0.9, 0.8), "anti": markov(0.2, 0.3), "frozen": markov(1.0, 1.0),
                       "independent": markov(0.6, 0.4)}.items():
        table = rates({"bern": BERNOULLI, name: spec}, seed=1, replicates=320, samples=2000)
        verdicts[name] = iid.judge_claim(table, ["bern", name])["verdict"]
    assert verdicts == {"persistent": "refuted", "anti": "refuted", "frozen": "holds",
                        "independent": "premise not met"}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_verdict_on_the_default_chain_does_not_depend_on_the_seed(seed):
    table = rates({"bce_markov": CONFIG["scenarios"]["bce_markov"], "bern": BERNOULLI}, seed=seed,
                  replicates=CONFIG["replicates"])
    ev = claims.Evidence(summary=pd.DataFrame(), convergence=pd.DataFrame(columns=["scenario"]),
                         identities=pd.DataFrame(), exact_checks=pd.DataFrame(), iid=table, variances={})
    out = claims.iid_check(ev, ["bce_markov", "bern"])
    assert out["verdict"] == "refuted", out["detail"]
    assert out["scenario"] == "bce_markov" and "Pearson misses it" in out["scenarios"]
    assert out["exact"] == 0.05 and out["ci_low"] < out["estimate"] < out["ci_high"]


@pytest.mark.parametrize("key, value, allowed", [("iid_alpha", 0.7, "<= 0.5"), ("iid_alpha", 0.0, "> 0"),
                                                 ("iid_lags", 0, ">= 1"), ("iid_samples", 10, ">= 1000")])
def test_bad_iid_settings_are_one_line_config_errors(key, value, allowed):
    config = {"scenarios": {"s": GAN}, "analysis": {key: value}}
    assert_one_line_error(first_problem(config), f"analysis.{key}", allowed)
