"""The claim rules of mcloss.judge.claims on hand-made evidence: every claim word reached by an input built for
it, the deciding scenario's numbers, what would settle an inconclusive claim, and the goodness-of-fit checks."""

import math

import numpy as np
import pandas as pd
import pytest
import scipy.stats

from mcloss.evidence.iid import check_stream, lag1
from mcloss.judge import claim_rules, claims
from mcloss.judge import verdicts as v
from mcloss.laws.streams import IIDSampler, MixtureSampler
from mcloss.outputs.pages import claims_markdown, summary_page

HOLDS, REFUTED, PREMISE, INCONCLUSIVE = "holds", "refuted", "premise not met", "inconclusive"
ELSEWHERE = v.ELSEWHERE


def conv_row(scenario, quantity, exact, estimate, mcse, verdict=v.CONVERGES, slope=-0.5, low=-0.51, high=-0.49,
             coverage=0.95, slope_of="rmse", mean_finite=True, var_finite=True, limit_kind=""):
    return {"scenario": scenario, "quantity": quantity, "exact": exact, "estimate": estimate,
            "estimate_mcse": mcse, "ci_low": estimate - 1.96 * mcse, "ci_high": estimate + 1.96 * mcse,
            "z_score": (estimate - exact) / mcse if math.isfinite(exact) else np.nan, "n_max": 10**6,
            "replicates": 400, "slope": slope, "slope_ci_low": low, "slope_ci_high": high, "slope_of": slope_of,
            "fit_min_n": 100, "coverage": coverage, "coverage_mcse": 0.01, "verdict": verdict,
            "reason": f"synthetic: {verdict}", "mean_finite": mean_finite, "var_finite": var_finite,
            "limit_kind": limit_kind, "limit_reason": "synthetic", "tails_reason": "synthetic tails"}


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


def ok(scenario, quantity, verdict=v.CONVERGES, exact=1.0, **kw):
    return conv_row(scenario, quantity, exact, exact, 1e-4, verdict, **kw)


def infinite_mean(scenario, quantity):
    """A quantity whose tails say E|term| is infinite and whose data agree: the verdict `no limit`."""
    return conv_row(scenario, quantity, np.nan, 3.0, np.nan, v.NO_LIMIT, mean_finite=False, var_finite=False)


def wrong_limit(scenario, quantity, exact=1.0):
    """The spread shrinks but the estimate settles 16 MCSE away: `converges elsewhere`."""
    return conv_row(scenario, quantity, exact, exact + 16e-4, 1e-4, ELSEWHERE)


def dependent(scenario, stream="labels"):
    return pd.DataFrame([{"scenario": scenario, "stream": stream, "dependent": True}])


def variance_summary(rows, replicates=400):
    """summary rows at the largest n giving n Var = value on ``replicates`` replicates: emp_se = sqrt(value / n)."""
    n = 10**6
    return pd.DataFrame([{"scenario": scenario, "quantity": quantity, "n": n, "emp_se": math.sqrt(value / n),
                          "replicates": replicates} for scenario, quantity, value in rows])


# --- every claim word, reached by an input built for it -------------------------------------------
def _gan(rows, **kw):
    return evidence(rows, **kw)


GAN_LIMIT_CASES = {
    "both converge": (lambda: _gan([ok("g", "bce"), ok("g", "e_fake")]), ["g"], HOLDS),
    "slower still converges": (lambda: _gan([ok("g", "bce", v.SLOWER), ok("g", "e_fake")]), ["g"], HOLDS),
    "no limit with a finite mean": (lambda: _gan([ok("g", "bce", v.NO_LIMIT), ok("g", "e_fake")]), ["g"], REFUTED),
    "e_fake converges elsewhere": (lambda: _gan([ok("g", "bce"), wrong_limit("g", "e_fake")]), ["g"], REFUTED),
    "infinite-mean sweep point": (lambda: _gan([infinite_mean("g", "bce"), ok("g", "e_fake")]), ["g"], PREMISE),
    "dependent stream": (lambda: _gan([ok("g", "bce"), ok("g", "e_fake")], iid=dependent("g", "fake")), ["g"],
                         PREMISE),
    "unsettled": (lambda: _gan([ok("g", "bce", v.INCONCLUSIVE), ok("g", "e_fake")]), ["g"], INCONCLUSIVE),
    "good and infinite-mean point": (lambda: _gan([ok("g", "bce"), ok("g", "e_fake"), infinite_mean("p", "bce"),
                                                   ok("p", "e_fake")]), ["g", "p"], HOLDS),
}


