"""Glue between Snakemake and the package (the top stage but the CLI).

Owns the config check against its schema (`config`), the per-scenario settings the rules
and the CLI share (`project`), the sweeps that expand into scenarios (`sweeps`), what
each job computes from its inputs and output paths (`jobs`), reading the intermediate
files (`results`), a run's folder and config.yaml and which run a folder holds (`runs`), the
hashes of the code a job runs (`codehash`) and what every script does first (`scripting`).
The Snakemake scripts call into this stage and `outputs`.
May import: every stage below it.
"""
