"""The per-quantity verdict rules (mcloss.judge.verdicts), the tails that feed them (mcloss.maths.tails) and the
tables built from them (mcloss.judge.findings): every branch from small synthetic evidence, each with an input
that flips it."""

import math

import numpy as np
import pandas as pd
import pytest
import scipy.integrate
import scipy.stats

from common import GAN
from mcloss.estimands import build
from mcloss.judge import findings
from mcloss.judge import verdicts as v
from mcloss.judge.convergence import convergence_table
from mcloss.laws.streams import scenario_key
from mcloss.maths import tails
from mcloss.maths.exact import expectation
from mcloss.maths.grid import batch_grid
from mcloss.outputs import pages
from mcloss.simulate.engine import simulate

T3_QUADRATIC = {**GAN, "data": {"dist": "t", "df": 3.0, "loc": 0.0, "scale": 1.0},
                "discriminator": {"logit": [0.5, 0.5, -0.3]}}


def evidence(**overrides):
    """A convergence-table row of a quantity that converges at n^-1/2; overrides make it something else."""
    row = {"exact": 1.0, "estimate": 1.0002, "estimate_mcse": 1e-4, "n_max": 10**6, "max_emp_se": 0.1,
           "slope": -0.5, "slope_ci_low": -0.52, "slope_ci_high": -0.48, "iqr_slope": -0.5,
           "iqr_slope_ci_low": -0.53, "iqr_slope_ci_high": -0.47, "median": 1.0, "iqr": 0.01,
           "mean_finite": True, "var_finite": True, "expected_slope": -0.5, "declared_bias": 0.0,
           "limit_kind": "", "limit_reason": "", "tails_reason": "bounded terms", "unresolved": ""}
    row.update(overrides)
    return row


def verdict(**overrides):
    return v.judge_quantity(evidence(**overrides)).verdict


# --- converges at n^-1/2 --------------------------------------------------------
def test_finite_variance_converges_and_flips_when_the_estimate_is_off():
    assert verdict() == v.CONVERGES
    assert verdict(estimate=1.0005) == v.INCONCLUSIVE                    # 5 MCSE from the limit


def test_a_rate_faster_than_theory_is_accepted_a_slower_one_is_not():
    assert verdict(slope=-1.0, slope_ci_low=-1.05, slope_ci_high=-0.95) == v.CONVERGES
    assert verdict(slope=-0.2, slope_ci_low=-0.25, slope_ci_high=-0.15) == v.INCONCLUSIVE


def test_a_declared_bias_is_what_the_estimate_is_judged_against():
    # min_bce at p = 1/2: E H(p_hat) = log 2 - 1/(2n); at n = 1e4 the bias is 50 MCSE.
    row = dict(exact=math.log(2), estimate=math.log(2) - 5e-5, estimate_mcse=1e-6, n_max=10**4,
               slope=-1.0, slope_ci_low=-1.03, slope_ci_high=-0.97)
    assert verdict(**row) == v.INCONCLUSIVE
    assert verdict(**row, declared_bias=-0.5 / 10**4) == v.CONVERGES
    assert "declared bias" in v.judge_quantity(evidence(**row, declared_bias=-5e-5)).reason


# --- degenerate -----------------------------------------------------------------
def test_zero_spread_at_the_limit_is_degenerate_and_rounding_is_not_enough_off_it():
    exact = -math.log(4.0)
    assert verdict(exact=exact, estimate=exact + 2e-16, estimate_mcse=1e-17, max_emp_se=1e-16) == v.DEGENERATE
    assert verdict(exact=exact, estimate=exact + 1e-9, estimate_mcse=1e-17, max_emp_se=1e-16) != v.DEGENERATE
    assert verdict(exact=exact, estimate=exact, estimate_mcse=1e-17, max_emp_se=1e-3) != v.DEGENERATE


# --- no limit -------------------------------------------------------------------
def test_infinite_mean_is_no_limit_only_if_the_iqr_does_not_shrink():
    row = dict(exact=float("nan"), mean_finite=False, var_finite=False, tails_reason="term tail index 1")
    assert verdict(**row, iqr_slope=0.02, iqr_slope_ci_low=-0.1, iqr_slope_ci_high=0.15) == v.NO_LIMIT
    assert verdict(**row, iqr_slope=-0.5, iqr_slope_ci_low=-0.55, iqr_slope_ci_high=-0.45) == v.INCONCLUSIVE


