"""Loss conventions: loss families, their equilibria, and summed versus averaged D loss.

The textbook equilibrium is D(x) = D(G(z)) = 1/2. For the BCE losses that gives

* discriminator loss ``-log D(x) - log(1 - D(G(z)))`` = 2 ln 2 ≈ 1.386 when the real and fake
  terms are **summed** (pytorch/examples DCGAN: ``errD = errD_real + errD_fake``), or
  ln 2 ≈ 0.693 when they are **averaged** (PyTorch-GAN: ``(real_loss + fake_loss) / 2``);
* non-saturating generator loss ``-log D(G(z))`` = ln 2 ≈ 0.693.

LSGAN (targets 1/0, squared error, each term averaged over the batch) sits at 0.25 per term
(0.5 summed, 0.25 averaged) for D and 0.25 for G; hinge D loss sits at 2 (summed) when D
outputs 0; a WGAN critic loss estimates minus the Wasserstein distance and has no fixed
equilibrium value (it approaches 0 as the distributions meet).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from .errors import UsageError
from .findings import LossFamily

__all__ = ["LOSS_FAMILIES", "D_LOSS_REDUCTIONS", "Equilibrium", "equilibrium", "contradicting_family",
           "FamilyInference", "infer_loss_family", "ReductionInference",
           "infer_d_loss_reduction", "resolve_conventions", "LN2"]

LN2 = math.log(2.0)
#: a family is inferred from the first logged values only when its start is nearer than any
#: other family's by at least this (in loss units, after the BCE discount)
FAMILY_MARGIN = 0.15
LOSS_FAMILIES = ("bce_minimax", "bce_nonsaturating", "lsgan", "hinge", "wgan_clip", "wgan_gp")
D_LOSS_REDUCTIONS = ("summed", "mean")


@dataclass(frozen=True)
class Equilibrium:
    """Loss values at D(x) = D(G(z)) = 1/2 (or D = 0 for hinge); ``None`` where undefined."""

    d_loss: float | None
    g_loss: float | None


def equilibrium(family: str, reduction: str = "summed") -> Equilibrium:
    """The D and G loss at the textbook equilibrium for ``family`` and D-loss ``reduction``."""
    if family not in LOSS_FAMILIES:
        raise UsageError(f"loss family must be one of {', '.join(LOSS_FAMILIES)}; got {family!r}")
    if reduction not in D_LOSS_REDUCTIONS:
        raise UsageError(f"d_loss reduction must be 'summed' or 'mean'; got {reduction!r}")
    k = 2.0 if reduction == "summed" else 1.0
    if family == "bce_nonsaturating":
        return Equilibrium(k * LN2, LN2)
    if family == "bce_minimax":
        return Equilibrium(k * LN2, -LN2)  # G minimises log(1 - D(G(z)))
    if family == "lsgan":
        return Equilibrium(k * 0.25, 0.25)
    if family == "hinge":
        return Equilibrium(k * 1.0, 0.0)
    return Equilibrium(None, None)


@dataclass(frozen=True)
class ReductionInference:
    """Whether the logged D loss is summed or averaged over its real and fake terms.

    ``reduction`` is ``"summed"``, ``"mean"`` or ``None`` (could not tell); ``method`` says
    how it was decided (``user``, ``real_fake_split``, ``early_ratio``, ``unknown``) and
    ``reason`` is one sentence for the run's notes.
    """

    reduction: str | None
    method: str
    reason: str


def infer_d_loss_reduction(
    d_loss: pd.Series | None,
    g_loss: pd.Series | None = None,
    d_loss_real: pd.Series | None = None,
    d_loss_fake: pd.Series | None = None,
    *,
    stated: str | None = None,
) -> ReductionInference:
    """Decide whether ``d_loss`` sums or averages its real and fake terms.

    In order: (1) what the user stated; (2) when the real and fake parts are logged, whether
    ``d_loss`` matches their sum or their mean at common steps (median relative error below
    5%); (3) for BCE-like losses, the first points of training, where D outputs about 1/2: the
    summed loss starts near 2 ln 2 and twice the generator's loss, the averaged one near ln 2
    and level with it (the saturating minimax G loss is negative: its magnitude is compared).
    Series are indexed by step.
    """
    if stated is not None:
        if stated not in D_LOSS_REDUCTIONS:
            raise UsageError(f"d_loss_reduction must be 'summed' or 'mean'; got {stated!r}")
        return ReductionInference(stated, "user", f"D loss {stated} (stated by the user)")
    if d_loss is None or len(d_loss) == 0:
        return ReductionInference(None, "unknown", "no discriminator loss logged")
    if d_loss_real is not None and d_loss_fake is not None:
        both = pd.concat({"d": d_loss, "r": d_loss_real, "f": d_loss_fake}, axis=1,
                         join="inner").replace([np.inf, -np.inf], np.nan).dropna()
        both = both[~both.index.duplicated(keep="last")]
        if len(both) >= 3:
            total = both["r"] + both["f"]
            scale = both["d"].abs().clip(lower=1e-8)
            err_sum = float(np.median((both["d"] - total).abs() / scale))
            err_mean = float(np.median((both["d"] - total / 2).abs() / scale))
            if min(err_sum, err_mean) < 0.05:
                red = "summed" if err_sum <= err_mean else "mean"
                return ReductionInference(
                    red, "real_fake_split",
                    f"D loss {red}: it equals the {'sum' if red == 'summed' else 'mean'} of the "
                    f"real and fake parts (median relative error {min(err_sum, err_mean):.3f})")
    d = d_loss.to_numpy(dtype=float)
    d = d[np.isfinite(d)]
    if len(d) < 3:
        return ReductionInference(None, "unknown", "too few finite D loss points to tell")
    head = d[: max(3, min(20, len(d) // 20))]
    d0 = float(np.median(head))
    g0 = None
    if g_loss is not None and len(g_loss):
        g = g_loss.to_numpy(dtype=float)
        g = g[np.isfinite(g)]
        if len(g) >= 3:
            g0 = float(np.median(g[: max(3, min(20, len(g) // 20))]))
    if d0 > 0 and abs(d0 - 2 * LN2) < 0.25 and (g0 is None or 1.4 < d0 / max(abs(g0), 1e-8) < 3.0):
        return ReductionInference(
            "summed", "early_ratio",
            f"D loss looks summed: it starts at {d0:.3f}, near 2 ln 2 = 1.386"
            + (f", twice the G loss ({g0:.3f})" if g0 is not None else ""))
    if d0 > 0 and abs(d0 - LN2) < 0.2 and (g0 is None or 0.6 < d0 / max(abs(g0), 1e-8) < 1.4):
        return ReductionInference(
            "mean", "early_ratio",
            f"D loss looks averaged: it starts at {d0:.3f}, near ln 2 = 0.693"
            + (f", level with the G loss ({g0:.3f})" if g0 is not None else ""))
    return ReductionInference(
        None, "unknown",
        f"cannot tell whether the D loss is summed or averaged (it starts at {d0:.3f}); "
        "pass --d-loss-reduction summed|mean")


@dataclass(frozen=True)
class FamilyInference:
    """The loss family, how it was decided (``user``, ``tag_names``, ``values``, ``unknown``)
    and one sentence saying why."""

    family: str | None
    method: str
    reason: str


def infer_loss_family(
    d_loss: pd.Series | None,
    g_loss: pd.Series | None,
    *,
    tags: list[str] | tuple[str, ...] = (),
    stated: str | None = None,
) -> FamilyInference:
    """Infer the loss family from the user, then tag names, then the values.

    Tag names: ``critic``/``wasserstein``/``wgan`` mean WGAN (``gp``/``gradient_penalty``
    tags mean WGAN-GP, else weight clipping cannot be told apart and WGAN-GP is assumed);
    ``hinge`` and ``lsgan``/``mse`` name themselves. Values: a D loss that goes clearly
    negative is a critic (WGAN); a G loss that stays negative while D loss stays positive is
    the saturating BCE (minimax) loss, which G minimises as ``log(1 - D(G(z)))``; otherwise
    the first logged point is matched to the nearest family start (BCE at D = 1/2: 2 ln 2 or
    ln 2 with G at ln 2; LSGAN at D = 0: 0.5 or 0.25 with G at 0.5, or 0.5/1 with G at 1
    without the 1/2 factor; hinge at D = 0: 2 or 1 with G at 0), BCE preferred on near ties.
    """
    if stated is not None:
        if stated not in LOSS_FAMILIES:
            raise UsageError(f"loss family must be one of {', '.join(LOSS_FAMILIES)}; "
                             f"got {stated!r}")
        return FamilyInference(stated, "user", f"loss family {stated} (stated by the user)")
    names = " ".join(t.lower() for t in tags)
    if any(k in names for k in ("critic", "wasserstein", "wgan", "w_dist", "wdist")):
        named_gp = any(k in names for k in ("gp", "gradient_penalty", "penalty"))
        return FamilyInference("wgan_gp", "tag_names",
                               "a critic / Wasserstein tag is logged: WGAN"
                               + (" with gradient penalty (a penalty tag is logged)" if named_gp
                                  else " (weight clipping and gradient penalty cannot be told "
                                       "apart from losses; GP assumed)"))
    if "hinge" in names:
        return FamilyInference("hinge", "tag_names", "a tag names the hinge loss")
    if "lsgan" in names or "mse" in names:
        return FamilyInference("lsgan", "tag_names", "a tag names the least-squares loss")

    def finite(s: pd.Series | None) -> np.ndarray:
        if s is None:
            return np.empty(0)
        v = s.to_numpy(dtype=float)
        return v[np.isfinite(v)]

    d, g = finite(d_loss), finite(g_loss)
    if len(d) < 3:
        return FamilyInference(None, "unknown", "too few finite D loss points to infer the "
                                                "loss family; pass --loss-family")
    # BCE, LSGAN and hinge D losses are sums of non-negative terms: a D loss that is
    # negative at 5% of its points or more (beyond rounding) is a critic's.
    # (a quantile is never below the minimum: a D loss with no value below -1e-6 needs none)
    q_lo = float(np.quantile(d, 0.05)) if float(d.min()) < -1e-6 else 0.0
    if q_lo < -1e-6:
        small = float(np.median(np.abs(d))) < 0.05
        if small:
            return FamilyInference("wgan_clip", "values",
                                   f"the D loss goes negative (5th percentile {q_lo:.3g}) and "
                                   "stays tiny (median |D loss| < 0.05): a WGAN critic with "
                                   "weight clipping")
        return FamilyInference("wgan_gp", "values",
                               f"the D loss goes negative (5th percentile {q_lo:.3g}): a WGAN "
                               "critic loss (clipping versus GP cannot be told; GP assumed)")
    # the saturating G loss log(1 - D(G(z))) is never positive; against a winning D it rises
    # to 0, which a log printed to 3 decimals writes as -0.000 or 0.000 for most of the run,
    # so "never above 0 and clearly negative somewhere" reads it as well as a negative median
    # (each test needs a negative value: a G loss never negative skips the quantiles)
    negative = len(g) >= 3 and float(g.min()) < 0
    never_positive = negative and float(np.quantile(g, 0.95)) <= 0 and float(np.min(g)) < -0.05
    if negative and (float(np.median(g)) < -0.05 or float(np.quantile(g, 0.95)) < 0
                     or never_positive):
        return FamilyInference("bce_minimax", "values",
                               f"the G loss is never positive (median {np.median(g):.3g}, lowest "
                               f"{np.min(g):.3g}) while the D loss is not negative: the "
                               "saturating minimax loss log(1 - D(G(z)))")
    # The first logged point is the closest to initialisation, where D outputs about 1/2
    # (logit 0): compare it with each family's starting values (summed and averaged D loss;
    # LSGAN with and without the 1/2 factor). BCE is by far the most common loss, so its
    # distance is discounted; nothing within 0.6 -> unknown.
    d0 = float(d[0]) if len(d) else float("nan")
    g0 = float(g[0]) if len(g) else None
    if g0 is not None:
        starts = [("bce_nonsaturating", 2 * LN2, LN2, 0.7), ("bce_nonsaturating", LN2, LN2, 0.7),
                  ("lsgan", 0.5, 0.5, 1.0), ("lsgan", 0.25, 0.5, 1.0), ("lsgan", 0.5, 1.0, 1.0),
                  ("lsgan", 1.0, 1.0, 1.0), ("hinge", 2.0, 0.0, 1.0), ("hinge", 1.0, 0.0, 1.0)]
        dist = sorted((math.hypot(d0 - sd, g0 - sg) * w, fam, sd, sg) for fam, sd, sg, w in starts)
        best = dist[0]
        rival = next((x for x in dist if x[1] != best[1]), None)
        # values leave no doubt only when one family's start is both near and clearly
        # nearer than any other family's: unknown beats a wrong guess
        if best[0] < 0.6 and (rival is None or rival[0] - best[0] >= FAMILY_MARGIN):
            fam, sd, sg = best[1], best[2], best[3]
            what = {"bce_nonsaturating": "the BCE values at D = 1/2 (non-saturating G loss "
                                         "-log D(G(z)))",
                    "lsgan": "the least-squares values with D outputs near 0",
                    "hinge": "the hinge values at D = 0"}[fam]
            return FamilyInference(fam, "values",
                                   f"D and G losses start at {d0:.3f} and {g0:.3f}, nearest to "
                                   f"({sd:.3g}, {sg:.3g}), {what}")
    if g0 is None and (abs(d0 - 2 * LN2) < 0.35 or abs(d0 - LN2) < 0.25):
        return FamilyInference("bce_nonsaturating", "values",
                               f"D loss starts at {d0:.3f}, near a BCE value at D = 1/2 "
                               "(non-saturating assumed)")
    return FamilyInference(None, "unknown",
                           f"the losses do not match a known family's starting values "
                           f"(D starts at {d0:.3f}); pass --loss-family")


#: families whose losses cannot take a sign: the G loss of these is never negative (BCE
#: -log D(G(z)), least squares), and the D loss of these never (sums of non-negative terms)
_G_NEVER_NEGATIVE = ("bce_nonsaturating", "lsgan")
_D_NEVER_NEGATIVE = ("bce_nonsaturating", "bce_minimax", "lsgan", "hinge")


def contradicting_family(family: str, d_loss: pd.Series | None,
                         g_loss: pd.Series | None) -> FamilyInference | None:
    """The family the values leave no doubt of, when they are impossible under ``family``.

    A family that a code base computes by default (pix2pix's vanilla BCE) is an assumption
    about code the user may have changed; a G loss that is never positive cannot come from
    the non-saturating or least-squares loss, and a D loss that goes negative cannot come
    from BCE, least squares or hinge. Only these sign tests count here (a start near another
    family's values does not): the inference from the values when it rests on a sign the
    stated family cannot produce, else None.
    """
    inferred = infer_loss_family(d_loss, g_loss)
    if inferred.method != "values" or inferred.family is None or inferred.family == family:
        return None
    if inferred.family == "bce_minimax" and family in _G_NEVER_NEGATIVE:
        return inferred
    if inferred.family in ("wgan_clip", "wgan_gp") and family in _D_NEVER_NEGATIVE:
        return inferred
    return None


def _healthy(s: pd.Series | None) -> np.ndarray:
    """Values of ``s`` before its first NaN/Inf."""
    if s is None or len(s) == 0:
        return np.empty(0)
    v = s.to_numpy(dtype=float)
    bad = ~np.isfinite(v)
    return v[: int(np.argmax(bad))] if bad.any() else v


def resolve_conventions(
    series: Mapping[str, pd.Series | None],
    *,
    tags: Sequence[str] = (),
    loss_family: str | None = None,
    d_loss_reduction: str | None = None,
) -> LossFamily:
    """The one resolver of a run's loss conventions: family, D-loss reduction, equilibrium.

    ``series`` maps role ids (``d_loss``, ``g_loss``, ``d_loss_real``, ``d_loss_fake``) to
    step-indexed series (missing or None when not logged); ``tags`` are the run's tag names
    (read for family names such as ``critic``); ``loss_family`` and ``d_loss_reduction`` are
    what the user stated. The family and reduction come from :func:`infer_loss_family` and
    :func:`infer_d_loss_reduction`. The equilibrium the detectors compare levels with is the
    family's; an unknown family has none (no family is assumed: a wrong equilibrium turns a
    loss logged x10 into a collapse), and the detectors then read the losses relative to
    their own scale. A reduction still unknown for a family with an equilibrium is read from
    the level of the D loss's first points (above 1: summed).
    """
    with np.errstate(over="ignore", invalid="ignore"):  # finite values up to 1.8e308
        return _resolve(series, tags, loss_family, d_loss_reduction)


def _resolve(series: Mapping[str, pd.Series | None], tags: Sequence[str],
             loss_family: str | None, d_loss_reduction: str | None) -> LossFamily:
    d, g = series.get("d_loss"), series.get("g_loss")
    red = infer_d_loss_reduction(d, g, series.get("d_loss_real"), series.get("d_loss_fake"),
                                 stated=d_loss_reduction)
    fam = infer_loss_family(d, g, tags=list(tags), stated=loss_family)
    reasons = [fam.reason, red.reason]
    ref, assumed = fam.family, False
    dv = _healthy(d)
    if ref is None:
        reasons.append("no equilibrium used: the family is unknown, so levels are read "
                       "relative to the run's own scale")
    ref_red = red.reduction
    eq_d = eq_g = None
    if ref is not None:
        if ref_red is None and len(dv):
            head = dv[: max(3, len(dv) // 20)]
            ref_red = "summed" if float(np.median(head)) > 1.0 else "mean"
        eq = equilibrium(ref, ref_red or "summed")
        eq_d, eq_g = eq.d_loss, eq.g_loss
    return LossFamily(family=fam.family, method=fam.method, d_loss_reduction=red.reduction,
                      reduction_method=red.method, reasons=tuple(reasons),
                      reference_family=ref, reference_reduction=ref_red,
                      equilibrium_d_loss=eq_d, equilibrium_g_loss=eq_g, assumed=assumed)
