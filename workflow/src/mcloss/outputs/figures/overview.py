"""The overview figure: what converged at which rate, across scenarios, at a glance.

One row per scenario x quantity (rows of ``results/verdicts.csv``, see mcloss.outputs.paper),
grouped by estimand, then one block per sweep (mcloss.outputs.paper.select_sweeps). Left: the fitted slope of
log RMSE on log n (of log IQR for ``slower``) with its 95% CI
against the rate the theory expects (``expected_slope``, an open diamond). Right: the
standardised error z = (estimate - exact) / MCSE at n_max with its 95% interval
z ± 1.96 (the MCSE is z's standard error), against 0. Only rows whose verdict has a
finite variance get a z (see mcloss.outputs.paper.FINITE_VARIANCE); slopes are drawn where a
limit exists (RATE_SHOWN); every other row names its verdict in place of a marker. A
``converges elsewhere`` row (a wrong limit) is a filled triangle at its EmpSE slope (the spread
its verdict read), and its z lies outside the band.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.lines  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from mcloss.evidence.summarise import Z95  # noqa: E402
from mcloss.judge.verdicts import CONVERGES, ELSEWHERE, INCONCLUSIVE, SLOWER  # noqa: E402
from mcloss.outputs.paper import FINITE_VARIANCE, RATE_SHOWN  # noqa: E402

from .style import GREY, LIGHT, TEXT_BOX, apply_style  # noqa: E402

_MARKERS = {CONVERGES: ("o", "black"), SLOWER: ("s", "white"), ELSEWHERE: ("v", "black")}


def _math(verdict: str) -> str:
    return verdict.replace("n^-1/2", "$n^{-1/2}$")


def standardised_error(rows: pd.DataFrame) -> np.ndarray:
    """(estimate - exact) / estimate_mcse where the verdict has a finite variance and the MCSE is positive, else NaN."""
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (rows.estimate.to_numpy(float) - rows.exact.to_numpy(float)) / rows.estimate_mcse.to_numpy(float)
    ok = rows.verdict.isin(FINITE_VARIANCE).to_numpy() & (rows.estimate_mcse.to_numpy(float) > 0)
    return np.where(ok, z, np.nan)


def groups(verdicts: pd.DataFrame) -> pd.Series:
    """The group heading of each row: its estimand, or its sweep's heading for the rows of a sweep's block
    (column ``heading`` of mcloss.outputs.paper.select_sweeps)."""
    if "heading" not in verdicts:
        return verdicts.estimand.copy()
    return verdicts.heading.where(verdicts.heading.notna() & (verdicts.heading != ""), verdicts.estimand)


def row_labels(verdicts: pd.DataFrame) -> list[str]:
    """``scenario: quantity``, or a sweep row's own label (quantity and x value)."""
    labels = verdicts.label if "label" in verdicts else pd.Series([None] * len(verdicts), index=verdicts.index)
    return [lab if isinstance(lab, str) and lab else f"{r.scenario}: {r.quantity}"
            for lab, r in zip(labels, verdicts.itertuples(index=False))]


def ordered(verdicts: pd.DataFrame) -> pd.DataFrame:
    """Rows grouped by estimand (sweeps by sweep) in order of first appearance, rows kept in their order."""
    group = groups(verdicts)
    first = {name: i for i, name in enumerate(dict.fromkeys(group))}
    return verdicts.assign(_group=group.map(first)).sort_values("_group", kind="stable").drop(
        columns="_group").reset_index(drop=True)


