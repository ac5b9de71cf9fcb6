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

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.stats.qmc

from .errors import ConfigError
from .estimands.base import TermStats
from .streams import (
    BernoulliSampler,
    CategoricalSampler,
    Draw,
    IIDSampler,
    Marginal,
    MarkovSampler,
    MixtureSampler,
    StreamSpec,
)

PLANS = ("iid", "antithetic", "sobol", "control_variate")
#: Smallest uniform handed to an inverse CDF: u = 0 (probability 2^-53 per draw from
#: Generator.random, 2^-64 from a 64-bit net) would map to -inf for an unbounded law.
_U_MIN = 2.0**-64
_U_MAX = 1.0 - 2.0**-53


@dataclass(frozen=True)
class Inversion:
    """A sampler as a map from uniforms: ``sample(u, upper)`` for u of shape (k, dims).

    ``upper`` (a boolean array of k, or None) marks rows to be drawn as F^-1(1 - u)
    (computed from the upper tail, e.g. ``isf(u)``, which keeps the tail accurate).
    ``control(sample)`` is the stream's control with its known mean subtracted.
    ``breaks`` are the u at which the 1-d map jumps (discrete laws), for quadrature.
    """

    dims: int
    sample: Callable[[np.ndarray, Any], Any]
    control: Callable[[Any], np.ndarray]
    breaks: tuple[float, ...] = ()

    def probe(self):
        """Two valid samples (the median draw twice), to learn a stream's term names."""
        return self.sample(np.full((2, max(self.dims, 1)), 0.5), None)


def _continuous(dist) -> Callable[[np.ndarray, Any], np.ndarray]:
    def sample(u, upper):
        u = np.clip(u[:, 0], _U_MIN, _U_MAX)
        if upper is None or upper is False:
            return dist.ppf(u)
        if upper is True:
            return dist.isf(u)
        x = np.empty(u.shape[0])
        x[~upper] = dist.ppf(u[~upper])
        x[upper] = dist.isf(u[upper])
        return x

    return sample


def _flip(u: np.ndarray, upper) -> np.ndarray:
    """u, or 1 - u where ``upper`` (None/False: nowhere, True: everywhere, or a boolean array)."""
    if upper is None or upper is False:
        return u
    return 1.0 - u if upper is True else np.where(upper, 1.0 - u, u)


def _interleave(first, second):
    """first[0], second[0], first[1], ... (samples that are tuples of arrays are interleaved componentwise)."""
    if isinstance(first, tuple):
        return tuple(_interleave(a, b) for a, b in zip(first, second))
    out = np.empty(2 * len(first), dtype=np.result_type(first, second))
    out[0::2], out[1::2] = first, second
    return out


def _take(sample, start: int, stop: int):
    return tuple(x[start:stop] for x in sample) if isinstance(sample, tuple) else sample[start:stop]


def _concat(a, b):
    return tuple(np.concatenate([x, y]) for x, y in zip(a, b)) if isinstance(a, tuple) else np.concatenate([a, b])


def inversion(sampler, stream: str, key: str) -> Inversion:
    """The inverse-CDF form of one of the package's samplers; ConfigError if it has none."""
    if isinstance(sampler, IIDSampler):
        dist = sampler.dist
        mean = float(dist.mean())
        if not np.isfinite(mean):
            # No control with a known mean; antithetic and sobol still work.
            return Inversion(1, _continuous(dist), lambda x: np.full(np.shape(x), np.nan))
        return Inversion(1, _continuous(dist), lambda x: x - mean)
    if isinstance(sampler, BernoulliSampler):
        p = float(sampler.p)
        return Inversion(1, lambda u, upper: (_flip(u[:, 0], upper) < p).astype(np.float64),
                         lambda y: y - p, (p,))
    if isinstance(sampler, CategoricalSampler):
        probs = np.asarray(sampler.probs, dtype=np.float64)
        cdf = np.cumsum(probs)[:-1]
        mean = float(np.dot(np.arange(probs.size), probs))
        return Inversion(1, lambda u, upper: np.searchsorted(cdf, _flip(u[:, 0], upper), side="right"),
                         lambda y: y - mean, tuple(float(c) for c in cdf))
    if isinstance(sampler, MixtureSampler):
        p, first, second = float(sampler.p), sampler.first, sampler.second

        def sample(u, upper):
            label = (_flip(u[:, 0], upper) < p).astype(np.float64)
            v = np.clip(u[:, 1], _U_MIN, _U_MAX)
            flip = np.broadcast_to(np.asarray(bool(upper) if upper is None or isinstance(upper, bool) else upper),
                                   v.shape)
            value = np.empty(v.shape)
            for law, which in ((first, label == 1.0), (second, label == 0.0)):
                lo, hi = which & ~flip, which & flip
                value[lo] = law.ppf(v[lo])
                value[hi] = law.isf(v[hi])
            return label, value

        return Inversion(2, sample, lambda s: s[0] - p)
    if isinstance(sampler, MarkovSampler):
        # Not a map of one uniform per sample (dims 0): drawn by sequential inversion (MarkovAntitheticSampler);
        # no 1-d quadrature of its factors. Its control is the label minus the stationary P(1).
        p = sampler.stationary_p
        return Inversion(0, lambda u, upper: np.array([0.0, 1.0])[: len(u)], lambda y: y - p)
    raise ConfigError(key, f"stream {stream!r} has a sampler with no inverse CDF ({type(sampler).__name__})",
                      "iid")


