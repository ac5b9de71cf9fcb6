"""The verdict rules of mcloss.judge.claims on hand-made evidence, and the goodness-of-fit checks."""

import math

import numpy as np
import pandas as pd
import pytest
import scipy.stats

from mcloss.evidence.iid import check_stream, lag1
from mcloss.judge import claims
from mcloss.judge import verdicts as v
from mcloss.laws.streams import IIDSampler, MixtureSampler
from mcloss.outputs.pages import claims_markdown


def conv_row(scenario, quantity, exact, estimate, mcse, verdict=v.CONVERGES, slope=-0.5, low=-0.51, high=-0.49,
             coverage=0.95, slope_of="rmse"):
    return {"scenario": scenario, "quantity": quantity, "exact": exact, "estimate": estimate,
            "estimate_mcse": mcse, "ci_low": estimate - 1.96 * mcse, "ci_high": estimate + 1.96 * mcse,
            "z_score": (estimate - exact) / mcse if math.isfinite(exact) else np.nan, "n_max": 10**6,
            "slope": slope, "slope_ci_low": low, "slope_ci_high": high, "slope_of": slope_of, "fit_min_n": 100,
            "coverage": coverage, "coverage_mcse": 0.01, "verdict": verdict, "reason": f"synthetic: {verdict}"}


def evidence(rows, summary=None, identities=None, checks=None, iid=None, variances=None, scenarios=None):
    empty = pd.DataFrame(columns=["scenario"])
    return claims.Evidence(summary=summary if summary is not None else empty, convergence=pd.DataFrame(rows),
                           identities=identities if identities is not None else empty,
                           exact_checks=checks if checks is not None else empty,
                           iid=iid if iid is not None else pd.DataFrame(columns=["scenario"]),
                           variances=variances or {}, scenarios=scenarios or {})


def identity(scenario, left, right, holds=True):
    return pd.DataFrame([{"scenario": scenario, "identity": f"{left} == {right}", "max_abs_deviation": 0.0 if holds
                          else 1e-3, "batches": 100, "tolerance": 1e-12, "holds": holds}])


def ok(scenario, quantity, verdict=v.CONVERGES, exact=1.0):
    return conv_row(scenario, quantity, exact, exact, 1e-4, verdict)


# --- claims over several scenarios, constant and input-dependent models ---------------------
def _two_bce(constant_ok=True, inputs_identity=True, calibration=v.CONVERGES):
    rows = [ok("b", "mle_p"), ok("b", "min_bce", v.CONVERGES if constant_ok else v.NO_LIMIT),
            ok("x", "bce"), ok("x", "calibration", calibration)]
    idents = pd.concat([identity("b", "bce", "bce_binomial"), identity("x", "bce", "bce_bernoulli", inputs_identity)])
    return evidence(rows, identities=idents, scenarios={"b": {}, "x": {"inputs": {"dist": "norm"}}})


@pytest.mark.parametrize("constant_ok, inputs_identity, calibration, expected", [
    (True, True, v.CONVERGES, "holds"),
    (False, True, v.CONVERGES, "refuted"),          # the constant model's limit fails
    (True, False, v.CONVERGES, "refuted"),          # the input-dependent model's Bernoulli identity fails
    (True, True, v.INCONCLUSIVE, "inconclusive"),   # the input-dependent model's calibration is unsettled
])
def test_bce_bernoulli_mle_reads_every_scenario_and_takes_the_worst(constant_ok, inputs_identity, calibration,
                                                                   expected):
    row = claims.bce_bernoulli_mle(_two_bce(constant_ok, inputs_identity, calibration), ["b", "x"])
    assert row["verdict"] == expected and row["scenario"] == "b,x"
    assert "b: " in row["detail"] and "x: " in row["detail"] and "worst" in row["rule"]


def _heteroscedastic(gap_exact, holds=True):
    rows = [ok("h", "nll"), conv_row("h", "nll_affine_gap", gap_exact, gap_exact, 1e-4)]
    return evidence(rows, identities=identity("h", "nll", "nll_from_weighted", holds))


@pytest.mark.parametrize("gap, holds, expected", [(-0.0234, True, "holds"), (0.0, True, "inconclusive"),
                                                  (-0.0234, False, "refuted")])
def test_mse_gaussian_nll_on_a_heteroscedastic_model_needs_a_nonzero_gap(gap, holds, expected):
    assert claims.mse_gaussian_nll(_heteroscedastic(gap, holds), ["h"])["verdict"] == expected


