"""Time and memory per rule, from every job's benchmark file: rule `benchmarks`."""

from mcloss.pipeline.scripting import open_log

log = open_log(snakemake.log[0])  # noqa: F821 (snakemake is injected by the script directive)

from mcloss.evidence.jobstats import rule_totals  # noqa: E402
from mcloss.outputs.tables import write_table  # noqa: E402

p = snakemake.params  # noqa: F821
table = rule_totals(p.directory, exclude=(snakemake.rule,), keep=p.jobs)  # noqa: F821
log.info("%d jobs of %d rules in %s", table.jobs.iloc[-1] if len(table) else 0, max(len(table) - 1, 0), p.directory)
write_table(table, snakemake.output.csv,  # noqa: F821
            "Wall time (s), CPU time (s) and peak resident memory (MB) per rule, summed over its jobs' "
            "Snakemake benchmark files; the last row sums over all jobs.", "tab:benchmarks")
