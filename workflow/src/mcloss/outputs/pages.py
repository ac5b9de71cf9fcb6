"""The Markdown pages of a run: results/SUMMARY.md, results/verdicts.md and results/claims.md.

Rendered from the verdict table of mcloss.judge.findings and the claims table of
mcloss.judge.claims; the rules quoted on verdicts.md and claims.md are the docstrings of
mcloss.judge.verdicts and mcloss.judge.claims, so the pages cannot drift from the code
that applied them. May import: mcloss.judge and the stages below it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from mcloss.judge import claims as claims_mod
from mcloss.judge import findings, verdicts

from .tables import to_markdown


def _figure_links(scenario: str, figures: Mapping[str, Sequence[str]]) -> str:
    links = [f"[{name}]({path})" for name, path in figures.get(scenario, [])]
    return " (" + ", ".join(links) + ")" if links else ""


def run_line(run: Mapping[str, str] | None) -> list[str]:
    """The line naming the run and the config it ran (``run``: name, folder, hash, command; see
    mcloss.pipeline.runs), with the command that regenerates it; none without ``run``."""
    if not run:
        return []
    return [f"Run `{run['name']}`: the config it ran is `{run['folder']}/config.yaml` (hash {run['hash']}); "
            f"regenerate it with `{run['command']}`.", ""]


def summary_page(table: pd.DataFrame, claims: pd.DataFrame, seed: int, replicates: int,
                 figures: Mapping[str, Sequence[tuple[str, str]]], run: Mapping[str, str] | None = None) -> str:
    """results/SUMMARY.md: verdict counts, one line per scenario, the claims and links to figures.

    ``figures`` maps a scenario to (name, path relative to results/) pairs; ``run`` names the run (run_line).
    """
    scenarios = list(dict.fromkeys(table.scenario))
    lines = ["# What this run found", "", *run_line(run),
             f"Seed {seed}, {replicates} replicates per scenario (a scenario or sweep may set its own); "
             f"{len(scenarios)} scenarios, {len(table)} scenario x quantity verdicts. Rules: "
             "`docs/verdicts.md`; details: [verdicts.md](verdicts.md), [claims.md](claims.md), "
             "[tables/convergence.md](tables/convergence.md).", "",
             "## Verdicts", "", "| verdict | scenario x quantity |", "|---|---|"]
    lines += [f"| {name} | {count} |" for name, count in findings.counts(table).items()]
    lines += ["", "## Scenarios", ""]
    for scenario in scenarios:
        rows = table[table.scenario == scenario]
        groups = {}
        for row in rows.itertuples():
            groups.setdefault(row.verdict, []).append(row.quantity)
        text = "; ".join(f"{verdict}: {', '.join(names)}" for verdict, names in groups.items())
        estimand = rows.estimand.iloc[0] if isinstance(rows.estimand.iloc[0], str) else ""
        lines.append(f"- `{scenario}` ({estimand}): {text}{_figure_links(scenario, figures)}")
    lines += ["", "## Claims of the source texts (and beyond them)", ""]
    run = claims[claims.verdict != claims_mod.NOT_RUN] if not claims.empty else claims
    if run.empty:
        lines.append("No claim's scenarios are in this configuration: every claim is `not run` "
                     "(see [claims.md](claims.md)).")
    else:
        lines += ["| claim | verdict | deciding scenario | every assigned scenario | to settle |",
                  "|---|---|---|---|---|"]
        for row in claims.itertuples():
            lines.append(f"| `{row.claim_id}` | **{row.verdict}** | {_text(row.scenario)} | {_text(row.scenarios)} | "
                         f"{_text(row.settle)} |")
        lines += [""] + legend()
    lines.append("")
    return "\n".join(lines)


def legend() -> list[str]:
    """The claim words and what each means (claim_rules.LEGEND), as Markdown lines."""
    return ["Claim words:", ""] + [f"- **{word}**: {meaning}" for word, meaning in claims_mod.LEGEND.items()]


def verdicts_markdown(table: pd.DataFrame, seed: int, replicates: int) -> str:
    """results/verdicts.md: the verdict table with its reasons."""
    head = ["# Verdicts per scenario and quantity", "",
            f"Seed {seed}, {replicates} replicates per scenario. One row per scenario x quantity; the rules are "
            "in `docs/verdicts.md` and below. `slope` is the log-log slope of the spread the verdict used "
            "(`slope_of`: RMSE, EmpSE or the IQR across replicates) on n, with its 95% bootstrap CI; "
            "`expected_slope` is theory's (-1/2 for a finite variance, 1/a - 1 for a term tail index a in "
            "(1, 2]); `declared_bias` the estimand's known O(1/n) bias at the largest n.", ""]
    shown = table.drop(columns=["reason"])
    reasons = ["", "## Reasons", ""] + [f"- `{r.scenario}` / `{r.quantity}`: **{r.verdict}** - {r.reason}"
                                        for r in table.itertuples()]
    rules = ["", "## Rules", "", verdicts.__doc__.split("\n\n", 1)[1].strip(), ""]
    return "\n".join(head) + "\n" + to_markdown(shown) + "\n".join(reasons + rules)


def claims_markdown(table: pd.DataFrame, seed: int, replicates: int, run: Mapping[str, str] | None = None) -> str:
    """results/claims.md: the claims table for people, verdicts first, then the rules and the numbers behind each.

    A row's numbers are those of the scenario that decided its verdict; every assigned scenario and its own
    verdict, and what would settle an inconclusive claim, are listed under the claim. The rules quoted at the
    end are the docstrings of mcloss.judge.claims and mcloss.judge.verdicts.
    """
    lines = [
        "# Claims of the source texts, checked",
        "",
        f"Seed {seed}, {replicates} replicates per scenario (a scenario or sweep may set its own). Regenerate with "
        f"`{run['command'] if run else 'snakemake --cores N'}` "
        f"(this file is `{run['folder'] if run else 'results'}/claims.md`; the tidy version is "
        f"`{run['folder'] if run else 'results'}/claims.csv`"
        + (f"; the config of run `{run['name']}` is `{run['folder']}/config.yaml`, hash {run['hash']}" if run else "")
        + ").",
        "",
        *legend(),
        "",
        "The numbers of a row are those of the scenario that decided it. `interval`: the 95% CI of an estimate "
        "(CLT; none without a variance), the Wilson interval of a coverage or rejection rate, or the F interval of "
        "a variance ratio (its level in the detail).",
        "",
        "| claim | verdict | evidence kind | deciding scenario | quantity verdict | estimate [interval] | exact | "
        "to settle | evidence |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in table.itertuples():
        qv = _text(row.quantity_verdict)
        if np.isfinite(row.estimate) and np.isfinite(row.ci_low):
            estimate = f"{row.estimate:.6g} [{row.ci_low:.6g}, {row.ci_high:.6g}]"
        elif np.isfinite(row.estimate):
            why = "zero variance" if qv == verdicts.DEGENERATE else "no variance"
            estimate = f"{row.estimate:.6g} (no interval: {why})"
        else:
            estimate = ""
        if np.isfinite(row.exact):
            exact = f"{row.exact:.6g}"
        else:
            exact = {verdicts.RANDOM_LIMIT: "random", verdicts.NO_LIMIT: "none"}.get(
                qv, "unknown" if _text(row.quantity) else "")
        lines.append(f"| `{row.claim_id}` | **{row.verdict}** | {_text(row.evidence_kind)} | {_text(row.scenario)} "
                     f"{_text(row.quantity)} | {qv} | {estimate} | {exact} | {_text(row.settle)} | "
                     f"{_text(row.evidence)} |")
    lines += ["", "## Claims, rules and numbers", ""]
    for row in table.itertuples():
        lines += [f"### `{row.claim_id}`: {row.verdict}", "", f"*{row.source}*: {row.statement}", "",
                  f"- decided by: {_text(row.scenario) or 'n/a'}",
                  f"- every assigned scenario: {_text(row.scenarios) or 'n/a'}",
                  f"- rule: {_sentence(row.rule) if isinstance(row.rule, str) else 'n/a'}",
                  f"- measured: {row.detail}"]
        if _text(row.settle):
            lines.append(f"- what would settle it: {row.settle}")
        lines.append("")
    lines += ["## How verdicts are reached", "", claims_mod.__doc__.split("\n\n", 1)[1].strip(), "",
              "### Per-quantity verdicts (mcloss.judge.verdicts)", "", verdicts.__doc__.split("\n\n", 1)[1].strip(), ""]
    return "\n".join(lines)


def _sentence(text: str) -> str:
    """``text`` whole, closed by a full stop (a rule is printed as the sentence it is, never shortened)."""
    return text if text.endswith(".") else text + "."


def _text(value) -> str:
    return value if isinstance(value, str) else ""
