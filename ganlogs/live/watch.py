"""Watching a run or a sweep while it is written (the library side of ``ganlogs watch``).

A :class:`Watcher` finds the runs under a path (again every ``rediscover_every`` seconds, so
runs that appear are picked up), follows each with the follower that reads the least for its
format (:mod:`ganlogs.live.tail`), and re-judges each run under a
:class:`~ganlogs.live.judge.LivePolicy`. :meth:`Watcher.poll` is one look at everything;
:meth:`Watcher.loop` repeats it until a failing finding holds, the runs stop growing, or the
caller stops it. Nothing is written to disk: interrupting a watcher leaves nothing behind.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from ..analysis import Settings
from ..detectors import Detector
from ..errors import GanlogsError, UsageError
from ..findings import Finding
from ..readers import discover
from .judge import LiveEvent, LiveJudge, LivePolicy, LiveVerdict
from .tail import Follower, follower_for

__all__ = ["Watcher", "WatchProblem", "format_event", "format_verdict", "STOP_REASONS"]

#: walk the path for new runs no more often than this many times the last walk's duration
DISCOVERY_COST_FACTOR = 50.0

#: why :meth:`Watcher.loop` returned
STOP_REASONS = ("failing", "once", "idle", "stopped")


@dataclass(frozen=True)
class WatchProblem:
    """A path or run that could not be read while watching (said once, then retried)."""

    run_id: str
    message: str


@dataclass
class _Followed:
    follower: Follower
    judges: dict[str, LiveJudge] = field(default_factory=dict)
    problem: str | None = None


class Watcher:
    """Follows every run under ``path`` and judges each as it grows.

    Parameters
    ----------
    path
        A run (file or directory) or a directory of runs.
    settings, detectors
        As for :func:`ganlogs.analyze`.
    policy
        When to re-judge and the hysteresis (:class:`~ganlogs.live.judge.LivePolicy`).
    fail_on, fail_confidence
        A raised finding with a label in ``fail_on`` and at least this confidence (default:
        ``settings.min_confidence``) is failing.
    rediscover_every
        Seconds between two walks of ``path`` for new runs (at least
        :data:`DISCOVERY_COST_FACTOR` times the last walk's duration).
    exclude
        Glob patterns of paths to leave out, as for :func:`ganlogs.discover`.
    """

    def __init__(self, path: str | os.PathLike[str], *, settings: Settings | None = None,
                 policy: LivePolicy | None = None, detectors: Sequence[Detector] | None = None,
                 fail_on: Sequence[str] = (), fail_confidence: float | None = None,
                 rediscover_every: float = 2.0, exclude: Sequence[str] = ()) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise UsageError(f"{self.path}: no such file or directory")
        if rediscover_every < 0:
            raise UsageError(f"rediscover_every must be >= 0 seconds; got {rediscover_every!r}")
        self.settings = settings or Settings()
        self.policy = policy or LivePolicy()
        self.detectors = detectors
        self.fail_on = tuple(fail_on)
        self.fail_confidence = fail_confidence
        self.rediscover_every = rediscover_every
        self.exclude = tuple(exclude)
        self._followed: dict[tuple[str, str], _Followed] = {}
        self._last_discovery = -float("inf")
        self._discovery_cost = 0.0
        self.problems_: list[WatchProblem] = []
        self.verdicts_: dict[str, LiveVerdict] = {}
        self.last_growth_ = time.monotonic()

    # ---------------------------------------------------------------- one look
    def _discover(self) -> None:
        started = time.monotonic()
        found = discover(self.path, exclude=self.exclude)
        for problem in found.problems:
            self._problem(str(problem.path), str(problem))
        for source in found.sources:
            key = (str(source.path), source.run_id)
            if key not in self._followed:
                self._followed[key] = _Followed(follower_for(source))
        self._last_discovery = time.monotonic()
        self._discovery_cost = self._last_discovery - started

    def _problem(self, run_id: str, message: str) -> None:
        if not any(p.message == message for p in self.problems_):
            self.problems_.append(WatchProblem(run_id, message))

    def poll(self, *, force: bool = False) -> list[LiveVerdict]:
        """Read what was appended to every run and re-judge the runs that are due.

        ``force``: judge every run that has points, whatever the schedule. Returns the new
        verdicts (one per run judged). New problems are added to ``problems_``.
        """
        # a big sweep takes a while to walk: walk it at most 2% of the time
        wait = max(self.rediscover_every, DISCOVERY_COST_FACTOR * self._discovery_cost)
        if time.monotonic() - self._last_discovery >= wait:
            self._discover()
        verdicts = []
        for followed in self._followed.values():
            follower = followed.follower
            try:
                growth = follower.poll()
                followed.problem = None
            except GanlogsError as exc:
                if followed.problem != str(exc):
                    followed.problem = str(exc)
                    self._problem(follower.source.run_id, str(exc))
                continue
            if growth:
                self.last_growth_ = time.monotonic()
            for rid, added in growth.added.items():
                judge = followed.judges.get(rid)
                if judge is None:
                    judge = followed.judges[rid] = self._judge(rid)
                if added is None:  # read again whole: judge it as new
                    judge.judged_points_ = 0
            for rid, store in follower.stores.items():
                judge = followed.judges.get(rid)
                if judge is None:
                    judge = followed.judges[rid] = self._judge(rid)
                if not store.points:
                    continue
                if force or judge.due(store.points, len(store.tags), alarm=store.alarm):
                    store.take_alarm()
                    verdict = judge.judge(follower.run(rid))
                    self.verdicts_[rid] = verdict
                    verdicts.append(verdict)
        return verdicts

    def _judge(self, run_id: str) -> LiveJudge:
        return LiveJudge(run_id, settings=self.settings, policy=self.policy,
                         detectors=self.detectors, fail_on=self.fail_on,
                         fail_confidence=self.fail_confidence)

    # ---------------------------------------------------------------- state
    @property
    def failing(self) -> list[tuple[str, Finding]]:
        """``(run id, finding)`` for every failing finding raised now."""
        return [(rid, f) for rid, v in self.verdicts_.items() for f in v.failing]

    @property
    def runs(self) -> list[str]:
        """Ids of the runs followed so far."""
        return [rid for f in self._followed.values() for rid in f.follower.run_ids()]

    @property
    def bytes_read(self) -> int:
        """Bytes read from disk so far, over every followed run."""
        return sum(f.follower.bytes_read for f in self._followed.values())

    # ---------------------------------------------------------------- the loop
    def loop(self, on_verdict: Callable[[LiveVerdict], None] | None = None, *,
             interval: float = 1.0, once: bool = False, until_idle: float | None = None,
             on_problem: Callable[[WatchProblem], None] | None = None,
             stop: Callable[[], bool] | None = None) -> str:
        """Poll every ``interval`` seconds until a failing finding holds (``"failing"``),
        after one pass with ``once`` (``"once"``: every run judged on all its points), when
        no run has grown for ``until_idle`` seconds (``"idle"``), or when ``stop()`` is
        true (``"stopped"``). Returns that reason (one of :data:`STOP_REASONS`)."""
        if interval <= 0:
            raise UsageError(f"interval must be > 0 seconds; got {interval!r}")
        said = 0
        while True:
            started = time.monotonic()
            verdicts = self.poll(force=once)
            for problem in self.problems_[said:]:
                if on_problem is not None:
                    on_problem(problem)
            said = len(self.problems_)
            for verdict in verdicts:
                if on_verdict is not None:
                    on_verdict(verdict)
            if self.failing:
                return "failing"
            if once:
                return "once"
            if until_idle is not None and time.monotonic() - self.last_growth_ >= until_idle:
                return "idle"
            if stop is not None and stop():
                return "stopped"
            time.sleep(max(0.0, interval - (time.monotonic() - started)))


# -------------------------------------------------------------------- one-line messages

def _name(run_id: str, root: Path) -> str:
    return root.name if run_id == "." else run_id


def format_event(event: LiveEvent, root: Path | None = None) -> str:
    """One line for a label that appeared, changed or cleared, with its onset."""
    name = event.run_id if root is None else _name(event.run_id, root)
    at = f"at step {event.last_step}" if event.last_step is not None else ""
    if event.kind == "cleared":
        return f"{name}: {event.label} cleared {at} (no longer found)"
    f = event.finding
    onset = f"from step {f.onset_step}" if f.onset_step is not None else "onset unknown"
    verb = "found" if event.kind == "appeared" else "changed"
    return (f"{name}: {event.label} {verb} {at}, {onset}, confidence {f.confidence:.2f}: "
            f"{f.summary}")


def format_verdict(verdict: LiveVerdict, previous: LiveVerdict | None,
                   root: Path | None = None) -> list[str]:
    """Lines for one verdict: a change of status (too early -> judged), then each event."""
    name = verdict.run_id if root is None else _name(verdict.run_id, root)
    lines = []
    if verdict.status == "too_early" and (previous is None or previous.status != "too_early"):
        lines.append(f"{name}: too early to judge ({verdict.reason})")
    elif verdict.status == "judged" and (previous is None or previous.status == "too_early"):
        held = ", ".join(verdict.labels) if verdict.labels else "nothing raised yet"
        lines.append(f"{name}: judging from {verdict.points} points (last step "
                     f"{verdict.last_step}): {held}")
    lines.extend(format_event(e, root) for e in verdict.events)
    return lines
