"""Per-run statistics that several detectors read, computed once per context and settings.

:func:`run_stats` gathers, for one run, the statistics of its D and G losses (and of D(x),
D(G(z)), the real/fake split and the gradient norms when they are logged) over the
*healthy* part of the run (before the first NaN/Inf) and over its *tail* (the last half of
the healthy points, where the tests of settling, trend and periodicity are made). The
result is cached on the context (per :class:`StatsSettings`), so running every detector
costs one pass.

Conventions (family, reduction, equilibrium) come from the context's
:class:`~ganlogs.findings.LossFamily`, resolved once by
:func:`ganlogs.conventions.resolve_conventions`; nothing here guesses them. Probabilities D(x), D(G(z)) are
used only when every value lies in [0, 1] (WGAN critics log raw scores under the same
names); otherwise, for the BCE families, they are recovered from the real/fake loss parts
(D(x) ~ exp(-loss_real), D(G(z)) ~ 1 - exp(-loss_fake), exact for a constant D output).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..conventions import LN2
from ..findings import LossFamily
from . import stats as st
from .base import RunContext

__all__ = ["SeriesStats", "RunStats", "StatsSettings", "run_stats", "compute_run_stats",
           "d_win", "d_outright", "OUTRIGHT_ORDERS", "HEALTHY_DROP_ORDERS", "Quality",
           "quality_of", "lr_step_downs", "AUX_ROLES", "reference_words",
           "Sufficiency", "sufficiency", "ROLES_READ", "TAIL_FRACTION", "BLOWUP_ABS",
           "BLOWUP_ORDERS", "g_loss_freeze", "g_still_at_ceiling", "FROZEN_FULL", "FROZEN_NONE",
           "FROZEN_AT_CEILING", "LossShape", "loss_shape", "shape_of", "shape_tail_length",
           "stillness_parts", "d_pinned", "g_saturated", "STILLNESS_CHANCE"]

#: default tail: this fraction of the healthy points (the end of training is what is judged)
TAIL_FRACTION = 0.5
#: default loss magnitude that is a blow-up whatever the family (the reference trainer's
#: blow-up line, near float16's overflow at 65,504 times 15)
BLOWUP_ABS = 1e6
#: default growth, in orders of magnitude above the early scale, that is a blow-up
BLOWUP_ORDERS = 2.0


@dataclass(frozen=True)
class StatsSettings:
    """The detector parameters the shared statistics depend on (see
    :class:`~ganlogs.detectors.GanDetector`); one :class:`RunStats` is cached per value."""

    tail_fraction: float = TAIL_FRACTION
    blowup_abs: float = BLOWUP_ABS
    blowup_orders: float = BLOWUP_ORDERS

_BCE = ("bce_nonsaturating", "bce_minimax")


@dataclass
class SeriesStats:
    """Statistics of one series; ``values``/``steps`` are the binned healthy points."""

    role: str
    values: np.ndarray
    steps: np.ndarray
    n_raw: int
    bin_width: int
    tail_start: int
    head_mean: float
    tail_mean: float
    tail_std: float
    tail_mad: float
    trend: st.Trend | None = None
    stationarity: st.Stationarity | None = None
    periodicity: st.Periodicity | None = None
    growth_orders: float = 0.0
    blowup_step: int | None = None

    @property
    def tail(self) -> np.ndarray:
        return self.values[self.tail_start:]

    @property
    def tail_start_step(self) -> int:
        return int(self.steps[self.tail_start])


@dataclass(frozen=True)
class Quality:
    """What a logged sample-quality metric (FID: lower is better; IS: higher is better) did.

    ``trend`` is ``plateaued`` (the last 40% of the evaluations improved on the best before
    them by less than ``tolerance`` of the metric's range... see :func:`quality_of`),
    ``improving`` or ``worsening``; ``values`` how many finite, plausible evaluations;
    ``best``, ``last`` in the metric's own units; ``change`` the relative change of the
    recent evaluations over the earlier best (positive: better).
    """

    role: str
    trend: str
    values: int
    best: float
    last: float
    change: float


#: the recent part of a quality metric's evaluations (the last 40%) must beat the earlier
#: best by this much (relative) to count as still improving, and lose this much to count
#: as worsening
QUALITY_TOLERANCE = 0.05


def quality_of(role: str, s: pd.Series | None, tolerance: float = QUALITY_TOLERANCE
               ) -> Quality | None:
    """:class:`Quality` of a metric series, or None with fewer than 4 plausible values.

    Implausible values are dropped first: non-finite, negative, or FID above 10^4 (an FID
    of 10^57 says the metric computation is broken, not the training). Compares the median
    of the last 40% of the evaluations with the best value before them.
    """
    if s is None:
        return None
    v = s.to_numpy(dtype=np.float64)
    ok = np.isfinite(v) & (v >= 0)
    if role == "fid":
        ok &= v <= 1e4
    v = v[ok]
    if len(v) < 4:
        return None
    sign = -1.0 if role == "fid" else 1.0  # to "higher is better"
    u = sign * v
    k = max(1, int(round(len(u) * 0.4)))
    early, recent = u[:-k], u[-k:]
    best_early = float(np.max(early))
    scale = max(abs(best_early), 1e-12)
    change = (float(st.median(recent)) - best_early) / scale
    trend = ("improving" if change > tolerance else "worsening" if change < -2 * tolerance
             else "plateaued")
    return Quality(role=role, trend=trend, values=int(len(v)), best=float(sign * np.max(u)),
                   last=float(v[-1]), change=float(change))


def lr_step_downs(s: pd.Series | None, factor: float = 0.8) -> tuple[int, ...]:
    """Steps where a learning rate fell below ``factor`` times its previous logged value
    (a schedule step; a smooth decay changes little between two logged points)."""
    if s is None or len(s) < 2:
        return ()
    v = s.to_numpy(dtype=np.float64)
    idx = s.index.to_numpy()
    prev, cur = v[:-1], v[1:]
    hit = np.isfinite(prev) & np.isfinite(cur) & (prev > 0) & (cur < factor * prev)
    return tuple(int(i) for i in idx[1:][hit])


@dataclass
class RunStats:
    """Everything the detectors share about one run (see the module docstring)."""

    family: str | None
    reduction: str | None
    eq_d: float | None
    eq_g: float | None
    series: dict[str, SeriesStats] = field(default_factory=dict)
    n_points: int = 0
    first_step: int | None = None
    last_step: int | None = None
    nonfinite_step: int | None = None
    nonfinite_role: str | None = None
    blowup_step: int | None = None
    blowup_role: str | None = None
    growth_orders: float = 0.0
    p_real: float | None = None
    p_fake: float | None = None
    p_source: str | None = None
    p_real_head: float | None = None
    p_fake_head: float | None = None
    grad_orders: float | None = None
    grad_peak: float | None = None
    grad_end: float | None = None
    grad_onset_step: int | None = None
    d_grad_orders: float | None = None
    antiphase: float = 0.0
    antiphase_lag: int = 0
    missing: tuple[str, ...] = ()
    family_assumed: bool = False
    huge: bool = False
    #: orders of magnitude the (non-negative) D loss fell from its start (median of the first
    #: 3 points) to its end (median of the last 10%), clipped to +-4; 0
    #: for a D loss that goes negative
    d_drop_orders: float = 0.0
    #: G loss tail median over its start (same windows), for a positive G loss; None otherwise
    g_tail_over_start: float | None = None
    #: step where the D loss (running median) first went below half its start; None if never
    d_fall_step: int | None = None
    #: the D loss's start (median of its first 3 points)
    d_start: float | None = None
    #: the G loss's start (same window)
    g_start: float | None = None
    #: the most negative of the G loss's first 3 points (the saturating loss log(1 - D(G(z)))
    #: is most negative nearest initialisation, -ln 2 at D = 1/2, and rises as D takes over
    #: within the first steps of a strong D); None without a G loss
    g_head_low: float | None = None
    #: absolute levels (equilibria) may be used: the user stated the family, or it was
    #: inferred from where the losses start (which confirms their scale)
    family_stated: bool = False
    #: lowest running median of the D loss over its start (1: D never got ahead of its start;
    #: scale-free), for a positive D loss; None otherwise
    d_low_over_start: float | None = None
    #: the logged sample-quality metric, when there is a usable one (see :class:`Quality`)
    quality: "Quality | None" = None
    #: steps where a logged learning rate stepped down by more than a fifth at once
    lr_step_downs: tuple[int, ...] = ()
    #: :func:`g_loss_freeze`'s answer once asked (three detectors ask; six percentiles each)
    _g_freeze: Any = field(default=None, repr=False, compare=False)
    #: :func:`loss_shape`'s answers once asked, by role
    _shapes: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def has_losses(self) -> bool:
        return "d_loss" in self.series or "g_loss" in self.series

    @property
    def separation(self) -> float | None:
        """D(x) - D(G(z)) over the tail, when the probabilities are known."""
        if self.p_real is None or self.p_fake is None:
            return None
        return self.p_real - self.p_fake

    @property
    def d_rel(self) -> float | None:
        """Tail mean of the D loss over its reference level (1 = at the reference): the
        family's equilibrium when the user stated the family (absolute levels may then be
        used), else the D loss's own start, where D outputs about 1/2 at initialisation --
        the same reference for an unscaled log, and unchanged when a constant weights the
        loss."""
        s = self.series.get("d_loss")
        if s is None:
            return None
        if self.family_stated and self.eq_d:
            return s.tail_mean / self.eq_d
        critic = self.family in ("wgan_gp", "wgan_clip") or self.d_low_over_start is None
        if not critic and self.d_start and self.d_start > 0:
            return s.tail_mean / self.d_start
        return None

    @property
    def g_rel(self) -> float | None:
        """As :attr:`d_rel`, for the G loss (start and tail of the same sign)."""
        s = self.series.get("g_loss")
        if s is None:
            return None
        if self.family_stated and self.eq_g:
            return s.tail_mean / self.eq_g
        critic = self.family in ("wgan_gp", "wgan_clip") or self.d_low_over_start is None
        if not critic and self.g_start and self.g_start * s.tail_mean > 0:
            return s.tail_mean / self.g_start
        return None

    def step_at(self, role: str, index: int) -> int:
        s = self.series[role]
        return int(s.steps[min(max(index, 0), len(s.steps) - 1)])


def _series(ctx: RunContext, role: str) -> pd.Series | None:
    s = ctx.series(role)
    if s is None or len(s) == 0:
        return None
    return s


def _first_nonfinite(s: pd.Series) -> int | None:
    v = s.to_numpy(dtype=np.float64)
    bad = ~np.isfinite(v)
    if not bad.any():
        return None
    return int(s.index[int(np.argmax(bad))])


def _blowup(p: st.Prepared, cfg: StatsSettings) -> tuple[float, int | None]:
    """(orders of magnitude the series grew above its early scale, step where it did).

    Worked in log10 so that finite magnitudes up to float64's largest (1.8e308) never
    overflow: the early scale is the median log10 magnitude of the first 2% of the points
    (at least 3), floored at 0 (magnitude 1)."""
    v = p.absmax if p.absmax is not None else np.abs(p.values)
    n = len(v)
    if n < 4:
        return 0.0, None
    lv = np.log10(np.maximum(np.abs(v), 1e-300))
    scale_log = max(float(st.median(lv[: max(3, n // 50)])), 0.0)
    peak_log = float(np.max(lv))
    orders = peak_log - scale_log
    step = None
    abs_log = math.log10(cfg.blowup_abs)
    if peak_log >= abs_log or orders >= cfg.blowup_orders:
        thr_log = min(abs_log, (peak_log + scale_log) / 2.0)
        i = int(np.argmax(lv >= thr_log))
        step = int(p.steps[i])
    return max(orders, 0.0), step


def _stats_for(role: str, p: st.Prepared, cfg: StatsSettings, *, full: bool) -> SeriesStats:
    v = p.values
    n = len(v)
    ts = int(n * (1.0 - cfg.tail_fraction)) if n >= 8 else 0
    tail = v[ts:]
    head = v[: max(1, n // 10)]
    s = SeriesStats(role=role, values=v, steps=p.steps, n_raw=p.n_raw, bin_width=p.bin_width,
                    tail_start=ts, head_mean=float(np.mean(head)) if n else np.nan,
                    tail_mean=float(np.mean(tail)) if len(tail) else np.nan,
                    tail_std=float(np.std(tail)) if len(tail) else np.nan,
                    tail_mad=float(st.median(np.abs(tail - st.median(tail)))) if len(tail) else np.nan)
    s.growth_orders, s.blowup_step = _blowup(p, cfg)
    if full and len(tail) >= 16:
        s.trend = st.hac_trend(tail)
        s.stationarity = st.stationarity(tail)
        s.periodicity = st.periodicity(tail)
    return s


def _grad_drop(p: st.Prepared) -> tuple[float, float, float, int | None]:
    """Orders of magnitude the gradient norm fell from its peak to the end.

    Works on log10 of the binned norm smoothed by a running median (window 5% of the
    points), so single spikes neither make the peak nor the end. Onset: the first step after
    the peak where the norm is two orders below it (the reference trainer's definition).
    """
    v = p.values
    n = len(v)
    if n < 8:
        return 0.0, np.nan, np.nan, None
    lv = np.log10(np.maximum(v, 1e-30))
    w = max(3, n // 20) | 1
    sm = st.running_median(lv, w)
    ipk = int(np.argmax(sm))
    peak = float(sm[ipk])
    end = float(st.median(lv[-max(3, n // 10):]))
    orders = max(peak - end, 0.0)
    onset = None
    below = np.nonzero(sm[ipk:] <= peak - 2.0)[0]
    if len(below):
        onset = int(p.steps[ipk + int(below[0])])
    return orders, 10 ** peak, 10 ** end, onset


def _prob_like(p: st.Prepared | None) -> bool:
    return p is not None and len(p.values) > 0 and float(np.min(p.values)) >= -1e-6 \
        and float(np.max(p.values)) <= 1 + 1e-6


def levels_trusted(conventions: LossFamily) -> bool:
    """Whether the family's equilibria may be compared with the logged levels: the user
    stated the family, or it was inferred from the losses' starting values (which confirms
    their scale). A family inferred from a sign (a negative critic or minimax G loss) or a
    tag name says nothing about a constant weight on the loss."""
    if conventions.method == "user":
        return True
    return (conventions.method == "values" and conventions.family in
            ("bce_nonsaturating", "lsgan", "hinge") and "start" in conventions.reasons[0])


def compute_run_stats(series: Mapping[str, pd.Series | None], conventions: LossFamily,
                      settings: StatsSettings = StatsSettings()) -> RunStats:
    """:class:`RunStats` from role -> detector view (step-indexed Series or None), judged
    under ``conventions`` (see :func:`ganlogs.conventions.resolve_conventions`)."""
    cfg = settings
    series = dict(series)
    aux = {r: series.pop(r, None) for r in AUX_ROLES}
    prepared = {r: st.prepare(s) for r, s in series.items() if s is not None and len(s)}
    family = conventions.reference_family
    reduction = conventions.reference_reduction
    eq_d, eq_g = conventions.equilibrium_d_loss, conventions.equilibrium_g_loss
    assumed = conventions.assumed
    rs = RunStats(family=family, reduction=reduction, eq_d=eq_d, eq_g=eq_g,
                  family_assumed=assumed, family_stated=levels_trusted(conventions))
    # sample quality and learning-rate schedule: read apart (a NaN FID is not a divergence)
    for role in ("fid", "is"):
        rs.quality = rs.quality or quality_of(role, aux.get(role))
    rs.lr_step_downs = tuple(sorted(set(lr_step_downs(aux.get("lr_d"))
                                        + lr_step_downs(aux.get("lr_g")))))
    # divergence: first non-finite over every logged role
    nf = [(st_, r) for r, s in series.items() if s is not None and len(s)
          for st_ in [_first_nonfinite(s)] if st_ is not None]
    if nf:
        rs.nonfinite_step, rs.nonfinite_role = min(nf)
    # healthy cut: every series is judged before the first non-finite value of the run
    if rs.nonfinite_step is not None:
        cut = {r: s[s.index < rs.nonfinite_step] for r, s in series.items()
               if s is not None and len(s)}
        prepared = {r: st.prepare(s) for r, s in cut.items() if len(s)}
    # blow-up of a loss, or of a critic's raw outputs (finite but growing by orders of
    # magnitude); probabilities D(x), D(G(z)) cannot blow up
    grow = [(r, prepared[r]) for r in ("d_loss", "g_loss", "d_x", "d_gz")
            if prepared.get(r) is not None and len(prepared[r].values)
            and (r in ("d_loss", "g_loss") or not _prob_like(prepared[r]))]
    blows = [(b, r, o) for r, p in grow for o, b in [_blowup(p, cfg)]]
    rs.huge = any(p.absmax is not None and len(p.absmax) and float(np.max(p.absmax)) >= cfg.blowup_abs
                  for _, p in grow)
    rs.growth_orders = max((o for _, _, o in blows), default=0.0)
    found = [(b, r) for b, r, _ in blows if b is not None]
    if found:
        rs.blowup_step, rs.blowup_role = min(found)
        # like a NaN, a blow-up ends the healthy part: the other labels are judged before it
        cut = {r: s[s.index < rs.blowup_step] for r, s in series.items()
               if s is not None and len(s)}
        if rs.nonfinite_step is not None:
            cut = {r: s[s.index < rs.nonfinite_step] for r, s in cut.items()}
        prepared = {r: st.prepare(s) for r, s in cut.items() if len(s)}
    full_roles = ("d_loss", "g_loss", "d_x", "d_gz")
    for role, p in prepared.items():
        if p is None or len(p.values) == 0:
            continue
        if role in ("g_grad_norm", "d_grad_norm"):
            continue
        rs.series[role] = _stats_for(role, p, cfg, full=role in full_roles)
    losses = [rs.series[r] for r in ("d_loss", "g_loss") if r in rs.series]
    rs.n_points = min((s.n_raw for s in losses), default=0)
    if losses:
        rs.first_step = min(int(s.steps[0]) for s in losses)
    last = [int(s.index[-1]) for s in series.values() if s is not None and len(s)]
    rs.last_step = max(last) if last else None
    # probabilities D(x), D(G(z))
    px, pg = prepared.get("d_x"), prepared.get("d_gz")
    if _prob_like(px) and _prob_like(pg):
        sx, sg = rs.series["d_x"], rs.series["d_gz"]
        rs.p_real, rs.p_fake = sx.tail_mean, sg.tail_mean
        rs.p_real_head, rs.p_fake_head = sx.head_mean, sg.head_mean
        rs.p_source = "d_x/d_gz"
    elif family in _BCE and "d_loss_real" in rs.series and "d_loss_fake" in rs.series:
        r_, f_ = rs.series["d_loss_real"], rs.series["d_loss_fake"]
        k = 1.0
        rs.p_real = math.exp(-max(r_.tail_mean, 0.0) * k)
        rs.p_fake = 1.0 - math.exp(-max(f_.tail_mean, 0.0) * k)
        rs.p_real_head = math.exp(-max(r_.head_mean, 0.0))
        rs.p_fake_head = 1.0 - math.exp(-max(f_.head_mean, 0.0))
        rs.p_source = "d_loss_real/d_loss_fake"
    # gradient norms
    if prepared.get("g_grad_norm") is not None and len(prepared["g_grad_norm"].values) >= 8:
        rs.grad_orders, rs.grad_peak, rs.grad_end, rs.grad_onset_step = \
            _grad_drop(prepared["g_grad_norm"])
    if prepared.get("d_grad_norm") is not None and len(prepared["d_grad_norm"].values) >= 8:
        rs.d_grad_orders = _grad_drop(prepared["d_grad_norm"])[0]
    # anti-phase of D and G losses over the tail
    if "d_loss" in rs.series and "g_loss" in rs.series:
        d, g = rs.series["d_loss"], rs.series["g_loss"]
        if d.bin_width == g.bin_width:
            lag = 2
            per = d.periodicity.period if d.periodicity is not None else np.nan
            if np.isfinite(per):
                lag = max(2, min(int(per / 4), 50))
            rs.antiphase, rs.antiphase_lag = st.anti_phase(d.tail, g.tail, lag)
    # how far the D loss fell from its own start, and what the G loss did meanwhile: scale-free
    # (a constant weight on a loss changes neither)
    if "d_loss" in rs.series:
        d = rs.series["d_loss"]
        v = d.values
        if len(v) >= 8 and float(np.min(v)) >= 0:
            # the start: the first 3 points, nearest to initialisation (D outputs about 1/2)
            start = float(st.median(v[:3]))
            end = float(st.median(v[-max(3, len(v) // 10):]))
            rs.d_start = start
            if start > 0:
                # running median over 5% of the points (one for the low and the fall)
                w = max(3, len(v) // 20) | 1
                sm = st.running_median(v, w)
                rs.d_low_over_start = float(sm.min()) / start
                rs.d_drop_orders = float(min(max(math.log10(start / max(end, start * 1e-4)),
                                                 -4.0), 4.0))
                # the fall: where the D loss (running median) first went below half its start
                below = np.nonzero(sm < start / 2.0)[0]
                if len(below):
                    rs.d_fall_step = int(d.steps[int(below[0])])
    if "g_loss" in rs.series:
        g = rs.series["g_loss"]
        v = g.values
        if len(v) >= 8:
            rs.g_start = float(st.median(v[:3]))
            rs.g_head_low = float(np.min(v[:3]))
            if float(np.min(v)) > 0:
                rs.g_tail_over_start = float(st.median(g.tail)) / max(rs.g_start, 1e-12)
    rs.missing = tuple(r for r in ("d_loss", "g_loss", "d_x", "d_gz", "g_grad_norm")
                       if r not in prepared)
    return rs


#: roles read apart from the losses: quality metrics and learning rates
AUX_ROLES = ("fid", "is", "lr_d", "lr_g")
ROLES_READ = ("d_loss", "g_loss", "d_loss_real", "d_loss_fake", "d_x", "d_gz", "g_grad_norm",
              "d_grad_norm") + AUX_ROLES


def run_stats(ctx: RunContext, settings: StatsSettings = StatsSettings()) -> RunStats:
    """The :class:`RunStats` of ``ctx`` under ``settings`` (computed once, then cached)."""
    def build() -> RunStats:
        series = {r: _series(ctx, r) for r in ROLES_READ}
        return compute_run_stats(series, ctx.loss_family, settings)

    return st.cached(ctx, ("run_stats", settings), build)


@dataclass(frozen=True)
class Sufficiency:
    """Whether a run has enough to judge: ``reason`` is None when it has, else one phrase
    saying what is missing; ``points`` counts finite loss points before the first NaN/Inf
    or blow-up."""

    reason: str | None
    points: int
    first_step: int | None
    last_step: int | None


def sufficiency(ctx: RunContext, *, min_points: int = st.MIN_POINTS,
                settings: StatsSettings = StatsSettings()) -> Sufficiency:
    """Whether ``ctx`` holds a D or G loss with at least ``min_points`` healthy points.

    Analysis reads this to give a run its one ``insufficient_data`` finding; detectors give
    no finding on such a run (divergence excepted: a NaN needs no long history)."""
    rs = run_stats(ctx, settings)
    why = None
    if not rs.has_losses:
        why = ("no GAN losses found: no discriminator or generator loss recognised (name "
               "them with --role d_loss=TAG --role g_loss=TAG)")
    elif rs.n_points < min_points:
        cut = (" before the first NaN/Inf" if rs.nonfinite_step is not None
               else " before the blow-up" if rs.blowup_step is not None else "")
        why = (f"only {rs.n_points} finite loss points{cut}; at least {min_points} are "
               "needed to judge the run")
    return Sufficiency(reason=why, points=rs.n_points, first_step=rs.first_step,
                       last_step=rs.last_step)


def fmt(v: float | None, digits: int = 3) -> str:
    """A number for a summary sentence."""
    if v is None or not np.isfinite(v):
        return "n/a"
    return f"{v:.{digits}g}"


def reference_words(rs: RunStats) -> str:
    """What :attr:`RunStats.d_rel` and ``g_rel`` are relative to, for summaries."""
    return "its equilibrium" if rs.family_stated else "its start"


def equilibrium_words(rs: RunStats) -> str:
    """'2 ln 2 = 1.386' style name of the D-loss equilibrium, for summaries."""
    if rs.eq_d is None:
        return "no fixed value"
    if rs.family in _BCE:
        return ("2 ln 2 = 1.386" if abs(rs.eq_d - 2 * LN2) < 1e-9 else "ln 2 = 0.693")
    return f"{rs.eq_d:g}"


def evidence_common(rs: RunStats) -> dict[str, Any]:
    """Context every finding carries: family, equilibria, points judged."""
    return {"loss_family": rs.family, "loss_family_assumed": rs.family_assumed,
            "d_loss_reduction": rs.reduction,
            "equilibrium_d_loss": rs.eq_d, "equilibrium_g_loss": rs.eq_g,
            "points": rs.n_points}


#: a D loss this many orders of magnitude below its start has won outright (6% of its start:
#: D(x) ~ 0.96, D(G(z)) ~ 0.04 for a summed BCE loss, 0.83 / 0.17 for LSGAN)
OUTRIGHT_ORDERS = 1.2
#: below this fall (orders of magnitude) a D loss is within what healthy runs show (a BCE D
#: loss settling at D(x) = 0.8, D(G(z)) = 0.2 is 0.35 orders below its start)
HEALTHY_DROP_ORDERS = 0.5


def d_outright(rs: RunStats, orders: float = OUTRIGHT_ORDERS) -> float:
    """How clearly the discriminator has won, from the losses' own scale, 0 to 1: 0 while
    its (non-negative) loss is within :data:`HEALTHY_DROP_ORDERS` of its start, rising
    linearly to 1 at ``orders`` orders of magnitude below it; 0 when the G loss fell
    meanwhile (tail under 0.7 x its start: G is keeping up). Family-free, and unchanged
    when a constant weights a loss. A D loss pinned at the bottom of its own range
    (:func:`d_pinned`) counts as well: that reading does not need the loss's floor, so it
    also holds when a constant is added to the loss."""
    pinned = d_pinned(rs)
    if rs.g_tail_over_start is not None and rs.g_tail_over_start < 0.7:
        return pinned
    span = max(orders - HEALTHY_DROP_ORDERS, 1e-6)
    from_loss = (rs.d_drop_orders - HEALTHY_DROP_ORDERS) / span
    # logged probabilities say it directly: D(x) - D(G(z)) from 0.5 (clearly ahead) to 0.9
    from_probs = ((rs.separation - 0.5) / 0.4 if rs.p_source == "d_x/d_gz"
                  and rs.separation is not None else 0.0)
    return float(min(max(from_loss, from_probs, pinned, 0.0), 1.0))


@dataclass(frozen=True)
class LossShape:
    """Where a loss ended within its own range and how still it became there; every field
    is unchanged when a constant weights the loss or is added to it.

    ``position``: the tail's median between the run's 1st and 99th percentiles (0 bottom,
    1 top); ``move``: that median minus the start (median of the first 3 points), over the
    same range (-1: it fell the whole range); ``stillness``: orders of magnitude by which
    the tail's jitter (median absolute second difference, which a smooth trend does not
    enter) is below that of the liveliest tenth of the run after the first, less what
    chance gives a short tail beyond the rules' half-order allowance
    (:data:`STILLNESS_CHANCE`; 0 to
    :data:`STILLNESS_CAP`; the cap when the tail does not move at all).
    """

    position: float
    move: float
    stillness: float


#: :attr:`LossShape.stillness` is clipped here (a tail that never changes, as a loss logged
#: to 3 decimals that reads 0.000, is as still as a shape can say)
STILLNESS_CAP = 4.0
#: Stillness counts only what chance does not reach. The jitter of a short tail is a median
#: of few second differences, and the liveliest of nine tenths is a maximum of nine such
#: medians, so a series with no change of regime at all (white noise, a random walk, AR(1),
#: an EMA-smoothed log, a trend in noise) shows up to 2.5 / sqrt(m) orders of "stillness" in
#: 99 of 100 series, m the number of second differences in the tail (1.3 orders on a 50-point
#: log, 0.25 on 1,000 points): ``bench/stillness_chance.py`` prints the simulation. The
#: rules' smallest allowance, :data:`D_STILL_NONE` (half an order counts nothing), covers
#: that on tails of 25 or more second differences (250+ points); on shorter tails the
#: excess of chance over it is taken off before any rule reads the stillness.
STILLNESS_CHANCE = 2.5
#: the tail over which :func:`loss_shape` reads position and stillness: the last tenth of
#: the healthy points (the end state; the tail of the trend tests is the last half)
SHAPE_TAIL_FRACTION = 0.1


def _jitter_of(a: np.ndarray) -> float:
    """Jitter from the absolute second differences ``a`` of a series (at least one): their
    median, the step-to-step jitter with any smooth trend (a fall, a climb) taken out, so
    that a smoothed log (TensorBoard's EMA), whose jitter shrinks everywhere alike, keeps its
    ratios; the median leaves out the first points of an EMA, which are still nearly raw.
    Where most steps print no change (a loss logged to few decimals), the mean stands in; 0
    only for a series that never changes."""
    m = float(st.median(a))
    return m if m > 0 else float(np.mean(a))


def shape_tail_length(n: int) -> int:
    """Points in the tail that :func:`shape_of` reads, for a loss of ``n`` points: the last
    :data:`SHAPE_TAIL_FRACTION`, at least 5."""
    return max(5, int(n * SHAPE_TAIL_FRACTION))


def loss_shape(rs: RunStats, role: str) -> LossShape | None:
    """:class:`LossShape` of the ``role`` series, or None with fewer than 20 points or no
    range."""
    if role not in rs._shapes:
        s = rs.series.get(role)
        rs._shapes[role] = None if s is None else shape_of(s.values)
    return rs._shapes[role]


def shape_of(values: Any) -> LossShape | None:
    """:class:`LossShape` of a loss's values (in step order), or None with fewer than 20
    points or no range: what :func:`loss_shape` reads for one role."""
    v = np.asarray(values, dtype=float)
    if len(v) < 20:
        return None
    lo, hi = (float(x) for x in np.percentile(v, [1, 99]))
    if not hi > lo:
        return None
    mid = float(st.median(v[-shape_tail_length(len(v)):]))
    raw, excess = stillness_parts(v)
    stillness = STILLNESS_CAP if raw == math.inf else min(max(raw - excess, 0.0), STILLNESS_CAP)
    return LossShape(position=(mid - lo) / (hi - lo), move=(mid - float(st.median(v[:3]))) / (hi - lo),
                     stillness=stillness)


def stillness_parts(v: np.ndarray) -> tuple[float, float]:
    """(raw stillness, chance excess) of ``v`` (at least 20 points): the orders of magnitude by
    which the tail's jitter lies below the liveliest tenth's after the first (``inf`` when the
    tail never changes), and what :data:`STILLNESS_CHANCE` takes off for the tail's length;
    :class:`LossShape`'s stillness is their difference, clipped to [0, :data:`STILLNESS_CAP`]."""
    tail_len = shape_tail_length(len(v))
    # the first tenth is left out: it holds the start's transient and, in a smoothed log,
    # the EMA's warm-up, both livelier than any later state of a healthy run
    # each tenth's second differences are a slice of the whole run's: one pass, the same
    # values as np.array_split's tenths (the first len(v) % 10 tenths hold one point more)
    a = np.abs(np.diff(v, 2))
    size, extra = divmod(len(v), 10)
    starts = [i * size + min(i, extra) for i in range(11)]
    lively = max((_jitter_of(a[starts[i]:starts[i + 1] - 2]) for i in range(1, 10)
                  if starts[i + 1] - starts[i] >= 3), default=0.0)
    still = _jitter_of(a[len(v) - tail_len:])  # the tail's own second differences
    excess = max(STILLNESS_CHANCE / math.sqrt(tail_len - 2) - D_STILL_NONE, 0.0)
    if still <= 0:  # the tail never changes while the run did
        return math.inf, excess
    return max(math.log10(max(lively, still) / still), 0.0), excess


#: a loss is *pinned* at an end of its range when its tail's median lies within this share
#: of the range from that end and it got there from its start across at least
#: :data:`PINNED_MOVE` of the range (a loss that starts at its floor has won nothing)
PINNED_POSITION = 0.1
PINNED_MOVE = 0.5
#: ... and its step-to-step motion shrank: a non-negative loss near its floor moves about as
#: much as its own small value, so a D loss at a tenth of its start moves about a tenth as
#: much (one order); half an order of stillness counts nothing, 1.5 orders count fully
D_STILL_NONE, D_STILL_FULL = 0.5, 1.5
#: the saturating G loss log(1 - D(G(z))) moves by D(G(z)) times its input's motion, the
#: factor its gradient shrinks by; its stillness is therefore read as that shrink, counting
#: from one order and fully at the label's two orders of magnitude. The non-saturating loss
#: -log D(G(z)) moves *more* as D wins, so it never reads as saturated.
G_SATURATED_NONE, G_SATURATED_FULL = 1.0, 2.0


def _ramp(x: float, none: float, full: float) -> float:
    return float(min(max((x - none) / (full - none), 0.0), 1.0))


def d_pinned(rs: RunStats) -> float:
    """0-1: the D loss fell to the bottom of its own range and went still there while the G
    loss rose (:data:`PINNED_POSITION`, :data:`PINNED_MOVE`, ramp from
    :data:`D_STILL_NONE` to :data:`D_STILL_FULL` orders of stillness): a discriminator that
    won outright, read without the loss's floor, its family or its scale."""
    if rs.family in ("wgan_gp", "wgan_clip"):
        return 0.0  # a critic's loss has no floor to be pinned at
    if rs.p_source == "d_x/d_gz":
        return 0.0  # logged D(x), D(G(z)) say directly how far D is ahead (d_outright reads them)
    d, g = loss_shape(rs, "d_loss"), loss_shape(rs, "g_loss")
    if d is None or g is None:
        return 0.0
    if d.position > PINNED_POSITION or d.move > -PINNED_MOVE or g.move <= 0:
        return 0.0
    if g.stillness >= G_SATURATED_NONE and g.position < 1.0 - PINNED_POSITION:
        # both losses went still with G short of the top of its range: the players came to
        # rest (a Dirac-GAN at its equilibrium, D's loss falling from a high start to 2 ln 2),
        # not a discriminator that won
        return 0.0
    return _ramp(d.stillness, D_STILL_NONE, D_STILL_FULL)


def g_saturated(rs: RunStats) -> float:
    """0-1: the G loss rose to the top of its own range and went still there, by
    :data:`G_SATURATED_NONE` to :data:`G_SATURATED_FULL` orders: the saturating loss under a
    discriminator that won (its gradient shrank by about as much); family-free, and
    unchanged when a constant weights the loss or is added to it."""
    g = loss_shape(rs, "g_loss")
    if g is None or g.position < 1.0 - PINNED_POSITION or g.move < PINNED_MOVE:
        return 0.0
    return _ramp(g.stillness, G_SATURATED_NONE, G_SATURATED_FULL)


#: a G loss whose last half spans at most this share of the run's range is fully frozen, and
#: one that spans ``FROZEN_NONE`` or more is not frozen at all (linear between). The
#: saturating loss log(1 - D(G(z))) spans about ln 2 over a run, so a tail moving 0.5% of
#: that keeps D(G(z)) within about 0.0035: a gradient shrunk about 140x, past the truth's
#: two orders; at 2% (D(G(z)) near 0.014, a 36x shrink) the freeze says nothing.
FROZEN_FULL = 0.005
FROZEN_NONE = 0.02
#: ... and its tail must sit at the top of its range (median at or above this position from
#: the run's lowest to highest value): the saturating loss rises to its ceiling as D wins
FROZEN_AT_CEILING = 0.9


def g_loss_freeze(rs: RunStats) -> tuple[float, float] | None:
    """(spread ratio, position) of the G loss's tail, or None without enough points.

    The spread ratio is the 5-95% range of the tail (the run's last half) over that of the
    whole run; the position is where the tail's median sits between the run's 1st and 99th
    percentiles (0 bottom, 1 top). Both are unchanged when a constant weights the loss or is
    added to it, and neither needs the family: a loss whose gradient has vanished stops
    moving, and the saturating loss stops at its ceiling.
    """
    if rs._g_freeze is None:
        rs._g_freeze = (_g_loss_freeze(rs.series.get("g_loss")),)
    return rs._g_freeze[0]


def _g_loss_freeze(g: SeriesStats | None) -> tuple[float, float] | None:
    if g is None or len(g.values) < 20 or len(g.tail) < 10:
        return None
    v, t = np.asarray(g.values, dtype=float), np.asarray(g.tail, dtype=float)
    lo, p5, p95, hi = (float(x) for x in np.percentile(v, [1, 5, 95, 99]))
    whole = p95 - p5
    if not whole > 0 or not hi > lo:
        return None
    t5, t95 = np.percentile(t, [5, 95])
    ratio = float(t95 - t5) / whole
    return ratio, (float(st.median(t)) - lo) / (hi - lo)


def g_still_at_ceiling(rs: RunStats) -> float:
    """0-1: the G loss stopped moving at the top of its range (1 when its last half spans
    :data:`FROZEN_FULL` of the run's range or less, 0 at :data:`FROZEN_NONE` or more, 0 when
    its tail is not at the top, :data:`FROZEN_AT_CEILING`). The saturating loss does this
    under a winning discriminator (its gradient has vanished); the non-saturating loss keeps
    moving and climbing (a strong gradient: collapse territory)."""
    freeze = g_loss_freeze(rs)
    if freeze is None or freeze[1] < FROZEN_AT_CEILING:
        return 0.0
    return float(min(max((FROZEN_NONE - freeze[0]) / (FROZEN_NONE - FROZEN_FULL), 0.0), 1.0))


def d_win(rs: RunStats) -> float:
    """How clearly D wins, 0 (even) to 1 (D(x) = 1, D(G(z)) = 0).

    From D(x) - D(G(z)) when the probabilities are known; else from how far the D loss fell
    below its reference level (:attr:`RunStats.d_rel`): 1 - D loss / equilibrium when the
    levels are confirmed, else, against its own start, 0 below 0.15 orders of magnitude
    rising to 1 at one order; 0 for WGAN critics without probabilities; at least
    :func:`d_pinned` (a D loss pinned at the bottom of its range, read without its level).
    """
    sep = rs.separation
    if sep is not None:
        return float(min(max(sep, 0.0), 1.0))
    return max(_d_win_from_level(rs), d_pinned(rs))


def _d_win_from_level(rs: RunStats) -> float:
    rel = rs.d_rel
    if rel is None or rs.family in ("wgan_gp", "wgan_clip"):
        return 0.0
    if rs.family_stated:
        return float(min(max(1.0 - rel, 0.0), 1.0))
    # relative to the run's own start, which is only near the equilibrium: a fall of less
    # than 0.15 orders of magnitude (30%) is within what that reference can tell, and a
    # fall of one order is a clear win
    orders = -math.log10(max(rel, 1e-6))
    return float(min(max((orders - 0.15) / 0.85, 0.0), 1.0))


def last_change_step(s: SeriesStats, alpha: float = 0.001) -> int:
    """Step where the final regime of ``s`` (in mean) begins: the last change point found
    by binary segmentation with the CUSUM test at level ``alpha``, or the first step."""
    cps = st.binary_segmentation(s.values, alpha=alpha, min_size=max(10, len(s.values) // 50))
    return int(s.steps[cps[-1]]) if cps else int(s.steps[0])


def first_change_step(s: SeriesStats, alpha: float = 0.001) -> int:
    """Step of the first change in mean of ``s`` (binary segmentation, CUSUM test at level
    ``alpha``), or the first step: where a regime that took over early (D winning) began."""
    cps = st.binary_segmentation(s.values, alpha=alpha, min_size=max(10, len(s.values) // 50))
    return int(s.steps[cps[0]]) if cps else int(s.steps[0])
