"""Monte Carlo checks of expectation-form machine-learning losses.

Every computation of the pipeline lives here: samplers and seeding (`streams`),
the one-pass checkpoint engine (`engine`), the estimands (`estimands/`), exact
limits by quadrature (`exact`), Monte Carlo performance measures (`summarise`),
tables (`tables`) and figures (`plotting`). The Snakemake scripts only read
their inputs and parameters, call these functions and write files.
"""

__version__ = "0.1.0"
