"""The one data model every reader produces and every detector reads.

A :class:`Run` is a tidy pandas DataFrame of scalar points plus :class:`RunMeta`.

``Run.scalars`` keeps **every row that was read**, in the order it was read (files in name
order, records in file order), with these columns:

========== ========= ==============================================================
column     dtype     meaning
========== ========= ==============================================================
tag        category  the series name as the log spells it (sub-directory prefixed)
step       int64     the writer's step (global step, iteration, kimg, epoch: see notes)
value      float64   the value; NaN and +-Inf are kept as they were logged
wall_time  float64   seconds; Unix time or seconds since start, as the writer wrote it
source     category  the file the row came from, relative to the run path
superseded bool      True when a later record of the same tag replaced this one
========== ========= ==============================================================

Restart policy (the one TensorBoard's own data server applies): per tag, in read order, a
record at step ``s`` supersedes every earlier record of that tag with step ``>= s``. A job
restarted from a checkpoint therefore keeps the old points up to the checkpoint and the new
ones after it. Superseded rows are flagged, never deleted; :meth:`Run.series` and
:meth:`Run.view` return what the detectors read.

A tag whose steps are all equal (``add_scalar`` without ``global_step`` writes step 0 every
time) is not collapsed to one point: its view uses the record order as the step, and the run
carries a warning saying so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from .errors import UsageError

__all__ = ["Run", "RunMeta", "SCALAR_COLUMNS"]

SCALAR_COLUMNS = ("tag", "step", "value", "wall_time", "source", "superseded")


@dataclass(frozen=True)
class RunMeta:
    """What is known about a run besides its points.

    Attributes
    ----------
    run_id
        The run's name in reports: its path relative to the root the user gave (``.`` when
        the root is the run itself), with ``#<name>`` appended when one file holds several runs.
    path
        The file or directory the run was read from.
    format
        Stable format id (``tensorboard``, ``csv_wide``, ``wandb``, ...): see
        :data:`ganlogs.readers.FORMATS`.
    writer
        The program that wrote the log when the log says so (e.g.
        ``tensorboard.summary.writer.event_file_writer``), else ``None``.
    hparams
        Hyperparameters found in the log (config, params, hparams plugin), as plain values.
    notes
        What the reader inferred (delimiter, header, step unit...), one sentence each.
    warnings
        What the user should know (truncation, restarts, duplicate steps), one sentence each.
    """

    run_id: str
    path: str
    format: str
    writer: str | None = None
    hparams: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


class Run:
    """One training run: ``scalars`` (see the module docstring) and ``meta``.

    Build one with :meth:`Run.from_frame`; readers never call the constructor directly.
    """

    __slots__ = ("scalars", "meta", "_views")

    def __init__(self, scalars: pd.DataFrame, meta: RunMeta) -> None:
        self.scalars = scalars
        self.meta = meta
        self._views: dict[str, pd.Series] = {}

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        run_id: str,
        path: str | Path,
        format: str,
        writer: str | None = None,
        hparams: Mapping[str, Any] | None = None,
        notes: Sequence[str] = (),
        warnings: Sequence[str] = (),
    ) -> "Run":
        """Validate a reader's rows, flag superseded points and record what was found.

        ``frame`` needs ``tag``, ``step`` and ``value`` in read order; ``wall_time`` and
        ``source`` are optional (NaN and the run path's name are filled in). Rows are not
        reordered and none is dropped.
        """
        missing = {"tag", "step", "value"} - set(frame.columns)
        if missing:
            raise UsageError(f"Run.from_frame: frame lacks column(s) {sorted(missing)}; "
                             f"expected {list(SCALAR_COLUMNS[:5])}")
        n = len(frame)
        steps = pd.to_numeric(frame["step"], errors="coerce")
        if steps.isna().any():
            raise UsageError("Run.from_frame: 'step' holds non-numeric or missing values")
        scalars = pd.DataFrame(
            {
                "tag": pd.Categorical(frame["tag"].astype(str)) if n else pd.Categorical([]),
                "step": steps.to_numpy(dtype=np.int64, copy=False),
                "value": pd.to_numeric(frame["value"], errors="coerce").to_numpy(np.float64),
                "wall_time": (pd.to_numeric(frame["wall_time"], errors="coerce").to_numpy(np.float64)
                              if "wall_time" in frame else np.full(n, np.nan)),
                "source": pd.Categorical(frame["source"].astype(str)
                                         if "source" in frame else [Path(path).name] * n),
            }
        )
        superseded, found = _flag_superseded(scalars)
        scalars["superseded"] = superseded
        return cls(
            scalars,
            RunMeta(
                run_id=run_id,
                path=str(path),
                format=format,
                writer=writer,
                hparams=dict(hparams or {}),
                notes=tuple(notes),
                warnings=tuple(warnings) + tuple(found),
            ),
        )

    # ------------------------------------------------------------------ views
    @property
    def tags(self) -> list[str]:
        """Tags in order of first appearance."""
        col = self.scalars["tag"]
        if isinstance(col.dtype, pd.CategoricalDtype):
            # from the codes: turning every row into a string costs ~30 ms per 100k rows
            cats = col.cat.categories
            return [str(cats[c]) for c in pd.unique(col.cat.codes.to_numpy()) if c >= 0]
        return list(pd.unique(col.astype(str)))

    def series(self, tag: str) -> pd.Series:
        """The detector's view of one tag: float64 values indexed by step, superseded rows
        removed, sorted by step (stable). A tag whose steps are all equal is indexed by
        record order instead (see the module docstring)."""
        cached = self._views.get(tag)
        if cached is not None:
            return cached
        # numpy on the columns (filtering the whole frame costs ~5 ms per 100k rows per tag)
        col = self.scalars["tag"]
        if isinstance(col.dtype, pd.CategoricalDtype):
            loc = col.cat.categories.get_indexer([tag])[0]
            idx = (np.flatnonzero(col.cat.codes.to_numpy() == loc) if loc >= 0
                   else np.zeros(0, dtype=np.intp))
        else:
            idx = np.flatnonzero((col == tag).to_numpy())
        if not len(idx):
            raise KeyError(f"run {self.meta.run_id!r} has no tag {tag!r}; it has {self.tags}")
        steps = self.scalars["step"].to_numpy()[idx]
        values = self.scalars["value"].to_numpy()[idx]
        if len(idx) > 1 and (steps == steps[0]).all():
            out = pd.Series(values, index=np.arange(len(idx), dtype=np.int64))
        else:
            keep = ~self.scalars["superseded"].to_numpy()[idx]
            kept_steps, kept_values = steps[keep], values[keep]
            order = np.argsort(kept_steps, kind="stable")
            out = pd.Series(kept_values[order], index=kept_steps[order])
        out.index.name = "step"
        out.name = tag
        self._views[tag] = out
        return out

    def view(self) -> pd.DataFrame:
        """The rows the detectors read (not superseded), as a long frame sorted by tag, step."""
        return self.scalars[~self.scalars["superseded"]].sort_values(["tag", "step"], kind="stable")

    def series_summary(self) -> dict[str, dict[str, int]]:
        """Per tag: ``points`` (every row read, superseded included), ``first_step``,
        ``last_step`` (over all rows)."""
        if self.scalars.empty:
            return {}
        col = self.scalars["tag"]
        if not isinstance(col.dtype, pd.CategoricalDtype):
            g = self.scalars.groupby("tag", observed=True, sort=False)["step"]
            agg = g.agg(["size", "min", "max"])
            return {
                str(tag): {"points": int(r["size"]), "first_step": int(r["min"]),
                           "last_step": int(r["max"])}
                for tag, r in agg.iterrows()
            }
        # numpy on the category codes (a pandas groupby costs ~25 ms per 100k rows)
        codes = col.cat.codes.to_numpy()
        steps = self.scalars["step"].to_numpy()
        order = np.argsort(codes, kind="stable")
        c, s = codes[order], steps[order]
        starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
        sizes = np.diff(np.r_[starts, len(c)])
        lo = np.minimum.reduceat(s, starts)
        hi = np.maximum.reduceat(s, starts)
        at = {int(code): i for i, code in enumerate(c[starts])}
        cats = col.cat.categories
        return {
            str(cats[code]): {"points": int(sizes[at[code]]), "first_step": int(lo[at[code]]),
                              "last_step": int(hi[at[code]])}
            for code in (int(x) for x in pd.unique(codes)) if code >= 0
        }

    def with_meta(self, **changes: Any) -> "Run":
        """A copy sharing ``scalars`` with some metadata fields replaced."""
        from dataclasses import replace

        return Run(self.scalars, replace(self.meta, **changes))

    def __len__(self) -> int:
        return len(self.scalars)

    def __repr__(self) -> str:
        return (f"Run({self.meta.run_id!r}, format={self.meta.format!r}, "
                f"tags={len(self.tags)}, points={len(self.scalars)})")


def _flag_superseded(scalars: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Apply the restart policy; return the flags and warnings about steps that were found.

    A row is superseded when a later row of the same tag has a step <= its own. Tags whose
    steps are all equal are left alone (their view uses record order).
    """
    n = len(scalars)
    if n == 0:
        return np.zeros(0, dtype=bool), []
    codes = scalars["tag"].cat.codes.to_numpy()
    steps = scalars["step"].to_numpy()
    # Sort stably by tag so each tag's rows stay in read order, then take each tag's
    # minimum over the rows that come after (a reversed cumulative minimum).
    order = np.argsort(codes, kind="stable")
    c, s = codes[order], steps[order]
    rev = pd.Series(s[::-1]).groupby(c[::-1]).cummin().to_numpy()[::-1]
    later_min = np.empty(n, dtype=np.int64)
    later_min[:-1] = rev[1:]
    later_min[-1] = np.iinfo(np.int64).max
    last_of_tag = np.ones(n, dtype=bool)
    last_of_tag[:-1] = c[1:] != c[:-1]
    later_min[last_of_tag] = np.iinfo(np.int64).max
    sup_sorted = s >= later_min

    warnings: list[str] = []
    constant: list[str] = []
    tags = scalars["tag"].cat.categories
    per_tag = pd.DataFrame({"c": c, "s": s, "sup": sup_sorted})
    stats = per_tag.groupby("c").agg(n=("s", "size"), lo=("s", "min"), hi=("s", "max"),
                                     sup=("sup", "sum"))
    for code, row in stats.iterrows():
        if row["n"] > 1 and row["lo"] == row["hi"]:
            constant.append(str(tags[code]))
            sup_sorted[c == code] = False
    if constant:
        warnings.append(
            f"every point of {_names(constant)} is at step {int(stats['lo'].iloc[0])} "
            "(global_step not passed to the writer?): record order is used as the step")
    restarted = [str(tags[code]) for code, row in stats.iterrows()
                 if row["sup"] > 0 and str(tags[code]) not in constant]
    if restarted:
        total = int(sup_sorted.sum())
        warnings.append(
            f"steps go back in {_names(restarted)} (a restart or duplicate steps): "
            f"{total} earlier point(s) superseded by later ones at the same or lower step")
    flags = np.empty(n, dtype=bool)
    flags[order] = sup_sorted
    return flags, warnings


def _names(tags: list[str], limit: int = 4) -> str:
    shown = ", ".join(repr(t) for t in tags[:limit])
    return shown + (f" and {len(tags) - limit} more" if len(tags) > limit else "")
