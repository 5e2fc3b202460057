"""CSV file -> numeric columns: dialect sniffing and block-by-block parsing with pyarrow.

:mod:`ganlogs.readers.csv` decides what the columns mean (layouts, steps, tags); this module
only turns the bytes into numbers, fast and in bounded memory:

* The file is read in blocks of :data:`BLOCK_BYTES` (16 MiB), each cut after a line end (and
  outside quotes), so a file of any size is never held whole. Each block is checked (no NUL
  byte, UTF-8) and parsed by ``pyarrow.csv.read_csv``, which splits it again into 1 MiB
  pieces parsed on every core. The block's columns become numpy arrays at once and the
  block is dropped: peak memory is the numeric columns plus one block.
* Types are inferred per block by pyarrow. A numeric block costs one C pass. A block in which
  a column holds a cell that is no number (``abc``, ``n/a?``) gets that column as text;
  only that column of that block takes the slower, still vectorised, text path (a regular
  expression picks the number cells, which pyarrow then converts; the others are counted as
  bad cells).
* Step-like columns (see :func:`step_like`) also keep their exact int64 values, so that
  steps beyond 2**53 stay exact.

Cells
    ``nan``, ``NaN``, ``inf``, ``-inf``, ``Infinity`` are values; :data:`MISSING` cells are
    missing (no point); leading and trailing spaces around a number are ignored; any other
    cell in a numeric column is a bad cell (counted, with an example). Rows with more fields
    than the header, and rows with fewer (which cells are missing cannot be told), are skipped
    and counted; lines holding only spaces are ignored.
"""

from __future__ import annotations

import codecs
import mmap
import os
import csv as _csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..errors import CorruptLogError, ReadError
from ._textio import warn_truncated

__all__ = ["Column", "Dialect", "Table", "read_table", "parse_lines", "STEP_COLUMNS", "MISSING"]

#: step column names, most preferred first (matched case-insensitively)
STEP_COLUMNS = ("step", "global_step", "_step", "iteration", "iter", "iters", "it", "epoch")
#: cells that mean "no value here" (Keras writes NA); ``nan`` is a value, not missing
MISSING = ("", "NA", "N/A", "n/a", "#N/A")

#: bytes read and parsed at a time: large enough that pyarrow's threads each get several
#: 1 MiB pieces, small enough that one block (and its parsed table) is a small fraction of
#: the columns of a large file
BLOCK_BYTES = 16 << 20
#: files up to this size are parsed in one block: faster (one call, no copy at a block's
#: edge); their peak memory is then up to about 2.5x the DataFrame instead of 2x
WHOLE_FILE_BYTES = 32 << 20
#: pyarrow's own block size inside one of our blocks (its unit of parallel parsing)
ARROW_BLOCK_BYTES = 1 << 20
_SNIFF_BYTES = 16384
_SNIFF_LINES = 64
_INT64_LIMIT = 2.0 ** 63

_NUMBER = re.compile(r"\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\s*"
                     r"|\s*[-+]?(?:nan|inf|infinity)\s*", re.IGNORECASE)
_DECIMAL_COMMA = re.compile(r"\s*[-+]?\d+,\d+(?:[eE][-+]?\d+)?\s*")
# the same rules for pyarrow's RE2 (cells already stripped of spaces)
_NUMBER_RE2 = r"^[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|(?i:nan|inf|infinity))$"
_INT_RE2 = r"^[-+]?\d{1,19}$"  # int64 has 19 digits
_UTF16_32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE,
                  codecs.BOM_UTF16_BE)


@dataclass(frozen=True)
class Dialect:
    """Delimiter, whether the first row is a header, the decimal mark, the column names."""

    delimiter: str
    header: bool
    decimal: str
    names: list[str]


