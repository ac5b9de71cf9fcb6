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

Variants (for the claims of the source's answer and comments):
``composition: random`` draws each sample real with probability pi instead of
fixing n_r: same limit, larger variance by the label term
pi (1 - pi) (E_data[-log D] - E_g[-log(1 - D)])^2. ``as_typeset: true`` adds the
estimator exactly as typeset in the answer, (1/2m) sum log D(x_i) + sum log(1 - D(G(z_i))),
with 1/(2m) on the first sum only: it has no limit, it grows like m.

The generator is given either by the law p_g of G(z) (``generator: <distribution>``)
or explicitly, ``generator: {latent: <distribution of z>, map: [g0, g1, ...]}`` with
G(z) = g0 + g1 z + ...: then the fake stream draws z ~ p_z and the exact limit is
computed as E_{z ~ p_z}[log(1 - D(G(z)))] by quadrature over p_z itself.

D is a logistic discriminator, D(x) = sigmoid(c0 + c1 x + c2 x^2 + ...), or
``optimal``, D* evaluated from log-densities; every log D is formed from the
logit (``log D = -softplus(-t)``), never from a rounded probability.
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

import numpy as np

from mcloss.errors import ConfigError
from mcloss.laws.distributions import describe, log_density_ratio_polynomial, make_distribution
from mcloss.laws.streams import IIDSampler, MixtureSampler, StreamSpec
from mcloss.maths.exact import expectation, jensen_shannon
from mcloss.maths.formula import Probability
from mcloss.maths.numerics import bernoulli_nll_of_logit, log1m_sigmoid, log_sigmoid, polynomial, polynomial_logit
from mcloss.maths.tails import TermTail

from .base import Estimand, ExactCheck, Quantity, unresolved_reference, unsettled
from .formulas import Branch, Frame, Part


def _scipy_expect(f, dist) -> float:
    """E f(X) by the distribution's own expect() (NaN where it does not converge)."""
    import warnings

    import scipy.integrate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scipy.integrate.IntegrationWarning)
        value = dist.expect(lambda x: float(f(np.asarray([x]))[0]), epsabs=1e-12, epsrel=1e-12, limit=500)
    return float(value)


def _real_fraction(value, key: str) -> Fraction:
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not 0.0 < float(value) < 1.0:
        raise ConfigError(key, f"must be a number strictly between 0 and 1, got {value!r}", "0 < real_fraction < 1")
    fraction = Fraction(float(value)).limit_denominator(1000)
    if abs(float(fraction) - float(value)) > 1e-12:
        raise ConfigError(key, f"{value!r} is not a ratio of whole numbers with denominator <= 1000",
                          "a fraction such as 0.5, 0.25, 0.1 or 1/3 written as 0.333...")
    return fraction


def polynomial_coefficients(values, key: str, form: str) -> list[float]:
    """A polynomial's coefficients as floats (ConfigError naming ``key`` unless a non-empty list of finite numbers)."""
    if not isinstance(values, list) or not values:
        raise ConfigError(key, f"got {values!r}", f"a non-empty list of numbers: {form}")
    for i, c in enumerate(values):
        if not isinstance(c, numbers.Real) or isinstance(c, bool) or not math.isfinite(c):
            raise ConfigError(f"{key}[{i}]", f"must be a finite number, got {c!r}", f"finite numbers of {form}")
    return [float(c) for c in values]


