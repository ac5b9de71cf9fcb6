"""The figure of a sweep, drawn by regime: the exact curve over x with what each point's verdict lets it show,
its error and its rate, one column per quantity; and which quantities it draws. May import `style`,
`mcloss.outputs.paper`, `mcloss.judge`, `mcloss.evidence` and `mcloss.estimands`.

What a point shows follows its verdict (results/verdicts.csv, the same rules as the paper table):

- a finite variance (``converges at n^-1/2``, ``converges elsewhere``): the mean estimate at the largest n with
  its 95% CI (filled marker); only these points count in "k of m 95% CIs cover the exact value" (plus the
  estimand's declared O(1/n) term b/n where it has one, e.g. a fitted model's test risk: a grey bar marks it);
- ``converges, slower than n^-1/2`` (finite mean, infinite variance) and ``inconclusive``: the median across
  replicates with an IQR bar (open marker; grey for inconclusive): no CI exists;
- ``no limit``, ``random limit``: nothing at its runaway value, a cross on the axis and the regime shaded;
- ``degenerate``: the value itself (no spread), a star.

The bottom row is the rate the verdict read: the slope of log RMSE (or of log IQR, log EmpSE) on log n over
n >= fit_min_n with its 95% CI, against the theory's slope and the n^-1/2 line.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.lines  # noqa: E402
import matplotlib.patches  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from mcloss.estimands import Quantity  # noqa: E402
from mcloss.judge.verdicts import DEGENERATE, NO_LIMIT, RANDOM_LIMIT, SLOWER  # noqa: E402
from mcloss.outputs.paper import FINITE_VARIANCE  # noqa: E402

from .style import GREY, LIGHT, apply_style, quantity_title, wrap_title  # noqa: E402

_SERIES_STYLES = [("-", "o"), ("--", "s"), (":", "^"), ("-.", "D"), ((0, (5, 1, 1, 1)), "v")]
#: How each kind of point is drawn: marker face and the legend's words.
_KINDS = {
    "ci": ("black", "mean estimate at {n}, 95% CI (finite variance)"),
    "iqr": ("white", "median at {n}, IQR bar (slower than $n^{{-1/2}}$: infinite variance, no CI)"),
    "unsure": (GREY, "inconclusive: median at {n}, IQR bar"),
    "degenerate": ("black", "degenerate: the value (no spread)"),
}
#: The column of the slope each verdict read (``verdict_slope_of``), and its marker face in the rate row.
_SLOPES = {"rmse": ("slope", "black", "RMSE"), "iqr": ("iqr_slope", "white", "IQR"),
           "emp_se": ("emp_se_slope", GREY, "EmpSE")}
#: Shading of the regimes that are not n^-1/2 (face, hatch) and their legend words.
_REGIMES = {NO_LIMIT: ("0.93", "////", "no limit (nothing drawn at its value: x on the axis)"),
            RANDOM_LIMIT: ("0.93", "\\\\\\\\", "random limit (nothing drawn at its value: + on the axis)"),
            SLOWER: (LIGHT, None, "slower than $n^{-1/2}$ (finite mean, infinite variance)")}
_AXIS_MARK = {NO_LIMIT: "x", RANDOM_LIMIT: "+"}


def point_kind(verdict: str, ci_low: float, ci_high: float) -> str | None:
    """How a point is drawn (`_KINDS`), or None where no value exists (no limit, random limit)."""
    if verdict in FINITE_VARIANCE and np.isfinite(ci_low) and np.isfinite(ci_high):
        return "ci"
    if verdict == SLOWER:
        return "iqr"
    if verdict == DEGENERATE:
        return "degenerate"
    if verdict in (NO_LIMIT, RANDOM_LIMIT):
        return None
    return "unsure"  # inconclusive, or a finite-variance verdict without an interval


def declared(rows: pd.DataFrame) -> np.ndarray:
    """The estimand's declared O(1/n) term at the largest n, b/n (0 where none is declared): the estimate's mean
    there is exact + b/n (e.g. a fitted model's test risk, R* + tr(J^-1 K)/(2n)), as the verdicts read it."""
    bias = rows["declared_bias"].to_numpy(float) if "declared_bias" in rows else np.zeros(len(rows))
    return np.where(np.isfinite(bias), bias, 0.0)


def covers(rows: pd.DataFrame) -> np.ndarray:
    """Whether each 95% CI [ci_low, ci_high] holds the exact value plus its declared O(1/n) term, allowing
    rounding (1e-12 relative).

    The allowance matters only where an estimate has no randomness (e.g. D* = 1/2
    when p_g = p_data): its CI has width 0 and it equals the limit up to rounding.
    """
    target = rows.exact.to_numpy(float) + declared(rows)
    tol = 1e-12 * np.maximum(1.0, np.abs(target))
    return (rows.ci_low.to_numpy() - tol <= target) & (target <= rows.ci_high.to_numpy() + tol)


def coverage_count(rows: pd.DataFrame) -> tuple[int, int]:
    """(CIs that cover, points with a CI): only points whose verdict has a finite variance have a CI."""
    kinds = [point_kind(r.verdict, r.ci_low, r.ci_high) for r in rows.itertuples(index=False)]
    with_ci = np.array([k == "ci" for k in kinds], dtype=bool) & np.isfinite(rows.exact.to_numpy(float))
    return int((covers(rows) & with_ci).sum()), int(with_ci.sum())


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


def regime_edges(xs: Sequence[float], log_x: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted distinct x values and the edges of the band each one owns (halfway to its neighbours, in log
    space on a log axis; as far beyond the ends as the nearest neighbour is)."""
    u = np.unique(np.asarray(xs, dtype=float))
    t = np.log10(u) if log_x else u
    half = np.diff(t) / 2 if t.size > 1 else np.array([0.5 if not log_x else 0.15])
    low = np.concatenate([[t[0] - half[0]], t[1:] - half])
    high = np.concatenate([t[:-1] + half, [t[-1] + half[-1]]])
    return (u, 10.0**low, 10.0**high) if log_x else (u, low, high)


def _shade(axes, conv_q: pd.DataFrame, x: str, log_x: bool) -> set[str]:
    """Shade the x band of every point value whose verdict (the same for all its series) is in `_REGIMES`."""
    u, low, high = regime_edges(conv_q[x], log_x)
    shown = set()
    for value, a, b in zip(u, low, high):
        verdicts = set(conv_q.verdict[conv_q[x].to_numpy(float) == value])
        if len(verdicts) == 1 and (verdict := verdicts.pop()) in _REGIMES:
            face, hatch, _ = _REGIMES[verdict]
            for ax in axes:
                ax.axvspan(a, b, facecolor=face, hatch=hatch, edgecolor="0.7", lw=0, zorder=0)
            shown.add(verdict)
    for ax in axes:
        ax.set_xlim(low[0], high[-1])
    return shown


def _draw_points(top, mid, rows: pd.DataFrame, x: str, marker: str, shift) -> set[str]:
    """Each point of one series by its kind, in the top (value) and middle (error) panels; the kinds drawn."""
    drawn = set()
    for _, r in rows.iterrows():
        xv = r[x]
        kind = point_kind(r["verdict"], r["ci_low"], r["ci_high"])
        if kind is None:
            for ax in (top, mid):
                ax.plot([xv], [0.04], _AXIS_MARK[r["verdict"]], color="black", ms=7, mew=1.4, clip_on=False,
                        transform=ax.get_xaxis_transform(), zorder=5)
            drawn.add(r["verdict"])
            continue
        face = _KINDS[kind][0]
        if kind == "ci":
            value, err = r["estimate"], [[r["estimate"] - r["ci_low"]], [r["ci_high"] - r["estimate"]]]
        elif kind == "degenerate":
            value, err = r["estimate"], None
        else:
            value = r["median"]
            # A bar as long as the IQR, centred on the median (the table has the IQR, not the quartiles).
            err = [[r["iqr"] / 2], [r["iqr"] / 2]] if np.isfinite(r["iqr"]) else None
        mk = "*" if kind == "degenerate" else marker
        style = dict(fmt=mk, color="black", mfc=face, ms=4.5 if kind != "degenerate" else 7, mew=0.9,
                     capsize=2 if kind == "ci" else 0, lw=0.9 if kind == "ci" else 2.2, zorder=4)
        top.errorbar([xv], [value], yerr=err, **style)
        if np.isfinite(r["exact"]):
            mid.errorbar([shift(xv)], [value - r["exact"]], yerr=err, **style)
            bias = float(r.get("declared_bias", 0.0))
            if np.isfinite(bias) and bias != 0.0:
                # Where the mean is exact + b/n at this n (a declared first-order term), that is what a CI
                # should cover: a short bar marks it.
                mid.plot([shift(xv)], [bias], marker="_", ms=12, mew=1.6, color=GREY, ls="none", zorder=5)
                drawn.add("declared")
        drawn.add(kind)
    return drawn


def _draw_rates(ax, rows: pd.DataFrame, x: str, marker: str, shift) -> set[str]:
    """The slope the verdict read, with its 95% CI, and the theory's slope (grey diamond); the spreads drawn."""
    drawn = set()
    for _, r in rows.iterrows():
        column, face, _ = _SLOPES.get(r.get("verdict_slope_of"), _SLOPES["rmse"])
        value, low, high = (float(r.get(c, np.nan)) for c in (column, f"{column}_ci_low", f"{column}_ci_high"))
        if np.isfinite(r.expected_slope):
            ax.plot([r[x]], [r.expected_slope], "d", mfc="none", mec=GREY, ms=7, mew=1.0, zorder=3)
        if np.isfinite(value) and r.verdict != DEGENERATE:
            ax.errorbar([shift(r[x])], [value], yerr=[[max(value - low, 0.0)], [max(high - value, 0.0)]]
                        if np.isfinite(low) and np.isfinite(high) else None, fmt=marker, color="black", mfc=face,
                        ms=4.5, mew=0.9, capsize=2, lw=0.9, zorder=4)
            drawn.add(r.get("verdict_slope_of") if r.get("verdict_slope_of") in _SLOPES else "rmse")
    return drawn


def plain_ticks(ax, xs, log_x: bool, most: int = 8) -> None:
    """x ticks as plain numbers (1.5, 2, 30; never 10^0 beside 6x10^-1): at the points' own x values when there
    are at most ``most`` of them, else wherever the locator puts them."""
    values = np.unique(np.asarray(xs, dtype=float))
    if values.size <= most:
        ax.set_xticks(values, [f"{v:g}" for v in values])
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    elif log_x:
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())


def point_extent(rows: pd.DataFrame) -> tuple[float, float]:
    """The lowest and highest value the drawn points and their bars reach, with the exact values at the points
    (NaN, NaN if nothing is drawn): no runaway value of a point without a limit counts."""
    ends = [rows.exact.to_numpy(float)]
    for _, r in rows.iterrows():
        kind = point_kind(r["verdict"], r["ci_low"], r["ci_high"])
        if kind == "ci":
            ends.append(np.array([r["ci_low"], r["ci_high"]], dtype=float))
        elif kind in ("iqr", "unsure"):
            ends.append(np.array([r["median"] - r["iqr"] / 2, r["median"] + r["iqr"] / 2], dtype=float))
        elif kind == "degenerate":
            ends.append(np.array([r["estimate"]], dtype=float))
    values = np.concatenate(ends)
    values = values[np.isfinite(values)]
    return (float(values.min()), float(values.max())) if values.size else (np.nan, np.nan)


def _limit_y(ax, rows: pd.DataFrame, curve: pd.Series) -> None:
    """Keep the points legible: where the exact curve runs off (a pole where the limit ceases to exist) far
    beyond the points, cut the axis at half the points' range beyond them; else show the whole curve."""
    lo, hi = point_extent(rows)
    finite = curve.to_numpy(float)
    finite = finite[np.isfinite(finite)]
    if not np.isfinite(lo) or finite.size == 0:
        return
    reach = max(hi - lo, 1e-12 * max(1.0, abs(hi)))
    if finite.min() < lo - 2 * reach or finite.max() > hi + 2 * reach:
        margin = 0.06 * reach
        ax.set_ylim(min(lo, finite.min()) - margin if finite.min() >= lo - 2 * reach else lo - reach / 2,
                    max(hi, finite.max()) + margin if finite.max() <= hi + 2 * reach else hi + reach / 2)


def _series_label(keys: Sequence[str], values: Sequence) -> str:
    return ", ".join(f"{k} = {v:g}" if isinstance(v, (int, float)) else f"{k} = {v}" for k, v in zip(keys, values))


def sweep_figure(convergence: pd.DataFrame, curve: pd.DataFrame, x: str, series_keys: Sequence[str],
                 quantities: Sequence[Quantity], title: str, log_x: bool = False):
    """The sweep's figure by regime (module docstring): one column per quantity, rows value, error, rate.

    ``convergence`` (the points' judged convergence rows) and ``curve`` carry a column
    ``x`` and one per series key: line style and marker shape distinguish the
    combinations of the series keys' values; marker face the kind of point.
    """
    apply_style()
    count = len(quantities)
    # At least two columns wide: a one-quantity sweep's title and legend need the width (3 title lines at most).
    fig, axes = plt.subplots(3, count, figsize=(max(3.0 * count + 0.4, 6.4), 7.8), squeeze=False, layout="constrained",
                             height_ratios=[1.6, 1.0, 1.1], sharex="col")
    keys = list(series_keys)
    series = sorted({tuple(row) for row in convergence[keys].itertuples(index=False)}) if keys else [()]

    def pick(frame, values):
        mask = np.ones(len(frame), dtype=bool)
        for k, v in zip(keys, values):
            mask &= (frame[k] == v).to_numpy()
        return frame[mask]

    n_max_values = sorted(set(convergence.n_max))
    n_label = f"n = {int(n_max_values[0]):,}" if len(n_max_values) == 1 else "the largest n"
    fit_min = sorted(set(convergence.fit_min_n.dropna().astype(int))) if "fit_min_n" in convergence else []
    xs = convergence[x].to_numpy(dtype=float)
    span = float(np.ptp(np.log10(xs) if log_x else xs)) or 1.0
    kinds: set[str] = set()
    spreads: set[str] = set()
    regimes: set[str] = set()
    for j, q in enumerate(quantities):
        top, mid, bottom = axes[0, j], axes[1, j], axes[2, j]
        if log_x:
            bottom.set_xscale("log")
        conv_q, curve_q = (f[f.quantity == q.name] for f in (convergence, curve))
        regimes |= _shade((top, mid, bottom), conv_q, x, log_x)
        inside = total = 0
        for s, values in enumerate(series):
            ls, marker = _SERIES_STYLES[s % len(_SERIES_STYLES)]
            line = pick(curve_q, values).sort_values(x)
            top.plot(line[x], line.exact, ls=ls, color="black", lw=1.1, zorder=2)
            rows = pick(conv_q, values).sort_values(x)
            # Series side by side at each x in the error and rate panels, so their intervals do not overlap.
            dodge = (s - (len(series) - 1) / 2) * 0.015 * span if len(series) > 1 else 0.0

            def shift(v, dodge=dodge):
                return v * 10.0 ** (dodge / span * 0.3) if log_x else v + dodge

            kinds |= _draw_points(top, mid, rows, x, marker, shift)
            spreads |= _draw_rates(bottom, rows, x, marker, shift)
            covered, with_ci = coverage_count(rows)
            inside, total = inside + covered, total + with_ci
        _limit_y(top, conv_q, curve_q.exact)
        mid.axhline(0.0, color=GREY, lw=0.8, zorder=1)
        bottom.axhline(-0.5, color="black", ls="--", lw=0.8, zorder=1)
        bottom.axhline(0.0, color=GREY, lw=0.8, zorder=1)
        others = len(conv_q) - total
        counted = (f"{inside} of {total} 95% CIs cover the exact value"
                   + (" (+ its declared b/n)" if "declared" in kinds else "") if total else "no point has a CI")
        mid.set_title(counted + (f"\n{others} point{'s' * (others > 1)} without a finite variance: no CI"
                                 if others else ""), fontsize=7, loc="left", pad=3)
        top.set_title(quantity_title(q), fontsize=8)
        top.set_ylabel(f"limit and estimate ({q.unit})")
        # A long unit ("squared units of y") gets a line of its own: two lines would overrun the short panel.
        mid.set_ylabel(f"estimate − exact\nat {n_label}" + ("\n" if len(q.unit) > 6 else " ") + f"({q.unit})")
        fitted = f"n ≥ {fit_min[0]:,}" if len(fit_min) == 1 else "the fitted n"
        bottom.set_ylabel(f"slope of log spread\non log n ({fitted})")
        bottom.set_xlabel(x)
        plain_ticks(bottom, conv_q[x], log_x)
    handles = [matplotlib.lines.Line2D([], [], color="black", lw=1.1, label="exact limit (quadrature)")]
    for kind in ("ci", "iqr", "unsure", "degenerate"):
        if kind in kinds:
            face, words = _KINDS[kind]
            handles.append(matplotlib.lines.Line2D([], [], color="black", marker="*" if kind == "degenerate" else "o",
                                                   mfc=face, ls="none", label=words.format(n=n_label)))
    if "declared" in kinds:
        handles.append(matplotlib.lines.Line2D([], [], color=GREY, marker="_", ms=12, mew=1.6, ls="none",
                                               label=f"declared first-order term b/n at {n_label}: the mean's target"))
    for verdict in (NO_LIMIT, RANDOM_LIMIT):
        if verdict in kinds:
            handles.append(matplotlib.lines.Line2D([], [], color="black", marker=_AXIS_MARK[verdict], mew=1.4,
                                                   ls="none", label=f"{verdict}: no value (mark on the axis)"))
    if keys:
        handles += [matplotlib.lines.Line2D([], [], color="black", ls=ls, marker=marker, mfc="white", lw=1.0,
                                            label=_series_label(keys, values))
                    for values, (ls, marker) in zip(series, itertools.cycle(_SERIES_STYLES))]
    for spread in ("rmse", "iqr", "emp_se"):
        if spread in spreads:
            handles.append(matplotlib.lines.Line2D([], [], color="black", marker="o", mfc=_SLOPES[spread][1],
                                                   ls="none", label=f"slope of log {_SLOPES[spread][2]}, 95% CI"))
    handles += [matplotlib.lines.Line2D([], [], marker="d", mfc="none", mec=GREY, ls="none", label="theory's slope"),
                matplotlib.lines.Line2D([], [], color="black", ls="--", lw=0.8,
                                        label=r"slope $-1/2$ ($n^{-1/2}$ rate); grey: 0 (no shrinking)")]
    for verdict in (NO_LIMIT, RANDOM_LIMIT, SLOWER):
        if verdict in regimes:
            face, hatch, words = _REGIMES[verdict]
            handles.append(matplotlib.patches.Patch(facecolor=face, hatch=hatch, edgecolor="0.7", lw=0,
                                                    label=f"shaded: {words}"))
    fig.legend(handles=handles, loc="outside lower center", ncol=2, fontsize=7, frameon=False)
    fig.suptitle(wrap_title(title, fig), fontsize=9)
    return fig