def test_declared_limits_need_a_spread_that_does_not_shrink():
    for kind in (v.RANDOM_LIMIT, v.NO_LIMIT):
        row = dict(exact=float("nan"), limit_kind=kind, limit_reason="by construction")
        assert verdict(**row, slope=0.0, slope_ci_low=-0.01, slope_ci_high=0.01, iqr_slope=0.5,
                       iqr_slope_ci_low=0.45, iqr_slope_ci_high=0.55) == kind
        assert verdict(**row, slope=-0.5, slope_ci_low=-0.55, slope_ci_high=-0.45, iqr_slope=-0.5,
                       iqr_slope_ci_low=-0.55, iqr_slope_ci_high=-0.45) == v.INCONCLUSIVE


# --- slower than n^-1/2 ---------------------------------------------------------
def test_infinite_variance_converges_slower_and_flips_on_rate_and_location():
    row = dict(var_finite=False, expected_slope=-1 / 3, iqr_slope=-0.33, iqr_slope_ci_low=-0.4,
               iqr_slope_ci_high=-0.26, median=1.01, iqr=0.05)
    assert verdict(**row) == v.SLOWER
    assert verdict(**{**row, "iqr_slope_ci_low": -0.1, "iqr_slope_ci_high": 0.1}) == v.INCONCLUSIVE   # no rate
    assert verdict(**{**row, "median": 1.2}) == v.INCONCLUSIVE                                        # 4 IQR off
    # A tail index near 1 expects a nearly flat IQR: a flat one must still not pass as converging.
    near_one = {**row, "expected_slope": -0.05, "iqr_slope": 0.0, "iqr_slope_ci_low": -0.1}
    assert verdict(**{**near_one, "iqr_slope_ci_high": 0.08}) == v.INCONCLUSIVE
    assert verdict(**{**near_one, "iqr_slope_ci_high": -0.01}) == v.SLOWER
    reason = v.judge_quantity(evidence(**row)).reason
    assert "no CI, z or coverage" in reason and "z =" not in reason


def test_unresolved_tails_or_exact_value_are_inconclusive():
    assert verdict(mean_finite=None, var_finite=None) == v.INCONCLUSIVE
    assert verdict(exact=float("nan"), unresolved="quadrature did not converge") == v.INCONCLUSIVE


def test_claim_status_maps_the_vocabulary():
    assert v.claim_status([v.CONVERGES, v.SLOWER, v.DEGENERATE]) == "holds"
    assert v.claim_status([v.CONVERGES, v.NO_LIMIT]) == "refuted"
    assert v.claim_status([v.CONVERGES, v.RANDOM_LIMIT]) == "refuted"
    assert v.claim_status([v.CONVERGES, v.INCONCLUSIVE]) == "inconclusive"
    assert v.claim_status([]) == "inconclusive"


# --- tails ----------------------------------------------------------------------
@pytest.mark.parametrize("law, side, alpha", [
    (scipy.stats.t(3.0), "left", 3.0), (scipy.stats.cauchy(), "right", 1.0), (scipy.stats.norm(), "left", math.inf),
    (scipy.stats.pareto(2.5), "right", 2.5), (scipy.stats.pareto(2.5), "left", math.inf),
    (scipy.stats.gamma(2.0), "right", math.inf)])
def test_tail_index_of_known_families(law, side, alpha):
    assert tails.tail_index(law, side) == alpha


def test_numeric_tail_index_of_an_unlisted_power_law():
    # The noncentral t is not in the table: its tail index df comes from the slope of log sf.
    assert tails.tail_index(scipy.stats.nct(2.5, 0.5), "right") == pytest.approx(2.5, rel=0.05)
    assert tails.tail_index(scipy.stats.genexpon(1.0, 2.0, 3.0), "right") == math.inf


def gan(data, logit):
    return build({**GAN, "data": data, "discriminator": {"logit": logit}}, "s")


