"""The GAN discriminator's binary cross-entropy (first source text).

A batch of size n holds n_r = pi n real samples x ~ p_data and n_f = n - n_r
fake samples G(z) ~ p_g (fixed composition, as in the source's m + m batches).
With labels 1 for real and 0 for fake, the batch BCE is

    BCE_n = -(1/n) [ sum_i log D(x_i) + sum_j log(1 - D(G(z_j))) ]

and by the law of large numbers, applied to each sum separately,

    BCE_n -> -( pi E_{p_data}[log D(X)] + (1 - pi) E_{p_z}[log(1 - D(G(Z)))] ),

the expectation over the fake samples being over p_z itself (equivalently over
p_g, the law of G(Z)). The minimax value V(D, G) = E_data[log D] + E_g[log(1-D)]
(Goodfellow et al. 2014, eq. 1) is -2 BCE at pi = 1/2; at the optimal
discriminator D* = p_data / (p_data + p_g) it equals -log 4 + 2 JSD(p_data || p_g)
(ibid., Theorem 1).

D is a logistic discriminator, D(x) = sigmoid(c0 + c1 x + c2 x^2 + ...), or
``optimal``, D* evaluated from log-densities; every log D is formed from the
logit (``log D = -softplus(-t)``), never from a rounded probability.
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

import numpy as np

from ..distributions import describe, make_distribution
from ..errors import ConfigError
from ..exact import expectation, has_finite_moment, jensen_shannon
from ..numerics import log1m_sigmoid, log_sigmoid, polynomial_logit
from ..streams import IIDSampler, StreamSpec
from .base import Estimand, ExactCheck, Quantity, TermStats


def _real_fraction(value, key: str) -> Fraction:
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not 0.0 < float(value) < 1.0:
        raise ConfigError(key, f"must be a number strictly between 0 and 1, got {value!r}", "0 < real_fraction < 1")
    fraction = Fraction(float(value)).limit_denominator(1000)
    if abs(float(fraction) - float(value)) > 1e-12:
        raise ConfigError(key, f"{value!r} is not a ratio of whole numbers with denominator <= 1000",
                          "a fraction such as 0.5, 0.25, 0.1 or 1/3 written as 0.333...")
    return fraction


class GanDiscriminator(Estimand):
    """Batch BCE of a fixed discriminator on real and generated samples."""

    name = "gan_discriminator"

    def __init__(self, spec, key):
        super().__init__(spec, key)
        self.data = make_distribution(spec.get("data"), f"{key}.data")
        self.generator = make_distribution(spec.get("generator"), f"{key}.generator")
        self.pi = _real_fraction(spec.get("real_fraction", 0.5), f"{key}.real_fraction")
        disc = spec.get("discriminator", "optimal")
        if disc == "optimal":
            self.coefficients = None
        elif isinstance(disc, dict) and set(disc) == {"logit"} and isinstance(disc["logit"], list) and disc["logit"]:
            for i, c in enumerate(disc["logit"]):
                if not isinstance(c, numbers.Real) or isinstance(c, bool) or not math.isfinite(c):
                    raise ConfigError(f"{key}.discriminator.logit[{i}]", f"must be a finite number, got {c!r}",
                                      "finite numbers c0, c1, ... of the logit c0 + c1 x + c2 x^2 + ...")
            self.coefficients = [float(c) for c in disc["logit"]]
        else:
            raise ConfigError(f"{key}.discriminator", f"got {disc!r}", "'optimal' or {logit: [c0, c1, ...]}")

    # --- streams and terms ------------------------------------------------------
    @property
    def streams(self):
        return (StreamSpec("real", IIDSampler(self.data)), StreamSpec("fake", IIDSampler(self.generator)))

    @property
    def batch_unit(self) -> int:
        return self.pi.denominator

    def stream_counts(self, n):
        n = np.asarray(n, dtype=np.int64)
        real = n * self.pi.numerator // self.pi.denominator
        return {"real": real, "fake": n - real}

    def log_d(self, x: np.ndarray) -> np.ndarray:
        """log D(x)."""
        if self.coefficients is None:
            lp, lg = self.data.logpdf(x), self.generator.logpdf(x)
            return lp - np.logaddexp(lp, lg)
        return log_sigmoid(polynomial_logit(x, self.coefficients))

    def log_1md(self, x: np.ndarray) -> np.ndarray:
        """log(1 - D(x))."""
        if self.coefficients is None:
            lp, lg = self.data.logpdf(x), self.generator.logpdf(x)
            return lg - np.logaddexp(lp, lg)
        return log1m_sigmoid(polynomial_logit(x, self.coefficients))

    def terms(self, stream, sample):
        if stream == "real":
            return {"log_d_real": self.log_d(sample)}
        return {"log_1md_fake": self.log_1md(sample)}

    # --- quantities -------------------------------------------------------------
    @property
    def quantities(self):
        return (
            Quantity("bce", r"batch BCE $-\frac{1}{n}[\sum\log D(x_i)+\sum\log(1-D(G(z_j)))]$",
                     "the discriminator's batch binary cross-entropy"),
            Quantity("e_real", r"$\frac{1}{n_r}\sum\log D(x_i)$", "mean of log D over the real samples"),
            Quantity("e_fake", r"$\frac{1}{n_f}\sum\log(1-D(G(z_j)))$", "mean of log(1-D) over the fake samples"),
            Quantity("value", r"$V_n=\overline{\log D(x)}+\overline{\log(1-D(G(z)))}$",
                     "V(D,G): the sum of the two batch means"),
        )

    def estimates(self, n, stats):
        real, fake = stats["log_d_real"], stats["log_1md_fake"]
        n = n.astype(np.float64)
        bce = -(real.total + fake.total) / n
        bce_se = np.sqrt(real.count * real.var + fake.count * fake.var) / n
        e_real_se = np.sqrt(real.var / real.count)
        e_fake_se = np.sqrt(fake.var / fake.count)
        return {
            "bce": (bce, bce_se),
            "e_real": (real.mean, e_real_se),
            "e_fake": (fake.mean, e_fake_se),
            "value": (real.mean + fake.mean, np.hypot(e_real_se, e_fake_se)),
        }

    # --- exact limits -----------------------------------------------------------
    def _finite_expectations(self) -> bool:
        if self.coefficients is None:
            return True
        # |log sigmoid(t)| <= |t| + log 2 and t is a polynomial of degree d, so the
        # terms are integrable iff E|X|^d is (one-sided tails aside; quadrature decides).
        degree = len(self.coefficients) - 1
        while degree > 0 and self.coefficients[degree] == 0.0:
            degree -= 1
        return has_finite_moment(self.data, degree) and has_finite_moment(self.generator, degree)

    def exact(self):
        pi = float(self.pi)
        e_real = expectation(self.log_d, self.data)
        e_fake = expectation(self.log_1md, self.generator)
        return {
            "bce": -(pi * e_real + (1 - pi) * e_fake),
            "e_real": e_real,
            "e_fake": e_fake,
            "value": e_real + e_fake,
        }

    def exact_checks(self):
        if self.coefficients is not None:
            return []
        value = self.exact()["value"]
        jsd = jensen_shannon(self.data, self.generator)
        return [
            ExactCheck("value_at_optimal_D", value, -math.log(4.0) + 2.0 * jsd, 1e-7,
                       "V(D*, G) = -log 4 + 2 JSD(p_data || p_g) (Goodfellow et al. 2014, Thm 1)"),
        ]

    def describe(self):
        disc = "D = D* (optimal)" if self.coefficients is None else (
            "logit(D) = " + " + ".join(f"{c:g}" + ("" if i == 0 else (" x" if i == 1 else f" x^{i}"))
                                      for i, c in enumerate(self.coefficients)))
        return (f"p_data = {describe(self.spec['data'])}, p_g = {describe(self.spec['generator'])}, "
                f"{disc}, real fraction {float(self.pi):g}")
