"""The one data model every reader produces and every detector reads.

A :class:`Run` is a tidy pandas DataFrame of scalar points plus :class:`RunMeta`.

``Run.scalars`` keeps **every row that was read**, in the order it was read (files in name
order, records in file order), with these columns:

========== ========= ==============================================================
column     dtype     meaning
========== ========= ==============================================================
tag        category  the series name as the log spells it (sub-directory prefixed)
step       int64     the step, in the unit of ``meta.step_unit`` (iteration, kimg, epoch, line)
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
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, NamedTuple, Sequence

import numpy as np
import pandas as pd

from .errors import UsageError

__all__ = ["Run", "RunMeta", "SCALAR_COLUMNS", "STEP_UNITS"]

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
    step_unit
        What one step of ``scalars`` counts, for reports: ``"iteration"`` (a training
        iteration: one optimiser step of D, the usual global step), ``"kimg"`` (thousands of
        real images shown, StyleGAN), ``"epoch"``, ``"line"`` (the log prints no step: the
        record's index) or ``"step"`` (the writer's step, unit not known).
    """

    run_id: str
    path: str
    format: str
    writer: str | None = None
    hparams: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    step_unit: str = "step"


#: the values :attr:`RunMeta.step_unit` takes
STEP_UNITS = ("step", "iteration", "kimg", "epoch", "line")


class _FrameColumns(NamedTuple):
    """A :class:`Run`'s ``scalars`` as numpy arrays (not copied); ``code_of``, ``codes`` and
    ``names`` are None when the tag column is not categorical."""

    frame: pd.DataFrame  # the frame they were read from (a replaced frame is read again)
    code_of: dict[str, int] | None  # tag -> category code
    codes: np.ndarray | None  # the tag code of every row
    step: np.ndarray
    value: np.ndarray
    superseded: np.ndarray
    names: list[str] | None  # the categories


