"""Following a CSV metric log: parse only the complete lines appended since the last look.

:class:`CsvFollower` keeps the file's dialect (delimiter, header, decimal mark), the byte
offset just past the last complete line it parsed, and the number of data rows so far. A look
reads the bytes after that offset, parses the complete lines among them
(:func:`ganlogs.readers.csv_lines.parse_appended`: the reader's own cell conventions and
layout rules); a partial last line (cut mid-number, say) waits
for its newline. A 0-based row-index step continues from the rows already read.

The layout (variant, step column, wall-time column, text columns, long or wide) is decided by
the reader from the values. The appended lines are accepted when the reader decides the same
layout for them alone as for the file so far; every such decision is a threshold on a share
(text cells, fractional steps) or an "any" (a blank cell), so when both parts agree, the
whole file agrees too, and the rows equal a whole read's. When they disagree, the file is
read again whole, up to the same offset (rare: a new kind of cell in a column). TensorBoard
UI and W&B chart exports (exports, not growing logs) are read again whole when they change.

The file is read again from its start when it shrinks or its header line changes (Lightning's
``CSVLogger`` rewrites the file when a new metric key appears).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from ..errors import GanlogsError
from ..readers import RunSource
from ..readers.csv_lines import CsvPart, Dialect, parse_appended, read_until
from ..run import Run
from .rows import RowStore
from .tail import MAX_READ, Follower, Growth

__all__ = ["CsvFollower", "complete_length"]

#: formats read again whole on every change: exports written once, whose decisions depend
#: on counts (TensorBoard's 1000-point limit) or on every run in the file
_REREAD_FORMATS = ("csv_tensorboard_ui", "csv_wandb_export")
#: notes that describe the file's start (dialect, byte-order mark), not the rows' layout
_START_NOTES = ("CSV dialect:", "encoding:")
#: the note the reader writes when the step is the 0-based row index
_ROW_INDEX_NOTE = "step: the 0-based row index"
#: the most warnings kept from appended lines (each distinct message once)
MAX_WARNINGS = 20
#: the reader sniffs the dialect (delimiter, header, decimal comma) from the first 64 lines
#: or 16 KiB (``_csv_parse._sniff``): until the complete part of the file holds this many
#: line ends, or this many bytes and 3 line ends, a later line can still change the
#: dialect, so the (small) file is read again whole at each look
SNIFF_SETTLED_LINES = 65
SNIFF_SETTLED_BYTES = 32 << 10


def _layout(runs: list[Run]) -> tuple:
    """What the reader decided about the rows: run ids, format and layout notes."""
    return tuple((r.meta.run_id, r.meta.format,
                  tuple(n for n in r.meta.notes if not n.startswith(_START_NOTES)))
                 for r in runs)


def _row_index(runs: list[Run]) -> bool:
    """The reader took the 0-based row index as the step."""
    return any(n.startswith(_ROW_INDEX_NOTE) for r in runs for n in r.meta.notes)


def complete_length(data: bytes) -> int:
    """Length of the complete lines at the start of ``data`` (0: none): up to the last
    newline that is outside double quotes (a quoted field may hold a newline)."""
    cut = data.rfind(b"\n") + 1
    if cut and data.find(b'"', 0, cut) >= 0:
        while cut and data.count(b'"', 0, cut) % 2:
            cut = data.rfind(b"\n", 0, cut - 1) + 1
    return cut


class CsvFollower(Follower):
    """A CSV metric log, read by byte offset (module docstring).

    ``whole_reads`` counts the times the file was read from its start (the first look
    included); the tests and ``bench/watch_cost.py`` check that appends do not cause them.
    """

    mode = "appended complete lines"

    def __init__(self, source: RunSource) -> None:
        super().__init__(source)
        self.whole_reads = 0
        self._dialect: Dialect | None = None
        self._offset = 0  # just past the last complete line parsed
        self._rows = 0  # data rows parsed so far (the next row's 0-based index)
        self._first_line = b""  # the header line as read (to notice a rewrite)
        self._layout: tuple | None = None
        self._row_index = False
        self._settled = False  # the dialect can no longer change (SNIFF_SETTLED_LINES)
        self._seen = (-1, -1)  # (size, offset) at the last look

    # ------------------------------------------------------------------ a look
    def poll(self) -> Growth:
        path = self.source.path
        try:
            size = os.stat(path).st_size
        except OSError:
            return Growth({})
        if (size, self._offset) == self._seen:
            return Growth({})  # nothing written since the last look
        if (self._dialect is None or not self._settled or size < self._offset
                or not self._same_start(path)):
            return self._read_whole(path, size)
        with open(path, "rb") as fh:
            fh.seek(self._offset)
            data = fh.read(min(size - self._offset, MAX_READ))
        self.bytes_read += len(data)
        cut = complete_length(data)
        # a backlog larger than MAX_READ goes on at the next look, whatever the size then
        self._seen = (size, self._offset + cut) if self._offset + len(data) >= size else (-1, -1)
        if not cut:
            return Growth({})  # a partial line: it waits for its newline
        if self._layout and any(fmt in _REREAD_FORMATS for _, fmt, _ in self._layout):
            return self._read_whole(path, self._offset + cut)
        chunk = data[:cut]
        part: CsvPart | None = None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                part = parse_appended(chunk, self._dialect, path, offset=self._offset,
                                      run_id=self.source.run_id)
        except GanlogsError:
            part = None  # the lines alone are not a table the reader takes: read whole
        if part is not None and not part.n_rows and not part.skipped:
            self._offset += cut  # blank lines only
            return Growth({})
        runs = part.runs if part is not None and part.n_rows else None
        if runs is not None and self._layout is None:  # no row before: the lines decide
            self._layout = _layout(runs)
            self._row_index = _row_index(runs)
        if runs is None or _layout(runs) != self._layout:
            return self._read_whole(path, self._offset + cut)
        added: dict[str, int | None] = {}
        for run in runs:
            rid = run.meta.run_id
            frame = run.scalars
            if self._row_index:
                frame = frame.assign(step=frame["step"].to_numpy() + self._rows)
            n = self.stores.setdefault(rid, RowStore()).append_frame(frame)
            self.formats[rid] = run.meta.format
            self._keep_warnings(rid, run.meta.warnings)
            if n:
                added[rid] = n
        self._rows += part.n_rows
        self._offset += cut
        return Growth(added)

    # ------------------------------------------------------------------ whole reads
    def _read_whole(self, path: Path, size: int) -> Growth:
        """Read the file from its start up to the end of its last complete line at or
        before ``size`` (the reader's own whole read, cut there)."""
        end = self._last_line_end(path, size)
        if end == 0:
            return Growth({})  # not one complete line yet
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            part = read_until(path, end, run_id=self.source.run_id)
        dialect, n_rows, runs = part.dialect, part.n_rows, part.runs
        self.whole_reads += 1
        self.bytes_read += end
        self._dialect, self._rows, self._offset = dialect, n_rows, end
        self._seen = (size, end)
        # a header without rows decides nothing yet: the first appended rows will
        self._layout = _layout(runs) if n_rows else None
        self._row_index = _row_index(runs)
        with open(path, "rb") as fh:
            head = fh.read(min(end, SNIFF_SETTLED_BYTES))
        nl = head.find(b"\n")
        self._first_line = head[:nl + 1] if nl >= 0 else head
        lines = head.count(b"\n")
        self._settled = lines >= SNIFF_SETTLED_LINES or (
            len(head) >= SNIFF_SETTLED_BYTES and lines >= 3)
        self.stores.clear()
        added: dict[str, int | None] = {}
        for run in runs:
            rid = run.meta.run_id
            store = self.stores[rid] = RowStore()
            store.append_frame(run.scalars)
            self.formats[rid] = run.meta.format
            self.warnings[rid] = list(run.meta.warnings)
            added[rid] = None
        return Growth(added)

    @staticmethod
    def _last_line_end(path: Path, size: int) -> int:
        """Offset just past the last newline before ``size`` (0: none)."""
        piece = 1 << 16
        with open(path, "rb") as fh:
            pos = size
            while pos > 0:
                start = max(0, pos - piece)
                fh.seek(start)
                data = fh.read(pos - start)
                nl = data.rfind(b"\n")
                if nl >= 0:
                    return start + nl + 1
                pos = start
        return 0

    def _same_start(self, path: Path) -> bool:
        """The header line is still what was read (not rewritten)."""
        try:
            with open(path, "rb") as fh:
                return fh.read(len(self._first_line)) == self._first_line
        except OSError:
            return False

    def _keep_warnings(self, run_id: str, new: tuple[str, ...]) -> None:
        kept = self.warnings.setdefault(run_id, [])
        for w in new:
            if w not in kept and len(kept) < MAX_WARNINGS:
                kept.append(w)
