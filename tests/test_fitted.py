"""Models trained on the batch: theory against independent quadrature, first-order terms and coverage by
simulation, bit-identical fits whatever the job split, separated batches counted, bad input refused."""

import math

import numpy as np
import pytest
import scipy.integrate
import scipy.optimize
import scipy.special
import scipy.stats

from common import assert_one_line_error, first_problem
from mcloss.errors import ConfigError
from mcloss.estimands import build
from mcloss.evidence.fitted import Z as Z95
from mcloss.evidence.fitted import coverage_rows, first_order_rows
from mcloss.laws.streams import scenario_key
from mcloss.maths.newton import minimise
from mcloss.maths.quantile_rule import quantile_rule
from mcloss.simulate.fitting import run

NORMAL = {"dist": "norm", "loc": 0.0, "scale": 1.0}
LOGISTIC = {"estimand": "binary_cross_entropy", "inputs": NORMAL, "labels": {"logit": [0.2, 1.0, -0.5]},
            "fit": {"degree": 1}}
GAN = {"estimand": "gan_discriminator", "data": NORMAL, "generator": {"dist": "norm", "loc": 1.0, "scale": 1.5},
       "real_fraction": 0.5, "fit": {"degree": 2}}
HETERO = {"estimand": "gaussian_nll", "inputs": {"dist": "uniform", "loc": -1.0, "scale": 2.0},
          "data": {"mean": [1.0, 2.0], "noise": {"dist": "norm", "loc": 0.0, "scale": 1.0},
                   "noise_log_scale": [-0.5, 1.0]}, "fit": {"degree": 1}}
SOFTMAX = {"estimand": "cross_entropy", "inputs": NORMAL, "labels": {"logits": [[0.0], [0.5, 1.0], [-0.3, 0.2]]},
           "fit": {"degree": 1}}
MARKOV = {"estimand": "binary_cross_entropy", "labels": {"markov": {"stay1": 0.9, "stay0": 0.8}}, "fit": {"degree": 0}}


def quad(f, a=-np.inf, b=np.inf):
    """An independent route: QUADPACK on the whole line (no quantile rule, no splitting), to 1e-13."""
    return scipy.integrate.quad(f, a, b, epsabs=1e-14, epsrel=1e-13, limit=400)[0]


def softplus(t):
    return np.logaddexp(0.0, t)


def logistic_reference():
    """theta*, R*, tr(J^-1 K) of the misspecified logistic regression by quad + scipy.optimize.root."""
    phi = scipy.stats.norm.pdf

    def p(x):
        return scipy.special.expit(0.2 + x - 0.5 * x * x)

    def grad(theta):
        def f(x, a):
            return (scipy.special.expit(theta[0] + theta[1] * x) - p(x)) * x**a * phi(x)
        return [quad(lambda x: f(x, 0)), quad(lambda x: f(x, 1))]

    theta = scipy.optimize.root(grad, [0.0, 0.5], tol=1e-15).x
    t = lambda x: theta[0] + theta[1] * x  # noqa: E731
    risk = quad(lambda x: (p(x) * softplus(-t(x)) + (1 - p(x)) * softplus(t(x))) * phi(x))
    sig = lambda x: scipy.special.expit(t(x))  # noqa: E731
    jmat = np.array([[quad(lambda x, e=a + b: sig(x) * (1 - sig(x)) * x**e * phi(x)) for b in range(2)]
                     for a in range(2)])
    kmat = np.array([[quad(lambda x, e=a + b: (p(x) * (1 - sig(x)) ** 2 + (1 - p(x)) * sig(x) ** 2) * x**e * phi(x))
                      for b in range(2)] for a in range(2)])
    return theta, risk, float(np.trace(np.linalg.solve(jmat, kmat)))


def test_logistic_theory_agrees_with_an_independent_computation_to_1e_8():
    theory = build(LOGISTIC, "scenarios.t").theory
    theta, risk, trace = logistic_reference()
    assert np.max(np.abs(np.array(theory["theta_star"]) - theta)) < 1e-8
    assert abs(theory["risk_star"] - risk) < 1e-8
    assert abs(theory["trace"] - trace) < 1e-8
    assert abs(theory["trace"] - 2.0) > 0.1          # misspecified: not the number of parameters


