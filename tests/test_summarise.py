import numpy as np
import pytest

from mcloss.estimands import Identity, Quantity
from mcloss.evidence.summarise import Z95, bootstrap_index, identity_table, performance, rate_of_convergence
from mcloss.judge.convergence import convergence_table
from mcloss.simulate.engine import Simulation


def test_performance_measures_match_their_definitions():
    rng = np.random.default_rng(3)
    est = rng.normal(1.1, 0.2, size=(500, 1))
    se = np.full_like(est, 0.2)
    m = performance(est, se, 1.0)
    x = est[:, 0]
    assert m["bias"][0] == pytest.approx(x.mean() - 1.0, abs=1e-15)
    assert m["emp_se"][0] == pytest.approx(x.std(ddof=1), abs=1e-15)
    assert m["bias_mcse"][0] == pytest.approx(x.std(ddof=1) / np.sqrt(500), abs=1e-15)
    assert m["emp_se_mcse"][0] == pytest.approx(x.std(ddof=1) / np.sqrt(2 * 499), abs=1e-15)
    assert m["rmse"][0] == pytest.approx(np.sqrt(np.mean((x - 1.0) ** 2)), abs=1e-15)
    assert m["coverage"][0] == pytest.approx(np.mean(np.abs(x - 1.0) <= Z95 * 0.2), abs=1e-15)
    cov = m["coverage"][0]
    assert m["coverage_mcse"][0] == pytest.approx(np.sqrt(cov * (1 - cov) / 500), abs=1e-15)
    assert m["mod_se"][0] == pytest.approx(0.2, abs=1e-15)
    sq = (x - 1.0) ** 2
    assert m["rmse_mcse"][0] == pytest.approx(sq.std(ddof=1) / np.sqrt(500) / (2 * np.sqrt(sq.mean())), rel=1e-12)


def test_a_degenerate_estimator_has_no_coverage():
    est = np.full((50, 2), -np.log(4.0)) + np.array([0.0, 2e-16])
    m = performance(est, np.zeros_like(est), -np.log(4.0))
    assert np.all(np.isnan(m["coverage"])) and np.all(m["rmse"] < 1e-15)


def test_nonfinite_estimates_are_counted_not_used():
    est = np.array([[1.0], [np.nan], [np.inf], [3.0]])
    m = performance(est, np.ones_like(est), 2.0)
    assert m["replicates"][0] == 2 and m["nonfinite"][0] == 2
    assert m["mean_estimate"][0] == 2.0


def test_no_limit_means_no_bias_or_coverage():
    est = np.random.default_rng(0).standard_cauchy((50, 3))
    m = performance(est, np.ones_like(est), float("nan"))
    assert np.all(np.isnan(m["bias"])) and np.all(np.isnan(m["coverage"]))
    assert np.all(np.isfinite(m["emp_se"]))


def test_rate_of_a_root_n_estimator_is_minus_one_half():
    rng = np.random.default_rng(4)
    n = np.unique(np.logspace(0, 5, 30).astype(int))
    est = rng.standard_normal((400, n.size)) / np.sqrt(n)
    rate = rate_of_convergence(est, n, 0.0, 10, bootstrap_index(400, 200, np.random.default_rng(5)))
    assert rate["slope_ci_low"] < -0.5 < rate["slope_ci_high"]
    assert rate["slope"] == pytest.approx(-0.5, abs=0.03)


def test_rate_detects_a_misscaled_estimator():
    rng = np.random.default_rng(6)
    n = np.unique(np.logspace(1, 5, 20).astype(int))
    est = n * (1 + rng.standard_normal((200, n.size)) / np.sqrt(n))   # grows like n
    rate = rate_of_convergence(est, n, 1.0, 10, bootstrap_index(200, 100, np.random.default_rng(7)))
    assert rate["slope"] == pytest.approx(1.0, abs=0.05)