@dataclass
class Column:
    """One column as numbers.

    ``values`` float64 (NaN where there is no point), ``present`` (a point is there: a number,
    NaN/Inf literals included), ``bad`` non-numeric cells skipped (``example`` is one),
    ``missing`` empty or :data:`MISSING` cells. Step-like columns also carry ``ints`` (int64,
    exact) and ``integral`` (the cell is a whole number within int64, so ``ints`` holds it).
    ``text`` holds the cells as strings (leading spaces stripped) when no cell is a number,
    for a tag column; else None.
    """

    values: np.ndarray
    present: np.ndarray
    bad: int = 0
    example: str | None = None
    missing: int = 0
    ints: np.ndarray | None = None
    integral: np.ndarray | None = None
    text: pa.ChunkedArray | None = None

    @property
    def is_text(self) -> bool:
        """Mostly text: not a series at all (a phase name, a date)."""
        return self.bad > 0 and self.bad > int(self.present.sum())

    @classmethod
    def from_values(cls, values: np.ndarray) -> "Column":
        """A column of the given float64 values, every one present."""
        return cls(values, np.ones(len(values), dtype=bool))


@dataclass
class Table:
    """What :func:`read_table` parsed: the columns in header order and what was skipped."""

    dialect: Dialect
    n_rows: int
    columns: dict[str, Column]
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    long_rows: int = 0
    short_rows: int = 0


def step_like(names: list[str]) -> set[str]:
    """Columns whose exact integers are kept: step names, the first column (a W&B x-axis,
    a headerless step), TensorBoard's ``Step`` and W&B's ``<run> - _step``."""
    out = {n for n in names if n.lower() in STEP_COLUMNS or n.endswith(" - _step")}
    if names:
        out.add(names[0])
    return out


# --------------------------------------------------------------------------- reading
def read_table(path: Path, *, block_bytes: int | None = None, end: int | None = None) -> Table:
    """Parse the CSV file at ``path`` (see the module docstring); ``end``: read it as if it
    ended at this byte offset (a follower reads what was complete when it looked).

    Raises :class:`ReadError` (empty file, no complete line, UTF-16/32) or
    :class:`CorruptLogError` (binary data, invalid UTF-8, a parse error); warns
    :class:`~ganlogs.errors.TruncatedLogWarning` when the last line has no newline.
    """
    notes: list[str] = []
    warnings: list[str] = []
    blocks = _LineBlocks(path, block_bytes or BLOCK_BYTES, end)
    it = iter(blocks)
    offset, buf, cut = next(it, (0, b"", 0))
    if not cut:  # no complete line in the whole file: it is all tail
        buf, cut, blocks.tail = blocks.tail, len(blocks.tail), b""
    _check_start(path, bytes(buf[:4]), notes)
    start = len(codecs.BOM_UTF8) if bytes(buf[:3]) == codecs.BOM_UTF8 else 0
    _check_block(path, buf, start, cut, offset)
    quoted: bool | None = blocks.quoted
    if not _TEXT.search(memoryview(buf)[start:cut]):  # only blank lines: read on (rare)
        quoted = None  # (the joined lines: looked for when parsed)
        for off, more, more_cut in it:
            _check_block(path, more, 0, more_cut, off)
            buf = buf[:cut] + more[:more_cut]
            cut = len(buf)
            if _TEXT.search(buf, start):
                break
    last_nl = buf.rfind(b"\n", start, cut)
    if last_nl < 0 or not _TEXT.search(memoryview(buf)[start:last_nl]):
        tail = bytes(buf[max(start, last_nl + 1):cut]) + blocks.tail
        if not _TEXT.search(tail):
            raise ReadError(path, "empty file: no header and no rows")
        _check_block(path, blocks.tail, 0, len(blocks.tail), blocks.tail_offset or 0)
        warn_truncated(path, tail)
        raise ReadError(path, "the file ends inside its first line: no complete line "
                              "(truncated while being written?)")
    head = _head(buf, start, cut)
    dialect = _sniff(head, path)
    notes.append(
        f"CSV dialect: delimiter {dialect.delimiter!r}, "
        + ("header row" if dialect.header else
           "no header row (the first row is all numbers): columns named col0, col1, ...")
        + (", decimal comma" if dialect.decimal == "," else ""))
    data_start = start + (_header_end(head) if dialect.header else 0)
    parser = _BlockParser(path, dialect, blocks.file_bytes)
    parser.feed(memoryview(buf)[data_start:cut], offset + data_start, quoted)
    del buf, head
    for off, more, more_cut in it:
        _check_block(path, more, 0, more_cut, off)
        parser.feed(memoryview(more)[:more_cut], off, blocks.quoted)
        del more
    _check_block(path, blocks.tail, 0, len(blocks.tail), blocks.tail_offset or 0)
    msg = warn_truncated(path, blocks.tail)
    if msg:
        warnings.append(msg)
    table = parser.finish()
    table.notes[:0] = notes
    table.warnings[:0] = warnings
    return table


