"""The verdict rules of mcloss.claims on hand-made evidence, and the goodness-of-fit checks."""

import math

import numpy as np
import pandas as pd
import pytest
import scipy.stats

from mcloss import claims
from mcloss.iid import check_stream, lag1
from mcloss.streams import IIDSampler, MixtureSampler


def conv_row(scenario, quantity, exact, estimate, mcse, slope=-0.5, low=-0.51, high=-0.49, coverage=0.95,
             slope_of="rmse"):
    return {"scenario": scenario, "quantity": quantity, "exact": exact, "estimate": estimate,
            "estimate_mcse": mcse, "ci_low": estimate - 1.96 * mcse, "ci_high": estimate + 1.96 * mcse,
            "z_score": (estimate - exact) / mcse if math.isfinite(exact) else np.nan, "n_max": 10**6,
            "slope": slope, "slope_ci_low": low, "slope_ci_high": high, "slope_of": slope_of, "fit_min_n": 100,
            "coverage": coverage, "coverage_mcse": 0.01}


def evidence(rows, summary=None, identities=None, checks=None, iid=None, variances=None):
    empty = pd.DataFrame(columns=["scenario"])
    return claims.Evidence(summary=summary if summary is not None else empty, convergence=pd.DataFrame(rows),
                           identities=identities if identities is not None else empty,
                           exact_checks=checks if checks is not None else empty,
                           iid=iid if iid is not None else pd.DataFrame(columns=["scenario"]),
                           variances=variances or {})


def test_converges_needs_the_limit_and_the_rate():
    assert claims.converges(pd.Series(conv_row("s", "q", 1.0, 1.0003, 1e-4)))
    assert not claims.converges(pd.Series(conv_row("s", "q", 1.0, 1.0005, 1e-4)))       # 5 MCSE off
    assert not claims.converges(pd.Series(conv_row("s", "q", 1.0, 1.0, 1e-4, -0.2, -0.25, -0.15)))  # slow rate
    assert not claims.converges(pd.Series(conv_row("s", "q", np.nan, 1.0, 1e-4)))


def test_cauchy_verdict_follows_the_data():
    no_limit = evidence([conv_row("c", "bce", np.nan, 3.0, 1.0, 0.01, -0.1, 0.1, slope_of="emp_se")])
    assert claims.cauchy_no_lln(no_limit, ["c"])["verdict"] == "no limit"
    normal = evidence([conv_row("c", "bce", 1.0, 1.0001, 1e-4)])
    assert claims.cauchy_no_lln(normal, ["c"])["verdict"] == "holds"


def test_missing_scenarios_are_not_run():
    table = claims.judge(evidence([conv_row("gan_balanced", "bce", 1.0, 1.0, 1e-3)]), {"gan-optimal-jsd": ["nope"]})
    row = table[table.claim_id == "gan-optimal-jsd"].iloc[0]
    assert row.verdict == "not run" and "nope" in row.detail
    assert list(table.columns) == claims.CLAIM_COLUMNS
    assert set(table.claim_id) == {c.claim_id for c in claims.CLAIMS}


def test_misplaced_scaling_is_refuted_when_it_grows_like_n():
    n = np.array([100, 1000, 10_000, 100_000])
    summary = pd.DataFrame({"scenario": "g", "quantity": "as_typeset", "n": n, "mean_estimate": -0.75 * n})
    rows = [conv_row("g", "as_typeset", np.nan, -7.5e5, 10.0, 0.5, 0.45, 0.55, slope_of="emp_se"),
            conv_row("g", "bce", 1.35, 1.35, 1e-4)]
    assert claims.gan_misplaced_scaling(evidence(rows, summary=summary), ["g"])["verdict"] == "refuted"


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


def test_a_degenerate_estimator_equal_to_the_limit_converges():
    exact = -math.log(4.0)
    row = pd.Series(conv_row("s", "value", exact, exact + 2e-16, 1.1e-17, 0.02, 0.01, 0.03))
    assert claims.converges(row)
    assert not claims.converges(pd.Series(conv_row("s", "value", exact, exact + 1e-9, 1e-17, 0.02, 0.01, 0.03)))


def evidence_from_runs(specs, replicates=200, n_max=20_000, seed=11):
    """Evidence built by the pipeline's own functions, without snakemake."""
    from mcloss import summarise
    from mcloss.engine import simulate
    from mcloss.estimands import build
    from mcloss.grid import batch_grid
    from mcloss.streams import scenario_key

    summaries, convergences, variances = [], [], {}
    for name, spec in specs.items():
        estimand = build(spec, name)
        grid = batch_grid(1, n_max, 6, estimand.batch_unit)
        key = scenario_key(name)
        sim = simulate(estimand, grid, range(replicates), seed, key)
        exact = estimand.exact()
        summaries.append(summarise.summary_table(name, estimand.name, sim, estimand.quantities, exact))
        convergences.append(summarise.convergence_table(name, sim, estimand.quantities, exact, 100, 100, seed, key))
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


@pytest.mark.parametrize("data, verdict", [({"dist": "cauchy", "loc": 0.0, "scale": 1.0}, "no limit"),
                                           ({"dist": "norm", "loc": 0.0, "scale": 1.0}, "holds")])
def test_cauchy_verdict_flips_when_the_data_are_normal(data, verdict):
    row = claims.cauchy_no_lln(evidence_from_runs({"c": {**GAN, "data": data}}), ["c"])
    assert row["verdict"] == verdict, row["detail"]
