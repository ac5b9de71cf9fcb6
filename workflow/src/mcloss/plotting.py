"""Figures of a scenario: convergence, sample paths and the CLT at the largest n.

Black and greys with distinct line styles and markers, so every figure reads
in greyscale; every axis names its quantity and unit (nats, samples) and every
figure the number of replicates R. Saved as vector PDF and 200 dpi PNG, each
carrying the config values, seed and package versions in its metadata.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scipy.stats  # noqa: E402
import seaborn as sns  # noqa: E402

from .engine import Simulation  # noqa: E402
from .estimands import Quantity  # noqa: E402
from .provenance import as_text  # noqa: E402
from .summarise import Z95  # noqa: E402

GREY = "0.55"
LIGHT = "0.85"


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
    fig.savefig(pdf, metadata={"Title": title, "Subject": text, "Creator": "mcloss", "CreationDate": None})
    fig.savefig(png, dpi=200, metadata={"Title": title, "Description": text, "Software": "mcloss"})
    plt.close(fig)
    return [pdf, png]


def _title(q: Quantity) -> str:
    return q.name + "\n" + textwrap.shorten(q.meaning, 48, placeholder="...")


def _finish(fig, axes, title: str) -> None:
    """One legend for all panels, below them, and the scenario as the title."""
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=9)


def _log_n_axis(ax) -> None:
    ax.set_xscale("log")
    ax.set_xlabel("batch size $n$ (samples)")


def convergence_figure(summary: pd.DataFrame, convergence: pd.DataFrame, quantities: Sequence[Quantity],
                       title: str):
    """Log-log RMSE (EmpSE where there is no limit) vs n with a 95% MCSE band and an n^-1/2 line."""
    _style()
    fig, axes = _panels(len(quantities))
    for ax, q in zip(axes, quantities):
        rows = summary[summary.quantity == q.name].sort_values("n")
        rate = convergence[convergence.quantity == q.name].iloc[0]
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
        ax.set_yscale("log")
        _log_n_axis(ax)
        ax.set_ylabel(("RMSE" if has_limit else "empirical SE") + " (nats)")
        ax.set_title(_title(q), fontsize=8)
        ax.text(0.03, 0.04, f"slope {rate.slope:.3f}\n95% CI [{rate.slope_ci_low:.3f}, {rate.slope_ci_high:.3f}]"
                f"\n(fit on n ≥ {rate.fit_min_n:g})", transform=ax.transAxes, fontsize=7, va="bottom")
    _finish(fig, axes, title)
    return fig


def paths_figure(sim: Simulation, summary: pd.DataFrame, quantities: Sequence[Quantity], exact: dict,
                 paths: int, title: str):
    """Running estimates of the first ``paths`` replicates against the exact value and the CLT funnel."""
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
        sigma = float(rows.mod_se.iloc[-1]) * math.sqrt(n[-1])
        centre = target if np.isfinite(target) else float(np.nanmedian(sim.estimate[q.name][:, -1]))
        visible = n >= min(10.0, n[-1])
        if np.isfinite(target):
            ax.axhline(target, color="black", lw=1.2, label="exact limit")
            if np.isfinite(sigma):
                half = Z95 * sigma / np.sqrt(n)
                ax.plot(n, target + half, "--", color="black", lw=0.9, label=r"exact $\pm 1.96\,\sigma/\sqrt{n}$")
                ax.plot(n, target - half, "--", color="black", lw=0.9)
        else:
            ax.text(0.5, 0.95, "no finite limit", transform=ax.transAxes, ha="center", va="top", fontsize=8)
        window = est[:, visible]
        window = window[np.isfinite(window)]
        if window.size:
            lo, hi = np.quantile(window, [0.01, 0.99])
            pad = 0.15 * (hi - lo) if hi > lo else 1.0
            ax.set_ylim(min(lo, centre) - pad, max(hi, centre) + pad)
        _log_n_axis(ax)
        ax.set_ylabel("running estimate (nats)")
        ax.set_title(_title(q), fontsize=8)
    _finish(fig, axes, title)
    return fig


def clt_figure(sim: Simulation, convergence: pd.DataFrame, quantities: Sequence[Quantity], exact: dict, title: str):
    """Standardised errors (estimate - exact) / se at the largest n against the N(0, 1) density."""
    _style()
    fig, axes = _panels(len(quantities))
    grid = np.linspace(-4.5, 4.5, 301)
    for ax, q in zip(axes, quantities):
        target = float(exact[q.name])
        est, se = sim.estimate[q.name][:, -1], sim.se[q.name][:, -1]
        centre = target if np.isfinite(target) else float(np.nanmedian(est))
        with np.errstate(invalid="ignore", divide="ignore"):
            z = (est - centre) / se
        z = z[np.isfinite(z)]
        if z.size:
            clipped = np.clip(z, -4.5, 4.5)
            ax.hist(clipped, bins=np.linspace(-4.5, 4.5, 31), density=True, color=LIGHT, edgecolor="0.3", lw=0.5,
                    label=f"replicates (R = {z.size})")
        ax.plot(grid, scipy.stats.norm.pdf(grid), "-", color="black", lw=1.2, label="N(0, 1) density")
        for x in (-Z95, Z95):
            ax.axvline(x, color=GREY, ls=":", lw=0.9)
        rate = convergence[convergence.quantity == q.name].iloc[0]
        note = (f"coverage {rate.coverage:.3f} ± {rate.coverage_mcse:.3f}" if np.isfinite(target)
                else "no finite limit:\ncentred at the median")
        ax.text(0.03, 0.95, note, transform=ax.transAxes, fontsize=7, va="top")
        ax.set_xlabel(rf"$(\hat\theta_n - \theta)\,/\,\widehat{{se}}_n$ at $n = {int(sim.n[-1]):,}$")
        ax.set_ylabel("density")
        ax.set_title(_title(q), fontsize=8)
    _finish(fig, axes, title)
    return fig


def identity_figure(sim: Simulation, identities, exact: dict, paths: int, title: str):
    """Quantities that must agree on every batch, on the same axes, and their largest deviation.

    Top: running estimates of ``paths`` replicates, left-hand side solid, right-hand side
    as open markers. Bottom: the largest |left - right| over all replicates at each n
    against the tolerance (exact zeros are drawn at the axis floor).
    """
    _style()
    count = len(identities)
    fig, axes = plt.subplots(2, count, figsize=(3.4 * count, 5.4), squeeze=False, layout="constrained",
                             height_ratios=[2, 1], sharex="col")
    n = sim.n.astype(float)
    floor = 1e-17
    for j, ident in enumerate(identities):
        top, bottom = axes[0, j], axes[1, j]
        left, right = sim.estimate[ident.left][:paths], sim.estimate[ident.right][:paths]
        for i, (a, b) in enumerate(zip(left, right)):
            top.plot(n, a, "-", color=GREY, lw=0.7, label=ident.left if i == 0 else None)
            top.plot(n, b, "o", mfc="none", mec="black", ms=2.5, mew=0.5, label=ident.right if i == 0 else None)
        target = float(exact.get(ident.left, float("nan")))
        if np.isfinite(target):
            top.axhline(target, color="black", lw=1.0, label="exact limit")
        top.set_xscale("log")
        top.set_ylabel("running estimate (nats)")
        top.set_title(f"{ident.left} vs {ident.right}\n" + textwrap.shorten(ident.meaning, 52, placeholder="..."),
                      fontsize=8)
        top.legend(fontsize=7, frameon=False, loc="upper right")
        with np.errstate(invalid="ignore"):
            dev = np.nanmax(np.abs(sim.estimate[ident.left] - sim.estimate[ident.right]), axis=0)
        bottom.plot(n, np.maximum(dev, floor), "s-", color="black", ms=2.5, lw=0.8,
                    label=f"max over {sim.replicates.size} replicates")
        bottom.axhline(ident.tolerance, color="black", ls="--", lw=0.9, label=f"tolerance {ident.tolerance:g}")
        bottom.set_yscale("log")
        bottom.set_ylim(floor / 2, max(ident.tolerance * 100, float(np.nanmax(dev)) * 10 if np.isfinite(dev).any() else 1))
        bottom.set_xscale("log")
        bottom.set_xlabel("batch size $n$ (samples)")
        bottom.set_ylabel("|difference| per batch (nats)")
        bottom.legend(fontsize=7, frameon=False, loc="upper right")
    fig.suptitle(title, fontsize=9)
    return fig