@dataclass(frozen=True)
class AntitheticSampler:
    """Pairs F^-1(u), F^-1(1 - u) from the stream's inverse CDF; chunking does not change the numbers."""

    inv: Inversion
    base: Any

    def start(self, rng: np.random.Generator) -> Draw:
        # The partner F^-1(1 - u) of a pair split by a chunk boundary waits in "partner".
        state = {"partner": None}
        dims = self.inv.dims

        def draw(k: int):
            head = state["partner"]
            carried = 0 if head is None else 1
            fresh = (k - carried + 1) // 2   # pairs begun in this chunk
            # Generator.random(a) then random(b) equals random(a + b): the uniforms depend on the position only.
            u = rng.random((fresh, dims))
            pairs = _interleave(self.inv.sample(u, False), self.inv.sample(u, True))
            out = pairs if head is None else _concat(head, pairs)
            state["partner"] = _take(out, k, k + 1) if (k - carried) % 2 else None
            return _take(out, 0, k)

        return draw

    def marginal(self) -> Marginal:
        m = self.base.marginal()
        return Marginal(values=m.values, cdf=m.cdf, probs=m.probs, dependent=True)


def _chain(u: np.ndarray, previous: float | None, stay1: float, stay0: float, p: float) -> np.ndarray:
    """A two-state chain driven by the uniforms u: x_t = 1{u_t < P(1 | x_{t-1})} (sequential inversion).

    Vectorised: step t maps x_{t-1} to b_t = 1{u_t < 1 - stay0} (from 0) or c_t = 1{u_t < stay1} (from 1).
    Where b_t = c_t the step forgets the past (a reset to b_t); b_t = 0, c_t = 1 keeps the state, b_t = 1,
    c_t = 0 flips it. So x_t is the value of the last reset, flipped once per flip since. With no previous
    state the first step is a reset to 1{u_0 < p} (the stationary law).
    """
    b, c = u < 1.0 - stay0, u < stay1
    reset, flip = b == c, b & ~c
    if previous is None:
        reset[0], b[0] = True, u[0] < p
    index = np.arange(u.size)
    last = np.maximum.accumulate(np.where(reset, index, -1))
    flips = np.cumsum(flip)
    seen = last >= 0
    start = np.where(seen, b[np.maximum(last, 0)], bool(previous))
    since = np.where(seen, flips - flips[np.maximum(last, 0)], flips)
    return (start ^ (since % 2 == 1)).astype(np.float64)


@dataclass(frozen=True)
class MarkovAntitheticSampler:
    """Two copies of a two-state chain, one driven by u_t and one by 1 - u_t, interleaved x_1, x'_1, x_2, ...

    Each copy is the stationary chain (sequential inversion, `_chain`); n counts samples, so a batch of n
    holds n / 2 steps of each copy.
    """

    base: MarkovSampler

    def start(self, rng: np.random.Generator) -> Draw:
        state = {"x": None, "y": None, "partner": None}
        stay1, stay0, p = self.base.stay1, self.base.stay0, self.base.stationary_p

        def draw(k: int):
            head = state["partner"]
            carried = 0 if head is None else 1
            fresh = (k - carried + 1) // 2
            u = rng.random(fresh)
            x = _chain(u, state["x"], stay1, stay0, p)
            y = _chain(1.0 - u, state["y"], stay1, stay0, p)
            if fresh:
                state["x"], state["y"] = float(x[-1]), float(y[-1])
            pairs = _interleave(x, y)
            out = pairs if head is None else np.concatenate([head, pairs])
            state["partner"] = out[k:k + 1] if (k - carried) % 2 else None
            return out[:k]

        return draw

    def marginal(self) -> Marginal:
        m = self.base.marginal()
        return Marginal(values=m.values, cdf=m.cdf, probs=m.probs, dependent=True)


@dataclass(frozen=True)
class SobolSampler:
    """One scrambled Sobol' sequence per stream and replicate, mapped through the inverse CDF."""

    inv: Inversion
    base: Any

    def start(self, rng: np.random.Generator) -> Draw:
        net = scipy.stats.qmc.Sobol(self.inv.dims, scramble=True, bits=64, rng=rng)

        def draw(k: int):
            with warnings.catch_warnings():
                # Balance holds at the power-of-two checkpoints (the grid), not at every chunk end.
                warnings.simplefilter("ignore", UserWarning)
                u = net.random(k)
            return self.inv.sample(u, None)

        return draw

    def marginal(self) -> Marginal:
        m = self.base.marginal()
        return Marginal(values=m.values, cdf=m.cdf, probs=m.probs, dependent=True)


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
        """lim n Var of each quantity under the plan (mcloss.plan_exact: quadrature + delta method).

        sobol: NaN for every quantity (n Var -> 0, Var = o(1/n): there is no n^-1/2 law to state).
        """
        if self.plan == "sobol":
            return {q.name: float("nan") for q in self.base.quantities}
        from .plan_exact import quantity_variances

        own = self.base.asymptotic_variance()
        found = quantity_variances(self, (self.plan,))
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
    from .grid import power_of_two_grid

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
