"""The figure of a sweep over ``sampling``: RMSE against n, one line per sampling plan.

Per quantity one log-log panel: each plan's RMSE at every n with its 95% Monte
Carlo band (RMSE +- 1.96 MCSE), its fitted slope with the bootstrap 95% CI (from
convergence.csv), and, where the plan has one, the exact line sqrt(V_plan / n)
with V_plan = lim n Var of the quantity under the plan (computed by quadrature,
mcloss.laws.plan_exact; iid: the estimand's own), drawn on top of the data with a white
halo so no data line hides it. Scrambled Sobol' has no such line: its n Var tends to 0.
Plans differ by grey level, line style and marker (filled or open), so the figure reads
in greyscale; each panel has its own legend under it with that panel's slopes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.lines import Line2D

from mcloss.estimands import Quantity
from mcloss.evidence.summarise import Z95

from .style import GREY, apply_style, log_n_axis, log_y_axis, panels, quantity_title, set_title

_ORDER = ("iid", "antithetic", "control_variate", "sobol")
#: Grey, line style, marker and whether it is filled, per plan: any two differ in line style and in marker.
_STYLE = {"iid": ("black", "-", "o", True), "antithetic": ("0.3", "--", "s", False),
          "control_variate": ("0.5", "-.", "^", True), "sobol": ("0.2", ":", "D", False)}
_OTHER = [("black", (0, (5, 1, 1, 1, 1, 1)), "v", False), ("0.4", (0, (3, 2)), "P", True)]
#: Drawing order: bands, then data, then the exact lines on top (with a white halo).
BAND_Z, DATA_Z, EXACT_Z = 1.0, 2.0, 3.0
EXACT_STYLE = (0, (1, 1.2))


def exact_plan_variances(path) -> dict[str, float]:
    """lim n Var of each quantity under the point's own plan (NaN where there is none)."""
    with open(path) as fh:
        data = json.load(fh)
    plan = data.get("plan", "iid")
    found = data.get("variances", {}) if plan == "iid" else data.get("plan_variances", {})
    return {k: (float("nan") if v is None else float(v)) for k, v in found.items()}


def plans_figure(summary: pd.DataFrame, convergence: pd.DataFrame, variances: Mapping[str, Mapping[str, float]],
                 plans: Mapping[str, str], quantities: Sequence[Quantity], title: str,
                 labels: Mapping[str, str] | None = None):
    """RMSE vs n per plan. ``plans``: point scenario -> its sampling plan; ``variances``: point -> quantity -> V;
    ``labels``: point -> its legend label (default its plan)."""
    apply_style()
    fig, axes = panels(len(quantities), height=3.4, width=3.6)
    points = sorted(plans, key=lambda s: (_ORDER.index(plans[s]) if plans[s] in _ORDER else 99, s))
    unknown = sorted({plans[p] for p in points} - set(_STYLE))
    styles = {**_STYLE, **{plan: _OTHER[i % len(_OTHER)] for i, plan in enumerate(unknown)}}
    for ax, q in zip(axes, quantities):
        handles, names = [], []
        for point in points:
            plan = plans[point]
            color, style, marker, filled = styles[plan]
            rows = summary[(summary.scenario == point) & (summary.quantity == q.name)].sort_values("n")
            rate = convergence[(convergence.scenario == point) & (convergence.quantity == q.name)]
            n = rows.n.to_numpy(dtype=float)
            y, err = rows.rmse.to_numpy(dtype=float), rows.rmse_mcse.to_numpy(dtype=float)
            ok = np.isfinite(y) & (y > 0)
            label = (labels or plans)[point]
            if len(rate):
                r = rate.iloc[0]
                label += f": slope {r.slope:.2f} [{r.slope_ci_low:.2f}, {r.slope_ci_high:.2f}]"
            ax.fill_between(n[ok], np.clip(y - Z95 * err, y * 1e-3, None)[ok], (y + Z95 * err)[ok], color=color,
                            alpha=0.18, lw=0, zorder=BAND_Z)
            (line,) = ax.plot(n[ok], y[ok], linestyle=style, marker=marker, color=color, ms=3.5, lw=1.0,
                              mfc=color if filled else "white", mec=color, mew=0.8, zorder=DATA_Z)
            handles.append(line)
            names.append(label)
            v = variances.get(point, {}).get(q.name, float("nan"))
            if np.isfinite(v) and v > 0 and ok.any():
                ax.plot(n[ok], np.sqrt(v / n[ok]), linestyle=EXACT_STYLE, color=color, lw=1.2, zorder=EXACT_Z,
                        gid="exact", path_effects=[patheffects.withStroke(linewidth=2.6, foreground="white")])
        log_y_axis(ax)
        log_n_axis(ax)
        ax.set_ylabel(f"RMSE ({q.unit})")
        ax.set_title(quantity_title(q), fontsize=8)
        # This panel's plans with its own slopes (the slopes differ between quantities), under the panel.
        ax.legend(handles, names, loc="upper center", bbox_to_anchor=(0.5, -0.3), fontsize=6.5, frameon=False,
                  title="RMSE (95% band), log-log slope [95% CI]", title_fontsize=6.5)
    exact = Line2D([], [], linestyle=EXACT_STYLE, color=GREY, lw=1.2,
                   path_effects=[patheffects.withStroke(linewidth=2.6, foreground="white")])
    fig.legend([exact], [r"exact $\sqrt{V_{plan}/n}$ of each plan (its own grey, on top)"], loc="outside lower center",
               fontsize=7, frameon=False)
    set_title(fig, title)
    return fig
