"""The `mcloss` command: what needs no pipeline run.

    mcloss exact   [--configfile F] [--scenario S ...] [--sweeps]
    mcloss plan    --target-mcse E [--n N] [--configfile F] [--scenario S ...] [--csv]
    mcloss replay  SCENARIO R [--configfile F] [--out F]

`exact` prints each scenario's exact limits and lim n Var (the values rule `summarise`
writes to results/exact/<scenario>.json). `plan` turns lim n Var into replicate
counts: the estimate at batch size n has variance Var_n ~ lim n Var / n, so its
Monte Carlo SE over R replicates is sqrt(Var_n / R) and a target MCSE E needs
R = lim n Var / (n E^2); the MCSE of a 95% coverage is sqrt(0.95 x 0.05 / R), so
0.005 needs R = 1900 whatever the quantity. `replay` recomputes one replicate's
running estimates with the pipeline's own seed, grid and engine: the numbers are
bit-identical to those in results/simulations/.

A value that no quadrature settles is an empty cell, and the quantity's ``note``
says which computation and why; the scenario's other values stay. A bad config or
argument ends the command with one line naming the key and exit code 2, as the
pipeline does before any job runs; any other failure is one line ``mcloss: ...``,
exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from mcloss.errors import ConfigError
from mcloss.pipeline.jobs import exact_values
from mcloss.pipeline.project import Project
from mcloss.simulate.fitting import run as simulate

COVERAGE_MCSE = 0.005
NOMINAL = 0.95


def _ceil(value: float) -> int:
    """Smallest whole number of replicates >= value (0.95 x 0.05 / 0.005^2 is 1900, not 1900.0000000000002)."""
    return math.ceil(value * (1 - 1e-12))


def _settled(project: Project, name: str) -> tuple:
    """The scenario's estimand, exact limits, lim n Var and unresolved notes (`mcloss.pipeline.jobs.exact_values`)."""
    estimand = project.estimands[name]
    return (estimand, *exact_values(estimand))


def exact_table(project: Project, names: list[str]) -> pd.DataFrame:
    """Exact limit and lim n Var per quantity; ``note`` says why a value no quadrature settled is empty."""
    rows = []
    for name in names:
        estimand, limits, variances, unresolved = _settled(project, name)
        for q in estimand.quantities:
            rows.append({"scenario": name, "quantity": q.name, "exact": limits.get(q.name, math.nan),
                         "lim_n_var": variances.get(q.name, math.nan), "meaning": q.meaning,
                         "note": unresolved.get(q.name, "")})
    return pd.DataFrame(rows, columns=["scenario", "quantity", "exact", "lim_n_var", "meaning", "note"])


def plan_table(project: Project, names: list[str], target: float, n: int | None) -> pd.DataFrame:
    """Replicates for a bias MCSE of ``target`` at batch size n, and for a coverage MCSE of 0.005."""
    coverage_r = _ceil(NOMINAL * (1 - NOMINAL) / COVERAGE_MCSE**2)
    rows = []
    for name in names:
        estimand, limits, variances, unresolved = _settled(project, name)
        size = n if n is not None else project.grid(name)[-1]
        for q in estimand.quantities:
            exact, var = limits.get(q.name, math.nan), variances.get(q.name, math.nan)
            row = {"scenario": name, "quantity": q.name, "n": size, "target_mcse": target, "lim_n_var": var,
                   "replicates_bias": pd.NA, "replicates_coverage": pd.NA}
            why = unresolved.get(q.name, "")
            if not math.isfinite(exact):
                row["note"] = f"no replicate count: {why}" if why else "no finite limit: no bias to estimate"
            elif not math.isfinite(var):
                row["note"] = (f"no replicate count: {why}" if why
                               else "lim n Var infinite or unknown: no n^-1/2 rate, no replicate count")
            elif var == 0.0:
                row["note"] = "degenerate: error O(1/n), not n^-1/2; no CLT interval"
            else:
                # At least 2: an SE needs two replicates (the schema's minimum of `replicates`).
                row["replicates_bias"] = max(_ceil(var / (size * target**2)), 2)
                row["replicates_coverage"] = coverage_r
                row["note"] = why
            rows.append(row)
    return pd.DataFrame(rows)