@pytest.mark.parametrize("case", GAN_LIMIT_CASES)
def test_gan_limit_pz_reaches_each_word(case):
    build, names, expected = GAN_LIMIT_CASES[case]
    row = claims.gan_limit_pz(build(), names)
    assert row["verdict"] == expected, row["detail"]
    assert bool(row["settle"]) == (expected == INCONCLUSIVE)
    if expected == PREMISE:
        assert "premise not met" in row["detail"]


def test_a_claim_row_shows_the_deciding_scenario_and_lists_every_one():
    # The first scenario holds, the second converges elsewhere: the row's numbers are the second's.
    ev = evidence([ok("a", "bce", exact=2.0), ok("a", "e_fake", exact=2.0), ok("b", "bce"), wrong_limit("b", "e_fake")])
    row = claims.gan_limit_pz(ev, ["a", "b"])
    assert row["verdict"] == REFUTED and row["scenario"] == "b" and row["quantity"] == "e_fake"
    assert row["estimate"] == pytest.approx(1.0016) and row["quantity_verdict"] == ELSEWHERE
    assert row["scenarios"] == "a: holds; b: refuted"
    # A scenario that cannot test the claim decides only when none can.
    ev = evidence([infinite_mean("p", "bce"), ok("p", "e_fake"), ok("a", "bce", exact=2.0), ok("a", "e_fake")])
    row = claims.gan_limit_pz(ev, ["p", "a"])
    assert row["verdict"] == HOLDS and row["scenario"] == "a" and row["scenarios"] == "p: premise not met; a: holds"
    assert claims.gan_limit_pz(ev, ["p"])["verdict"] == PREMISE


@pytest.mark.parametrize("target, constant", [("status", lambda *rows: HOLDS), ("status", lambda *rows: REFUTED),
                                              ("status", lambda *rows: INCONCLUSIVE),
                                              ("premise", lambda ev, row, iid=True: None),
                                              ("premise", lambda ev, row, iid=True: "always")])
def test_a_constant_rule_fails_these_tests(monkeypatch, target, constant):
    # The claims-side mapping (status) or the premise check replaced by a constant: some case gives another word.
    monkeypatch.setattr(claim_rules, target, constant)
    wrong = []
    for case, (build, names, expected) in GAN_LIMIT_CASES.items():
        if claims.gan_limit_pz(build(), names)["verdict"] != expected:
            wrong.append(case)
    assert wrong, target


def expect(claim_id, row, word):
    """The claim's verdict is ``word``, with a settle text exactly when it is inconclusive."""
    assert row["verdict"] == word, (claim_id, row["detail"])
    assert bool(row.get("settle")) == (word == INCONCLUSIVE), row.get("settle")
    return row


@pytest.mark.parametrize("ce, word", [(v.CONVERGES, HOLDS), (v.NO_LIMIT, REFUTED), (ELSEWHERE, REFUTED),
                                      (v.INCONCLUSIVE, INCONCLUSIVE)])
def test_label_smoothing_follows_the_quantity_verdict(ce, word):
    ev = evidence([ok("c", "ce", ce)], scenarios={"c": {"label_smoothing": 0.1}})
    expect("label-smoothing", claims.label_smoothing(ev, ["c"]), word)


def test_label_smoothing_on_dependent_labels_is_not_tested():
    ev = evidence([ok("c", "ce")], scenarios={"c": {"label_smoothing": 0.1}}, iid=dependent("c"))
    expect("label-smoothing", claims.label_smoothing(ev, ["c"]), PREMISE)


