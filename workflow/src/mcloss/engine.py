"""The one-pass checkpoint engine, generic over estimands.

For each replicate and each stream of the estimand, samples are drawn in chunks
of ``chunk_size`` (memory is O(chunk_size), whatever the largest batch size),
turned into per-sample terms, and folded into running (count, mean, M2)
statistics; the statistics are recorded whenever the stream's sample count
reaches a checkpoint of the batch-size grid. The batch of size n is therefore
the first n samples of one long sample path: nothing is re-drawn per n, and
the running estimates of a replicate at all n come out of a single pass.

Segments between checkpoints are summarised by their sum and centred sum of
squares and merged with Chan, Golub & LeVeque's (1979) pairwise update, which
stays accurate where the naive sum-of-squares formula cancels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .estimands import Estimand, TermStats
from .streams import stream_rng


class _Running:
    """Running count, mean and M2 of one term, plus its count of non-finite values."""

    __slots__ = ("n", "mean", "m2", "nonfinite")

    def __init__(self):
        self.n, self.mean, self.m2, self.nonfinite = 0, 0.0, 0.0, 0

    def merge(self, segment: np.ndarray) -> None:
        m = segment.shape[0]
        total = float(segment.sum())
        mu = total / m
        if not np.isfinite(total):
            # Counted here and reported by the caller; the NaN/inf then propagates
            # into the estimate, which the summaries count as non-finite.
            self.nonfinite += int(m - np.count_nonzero(np.isfinite(segment)))
            self.n, self.mean, self.m2 = self.n + m, float("nan"), float("nan")
            return
        dev = segment - mu
        dev *= dev
        seg_m2 = float(dev.sum())
        if self.n == 0:
            self.n, self.mean, self.m2 = m, mu, seg_m2
            return
        n_new = self.n + m
        delta = mu - self.mean
        self.mean += delta * m / n_new
        self.m2 += seg_m2 + delta * delta * self.n * m / n_new
        self.n = n_new


def stream_statistics(draw, terms, counts: np.ndarray, chunk_size: int) -> tuple[dict[str, TermStats], dict[str, int]]:
    """Prefix statistics of every term of one stream at the sample counts ``counts``.

    ``draw(k)`` returns the next k samples, ``terms(sample)`` the per-sample terms.
    ``counts`` must be non-decreasing. Returns (term -> TermStats, term -> number
    of non-finite values seen).
    """
    counts = np.asarray(counts, dtype=np.int64)
    if np.any(np.diff(counts) < 0) or (counts.size and counts[0] < 0):
        raise ValueError("stream counts must be non-negative and non-decreasing")
    n_checkpoints = counts.size
    running: dict[str, _Running] = {}
    recorded: dict[str, np.ndarray] = {}

    def record(k: int) -> None:
        for name, state in running.items():
            recorded[name][:, k] = (state.n, state.mean, state.m2)

    total = int(counts[-1]) if n_checkpoints else 0
    next_k = 0
    pos = 0
    while pos < total:
        size = min(chunk_size, total - pos)
        values = terms(draw(size))
        if not running:
            for name in values:
                running[name] = _Running()
                recorded[name] = np.full((3, n_checkpoints), np.nan)
                recorded[name][0] = 0
            while next_k < n_checkpoints and counts[next_k] == 0:
                record(next_k)
                next_k += 1
        cuts = []
        while next_k < n_checkpoints and counts[next_k] <= pos + size:
            cuts.append((int(counts[next_k]) - pos, next_k))
            next_k += 1
        for name, x in values.items():
            state = running[name]
            start = 0
            for cut, k in cuts:
                if cut > start:
                    state.merge(x[start:cut])
                    start = cut
                recorded[name][:, k] = (state.n, state.mean, state.m2)
            if start < size:
                state.merge(x[start:size])
        pos += size
    stats = {
        name: TermStats(count=rec[0].astype(np.int64), mean=rec[1], m2=rec[2]) for name, rec in recorded.items()
    }
    return stats, {name: state.nonfinite for name, state in running.items()}


@dataclass
class Simulation:
    """Running estimates of a block of replicates at every checkpoint.

    ``estimate[q]`` and ``se[q]`` have shape (replicates, checkpoints);
    ``nonfinite[term]`` counts non-finite per-sample values per replicate.
    """

    n: np.ndarray
    replicates: np.ndarray
    estimate: dict[str, np.ndarray]
    se: dict[str, np.ndarray]
    nonfinite: dict[str, np.ndarray]


def simulate(
    estimand: Estimand,
    n: np.ndarray,
    replicates: range,
    seed: int,
    scenario_key: int,
    chunk_size: int = 1 << 16,
) -> Simulation:
    """Run replicates ``replicates`` of ``estimand`` on the batch-size grid ``n``.

    Replicate r's stream s draws from ``stream_rng(seed, scenario_key, s, r)``,
    so the result for r is the same whichever block it is computed in.
    """
    n = np.asarray(n, dtype=np.int64)
    counts = estimand.stream_counts(n)
    names = [q.name for q in estimand.quantities]
    estimate = {q: np.empty((len(replicates), n.size)) for q in names}
    se = {q: np.empty((len(replicates), n.size)) for q in names}
    nonfinite: dict[str, np.ndarray] = {}
    for i, r in enumerate(replicates):
        stats: dict[str, TermStats] = {}
        for s, stream in enumerate(estimand.streams):
            draw = stream.sampler.start(stream_rng(seed, scenario_key, s, r))
            stream_stats, bad = stream_statistics(
                draw, lambda sample, name=stream.name: estimand.terms(name, sample), counts[stream.name], chunk_size
            )
            stats.update(stream_stats)
            for term, count in bad.items():
                nonfinite.setdefault(term, np.zeros(len(replicates), dtype=np.int64))[i] = count
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            for q, (est, err) in estimand.estimates(n, stats).items():
                estimate[q][i] = est
                se[q][i] = err
    return Simulation(n=n, replicates=np.asarray(list(replicates)), estimate=estimate, se=se, nonfinite=nonfinite)


def save(sim: Simulation, path) -> None:
    """Write a Simulation as .npz (arrays named estimate/<q>, se/<q>, nonfinite/<term>)."""
    arrays = {"n": sim.n, "replicates": sim.replicates}
    arrays.update({f"estimate/{q}": v for q, v in sim.estimate.items()})
    arrays.update({f"se/{q}": v for q, v in sim.se.items()})
    arrays.update({f"nonfinite/{t}": v for t, v in sim.nonfinite.items()})
    np.savez(path, **arrays)


def load(paths) -> Simulation:
    """Read and concatenate Simulation blocks, ordered by replicate index."""
    blocks = []
    for path in paths:
        with np.load(path) as z:
            blocks.append({k: z[k] for k in z.files})
    if not blocks:
        raise ValueError("no simulation files given")
    reps = np.concatenate([b["replicates"] for b in blocks])
    order = np.argsort(reps, kind="stable")
    if np.unique(reps).size != reps.size:
        raise ValueError("simulation blocks overlap in replicates")

    def gather(prefix):
        keys = sorted({k.split("/", 1)[1] for b in blocks for k in b if k.startswith(prefix + "/")})
        return {key: np.concatenate([b[f"{prefix}/{key}"] for b in blocks])[order] for key in keys}

    n = blocks[0]["n"]
    if any(not np.array_equal(b["n"], n) for b in blocks):
        raise ValueError("simulation blocks disagree on the batch-size grid")
    return Simulation(n=n, replicates=reps[order], estimate=gather("estimate"), se=gather("se"),
                      nonfinite=gather("nonfinite"))