def test_gan_theory_is_the_log_density_ratio_and_the_jsd():
    estimand = build(GAN, "scenarios.g")
    theory = estimand.theory
    # log N(x; 0, 1) - log N(x; 1, 1.5^2) = log 1.5 - x^2/2 + (x - 1)^2 / 4.5, coefficients by hand.
    expected = [math.log(1.5) + 1 / 4.5, -2 / 4.5, -0.5 + 1 / 4.5]
    assert np.max(np.abs(np.array(theory["theta_star"]) - expected)) < 1e-8
    p, q = scipy.stats.norm(0, 1), scipy.stats.norm(1, 1.5)
    log_m = lambda x: np.logaddexp(p.logpdf(x), q.logpdf(x)) - math.log(2)  # noqa: E731
    jsd = 0.5 * quad(lambda x: p.pdf(x) * (p.logpdf(x) - log_m(x)), -30, 30) + \
        0.5 * quad(lambda x: q.pdf(x) * (q.logpdf(x) - log_m(x)), -40, 45)
    assert abs(estimand.exact()["test_value"] - (-math.log(4) + 2 * jsd)) < 1e-8
    # The stratified K: with fixed counts the label's share of the score variance is gone, tr < p.
    t = lambda x: sum(c * x**k for k, c in enumerate(expected))  # noqa: E731
    rows = []
    for law, label in ((p, 1.0), (q, 0.0)):
        r = lambda x: scipy.special.expit(t(x)) - label  # noqa: B023, E731
        mu = [quad(lambda x: r(x) * x**a * law.pdf(x)) for a in range(3)]  # noqa: B023
        second = [[quad(lambda x: r(x) ** 2 * x ** (a + b) * law.pdf(x)) for b in range(3)] for a in range(3)]  # noqa: B023
        rows.append(np.array(second) - np.outer(mu, mu))
    kmat = 0.5 * (rows[0] + rows[1])
    assert abs(theory["trace"] - np.trace(np.linalg.solve(np.array(theory["J"]), kmat))) < 1e-8
    assert theory["trace"] < 3.0


@pytest.mark.parametrize("spec,parameters", [(SOFTMAX, 4), ({**HETERO, "data": {**HETERO["data"],
                                                                                  "noise_log_scale": [-0.5]}}, 3)])
def test_well_specified_models_have_trace_equal_to_the_number_of_parameters(spec, parameters):
    estimand = build(spec, "scenarios.w")
    assert abs(estimand.theory["trace"] - parameters) < 1e-9
    assert {c.name for c in estimand.exact_checks()} >= {"trace_is_parameters"}
    assert all(abs(c.value - c.reference) <= c.tolerance for c in estimand.exact_checks())


def test_heteroscedastic_least_squares_model_coverage_has_its_closed_form():
    theory = build(HETERO, "scenarios.h").theory
    # Slope of least squares on U(-1, 1): model v = sigma_bar^2 / E x^2, true v = E[sigma^2(x) x^2] / (E x^2)^2.
    s2 = lambda x: math.exp(2 * (-0.5 + x))  # noqa: E731
    ex2 = 1 / 3
    sigma_bar2 = quad(lambda x: s2(x) / 2, -1, 1)
    v_true = quad(lambda x: s2(x) * x * x / 2, -1, 1) / ex2**2
    v_model = sigma_bar2 / ex2
    expected = 2 * scipy.stats.norm.cdf(1.959963984540054 * math.sqrt(v_model / v_true)) - 1
    assert abs(theory["coverage_asymptotic"]["model"][1] - expected) < 1e-9
    assert abs(theory["v_true"][1] - v_true) < 1e-9 * v_true
    assert theory["coverage_asymptotic"]["sandwich"][1] == pytest.approx(0.95, abs=1e-12)


def test_the_quantile_rule_is_exact_for_smooth_integrands_and_halving_its_step_changes_nothing():
    for law in (scipy.stats.norm(), scipy.stats.t(5), scipy.stats.uniform(-1, 2), scipy.stats.gamma(2.0)):
        coarse, fine = quantile_rule(law), quantile_rule(law, 1 / 64)
        f = lambda x: softplus(0.3 + x - 0.5 * x * x)  # noqa: E731
        assert abs(coarse.expect(f(coarse.nodes)) - fine.expect(f(fine.nodes))) < 1e-13
        assert abs(coarse.expect(np.ones_like(coarse.nodes)) - 1.0) < 1e-14