_TEXT = re.compile(rb"\S")


def _head(buf: bytes, start: int, cut: int) -> bytes:
    """The first lines, for sniffing: 16 KB after the first text, but at least three lines."""
    first = _TEXT.search(buf, start).start()
    end = first
    for _ in range(3):
        nl = buf.find(b"\n", end, cut)
        if nl < 0:
            break
        end = nl + 1
    return bytes(buf[start:min(cut, max(end, first + _SNIFF_BYTES))])


def parse_lines(data: bytes, dialect: Dialect, path: Path, *, offset: int = 0) -> Table:
    """Complete lines of a CSV file whose dialect is known (no header line: what a follower
    finds appended) -> :class:`Table`, by the same conventions as :func:`read_table`.
    ``offset`` is where ``data`` starts in the file, for messages."""
    _check_block(path, data, 0, len(data), offset)
    parser = _BlockParser(path, dialect, len(data))
    parser.feed(memoryview(data), offset)
    return parser.finish()


class _LineBlocks:
    """The file's complete lines as ``(file offset, buffer, end)`` blocks of about ``size``
    bytes: ``buffer[:end]`` ends with a newline that is not inside quotes (the buffer is what
    the read returned, never sliced: no block is copied but the first lines of the next). After iteration ``tail`` holds the bytes
    after the last complete line (an incomplete last line) and ``tail_offset`` its offset."""

    def __init__(self, path: Path, size: int, end: int | None = None) -> None:
        self.path = path
        self.size = size
        self.end = end  # read no byte at or past this offset (None: to the end of the file)
        self.tail = b""
        self.tail_offset: int | None = None
        self.file_bytes = 0  # the size when opened (0 when unknown)
        self.quoted = True  # whether the last block yielded has a '"' before its end

    def __iter__(self) -> Iterator[tuple[int, bytes, int]]:
        try:
            fh = open(self.path, "rb", buffering=0)
        except OSError as exc:
            raise ReadError(self.path, f"cannot read file: {exc.strerror or exc}") from None
        with fh:
            pending = b""  # the incomplete line after the last block
            base = 0
            try:
                self.file_bytes = os.fstat(fh.fileno()).st_size
            except OSError:
                pass
            if self.end is not None:
                self.file_bytes = min(self.file_bytes, self.end) if self.file_bytes else self.end
            # a file up to WHOLE_FILE_BYTES is one block (one parse, no copy); larger ones
            # go in blocks of `size`
            left = self.file_bytes + 1 if self.file_bytes else self.size
            # (blocks asked smaller than BLOCK_BYTES are kept, whatever the file's size)
            if self.file_bytes and self.size >= BLOCK_BYTES \
                    and self.file_bytes <= max(WHOLE_FILE_BYTES, self.size):
                left = self.size = self.file_bytes + 1
                whole = _map(fh, self.file_bytes)
                if whole is not None:  # the whole file, mapped: yields it uncopied
                    fh.seek(self.file_bytes)
                    cut = whole.rfind(b"\n") + 1
                    if cut and not self._odd_quotes(whole, cut):
                        pending = whole[cut:]
                        base = cut
                        yield 0, whole, cut
                        del whole
                    else:  # no line end, or one inside quotes: the general loop below
                        pending = whole[:]
            while True:
                want = max(1, min(self.size, left))  # no 16 MiB buffer for a 1 KB file
                left = self.size
                if self.end is not None:
                    want = min(want, self.end - base - len(pending))
                    if want <= 0:
                        break
                try:
                    chunk = fh.read(want)
                except OSError as exc:
                    raise ReadError(self.path,
                                    f"cannot read file: {exc.strerror or exc}") from None
                if not chunk:
                    break
                buf = pending + chunk if pending else chunk  # one copy only after a block
                del chunk
                end = len(buf)
                cut = buf.rfind(b"\n", 0, end) + 1
                if cut == 0 or self._odd_quotes(buf, cut):
                    # a line longer than a block, or the last newline inside a quoted
                    # field: read on
                    pending = buf
                    continue
                pending = buf[cut:end]
                yield base, buf, cut
                base += cut
            cut = pending.rfind(b"\n") + 1
            if cut:  # complete lines held back: a quote that is never closed
                raise CorruptLogError(self.path, "CSV parse error: a quoted field opened after "
                                                 f"offset {base} is never closed (a '\"' "
                                                 "without its pair)")
            self.tail, self.tail_offset = pending, base

    def _odd_quotes(self, buf, cut: int) -> bool:
        """An odd number of ``"`` in ``buf[:cut]``: the last newline there is inside a
        quoted field. Sets :attr:`quoted` (any ``"`` there)."""
        self.quoted = buf.find(b'"', 0, cut) >= 0
        if not self.quoted:
            return False
        return bool(np.count_nonzero(np.frombuffer(buf, dtype=np.uint8, count=cut) == 0x22) % 2)


