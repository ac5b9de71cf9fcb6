"""Every kind of .tex the pipeline writes fits an article with 2 cm margins: no overfull box over 1 pt.

The tables are made here from synthetic rows shaped like a real run's (the longest names of the default config,
six-digit numbers of either sign, the long verdicts and reasons) by the same calls and options
(`mcloss.outputs.tables.LATEX`) as the scripts in workflow/scripts/, and compiled on A4 and US letter paper in the
article of tests/latex.py (booktabs, longtable, amsmath, graphicx, array and pdflscape, nothing else).
"""

import numpy as np
import pandas as pd
import pytest
from latex import OVERFULL_TOLERANCE, compile_tex, overfull

from mcloss.evidence.coverage import COVERAGE_COLUMNS, EXCLUDED_COLUMNS
from mcloss.evidence.efficiency import EFFICIENCY_COLUMNS
from mcloss.evidence.iid import IID_COLUMNS
from mcloss.evidence.jobstats import COLUMNS as BENCHMARK_COLUMNS
from mcloss.judge.verdicts import CONVERGES, DEGENERATE, ELSEWHERE, INCONCLUSIVE, NO_LIMIT, SLOWER
from mcloss.outputs.paper import latex_layout, paper_rows, paper_view
from mcloss.outputs.tables import LATEX, convergence_view, short_view, to_latex, write_table

SCENARIOS = ["plans_even__model.mean=1__sampling=antithetic", "ce_inputs_vs_label_smoothing__label_smoothing=0.1",
             "gan_balanced", "bce_markov_frozen"]
QUANTITIES = ["ce_smoothing_split", "nll_affine_gap", "bce", "e_fake", "as_typeset", "relative_efficiency"]
VERDICTS = [CONVERGES, SLOWER, ELSEWHERE, NO_LIMIT, DEGENERATE, INCONCLUSIVE]
TEXT = {
    "verdict": VERDICTS,
    "reason": ["estimate 0.637132 +- 0.0001 (MCSE) vs exact 0.636927 (z = 2.00); RMSE slope -0.506 [-0.534, -0.480]; "
               "a bias above 0.00041 nats would have been detected (4 MCSE at n = 100,000)"],
    "estimand": ["binary_cross_entropy_inputs", "gan_discriminator"], "unit": ["nats", "squared units"],
    "slope_of": ["rmse", "emp_se", "iqr"], "gof_test": ["Pearson chi-squared (50 equiprobable cells of F(x))"],
    "serial_test": ["Ljung-Box, lags 1..10"], "sampling": ["control_variate", "antithetic", "iid", "sobol"],
    "sweep": ["plans_even", "plans_mse"], "base_scenario": ["mse_vs_nll", "gan_balanced"],
    "rule": ["sweep_points_plans_even", "summarise", "all (total)"],
    "check": ["e_real_scipy_expect", "value_at_optimal_D"], "identity": ["h_pq == nll_scipy", "nll == nll_from_mse"],
    "meaning": ["the NLL from this package's log-softmax = the NLL from scipy"],
    "stream": ["labels", "real", "fake", "inputs"], "limit_kind": [""], "iid": ["True", "False"],
}
BOOLS = {"dependent", "holds", "nominal_2mcse", "lower_bound_can_trigger", "mean_finite", "var_finite"}
INTS = {"n", "n_max", "replicates", "samples", "gof_dof", "gof_rejections", "serial_dof", "serial_rejections",
        "both_rejections", "constant", "covered", "jobs", "batches", "nonfinite", "fit_min_n", "fit_points",
        "n_earlier", "replicate"}


