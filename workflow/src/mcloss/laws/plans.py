"""Sampling plans: how the streams of a scenario draw (config key ``sampling``).

Every plan keeps each sample's law; they differ in how samples depend on one another.

``iid``
    Independent draws, the sampler as the estimand declares it (bit for bit the
    numbers of a scenario without the key).
``antithetic``
    Uniforms in pairs u, 1 - u mapped through the inverse CDF: the stream is
    F^-1(u_1), F^-1(1 - u_1), F^-1(u_2), ...; n counts samples. Markov labels: two copies of the chain
    driven by u_t and 1 - u_t (sequential inversion), interleaved. For a term f,
    n Var(mean) -> Var f + Cov(f(F^-1(U)), f(F^-1(1 - U))): a gain when f o F^-1
    is monotone, none (a loss) when it is even around u = 1/2. The per-replicate
    standard error is formed from the pair means (the samples of a pair are dependent).
``sobol``
    Randomized quasi-Monte Carlo: each stream of each replicate is one scrambled
    Sobol' sequence (scipy.stats.qmc.Sobol, scramble=True, 64 bits, seeded from the
    replicate's generator) in as many dimensions as a sample needs uniforms, mapped
    through the inverse CDF. Independent scrambles are the replicates; the
    per-replicate CLT interval means nothing here, so the per-replicate standard
    error is reported as NaN (coverage not applicable) and the across-replicate
    interval of convergence.csv is the interval to use. Markov labels: refused (a net's
    points are not the steps of a chain).
``control_variate``
    I.i.d. draws and, per stream, a control c(x) with known mean: the sample itself
    minus E X for a continuous law, the label minus p for Bernoulli labels, the class
    index minus its mean for categorical labels, the real/fake label minus pi for a
    random-composition GAN batch. Each term f becomes mean(f) - beta (mean(c) - E c)
    with beta = Cov(f, c) / Var(c) estimated on the same prefix (regression), so
    n Var -> (1 - rho^2) Var f; estimating beta adds an O(1/n) bias.

The plan is applied in `mcloss.estimands.build` by wrapping the estimand
(`planned`): the estimand never knows how its streams draw, and the engine only
sees extra per-sample terms (the controls, the sums f + c, the pair means), whose
running (count, mean, M2) give every needed cross-moment at each checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from mcloss.errors import ConfigError
from mcloss.maths.grid import power_of_two_grid
from mcloss.maths.moments import TermStats

from .inversion import AntitheticSampler, MarkovAntitheticSampler, SobolSampler, inversion
from .plan_exact import quantity_variances, term_factors
from .streams import MarkovSampler, StreamSpec

PLANS = ("iid", "antithetic", "sobol", "control_variate")


def plan_of(spec: Mapping[str, Any], key: str) -> str:
    """The scenario's plan (default iid); ConfigError naming ``<key>.sampling`` otherwise."""
    plan = spec.get("sampling", "iid")
    if plan not in PLANS:
        raise ConfigError(f"{key}.sampling", f"got {plan!r}", ", ".join(PLANS))
    return plan


def _control_name(stream: str) -> str:
    return f"plan.control.{stream}"


def _sum_name(term: str) -> str:
    return f"plan.with_control.{term}"


def _pair_name(term: str) -> str:
    return f"plan.pair_mean.{term}"