def test_identity_and_convergence_tables():
    n = np.array([10, 100])
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    sim = Simulation(n=n, replicates=np.arange(2), estimate={"a": a, "b": a + 1e-13},
                     se={"a": np.ones_like(a), "b": np.ones_like(a)}, nonfinite={})
    table = identity_table("s", sim, [Identity("a", "b", 1e-12, "a equals b")])
    assert bool(table.holds.iloc[0]) and table.max_abs_deviation.iloc[0] == pytest.approx(1e-13, rel=1e-2)
    table = identity_table("s", sim, [Identity("a", "b", 1e-14, "a equals b")])
    assert not bool(table.holds.iloc[0])
    rng = np.random.default_rng(8)
    a = 3.0 + rng.standard_normal((40, 2)) / np.sqrt(n)
    sim = Simulation(n=n, replicates=np.arange(40), estimate={"a": a, "b": a.copy()},
                     se={"a": np.ones_like(a), "b": np.ones_like(a)}, nonfinite={})
    conv = convergence_table("s", sim, [Quantity("a", "a", "a"), Quantity("b", "b", "b")], {"a": 3.0, "b": 3.0},
                             1, 10, 1, 2)
    a = conv.set_index("quantity").loc["a"]
    last = sim.estimate["a"][:, -1]
    assert a.estimate == pytest.approx(last.mean(), abs=1e-15)
    assert a.estimate_mcse == pytest.approx(last.std(ddof=1) / np.sqrt(40), rel=1e-12)
    assert a.ci_low == pytest.approx(a.estimate - Z95 * a.estimate_mcse) and a.n_max == 100
    # Quantities equal on every replicate share the bootstrap resamples, hence the interval.
    b = conv.set_index("quantity").loc["b"]
    assert b.slope_ci_low == a.slope_ci_low and b.slope_ci_high == a.slope_ci_high


# --- hygiene: no MCSE, z, CI or coverage without a finite variance; exact checks that can fail ---------------
def normal_sim(replicates=60, n=(1, 3, 10, 30, 100, 300, 1000), seed=9):
    n = np.array(n)
    rng = np.random.default_rng(seed)
    a = 2.0 + rng.standard_normal((replicates, n.size)) / np.sqrt(n)
    return Simulation(n=n, replicates=np.arange(replicates), estimate={"a": a}, se={"a": np.ones_like(a) / np.sqrt(n)},
                      nonfinite={})


FINITE = {"mean_finite": True, "var_finite": True, "expected_slope": -0.5}


@pytest.mark.parametrize("info, blank", [
    (FINITE, False), ({**FINITE, "var_finite": False, "expected_slope": -1 / 3}, True),
    ({**FINITE, "var_finite": None}, True), ({**FINITE, "limit_kind": "random limit"}, True), (None, False)])
def test_summary_and_convergence_tables_blank_variance_measures_without_a_finite_variance(info, blank):
    from mcloss.evidence.summarise import CONVERGENCE_VARIANCE_COLUMNS, SUMMARY_VARIANCE_COLUMNS, summary_table

    sim = normal_sim()
    analysis = None if info is None else {"a": info}
    summary = summary_table("s", "e", sim, [Quantity("a", "a", "a")], {"a": 2.0}, analysis)
    assert summary[list(SUMMARY_VARIANCE_COLUMNS)].isna().all().all() == blank
    assert summary[list(SUMMARY_VARIANCE_COLUMNS)].notna().all().all() == (not blank)
    assert summary[["bias", "emp_se", "rmse"]].notna().all().all()        # what needs no variance stays
    conv = convergence_table("s", sim, [Quantity("a", "a", "a")], {"a": 2.0}, 1, 50, 1, 2, analysis).iloc[0]
    assert conv[list(CONVERGENCE_VARIANCE_COLUMNS)].isna().all() == blank
    assert conv[list(CONVERGENCE_VARIANCE_COLUMNS)].notna().all() == (not blank)
    # A detectable bias only where the verdict has a variance (var_finite True: n^-1/2 here).
    assert np.isfinite(conv.detectable_bias) == (conv.verdict == "converges at n^-1/2")


