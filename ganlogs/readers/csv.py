"""CSV metric logs -> :class:`~ganlogs.run.Run`.

One reader for six layouts (format ids in brackets); ``docs/formats.md`` ("CSV") and
``docs/wandb.md`` hold the facts about each writer. Nothing is guessed silently: every
run's ``meta.notes`` says which delimiter, header, variant, step column and value columns
were used.

Layouts, in the order they are recognised from the header
    * TensorBoard UI "Download CSV" [``csv_tensorboard_ui``]: header exactly
      ``Wall time,Step,Value``, one series per file. The tag comes from the file name
      ``run-<run>-tag-<tag>.csv`` (TensorBoard writes ``/`` in the tag as ``_``, which cannot be
      undone), else the file stem. The server keeps at most 1000 points per series, so an
      export with 1000 rows is a sample (warned).
    * W&B UI chart export [``csv_wandb_export``]: quoted header, first column the x-axis
      (``Step`` or a custom x metric), then ``"<run> - <metric>"``, ``"<run> - <metric>__MIN"``,
      ``"<run> - <metric>__MAX"`` and possibly ``"<run> - _step"`` columns. Each run in the file
      becomes its own Run with id ``<run_id>#<run name>`` (a file with one run keeps
      ``run_id``); the run name is what precedes the first ``" - "``. ``__MIN``/``__MAX`` hold
      the range of the raw points folded into each plotted point: they are not points and are
      not read (said in the notes). The step is the run's ``_step`` column when there is one,
      else the x column (the x column is then also kept as a tag when it is a custom metric).
      W&B samples charts (at most 1500 points per series): warned.
    * long [``csv_long``]: a tag column (``tag``, ``metric``, ``name``, ``key``, ``series``), a
      step column and a ``value`` column, one point per row.
    * Lightning ``CSVLogger`` ``metrics.csv`` [``csv_lightning``]: columns are the sorted union
      of every logged key including ``step``; one ``log_metrics`` call per row, blank cells
      elsewhere; the same step on several rows is normal. ``epoch`` is a logged metric and is
      kept as a tag; ``step`` is the step. ``hparams.yaml`` beside it fills ``meta.hparams``.
    * Keras ``CSVLogger`` [``csv_keras``]: ``epoch`` then the sorted metric keys, ``NA`` for a
      missing value; step = epoch (0-based). Claimed by content too, since Keras' documented
      file name is ``training.log``.
    * wide [``csv_wide``]: anything else; one column per series. The step column is the first
      of ``step``, ``global_step``, ``_step``, ``iteration``, ``iter``, ``iters``, ``it``,
      ``epoch`` (case-insensitive) whose values are integers; otherwise the 0-based row index
      (said in the notes). Other step-like columns are kept as tags.

Cells
    ``nan``, ``NaN``, ``inf``, ``-inf``, ``Infinity`` are values (kept, as logged); empty cells
    and ``NA``/``N/A`` are missing (no point). Any other non-numeric cell in a numeric column is
    skipped and counted in ``meta.warnings``. A column whose cells are mostly text (a phase
    name, a date) is not a series (listed in the notes). Wall time comes from a column named
    ``wall_time``, ``walltime``, ``Wall time``, ``timestamp`` or ``_timestamp`` (seconds, as
    written); such a column is not a series.

Dialect
    The delimiter is the one of ``,`` ``;`` tab ``|`` that splits the first lines (16 KB, or
    the first three lines when they are longer) into the same number of fields (tab first for ``.tsv``); a ``;`` file whose numbers
    use a decimal comma is read with ``decimal=","``. The first row is a header unless every
    cell in it is a number (then the columns are named ``col0``, ``col1``...).

Damage
    UTF-8 (with or without a byte-order mark) only: UTF-16/32, invalid UTF-8 and binary data
    raise one-line errors naming the file. A last line without its final newline is dropped
    with a :class:`~ganlogs.errors.TruncatedLogWarning`. Rows with more fields than the header,
    and rows with fewer (which cells are missing cannot be told), are skipped and counted; a
    quote that is never closed is a ``CorruptLogError``. A file with rows but no numeric
    column raises ``ReadError("no numeric columns: not a metrics log")``; a header with no
    rows gives an empty Run and a warning.

Steps
    A step column with a few cells that are not whole numbers (``50.5``; at most
    :data:`FRACTIONAL_STEP_SHARE` of its cells) stays the step column: those rows are skipped
    and counted in a warning, as rows with a non-numeric step are. A column mostly of
    fractions (an ``epoch`` logged as ``0.25, 0.5, ...``) is not a step column.

Speed
    :mod:`ganlogs.readers._csv_parse` parses the file with ``pyarrow.csv`` (every core): in
    one block up to 32 MiB, else in blocks of 16 MiB, so peak memory is the numeric columns
    plus one block (1.2x the DataFrame for a 1 GB file); the reshaping to the
    long frame is vectorised (row-major, so points come out in file order: row by row, columns
    left to right), and a table with no blank cell takes a path with no masks at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import CorruptLogError, ReadError, UsageError
from ..run import Run
from ._csv_parse import _NUMBER, _INT64_LIMIT, MISSING, STEP_COLUMNS, Column, Table, read_table
from ._textio import looks_like_text
from .base import Reader, read_head

__all__ = ["CsvReader"]

#: wall-time column names (matched case-insensitively)
WALL_TIME_COLUMNS = ("wall_time", "walltime", "wall time", "timestamp", "_timestamp")
#: tag column names of the long layout
TAG_COLUMNS = ("tag", "metric", "name", "key", "series")
#: the share of a step column's cells that may be no whole number (a stray ``50.5``) with the
#: column still read as the step (those rows skipped, with a warning); above it the column is
#: a fractional epoch or a metric, not the step
FRACTIONAL_STEP_SHARE = 0.1

_SNIFF_BYTES = 16384
_TB_UI_HEADER = ["Wall time", "Step", "Value"]
_TB_UI_NAME = re.compile(r"run-(?P<run>.*?)-tag-(?P<tag>.+)")
_TB_UI_LIMIT = 1000
_WANDB_LIMIT = 1500
_BUCKET = ("__MIN", "__MAX")


class CsvReader(Reader):
    """Read a CSV metric log (see the module docstring for the layouts and rules)."""

    formats: ClassVar[tuple[str, ...]] = ("csv_wide", "csv_long", "csv_lightning", "csv_keras",
                                          "csv_tensorboard_ui", "csv_wandb_export")
    kind: ClassVar[str] = "file"
    side_files: ClassVar[tuple[str, ...]] = ("hparams.yaml",)  # Lightning, beside metrics.csv

    def __init__(self, *, block_bytes: int | None = None) -> None:
        """``block_bytes``: parse in blocks of about this many bytes (each cut after a line
        end); None (default): a file up to 32 MiB in one block, larger ones in 16 MiB
        blocks. Fewer than 16 MiB are used whatever the file's size: they bound memory. The
        runs read are the same whatever the blocks."""
        if block_bytes is not None and (isinstance(block_bytes, bool)
                                        or not isinstance(block_bytes, int) or block_bytes < 1):
            raise UsageError(f"block_bytes must be a positive integer or None; got {block_bytes!r}")
        self.block_bytes = block_bytes

    def __repr__(self) -> str:
        return f"CsvReader(block_bytes={self.block_bytes})"

    def guess_can_open(self, path: Path) -> bool:
        """``.csv``/``.tsv`` files whose first bytes are text are claimed by name, so that a
        CSV that cannot be read is reported rather than skipped. ``.log``/``.txt`` files and
        files without a suffix are claimed only when they start like a Keras ``CSVLogger``
        table (an ``epoch``-like first column and a numeric first row). Never raises."""
        try:
            path = Path(path)
            if not path.is_file():
                return False
            suffix = path.suffix.lower()
            head = read_head(path, _SNIFF_BYTES)
            if suffix in (".csv", ".tsv"):
                return looks_like_text(head)
            if suffix in ("", ".log", ".txt"):
                return _looks_like_step_table(head)
            return False
        except Exception:  # a sniffer never raises
            return False

    def read(self, path: Path, *, run_id: str) -> list[Run]:
        """Read ``path``; one Run, or one per run for a W&B export holding several runs."""
        path = Path(path)
        return runs_from_table(read_table(path, block_bytes=self.block_bytes), path,
                               run_id=run_id)


def runs_from_table(table: Table, path: Path, *, run_id: str) -> list[Run]:
    """What :meth:`CsvReader.read` makes of a parsed :class:`Table` (also of the lines a
    follower finds appended, parsed by :func:`~ganlogs.readers._csv_parse.parse_lines`)."""
    notes, warnings = table.notes, table.warnings
    if table.long_rows:
        warnings.append(f"{table.long_rows} row(s) with more fields than the header "
                        "were skipped")
    if table.short_rows:
        warnings.append(f"{table.short_rows} row(s) with fewer fields than the header "
                        "were skipped (which cells are missing cannot be told)")
    names = table.dialect.names
    if names == _TB_UI_HEADER:
        return [_read_tb_ui(table, path, run_id, notes, warnings)]
    if _is_wandb_export(names, path):
        return _read_wandb(table, path, run_id, notes, warnings)
    lower = [n.lower() for n in names]
    tag_col = next((names[lower.index(t)] for t in TAG_COLUMNS if t in lower), None)
    value_col = next((names[lower.index(t)] for t in ("value", "val") if t in lower), None)
    step_candidates = [names[lower.index(t)] for t in STEP_COLUMNS if t in lower]
    if tag_col and value_col and step_candidates and table.columns[tag_col].text is not None:
        return [_read_long(table, path, run_id, tag_col, step_candidates[0], value_col,
                           notes, warnings)]
    variant = _table_variant(names, table, path)
    return [_read_table(table, path, run_id, variant, notes, warnings)]


# --------------------------------------------------------------------------- sniffing
def _looks_like_step_table(head: bytes) -> bool:
    """A Keras-CSVLogger-like table: header ``epoch<sep>name...`` and a numeric first row."""
    if not looks_like_text(head):
        return False
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    lines = [ln for ln in re.split(r"\r\n|\n", text)[:3]]
    if len(lines) < 3 and not text.endswith("\n"):
        return False
    if len(lines) < 2:
        return False
    for delim in (",", "\t", ";"):
        header = [f.strip() for f in lines[0].split(delim)]
        row = [f.strip() for f in lines[1].split(delim)]
        if len(header) < 2 or len(row) != len(header):
            continue
        if header[0].lower() not in STEP_COLUMNS or any(not h for h in header):
            continue
        if any(_NUMBER.fullmatch(h) for h in header):
            continue
        if re.fullmatch(r"\d+", row[0]) and all(_NUMBER.fullmatch(c) or c in MISSING
                                                for c in row[1:]):
            return True
    return False



# --------------------------------------------------------------------------- steps
@dataclass
class _Steps:
    """A step column as int64: ``ok`` marks rows with a usable step; ``invalid`` counts
    present cells that are no int64 step (nan, inf, beyond +-2**63), ``fractional`` those
    that are no whole number (``example`` is one); both kinds of rows are kept out."""

    steps: np.ndarray
    ok: np.ndarray
    invalid: int = 0
    fractional: int = 0
    example: float | None = None

    @classmethod
    def row_index(cls, n: int) -> "_Steps":
        return cls(np.arange(n, dtype=np.int64), np.ones(n, dtype=bool))


def _steps(col: Column) -> _Steps | None:
    """The column as steps, or None when more than :data:`FRACTIONAL_STEP_SHARE` of its
    numbers are not whole numbers (then it is no step column)."""
    ints, integral = col.ints, col.integral
    v = col.values
    if ints is None or integral is None:
        from ._csv_parse import _whole
        ints, integral = _whole(v, col.present)
    present = col.present
    if integral.all():  # every row has a whole-number step: the common case
        return _Steps(ints, integral.copy())
    with np.errstate(invalid="ignore"):
        fractional = present & ~integral & np.isfinite(v) & (np.abs(v) < _INT64_LIMIT)
    n_frac = int(fractional.sum())
    if n_frac > FRACTIONAL_STEP_SHARE * int(present.sum()):
        return None
    invalid = int((present & ~integral).sum()) - n_frac
    example = float(v[np.argmax(fractional)]) if n_frac else None
    return _Steps(ints, integral.copy(), invalid, n_frac, example)


def _warn_invalid_steps(steps: _Steps, column: str, warnings: list[str]) -> None:
    if steps.fractional:
        warnings.append(f"{steps.fractional} row(s) whose step in column {column!r} is not a "
                        f"whole number (e.g. {steps.example!r}) were skipped")
    if steps.invalid:
        warnings.append(f"{steps.invalid} row(s) whose step in column {column!r} is not an "
                        "int64 integer (nan, inf, beyond +-2**63) were skipped")


def _wall_time_column(names: list[str]) -> str | None:
    lower = [n.lower() for n in names]
    return next((names[lower.index(w)] for w in WALL_TIME_COLUMNS if w in lower), None)


# --------------------------------------------------------------------------- layouts
def _has_blank(table: Table) -> bool:
    """A blank (or NaN) cell anywhere: Lightning's sparse rows."""
    return any(c.missing or np.isnan(c.values[c.present]).any() for c in table.columns.values())


