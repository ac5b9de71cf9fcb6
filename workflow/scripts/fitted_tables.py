"""Coverage of the fitted coefficients' Wald intervals and the first-order terms of every fitted scenario:
rule `fitted_tables` (mcloss.evidence.fitted)."""

from mcloss.pipeline.scripting import open_log

log = open_log(snakemake.log[0])  # noqa: F821

import json  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from mcloss.evidence.fitted import COVERAGE_COLUMNS, FIRST_ORDER_COLUMNS, coverage_rows, first_order_rows  # noqa: E402
from mcloss.outputs.tables import write_table  # noqa: E402
from mcloss.simulate.engine import load  # noqa: E402

inp, out = snakemake.input, snakemake.output  # noqa: F821
coverage, first = [], []
for exact_path in inp.exact:
    scenario = Path(exact_path).stem
    with open(exact_path) as fh:
        data = json.load(fh)
    fit = data["fit"]
    sim = load([path for path in inp.simulations if Path(path).parent.name == scenario])
    coverage.append(coverage_rows(scenario, sim, fit))
    limits = {k: float("nan") if v is None else v for k, v in data["limits"].items()}
    first.append(first_order_rows(scenario, sim, limits, fit["bias_per_n"], list(sim.estimate)))
    log.info("%s: tr(J^-1 K) = %.6g, %d replicates", scenario, fit["trace"], sim.replicates.size)
coverage = pd.concat(coverage, ignore_index=True) if coverage else pd.DataFrame(columns=COVERAGE_COLUMNS)
first = pd.concat(first, ignore_index=True) if first else pd.DataFrame(columns=FIRST_ORDER_COLUMNS)
write_table(coverage, out.csv, "Coverage of theta* by the 95% Wald interval of each fitted coefficient, with the "
            "model-based (inverse Hessian) and the sandwich standard error, per batch size n: the share of replicates, "
            "its 95% Wilson interval and the exact asymptotic coverage 2 Phi(1.96 sqrt(v_kind / v_true)) - 1.",
            "tab:fitted")
write_table(first, out.first_order_csv, "First-order terms of the models fitted to the batch: n (mean - exact) with "
            "its MCSE against the declared constant b of E estimate = exact + b/n + o(1/n) (tr(J^-1 K)/2 for the "
            "test risk, -tr/2 for the training loss, tr for the optimism), and z = (n (mean - exact) - b) / MCSE.",
            "tab:fitted-first-order")
