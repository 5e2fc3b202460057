"""The text reader's per-line loop as a state that appended lines are fed to (for followers).

:class:`TextLineLoop` runs what :meth:`ganlogs.readers.text.TextLogReader.read_data` does
line by line (its format parsers, its line-shape cache, its section and CycleGAN step rules)
on segments fed a few at a time, so that ``ganlogs watch`` parses only what a log appended;
:mod:`ganlogs.live.tail_text` keeps the byte offsets. The rows equal a whole read's
(``tests/live/test_tail_text.py``). What carries over from line to line:

* the format, chosen from the first :data:`FORMAT_WINDOW` bytes (:func:`choose_format`);
* CycleGAN ``loss_log.txt``: the current section (training or validation: validation lines
  become ``val/<name>`` tags) and the step mapping ``((epoch - first epoch) * samples per
  epoch + iters) / batch_size``, whose samples per epoch ``_cyclegan_steps`` reads from the
  epoch boundaries of the whole log: the loop keeps the counts behind it (print intervals,
  epoch boundaries, the largest ``iters``, the first epoch) up to date, and :meth:`feed`
  says when the mapping moved (every row is then made again, :meth:`TextLineLoop.all_rows`);
* the record count (the step of a record without one) and the last record (a ``\r``
  stream's last record is compared to it, :func:`early_record`).

Lines of a shape the reader's shape parser has learnt are matched by one compiled pattern
(:class:`_FastShapes`) instead of the tokenizer's split. A feed of at least
:data:`BLOCK_BYTES` of complete lines (:meth:`TextLineLoop.feed_block`) is matched as one
block by the reader's vectorised path (:func:`ganlogs.readers._text_fast.match_lines`: an
RE2 pattern per learnt shape, token ends and numbers in numpy and pyarrow); only the lines
no shape takes go through the per-line loop, in order, and CycleGAN's counts are updated
from the block's columns. Its rows equal the per-line loop's.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .text import (VALIDATION_PREFIX, _CYCLEGAN_HEADER, _FORMATS, _HEAD_BYTES, _NUM, _SEPARATORS,
                   _VALIDATION_TITLES, _Format, _Record, _ShapeParser, _batch_size,
                   _choose_format, _cyclegan_options, _step_in_range, _whole_record)

__all__ = ["TextLineLoop", "Rows", "FORMAT_WINDOW", "FORMAT_IDS", "BLOCK_BYTES",
           "choose_format", "split_segments", "early_record"]

#: a feed of at least this many bytes of complete lines is matched as one vectorised block
#: (about 100 CycleGAN lines: below that, the block's fixed cost is more than the per-line
#: loop's, about 10 us a line)
BLOCK_BYTES = 16 << 10
#: CycleGAN epochs and iters stay below this on the block path (int64 steps cannot overflow)
_INT_LIMIT = 10 ** 9

#: the reader chooses the format from the first this-many bytes of the log
FORMAT_WINDOW = _HEAD_BYTES
#: the text formats' ids
FORMAT_IDS = tuple(f.id for f in _FORMATS)


def choose_format(segments: list[str]) -> _Format | None:
    """The format the reader would choose for a log made of these segments (None: none)."""
    return _choose_format(segments)


def split_segments(data: bytes) -> list[str]:
    """Complete segments of ``data``, which ends just past a separator (``\n``, ``\r\n``
    or ``\r``), decoded as the reader does (a separator never falls inside a UTF-8
    character)."""
    segs = _SEPARATORS.split(data.decode("utf-8", errors="replace"))
    segs.pop()  # what follows the last separator: empty
    return segs


def early_record(loop: "TextLineLoop", tail: str) -> bool:
    """Whether the reader would take ``tail``, the unterminated last segment of a ``\r``
    stream, as a whole record (every bracket closed, the names of the record before it)."""
    if loop.last is None:
        return False
    rec = loop.fmt.parse(tail)
    return rec is not None and _whole_record(tail, rec, [loop.last])


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
            pattern = re.compile("".join(re.escape(lit) + f"({_NUM})" for lit in lits[:-1])
                                 + re.escape(lits[-1]), re.IGNORECASE)
            self.shapes.append([pattern, tpl, FAST_CHECKS, operator.itemgetter(*tpl.values)
                                if len(tpl.values) > 1 else None])

    def parse(self, seg: str) -> _Record | None | bool:
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
            rec = _Record(self.fmt.step(e, b, nb), pts, e, b, nb)
            if shape[2]:
                shape[2] -= 1
                if rec != self.fmt.parse(seg):  # never seen: the shape is not trusted
                    self.shapes.remove(shape)
                    return False
            return rec
        return False


@dataclass
class Rows:
    """Rows in columns: ``codes`` index ``names``; ``steps`` int64, ``values`` float64."""

    names: list[str]
    codes: np.ndarray
    steps: np.ndarray
    values: np.ndarray


@dataclass
class _Batch:
    """CycleGAN records of one block, in file order: ``epoch`` and ``iters`` per record;
    per point its record (``record``), its tag (``codes`` into ``names``, validation
    lines' names with their prefix) and its value."""

    epoch: np.ndarray
    iters: np.ndarray
    record: np.ndarray
    names: list[str]
    codes: np.ndarray
    values: np.ndarray

    def rows(self, mapping: tuple[int, int], batch_size: int) -> Rows:
        per_epoch, first = mapping
        step = ((self.epoch - first) * per_epoch + self.iters) // batch_size
        return Rows(self.names, self.codes, step[self.record], self.values)


class TextLineLoop:
    """The reader's per-line loop over one format, fed complete segments (lines, or
    ``\\r`` records). :meth:`feed` returns the new rows, or None when every row changed
    (a CycleGAN step mapping that moved): then :meth:`all_rows` gives them.
    :meth:`feed_block` does the same for a block of complete lines, vectorised.
    ``block_bytes``: :meth:`takes_block` is true from this many bytes
    (:data:`BLOCK_BYTES`)."""

    def __init__(self, fmt, path: Path, *, block_bytes: int = BLOCK_BYTES) -> None:
        self.fmt = fmt
        self.block_bytes = block_bytes
        self.parse = _ShapeParser(fmt)
        self.fast = _FastShapes(fmt, self.parse)
        self.cyclegan = fmt.id == "text_cyclegan"
        self.n_records = 0
        self.in_validation = False
        self.batch_size = 1
        if self.cyclegan:
            opt = _cyclegan_options(path.parent)
            self.batch_size = _batch_size(dict(opt[1])) if opt else 1
        # CycleGAN: the records (their step needs the whole log) and the counts behind it
        self.records: list[tuple[int, int, bool, list[tuple[str, float]]]] = []
        self.last_train: tuple[int, int] | None = None
        self.gaps: dict[int, int] = {}
        self.boundaries: list[tuple[int, int]] = []  # (last iters, next epoch's first iters)
        self.largest = 0
        self.min_epoch: int | None = None
        self.mapping: tuple[int, int] | None = None  # (samples per epoch, first epoch)
        self.last: _Record | None = None  # the last record (a '\r' tail is compared to it)

    # ---------------------------------------------------------------- one segment
    def record(self, seg: str) -> _Record | None:
        """The record of one complete segment (None: not a record; section state kept)."""
        rec = self.fast.parse(seg) if self.fast.shapes else False
        if rec is False:
            rec = self.parse(seg)
        if rec is not None:
            return rec if _step_in_range(rec) else None
        if self.cyclegan and (hm := _CYCLEGAN_HEADER.fullmatch(seg)):
            self.in_validation = hm.group("title").strip() in _VALIDATION_TITLES
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
            prefix = VALIDATION_PREFIX if self.in_validation else ""
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
    def _count(self, rec: _Record) -> None:
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
        prefix = VALIDATION_PREFIX
        tags = [prefix + n if val else n for _, _, val, pts in records for n, _ in pts]
        steps = [((e - first) * per_epoch + i) // bs for e, i, _, pts in records for _ in pts]
        values = [v for _, _, _, pts in records for _, v in pts]
        return tags, steps, values

    def all_rows(self) -> list:
        """Every CycleGAN row with the current mapping, in file order: a list of parts,
        each ``(tags, steps, values)`` lists or :class:`Rows`."""
        parts: list = []
        pending: list = []
        for item in self.records:
            if isinstance(item, _Batch):
                if pending:
                    parts.append(self._rows(pending))
                    pending = []
                parts.append(item.rows(self.mapping or self._mapping(), self.batch_size))
            else:
                pending.append(item)
        if pending or not parts:
            parts.append(self._rows(pending))
        return parts

    # ---------------------------------------------------------------- a block of lines
    def takes_block(self, data: bytes) -> bool:
        """Whether :meth:`feed_block` reads ``data`` (complete segments): at least
        ``block_bytes``, lines ending in ``\\n`` or ``\\r\\n`` (no ``\\r`` record), UTF-8."""
        if len(data) < self.block_bytes or not data.endswith(b"\n"):
            return False
        if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
            return False
        if not data.isascii():
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                return False
        return True

    def feed_block(self, data: bytes) -> "Rows | tuple | None":
        """:meth:`feed` for complete lines (:meth:`takes_block`), matched as one block: the
        learnt shapes' lines vectorised, the others through the per-line loop in order."""
        from ._text_fast import Lines, match_lines

        lines = Lines(data, len(data), b"\r" in data)
        got = match_lines(lines, self.fmt, self.parse, threads=1)
        if got is None:
            return self.feed(split_segments(data))
        chunks, slow, _ = got
        state0 = self.in_validation
        slow_records = []  # (line, record, in a validation section)
        slow_state = np.zeros(len(slow), dtype=bool)  # the section after each such line
        for k, i in enumerate(slow.tolist()):
            seg = data[lines.starts[i]:lines.stops[i]].decode("utf-8")
            rec = self.record(seg)
            if rec is not None:
                slow_records.append((i, rec, self.in_validation))
            slow_state[k] = self.in_validation
        if self.cyclegan and any(r.epoch >= _INT_LIMIT or r.batch >= _INT_LIMIT
                                 for _, r, _ in slow_records):
            self.in_validation = state0  # beyond int64-safe arithmetic: the per-line loop
            return self.feed(split_segments(data))
        self.fast.learn()
        names: dict[str, int] = {}
        r_line, r_epoch, r_iters, r_step, r_val = [], [], [], [], []
        p_line, p_code, p_value = [], [], []
        for c in chunks:
            n, k = len(c.rows), len(c.names)
            if not n:
                continue
            if len(slow):
                before = np.searchsorted(slow, c.rows, side="right") - 1
                val = np.where(before >= 0, slow_state[np.maximum(before, 0)], state0)
            else:
                val = np.full(n, state0)
            codes = np.tile(np.array([names.setdefault(t, len(names)) for t in c.names],
                                     dtype=np.int32), n)
            if val.any():
                codes.reshape(n, k)[val] = np.array(
                    [names.setdefault(VALIDATION_PREFIX + t, len(names)) for t in c.names],
                    dtype=np.int32)
            r_line.append(c.rows)
            r_val.append(val)
            if self.cyclegan:
                r_epoch.append(c.fields[0])
                r_iters.append(c.fields[1])
            else:
                e, b, nb = c.fields
                r_step.append(e if nb is None else e * nb + b)
            p_line.append(np.repeat(c.rows, k))
            p_code.append(codes)
            p_value.append(c.values.reshape(-1))
        if slow_records:
            r_line.append(np.array([i for i, _, _ in slow_records], dtype=np.int64))
            r_val.append(np.array([v for _, _, v in slow_records], dtype=bool))
            if self.cyclegan:
                r_epoch.append(np.array([r.epoch for _, r, _ in slow_records], dtype=np.int64))
                r_iters.append(np.array([r.batch for _, r, _ in slow_records], dtype=np.int64))
            else:
                r_step.append(np.array([self.n_records if r.step is None else r.step
                                        for _, r, _ in slow_records], dtype=np.int64))
            pts = [(i, (VALIDATION_PREFIX + t) if v else t, x)
                   for i, r, v in slow_records for t, x in r.points]
            p_line.append(np.array([i for i, _, _ in pts], dtype=np.int64))
            p_code.append(np.array([names.setdefault(t, len(names)) for _, t, _ in pts],
                                   dtype=np.int32))
            p_value.append(np.array([x for _, _, x in pts], dtype=np.float64))
        if not r_line:  # no record in the block
            return self._empty_rows()
        line = np.concatenate(r_line)
        point_line = np.concatenate(p_line)
        code = np.concatenate(p_code)
        value = np.concatenate(p_value)
        order = None
        if len(r_line) > 1:  # several shapes or per-line records: back to file order
            order = np.argsort(line, kind="stable")
            line = line[order]
            porder = np.argsort(point_line, kind="stable")
            point_line, code, value = point_line[porder], code[porder], value[porder]
        record = np.searchsorted(line, point_line)
        val = np.concatenate(r_val)
        last_line = int(line[-1])
        self.last = self.parse(data[lines.starts[last_line]:lines.stops[last_line]]
                               .decode("utf-8"))
        if order is not None:
            val = val[order]
        if not self.cyclegan:
            step = np.concatenate(r_step)
            if order is not None:
                step = step[order]
            self.n_records += len(line)
            return Rows(list(names), code, step[record], value)
        epoch, iters = np.concatenate(r_epoch), np.concatenate(r_iters)
        if order is not None:
            epoch, iters = epoch[order], iters[order]
        self._count_block(epoch, iters, val)
        batch = _Batch(epoch, iters, record, list(names), code, value)
        self.records.append(batch)
        mapping = self._mapping()
        if mapping != self.mapping:
            self.mapping = mapping
            return None
        return batch.rows(mapping, self.batch_size)

    def _empty_rows(self):
        if self.cyclegan and self._mapping() != self.mapping:
            self.mapping = self._mapping()
            return None
        return [], [], []

    def _count_block(self, epoch: np.ndarray, iters: np.ndarray, val: np.ndarray) -> None:
        """:meth:`_count` over a block's records (file order), in numpy."""
        self.largest = max(self.largest, int(iters.max()))
        low = int(epoch.min())
        self.min_epoch = low if self.min_epoch is None else min(self.min_epoch, low)
        e, i = epoch[~val], iters[~val]
        if not len(e):
            return
        if self.last_train is not None:
            e = np.concatenate([[self.last_train[0]], e])
            i = np.concatenate([[self.last_train[1]], i])
        e0, e1, i0, i1 = e[:-1], e[1:], i[:-1], i[1:]
        within = (e0 == e1) & (i1 > i0)
        for gap, n in zip(*np.unique((i1 - i0)[within], return_counts=True)):
            self.gaps[int(gap)] = self.gaps.get(int(gap), 0) + int(n)
        boundary = e1 == e0 + 1
        self.boundaries.extend(zip(i0[boundary].tolist(), i1[boundary].tolist()))
        self.last_train = (int(e[-1]), int(i[-1]))
