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

Cost: per chunk and term, the sum and the centred second pass go through one
scratch array allocated once per stream, and the many short segments between
the first checkpoints are summarised with a few numpy calls in all, so the time
is that of the draws and the per-sample terms (benchmarks/run.py). Every
operation is sequential numpy without BLAS or threads: a replicate's numbers do
not depend on the machine's load, the job it runs in or its neighbours.
"""

from __future__ import annotations

import math
import os
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mcloss.errors import CorruptFileError
from mcloss.estimands import Estimand
from mcloss.laws.streams import stream_rng
from mcloss.maths.moments import TermStats

#: Segments between checkpoints shorter than this are summarised together, with a
#: few numpy calls for all of them: the first checkpoints of a geometric grid are a
#: few samples apart, and one call per segment would cost more than the samples.
_SHORT = 1024


class _Running:
    """Running count, mean and M2 of one term, plus its count of non-finite values."""

    __slots__ = ("n", "mean", "m2", "nonfinite")

    def __init__(self):
        self.n, self.mean, self.m2, self.nonfinite = 0, 0.0, 0.0, 0

    def merge(self, segment: np.ndarray, work: np.ndarray) -> None:
        """Fold ``segment`` in; ``work`` is scratch of at least its length."""
        m = segment.shape[0]
        total = float(np.add.reduce(segment))
        if not math.isfinite(total):
            # Counted here and reported by the caller; the NaN/inf then propagates
            # into the estimate, which the summaries count as non-finite.
            self.nonfinite += int(m - np.count_nonzero(np.isfinite(segment)))
            self.n, self.mean, self.m2 = self.n + m, float("nan"), float("nan")
            return
        mu = total / m
        # Centred second pass (not sum of squares minus square of sum, which cancels).
        dev = np.subtract(segment, mu, out=work[:m])
        np.square(dev, out=dev)
        self._add(m, mu, float(np.add.reduce(dev)))

    def merge_short(self, x: np.ndarray, ends: list[int], work: np.ndarray) -> list[tuple[int, float, float]]:
        """Fold x[0:ends[0]], x[ends[0]:ends[1]], ... in turn; the (n, mean, M2) after each.

        The same centred two-pass summaries as ``merge``, computed for all the
        segments at once (``reduceat``); ``ends`` is strictly increasing. reduceat
        adds each segment in order rather than pairwise, which for fewer than
        ``_SHORT`` values keeps the relative rounding error below _SHORT * 2^-53.
        """
        starts = np.array([0] + ends[:-1])
        lengths = np.diff(np.array([0] + ends))
        head = x[: ends[-1]]
        sums = np.add.reduceat(head, starts)
        if not np.isfinite(sums).all():
            after = []
            for a, b in zip(starts.tolist(), ends):
                self.merge(x[a:b], work)
                after.append((self.n, self.mean, self.m2))
            return after
        means = sums / lengths
        dev = np.subtract(head, np.repeat(means, lengths), out=work[: head.size])
        np.square(dev, out=dev)
        m2s = np.add.reduceat(dev, starts)
        after = []
        for m, mu, seg_m2 in zip(lengths.tolist(), means.tolist(), m2s.tolist()):
            self._add(m, mu, seg_m2)
            after.append((self.n, self.mean, self.m2))
        return after

    def _add(self, m: int, mu: float, seg_m2: float) -> None:
        """Chan, Golub & LeVeque's update with m values of mean mu and centred sum of squares seg_m2."""
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
    checkpoints = counts.tolist()
    n_checkpoints = len(checkpoints)
    total = checkpoints[-1] if n_checkpoints else 0
    running: dict[str, _Running] = {}
    # Plain lists while running (a numpy item assignment costs microseconds), arrays at the end.
    recorded: dict[str, list[tuple[int, float, float]]] = {}
    work = np.empty(min(chunk_size, total))  # the one scratch array: no allocation per chunk

    next_k = 0
    while next_k < n_checkpoints and checkpoints[next_k] == 0:
        next_k += 1
    pos = 0
    while pos < total:
        size = min(chunk_size, total - pos)
        values = terms(draw(size))
        if not running:
            for name in values:
                running[name] = _Running()
                recorded[name] = [(0, float("nan"), float("nan"))] * n_checkpoints
        # The distinct checkpoint positions in this chunk (all > 0), each with its checkpoints.
        ends: list[int] = []
        at: list[list[int]] = []
        while next_k < n_checkpoints and checkpoints[next_k] <= pos + size:
            cut = checkpoints[next_k] - pos
            if ends and ends[-1] == cut:
                at[-1].append(next_k)
            else:
                ends.append(cut)
                at.append([next_k])
            next_k += 1
        short, previous = 0, 0
        while short < len(ends) and ends[short] - previous < _SHORT:
            previous = ends[short]
            short += 1
        if short < 2:
            short = 0
        for name, x in values.items():
            state, record = running[name], recorded[name]
            after = state.merge_short(x, ends[:short], work) if short else []
            start = ends[short - 1] if short else 0
            for end in ends[short:]:
                state.merge(x[start:end], work)
                after.append((state.n, state.mean, state.m2))
                start = end
            for snapshot, ks in zip(after, at):
                for k in ks:
                    record[k] = snapshot
            if start < size:
                state.merge(x[start:size], work)
        pos += size
    stats = {}
    for name, record in recorded.items():
        count, mean, m2 = zip(*record)
        stats[name] = TermStats(count=np.array(count, dtype=np.int64), mean=np.array(mean, dtype=np.float64),
                                m2=np.array(m2, dtype=np.float64))
    return stats, {name: state.nonfinite for name, state in running.items()}