def synthetic(columns, rows, seed=0):
    """``rows`` rows of ``columns``: names from the default config, numbers of six digits and either sign."""
    rng = np.random.default_rng(seed)
    data = {}
    for column in columns:
        if column == "scenario":
            data[column] = [SCENARIOS[(i // 6) % len(SCENARIOS)] for i in range(rows)]
        elif column == "quantity":
            data[column] = [QUANTITIES[i % len(QUANTITIES)] for i in range(rows)]
        elif column in TEXT:
            data[column] = [TEXT[column][i % len(TEXT[column])] for i in range(rows)]
        elif column in BOOLS:
            data[column] = [bool(i % 2) for i in range(rows)]
        elif column in INTS:
            data[column] = rng.integers(1, 1_000_000, rows)
        else:
            data[column] = rng.choice([-1.0, 1.0], rows) * rng.uniform(0.01, 2.0, rows)
    return pd.DataFrame(data)


def convergence_frame(rows=48):
    from mcloss.evidence.summarise import CONVERGENCE_COLUMNS

    frame = synthetic(CONVERGENCE_COLUMNS + ["verdict", "reason", "verdict_slope_of"], rows)
    return frame.assign(verdict_slope_of=["iqr" if v == SLOWER else "rmse" for v in frame.verdict],
                        coverage=0.948, estimate_mcse=1.234e-4)


def tables(directory):
    """The .tex of each kind, written as workflow/scripts/ writes them."""
    conv = convergence_frame()
    write_table(conv, directory / "convergence.csv", "Estimates at the largest n with 95% CIs.", "tab:convergence",
                view=convergence_view(conv), notes="Not shown: ce_from_counts, nll_from_mse (identities table).",
                **LATEX["convergence"])
    for name, columns, rows in [("identities", ["scenario", "identity", "meaning", "batches", "nonfinite",
                                                "max_abs_deviation", "max_scaled_deviation", "tolerance", "holds"], 27),
                                ("exact_checks", ["scenario", "check", "meaning", "value", "reference", "abs_diff",
                                                  "tolerance", "holds"], 60)]:
        frame = synthetic(columns, rows)
        write_table(frame, directory / f"{name}.csv", "Caption.", f"tab:{name}", view=short_view(frame))
    for name, columns, rows in [("iid", IID_COLUMNS + ["both_rejections", "constant", "control_low", "control_high",
                                                       "lower_bound_can_trigger"], 24),
                                ("coverage", COVERAGE_COLUMNS, 60), ("coverage_excluded", EXCLUDED_COLUMNS, 33),
                                ("efficiency", EFFICIENCY_COLUMNS, 60), ("benchmarks", BENCHMARK_COLUMNS, 17)]:
        frame = synthetic(list(dict.fromkeys(columns)), rows)
        write_table(frame, directory / f"{name}.csv", "Caption.", f"tab:{name}", **LATEX.get(name, {}))
    from mcloss.judge.findings import verdict_table

    verdicts = verdict_table(conv)
    (directory / "verdicts.tex").write_text(to_latex(verdicts.drop(columns=["reason"]), "Verdicts.", "tab:verdicts",
                                                     **LATEX["verdicts"]))
    rows = paper_rows(verdicts, conv)
    write_table(rows, directory / "paper.csv", "The paper table.", "tab:paper", view=paper_view(rows),
                **latex_layout())
    return sorted(directory.glob("*.tex"))


KINDS = ["benchmarks", "convergence", "coverage", "coverage_excluded", "efficiency", "exact_checks", "identities",
         "iid", "paper", "verdicts"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return {tex.stem: tex for tex in tables(tmp_path_factory.mktemp("tex"))}


def test_every_kind_is_generated(generated):
    assert sorted(generated) == KINDS


@pytest.mark.parametrize("kind", KINDS)
def test_every_table_fits_an_article_with_2cm_margins(generated, kind, tmp_path):
    for paper in ("a4paper", "letterpaper"):
        code, log, pages = compile_tex(generated[kind], tmp_path, paper)
        assert code == 0, log[-3000:]
        boxes = overfull(log)
        assert max(boxes, default=0.0) <= OVERFULL_TOLERANCE, f"{kind} on {paper}: overfull by {boxes} pt"
