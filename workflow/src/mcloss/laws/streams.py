"""Random streams: where every random number of the pipeline comes from.

Seeding. A stream is identified by (scenario key, stream index, replicate); its
generator is ``default_rng(SeedSequence(seed, spawn_key=(scenario_key, stream, replicate)))``.
Nothing depends on job order, on how replicates are split into jobs or on
``--cores``: a replicate's numbers are a function of the config alone.
The scenario key is a stable 128-bit hash of the scenario's name (or of the
name it shares random numbers with), four uint32 words of the spawn key, so
reordering or adding scenarios does not change anyone else's numbers. With 32
bits two names of a large sweep collide with probability about m^2 / 2^33
(1 in 90 for m = 10^4 scenarios); with 128 bits a collision is not expected,
and `unique_keys` still checks every configuration for one before any job runs.

Sampling. A `Sampler` is the one seam for *how* a stream draws: ``start(rng)``
returns ``draw(k)``, a function giving the next k samples. I.i.d. draws,
stateful processes (Markov chains) and, later, antithetic or quasi-random
(scipy.stats.qmc + inverse CDF) draws are all samplers; the engine only calls
``draw``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from mcloss.errors import ConfigError

#: Words (uint32) of a scenario key: 128 bits.
KEY_WORDS = 4

#: Stream indices >= this are reserved for analysis (bootstrap), not sampling.
ANALYSIS_STREAM = 1 << 20


def scenario_key(name: str) -> tuple[int, ...]:
    """Stable 128-bit key of a scenario name: BLAKE2b of its UTF-8 bytes as KEY_WORDS uint32 words."""
    digest = hashlib.blake2b(name.encode(), digest_size=4 * KEY_WORDS).digest()
    return tuple(int.from_bytes(digest[4 * i: 4 * i + 4], "little") for i in range(KEY_WORDS))


def unique_keys(random_names: Mapping[str, str], key: Callable[[str], Any] = scenario_key) -> dict[str, Any]:
    """Key of each scenario (``random_names``: scenario -> the name it draws from); refuse a collision.

    Scenarios drawing from the same name share streams on purpose (common random
    numbers); two different names with one key would share them by accident, which
    is a ConfigError naming both.
    """
    owner: dict[Any, tuple[str, str]] = {}
    keys = {}
    for scenario, name in random_names.items():
        k = key(name)
        other_name, other = owner.setdefault(k, (name, scenario))
        if other_name != name:
            raise ConfigError(f"scenarios.{scenario}", f"its random-stream key equals that of scenario '{other}'",
                              "scenario names whose 128-bit BLAKE2b keys differ (rename one of the two)")
        keys[scenario] = k
    return keys


def stream_rng(seed: int, scenario: int | Sequence[int], stream: int, replicate: int) -> np.random.Generator:
    """Generator of one (scenario, stream, replicate), derived from the root seed.

    ``scenario`` is a `scenario_key` (a tuple of uint32 words) or a single int;
    the spawn key is (*scenario words, stream, replicate).
    """
    words = tuple(scenario) if isinstance(scenario, (tuple, list)) else (scenario,)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(*words, stream, replicate)))


Draw = Callable[[int], Any]


class Sampler(Protocol):
    def start(self, rng: np.random.Generator) -> Draw:
        """Begin a stream on ``rng``; the returned function gives the next k samples."""

    def marginal(self) -> Marginal:
        """The law each draw should follow, for goodness-of-fit checks of the sampler."""


@dataclass(frozen=True)
class Marginal:
    """What a stream's draws should look like, one at a time.

    ``values`` maps a chunk of samples to the 1-d series that is tested; the series
    follows ``cdf`` (continuous) or takes the values 0..K-1 with ``probs``
    (discrete). ``dependent`` marks streams that are serially dependent by design;
    ``inflation`` is lim Var(count of a class in N draws) / (N p (1 - p)), the factor
    by which dependence inflates Pearson's X^2 (1 for i.i.d. draws; (1 + rho) / (1 - rho)
    for a two-state chain with lag-1 autocorrelation rho), NaN where unknown.
    """

    values: Callable[[Any], np.ndarray]
    cdf: Callable[[np.ndarray], np.ndarray] | None = None
    probs: tuple[float, ...] | None = None
    dependent: bool = False
    inflation: float = 1.0


@dataclass(frozen=True)
class IIDSampler:
    """Independent draws from a law: ``dist.rvs`` with the stream's generator (a `mcloss.laws.families.Law`,
    numpy's draws where numpy has the family, or any frozen scipy.stats distribution)."""

    dist: Any

    def start(self, rng: np.random.Generator) -> Draw:
        dist = self.dist
        return lambda k: dist.rvs(size=k, random_state=rng)

    def marginal(self) -> Marginal:
        return Marginal(values=np.asarray, cdf=self.dist.cdf)


@dataclass(frozen=True)
class MixtureSampler:
    """Each draw is from ``first`` with probability ``p``, else from ``second``.

    Returns ``(label, value)`` with label 1.0 for ``first``. The labels and both
    candidate values are drawn for every sample so the stream never branches
    on data (vectorised). Its numbers depend on the chunk sizes (labels, then candidates, per chunk).
    """

    p: float
    first: Any
    second: Any

    def start(self, rng: np.random.Generator) -> Draw:
        def draw(k: int):
            label = (rng.random(k) < self.p).astype(np.float64)
            a = self.first.rvs(size=k, random_state=rng)
            b = self.second.rvs(size=k, random_state=rng)
            return label, np.where(label == 1.0, a, b)

        return draw

    def marginal(self) -> Marginal:
        # The values alone follow the mixture p F_first + (1 - p) F_second.
        return Marginal(values=lambda sample: sample[1],
                        cdf=lambda x: self.p * self.first.cdf(x) + (1 - self.p) * self.second.cdf(x))


