"""The formula losses' claims (mcloss.judge.formula_claims): every branch flipped by its inputs, and a rule replaced by
a constant fails."""

import pandas as pd
import pytest
import scipy.integrate
import scipy.stats

from mcloss.judge import claim_rules, claims, formula_claims
from mcloss.judge import verdicts as v
from mcloss.maths.exact import triangular_discrimination

HOLDS, REFUTED, INCONCLUSIVE, PREMISE = (claim_rules.HOLDS, claim_rules.REFUTED, claim_rules.INCONCLUSIVE,
                                         claim_rules.PREMISE)
NORMAL = {"dist": "norm", "loc": 0.0, "scale": 1.0}
SHIFTED = {"dist": "norm", "loc": 1.0, "scale": 1.0}
LSGAN_EXACT = 0.25 - 0.4081085313 / 8


def conv_row(scenario, quantity, verdict=v.CONVERGES, exact=0.5, estimate=0.5):
    return {"scenario": scenario, "quantity": quantity, "exact": exact, "estimate": estimate, "estimate_mcse": 0.01,
            "ci_low": estimate - 0.02, "ci_high": estimate + 0.02, "verdict": verdict,
            "reason": f"synthetic: {verdict}", "n_max": 10_000, "replicates": 200, "mean_finite": True,
            "var_finite": True, "limit_kind": ""}


def identity_row(scenario, left, right, deviation):
    return {"scenario": scenario, "identity": f"{left} == {right}", "batches": 680, "nonfinite": 0,
            "max_abs_deviation": deviation, "tolerance": 1e-12, "holds": deviation <= 1e-12}


def evidence(rows, scenarios, identities=()):
    empty = pd.DataFrame(columns=["scenario", "stream", "dependent"])
    frame = pd.DataFrame(list(identities)) if identities else pd.DataFrame(columns=["scenario", "identity"])
    return claims.Evidence(summary=pd.DataFrame(columns=["scenario"]), convergence=pd.DataFrame(rows),
                           identities=frame, exact_checks=pd.DataFrame(columns=["scenario"]), iid=empty,
                           variances={}, scenarios=scenarios)


def focal_scenario(gamma=0, identities=(("focal", "bce"),)):
    return {"estimand": "binary_cross_entropy", "constants": {"gamma": gamma},
            "losses": {"focal": "-(1-q)**gamma*y*log(q) - q**gamma*(1-y)*log(1-q)"},
            "identities": [list(pair) for pair in identities]}


FOCAL = {
    "holds": ({}, 0.0, (v.CONVERGES, 0.6369, 0.6369), HOLDS),
    "refuted: identity broken": ({}, 1e-6, (v.CONVERGES, 0.6369, 0.6369), REFUTED),
    "refuted: exact limits differ": ({}, 0.0, (v.CONVERGES, 0.70, 0.6369), REFUTED),
    "refuted: converges elsewhere": ({}, 0.0, (v.ELSEWHERE, 0.6369, 0.6369), REFUTED),
    "inconclusive": ({}, 0.0, (v.INCONCLUSIVE, 0.6369, 0.6369), INCONCLUSIVE),
    "premise: gamma 2": ({"gamma": 2}, 0.0, (v.CONVERGES, 0.6369, 0.6369), PREMISE),
    "premise: no identity": ({"identities": ()}, 0.0, (v.CONVERGES, 0.6369, 0.6369), PREMISE),
}


@pytest.mark.parametrize("case", FOCAL)
def test_focal_gamma_zero_reaches_each_word(case):
    spec, deviation, (verdict, focal_exact, bce_exact), word = FOCAL[case]
    ev = evidence([conv_row("f", "focal", verdict, focal_exact, focal_exact), conv_row("f", "bce", v.CONVERGES,
                                                                                          bce_exact, bce_exact)],
                  {"f": focal_scenario(**spec)}, [identity_row("f", "focal", "bce", deviation)])
    assert claims.focal_gamma_zero(ev, ["f"])["verdict"] == word


def lsgan_scenario(discriminator="optimal", fraction=0.5, real="(d - 1)**2"):
    return {"estimand": "gan_discriminator", "data": NORMAL, "generator": SHIFTED, "discriminator": discriminator,
            "real_fraction": fraction, "losses": {"ls": {"real": real, "fake": "d**2"}}}


