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

from .style import GREY, LIGHT, TEXT_BOX, apply_style, finish, log_n_axis, panels, quantity_title


def paths_figure(sim: Simulation, summary: pd.DataFrame, quantities: Sequence[Quantity], exact: dict,
                 paths: int, title: str, variances: dict | None = None, no_variance: Sequence[str] = ()):
    """Running estimates of the first ``paths`` replicates against the exact value and the CLT funnel.

    The funnel uses the exact asymptotic variance sigma^2 = lim n Var where the estimand
    knows it (``variances``; right also for dependent data), else the mean squared SE at
    the largest n. Quantities in ``no_variance`` (E term^2 infinite, or no deterministic limit) have no funnel: the
    interquartile band of all replicates at each n is drawn instead.
    """
    apply_style()
    fig, axes = panels(len(quantities))
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
            ax.fill_between(n, q25, q75, color=LIGHT, lw=0, zorder=0,
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
        log_n_axis(ax)
        ax.set_ylabel(f"running estimate ({q.unit})")
        ax.set_title(quantity_title(q), fontsize=8)
    finish(fig, axes, title)
    return fig