@dataclass(frozen=True)
class StreamSpec:
    """A named sample stream of an estimand and the sampler that feeds it."""

    name: str
    sampler: Sampler


#: Up to this many class boundaries, `class_index` compares with each one instead of a binary search.
_FEW_BOUNDARIES = 8


def class_index(cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``np.searchsorted(cdf, u, side="right")``: the number of entries of ``cdf`` (sorted) that are <= u.

    With a few boundaries, one comparison per boundary gives the same integers several times faster
    than the binary search (about 1 against 10 ns a value for K = 3, docs/performance.md).
    """
    if cdf.size > _FEW_BOUNDARIES:
        return np.searchsorted(cdf, u, side="right")
    index = np.zeros(np.shape(u), dtype=np.intp)
    for boundary in cdf.tolist():
        index += u >= boundary
    return index


@dataclass(frozen=True)
class CategoricalSampler:
    """Class indices 0..K-1 drawn with probabilities ``probs`` (inverse CDF of one uniform each).

    Returns an int64 array; class k is drawn when u falls in [F_{k-1}, F_k). The
    last class also takes u >= F_{K-2} when the rounded cumulative sum ends
    below 1, so every draw is a valid index.
    """

    probs: tuple[float, ...]

    def start(self, rng: np.random.Generator) -> Draw:
        cdf = np.cumsum(np.asarray(self.probs, dtype=np.float64))[:-1]

        def draw(k: int):
            return class_index(cdf, rng.random(k))

        return draw

    def marginal(self) -> Marginal:
        return Marginal(values=np.asarray, probs=tuple(float(x) for x in self.probs))


@dataclass(frozen=True)
class BernoulliSampler:
    """Labels 1.0 with probability ``p``, else 0.0 (float64, as MixtureSampler's labels)."""

    p: float

    def start(self, rng: np.random.Generator) -> Draw:
        p = float(self.p)

        def draw(k: int):
            return (rng.random(k) < p).astype(np.float64)

        return draw

    def marginal(self) -> Marginal:
        # Tested as classes: value 0.0 is class 0 (probability 1 - p), 1.0 is class 1.
        return Marginal(values=np.asarray, probs=(1.0 - float(self.p), float(self.p)))


@dataclass(frozen=True)
class MarkovSampler:
    """A two-state Markov chain on {0.0, 1.0}, started in its stationary law.

    P(stay at 1) = stay1, P(stay at 0) = stay0; the stationary P(1) is
    (1 - stay0) / (2 - stay1 - stay0) and the lag-k autocorrelation rho^k with
    rho = stay1 + stay0 - 1. Drawn as alternating runs with geometric lengths
    (memoryless, so a run cut by a chunk boundary simply continues), which keeps
    the draw vectorised. With stay1 = stay0 = 1 the chain is frozen at its first
    state, drawn with probability 1/2 (non-ergodic: no law of large numbers).
    """

    stay1: float
    stay0: float

    @property
    def stationary_p(self) -> float:
        leave1, leave0 = 1.0 - self.stay1, 1.0 - self.stay0
        return 0.5 if leave1 + leave0 == 0.0 else leave0 / (leave1 + leave0)

    def start(self, rng: np.random.Generator) -> Draw:
        leave = {1.0: 1.0 - self.stay1, 0.0: 1.0 - self.stay0}
        first = 1.0 if rng.random() < self.stationary_p else 0.0
        state = {"label": first, "left": self._run(rng, leave[first], 1)[0]}

        def draw(k: int):
            # Arrays of runs, joined once: a chunk holds thousands of runs, and Python lists of them cost
            # more than the draws.
            labels, lengths = [np.array([state["label"]])], [np.array([min(state["left"], k)])]
            covered = min(state["left"], k)
            label = state["label"]
            while covered < k:
                # Runs alternate, so draw many at once: even positions are the other state.
                mean = 1.0 / max(min(leave.values()), 1e-12)
                count = int(min(max(16, 2 * (k - covered) / mean + 16), 4 * k + 16))
                other = 1.0 - label
                runs = np.empty(count)
                runs[0::2] = self._run(rng, leave[other], runs[0::2].size)
                runs[1::2] = self._run(rng, leave[label], runs[1::2].size)
                states = np.where(np.arange(count) % 2 == 0, other, label)
                ends = covered + np.cumsum(runs)
                stop = int(np.searchsorted(ends, k))          # the run that reaches k
                labels.append(states[: stop + 1])
                lengths.append(runs[: stop + 1])
                if stop < count:
                    label = states[stop]
                    covered = k
                    state["left"] = ends[stop] - k
                else:
                    label = states[-1]
                    covered = ends[-1]
                    state["left"] = 0.0
            if len(lengths) == 1:
                state["left"] -= k
            else:
                lengths[-1][-1] -= state["left"]
            state["label"] = label
            return np.repeat(np.concatenate(labels), np.concatenate(lengths).astype(np.int64))

        return draw

    @staticmethod
    def _run(rng: np.random.Generator, leave: float, size: int) -> np.ndarray:
        """Run lengths ~ Geometric(leave) (>= 1); infinite when the state is never left."""
        if leave <= 0.0:
            return np.full(size, np.inf)
        return rng.geometric(leave, size).astype(np.float64)

    def marginal(self) -> Marginal:
        p = self.stationary_p
        rho = self.stay1 + self.stay0 - 1.0
        # rho = 0 is an i.i.d. Bernoulli(p) sequence written as a chain; rho = 1 a frozen chain.
        inflation = float("inf") if rho >= 1.0 else (1.0 + rho) / (1.0 - rho)
        return Marginal(values=np.asarray, probs=(1.0 - p, p), dependent=rho != 0.0, inflation=inflation)
