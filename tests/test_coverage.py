"""Coverage across n and scenarios: Wilson intervals, the judgment, its claim and the zip plot."""

import numpy as np
import pandas as pd
import pytest
import scipy.special
import scipy.stats

from mcloss.estimands import Quantity, build
from mcloss.evidence import coverage
from mcloss.evidence.summarise import Z95
from mcloss.judge import claims
from mcloss.outputs.figures import zipplot
from mcloss.simulate.engine import Simulation


# --- Wilson intervals and formatting ------------------------------------------------------
@pytest.mark.parametrize("trials", [1, 7, 50, 400, 10_000])
def test_wilson_interval_equals_scipy_binomtest(trials):
    ks = sorted({0, 1, trials // 3, trials // 2, trials - 1, trials})
    low, high = coverage.wilson_interval(np.array(ks), trials)
    for k, lo, hi in zip(ks, low, high):
        ci = scipy.stats.binomtest(k, trials).proportion_ci(confidence_level=0.95, method="wilson")
        assert lo == pytest.approx(ci.low, abs=1e-12) and hi == pytest.approx(ci.high, abs=1e-12)
    assert np.isnan(coverage.wilson_interval(0, 0)[0])


def test_normal_quantiles_are_scipy_stats_own_to_the_bit():
    """Z95 and the Wilson z are scipy.special.ndtri, which is what scipy.stats.norm.ppf returns: the jobs that
    print intervals need no scipy.stats, and no interval moves."""
    levels = np.concatenate([[0.5, 0.9, 0.95, 0.975, 0.99, 1 - 1e-12], np.random.default_rng(0).uniform(0, 1, 1000)])
    assert np.array_equal(scipy.special.ndtri(levels), scipy.stats.norm.ppf(levels))
    assert Z95 == float(scipy.stats.norm.ppf(0.975))


def test_proportions_are_never_printed_as_nan_or_zero_width():
    text = coverage.format_proportion(400, 400)
    assert text.startswith("coverage 1.000 [0.99") and "0.000" not in text.split("[")[1].split(",")[1]
    assert coverage.describe_coverage(float("nan"), 400, 1.0) == \
        "coverage: not applicable: degenerate or non-finite estimates"
    assert "not applicable: no finite limit" in coverage.describe_coverage(0.9, 400, float("nan"))
    for text in (coverage.describe_coverage(float("nan"), 400, 1.0), coverage.format_proportion(0, 0)):
        assert "nan" not in text and "+-" not in text


@pytest.mark.parametrize("exact, variance, reason", [
    (1.0, 2.0, None),
    (float("nan"), float("nan"), "no finite limit"),
    (1.0, float("inf"), "infinite asymptotic variance"),
    (1.0, float("nan"), "asymptotic variance unknown"),
    (1.0, 0.0, "zero asymptotic variance"),
])
def test_exclusion_reasons(exact, variance, reason):
    got = coverage.exclusion_reason(exact, variance)
    assert got == reason if reason is None else got.startswith(reason)


# --- the judgment --------------------------------------------------------------------------
def summary(scenario, quantity, coverages, n=(10, 100, 1000), replicates=400, exact=1.0):
    return pd.DataFrame({"scenario": scenario, "quantity": quantity, "n": list(n), "replicates": replicates,
                         "exact": exact, "coverage": list(coverages)})


def claim(frames, variances, independent, assigned):
    """The clt-coverage claim over ``assigned`` scenarios, from summary frames and i.i.d. flags."""
    iid_table = pd.DataFrame({"scenario": list(independent), "dependent": [not flag for flag in independent.values()]})
    ev = claims.Evidence(summary=pd.concat(frames, ignore_index=True), convergence=pd.DataFrame(columns=["scenario"]),
                         identities=pd.DataFrame(), exact_checks=pd.DataFrame(), iid=iid_table, variances=variances)
    return claims.clt_coverage(ev, assigned)


NOMINAL3 = (0.95, 0.9475, 0.9525)
VARIANCES = {"a": {"q": 1.0}, "b": {"q": 1.0}}
BRANCHES = {
    "nominal everywhere": ([summary("a", "q", NOMINAL3), summary("b", "q", NOMINAL3)], {"a": True, "b": True},
                           ["a", "b"], "holds", "a"),
    "off at small n only": ([summary("a", "q", (0.78, 0.95, 0.95)), summary("b", "q", NOMINAL3)],
                            {"a": True, "b": True}, ["a", "b"], "holds", "a"),
    "dependent data beside i.i.d.": ([summary("a", "q", NOMINAL3), summary("b", "q", (0.6, 0.6, 0.6))],
                                     {"a": True, "b": False}, ["a", "b"], "holds", "a"),
    "dependent data only": ([summary("b", "q", (0.6, 0.6, 0.6))], {"b": False}, ["b"], "premise not met", "b"),
    "off at the largest n": ([summary("a", "q", NOMINAL3), summary("b", "q", (0.95, 0.95, 0.80))],
                             {"a": True, "b": True}, ["a", "b"], "refuted", "b"),
    "over-coverage counts too": ([summary("a", "q", (0.95, 0.95, 1.0))], {"a": True}, ["a"], "refuted", "a"),
    "an unassigned scenario off nominal": ([summary("a", "q", NOMINAL3), summary("b", "q", (0.95, 0.95, 0.80))],
                                           {"a": True, "b": True}, ["a"], "holds", "a"),
    "no finite limit": ([summary("a", "q", NOMINAL3, exact=float("nan"))], {"a": True}, ["a"], "premise not met",
                        "a"),
    "too few replicates": ([summary("a", "q", NOMINAL3, replicates=60)], {"a": True}, ["a"], "inconclusive", "a"),
}


@pytest.mark.parametrize("case", BRANCHES)
def test_each_branch_of_the_coverage_rule(case):
    frames, independent, assigned, verdict, decider = BRANCHES[case]
    out = claim(frames, VARIANCES, independent, assigned)
    assert out["verdict"] == verdict, out["detail"]
    assert out["scenario"] == decider and bool(out["settle"]) == (verdict == "inconclusive")
    if verdict == "inconclusive":
        assert f"R >= {coverage.replicates_to_detect(coverage.verdict_threshold(1))}" in out["settle"]


def test_a_constant_rule_fails_the_branches():
    assert {case[3] for case in BRANCHES.values()} == {"holds", "refuted", "inconclusive", "premise not met"}


def test_the_headline_is_the_coverage_at_the_largest_n_with_its_wilson_interval():
    # The lowest coverage at any n is 0.78 (n = 10); the headline is the largest n's, 0.9525 of 400.
    out = claim([summary("gan", "bce", (0.78, 0.95, 0.9525))], {"gan": {"bce": 1.0}}, {"gan": True}, ["gan"])
    low, high = coverage.wilson_interval(381, 400)
    assert out["estimate"] == pytest.approx(381 / 400) and (out["ci_low"], out["ci_high"]) == pytest.approx(
        (float(low), float(high)))
    assert out["exact"] == 0.95 and "n = 1,000" in out["quantity"] and "n = 10: 0.780" in out["detail"]


def test_infinite_zero_and_unknown_variances_are_excluded_and_listed():
    frames = [summary("a", "q", NOMINAL3), summary("t3", "bce", (0.5, 0.5, 0.5)),
              summary("half", "min_bce", (1.0, 1.0, 1.0)), summary("u", "q", (0.5, 0.5, 0.5))]
    variances = {"a": {"q": 1.0}, "t3": {"bce": float("inf")}, "half": {"min_bce": 0.0}, "u": {}}
    flags = {"a": True, "t3": True, "half": True, "u": True}
    out = claim(frames, variances, flags, ["a", "t3", "half", "u"])
    assert out["verdict"] == "holds" and out["scenario"] == "a"
    assert out["scenarios"] == "a: holds; t3: premise not met; half: premise not met; u: premise not met"
    assert "t3/bce (infinite asymptotic variance" in out["detail"]
    assert claim(frames, variances, flags, ["t3"])["verdict"] == "premise not met"


def test_cells_carry_counts_wilson_intervals_and_the_two_mcse_listing():
    cells, _ = coverage.coverage_cells(summary("a", "q", (0.90, 0.94, 1.0), replicates=400), {"a": {"q": 1.0}},
                                       {"a": True})
    assert cells.covered.tolist() == [360, 376, 400]
    mcse = np.sqrt(0.95 * 0.05 / 400)
    assert cells.mcse_at_nominal.iloc[0] == pytest.approx(mcse, rel=1e-12)
    assert cells.nominal_2mcse.tolist() == [False, True, False]
    assert cells.wilson_high.iloc[2] == pytest.approx(1.0, abs=1e-12) and cells.wilson_low.iloc[2] < 0.995


def test_the_verdict_bound_is_bonferroni_over_the_deciding_cells():
    assert coverage.verdict_threshold(1) == pytest.approx(scipy.stats.norm.isf(0.005), rel=1e-12)
    assert coverage.verdict_threshold(500) == pytest.approx(scipy.stats.norm.isf(0.01 / 1000), rel=1e-12)
    # The fewest R with bound x sqrt(0.95 x 0.05 / R) <= 0.05: 127 for one cell (2.576^2 x 19 = 126.06).
    bound = coverage.verdict_threshold(1)
    needed = coverage.replicates_to_detect(bound)
    assert needed == 127 and bound * np.sqrt(0.0475 / needed) <= 0.05 < bound * np.sqrt(0.0475 / (needed - 1))


def test_small_n_is_the_smallest_grid_point_of_at_least_ten():
    assert coverage.small_n([1, 3, 6, 10, 18, 32]) == 10
    assert coverage.small_n([1, 2, 16, 100]) == 16
    assert coverage.small_n([2, 4]) == 2


# --- zip plots ------------------------------------------------------------------------------
def test_zip_ranks_intervals_by_abs_z_and_the_misses_are_the_top_ones():
    rng = np.random.default_rng(2)
    est, se = 3.0 + rng.standard_normal(1000) * 0.1, np.full(1000, 0.1)
    data = zipplot.zip_data(est, se, 3.0)
    z = np.abs(est - 3.0) / se
    assert data["covers"].mean() == np.mean(z <= 1.959963984540054)
    assert np.all(np.diff(data["centile"]) > 0)
    first_miss = np.argmax(~data["covers"])
    assert data["covers"][:first_miss].all() and not data["covers"][first_miss:].any()
    # Interval midpoints are the errors: ranked, their |z| is sorted ascending.
    assert np.allclose(np.abs(data["low"] + data["high"]) / 2 / 0.1, np.sort(z), rtol=1e-12)


def test_zip_figure_draws_finite_variance_quantities_and_says_why_not_otherwise():
    rng = np.random.default_rng(5)
    n = np.array([4, 16, 64])
    est = 1.0 + rng.standard_normal((60, 3)) / np.sqrt(n)
    sim = Simulation(n=n, replicates=np.arange(60), estimate={"a": est, "b": est}, se={"a": 1 / np.sqrt(n) + 0 * est,
                     "b": 1 / np.sqrt(n) + 0 * est}, nonfinite={})
    qs = [Quantity("a", "a", "first", unit="probability"), Quantity("b", "b", "second")]
    fig = zipplot.zip_figure(sim, qs, {"a": 1.0, "b": float("nan")}, {"a": 1.0, "b": float("nan")}, "t")
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 2 and all("(probability)" in ax.get_xlabel() for ax in axes)
    assert [ax.get_title().split(":")[0] for ax in axes] == ["n = 16", "n = 64"]
    assert "b: no finite limit" in fig._suptitle.get_text()
    fig = zipplot.zip_figure(sim, qs[1:], {"b": float("nan")}, {"b": float("nan")}, "t")
    assert "not applicable" in fig.axes[0].texts[0].get_text()


def test_binomial_mcse_is_the_agresti_coull_se_and_never_zero():
    z2 = scipy.stats.norm.ppf(0.975) ** 2
    for k, n in [(0, 50), (50, 50), (20, 400)]:
        p = (k + z2 / 2) / (n + z2)
        assert coverage.binomial_mcse(k, n) == pytest.approx(np.sqrt(p * (1 - p) / (n + z2)), rel=1e-12)
        assert coverage.binomial_mcse(k, n) > 0
    # Close to the plain binomial SE away from 0 and 1.
    assert coverage.binomial_mcse(200, 400) == pytest.approx(np.sqrt(0.25 / 400), rel=0.01)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_coverage_verdict_on_default_scenarios_does_not_depend_on_the_seed(seed):
    import yaml

    from common import ROOT
    from mcloss.evidence.summarise import summary_table
    from mcloss.laws.streams import scenario_key
    from mcloss.maths.grid import batch_grid
    from mcloss.simulate.engine import simulate

    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    frames, variances, independent = [], {}, {}
    for name in ("gan_balanced", "bce_markov", "bce_vs_ce2"):
        estimand = build(config["scenarios"][name], name)
        sim = simulate(estimand, batch_grid(1, 2000, 8, estimand.batch_unit), range(config["replicates"]), seed,
                       scenario_key(name))
        frames.append(summary_table(name, estimand.name, sim, estimand.quantities, estimand.exact()))
        variances[name] = estimand.asymptotic_variance()
        independent[name] = not any(s.sampler.marginal().dependent for s in estimand.streams)
    out = claim(frames, variances, independent, ["gan_balanced", "bce_vs_ce2", "bce_markov"])
    # Nominal at the largest n for the i.i.d. scenarios; the Markov chain (under-covering at every n) cannot test it.
    assert out["verdict"] == "holds", out["detail"]
    assert out["scenarios"].endswith("bce_markov: premise not met")
    cells, _ = coverage.coverage_cells(pd.concat(frames), variances, independent)
    markov = cells[(cells.scenario == "bce_markov") & (cells.quantity == "mle_p")]
    assert (markov.wilson_high < 0.9).all()


def test_iid_sweep_points_inherit_their_base_scenarios_check():
    # A sweep point off nominal at its largest n refutes the claim when its base draws i.i.d.; a point of a
    # dependent base inherits the mark and cannot test it.
    frames = [summary("base", "q", NOMINAL3), summary("sweep__x=1", "q", (0.95, 0.95, 0.80))]
    variances = {"base": {"q": 1.0}, "sweep__x=1": {"q": 1.0}}
    for dependent, verdict in ((False, "refuted"), (True, "premise not met")):
        iid_table = pd.DataFrame({"scenario": ["base"], "dependent": [dependent]})
        flags = coverage.independent_scenarios(iid_table, {"sweep__x=1": "base", "orphan__x=1": "missing"})
        assert flags == {"base": not dependent, "sweep__x=1": not dependent}
        cells, excluded = coverage.coverage_cells(pd.concat(frames), variances, flags)
        parts = coverage.scenario_outcomes(cells, excluded, ["sweep__x=1"])
        assert parts[0]["verdict"] == verdict