def _map(fh, size: int) -> "mmap.mmap | None":
    """The first ``size`` bytes of the open file ``fh``, memory-mapped read-only (pages read
    ahead), or None where mapping fails. A file parsed in one block is mapped rather than
    read into a fresh buffer: no copy, and no page faults on a new 20 MB allocation (the
    TensorBoard reader maps its files too). Only files parsed whole are mapped: the mapped
    pages count in the resident memory, so large files keep their bounded blocks."""
    flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
    try:
        return mmap.mmap(fh.fileno(), size, flags=flags, prot=mmap.PROT_READ)
    except (AttributeError, TypeError, ValueError, OSError):  # Windows: no flags/prot
        try:
            return mmap.mmap(fh.fileno(), size, access=mmap.ACCESS_READ)
        except (ValueError, OSError):
            return None


def _check_start(path: Path, data: bytes, notes: list[str]) -> None:
    for bom in _UTF16_32_BOMS:
        if data.startswith(bom):
            enc = "UTF-32" if len(bom) == 4 else "UTF-16"
            raise ReadError(path, f"CSV file is {enc} encoded (byte-order mark {bom.hex()}); "
                                  "ganlogs reads UTF-8: re-save the file as UTF-8")
    if data.startswith(codecs.BOM_UTF8):
        notes.append("encoding: UTF-8 with a byte-order mark (stripped)")


def _check_block(path: Path, data: bytes | bytearray, start: int, end: int,
                 offset: int) -> None:
    """No NUL byte and valid UTF-8 in ``data[start:end]`` (``offset``: where ``data[0]`` is
    in the file)."""
    view = memoryview(data)[start:end]
    if not len(view):
        return
    octets = np.frombuffer(view, dtype=np.uint8)
    if octets.min() == 0:  # (numpy's min and max: faster than bytes.find and isascii)
        nul = data.find(b"\x00", start, end)
        raise CorruptLogError(path, f"binary data (NUL byte at offset {offset + nul}): not a "
                                    "text CSV file")
    if octets.max() < 0x80:
        return  # ASCII
    try:
        codecs.utf_8_decode(view, "strict", True)
    except UnicodeDecodeError as exc:
        raise CorruptLogError(path, f"not UTF-8 text: byte 0x{view[exc.start]:02x} at offset "
                                    f"{offset + start + exc.start} ({exc.reason}); ganlogs "
                                    "reads UTF-8 CSV files (re-save the file as UTF-8)") from None


def _header_end(block: bytes) -> int:
    """Offset just past the header line: the first line that is not blank."""
    pos = 0
    while True:
        end = block.find(b"\n", pos)
        if end < 0:
            return len(block)
        if block[pos:end].strip():
            return end + 1
        pos = end + 1


