"""Monte Carlo checks of expectation-form machine-learning losses.

The subpackages are the stages of the data flow, each importing only those before it
(checked by import-linter, contracts in pyproject.toml; docs/architecture.md):

    maths -> laws -> estimands -> simulate -> evidence -> judge -> outputs -> pipeline -> cli

`errors` (the one-line configuration error) sits below them all. The Snakemake scripts
only read their inputs and parameters, call these functions and write files.
"""

__version__ = "0.1.0"