def _two_bce(constant_ok=True, inputs_identity=True, calibration=v.CONVERGES, iid=None):
    rows = [ok("b", "mle_p"), ok("b", "min_bce", v.CONVERGES if constant_ok else v.NO_LIMIT),
            ok("x", "bce"), ok("x", "calibration", calibration)]
    idents = pd.concat([identity("b", "bce", "bce_binomial"), identity("x", "bce", "bce_bernoulli", inputs_identity)])
    return evidence(rows, identities=idents, scenarios={"b": {}, "x": {"inputs": {"dist": "norm"}}}, iid=iid)


@pytest.mark.parametrize("constant_ok, inputs_identity, calibration, iid, word", [
    (True, True, v.CONVERGES, None, HOLDS),
    (False, True, v.CONVERGES, None, REFUTED),           # the constant model's limit fails
    (True, False, v.CONVERGES, None, REFUTED),           # the input-dependent model's Bernoulli identity fails
    (True, True, v.INCONCLUSIVE, None, INCONCLUSIVE),    # the input-dependent model's calibration is unsettled
    (True, True, ELSEWHERE, None, REFUTED),              # its calibration settles on a wrong limit
])
def test_bce_bernoulli_mle_reads_every_scenario(constant_ok, inputs_identity, calibration, iid, word):
    row = expect("bce-bernoulli-mle", claims.bce_bernoulli_mle(_two_bce(constant_ok, inputs_identity, calibration),
                                                               ["b", "x"]), word)
    assert "b: " in row["detail"] and "x: " in row["detail"] and "decides" in row["rule"]
    assert row["scenario"] == ("x" if word != HOLDS and constant_ok else "b")


def test_bce_bernoulli_mle_presumes_iid_labels():
    # A product likelihood of dependent labels: premise not met, never refuted.
    row = claims.bce_bernoulli_mle(_two_bce(constant_ok=False, iid=dependent("b")), ["b"])
    expect("bce-bernoulli-mle", row, PREMISE)


def _heteroscedastic(gap_exact, holds=True, mcse=1e-4):
    rows = [ok("h", "nll"), conv_row("h", "nll_affine_gap", gap_exact, gap_exact, mcse)]
    return evidence(rows, identities=identity("h", "nll", "nll_from_weighted", holds))


@pytest.mark.parametrize("gap, holds, word", [(-0.0234, True, HOLDS), (2e-4, True, INCONCLUSIVE),
                                              (0.0, True, PREMISE), (-0.0234, False, REFUTED)])
def test_mse_gaussian_nll_on_a_heteroscedastic_model_needs_a_nonzero_gap(gap, holds, word):
    row = expect("mse-gaussian-nll", claims.mse_gaussian_nll(_heteroscedastic(gap, holds), ["h"]), word)
    if word == INCONCLUSIVE:
        # 4 MCSE = 4e-4 against a gap of 2e-4: (4e-4 / 2e-4)^2 = 4 times the 400 replicates resolve it.
        assert "R >= 1601" in row["settle"]


@pytest.mark.parametrize("mse, holds, word", [(v.SLOWER, True, HOLDS), (v.CONVERGES, False, REFUTED),
                                              (v.INCONCLUSIVE, True, INCONCLUSIVE), ("infinite", True, PREMISE)])
def test_mse_gaussian_nll_accepts_slower_convergence(mse, holds, word):
    rows = ([infinite_mean("m", "mse"), infinite_mean("m", "nll")] if mse == "infinite"
            else [ok("m", "mse", mse), ok("m", "nll", mse)])
    ev = evidence(rows, identities=identity("m", "nll", "nll_from_mse", holds))
    expect("mse-gaussian-nll", claims.mse_gaussian_nll(ev, ["m"]), word)


@pytest.mark.parametrize("nll_holds, smoothing_holds, h_pq, word", [
    (True, True, v.CONVERGES, HOLDS), (False, True, v.CONVERGES, REFUTED), (True, False, v.CONVERGES, REFUTED),
    (True, True, v.INCONCLUSIVE, INCONCLUSIVE)])
