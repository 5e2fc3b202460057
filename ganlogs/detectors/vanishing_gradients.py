"""``vanishing_gradients``: the discriminator wins and the generator stops getting a signal.

Method
------
With the generator's gradient norm logged (raw, before the optimiser -- Adam rescales
updates, so a generator under Adam keeps moving while its gradient vanishes): how many
orders of magnitude the norm fell from its peak to the end of the healthy run (log10 of a
running median, so single spikes count neither as peak nor as end), together with how
clearly D separates real from fake (D(x) - D(G(z)), or how far the D loss fell below the
family's equilibrium). The onset is the first step two orders below the peak.

From the losses alone, with the saturating (minimax) loss ``log(1 - D(G(z)))``: the G loss
gives D(G(z)) = 1 - exp(G loss), and the generator's gradient shrinks by 0.5 / D(G(z)) from
the equilibrium (:func:`gradient_shrink`; the saturation of Goodfellow et al. (2014),
section 3): high confidence only when that reaches two orders of magnitude (D(G(z)) at or
below 0.005), the truth's threshold; D(G(z)) = 0.06 is an 8x shrink, not a failure. The non-saturating loss ``-log D(G(z))`` keeps its gradient when D wins (the
gradient grows), so that case points to mode collapse instead, and the confidence here is
lower. The onset is then the D loss's first change in mean (binary segmentation), where D
took over.

References
----------
Goodfellow, I. et al. (2014). Generative adversarial nets. NeurIPS.
Arjovsky, M. and Bottou, L. (2017). Towards principled methods for training generative
adversarial networks. ICLR (disjoint supports: a perfect D, vanishing G gradients).
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from ..conventions import LN2


from ._common import GanDetector, tail_span
from .runstats import (reference_words, OUTRIGHT_ORDERS, RunStats, d_outright, d_win, evidence_common,
                       first_change_step, fmt, g_loss_freeze, g_still_at_ceiling, d_pinned,
                       g_saturated)
from .base import Finding

__all__ = ["VanishingGradientsDetector", "model_for", "gradient_shrink", "g_frozen"]




def gradient_shrink(rs: RunStats) -> tuple[float, float, str] | None:
    """(D(G(z)), orders of magnitude of the shrink, source) for the saturating loss.

    With the minimax G loss ``log(1 - D(G(z)))`` the gradient reaching D's logit on fakes
    is ``-D(G(z))``: 1/2 at the equilibrium, so a generator whose fakes get D(G(z)) = d
    receives ``0.5 / d`` times less signal (Goodfellow et al. 2014, section 3). D(G(z)) is
    the logged probability when there is one, else read from the G loss itself,
    ``D(G(z)) = 1 - exp(G loss)`` (tail mean of the per-point values) -- an absolute level,
    used only when the family is the saturating loss (stated, or inferred from a G loss that
    stays negative while the D loss does not). None for other families.
    """
    if rs.family != "bce_minimax":
        return None
    if rs.p_fake is not None and rs.p_source == "d_x/d_gz":
        pass
    elif not rs.family_stated and not unscaled_saturating_start(rs):
        # the G loss's level is read as D(G(z)) only when it is the unscaled saturating loss:
        # stated by the user, or starting at -ln 2 (D = 1/2 at initialisation)
        return None
    if rs.p_fake is not None and rs.p_source == "d_x/d_gz":
        d, src = rs.p_fake, "D(G(z)) logged"
    else:
        g = rs.series.get("g_loss")
        if g is None or not len(g.tail):
            return None
        d = float(np.mean(1.0 - np.exp(np.minimum(g.tail, 0.0))))
        src = "D(G(z)) = 1 - exp(G loss)"
    d = min(max(d, 1e-12), 1.0)
    return d, math.log10(0.5 / d), src


#: how close to -ln 2 the G loss's start must be for its level to be read as D(G(z)) (a quarter
#: of ln 2: D(G(z)) between 0.42 and 0.58 at the first points; a loss weighted x2 or x0.5, or
#: offset by more than 0.17, fails and the level is not read)
SATURATING_START_TOLERANCE = 0.25 * LN2


def unscaled_saturating_start(rs: RunStats) -> bool:
    """True when the G loss starts where the unscaled saturating loss starts, -ln 2.

    The start is the most negative of the first 3 points, not their median: against a
    discriminator that takes over within the first steps the saturating loss has already
    risen towards 0 by the third point, and its most negative early value is the one
    nearest initialisation.
    """
    return rs.g_head_low is not None and abs(rs.g_head_low + LN2) <= SATURATING_START_TOLERANCE


def g_frozen(rs: RunStats) -> float:
    """0-1: the G loss froze at the top of its range
    (:func:`~.runstats.g_still_at_ceiling`) while the discriminator won outright
    (:func:`~.runstats.d_outright`, which scales it); or, read from the losses' motion
    alone, it went still at the top of its range as the saturating loss does
    (:func:`~.runstats.g_saturated`) while the D loss went still at the bottom of its own
    (:func:`~.runstats.d_pinned`)."""
    return float(max(g_still_at_ceiling(rs) * d_outright(rs, OUTRIGHT_ORDERS),
                     g_saturated(rs) * d_pinned(rs)))


def model_for(rs: RunStats) -> str:
    """``grad_norm`` when the generator's gradient norm is logged, else ``losses_only``."""
    return "grad_norm" if rs.grad_orders is not None else "losses_only"