def _table_variant(names: list[str], table: Table, path: Path) -> str:
    """``csv_lightning``, ``csv_keras`` or ``csv_wide`` from the header (and blanks)."""
    if len(names) >= 2 and "step" in names and names == sorted(names):
        if path.name == "metrics.csv" or _has_blank(table):
            return "csv_lightning"
    if len(names) >= 2 and names[0] == "epoch" and "step" not in names \
            and names[1:] == sorted(names[1:]):
        return "csv_keras"
    return "csv_wide"


_VARIANT_NOTES = {
    "csv_lightning": "variant: Lightning CSVLogger metrics.csv (sorted union of keys, one "
                     "log_metrics call per row, blank cells skipped; the same step on several "
                     "rows is normal: train, validation and epoch-end rows); 'epoch' is kept "
                     "as a tag",
    "csv_keras": "variant: Keras CSVLogger ('epoch' + sorted keys, NA cells skipped); "
                 "step = epoch (0-based)",
    "csv_wide": "variant: wide table (one column per series)",
}


def _read_table(table: Table, path: Path, run_id: str, variant: str,
                notes: list[str], warnings: list[str]) -> Run:
    """Wide, Lightning and Keras tables: one column per series, one step column."""
    names = list(table.dialect.names)
    notes.append(_VARIANT_NOTES[variant])
    columns = table.columns
    skip: set[str] = set()
    # A nameless first column is a DataFrame index written by to_csv, not a series.
    if names and (names[0] == "" or names[0].startswith("Unnamed: ")) and len(names) > 1:
        skip.add(names[0])
        notes.append(f"first column {names[0]!r} has no name (a DataFrame index): not a series")
    wall_name = _wall_time_column(names)
    wall = None
    if wall_name is not None and not columns[wall_name].is_text:
        skip.add(wall_name)
        wall = columns[wall_name].values
        notes.append(f"wall_time from column {wall_name!r} (seconds, as written)")
    step_name: str | None = None
    steps: _Steps | None = None
    fractional: list[str] = []
    lower = [n.lower() for n in names]
    wanted = ["step"] if variant == "csv_lightning" else \
        ["epoch"] if variant == "csv_keras" else list(STEP_COLUMNS)
    for cand in wanted:
        if cand in lower and names[lower.index(cand)] not in skip:
            name = names[lower.index(cand)]
            if columns[name].is_text or not columns[name].present.any():
                continue
            s = _steps(columns[name])
            if s is None:
                fractional.append(name)
            elif s.ok.any():
                step_name, steps = name, s
                break
    n = table.n_rows
    if step_name is None or steps is None:
        steps = _Steps.row_index(n)
        notes.append("step: the 0-based row index (no integer column named "
                     + "/".join(STEP_COLUMNS) + ")"
                     + "".join(f"; column {f!r} holds fractions, kept as a tag"
                               for f in fractional))
    else:
        skip.add(step_name)
        notes.append(f"step: column {step_name!r}")
        blank = int((~columns[step_name].present).sum())
        if blank:
            warnings.append(f"{blank} row(s) without a value in the step column "
                            f"{step_name!r} were skipped")
        _warn_invalid_steps(steps, step_name, warnings)
    series = [nm for nm in names if nm not in skip]
    text_cols = [nm for nm in series if columns[nm].is_text]
    if text_cols:
        notes.append("text column(s) not read as series: " + ", ".join(map(repr, text_cols)))
    series = [nm for nm in series if nm not in text_cols]
    has_points = any(columns[nm].present.any() for nm in series)
    has_text = bool(text_cols) or any(columns[nm].bad for nm in series)
    if n and (not series or (not has_points and has_text)):
        raise ReadError(path, "no numeric columns: not a metrics log")
    _warn_bad_cells(columns, series, warnings)
    present = [columns[nm].present for nm in series]
    values = [columns[nm].values for nm in series]
    columns.clear()  # _long_frame lets go of each column once it is copied (peak memory)
    out = _long_frame(values, present, steps.ok, series, steps.steps, wall)
    del steps, wall
    if n == 0:
        warnings.append("the file has a header but no rows yet")
    elif not len(out["step"]):
        warnings.append("every cell is blank: no points")
    unit = "line" if step_name is None else "epoch" if step_name.lower() == "epoch" else "step"
    return Run.from_frame(out, run_id=run_id, path=path, format=variant,
                          hparams=_lightning_hparams(path) if variant == "csv_lightning" else {},
                          notes=notes, warnings=warnings, step_unit=unit)


