"""The figure of a model trained on the batch: its losses, their first-order terms and its intervals' coverage.

Three panels against the batch size n (log axis), from the fits (mcloss.simulate.fitting) and their
theory (mcloss.estimands.fitted): (a) the mean training loss and test risk with 95% bands of the
mean, converging to R* from below and above, with the first-order curves R* -+ tr(J^-1 K) / (2n);
(b) n x (mean - limit) of the excess risk, the train gap and the optimism, each against its
first-order constant (tr/2, tr/2, tr); (c) the coverage of the 95% Wald interval of one coefficient
(the one whose model-based and true variances differ most) with the model-based and the sandwich
standard error, with Wilson bands, against the exact asymptotic coverage of each and 0.95. Batches
with no finite minimiser are counted in the panels' notes. May import `style`, `mcloss.evidence` and
`mcloss.simulate`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from mcloss.evidence.fitted import Z as Z95
from mcloss.evidence.fitted import coverage_rows

from .style import GREY, LIGHT, TEXT_BOX, apply_style, finish, log_n_axis, panels


def _mean_band(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean over replicates (finite values only) and its 95% band (mean -+ 1.96 MCSE)."""
    k = np.isfinite(values).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(values, axis=0) / np.maximum(k, 1)
        mcse = np.sqrt(np.nansum((values - mean) ** 2, axis=0) / np.maximum(k - 1, 1) / np.maximum(k, 1))
    mean = np.where(k > 0, mean, np.nan)
    return mean, mean - Z95 * mcse, mean + Z95 * mcse


def most_miscovered(theory: Mapping) -> int:
    """The coefficient of the mean or logit whose model-based coverage is furthest from 0.95 (the sandwich's
    point); the fitted log sigma of a Gaussian model is left to the table."""
    gaps = [abs(c - 0.95) if name != "log_sigma" else -1.0
            for name, c in zip(theory["names"], theory["coverage_asymptotic"]["model"])]
    return int(np.argmax(gaps))


def fitted_figure(sim, theory: Mapping, title: str, no_minimiser_note: str = ""):
    """The three panels; ``theory`` is the scenario's `fit` record of results/exact/<scenario>.json."""
    apply_style()
    fig, (losses, first, coverage) = panels(3, height=3.0, width=3.3)
    n = sim.n.astype(float)
    risk, trace = theory["risk_star"], theory["trace"]
    replicates = sim.replicates.size

    # (a) training loss from below, test risk from above, the first-order curves.
    fine = np.geomspace(n[0], n[-1], 200)
    losses.axhline(risk, color="black", lw=0.8, label="exact limit $R^*$")
    losses.plot(fine, risk + trace / (2 * fine), color="black", ls=":", lw=1.0,
                label=r"first order $R^*\pm\mathrm{tr}(J^{-1}K)/2n$")
    losses.plot(fine, risk - trace / (2 * fine), color="black", ls=":", lw=1.0)
    for name, marker, label in (("test_risk", "o", r"test risk $R(\hat\theta_n)$"),
                                ("train_loss", "s", r"training loss $L_n(\hat\theta_n)$")):
        mean, low, high = _mean_band(sim.estimate[name])
        losses.fill_between(n, low, high, color=LIGHT, lw=0)
        losses.plot(n, mean, marker=marker, ms=3, lw=0.9, color="0.25" if name == "test_risk" else GREY,
                    mfc="white" if name == "train_loss" else None, label=label + " (mean, 95% band)")
    log_n_axis(losses)
    spread = max(abs(trace) / n[min(2, n.size - 1)], 1e-6)
    losses.set_ylim(risk - 1.6 * spread, risk + 1.6 * spread)
    losses.set_ylabel("loss (nats)")
    losses.set_title(f"losses of the fitted model (R = {replicates})", fontsize=9)

    # (b) n x (mean - limit) against the first-order constants.
    # Excess risk and train gap share a limit and nearly their values: drawn a little apart in n.
    for name, marker, dodge in (("excess_risk", "o", 1 / 1.05), ("train_gap", "^", 1.05), ("optimism", "s", 1.0)):
        mean, low, high = _mean_band(sim.estimate[name] * n)
        first.errorbar(n * dodge, mean, yerr=[mean - low, high - mean], fmt=marker, ms=3, lw=0.8, capsize=1.5,
                       color="black" if name != "optimism" else GREY, mfc="white" if name == "train_gap" else None,
                       label=f"n x {name.replace('_', ' ')} (mean, 95% CI)")
    first.axhline(trace / 2, color="black", ls="--", lw=0.8, label=r"$\mathrm{tr}(J^{-1}K)/2$ = " + f"{trace / 2:.4g}")
    first.axhline(trace, color=GREY, ls="-.", lw=0.8, label=r"$\mathrm{tr}(J^{-1}K)$ = " + f"{trace:.4g}")
    log_n_axis(first)
    top = max(3.0 * trace, 1.0)
    first.set_ylim(-0.5 * top, top)
    first.set_ylabel("n x (mean - limit)  (nats)")
    well = " (well specified: tr = p)" if theory["well_specified"] and theory.get("dependence", 1.0) == 1.0 else ""
    first.set_title(f"first-order terms, p = {theory['parameters']}{well}", fontsize=9)

    # (c) coverage of the Wald interval of one coefficient, model-based vs sandwich.
    j = most_miscovered(theory)
    name = theory["names"][j]
    table = coverage_rows("", sim, theory)
    for kind, marker, colour in (("model", "o", "black"), ("sandwich", "s", GREY)):
        rows = table[(table.parameter == name) & (table.se_kind == kind)]
        coverage.fill_between(rows.n, rows.coverage_low, rows.coverage_high, color=LIGHT, lw=0, alpha=0.8)
        coverage.plot(rows.n, rows.coverage, marker=marker, ms=3, lw=0.9, color=colour,
                      mfc="white" if kind == "sandwich" else None, label=f"{kind} s.e. (Wilson 95% band)")
        coverage.axhline(theory["coverage_asymptotic"][kind][j], color=colour, ls="--", lw=0.8,
                         label=f"{kind}: exact limit {theory['coverage_asymptotic'][kind][j]:.3f}")
    coverage.axhline(0.95, color="black", lw=0.6, ls=":", label="nominal 0.95")
    log_n_axis(coverage)
    coverage.set_ylim(max(0.0, min(0.5, float(np.nanmin(table.coverage_low)) - 0.05)), 1.0)
    coverage.set_ylabel("coverage (share of R)")
    coverage.set_title(f"Wald intervals for {name}", fontsize=9)
    if no_minimiser_note:
        losses.text(0.02, 0.02, no_minimiser_note, transform=losses.transAxes, fontsize=7, va="bottom",
                    bbox=TEXT_BOX)
    finish(fig, [losses, first, coverage], title)
    return fig


