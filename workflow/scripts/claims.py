"""Verdicts on the source texts' claims: rule `claims`."""

from mcloss.pipeline.scripting import open_log

log = open_log(snakemake.log[0])  # noqa: F821

import json  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from mcloss.evidence.iid import control_bounds  # noqa: E402
from mcloss.judge import claims  # noqa: E402
from mcloss.outputs import pages  # noqa: E402
from mcloss.outputs.tables import LATEX, write_table  # noqa: E402
from mcloss.pipeline.results import read_variances  # noqa: E402
from mcloss.pipeline.runs import relocate  # noqa: E402

inp, out, p = snakemake.input, snakemake.output, snakemake.params  # noqa: F821
iid = pd.concat([pd.read_csv(path) for path in inp.iid], ignore_index=True)
write_table(control_bounds(iid), out.iid_csv, "Rejection rates of Pearson's chi-squared goodness-of-fit test and the "
            "Ljung-Box test of serial dependence at alpha over all replicate streams of each scenario, with binomial "
            "MCSEs and 95% Wilson intervals; control bounds alpha -+ 4 MCSE at alpha, and whether the lower one can "
            "trigger at this R (a test that never rejects fails the control only then).", "tab:iid", **LATEX["iid"])
fits = {}
for path in inp.exact:
    with open(path) as fh:
        fit = json.load(fh).get("fit")
    if fit is not None:
        fits[Path(path).stem] = fit
evidence = claims.Evidence(
    summary=pd.read_csv(inp.summary), convergence=pd.read_csv(inp.convergence),
    identities=pd.read_csv(inp.identities), exact_checks=pd.read_csv(inp.exact_checks), iid=iid,
    variances={Path(path).stem: read_variances(path) for path in inp.exact}, scenarios=p.scenarios,
    sweep_bases=p.bases, fits=fits,
)
table = claims.judge(evidence, p.assignment)
table["evidence"] = [relocate(text, p.run["folder"]) for text in table.evidence]  # paths of this run's folder
for row in table.itertuples():
    log.info("%s: %s, decided by %s (%s)", row.claim_id, row.verdict, row.scenario, row.detail)
table.to_csv(out.csv, index=False)
Path(out.markdown).write_text(pages.claims_markdown(table, seed=p.seed, replicates=p.replicates, run=p.run))