@pytest.mark.parametrize("nll_holds, smoothing_holds, expected", [(True, True, "holds"), (False, True, "refuted"),
                                                                  (True, False, "refuted")])
def test_nll_is_cross_entropy_on_an_input_dependent_model(nll_holds, smoothing_holds, expected):
    idents = pd.concat([identity("x", "h_pq", "nll_scipy", nll_holds),
                        identity("x", "ce", "ce_smoothing_split", smoothing_holds)])
    ev = evidence([ok("x", "h_pq"), ok("x", "ce")], identities=idents, scenarios={"x": {"inputs": {}}})
    assert claims.nll_is_cross_entropy(ev, ["x"])["verdict"] == expected


def test_the_worst_verdict_order_is_stated_and_total():
    parts = {"a": "holds", "b": "partly holds", "c": "inconclusive"}
    ev = evidence([ok(name, "ce", v.CONVERGES if verdict == "holds" else v.INCONCLUSIVE) for name, verdict
                   in parts.items()], scenarios={name: {"label_smoothing": 0.1} for name in parts})
    assert claims.label_smoothing(ev, ["a", "b", "c"])["verdict"] == "inconclusive"
    assert claims.label_smoothing(ev, ["a"])["verdict"] == "holds"


# --- claims that read "these quantities converge" ---------------------------------
@pytest.mark.parametrize("bce, expected", [(v.CONVERGES, "holds"), (v.SLOWER, "holds"), (v.NO_LIMIT, "refuted"),
                                           (v.INCONCLUSIVE, "inconclusive")])
def test_gan_limit_pz_follows_the_quantity_verdicts(bce, expected):
    ev = evidence([ok("g", "bce", bce), ok("g", "e_fake")])
    assert claims.gan_limit_pz(ev, ["g"])["verdict"] == expected


@pytest.mark.parametrize("ce, expected", [(v.CONVERGES, "holds"), (v.NO_LIMIT, "refuted"),
                                          (v.INCONCLUSIVE, "inconclusive")])
def test_label_smoothing_follows_the_quantity_verdict(ce, expected):
    ev = evidence([ok("c", "ce", ce)], scenarios={"c": {"label_smoothing": 0.1}})
    assert claims.label_smoothing(ev, ["c"])["verdict"] == expected


@pytest.mark.parametrize("min_bce, holds, expected", [(v.CONVERGES, True, "holds"), (v.CONVERGES, False, "refuted"),
                                                      (v.INCONCLUSIVE, True, "inconclusive")])
def test_bce_bernoulli_mle_needs_the_identity_and_both_limits(min_bce, holds, expected):
    ev = evidence([ok("b", "mle_p"), ok("b", "min_bce", min_bce)],
                  identities=identity("b", "bce", "bce_binomial", holds))
    assert claims.bce_bernoulli_mle(ev, ["b"])["verdict"] == expected


@pytest.mark.parametrize("holds, expected", [(True, "holds"), (False, "refuted")])
def test_algebraic_identity_claims_follow_the_identity_only(holds, expected):
    ev = evidence([ok("b", "bce", v.INCONCLUSIVE)], identities=identity("b", "bce", "ce2", holds))
    assert claims.ce2_equals_bce(ev, ["b"])["verdict"] == expected
    ev = evidence([ok("c", "ce", v.INCONCLUSIVE)], identities=identity("c", "ce", "ce_from_counts", holds))
    assert claims.nll_is_cross_entropy(ev, ["c"])["verdict"] == expected


@pytest.mark.parametrize("mse, holds, expected", [(v.SLOWER, True, "holds"), (v.CONVERGES, False, "refuted"),
                                                  (v.INCONCLUSIVE, True, "inconclusive")])
def test_mse_gaussian_nll_accepts_slower_convergence(mse, holds, expected):
    ev = evidence([ok("m", "mse", mse), ok("m", "nll", mse)], identities=identity("m", "nll", "nll_from_mse", holds))
    assert claims.mse_gaussian_nll(ev, ["m"])["verdict"] == expected


@pytest.mark.parametrize("verdicts, expected", [((v.NO_LIMIT,), "refuted"), ((v.CONVERGES,), "holds"),
                                                ((v.NO_LIMIT, v.SLOWER), "partly holds"),
                                                ((v.NO_LIMIT, v.INCONCLUSIVE), "inconclusive")])
