"""Numerically sound building blocks: softplus, log-sigmoid, polynomial logits.

The discriminator is parametrised by its logit t, D = sigmoid(t), and every log
of D or 1 - D is formed from t directly:

    log D       = log sigmoid(t)  = -softplus(-t)
    log(1 - D)  = log sigmoid(-t) = -softplus(t)
    softplus(u) = max(u, 0) + log1p(exp(-|u|))

so no probability is ever rounded to 0 or 1 before its log is taken; at
t = +-1e4 the results are the correctly rounded -1e4 and 0.
"""

from __future__ import annotations

import numpy as np


def softplus(u: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """softplus(u) = log(1 + e^u), computed as max(u, 0) + log1p(exp(-|u|)).

    exp/log1p are a few ns a value against ~25 ns for ``np.logaddexp(0, u)``,
    which is why the split form is used on the hot path (see benchmarks/).
    """
    u = np.asarray(u, dtype=np.float64)
    if out is None:
        out = np.empty_like(u)
    np.abs(u, out=out)
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.log1p(out, out=out)
    out += np.maximum(u, 0.0)
    return out


def log_sigmoid(t: np.ndarray) -> np.ndarray:
    """log sigmoid(t) = -softplus(-t): log D for a discriminator with logit t."""
    out = softplus(np.negative(t))
    np.negative(out, out=out)
    return out


def log1m_sigmoid(t: np.ndarray) -> np.ndarray:
    """log(1 - sigmoid(t)) = -softplus(t): log(1 - D) for logit t."""
    out = softplus(t)
    np.negative(out, out=out)
    return out


def polynomial_logit(x: np.ndarray, coefficients) -> np.ndarray:
    """t(x) = c0 + c1 x + c2 x^2 + ... by Horner's scheme (coefficients lowest first)."""
    x = np.asarray(x, dtype=np.float64)
    coefficients = [float(c) for c in coefficients]
    t = np.full_like(x, coefficients[-1])
    for c in reversed(coefficients[:-1]):
        t *= x
        t += c
    return t
