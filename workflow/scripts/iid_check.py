"""Goodness of fit and serial independence of a scenario's streams: rule `iid_check`."""

from mcloss.scripting import open_log

log = open_log(snakemake.log[0])  # noqa: F821

import pandas as pd  # noqa: E402

from mcloss.estimands import build  # noqa: E402
from mcloss.iid import check_stream  # noqa: E402
from mcloss.streams import stream_rng  # noqa: E402

p, w = snakemake.params, snakemake.wildcards  # noqa: F821
estimand = build(p.spec, f"scenarios.{w.scenario}")
rows = []
for index, stream in enumerate(estimand.streams):
    # Replicate 0's own stream seed: for i.i.d. streams the draws the simulation used; a stateful or
    # mixture sampler may group its draws differently when iid_samples exceeds chunk_size.
    row = check_stream(stream.sampler, stream_rng(p.seed, p.scenario_key, index, 0), p.samples)
    rows.append({"scenario": w.scenario, "stream": stream.name, **row})
    log.info("%s: chi2 p = %.3g, lag-1 r = %.4f (p = %.3g)", stream.name, row["gof_p"], row["lag1"], row["lag1_p"])
pd.DataFrame(rows).to_csv(snakemake.output[0], index=False)  # noqa: F821
