"""Figures of a scenario: convergence, sample paths and the CLT at the largest n.

Black and greys with distinct line styles and markers, so every figure reads
in greyscale; every axis names its quantity and unit (Quantity.unit, samples) and every
figure the number of replicates R. Saved as vector PDF and 120 dpi greyscale PNG, each
carrying the config values, seed and package versions in its metadata.
"""

from __future__ import annotations

import itertools
import math
import textwrap
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.lines  # noqa: E402
import matplotlib.patches  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scipy.stats  # noqa: E402
import seaborn as sns  # noqa: E402

from mcloss.estimands import Quantity  # noqa: E402
from mcloss.evidence.coverage import describe_coverage  # noqa: E402
from mcloss.evidence.summarise import Z95  # noqa: E402
from mcloss.outputs.provenance import as_text  # noqa: E402
from mcloss.simulate.engine import Simulation  # noqa: E402

GREY = "0.55"
LIGHT = "0.85"
#: Behind text drawn over data, so that lines and bands cannot make it unreadable.
_TEXT_BOX = {"boxstyle": "square,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85}


def _style() -> None:
    sns.set_theme(context="paper", style="ticks", font_scale=1.0,
                  rc={"axes.grid": True, "grid.color": "0.92", "pdf.fonttype": 42, "savefig.bbox": "tight"})


def _panels(count: int, height: float = 2.8, width: float = 2.9):
    columns = count if count <= 4 else 3
    rows = math.ceil(count / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(width * columns, height * rows + 0.6), squeeze=False,
                             layout="constrained")
    for ax in axes.flat[count:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:count])


def save(fig, stem, title: str, provenance: dict) -> list[Path]:
    """Write ``stem``.pdf and ``stem``.png with provenance metadata; close the figure."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    text = as_text(provenance)
    pdf, png = stem.with_suffix(".pdf"), stem.with_suffix(".png")
    # Lay the figure out and measure its tight box once, for both files: given a layout engine or
    # bbox_inches="tight", savefig draws the whole figure once more before drawing it for real, and the
    # PDF and the PNG would each pay that (a fifth of a figure job's saving time; docs/performance.md).
    fig.draw_without_rendering()
    bbox = fig.get_tightbbox().padded(matplotlib.rcParams["savefig.pad_inches"])
    # None, not "none" (a placeholder engine would still trigger that draw); with these rcParams off,
    # whatever a matplotlibrc says, None removes the engine instead of installing a fresh one.
    with matplotlib.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
        fig.set_layout_engine(None)
    assert fig.get_layout_engine() is None
    fig.savefig(pdf, bbox_inches=bbox,
                metadata={"Title": title, "Subject": text, "Creator": "mcloss", "CreationDate": None})
    _save_png(fig, png, {"Title": title, "Description": text, "Software": "mcloss"}, bbox)
    plt.close(fig)
    return [pdf, png]


#: Resolution of the PNGs (the PDFs are vector): sharp on screen, light in the HTML report.
PNG_DPI = 110


def _save_png(fig, path: Path, metadata: dict, bbox) -> None:
    """8-bit greyscale PNG of ``fig`` with text metadata, cut to ``bbox`` (inches, the PDF's box).

    The figures are black and greys by design (legible in greyscale), so one channel
    loses nothing and makes the file (and the report that embeds it) 2-3 times smaller
    than matplotlib's RGBA.
    """
    import io

    from PIL import Image, PngImagePlugin

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=PNG_DPI, bbox_inches=bbox)
    image = Image.open(buffer)
    flat = Image.new("RGBA", image.size, "white")
    flat.alpha_composite(image.convert("RGBA"))
    info = PngImagePlugin.PngInfo()
    for key, value in metadata.items():
        info.add_text(key, value)
    flat.convert("L").save(path, optimize=True, pnginfo=info)


#: Characters of 8 pt text per inch of panel width (panel titles wrap to it, never cut).
_CHARS_PER_INCH = 16


def _title(q: Quantity, width: int = 44) -> str:
    """The quantity's name and its meaning, wrapped (not cut) to ``width`` characters per line."""
    return q.name + "\n" + textwrap.fill(q.meaning, width, break_on_hyphens=False)


def wrap_title(title: str, fig) -> str:
    """``title`` wrapped to the figure's width (about 15 characters of 9 pt text per inch), each line kept."""
    width = int(15 * fig.get_figwidth())
    return "\n".join(textwrap.fill(line, width) for line in title.splitlines())


def _finish(fig, axes, title: str) -> None:
    """One legend for all panels, below them, and the scenario as the (wrapped) title."""
    # Every panel's entries, once each (a panel may add one, e.g. an overflow bin).
    entries: dict[str, object] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            entries.setdefault(label, handle)
    handles, labels = list(entries.values()), list(entries)
    if labels:
        fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 4), fontsize=8,
                   frameon=False)
    fig.suptitle(wrap_title(title, fig), fontsize=9)