def _nans(n: int) -> np.ndarray:
    out = np.empty(n)
    out.fill(np.nan)
    return out


def _codes_dtype(k: int) -> type:
    return np.int8 if k < 2 ** 7 else np.int16 if k < 2 ** 15 else np.int32


def _long_frame(values: list[np.ndarray | None], present: list[np.ndarray],
                row_ok: np.ndarray, tags: list[str], steps: np.ndarray,
                wall: np.ndarray | None) -> dict[str, np.ndarray | pd.Categorical]:
    """Row-major reshaping of wide columns into the columns (tag, step, value, wall_time)
    that ``Run.from_frame`` takes over (no DataFrame is built in between): row by row,
    columns left to right. ``present[j]`` marks the points of column ``j``; rows where
    ``row_ok`` is False have none. A table with every cell present takes a path with no
    masks (repeat and tile); the others gather the points at the mask's flat positions.
    ``values`` is emptied (each entry set to None once copied), so that a caller that holds
    no other reference frees the wide columns as the long ones are built."""
    k, n = len(values), len(steps)
    dtype = _codes_dtype(k)
    # categories sorted as Run.from_frame keeps them, so it need not remap the codes
    order = sorted(range(k), key=lambda j: tags[j])
    rank = np.empty(k, dtype=dtype)
    rank[order] = np.arange(k, dtype=dtype)
    wide = np.empty((n, k))
    for j in range(k):
        wide[:, j] = values[j]
        values[j] = None  # the caller's list: the column can go now
    if row_ok.all() and all(p.all() for p in present):
        value = wide.reshape(-1)
        step = np.repeat(steps, k)
        codes = np.tile(rank, n)
        wall_time = np.repeat(wall, k) if wall is not None else _nans(n * k)
    else:
        mask = np.empty((n, k), dtype=bool)
        for j, p in enumerate(present):
            np.logical_and(p, row_ok, out=mask[:, j])
        flat = np.flatnonzero(mask)
        del mask
        value = wide.reshape(-1)[flat]
        del wide
        rows = flat // k if k > 1 else flat
        codes = rank[flat - rows * k] if k > 1 else np.zeros(len(flat), dtype=dtype)
        del flat
        step = steps[rows]
        wall_time = wall[rows] if wall is not None else _nans(len(rows))
    return {
        # (codes from rank: each within the categories, so pandas need not check them)
        "tag": pd.Categorical.from_codes(
            codes, dtype=_tag_dtype(tuple(tags[j] for j in order)), validate=False)
        if tags else pd.Categorical([]),
        "step": step, "value": value, "wall_time": wall_time}


