"""``converged``: the losses have settled and no failure is seen.

Method
------
``converged`` excludes the four failure labels, so this detector first asks the failure
detectors (divergence, oscillation, mode collapse, vanishing gradients) for their
confidences on the same statistics, then tests whether the tail (last half of the healthy
points) of the D and G losses is settled:

* no unit root: ADF (Dickey and Fuller 1979; null: unit root) rejects -- a random walk
  does not settle; KPSS (Kwiatkowski et al. 1992; null: stationary about a level) is
  reported beside it (on 500+ points it rejects the slow drifts healthy GANs keep);
* the size of the drift: OLS slope on the point index with Newey-West (1987) HAC standard
  errors, the fitted change over the tail relative to the tail's level, with Kendall's tau
  (Mann 1945, Kendall 1975) beside it;
* a negligible motion (a noiseless run resting on its equilibrium) is settled whatever the
  tests say;
* the distance of the tail's level from the family's equilibrium (2 ln 2 / ln 2 for a
  summed / averaged BCE D loss, ln 2 for the non-saturating G loss, ...) is reported but
  not used: a healthy GAN often settles away from it (D(x) = 0.95 against a good generator
  is common), which is why the "ideal value" rule fails (see bench/accuracy.py).

P(settled) is a fixed map of these statistics (the ``settled_weights`` parameter, default
:data:`SETTLED`: the labelled corpus has no failure-free unsettled runs, so it cannot be
fitted there). The failure confidences come from the failure detectors' findings on the
same run: the ones :func:`ganlogs.analyze` ran (the detectors the user passed), else this
detector's ``failure_detectors``. The raw score P(settled) x (1 - largest failure
confidence) goes through the calibration's ``convergence/default`` Platt map. The
confidence is kept below ``min_confidence`` whenever a failure reaches it, so a run never
carries ``converged`` together with a failure label (analysis enforces the same at the
user's threshold). The onset is the start of the losses' final regime (binary
segmentation with the CUSUM test).
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import ClassVar

import numpy as np

from typing import Mapping, Sequence

from ..findings import FAILURE_LABELS
from .stats import logistic, median
from ._common import GanDetector, tail_span
from .runstats import RunStats, equilibrium_words, evidence_common, fmt, last_change_step
from .base import Detector, Finding, RunContext
from .divergence import DivergenceDetector
from .mode_collapse import ModeCollapseDetector
from .oscillation import (ACF_RETURN, ALPHA, OscillationDetector, amplitude_growth, best_series,
                          is_periodic, relative_spread)
from .vanishing_gradients import VanishingGradientsDetector

__all__ = ["ConvergenceDetector", "settling_statistics", "failure_confidences", "SETTLED", "EQUILIBRIUM_REST",
           "rests_at_equilibrium"]


def failure_confidences(findings: Sequence[Finding]) -> dict[str, float]:
    """Failure label -> largest confidence among ``findings``."""
    out: dict[str, float] = {}
    for f in findings:
        if f.label in FAILURE_LABELS:
            out[f.label] = max(out.get(f.label, 0.0), f.confidence)
    return out


def settling_statistics(rs: RunStats, *, alpha: float = ALPHA,
                        acf_return: float = ACF_RETURN) -> dict[str, float]:
    """Statistics of the D and G loss tails: ``stationary`` (share that pass ADF and KPSS),
    ``unit_root`` (share where ADF does not reject a unit root, p > 0.05: a random walk),
    ``trend_excess`` (largest |HAC t| of the tail slopes beyond 2, i.e. beyond what a
    trendless tail shows by chance, clipped to [0, 8]), ``log10_drift`` (log10 of the
    largest fitted change over the tail relative to the tail's level plus its spread,
    clipped to [-4, 1]: long runs make the tests detect drifts far too small to matter, so
    the size of the drift is read too), ``tiny_motion`` (how many orders of magnitude below
    1e-3 the tails' relative spread is, 0 to 3: a loss that moves by 1e-6 of itself has
    settled even if the tests call its last decay a trend, as in a noiseless Dirac-GAN),
    ``persistent_cycle`` (1 when the most periodic tail passes the periodicity test and its
    amplitude does not decay by more than e over the tail),
    ``frozen_losses_moving_gradients`` (1 when the losses barely move -- tiny_motion >= 1 --
    while the logged gradient norms fell less than one order of magnitude from their peak),
    ``equilibrium_distance`` (|D loss tail / equilibrium - 1|, clipped at 3; 0 for WGAN)."""
    tails = [rs.series[r] for r in ("d_loss", "g_loss") if r in rs.series]
    stat = [s.stationarity.stationary for s in tails if s.stationarity is not None]
    unit = [s.stationarity.adf_p > 0.05 for s in tails if s.stationarity is not None]
    ts = [abs(s.trend.t) for s in tails if s.trend is not None and math.isfinite(s.trend.t)]
    spread = [relative_spread(s) for s in tails]
    dist = 0.0
    if rs.d_rel is not None:
        dist = float(min(abs(rs.d_rel - 1.0), 3.0))
    tiny = float(min(max(-(max(spread) + 3.0), 0.0), 3.0)) if spread else 0.0
    drifts = [abs(s.trend.change) / (abs(s.tail_mean) + s.tail_std + 1e-12)
              for s in tails if s.trend is not None and math.isfinite(s.trend.change)]
    drift = float(min(max(math.log10(max(max(drifts), 1e-12)), -4.0), 1.0)) if drifts else 1.0
    def periodic(p):
        return is_periodic(p, alpha, acf_return)

    best = best_series(rs, periodic)
    persistent = 0.0
    if best is not None and best.periodicity is not None and periodic(best.periodicity) \
            and amplitude_growth(best) > -1.0:
        persistent = 1.0
    grads = [o for o in (rs.grad_orders, rs.d_grad_orders) if o is not None]
    frozen = 1.0 if tiny >= 1.0 and grads and max(grads) < 1.0 else 0.0
    return {"stationary": float(sum(stat) / len(stat)) if stat else 0.0,
            "unit_root": float(sum(unit) / len(unit)) if unit else 1.0,
            "persistent_cycle": persistent,
            "frozen_losses_moving_gradients": frozen,
            "log10_drift": drift,
            "trend_excess": float(min(max(max(ts) - 2.0, 0.0), 8.0)) if ts else 8.0,
            "tiny_motion": tiny,
            "equilibrium_distance": dist}


#: The *definition* of settled losses (not fitted: the labelled corpus holds no run that is
#: free of failures yet unsettled -- such runs are left unlabelled -- so it cannot teach
#: what settling is). Logit = intercept + sum coef x feature: a negligible motion settles;
#: a unit root (random walk) that wanders by more than 1-10% of the level (the penalty grows
#: from 0 at 1% to full at 10%: on 500+ points ADF often keeps the unit root of a tail that
#: barely moves), a drift larger than a tenth of the level, and a significant
#: cycle that does not die out (however small: a Dirac-GAN circling its equilibrium moves
#: its losses by 1e-6) do not; nor do losses frozen at a value while the logged gradient norms
#: have not fallen by an order of magnitude (the players still move, e.g. rotating about the
#: equilibrium in a direction the losses cannot see).
SETTLED = {"intercept": 2.0, "tiny_motion": 2.0, "unit_root": -5.0, "drift_above_tenth": -3.0,
           "persistent_cycle": -3.0, "frozen_losses_moving_gradients": -4.0}


#: A loss "rests at the equilibrium" when its tail is within this share of the family's
#: equilibrium value (2 ln 2 / ln 2 ... for BCE) while it barely moves (``tiny_motion`` >= 1:
#: relative spread under 1e-4). A noiseless rest exactly at the equilibrium is what a GAN at its
#: Nash equilibrium shows (a Dirac-GAN with R1); 2% leaves room for the last decay of the tail.
#: Read only when the family is known (stated, or inferred without doubt): an offset or weight
#: that hides the family leaves this evidence out rather than guessing.
EQUILIBRIUM_REST = 0.02


def settled_probability(f: dict[str, float], weights: Mapping[str, float] = SETTLED) -> float:
    """P(settled) from :func:`settling_statistics` by the fixed map ``weights``."""
    w = weights
    # a negligible motion settles a run unless that motion is itself a persistent cycle
    still = max(f["persistent_cycle"], f["frozen_losses_moving_gradients"])
    z = (w["intercept"]
         + w["tiny_motion"] * f["tiny_motion"] * (1.0 - still)
         + w["frozen_losses_moving_gradients"] * f["frozen_losses_moving_gradients"]
         + w["unit_root"] * f["unit_root"] * min(max(f["log10_drift"] + 2.0, 0.0), 1.0)
         + w["drift_above_tenth"] * max(f["log10_drift"] + 1.0, 0.0)
         + w["persistent_cycle"] * f["persistent_cycle"])
    return logistic(z)


def rests_at_equilibrium(rs: RunStats, settling: Mapping[str, float], tol: float = EQUILIBRIUM_REST) -> bool:
    """True when :func:`equilibrium_offset` is within ``tol``."""
    return equilibrium_offset(rs, settling) <= tol


def equilibrium_offset(rs: RunStats, settling: Mapping[str, float]) -> float:
    """|D loss tail / the family's equilibrium - 1| for a known family (not WGAN) whose losses
    barely move without a persistent cycle or frozen losses over moving gradients; inf
    otherwise."""
    d = rs.series.get("d_loss")
    if d is None or not rs.eq_d or rs.family in (None, "unknown", "wgan_gp", "wgan_clip"):
        return math.inf
    if settling.get("persistent_cycle", 0.0) or settling.get("frozen_losses_moving_gradients", 0.0):
        return math.inf
    if settling.get("tiny_motion", 0.0) < 1.0:
        return math.inf
    return abs(d.tail_mean / rs.eq_d - 1.0)


class ConvergenceDetector(GanDetector):
    """Detect settled losses with no failure (label ``converged``)."""

    name: ClassVar[str] = "convergence"
    labels: ClassVar[tuple[str, ...]] = ("converged",)
    #: analysis passes this detector the failure findings of the run (see :meth:`detect`)
    reads_failures: ClassVar[bool] = True

    def __init__(self, *, failure_detectors: Sequence[Detector] | None = None,
                 settled_weights: Mapping[str, float] | None = None,
                 min_confidence: float = 0.5, cycle_alpha: float = ALPHA,
                 cycle_acf_return: float = ACF_RETURN, change_alpha: float = 0.001,
                 d_ahead: float = 0.10, critic_closed: float = 0.25, **common) -> None:
        """Parameters:

        ``failure_detectors``: the failure detectors asked when :meth:`detect` is called
        without the run's failure findings (default None: the four default ones, built with
        the same ``common`` parameters); ``settled_weights``: the map from
        :func:`settling_statistics` to P(settled) (default None: :data:`SETTLED`);
        ``min_confidence``: the label threshold ``converged`` must stay below whenever a
        failure reaches it (default 0.5, the analysis default); ``cycle_alpha`` and
        ``cycle_acf_return``: the periodicity test that makes a cycle persistent (defaults as
        :class:`~.oscillation.OscillationDetector`); ``change_alpha``: level of the CUSUM
        test that places the onset (default 0.001); ``d_ahead``: without a quality metric,
        the discriminator must have got this far below its start (as a share of it) at some
        point for settled losses to count as convergence (default 0.10: a discriminator that
        never gets ahead cannot tell a poor generator from a good one -- the "D(x) ~ D(G(z))
        ~ 0.5 with 3 of 25 modes" case); ``critic_closed``: a WGAN critic's estimate must
        have closed to this share of its largest magnitude (default 0.25); ``common``: see
        :class:`~._common.GanDetector`.
        """
        super().__init__(**common)
        if not 0.0 < float(min_confidence) <= 1.0:
            raise ValueError(f"min_confidence must be in (0, 1]; got {min_confidence!r}")
        self.failure_detectors = failure_detectors
        self.settled_weights = settled_weights
        self.min_confidence = min_confidence
        self.cycle_alpha = cycle_alpha
        self.cycle_acf_return = cycle_acf_return
        self.change_alpha = change_alpha
        self.d_ahead = d_ahead
        self.critic_closed = critic_closed
        self._common = common

    def _failure_detectors(self) -> Sequence[Detector]:
        if self.failure_detectors is not None:
            return self.failure_detectors
        return (DivergenceDetector(**self._common), OscillationDetector(**self._common),
                ModeCollapseDetector(**self._common), VanishingGradientsDetector(**self._common))

    def detect(self, ctx: RunContext, *,
               failure_findings: Sequence[Finding] | None = None) -> list[Finding]:
        """Findings for one run. ``failure_findings``: the run's findings from the failure
        detectors already run (what :func:`ganlogs.analyze` passes); when None, this
        detector runs its ``failure_detectors`` itself."""
        rs = self.run_stats(ctx)
        if not self.can_judge(rs):
            return []
        if failure_findings is None:
            failure_findings = [f for d in self._failure_detectors() for f in d.detect(ctx)]
        return self.judge(rs, failure_confidences(failure_findings))

    def settling(self, rs: RunStats) -> dict[str, float]:
        return settling_statistics(rs, alpha=self.cycle_alpha, acf_return=self.cycle_acf_return)

    def evidence_state(self, rs: RunStats, settled: float,
                       settling: Mapping[str, float]) -> tuple[str, str]:
        """(state, reason): what the run's logs say about convergence.

        ``converged``: a quality metric has plateaued, or (without one) the losses rest,
        barely moving, at the known family's equilibrium (:data:`EQUILIBRIUM_REST`), or they
        settled after the discriminator had shown it can tell (its loss got ``d_ahead`` below its
        start at some point, or a WGAN critic's estimate closed to ``critic_closed`` of its
        largest); ``still_changing``: the quality metric still improves or the losses still
        trend or wander; ``worsening``: the quality metric got worse; ``cannot_tell``: the
        losses are calm but nothing logged can tell a good generator from a poor one (the
        discriminator never got ahead), or they calmed at a learning-rate step down.
        """
        q = rs.quality
        if q is not None:
            name = "FID" if q.role == "fid" else "IS"
            if q.trend == "worsening":
                return "worsening", (f"sample quality got worse ({name} best {fmt(q.best)}, "
                                     f"last {fmt(q.last)})")
            if q.trend == "improving":
                return "still_changing", (f"sample quality still improves ({name} "
                                          f"{fmt(q.last)}, {fmt(100 * q.change, 2)}% better "
                                          "than before)")
            return "converged", f"{name} has plateaued at {fmt(q.last)} (best {fmt(q.best)})"
        offset = equilibrium_offset(rs, settling)
        if settled >= 0.5 and offset <= EQUILIBRIUM_REST:
            # before the learning-rate check: a step down calms noisy losses, it does not put
            # them at rest on the equilibrium
            return "converged", (f"the losses rest at the equilibrium ({equilibrium_words(rs)}: D loss "
                                 f"within {fmt(100 * offset, 2)}% of it) and barely move")
        tail_start = min((s_.tail_start_step for s_ in rs.series.values()), default=None)
        if tail_start is not None and any(st_ >= tail_start for st_ in rs.lr_step_downs):
            return "cannot_tell", ("the losses calmed at a learning-rate step down, which is "
                                   "not settling")
        if settled < 0.5:
            return "still_changing", "the losses still trend or wander"
        if rs.family in ("wgan_gp", "wgan_clip") or rs.d_low_over_start is None:
            d = rs.series.get("d_loss")
            if d is None:
                return "cannot_tell", "no discriminator loss to judge"
            peak = float(np.max(np.abs(d.values))) or 1.0
            closed = abs(float(median(d.tail))) / peak
            if closed <= self.critic_closed:
                return "converged", (f"the critic's estimate closed to {fmt(100 * closed, 2)}% "
                                     "of its largest")
            return "cannot_tell", (f"the critic's estimate stays at {fmt(100 * closed, 2)}% of "
                                   "its largest: the distributions have not met")
        if rs.d_low_over_start <= 1.0 - self.d_ahead or (rs.separation or 0.0) >= 0.2:
            return "converged", "the losses settled after the discriminator had been ahead"
        return "cannot_tell", ("the losses are calm but the discriminator never got ahead "
                               f"(its loss stayed within {fmt(100 * self.d_ahead, 2)}% of its "
                               "start), so they cannot tell a good generator from a poor one")

    def features(self, rs: RunStats, failures: Mapping[str, float] | None = None, *,
                 settling: Mapping[str, float] | None = None) -> dict[str, float]:
        """``raw_logit``: logit of P(settled) x (1 - largest failure confidence); the
        evidence state (:meth:`evidence_state`) as 0/1 features ``quality_plateau``,
        ``quality_improving``, ``quality_worsening``, ``cannot_tell``; ``equilibrium_rest``
        (0/1, :func:`rests_at_equilibrium`). ``settling``: :meth:`settling` of ``rs``, when
        the caller has it already."""
        f = settling if settling is not None else self.settling(rs)
        settled = settled_probability(f, self.settled_weights or SETTLED)
        mf = max((failures or {}).values(), default=0.0)
        raw = min(max(settled * (1.0 - mf), 1e-6), 1 - 1e-6)
        state, _ = self.evidence_state(rs, settled, f)
        q = rs.quality
        return {"raw_logit": math.log(raw / (1 - raw)),
                "equilibrium_rest": float(state == "converged" and rests_at_equilibrium(rs, f)),
                "quality_plateau": float(q is not None and state == "converged"),
                "quality_improving": float(q is not None and state == "still_changing"),
                "quality_worsening": float(state == "worsening"),
                "cannot_tell": float(state == "cannot_tell")}

    def judge(self, rs: RunStats, fails: Mapping[str, float] | None = None) -> list[Finding]:
        fails = dict(fails or {})
        f = self.settling(rs)
        settled = settled_probability(f, self.settled_weights or SETTLED)
        mf = max(fails.values(), default=0.0)
        feats = self.features(rs, fails, settling=f)
        state, reason = self.evidence_state(rs, settled, f)
        conf, _ = self.confidence("default", feats)
        if mf >= self.min_confidence or state != "converged":
            # a failure excludes convergence; without positive evidence (a plateaued quality
            # metric, a rest at the equilibrium, a discriminator that had been ahead) the
            # finding says what the logs show instead of guessing (issue 10 item 1)
            conf = min(conf, self.min_confidence - 1e-4)
        raw = 1.0 / (1.0 + math.exp(-feats["raw_logit"]))
        ev = evidence_common(rs)
        ev.update(f)
        ev.update(feats)
        ev["state"] = state
        ev["settled_probability"] = settled
        ev["raw_score"] = raw
        ev["d_loss_low_over_start"] = rs.d_low_over_start
        ev["lr_step_downs"] = list(rs.lr_step_downs[:10])
        if rs.quality is not None:
            ev.update({f"quality_{k}": v for k, v in asdict(rs.quality).items()})
        ev.update({f"failure_{k}": v for k, v in fails.items()})
        for role in ("d_loss", "g_loss"):
            s = rs.series.get(role)
            if s is None:
                continue
            ev[f"{role}_tail_mean"] = s.tail_mean
            ev[f"{role}_tail_std"] = s.tail_std
            if s.trend is not None:
                ev.update(s.trend.evidence(f"{role}_tail_trend"))
            if s.stationarity is not None:
                ev.update(s.stationarity.evidence(f"{role}_tail"))
        ev["d_loss_over_equilibrium"] = rs.d_rel
        ev["g_loss_over_equilibrium"] = rs.g_rel
        d = rs.series.get("d_loss") or rs.series.get("g_loss")
        span = tail_span(rs)
        onset = None
        if "d_loss" not in rs.series:
            level = "the losses"
        elif rs.family_stated:
            level = (f"D loss {fmt(rs.series['d_loss'].tail_mean)}, equilibrium "
                     f"{equilibrium_words(rs)}")
        else:
            level = f"D loss {fmt(rs.series['d_loss'].tail_mean)}"
        if conf >= self.min_confidence:
            onset = last_change_step(d, self.change_alpha)
            if span is not None:
                span = (min(onset, span[0]), span[1])
            settled_words = "" if "settled" in reason else ", the losses have settled"
            summary = (f"Converged: {reason}{settled_words} and no failure shows ({level})"
                       + ("." if rs.quality is not None else
                          "; losses alone do not measure sample quality, so check samples "
                          "or FID."))
        else:
            worst = max(fails, key=fails.get) if fails else None
            if worst and mf >= self.min_confidence:
                why = f"{worst.replace('_', ' ')} at {fmt(fails[worst], 2)}"
                head = "Not converged"
            elif state == "cannot_tell":
                why, head = reason, "Cannot tell from what was logged"
            elif state == "converged":
                why, head = "the evidence for settling is weak", "Not converged"
            else:
                why = reason
                head = "Still changing" if state == "still_changing" else "Not converged"
            summary = f"{head}: {why} ({level})."
            if state == "cannot_tell":
                summary = summary[:-1] + "; log FID/KID or check samples."
        return [self.finding("converged", conf, onset_step=onset, evidence=ev, summary=summary,
                             span=span)]
