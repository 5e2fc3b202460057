"""A run's points as they arrive, kept as growing columns; a :class:`~ganlogs.run.Run` on demand.

Followers (``ganlogs watch``) and :class:`~ganlogs.live.Monitor` append chunks of rows; the
judge asks for a :class:`Run` only when it re-judges. Tags are kept in one table for the whole
run (chunk codes are remapped), so building the run never turns rows into strings.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..run import Run

__all__ = ["RowStore", "ALARM_MAGNITUDE"]

#: a new value of at least this magnitude (or NaN/Inf) makes the judge look at once: the
#: divergence detector's own blow-up line (10^6, near where float16 overflows)
ALARM_MAGNITUDE = 1e6
#: ... and so does a value this many times its series' early scale (the median magnitude of
#: its first :data:`EARLY_POINTS` points, floored at 1): two orders of magnitude, the
#: reference trainer's blow-up truth
ALARM_GROWTH = 100.0
EARLY_POINTS = 20


class RowStore:
    """Growing columns (tag code, step, value, wall time) of one run, in arrival order.

    ``points`` counts every row appended; ``alarm`` is set when an appended value is NaN, Inf,
    of magnitude :data:`ALARM_MAGNITUDE` or more, or :data:`ALARM_GROWTH` times its series'
    early scale, and cleared by :meth:`take_alarm`.
    """

    __slots__ = ("tags", "_index", "_codes", "_steps", "_values", "_walls", "points",
                 "alarm", "last_step", "_pending", "_early", "_limit")

    def __init__(self) -> None:
        self.tags: list[str] = []
        self._index: dict[str, int] = {}
        self._codes: list[np.ndarray] = []
        self._steps: list[np.ndarray] = []
        self._values: list[np.ndarray] = []
        self._walls: list[np.ndarray] = []
        self.points = 0
        self.alarm = False
        self.last_step: int | None = None
        self._pending: tuple[list[int], list[int], list[float]] = ([], [], [])
        self._early: list[list[float]] = []  # per tag: first magnitudes, until the scale is set
        self._limit: list[float] = []  # per tag: the alarm magnitude

    def code(self, tag: str) -> int:
        """The run-wide code of ``tag`` (added on first use)."""
        c = self._index.get(tag)
        if c is None:
            c = self._index[tag] = len(self.tags)
            self.tags.append(tag)
            self._early.append([])
            self._limit.append(ALARM_MAGNITUDE)
        return c

    def _learn_scale(self, code: int, magnitudes) -> None:
        early = self._early[code]
        early.extend(float(m) for m in magnitudes[:EARLY_POINTS - len(early)] if m == m)
        if len(early) >= EARLY_POINTS:
            scale = max(1.0, float(np.median(early)))
            self._limit[code] = min(ALARM_MAGNITUDE, ALARM_GROWTH * scale)
            self._early[code] = None  # type: ignore[call-overload]

    def append(self, tags: list[str], codes: np.ndarray, steps: np.ndarray,
               values: np.ndarray, walls: np.ndarray | None = None) -> int:
        """Append rows whose ``codes`` index ``tags``; returns the number of rows added."""
        n = len(steps)
        if n == 0:
            return 0
        remap = np.fromiter((self.code(t) for t in tags), dtype=np.int32, count=len(tags))
        values = np.asarray(values, dtype=np.float64)
        self._consolidate_pending()
        self._codes.append(remap[np.asarray(codes, dtype=np.intp)])
        self._steps.append(np.asarray(steps, dtype=np.int64))
        self._values.append(values)
        self._walls.append(np.full(n, np.nan) if walls is None
                           else np.asarray(walls, dtype=np.float64))
        self.points += n
        self.last_step = int(self._steps[-1][-1])
        mags = np.abs(values)
        codes_here = self._codes[-1]
        if not self.alarm:
            limits = np.asarray(self._limit)[codes_here]
            self.alarm = bool((~np.isfinite(mags)).any() or (mags >= limits).any())
        for c in np.unique(codes_here).tolist():
            if self._early[c] is not None:
                self._learn_scale(c, mags[codes_here == c])
        return n

    def append_one(self, code: int, step: int, value: float) -> None:
        """Append one row (``code`` from :meth:`code`): a few list appends, for callers that
        log one value at a time (:class:`~ganlogs.live.Monitor`)."""
        codes, steps, values = self._pending
        codes.append(code)
        steps.append(step)
        values.append(value)
        self.points += 1
        self.last_step = step
        limit = self._limit[code]
        if not -limit < value < limit:  # NaN compares false too
            self.alarm = True
        if self._early[code] is not None:
            self._learn_scale(code, (abs(value),))

    def append_frame(self, frame: pd.DataFrame) -> int:
        """Append a reader's rows (``tag``, ``step``, ``value``, optional ``wall_time``)."""
        if frame.empty:
            return 0
        tag = frame["tag"]
        if isinstance(tag.dtype, pd.CategoricalDtype):
            tags = [str(t) for t in tag.cat.categories]
            codes = tag.cat.codes.to_numpy()
        else:
            codes, uniques = pd.factorize(tag.astype(str))
            tags = [str(t) for t in uniques]
        walls = frame["wall_time"].to_numpy() if "wall_time" in frame else None
        return self.append(tags, codes, frame["step"].to_numpy(), frame["value"].to_numpy(),
                           walls)

    def take_alarm(self) -> bool:
        """Whether an alarming value arrived since the last call."""
        alarm, self.alarm = self.alarm, False
        return alarm

    def _consolidate_pending(self) -> None:
        codes, steps, values = self._pending
        if steps:
            self._codes.append(np.asarray(codes, dtype=np.int32))
            self._steps.append(np.asarray(steps, dtype=np.int64))
            self._values.append(np.asarray(values, dtype=np.float64))
            self._walls.append(np.full(len(steps), np.nan))
            self._pending = ([], [], [])

    def _consolidate(self) -> None:
        self._consolidate_pending()
        if len(self._steps) > 1:
            for cols in (self._codes, self._steps, self._values, self._walls):
                joined = np.concatenate(cols)
                cols.clear()
                cols.append(joined)

    def run(self, *, run_id: str, path: str | Path, format: str, notes=(), warnings=()) -> Run:
        """Every row so far as a :class:`Run` (restart policy applied by ``Run.from_frame``)."""
        self._consolidate()
        if self._steps:
            codes, steps, values, walls = (self._codes[0], self._steps[0], self._values[0],
                                           self._walls[0])
        else:
            codes = np.zeros(0, np.int32)
            steps = np.zeros(0, np.int64)
            values = walls = np.zeros(0, np.float64)
        frame = pd.DataFrame({
            "tag": pd.Categorical.from_codes(codes, categories=pd.Index(self.tags, dtype=object)),
            "step": steps, "value": values, "wall_time": walls}, copy=False)
        return Run.from_frame(frame, run_id=run_id, path=path, format=format, notes=notes,
                              warnings=warnings)