def overview_figure(verdicts: pd.DataFrame, title: str):
    """The figure described in the module docstring, for ``verdicts`` (the mcloss.outputs.paper contract)."""
    apply_style()
    rows = ordered(verdicts)
    count = len(rows)
    group = groups(rows)
    starts = [i for i in range(count) if i == 0 or group.iloc[i] != group.iloc[i - 1]]
    # One slot per row plus a header slot above each estimand's group, top to bottom.
    slot = np.arange(count) + np.searchsorted(starts, np.arange(count), side="right")
    total = count + len(starts)
    y = (total - 1 - slot).astype(float)
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.5, 1.2 + 0.2 * total), sharey=True, layout="constrained",
                                      width_ratios=[1.1, 1.0])
    # Room between the panels so their outermost x tick labels cannot meet.
    fig.get_layout_engine().set(wspace=0.08, w_pad=0.1)
    z = standardised_error(rows)
    for i, r in enumerate(rows.itertuples(index=False)):
        if r.verdict in RATE_SHOWN and np.isfinite(r.slope):
            marker, face = _MARKERS.get(r.verdict, ("D", GREY))
            low, high = r.slope - r.slope_ci_low, r.slope_ci_high - r.slope
            left.errorbar([r.slope], [y[i]], xerr=[[max(low, 0.0)], [max(high, 0.0)]], fmt=marker, color="black",
                          mfc=face, ms=4, capsize=2, lw=0.9)
        else:
            left.text(0.98, y[i], r.verdict, transform=left.get_yaxis_transform(), ha="right", va="center",
                      fontsize=6.5, style="italic", color="0.25")
        if np.isfinite(r.expected_slope):
            left.plot([r.expected_slope], [y[i]], "d", mfc="none", mec=GREY, ms=6, mew=1.0)
        if np.isfinite(z[i]):
            right.errorbar([z[i]], [y[i]], xerr=[[Z95], [Z95]], fmt="o", color="black", ms=3.5, capsize=2, lw=0.9)
        else:
            note = "degenerate (no spread)" if r.verdict == "degenerate" else (
                r.verdict if r.verdict not in FINITE_VARIANCE
                else "MCSE 0" if np.isfinite(r.estimate_mcse) else "no variance")
            right.text(0.5, y[i], f"— {_math(note)}", transform=right.get_yaxis_transform(), ha="center",
                       va="center", fontsize=6.5, style="italic", color="0.25", bbox=TEXT_BOX, zorder=5)
    # Estimand groups: a rule above each group and its name as the header slot's tick label.
    for i in starts[1:]:
        for ax in (left, right):
            ax.axhline(y[i] + 1.5, color=GREY, lw=0.6)
    right.axvspan(-Z95, Z95, color=LIGHT, lw=0, zorder=0)
    right.axvline(0.0, color="black", lw=0.8)
    labels = row_labels(rows)
    headers = [y[i] + 1 for i in starts]
    left.set_yticks(np.concatenate([y, headers]), labels + [group.iloc[i] for i in starts], fontsize=6.5)
    for tick in left.get_yticklabels()[count:]:
        tick.set_fontweight("bold")
    left.set_ylim(-0.7, total - 0.3)
    left.set_xlabel("slope of log spread on log $n$ (95% CI)\nspread: RMSE, IQR or EmpSE, as the legend says")
    right.set_xlabel(r"$(\hat\theta_{n_{max}} - \theta)\,/\,\mathrm{MCSE}$ (95% interval)")
    # Only the verdicts some row is drawn with, each naming the spread whose slope it shows.
    drawn = {r.verdict for r in rows.itertuples(index=False) if r.verdict in RATE_SHOWN and np.isfinite(r.slope)}
    entries = [(CONVERGES, "o", "black", f"{_math(CONVERGES)} (RMSE slope)"),
               (SLOWER, "s", "white", f"{_math(SLOWER)} (IQR slope)"),
               (ELSEWHERE, "v", "black", f"{ELSEWHERE} (EmpSE slope)"),
               (INCONCLUSIVE, "D", GREY, "inconclusive")]
    handles = [matplotlib.lines.Line2D([], [], marker=m, color="black", mfc=face, ls="none", label=words)
               for verdict, m, face, words in entries if verdict in drawn]
    handles.append(matplotlib.lines.Line2D([], [], marker="d", mfc="none", mec=GREY, ls="none",
                                           label="theoretical rate"))
    fig.legend(handles=handles, loc="outside lower center", ncol=2, fontsize=7, frameon=False)
    fig.suptitle(title, fontsize=9)
    return fig