class Run:
    """One training run: ``scalars`` (see the module docstring) and ``meta``.

    Build one with :meth:`Run.from_frame`; readers never call the constructor directly.
    """

    __slots__ = ("scalars", "meta", "_views", "_sums", "_columns", "_order", "_summary")

    def __init__(self, scalars: pd.DataFrame, meta: RunMeta) -> None:
        self.scalars = scalars
        self.meta = meta
        self._views: dict[str, pd.Series] = {}
        self._sums: dict[str, tuple[str, ...]] = {}
        self._columns: _FrameColumns | None = None
        self._order: tuple | None = None  # (frame, codes in order of first appearance)
        self._summary: tuple | None = None  # (frame, series_summary of that frame)

    def _arrays(self) -> "_FrameColumns":
        """``scalars`` as numpy (not copied), for :meth:`series`; read once per frame (pandas'
        column access costs ~20 us a column, which a sweep of tiny runs pays many times per
        run)."""
        cols = self._columns
        if cols is None or cols.frame is not self.scalars:
            frame = self.scalars
            col = frame["tag"]
            if isinstance(col.dtype, pd.CategoricalDtype):
                names = list(col.cat.categories)
                code_of = {c: i for i, c in enumerate(names)}
                codes = col.array.codes
            else:
                names, code_of, codes = None, None, None
            cols = self._columns = _FrameColumns(
                frame, code_of, codes, frame["step"].to_numpy(), frame["value"].to_numpy(),
                frame["superseded"].to_numpy() if "superseded" in frame else np.zeros(len(frame), dtype=bool),
                names)
        return cols

    def _first_codes(self) -> np.ndarray:
        """The tag codes in order of first appearance (categorical tags only)."""
        order = self._order
        if order is None or order[0] is not self.scalars:
            codes = self._arrays().codes
            order = self._order = (self.scalars, pd.unique(codes))
        return order[1]

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_frame(
        cls,
        frame: "pd.DataFrame | Mapping[str, Any]",
        *,
        run_id: str,
        path: str | Path,
        format: str,
        writer: str | None = None,
        hparams: Mapping[str, Any] | None = None,
        notes: Sequence[str] = (),
        warnings: Sequence[str] = (),
        step_unit: str = "step",
        restart_context: str | None = None,
    ) -> "Run":
        """Validate a reader's rows, flag superseded points and record what was found.

        ``frame`` needs ``tag``, ``step`` and ``value`` in read order; ``wall_time`` and
        ``source`` are optional (NaN and the run path's name are filled in). Rows are not
        reordered and none is dropped. ``step_unit`` is one of :data:`STEP_UNITS`.
        ``frame`` may also be a mapping of column name to equally long columns (numpy arrays,
        a ``pd.Categorical`` for ``tag`` and ``source``, or anything ``pd.Series`` takes):
        numpy columns of the right dtype are then taken over, not copied (the caller must
        not change them afterwards), and no DataFrame is built only to be dropped (~0.15 ms
        a run, which a sweep of tiny runs pays per run).
        ``restart_context``: the reader's own sentence about the restarts it saw (e.g. new
        training headers in a text log); the superseded count is joined to it, so the run
        carries one warning about its restarts, not two.
        """
        if step_unit not in STEP_UNITS:
            raise UsageError(f"Run.from_frame: step_unit must be one of {', '.join(STEP_UNITS)}; "
                             f"got {step_unit!r}")
        if isinstance(frame, pd.DataFrame):
            missing = {"tag", "step", "value"} - set(frame.columns)
            n = len(frame)
            shared = isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0 \
                and frame.index.step == 1
            index = frame.index if shared else None
        else:  # a mapping of columns: taken over as they are where they can be
            frame = {k: v if isinstance(v, (np.ndarray, pd.Categorical, pd.Series))
                     else pd.Series(v) for k, v in frame.items()}
            missing = {"tag", "step", "value"} - set(frame)
            lengths = {len(v) for v in frame.values()}
            if len(lengths) > 1:
                raise UsageError("Run.from_frame: the columns differ in length "
                                 f"({', '.join(f'{k}: {len(v)}' for k, v in frame.items())})")
            n = lengths.pop() if lengths else 0
            shared, index = True, None
        if missing:
            raise UsageError(f"Run.from_frame: frame lacks column(s) {sorted(missing)}; "
                             f"expected {list(SCALAR_COLUMNS[:5])}")
        steps = frame["step"]
        if not (isinstance(steps.dtype, np.dtype) and steps.dtype.kind in "iu"):
            steps = pd.to_numeric(steps, errors="coerce")
            if pd.isna(steps).any():
                raise UsageError("Run.from_frame: 'step' holds non-numeric or missing values")
        # Columns that already have the right dtype are passed as Series: pandas shares them
        # copy-on-write, so a million-row reader does not hold its rows twice.
        tag = _str_categorical(frame["tag"]) if n else pd.Categorical([])
        step = _numeric(steps, np.int64, shared)
        value = _numeric(frame["value"], np.float64, shared)
        superseded, found = _flag_superseded(
            tag.codes, np.asarray(step), tag.categories)
        scalars = pd.DataFrame(
            {
                "tag": tag,
                "step": step,
                "value": value,
                "wall_time": (_numeric(frame["wall_time"], np.float64, shared)
                              if "wall_time" in frame else _nans(n)),
                "source": (_str_categorical(frame["source"]) if "source" in frame and n
                           else pd.Categorical.from_codes(
                               np.zeros(n, dtype=np.int8), validate=False,
                               dtype=pd.CategoricalDtype(pd.Index([Path(path).name])))),
                "superseded": superseded,
            },
            # (the shared Series already have this index: pandas need not align them)
            index=index,
            copy=False,
        )
        if restart_context:
            restarts = [w for w in found if w.startswith(_RESTART_WARNING)]
            found = [w for w in found if not w.startswith(_RESTART_WARNING)]
            found.append(restart_context + ("; " + restarts[0] if restarts
                                            else "; no earlier point was superseded"))
        run = cls(
            scalars,
            RunMeta(
                run_id=run_id,
                path=str(path),
                format=format,
                writer=writer,
                hparams=dict(hparams or {}),
                notes=tuple(notes),
                warnings=tuple(warnings) + tuple(found),
                step_unit=step_unit,
            ),
        )
        # the columns as numpy, as _arrays would read them back from the new frame (the
        # first column access of a fresh frame costs ~0.14 ms, paid by every tiny run)
        names = tag.categories.tolist()
        run._columns = _FrameColumns(scalars, {c: i for i, c in enumerate(names)}, tag.codes,
                                     np.asarray(step), np.asarray(value), superseded, names)
        return run

    # ------------------------------------------------------------------ views
    @property
    def tags(self) -> list[str]:
        """Tags in order of first appearance."""
        names = self._arrays().names
        if names is not None:
            # from the codes: turning every row into a string costs ~30 ms per 100k rows
            return [str(names[c]) for c in self._first_codes() if c >= 0]
        return list(pd.unique(self.scalars["tag"].astype(str)))

    def series(self, tag: str) -> pd.Series:
        """The detector's view of one tag (or of the tag a role id such as ``"d_loss"`` names,
        as :func:`ganlogs.infer_roles` maps it, when no tag is spelled so): float64 values
        indexed by step, superseded rows removed, sorted by step (stable). A tag whose steps are all equal is indexed by
        record order instead (see the module docstring)."""
        cached = self._views.get(tag)
        if cached is not None:
            return cached
        if tag in self._sums:
            return self._summed(tag)
        # numpy on the columns (filtering the whole frame costs ~5 ms per 100k rows per tag)
        cols = self._arrays()
        code_of, codes, superseded = cols.code_of, cols.codes, cols.superseded
        if codes is not None:
            loc = code_of.get(tag, -1) if isinstance(tag, str) else -1
            idx = (np.flatnonzero(codes == loc) if loc >= 0
                   else np.zeros(0, dtype=np.intp))
        else:
            idx = np.flatnonzero((self.scalars["tag"] == tag).to_numpy())
        if not len(idx):
            from .roles import ROLES, infer_roles  # a role id ("d_loss") names its tag

            roles = infer_roles(self.tags, values=lambda t: self.series(t).to_numpy(),
                                format=self.meta.format,
                                hparams=self.meta.hparams) if tag in ROLES else None
            role_tag = roles.get(tag) if roles is not None else None
            if role_tag is not None:
                # a composite (D_real + D_fake): computed from its parts when read; a role of
                # one pair among several is not the run's (ask for the pair's tag)
                self._sums.update({k: v for k, v in roles.sums.items() if k not in self._sums})
                return self.series(role_tag)
            raise KeyError(f"run {self.meta.run_id!r} has no tag {tag!r}; it has {self.tags}")
        steps = cols.step[idx]
        values = cols.value[idx]
        if len(idx) > 1 and (steps == steps[0]).all():
            out = pd.Series(values, index=np.arange(len(idx), dtype=np.int64))
        else:
            keep = ~superseded[idx]
            kept_steps, kept_values = steps[keep], values[keep]
            order = np.argsort(kept_steps, kind="stable")
            out = pd.Series(kept_values[order], index=kept_steps[order])
        out.index.name = "step"
        out.name = tag
        self._views[tag] = out
        return out

    def with_sums(self, sums: Mapping[str, Sequence[str]]) -> "Run":
        """A copy sharing ``scalars`` whose :meth:`series` also knows composite series:
        name -> the logged tags it sums (e.g. per-scale discriminator losses summed into one
        D). Nothing is added to ``scalars``: a composite is computed when read."""
        known = set(self.tags) | set(self._sums) | set(sums)
        for name, parts in sums.items():
            missing = [p for p in parts if p not in known]
            if missing or not parts:
                raise KeyError(f"run {self.meta.run_id!r}: composite {name!r} sums tags it "
                               f"lacks: {missing or 'none given'}")
        out = Run(self.scalars, self.meta)
        out._sums = {**self._sums, **{k: tuple(v) for k, v in sums.items()}}
        out._share_columns(self)
        return out

    def _share_columns(self, other: "Run") -> None:
        """Take ``other``'s numpy columns, tag order and summary (they hold the frame they
        were read from, so a replaced frame is read again)."""
        self._columns, self._order, self._summary = other._columns, other._order, other._summary

    def _summed(self, name: str) -> pd.Series:
        """The sum of a composite's parts at the steps every part has."""
        parts = [self.series(p) for p in self._sums[name]]
        frame = pd.concat([p[~p.index.duplicated(keep="last")] for p in parts], axis=1,
                          join="inner")
        out = frame.sum(axis=1, min_count=len(parts)).astype(np.float64)
        out.index.name = "step"
        out.name = name
        self._views[name] = out
        return out

    def view(self) -> pd.DataFrame:
        """The rows the detectors read (not superseded), as a long frame sorted by tag, step."""
        return self.scalars[~self.scalars["superseded"]].sort_values(["tag", "step"], kind="stable")

    def series_summary(self) -> dict[str, dict[str, int]]:
        """Per tag: ``points`` (every row read, superseded included), ``first_step``,
        ``last_step`` (over all rows). Computed once per frame (analysis, the digest and the
        reports each ask), a fresh copy returned each time."""
        cached = self._summary
        if cached is None or cached[0] is not self.scalars:
            cached = self._summary = (self.scalars, self._series_summary())
        return {tag: dict(s) for tag, s in cached[1].items()}

    def _series_summary(self) -> dict[str, dict[str, int]]:
        if self.scalars.empty:
            return {}
        cols = self._arrays()
        codes, steps, names = cols.codes, cols.step, cols.names
        if codes is None:
            g = self.scalars.groupby("tag", observed=True, sort=False)["step"]
            agg = g.agg(["size", "min", "max"])
            return {
                str(tag): {"points": int(r["size"]), "first_step": int(r["min"]),
                           "last_step": int(r["max"])}
                for tag, r in agg.iterrows()
            }
        # numpy on the category codes (a pandas groupby costs ~25 ms per 100k rows)
        order = np.argsort(codes, kind="stable")
        c, s = codes[order], steps[order]
        starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
        sizes = np.diff(np.r_[starts, len(c)])
        lo = np.minimum.reduceat(s, starts)
        hi = np.maximum.reduceat(s, starts)
        at = {int(code): i for i, code in enumerate(c[starts])}
        return {
            str(names[code]): {"points": int(sizes[at[code]]), "first_step": int(lo[at[code]]),
                               "last_step": int(hi[at[code]])}
            for code in (int(x) for x in self._first_codes()) if code >= 0
        }

    def with_meta(self, **changes: Any) -> "Run":
        """A copy sharing ``scalars`` with some metadata fields replaced."""
        from dataclasses import replace

        out = Run(self.scalars, replace(self.meta, **changes))
        out._sums = dict(self._sums)
        out._share_columns(self)
        return out

    def __len__(self) -> int:
        return len(self.scalars)

    def __repr__(self) -> str:
        return (f"Run({self.meta.run_id!r}, format={self.meta.format!r}, "
                f"tags={len(self.tags)}, points={len(self.scalars)})")

    def digest(self) -> "RunDigest":
        """What a report without plots reads of this run, without its points."""
        return RunDigest(self.meta, self.tags, len(self.scalars), self.series_summary())