def _log_n_axis(ax) -> None:
    ax.set_xscale("log")
    ax.set_xlabel("batch size $n$ (samples)")


def convergence_figure(summary: pd.DataFrame, convergence: pd.DataFrame, quantities: Sequence[Quantity],
                       title: str, sim: Simulation | None = None):
    """Log-log RMSE (EmpSE where there is no limit) vs n with a 95% MCSE band and an n^-1/2 line.

    Where the verdict rests on the IQR across replicates (no finite variance: RMSE and its MCSE
    do not exist), that IQR is drawn from ``sim`` instead, with theory's slope as the reference.
    """
    _style()
    fig, axes = _panels(len(quantities))
    for ax, q in zip(axes, quantities):
        rows = summary[summary.quantity == q.name].sort_values("n")
        rate = convergence[convergence.quantity == q.name].iloc[0]
        if sim is not None and rate.get("verdict_slope_of") == "iqr":
            _iqr_panel(ax, sim, q, rate)
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
            ax.set_yscale("log")
        else:
            # e.g. H(p_hat) of a frozen chain: every replicate gives exactly 0.
            ax.text(0.5, 0.5, "zero spread across replicates\nat every n", transform=ax.transAxes,
                    ha="center", va="center", fontsize=8)
        _log_n_axis(ax)
        ax.set_ylabel(("RMSE" if has_limit else "empirical SE") + f" ({q.unit})")
        ax.set_title(_title(q), fontsize=8)
        ax.text(0.03, 0.04, f"slope {rate.slope:.3f}\n95% CI [{rate.slope_ci_low:.3f}, {rate.slope_ci_high:.3f}]"
                f"\n(fit on n ≥ {rate.fit_min_n:g})", transform=ax.transAxes, fontsize=7, va="bottom",
                bbox=_TEXT_BOX)
    _finish(fig, axes, title)
    return fig


def _iqr_panel(ax, sim: Simulation, q: Quantity, rate: pd.Series) -> None:
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
        ax.set_yscale("log")
    _log_n_axis(ax)
    ax.set_ylabel(f"IQR of the estimate ({q.unit})")
    ax.set_title(_title(q), fontsize=8)
    ax.text(0.03, 0.04, f"IQR slope {rate.iqr_slope:.3f}\n95% CI [{rate.iqr_slope_ci_low:.3f}, "
            f"{rate.iqr_slope_ci_high:.3f}]\n{rate.verdict}", transform=ax.transAxes, fontsize=7, va="bottom")


def paths_figure(sim: Simulation, summary: pd.DataFrame, quantities: Sequence[Quantity], exact: dict,
                 paths: int, title: str, variances: dict | None = None, no_variance: Sequence[str] = ()):
    """Running estimates of the first ``paths`` replicates against the exact value and the CLT funnel.

    The funnel uses the exact asymptotic variance sigma^2 = lim n Var where the estimand
    knows it (``variances``; right also for dependent data), else the mean squared SE at
    the largest n. Quantities in ``no_variance`` (E term^2 infinite, or no deterministic limit) have no funnel: the
    interquartile band of all replicates at each n is drawn instead.
    """
    _style()
    fig, axes = _panels(len(quantities))
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
                    bbox=_TEXT_BOX)
        window = est[:, visible]
        window = window[np.isfinite(window)]
        if window.size:
            lo, hi = np.quantile(window, [0.01, 0.99])
            pad = 0.15 * (hi - lo) if hi > lo else 1.0
            ax.set_ylim(min(lo, centre) - pad, max(hi, centre) + pad)
        _log_n_axis(ax)
        ax.set_ylabel(f"running estimate ({q.unit})")
        ax.set_title(_title(q), fontsize=8)
    _finish(fig, axes, title)
    return fig