def test_the_earlier_checkpoint_is_a_decade_back_or_the_first_n():
    from mcloss.evidence.summarise import earlier_index

    assert earlier_index(np.array([1, 3, 10, 30, 100, 300, 1000])) == 4          # 100 = n_max / 10
    assert earlier_index(np.array([1, 3, 10, 30, 99, 300, 1000])) == 4           # 99 <= 100
    assert earlier_index(np.array([1, 3, 10, 30, 101, 300, 1000])) == 3          # 101 > 100: 30
    assert earlier_index(np.array([50, 100, 200])) == 0 and earlier_index(np.array([7])) is None


def test_convergence_rows_carry_the_earlier_z_and_the_emp_se_slope():
    sim = normal_sim()
    conv = convergence_table("s", sim, [Quantity("a", "a", "a")], {"a": 2.0}, 1, 50, 1, 2,
                             {"a": FINITE}).iloc[0]
    column = sim.estimate["a"][:, 4]                                             # n = 100
    assert conv.n_earlier == 100
    assert conv.estimate_earlier == pytest.approx(column.mean(), rel=1e-14)
    assert conv.estimate_mcse_earlier == pytest.approx(column.std(ddof=1) / np.sqrt(60), rel=1e-12)
    assert conv.z_score_earlier == pytest.approx((column.mean() - 2.0) / (column.std(ddof=1) / np.sqrt(60)), rel=1e-12)
    assert conv.median_earlier == pytest.approx(np.median(column), rel=1e-14)
    resample = bootstrap_index(60, 50, np.random.default_rng(0))
    assert conv.emp_se_slope == pytest.approx(
        rate_of_convergence(sim.estimate["a"], sim.n, float("nan"), 1, resample)["slope"], rel=1e-12)
    # Without an exact value the EmpSE slope is the slope.
    nan = convergence_table("s", sim, [Quantity("a", "a", "a")], {"a": float("nan")}, 1, 50, 1, 2).iloc[0]
    assert (nan.emp_se_slope, nan.emp_se_slope_ci_low) == (nan.slope, nan.slope_ci_low)


@pytest.mark.parametrize("value, reference, holds", [
    (1.0, 1.0 + 1.9e-9, True), (1.0, 1.0 + 2.1e-9, False), (1.0, np.inf, False), (np.inf, np.inf, False),
    (np.nan, 1.0, False), (1.0, np.nan, False)])
def test_an_exact_check_holds_only_with_finite_values_within_tolerance(value, reference, holds):
    from mcloss.estimands import ExactCheck
    from mcloss.evidence.summarise import check_holds, exact_check_table

    # The tolerance is relative to the reference, as the estimands set it: infinite for an infinite reference.
    check = ExactCheck("c", value, reference, 1e-9 * (1.0 + abs(reference)), "a check")
    assert check_holds(check) is holds
    assert bool(exact_check_table("s", [check]).holds.iloc[0]) is holds


@pytest.mark.parametrize("rule_verdict, blank", [("converges, slower than n^-1/2", True), ("no limit", True),
                                                 ("converges at n^-1/2", False)])
def test_the_convergence_table_blanks_variance_measures_where_the_verdict_has_none(monkeypatch, rule_verdict, blank):
    from mcloss.evidence.summarise import CONVERGENCE_VARIANCE_COLUMNS
    from mcloss.judge import convergence
    from mcloss.judge.verdicts import Verdict

    monkeypatch.setattr(convergence, "judge_quantity", lambda row: Verdict(rule_verdict, "rule", "iqr"))
    conv = convergence_table("s", normal_sim(), [Quantity("a", "a", "a")], {"a": 2.0}, 1, 50, 1, 2,
                             {"a": FINITE}).iloc[0]
    assert conv[list(CONVERGENCE_VARIANCE_COLUMNS)].isna().all() == blank
    assert conv[list(CONVERGENCE_VARIANCE_COLUMNS)].notna().all() == (not blank)
