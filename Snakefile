# Monte Carlo checks of expectation-form ML losses: batch losses at growing batch
# sizes against their exact limits. See README.md; configuration in config.yaml.
from snakemake.utils import min_version

min_version("9.14.8")

import sys
from pathlib import Path

from mcloss.errors import ConfigError
from mcloss.pipeline.config import load_config_file

# Snakemake's own message for a YAML error in config.yaml names no line: read it first, for one that does.
try:
    if Path("config.yaml").is_file():
        load_config_file("config.yaml", "config.yaml")
except ConfigError as err:
    sys.exit(f"config error: {err}")


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/run.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/summarise.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/fitted.smk"
include: "workflow/rules/benchmarks.smk"
include: "workflow/rules/sweeps.smk"
include: "workflow/rules/sweep_points.smk"
include: "workflow/rules/claims.smk"
include: "workflow/rules/coverage.smk"
include: "workflow/rules/verdicts.smk"
include: "workflow/rules/plans.smk"
include: "workflow/rules/paper.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        f"{RESULTS}/config.yaml",
        all_outputs(),
        f"{RESULTS}/tables/benchmarks.csv",
        f"{RESULTS}/claims.csv",
        f"{RESULTS}/claims.md",
        f"{RESULTS}/verdicts.csv",
        f"{RESULTS}/verdicts.md",
        f"{RESULTS}/SUMMARY.md",
        f"{RESULTS}/report/claims.html",
        expand(f"{RESULTS}/report/tables/{{table}}.html", table=REPORT_TABLES),
        f"{RESULTS}/tables/paper.csv",
        f"{RESULTS}/report/tables/paper.html",
        f"{RESULTS}/figures/overview.pdf",
        f"{RESULTS}/figures/overview.png",
        f"{RESULTS}/report/SUMMARY.html",