def test_nll_is_cross_entropy_on_an_input_dependent_model(nll_holds, smoothing_holds, h_pq, word):
    idents = pd.concat([identity("x", "h_pq", "nll_scipy", nll_holds),
                        identity("x", "ce", "ce_smoothing_split", smoothing_holds)])
    ev = evidence([ok("x", "h_pq", h_pq), ok("x", "ce")], identities=idents, scenarios={"x": {"inputs": {}}})
    expect("nll-is-cross-entropy", claims.nll_is_cross_entropy(ev, ["x"]), word)


@pytest.mark.parametrize("holds, word", [(True, HOLDS), (False, REFUTED)])
def test_algebraic_identity_claims_follow_the_identity_only(holds, word):
    ev = evidence([ok("b", "bce", v.INCONCLUSIVE)], identities=identity("b", "bce", "ce2", holds))
    expect("ce2-equals-bce", claims.ce2_equals_bce(ev, ["b"]), word)
    ev = evidence([ok("c", "ce", v.INCONCLUSIVE)], identities=identity("c", "ce", "ce_from_counts", holds))
    expect("nll-is-cross-entropy", claims.nll_is_cross_entropy(ev, ["c"]), word)


@pytest.mark.parametrize("rows, word, decider", [
    ([infinite_mean("cauchy", "bce"), ok("t3", "bce", v.SLOWER)], HOLDS, "t3"),       # Cauchy: outside the LLN
    ([infinite_mean("cauchy", "bce")], PREMISE, "cauchy"),
    ([ok("t3", "bce", v.NO_LIMIT)], REFUTED, "t3"),                                  # finite mean, yet no limit
    ([infinite_mean("cauchy", "bce"), ok("t3", "bce", v.INCONCLUSIVE)], INCONCLUSIVE, "t3"),
    ([conv_row("c", "bce", np.nan, 3.0, np.nan, v.INCONCLUSIVE, mean_finite=False)], INCONCLUSIVE, "c"),
])
def test_cauchy_no_lln_reads_every_assigned_scenario(rows, word, decider):
    names = list(dict.fromkeys(r["scenario"] for r in rows))
    row = expect("cauchy-no-lln", claims.cauchy_no_lln(evidence(rows), names), word)
    assert row["scenario"] == decider
    if names[0] == "cauchy":
        assert "cauchy: premise not met" in row["scenarios"] or len(names) == 1


# --- claims with their own rules ------------------------------------------------
def fraction_evidence(random_var, theory, fixed=v.CONVERGES, random=v.CONVERGES, random_exact=1.3, replicates=400):
    return evidence([ok("f", "bce", fixed, exact=1.3), ok("r", "bce", random, exact=random_exact)],
                    summary=variance_summary([("f", "bce", 1.0), ("r", "bce", random_var)], replicates),
                    variances={"f": {"bce": 1.0}, "r": {"bce": theory}})


@pytest.mark.parametrize("random_var, theory, kw, word", [
    (1.5, 1.5, {}, HOLDS),
    (1.05, 1.05, {}, INCONCLUSIVE),                       # agrees, but the interval contains 1
    (0.5, 1.5, {}, REFUTED),                              # random labels gave a smaller variance
    (2.5, 1.5, {}, REFUTED),                              # the interval excludes theory's ratio
    (1.5, 1.5, {"random": v.NO_LIMIT}, REFUTED),
    (1.5, 1.5, {"random_exact": 1.4}, PREMISE),           # the two scenarios differ in more than the composition
    (1.5, 1.5, {"fixed": v.SLOWER, "random": v.SLOWER}, PREMISE),   # no variance to compare
])
def test_gan_real_fraction_reads_an_f_interval(random_var, theory, kw, word):
    row = expect("gan-real-fraction", claims.gan_real_fraction(fraction_evidence(random_var, theory, **kw),
                                                               ["f", "r"]), word)
    if word == HOLDS:
        f = scipy.stats.f.ppf(1 - (1 - claim_rules.LEVEL) / 2, 399, 399)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((1.5 / f, 1.5 * f), rel=1e-9)
        assert row["exact"] == pytest.approx(1.5) and f"{100 * claim_rules.LEVEL:g}% interval" in row["detail"]
    if word == INCONCLUSIVE:
        needed = claim_rules.replicates_for_power(1.05)
        assert f"R >= {needed:.0f}" in row["settle"] and needed > 400
        # With that many replicates the same ratio is told from 1.
        assert claims.gan_real_fraction(fraction_evidence(1.05, 1.05, replicates=int(needed)), ["f", "r"])[
            "verdict"] == HOLDS


