"""One figure of each kind a scenario job draws, plus the plans figure, on a small BCE simulation: for the layout
tests (tests/test_figure_theme.py) and the figure benchmark (benchmarks/figures.py)."""

import numpy as np
from plans_data import plans_data

from mcloss.estimands import build
from mcloss.evidence import summarise
from mcloss.judge.convergence import convergence_table
from mcloss.outputs.figures import clt, identity, paths, zipplot
from mcloss.outputs.figures import convergence as conv
from mcloss.outputs.figures.plans import plans_figure
from mcloss.simulate.engine import simulate


def figure_kinds(name: str = "t", replicates: int = 40, n_max: int = 1000, points: int = 13, paths_drawn: int = 10):
    """{kind: a function drawing a fresh figure of that kind}, the simulation run once (seed 1)."""
    estimand = build({"estimand": "binary_cross_entropy", "labels": {"p": 0.3}, "model": {"p": 0.6}},
                     f"scenarios.{name}")
    n = np.unique(np.round(np.logspace(0, np.log10(n_max), points)).astype(int))
    sim = simulate(estimand, n, range(replicates), seed=1, scenario_key=1)
    exact = estimand.exact()
    summary = summarise.summary_table(name, estimand.name, sim, estimand.quantities, exact)
    convergence = convergence_table(name, sim, estimand.quantities, exact, 10, 50, 1, 1)
    plans = plans_data()
    q, ids = estimand.quantities, estimand.identities
    title = f"{name}: {estimand.describe()}  (R = {replicates} replicates, seed 1)"
    return {
        "convergence": lambda: conv.convergence_figure(summary, convergence, q, title, sim, ids),
        "paths": lambda: paths.paths_figure(sim, summary, q, exact, paths_drawn, title, identities=ids),
        "clt": lambda: clt.clt_figure(sim, convergence, q, exact, title, identities=ids),
        "zip": lambda: zipplot.zip_figure(sim, q, exact, estimand.asymptotic_variance(), title, ids),
        "identities": lambda: identity.identity_figure(sim, ids, exact, paths_drawn, title, q),
        "plans": lambda: plans_figure(*plans, f"plans: {name}\nR = {replicates}, seed 1"),
    }