# --------------------------------------------------------------------------- sniffing
def _sniff(body: bytes, path: Path) -> Dialect:
    """Delimiter, header and decimal mark from the first lines (at most 16 KB, but at least
    the first three lines: a W&B export of hundreds of runs has a header longer than that)."""
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
    last = -1  # no more than _SNIFF_LINES lines (a wide header counts as one)
    for _ in range(_SNIFF_LINES):
        last = sample.find(b"\n", last + 1)
        if last < 0:
            break
    if last >= 0:
        sample = sample[:last + 1]
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
        if fallback is None:  # every delimiter failed on a stray quote
            raise CorruptLogError(path, "CSV parse error: unbalanced quotes in the first lines")
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
    return Dialect(delim, header, decimal, names)


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


# --------------------------------------------------------------------------- parsing
class _BlockParser:
    """Parses blocks of complete lines and collects each column's pieces."""

    def __init__(self, path: Path, dialect: Dialect, file_bytes: int) -> None:
        self.path = path
        self.dialect = dialect
        self.names = dialect.names
        self.step_like = step_like(dialect.names)
        self.columns = {n: _Accumulator(n in self.step_like) for n in dialect.names}
        self.file_bytes = file_bytes
        self.bytes_fed = 0
        self.n_rows = 0
        self.long_rows = 0
        self.short_rows = 0

    def _bad_row(self, row) -> str:
        if row.actual_columns > row.expected_columns:
            self.long_rows += 1
        elif (row.text or "").strip():
            self.short_rows += 1
        return "skip"

    def feed(self, data: bytes, offset: int, quoted: bool | None = None) -> None:
        """Parse ``data`` (complete lines at file offset ``offset``); ``quoted``: whether
        the buffer holding it has a ``"`` (None: look)."""
        if not _TEXT.search(data):
            return
        if quoted is None:
            quoted = _has_quote(data)
        table = self._parse(data, offset, quoted)
        if table is None:
            return
        self.n_rows += table.num_rows
        self.bytes_fed += len(data)
        # rows the whole file will hold, from the rows per byte so far (for the columns'
        # arrays; a file that grows past it costs one copy)
        expect = int(self.n_rows * max(1.0, self.file_bytes / max(1, self.bytes_fed)) * 1.05)
        for name, col in zip(self.names, table.columns):
            steps = name in self.step_like
            if steps and pa.types.is_floating(col.type) and _beyond_float_ints(col):
                # whole numbers beyond 2**53 in a column typed float64 (a fraction or a
                # 1e20 elsewhere in the block): read this column again as text, exactly
                col = self._parse(data, offset, quoted, text_column=name,
                                  count_rows=False).column(0)  # type: ignore[union-attr]
            self.columns[name].add(_convert(col, self.dialect.decimal, steps), expect)
        del table, col
        if self.file_bytes > WHOLE_FILE_BYTES:
            # pyarrow's allocator keeps freed pages per thread for reuse; over the blocks of
            # a large file that shows as resident memory unless handed back (a file read in
            # one block leaves them for the next file's parse instead)
            pa.default_memory_pool().release_unused()

    def _parse(self, data: bytes, offset: int, quoted: bool, *,
               text_column: str | None = None,
               count_rows: bool = True) -> pa.Table | None:
        d = self.dialect
        convert = pacsv.ConvertOptions(null_values=list(MISSING), strings_can_be_null=True,
                                       quoted_strings_can_be_null=True, decimal_point=d.decimal)
        if text_column is not None:
            convert.include_columns = [text_column]
            convert.column_types = {text_column: pa.string()}
        try:
            return pacsv.read_csv(
                pa.py_buffer(data),
                read_options=pacsv.ReadOptions(column_names=self.names,
                                               use_threads=len(data) > ARROW_BLOCK_BYTES,
                                               block_size=ARROW_BLOCK_BYTES),
                parse_options=pacsv.ParseOptions(
                    delimiter=d.delimiter, quote_char='"', newlines_in_values=quoted,
                    ignore_empty_lines=True,
                    invalid_row_handler=self._bad_row if count_rows else _skip_row),
                convert_options=convert)
        except pa.ArrowInvalid as exc:
            if "Empty CSV" in str(exc):
                return None
            raise CorruptLogError(self.path, "CSV parse error in the block at file offset "
                                             f"{offset}: {' '.join(str(exc).split())}") from None

    def finish(self) -> Table:
        columns = {n: self.columns[n].finish() for n in self.names}
        self.columns = {}
        return Table(self.dialect, self.n_rows, columns, long_rows=self.long_rows,
                     short_rows=self.short_rows)


