"""Models trained on the batch: the loss of theta_hat_n = argmin_theta L_n(theta), against first-order theory.

A scenario with a ``fit`` block minimises the batch loss L_n(theta) = (1/n) sum_i l(theta; z_i) over
a polynomial model family at every batch size n (the first n samples of one path, as for a fixed
model), instead of scoring a model fixed in advance. With the population risk R(theta) = E l(theta; Z),
its minimiser theta*, R* = R(theta*), J = E[Hessian of l] and K = Cov[gradient of l] at theta*
(White 1982, Econometrica 50:1; Takeuchi 1976):

    sqrt(n) (theta_hat - theta*) -> N(0, J^-1 K J^-1)                   (the sandwich)
    E R(theta_hat_n)   = R* + tr(J^-1 K) / (2n) + o(1/n)                 (test risk, from above)
    E L_n(theta_hat_n) = R* - tr(J^-1 K) / (2n) + o(1/n)                 (training loss, from below)

so the optimism R(theta_hat) - L_n(theta_hat) has mean tr(J^-1 K) / n, and when the model is well
specified (the family holds the truth, and l is its negative log-likelihood) J = K and
tr(J^-1 K) = p, the number of parameters (Akaike's penalty). The model-based (inverse-Hessian)
Wald interval of a coefficient then covers with probability 2 Phi(1.96 sqrt(v_model / v_sandwich)) - 1
in the limit, v_model = (J^-1)_jj and v_sandwich = (J^-1 K J^-1)_jj: nominal only when they agree.

A batch is pooled from strata (one stream of pairs; the GAN's real and fake streams at fixed counts
n_s = pi_s n), so K is the stratified covariance sum_s pi_s Cov_s(gradient): for the GAN a fixed
composition removes the label's share of the gradient's variance, and tr(J^-1 K) < p even when
the logit family holds log p_data / p_g.

The theory's constants are computed here (`theory`), with a fixed quantile rule
(mcloss.maths.quantile_rule) so that the test risk of every fitted model of a run is one array
operation, and checked against adaptive quadrature (`exact_checks`). The fits themselves are not prefix
means and run in a path of their own (mcloss.simulate.fitting); this class's `terms` and `estimates`
are the first-order (linearised) picture at theta*, what the data's tail check reads
(mcloss.evidence.tail_index): the loss and the gradient of l at theta*, per stratum.
"""

from __future__ import annotations

import abc
import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from mcloss.errors import ConfigError
from mcloss.maths.newton import minimise
from mcloss.maths.quantile_rule import QuantileRule, quantile_rule
from mcloss.maths.tails import TermTail

from .base import Estimand, ExactCheck, Quantity

#: Relative tolerance of the exact checks (fixed quantile rule against adaptive tanh-sinh quadrature).
CHECK_TOLERANCE = 1e-9
#: The 0.975 quantile of N(0, 1): the half-width of a 95% Wald interval in standard errors.
Z95 = statistics.NormalDist().inv_cdf(0.975)


def fit_degree(spec: Mapping[str, Any], key: str) -> int:
    """The polynomial degree d of a ``fit: {degree: d}`` block (ConfigError naming ``key.fit`` otherwise)."""
    fit = spec.get("fit")
    if not isinstance(fit, Mapping) or set(fit) != {"degree"}:
        raise ConfigError(f"{key}.fit", f"got {fit!r}", "{degree: d} with d an integer in 0..6")
    d = fit["degree"]
    if isinstance(d, float) and d.is_integer():
        d = int(d)
    if isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6:
        raise ConfigError(f"{key}.fit.degree", f"got {d!r}", "an integer in 0..6")
    if "model" in spec or "discriminator" in spec:
        raise ConfigError(f"{key}.fit", "a fitted scenario has no fixed model: `fit` replaces `model` "
                          "(`discriminator` for the GAN)", "remove `model`/`discriminator`, or remove `fit`")
    if spec.get("sampling", "iid") != "iid":
        raise ConfigError(f"{key}.sampling", f"a fitted model is trained on i.i.d. batches, got "
                          f"{spec.get('sampling')!r}", "iid (or no `sampling` key)")
    return d


def powers(x: np.ndarray, top: int) -> np.ndarray:
    """The rows x^0, x^1, ..., x^top (shape (top + 1, len(x))): every moment a polynomial fit needs."""
    out = np.empty((top + 1, x.shape[0]))
    out[0] = 1.0
    for k in range(1, top + 1):
        np.multiply(out[k - 1], x, out=out[k])
    return out


