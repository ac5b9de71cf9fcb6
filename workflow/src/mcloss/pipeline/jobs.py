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
import math
import time
from collections.abc import Mapping, Sequence

from mcloss.estimands import Estimand, ExactCheck
from mcloss.evidence.efficiency import write_timings
from mcloss.laws.plans import plan, plan_exact
from mcloss.maths.exact import InaccurateQuadrature
from mcloss.maths.tails import quantity_analysis

# Only what a simulate job needs at the top (no pandas, no summaries): its start-up is paid per job.
from mcloss.simulate.engine import load, save
from mcloss.simulate.fitting import is_fitted
from mcloss.simulate.fitting import run as simulate

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


def _unresolved_everywhere(estimand: Estimand, what: str, err: Exception, notes: dict[str, list[str]]) -> dict:
    """NaN for every quantity, each noting why (a quadrature outside the estimand's own `settle`)."""
    for q in estimand.quantities:
        notes.setdefault(q.name, []).append(f"{what} unresolved: {err}")
    return {q.name: float("nan") for q in estimand.quantities}


def exact_values(estimand: Estimand) -> tuple[dict[str, float], dict[str, float], dict[str, str]]:
    """Exact limits, lim n Var and, per quantity, why a value no quadrature settled is NaN (absent: settled).

    Independent of each other: the estimands settle each quadrature on its own (`Estimand.settle`),
    and what still fails as a whole (e.g. a sampling plan's variance) drops only its own values.
    """
    notes: dict[str, list[str]] = {}
    try:
        exact = estimand.exact()
    except InaccurateQuadrature as err:
        exact = _unresolved_everywhere(estimand, "exact value", err, notes)
    try:
        variances = estimand.asymptotic_variance()
    except InaccurateQuadrature as err:
        variances = _unresolved_everywhere(estimand, "lim n Var", err, notes)
    try:
        own = estimand.unresolved()
    except InaccurateQuadrature as err:
        own = {}
        log.warning("unresolved values not reported: %s", err)
    for name, why in own.items():
        notes.setdefault(name, []).insert(0, why)
    return exact, variances, {name: "; ".join(why) for name, why in notes.items()}


def write_exact(estimand: Estimand, path) -> None:
    """Exact limits, lim n Var, their cross-checks and the tail analysis of each quantity, as JSON.

    A quadrature that does not settle drops only its own value (NaN, JSON null); the quantities
    resting on it carry the reason as ``unresolved`` in their analysis, which the verdicts name.
    """
    exact, variances, unresolved = exact_values(estimand)
    for name, why in unresolved.items():
        # Unknown, not absent (never "no finite limit"): an unknown exact value makes the verdict inconclusive
        # with this reason; an unknown lim n Var leaves the tails unchecked by the variance quadrature.
        log.warning("%s: %s", name, why)
    try:
        checks = [dataclasses.asdict(c) for c in estimand.exact_checks()]
    except InaccurateQuadrature as err:
        log.warning("exact checks unresolved: %s", err)
        checks = []
    try:
        plan_info = plan_exact(estimand)
    except InaccurateQuadrature as err:
        log.warning("the sampling plan's variance factors unresolved: %s", err)
        plan_info = {"plan": plan(estimand), "plan_unresolved": str(err)}
    # The variances just computed, where they are the estimand's own (a plan's, e.g. Sobol's NaN, are not the
    # law's: `reports` then reads the unplanned estimand's).
    analysis = (quantity_analysis(estimand) if plan(estimand) != "iid"
                else quantity_analysis(estimand, variances=variances, unsettled=unresolved))
    for name, info in analysis.items():
        info["unresolved"] = unresolved.get(name, "")
    for name, value in exact.items():
        log.info("%s -> %r", name, value)
    for check in checks:
        log.info("check %s: %r vs %r", check["name"], check["value"], check["reference"])
    # A model trained on the batch: theta*, R*, J, K and the first-order constants (mcloss.estimands.fitted).
    fit = {"fit": {**estimand.theory, "bias_per_n": estimand.bias_per_n()}} if is_fitted(estimand) else {}
    with open(path, "w") as fh:
        json.dump({"limits": {k: (v if v == v else None) for k, v in exact.items()},
                   "variances": {k: (v if v == v else None) for k, v in variances.items()},
                   "checks": checks,
                   "analysis": {q: {k: _json_number(v) for k, v in info.items()} for q, info in analysis.items()},
                   **plan_info, **fit}, fh, indent=2)


def summarise(scenario: str, estimand: Estimand, simulations: Sequence, exact_path, outputs: Mapping[str, str],
              slope_min_n: int, bootstrap: int, seed: int, scenario_key,
              tails: Mapping[str, int] | None = None) -> None:
    """Summary, convergence, identity and exact-check tables of one scenario (``outputs`` names their paths).

    The exact values are read back from ``exact_path`` (as every later job reads them), so a
    limit that JSON stores as null is NaN here too. ``tails`` ({replicates, samples}: config
    analysis.tail_replicates, analysis.tail_samples) sets the data's check of the declared tails
    (mcloss.evidence.tail_index), capped at the run's replicates and largest batch size.
    """
    from mcloss.evidence import summarise as s
    from mcloss.evidence.tail_index import contradicts, quantity_indices
    from mcloss.judge.convergence import convergence_table

    sim = load(simulations)
    limits, checks = read_exact(exact_path)
    analysis = read_analysis(exact_path)
    log.info("%d replicates, %d batch sizes", sim.replicates.size, sim.n.size)
    data_tails = None
    if tails:
        replicates = min(int(tails["replicates"]), int(sim.replicates.size))
        samples = min(int(tails["samples"]), int(sim.n[-1]))
        data_tails = quantity_indices(estimand, seed, scenario_key, replicates, samples)
        for name, found in data_tails.items():
            log.info("%s: data tail index %.4g [%.4g, %.4g] (term %s, %d values)", name, found["data_tail_index"],
                     found["data_tail_index_ci_low"], found["data_tail_index_ci_high"], found["data_tail_term"],
                     found["data_tail_values"])
    # Where the data contradict the declared tails, no variance is confirmed: the per-n MCSEs and coverage go too.
    doubted = {q: {**info, "var_finite": None} for q, info in analysis.items()
               if data_tails and contradicts(float(info.get("term_index", math.nan) or math.nan),
                                             data_tails[q]["data_tail_index_ci_low"],
                                             data_tails[q]["data_tail_index_ci_high"])}
    s.summary_table(scenario, estimand.name, sim, estimand.quantities, limits, {**analysis, **doubted}).to_csv(
        outputs["summary"], index=False)
    # The exact cross-checks too: a failed one makes the verdicts that rest on the exact values inconclusive.
    convergence = convergence_table(scenario, sim, estimand.quantities, limits, slope_min_n, bootstrap, seed,
                                    scenario_key, analysis, estimand.name, tail_evidence=data_tails,
                                    checks=[ExactCheck(**c) for c in checks])
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
