"""The path of models trained on the batch: one fit per replicate and batch size, beside the engine.

A fitted model's loss is not a prefix mean (theta_hat_n depends on the whole batch), so the one-pass
engine does not apply. Per replicate, every stream is drawn in the engine's chunks from the engine's
generators (mcloss.laws.streams.stream_rng: the same numbers a fixed-model scenario of the same key
sees), once, up to its largest count; the batch of size n is the first n samples (counts per stream
from the estimand), as for the engine. At each batch size the batch loss is minimised by damped
Newton (mcloss.maths.newton), started at the previous batch size's minimiser (warm start: two or three
steps each). A batch with no finite minimiser (a separated logistic or softmax batch, a least-squares
batch of n <= p) gets NaN for every quantity at that n, counted under ``nonfinite/no_minimiser`` (per
replicate) and per n in the summaries; a warm start that fails is retried from 0 before the batch is
counted, and the next n starts from 0.

Per batch size it records: the training loss L_n(theta_hat) (standard error sqrt(sum_s n_s Var_s l)/n),
the coefficients (standard error from the sandwich J_hat^-1 K_hat J_hat^-1 / n, and under
``model_se/`` the model-based J_hat^-1 / n), L_n(theta*) and, for all replicates and batch sizes at
once, the test risk R(theta_hat) by the estimand's quadrature rule (vectorised over the fits).
Quantities without a per-replicate interval (test risk, excess risk, optimism, train gap) get NaN
standard errors: their spread is O(1/n) and not normal, so no per-replicate CI is drawn for them.
Memory: the drawn samples, their powers and the powers' prefix sums, O(largest n x (4 d + 4)) per
replicate (about 180 bytes a sample for d = 2).
"""

from __future__ import annotations

import time

import numpy as np

from mcloss.estimands import Estimand
from mcloss.laws.streams import stream_rng
from mcloss.maths.newton import minimise

from .engine import Simulation
from .engine import simulate as simulate_prefix_means

#: Newton stops at a decrement g' H^-1 g below this (x (1 + |L_n|)) and takes one last step unevaluated
#: (mcloss.maths.newton): theta within ~1e-10 of theta_hat (its standard error is ~1e-3 at n = 10^6) and L_n
#: within ~1e-15 of its minimum (the train gap is ~1e-6 there). From the previous n's minimiser that is two
#: evaluations of the batch's gradient and Hessian per batch size, most of the time.
TOLERANCE = 1e-10


def is_fitted(estimand: Estimand) -> bool:
    """Whether the scenario trains its model on each batch (a `fit` block)."""
    return bool(getattr(estimand, "fitted", False))


def draw_streams(estimand: Estimand, largest: dict[str, int], seed: int, scenario_key, replicate: int,
                 chunk_size: int) -> dict:
    """Each stream's first ``largest[s]`` samples of replicate ``replicate``, drawn in the engine's chunks."""
    samples = {}
    for s, stream in enumerate(estimand.streams):
        draw = stream.sampler.start(stream_rng(seed, scenario_key, s, replicate))
        total, parts = int(largest[stream.name]), []
        pos = 0
        while pos < total:
            size = min(chunk_size, total - pos)
            parts.append(draw(size))
            pos += size
        if parts and isinstance(parts[0], tuple):
            samples[stream.name] = tuple(np.concatenate(column) for column in zip(*parts))
        else:
            samples[stream.name] = np.concatenate(parts) if parts else np.empty(0)
    return samples


def _fit(family, data, at: dict[str, int], start: np.ndarray):
    """The batch's minimiser from ``start``, or None where there is none (not found, separated, or a batch too
    small for the family's closed-form start: n <= p for least squares)."""
    try:
        with np.errstate(all="ignore"):
            found = minimise(lambda theta: family.batch(theta, data, at), family.warm_start(data, at, start),
                             tolerance=TOLERANCE)
    except (np.linalg.LinAlgError, ValueError, OverflowError, ZeroDivisionError):
        return None
    if not found.found or family.separated(found.hessian, data, at):
        return None
    return found


