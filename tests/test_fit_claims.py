"""The fitted models' claims (mcloss.judge.fit_claims): every branch flipped by its inputs, and a rule replaced by a
constant fails; the end-to-end values come from a real fit."""

import numpy as np
import pandas as pd
import pytest

from mcloss.judge import claim_rules, claims, fit_claims
from mcloss.judge import verdicts as v

HOLDS, REFUTED, INCONCLUSIVE, PREMISE = (claim_rules.HOLDS, claim_rules.REFUTED, claim_rules.INCONCLUSIVE,
                                         claim_rules.PREMISE)
N = 10_000
TRACE = 2.0


def summary_row(scenario, quantity, n_error, n_mcse, exact=0.0, coverage=np.nan, replicates=400):
    return {"scenario": scenario, "quantity": quantity, "n": N, "bias": n_error / N, "bias_mcse": n_mcse / N,
            "exact": exact, "mean_estimate": exact + n_error / N, "coverage": coverage, "replicates": replicates}


def conv_row(scenario, quantity, verdict=v.CONVERGES, exact=0.5, estimate=0.5):
    return {"scenario": scenario, "quantity": quantity, "exact": exact, "estimate": estimate, "estimate_mcse": 0.01,
            "ci_low": estimate - 0.02, "ci_high": estimate + 0.02, "verdict": verdict,
            "reason": f"synthetic: {verdict}", "n_max": N, "replicates": 400, "mean_finite": True,
            "var_finite": True, "limit_kind": ""}


def theory(dependence=1.0, names=("theta_0", "theta_1"), sandwich=0.95, model=0.93):
    half = TRACE / 2
    return {"trace": TRACE * dependence, "parameters": len(names), "well_specified": False, "dependence": dependence,
            "names": list(names), "bias_per_n": {"excess_risk": half, "train_gap": half, "test_value": -TRACE,
                                                 "test_risk": half},
            "coverage_asymptotic": {"model": [model] * len(names), "sandwich": [sandwich] * len(names)}}


def ev(summary, convergence=(), fits=None):
    empty = pd.DataFrame(columns=["scenario"])
    return claims.Evidence(summary=pd.DataFrame(summary), convergence=pd.DataFrame(list(convergence) or
                                                                                   [conv_row("s", "theta_0")]),
                           identities=empty, exact_checks=empty, iid=empty, variances={}, fits=fits or {})


OPTIMISM = {
    "holds": ([(1.02, 0.1), (0.98, 0.1)], HOLDS),
    "refuted: wrong constant": ([(2.5, 0.1), (0.98, 0.1)], REFUTED),
    "inconclusive: not told from 0": ([(1.0, 0.3), (1.0, 0.3)], INCONCLUSIVE),
}


@pytest.mark.parametrize("case", OPTIMISM)
def test_optimism_tic_reaches_each_word(case):
    (excess, gap), word = OPTIMISM[case]
    evidence = ev([summary_row("s", "excess_risk", *excess), summary_row("s", "train_gap", *gap)],
                  fits={"s": theory()})
    assert claims.optimism_tic(evidence, ["s"])["verdict"] == word


GAN = {
    "holds": ([(1.0, 0.1), (-2.0, 0.2)], HOLDS),
    "refuted: test value off": ([(1.0, 0.1), (0.0, 0.2)], REFUTED),
    "refuted: no overstatement": ([(0.0, 0.1), (-2.0, 0.2)], REFUTED),
    "inconclusive": ([(1.0, 0.4), (-2.0, 0.8)], INCONCLUSIVE),
}


@pytest.mark.parametrize("case", GAN)
def test_gan_trained_discriminator_reaches_each_word(case):
    (gap, test), word = GAN[case]
    evidence = ev([summary_row("g", "train_gap", *gap), summary_row("g", "test_value", *test)],
                  fits={"g": theory()})
    assert claims.gan_trained_discriminator(evidence, ["g"])["verdict"] == word


MLE = {
    "holds": ((v.CONVERGES, v.CONVERGES), (0.95, 0.94), HOLDS),
    "refuted: under-covers": ((v.CONVERGES, v.CONVERGES), (0.95, 0.85), REFUTED),
    "refuted: converges elsewhere": ((v.CONVERGES, v.ELSEWHERE), (0.95, 0.95), REFUTED),
    "inconclusive": ((v.CONVERGES, v.INCONCLUSIVE), (0.95, 0.95), INCONCLUSIVE),
}


@pytest.mark.parametrize("case", MLE)
def test_logistic_regression_mle_reaches_each_word(case):
    verdicts, coverages, word = MLE[case]
    names = ("theta_0", "theta_1")
    evidence = ev([summary_row("l", q, 0.0, 1.0, coverage=c) for q, c in zip(names, coverages)],
                  [conv_row("l", q, verdict) for q, verdict in zip(names, verdicts)], fits={"l": theory()})
    assert claims.logistic_regression_mle(evidence, ["l"])["verdict"] == word


DEPENDENT = {
    "premise not met: independent": (1.0, v.CONVERGES, 0.95, PREMISE),
    "refuted: converges, control passes": (5.667, v.CONVERGES, 0.59, REFUTED),
    "inconclusive: control fails": (5.667, v.CONVERGES, 0.95, INCONCLUSIVE),
    "holds: no limit": (5.667, v.NO_LIMIT, 0.59, HOLDS),
}


@pytest.mark.parametrize("case", DEPENDENT)
def test_dependent_data_on_a_fitted_scenario_reaches_each_word(case):
    factor, verdict, coverage, word = DEPENDENT[case]
    fit = theory(factor, names=("theta_0",), sandwich=0.5897, model=0.5897)
    evidence = ev([summary_row("m", "theta_0", 0.0, 1.0, coverage=coverage)], [conv_row("m", "theta_0", verdict)],
                  fits={"m": fit})
    assert claims.dependent_data(evidence, ["m"])["verdict"] == word


@pytest.mark.parametrize("constant", [HOLDS, REFUTED, INCONCLUSIVE])
def test_a_constant_first_order_rule_fails_these_tests(monkeypatch, constant):
    monkeypatch.setattr(fit_claims, "_first_order_verdict", lambda checks, positive: (constant, ""))
    wrong = [case for case, (pair, word) in OPTIMISM.items()
             if claims.optimism_tic(ev([summary_row("s", "excess_risk", *pair[0]),
                                        summary_row("s", "train_gap", *pair[1])], fits={"s": theory()}),
                                    ["s"])["verdict"] != word]
    assert wrong


def test_fit_claims_are_in_the_catalogue_with_their_sources():
    ids = [c.claim_id for c in claims.CLAIMS]
    assert {"gan-trained-discriminator", "logistic-regression-mle", "optimism-tic"} <= set(ids)
    assert len(ids) == len(set(ids))