def test_t3_with_a_quadratic_logit_has_finite_mean_infinite_variance_and_slope_minus_a_third():
    report = tails.reports(build(T3_QUADRATIC, "s"))["bce"]
    assert report.mean_finite is True and report.var_finite is False
    assert report.term_index == pytest.approx(1.5) and report.expected_slope == pytest.approx(-1 / 3)
    # The same data with a linear logit: |log D| ~ |x|, index 3: a variance exists.
    linear = tails.reports(gan({"dist": "t", "df": 3.0}, [-0.5, 1.5]))["bce"]
    assert linear.var_finite is True and linear.expected_slope == -0.5


def test_t105_has_a_finite_mean_and_cauchy_does_not():
    assert tails.reports(gan({"dist": "t", "df": 1.05}, [-0.5, 1.5]))["bce"].mean_finite is True
    assert tails.reports(gan({"dist": "cauchy"}, [-0.5, 1.5]))["bce"].mean_finite is False
    # A logit bounded on the heavy side only: log D -> 0 where t -> +inf, so a right-heavy law is harmless.
    assert tails.reports(gan({"dist": "pareto", "b": 0.8}, [-0.5, 1.5]))["e_real"].mean_finite is True


def test_unknown_growth_falls_back_on_the_tail_integral():
    optimal = build({**GAN, "data": {"dist": "cauchy"}, "discriminator": "optimal"}, "s")
    report = tails.reports(optimal)["e_real"]
    # log D* = log p - log(p + g) -> 0 in the Cauchy tails (g is lighter): every moment finite.
    assert report.mean_finite is True and report.var_finite is True
    heavy = tails.analyse((tails.TermTail(scipy.stats.cauchy(), None, None, np.abs),))
    assert heavy.mean_finite is False
    unknown = tails.analyse((tails.TermTail(scipy.stats.cauchy(), None, None, None),))
    assert unknown.mean_finite is None and "not declared" in unknown.reason


def test_gaussian_nll_on_t3_targets_converges_slower():
    nll = build({"estimand": "gaussian_nll", "data": {"dist": "t", "df": 3.0}, "model": {"mean": 0.5, "sigma": 1.5}},
                "s")
    report = tails.reports(nll)["mse"]
    assert report.var_finite is False and report.expected_slope == pytest.approx(-1 / 3)


def test_t3_quadratic_exact_value_matches_an_independent_computation():
    estimand = build(T3_QUADRATIC, "s")
    data = scipy.stats.t(3.0)
    # scipy's own expect() over the t law, and x = sqrt(3) tan(theta), under which the t(3) density is
    # (2 / pi) cos^2(theta) d theta on (-pi/2, pi/2) and the integrand stays bounded (log D ~ -0.9 tan^2).
    log_d = lambda x: -np.logaddexp(0.0, -(0.5 + 0.5 * x - 0.3 * x * x))  # noqa: E731
    by_expect = data.expect(log_d, epsabs=1e-13, epsrel=1e-12, limit=500)
    by_angle = scipy.integrate.quad(lambda th: log_d(math.sqrt(3.0) * math.tan(th)) * math.cos(th) ** 2 * 2 / math.pi,
                                    -math.pi / 2, math.pi / 2, limit=500, epsabs=1e-14, epsrel=1e-13)[0]
    e_real = estimand.exact()["e_real"]
    assert e_real == pytest.approx(by_expect, abs=1e-9) and e_real == pytest.approx(by_angle, abs=1e-9)
    assert math.isfinite(estimand.exact()["bce"])


def test_t105_finite_mean_is_a_number_not_nan():
    value = expectation(lambda x: np.sqrt(np.abs(x)), scipy.stats.t(1.05))
    reference = scipy.stats.t(1.05).expect(lambda x: np.sqrt(abs(x)))
    assert value == pytest.approx(1.3576201677913984, abs=1e-9) and value == pytest.approx(reference, abs=1e-9)
    assert math.isnan(expectation(np.abs, scipy.stats.t(0.9)))


def test_estimands_declare_biases_and_limits():
    half = build({"estimand": "binary_cross_entropy", "labels": {"p": 0.5}, "model": {"p": 0.6}}, "s")
    assert half.bias_per_n() == {"min_bce": -0.5}
    ce = build({"estimand": "cross_entropy", "labels": {"probs": [0.2, 0.3, 0.5]},
                "model": {"probs": [0.3, 0.3, 0.4]}}, "s")
    assert ce.bias_per_n() == {"entropy": -1.0, "kl": 1.0}
    frozen = build({"estimand": "binary_cross_entropy", "labels": {"markov": {"stay1": 1.0, "stay0": 1.0}},
                    "model": {"p": 0.6}}, "s")
    notes = frozen.limit_notes()
    assert notes["mle_p"][0] == v.RANDOM_LIMIT and "min_bce" not in notes
    assert frozen.exact()["min_bce"] == 0.0 and math.isnan(frozen.exact()["mle_p"])