def test_cauchy_no_lln_reads_every_assigned_scenario(verdicts, expected):
    names = [f"s{i}" for i in range(len(verdicts))]
    ev = evidence([ok(name, "bce", verdict) for name, verdict in zip(names, verdicts)])
    row = claims.cauchy_no_lln(ev, names)
    assert row["verdict"] == expected
    if verdicts[0] == v.NO_LIMIT:
        assert not np.isfinite(row["estimate"])          # no estimate, let alone a CI, for no limit


# --- claims with their own rules ------------------------------------------------
def variance_summary(rows):
    """summary rows at the largest n giving n Var = value with MCSE err: emp_se = sqrt(value / n)."""
    n = 10**6
    out = []
    for scenario, quantity, value, err in rows:
        emp = math.sqrt(value / n)
        out.append({"scenario": scenario, "quantity": quantity, "n": n, "emp_se": emp,
                    "emp_se_mcse": err / (2 * n * emp)})
    return pd.DataFrame(out)


@pytest.mark.parametrize("random_var, expected", [(1.5, "holds"), (1.01, "partly holds"), (0.5, "refuted"),
                                                  (2.5, "inconclusive")])
def test_gan_real_fraction_reads_the_variance_ratio(random_var, expected):
    ev = evidence([ok("f", "bce", exact=1.3), ok("r", "bce", exact=1.3)],
                  summary=variance_summary([("f", "bce", 1.0, 0.01), ("r", "bce", random_var, 0.01)]),
                  variances={"f": {"bce": 1.0}, "r": {"bce": 1.5 if expected != "partly holds" else 1.01}})
    assert claims.gan_real_fraction(ev, ["f", "r"])["verdict"] == expected


def test_gan_real_fraction_is_refuted_without_a_limit():
    ev = evidence([ok("f", "bce", exact=1.3), ok("r", "bce", v.NO_LIMIT, exact=1.3)])
    assert claims.gan_real_fraction(ev, ["f", "r"])["verdict"] == "refuted"


def typeset_evidence(means, bce_exact, bce_verdict=v.CONVERGES):
    n = np.array([100, 1000, 10_000, 100_000])
    summary = pd.DataFrame({"scenario": "g", "quantity": "as_typeset", "n": n, "mean_estimate": means(n)})
    rows = [conv_row("g", "as_typeset", np.nan, float(means(n)[-1]), 1e-3, v.NO_LIMIT, slope_of="emp_se"),
            ok("g", "bce", bce_verdict, exact=bce_exact)]
    return evidence(rows, summary=summary)


def test_misplaced_scaling_is_refuted_when_it_grows_like_n_and_holds_when_it_settles():
    assert claims.gan_misplaced_scaling(typeset_evidence(lambda n: -0.75 * n, 1.35), ["g"])["verdict"] == "refuted"
    # D ~ 0 on the fakes (e.g. logit [-40, 0]): the unscaled sum of log(1 - D) stays negligible, the estimate
    # settles on the scaled limit -BCE.
    settled = typeset_evidence(lambda n: np.full(n.shape, -20.0), 20.0)
    assert claims.gan_misplaced_scaling(settled, ["g"])["verdict"] == "holds"
    elsewhere = typeset_evidence(lambda n: np.full(n.shape, -19.0), 20.0)
    assert claims.gan_misplaced_scaling(elsewhere, ["g"])["verdict"] == "inconclusive"
    no_control = typeset_evidence(lambda n: -0.75 * n, 1.35, v.NO_LIMIT)
    assert claims.gan_misplaced_scaling(no_control, ["g"])["verdict"] == "inconclusive"


MINUS_LOG_4 = -math.log(4.0)


def optimal_evidence(equal_verdict, check_holds=True, equal_exact=MINUS_LOG_4):
    checks = pd.DataFrame([{"scenario": "o", "check": "value_at_optimal_D", "abs_diff": 1e-12,
                            "holds": check_holds}])
    return evidence([ok("o", "value", exact=-1.2), ok("e", "value", equal_verdict, exact=equal_exact)],
                    checks=checks)


