"""Is a sampler's output what it claims to be? Goodness of fit and serial independence.

Pearson's chi-squared test of the draws against the stream's target law (for a
continuous law, on `bins` equiprobable cells of the probability integral
transform u = F(x); for a discrete one, on its classes), and a test of lag-1
autocorrelation: under independence sqrt(N) r_1 is asymptotically N(0, 1)
(Box & Jenkins), so a dependent stream such as a Markov chain is flagged.
"""

from __future__ import annotations

import numpy as np
import scipy.stats

from .streams import Marginal


def lag1(series: np.ndarray) -> tuple[float, float]:
    """Lag-1 autocorrelation r_1 and the two-sided p-value of sqrt(N) r_1 against N(0, 1)."""
    x = np.asarray(series, dtype=np.float64)
    centred = x - x.mean()
    denominator = float(np.sum(centred * centred))
    if denominator == 0.0:
        # A constant series: perfectly dependent (a frozen chain), so flag it.
        return 1.0, 0.0
    r1 = float(np.sum(centred[:-1] * centred[1:]) / denominator)
    return r1, float(2 * scipy.stats.norm.sf(abs(r1) * np.sqrt(x.size)))


def goodness_of_fit(series: np.ndarray, marginal: Marginal, bins: int = 50) -> tuple[float, int, float]:
    """Pearson's chi-squared statistic, its degrees of freedom and p-value."""
    if marginal.cdf is not None:
        u = marginal.cdf(series)
        observed = np.bincount(np.minimum((u * bins).astype(np.int64), bins - 1), minlength=bins)
        expected = np.full(bins, series.size / bins)
    else:
        probs = np.asarray(marginal.probs, dtype=np.float64)
        observed = np.bincount(np.asarray(series, dtype=np.int64), minlength=probs.size)
        expected = series.size * probs
    result = scipy.stats.chisquare(observed, expected)
    return float(result.statistic), int(observed.size - 1), float(result.pvalue)


def check_stream(sampler, rng: np.random.Generator, size: int, bins: int = 50) -> dict:
    """Draw ``size`` samples from ``sampler`` and test them; returns one table row."""
    marginal = sampler.marginal()
    series = np.asarray(marginal.values(sampler.start(rng)(size)))
    statistic, dof, p_gof = goodness_of_fit(series, marginal, bins)
    r1, p_lag1 = lag1(series)
    return {"samples": int(size), "dependent": bool(marginal.dependent), "gof_chi2": statistic, "gof_dof": dof,
            "gof_p": p_gof, "lag1": r1, "lag1_p": p_lag1}