def fit_replicate(estimand: Estimand, counts: dict[str, np.ndarray], samples: dict) -> dict[str, np.ndarray]:
    """The fits of one replicate at every checkpoint: theta_hat, L_n(theta_hat), L_n(theta*), SEs, found."""
    family = estimand.family
    data = family.prepare(samples)
    theta_star = estimand.theta_star()
    k, p = next(iter(counts.values())).size, family.size
    out = {"theta": np.full((k, p), np.nan), "train": np.full(k, np.nan), "train_se": np.full(k, np.nan),
           "at_star": np.full(k, np.nan), "se": np.full((k, p), np.nan), "model_se": np.full((k, p), np.nan),
           "found": np.zeros(k, dtype=bool)}
    start = np.zeros(p)
    # L_n(theta*) at every n from one pass of per-sample losses (pairwise sums of each prefix).
    at_star = family.losses(theta_star, data)
    for i in range(k):
        at = {name: int(c[i]) for name, c in counts.items()}
        n = sum(at.values())
        out["at_star"][i] = float(np.add.reduce(at_star[:n])) / n
        found = _fit(family, data, at, start)
        if found is None and np.any(start != 0.0):
            found = _fit(family, data, at, np.zeros(p))    # a warm start may fail where 0 does not
        if found is None:
            start = np.zeros(p)
            continue
        start = found.theta
        # K_hat where Newton last evaluated the batch (its pieces are at hand): O(decrement) from theta_hat.
        kmat, loss_ss = family.batch_spread(found.evaluated_at, data, at)
        try:
            j_inv = np.linalg.inv(found.hessian)
        except np.linalg.LinAlgError:
            continue
        out["theta"][i], out["train"][i], out["found"][i] = found.theta, found.value, True
        out["train_se"][i] = np.sqrt(loss_ss) / n
        with np.errstate(invalid="ignore"):
            out["se"][i] = np.sqrt(np.diag(j_inv @ kmat @ j_inv) / n)
            out["model_se"][i] = np.sqrt(np.diag(j_inv) / n)
    return out


def simulate_fitted(estimand: Estimand, n: np.ndarray, replicates: range, seed: int, scenario_key,
                    chunk_size: int = 1 << 16, seconds: list | None = None) -> Simulation:
    """Fit the model of ``estimand`` at every batch size of ``n`` for replicates ``replicates``."""
    n = np.asarray(n, dtype=np.int64)
    counts = estimand.stream_counts(n)
    largest = {name: int(c[-1]) if c.size else 0 for name, c in counts.items()}
    fits = []
    for r in replicates:
        started = time.process_time()
        fits.append(fit_replicate(estimand, counts, draw_streams(estimand, largest, seed, scenario_key, r,
                                                                  chunk_size)))
        if seconds is not None:
            seconds.append(time.process_time() - started)
    family, names = estimand.family, estimand.family.names
    theta = np.stack([f["theta"] for f in fits])                     # (R, k, p)
    risk = family.risk(theta.reshape(-1, family.size)).reshape(theta.shape[:2])
    train = np.stack([f["train"] for f in fits])
    at_star = np.stack([f["at_star"] for f in fits])
    risk_star = estimand.theory["risk_star"]
    nan = np.full(train.shape, np.nan)
    estimate = {"train_loss": train, "test_risk": risk, "excess_risk": risk - risk_star, "optimism": risk - train,
                "train_gap": np.where(np.isfinite(train), at_star - train, np.nan)}
    se = {"train_loss": np.stack([f["train_se"] for f in fits]), "test_risk": nan, "excess_risk": nan,
          "optimism": nan, "train_gap": nan}
    extra = {}
    for j, name in enumerate(names):
        estimate[name] = theta[:, :, j]
        se[name] = np.stack([f["se"][:, j] for f in fits])
        extra[name] = np.stack([f["model_se"][:, j] for f in fits])
    if hasattr(estimand, "derived"):
        for q, (est, err) in estimand.derived(estimate, se).items():
            estimate[q], se[q] = est, err
    missing = np.stack([(~f["found"]).sum() for f in fits]).astype(np.int64)
    return Simulation(n=n, replicates=np.asarray(list(replicates)), estimate=estimate, se=se,
                      nonfinite={"no_minimiser": missing}, model_se=extra)


def run(estimand: Estimand, n: np.ndarray, replicates: range, seed: int, scenario_key, chunk_size: int = 1 << 16,
        seconds: list | None = None) -> Simulation:
    """The simulation of any scenario: prefix means by the engine, or fits by this path."""
    simulate = simulate_fitted if is_fitted(estimand) else simulate_prefix_means
    return simulate(estimand, n, replicates, seed, scenario_key, chunk_size, seconds=seconds)
