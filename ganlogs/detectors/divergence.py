"""``diverged``: a loss (or D output, or gradient norm) became NaN/Inf or blew up.

Method
------
1. The first non-finite value over every logged role (D/G losses, their real/fake parts,
   D(x), D(G(z)), gradient norms) is the onset; the run diverged there.
2. Otherwise, a finite blow-up: the largest magnitude a loss (or a critic's raw output)
   reaches, in orders of magnitude above its early scale (median magnitude of the first 2%
   of the points, at least 3, floored at 1 so that a WGAN critic loss that starts near 0 is
   not 'growing by orders'), or a magnitude of ``blowup_abs`` (10^6) whatever the start. Magnitudes are read
   before binning (a sign-alternating blow-up averages out in bin means). The onset is the
   first point past the geometric midpoint between the early scale and the peak; the other
   detectors judge only the part before it.

Both statistics go through the calibration (:mod:`.calibration`). A run whose
loss went NaN after 20 points is still judged (a NaN needs no long history).
"""

from __future__ import annotations

from typing import ClassVar

from ._common import GanDetector
from .runstats import RunStats, evidence_common, fmt
from .base import Finding

__all__ = ["DivergenceDetector"]


_WORDS = {"d_loss": "D loss", "g_loss": "G loss", "d_loss_real": "D loss on real samples",
          "d_loss_fake": "D loss on fakes", "d_x": "D(x)", "d_gz": "D(G(z))",
          "g_grad_norm": "G gradient norm (g_grad_norm)", "d_grad_norm": "D gradient norm"}


def _words(role: str | None) -> str:
    return _WORDS.get(role or "", role or "?")


class DivergenceDetector(GanDetector):
    """Detect NaN/Inf values and loss blow-ups (label ``diverged``).

    Notes
    -----
    Store losses in float32 or wider: float16 overflows at 65,504 and a large but finite loss
    then reads as Inf before the run has really diverged, which moves the onset earlier.
    """

    name: ClassVar[str] = "divergence"
    labels: ClassVar[tuple[str, ...]] = ("diverged",)
    judges_short_runs: ClassVar[bool] = True

    def can_judge_short(self, rs: RunStats) -> bool:
        return rs.nonfinite_step is not None or rs.blowup_step is not None

    def features(self, rs: RunStats) -> dict[str, float]:
        """``nonfinite`` (0/1: a NaN/Inf, or a loss of magnitude ``blowup_abs`` or more),
        ``growth_orders`` (orders of magnitude above the early scale, clipped 0-10)."""
        return {"nonfinite": 1.0 if rs.nonfinite_step is not None or rs.huge else 0.0,
                "growth_orders": float(min(max(rs.growth_orders, 0.0), 10.0))}

    def judge(self, rs: RunStats) -> list[Finding]:
        f = self.features(rs)
        conf, z = self.confidence("default", f)
        ev = evidence_common(rs)
        ev.update(f)
        ev.update({"first_nonfinite_step": rs.nonfinite_step, "first_nonfinite_role": rs.nonfinite_role,
                   "blowup_step": rs.blowup_step, "blowup_role": rs.blowup_role, "score": z})
        if rs.nonfinite_step is not None:
            onset = rs.nonfinite_step
            summary = (f"The {_words(rs.nonfinite_role)} became NaN/Inf at step {onset}: training "
                       "diverged. Lower the learning rates, clip gradients, and look for log(0) "
                       "or a division by zero in the loss (use BCEWithLogits, not sigmoid + BCE).")
        elif rs.blowup_step is not None:
            onset = rs.blowup_step
            summary = (f"The {_words(rs.blowup_role)} grew {fmt(rs.growth_orders, 2)} orders of magnitude "
                       f"above its early scale from step {onset}: training is blowing up. Lower "
                       "the learning rates or clip gradients; for WGAN add a gradient penalty.")
        else:
            onset = None
            summary = ("No NaN/Inf and no blow-up: the losses stay within "
                       f"{fmt(rs.growth_orders, 2)} orders of magnitude of their early scale.")
        end = rs.last_step if rs.last_step is not None else onset
        span = (onset, end) if onset is not None and end is not None else None
        return [self.finding("diverged", conf, onset_step=onset, evidence=ev, summary=summary,
                             span=span)]