@dataclass
class Simulation:
    """Running estimates of a block of replicates at every checkpoint.

    ``estimate[q]`` and ``se[q]`` have shape (replicates, checkpoints);
    ``nonfinite[term]`` counts non-finite per-sample values per replicate; ``model_se[q]`` is a
    second standard error where a quantity has two (a fitted coefficient's model-based one:
    mcloss.simulate.fitting).
    """

    n: np.ndarray
    replicates: np.ndarray
    estimate: dict[str, np.ndarray]
    se: dict[str, np.ndarray]
    nonfinite: dict[str, np.ndarray]
    model_se: dict[str, np.ndarray] = field(default_factory=dict)


def simulate(
    estimand: Estimand,
    n: np.ndarray,
    replicates: range,
    seed: int,
    scenario_key: int,
    chunk_size: int = 1 << 16,
    seconds: list | None = None,
) -> Simulation:
    """Run replicates ``replicates`` of ``estimand`` on the batch-size grid ``n``.

    Replicate r's stream s draws from ``stream_rng(seed, scenario_key, s, r)``,
    so the result for r is the same whichever block it is computed in. If
    ``seconds`` is a list, the CPU time of each replicate is appended to it.
    """
    n = np.asarray(n, dtype=np.int64)
    counts = estimand.stream_counts(n)
    names = [q.name for q in estimand.quantities]
    estimate = {q: np.empty((len(replicates), n.size)) for q in names}
    se = {q: np.empty((len(replicates), n.size)) for q in names}
    nonfinite: dict[str, np.ndarray] = {}
    for i, r in enumerate(replicates):
        started = time.process_time()
        stats: dict[str, TermStats] = {}
        for s, stream in enumerate(estimand.streams):
            draw = stream.sampler.start(stream_rng(seed, scenario_key, s, r))
            stream_stats, bad = stream_statistics(
                draw, lambda sample, name=stream.name: estimand.terms(name, sample), counts[stream.name], chunk_size
            )
            if stats.keys() & stream_stats.keys():
                shared = sorted(stats.keys() & stream_stats.keys())
                raise ValueError(f"{estimand.name}: streams share term names {shared}")
            stats.update(stream_stats)
            for term, count in bad.items():
                nonfinite.setdefault(term, np.zeros(len(replicates), dtype=np.int64))[i] = count
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            for q, (est, err) in estimand.estimates(n, stats).items():
                estimate[q][i] = est
                se[q][i] = err
        if seconds is not None:
            seconds.append(time.process_time() - started)
    return Simulation(n=n, replicates=np.asarray(list(replicates)), estimate=estimate, se=se, nonfinite=nonfinite)


def save(sim: Simulation, path) -> None:
    """Write a Simulation as .npz (arrays named estimate/<q>, se/<q>, nonfinite/<term>), atomically.

    The arrays go to a temporary file beside ``path``, which is renamed to ``path``
    only once complete (os.replace): a job killed while writing leaves no file at
    ``path``, never a truncated one, and its rerun starts from scratch.
    """
    arrays = {"n": sim.n, "replicates": sim.replicates}
    arrays.update({f"estimate/{q}": v for q, v in sim.estimate.items()})
    arrays.update({f"se/{q}": v for q, v in sim.se.items()})
    arrays.update({f"nonfinite/{t}": v for t, v in sim.nonfinite.items()})
    arrays.update({f"model_se/{q}": v for q, v in sim.model_se.items()})
    path = Path(path)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with open(partial, "wb") as fh:
            np.savez(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _read_block(path) -> dict[str, np.ndarray]:
    """All arrays of one .npz; a file that cannot be read raises CorruptFileError naming it."""
    try:
        with np.load(path) as z:
            return {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as err:
        raise CorruptFileError(path, f"{type(err).__name__}: {err}") from err


def load(paths) -> Simulation:
    """Read and concatenate Simulation blocks, ordered by replicate index."""
    blocks = [_read_block(path) for path in paths]
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
                      nonfinite=gather("nonfinite"), model_se=gather("model_se"))
