"""W&B history exports: what ``wandb.Api().run(path).history()`` or ``scan_history()`` gave a
user, saved as CSV, JSON lines or Parquet.

These are the DataFrames (or lists of row dicts) of W&B's public API (``docs/wandb.md``,
"History exports"): one row per logged step, one column per logged key plus ``_step``, ``_runtime`` and
``_timestamp``; a key missing from a row is NaN/null/an empty cell. Typical ways to save them::

    df = wandb.Api().run("entity/project/run_id").history()      # sampled: 500 rows
    df = pd.DataFrame(run.scan_history())                          # every row
    df.to_csv("history.csv", index=False)
    df.to_json("history.jsonl", orient="records", lines=True)
    df.to_parquet("history.parquet")                               # needs pyarrow

Conventions (the same as for ``.wandb`` files, :mod:`ganlogs.readers.wandb`)
    * step = ``_step``; wall_time = ``_timestamp`` (Unix seconds); ``_runtime`` and ``_wandb...``
      columns are bookkeeping, not tags; every other numeric column is a tag, named as in the
      export (W&B flattens nested dicts to ``loss.D``; a JSON-lines row that still holds a
      nested dict is flattened the same way).
    * An empty cell, ``null`` or NaN is "not logged in this row": no point. A DataFrame cannot
      tell a NaN the run logged from a missing key, so a logged NaN is lost in these exports
      (the ``.wandb`` file keeps it). ``Infinity`` is a value.
    * Non-numeric cells (text, media dicts such as ``{"_type": "image-file", ...}``, booleans)
      are skipped and counted in a note.
    * ``history()`` samples 500 rows by default: the notes say so, and an export of exactly 500
      rows with irregular step spacing gets a warning (use ``scan_history()`` for every row).

Claiming (cheap, never raises): ``.jsonl``/``.json`` whose first line is a JSON object with a
``_step`` key (or a ``.json`` array of such objects); ``.csv`` whose header row has a
``_step`` column (so this reader comes before the generic CSV reader); ``.parquet`` files
(magic ``PAR1``) whose footer names a ``_step`` column. pyarrow is optional and imported only
to read Parquet: without it :meth:`WandbHistoryReader.read` raises a ReadError with the
install command.

Damage: text must be UTF-8; a last line without its final newline is dropped with a
:class:`~ganlogs.errors.TruncatedLogWarning`; an unparsable JSON line or a damaged Parquet file
raises :class:`~ganlogs.errors.CorruptLogError` naming the file (and the line).
"""

from __future__ import annotations

import csv as _csv
import io
import json
import math
import re
import struct
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..errors import CorruptLogError, ReadError
from ..run import Run
from ._textio import check_text, complete_lines, looks_like_text, read_bytes, warn_truncated
from ._wandb_decode import is_bookkeeping
from .base import Reader, read_head

__all__ = ["WandbHistoryReader", "HISTORY_SAMPLES"]

#: rows that ``wandb.Api().run().history()`` returns by default (``samples=500``)
HISTORY_SAMPLES = 500

_HEAD_BYTES = 65536
_STEP, _TIMESTAMP = "_step", "_timestamp"
_STEP_KEY = re.compile(rb'"_step"\s*:')
_PARQUET_MAGIC = b"PAR1"
#: cells that mean "not logged in this row" (pandas writes NaN as an empty cell)
_MISSING = ["", "nan", "NaN", "NA", "N/A", "null", "None"]


# --------------------------------------------------------------------------- sniffing
def _first_line(head: bytes) -> tuple[bytes, bool]:
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    first, sep, _ = head.partition(b"\n")
    return first.rstrip(b"\r"), bool(sep)


def _json_claims(head: bytes) -> bool:
    first, complete = _first_line(head)
    text = first.strip()
    if text.startswith(b"["):  # a records array: df.to_json(orient="records")
        return bool(_STEP_KEY.search(head[:4096])) and text[1:].lstrip()[:1] in (b"{", b"")
    if not text.startswith(b"{"):
        return False
    if complete:
        try:
            obj = json.loads(first)
        except ValueError:
            return False
        return isinstance(obj, dict) and _STEP in obj
    return bool(_STEP_KEY.search(first))  # a first line longer than the head, or cut


def _csv_claims(head: bytes) -> bool:
    if not looks_like_text(head):
        return False
    first, _ = _first_line(head)
    try:
        line = first.decode("utf-8")
        names = next(_csv.reader([line]))
    except (UnicodeDecodeError, StopIteration, _csv.Error):
        return False
    return _STEP in (n.strip() for n in names)