class RunDigest:
    """A :class:`Run` without its points: ``meta``, ``tags``, the number of points
    (``len``) and :meth:`series_summary`, all a report without plots reads. A sweep's parent
    process keeps one per run instead of every point (``analyze(..., keep_points=False)``);
    anything that needs the points (plots, the HTML report) needs the :class:`Run`."""

    __slots__ = ("meta", "tags", "_points", "_series")

    def __init__(self, meta: RunMeta, tags: list[str], points: int,
                 series: dict[str, dict[str, int]]) -> None:
        self.meta = meta
        self.tags = list(tags)
        self._points = points
        self._series = series

    def series_summary(self) -> dict[str, dict[str, int]]:
        """As :meth:`Run.series_summary` of the run it was made from."""
        return {tag: dict(s) for tag, s in self._series.items()}

    def __len__(self) -> int:
        return self._points

    def __repr__(self) -> str:
        return (f"RunDigest({self.meta.run_id!r}, format={self.meta.format!r}, "
                f"tags={len(self.tags)}, points={self._points})")


def _numeric(col: pd.Series | np.ndarray, dtype: type,
             shared: bool) -> pd.Series | np.ndarray:
    """``col`` as ``dtype`` values: the Series (or numpy array) itself when it already is
    (shared copy-on-write, or taken over), else converted (``pd.to_numeric``, unparsable ->
    NaN)."""
    if isinstance(col, np.ndarray):
        if col.dtype.kind in "iuf":
            return col if shared and col.dtype == dtype else col.astype(dtype)
        col = pd.Series(col)
    if shared and isinstance(col.dtype, np.dtype) and col.dtype == dtype:
        return col
    if isinstance(col.dtype, np.dtype) and col.dtype.kind in "iuf":
        return col.to_numpy(dtype=dtype)
    return pd.to_numeric(col, errors="coerce").to_numpy(dtype)