def no_minimiser_note(sim) -> str:
    """Where batches had no finite minimiser (separation): "no finite minimiser: k of R at n = ..."."""
    missing = sum((~np.isfinite(sim.estimate[name])) for name in sim.estimate if name.startswith("train_loss"))
    counts = np.asarray(missing).sum(axis=0) if np.ndim(missing) else np.zeros(sim.n.size)
    parts = [f"{int(c)} at n = {int(n)}" for c, n in zip(counts, sim.n) if c]
    if not parts:
        return ""
    return "no finite minimiser (left out): " + ", ".join(parts[:4]) + (" ..." if len(parts) > 4 else "") + \
        f" of R = {sim.replicates.size}"


def first_order_table(sim, theory: Mapping) -> pd.DataFrame:
    """For tests and notes: n x mean excess risk and train gap at each n (what panel (b) draws)."""
    out = {"n": sim.n}
    for name in ("excess_risk", "train_gap", "optimism"):
        out[name] = _mean_band(sim.estimate[name] * sim.n.astype(float))[0]
    return pd.DataFrame(out)


def first_order_sweep_figure(rows: pd.DataFrame, points: list[dict], x: str, traces: Mapping[str, float],
                             parameters: Mapping[str, int], title: str):
    """A sweep of a fitted scenario: n x (mean excess risk, train gap) at each point's largest n, with 95% CIs,
    against tr(J^-1 K)/2 (the exact first-order term) over the swept value; the number of parameters p on top.

    ``rows`` is results/tables/fitted_first_order.csv; ``points`` the sweep's points (scenario, values).
    """
    apply_style()
    fig, (ax,) = panels(1, height=3.2, width=4.6)
    xs, halves, found = [], [], {"excess_risk": [], "train_gap": []}
    for point in sorted(points, key=lambda p: float(p["values"][x])):
        name = point["scenario"]
        own = rows[rows.scenario == name]
        top = own[own.n == own.n.max()]
        xs.append(float(point["values"][x]))
        halves.append(traces[name] / 2)
        for q in found:
            row = top[top.quantity == q]
            found[q].append((float(row.n_times_error.iloc[0]), float(row.n_times_error_mcse.iloc[0]))
                            if len(row) else (np.nan, np.nan))
    xs = np.asarray(xs)
    ax.plot(xs, halves, color="black", lw=1.0, marker="_", ms=14, label=r"exact $\mathrm{tr}(J^{-1}K)/2$")
    for (q, values), marker, dodge in zip(found.items(), ("o", "^"), (-0.06, 0.06)):
        mean, mcse = np.array(values).T
        ax.errorbar(xs + dodge, mean, yerr=Z95 * mcse, fmt=marker, ms=4, capsize=2, lw=0.8,
                    color="black" if q == "excess_risk" else GREY, mfc="white" if q == "train_gap" else None,
                    label=f"n x mean {q.replace('_', ' ')} at the largest n (95% CI)")
    ax.set_xlabel(x)
    ax.set_ylabel("n x (mean - limit)  (nats)")
    top_axis = ax.secondary_xaxis("top")
    top_axis.set_xticks(xs, [str(parameters[p["scenario"]]) for p in sorted(points, key=lambda p: float(
        p["values"][x]))])
    top_axis.set_xlabel("parameters p")
    ax.set_xticks(xs)
    finish(fig, [ax], title)
    return fig
