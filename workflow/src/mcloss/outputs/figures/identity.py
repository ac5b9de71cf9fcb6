"""The identity figure of a scenario: both sides of each per-batch identity on the same axes, and their largest
deviation against the tolerance. May import `style`, `mcloss.simulate` and `mcloss.estimands`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from mcloss.estimands import Quantity  # noqa: E402
from mcloss.simulate.engine import Simulation  # noqa: E402

from .style import GREY, apply_style, log_n_axis, log_ticks, log_y_axis, set_title  # noqa: E402


def identity_figure(sim: Simulation, identities, exact: dict, paths: int, title: str,
                    quantities: Sequence[Quantity] = ()):
    """Quantities that must agree on every batch, on the same axes, and their largest deviation.

    Top: running estimates of ``paths`` replicates, left-hand side solid, right-hand side
    as open markers. Bottom: the largest |left - right| / max(1, |left|) over all replicates
    at each n against the tolerance (exact zeros are drawn at the axis floor).
    """
    apply_style()
    count = len(identities)
    fig, axes = plt.subplots(2, count, figsize=(3.4 * count, 5.4), squeeze=False, layout="constrained",
                             height_ratios=[2, 1], sharex="col")
    n = sim.n.astype(float)
    floor = 1e-17
    for j, ident in enumerate(identities):
        top, bottom = axes[0, j], axes[1, j]
        units = {q.name: q.unit for q in quantities}.get(ident.left, "nats")
        left, right = sim.estimate[ident.left][:paths], sim.estimate[ident.right][:paths]
        for i, (a, b) in enumerate(zip(left, right)):
            top.plot(n, a, "-", color=GREY, lw=0.7, label=ident.left if i == 0 else None)
            top.plot(n, b, "o", mfc="none", mec="black", ms=2.5, mew=0.5, label=ident.right if i == 0 else None)
        target = float(exact.get(ident.left, float("nan")))
        if np.isfinite(target):
            top.axhline(target, color="black", lw=1.0, label="exact limit")
        top.set_xscale("log")
        log_ticks(top.xaxis)
        top.set_ylabel(f"running estimate ({units})")
        top.set_title(f"{ident.left} vs {ident.right}\n" + textwrap.fill(ident.meaning, 48), fontsize=8)
        top.legend(fontsize=7, frameon=False, loc="upper right")
        with np.errstate(invalid="ignore"):
            left = sim.estimate[ident.left]
            dev = np.nanmax(np.abs(left - sim.estimate[ident.right]) / np.maximum(1.0, np.abs(left)), axis=0)
        exact_zero = dev == 0.0
        bottom.plot(n, np.maximum(dev, floor), "-", color="black", lw=0.8)
        bottom.plot(n[~exact_zero], dev[~exact_zero], "s", color="black", ms=2.5,
                    label=f"max over {sim.replicates.size} replicates")
        if exact_zero.any():
            bottom.plot(n[exact_zero], np.full(exact_zero.sum(), floor), "v", mfc="white", mec="black", ms=3.5,
                        label=f"exactly 0 (drawn at {floor:g})")
        bottom.axhline(ident.tolerance, color="black", ls="--", lw=0.9, label=f"tolerance {ident.tolerance:g}")
        log_y_axis(bottom)
        top_dev = float(np.nanmax(dev)) * 10 if np.isfinite(dev).any() else 1
        bottom.set_ylim(floor / 2, max(ident.tolerance * 100, top_dev))
        log_n_axis(bottom)
        # A ratio of two quantities in the same unit: dimensionless, so no unit on this axis.
        bottom.set_ylabel(f"|difference| / max(1, |{ident.left}|)\nper batch")
        bottom.legend(fontsize=7, frameon=True, framealpha=0.9, edgecolor="none", loc="center right")
    set_title(fig, title)
    return fig