class VanishingGradientsDetector(GanDetector):
    """Detect a generator whose gradient vanishes under a winning D
    (label ``vanishing_gradients``)."""

    name: ClassVar[str] = "vanishing_gradients"
    labels: ClassVar[tuple[str, ...]] = ("vanishing_gradients",)

    def __init__(self, *, change_alpha: float = 0.001, **common) -> None:
        """``change_alpha``: level of the CUSUM test that places the onset without a gradient
        norm (default 0.001); ``common``: see :class:`~._common.GanDetector`."""
        super().__init__(**common)
        self.change_alpha = change_alpha

    def features(self, rs: RunStats) -> dict[str, float]:
        """``grad_orders`` (0-8: orders of magnitude the logged G gradient norm fell),
        ``d_win`` (0-1), ``grad_x_dwin`` (their product: a gradient that vanishes *because D
        wins*; one that vanishes at the equilibrium, as in a converged Dirac-GAN, does not
        count), ``minimax`` (0-1: the saturating loss, 1 when stated or inferred, else
        :func:`~.runstats.g_saturated`), ``shrink_orders`` (0-4: orders of
        magnitude by which the saturating loss shrank the generator's gradient, from
        :func:`gradient_shrink`; 0 for other losses)."""
        # the saturating loss, stated or inferred, or seen in the G loss's motion (still at the
        # top of its range: the family-free sighting, which an added constant leaves alone)
        minimax = 1.0 if rs.family == "bce_minimax" else g_saturated(rs)
        orders = float(min(max(rs.grad_orders or 0.0, 0.0), 8.0))
        dw = d_win(rs)
        shrink = gradient_shrink(rs)
        return {"grad_orders": orders, "d_win": dw, "grad_x_dwin": orders * dw,
                "minimax": minimax,
                "shrink_orders": 0.0 if shrink is None else float(min(max(shrink[1], 0.0), 4.0)),
                # a readable D(G(z)) measures the shrink itself; the freeze stands in for it
                # only where the level cannot be read (a low but steady D(G(z)) also freezes)
                "g_frozen": g_frozen(rs) if shrink is None else 0.0}

    def judge(self, rs: RunStats) -> list[Finding]:
        model = model_for(rs)
        f = self.features(rs)
        conf, z = self.confidence(model, f)
        ev = evidence_common(rs)
        ev.update(f)
        ev.update({"model": model, "score": z, "g_grad_norm_peak": rs.grad_peak,
                   "g_grad_norm_end": rs.grad_end, "d_x_tail": rs.p_real,
                   "d_gz_tail": rs.p_fake, "probability_source": rs.p_source,
                   "d_loss_over_equilibrium": rs.d_rel, "g_loss_over_equilibrium": rs.g_rel})
        if model == "grad_norm":
            onset = rs.grad_onset_step
            what = (f"the generator's gradient norm fell {fmt(rs.grad_orders, 2)} orders of "
                    f"magnitude (from {fmt(rs.grad_peak)} to {fmt(rs.grad_end)})")
        else:
            d = rs.series.get("d_loss") or rs.series.get("g_loss")
            onset = first_change_step(d, self.change_alpha) if conf >= 0.5 else None
            shrink = gradient_shrink(rs)
            freeze = g_loss_freeze(rs)
            if f["g_frozen"] > 0 and freeze is not None:
                what = (f"the G loss froze at the top of its range (its last half spans "
                        f"{fmt(100 * freeze[0], 2)}% of the run's range) while the D loss fell "
                        f"{fmt(rs.d_drop_orders, 2)} orders of magnitude below its start: a "
                        "generator loss that no longer moves under a winning discriminator")
            elif shrink is not None:
                what = (f"with the saturating loss, D(G(z)) = {fmt(shrink[0], 2)} ({shrink[2]}) "
                        f"shrinks the generator's gradient {fmt(10 ** shrink[1], 2)}x from "
                        "equilibrium (two orders of magnitude is the failure)")
            elif rs.family == "bce_minimax":
                what = (f"the D loss sits at {fmt(rs.d_rel, 2)} x {reference_words(rs)}; the "
                        "loss is the saturating one, but its G loss does not start at -ln 2, "
                        "so its level cannot be read as D(G(z))")
            else:
                what = (f"the D loss sits at {fmt(rs.d_rel, 2)} x {reference_words(rs)} and "
                        "the loss is not the saturating one")
            what += " (no gradient norm logged)"
        probs = ""
        if rs.p_real is not None:
            probs = f" while D(x) = {fmt(rs.p_real, 2)} and D(G(z)) = {fmt(rs.p_fake, 2)}"
        if conf >= 0.5:
            summary = (f"The discriminator wins and the generator's gradient vanishes: {what}"
                       f"{probs}. Use the non-saturating G loss -log D(G(z)), lower D's learning "
                       "rate or its steps per G step, or add a gradient penalty / instance noise.")
        else:
            summary = (f"No sign of vanishing generator gradients ({what}{probs}).")
        span = tail_span(rs)
        if onset is not None and span is not None:
            span = (onset, span[1])
        return [self.finding("vanishing_gradients", conf, onset_step=onset, evidence=ev,
                             summary=summary, span=span)]