def _has_quote(data: memoryview) -> bool:
    return data.obj.find(b'"') >= 0 if hasattr(data.obj, "find") else b'"' in bytes(data)


def _skip_row(row) -> str:
    return "skip"


def _beyond_float_ints(col: pa.ChunkedArray) -> bool:
    """Any value of magnitude 2**53 or more, where float64 no longer holds every integer."""
    big = pc.max(pc.abs(pc.fill_null(col, 0.0))).as_py()
    return big is not None and big >= 2.0 ** 53 and big == big


def _valid(col: pa.ChunkedArray) -> np.ndarray:
    if not col.null_count:
        return np.ones(len(col), dtype=bool)
    return col.is_valid().to_numpy(zero_copy_only=False)


def _convert(col: pa.ChunkedArray, decimal: str, steps: bool) -> Column:
    """One parsed column of one block -> :class:`Column`."""
    t = col.type
    n = len(col)
    if pa.types.is_integer(t):
        present = _valid(col)
        ints = (pc.fill_null(col, 0) if col.null_count else col).to_numpy().astype(
            np.int64, copy=False)
        values = ints.astype(np.float64)
        if col.null_count:
            values[~present] = np.nan
        return Column(values, present, missing=n - int(present.sum()),
                      ints=ints if steps else None, integral=present.copy() if steps else None)
    if pa.types.is_floating(t) or pa.types.is_boolean(t):
        present = _valid(col)
        if pa.types.is_float64(t):
            values = col.to_numpy()  # nulls -> NaN
        else:
            values = pc.cast(col, pa.float64()).to_numpy()
        out = Column(values, present, missing=n - int(present.sum()))
        if steps:
            out.ints, out.integral = _whole(values, present)
        return out
    if pa.types.is_null(t):
        return Column(np.full(n, np.nan), np.zeros(n, dtype=bool), missing=n,
                      ints=np.zeros(n, dtype=np.int64) if steps else None,
                      integral=np.zeros(n, dtype=bool) if steps else None,
                      text=pa.chunked_array([pa.nulls(n, pa.string())]))
    return _convert_text(col, decimal, steps)


