"""A Markdown result (claims.md, SUMMARY.md) as an HTML page for the Snakemake report: rule `report_page`."""

from mcloss.pipeline.scripting import open_log

log = open_log(snakemake.log[0])  # noqa: F821

from pathlib import Path  # noqa: E402

from mcloss.outputs.markdown_html import to_html  # noqa: E402

source, target = Path(snakemake.input[0]), Path(snakemake.output[0])  # noqa: F821
target.write_text(to_html(source.read_text(), source.name))
log.info("wrote %s from %s", target, source)