@lru_cache(maxsize=256)
def _tag_dtype(names: tuple[str, ...]) -> pd.CategoricalDtype:
    """The categorical dtype of a table's series names, made once per header (~40 us each,
    and the files of a sweep share their headers)."""
    return pd.CategoricalDtype(pd.Index(list(names), dtype=object))


def _warn_bad_cells(columns: dict[str, Column], names: list[str], warnings: list[str]) -> None:
    bad = [(nm, columns[nm]) for nm in names if columns[nm].bad]
    if bad:
        total = sum(c.bad for _, c in bad)
        nm, col = bad[0]
        warnings.append(f"{total} non-numeric cell(s) in numeric columns were skipped "
                        f"(e.g. {col.example!r} in column {nm!r})")


def _tag_categorical(text: pa.ChunkedArray, keep: np.ndarray) -> pd.Categorical:
    """The tag strings of the kept rows as a categorical (pyarrow dictionary-encodes)."""
    kept = pc.filter(text, pa.array(keep)).combine_chunks()
    enc = kept.dictionary_encode()
    codes = enc.indices.to_numpy(zero_copy_only=False)
    cats = enc.dictionary.to_pylist()
    return pd.Categorical.from_codes(codes.astype(_codes_dtype(len(cats)), copy=False),
                                     categories=pd.Index(cats, dtype=object))