def _parquet_footer(path: Path) -> bytes | None:
    """The Parquet footer (thrift metadata), or None when ``path`` is not a Parquet file."""
    with open(path, "rb") as fh:
        if fh.read(4) != _PARQUET_MAGIC:
            return None
        fh.seek(0, 2)
        size = fh.tell()
        if size < 12:
            return None
        fh.seek(size - 8)
        tail = fh.read(8)
        if tail[4:] != _PARQUET_MAGIC:
            return None
        (length,) = struct.unpack("<I", tail[:4])
        if length > size - 12:
            return None
        fh.seek(size - 8 - length)
        return fh.read(min(length, 1 << 24))


# --------------------------------------------------------------------------- the reader
class WandbHistoryReader(Reader):
    """Read a saved W&B history export (CSV, JSON lines or Parquet) into one Run.

    See the module docstring for what is claimed and how columns become points.
    """

    formats: ClassVar[tuple[str, ...]] = ("wandb_history",)
    kind: ClassVar[str] = "file"

    def guess_can_open(self, path: Path) -> bool:
        """True for a ``.jsonl``/``.json``/``.csv``/``.parquet`` file whose content has a
        ``_step`` column; never raises."""
        try:
            path = Path(path)
            if not path.is_file():
                return False
            suffix = path.suffix.lower()
            if suffix in (".jsonl", ".json", ".ndjson"):
                return _json_claims(read_head(path, _HEAD_BYTES))
            if suffix == ".csv":
                return _csv_claims(read_head(path, _HEAD_BYTES))
            if suffix in (".parquet", ".pq"):
                footer = _parquet_footer(path)
                return footer is not None and b"_step" in footer
            return False
        except Exception:  # a sniffer never raises
            return False

    def read(self, path: Path, *, run_id: str) -> list[Run]:
        """Read ``path`` into one Run (one point per numeric cell)."""
        path = Path(path)
        suffix = path.suffix.lower()
        notes: list[str] = []
        warnings: list[str] = []
        if suffix in (".parquet", ".pq"):
            columns = _read_parquet(path)
            kind = "Parquet"
        else:
            data, notes = check_text(path, read_bytes(path), what="W&B history export")
            if suffix == ".csv":
                body, tail = complete_lines(data)
                truncated = warn_truncated(path, tail, "row")
                if truncated:
                    warnings.append(truncated)
                columns = _read_csv(body, path)
                kind = "CSV"
            else:
                columns, truncated, kind = _read_json(data, path)
                if truncated:
                    warnings.append(truncated)
        return [_to_run(columns, path, run_id, kind, notes, warnings)]


# --------------------------------------------------------------------------- parsing
class _Columns:
    """Parsed columns: numeric ones as float64 arrays, and counts of non-numeric cells."""

    def __init__(self, n_rows: int) -> None:
        self.n_rows = n_rows
        self.names: list[str] = []
        self.values: dict[str, np.ndarray] = {}
        self.skipped: dict[str, Counter[str]] = defaultdict(Counter)

    def add(self, name: str, values: np.ndarray) -> None:
        if name not in self.values:
            self.names.append(name)
        self.values[name] = values


def _read_csv(body: bytes, path: Path) -> _Columns:
    if not body.strip():
        raise ReadError(path, "empty file: no header and no rows")
    try:  # pandas' C parser: numeric columns arrive as numbers, empty cells as NaN
        frame = pd.read_csv(io.BytesIO(body), keep_default_na=False, na_values=_MISSING)
    except (ValueError, pd.errors.ParserError) as exc:
        raise CorruptLogError(path, f"not a readable CSV table: {exc}") from None
    cols = _Columns(len(frame))
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_bool_dtype(column.dtype):
            cols.skipped["boolean"][str(name)] += int(column.notna().sum())
            continue
        if pd.api.types.is_numeric_dtype(column.dtype):
            cols.add(str(name), column.to_numpy(np.float64, na_value=np.nan))
            continue
        cells = column.astype(object)
        numbers = pd.to_numeric(cells, errors="coerce").to_numpy(np.float64)
        bad = cells.notna().to_numpy() & np.isnan(numbers)
        if bad.any():
            for cell in cells[bad]:
                cols.skipped[_cell_kind(str(cell))][str(name)] += 1
        if not len(frame) or not np.isnan(numbers).all():  # an all-text column is no series
            cols.add(str(name), numbers)
    return cols


