"""End to end, small: t(3) data with a quadratic logit converge slower than n^-1/2, and the run says so."""

import math

import numpy as np
import pandas as pd
import pytest
import scipy.integrate
import scipy.stats
import yaml

from common import snakemake

pytestmark = pytest.mark.slow

T3_QUADRATIC = {
    "estimand": "gan_discriminator",
    "data": {"dist": "t", "df": 3.0, "loc": 0.0, "scale": 1.0},
    "generator": {"dist": "norm", "loc": 1.0, "scale": 1.0},
    "discriminator": {"logit": [0.5, 0.5, -0.3]},
    "real_fraction": 0.5,
}


def independent_bce():
    """-(E_t3[log D] + E_norm[log(1 - D)]) / 2: the t(3) part as (2/pi) int log D(sqrt 3 tan th) cos^2 th dth."""
    logit = lambda x: 0.5 + 0.5 * x - 0.3 * x * x  # noqa: E731
    e_real = scipy.integrate.quad(lambda th: -np.logaddexp(0.0, -logit(math.sqrt(3.0) * math.tan(th)))
                                  * math.cos(th) ** 2 * 2.0 / math.pi, -math.pi / 2, math.pi / 2, limit=500,
                                  epsabs=1e-14, epsrel=1e-13)[0]
    e_fake = scipy.stats.norm(1.0, 1.0).expect(lambda x: -np.logaddexp(0.0, logit(x)), epsabs=1e-13, epsrel=1e-12)
    return -(e_real + e_fake) / 2.0


def test_t3_quadratic_logit_converges_slower_with_no_interval(tmp_path):
    config = {"seed": 3, "replicates": 40, "replicates_per_job": 40,
              "batch_sizes": {"min": 1, "max": 20000, "per_decade": 4},
              "analysis": {"slope_min_n": 50, "bootstrap": 100, "paths": 5},
              "scenarios": {"gan_t3_quadratic": T3_QUADRATIC}}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    run = snakemake(tmp_path, "--cores", 2, "results/verdicts.csv")
    assert run.returncode == 0, run.stderr[-3000:]
    verdicts = pd.read_csv(tmp_path / "results" / "verdicts.csv").set_index("quantity")
    bce = verdicts.loc["bce"]
    assert bce.verdict == "converges, slower than n^-1/2", bce.reason
    assert bce.exact == pytest.approx(independent_bce(), abs=1e-9)
    assert bce.expected_slope == pytest.approx(-1 / 3) and bce.slope_of == "iqr"
    assert math.isnan(bce.estimate_mcse)
    conv = pd.read_csv(tmp_path / "results" / "tables" / "convergence.csv").set_index("quantity")
    assert conv.loc["bce", ["ci_low", "ci_high", "z_score", "coverage", "coverage_mcse"]].isna().all()
    summary = pd.read_csv(tmp_path / "results" / "tables" / "summary.csv")
    assert summary[summary.quantity == "bce"].coverage.isna().all()