#: The CLT histogram's range in standard errors; values beyond it are counted in two marked overflow bins.
CLT_RANGE = 4.5


def overflow_counts(z: np.ndarray, limit: float = CLT_RANGE) -> tuple[int, int]:
    """How many finite ``z`` lie below -limit and above +limit (drawn as overflow bins, not clipped into the edges)."""
    z = np.asarray(z, dtype=float)
    z = z[np.isfinite(z)]
    return int((z < -limit).sum()), int((z > limit).sum())


def clt_figure(sim: Simulation, convergence: pd.DataFrame, quantities: Sequence[Quantity], exact: dict, title: str,
               no_variance: Sequence[str] = ()):
    """Standardised errors (estimate - exact) / se at the largest n against the N(0, 1) density.

    Bars inside +-CLT_RANGE are densities over all R finite values; values beyond are
    not clipped into the edge bins but counted in two hatched overflow bins outside
    the range, labelled with their counts (bar area = their share, like the others).
    Quantities in ``no_variance`` have no CLT to compare with: their panel says so instead.
    """
    _style()
    fig, axes = _panels(len(quantities))
    grid = np.linspace(-CLT_RANGE, CLT_RANGE, 301)
    edges = np.linspace(-CLT_RANGE, CLT_RANGE, 31)
    width = edges[1] - edges[0]
    gap, flow = 0.3, 0.9
    for ax, q in zip(axes, quantities):
        if q.name in no_variance:
            ax.text(0.5, 0.5, "no finite variance or no limit:\nno CLT standardisation\n(see the paths figure)",
                    transform=ax.transAxes, ha="center", va="center", fontsize=8)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_xlabel(rf"$(\hat\theta_n - \theta)\,/\,\widehat{{se}}_n$ at $n = {int(sim.n[-1]):,}$")
            ax.set_ylabel("density")
            ax.set_title(_title(q), fontsize=8)
            continue
        target = float(exact[q.name])
        est, se = sim.estimate[q.name][:, -1], sim.se[q.name][:, -1]
        centre = target if np.isfinite(target) else float(np.nanmedian(est))
        with np.errstate(invalid="ignore", divide="ignore"):
            z = (est - centre) / se
        z = z[np.isfinite(z)]
        top = float(scipy.stats.norm.pdf(0.0))
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
        ax.plot(grid, scipy.stats.norm.pdf(grid), "-", color="black", lw=1.2, label="N(0, 1) density")
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
        ax.set_title(_title(q) + "\n" + note, fontsize=8)
    _finish(fig, axes, title)
    return fig


def identity_figure(sim: Simulation, identities, exact: dict, paths: int, title: str,
                    quantities: Sequence[Quantity] = ()):
    """Quantities that must agree on every batch, on the same axes, and their largest deviation.

    Top: running estimates of ``paths`` replicates, left-hand side solid, right-hand side
    as open markers. Bottom: the largest |left - right| / max(1, |left|) over all replicates
    at each n against the tolerance (exact zeros are drawn at the axis floor).
    """
    _style()
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
        bottom.set_yscale("log")
        top_dev = float(np.nanmax(dev)) * 10 if np.isfinite(dev).any() else 1
        bottom.set_ylim(floor / 2, max(ident.tolerance * 100, top_dev))
        bottom.set_xscale("log")
        bottom.set_xlabel("batch size $n$ (samples)")
        # A ratio of two quantities in the same unit: dimensionless, so no unit on this axis.
        bottom.set_ylabel(f"|difference| / max(1, |{ident.left}|)\nper batch")
        bottom.legend(fontsize=7, frameon=True, framealpha=0.9, edgecolor="none", loc="center right")
    fig.suptitle(wrap_title(title, fig), fontsize=9)
    return fig


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
    _style()
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
        top.set_title(_title(q), fontsize=8)
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
