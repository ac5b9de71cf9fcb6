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
from mcloss.simulate.engine import simulate

T3_QUADRATIC = {**GAN, "data": {"dist": "t", "df": 3.0, "loc": 0.0, "scale": 1.0},
                "discriminator": {"logit": [0.5, 0.5, -0.3]}}


def evidence(**overrides):
    """A convergence-table row of a quantity that converges at n^-1/2; overrides make it something else."""
    row = {"exact": 1.0, "estimate": 1.0002, "estimate_mcse": 1e-4, "n_max": 10**6, "max_emp_se": 0.1,
           "unit": "nats", "slope": -0.5, "slope_ci_low": -0.52, "slope_ci_high": -0.48, "emp_se_slope": -0.5,
           "emp_se_slope_ci_low": -0.52, "emp_se_slope_ci_high": -0.48, "iqr_slope": -0.5,
           "iqr_slope_ci_low": -0.53, "iqr_slope_ci_high": -0.47, "median": 1.0, "iqr": 0.01,
           "n_earlier": 10**5, "estimate_earlier": 1.0002, "estimate_mcse_earlier": 10**-4 * 10**0.5,
           "median_earlier": 1.0, "iqr_earlier": 0.01 * 10**0.5,
           "mean_finite": True, "var_finite": True, "expected_slope": -0.5, "declared_bias": 0.0,
           "limit_kind": "", "limit_reason": "", "tails_reason": "bounded terms", "unresolved": ""}
    row.update(overrides)
    return row


def verdict(**overrides):
    return v.judge_quantity(evidence(**overrides)).verdict


# --- converges at n^-1/2 --------------------------------------------------------
def test_finite_variance_converges_and_flips_when_the_estimate_is_off():
    assert verdict() == v.CONVERGES
    assert verdict(estimate=1.0005) == v.ELSEWHERE                       # 5 MCSE from the limit, 1.6 before
    assert verdict(estimate=1.0005, n_earlier=float("nan")) == v.INCONCLUSIVE  # no growth to see


def test_a_rate_faster_than_theory_is_accepted_a_slower_one_is_not():
    assert verdict(slope=-1.0, slope_ci_low=-1.05, slope_ci_high=-0.95) == v.CONVERGES
    assert verdict(slope=-0.2, slope_ci_low=-0.25, slope_ci_high=-0.15) == v.INCONCLUSIVE


def test_converges_needs_a_slope_ci_that_reaches_root_n_and_excludes_a_flat_line():
    # The audit's case: slope -0.05 with CI [-0.48, 0.17] reaches -1/2 but does not exclude a flat line.
    wide = v.judge_quantity(evidence(slope=-0.05, slope_ci_low=-0.48, slope_ci_high=0.17))
    assert wide.verdict == v.INCONCLUSIVE and "flat line" in wide.reason
    # Each end flips the verdict on its own, at its threshold.
    assert verdict(slope_ci_low=-0.6, slope_ci_high=v.NO_SHRINK - 0.01) == v.CONVERGES
    assert verdict(slope_ci_low=-0.6, slope_ci_high=v.NO_SHRINK) == v.INCONCLUSIVE
    assert verdict(slope_ci_low=v.RATE_EDGE, slope_ci_high=-0.3) == v.CONVERGES
    assert verdict(slope_ci_low=v.RATE_EDGE + 0.01, slope_ci_high=-0.3) == v.INCONCLUSIVE


def test_converges_reports_the_bias_it_could_have_detected_in_the_quantitys_unit():
    row = evidence(estimate_mcse=3e-5, estimate=1.00001, unit="squared units of y")
    found = v.judge_quantity(row)
    detectable = v.Z_LIMIT * 3e-5
    assert found.verdict == v.CONVERGES
    assert f"a bias above {detectable:.2g} squared units of y would have been detected" in found.reason
    assert v.detectable_bias(v.CONVERGES, 3e-5) == pytest.approx(detectable, rel=1e-15)
    assert v.detectable_bias(v.ELSEWHERE, 3e-5) == pytest.approx(detectable, rel=1e-15)
    assert math.isnan(v.detectable_bias(v.SLOWER, 3e-5)) and math.isnan(v.detectable_bias(v.INCONCLUSIVE, 3e-5))


