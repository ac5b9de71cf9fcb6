"""Coverage of the CLT interval in every (scenario, quantity, n) with a finite-variance limit: rule `coverage_table`."""

from mcloss.pipeline.scripting import open_log

log = open_log(snakemake.log[0])  # noqa: F821

from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from mcloss.evidence import coverage  # noqa: E402
from mcloss.outputs.tables import LATEX, write_table  # noqa: E402
from mcloss.pipeline.results import read_variances  # noqa: E402

inp, out = snakemake.input, snakemake.output  # noqa: F821
iid = pd.concat([pd.read_csv(path) for path in inp.iid], ignore_index=True) if inp.iid else pd.DataFrame()
cells, excluded = coverage.coverage_cells(pd.read_csv(inp.summary),
                                          {Path(path).stem: read_variances(path) for path in inp.exact},
                                          coverage.independent_scenarios(iid, snakemake.params.bases))  # noqa: F821
log.info("%d cells judged, %d (scenario, quantity) excluded", len(cells), len(excluded))
write_table(cells, out.csv, "Coverage of the 95% CLT interval per scenario, quantity and n, with its Wilson "
            "interval and z against 0.95 in binomial MCSE at 0.95 (quantities with a finite, positive asymptotic "
            "variance only).", "tab:coverage", **LATEX["coverage"])
write_table(excluded, out.excluded, "Quantities whose CLT coverage is not judged, and why.", "tab:coverage-excluded")
