"""Random streams: where every random number of the pipeline comes from.

Seeding. A stream is identified by (scenario key, stream index, replicate); its
generator is ``default_rng(SeedSequence(seed, spawn_key=(scenario_key, stream, replicate)))``.
Nothing depends on job order, on how replicates are split into jobs or on
``--cores``: a replicate's numbers are a function of the config alone.
The scenario key is a stable 32-bit hash of the scenario's name (or of the
name it shares random numbers with), so reordering or adding scenarios does
not change anyone else's numbers.

Sampling. A `Sampler` is the one seam for *how* a stream draws: ``start(rng)``
returns ``draw(k)``, a function giving the next k samples. I.i.d. draws,
stateful processes (Markov chains) and, later, antithetic or quasi-random
(scipy.stats.qmc + inverse CDF) draws are all samplers; the engine only calls
``draw``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Callable, Protocol

import numpy as np

#: Stream indices >= this are reserved for analysis (bootstrap), not sampling.
ANALYSIS_STREAM = 1 << 20


def scenario_key(name: str) -> int:
    """Stable 32-bit key of a scenario name (BLAKE2b of its UTF-8 bytes)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest(), "little")


def stream_rng(seed: int, scenario: int, stream: int, replicate: int) -> np.random.Generator:
    """Generator of one (scenario, stream, replicate), derived from the root seed."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(scenario, stream, replicate)))


Draw = Callable[[int], Any]


class Sampler(Protocol):
    def start(self, rng: np.random.Generator) -> Draw:
        """Begin a stream on ``rng``; the returned function gives the next k samples."""


@dataclass(frozen=True)
class IIDSampler:
    """Independent draws from a frozen scipy.stats distribution."""

    dist: Any

    def start(self, rng: np.random.Generator) -> Draw:
        dist = self.dist
        return lambda k: dist.rvs(size=k, random_state=rng)


@dataclass(frozen=True)
class MixtureSampler:
    """Each draw is from ``first`` with probability ``p``, else from ``second``.

    Returns ``(label, value)`` with label 1.0 for ``first``. The labels and both
    candidate values are drawn for every sample so the stream never branches
    on data (vectorised, and the same for every chunk size).
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


@dataclass(frozen=True)
class StreamSpec:
    """A named sample stream of an estimand and the sampler that feeds it."""

    name: str
    sampler: Sampler