def typeset_evidence(means, bce_exact, bce_verdict=v.CONVERGES, bce_mean_finite=True):
    n = np.array([100, 1000, 10_000, 100_000])
    summary = pd.DataFrame({"scenario": "g", "quantity": "as_typeset", "n": n, "mean_estimate": means(n),
                            "emp_se": 0.02, "replicates": 400})
    rows = [conv_row("g", "as_typeset", np.nan, float(means(n)[-1]), np.nan, v.NO_LIMIT, slope_of="emp_se",
                     limit_kind=v.NO_LIMIT),
            (ok("g", "bce", bce_verdict, exact=bce_exact) if bce_mean_finite else infinite_mean("g", "bce"))]
    return evidence(rows, summary=summary)


def test_misplaced_scaling_every_word():
    def verdict(*args, **kw):
        return claims.gan_misplaced_scaling(typeset_evidence(*args, **kw), ["g"])

    expect("gan-misplaced-scaling", verdict(lambda n: -0.75 * n, 1.35), REFUTED)
    # D ~ 0 on the fakes (e.g. logit [-40, 0]): the unscaled sum of log(1 - D) stays negligible, the estimate
    # settles on the scaled limit -BCE (4 MCSE = 4 x 0.02 / 20 = 0.004).
    expect("gan-misplaced-scaling", verdict(lambda n: np.full(n.shape, -20.0), 20.0), HOLDS)
    expect("gan-misplaced-scaling", verdict(lambda n: np.full(n.shape, -19.99), 20.0), REFUTED)   # settles elsewhere
    expect("gan-misplaced-scaling", verdict(lambda n: -0.75 * n, 1.35, v.INCONCLUSIVE), INCONCLUSIVE)
    expect("gan-misplaced-scaling", verdict(lambda n: -0.75 * n ** 0.5, 1.35), INCONCLUSIVE)      # neither pattern
    expect("gan-misplaced-scaling", verdict(lambda n: -0.75 * n, 1.35, bce_mean_finite=False), PREMISE)


MINUS_LOG_4 = -math.log(4.0)
NORMAL = {"dist": "norm", "loc": 0.0, "scale": 1.0}


def optimal_evidence(equal_verdict, check_holds=True, equal_exact=MINUS_LOG_4, generator=NORMAL, value=-1.2):
    checks = pd.DataFrame([{"scenario": "o", "check": "value_at_optimal_D", "value": value, "reference": -1.2,
                            "abs_diff": 1e-12, "holds": check_holds}])
    return evidence([ok("o", "value", exact=-1.2), ok("e", "value", equal_verdict, exact=equal_exact)],
                    checks=checks, scenarios={"e": {"data": NORMAL, "generator": generator}})


