"""The resolved config of the run, its command and code version: rule `run_config` (<run folder>/config.yaml)."""

from mcloss.pipeline.scripting import open_log

log = open_log(snakemake.log[0])  # noqa: F821

from pathlib import Path  # noqa: E402

from mcloss.pipeline.runs import config_text  # noqa: E402

p = snakemake.params  # noqa: F821
Path(snakemake.output[0]).write_text(config_text(dict(p.config), p.command, p.version))  # noqa: F821
log.info("run %s: %s", p.config["run_name"], snakemake.output[0])  # noqa: F821
