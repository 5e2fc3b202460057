"""Following a text training log: parse only the complete lines appended since the last look.

:class:`TextFollower` keeps byte offsets and feeds the complete lines appended to the text
reader's own per-line loop (:class:`ganlogs.readers.text_lines.TextLineLoop`: the reader's
format parsers, line-shape cache, section and restart rules, as a resumable state), so a look
costs what was appended. What carries over from look to look:

* the format, chosen by the reader from the first 64 KiB of the log. Until the complete
  lines hold 64 KiB (and one line of a known format), a later line can change the choice, so
  the lines read so far are kept in memory and parsed again from their start at each look;
* CycleGAN ``loss_log.txt``: the current section (``Training Loss`` or ``Validation Loss``:
  validation lines become ``val/<name>`` tags), and the step mapping. A CycleGAN step is
  ``((epoch - first epoch) * samples per epoch + iters) / batch_size``, where the samples per
  epoch are read from the epoch boundaries of the whole log (the reader's
  ``_cyclegan_steps``). The follower keeps the counts that estimate them (print intervals,
  epoch boundaries, the largest ``iters``, the first epoch) up to date line by line; while
  they give the same mapping, only the new lines' rows are made. When the mapping changes
  (during the first epoch, until an epoch boundary fixes it), every row is made again from
  the records kept in memory (not from disk);
* the record count (the step of a record without one) and the ``\\r``-separated records of
  a progress-style print: a record is complete once the next separator arrives; the last
  ``\\r`` record is taken before that when the reader would take it (every bracket closed),
  and if more bytes then extend it, the log is parsed again from its start.

A partial last line waits for its newline. A log that shrinks or whose first bytes change is
read again from its start. The rows equal a whole read's (``tests/live/test_tail_text.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import CorruptLogError
from ..readers import RunSource
from ..readers.text_lines import (FORMAT_WINDOW, Rows, TextLineLoop, choose_format,
                                  early_record, split_segments)
from .rows import RowStore
from .tail import MAX_READ, Follower, Growth, _FileCursor

__all__ = ["TextFollower"]


def _append(store: RowStore, rows: "tuple[list[str], list[int], list[float]] | Rows") -> int:
    if isinstance(rows, Rows):
        return store.append(rows.names, rows.codes, rows.steps, rows.values)
    tags, steps, values = rows
    if not steps:
        return 0
    codes, names = pd.factorize(np.asarray(tags, dtype=object))
    return store.append([str(n) for n in names], codes, np.asarray(steps, dtype=np.int64),
                        np.asarray(values, dtype=np.float64))


def _cut(data: bytes) -> int:
    """End of the complete segments at the start of ``data``: past the last separator
    (``\\n``, ``\\r\\n`` or ``\\r``), except a ``\\r`` at the very end, which may be the
    first half of a ``\\r\\n``."""
    end = len(data)
    if end and data[end - 1] == 0x0D:
        end -= 1
    return max(data.rfind(b"\n", 0, end), data.rfind(b"\r", 0, end)) + 1


class TextFollower(Follower):
    """A text log, read by byte offset and parsed line by line (module docstring).

    ``whole_reads`` counts the looks that parsed the log from its start (while the format
    can still change, on a rewrite, or when a ``\\r`` record taken early grew)."""

    mode = "appended complete lines"

    def __init__(self, source: RunSource) -> None:
        super().__init__(source)
        self.whole_reads = 0
        self._cursor = _FileCursor()
        self._head = bytearray()  # complete bytes kept while the format can change
        self._loop: TextLineLoop | None = None  # set once the format is settled
        self._taken = b""  # a last '\r' record taken before its separator arrived
        self._more = False  # the last piece read was MAX_READ long: the backlog goes on
        rid = source.run_id
        self.stores[rid] = RowStore()

    def poll(self) -> Growth:
        rid = self.source.run_id
        total: int | None = 0
        while True:  # a backlog comes in pieces of at most MAX_READ bytes
            growth = self._poll_piece()
            if growth:
                added = growth.added[rid]
                total = None if added is None or total is None else total + added
            if not self._more:
                break
        if total is None:
            return Growth({rid: None})
        return Growth({rid: total} if total else {})

    def _poll_piece(self) -> Growth:
        self._more = False
        got = self._cursor.new_bytes(self.source.path)
        if got is None:
            return Growth({})
        data, rewritten = got
        self.bytes_read += len(data)
        if rewritten:
            self._restart()
            self._cursor.offset = 0
        nul = data.find(b"\x00")
        if nul >= 0:
            raise CorruptLogError(self.source.path, "binary data (NUL byte at offset "
                                  f"{self._cursor.offset + nul}): not a text log")
        if self._taken:
            if data[:1] not in (b"\r", b"\n"):  # the record taken early went on: start again
                self._restart()
                growth = self._poll_piece()
                return growth if growth else Growth({self.source.run_id: None})
            self._taken = b""
        cut = _cut(data)
        if not cut:
            return Growth({})
        self._more = len(data) == MAX_READ  # a backlog read in pieces: more to come
        self._cursor.offset += cut
        complete = data[:cut]
        if self._loop is None:
            self._head += complete
            return self._parse_head(data[cut:])
        added = self._feed(complete, data[cut:])
        return Growth({self.source.run_id: added} if added else {})

    def _restart(self) -> None:
        self._cursor = _FileCursor()
        self._head.clear()
        self._loop = None
        self._taken = b""
        self.stores[self.source.run_id] = RowStore()

    @staticmethod
    def _segments(data: bytes) -> list[str]:
        return split_segments(data)

    def _parse_head(self, rest: bytes) -> Growth:
        """While the format can change: choose it from the lines so far and parse them all
        (``rest``: the bytes after the last complete segment)."""
        rid = self.source.run_id
        head = bytes(self._head)
        segments = self._segments(head)
        fmt = choose_format(segments)
        self.whole_reads += 1
        if fmt is None:
            return Growth({})
        loop = TextLineLoop(fmt, self.source.path)
        rows = loop.feed(segments)
        settled = sum(len(s) + 1 for s in segments) >= FORMAT_WINDOW  # the reader's window
        taken = self._early_record(loop, head, rest, take=settled)
        more = loop.feed([taken]) if taken is not None else None
        if loop.cyclegan:  # every row with the mapping of the whole
            parts = loop.all_rows()
        else:
            parts = [rows] + ([more] if more is not None else [])
        store = self.stores[rid] = RowStore()
        for part in parts:
            _append(store, part)
        self.formats[rid] = fmt.id
        if settled:
            self._loop = loop
            self._head = bytearray()
        return Growth({rid: None})

    def _feed(self, complete: bytes, rest: bytes) -> int | None:
        """Parse the appended complete segments (and a whole last ``\\r`` record)."""
        loop = self._loop
        rid = self.source.run_id
        if loop.takes_block(complete):  # many lines (no '\r' record): vectorised
            rows = loop.feed_block(complete)
        else:
            segments = self._segments(complete)
            taken = self._early_record(loop, complete, rest, take=True)
            if taken is not None:
                segments.append(taken)
            rows = loop.feed(segments)
        if rows is None:  # a CycleGAN step mapping moved: every row again, from memory
            store = self.stores[rid] = RowStore()
            for part in loop.all_rows():
                _append(store, part)
            return None
        return _append(self.stores[rid], rows) or 0

    def _early_record(self, loop: TextLineLoop, complete: bytes, rest: bytes, *,
                      take: bool) -> str | None:
        """The last ``\\r`` record before its separator, when the reader would take it
        (``take``: it counts as read, and the next bytes must start a new record)."""
        cur = self._cursor
        if (not rest.strip() or complete[-1:] != b"\r"
                or cur.read_to < cur.size):  # (a backlog read in pieces: not the file's end)
            return None
        tail = rest.decode("utf-8", errors="replace")
        if not early_record(loop, tail):
            return None
        if take:
            self._taken = rest
            cur.offset += len(rest)
        return tail
