"""The sampler seam of the sampling plans: samplers as maps from uniforms.

A plan other than iid draws a stream as X = F^-1(U): `inversion` gives the inverse-CDF
form of each of the package's samplers (continuous laws through their quantile functions:
scipy.special's where `quantiles` has them, else ``ppf``/``isf``; Bernoulli
and categorical labels through their CDF steps, Markov labels step by step), and the
samplers here feed it antithetic pairs u, 1 - u (`AntitheticSampler`, two mirrored chains
for Markov labels) or the points of one scrambled Sobol' sequence (`SobolSampler`). How a
stream draws changes here and nowhere else; the law of each sample never changes.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mcloss.errors import ConfigError

from .quantiles import quantile_functions
from .streams import (
    BernoulliSampler,
    CategoricalSampler,
    Draw,
    IIDSampler,
    Marginal,
    MarkovSampler,
    MixtureSampler,
    class_index,
)

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
    ppf, isf = quantile_functions(dist)

    def sample(u, upper):
        u = np.clip(u[:, 0], _U_MIN, _U_MAX)
        if upper is None or upper is False:
            return ppf(u)
        if upper is True:
            return isf(u)
        x = np.empty(u.shape[0])
        x[~upper] = ppf(u[~upper])
        x[upper] = isf(u[upper])
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
        return Inversion(1, lambda u, upper: class_index(cdf, _flip(u[:, 0], upper)),
                         lambda y: y - mean, tuple(float(c) for c in cdf))
    if isinstance(sampler, MixtureSampler):
        p = float(sampler.p)
        first, second = quantile_functions(sampler.first), quantile_functions(sampler.second)

        def sample(u, upper):
            label = (_flip(u[:, 0], upper) < p).astype(np.float64)
            v = np.clip(u[:, 1], _U_MIN, _U_MAX)
            flip = np.broadcast_to(np.asarray(bool(upper) if upper is None or isinstance(upper, bool) else upper),
                                   v.shape)
            value = np.empty(v.shape)
            for law, which in ((first, label == 1.0), (second, label == 0.0)):
                lo, hi = which & ~flip, which & flip
                value[lo] = law[0](v[lo])
                value[hi] = law[1](v[hi])
            return label, value

        return Inversion(2, sample, lambda s: s[0] - p)
    if isinstance(sampler, MarkovSampler):
        # Not a map of one uniform per sample (dims 0): drawn by sequential inversion (MarkovAntitheticSampler);
        # no 1-d quadrature of its factors. Its control is the label minus the stationary P(1).
        p = sampler.stationary_p
        return Inversion(0, lambda u, upper: np.array([0.0, 1.0])[: len(u)], lambda y: y - p)
    # An input-dependent model (an `inputs` block) draws pairs (x, y) with y from a law given x: no such map.
    raise ConfigError(key, f"stream {stream!r} ({type(sampler).__name__}) is not drawn from uniforms by an inverse "
                      "CDF, which antithetic, sobol and control_variate need; the models with `inputs` draw such "
                      "pairs (x, y), so they take no sampling plan (docs/sampling-plans.md)",
                      "iid (the plans are supported for the scenarios without `inputs`)")


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
        import scipy.stats.qmc  # here: the iid and antithetic plans need no scipy.stats

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