def _cell_kind(cell: str) -> str:
    text = cell.strip()
    if text in ("True", "False", "true", "false"):
        return "boolean"
    match = re.search(r"""['"]_type['"]\s*:\s*['"]([\w-]+)""", text)
    if match:
        return match.group(1)
    return "text"


def _read_json(data: bytes, path: Path) -> tuple[_Columns, str | None, str]:
    """Parse JSON lines (or a JSON array of row objects) into columns."""
    stripped = data.lstrip()
    truncated = None
    if stripped.startswith(b"["):
        try:
            rows = json.loads(data)
        except (ValueError, RecursionError) as exc:
            raise CorruptLogError(path, f"not valid JSON ({exc}); a JSON array of rows cannot "
                                        "be read in part") from None
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise CorruptLogError(path, "a JSON array whose items are not all row objects")
        kind = "JSON array"
    else:
        body, tail = complete_lines(data)
        truncated = warn_truncated(path, tail)
        lines = [ln for ln in body.split(b"\n") if ln.strip()]
        try:  # one parse for the whole file; per line only to name a bad one
            rows = json.loads(b"[" + b",".join(lines) + b"]")
            if len(rows) != len(lines):  # a value spread over lines: not JSON lines
                raise ValueError("not one value per line")
        except (ValueError, RecursionError):
            rows = []
            for number, line in enumerate(body.split(b"\n"), 1):
                if not line.strip():
                    continue
                try:
                    rows.append(json.loads(line))
                except (ValueError, RecursionError) as exc:
                    reason = getattr(exc, "msg", "nested too deeply")
                    raise CorruptLogError(path, f"line {number} is not valid JSON "
                                                f"({reason})") from None
        bad = next((i for i, r in enumerate(rows) if not isinstance(r, dict)), None)
        if bad is not None:
            raise CorruptLogError(path, f"row {bad + 1} is not a JSON object")
        kind = "JSON lines"
    try:
        return _columns_from_rows(rows), truncated, kind
    except RecursionError:
        raise CorruptLogError(path, "JSON objects nested too deeply to be a history export"
                              ) from None


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict) and "_type" not in value:
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        out[prefix] = value


def _columns_from_rows(rows: list[dict[str, Any]]) -> _Columns:
    cols = _Columns(len(rows))
    if any(isinstance(v, dict) and "_type" not in v for r in rows for v in r.values()):
        flat_rows = []
        for r in rows:
            flat: dict[str, Any] = {}
            _flatten("", r, flat)
            flat_rows.append(flat)
        rows = flat_rows
    frame = pd.DataFrame.from_records(rows) if rows else pd.DataFrame()
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_bool_dtype(column.dtype):
            cols.skipped["boolean"][str(name)] += int(column.notna().sum())
        elif pd.api.types.is_numeric_dtype(column.dtype):
            cols.add(str(name), column.to_numpy(np.float64, na_value=np.nan))
        else:  # mixed: numbers, None, text, media dicts, booleans
            values = np.full(len(column), np.nan)
            for i, v in enumerate(column.tolist()):
                if v is None or (isinstance(v, float) and v != v):
                    continue
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    try:
                        values[i] = float(v)
                    except OverflowError:  # an integer beyond float64: +-inf, like float("1e999")
                        values[i] = math.inf if v > 0 else -math.inf
                elif isinstance(v, str):
                    try:  # pandas writes numbers as numbers; a few exporters quote them
                        values[i] = float(v)
                    except ValueError:
                        cols.skipped["text"][str(name)] += 1
                elif isinstance(v, bool):
                    cols.skipped["boolean"][str(name)] += 1
                elif isinstance(v, dict):
                    cols.skipped[str(v.get("_type", "dict"))][str(name)] += 1
                else:
                    cols.skipped[type(v).__name__][str(name)] += 1
            if not np.isnan(values).all():
                cols.add(str(name), values)
    return cols


def _read_parquet(path: Path) -> _Columns:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ReadError(path, "reading Parquet needs pyarrow: pip install 'ganlogs[parquet]'"
                        ) from None
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise CorruptLogError(path, f"not a readable Parquet file: "
                                    f"{type(exc).__name__}: {exc}") from None
    cols = _Columns(table.num_rows)
    flat = table.flatten()  # struct columns (nested dicts) -> "a.b"
    for name, column in zip(flat.column_names, flat.columns):
        typ = column.type
        if pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_decimal(typ):
            values = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
            cols.add(name, np.asarray(values, dtype=np.float64))
        elif pa.types.is_boolean(typ):
            cols.skipped["boolean"][name] += table.num_rows - column.null_count
        elif pa.types.is_string(typ) or pa.types.is_large_string(typ):
            cells = column.to_pandas()
            numbers = pd.to_numeric(cells, errors="coerce").to_numpy(np.float64)
            bad = int((cells.notna().to_numpy() & np.isnan(numbers)).sum())
            if bad:
                cols.skipped["text"][name] += bad
            if np.isfinite(numbers).any() or np.isinf(numbers).any():
                cols.add(name, numbers)
        else:
            cols.skipped[str(typ)][name] += table.num_rows - column.null_count
    return cols


