"""The convergence figure of a scenario: RMSE (empirical SE where there is no limit, the IQR where there is no
finite variance) against n on log-log axes, one panel per quantity. May import `style`, `mcloss.evidence`,
`mcloss.simulate` and `mcloss.estimands`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mcloss.estimands import Quantity
from mcloss.evidence.summarise import Z95
from mcloss.simulate.engine import Simulation

from .style import (
    GREY,
    LIGHT,
    TEXT_BOX,
    annotate_free,
    apply_style,
    finish,
    log_n_axis,
    log_y_axis,
    panels,
    quantity_title,
    shown,
)


def convergence_figure(summary: pd.DataFrame, convergence: pd.DataFrame, quantities: Sequence[Quantity],
                       title: str, sim: Simulation | None = None, identities: Sequence = ()):
    """Log-log RMSE (EmpSE where there is no limit) vs n with a 95% MCSE band and an n^-1/2 line.

    Where the verdict rests on the IQR across replicates (no finite variance: RMSE and its MCSE
    do not exist), that IQR is drawn from ``sim`` instead, with theory's slope as the reference.
    The right-hand side of an identity (``identities``) gets no panel: its left-hand side's panel names it.
    """
    apply_style()
    quantities, same = shown(quantities, identities)
    fig, axes = panels(len(quantities), height=2.8 + 0.6 * bool(same))  # room for the identity note
    for ax, q in zip(axes, quantities):
        rows = summary[summary.quantity == q.name].sort_values("n")
        rate = convergence[convergence.quantity == q.name].iloc[0]
        if sim is not None and rate.get("verdict_slope_of") == "iqr":
            _iqr_panel(ax, sim, q, rate, same.get(q.name, ()))
            continue
        has_limit = np.isfinite(rate.exact)
        y = rows.rmse if has_limit else rows.emp_se
        err = rows.rmse_mcse if has_limit else rows.emp_se_mcse
        n = rows.n.to_numpy(dtype=float)
        ok = np.isfinite(y.to_numpy()) & (y.to_numpy() > 0)
        ax.fill_between(n[ok], (y - Z95 * err)[ok].clip(lower=1e-300), (y + Z95 * err)[ok], color=LIGHT,
                        lw=0, label="95% Monte Carlo band")
        ax.plot(n[ok], y[ok], "o-", color="black", ms=2.5, lw=1.0,
                label=("RMSE" if has_limit else "empirical SE (no finite limit)"))
        if ok.any():
            anchor_n, anchor_y = n[ok][-1], float(y[ok].iloc[-1])
            ax.plot(n, anchor_y * np.sqrt(anchor_n / n), "--", color=GREY, lw=1.0, label=r"$\propto n^{-1/2}$")
        if ok.any():
            log_y_axis(ax)
        else:
            # e.g. H(p_hat) of a frozen chain: every replicate gives exactly 0.
            ax.text(0.5, 0.5, "zero spread across replicates\nat every n", transform=ax.transAxes,
                    ha="center", va="center", fontsize=8)
        log_n_axis(ax)
        ax.set_ylabel(("RMSE" if has_limit else "empirical SE") + f" ({q.unit})")
        ax.set_title(quantity_title(q, same_as=same.get(q.name, ())), fontsize=8)
        # In a corner the data leave free (a heavy-tailed panel's line can run through the lower left).
        annotate_free(ax, f"slope {rate.slope:.3f}\n95% CI [{rate.slope_ci_low:.3f}, {rate.slope_ci_high:.3f}]"
                      f"\n(fit on n ≥ {rate.fit_min_n:g})", bbox=TEXT_BOX)
    finish(fig, axes, title)
    return fig


def _iqr_panel(ax, sim: Simulation, q: Quantity, rate: pd.Series, same_as: tuple[str, ...] = ()) -> None:
    n = sim.n.astype(float)
    with np.errstate(invalid="ignore"):
        q25, q75 = np.nanquantile(sim.estimate[q.name], [0.25, 0.75], axis=0)
    iqr = q75 - q25
    ok = np.isfinite(iqr) & (iqr > 0)
    ax.plot(n[ok], iqr[ok], "s-", color="black", ms=2.5, lw=1.0, label="IQR across replicates (no finite variance)")
    expected = float(rate.get("expected_slope", np.nan))
    if ok.any() and np.isfinite(expected):
        anchor_n, anchor_y = n[ok][-1], iqr[ok][-1]
        ax.plot(n, anchor_y * (n / anchor_n) ** expected, ":", color=GREY, lw=1.2,
                label=rf"theory $\propto n^{{{expected:.3g}}}$")
    if ok.any():
        log_y_axis(ax)
    log_n_axis(ax)
    ax.set_ylabel(f"IQR of the estimate ({q.unit})")
    ax.set_title(quantity_title(q, same_as=same_as), fontsize=8)
    annotate_free(ax, f"IQR slope {rate.iqr_slope:.3f}\n95% CI [{rate.iqr_slope_ci_low:.3f}, "
                  f"{rate.iqr_slope_ci_high:.3f}]\n(fit on n ≥ {rate.fit_min_n:g})\n{rate.verdict}", bbox=TEXT_BOX)