def test_gan_optimal_jsd_names_the_degenerate_case_and_reaches_each_word():
    row = expect("gan-optimal-jsd", claims.gan_optimal_jsd(optimal_evidence(v.DEGENERATE), ["o", "e"]), HOLDS)
    assert "degenerate case" in row["detail"] and "z =" not in row["detail"]
    expect("gan-optimal-jsd", claims.gan_optimal_jsd(optimal_evidence(v.DEGENERATE, False), ["o", "e"]), REFUTED)
    # p_g = p_data by the config, yet the exact value is not -log 4: refuted.
    expect("gan-optimal-jsd", claims.gan_optimal_jsd(optimal_evidence(v.CONVERGES, True, -1.3), ["o", "e"]), REFUTED)
    # The second scenario's generator is not the data's law: it cannot test "-log 4 when p_g = p_data".
    moved = {**NORMAL, "loc": 1.0}
    row = claims.gan_optimal_jsd(optimal_evidence(v.CONVERGES, True, -1.3, moved), ["o", "e"])
    assert expect("gan-optimal-jsd", row, HOLDS)["scenarios"] == "o: holds; e: premise not met"
    expect("gan-optimal-jsd", claims.gan_optimal_jsd(optimal_evidence(v.INCONCLUSIVE), ["o", "e"]), INCONCLUSIVE)
    row = claims.gan_optimal_jsd(optimal_evidence(v.DEGENERATE, value=np.inf), ["o", "e"])
    assert expect("gan-optimal-jsd", row, INCONCLUSIVE)["settle"].startswith("o: a finite quadrature")


def chain_evidence(ergodic_verdict, frozen_verdict, measured, theory, iid=None):
    """p = 2/3 (p(1-p) = 2/9); n Var(p_hat) measured against theory."""
    return evidence([ok("c", "mle_p", ergodic_verdict, exact=2 / 3),
                     ok("f", "mle_p", frozen_verdict, exact=np.nan, limit_kind=v.RANDOM_LIMIT)],
                    summary=variance_summary([("c", "mle_p", measured)]), variances={"c": {"mle_p": theory}}, iid=iid)


INFLATED = 2 / 9 * 5.667


@pytest.mark.parametrize("ergodic, frozen, measured, theory, names, word", [
    (v.CONVERGES, v.RANDOM_LIMIT, INFLATED, INFLATED, ["c", "f"], REFUTED),       # dependent, yet it converges
    (v.RANDOM_LIMIT, v.RANDOM_LIMIT, 1.0, 1.0, ["c", "f"], HOLDS),                 # neither converges
    (v.CONVERGES, v.RANDOM_LIMIT, 2 / 9, 2 / 9, ["c"], PREMISE),                   # an i.i.d. chain
    (v.CONVERGES, v.RANDOM_LIMIT, 2 / 9, 2 / 9, ["c", "f"], HOLDS),                # ...beside a frozen one
    (v.CONVERGES, v.RANDOM_LIMIT, 2 / 9 * 3.0, INFLATED, ["c", "f"], INCONCLUSIVE),   # variance contradicts theory
    (v.INCONCLUSIVE, v.RANDOM_LIMIT, 1.0, INFLATED, ["c", "f"], INCONCLUSIVE)])
def test_dependent_data_every_word(ergodic, frozen, measured, theory, names, word):
    row = claims.dependent_data(chain_evidence(ergodic, frozen, measured, theory), names)
    expect("dependent-data", row, word)


def test_dependent_data_reads_the_iid_check_for_dependence():
    # No inflation in theory, but the i.i.d. check marks the chain's stream dependent: it tests the claim (and
    # converges, refuting it) where the same chain without that mark cannot (premise not met above).
    row = claims.dependent_data(chain_evidence(v.CONVERGES, v.RANDOM_LIMIT, 2 / 9, 2 / 9, dependent("c")), ["c"])
    expect("dependent-data", row, REFUTED)


# --- the table and the pages ---------------------------------------------------------
def test_missing_scenarios_are_not_run_and_the_table_has_its_columns():
    table = claims.judge(evidence([conv_row("gan_balanced", "bce", 1.0, 1.0, 1e-3)]), {"gan-optimal-jsd": ["nope"]})
    row = table[table.claim_id == "gan-optimal-jsd"].iloc[0]
    assert row.verdict == "not run" and "nope" in row.detail
    assert list(table.columns) == claims.CLAIM_COLUMNS
    assert set(table.claim_id) == {c.claim_id for c in claims.CLAIMS}
    assert len(table) == 13 + len(claims.FIT_CLAIMS) + len(claims.FORMULA_CLAIMS) + len(claims.PLAN_CLAIMS)
    assert set(table.evidence_kind) <= set(claims.EVIDENCE_KINDS) and set(table.verdict) <= set(claims.VERDICTS)
    assert table.set_index("claim_id").loc["ce2-equals-bce", "evidence_kind"] == "algebraic (code check)"
    assert not table.source.str.contains("seed").any()
    assert "Cross-entropy vs binary cross-entropy (answer 1)" in set(table.source)
    assert "partly holds" not in claims.VERDICTS and set(claims.LEGEND) == set(claims.VERDICTS)


