"""``d_overfitting``: the discriminator memorises its training set.

With little data the discriminator learns the training images themselves; its outputs on
them drift away from its outputs on anything else, its gradients stop telling the generator
what real images look like, and sample quality degrades (Karras et al. 2020). Losses on
training samples alone cannot show this; three things logged by GAN code bases can, read
in this order:

1. **D(x) on held-out reals** (role ``d_x_val``) against D(x) on training reals (``d_x``):
   overfitting where the smoothed gap, in probability, stays above ``gap_threshold``
   (0.15) for ``min_span`` points.
2. **A validation D loss** (``d_loss_val``) against the training D loss (``d_loss``):
   overfitting where the held-out loss stays at least ``val_ratio`` (1.5) times the
   training loss and above it by ``val_margin`` (a quarter) of the training loss's early
   level for ``min_span`` points: D does well on what it trained on and not on the rest.
3. **r_t = E[sign(D(x_real))]** (role ``d_sign_real``; StyleGAN2-ADA / StyleGAN3's
   ``Loss/signs/real``): the fraction of training reals that D calls real, mapped to
   [-1, 1]. An undecided D gives 0; a D that has memorised its training set gives 1. ADA
   steers its augmentation probability p to hold r_t at a target (0.6). The run is
   overfitting where r_t, smoothed over ``smooth`` points (a running median), stays above
   ``rt_threshold`` (0.8: far enough above ADA's target that its controller is clearly not
   holding it) for at least ``min_span`` (5) points. Without ADA in the log the finding is
   kept below the label threshold (``no_ada_confidence``).

The onset is the first point of the first such stretch; the span runs to its last point.
When r_t comes back to within 0.1 of ADA's target afterwards, the evidence and the summary
say the run corrected it (and what the augmentation probability did meanwhile).

Confidence grows with how far above its line the signal sits (half of the way from the
line to its ceiling gives the most) and with the length of the stretch; it is a heuristic
that has not been calibrated on a labelled corpus yet (the ``parameters`` record it).

References
----------
Karras, T., Aittala, M., Hellsten, J., Laine, S., Lehtinen, J., Aila, T. (2020). Training
Generative Adversarial Networks with Limited Data. NeurIPS. (Section 3: the overfitting
heuristics r_v and r_t, and the adaptive augmentation that holds r_t at 0.6.)
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._version import __version__
from .base import Detector, Finding, RunContext

__all__ = ["DOverfittingDetector"]

#: ADA's target for r_t (Karras et al. 2020, section 3)
ADA_TARGET = 0.6


class DOverfittingDetector(Detector):
    """Detect a discriminator that memorises its training set (label ``d_overfitting``).

    Parameters
    ----------
    rt_threshold
        r_t above which D is overfitting (default 0.8; ADA holds r_t at 0.6, and an
        overfitted D sits near 1).
    rt_target
        ADA's target for r_t (default 0.6): a run whose r_t comes back within 0.1 of it
        has corrected the overfitting.
    gap_threshold
        D(x) on training reals minus D(x) on held-out reals, in probability, above which D
        is overfitting (default 0.15).
    val_ratio, val_margin
        A validation D loss at least ``val_ratio`` times the training D loss (default 1.5)
        and above it by ``val_margin`` times the training loss's early level (default 0.25).
    smooth
        Points in the running median the signals are read through (default 3: one noisy
        tick never makes a stretch).
    min_span
        Consecutive smoothed points over the line that make a finding (default 5: a run
        started with ADA's p = 0 overshoots for a few ticks while the controller catches up,
        e.g. 2-3 ticks at 0.82-0.93 in a healthy 751-tick run; a D that has memorised its
        data stays over the line far longer).
    no_ada_confidence
        The most confidence the r_t rule gives when no adaptive augmentation is logged
        (``augment_p`` absent or always 0; default 0.4, below the label threshold) unless r_t
        is saturated (below). r_t's line is relative to ADA's controller: with ADA, r_t held
        far above its target means augmentation cannot keep D from memorising. Without it,
        r_t above 0.8 only says that D calls its training reals real, which a D that simply
        wins does as well as one that memorises: on the reference trainer's small-data runs
        (no ADA) r_t stayed above 0.8 on every run, memorising or not
        (``bench/d_overfitting.py``).
    saturated, saturated_fraction
        Without ADA, D is read as memorising when r_t is saturated, at least ``saturated``
        (0.99: every training real of the batch called real) on at least
        ``saturated_fraction`` (0.75) of the second half of the run: a D that has learnt its
        training images is certain of every one of them, while a D that only beats the
        generator still meets training reals near its boundary. These two values were
        chosen on the 24 small-data runs of the reference trainer's v2 sweep, both splits
        seen (``docs/results/d_overfitting.txt``).
    min_fraction
        For the held-out signals (2 and 3), the stretch must also cover this fraction of
        their points (default 0.1): with nothing steering D back (no ADA), a memorising D
        stays so, while a few noisy validation rounds do not make a trend.
    """

    name: ClassVar[str] = "d_overfitting"
    labels: ClassVar[tuple[str, ...]] = ("d_overfitting",)
    version: ClassVar[str] = "1"

    def __init__(self, *, rt_threshold: float = 0.8, rt_target: float = ADA_TARGET,
                 gap_threshold: float = 0.15, val_ratio: float = 1.5, val_margin: float = 0.25,
                 smooth: int = 3, min_span: int = 5, no_ada_confidence: float = 0.4,
                 saturated: float = 0.99, saturated_fraction: float = 0.75,
                 min_fraction: float = 0.1) -> None:
        if not -1.0 < float(rt_target) < float(rt_threshold) < 1.0:
            raise ValueError("rt_target and rt_threshold must satisfy -1 < rt_target < "
                             f"rt_threshold < 1; got {rt_target!r} and {rt_threshold!r}")
        if not 0.0 < float(gap_threshold) < 1.0:
            raise ValueError(f"gap_threshold must be in (0, 1); got {gap_threshold!r}")
        if not float(val_ratio) > 1.0 or not float(val_margin) >= 0.0:
            raise ValueError(f"val_ratio must be > 1 and val_margin >= 0; got {val_ratio!r}, "
                             f"{val_margin!r}")
        for arg, value in (("smooth", smooth), ("min_span", min_span)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{arg} must be a positive integer; got {value!r}")
        self.rt_threshold = rt_threshold
        self.rt_target = rt_target
        self.gap_threshold = gap_threshold
        self.val_ratio = val_ratio
        self.val_margin = val_margin
        self.smooth = smooth
        if not 0.0 <= float(no_ada_confidence) <= 1.0:
            raise ValueError(f"no_ada_confidence must be in [0, 1]; got {no_ada_confidence!r}")
        if not 0.0 < float(saturated) <= 1.0 or not 0.0 < float(saturated_fraction) <= 1.0:
            raise ValueError("saturated and saturated_fraction must be in (0, 1]; got "
                             f"{saturated!r} and {saturated_fraction!r}")
        if not 0.0 <= float(min_fraction) < 1.0:
            raise ValueError(f"min_fraction must be in [0, 1); got {min_fraction!r}")
        self.min_span = min_span
        self.min_fraction = min_fraction
        self.no_ada_confidence = no_ada_confidence
        self.saturated = saturated
        self.saturated_fraction = saturated_fraction

    # ------------------------------------------------------------------ API
    def detect(self, ctx: RunContext) -> list[Finding]:
        """A finding when a stretch of overfitting shows in the held-out D(x) gap, the
        validation D loss or r_t (in that order: what D does on samples it never trained on
        is the direct evidence); none when no such signal is logged or it never crosses its
        line."""
        unit = getattr(ctx.run.meta, "step_unit", "step")
        dx, dxv = _finite(ctx.series("d_x")), _finite(ctx.series("d_x_val"))
        if dx is not None and dxv is not None:
            gap = _aligned(dx, dxv, lambda a, b: a - b)
            return self._from_excess(gap, self.gap_threshold, 1.0, unit, "held_out_d_x_gap",
                                     "D(x) on training reals exceeds D(x) on held-out reals by")
        dl, dlv = _finite(ctx.series("d_loss")), _finite(ctx.series("d_loss_val"))
        if dl is not None and dlv is not None and (dl > 0).all() and (dlv > 0).all():
            early = float(np.median(dl.to_numpy()[: max(3, len(dl) // 10)]))
            both = _aligned(dl, dlv, lambda a, b: pd.concat({"t": a, "v": b}, axis=1))
            if both is None:
                return []
            ratio = both["v"] / both["t"]
            over = (ratio >= self.val_ratio) & (both["v"] - both["t"] >= self.val_margin * early)
            score = ratio.where(over, other=0.0)
            return self._from_excess(score, self.val_ratio, 3.0 * self.val_ratio, unit,
                                     "validation_d_loss_ratio",
                                     "the D loss on held-out samples is a multiple of the "
                                     "training D loss:")
        rt = _finite(ctx.series("d_sign_real"))
        if rt is not None:
            return self._from_rt(rt, _finite(ctx.series("augment_p")), unit)
        return []

    # ------------------------------------------------------------------ rules
    def _stretch(self, signal: pd.Series, line: float, fraction: float = 0.0
                 ) -> tuple[pd.Series, int, int] | None:
        """The smoothed signal and the first stretch over ``line`` of at least ``min_span``
        points and ``fraction`` of all points (first and last position), or None."""
        smoothed = signal.rolling(self.smooth, center=True, min_periods=1).median()
        over = (smoothed > line).to_numpy()
        need = max(self.min_span, int(np.ceil(fraction * len(over))))
        start = None
        for i, flag in enumerate(np.r_[over, False]):
            if flag and start is None:
                start = i
            elif not flag and start is not None:
                if i - start >= need:
                    return smoothed, start, i - 1
                start = None
        return None

    def _confidence(self, level: float, line: float, ceiling: float, length: int) -> float:
        excess = min(max((level - line) / max(ceiling - line, 1e-12), 0.0), 1.0)
        conf = 0.55 + 0.3 * min(2.0 * excess, 1.0) + 0.1 * min(length / (4.0 * self.min_span), 1.0)
        return round(min(conf, 0.95), 4)

    def _from_rt(self, rt: pd.Series, p: pd.Series | None, unit: str) -> list[Finding]:
        found = self._stretch(rt, self.rt_threshold)
        if found is None:
            return []
        smoothed, a, b = found
        steps = rt.index.to_numpy()
        onset, end = int(steps[a]), int(steps[b])
        level = float(np.median(rt.to_numpy()[a:b + 1]))
        after = smoothed.to_numpy()[b + 1:]
        corrected = bool(len(after) >= self.min_span
                         and abs(float(np.median(after[-max(self.min_span, len(after) // 4):]))
                                 - self.rt_target) <= 0.1)
        evidence: dict[str, Any] = {
            "signal": "d_sign_real", "rt_median_in_span": round(level, 4),
            "rt_peak": round(float(rt.to_numpy()[a:b + 1].max()), 4),
            "rt_threshold": self.rt_threshold, "rt_target": self.rt_target,
            "points_in_span": b - a + 1, "points": int(len(rt)),
            "fraction_over_threshold": round(float((smoothed > self.rt_threshold).mean()), 4),
            "corrected": corrected, "step_unit": unit,
        }
        text = (f"The discriminator memorises its training set: r_t = E[sign(D(x_real))] stays "
                f"at {level:.2f} (above {self.rt_threshold:g}; ADA's target is "
                f"{self.rt_target:g}) from {unit} {onset} to {end}")
        if corrected:
            rt_after = float(np.median(after))
            evidence["rt_median_after"] = round(rt_after, 4)
            text += f", then comes back to {rt_after:.2f}"
            if p is not None and len(p):
                p_on = float(p[p.index <= onset].iloc[-1]) if (p.index <= onset).any() \
                    else float(p.iloc[0])
                p_end = float(p.iloc[-1])
                evidence.update({"augment_p_at_onset": round(p_on, 4),
                                 "augment_p_last": round(p_end, 4)})
                if p_end > p_on:
                    text += (f" as the augmentation probability p rises from {p_on:.2f} to "
                             f"{p_end:.2f} (ADA corrected it)")
        elif p is not None and len(p):
            evidence["augment_p_last"] = round(float(p.iloc[-1]), 4)
        ada = p is not None and len(p) > 0 and float(p.max()) > 0.0
        tail = rt.to_numpy()[len(rt) // 2:]
        saturated = float(np.mean(tail >= self.saturated)) if len(tail) else 0.0
        evidence.update({"ada": ada, "rt_saturated_fraction_second_half": round(saturated, 4)})
        confidence = self._confidence(level, self.rt_threshold, 1.0, b - a + 1)
        if not ada and saturated >= self.saturated_fraction:
            # onset: where the smoothed r_t first reaches saturation; it holds to the end
            onset = int(steps[int(np.argmax(smoothed.to_numpy() >= self.saturated))])
            end = int(steps[-1])
            confidence = round(min(0.5 + 0.4 * (saturated - self.saturated_fraction)
                                   / max(1.0 - self.saturated_fraction, 1e-9), 0.9), 4)
            text = (f"The discriminator memorises its training set: r_t = E[sign(D(x_real))] is "
                    f"saturated (every training real called real, r_t >= {self.saturated:g}) "
                    f"on {saturated:.0%} of the second half of the run, with no adaptive "
                    "augmentation logged. Adaptive augmentation (ADA, DiffAugment), more "
                    "training data or a smaller discriminator help.")
        elif not ada:
            confidence = min(confidence, float(self.no_ada_confidence))
            text = (f"r_t = E[sign(D(x_real))] stays at {level:.2f} (above "
                    f"{self.rt_threshold:g}) from {unit} {onset} to {end}, but no adaptive "
                    "augmentation is logged, so this does not tell a discriminator that "
                    "memorises its training set from one that simply wins; log D(x) on "
                    "held-out reals to tell them apart.")
        else:
            text += (". More augmentation (ADA, DiffAugment), more training data or a smaller "
                     "discriminator help; check that ADA's target and speed suit the dataset "
                     "size.")
        return [self._finding(confidence, onset, end, evidence, text)]

    def _from_excess(self, signal: pd.Series | None, line: float, ceiling: float, unit: str,
                     name: str, words: str) -> list[Finding]:
        if signal is None or len(signal) < self.min_span:
            return []
        found = self._stretch(signal, line, self.min_fraction)
        if found is None:
            return []
        smoothed, a, b = found
        steps = signal.index.to_numpy()
        onset, end = int(steps[a]), int(steps[b])
        level = float(np.median(smoothed.to_numpy()[a:b + 1]))
        evidence = {"signal": name, "median_in_span": round(level, 4), "line": line,
                    "points_in_span": b - a + 1, "points": int(len(signal)), "step_unit": unit}
        text = (f"The discriminator memorises its training set: {words} {level:.2f} (line "
                f"{line:g}) from {unit} {onset} to {end}. More augmentation (ADA, "
                "DiffAugment), more training data or a smaller discriminator help.")
        return [self._finding(self._confidence(level, line, ceiling, b - a + 1), onset, end,
                              evidence, text)]

    def _finding(self, confidence: float, onset: int, end: int, evidence: dict[str, Any],
                 summary: str) -> Finding:
        return Finding(label="d_overfitting", confidence=confidence, onset_step=onset,
                       evidence=evidence, summary=summary, detector=self.name,
                       detector_version=f"{self.version}+{__version__}",
                       parameters=self.finding_parameters(), span=(onset, end))


def _finite(series: pd.Series | None) -> pd.Series | None:
    if series is None:
        return None
    out = series[np.isfinite(series.to_numpy(dtype=float))]
    out = out[~out.index.duplicated(keep="last")]
    return out if len(out) else None


def _aligned(a: pd.Series, b: pd.Series, combine) -> Any:
    """``combine(a, b)`` with ``b`` taken at the nearest step of ``a`` (validation points are
    logged at other steps than training points), or None when they never overlap."""
    left = pd.DataFrame({"step": a.index.to_numpy(np.int64), "a": a.to_numpy(float)})
    right = pd.DataFrame({"step": b.index.to_numpy(np.int64), "b": b.to_numpy(float)})
    merged = pd.merge_asof(right.sort_values("step"), left.sort_values("step"), on="step",
                           direction="nearest").dropna()
    if merged.empty:
        return None
    sa = pd.Series(merged["a"].to_numpy(), index=merged["step"].to_numpy())
    sb = pd.Series(merged["b"].to_numpy(), index=merged["step"].to_numpy())
    return combine(sa, sb)