class GanDiscriminator(Estimand):
    """Batch BCE of a fixed discriminator on real and generated samples."""

    name = "gan_discriminator"

    def __init__(self, spec, key):
        super().__init__(spec, key)
        self.data = make_distribution(spec.get("data"), f"{key}.data")
        generator = spec.get("generator")
        if isinstance(generator, dict) and "latent" in generator:
            # G given explicitly: z ~ p_z (the latent), G(z) a polynomial map of z.
            if set(generator) != {"latent", "map"}:
                raise ConfigError(f"{key}.generator", f"got keys {sorted(generator)}",
                                  "{latent: <distribution of z>, map: [g0, g1, ...]} or a distribution")
            self.latent = make_distribution(generator["latent"], f"{key}.generator.latent")
            self.g_map = polynomial_coefficients(generator["map"], f"{key}.generator.map",
                                                 "g0 + g1 z + g2 z^2 + ...")
            self.generator = None
        else:
            self.latent, self.g_map = None, None
            self.generator = make_distribution(generator, f"{key}.generator")
        self.pi = _real_fraction(spec.get("real_fraction", 0.5), f"{key}.real_fraction")
        self.composition = spec.get("composition", "fixed")
        if self.composition not in ("fixed", "random"):
            raise ConfigError(f"{key}.composition", f"got {self.composition!r}", "fixed, random")
        self.as_typeset = spec.get("as_typeset", False)
        if not isinstance(self.as_typeset, bool):
            raise ConfigError(f"{key}.as_typeset", f"got {self.as_typeset!r}", "true, false")
        disc = spec.get("discriminator", "optimal")
        self.optimal_logit = None
        if disc == "optimal":
            self.coefficients = None
        elif isinstance(disc, dict) and set(disc) == {"logit"}:
            self.coefficients = polynomial_coefficients(disc["logit"], f"{key}.discriminator.logit",
                                                        "c0 + c1 x + c2 x^2 + ...")
        else:
            raise ConfigError(f"{key}.discriminator", f"got {disc!r}", "'optimal' or {logit: [c0, c1, ...]}")
        if self.latent is not None and (self.coefficients is None or self.composition == "random"):
            # D* and the mixture sampler need the density / a sampler of G(z) itself.
            raise ConfigError(f"{key}.generator", "an explicit {latent, map} generator needs a logistic "
                              "discriminator and fixed composition",
                              "a distribution of G(z) for discriminator: optimal or composition: random")
        if self.coefficients is None:
            # logit D*(x) = log p_data(x) - log p_g(x): a polynomial where the laws allow it
            # (normal/normal: a quadratic), else two logpdf calls per sample.
            self.optimal_logit = log_density_ratio_polynomial(self.data, self.generator)

    # --- streams and terms ------------------------------------------------------
    @property
    def streams(self):
        if self.composition == "random":
            return (StreamSpec("mixed", MixtureSampler(float(self.pi), self.data, self.generator)),)
        return (StreamSpec("real", IIDSampler(self.data)), StreamSpec("fake", IIDSampler(self.fake_law)))

    @property
    def fake_law(self):
        """What the fake stream draws: z ~ p_z for an explicit G, else G(z) ~ p_g directly."""
        return self.latent if self.latent is not None else self.generator

    def fake_log_1md(self, z: np.ndarray) -> np.ndarray:
        """log(1 - D(G(z))) of a fake stream draw (G the identity when the stream draws G(z))."""
        return self.log_1md(z if self.g_map is None else polynomial_logit(z, self.g_map))

    @property
    def batch_unit(self) -> int:
        return self.pi.denominator if self.composition == "fixed" else 1

    def stream_counts(self, n):
        n = np.asarray(n, dtype=np.int64)
        if self.composition == "random":
            return {"mixed": n}
        real = n * self.pi.numerator // self.pi.denominator
        return {"real": real, "fake": n - real}

    @property
    def logit_coefficients(self) -> list[float] | None:
        """Coefficients of logit D(x) as a polynomial in x (None: D* from log-densities)."""
        return self.coefficients if self.coefficients is not None else self.optimal_logit

    def log_d(self, x: np.ndarray) -> np.ndarray:
        """log D(x)."""
        coefficients = self.logit_coefficients
        if coefficients is None:
            lp, lg = self.data.logpdf(x), self.generator.logpdf(x)
            return lp - np.logaddexp(lp, lg)
        t = polynomial_logit(x, coefficients)
        return log_sigmoid(t, out=t)  # in place: the hot path allocates one array per chunk

    def log_1md(self, x: np.ndarray) -> np.ndarray:
        """log(1 - D(x))."""
        coefficients = self.logit_coefficients
        if coefficients is None:
            lp, lg = self.data.logpdf(x), self.generator.logpdf(x)
            return lg - np.logaddexp(lp, lg)
        t = polynomial_logit(x, coefficients)
        return log1m_sigmoid(t, out=t)

    def terms(self, stream, sample):
        if stream == "real":
            return {"log_d_real": self.log_d(sample)}
        if stream == "fake":
            return {"log_1md_fake": self.fake_log_1md(sample)}
        label, value = sample
        coefficients = self.logit_coefficients
        if coefficients is None:
            return {"loss": -np.where(label == 1.0, self.log_d(value), self.log_1md(value)), "label": label}
        t = polynomial_logit(value, coefficients)
        return {"loss": bernoulli_nll_of_logit(t, label == 1.0, out=t), "label": label}

    # --- quantities -------------------------------------------------------------
    @property
    def quantities(self):
        bce = Quantity("bce", r"batch BCE $-\frac{1}{n}[\sum\log D(x_i)+\sum\log(1-D(G(z_j)))]$",
                       "the discriminator's batch binary cross-entropy")
        if self.composition == "random":
            return (bce, Quantity("real_share", r"$n_r/n$", "share of real samples in the batch (random labels)",
                                   unit="fraction"))
        found = [
            bce,
            Quantity("e_real", r"$\frac{1}{n_r}\sum\log D(x_i)$", "mean of log D over the real samples"),
            Quantity("e_fake", r"$\frac{1}{n_f}\sum\log(1-D(G(z_j)))$", "mean of log(1-D) over the fake samples"),
            Quantity("value", r"$V_n=\overline{\log D(x)}+\overline{\log(1-D(G(z)))}$",
                     "V(D,G): the sum of the two batch means"),
        ]
        if self.as_typeset:
            found.append(Quantity("as_typeset", r"$\frac{1}{2m}\sum\log D(x_i)+\sum\log(1-D(G(z_i)))$",
                                  "the answer's estimator, 1/(2m) on the first sum only"))
        return tuple(found)

    def estimates(self, n, stats):
        n = n.astype(np.float64)
        if self.composition == "random":
            loss, label = stats["loss"], stats["label"]
            return {"bce": (loss.mean, np.sqrt(loss.var / loss.count)),
                    "real_share": (label.mean, np.sqrt(label.var / label.count))}
        real, fake = stats["log_d_real"], stats["log_1md_fake"]
        bce = -(real.total + fake.total) / n
        bce_se = np.sqrt(real.count * real.var + fake.count * fake.var) / n
        e_real_se = np.sqrt(real.var / real.count)
        e_fake_se = np.sqrt(fake.var / fake.count)
        found = {
            "bce": (bce, bce_se),
            "e_real": (real.mean, e_real_se),
            "e_fake": (fake.mean, e_fake_se),
            "value": (real.mean + fake.mean, np.hypot(e_real_se, e_fake_se)),
        }
        if self.as_typeset:
            found["as_typeset"] = (real.total / n + fake.total,
                                   np.sqrt(real.count * real.var / n**2 + fake.count * fake.var))
        return found

    # --- exact limits -----------------------------------------------------------
    def _resting_on(self, side: str) -> tuple[str, ...]:
        """The quantities whose exact value and lim n Var rest on the real or the fake side's moments."""
        if self.composition == "random":
            return ("bce",)
        return ("bce", f"e_{side}", "value")

    def _means(self) -> tuple[float, float]:
        """E_data[log D(X)] and E_{p_z}[log(1-D(G(Z)))], by quadrature (cached).

        Each is settled on its own: a quadrature that does not converge makes its side NaN
        (`Estimand.settle`), not the other.
        """
        if not hasattr(self, "_cached_means"):
            self._cached_means = (
                self.settle("exact value (E_data[log D(X)])", self._resting_on("real"),
                            lambda: expectation(self.log_d, self.data)),
                self.settle("exact value (E_{p_z}[log(1-D(G(Z)))])", self._resting_on("fake"),
                            lambda: expectation(self.fake_log_1md, self.fake_law)))
        return self._cached_means

    def _moments(self) -> tuple[float, float, float, float]:
        """The two means and the variances of the two terms (cached).

        The variances integrate the centred square (not E f^2 - (E f)^2, which cancels
        when the variance is small against the mean, e.g. near D* = 1/2). Each is settled
        on its own, as the means are.
        """
        if not hasattr(self, "_cached_moments"):
            e_real, e_fake = self._means()
            nan = float("nan")
            var_real = (self.settle("lim n Var (Var_data log D(X))", self._resting_on("real"),
                                    lambda: expectation(lambda x: (self.log_d(x) - e_real) ** 2, self.data))
                        if e_real == e_real else nan)
            var_fake = (self.settle("lim n Var (Var_{p_z} log(1-D(G(Z))))", self._resting_on("fake"),
                                    lambda: expectation(lambda z: (self.fake_log_1md(z) - e_fake) ** 2,
                                                        self.fake_law))
                        if e_fake == e_fake else nan)
            self._cached_moments = (e_real, e_fake, var_real, var_fake)
        return self._cached_moments

    def exact(self):
        pi = float(self.pi)
        e_real, e_fake = self._means()
        bce = -(pi * e_real + (1 - pi) * e_fake)
        if self.composition == "random":
            return {"bce": bce, "real_share": pi}
        found = {"bce": bce, "e_real": e_real, "e_fake": e_fake, "value": e_real + e_fake}
        if self.as_typeset:
            # (1/n) sum log D + sum log(1 - D): the second sum is ~ n_f E_g[log(1-D)], unbounded in n.
            found["as_typeset"] = float("nan")
        return found

    def asymptotic_variance(self):
        """lim n Var: pi v_r + (1-pi) v_f for the BCE; random composition adds the label term
        pi (1 - pi) (E_data[log D] - E_g[log(1-D)])^2 (law of total variance)."""
        pi = float(self.pi)
        e_real, e_fake, v_real, v_fake = self._moments()
        bce = pi * v_real + (1 - pi) * v_fake
        if self.composition == "random":
            return {"bce": bce + pi * (1 - pi) * (e_real - e_fake) ** 2, "real_share": pi * (1 - pi)}
        found = {"bce": bce, "e_real": v_real / pi, "e_fake": v_fake / (1 - pi),
                 "value": v_real / pi + v_fake / (1 - pi)}
        if self.as_typeset:
            found["as_typeset"] = float("nan")
        return found

    # --- tails ------------------------------------------------------------------
    def _logit_growth(self, fake: bool) -> tuple[float, float, float, float]:
        """Degrees of |log D| (left, right) and of |log(1 - D)| (left, right) in the stream's variable.

        log D = -softplus(-t) grows like |t| where t -> -inf and vanishes where t -> +inf; log(1 - D)
        the other way round. t = c0 + c1 x + ... (composed with G for an explicit generator).
        """
        poly = np.polynomial.Polynomial(self.coefficients)
        if fake and self.g_map is not None:
            poly = poly(np.polynomial.Polynomial(self.g_map))
        coef = np.trim_zeros(np.asarray(poly.coef, dtype=float), "b")
        k = coef.size - 1
        if k <= 0:
            return 0.0, 0.0, 0.0, 0.0
        right = np.sign(coef[-1])
        left = right * (-1) ** k
        return (float(k) if left < 0 else 0.0, float(k) if right < 0 else 0.0,
                float(k) if left > 0 else 0.0, float(k) if right > 0 else 0.0)

    def term_tails(self):
        if self.coefficients is None:
            # log D* = log p_data - log(p_data + p_g): its growth depends on the pair of laws.
            real = TermTail(self.data, None, None, self.log_d)
            fake = TermTail(self.generator, None, None, self.log_1md)
        else:
            d_left, d_right, _, _ = self._logit_growth(fake=False)
            _, _, f_left, f_right = self._logit_growth(fake=True)
            real = TermTail(self.data, d_left, d_right, self.log_d)
            fake = TermTail(self.fake_law, f_left, f_right, self.fake_log_1md)
        if self.composition == "random":
            return {"bce": (real, fake), "real_share": (TermTail.bounded(),)}
        return {"bce": (real, fake), "e_real": (real,), "e_fake": (fake,), "value": (real, fake)}

    def limit_notes(self):
        if not self.as_typeset:
            return {}
        return {"as_typeset": ("no limit", "the second sum is not divided by m: it grows like m E_g[log(1-D)]")}

    def exact_checks(self):
        if self.composition == "random":
            return []
        e_real, e_fake = self._means()
        checks = [
            # scipy's own expect() (one quad over the support) as an independent route.
            ExactCheck("e_real_scipy_expect", e_real, _scipy_expect(self.log_d, self.data), 1e-7,
                       "E_data[log D(X)] by scipy.stats' expect()", quantities=("bce", "e_real", "value")),
            ExactCheck("e_fake_scipy_expect", e_fake, _scipy_expect(self.fake_log_1md, self.fake_law), 1e-7,
                       "E_{p_z}[log(1 - D(G(Z)))] by scipy.stats' expect()", quantities=("bce", "e_fake", "value")),
        ]
        if self.latent is not None and len(self.g_map) == 2 and self.g_map[1] > 0:
            # An increasing affine G pushes p_z forward to the same family, shifted and scaled:
            # E_{p_z}[f(G(Z))] = E_{p_g}[f(X)] (change of variables), computed over p_g.
            g0, g1 = self.g_map
            pushed = self.latent.dist(*self.latent.args, **{**self.latent.kwds,
                                                             "loc": g0 + g1 * self.latent.kwds.get("loc", 0.0),
                                                             "scale": g1 * self.latent.kwds.get("scale", 1.0)})
            reference, why = unsettled(lambda: expectation(self.log_1md, pushed))
            checks.append(ExactCheck("e_fake_over_p_g", e_fake, reference, 1e-9, unresolved_reference(
                "E over p_z of log(1-D(G(z))) = E over p_g = G#p_z of log(1-D(x))", why),
                quantities=("bce", "e_fake", "value")))
        if self.coefficients is None:
            jsd, why = unsettled(lambda: jensen_shannon(self.data, self.generator))
            checks.append(ExactCheck("value_at_optimal_D", e_real + e_fake, -math.log(4.0) + 2.0 * jsd, 1e-7,
                                     unresolved_reference("V(D*, G) = -log 4 + 2 JSD(p_data || p_g) (Goodfellow "
                                                          "et al. 2014, Thm 1)", why),
                                     # e_real and e_fake have checks of their own; this one vouches for their sum.
                                     quantities=("value",)))
        # A value that is NaN (no limit, or unresolved: `unresolved` says why) has nothing to check.
        return [c for c in checks if math.isfinite(c.value)]

    def logit(self, x: np.ndarray) -> np.ndarray:
        """logit D(x): the polynomial, or log p_data(x) - log p_g(x) for D*."""
        coefficients = self.logit_coefficients
        if coefficients is None:
            return self.data.logpdf(x) - self.generator.logpdf(x)
        return polynomial_logit(x, coefficients)

    def formula_frame(self) -> Frame:
        """Formula variables d = D(x), its logit t, x; a loss is {real: f_r, fake: f_f}, pooled with pi, 1 - pi.

        E L = pi E_data f_r(X) + (1 - pi) E_{p_z} f_f(G(Z)).
        """
        def env(x):
            return {"x": x, "t": self.logit(x)}

        def fake_env(z):
            return env(z if self.g_map is None else polynomial_logit(z, self.g_map))

        pi = float(self.pi)
        if self.composition == "random":
            parts = {"real": Part("mixed", env, (self.data,), (Branch(1.0, env),)),
                     "fake": Part("mixed", env, (self.generator,), (Branch(1.0, env),))}
            mixed = "mixed"
        else:
            parts = {"real": Part("real", env, (self.data,), (Branch(1.0, env),)),
                     "fake": Part("fake", fake_env, (self.fake_law,), (Branch(1.0, fake_env),))}
            mixed = None
        return Frame(("d", "t", "x"), parts, {"d": Probability(logit="t")}, {"real": pi, "fake": 1.0 - pi},
                     mixed_stream=mixed)

    def describe(self):
        disc = "D = D* (optimal)" if self.coefficients is None else (
            "logit(D) = " + polynomial(self.coefficients, "x"))
        if self.latent is not None:
            gen = f"G(z) = {polynomial(self.g_map, 'z')}, z ~ {describe(self.spec['generator']['latent'])}"
        else:
            gen = f"p_g = {describe(self.spec['generator'])}"
        return (f"p_data = {describe(self.spec['data'])}, {gen}, "
                f"{disc}, real fraction {float(self.pi):g}"
                + (" (random composition)" if self.composition == "random" else ""))
