"""Claims about losses typed as formulas (``losses:``), beyond the source texts.

Owns `FORMULA_CLAIMS`: focal loss at gamma = 0 is the binary cross-entropy (Lin et al. 2017), and the
least-squares GAN's discriminator loss at the optimal discriminator is 1/4 - Delta/8 (Mao et al. 2017;
Delta the triangular discrimination). Each rule reads the scenario's formula quantity and its exact
value; an independent route (an identity on every batch, a QUADPACK integral of the two densities)
could contradict it.
May import: mcloss.judge.claim_rules, mcloss.judge.verdicts and the stages below judge.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from mcloss.laws.distributions import make_distribution
from mcloss.maths.exact import triangular_discrimination

from .claim_rules import PREMISE, REFUTED, Claim, Evidence, claim_row, each_scenario, fig, identity_claim, limit_row

SOURCE_BEYOND = "beyond the sources"
#: How close the exact limits of two quantities the claim equates must be (both are quadratures to 1e-11).
EXACT_TOLERANCE = 1e-9
FOCAL_RULE = ("identity(focal == bce) on every batch (refuted if any batch differs by more than its tolerance), "
              f"their exact limits equal within {EXACT_TOLERANCE:g} (refuted otherwise), and the focal loss "
              "converges (refuted elsewhere or without a limit); premise not met unless the scenario's loss `focal` "
              "uses its constant gamma, gamma is 0 and the scenario declares the identity [focal, bce]")
LSGAN_RULE = ("the loss {real: (d - 1)^2, fake: d^2} at D* with real fraction 1/2 converges (refuted elsewhere or "
              "without a limit) to its exact limit, which must equal 1/4 - Delta/8, Delta = int (p_data - p_g)^2 / "
              f"(p_data + p_g) dx by QUADPACK, within {EXACT_TOLERANCE:g} (refuted otherwise); premise not met "
              "unless the discriminator is optimal, the real fraction 1/2 with fixed composition and a loss has "
              "that form")


def _compact(text) -> str:
    return "".join(str(text).split()).replace("1.0", "1").replace("2.0", "2")


def focal_gamma_zero(ev: Evidence, s: list[str]) -> dict:
    return each_scenario(ev, s, _focal_one)


def _focal_one(ev: Evidence, name: str) -> dict:
    spec = ev.scenarios.get(name) or {}
    gamma = (spec.get("constants") or {}).get("gamma")
    text = (spec.get("losses") or {}).get("focal")
    declared = [list(pair) for pair in spec.get("identities") or []]
    pair = next((p for p in declared if sorted(p) == ["bce", "focal"]), None)
    if gamma != 0 or pair is None or not isinstance(text, str) or "gamma" not in text:
        shown = ev.row(name, "bce")
        return claim_row(shown, fig(name, "identities"), PREMISE, FOCAL_RULE,
                         f"premise not met: gamma = {gamma!r}, focal = {text!r}, identities {declared!r}")
    part = identity_claim(ev, name, pair[0], pair[1], ("focal",), FOCAL_RULE)
    focal, bce = float(ev.row(name, "focal").exact), float(ev.row(name, "bce").exact)
    gap = abs(focal - bce)
    part["detail"] += f"; exact focal {focal:.12g}, bce {bce:.12g} (gap {gap:.2g})"
    if not gap <= EXACT_TOLERANCE * max(1.0, abs(bce)):
        part.update(verdict=REFUTED, settle="")
    return part


def _least_squares_loss(spec: Mapping) -> str | None:
    for loss, sides in (spec.get("losses") or {}).items():
        if isinstance(sides, Mapping) and _compact(sides.get("real")) in ("(d-1)**2", "(1-d)**2") \
                and _compact(sides.get("fake")) == "d**2":
            return loss
    return None


def lsgan_optimal_value(ev: Evidence, s: list[str]) -> dict:
    return each_scenario(ev, s, _lsgan_one)


def _lsgan_one(ev: Evidence, name: str) -> dict:
    spec = ev.scenarios.get(name) or {}
    loss = _least_squares_loss(spec)
    fraction = float(spec.get("real_fraction", 0.5))
    if (loss is None or spec.get("discriminator", "optimal") != "optimal" or fraction != 0.5
            or spec.get("composition", "fixed") != "fixed"):
        shown = ev.row(name, "bce")
        return claim_row(shown, fig(name, "convergence"), PREMISE, LSGAN_RULE,
                         f"premise not met: discriminator {spec.get('discriminator')!r}, real fraction {fraction:g}, "
                         f"least-squares loss {loss!r}")
    row = ev.row(name, loss)
    delta = triangular_discrimination(make_distribution(spec["data"], f"scenarios.{name}.data"),
                                      make_distribution(spec["generator"], f"scenarios.{name}.generator"))
    closed = 0.25 - delta / 8.0
    exact = float(row.exact)
    detail = (f"{loss}: exact {exact:.12g} against 1/4 - Delta/8 = {closed:.12g} (Delta = {delta:.10g}); "
              f"{row.verdict}")
    part = limit_row(ev, [row], fig(name, "convergence"), LSGAN_RULE, detail)
    if not (math.isfinite(exact) and abs(exact - closed) <= EXACT_TOLERANCE):
        part.update(verdict=REFUTED, settle="")
    return part


#: The formula losses' claims, in the order of the claims table (after the fitted models').
FORMULA_CLAIMS = (
    Claim("focal-gamma-zero", SOURCE_BEYOND,
          "Focal loss -(1-q)^gamma y log q - q^gamma (1-y) log(1-q) with gamma = 0 is the binary cross-entropy "
          "(Lin et al. 2017).", focal_gamma_zero, "both", ("binary_cross_entropy",)),
    Claim("lsgan-optimal-value", SOURCE_BEYOND,
          "The least-squares GAN discriminator loss (1/2) E_data (D - 1)^2 + (1/2) E_g D^2 at D* = p_data / "
          "(p_data + p_g) is 1/4 - Delta(p_data, p_g)/8, Delta the triangular discrimination (Mao et al. 2017).",
          lsgan_optimal_value, "both", ("gan_discriminator",)),
)
