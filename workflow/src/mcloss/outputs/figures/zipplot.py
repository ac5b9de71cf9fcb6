"""Zip plots of the CLT interval (Morris, White & Crowther 2019, Stat. Med. 38:2074, Fig. 4).

For one batch size n, each replicate's 95% interval theta_i +- 1.96 se_i is drawn as
a horizontal line at the height of its |z_i| = |theta_i - theta| / se_i as a
fractional centile among the replicates (0: the closest to the limit, 100: the
farthest). Intervals that miss theta are exactly those of largest |z|, so they sit
at the top and the line between the two groups is at 100 x coverage; the shaded band
is coverage's 95% Wilson interval, the dashed line the nominal 95%. The horizontal
axis is interval minus the exact limit, so the vertical line at 0 is the limit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from mcloss.estimands import Quantity  # noqa: E402
from mcloss.evidence.coverage import (
    NOMINAL,
    exclusion_reason,
    format_proportion,
    small_n,
    wilson_interval,
)  # noqa: E402
from mcloss.evidence.summarise import Z95  # noqa: E402
from mcloss.simulate.engine import Simulation  # noqa: E402

from .style import set_title, shown  # noqa: E402

COVERS, MISSES = "0.7", "black"


def zip_data(estimates: np.ndarray, ses: np.ndarray, exact: float) -> dict[str, np.ndarray]:
    """Intervals (minus the limit) ranked by |z|: low, high, centile, covers (finite replicates only)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (estimates - exact) / ses
    keep = np.isfinite(z) & np.isfinite(ses)
    z, est, se = z[keep], estimates[keep], ses[keep]
    order = np.argsort(np.abs(z), kind="stable")
    centile = 100.0 * (np.arange(order.size) + 0.5) / max(order.size, 1)
    est, se, z = est[order], se[order], z[order]
    return {"low": est - Z95 * se - exact, "high": est + Z95 * se - exact, "centile": centile,
            "covers": np.abs(z) <= Z95}


def draw(ax, data: Mapping[str, np.ndarray], unit: str, n: int) -> None:
    """One zip plot on ``ax``."""
    covers = data["covers"]
    count, hits = covers.size, int(covers.sum())
    for mask, colour, width, label in ((covers, COVERS, 0.6, "interval covers"),
                                       (~covers, MISSES, 1.0, "interval misses")):
        segments = np.stack([np.column_stack([data["low"][mask], data["centile"][mask]]),
                             np.column_stack([data["high"][mask], data["centile"][mask]])], axis=1)
        ax.add_collection(LineCollection(segments, colors=colour, linewidths=width, label=label))
    if count:
        low, high = wilson_interval(hits, count)
        ax.axhspan(100 * float(low), 100 * float(high), color="0.85", alpha=0.6, lw=0, zorder=0,
                   label="coverage, 95% Wilson interval")
        ax.axhline(100 * hits / count, color="black", lw=0.8, ls="-.", label="observed coverage")
        span = max(np.max(np.abs(data["low"])), np.max(np.abs(data["high"])))
        ax.set_xlim(-span * 1.05, span * 1.05)
    # At most five ticks, symmetric about 0: labels such as -0.0015 ran into each other at matplotlib's default.
    ax.xaxis.set_major_locator(MaxNLocator(nbins=4, symmetric=True))
    ax.axhline(100 * NOMINAL, color="black", lw=0.8, ls="--", label="nominal 95%")
    ax.axvline(0.0, color="black", lw=0.8, ls=":")
    ax.set_ylim(0, 100)
    ax.set_xlabel(f"95% interval − exact limit ({unit})")
    ax.set_ylabel("centile of |z| (%)")
    ax.set_title(f"n = {n:,}: " + format_proportion(hits, count), fontsize=7)


def zip_figure(sim: Simulation, quantities: Sequence[Quantity], exact: Mapping[str, float],
               variances: Mapping[str, float], title: str, identities: Sequence = ()):
    """Zip plots at a small n and at the largest n, one row per quantity with a finite-variance limit.

    Quantities without one are named in a note with the reason; if none has one, the
    figure is that note alone ("not applicable"). The right-hand side of an identity (``identities``) gets no
    row: its left-hand side's label names it.
    """
    quantities, same = shown(quantities, identities)
    judged = [q for q in quantities if exclusion_reason(float(exact[q.name]), float(variances.get(q.name, np.nan)))
              is None]
    skipped = [f"{q.name}: {exclusion_reason(float(exact[q.name]), float(variances.get(q.name, np.nan)))}"
               for q in quantities if q not in judged]
    sizes = sorted({small_n(sim.n), int(sim.n[-1])})
    rows = max(len(judged), 1)
    fig, axes = plt.subplots(rows, len(sizes), figsize=(3.4 * len(sizes), 2.7 * rows + 0.9), squeeze=False,
                             layout="constrained")
    if not judged:
        for ax in axes.flat:
            ax.set_axis_off()
        axes[0, 0].text(0.0, 0.5, "not applicable: no quantity has a finite-variance limit\n" + "\n".join(skipped),
                        fontsize=8, va="center")
    for row, q in zip(axes, judged):
        for ax, n in zip(row, sizes):
            k = int(np.searchsorted(sim.n, n))
            draw(ax, zip_data(sim.estimate[q.name][:, k], sim.se[q.name][:, k], float(exact[q.name])), q.unit, n)
            ax.text(0.02, 0.02, " = ".join((q.name, *same.get(q.name, ()))), transform=ax.transAxes, fontsize=8,
                    va="bottom")
    if judged:
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=3, fontsize=7, frameon=False)
    note = ("\nnot drawn: " + "; ".join(skipped)) if skipped and judged else ""
    set_title(fig, title + note, fontsize=8)
    return fig
