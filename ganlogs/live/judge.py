"""Judging a run while it grows: when to re-judge, and when a label may change.

A live verdict on a partial run must not flip back and forth, and must not stop a job on
an early phase that only looks like a failure. :class:`LiveJudge` wraps the after-the-fact
analysis (:func:`ganlogs.analyze_run`, the same detectors and settings) with these rules,
all parameters of :class:`LivePolicy`:

Too early to judge
    Until the analysis stops saying ``insufficient_data`` (fewer than 50 finite loss
    points, the detectors' own rule) the verdict's ``status`` is ``too_early`` and nothing is
    raised. A NaN/Inf is judged at once, however short the run (a NaN needs no history).
    ``mode_collapse`` and ``d_overfitting`` wait longer: until the run's densest series has
    ``warmup_points`` (300) points, since early training looks like both.
When to re-judge
    After at least ``min_new_points`` new points per series, and at least ``growth`` times
    the points judged last time (so the work over a run of n points is O(n log n), not
    O(n^2)); at once when a new value is NaN, Inf or of magnitude 10^6 or more; at every new
    point while a ``diverged`` finding of ``suspect_confidence`` (0.3) or more is not raised.
    With ``cost_factor`` > 0, also at least ``cost_factor`` times the last judgement's
    duration after it (``cost_factor=50``: judging takes at most about 2% of one core, or
    of the training loop that calls :class:`~ganlogs.live.Monitor`), except for that alarm.
Hysteresis
    A statistical label (``oscillating``, ``mode_collapse``, ``vanishing_gradients``,
    ``d_overfitting``) is raised once its confidence has reached the label threshold plus
    ``confidence_margin`` in ``confirm`` consecutive judgements spanning at least
    ``min_evidence`` growth of the run, and cleared once its confidence has stayed below the
    label threshold minus ``clear_margin`` in ``confirm`` consecutive judgements.
    ``diverged`` is raised at first sight (``diverged_confirm=1``): a blow-up is urgent and
    does not pass like an undertrained phase. A raised label *changes* when its onset moves
    by more than ``onset_tolerance`` of the judged span or its confidence by
    ``confidence_step`` or more.

Every change is a :class:`LiveEvent` (``appeared``, ``changed``, ``cleared``). The defaults
were chosen on the v2 tuning corpus by replaying its runs point by point
(``bench/watch_replay.py``; figures in ``docs/live.md``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..analysis import RunResult, Settings, analyze_run
from ..detectors import Detector
from ..errors import UsageError
from ..findings import LABELS, Finding
from ..run import Run

__all__ = ["LivePolicy", "LiveEvent", "LiveVerdict", "LiveJudge", "EVENT_KINDS"]

EVENT_KINDS = ("appeared", "changed", "cleared")


@dataclass(frozen=True)
class LivePolicy:
    """When a growing run is re-judged and when a label may change (module docstring).

    Parameters
    ----------
    min_new_points
        New points per series (rows / tags) before a re-judgement. 3: runs logged every 10
        to 25 steps have 100 to 300 points, and 10 new points (the earlier default) were
        3% to 8% of such a run between two looks, most of the ``diverged`` delay on the
        tuning corpus; the ``growth`` condition takes over from about 60 points on.
    growth
        ... and at least this fraction of the points judged last time (0.05: about 60
        judgements from 50 points to a million).
    confirm
        Consecutive judgements a statistical label must hold (or be absent) before it is
        raised (or cleared). 2: one extra look, the least that stops a single noisy
        judgement. (``diverged``: ``diverged_confirm``.)
    min_evidence
        ... and the judgements that confirm it must span at least this much growth of the
        run (0.5: a label first found at point 200 is raised at point 300 at the earliest),
        so that an early phase of training that only looks like a failure (undertrained is
        not collapsed) has time to pass. ``diverged`` is exempt (a blow-up does not pass).
    clear_margin
        A raised label is absent only when its confidence falls below the label threshold
        minus this margin (a band, so that a confidence wandering around the threshold does
        not flip the label); ``converged`` is absent as soon as a failure label holds.
    cost_factor
        Wait at least this many times the last judgement's duration before the next one
        (50: at most ~2% of the time goes to judging; 0: no limit, as replays use so that
        their results do not depend on the machine).
    warmup_points, warmup_labels
        A label of ``warmup_labels`` is not raised before the run's densest series has
        ``warmup_points`` points: too early to judge it. The first phase of training looks
        like these failures without being one: a discriminator that wins at first reads as
        ``d_overfitting`` (its r_t starts near 1), a generator that starts out near one
        point as ``mode_collapse``. On the tuning corpus (v2, replayed with
        ``bench/watch_replay.py --trace``) such findings held for the first 100 to 300
        logged points of runs that end healthy, and caused most live alerts on them.
    confidence_margin
        A statistical label is raised only when its confidence reaches the label threshold
        plus this margin (0.1); once raised it holds down to the threshold minus
        ``clear_margin``. A live alert stops a job, so it asks for a clearer finding than
        the whole-run verdict.
    diverged_confirm
        Consecutive judgements a ``diverged`` finding must hold before it is raised (1: at
        first sight). A blow-up is urgent and, unlike the statistical labels, rarely found
        where there is none: in the judgement traces of the tuning corpus no run without a
        divergence had a ``diverged`` finding of 0.3 or more at any judgement, while a
        second look cost the diverging runs one more logged point (up to 1% of a sparse
        log).
    suspect_confidence
        While a ``diverged`` finding at or above this confidence is not raised yet, the run
        is judged at every new point per series (a blow-up building up is watched closely).
    onset_tolerance, confidence_step
        What counts as a *changed* finding (fraction of the judged span; confidence units).
    """

    min_new_points: int = 3
    growth: float = 0.05
    confirm: int = 2
    min_evidence: float = 0.5
    clear_margin: float = 0.15
    cost_factor: float = 50.0
    warmup_points: int = 300
    warmup_labels: tuple[str, ...] = ("mode_collapse", "d_overfitting")
    confidence_margin: float = 0.1
    diverged_confirm: int = 1
    suspect_confidence: float = 0.3
    onset_tolerance: float = 0.1
    confidence_step: float = 0.2

    def __post_init__(self) -> None:
        if not isinstance(self.min_new_points, int) or self.min_new_points < 1:
            raise UsageError(f"min_new_points must be an integer >= 1; got {self.min_new_points!r}")
        if not 0.0 <= self.growth <= 10.0:
            raise UsageError(f"growth must be in [0, 10]; got {self.growth!r}")
        if not isinstance(self.confirm, int) or self.confirm < 1:
            raise UsageError(f"confirm must be an integer >= 1; got {self.confirm!r}")
        if not 0.0 <= self.min_evidence <= 10.0:
            raise UsageError(f"min_evidence must be in [0, 10]; got {self.min_evidence!r}")
        if not 0.0 <= self.clear_margin <= 1.0:
            raise UsageError(f"clear_margin must be in [0, 1]; got {self.clear_margin!r}")
        if self.cost_factor < 0:
            raise UsageError(f"cost_factor must be >= 0; got {self.cost_factor!r}")
        if not isinstance(self.warmup_points, int) or self.warmup_points < 0:
            raise UsageError(f"warmup_points must be an integer >= 0; got "
                             f"{self.warmup_points!r}")
        if not isinstance(self.diverged_confirm, int) or self.diverged_confirm < 1:
            raise UsageError(f"diverged_confirm must be an integer >= 1; got "
                             f"{self.diverged_confirm!r}")
        if not 0.0 <= self.suspect_confidence <= 1.0:
            raise UsageError(f"suspect_confidence must be in [0, 1]; got "
                             f"{self.suspect_confidence!r}")
        unknown = set(self.warmup_labels) - set(LABELS)
        if unknown:
            raise UsageError(f"warmup_labels: unknown label(s) {sorted(unknown)}; labels are "
                             f"{', '.join(LABELS)}")
        if not 0.0 <= self.confidence_margin <= 0.5:
            raise UsageError(f"confidence_margin must be in [0, 0.5]; got "
                             f"{self.confidence_margin!r}")

    @classmethod
    def after_the_fact(cls) -> "LivePolicy":
        """One look at everything written (``ganlogs watch --once``): no hysteresis, no
        warm-up, no margin, so the verdict is the whole-run verdict."""
        return cls(confirm=1, min_evidence=0.0, cost_factor=0.0, warmup_points=0,
                   confidence_margin=0.0, diverged_confirm=1)


@dataclass(frozen=True)
class LiveEvent:
    """A raised label appeared, changed or cleared.

    ``finding`` is the finding now (``None`` when cleared), ``previous`` the one reported
    before (``None`` when it appeared). ``last_step`` is the last step read when the event
    was raised, ``points`` the rows read so far.
    """

    run_id: str
    kind: str
    label: str
    finding: Finding | None
    previous: Finding | None
    last_step: int | None
    points: int

    def to_dict(self) -> dict[str, Any]:
        return {"run": self.run_id, "event": self.kind, "label": self.label,
                "finding": None if self.finding is None else self.finding.to_dict(),
                "last_step": self.last_step, "points": self.points}


@dataclass(frozen=True)
class LiveVerdict:
    """The live verdict on one run after a judgement.

    ``status`` is ``too_early`` (nothing can be said yet: ``reason`` says why) or
    ``judged``. ``findings`` are the raised findings (one per label in ``labels``), most
    confident first; ``failing`` those among them that the judge's fail policy matches;
    ``events`` what changed in this judgement.
    """

    run_id: str
    status: str
    labels: tuple[str, ...]
    findings: tuple[Finding, ...]
    failing: tuple[Finding, ...]
    events: tuple[LiveEvent, ...]
    points: int
    last_step: int | None
    reason: str = ""


@dataclass
class _LabelState:
    present: int = 0  # consecutive judgements with the label
    since: int = 0  # points judged when the present streak began
    absent: int = 0  # consecutive judgements without it
    raised: Finding | None = None  # the finding last reported


def _sticky(f: Finding) -> bool:
    """A finding raised without confirmation: ``diverged`` resting on a NaN/Inf value or on
    a loss of magnitude 10^6 or more (the divergence detector's ``nonfinite`` feature)."""
    if f.label != "diverged":
        return False
    ev = f.evidence
    return ev.get("first_nonfinite_step") is not None or ev.get("nonfinite") == 1.0


class LiveJudge:
    """Re-judges one growing run under a :class:`LivePolicy` and keeps its raised labels.

    Parameters
    ----------
    run_id
        The run's name in events.
    settings
        The analysis settings (roles, loss family, ``min_confidence`` for labels).
    policy
        When to re-judge and the hysteresis (:class:`LivePolicy`).
    detectors
        Detectors to run (default: the registered ones).
    fail_on, fail_confidence
        A raised finding whose label is in ``fail_on`` with confidence at least
        ``fail_confidence`` (default: ``settings.min_confidence``) is *failing*.
    """

    def __init__(self, run_id: str, *, settings: Settings | None = None,
                 policy: LivePolicy | None = None, detectors: Sequence[Detector] | None = None,
                 fail_on: Sequence[str] = (), fail_confidence: float | None = None) -> None:
        self.run_id = run_id
        self.settings = settings or Settings()
        self.policy = policy or LivePolicy()
        self.detectors = detectors
        self.fail_on = tuple(fail_on)
        self.fail_confidence = (self.settings.min_confidence if fail_confidence is None
                                else float(fail_confidence))
        self.judgements_ = 0
        self.judged_points_ = 0
        self.judge_seconds_ = 0.0
        self.last_result_: RunResult | None = None
        self.verdict_: LiveVerdict | None = None
        self._states: dict[str, _LabelState] = {label: _LabelState() for label in LABELS}
        self._last_duration = 0.0
        self._last_end = -float("inf")
        self._suspect = False  # a diverged finding at suspect_confidence, not raised yet

    # ---------------------------------------------------------------- scheduling
    def due(self, points: int, n_series: int, *, alarm: bool = False,
            now: float | None = None) -> bool:
        """Whether a run with ``points`` rows over ``n_series`` tags should be re-judged now
        (``alarm``: a NaN/Inf/huge value arrived since the last judgement)."""
        new = points - self.judged_points_
        if new <= 0:
            return False
        if alarm:
            return True
        per_series = new / max(1, n_series)
        if self._pending():  # a change waits for its confirmation: look again soon
            if per_series < max(1, self.policy.min_new_points // 5):
                return False
        elif (per_series < self.policy.min_new_points
                or new < self.policy.growth * self.judged_points_):
            return False
        if self.policy.cost_factor > 0:
            now = time.perf_counter() if now is None else now
            if now - self._last_end < self.policy.cost_factor * self._last_duration:
                return False
        return True

    def _pending(self) -> bool:
        """A ``diverged`` finding waits for its confirmation, or one at
        ``suspect_confidence`` is building up: look at every new point (a blow-up is
        urgent; other labels keep the normal schedule, so their looks see different data)."""
        s = self._states.get("diverged")
        return s is not None and s.raised is None and (s.present > 0 or self._suspect)

    # ---------------------------------------------------------------- judging
    def judge(self, run: Run) -> LiveVerdict:
        """Analyse ``run`` (all points so far) and update the raised labels."""
        t0 = time.perf_counter()
        result = analyze_run(run, settings=self.settings, detectors=self.detectors)
        t1 = time.perf_counter()
        # the first judgement pays the detectors' one-off imports (scipy, statsmodels: about
        # a second): it does not set the pace of the next ones
        self._last_duration = t1 - t0 if self.judgements_ else 0.0
        self._last_end = t1
        self.judge_seconds_ += t1 - t0
        self.judgements_ += 1
        self.judged_points_ = len(run)
        self.last_result_ = result
        last_step = int(run.scalars["step"].max()) if len(run) else None
        codes = run.scalars["tag"].cat.codes.to_numpy() if len(run) else np.zeros(0, np.int8)
        densest = int(np.bincount(codes[codes >= 0]).max()) if len(codes) else 0
        verdict = self._update(result, len(run), last_step, densest)
        self.verdict_ = verdict
        return verdict

    def _update(self, result: RunResult, points: int, last_step: int | None,
                densest: int | None = None) -> LiveVerdict:
        """Update the raised labels from one analysis of ``points`` rows (``densest``: the
        points of the run's densest series; None: ``points``)."""
        if result.too_short or not result.ok:
            held = tuple(s.raised for s in self._states.values() if s.raised is not None)
            why = next((f.summary for f in result.findings if f.label == "insufficient_data"),
                       result.error or "")
            if not held:
                return LiveVerdict(self.run_id, "too_early", (), (), (), (), points, last_step,
                                   why)
        by_label = {f.label: f for f in result.top_findings()}
        confidence: dict[str, float] = {}
        for f in result.findings:
            confidence[f.label] = max(confidence.get(f.label, 0.0), f.confidence)
        failure_held = any(label != "converged" for label in by_label)
        self._suspect = confidence.get("diverged", 0.0) >= self.policy.suspect_confidence
        gone_below = self.settings.min_confidence - self.policy.clear_margin
        # a label other than diverged (and converged, which is no alarm) is present only
        # with the margin, and raised only after the warm-up (LivePolicy)
        strict = self.settings.min_confidence + self.policy.confidence_margin
        warm = (points if densest is None else densest) >= self.policy.warmup_points
        for label in list(by_label):
            if label not in ("diverged", "converged") and by_label[label].confidence < strict \
                    and self._states[label].raised is None:
                del by_label[label]  # between the threshold and the margin: not yet
        events: list[LiveEvent] = []
        span = self._span(result)
        for label, state in self._states.items():
            f = by_label.get(label)
            gone = (f is None and (confidence.get(label, 0.0) < gone_below
                                   or (label == "converged" and failure_held)))
            if f is None and not gone:
                # in the band between the two thresholds: neither evidence for nor against
                state.present = 0
                continue
            if f is not None:
                if state.present == 0:
                    state.since = points
                state.present += 1
                state.absent = 0
                if state.raised is None:
                    # a blow-up does not pass like an undertrained phase: diverged needs no
                    # extra growth, only its confirmation (or none, on a NaN)
                    growth = 0.0 if label == "diverged" else self.policy.min_evidence
                    need = (self.policy.diverged_confirm if label == "diverged"
                            else self.policy.confirm)
                    confirmed = (state.present >= need
                                 and points >= (1.0 + growth) * state.since
                                 and (warm or label not in self.policy.warmup_labels))
                    if confirmed or _sticky(f):
                        events.append(self._event("appeared", label, f, None, points, last_step))
                        state.raised = f
                elif self._changed(state.raised, f, span):
                    events.append(self._event("changed", label, f, state.raised, points,
                                              last_step))
                    state.raised = f
                else:
                    # keep the reported onset; refresh the rest quietly
                    state.raised = f
            else:
                state.absent += 1
                state.present = 0
                if state.raised is not None and state.absent >= self.policy.confirm:
                    events.append(self._event("cleared", label, None, state.raised, points,
                                              last_step))
                    state.raised = None
        held = sorted((s.raised for s in self._states.values() if s.raised is not None),
                      key=lambda f: -f.confidence)
        failing = tuple(f for f in held if f.label in self.fail_on
                        and f.confidence >= self.fail_confidence)
        return LiveVerdict(self.run_id, "judged", tuple(f.label for f in held), tuple(held),
                           failing, tuple(events), points, last_step)

    def _event(self, kind: str, label: str, f: Finding | None, prev: Finding | None,
               points: int, last_step: int | None) -> LiveEvent:
        return LiveEvent(self.run_id, kind, label, f, prev, last_step, points)

    @staticmethod
    def _span(result: RunResult) -> int:
        if result.run is None or not len(result.run):
            return 1
        steps = result.run.scalars["step"]
        return max(1, int(steps.max()) - int(steps.min()))

    def _changed(self, old: Finding, new: Finding, span: int) -> bool:
        if abs(new.confidence - old.confidence) >= self.policy.confidence_step:
            return True
        if (old.onset_step is None) != (new.onset_step is None):
            return True
        if old.onset_step is not None and new.onset_step is not None:
            return abs(new.onset_step - old.onset_step) > self.policy.onset_tolerance * span
        return False

    @property
    def raised(self) -> list[Finding]:
        """The raised findings, most confident first."""
        return [] if self.verdict_ is None else list(self.verdict_.findings)
