"""The CLT figure of a scenario: standardised errors at the largest n against the N(0, 1) density, with
overflow bins and the coverage, one panel per quantity. May import `style`, `mcloss.evidence`, `mcloss.simulate`
and `mcloss.estimands`.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.patches
import numpy as np
import pandas as pd

from mcloss.estimands import Quantity
from mcloss.evidence.coverage import describe_coverage
from mcloss.evidence.summarise import Z95
from mcloss.simulate.engine import Simulation

from .style import GREY, LIGHT, apply_style, finish, panels, quantity_title, shown


def standard_normal_pdf(x):
    """exp(-x^2/2) / sqrt(2 pi), as scipy.stats.norm.pdf computes it (without importing scipy.stats in the job)."""
    return np.exp(-np.square(x) / 2.0) / np.sqrt(2 * np.pi)


#: The CLT histogram's range in standard errors; values beyond it are counted in two marked overflow bins.
CLT_RANGE = 4.5


def overflow_counts(z: np.ndarray, limit: float = CLT_RANGE) -> tuple[int, int]:
    """How many finite ``z`` lie below -limit and above +limit (drawn as overflow bins, not clipped into the edges)."""
    z = np.asarray(z, dtype=float)
    z = z[np.isfinite(z)]
    return int((z < -limit).sum()), int((z > limit).sum())


def clt_figure(sim: Simulation, convergence: pd.DataFrame, quantities: Sequence[Quantity], exact: dict, title: str,
               no_variance: Sequence[str] = (), identities: Sequence = ()):
    """Standardised errors (estimate - exact) / se at the largest n against the N(0, 1) density.

    Bars inside +-CLT_RANGE are densities over all R finite values; values beyond are
    not clipped into the edge bins but counted in two hatched overflow bins outside
    the range, labelled with their counts (bar area = their share, like the others).
    Quantities in ``no_variance`` have no CLT to compare with: their place holds a note and no axes (frame,
    ticks and labels would frame an empty plot).
    """
    apply_style()
    quantities, same = shown(quantities, identities)
    fig, axes = panels(len(quantities), height=2.8 + 0.6 * bool(same))  # room for the identity note
    grid = np.linspace(-CLT_RANGE, CLT_RANGE, 301)
    edges = np.linspace(-CLT_RANGE, CLT_RANGE, 31)
    width = edges[1] - edges[0]
    gap, flow = 0.3, 0.9
    for ax, q in zip(axes, quantities):
        if q.name in no_variance:
            # No frame, ticks or axis labels: there is nothing to measure on them, only the note.
            ax.set_axis_off()
            ax.text(0.5, 0.5, "no finite variance or no limit:\nno CLT standardisation\n(see the paths figure)",
                    transform=ax.transAxes, ha="center", va="center", fontsize=8)
            ax.set_title(quantity_title(q, same_as=same.get(q.name, ())), fontsize=8)
            continue
        target = float(exact[q.name])
        est, se = sim.estimate[q.name][:, -1], sim.se[q.name][:, -1]
        centre = target if np.isfinite(target) else float(np.nanmedian(est))
        with np.errstate(invalid="ignore", divide="ignore"):
            z = (est - centre) / se
        z = z[np.isfinite(z)]
        top = float(standard_normal_pdf(0.0))
        if z.size:
            inside = z[np.abs(z) <= CLT_RANGE]
            heights, _ = np.histogram(inside, bins=edges)
            ax.bar(edges[:-1], heights / (z.size * width), width=width, align="edge", color=LIGHT, edgecolor="0.3",
                   lw=0.5, label=f"replicates (R = {z.size})")
            top = max(top, float(heights.max()) / (z.size * width))
            below, above = overflow_counts(z)
            for count, left, sign in ((below, -CLT_RANGE - gap - flow, "<"), (above, CLT_RANGE + gap, ">")):
                if count:
                    height = count / (z.size * flow)
                    ax.bar([left], [height], width=flow, align="edge", color="white", edgecolor="black", lw=0.6,
                           hatch="////")
                    ax.annotate(f"{count}\n{sign} {'−' if sign == '<' else ''}{CLT_RANGE:g}",
                                xy=(left + flow / 2, height), xytext=(0, 2), textcoords="offset points",
                                ha="center", va="bottom", fontsize=6.5)
                    top = max(top, height)
            if below or above:
                # An empty rectangle: only its legend entry shows.
                ax.add_patch(matplotlib.patches.Rectangle((0, 0), 0, 0, facecolor="white", edgecolor="black", lw=0.6,
                                                          hatch="////", label=f"beyond ±{CLT_RANGE:g} (count above)"))
        ax.plot(grid, standard_normal_pdf(grid), "-", color="black", lw=1.2, label="N(0, 1) density")
        for x in (-Z95, Z95):
            ax.axvline(x, color=GREY, ls=":", lw=0.9)
        ax.set_xlim(-CLT_RANGE - gap - flow - 0.5, CLT_RANGE + gap + flow + 0.5)
        # Headroom for the overflow counts above their bars.
        ax.set_ylim(0.0, top * 1.3)
        rate = convergence[convergence.quantity == q.name].iloc[0]
        # In the title, not on the axes, so no bar or curve can cover it.
        note = describe_coverage(rate.coverage, rate.replicates, target)
        ax.set_xlabel(rf"$(\hat\theta_n - \theta)\,/\,\widehat{{se}}_n$ at $n = {int(sim.n[-1]):,}$")
        ax.set_ylabel("density")
        ax.set_title(quantity_title(q, same_as=same.get(q.name, ())) + "\n" + note, fontsize=8)
    finish(fig, axes, title)
    return fig
