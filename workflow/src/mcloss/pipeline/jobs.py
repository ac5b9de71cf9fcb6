"""What the per-scenario jobs compute, as functions of their inputs and output paths.

A scenario's jobs (rules `simulate` and `summarise`) and a sweep's point jobs (rules
`sweep_points_*`, several points in one process) call the same functions, so a point
gives the same bytes whichever way it runs. Each function reads and writes files
only through the paths it is given; the scripts stay a few lines of wiring.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Mapping, Sequence

from mcloss.estimands import Estimand, ExactCheck
from mcloss.evidence.efficiency import write_timings
from mcloss.laws.plans import plan, plan_exact
from mcloss.maths.exact import InaccurateQuadrature
from mcloss.maths.tails import quantity_analysis

# Only what a simulate job needs at the top (no pandas, no summaries): its start-up is paid per job.
from mcloss.simulate.engine import load, save, simulate

from .results import read_analysis, read_exact

log = logging.getLogger("mcloss")


def simulate_block(scenario: str, estimand: Estimand, grid: Sequence[int], replicates: range, seed: int,
                   scenario_key, chunk_size: int, simulation_path, timing_path) -> None:
    """Run one block of replicates and write its .npz and its per-replicate CPU seconds."""
    log.info("scenario %s: %s; replicates %d-%d; n up to %d", scenario, estimand.describe(), replicates.start,
             replicates.stop - 1, grid[-1])
    if plan(estimand) == "sobol":
        log.info("sampling sobol: batch sizes are the powers of two in [batch_sizes.min, batch_sizes.max]; "
                 "batch_sizes.per_decade does not apply")
    started = time.perf_counter()
    seconds: list[float] = []
    sim = simulate(estimand, grid, replicates, seed, scenario_key, chunk_size, seconds=seconds)
    log.info("done in %.2f s", time.perf_counter() - started)
    # Compute time per replicate, beside (not in) the simulation: the tables of results stay byte-identical.
    write_timings(timing_path, scenario, plan(estimand), replicates, seconds)
    for term, counts in sim.nonfinite.items():
        if counts.any():
            log.warning("term %s: %d non-finite values in %d replicates", term, counts.sum(), (counts > 0).sum())
    save(sim, simulation_path)


def _json_number(value):
    """NaN as null (no finite limit), infinities as strings: what strict JSON can hold."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, float) and abs(value) == float("inf"):
        return str(value)
    return value


def write_exact(estimand: Estimand, path) -> None:
    """Exact limits, lim n Var, their cross-checks and the tail analysis of each quantity, as JSON."""
    unresolved = ""
    try:
        exact = estimand.exact()
        variances = estimand.asymptotic_variance()
        checks = [dataclasses.asdict(c) for c in estimand.exact_checks()]
    except InaccurateQuadrature as err:
        # Unknown, not absent: the verdicts say "inconclusive" with this reason.
        log.warning("exact values unresolved: %s", err)
        unresolved = str(err)
        exact = {q.name: float("nan") for q in estimand.quantities}
        variances, checks = {}, []
    analysis = quantity_analysis(estimand, unresolved)
    for name, value in exact.items():
        log.info("%s -> %r", name, value)
    for check in checks:
        log.info("check %s: %r vs %r", check["name"], check["value"], check["reference"])
    with open(path, "w") as fh:
        json.dump({"limits": {k: (v if v == v else None) for k, v in exact.items()},
                   "variances": {k: (v if v == v else None) for k, v in variances.items()},
                   "checks": checks,
                   "analysis": {q: {k: _json_number(v) for k, v in info.items()} for q, info in analysis.items()},
                   **plan_exact(estimand)}, fh, indent=2)


def summarise(scenario: str, estimand: Estimand, simulations: Sequence, exact_path, outputs: Mapping[str, str],
              slope_min_n: int, bootstrap: int, seed: int, scenario_key) -> None:
    """Summary, convergence, identity and exact-check tables of one scenario (``outputs`` names their paths).

    The exact values are read back from ``exact_path`` (as every later job reads them), so a
    limit that JSON stores as null is NaN here too.
    """
    from mcloss.evidence import summarise as s
    from mcloss.judge.convergence import convergence_table

    sim = load(simulations)
    limits, checks = read_exact(exact_path)
    analysis = read_analysis(exact_path)
    log.info("%d replicates, %d batch sizes", sim.replicates.size, sim.n.size)
    s.summary_table(scenario, estimand.name, sim, estimand.quantities, limits, analysis).to_csv(
        outputs["summary"], index=False)
    convergence = convergence_table(scenario, sim, estimand.quantities, limits, slope_min_n, bootstrap, seed,
                                    scenario_key, analysis, estimand.name)
    convergence.to_csv(outputs["convergence"], index=False)
    for row in convergence.itertuples():
        log.info("%s: %s (%s)", row.quantity, row.verdict, row.reason)
    s.identity_table(scenario, sim, estimand.identities).to_csv(outputs["identities"], index=False)
    s.exact_check_table(scenario, [ExactCheck(**c) for c in checks]).to_csv(outputs["exact_checks"], index=False)


def iid_check(scenario: str, estimand: Estimand, seed: int, scenario_key, replicates: int, samples: int,
              alpha: float, bins: int, lags: int, path) -> None:
    """Rejection rates of the i.i.d. tests over all replicate streams of a scenario, as CSV."""
    import pandas as pd

    from mcloss.evidence.iid import IID_COLUMNS, rejection_rates

    # The simulation's stream keys (scenario, stream, replicate): the tested draws are each replicate's first draws.
    rows = rejection_rates(estimand.streams, seed, tuple(scenario_key), replicates, samples, alpha, bins, lags)
    for row in rows:
        log.info("%s: %d streams, chi-squared rejects %d (rate %.3f), Ljung-Box rejects %d (rate %.3f) at alpha %g",
                 row["stream"], row["replicates"], row["gof_rejections"], row["gof_rate"],
                 row["serial_rejections"], row["serial_rate"], row["alpha"])
    pd.DataFrame([{"scenario": scenario, **row} for row in rows]).reindex(columns=IID_COLUMNS).to_csv(
        path, index=False)
