"""Rejection rates of the i.i.d. tests over all replicate streams of a scenario: rule `iid_check`."""

from mcloss.scripting import open_log

log = open_log(snakemake.log[0])  # noqa: F821

import pandas as pd  # noqa: E402

from mcloss.estimands import build  # noqa: E402
from mcloss.iid import IID_COLUMNS, rejection_rates  # noqa: E402

p, w = snakemake.params, snakemake.wildcards  # noqa: F821
estimand = build(p.spec, f"scenarios.{w.scenario}")
# The simulation's stream keys (scenario, stream, replicate): the tested draws are each replicate's first draws.
rows = rejection_rates(estimand.streams, p.seed, tuple(p.scenario_key), p.replicates, p.samples, p.alpha, p.bins,
                       p.lags)
for row in rows:
    log.info("%s: %d streams, chi-squared rejects %d (rate %.3f), Ljung-Box rejects %d (rate %.3f) at alpha %g",
             row["stream"], row["replicates"], row["gof_rejections"], row["gof_rate"], row["serial_rejections"],
             row["serial_rate"], row["alpha"])
pd.DataFrame([{"scenario": w.scenario, **row} for row in rows]).reindex(columns=IID_COLUMNS).to_csv(
    snakemake.output[0], index=False  # noqa: F821
)
