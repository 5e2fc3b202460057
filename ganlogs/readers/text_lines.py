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
(:class:`_FastShapes`) instead of the tokenizer's split.
"""

from __future__ import annotations

import operator
import re
from pathlib import Path

from .text import (VALIDATION_PREFIX, _CYCLEGAN_HEADER, _FORMATS, _HEAD_BYTES, _NUM, _SEPARATORS,
                   _VALIDATION_TITLES, _Format, _Record, _ShapeParser, _batch_size,
                   _choose_format, _cyclegan_options, _step_in_range, _whole_record)

__all__ = ["TextLineLoop", "FORMAT_WINDOW", "FORMAT_IDS", "choose_format", "split_segments",
           "early_record"]

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


class TextLineLoop:
    """The reader's per-line loop over one format, fed complete segments (lines, or
    ``\\r`` records). :meth:`feed` returns the new rows, or None when every row changed
    (a CycleGAN step mapping that moved): then :meth:`all_rows` gives them."""

    def __init__(self, fmt, path: Path) -> None:
        self.fmt = fmt
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

    def all_rows(self) -> tuple[list[str], list[int], list[float]]:
        return self._rows(self.records)