def weighted_sums(rows: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """sum_i weight_i rows[k, i] for every k: pairwise sums along each row (no BLAS: the same bits in any job)."""
    return np.add.reduce(rows * weight, axis=1)


def curvature_ratio(hessian: np.ndarray, design: np.ndarray) -> float:
    """min over directions v of v'Hv / v'Dv: the fitted loss's curvature relative to the design's (0: singular)."""
    try:
        return float(np.linalg.eigvals(np.linalg.solve(design, hessian)).real.min())
    except np.linalg.LinAlgError:
        return 0.0


def hankel(moments: np.ndarray, p: int) -> np.ndarray:
    """The p x p matrix M_ab = moments[a + b] (sum w x^(a+b): the Hessian of a polynomial model)."""
    index = np.add.outer(np.arange(p), np.arange(p))
    return moments[..., index]


@dataclass(frozen=True)
class Stratum:
    """One stream of a fitted batch: its name, its share pi_s of the batch and the rule for its law."""

    stream: str
    share: float
    rule: QuantileRule


class Family(abc.ABC):
    """A loss minimised over theta: batch and population (value, gradient, Hessian), the gradient's
    covariance K, and the population risk of many thetas at once."""

    #: Names of the fitted coefficients, the order of theta.
    names: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.names)

    # --- the batch side (mcloss.simulate.fitting) ------------------------------------------
    @abc.abstractmethod
    def prepare(self, samples: Mapping[str, Any]) -> Any:
        """Whatever the batch sums need from each stream's drawn samples (e.g. powers of x)."""

    @abc.abstractmethod
    def batch(self, theta: np.ndarray, data: Any, counts: Mapping[str, int]) -> tuple[float, np.ndarray, np.ndarray]:
        """L_n, its gradient and Hessian at theta over the first counts[s] samples of each stream."""

    @abc.abstractmethod
    def batch_spread(self, theta: np.ndarray, data: Any, counts: Mapping[str, int]) -> tuple[np.ndarray, float]:
        """K_hat (stratified covariance of the per-sample gradients) and sum_s n_s Var_s(l) at theta."""

    @abc.abstractmethod
    def losses(self, theta: np.ndarray, data: Any) -> np.ndarray:
        """The per-sample losses at theta of the whole drawn path: L_n(theta) is the mean of the first n."""

    def separated(self, hessian: np.ndarray, data: Any, counts: Mapping[str, int]) -> bool:
        """Whether a converged minimiser is only the end of a ray (a separated batch); never, unless overridden."""
        return False

    def warm_start(self, data: Any, counts: Mapping[str, int], previous: np.ndarray) -> np.ndarray:
        """Where Newton starts at this batch size (the previous batch size's minimiser unless overridden)."""
        return previous

    # --- the population side (this module) ------------------------------------------------
    @abc.abstractmethod
    def population(self, theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """R(theta), its gradient and Hessian, by the quantile rules."""

    def population_start(self) -> np.ndarray:
        """Where Newton starts on the population risk (0 unless overridden)."""
        return np.zeros(self.size)

    @abc.abstractmethod
    def population_spread(self, theta: np.ndarray) -> tuple[np.ndarray, float]:
        """K = sum_s pi_s Cov_s(gradient of l) and sum_s pi_s Var_s(l) at theta."""

    @abc.abstractmethod
    def risk(self, thetas: np.ndarray) -> np.ndarray:
        """R(theta) for every row of ``thetas`` (shape (M, p)), vectorised over the rows."""

    @abc.abstractmethod
    def adaptive(self, theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """R, gradient, J and K at theta by adaptive quadrature: the independent route of the checks."""

    #: lim n Var of a batch mean of the per-sample terms over their i.i.d. variance (1: independent samples).
    dependence: float = 1.0

    def well_specified(self) -> bool:
        """Whether the family holds the truth and l is its negative log-likelihood (then J = K)."""
        return False

    # --- the first-order picture (tails) --------------------------------------------------
    @abc.abstractmethod
    def terms(self, stream: str, sample: Any, theta: np.ndarray) -> dict[str, np.ndarray]:
        """Per-sample loss and gradient components of one stream at theta (names loss_<s>, score_<s>_<j>)."""

    @abc.abstractmethod
    def growth(self) -> dict[str, tuple[TermTail, ...]]:
        """The tails of the loss (key "loss") and of the gradient (key "score") at theta*."""

    @property
    @abc.abstractmethod
    def strata(self) -> tuple[Stratum, ...]:
        """The streams a batch pools, with their shares."""


class FittedModel(Estimand):
    """A scenario whose model is trained on each batch; subclasses set ``family`` and the streams."""

    fitted = True
    family: Family

    # --- the theory -------------------------------------------------------------------
    @cached_property
    def theory(self) -> dict[str, Any]:
        """theta*, R*, J, K and the first-order constants (a dict of plain floats and lists, for JSON)."""
        found = minimise(self.family.population, self.family.population_start(), tolerance=1e-28, max_steps=200)
        if not found.found:
            raise ConfigError(f"{self.key}.fit", f"the population risk has no finite minimiser ({found.why})",
                              "a model family whose risk has a unique minimum under p(x) (a lower degree)")
        theta, jmat = found.theta, found.hessian
        if np.linalg.cond(jmat) > 1e12:
            raise ConfigError(f"{self.key}.fit.degree", f"J = E[Hessian] is singular under p(x) "
                              f"(condition number {np.linalg.cond(jmat):.3g})", "a lower degree")
        kmat, loss_var = self.family.population_spread(theta)
        # Dependent samples: n Var of a batch mean is the long-run variance, `dependence` x the i.i.d. one.
        factor = self.family.dependence
        j_inv = np.linalg.inv(jmat)
        iid_sandwich = j_inv @ kmat @ j_inv
        true = factor * iid_sandwich
        v_true = np.diag(true)

        def coverage(v):
            return [float(2 * _phi(Z95 * math.sqrt(a / b)) - 1) for a, b in zip(v, v_true)]

        return {"theta_star": theta.tolist(), "risk_star": float(found.value), "J": jmat.tolist(),
                "K": (factor * kmat).tolist(), "trace": float(factor * np.trace(np.linalg.solve(jmat, kmat))),
                "dependence": factor, "v_model": np.diag(j_inv).tolist(), "v_sandwich": np.diag(iid_sandwich).tolist(),
                "v_true": v_true.tolist(), "loss_var": float(factor * loss_var), "parameters": self.family.size,
                "well_specified": self.family.well_specified(), "names": list(self.family.names),
                "coverage_asymptotic": {"model": coverage(np.diag(j_inv)),
                                                         "sandwich": coverage(np.diag(iid_sandwich))}}

    def check_theory(self) -> None:
        """Compute the theory now, so that a family with no minimiser or a singular J stops the run before any
        job (one config error naming the key), not inside one."""
        _ = self.theory

    def theta_star(self) -> np.ndarray:
        return np.asarray(self.theory["theta_star"])

    # --- the estimand interface (streams, stream_counts and describe: from the fixed-model scenario) --------
    fixed: Estimand

    @property
    def streams(self):
        return self.fixed.streams

    @property
    def batch_unit(self):
        return self.fixed.batch_unit

    def stream_counts(self, n):
        return self.fixed.stream_counts(n)

    def terms(self, stream, sample):
        return self.family.terms(stream, sample, self.theta_star())

    @property
    def base_quantities(self) -> tuple[Quantity, ...]:
        coefficients = tuple(Quantity(name, rf"$\hat\theta_{{{name}}}$", f"fitted coefficient {name} -> theta*",
                                      unit="coefficient") for name in self.family.names)
        return (
            Quantity("train_loss", r"$L_n(\hat\theta_n)$", "training loss of the model fitted to the batch -> R* "
                     "from below"),
            Quantity("test_risk", r"$R(\hat\theta_n)$", "population risk of the fitted model (exact, by quadrature) "
                     "-> R* from above"),
            Quantity("excess_risk", r"$R(\hat\theta_n)-R^*$", "excess risk -> 0 like tr(J^-1 K)/(2n)"),
            Quantity("optimism", r"$R(\hat\theta_n)-L_n(\hat\theta_n)$", "test risk minus training loss: mean "
                     "tr(J^-1 K)/n"),
            Quantity("train_gap", r"$L_n(\theta^*)-L_n(\hat\theta_n)$", "the fit's in-sample gain over theta*: "
                     "mean tr(J^-1 K)/(2n)"),
            *coefficients)

    @property
    def quantities(self):
        return self.base_quantities

    def exact(self):
        theory = self.theory
        found = {"train_loss": theory["risk_star"], "test_risk": theory["risk_star"], "excess_risk": 0.0,
                 "optimism": 0.0, "train_gap": 0.0}
        found.update(zip(self.family.names, theory["theta_star"]))
        return found

    def bias_per_n(self):
        half = self.theory["trace"] / 2.0
        return {"train_loss": -half, "test_risk": half, "excess_risk": half, "optimism": 2.0 * half,
                "train_gap": half}

    def asymptotic_variance(self):
        theory = self.theory
        # The risk of theta_hat moves by O(1/n) (a quadratic form in theta_hat - theta*): n Var -> 0; the
        # training loss and the optimism carry L_n(theta*)'s O(n^-1/2) noise.
        found = {"train_loss": theory["loss_var"], "test_risk": 0.0, "excess_risk": 0.0,
                 "optimism": theory["loss_var"], "train_gap": 0.0}
        found.update(zip(self.family.names, theory["v_true"]))
        return found

    def term_tails(self):
        growth = self.family.growth()
        return {q.name: growth["loss"] if q.name in ("train_loss", "optimism") else growth["score"]
                for q in self.quantities}

    def estimates(self, n, stats):
        """The first-order picture: theta_hat ~ theta* - J^-1 g_bar, L_n(theta_hat) ~ L_n(theta*) - g'J^-1 g / 2."""
        theory = self.theory
        j_inv = np.linalg.inv(np.asarray(theory["J"]))
        total = np.asarray(n, dtype=np.float64)
        loss = sum(stats[f"loss_{s.stream}"].total for s in self.family.strata) / total
        score = np.stack([sum(stats[f"score_{s.stream}_{j}"].total for s in self.family.strata) / total
                          for j in range(self.family.size)])
        step = -(j_inv @ score)
        half_quadratic = 0.5 * np.einsum("jk,jn,kn->n", j_inv, score, score)
        nan = np.full(total.shape, np.nan)
        risk = theory["risk_star"] + half_quadratic
        found = {"train_loss": (loss - half_quadratic, nan), "test_risk": (risk, nan),
                 "excess_risk": (half_quadratic, nan), "optimism": (risk - loss + half_quadratic, nan),
                 "train_gap": (half_quadratic, nan)}
        for j, name in enumerate(self.family.names):
            found[name] = (theory["theta_star"][j] + step[j], nan)
        return found

    def exact_checks(self):
        theory = self.theory
        theta = self.theta_star()
        risk, gradient, jmat, kmat = self.family.adaptive(theta)
        scale = max(1.0, abs(theory["risk_star"]))
        checks = [
            ExactCheck("risk_star", theory["risk_star"], risk, CHECK_TOLERANCE * scale,
                       "R* by the fixed quantile rule against adaptive tanh-sinh quadrature over the inputs",
                       ("train_loss", "test_risk")),
            ExactCheck("stationary", float(np.max(np.abs(gradient))), 0.0, 1e-9,
                       "theta* is stationary: max |E gradient of l(theta*)| by adaptive quadrature",
                       tuple(self.family.names)),
            ExactCheck("trace", theory["trace"], self.family.dependence * float(np.trace(np.linalg.solve(jmat, kmat))),
                       CHECK_TOLERANCE * max(1.0, theory["trace"]),
                       "tr(J^-1 K) by the quantile rule against J and K by adaptive quadrature",
                       ("test_risk", "excess_risk", "optimism", "train_gap", "train_loss")),
        ]
        if self.family.well_specified() and self.family.dependence == 1.0:
            checks.append(ExactCheck("trace_is_parameters", theory["trace"], float(self.family.size),
                                     CHECK_TOLERANCE * self.family.size,
                                     "well specified: J = K, so tr(J^-1 K) = the number of parameters (AIC)",
                                     ("test_risk", "excess_risk", "optimism", "train_gap", "train_loss")))
        return checks + self.extra_checks()

    def extra_checks(self) -> list[ExactCheck]:
        return []


def _phi(z: float) -> float:
    """The standard normal CDF."""
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def laws_rule(dist) -> QuantileRule:
    """The quantile rule of a frozen law (one place to set the step for every fitted family)."""
    return quantile_rule(dist)
