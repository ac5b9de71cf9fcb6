"""Numerically sound building blocks: softplus, log-sigmoid, polynomial logits.

The discriminator is parametrised by its logit t, D = sigmoid(t), and every log
of D or 1 - D is formed from t directly:

    log D       = log sigmoid(t)  = min(t, 0)  - L(t)
    log(1 - D)  = log sigmoid(-t) = -max(t, 0) - L(t)
    softplus(u) = max(u, 0) + L(u),      L(u) = log1p(exp(-|u|))

so no probability is ever rounded to 0 or 1 before its log is taken; at
t = +-1e4 the results are the correctly rounded -1e4 and 0.

L is the hot path of the GAN estimand, so it is computed without ``log1p``
(about twice the cost of ``log`` in libm): with e = exp(-|u|) in (0, 1] and
w = fl(1 + e), the rounding error r = (1 + e) - w is representable and
computed exactly as e - (w - 1) (w - 1 is exact by Sterbenz' lemma), and

    log1p(e) = log(w) + log1p(r / w),   |log1p(r / w) - r| <= |r| e / (1 + e) + r^2 <~ 2^-53 log1p(e),

so log(w) + r is within about an ulp of log1p(e) even where e is so small that
log(w) alone is 0. Temporaries live in per-thread scratch buffers, so
a call allocates at most its output (large fresh temporaries cost page faults).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

#: Largest input whose temporaries are kept for reuse (elements); larger calls allocate.
_SCRATCH_MAX = 1 << 20
_local = threading.local()


def _scratch(size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three float64 work arrays of ``size`` elements (views of per-thread buffers)."""
    buffers = getattr(_local, "buffers", None)
    if buffers is None or buffers[0].size < size:
        if size > _SCRATCH_MAX:
            return np.empty(size), np.empty(size), np.empty(size)
        buffers = _local.buffers = (np.empty(size), np.empty(size), np.empty(size))
    return buffers[0][:size], buffers[1][:size], buffers[2][:size]


def _log1p_exp_neg_abs(t: np.ndarray, spare: bool = False) -> tuple[np.ndarray, ...]:
    """(log(w), -r) with log(w) - (-r) = log1p(exp(-|t|)) to about an ulp; ``t`` flat, read once.

    Both results are scratch views, valid until the next call in this thread; with ``spare``, also the
    third scratch array (its contents no longer needed), for the caller's own temporary.
    """
    e, w, d = _scratch(t.size)
    np.abs(t, out=e)  # two SIMD passes; np.copysign(t, -1) is one scalar pass, slower
    np.negative(e, out=e)
    np.exp(e, out=e)
    np.add(e, 1.0, out=w)
    np.subtract(w, 1.0, out=d)
    np.subtract(d, e, out=d)  # -r = (w - 1) - e, exact
    np.log(w, out=w)
    return (w, d, e) if spare else (w, d)


def _prepare(t, out):
    """float64 input, the output array, and flat (1-d) views of both."""
    t = np.asarray(t, dtype=np.float64)
    if out is None:
        out = np.empty_like(t, order="C")
    elif (not isinstance(out, np.ndarray) or out.shape != t.shape or out.dtype != np.float64
          or not out.flags.c_contiguous):
        raise ValueError("out must be a C-contiguous float64 array of the input's shape")
    flat_t = t.reshape(-1)  # a view when contiguous, else a copy (t is only read)
    return t, out, flat_t, out.reshape(-1)


def softplus(u: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """softplus(u) = log(1 + e^u) = max(u, 0) + log1p(exp(-|u|)).

    exp and log are a few ns a value against ~25 ns for ``np.logaddexp(0, u)``,
    which is why the split form is used (see benchmarks/). ``out`` may be ``u``.
    """
    u, out, flat_u, flat_out = _prepare(u, out)
    log_w, neg_r = _log1p_exp_neg_abs(flat_u)
    np.maximum(flat_u, 0.0, out=flat_out)
    flat_out += log_w
    flat_out -= neg_r
    return out


def log_sigmoid(t: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """log sigmoid(t) = min(t, 0) - log1p(exp(-|t|)): log D for logit t. ``out`` may be ``t``."""
    t, out, flat_t, flat_out = _prepare(t, out)
    log_w, neg_r = _log1p_exp_neg_abs(flat_t)
    np.minimum(flat_t, 0.0, out=flat_out)
    flat_out += neg_r
    flat_out -= log_w
    return out


def log1m_sigmoid(t: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """log(1 - sigmoid(t)) = -max(t, 0) - log1p(exp(-|t|)): log(1 - D). ``out`` may be ``t``."""
    t, out, flat_t, flat_out = _prepare(t, out)
    log_w, neg_r = _log1p_exp_neg_abs(flat_t)
    np.maximum(flat_t, 0.0, out=flat_out)
    flat_out += log_w
    np.subtract(neg_r, flat_out, out=flat_out)
    return out


def bernoulli_nll_of_logit(t: np.ndarray, positive: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """-log sigmoid(t) where ``positive``, -log(1 - sigmoid(t)) elsewhere: the BCE of label 1 or 0 at logit t.

    The same bits as ``-np.where(positive, log_sigmoid(t), log1m_sigmoid(t))`` (each branch takes the
    same operations in the same order), with L(t) computed once instead of once per branch, since
    L(t) = L(-t). ``out`` may be ``t``.
    """
    t, out, flat_t, flat_out = _prepare(t, out)
    log_w, neg_r, real = _log1p_exp_neg_abs(flat_t, spare=True)
    np.minimum(flat_t, 0.0, out=real)
    real += neg_r
    real -= log_w
    np.maximum(flat_t, 0.0, out=flat_out)
    flat_out += log_w
    np.subtract(neg_r, flat_out, out=flat_out)
    np.copyto(flat_out, real, where=np.asarray(positive).reshape(-1))
    np.negative(flat_out, out=flat_out)
    return out


def polynomial_logit(x: np.ndarray, coefficients) -> np.ndarray:
    """t(x) = c0 + c1 x + c2 x^2 + ... by Horner's scheme (coefficients lowest first)."""
    x = np.asarray(x, dtype=np.float64)
    coefficients = [float(c) for c in coefficients]
    if len(coefficients) == 1:
        return np.full_like(x, coefficients[0])
    # The first Horner step c_d * x + c_{d-1} without first filling an array with c_d.
    t = np.multiply(x, coefficients[-1], out=np.empty_like(x))
    t += coefficients[-2]
    for c in reversed(coefficients[:-2]):
        t *= x
        t += c
    return t


def polynomial(coefficients: Sequence[float], variable: str = "x") -> str:
    """c0 + c1 x + c2 x^2 + ... as a person writes it: ``-0.5 + 1.5 x - 0.3 x^2`` (zero terms left out)."""
    terms = []
    for power, c in enumerate(coefficients):
        c = float(c)
        if c == 0.0:
            continue
        monomial = "" if power == 0 else (f" {variable}" if power == 1 else f" {variable}^{power}")
        terms.append((c < 0, f"{abs(c):g}{monomial}"))
    if not terms:
        return "0"
    negative, text = terms[0]
    out = ("-" if negative else "") + text
    for negative, text in terms[1:]:
        out += (" - " if negative else " + ") + text
    return out
