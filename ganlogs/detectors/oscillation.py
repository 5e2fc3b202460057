"""``oscillating``: D and G keep circling instead of settling.

Method
------
Over the tail (last half of the healthy points, binned to at most 1,024 points) of the D
loss, the G loss and, when logged, D(x) and D(G(z)):

1. remove the linear trend (a drift is not an oscillation);
2. fit an AR(1) process to the residual and compare the periodogram with the AR(1)
   (red-noise) spectrum scaled to the same variance; under red noise each ratio is
   exponential(1), so the largest of the M tested frequencies (at least 3 cycles in the
   window) has p = 1 - (1 - e^-r)^M;
3. measure the autocorrelation's return after its first (negative) trough, which catches
   slow cycles that the AR(1) fit absorbs;
4. measure the anti-phase of D and G losses (most negative cross-correlation within a
   quarter period): the tug of war of the two players.

A random walk passes (2)-(3) about 4% of the time, sines with 3 to 40 cycles in equal noise
nearly always (see tests). The statistics of the most periodic series, and the anti-phase,
go through the fitted calibration map. The onset is the first change point (binary
segmentation, CUSUM test) of the local variance after which it stays at the tail's level,
else the start of the tested window.

References
----------
Mescheder, L., Geiger, A. and Nowozin, S. (2018). Which training methods for GANs do
actually converge? ICML (simultaneous and alternating gradient descent circle around the
equilibrium of the Dirac-GAN unless regularised).
Gilman, D. L. et al. (1963), red-noise spectrum; Mudelsee, M. (2014) Climate Time Series
Analysis, ch. 5 (testing spectral peaks against AR(1)).
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from . import stats as st
from ._common import GanDetector
from .runstats import RunStats, SeriesStats, evidence_common, fmt
from .base import Finding

__all__ = ["OscillationDetector", "is_periodic", "amplitude_growth", "relative_spread",
           "best_series"]

_ROLES = ("d_loss", "g_loss", "d_x", "d_gz")
ROLE_WORDS = {"d_loss": "D loss", "g_loss": "G loss", "d_x": "D(x)", "d_gz": "D(G(z))"}


def _strength(s: SeriesStats) -> float:
    p = s.periodicity
    if p is None:
        return -1.0
    return min(-math.log10(max(p.p_spectral, 1e-300)), 10.0) + 5.0 * p.acf_return


def best_series(rs: RunStats, periodic=None) -> SeriesStats | None:
    """The series whose tail is most periodic (largest spectral -log10 p + 5 x ACF return),
    among those that pass ``periodic(periodicity)`` when any does."""
    cands = [rs.series[r] for r in _ROLES if r in rs.series and rs.series[r].periodicity]
    if periodic is not None and any(periodic(s.periodicity) for s in cands):
        cands = [s for s in cands if periodic(s.periodicity)]
    return max(cands, key=_strength) if cands else None




#: default level of the periodicity test: a red-noise p below ALPHA, or an ACF return of at
#: least ACF_RETURN (together about 4% of random walks pass; GROUND_TRUTH.md)
ALPHA = 0.01
ACF_RETURN = 0.3
#: D/G cross-correlation below which the summary says the losses cycle in anti-phase (words only)
ANTIPHASE_WORDS = -0.3


#: default: a cycle needs at least this many periods in the tested window (issue 10; the
#: reference trainer's truth uses the same floor)
MIN_PERIODS = 3.0
#: default: the damped-spiral null holds every spiral that keeps at most this share of its
#: amplitude per period (one that loses half of it each turn is settling)
SPIRAL_MAX_KEEP = st.SPIRAL_MAX_KEEP


def is_periodic(p: st.Periodicity, alpha: float = ALPHA, acf_return: float = ACF_RETURN, *,
                min_periods: float = MIN_PERIODS, max_keep: float = SPIRAL_MAX_KEEP) -> bool:
    """The test of the tail: a spectral peak above red noise at ``alpha`` or an
    autocorrelation return of at least ``acf_return``; at least ``min_periods`` periods in
    the window; and more persistent than any noise-driven damped spiral of the null (it
    keeps more than ``max_keep`` of its amplitude per period, :func:`~.stats.keep_per_period`)."""
    return ((p.p_spectral < alpha or p.acf_return >= acf_return)
            and p.n_periods >= min_periods and p.keep_per_period > max_keep)


def amplitude_growth(s: SeriesStats) -> float:
    """log of the detrended tail's standard deviation in its second half over its first
    half, clipped to [-3, 3]: about 0 for a persistent cycle or stationary noise, negative
    for a damped spiral settling onto the equilibrium, positive for one spiralling out."""
    t = s.tail
    n = len(t)
    if n < 16:
        return 0.0
    x = np.arange(n) - (n - 1) / 2.0
    r = t - t.mean() - x * float(x @ (t - t.mean())) / float(x @ x)
    a, b = float(np.std(r[: n // 2])), float(np.std(r[n // 2:]))
    if a <= 0 or b <= 0:
        return 0.0
    return float(min(max(math.log(b / a), -3.0), 3.0))


def relative_spread(s: SeriesStats) -> float:
    """log10 of the tail's standard deviation over the series' typical magnitude (median
    |value| over the healthy run, floored at 1e-3), clipped to [-6, 1]: a motion of
    1e-7 x the loss is rounding, not a cycle."""
    scale = max(float(st.median(np.abs(s.values))), 1e-3)
    sd = max(s.tail_std, 1e-300)
    return float(min(max(math.log10(sd / scale), -6.0), 1.0))


def _onset(s: SeriesStats, period: float, alpha: float) -> int:
    """First step of the final segment of high local variance (see the module docstring)."""
    v = s.values
    n = len(v)
    w = int(min(max(3, round(period)), n // 4)) if np.isfinite(period) else max(3, n // 20)
    if n < 4 * w or w < 2:
        return s.tail_start_step
    k = np.ones(w) / w
    smooth = np.convolve(v, k, mode="same")
    dev = (v - smooth) ** 2
    # local variance of deviations from the running mean, plus the running mean's swing
    lv = np.log(np.convolve(dev, k, mode="same") + np.convolve((smooth - smooth.mean()) ** 2,
                                                                k, mode="same") + 1e-30)
    cps = st.binary_segmentation(lv, alpha=alpha, min_size=max(w, 10))
    tail_level = float(st.median(lv[s.tail_start:]))
    start = 0
    for c in cps:
        before = float(st.median(lv[max(0, c - w):c]))
        if before < tail_level - math.log(2.0):
            start = c
    if start == 0 and cps == [] and st.median(lv[: s.tail_start]) < tail_level - math.log(2.0):
        start = s.tail_start
    return int(s.steps[min(start, s.tail_start)])


class OscillationDetector(GanDetector):
    """Detect periodic motion of the losses that does not die out (label ``oscillating``)."""

    name: ClassVar[str] = "oscillation"
    labels: ClassVar[tuple[str, ...]] = ("oscillating",)

    def __init__(self, *, alpha: float = ALPHA, acf_return: float = ACF_RETURN,
                 min_periods: float = MIN_PERIODS, max_keep: float = SPIRAL_MAX_KEEP,
                 change_alpha: float = 0.001, **common) -> None:
        """``alpha``: level of the spectral test against red noise (default 0.01);
        ``acf_return``: autocorrelation return after the first trough that counts as a cycle
        (default 0.3; with ``alpha``, about 4% of random walks pass); ``min_periods``: periods
        a cycle needs in the tested window (default 3); ``max_keep``: a cycle must keep more
        than this share of its amplitude per period (default 0.5: a noise-driven damped
        spiral, the motion of a GAN settling near its equilibrium, keeps less, and is not an
        oscillation); ``change_alpha``: level of the CUSUM
        test that places the onset (default 0.001); ``common``: see
        :class:`~._common.GanDetector`."""
        super().__init__(**common)
        if not 0.0 < float(alpha) < 0.5:
            raise ValueError(f"alpha must be in (0, 0.5); got {alpha!r}")
        if not 0.0 <= float(max_keep) < 1.0:
            raise ValueError(f"max_keep must be in [0, 1); got {max_keep!r}")
        self.alpha = alpha
        self.acf_return = acf_return
        self.min_periods = min_periods
        self.max_keep = max_keep
        self.change_alpha = change_alpha

    def features(self, rs: RunStats) -> dict[str, float]:
        """Of the most periodic series: ``periodic`` (0/1, :func:`is_periodic` with this
        detector's parameters: red-noise or ACF test, at least ``min_periods`` periods, and
        more periodic than any damped spiral); and, only when that test passes (0
        otherwise, so that neither a damped spiral nor noise nor size alone makes a cycle):
        ``spectral_log10p`` (-log10 of the red-noise p, clipped at 10), ``acf_return``,
        ``power_share``, ``antiphase`` (minus the D/G cross-correlation, 0 to 1),
        ``growth_if_periodic`` (:func:`amplitude_growth`) and ``spread_if_periodic``
        (:func:`relative_spread`); ``diverged_run`` (0/1): the run went NaN or blew up, so
        only the part before that was tested, and a spiral out of the equilibrium looks
        periodic there."""
        s = best_series(rs, self.periodic)
        div = 1.0 if (rs.nonfinite_step is not None or rs.blowup_step is not None) else 0.0
        if s is None:
            return {"periodic": 0.0, "spectral_log10p": 0.0, "acf_return": 0.0,
                    "power_share": 0.0, "antiphase": 0.0, "growth_if_periodic": 0.0,
                    "spread_if_periodic": 0.0, "diverged_run": div}
        p = s.periodicity
        k = 1.0 if self.periodic(p) else 0.0
        return {"diverged_run": div, "periodic": k,
                "spectral_log10p": k * float(min(-math.log10(max(p.p_spectral, 1e-300)), 10.0)),
                "acf_return": k * float(max(p.acf_return, 0.0)),
                "power_share": k * float(p.power_share),
                "antiphase": k * float(max(-rs.antiphase, 0.0)),
                "growth_if_periodic": k * amplitude_growth(s),
                "spread_if_periodic": k * relative_spread(s)}

    def periodic(self, p: st.Periodicity) -> bool:
        return is_periodic(p, self.alpha, self.acf_return, min_periods=self.min_periods,
                           max_keep=self.max_keep)

    def judge(self, rs: RunStats) -> list[Finding]:
        f = self.features(rs)
        conf, z = self.confidence("default", f)
        s = best_series(rs, self.periodic)
        ev = evidence_common(rs)
        ev.update(f)
        ev["score"] = z
        if s is None or s.periodicity is None:
            return []
        p = s.periodicity
        ev["series"] = s.role
        ev.update(p.evidence("tail"))
        period_steps = float(p.period) * s.bin_width * _step_per_point(s)
        ev["period_steps"] = period_steps
        ev["antiphase_corr"] = rs.antiphase
        ev["antiphase_lag_points"] = rs.antiphase_lag
        ev["relative_amplitude"] = p.amplitude / max(abs(s.tail_mean), 1e-12)
        for r in _ROLES:
            if r in rs.series and rs.series[r].periodicity is not None and r != s.role:
                q = rs.series[r].periodicity
                ev[f"{r}_p_spectral"] = q.p_spectral
                ev[f"{r}_acf_return"] = q.acf_return
        onset = _onset(s, p.period, self.change_alpha) if conf >= 0.5 else s.tail_start_step
        if conf >= 0.5:
            if rs.antiphase < ANTIPHASE_WORDS:
                who = "The D and G losses cycle in anti-phase"
            else:
                who = f"The {ROLE_WORDS.get(s.role, s.role)} cycles"
            summary = (f"{who} with a period of about {fmt(period_steps, 3)} steps "
                       f"({fmt(100 * p.power_share, 2)}% of the tail's variance, red-noise "
                       f"p = {fmt(p.p_spectral, 2)}): D and G circle around each other instead "
                       "of settling. Lower both learning rates, or regularise D (R1 or gradient "
                       "penalty), or use two time-scale updates (TTUR).")
        else:
            summary = (f"No persistent cycle in the losses: the strongest spectral peak "
                       f"(period ~{fmt(period_steps, 3)} steps) is within red noise "
                       f"(p = {fmt(p.p_spectral, 2)}), autocorrelation return "
                       f"{fmt(p.acf_return, 2)}.")
        return [self.finding("oscillating", conf, onset_step=onset, evidence=ev,
                             summary=summary, span=(onset, int(s.steps[-1])))]


def _step_per_point(s: SeriesStats) -> float:
    """Median steps between logged points (binned values are means of bin_width points)."""
    if len(s.steps) < 2:
        return 1.0
    return float(st.median(np.diff(s.steps))) / max(s.bin_width, 1)