def test_gan_optimal_jsd_names_the_degenerate_case_and_flips_on_the_check():
    row = claims.gan_optimal_jsd(optimal_evidence(v.DEGENERATE), ["o", "e"])
    assert row["verdict"] == "holds" and "degenerate case" in row["detail"] and "z =" not in row["detail"]
    assert claims.gan_optimal_jsd(optimal_evidence(v.DEGENERATE, False), ["o", "e"])["verdict"] == "refuted"
    assert claims.gan_optimal_jsd(optimal_evidence(v.CONVERGES, True, -1.3), ["o", "e"])["verdict"] == "refuted"
    assert claims.gan_optimal_jsd(optimal_evidence(v.INCONCLUSIVE), ["o", "e"])["verdict"] == "inconclusive"


def chain_evidence(ergodic_verdict, frozen_verdict, measured, theory):
    """p = 2/3 (p(1-p) = 2/9); n Var(p_hat) measured against theory."""
    return evidence([ok("c", "mle_p", ergodic_verdict, exact=2 / 3), ok("f", "mle_p", frozen_verdict, exact=np.nan)],
                    summary=variance_summary([("c", "mle_p", measured, 0.01)]), variances={"c": {"mle_p": theory}})


@pytest.mark.parametrize("ergodic, frozen, measured, theory, expected", [
    (v.CONVERGES, v.RANDOM_LIMIT, 2 / 9 * 5.667, 2 / 9 * 5.667, "partly holds"),
    (v.CONVERGES, v.RANDOM_LIMIT, 2 / 9, 2 / 9, "refuted"),                     # an i.i.d. chain
    (v.CONVERGES, v.CONVERGES, 2 / 9 * 5.667, 2 / 9 * 5.667, "refuted"),         # nothing fails
    (v.RANDOM_LIMIT, v.RANDOM_LIMIT, 1.0, 1.0, "holds"),
    (v.CONVERGES, v.RANDOM_LIMIT, 2 / 9 * 3.0, 2 / 9 * 5.667, "inconclusive"),   # variance contradicts theory
    (v.INCONCLUSIVE, v.RANDOM_LIMIT, 1.0, 1.0, "inconclusive")])
def test_dependent_data_every_branch(ergodic, frozen, measured, theory, expected):
    assert claims.dependent_data(chain_evidence(ergodic, frozen, measured, theory), ["c", "f"])["verdict"] == expected


# --- the table ------------------------------------------------------------------
def test_missing_scenarios_are_not_run_and_the_table_has_its_columns():
    table = claims.judge(evidence([conv_row("gan_balanced", "bce", 1.0, 1.0, 1e-3)]), {"gan-optimal-jsd": ["nope"]})
    row = table[table.claim_id == "gan-optimal-jsd"].iloc[0]
    assert row.verdict == "not run" and "nope" in row.detail
    assert list(table.columns) == claims.CLAIM_COLUMNS
    assert set(table.claim_id) == {c.claim_id for c in claims.CLAIMS} and len(table) == 13 + len(claims.PLAN_CLAIMS)
    assert set(table.evidence_kind) <= set(claims.EVIDENCE_KINDS)
    assert table.set_index("claim_id").loc["ce2-equals-bce", "evidence_kind"] == "algebraic (code check)"
    assert not table.source.str.contains("seed").any()
    assert "Cross-entropy vs binary cross-entropy (answer 1)" in set(table.source)


def test_markdown_prints_no_interval_where_there_is_no_variance():
    ev = evidence([ok("s0", "bce", v.NO_LIMIT, exact=np.nan), ok("s1", "bce", v.SLOWER)])
    ev.convergence.loc[1, ["ci_low", "ci_high"]] = np.nan
    table = claims.judge(ev, {"cauchy-no-lln": ["s0", "s1"]})
    text = claims_markdown(table, seed=1, replicates=10)
    line = next(line for line in text.splitlines() if line.startswith("| `cauchy-no-lln`"))
    assert "partly holds" in line and "(" not in line.split("|")[6]


def test_lag1_flags_a_markov_chain_and_passes_iid_noise():
    rng = np.random.default_rng(0)
    iid = rng.random(50_000) < 0.3
    assert lag1(iid.astype(float))[1] > 1e-3
    chain = np.empty(50_000)
    chain[0] = 1.0
    u = rng.random(50_000)
    for t in range(1, chain.size):
        stay = 0.9 if chain[t - 1] == 1.0 else 0.8
        chain[t] = chain[t - 1] if u[t] < stay else 1.0 - chain[t - 1]
    r1, p = lag1(chain)
    assert r1 == pytest.approx(0.7, abs=0.02) and p < 1e-12