def replay_table(project: Project, name: str, replicate: int) -> pd.DataFrame:
    total = project.replicates(name)
    if not 0 <= replicate < total:
        raise ConfigError("replicate", f"{replicate} is not a replicate of {name}", f"0 to {total - 1}")
    sim = simulate(project.estimands[name], project.grid(name), range(replicate, replicate + 1),
                   project.config["seed"], project.scenario_key(name), project.config["chunk_size"])
    columns = {"n": sim.n}
    for q in sim.estimate:
        columns[q] = sim.estimate[q][0]
        columns[f"{q}_se"] = sim.se[q][0]
    return pd.DataFrame(columns)


def _show(frame: pd.DataFrame, as_csv: bool) -> str:
    if as_csv:
        return frame.to_csv(index=False)
    shown = frame.copy()
    for column in shown.columns:
        if pd.api.types.is_float_dtype(shown[column]):
            shown[column] = ["" if np.isnan(v) else f"{v:.6g}" for v in shown[column]]
    return shown.astype(object).where(shown.notna(), "").to_string(index=False) + "\n"


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="mcloss", description=__doc__.split("\n\n")[0])
    commands = top.add_subparsers(dest="command", required=True)
    config = argparse.ArgumentParser(add_help=False)
    config.add_argument("--configfile", default="config.yaml", help="the config (default: config.yaml)")

    exact = commands.add_parser("exact", parents=[config], help="exact limits and lim n Var of each scenario")
    exact.add_argument("--scenario", action="append", help="only this scenario (repeatable)")
    exact.add_argument("--sweeps", action="store_true", help="include the sweeps' points")
    exact.add_argument("--csv", action="store_true", help="CSV instead of an aligned table")

    plan = commands.add_parser("plan", parents=[config], help="replicates needed for a target Monte Carlo SE")
    plan.add_argument("--target-mcse", type=_positive, required=True, help="MCSE wanted for the bias (in the "
                      "quantity's unit)")
    plan.add_argument("--n", type=_count, help="batch size (default: each scenario's largest)")
    plan.add_argument("--scenario", action="append", help="only this scenario (repeatable)")
    plan.add_argument("--sweeps", action="store_true", help="include the sweeps' points")
    plan.add_argument("--csv", action="store_true", help="CSV instead of an aligned table")

    replay = commands.add_parser("replay", parents=[config], help="one replicate's running estimates, as CSV")
    replay.add_argument("scenario")
    replay.add_argument("replicate", type=int)
    replay.add_argument("--out", help="write the CSV here (default: standard output)")
    return top


def _one_line(err: BaseException) -> str:
    """An unexpected error as one line: its type and its message, whitespace folded."""
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _run(args) -> str:
    project = Project.from_file(args.configfile)
    if args.command == "exact":
        return _show(exact_table(project, project.names(args.scenario, args.sweeps)), args.csv)
    if args.command == "plan":
        table = plan_table(project, project.names(args.scenario, args.sweeps), args.target_mcse, args.n)
        return _show(table, args.csv)
    project.names([args.scenario])
    # Full precision (repr): the values compare equal to the pipeline's .npz ones.
    text = replay_table(project, args.scenario, args.replicate).to_csv(index=False)
    if args.out:
        Path(args.out).write_text(text)
        text = f"wrote {args.out}\n"
    return text


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        # Numerical warnings of the quadratures (overflow far in a tail, QUADPACK's notes) are not for this
        # table's reader: what they mean for a value is its note (an unresolved quadrature), or nothing.
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            text = _run(args)
    except ConfigError as err:
        print(f"config error: {err}", file=sys.stderr)
        return 2
    except Exception as err:  # any other failure: one line, never a traceback
        print(f"mcloss: {_one_line(err)}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