# --- converges elsewhere --------------------------------------------------------
def elsewhere(**overrides):
    """8 MCSE from exact at n_max, 8 / sqrt(10) at n_max / 10 (a fixed bias): a wrong limit."""
    row = dict(estimate=1.0008, estimate_earlier=1.0008, slope=-0.3, slope_ci_low=-0.4, slope_ci_high=-0.2)
    return v.judge_quantity(evidence(**{**row, **overrides}))


def test_a_fixed_bias_with_a_shrinking_spread_converges_elsewhere_with_its_distance():
    found = elsewhere()
    assert found.verdict == v.ELSEWHERE and found.slope_of == "emp_se"
    assert "8.0 MCSE" in found.reason and "estimate 1.0008" in found.reason and "exact 1" in found.reason
    assert "2.53" in found.reason                                            # z at the earlier n: 8 / sqrt(10)
    # |z| that does not grow with n (here it shrinks: an undeclared O(1/n) bias) is not a wrong limit.
    assert elsewhere(estimate_earlier=1.0 + 9 * 10**-4 * 10**0.5).verdict == v.INCONCLUSIVE
    assert elsewhere(n_earlier=float("nan")).verdict == v.INCONCLUSIVE                  # no earlier checkpoint
    # The spread (EmpSE) must shrink like n^-1/2 both ways.
    assert elsewhere(emp_se_slope_ci_high=v.NO_SHRINK).verdict == v.INCONCLUSIVE
    assert elsewhere(emp_se_slope_ci_low=v.RATE_EDGE + 0.01).verdict == v.INCONCLUSIVE
    # Within Z_LIMIT MCSE at n_max it is not elsewhere (here: inconclusive on the rate only).
    near = elsewhere(estimate=1.0 + v.Z_LIMIT * 1e-4)
    assert near.verdict == v.INCONCLUSIVE and "MCSE from exact" not in near.reason


def test_the_declared_bias_is_subtracted_at_each_n_before_comparing_z():
    # b = -0.5: exact + b/n at n = 10^3 and 10^4; the estimate is 2 MCSE off at 10^3 and 8 MCSE off at 10^4.
    b, mcse, mcse_earlier = -0.5, 1e-5, 1e-5 * 10**0.5
    row = dict(exact=0.0, n_max=10**4, n_earlier=10**3, declared_bias=b / 10**4, estimate_mcse=mcse,
               estimate=b / 10**4 + 8 * mcse, estimate_mcse_earlier=mcse_earlier,
               estimate_earlier=b / 10**3 + 2 * mcse_earlier)
    assert v.judge_quantity(evidence(**row)).verdict == v.ELSEWHERE
    # 2 MCSE is the gap to exact + b/10^3: reading it against b/10^4 instead, |z| would fall (-14.6 -> 8).
    assert v.judge_quantity(evidence(**{**row, "estimate_earlier": b / 10**4 + 9 * mcse_earlier})).verdict \
        == v.INCONCLUSIVE


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
    assert verdict(**{**row, "median": 1.2}, n_earlier=float("nan")) == v.INCONCLUSIVE                # 4 IQR off
    # A tail index near 1 expects a nearly flat IQR: a flat one must still not pass as converging.
    near_one = {**row, "expected_slope": -0.05, "iqr_slope": 0.0, "iqr_slope_ci_low": -0.1}
    assert verdict(**{**near_one, "iqr_slope_ci_high": 0.08}) == v.INCONCLUSIVE
    assert verdict(**{**near_one, "iqr_slope_ci_high": -0.01}) == v.SLOWER
    reason = v.judge_quantity(evidence(**row)).reason
    assert "no CI, z or coverage" in reason and "z =" not in reason