def test_pages_print_the_words_the_decider_and_what_would_settle_it():
    ev = evidence([infinite_mean("s0", "bce"), ok("s0", "e_fake"), ok("s1", "bce", v.SLOWER),
                   ok("s2", "ce", v.INCONCLUSIVE)])
    ev.convergence.loc[2, ["ci_low", "ci_high"]] = np.nan
    table = claims.judge(ev, {"cauchy-no-lln": ["s0", "s1"], "gan-limit-pz": ["s0"], "label-smoothing": ["s2"]})
    text = claims_markdown(table, seed=1, replicates=10)
    line = next(line for line in text.splitlines() if line.startswith("| `cauchy-no-lln`"))
    cells = [cell.strip() for cell in line.split("|")]
    assert cells[2] == "**holds**" and cells[4].startswith("s1 bce") and "[" not in cells[6]   # no interval: slower
    assert "- every assigned scenario: s0: premise not met; s1: holds" in text
    settle = next(line for line in text.splitlines() if line.startswith("| `label-smoothing`")).split("|")[8]
    assert "more replicates R" in settle
    for word, meaning in claims.LEGEND.items():
        assert f"- **{word}**: {meaning}" in text
    page = summary_page(pd.DataFrame(columns=["scenario", "estimand", "quantity", "verdict"]), table, 1, 10, {})
    assert "| `gan-limit-pz` | **premise not met** | s0 |" in page and "- **premise not met**:" in page
    assert "s2/ce: more replicates R" in page
    assert "**partly holds**" not in text and "**partly holds**" not in page


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


@pytest.mark.parametrize("stay, verdict", [((0.9, 0.8), REFUTED), ((0.3, 0.7), HOLDS)])
def test_dependent_data_verdict_flips_when_the_chain_is_made_iid(stay, verdict):
    # stay1 + stay0 = 1 makes the chain i.i.d. (rho = 0): it cannot test the claim, and the frozen chain decides.
    specs = {"chain": {**MARKOV, "labels": {"markov": {"stay1": stay[0], "stay0": stay[1]}}},
             "frozen": {**MARKOV, "labels": {"markov": {"stay1": 1.0, "stay0": 1.0}}}}
    row = claims.dependent_data(evidence_from_runs(specs), ["chain", "frozen"])
    assert row["verdict"] == verdict, row["detail"]
    assert row["scenario"] == ("chain" if verdict == REFUTED else "frozen")


@pytest.mark.parametrize("data, verdict", [({"dist": "cauchy", "loc": 0.0, "scale": 1.0}, PREMISE),
                                           ({"dist": "norm", "loc": 0.0, "scale": 1.0}, HOLDS)])
def test_cauchy_verdict_flips_when_the_data_are_normal(data, verdict):
    row = claims.cauchy_no_lln(evidence_from_runs({"c": {**GAN, "data": data}}), ["c"])
    assert row["verdict"] == verdict, row["detail"]


@pytest.mark.parametrize("logit, verdict", [([-0.5, 1.5], REFUTED), ([-40.0, 0.0], HOLDS)])
def test_misplaced_scaling_flips_when_the_discriminator_ignores_the_fakes(logit, verdict):
    # With D = sigmoid(-40) everywhere, log(1 - D) ~ -4e-18: the unscaled fake sum stays below rounding over
    # the grid, and the estimator as typeset sits on the scaled limit.
    spec = {**GAN, "data": {"dist": "norm", "loc": 0.0, "scale": 1.0}, "discriminator": {"logit": logit},
            "as_typeset": True}
    row = claims.gan_misplaced_scaling(evidence_from_runs({"g": spec}, replicates=30, n_max=10_000), ["g"])
    assert row["verdict"] == verdict, row["detail"]