class Planned:
    """An estimand whose streams draw by a plan other than iid; everything else is the estimand's.

    The extra terms (`_control_name`, `_sum_name`, `_pair_name`) are folded by the
    engine like any term, and `estimates` turns them back into the estimand's own
    terms' statistics before calling the estimand's `estimates`.
    """

    def __init__(self, estimand, plan: str, key: str):
        self.base, self.plan, self.key = estimand, plan, key
        self.inversions = {s.name: inversion(s.sampler, s.name, key) for s in estimand.streams}
        for s in estimand.streams:
            if plan == "sobol" and isinstance(s.sampler, MarkovSampler):
                raise ConfigError(key, f"stream {s.name!r} is a Markov chain: a scrambled net's points are not "
                                  "the steps of a chain", "iid, antithetic or control_variate for Markov labels")
        if plan == "control_variate":
            for s in estimand.streams:
                probe = self.inversions[s.name].control(self.inversions[s.name].probe())
                if not np.all(np.isfinite(probe)):
                    raise ConfigError(key, f"the law of stream {s.name!r} has no finite mean to centre a control",
                                      "a law with a finite mean, or iid, antithetic, sobol")

    def __getattr__(self, name):
        return getattr(self.base, name)

    @property
    def streams(self):
        wrap = {"antithetic": AntitheticSampler, "sobol": SobolSampler}.get(self.plan)
        if wrap is None:
            return self.base.streams
        return tuple(StreamSpec(s.name, MarkovAntitheticSampler(s.sampler) if isinstance(s.sampler, MarkovSampler)
                                else wrap(self.inversions[s.name], s.sampler)) for s in self.base.streams)

    def terms(self, stream, sample):
        values = self.base.terms(stream, sample)
        if self.plan == "control_variate":
            c = self.inversions[stream].control(sample)
            extra = {_control_name(stream): c}
            extra.update({_sum_name(t): f + c for t, f in values.items()})
            return {**values, **extra}
        if self.plan == "antithetic":
            pairs = {}
            for t, f in values.items():
                f = np.asarray(f, dtype=np.float64)
                even = f.size - f.size % 2
                mean = f.copy()
                pair = 0.5 * (f[0:even:2] + f[1:even:2])
                mean[0:even:2] = pair
                mean[1:even:2] = pair
                pairs[_pair_name(t)] = mean
            return {**values, **pairs}
        return values

    def _term_stream(self) -> dict[str, str]:
        """Which stream each of the estimand's own terms comes from (by a probe of one sample pair)."""
        if not hasattr(self, "_cached_term_stream"):
            found = {}
            for s in self.base.streams:
                found.update({t: s.name for t in self.base.terms(s.name, self.inversions[s.name].probe())})
            self._cached_term_stream = found
        return self._cached_term_stream

    def own_stats(self, stats: Mapping[str, TermStats]) -> dict[str, TermStats]:
        """The statistics of the estimand's own terms under the plan (see the module docstring)."""
        if self.plan == "control_variate":
            out = {}
            for term, stream in self._term_stream().items():
                f, c, s = stats[term], stats[_control_name(stream)], stats[_sum_name(term)]
                with np.errstate(invalid="ignore", divide="ignore"):
                    # Cov(f, c) from M2 of f + c: all three M2s are centred two-pass sums, no cancellation
                    # of raw moments; c is centred by its known mean so its scale matches f's.
                    cov = 0.5 * (s.m2 - f.m2 - c.m2)
                    beta = np.where(c.m2 > 0, cov / np.where(c.m2 > 0, c.m2, 1.0), 0.0)
                    mean = f.mean - beta * c.mean
                    m2 = np.maximum(f.m2 - beta * cov, 0.0)
                out[term] = TermStats(count=f.count, mean=mean, m2=m2)
            return out
        if self.plan == "antithetic":
            out = {}
            for term in self._term_stream():
                f, p = stats[term], stats[_pair_name(term)]
                with np.errstate(invalid="ignore", divide="ignore"):
                    # The pair means appear twice each: Var(mean f) = (pair variance) / (n / 2), written back
                    # as the m2 of n samples whose var / count gives it.
                    pairs = f.count / 2.0
                    m2 = np.where(pairs > 1, p.m2 * (f.count - 1) / np.maximum(pairs - 1, 1e-300), np.nan)
                out[term] = TermStats(count=f.count, mean=f.mean, m2=m2)
            return out
        return dict(stats)

    def estimates(self, n, stats):
        found = self.base.estimates(n, self.own_stats(stats))
        if self.plan == "sobol":
            # Not applicable: no per-replicate CLT interval for randomized QMC.
            return {q: (est, np.full(np.shape(est), np.nan)) for q, (est, _) in found.items()}
        return found

    def asymptotic_variance(self) -> dict[str, float]:
        """lim n Var of each quantity under the plan (mcloss.laws.plan_exact: quadrature + delta method).

        sobol: NaN for every quantity (n Var -> 0, Var = o(1/n): there is no n^-1/2 law to state).
        """
        if self.plan == "sobol":
            return {q.name: float("nan") for q in self.base.quantities}
        own = self.base.asymptotic_variance()
        found = quantity_variances(self.base, (self.plan,))
        # Where the estimand knows there is no n^-1/2 law (NaN: no limit), the plan does not create one.
        return {q: (float("nan") if q in own and not np.isfinite(own[q]) else v[self.plan])
                for q, v in found.items()}

    def describe(self) -> str:
        return f"{self.base.describe()}, sampling {self.plan}"


def planned(estimand, spec: Mapping[str, Any], key: str):
    """``estimand`` drawn by the plan of ``spec`` (the estimand itself for iid)."""
    plan = plan_of(spec, key)
    if plan == "iid":
        return estimand
    return Planned(estimand, plan, f"{key}.sampling")


def plan(estimand) -> str:
    """The plan an estimand built by `mcloss.estimands.build` draws by."""
    return getattr(estimand, "plan", "iid") if isinstance(estimand, Planned) else "iid"


def check_plans(estimands: Mapping[str, Any], chunk_size: int, batch_sizes: Callable[[str], Mapping[str, int]]) -> None:
    """What a plan needs of the rest of the config; ConfigError (one line, naming the key) otherwise.

    antithetic: an even ``chunk_size`` (a chunk then never splits a pair, so the pair means
    are formed within chunks). sobol: a power of two between the scenario's batch_sizes.min and max.
    """
    for name, estimand in estimands.items():
        chosen = plan(estimand)
        if chosen == "antithetic" and chunk_size % 2:
            raise ConfigError("chunk_size", f"{chunk_size} is odd, but scenario {name} draws antithetic pairs",
                              "an even number of samples per chunk")
        if chosen == "sobol":
            sizes = batch_sizes(name)
            try:
                power_of_two_grid(sizes["min"], sizes["max"], estimand.batch_unit)
            except ValueError as err:
                raise ConfigError("batch_sizes", f"scenario {name} (sampling: sobol): {err}",
                                  "min <= 2^k <= max for some power of two 2^k that is a multiple of the "
                                  "batch unit") from None


def plan_exact(estimand) -> dict[str, object]:
    """What the exact json records about a scenario's plan (nothing for iid)."""
    if not isinstance(estimand, Planned):
        return {}
    if estimand.plan == "sobol":
        # Randomized QMC: n Var -> 0 (Owen 1997), no n^-1/2 line; the rate is measured instead.
        return {"plan": "sobol", "plan_variances": {}, "term_factors": {}}
    variances = quantity_variances(estimand.base, ("iid", estimand.plan))
    return {
        "plan": estimand.plan,
        "plan_variances": {q: v[estimand.plan] for q, v in variances.items()},
        "iid_variances": {q: v["iid"] for q, v in variances.items()},
        "factors": {q: (v[estimand.plan] / v["iid"] if v["iid"] > 0 else None) for q, v in variances.items()},
        "term_factors": term_factors(estimand.base),
    }
