"""``mode_collapse``: the generator settles on a few outputs (from the losses: weak evidence).

Method
------
Losses do not see sample diversity, so this detector reads the *circumstances* in which
collapse happens and says so in its confidence: the discriminator wins (D(x) -> 1,
D(G(z)) -> 0, or the D loss far below its equilibrium) while, with the non-saturating loss,
the generator keeps a strong gradient and its loss climbs (HAC trend of the G loss tail,
G loss over its equilibrium ln 2). A strong D with the non-saturating loss gives sharp
samples of one or two classes (measured on 8x8 digits), which is collapse; with the
saturating loss the same D gives vanishing gradients instead. An undertrained generator
also covers few modes, so a run whose losses still trend is not called collapsed on
losses alone.

The onset is the start of the G loss's final regime (binary segmentation, CUSUM test).

References
----------
Metz, L., Poole, B., Pfau, D. and Sohl-Dickstein, J. (2017). Unrolled generative
adversarial networks. ICLR (mode collapse and mode hopping).
Salimans, T. et al. (2016). Improved techniques for training GANs. NeurIPS (minibatch
discrimination).
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from ._common import GanDetector, tail_span
from .runstats import (reference_words, OUTRIGHT_ORDERS, RunStats, d_outright, d_win, evidence_common, fmt,
                       g_saturated, g_still_at_ceiling, last_change_step)
from .base import Finding

__all__ = ["ModeCollapseDetector"]


class ModeCollapseDetector(GanDetector):
    """Detect the loss signature of mode collapse (label ``mode_collapse``)."""

    name: ClassVar[str] = "mode_collapse"
    labels: ClassVar[tuple[str, ...]] = ("mode_collapse",)

    def __init__(self, *, change_alpha: float = 0.001, outright_orders: float = OUTRIGHT_ORDERS,
                 **common) -> None:
        """``change_alpha``: level of the CUSUM test that places the onset (default 0.001:
        a change point must be clear on hundreds of points); ``outright_orders``: a D loss
        this many orders of magnitude below its own start, with a G loss that did not fall,
        is a discriminator that won outright (default 1.2: 6% of its start); ``common``: see
        :class:`~._common.GanDetector`."""
        super().__init__(**common)
        self.change_alpha = change_alpha
        self.outright_orders = outright_orders

    def features(self, rs: RunStats) -> dict[str, float]:
        """``d_win`` (0-1), ``nonsaturating`` (0/1: a loss whose G gradient survives a winning D),
        ``g_rise`` (HAC t of the G loss tail trend, clipped to +-10), ``g_rel_log`` (log of the
        G loss tail over its equilibrium, clipped to [-2, 3]; 0 without an equilibrium),
        ``d_outright`` (0-1, :func:`~.runstats.d_outright`: how far the D loss fell below its
        own start, 1 at ``outright_orders``, while the G loss did not fall; 0 for the
        saturating loss, where a winning D means vanishing gradients instead, and scaled
        down as far as the G loss froze at its ceiling, which is what that loss does)."""
        g = rs.series.get("g_loss")
        rise = 0.0
        if g is not None and g.trend is not None:
            rise = float(max(min(g.trend.t, 10.0), -10.0))
        rel = 0.0
        if rs.g_rel is not None and rs.g_rel > 0:
            rel = float(min(max(math.log(rs.g_rel), -2.0), 3.0))
        nonsat = 1.0 if rs.family in ("bce_nonsaturating", "lsgan", "hinge") else 0.0
        # the saturating loss, stated or seen (a G loss frozen at its ceiling: no gradient),
        # turns a winning D into vanishing gradients, not collapse
        outright = 0.0 if rs.family == "bce_minimax" else \
            d_outright(rs, self.outright_orders) * (1.0 - max(g_still_at_ceiling(rs), g_saturated(rs)))
        return {"d_win": d_win(rs), "nonsaturating": nonsat, "g_rise": rise, "g_rel_log": rel,
                "d_outright": outright}

    def judge(self, rs: RunStats) -> list[Finding]:
        f = self.features(rs)
        conf, z = self.confidence("default", f)
        ev = evidence_common(rs)
        ev.update(f)
        g = rs.series.get("g_loss")
        ev.update({"score": z, "d_x_tail": rs.p_real, "d_gz_tail": rs.p_fake,
                   "probability_source": rs.p_source, "d_loss_over_equilibrium": rs.d_rel,
                   "g_loss_over_equilibrium": rs.g_rel,
                   "g_grad_norm_drop_orders": rs.grad_orders})
        if g is not None and g.trend is not None:
            ev.update(g.trend.evidence("g_loss_tail_trend"))
        ev.update({"d_loss_drop_orders": rs.d_drop_orders,
                   "g_loss_tail_over_start": rs.g_tail_over_start})
        won = conf >= 0.5 and f["d_outright"] >= 0.5
        if won and rs.d_fall_step is not None:
            onset = rs.d_fall_step  # where the D loss began to fall
        else:
            onset = (last_change_step(g or rs.series["d_loss"], self.change_alpha)
                     if conf >= 0.5 else None)
        probs = (f"D(x) = {fmt(rs.p_real, 2)}, D(G(z)) = {fmt(rs.p_fake, 2)}"
                 if rs.p_real is not None
                 else f"D loss {fmt(rs.d_rel, 2)} x {reference_words(rs)}")
        if won:
            # the win may be read from D(x), D(G(z)) alone: a partial run (live) can hold them
            # and the G loss before its first finite D loss
            d = rs.series.get("d_loss")
            how = "outright" if f["d_outright"] >= 1.0 else "clearly"
            end = None if d is None else float(np.median(d.values[-max(3, len(d.values) // 10):]))
            if end is not None and rs.d_start and end < 0.5 * rs.d_start:
                how_seen = (f"its loss fell from {fmt(rs.d_start, 2)} to {fmt(end, 2)} (median of the "
                            f"last tenth), below half its start from step {onset}")
            else:  # the logged probabilities show the win; the loss itself did not fall by half
                loss = ("no D loss logged" if end is None
                        else f"its loss went from {fmt(rs.d_start, 2)} to {fmt(end, 2)}")
                how_seen = (f"D(x) = {fmt(rs.p_real, 2)} against D(G(z)) = {fmt(rs.p_fake, 2)} at the "
                            f"end ({loss})")
            summary = (f"The discriminator won {how}: {how_seen}, "
                       "while the generator loss did not fall, so the adversarial "
                       "term gives the generator little to learn from and it tends to collapse "
                       "onto what still fools D (check samples). Lower D's learning rate or "
                       "capacity, add R1/gradient penalty or instance noise.")
        elif conf >= 0.5:
            gl = (f" ({fmt(g.tail_mean, 3)}, {fmt(rs.g_rel, 2)} x {reference_words(rs)})"
                  if g is not None and rs.g_rel is not None else "")
            summary = (f"The discriminator wins ({probs}) while the generator loss stays high"
                       f"{gl}{' and climbs' if f['g_rise'] > 2 else ''}: the usual signature of mode "
                       "collapse (losses alone cannot see diversity: check samples). Lower D's "
                       "learning rate, add R1/gradient penalty or minibatch discrimination, or "
                       "try a WGAN-GP loss.")
        else:
            summary = f"No loss signature of mode collapse ({probs})."
        span = tail_span(rs, "g_loss")
        if onset is not None and span is not None:
            span = (onset, span[1])
        return [self.finding("mode_collapse", conf, onset_step=onset, evidence=ev,
                             summary=summary, span=span)]