# --- from a simulation to the table ---------------------------------------------
def convergence(name, spec, replicates, n_max, seed=5):
    estimand = build(spec, name)
    key = scenario_key(name)
    sim = simulate(estimand, batch_grid(1, n_max, 6, estimand.batch_unit), range(replicates), seed, key)
    analysis = tails.quantity_analysis(estimand)
    return convergence_table(name, sim, estimand.quantities, estimand.exact(), 100, 200, seed, key,
                                       analysis, estimand.name)


def test_t3_quadratic_simulation_is_slower_with_no_interval():
    table = convergence("t3", T3_QUADRATIC, 50, 10_000).set_index("quantity")
    assert table.loc["bce", "verdict"] == v.SLOWER, table.loc["bce", "reason"]
    assert table.loc[["bce", "e_real", "value"], ["ci_low", "ci_high", "z_score", "coverage"]].isna().all().all()
    assert table.loc["e_fake", "verdict"] == v.CONVERGES and np.isfinite(table.loc["e_fake", "ci_low"])


def test_labels_at_one_half_converge_with_the_declared_bias():
    spec = {"estimand": "binary_cross_entropy", "labels": {"p": 0.5}, "model": {"p": 0.6}}
    table = convergence("half", spec, 200, 100_000).set_index("quantity")
    assert (table.verdict == v.CONVERGES).all(), table.reason.to_dict()
    assert table.loc["min_bce", "declared_bias"] == pytest.approx(-0.5 / table.loc["min_bce", "n_max"])


def test_verdict_table_has_the_promised_columns_and_a_summary_without_claims():
    table = findings.verdict_table(convergence("t3", T3_QUADRATIC, 20, 1000))
    assert list(table.columns) == v.COLUMNS
    assert table.loc[table.quantity == "bce", "estimate_mcse"].isna().all()
    claims = pd.DataFrame({"claim_id": ["gan-limit-pz"], "verdict": ["not run"], "evidence_kind": ["simulation"],
                           "scenario": ["gan_latent"]})
    page = pages.summary_page(table, claims, 1, 20, {"t3": [("paths", "figures/t3/paths.png")]})
    assert "every claim is `not run`" in page and "figures/t3/paths.png" in page
    assert f"| {v.SLOWER} | {int((table.verdict == v.SLOWER).sum())} |" in page


@pytest.mark.parametrize("law", [scipy.stats.t(1.5), scipy.stats.t(2.5), scipy.stats.pareto(1.5),
                                 scipy.stats.pareto(2.5), scipy.stats.lomax(3.5), scipy.stats.invgamma(1.5),
                                 scipy.stats.cauchy(), scipy.stats.fisk(1.5), scipy.stats.genpareto(0.4),
                                 scipy.stats.f(3, 5), scipy.stats.betaprime(2, 1.5)])
def test_table_tail_indices_agree_with_scipys_closed_form_mean_and_variance(law):
    # scipy's stats('mv') (closed forms; its numerical moment() is not reliable in heavy tails: pareto(2.5)
    # gets a negative third moment) is finite iff the index exceeds 1 (mean) and 2 (variance).
    alpha = min(tails.tail_index(law, "left"), tails.tail_index(law, "right"))
    with np.errstate(all="ignore"):
        mean, var = (float(x) for x in law.stats("mv"))
    assert math.isfinite(mean) == (alpha > 1) and math.isfinite(var) == (alpha > 2), (law.dist.name, alpha)


def test_undeclared_quantities_fall_back_on_the_exact_values():
    class Plain(type(build({"estimand": "binary_cross_entropy", "labels": {"p": 0.3}, "model": {"p": 0.6}}, "s"))):
        def term_tails(self):
            return {}

    report = tails.reports(Plain({"estimand": "binary_cross_entropy", "labels": {"p": 0.3}, "model": {"p": 0.6}},
                                 "s"))["bce"]
    assert report.mean_finite is True and report.var_finite is True and "no term tails declared" in report.reason
