"""Exact limits on a dense grid of a sweep's x axis: snakemake rule `sweep_curve`."""

from mcloss.pipeline.scripting import open_log

log = open_log(snakemake.log[0])  # noqa: F821

from mcloss.pipeline import sweeps  # noqa: E402

p, w = snakemake.params, snakemake.wildcards  # noqa: F821
curve = p.curve
xs = sweeps.curve_x(curve["range"], curve["points"], curve.get("scale", "auto"))
log.info("sweep %s: %d values of %s in [%r, %r], %d series", w.sweep, xs.size, curve["x"], xs[0], xs[-1],
         len(curve["series"]))
table, skipped = sweeps.exact_curve(p.spec, curve["x"], xs, curve["series"], key=f"sweeps.{w.sweep}")
if skipped:
    # The function is not defined there (the estimand rejects the scenario): a gap, not a value.
    log.warning("%d of %d x values give no valid scenario and are left out of the curve; first: %s",
                len(skipped), xs.size * len(curve["series"]), skipped[0])
table.to_csv(snakemake.output[0], index=False)  # noqa: F821
