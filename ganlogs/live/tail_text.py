"""Following a text training log: parse only the complete lines appended since the last look.

:class:`TextFollower` runs the text reader's own per-line loop
(:meth:`ganlogs.readers.text.TextLogReader.read_data`: its format parsers, its line-shape
cache, its section and restart rules) as a state that appended lines are fed to, so a look
costs what was appended. What the loop carries from line to line is kept:

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

import operator
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import CorruptLogError
from ..readers import RunSource
from ..readers import text as T
from .rows import RowStore
from .tail import MAX_READ, Follower, Growth, _FileCursor

__all__ = ["TextFollower"]

#: the reader chooses the format from the first this-many bytes of the log (``_HEAD_BYTES``)
FORMAT_WINDOW = T._HEAD_BYTES


#: compiled line shapes kept per log (a training script prints a few shapes)
MAX_FAST_SHAPES = 8
#: a compiled shape's first results are checked against the reader's own parse
FAST_CHECKS = 16


class _FastShapes:
    """The line shapes the reader's shape parser learnt, compiled to one full-line pattern
    each: the shape's fixed text, escaped, with a number group where each token was.

    A line matching a pattern has the fixed text of the shape, and its numbers stand where
    the shape's did, between the same characters (which, as in the line the shape was learnt
    from, are no word character or dot): so the reader's tokenizer would give that line the
    same shape and the same tokens, and the template gives the points the reader gives. One
    ``fullmatch`` replaces the tokenizer's split (about 3x faster). The first
    :data:`FAST_CHECKS` results of each shape are compared with the reader's own parse; a
    shape that ever differs is dropped."""

    def __init__(self, fmt, parser) -> None:
        self.fmt = fmt
        self.parser = parser  # the reader's _ShapeParser, whose cache holds the templates
        self.shapes: list[list] = []  # [pattern, template, checks left]
        self.known: set[str] = set()

    def learn(self) -> None:
        """Compile the templates the shape parser learnt since the last call."""
        for key, tpl in self.parser.cache.items():
            if tpl is None or key in self.known or len(self.shapes) >= MAX_FAST_SHAPES:
                continue
            self.known.add(key)
            lits = key.split("\x00")
            pattern = re.compile("".join(re.escape(lit) + f"({T._NUM})" for lit in lits[:-1])
                                 + re.escape(lits[-1]), re.IGNORECASE)
            self.shapes.append([pattern, tpl, FAST_CHECKS, operator.itemgetter(*tpl.values)
                                if len(tpl.values) > 1 else None])

    def parse(self, seg: str) -> T._Record | None | bool:
        """The record of ``seg`` by a compiled shape; False when no shape takes it."""
        for shape in self.shapes:
            m = shape[0].fullmatch(seg)
            if m is None:
                continue
            tpl = shape[1]
            tokens = m.groups()
            fields = (tpl.epoch, tpl.batch, tpl.n_batches)
            try:
                if shape[3] is not None:  # the common case, without a Python loop
                    pts = list(zip(tpl.names, map(float, shape[3](tokens))))
                else:
                    pts = [(n, float(tokens[i])) for n, i in zip(tpl.names, tpl.values)]
                e, b, nb = (int(tokens[i]) if i is not None else None for i in fields)
            except ValueError:
                return False
            if any(i is not None and not tokens[i].isdigit() for i in fields):
                return False
            rec = T._Record(self.fmt.step(e, b, nb), pts, e, b, nb)
            if shape[2]:
                shape[2] -= 1
                if rec != self.fmt.parse(seg):  # never seen: the shape is not trusted
                    self.shapes.remove(shape)
                    return False
            return rec
        return False


class _LineLoop:
    """The reader's per-line loop over one format, fed complete segments (lines, or
    ``\\r`` records). :meth:`feed` returns the new rows, or None when every row changed
    (a CycleGAN step mapping that moved): then :meth:`all_rows` gives them."""

    def __init__(self, fmt, path: Path) -> None:
        self.fmt = fmt
        self.parse = T._ShapeParser(fmt)
        self.fast = _FastShapes(fmt, self.parse)
        self.cyclegan = fmt.id == "text_cyclegan"
        self.n_records = 0
        self.in_validation = False
        self.batch_size = 1
        if self.cyclegan:
            opt = T._cyclegan_options(path.parent)
            self.batch_size = T._batch_size(dict(opt[1])) if opt else 1
        # CycleGAN: the records (their step needs the whole log) and the counts behind it
        self.records: list[tuple[int, int, bool, list[tuple[str, float]]]] = []
        self.last_train: tuple[int, int] | None = None
        self.gaps: dict[int, int] = {}
        self.boundaries: list[tuple[int, int]] = []  # (last iters, next epoch's first iters)
        self.largest = 0
        self.min_epoch: int | None = None
        self.mapping: tuple[int, int] | None = None  # (samples per epoch, first epoch)
        self.last: T._Record | None = None  # the last record (a '\r' tail is compared to it)

    # ---------------------------------------------------------------- one segment
    def record(self, seg: str) -> T._Record | None:
        """The record of one complete segment (None: not a record; section state kept)."""
        rec = self.fast.parse(seg) if self.fast.shapes else False
        if rec is False:
            rec = self.parse(seg)
        if rec is not None:
            return rec if T._step_in_range(rec) else None
        if self.cyclegan and (hm := T._CYCLEGAN_HEADER.fullmatch(seg)):
            self.in_validation = hm.group("title").strip() in T._VALIDATION_TITLES
        return None

    def feed(self, segments: list[str]) -> tuple[list[str], list[int], list[float]] | None:
        tags: list[str] = []
        steps: list[int] = []
        values: list[float] = []
        new = len(self.records)
        for seg in segments:
            rec = self.record(seg)
            if rec is None:
                continue
            self.last = rec
            prefix = T.VALIDATION_PREFIX if self.in_validation else ""
            if self.cyclegan:
                self._count(rec)
                self.records.append((int(rec.epoch or 0), int(rec.batch or 0),
                                     self.in_validation, rec.points))
                continue
            step = self.n_records if rec.step is None else rec.step
            self.n_records += 1
            for name, v in rec.points:
                tags.append(prefix + name)
                steps.append(step)
                values.append(v)
        self.fast.learn()
        if not self.cyclegan:
            return tags, steps, values
        mapping = self._mapping()
        if mapping != self.mapping:
            self.mapping = mapping
            return None
        return self._rows(self.records[new:])

    # ---------------------------------------------------------------- CycleGAN steps
    def _count(self, rec: T._Record) -> None:
        """The counts ``_cyclegan_steps`` reads, updated with one record."""
        e, i = int(rec.epoch or 0), int(rec.batch or 0)
        self.largest = max(self.largest, i)
        self.min_epoch = e if self.min_epoch is None else min(self.min_epoch, e)
        if self.in_validation:
            return
        if self.last_train is not None:
            e0, i0 = self.last_train
            if e0 == e and i > i0:
                self.gaps[i - i0] = self.gaps.get(i - i0, 0) + 1
            if e == e0 + 1:
                self.boundaries.append((i0, i))
        self.last_train = (e, i)

    def _mapping(self) -> tuple[int, int]:
        """(samples per epoch, first epoch), as ``_cyclegan_steps`` finds them."""
        gaps = self.gaps
        interval = max(gaps, key=lambda k: (gaps[k], -k)) if gaps else None
        estimates: dict[int, int] = {}
        for i0, i1 in self.boundaries if interval is not None else ():
            n = i0 + interval - i1
            if n > 0:
                estimates[n] = estimates.get(n, 0) + 1
        if estimates:
            per_epoch = max(max(estimates, key=lambda k: (estimates[k], k)), self.largest)
        else:
            per_epoch = self.largest + (interval or 1)
        first = min(self.min_epoch if self.min_epoch is not None else 1, 1)
        return per_epoch, first

    def _rows(self, records) -> tuple[list[str], list[int], list[float]]:
        per_epoch, first = self.mapping or self._mapping()
        bs = self.batch_size
        prefix = T.VALIDATION_PREFIX
        tags = [prefix + n if val else n for _, _, val, pts in records for n, _ in pts]
        steps = [((e - first) * per_epoch + i) // bs for e, i, _, pts in records for _ in pts]
        values = [v for _, _, _, pts in records for _, v in pts]
        return tags, steps, values

    def all_rows(self) -> tuple[list[str], list[int], list[float]]:
        return self._rows(self.records)


def _append(store: RowStore, rows: tuple[list[str], list[int], list[float]]) -> int:
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
        self._loop: _LineLoop | None = None  # set once the format is settled
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
        """Complete segments (``data`` ends just past a separator), decoded as the reader
        does (a separator never falls inside a UTF-8 character)."""
        segs = T._SEPARATORS.split(data.decode("utf-8", errors="replace"))
        segs.pop()  # what follows the last separator: empty (the cut is after it)
        return segs

    def _parse_head(self, rest: bytes) -> Growth:
        """While the format can change: choose it from the lines so far and parse them all
        (``rest``: the bytes after the last complete segment)."""
        rid = self.source.run_id
        head = bytes(self._head)
        segments = self._segments(head)
        fmt = T._choose_format(segments)
        self.whole_reads += 1
        if fmt is None:
            return Growth({})
        loop = _LineLoop(fmt, self.source.path)
        rows = loop.feed(segments)
        settled = sum(len(s) + 1 for s in segments) >= FORMAT_WINDOW  # the reader's window
        taken = self._early_record(loop, head, rest, take=settled)
        more = loop.feed([taken]) if taken is not None else None
        if loop.cyclegan:  # every row with the mapping of the whole
            rows = loop.all_rows()
        elif more is not None:
            rows = tuple(x + y for x, y in zip(rows, more))
        store = self.stores[rid] = RowStore()
        _append(store, rows)
        self.formats[rid] = fmt.id
        if settled:
            self._loop = loop
            self._head = bytearray()
        return Growth({rid: None})

    def _feed(self, complete: bytes, rest: bytes) -> int | None:
        """Parse the appended complete segments (and a whole last ``\\r`` record)."""
        loop = self._loop
        rid = self.source.run_id
        segments = self._segments(complete)
        taken = self._early_record(loop, complete, rest, take=True)
        if taken is not None:
            segments.append(taken)
        rows = loop.feed(segments)
        if rows is None:  # a CycleGAN step mapping moved: every row again, from memory
            store = self.stores[rid] = RowStore()
            _append(store, loop.all_rows())
            return None
        return _append(self.stores[rid], rows) or 0

    def _early_record(self, loop: _LineLoop, complete: bytes, rest: bytes, *,
                      take: bool) -> str | None:
        """The last ``\\r`` record before its separator, when the reader would take it
        (``take``: it counts as read, and the next bytes must start a new record)."""
        cur = self._cursor
        if (not rest.strip() or complete[-1:] != b"\r" or loop.last is None
                or cur.read_to < cur.size):  # (a backlog read in pieces: not the file's end)
            return None
        tail = rest.decode("utf-8", errors="replace")
        rec = loop.fmt.parse(tail)
        if rec is None or not T._whole_record(tail, rec, [loop.last]):
            return None
        if take:
            self._taken = rest
            cur.offset += len(rest)
        return tail