def _read_long(table: Table, path: Path, run_id: str, tag_col: str, step_col: str,
               value_col: str, notes: list[str], warnings: list[str]) -> Run:
    """``tag,step,value`` rows, one point each."""
    notes.append(f"variant: long table (tag column {tag_col!r}, step column {step_col!r}, "
                 f"value column {value_col!r})")
    columns = table.columns
    value = columns[value_col]
    step = columns[step_col]
    steps = _steps(step)
    if steps is None:
        raise ReadError(path, f"step column {step_col!r} holds values that are not integers")
    text = columns[tag_col].text
    has_tag = text.is_valid().to_numpy(zero_copy_only=False) if text.null_count else \
        np.ones(len(text), dtype=bool)
    blank = int((~(step.present & has_tag)).sum())
    if blank:
        warnings.append(f"{blank} row(s) without a step or a tag were skipped")
    _warn_invalid_steps(steps, step_col, warnings)
    ok = steps.ok & has_tag
    if value.is_text:
        raise ReadError(path, "no numeric columns: not a metrics log")
    _warn_bad_cells({value_col: value}, [value_col], warnings)
    keep = ok & value.present
    extra = [c for c in table.dialect.names if c not in (tag_col, step_col, value_col)]
    wall_name = _wall_time_column(extra)
    wall = None
    if wall_name is not None:
        wall = columns[wall_name].values[keep]
        notes.append(f"wall_time from column {wall_name!r} (seconds, as written)")
        extra.remove(wall_name)
    if extra:
        notes.append("column(s) not read: " + ", ".join(map(repr, extra)))
    out = pd.DataFrame({
        "tag": _tag_categorical(text, keep),
        "step": steps.steps[keep],
        "value": value.values[keep],
        "wall_time": wall if wall is not None else np.full(int(keep.sum()), np.nan),
    }, copy=False)
    if table.n_rows == 0:
        warnings.append("the file has a header but no rows yet")
    return Run.from_frame(out, run_id=run_id, path=path, format="csv_long", notes=notes,
                          warnings=warnings)