def _str_categorical(col: "pd.Series | pd.Categorical | np.ndarray") -> pd.Categorical:
    """``pd.Categorical(col.astype(str))``, without turning a million categorical rows into
    strings when ``col`` is already categorical (same categories, same order, same codes).

    Categories that are distinct Python strings (every reader's tags) are sorted, narrowed
    to those used and given their dtype in Python (:func:`_categories`), not by pandas'
    Index operations (~100 us a run, which a sweep of tiny runs pays per run)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        cat = col if isinstance(col, pd.Categorical) else col.array
        codes = cat.codes  # (a read-only view: not copied)
        names = cat.categories.tolist()
        if len(codes) and codes.min() >= 0 and all(type(x) is str for x in names) \
                and len(set(names)) == len(names):
            return _from_codes(codes, names)
        cats = cat.categories.astype(str)
        if len(codes) and codes.min() >= 0 and cats.is_unique:
            return _from_codes(codes, cats.tolist())
    return pd.Categorical(pd.Series(col, copy=False).astype(str))


def _from_codes(codes: np.ndarray, names: list[str]) -> pd.Categorical:
    """The categorical of valid ``codes`` (>= 0) into the distinct strings ``names``, with
    only the categories used, sorted (code point order, as pandas sorts strings)."""
    k = len(names)
    if k <= 16:  # a few passes over int8 codes beat widening them for bincount
        keep = [c for c in range(k) if (codes == c).any()]
    else:
        keep = np.flatnonzero(np.bincount(codes, minlength=k)).tolist()
    kept = [names[c] for c in keep]
    new = sorted(kept)
    # (the codes are those of a valid categorical, >= 0, remapped onto as many categories:
    # pandas need not check them again)
    if len(keep) == k and new == kept:
        return pd.Categorical.from_codes(codes, dtype=_categories(tuple(new)), validate=False)
    rank = {name: i for i, name in enumerate(new)}
    remap = np.zeros(k, dtype=codes.dtype)
    remap[keep] = [rank[name] for name in kept]
    return pd.Categorical.from_codes(remap[codes], dtype=_categories(tuple(new)),
                                     validate=False)


@lru_cache(maxsize=1024)
def _categories(names: tuple[str, ...]) -> pd.CategoricalDtype:
    """The categorical dtype of these (sorted, distinct) string categories, as pandas makes
    it from ``Index.astype(str)``; made once per set of names (building a dtype costs ~20 us
    and the runs of a sweep share their tag names)."""
    return pd.CategoricalDtype(pd.Index(list(names), dtype=object).astype(str), ordered=False)


def _nans(n: int) -> np.ndarray:
    out = np.empty(n)
    out.fill(np.nan)
    return out


#: elements compared at a time by :func:`_periodic_and_increasing`: the comparison's
#: temporaries stay in the CPU cache, and a mismatch stops the scan early
_COMPARE_BLOCK = 1 << 16


def _periodic_and_increasing(codes: np.ndarray, steps: np.ndarray, k: int) -> bool:
    """True when the rows cycle through ``k`` distinct tags in a fixed order (a wide table
    read row by row, a writer logging every tag at every step) and each tag's steps strictly
    increase: then no row is superseded and no tag is constant (speed only; the general
    path gives the same answer)."""
    n = len(codes)
    if k < 2 or n < 2 * k or len(np.unique(codes[:k])) != k:
        return False
    for a in range(k, n, _COMPARE_BLOCK):
        b = min(n, a + _COMPARE_BLOCK)
        if not (np.array_equal(codes[a:b], codes[a - k:b - k])
                and (steps[a:b] > steps[a - k:b - k]).all()):
            return False
    return True


def _flag_superseded(codes: np.ndarray, steps: np.ndarray,
                     tags: pd.Index) -> tuple[np.ndarray, list[str]]:
    """Apply the restart policy to the rows (tag ``codes`` into ``tags``, ``steps``);
    return the flags and warnings about steps that were found.

    A row is superseded when a later row of the same tag has a step <= its own. Tags whose
    steps are all equal are left alone (their view uses record order).

    Works tag by tag (a boolean mask per tag for a few tags, one stable sort for many), and
    skips the common case, steps strictly increasing, after one comparison.
    """
    n = len(codes)
    flags = np.zeros(n, dtype=bool)
    if n == 0:
        return flags, []
    n_tags = len(tags)
    if _periodic_and_increasing(codes, steps, n_tags):
        return flags, []  # the common wide layout, checked in two passes: nothing to flag

    if n_tags == 1:
        groups = iter([(0, None)])
    elif n_tags <= 32:
        groups = ((c, np.flatnonzero(codes == c)) for c in range(n_tags))
    else:
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(n_tags + 1))
        groups = ((c, order[bounds[c]:bounds[c + 1]]) for c in range(n_tags))

    constant: list[str] = []
    constant_step: int | None = None
    restarted: list[str] = []
    total = 0
    for code, idx in groups:
        s = steps if idx is None else steps[idx]
        if len(s) < 2:
            continue
        if (s[1:] > s[:-1]).all():
            continue  # strictly increasing: nothing superseded
        if s.min() == s.max():
            constant.append(str(tags[code]))
            if constant_step is None:
                constant_step = int(s[0])
            continue
        # row i is superseded when min(s[i+1:]) <= s[i]
        later_min = np.minimum.accumulate(s[::-1])[::-1]
        sup = np.zeros(len(s), dtype=bool)
        sup[:-1] = s[:-1] >= later_min[1:]
        k = int(sup.sum())
        if k:
            restarted.append(str(tags[code]))
            total += k
            if idx is None:
                flags = sup
            else:
                flags[idx] = sup

    warnings: list[str] = []
    if constant:
        warnings.append(
            f"every point of {_names(constant)} is at step {constant_step} "
            "(global_step not passed to the writer?): record order is used as the step")
    if restarted:
        warnings.append(
            f"{_RESTART_WARNING} {_names(restarted)} (a restart or duplicate steps): "
            f"{total} earlier point(s) superseded by later ones at the same or lower step")
    return flags, warnings


_RESTART_WARNING = "steps go back in"


def _names(tags: list[str], limit: int = 4) -> str:
    shown = ", ".join(repr(t) for t in tags[:limit])
    return shown + (f" and {len(tags) - limit} more" if len(tags) > limit else "")
