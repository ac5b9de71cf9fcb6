"""End to end: cross-entropy, BCE and Gaussian NLL scenarios the default config does not use."""


import numpy as np
import pandas as pd
import pytest
import scipy.special
import scipy.stats
import yaml

from common import snakemake

pytestmark = pytest.mark.slow

# Probabilities, logits, laws and parameters that appear nowhere in config.yaml.
SCENARIOS = {
    "ce_unseen": {
        "estimand": "cross_entropy",
        "labels": {"probs": [0.15, 0.25, 0.35, 0.25]},
        "model": {"logits": [0.3, -0.7, 1.1, 0.0]},
        "label_smoothing": 0.2,
    },
    "bce_unseen": {"estimand": "binary_cross_entropy", "labels": {"p": 0.65}, "model": {"logit": -0.4}},
    "nll_unseen": {
        "estimand": "gaussian_nll",
        "data": {"dist": "lognorm", "s": 0.5, "scale": 1.2},
        "model": {"mean": 0.2, "sigma": 0.9},
    },
}


def independent_values():
    """Every limit from scipy's own routines, none from mcloss."""
    ce = SCENARIOS["ce_unseen"]
    p, eps = np.array(ce["labels"]["probs"]), ce["label_smoothing"]
    q = scipy.special.softmax(ce["model"]["logits"])
    h, kl = scipy.stats.entropy(p), scipy.stats.entropy(p, q)
    smoothed = -np.sum(((1 - eps) * p + eps / p.size) * np.log(q))
    values = {("ce_unseen", "ce"): smoothed, ("ce_unseen", "ce_from_counts"): smoothed,
              ("ce_unseen", "h_pq"): h + kl, ("ce_unseen", "entropy"): h, ("ce_unseen", "kl"): kl}
    b = SCENARIOS["bce_unseen"]
    pb, qb = b["labels"]["p"], scipy.special.expit(b["model"]["logit"])
    bce = -(pb * scipy.stats.bernoulli(qb).logpmf(1) + (1 - pb) * scipy.stats.bernoulli(qb).logpmf(0))
    values.update({("bce_unseen", "bce"): bce, ("bce_unseen", "ce2"): bce, ("bce_unseen", "bce_binomial"): bce,
                   ("bce_unseen", "mle_p"): pb, ("bce_unseen", "min_bce"): scipy.stats.entropy([pb, 1 - pb])})
    g = SCENARIOS["nll_unseen"]
    data = scipy.stats.lognorm(g["data"]["s"], scale=g["data"]["scale"])
    m, s = g["model"]["mean"], g["model"]["sigma"]
    options = {"epsabs": 1e-12, "epsrel": 1e-12, "limit": 200}
    nll = data.expect(lambda y: -scipy.stats.norm.logpdf(y, m, s), **options)
    values.update({("nll_unseen", "mse"): data.expect(lambda y: (y - m) ** 2, **options),
                   ("nll_unseen", "nll"): nll, ("nll_unseen", "nll_from_mse"): nll})
    return values


#: The scenario whose figures the fixture makes.
FIGURED = next(iter(SCENARIOS))

@pytest.fixture(scope="module")
def results(tmp_path_factory):
    directory = tmp_path_factory.mktemp("losses")
    config = {
        "seed": 3,
        "replicates": 30,
        "replicates_per_job": 30,
        "batch_sizes": {"min": 1, "max": 20000, "per_decade": 4},
        "analysis": {"slope_min_n": 50, "bootstrap": 50, "paths": 5},
        "scenarios": SCENARIOS,
    }
    (directory / "config.yaml").write_text(yaml.safe_dump(config))
    # The tables, and the identity figure of one scenario through the rules (a figures job draws every figure of
    # its scenario, ~15 s; the identity figure itself is tested in test_outputs.py, the others in test_pipeline.py).
    targets = [f"results/tables/{table}.csv" for table in ("convergence", "identities", "exact_checks")]
    targets += [f"results/figures/{FIGURED}/identities.png"]
    run = snakemake(directory, "--cores", 2, *targets)
    assert run.returncode == 0, run.stderr[-3000:]
    return directory / "results"


def test_largest_n_estimates_are_within_4_mcse_of_independent_values(results):
    conv = pd.read_csv(results / "tables" / "convergence.csv")
    values = independent_values()
    assert set(zip(conv.scenario, conv.quantity)) == set(values)
    for row in conv.itertuples():
        value = values[(row.scenario, row.quantity)]
        assert row.exact == pytest.approx(value, rel=1e-9, abs=1e-12), row
        assert row.n_max == 20000 and row.replicates == 30
        assert abs(row.estimate - value) <= 4 * row.estimate_mcse, row


def test_every_identity_and_exact_check_holds(results):
    identities = pd.read_csv(results / "tables" / "identities.csv")
    assert set(identities.identity) == {"ce == ce_from_counts", "bce == ce2", "bce == bce_binomial",
                                        "nll == nll_from_mse"}
    assert identities.holds.all() and (identities.nonfinite == 0).all(), identities
    assert (identities.max_scaled_deviation <= identities.tolerance).all() and identities.holds.all()
    checks = pd.read_csv(results / "tables" / "exact_checks.csv")
    assert set(checks.scenario) == set(SCENARIOS)
    assert checks.holds.all(), checks


def test_identity_figures_are_written(results):
    assert (results / "figures" / FIGURED / "identities.pdf").read_bytes().startswith(b"%PDF")
    assert (results / "figures" / FIGURED / "identities.png").read_bytes().startswith(b"\x89PNG")