def _read_tb_ui(table: Table, path: Path, run_id: str, notes: list[str],
                warnings: list[str]) -> Run:
    """TensorBoard's "Download CSV": ``Wall time,Step,Value``, the tag in the file name."""
    m = _TB_UI_NAME.fullmatch(path.stem)
    if m:
        tag = m.group("tag")
        notes.append(f"variant: TensorBoard UI CSV export of run {m.group('run')!r}; tag "
                     f"{tag!r} taken from the file name (run-<run>-tag-<tag>.csv, where "
                     "TensorBoard writes '/' in a tag as '_')")
    else:
        tag = path.stem
        notes.append(f"variant: TensorBoard UI CSV export; tag {tag!r} is the file stem (the "
                     "name is not run-<run>-tag-<tag>.csv)")
    columns = table.columns
    value = columns["Value"]
    steps = _steps(columns["Step"])
    if steps is None:
        raise CorruptLogError(path, "column 'Step' holds values that are not integers")
    wall = columns["Wall time"].values
    _warn_bad_cells({"Value": value}, ["Value"], warnings)
    _warn_invalid_steps(steps, "Step", warnings)
    keep = value.present & steps.ok
    n = int(keep.sum())
    if n >= _TB_UI_LIMIT:
        warnings.append(f"a TensorBoard UI export keeps at most {_TB_UI_LIMIT} points per "
                        f"series (the server samples longer ones); this one has {n}: it is "
                        "probably a sample, not every logged point")
    else:
        notes.append(f"{n} points: under TensorBoard's {_TB_UI_LIMIT}-point export limit, so "
                     "none was sampled away")
    notes.append("step: column 'Step'; wall_time: column 'Wall time' (Unix seconds)")
    out = pd.DataFrame({"tag": pd.Categorical.from_codes(np.zeros(n, dtype=np.int8),
                                                         categories=pd.Index([tag], dtype=object)),
                        "step": steps.steps[keep], "value": value.values[keep],
                        "wall_time": wall[keep]}, copy=False)
    return Run.from_frame(out, run_id=run_id, path=path, format="csv_tensorboard_ui",
                          notes=notes, warnings=warnings)


def _is_wandb_export(names: list[str], path: Path) -> bool:
    rest = [n for n in names[1:] if n]
    if len(names) < 2 or not rest or not all(" - " in n for n in rest):
        return False
    return path.name.startswith("wandb_export") or any(
        n.endswith(("__MIN", "__MAX")) for n in rest)