def test_what_settles_an_inconclusive_quantity_follows_its_cause():
    import pandas as pd

    from mcloss.judge.claim_rules import settle_quantity

    base = {"scenario": "s", "quantity": "q", "mean_finite": True, "var_finite": True, "exact": 1.0,
            "replicates": 100, "n_max": 1000, "reason": "the RMSE shrinks slower than n^-1/2"}
    assert "more replicates R" in settle_quantity(pd.Series(base))
    for reason, cause in (("exact cross-check failed: c (1 vs 2)", "cross-check"),
                          ("the data contradict the declared tails: ...", "tail index the data confirm")):
        found = settle_quantity(pd.Series({**base, "reason": reason}))
        assert cause in found and "not more data" in found
    assert "E term^2" in settle_quantity(pd.Series({**base, "var_finite": None}))


#: Words a rule text cannot end on without being cut short ("..., or a verdict is").
DANGLING = {"a", "an", "and", "are", "as", "at", "by", "for", "if", "in", "is", "not", "of", "on", "or", "than", "the",
            "to", "unless", "when", "where", "with", "without"}


def whole_rule(rule):
    """The rule text, without the combination note, ends on a word that completes its sentence."""
    own = rule.replace(f" ({claim_rules.COMBINATION})", "")
    last = own.rstrip(").;, ").split()[-1].lower()
    return last not in DANGLING and own.count("(") == own.count(")")


def test_rule_texts_are_whole_and_printed_whole():
    # One row per source claim, each judged on evidence built above for it.
    parts = {
        "gan-limit-pz": claims.gan_limit_pz(GAN_LIMIT_CASES["both converge"][0](), ["g"]),
        "gan-real-fraction": claims.gan_real_fraction(fraction_evidence(1.5, 1.5), ["f", "r"]),
        "gan-misplaced-scaling": claims.gan_misplaced_scaling(typeset_evidence(lambda n: -0.75 * n, 1.35), ["g"]),
        "gan-optimal-jsd": claims.gan_optimal_jsd(optimal_evidence(v.DEGENERATE), ["o", "e"]),
        "ce2-equals-bce": claims.ce2_equals_bce(evidence([ok("b", "bce")], identities=identity("b", "bce", "ce2")),
                                                ["b"]),
        "bce-bernoulli-mle": claims.bce_bernoulli_mle(_two_bce(), ["b", "x"]),
        "mse-gaussian-nll": claims.mse_gaussian_nll(_heteroscedastic(-0.0234), ["h"]),
        "label-smoothing": claims.label_smoothing(evidence([ok("c", "ce")], scenarios={"c": {"label_smoothing": 0.1}}),
                                                  ["c"]),
        "dependent-data": claims.dependent_data(chain_evidence(v.RANDOM_LIMIT, v.RANDOM_LIMIT, 1.0, 1.0), ["c", "f"]),
        "cauchy-no-lln": claims.cauchy_no_lln(evidence([infinite_mean("c", "bce"), ok("t", "bce", v.SLOWER)]),
                                              ["c", "t"]),
    }
    by_id = {c.claim_id: c for c in claims.CLAIMS}
    rows = [{"claim_id": key, "source": by_id[key].source, "statement": by_id[key].statement,
             "evidence_kind": by_id[key].evidence_kind, **row} for key, row in parts.items()]
    table = pd.DataFrame(rows).reindex(columns=claims.CLAIM_COLUMNS)
    text = claims_markdown(table, seed=1, replicates=10)
    for row in table.itertuples():
        assert whole_rule(row.rule), (row.claim_id, row.rule[-80:])
        # The page prints the rule whole, as a sentence of its own.
        assert f"- rule: {row.rule}.\n" in text, row.claim_id
    assert not whole_rule("holds: ...; inconclusive: the check is missing, or a verdict is")