LSGAN = {
    "holds": ({}, (v.CONVERGES, LSGAN_EXACT), HOLDS),
    "refuted: exact off the closed form": ({}, (v.CONVERGES, LSGAN_EXACT + 1e-6), REFUTED),
    "refuted: no limit": ({}, (v.NO_LIMIT, LSGAN_EXACT), REFUTED),
    "inconclusive": ({}, (v.INCONCLUSIVE, LSGAN_EXACT), INCONCLUSIVE),
    "premise: a fixed discriminator": ({"discriminator": {"logit": [-0.5, 1.5]}}, (v.CONVERGES, LSGAN_EXACT), PREMISE),
    "premise: real fraction 1/4": ({"fraction": 0.25}, (v.CONVERGES, LSGAN_EXACT), PREMISE),
    "premise: another loss": ({"real": "abs(d - 1)"}, (v.CONVERGES, LSGAN_EXACT), PREMISE),
}


@pytest.mark.parametrize("case", LSGAN)
def test_lsgan_optimal_value_reaches_each_word(case):
    spec, (verdict, exact), word = LSGAN[case]
    rows = [conv_row("g", "ls", verdict, exact, exact), conv_row("g", "bce")]
    ev = evidence(rows, {"g": lsgan_scenario(**spec)})
    assert claims.lsgan_optimal_value(ev, ["g"])["verdict"] == word


@pytest.mark.parametrize("rule, table, verdicts", [("_focal_one", "FOCAL", (HOLDS, REFUTED, PREMISE, INCONCLUSIVE)),
                                                    ("_lsgan_one", "LSGAN", (HOLDS, REFUTED, PREMISE, INCONCLUSIVE))])
def test_a_rule_replaced_by_a_constant_fails_these_tests(rule, table, verdicts, monkeypatch):
    """For every constant verdict, some case of the flip table above expects another word: the table tells a rule
    from a constant."""
    cases = FOCAL if table == "FOCAL" else LSGAN
    for constant in verdicts:
        monkeypatch.setattr(formula_claims, rule, lambda ev, name, constant=constant: claim_rules.claim_row(
            ev.row(name, "bce"), "", constant, "constant", ""))
        failing = []
        for case in cases:
            if table == "FOCAL":
                spec, deviation, (verdict, focal_exact, bce_exact), word = cases[case]
                ev = evidence([conv_row("f", "focal", verdict, focal_exact), conv_row("f", "bce", v.CONVERGES,
                                                                                          bce_exact)],
                              {"f": focal_scenario(**spec)}, [identity_row("f", "focal", "bce", deviation)])
                got = claims.focal_gamma_zero(ev, ["f"])["verdict"]
            else:
                spec, (verdict, exact), word = cases[case]
                ev = evidence([conv_row("g", "ls", verdict, exact), conv_row("g", "bce")],
                              {"g": lsgan_scenario(**spec)})
                got = claims.lsgan_optimal_value(ev, ["g"])["verdict"]
            failing.append(got != word)
        assert any(failing), f"a constant {constant} passes every case of {table}"


def test_the_identity_may_be_declared_either_way_round():
    ev = evidence([conv_row("f", "focal", v.CONVERGES, 0.6369), conv_row("f", "bce", v.CONVERGES, 0.6369)],
                  {"f": focal_scenario(identities=(("bce", "focal"),))}, [identity_row("f", "bce", "focal", 1e-6)])
    assert claims.focal_gamma_zero(ev, ["f"])["verdict"] == REFUTED


def test_triangular_discrimination_against_its_definition():
    p, q = scipy.stats.norm(0, 1), scipy.stats.norm(1, 1.5)
    reference = scipy.integrate.quad(lambda x: (p.pdf(x) - q.pdf(x)) ** 2 / (p.pdf(x) + q.pdf(x)), -30, 30,
                                     epsabs=1e-14, epsrel=1e-13, limit=400)[0]
    assert abs(triangular_discrimination(p, q) - reference) < 1e-10
    assert triangular_discrimination(p, p) == 0.0
    n01, n11 = scipy.stats.norm(0, 1), scipy.stats.norm(1, 1)
    assert abs(triangular_discrimination(n01, n11) - 0.4081085313) < 1e-9
