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