def test_newton_reports_separated_batches_instead_of_a_minimiser():
    x = np.array([-2.0, -1.0, 1.0, 2.0])
    y = (x > 0).astype(float)

    def fgh(theta):
        t = theta[0] + theta[1] * x
        sig = scipy.special.expit(t)
        w = sig * (1 - sig)
        p = np.vstack([np.ones_like(x), x])
        return (float(np.mean(softplus((1 - 2 * y) * t))), p @ (sig - y) / 4,
                np.array([[np.sum(w * p[a] * p[b]) / 4 for b in range(2)] for a in range(2)]))

    found = minimise(fgh, np.zeros(2))
    assert not found.found and found.why
    # At the fit path's tolerance Newton stops on the ray (a flat loss, a tiny decrement): the curvature rule
    # is what tells it from a minimiser.
    from mcloss.estimands.fitted import curvature_ratio
    from mcloss.estimands.fitted_logistic import SEPARATION
    from mcloss.simulate.fitting import TOLERANCE

    on_ray = minimise(fgh, np.zeros(2), tolerance=TOLERANCE)
    design = np.array([[1.0, 0.0], [0.0, np.mean(x * x)]])
    assert not on_ray.found or curvature_ratio(on_ray.hessian, design) < SEPARATION
    y[1], y[2] = 1.0, 0.0                                # overlapping classes: a finite minimiser
    fit = minimise(fgh, np.zeros(2), tolerance=TOLERANCE)
    assert fit.found and curvature_ratio(fit.hessian, design) > 1e3 * SEPARATION


@pytest.fixture(scope="module")
def logistic_fits():
    estimand = build(LOGISTIC, "scenarios.t")
    n = np.array([100, 1000, 10000])
    return estimand, run(estimand, n, range(200), 20261203, scenario_key("fit-test"))


def test_first_order_terms_at_n_10000_are_within_4_mcse(logistic_fits):
    estimand, sim = logistic_fits
    exact, bias = estimand.exact(), estimand.bias_per_n()
    rows = first_order_rows("t", sim, exact, bias, ["test_risk", "train_gap", "excess_risk"])
    top = rows[rows.n == 10000]
    assert len(top) == 3
    assert (top.z.abs() <= 4).all(), top
    assert (top.n_times_error - 4 * top.n_times_error_mcse > 0).all()   # the term is told from 0
    # A wrong constant (0, i.e. no first-order term) is rejected by the same data: the rule can fail.
    wrong = first_order_rows("t", sim, exact, dict.fromkeys(bias, 0.0), ["test_risk"])
    assert wrong[wrong.n == 10000].z.abs().iloc[0] > 4


def test_gan_test_value_falls_short_of_v_star_by_trace_over_n():
    estimand = build(GAN, "scenarios.g")
    sim = run(estimand, np.array([10000]), range(200), 7, scenario_key("gan-fit-test"))
    rows = first_order_rows("g", sim, estimand.exact(), estimand.bias_per_n(), ["test_value"])
    row = rows.iloc[0]
    assert row.first_order == pytest.approx(-estimand.theory["trace"])
    assert abs(row.z) <= 4 and row.n_times_error + 4 * row.n_times_error_mcse < 0


def test_fits_are_bit_identical_whatever_the_split_into_jobs(logistic_fits):
    estimand, whole = logistic_fits
    parts = [run(estimand, whole.n, range(a, b), 20261203, scenario_key("fit-test")) for a, b in ((0, 7), (7, 200))]
    for q in whole.estimate:
        joined = np.concatenate([p.estimate[q] for p in parts])
        assert np.array_equal(joined, whole.estimate[q], equal_nan=True), q
    assert np.array_equal(np.concatenate([p.model_se["theta_1"] for p in parts]), whole.model_se["theta_1"])


def test_heteroscedastic_coverage_matches_its_exact_limits():
    estimand = build(HETERO, "scenarios.h")
    sim = run(estimand, np.array([4000]), range(800), 11, scenario_key("hetero-fit-test"))
    rows = coverage_rows("h", sim, estimand.theory)
    slope = rows[rows.parameter == "mean_1"].set_index("se_kind")
    for kind in ("model", "sandwich"):
        assert slope.coverage_low[kind] <= slope.coverage_asymptotic[kind] <= slope.coverage_high[kind], kind
    assert slope.coverage_high["model"] < 0.95        # the model-based interval under-covers, detectably


def test_markov_fit_under_covers_by_the_exact_factor():
    estimand = build(MARKOV, "scenarios.m")
    theory = estimand.theory
    rho = 0.9 + 0.8 - 1
    assert theory["dependence"] == pytest.approx((1 + rho) / (1 - rho))
    expected = 2 * scipy.stats.norm.cdf(Z95 * math.sqrt((1 - rho) / (1 + rho))) - 1
    assert theory["coverage_asymptotic"]["model"][0] == pytest.approx(expected, abs=1e-12)
    sim = run(estimand, np.array([5000]), range(400), 5, scenario_key("markov-fit-test"))
    row = coverage_rows("m", sim, theory).query("se_kind == 'model'").iloc[0]
    assert row.coverage_low <= expected <= row.coverage_high