def test_chi_squared_accepts_the_right_law_and_rejects_a_wrong_one():
    good = check_stream(IIDSampler(scipy.stats.gamma(2.0)), np.random.default_rng(1), 100_000)
    assert good["gof_p"] > 1e-3 and not good["dependent"]

    class Mislabelled(IIDSampler):
        def marginal(self):
            m = super().marginal()
            return type(m)(values=m.values, cdf=scipy.stats.gamma(2.1).cdf)

    bad = check_stream(Mislabelled(scipy.stats.gamma(2.0)), np.random.default_rng(1), 100_000)
    assert bad["gof_p"] < 1e-6
    mixture = check_stream(MixtureSampler(0.25, scipy.stats.norm(), scipy.stats.norm(1, 1)),
                           np.random.default_rng(2), 100_000)
    assert mixture["gof_p"] > 1e-3


def evidence_from_runs(specs, replicates=200, n_max=20_000, seed=11):
    """Evidence built by the pipeline's own functions, without snakemake."""
    from mcloss.estimands import build
    from mcloss.evidence import summarise
    from mcloss.judge.convergence import convergence_table
    from mcloss.laws.streams import scenario_key
    from mcloss.maths import tails
    from mcloss.maths.grid import batch_grid
    from mcloss.simulate.engine import simulate

    summaries, convergences, variances = [], [], {}
    for name, spec in specs.items():
        estimand = build(spec, name)
        grid = batch_grid(1, n_max, 6, estimand.batch_unit)
        key = scenario_key(name)
        sim = simulate(estimand, grid, range(replicates), seed, key)
        exact = estimand.exact()
        summaries.append(summarise.summary_table(name, estimand.name, sim, estimand.quantities, exact))
        convergences.append(convergence_table(name, sim, estimand.quantities, exact, 100, 100, seed, key,
                                                        tails.quantity_analysis(estimand), estimand.name))
        variances[name] = estimand.asymptotic_variance()
    empty = pd.DataFrame(columns=["scenario"])
    return claims.Evidence(summary=pd.concat(summaries), convergence=pd.concat(convergences), identities=empty,
                           exact_checks=empty, iid=empty, variances=variances)


MARKOV = {"estimand": "binary_cross_entropy", "model": {"p": 0.6}}
GAN = {"estimand": "gan_discriminator", "generator": {"dist": "norm", "loc": 1.0, "scale": 1.0},
       "discriminator": {"logit": [-0.5, 1.5]}, "real_fraction": 0.5}


@pytest.mark.parametrize("stay, verdict", [((0.9, 0.8), "partly holds"), ((0.3, 0.7), "refuted")])
def test_dependent_data_verdict_flips_when_the_chain_is_made_iid(stay, verdict):
    # stay1 + stay0 = 1 makes the chain i.i.d. (rho = 0): nothing is dependent, nothing inflated.
    specs = {"chain": {**MARKOV, "labels": {"markov": {"stay1": stay[0], "stay0": stay[1]}}},
             "frozen": {**MARKOV, "labels": {"markov": {"stay1": 1.0, "stay0": 1.0}}}}
    row = claims.dependent_data(evidence_from_runs(specs), ["chain", "frozen"])
    assert row["verdict"] == verdict, row["detail"]


@pytest.mark.parametrize("data, verdict", [({"dist": "cauchy", "loc": 0.0, "scale": 1.0}, "refuted"),
                                           ({"dist": "norm", "loc": 0.0, "scale": 1.0}, "holds")])
def test_cauchy_verdict_flips_when_the_data_are_normal(data, verdict):
    row = claims.cauchy_no_lln(evidence_from_runs({"c": {**GAN, "data": data}}), ["c"])
    assert row["verdict"] == verdict, row["detail"]


@pytest.mark.parametrize("logit, verdict", [([-0.5, 1.5], "refuted"), ([-40.0, 0.0], "holds")])
def test_misplaced_scaling_flips_when_the_discriminator_ignores_the_fakes(logit, verdict):
    # With D = sigmoid(-40) everywhere, log(1 - D) ~ -4e-18: the unscaled fake sum stays below rounding over
    # the grid, and the estimator as typeset sits on the scaled limit.
    spec = {**GAN, "data": {"dist": "norm", "loc": 0.0, "scale": 1.0}, "discriminator": {"logit": logit},
            "as_typeset": True}
    row = claims.gan_misplaced_scaling(evidence_from_runs({"g": spec}, replicates=30, n_max=10_000), ["g"])
    assert row["verdict"] == verdict, row["detail"]
