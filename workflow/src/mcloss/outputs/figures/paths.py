"""The sample-path figure of a scenario: running estimates of a few replicates against the exact value and the
CLT funnel, one panel per quantity. May import `style`, `mcloss.evidence`, `mcloss.simulate` and `mcloss.estimands`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from mcloss.estimands import Quantity
from mcloss.evidence.summarise import Z95
from mcloss.simulate.engine import Simulation

from .style import GREY, LIGHT, TEXT_BOX, apply_style, finish, log_n_axis, panels, quantity_title, shown


def paths_figure(sim: Simulation, summary: pd.DataFrame, quantities: Sequence[Quantity], exact: dict,
                 paths: int, title: str, variances: dict | None = None, no_variance: Sequence[str] = (),
                 identities: Sequence = ()):
    """Running estimates of the first ``paths`` replicates against the exact value and the CLT funnel.

    The funnel uses the exact asymptotic variance sigma^2 = lim n Var where the estimand
    knows it (``variances``; right also for dependent data), else the mean squared SE at
    the largest n. Quantities in ``no_variance`` (E term^2 infinite, or no deterministic limit) have no funnel: the
    interquartile band of all replicates at each n is drawn instead.
    """
    apply_style()
    quantities, same = shown(quantities, identities)
    fig, axes = panels(len(quantities), height=2.8 + 0.6 * bool(same))  # room for the identity note
    n = sim.n.astype(float)
    for ax, q in zip(axes, quantities):
        est = sim.estimate[q.name][:paths]
        for row in est:
            ax.plot(n, row, "-", color=GREY, lw=0.5, alpha=0.8)
        ax.plot([], [], "-", color=GREY, lw=0.8, label=f"{est.shape[0]} replicates")
        target = float(exact[q.name])
        rows = summary[summary.quantity == q.name].sort_values("n")
        variance = float((variances or {}).get(q.name, float("nan")))
        sigma = math.sqrt(max(variance, 0.0)) if np.isfinite(variance) else float("nan")
        if not np.isfinite(sigma):
            sigma = float(rows.mod_se.iloc[-1]) * math.sqrt(n[-1])
        centre = target if np.isfinite(target) else float(np.nanmedian(sim.estimate[q.name][:, -1]))
        visible = n >= min(10.0, n[-1])
        if q.name in no_variance:
            with np.errstate(invalid="ignore"):
                q25, q75 = np.nanquantile(sim.estimate[q.name], [0.25, 0.75], axis=0)
            # Above the grid and the light background, with an edge and a hatch: visible in greyscale.
            ax.fill_between(n, q25, q75, facecolor=LIGHT, edgecolor="0.25", hatch="////", lw=0.6, zorder=1.6,
                            label=f"IQR of all {sim.estimate[q.name].shape[0]} replicates (no CLT funnel)")
        if np.isfinite(target):
            ax.axhline(target, color="black", lw=1.2, label="exact limit")
            if np.isfinite(sigma) and q.name not in no_variance:
                half = Z95 * sigma / np.sqrt(n)
                ax.plot(n, target + half, "--", color="black", lw=0.9, label=r"exact $\pm 1.96\,\sigma/\sqrt{n}$")
                ax.plot(n, target - half, "--", color="black", lw=0.9)
        else:
            ax.text(0.5, 0.95, "no finite limit", transform=ax.transAxes, ha="center", va="top", fontsize=8,
                    bbox=TEXT_BOX)
        window = est[:, visible]
        window = window[np.isfinite(window)]
        if window.size:
            lo, hi = np.quantile(window, [0.01, 0.99])
            pad = 0.15 * (hi - lo) if hi > lo else 1.0
            ax.set_ylim(min(lo, centre) - pad, max(hi, centre) + pad)
        left = mark_exits(ax, n, est)
        log_n_axis(ax)
        if left:   # under the axis, where no title or neighbouring label competes for the room
            ax.set_xlabel(ax.get_xlabel() + f"\n{left} of {est.shape[0]} paths leave the range ▲▼")
        ax.set_ylabel(f"running estimate ({q.unit})")
        ax.set_title(quantity_title(q, same_as=same.get(q.name, ())), fontsize=8)
    finish(fig, axes, title)
    return fig


def exits(n: np.ndarray, paths: np.ndarray, low: float, high: float) -> list[tuple[float, str]]:
    """Where each path first leaves [low, high] for good or for a while: (n at the first point outside, "above" or
    "below"), one entry per path that leaves."""
    found = []
    for row in paths:
        with np.errstate(invalid="ignore"):
            outside = np.flatnonzero(np.isfinite(row) & ((row > high) | (row < low)))
        if outside.size:
            k = outside[0]
            found.append((float(n[k]), "above" if row[k] > high else "below"))
    return found


def mark_exits(ax, n: np.ndarray, paths: np.ndarray) -> int:
    """A triangle on the panel's edge where each path leaves its y range (pointing the way it went); returns how
    many paths leave."""
    low, high = ax.get_ylim()
    found = exits(n, paths, low, high)
    for side, y, marker in (("above", high, "^"), ("below", low, "v")):
        xs = [x for x, where in found if where == side]
        if xs:
            ax.plot(xs, [y] * len(xs), linestyle="none", marker=marker, ms=4.5, color="black", clip_on=False,
                    zorder=4, label="path leaves the range (▲ above, ▼ below)")
    return len(found)