def _read_wandb(table: Table, path: Path, run_id: str, notes: list[str],
                warnings: list[str]) -> list[Run]:
    """W&B chart export: one Run per ``<run> - <metric>`` prefix."""
    names = list(table.dialect.names)
    columns = table.columns
    n_rows = table.n_rows
    x_name = names[0]
    runs: dict[str, list[tuple[str, str]]] = {}  # run name -> [(metric, column)]
    for col in names[1:]:
        if not col:
            continue
        run_name, metric = col.split(" - ", 1)
        runs.setdefault(run_name, []).append((metric, col))
    x_col = columns[x_name]
    x_is_step = x_name.lower() in ("step", "_step")
    out: list[Run] = []
    for run_name, metrics in runs.items():
        r_notes = list(notes)
        r_warn = list(warnings)
        r_notes.append(f"variant: W&B UI chart export; run {run_name!r} "
                       f"({len(runs)} run(s) in the file); x-axis column {x_name!r}; "
                       "the __MIN/__MAX columns (the range of the raw points folded into each "
                       "plotted point) are not points and were not read")
        r_warn.append(f"W&B chart exports are sampled (at most {_WANDB_LIMIT} points per "
                      "series, each point a bucket whose range is in __MIN/__MAX): this is not "
                      "the raw history")
        step_cols = [c for m, c in metrics if m == "_step"]
        series = [(m, c) for m, c in metrics if m != "_step" and not m.endswith(_BUCKET)]
        cols = {c: columns[c] for _, c in series}
        tags = [m for m, _ in series]
        step = _steps(columns[step_cols[0]]) if step_cols else None
        x_tag = False
        if step is not None:
            _warn_invalid_steps(step, step_cols[0], r_warn)
            r_notes.append(f"step: column {step_cols[0]!r}")
            if not x_is_step:
                x_tag = True
                r_notes.append(f"the x-axis {x_name!r} is kept as a tag")
        elif (step := _steps(x_col)) is not None:
            _warn_invalid_steps(step, x_name, r_warn)
            r_notes.append(f"step: the x-axis column {x_name!r}")
        else:
            step = _Steps.row_index(n_rows)
            x_tag = True
            r_notes.append(f"step: the 0-based row index (the x-axis {x_name!r} is not an "
                           "integer and there is no _step column); the x-axis is kept as a tag")
        if x_tag:
            cols[x_name] = x_col
            series.insert(0, (x_name, x_name))
        _warn_bad_cells(cols, [c for _, c in series], r_warn)
        if x_tag:
            series.pop(0)
        values = [cols[c].values for _, c in series]
        present = [cols[c].present for _, c in series]
        if x_tag:
            # x values only count on rows where the run itself has a value
            own = np.zeros(n_rows, dtype=bool)
            for p in present:
                own |= p
            values.insert(0, x_col.values)
            present.insert(0, x_col.present & own)
            tags.insert(0, x_name)
        any_point = np.zeros(n_rows, dtype=bool)
        for p in present:
            any_point |= p
        no_step = any_point & ~step.ok
        if no_step.any():
            r_warn.append(f"{int(no_step.sum())} row(s) without a usable step were skipped")
        body = _long_frame(values, present, step.ok, tags, step.steps, None)
        rid = run_id if len(runs) == 1 else f"{run_id}#{run_name}"
        if len(runs) == 1:
            r_notes.append(f"W&B run name: {run_name!r}")
        out.append(Run.from_frame(body, run_id=rid, path=path, format="csv_wandb_export",
                                  notes=r_notes, warnings=r_warn))
    return out


def _lightning_hparams(path: Path) -> dict[str, object]:
    """Top-level ``key: scalar`` lines of Lightning's ``hparams.yaml`` beside metrics.csv
    (no YAML dependency: nested values are skipped)."""
    try:
        text = (path.parent / "hparams.yaml").read_text(encoding="utf-8")
    except (OSError, UnicodeError):
        return {}
    out: dict[str, object] = {}
    for line in text.splitlines():
        m = re.fullmatch(r"([A-Za-z_][\w.\-]*):\s+(.+?)\s*", line)
        if not m:
            continue
        raw = m.group(2).strip("'\"")
        try:
            out[m.group(1)] = int(raw)
        except ValueError:
            try:
                out[m.group(1)] = float(raw)
            except ValueError:
                out[m.group(1)] = {"true": True, "false": False, "null": None}.get(raw, raw)
    return out