def test_slower_needs_the_iqr_rate_to_agree_with_theory_both_ways():
    row = dict(var_finite=False, expected_slope=-1 / 3, term_tail_index=1.5, iqr_slope=-0.33, median=1.01,
               iqr=0.05, iqr_slope_ci_low=-0.6)
    edge = -1 / 3 - v.RATE_MARGIN
    assert verdict(**row, iqr_slope_ci_high=edge + 1e-6) == v.SLOWER
    # Clearly faster than the declared tails allow: a contradiction of the premise, not a pass.
    faster = v.judge_quantity(evidence(**row, iqr_slope_ci_high=edge - 1e-6))
    assert faster.verdict == v.INCONCLUSIVE and "contradict the declared term tail index 1.5" in faster.reason
    # Slower than theory: the CI's lower end must reach expected + margin.
    slow = {**row, "iqr_slope_ci_high": -1 / 3 + v.SLOWER_EDGE - 0.01}
    assert verdict(**{**slow, "iqr_slope_ci_low": -1 / 3 + v.RATE_MARGIN - 1e-6}) == v.SLOWER
    assert verdict(**{**slow, "iqr_slope_ci_low": -1 / 3 + v.RATE_MARGIN + 1e-6}) == v.INCONCLUSIVE


def test_slower_median_away_from_exact_is_inconclusive_never_a_wrong_limit():
    # The median of a mean of skewed infinite-variance terms drifts from the mean by a multiple of the IQR.
    row = dict(var_finite=False, expected_slope=-1 / 3, iqr_slope=-0.33, iqr_slope_ci_low=-0.4,
               iqr_slope_ci_high=-0.26, median=1.2, iqr=0.05, n_earlier=10**5, iqr_earlier=0.1)
    away = v.judge_quantity(evidence(**row, median_earlier=1.2))
    assert away.verdict == v.INCONCLUSIVE and "no wrong limit is inferred" in away.reason
    assert verdict(**{**row, "median": 1.0 + 0.99 * v.IQR_LIMIT * 0.05}, median_earlier=1.0) == v.SLOWER
    assert verdict(**{**row, "median": 1.0 + 1.01 * v.IQR_LIMIT * 0.05}, median_earlier=1.0) == v.INCONCLUSIVE


def test_slower_excludes_a_flat_line_and_a_much_slower_rate():
    # The review's case: a wide CI [-0.9, -0.01] "reaches" theory's -1/3 but does not exclude a nearly flat IQR.
    row = dict(var_finite=False, expected_slope=-1 / 3, iqr_slope=-0.05, iqr_slope_ci_low=-0.9, median=1.01, iqr=0.05)
    edge = -1 / 3 + v.SLOWER_EDGE
    assert verdict(**row, iqr_slope_ci_high=-0.01) == v.INCONCLUSIVE
    assert verdict(**row, iqr_slope_ci_high=edge + 1e-6) == v.INCONCLUSIVE
    assert verdict(**row, iqr_slope_ci_high=edge - 1e-6) == v.SLOWER
    assert v.detectable_bias(v.SLOWER, float("nan"), 0.05) == pytest.approx(v.IQR_LIMIT * 0.05)


def test_unresolved_tails_or_exact_value_are_inconclusive():
    assert verdict(mean_finite=None, var_finite=None) == v.INCONCLUSIVE
    # A finite mean with an unresolved variance gets no n^-1/2 verdict (and so no MCSE, CI or z).
    unresolved = v.judge_quantity(evidence(var_finite=None))
    assert unresolved.verdict == v.INCONCLUSIVE and "E term^2 is unresolved" in unresolved.reason
    assert verdict(exact=float("nan"), unresolved="quadrature did not converge") == v.INCONCLUSIVE


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


BCE = {"estimand": "binary_cross_entropy", "labels": {"p": 0.3}, "model": {"p": 0.6}}


def shifted(spec, term, shift):
    """The estimand of ``spec`` with ``shift`` added to every per-sample ``term``: a bias the exact value lacks."""
    estimand = build(spec, "s")
    terms = estimand.terms

    def biased(stream, sample):
        out = dict(terms(stream, sample))
        out[term] = out[term] + shift
        return out

    estimand.terms = biased
    return estimand


def judged(estimand, replicates, n_min, n_max, seed=5, checks=()):
    key = scenario_key("s")
    sim = simulate(estimand, batch_grid(n_min, n_max, 6, estimand.batch_unit), range(replicates), seed, key)
    return convergence_table("s", sim, estimand.quantities, estimand.exact(), 100, 200, seed, key,
                             tails.quantity_analysis(estimand), estimand.name, checks=checks).set_index("quantity")


