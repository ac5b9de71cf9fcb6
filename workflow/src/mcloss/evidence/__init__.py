"""Measurements of what the simulations show, before any verdict (after `simulate`).

Owns the Monte Carlo performance measures with their MCSEs and the fitted rates
(`summarise`), CLT-interval coverage and binomial proportions (`coverage`), the i.i.d.
checks of the streams (`iid`), the tail index measured from the simulated terms
(`tail_index`), the cost and efficiency of the sampling plans (`efficiency`) and the
per-rule totals of Snakemake's benchmark files (`jobstats`).
May import: `mcloss.simulate`, `mcloss.estimands`, `mcloss.laws`, `mcloss.maths`, `mcloss.errors`.
"""
