"""The figure of a sweep: the exact curve over x with the estimates at the largest n, their errors and the RMSE
at a few n, one column per quantity; and which quantities it draws. May import `style`, `mcloss.evidence` and
`mcloss.estimands`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.lines  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from mcloss.estimands import Quantity  # noqa: E402
from mcloss.evidence.summarise import Z95  # noqa: E402

from .style import GREY, apply_style, quantity_title, wrap_title  # noqa: E402

_SERIES_STYLES = [("-", "o"), ("--", "s"), (":", "^"), ("-.", "D"), ((0, (5, 1, 1, 1)), "v")]
_N_STYLES = [("black", "o"), ("0.45", "s"), ("0.7", "^"), ("0.25", "D")]
#: An RMSE below this (relative to the limit's size) is zero up to rounding: no randomness at that point.
_ZERO_RMSE = 1e-10


def _rmse_sizes(n_max: float, n_min: float, count: int = 3) -> list[float]:
    """Batch sizes at which the RMSE is drawn over a sweep: n_max and decades below it, down to ~10."""
    n_min = min(max(n_min, 10.0), n_max)
    span = math.log10(n_max / n_min)
    step = max(1.0, math.floor(span / max(count - 1, 1)))
    sizes = [n_max / 10.0 ** (step * k) for k in range(count)]
    return sorted({s for s in sizes if s >= n_min * 0.999})


def _series_label(keys: Sequence[str], values: Sequence) -> str:
    return ", ".join(f"{k} = {v:g}" if isinstance(v, (int, float)) else f"{k} = {v}" for k, v in zip(keys, values))


def covers(rows: pd.DataFrame) -> np.ndarray:
    """Whether each 95% CI [ci_low, ci_high] holds the exact value, allowing rounding (1e-12 relative).

    The allowance matters only where an estimate has no randomness (e.g. D* = 1/2
    when p_g = p_data): its CI has width 0 and it equals the limit up to rounding.
    """
    tol = 1e-12 * np.maximum(1.0, np.abs(rows.exact.to_numpy()))
    return ((rows.ci_low.to_numpy() - tol <= rows.exact.to_numpy())
            & (rows.exact.to_numpy() <= rows.ci_high.to_numpy() + tol))


def varying_quantities(convergence: pd.DataFrame, hide: Sequence[str] = (), rtol: float = 1e-9) -> list[str]:
    """Quantities (in table order) whose exact value differs between the sweep's points, less those in ``hide``.

    What a sweep figure draws by default: a quantity whose limit is the same at every
    point (or exists at none) has no curve over x to show, and ``hide`` names the
    right-hand sides of identities (equal on every batch to another quantity).
    """
    names = []
    for name, rows in convergence.groupby("quantity", sort=False):
        exact = rows.exact.to_numpy(dtype=float)
        finite = exact[np.isfinite(exact)]
        varies = finite.size > 0 and (np.ptp(finite) > rtol * max(1.0, float(np.abs(finite).max()))
                                      or finite.size < exact.size)
        if varies and name not in hide:
            names.append(name)
    return names


def sweep_figure(convergence: pd.DataFrame, summary: pd.DataFrame, curve: pd.DataFrame, x: str,
                 series_keys: Sequence[str], quantities: Sequence[Quantity], title: str, log_x: bool = False):
    """Estimates at the largest n against the exact curve over a sweep, and their Monte Carlo error.

    One column per quantity. Top: the exact limit as a curve over ``x`` (quadrature
    on a dense grid) and the mean estimate of each point at the largest n with its
    95% CI. Middle: estimate - exact with that CI, and how many CIs cover the
    exact value (see `covers`). Bottom: RMSE at a few batch sizes n against x,
    with 95% Monte Carlo error bars; an RMSE that is zero up to rounding is drawn
    at the axis floor as an open triangle. ``convergence``, ``summary`` and
    ``curve`` carry a column ``x`` and one per series key: line style and open
    marker distinguish the combinations of the series keys' values, grey level
    and filled marker the batch sizes.
    """
    apply_style()
    count = len(quantities)
    fig, axes = plt.subplots(3, count, figsize=(2.9 * count + 0.4, 7.6), squeeze=False, layout="constrained",
                             height_ratios=[1.6, 1.0, 1.2], sharex="col")
    keys = list(series_keys)
    series = sorted({tuple(row) for row in convergence[keys].itertuples(index=False)}) if keys else [()]

    def pick(frame, values):
        mask = np.ones(len(frame), dtype=bool)
        for k, v in zip(keys, values):
            mask &= (frame[k] == v).to_numpy()
        return frame[mask]

    n_max_values = sorted(set(convergence.n_max))
    n_label = f"n = {int(n_max_values[0]):,}" if len(n_max_values) == 1 else "the largest n"
    sizes = _rmse_sizes(float(min(n_max_values)), float(summary.n.min()))
    xs = convergence[x].to_numpy(dtype=float)
    span = float(np.ptp(np.log10(xs) if log_x else xs)) or 1.0
    size_ns: dict[int, set[int]] = {}
    floored = False
    for j, q in enumerate(quantities):
        top, mid, bottom = axes[0, j], axes[1, j], axes[2, j]
        conv_q, summ_q, curve_q = (f[f.quantity == q.name] for f in (convergence, summary, curve))
        inside = total = 0
        scale = max(1.0, float(np.nanmax(np.abs(conv_q.exact)))) if conv_q.exact.notna().any() else 1.0
        rmse_blocks = []
        for s, values in enumerate(series):
            ls, marker = _SERIES_STYLES[s % len(_SERIES_STYLES)]
            line = pick(curve_q, values).sort_values(x)
            top.plot(line[x], line.exact, ls=ls, color="black", lw=1.1)
            rows = pick(conv_q, values).sort_values(x)
            err = np.vstack([rows.estimate - rows.ci_low, rows.ci_high - rows.estimate])
            top.errorbar(rows[x], rows.estimate, yerr=err, fmt=marker, color="black", mfc="white", ms=4, mew=0.9,
                         capsize=2, lw=0.9)
            # Series side by side at each x in the middle panel, so their intervals do not overlap.
            dodge = (s - (len(series) - 1) / 2) * 0.015 * span if len(series) > 1 else 0.0
            shifted = rows[x] * 10.0 ** (dodge / span * 0.3) if log_x else rows[x] + dodge
            mid.errorbar(shifted, rows.estimate - rows.exact, yerr=err, fmt=marker, color="black", mfc="white",
                         ms=4, mew=0.9, capsize=2, lw=0.9)
            finite = np.isfinite(rows.estimate.to_numpy()) & np.isfinite(rows.exact.to_numpy())
            inside += int((covers(rows) & finite).sum())
            total += int(finite.sum())
            for i, n_target in enumerate(sizes):
                # Each point's grid n closest to the target in log (grids differ by the estimand's unit).
                picked = []
                for _, block in pick(summ_q, values).groupby("scenario", sort=False):
                    k = np.argmin(np.abs(np.log(block.n.to_numpy(dtype=float) / n_target)))
                    picked.append(block.iloc[k])
                if picked:
                    at_n = pd.DataFrame(picked).sort_values(x)
                    size_ns.setdefault(i, set()).update(int(n) for n in at_n.n)
                    rmse_blocks.append((i, ls, at_n))
        positive = [b.rmse[b.rmse > _ZERO_RMSE * scale] for _, _, b in rmse_blocks]
        positive = pd.concat(positive) if positive else pd.Series(dtype=float)
        floor = float(positive.min()) / 4 if positive.size else _ZERO_RMSE * scale
        any_zero = False
        for i, ls, at_n in rmse_blocks:
            colour, marker = _N_STYLES[i % len(_N_STYLES)]
            zero = (at_n.rmse <= _ZERO_RMSE * scale).to_numpy()
            y = np.where(zero, floor, at_n.rmse)
            yerr = np.where(zero, 0.0, Z95 * at_n.rmse_mcse)
            bottom.plot(at_n[x], y, ls=ls, color=colour, lw=0.9)
            bottom.errorbar(at_n[x][~zero], y[~zero], yerr=yerr[~zero], fmt=marker, color=colour, ms=3.5,
                            lw=0.9, capsize=1.5)
            if zero.any():
                floored = any_zero = True
                bottom.plot(at_n[x][zero], y[zero], "v", color=colour, mfc="white", ms=5, mew=0.9)
        if any_zero:
            bottom.set_ylim(bottom=floor / 1.5)
        mid.axhline(0.0, color=GREY, lw=0.8)
        mid.set_title(f"{inside} of {total} 95% CIs cover the exact value", fontsize=7, loc="left", pad=3)
        top.set_title(quantity_title(q), fontsize=8)
        top.set_ylabel(f"limit and estimate ({q.unit})")
        mid.set_ylabel(f"estimate − exact\nat {n_label} ({q.unit})")
        bottom.set_ylabel(f"RMSE ({q.unit})")
        bottom.set_yscale("log")
        bottom.set_xlabel(x)
        if log_x:
            bottom.set_xscale("log")
    handles = [matplotlib.lines.Line2D([], [], color="black", lw=1.1, label="exact limit (quadrature)"),
               matplotlib.lines.Line2D([], [], color="black", marker="o", mfc="white", ls="none",
                                       label=f"mean estimate at {n_label}, 95% CI")]
    if keys:
        handles += [matplotlib.lines.Line2D([], [], color="black", ls=ls, marker=marker, mfc="white", lw=1.0,
                                            label=_series_label(keys, values))
                    for values, (ls, marker) in zip(series, itertools.cycle(_SERIES_STYLES))]
    handles += [matplotlib.lines.Line2D([], [], color=_N_STYLES[i][0], marker=_N_STYLES[i][1], ls="none",
                                        label=f"RMSE at n {'=' if len(ns) == 1 else '≈'} {int(round(sizes[i])):,}")
                for i, ns in sorted(size_ns.items())]
    if floored:
        handles.append(matplotlib.lines.Line2D([], [], color="black", marker="v", mfc="white", ls="none",
                                               label="RMSE 0 up to rounding (at the axis floor)"))
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 2 if count <= 2 else 4),
               fontsize=7, frameon=False)
    fig.suptitle(wrap_title(title, fig), fontsize=9)
    return fig