def _whole(values: np.ndarray, present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int64 values and the mask of cells that are whole numbers within int64."""
    with np.errstate(invalid="ignore"):
        integral = present & np.isfinite(values) & (values >= -_INT64_LIMIT) & (
            values < _INT64_LIMIT) & (values == np.round(values))
    ints = np.zeros(len(values), dtype=np.int64)
    ints[integral] = values[integral].astype(np.int64)
    return ints, integral


def _convert_text(col: pa.ChunkedArray, decimal: str, steps: bool) -> Column:
    """A block column pyarrow could not type as numbers: pick the number cells with a
    regular expression, convert them, count the rest as bad cells."""
    n = len(col)
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        col = pc.cast(col, pa.string())  # dates, times, timestamps: text here
    stripped = pc.utf8_trim_whitespace(col)
    number_text = pc.replace_substring(stripped, ",", ".") if decimal == "," else stripped
    is_number = pc.fill_null(pc.match_substring_regex(number_text, _NUMBER_RE2), False)
    numeric = is_number.to_numpy(zero_copy_only=False)
    valid = _valid(col)
    values = np.full(n, np.nan)
    if numeric.any():
        cells = pc.filter(number_text, is_number)
        try:
            values[numeric] = pc.cast(cells, pa.float64()).to_numpy(zero_copy_only=False)
        except pa.ArrowInvalid:  # a form pyarrow does not take: Python's float does
            values[numeric] = [float(c) for c in cells.to_pylist()]
    bad_mask = valid & ~numeric
    bad = int(bad_mask.sum())
    example = str(col[int(np.argmax(bad_mask))].as_py()) if bad else None
    out = Column(values, numeric, bad=bad, example=example, missing=n - int(valid.sum()))
    if steps:
        out.ints, out.integral = _whole(values, numeric)
        is_int = pc.fill_null(pc.match_substring_regex(stripped, _INT_RE2), False)
        exact = is_int.to_numpy(zero_copy_only=False)
        if exact.any():
            cells = pc.filter(stripped, is_int)
            try:
                out.ints[exact] = pc.cast(cells, pa.int64()).to_numpy()
            except pa.ArrowInvalid:  # 19 digits beyond int64: those cells stay as they were
                big = [int(c) for c in cells.to_pylist()]
                fits = np.array([-2 ** 63 <= b < 2 ** 63 for b in big])
                idx = np.flatnonzero(exact)[fits]
                out.ints[idx] = [b for b, f in zip(big, fits) if f]
                exact[np.flatnonzero(exact)[~fits]] = False
            out.integral |= exact
    if not numeric.any():
        out.text = pc.utf8_ltrim_whitespace(col)
    return out


class _Accumulator:
    """One column, block by block. The first block's piece is kept as it is (most files are
    one block); from the second on, pieces are copied into arrays sized for the whole file
    and dropped, so that a large file never holds every piece and their concatenation at
    once (nor leaves the pieces' freed memory scattered in the heap)."""

    _ARRAYS = ("values", "present", "ints", "integral")

    def __init__(self, steps: bool) -> None:
        self.steps = steps
        self.first: Column | None = None
        self.arrays: dict[str, np.ndarray] = {}
        self.n = 0
        self.bad = self.missing = 0
        self.example: str | None = None
        self.text: list[pa.Array] | None = []

    def add(self, piece: Column, expect: int) -> None:
        self.bad += piece.bad
        self.missing += piece.missing
        self.example = self.example if self.example is not None else piece.example
        if self.text is not None:
            self.text = None if piece.text is None else self.text + piece.text.chunks
        if self.first is None and not self.arrays:
            self.first, self.n = piece, len(piece.values)
            return
        if not self.arrays:  # second block: move the first piece into whole-file arrays
            first, self.first = self.first, None
            self.arrays = {k: np.empty(max(expect, self.n + 1), dtype=getattr(first, k).dtype)
                           for k in self._names()}
            for k, arr in self.arrays.items():
                arr[:self.n] = getattr(first, k)
            del first
        m = len(piece.values)
        if self.n + m > len(self.arrays["values"]):  # the file held more rows than expected
            size = max(self.n + m, int(1.5 * len(self.arrays["values"])))
            for k, arr in self.arrays.items():
                grown = np.empty(size, dtype=arr.dtype)
                grown[:self.n] = arr[:self.n]
                self.arrays[k] = grown
        for k, arr in self.arrays.items():
            arr[self.n:self.n + m] = getattr(piece, k)
        self.n += m

    def _names(self) -> tuple[str, ...]:
        return self._ARRAYS if self.steps else self._ARRAYS[:2]

    def finish(self) -> Column:
        if self.first is not None:
            return self.first
        if not self.arrays:
            empty = Column(np.zeros(0), np.zeros(0, dtype=bool))
            if self.steps:
                empty.ints, empty.integral = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
            empty.text = pa.chunked_array([], type=pa.string())
            return empty
        # np.empty pages past the last row were never touched, so they take no memory
        arrays = {k: a[:self.n] for k, a in self.arrays.items()}
        self.arrays = {}
        out = Column(arrays["values"], arrays["present"], bad=self.bad, example=self.example,
                     missing=self.missing, ints=arrays.get("ints"),
                     integral=arrays.get("integral"))
        if self.text is not None:
            out.text = pa.chunked_array(self.text, type=pa.string())
        return out
