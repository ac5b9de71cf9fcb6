"""The figure of a sweep over ``sampling``: RMSE against n, one line per sampling plan.

Per quantity one log-log panel: each plan's RMSE at every n with its 95% Monte
Carlo band (RMSE +- 1.96 MCSE), its fitted slope with the bootstrap 95% CI (from
convergence.csv), and, where the plan has one, the exact line sqrt(V_plan / n)
with V_plan = lim n Var of the quantity under the plan (computed by quadrature,
mcloss.laws.plan_exact; iid: the estimand's own). Scrambled Sobol' has no such line:
its n Var tends to 0. Plans differ by grey level, line style and marker, so the
figure reads in greyscale.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from mcloss.estimands import Quantity
from mcloss.evidence.summarise import Z95

from .style import GREY, apply_style, log_n_axis, panels, quantity_title

_ORDER = ("iid", "antithetic", "control_variate", "sobol")
_STYLE = {"iid": ("black", "-", "o"), "antithetic": ("0.35", "--", "s"),
          "control_variate": ("0.55", "-.", "^"), "sobol": ("0.2", ":", "D")}


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
    for ax, q in zip(axes, quantities):
        for point in points:
            plan = plans[point]
            color, style, marker = _STYLE.get(plan, ("black", "-", "x"))
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
                            alpha=0.18, lw=0)
            ax.plot(n[ok], y[ok], linestyle=style, marker=marker, color=color, ms=2.5, lw=1.0, label=label)
            v = variances.get(point, {}).get(q.name, float("nan"))
            if np.isfinite(v) and v > 0 and ok.any():
                ax.plot(n[ok], np.sqrt(v / n[ok]), linestyle=(0, (1, 1)), color=color, lw=0.8)
        ax.plot([], [], linestyle=(0, (1, 1)), color=GREY, lw=0.8, label=r"exact $\sqrt{V_{plan}/n}$")
        ax.set_yscale("log")
        log_n_axis(ax)
        ax.set_ylabel(f"RMSE ({q.unit})")
        ax.set_title(quantity_title(q), fontsize=8)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=2, fontsize=7, frameon=False)
    fig.suptitle(title, fontsize=9)
    return fig