def test_an_injected_bias_is_a_wrong_limit_once_it_exceeds_the_detectable_bias():
    clean = judged(build(BCE, "s"), 200, 1, 100_000).loc["ce2"]
    assert clean.verdict == v.CONVERGES
    detectable = clean.detectable_bias
    assert detectable == pytest.approx(v.Z_LIMIT * clean.estimate_mcse, rel=1e-15)
    assert f"a bias above {detectable:.2g} nats would have been detected" in clean.reason
    below = judged(shifted(BCE, "ce2", detectable / 4), 200, 1, 100_000)
    assert below.loc["ce2", "verdict"] == v.CONVERGES
    for factor in (2.0, 100.0):      # at 100x the RMSE levels off at the bias: the EmpSE's rate still shows
        found = judged(shifted(BCE, "ce2", factor * detectable), 200, 1, 100_000)
        row = found.loc["ce2"]
        assert row.verdict == v.ELSEWHERE, row.reason
        assert f"{(row.estimate - row.exact) / row.estimate_mcse:.1f} MCSE" in row.reason
        assert row.detectable_bias == pytest.approx(v.Z_LIMIT * row.estimate_mcse, rel=1e-15)
        assert found.loc["bce", "verdict"] == v.CONVERGES           # the unshifted quantity is untouched
    assert row.slope_ci_high > v.NO_SHRINK                          # ... where the RMSE test alone fails


def test_a_short_grid_of_ten_replicates_gets_no_root_n_verdict_without_a_slope_ci_below_flat():
    table = pd.concat([judged(build(GAN, "s"), 10, 1, 30, seed=seed) for seed in (4, 7)])
    converges = table.verdict == v.CONVERGES
    assert (table.slope_ci_high[converges] < v.NO_SHRINK).all()
    # Rows a one-sided rule (lower end <= -0.45, |z| <= 4) would have passed; their CI reaches a flat line.
    one_sided = (table.slope_ci_low <= v.RATE_EDGE) & (table.z_score.abs() <= v.Z_LIMIT)
    wide = one_sided & (table.slope_ci_high >= v.NO_SHRINK)
    assert wide.any() and (table.verdict[wide] == v.INCONCLUSIVE).all()
    assert all("flat line" in reason for reason in table.reason[wide])


def test_a_failed_exact_check_makes_every_verdict_on_an_exact_value_inconclusive():
    from mcloss.estimands import ExactCheck

    frozen = {"estimand": "binary_cross_entropy", "labels": {"markov": {"stay1": 1.0, "stay0": 1.0}},
              "model": {"p": 0.6}}
    fine = ExactCheck("fine", 1.0, 1.0 + 1e-13, 1e-12, "agrees")
    infinite = ExactCheck("infinite_reference", 1.0, math.inf, 1e-9 * (1 + math.inf), "reference diverges")
    for spec in (BCE, frozen):
        table = judged(build(spec, "s"), 20, 1, 1000)
        assert (judged(build(spec, "s"), 20, 1, 1000, checks=[fine]).verdict == table.verdict).all()
        failed = judged(build(spec, "s"), 20, 1, 1000, checks=[fine, infinite])
        rests = table.verdict.isin(v.RESTS_ON_EXACT)
        assert rests.any()
        assert (failed.verdict[rests] == v.INCONCLUSIVE).all()
        assert all("infinite_reference" in r and "fine" not in r.split(";")[0] for r in failed.reason[rests])
        assert (failed.verdict[~rests] == table.verdict[~rests]).all()
        assert failed.detectable_bias[rests].isna().all()
    assert (table.verdict == v.RANDOM_LIMIT).any()         # the frozen chain: random limits keep their verdict


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
    from mcloss.outputs import pages

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


def test_docs_state_the_rules_the_code_applies():
    # docs/verdicts.md quotes the rules of both modules verbatim: an edit to a rule's text without the docs fails.
    import ast

    from common import ROOT

    page = (ROOT / "docs" / "verdicts.md").read_text()
    start = "The rules, in the order they are applied (thresholds in the constants below):"
    for module, after in (("verdicts.py", start), ("claims.py", None)):
        doc = ast.get_docstring(ast.parse((ROOT / "workflow" / "src" / "mcloss" / "judge" / module).read_text()))
        rules = doc.split(after, 1)[1].strip() if after else doc.split("\n\n", 1)[1].strip()
        assert rules in page, module