# --------------------------------------------------------------------------- to a Run
def _counts(counter: Counter[str], limit: int = 3) -> str:
    shown = ", ".join(repr(k) for k, _ in counter.most_common(limit))
    return shown + (f" and {len(counter) - limit} more" if len(counter) > limit else "")


def _to_run(cols: _Columns, path: Path, run_id: str, kind: str, notes: list[str],
            warnings: list[str]) -> Run:
    if not cols.n_rows and not cols.names:  # cut inside the first line
        warnings.append("no complete row")
        frame = pd.DataFrame({"tag": [], "step": np.zeros(0, np.int64), "value": []})
        return Run.from_frame(frame, run_id=run_id, path=path, format="wandb_history",
                              notes=notes, warnings=warnings)
    if _STEP not in cols.values:
        raise ReadError(path, "no numeric _step column: not a W&B history export "
                              f"(columns: {', '.join(cols.names[:8]) or 'none'})")
    n = cols.n_rows
    step_f = cols.values[_STEP]
    has_step = ~np.isnan(step_f)
    if (has_step & ~np.isfinite(step_f)).any() or (
            has_step & (step_f != np.round(step_f))).any():
        raise ReadError(path, "the _step column holds non-integer values")
    out_of_range = has_step & ((step_f >= 2.0 ** 63) | (step_f < -(2.0 ** 63)))
    if out_of_range.any():
        warnings.append(f"{int(out_of_range.sum())} row(s) with a _step outside the int64 "
                        "range were skipped")
        has_step &= ~out_of_range
    missing_step = int(n - has_step.sum()) - int(out_of_range.sum())
    if missing_step:
        warnings.append(f"{missing_step} row(s) without a _step value were skipped")
    wall = cols.values.get(_TIMESTAMP)
    if wall is None:
        wall = np.full(n, np.nan)
    tags = [c for c in cols.names if not is_bookkeeping(c)]
    notes.append(f"W&B history export ({kind}): step = _step, wall_time = _timestamp; one "
                 "point per numeric cell; empty/null/NaN cells are not points (a logged NaN "
                 "cannot be told from a missing key); _runtime is not a tag")
    notes.append(f"wandb's Run.history() returns {HISTORY_SAMPLES} sampled rows by default; "
                 "an export made with it is a sample: use scan_history() for every row")
    steps_sorted = np.sort(step_f[has_step])
    diffs = np.diff(steps_sorted)
    if n == HISTORY_SAMPLES and diffs.size and (diffs != diffs[0]).any():
        warnings.append(f"exactly {HISTORY_SAMPLES} rows with irregular step spacing: this is "
                        "probably Run.history()'s default sample, not every logged row "
                        "(export with scan_history() for every row)")
    if cols.skipped:
        total = sum(sum(c.values()) for c in cols.skipped.values())
        kinds = "; ".join(f"{k}: {_counts(c)}" for k, c in sorted(cols.skipped.items()))
        notes.append(f"skipped {total} non-numeric cell(s) ({kinds})")
    if tags:
        matrix = np.column_stack([cols.values[t] for t in tags])
        present = ~np.isnan(matrix) & has_step[:, None]
        rows_i, cols_i = np.nonzero(present)  # row-major: row by row, columns left to right
        values = matrix[rows_i, cols_i]
        codes = cols_i
    else:
        rows_i = codes = np.zeros(0, dtype=np.intp)
        values = np.zeros(0)
    frame = pd.DataFrame({
        "tag": pd.Categorical.from_codes(codes, categories=tags) if tags else pd.Categorical([]),
        "step": step_f[rows_i].astype(np.int64),
        "value": values,
        "wall_time": wall[rows_i],
        "source": pd.Categorical([path.name] * len(rows_i)),
    })
    if not len(frame):
        warnings.append("no numeric points in the export")
    return Run.from_frame(frame, run_id=run_id, path=path, format="wandb_history",
                          writer=None,
                          notes=notes, warnings=warnings)
