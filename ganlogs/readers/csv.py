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
    with a :class:`~ganlogs.errors.TruncatedLogWarning`. Rows with more fields than the header
    are skipped and counted. A file with rows but no numeric column raises ``ReadError("no
    numeric columns: not a metrics log")``; a header with no rows gives an empty Run and a
    warning.

Speed
    The whole file is parsed once by ``pandas.read_csv`` (C engine); wide-to-long reshaping is
    vectorised (row-major, so points come out in file order: row by row, columns left to
    right).
"""

from __future__ import annotations

import csv as _csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from ..errors import CorruptLogError, ReadError
from ..run import Run
from ._textio import check_text, complete_lines, looks_like_text, read_bytes, warn_truncated
from .base import Reader, read_head

__all__ = ["CsvReader"]

#: step column names, most preferred first (matched case-insensitively)
STEP_COLUMNS = ("step", "global_step", "_step", "iteration", "iter", "iters", "it", "epoch")
#: wall-time column names (matched case-insensitively)
WALL_TIME_COLUMNS = ("wall_time", "walltime", "wall time", "timestamp", "_timestamp")
#: tag column names of the long layout
TAG_COLUMNS = ("tag", "metric", "name", "key", "series")
#: cells that mean "no value here" (Keras writes NA); ``nan`` is a value, not missing
MISSING = ("", "NA", "N/A", "n/a", "#N/A")

_SNIFF_BYTES = 16384
_SNIFF_LINES = 64
_NUMBER = re.compile(r"\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\s*"
                     r"|\s*[-+]?(?:nan|inf|infinity)\s*", re.IGNORECASE)
_DECIMAL_COMMA = re.compile(r"\s*[-+]?\d+,\d+(?:[eE][-+]?\d+)?\s*")
_NAN_LITERAL = r"\s*[-+]?nan\s*"
_TB_UI_HEADER = ["Wall time", "Step", "Value"]
_TB_UI_NAME = re.compile(r"run-(?P<run>.*?)-tag-(?P<tag>.+)")
_TB_UI_LIMIT = 1000
_WANDB_LIMIT = 1500
_BUCKET = ("__MIN", "__MAX")
_INT64_LIMIT = 2.0 ** 63


@dataclass(frozen=True)
class _Dialect:
    delimiter: str
    header: bool
    decimal: str
    names: list[str]


@dataclass
class _Column:
    """One column converted to numbers: ``values`` (float64), ``present`` (a point is there),
    ``bad`` (non-numeric cells that were skipped), and an example of a bad cell."""

    values: np.ndarray
    present: np.ndarray
    bad: int
    example: str | None
    ints: np.ndarray | None = None  # the exact integers when the column parsed as int64

    @property
    def is_text(self) -> bool:
        """Mostly text: not a series at all (a phase name, a date)."""
        return self.bad > 0 and self.bad > int(self.present.sum())


class CsvReader(Reader):
    """Read a CSV metric log (see the module docstring for the layouts and rules)."""

    formats: ClassVar[tuple[str, ...]] = ("csv_wide", "csv_long", "csv_lightning", "csv_keras",
                                          "csv_tensorboard_ui", "csv_wandb_export")
    kind: ClassVar[str] = "file"
    side_files: ClassVar[tuple[str, ...]] = ("hparams.yaml",)  # Lightning, beside metrics.csv

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
        data = read_bytes(path)
        data, notes = check_text(path, data, what="CSV file")
        if not data.strip():
            raise ReadError(path, "empty file: no header and no rows")
        body, tail = complete_lines(data)
        warnings: list[str] = []
        truncated = warn_truncated(path, tail)
        if truncated:
            warnings.append(truncated)
        if not body.strip():
            raise ReadError(path, "the file ends inside its first line: no complete line "
                                  "(truncated while being written?)")
        dialect = _sniff(body, path)
        notes.append(
            f"CSV dialect: delimiter {dialect.delimiter!r}, "
            + ("header row" if dialect.header else
               "no header row (the first row is all numbers): columns named col0, col1, ...")
            + (", decimal comma" if dialect.decimal == "," else ""))
        frame, skipped_lines = _parse(body, dialect, path)
        if skipped_lines:
            warnings.append(f"{skipped_lines} row(s) with more fields than the header "
                            "were skipped")
        names = dialect.names
        if names == _TB_UI_HEADER:
            return [_read_tb_ui(frame, path, run_id, notes, warnings)]
        if _is_wandb_export(names, path):
            return _read_wandb(frame, path, run_id, notes, warnings)
        lower = [n.lower() for n in names]
        tag_col = next((names[lower.index(t)] for t in TAG_COLUMNS if t in lower), None)
        value_col = next((names[lower.index(t)] for t in ("value", "val") if t in lower), None)
        step_candidates = [names[lower.index(t)] for t in STEP_COLUMNS if t in lower]
        if tag_col and value_col and step_candidates and not _numeric_column(
                frame[tag_col]).present.any():
            return [_read_long(frame, path, run_id, tag_col, step_candidates[0], value_col,
                               notes, warnings)]
        variant = _table_variant(names, frame, path)
        return [_read_table(frame, path, run_id, variant, notes, warnings)]


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


def _sniff(body: bytes, path: Path) -> _Dialect:
    """Delimiter, header and decimal mark from the first lines (at most 16 KB)."""
    # The first 16 KB cut at a line end, but at least the first three lines (a W&B export
    # of hundreds of runs has a header longer than 16 KB).
    end = _SNIFF_BYTES
    third = -1
    for _ in range(3):
        third = body.find(b"\n", third + 1)
        if third < 0:
            break
    if third >= end:
        end = third + 1
    sample = body[:end]
    if len(body) > end:
        sample = sample[:sample.rfind(b"\n") + 1] or sample
    text = sample.decode("utf-8", errors="replace")
    lines = [ln for ln in re.split(r"\r\n|\n|\r", text) if ln.strip()][:_SNIFF_LINES]
    order = ["\t", ",", ";", "|"] if path.suffix.lower() == ".tsv" else [",", ";", "\t", "|"]
    best: tuple[str, list[list[str]]] | None = None
    fallback: tuple[int, str, list[list[str]]] | None = None
    for delim in order:
        try:
            rows = list(_csv.reader(lines, delimiter=delim, quotechar='"'))
        except _csv.Error:
            continue
        widths = {len(r) for r in rows}
        if len(widths) == 1 and len(rows[0]) > 1:
            best = (delim, rows)
            break
        if fallback is None or len(rows[0]) > fallback[0]:
            fallback = (len(rows[0]), delim, rows)
    if best is None:
        assert fallback is not None  # order is never empty
        _, delim, rows = fallback
        if fallback[0] <= 1:
            delim = "\t" if path.suffix.lower() == ".tsv" else ","
    else:
        delim, rows = best
    first = [c.strip() for c in rows[0]]
    header = not all(_NUMBER.fullmatch(c) for c in first if c) or not any(first)
    decimal = "."
    data_cells = [c for r in rows[1 if header else 0:] for c in r]
    if delim == ";" and any(_DECIMAL_COMMA.fullmatch(c) for c in data_cells) and not any(
            re.fullmatch(r"\s*[-+]?\d+\.\d+\s*", c) for c in data_cells):
        decimal = ","
    if header:
        names = _unique([c.strip().strip('"').strip() for c in rows[0]])
    else:
        names = [f"col{i}" for i in range(len(rows[0]))]
    return _Dialect(delim, header, decimal, names)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        if n in seen:
            seen[n] += 1
            out.append(f"{n}.{seen[n]}")
        else:
            seen[n] = 0
            out.append(n)
    return out


def _parse(body: bytes, dialect: _Dialect, path: Path) -> tuple[pd.DataFrame, int]:
    """The whole file through pandas' C parser; returns the frame and the number of rows
    skipped for having more fields than the header."""
    try:
        frame = pd.read_csv(
            io.BytesIO(body), sep=dialect.delimiter, header=0 if dialect.header else None,
            names=dialect.names, index_col=False, keep_default_na=False, na_values=list(MISSING),
            skipinitialspace=True, decimal=dialect.decimal, quotechar='"', engine="c",
            encoding="utf-8", on_bad_lines="skip", low_memory=False, skip_blank_lines=True)
    except (pd.errors.ParserError, ValueError, _csv.Error) as exc:
        raise CorruptLogError(path, f"CSV parse error: {' '.join(str(exc).split())}") from None
    except pd.errors.EmptyDataError:
        raise ReadError(path, "empty file: no header and no rows") from None
    # Rows pandas skipped = complete lines - header - blank lines - rows read (not counted
    # when quotes are present: a quoted field may span lines).
    rows = body.count(b"\n") - (1 if dialect.header else 0)
    if rows == len(frame) or b'"' in body:
        return frame, 0
    blank = len(re.findall(rb"(?m)^[ \t]*\r?\n", body))
    return frame, max(0, rows - blank - len(frame))


# --------------------------------------------------------------------------- cells
def _numeric_column(col: pd.Series) -> _Column:
    """Convert one parsed column to float64 with its masks (see :class:`_Column`)."""
    if pd.api.types.is_bool_dtype(col):
        v = col.to_numpy(dtype=np.float64)
        return _Column(v, np.ones(len(v), dtype=bool), 0, None)
    if pd.api.types.is_numeric_dtype(col):
        v = col.to_numpy(dtype=np.float64, na_value=np.nan)
        # The parser turns only the MISSING markers into NaN ("nan" keeps a column textual).
        ints = col.to_numpy(dtype=np.int64) if col.dtype == np.int64 else None
        return _Column(v, ~np.isnan(v), 0, None, ints)
    missing = col.isna().to_numpy()
    v = pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    unparsed = ~missing & np.isnan(v)
    if unparsed.any():
        text = col[unparsed].astype(str)
        nan_literal = text.str.fullmatch(_NAN_LITERAL, case=False).fillna(False).to_numpy(bool)
        bad_idx = np.flatnonzero(unparsed)[~nan_literal]
        present = ~missing
        present[bad_idx] = False
        example = str(col.iloc[bad_idx[0]]) if len(bad_idx) else None
        return _Column(v, present, len(bad_idx), example)
    return _Column(v, ~missing, 0, None)


@dataclass
class _Steps:
    """A step column as int64: ``ok`` marks rows with a usable step; ``invalid`` counts
    present cells that are no int64 step (nan, inf, beyond +-2**63: kept out of the run)."""

    steps: np.ndarray
    ok: np.ndarray
    invalid: int

    @classmethod
    def row_index(cls, n: int) -> "_Steps":
        return cls(np.arange(n, dtype=np.int64), np.ones(n, dtype=bool), 0)


def _steps(col: _Column) -> _Steps | None:
    """The column as steps, or None when a present finite value is not an integer."""
    if col.ints is not None:
        return _Steps(col.ints, col.present.copy(), 0)
    v = col.values
    finite = col.present & np.isfinite(v)
    if not np.all(v[finite] == np.round(v[finite])):
        return None
    ok = finite & (v >= -_INT64_LIMIT) & (v < _INT64_LIMIT)
    steps = np.zeros(len(v), dtype=np.int64)
    steps[ok] = v[ok].astype(np.int64)
    return _Steps(steps, ok, int((col.present & ~ok).sum()))


def _warn_invalid_steps(steps: _Steps, column: str, warnings: list[str]) -> None:
    if steps.invalid:
        warnings.append(f"{steps.invalid} row(s) whose step in column {column!r} is not an "
                        "int64 integer (nan, inf, beyond +-2**63) were skipped")


def _wall_time_column(names: list[str]) -> str | None:
    lower = [n.lower() for n in names]
    return next((names[lower.index(w)] for w in WALL_TIME_COLUMNS if w in lower), None)


# --------------------------------------------------------------------------- layouts
def _table_variant(names: list[str], frame: pd.DataFrame, path: Path) -> str:
    """``csv_lightning``, ``csv_keras`` or ``csv_wide`` from the header (and blanks)."""
    if len(names) >= 2 and "step" in names and names == sorted(names):
        if path.name == "metrics.csv" or bool(frame.isna().to_numpy().any()):
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


def _read_table(frame: pd.DataFrame, path: Path, run_id: str, variant: str,
                notes: list[str], warnings: list[str]) -> Run:
    """Wide, Lightning and Keras tables: one column per series, one step column."""
    names = list(frame.columns)
    notes.append(_VARIANT_NOTES[variant])
    columns = {n: _numeric_column(frame[n]) for n in names}
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
    lower = [n.lower() for n in names]
    wanted = ["step"] if variant == "csv_lightning" else \
        ["epoch"] if variant == "csv_keras" else list(STEP_COLUMNS)
    for cand in wanted:
        if cand in lower and names[lower.index(cand)] not in skip:
            name = names[lower.index(cand)]
            s = _steps(columns[name])
            if s is not None and s.ok.any() and not columns[name].is_text:
                step_name, steps = name, s
                break
    n = len(frame)
    if step_name is None or steps is None:
        steps = _Steps.row_index(n)
        notes.append("step: the 0-based row index (no integer column named "
                     + "/".join(STEP_COLUMNS) + ")")
    else:
        skip.add(step_name)
        notes.append(f"step: column {step_name!r}")
        blank = int((~columns[step_name].present).sum())
        if blank:
            warnings.append(f"{blank} row(s) without a value in the step column "
                            f"{step_name!r} were skipped")
        _warn_invalid_steps(steps, step_name, warnings)
    row_ok = steps.ok
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
    if series:
        vals = np.column_stack([columns[nm].values for nm in series])
        present = np.column_stack([columns[nm].present for nm in series]) & row_ok[:, None]
    else:
        vals = np.zeros((n, 0))
        present = np.zeros((n, 0), dtype=bool)
    out = _long_frame(vals, present, series, steps.steps, wall)
    if n == 0:
        warnings.append("the file has a header but no rows yet")
    elif out.empty:
        warnings.append("every cell is blank: no points")
    unit = "line" if step_name is None else "epoch" if step_name.lower() == "epoch" else "step"
    return Run.from_frame(out, run_id=run_id, path=path, format=variant,
                          hparams=_lightning_hparams(path) if variant == "csv_lightning" else {},
                          notes=notes, warnings=warnings, step_unit=unit)


def _long_frame(vals: np.ndarray, present: np.ndarray, tags: list[str], steps: np.ndarray,
                wall: np.ndarray | None) -> pd.DataFrame:
    """Row-major reshaping of a wide block into (tag, step, value, wall_time)."""
    r, c = np.nonzero(present)
    return pd.DataFrame({
        "tag": pd.Categorical.from_codes(c, categories=pd.Index(tags, dtype=object))
        if tags else pd.Categorical([]),
        "step": steps[r],
        "value": vals[r, c],
        "wall_time": wall[r] if wall is not None else np.full(len(r), np.nan),
    })


def _warn_bad_cells(columns: dict[str, _Column], names: list[str], warnings: list[str]) -> None:
    bad = [(nm, columns[nm]) for nm in names if columns[nm].bad]
    if bad:
        total = sum(c.bad for _, c in bad)
        nm, col = bad[0]
        warnings.append(f"{total} non-numeric cell(s) in numeric columns were skipped "
                        f"(e.g. {col.example!r} in column {nm!r})")


def _read_long(frame: pd.DataFrame, path: Path, run_id: str, tag_col: str, step_col: str,
               value_col: str, notes: list[str], warnings: list[str]) -> Run:
    """``tag,step,value`` rows, one point each."""
    notes.append(f"variant: long table (tag column {tag_col!r}, step column {step_col!r}, "
                 f"value column {value_col!r})")
    value = _numeric_column(frame[value_col])
    step = _numeric_column(frame[step_col])
    steps = _steps(step)
    if steps is None:
        raise ReadError(path, f"step column {step_col!r} holds values that are not integers")
    tags = frame[tag_col]
    has_tag = tags.notna().to_numpy()
    blank = int((~(step.present & has_tag)).sum())
    if blank:
        warnings.append(f"{blank} row(s) without a step or a tag were skipped")
    _warn_invalid_steps(steps, step_col, warnings)
    ok = steps.ok & has_tag
    if value.is_text:
        raise ReadError(path, "no numeric columns: not a metrics log")
    _warn_bad_cells({value_col: value}, [value_col], warnings)
    keep = ok & value.present
    extra = [c for c in frame.columns if c not in (tag_col, step_col, value_col)]
    wall_name = _wall_time_column(extra)
    wall = None
    if wall_name is not None:
        wall = _numeric_column(frame[wall_name]).values[keep]
        notes.append(f"wall_time from column {wall_name!r} (seconds, as written)")
        extra.remove(wall_name)
    if extra:
        notes.append("column(s) not read: " + ", ".join(map(repr, extra)))
    out = pd.DataFrame({
        "tag": tags[keep].astype(str).to_numpy(dtype=object),
        "step": steps.steps[keep],
        "value": value.values[keep],
        "wall_time": wall if wall is not None else np.full(int(keep.sum()), np.nan),
    })
    if len(frame) == 0:
        warnings.append("the file has a header but no rows yet")
    return Run.from_frame(out, run_id=run_id, path=path, format="csv_long", notes=notes,
                          warnings=warnings)


def _read_tb_ui(frame: pd.DataFrame, path: Path, run_id: str, notes: list[str],
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
    value = _numeric_column(frame["Value"])
    steps = _steps(_numeric_column(frame["Step"]))
    if steps is None:
        raise CorruptLogError(path, "column 'Step' holds values that are not integers")
    wall = _numeric_column(frame["Wall time"]).values
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
    out = pd.DataFrame({"tag": [tag] * n, "step": steps.steps[keep],
                        "value": value.values[keep], "wall_time": wall[keep]})
    return Run.from_frame(out, run_id=run_id, path=path, format="csv_tensorboard_ui",
                          notes=notes, warnings=warnings)


def _is_wandb_export(names: list[str], path: Path) -> bool:
    rest = [n for n in names[1:] if n]
    if len(names) < 2 or not rest or not all(" - " in n for n in rest):
        return False
    return path.name.startswith("wandb_export") or any(
        n.endswith(("__MIN", "__MAX")) for n in rest)


def _read_wandb(frame: pd.DataFrame, path: Path, run_id: str, notes: list[str],
                warnings: list[str]) -> list[Run]:
    """W&B chart export: one Run per ``<run> - <metric>`` prefix."""
    names = list(frame.columns)
    x_name = names[0]
    runs: dict[str, list[tuple[str, str]]] = {}  # run name -> [(metric, column)]
    for col in names[1:]:
        if not col:
            continue
        run_name, metric = col.split(" - ", 1)
        runs.setdefault(run_name, []).append((metric, col))
    x_col = _numeric_column(frame[x_name])
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
        cols = {c: _numeric_column(frame[c]) for _, c in series}
        tags = [m for m, _ in series]
        step = _steps(_numeric_column(frame[step_cols[0]])) if step_cols else None
        if step is not None:
            _warn_invalid_steps(step, step_cols[0], r_warn)
            r_notes.append(f"step: column {step_cols[0]!r}")
            if not x_is_step:
                cols[x_name] = x_col
                tags.insert(0, x_name)
                series.insert(0, (x_name, x_name))
                r_notes.append(f"the x-axis {x_name!r} is kept as a tag")
        elif (step := _steps(x_col)) is not None:
            _warn_invalid_steps(step, x_name, r_warn)
            r_notes.append(f"step: the x-axis column {x_name!r}")
        else:
            step = _Steps.row_index(len(frame))
            cols[x_name] = x_col
            tags.insert(0, x_name)
            series.insert(0, (x_name, x_name))
            r_notes.append(f"step: the 0-based row index (the x-axis {x_name!r} is not an "
                           "integer and there is no _step column); the x-axis is kept as a tag")
        _warn_bad_cells(cols, [c for _, c in series], r_warn)
        if series:
            vals = np.column_stack([cols[c].values for _, c in series])
            present = np.column_stack([cols[c].present for _, c in series])
        else:
            vals, present = np.zeros((len(frame), 0)), np.zeros((len(frame), 0), dtype=bool)
        # x values only count on rows where the run itself has a value
        own = present[:, 1:] if tags and tags[0] == x_name else present
        if tags and tags[0] == x_name:
            present[:, 0] &= own.any(axis=1)
        no_step = present.any(axis=1) & ~step.ok
        if no_step.any():
            r_warn.append(f"{int(no_step.sum())} row(s) without a usable step were skipped")
        present &= step.ok[:, None]
        body = _long_frame(vals, present, tags, step.steps, None)
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
