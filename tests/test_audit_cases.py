"""The verdict audit's cases end to end, at three seeds: simulation, exact values, declared tails, the data's
tail index and the verdict rules together. Each case gets the verdict theory gives or `inconclusive` with a
reason, and never a CI, z, MCSE or coverage for a quantity without a finite variance.

(levy_stable generators are left to tests/test_tail_audit.py: their quadrature takes minutes.)
"""

import math

import pytest

from mcloss.estimands import build
from mcloss.evidence.tail_index import quantity_indices
from mcloss.judge import verdicts as v
from mcloss.judge.convergence import convergence_table
from mcloss.laws.streams import scenario_key
from mcloss.maths.grid import batch_grid
from mcloss.maths.tails import quantity_analysis
from mcloss.simulate.engine import simulate

pytestmark = pytest.mark.slow

LOGISTIC = {"logit": [0.0, 1.0]}
CASES = {
    # Burr III generator, c = 1.5: log(1 - D(G(z))) grows like z, so the fake terms have index 1.5.
    "burr_c1.5": ({"estimand": "gan_discriminator", "data": {"dist": "norm"},
                   "generator": {"dist": "burr", "c": 1.5, "d": 2.0}, "discriminator": LOGISTIC, "real_fraction": 0.5},
                  {"e_real": v.CONVERGES, "e_fake": v.SLOWER, "bce": v.SLOWER, "value": v.SLOWER}),
    # c = 0.8: no finite mean on the fake side.
    "burr_c0.8": ({"estimand": "gan_discriminator", "data": {"dist": "norm"},
                   "generator": {"dist": "burr", "c": 0.8, "d": 2.0}, "discriminator": LOGISTIC, "real_fraction": 0.5},
                  {"e_real": v.CONVERGES, "e_fake": v.NO_LIMIT, "bce": v.NO_LIMIT, "value": v.NO_LIMIT}),
    # MSE with Burr III data, c = 3: (y - m)^2 has index 3 / 2.
    "mse_burr_c3": ({"estimand": "gaussian_nll", "data": {"dist": "burr", "c": 3.0, "d": 2.0},
                     "model": {"mean": 1.0, "sigma": 1.0}},
                    {"mse": v.SLOWER, "nll": v.SLOWER, "nll_from_mse": v.SLOWER}),
}
NO_VARIANCE_COLUMNS = ("estimate_mcse", "ci_low", "ci_high", "z_score", "coverage", "coverage_mcse")


def judged(spec, seed, replicates, low, high):
    estimand = build(spec, "s")
    key = scenario_key("s")
    sim = simulate(estimand, batch_grid(low, high, 4, estimand.batch_unit), range(replicates), seed, key, 4096)
    analysis = quantity_analysis(estimand)
    data = quantity_indices(estimand, seed, key, min(replicates, 8), high)
    return convergence_table("s", sim, estimand.quantities, estimand.exact(), min(100, high // 10), 200, seed, key,
                             analysis, estimand.name, tail_evidence=data).set_index("quantity")


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("case", CASES)
def test_heavy_tailed_cases_get_theory_or_inconclusive_and_no_interval(case, seed):
    spec, expected = CASES[case]
    table = judged(spec, seed, 60, 10, 30_000)
    for quantity, verdict in expected.items():
        row = table.loc[quantity]
        assert row.verdict in (verdict, v.INCONCLUSIVE), (quantity, row.verdict, row.reason)
        if row.verdict == v.INCONCLUSIVE:
            assert row.reason, quantity
        if verdict != v.CONVERGES:
            # No finite variance: nothing that presumes one is printed, whatever the verdict.
            assert all(math.isnan(row[c]) for c in NO_VARIANCE_COLUMNS), (quantity, row[list(NO_VARIANCE_COLUMNS)])
    # The case is decided, not left inconclusive everywhere.
    assert (table.verdict != v.INCONCLUSIVE).sum() >= 2, table[["verdict", "reason"]]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ten_replicates_from_n_1_to_30_pass_only_with_a_slope_ci_that_excludes_a_flat_line(seed):
    spec = {"estimand": "gan_discriminator", "data": {"dist": "norm"},
            "generator": {"dist": "norm", "loc": 1.0, "scale": 1.0}, "discriminator": LOGISTIC, "real_fraction": 0.5}
    table = judged(spec, seed, 10, 2, 30)
    for row in table.itertuples():
        if row.verdict == v.CONVERGES:
            assert row.slope_ci_high < v.NO_SHRINK and row.slope_ci_low <= v.RATE_EDGE, row