def test_a_batch_is_flagged_exactly_when_it_is_separated():
    # Logistic regression on (1, x): the MLE exists iff the classes overlap on the line, i.e. unless every x of
    # one class lies at or below every x of the other (complete or quasi-complete separation). At the fit
    # path's tolerance, on 200 replicates at n = 6, 10, 12, the flag must agree with that, both ways.
    from mcloss.simulate.fitting import draw_streams

    estimand = build(LOGISTIC, "scenarios.s")
    n = np.array([6, 10, 12])
    sim = run(estimand, n, range(200), 3, scenario_key("separation"))
    flagged = np.isnan(sim.estimate["theta_1"])
    truth = np.zeros_like(flagged)
    for r in range(200):
        x, y = draw_streams(estimand, {"pairs": 12}, 3, scenario_key("separation"), r, 1 << 16)["pairs"]
        for k, size in enumerate(n):
            ones, zeros = x[:size][y[:size] == 1], x[:size][y[:size] == 0]
            truth[r, k] = (ones.size == 0 or zeros.size == 0 or ones.max() <= zeros.min()
                           or zeros.max() <= ones.min())
    assert truth.sum() > 10                     # the test has separated batches to find
    assert np.array_equal(flagged, truth)


def test_an_all_ones_batch_of_markov_labels_has_no_minimiser():
    from mcloss.simulate.fitting import fit_replicate

    estimand = build(MARKOV, "scenarios.m")
    counts = {"labels": np.array([10, 30])}
    out = fit_replicate(estimand, counts, {"labels": np.ones(30)})
    assert not out["found"].any() and np.isnan(out["theta"]).all()
    mixed = np.ones(30)
    mixed[::3] = 0.0
    found = fit_replicate(estimand, counts, {"labels": mixed})
    assert found["found"].all()
    assert found["theta"][-1, 0] == pytest.approx(math.log(20 / 10), abs=1e-9)     # logit(p_hat), p_hat = 2/3


def test_least_squares_batches_of_at_most_p_samples_are_counted_not_a_crash():
    estimand = build(HETERO, "scenarios.h")
    sim = run(estimand, np.array([1, 2, 3, 10]), range(20), 4, scenario_key("tiny-ls"))
    missing = np.isnan(sim.estimate["mean_1"]).sum(axis=0)
    assert list(missing[:2]) == [20, 20] and missing[-1] == 0


def test_small_batches_without_a_minimiser_are_counted_not_dropped():
    estimand = build(LOGISTIC, "scenarios.t")
    sim = run(estimand, np.array([6, 12, 200]), range(60), 3, scenario_key("separation"))
    missing = np.isnan(sim.estimate["theta_1"]).sum(axis=0)
    assert missing[0] > 0 and missing[-1] == 0
    assert sim.nonfinite["no_minimiser"].sum() == missing.sum()
    rows = coverage_rows("t", sim, estimand.theory)
    assert rows[rows.n == 6].no_minimiser.iloc[0] == missing[0]


@pytest.mark.parametrize("change,key", [
    (lambda s: s.update(fit={"degree": 9}), "scenarios.bad.fit.degree"),
    (lambda s: s.update(fit={"degree": 1, "ridge": 2}), "scenarios.bad.fit.ridge"),
    (lambda s: s.update(model={"logit": [0.1, 0.8]}), "scenarios.bad"),
    (lambda s: (s.pop("inputs"), s.update(labels={"p": 0.3})), "scenarios.bad.fit.degree"),
    (lambda s: s.update(sampling="antithetic"), "scenarios.bad.sampling"),
    (lambda s: s.update(inputs={"dist": "t", "df": 1.5}), "scenarios.bad.inputs"),
])
def test_bad_fit_blocks_stop_with_one_line_naming_the_key(change, key):
    spec = {k: (dict(v) if isinstance(v, dict) else v) for k, v in LOGISTIC.items()}
    change(spec)
    import copy

    import yaml

    from common import ROOT
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["scenarios"] = {"bad": spec}
    config["sweeps"], config["claims"] = {}, {}
    problem = first_problem(copy.deepcopy(config))
    assert_one_line_error(problem, key, "")


def test_a_singular_j_is_a_config_error_before_any_job():
    # x ~ a law on two points would make J singular for degree 2; a uniform on a tiny interval, degree 6,
    # makes it numerically singular.
    spec = {**LOGISTIC, "inputs": {"dist": "uniform", "loc": 0.0, "scale": 1e-3}, "fit": {"degree": 6}}
    with pytest.raises(ConfigError, match="fit"):
        build(spec, "scenarios.s")
