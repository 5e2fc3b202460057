"""Vectorised reading of large, regular text logs (the fast path of :mod:`.text`).

:class:`~ganlogs.readers.text.TextLogReader` parses a line in Python (a regular expression
per line, a cache of line shapes: about 10 microseconds per line). A training script prints
the same format string on every line, so a large log holds a few line *shapes*; this module
reads such a log without a Python step per line:

1. the lines are cut at their newlines in numpy and handed to pyarrow as one string array
   (no copy, no Python string per line);
2. the reader's own shape parser learns the shapes of the log's first lines (each shape's
   template says which number token holds which value, and which hold the epoch, batch and
   number of batches), as the per-line path does (one line per pattern of digits: lines that
   differ only in their digits have the same shape);
3. each shape becomes one RE2 pattern (the shape's fixed text, escaped, a number per token;
   the epoch, batch and batch-count tokens 1 to 9 digits). The pattern is matched against
   the lines' *forms* (:class:`_Forms`: each line with its digits made ``0``, one
   ``bytes.translate``, dictionary-encoded by pyarrow): a regular log holds a few dozen
   forms, and where the pattern's fixed text holds no digit, a line matches exactly when
   its form does, its tokens at the same offsets (RE2 capture groups on the form); digits
   in the fixed text (pix2pix's ``G_L1``) are checked in the lines' bytes. A log of more
   than :data:`MAX_FORM_SHARE` forms per line is matched line by line instead, by
   ``pyarrow.compute.match_substring_regex`` in blocks of lines on threads
   (:data:`THREAD_BYTES`; numpy and pyarrow release the GIL), where each token lies found
   in numpy from the shape's fixed text (:func:`_token_ends`);
4. all the tokens are converted by one pyarrow cast (correctly rounded, as ``float()``; in
   slices on threads); the steps are computed in int64 from epoch, batch and number of
   batches;
5. lines no shape matches (a header, arguments, a warning, a line of an unusual shape) go
   through the per-line path one by one, so they are read, counted or skipped exactly as
   there; their points join the others in file order.

CycleGAN/pix2pix ``loss_log.txt`` takes the same way: its ``(epoch: E, iters: I, time: T,
data: D) NAME: v ...`` lines are matched and converted as above (epoch and ``iters`` are the
integer tokens), its section headers (``=== Training Loss (<date>) ===``, ``Validation
Loss``, others) are among the lines left to the per-line parser, which also tracks the
section each header opens, and the steps, sections and relaunches, which need the whole log,
are computed from the parsed columns in numpy by :mod:`._text_cyclegan` with the per-line
path's rules.

A line matches a shape's pattern only when its fixed text is the shape's, character for
character, and the text on both sides of each number is the same as in the line the shape
was learnt from: so it holds the same standalone numbers at the same places, and the template
gives the same points the per-line path would (the tests compare the two on every format).

It applies when the file is at least :data:`MIN_BYTES`, UTF-8, holds a newline, its lines end
in ``\\n`` or ``\\r\\n`` (no lone ``\\r``), the format is chosen from the first 64 KB (as the
per-line path chooses it there), the epoch, batch and batch-count tokens are plain integers
of at most 9 digits, and at most :data:`MAX_SLOW_SHARE` of the lines need the per-line path;
otherwise :func:`read_fast` returns None and the per-line path reads the file. A last line
without its newline (a log being written) is dropped with the per-line path's
:class:`~ganlogs.errors.TruncatedLogWarning`.
"""

from __future__ import annotations

import os
import re
import warnings as _warnings
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import TruncatedLogWarning
from . import _text_cyclegan as cyclegan_steps

if TYPE_CHECKING:
    from pathlib import Path

    from ..run import Run

__all__ = ["read_fast", "MIN_BYTES"]

#: smaller logs are read line by line (the fixed cost of the vectorised path is not worth it)
MIN_BYTES = 256 << 10
#: the largest share of lines that may need the per-line path (else the fast path gives up)
MAX_SLOW_SHARE = 0.05
_HEAD_BYTES = 65536
#: the lines whose shapes are learnt: 4x the format window's characters in bytes (a UTF-8
#: character is at most 4 bytes), so the window the format is chosen from always fits
_LEARN_BYTES = 4 * _HEAD_BYTES
_ZERO_DIGITS = bytes.maketrans(b"123456789", b"000000000")
#: the shapes are matched against the lines' forms when there are at most this many forms
#: per line (a log whose numbers vary in length and sign independently may have a form per
#: line: matching the forms then costs a match of the lines on top of the forms' own cost)
MAX_FORM_SHARE = 0.25
#: a file is matched in one thread per this many bytes (at most one per CPU)
THREAD_BYTES = 4 << 20
_NUM_RE2 = r"[-+]?(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|(?i:nan|inf(?:inity)?))"
_LINE_END = r"\r?\n$"  # an entry of the lines holds the newline ('\r' only in '\r\n')
_SMALL_INT_RE2 = r"\d{1,9}"  # epoch, batch, batches: products stay within int64
#: epoch and iters of a CycleGAN record read by the per-line parser must stay below this
#: (as the fast path's 1 to 9 digits do), so that its steps fit int64 (else: per-line path)
_CYCLEGAN_INT_LIMIT = 10 ** 9


def read_fast(data: bytes, path: "Path", run_id: str, *, min_bytes: int = MIN_BYTES,
              max_slow_share: float = MAX_SLOW_SHARE, threads: int | None = None,
              forms: bool | None = None) -> "Run | None":
    """The Run the per-line path would give for ``data``, or None when the fast path does
    not apply (see the module docstring; ``min_bytes`` and ``max_slow_share`` replace
    :data:`MIN_BYTES` and :data:`MAX_SLOW_SHARE`; ``threads``: how many threads match the
    lines or convert their numbers, in as many blocks; None: one per :data:`THREAD_BYTES`
    of the file, at most one per CPU; ``forms``: whether the shapes are matched against the
    lines' forms, as in :func:`match_lines`)."""
    from . import text as T  # the per-line reader: its formats, shapes and notes

    if len(data) < min_bytes:
        return None
    size = data.rfind(b"\n") + 1  # the complete lines; after them, a torn last line
    if not size:
        return None
    crlf = data.find(b"\r") >= 0
    if crlf and data.count(b"\r") != data.count(b"\r\n"):
        return None  # a progress-style '\r' stream: the per-line path splits it
    if np.frombuffer(data, dtype=np.uint8).max() >= 0x80:  # (not ASCII; a SIMD max)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
    tail = data[size:].decode("utf-8")
    lines = Lines(data, size, crlf)
    head_lines = min(int(np.searchsorted(lines.ends, _LEARN_BYTES)) + 1, lines.n)
    head_bytes = data[:lines.ends[head_lines - 1]]
    head = head_bytes.decode("utf-8").split("\n")
    if crlf:
        head = [seg[:-1] for seg in head]  # each ends with the '\r' of its '\r\n'
    fmt = _choose_format(T, head, tail if head_lines == lines.n else "")
    if fmt is None or fmt.step not in (T._epoch_times_batches, T._counter, T._later):
        return None
    is_cyclegan = fmt.step is T._later
    parse = T._ShapeParser(fmt)
    _learn_shapes(parse, head, head_bytes.translate(_ZERO_DIGITS).split(b"\n"))
    got = match_lines(lines, fmt, parse, threads=threads, forms=forms)
    if got is None:
        return None
    chunks, slow, matched = got
    if len(slow) > max_slow_share * lines.n:
        return None
    n_lines, starts, stops = lines.n, lines.starts, lines.stops
    first_fast = int(np.argmax(matched)) if matched.any() else n_lines
    records: list[tuple[int, object]] = []  # (line, the per-line parser's record)
    headers = _Headers()
    before = between = out_of_range = 0
    hparams: dict[str, object] = {}
    hp_source = None
    for i in slow:
        seg = data[starts[i]:stops[i]].decode("utf-8")
        rec = parse(seg)
        if rec is not None and not T._step_in_range(rec):
            out_of_range += 1
        elif rec is not None:
            records.append((int(i), rec))
        elif is_cyclegan and (hm := T._CYCLEGAN_HEADER.fullmatch(seg)):
            headers.add(int(i), hm.group("title").strip(), T)
        elif seg.strip():
            if records or first_fast < i:
                between += 1
            else:
                before += 1
                if not hparams and seg.startswith("Namespace("):
                    hparams = T._namespace(seg)
                    hp_source = "the argparse Namespace(...) line" if hparams else None
    if is_cyclegan:
        if any(rec.epoch >= _CYCLEGAN_INT_LIMIT or rec.batch >= _CYCLEGAN_INT_LIMIT
               for _, rec in records):
            return None  # steps that may pass int64: the per-line path's arithmetic
        opt = T._cyclegan_options(path.parent)
        if opt:
            hp_source, hparams = f"{opt[0]} beside the log", dict(opt[1])

    warnings: list[str] = []
    if tail.strip():
        msg = (f"the last line has no final newline ({len(tail)} characters): the "
               "file was cut while being written; that line was dropped, every "
               "complete one was kept")
        _warnings.warn(TruncatedLogWarning(f"{path}: {msg}"), stacklevel=3)
        warnings.append(msg)
    n_records = sum(len(c.rows) for c in chunks) + len(records)
    notes = [f"format: {fmt.id}; {n_records} record line(s)", fmt.step_note]
    if before:
        notes.append(f"{before} line(s) before the first record (arguments, seeds...) skipped")
    if between:
        notes.append(f"{between} line(s) between records did not match the format and were "
                     "skipped")
    if hp_source:
        notes.append(f"hparams from {hp_source}")
    if out_of_range:
        warnings.append(f"{out_of_range} record(s) whose step is beyond the int64 range "
                        "(a damaged line) were skipped")
    restart_context = None
    if is_cyclegan:
        parts, slow_points, restart_context, more = _cyclegan(
            chunks, records, headers, T._batch_size(hparams), T.VALIDATION_PREFIX)
        notes += more
    else:
        parts = [(c.rows, _step(fmt, T, c.fields), c.values, c.names, None) for c in chunks]
        slow_points = [(i, rec.step, rec.points) for i, rec in records]
    frame = _frame(parts, slow_points)
    return T.Run.from_frame(frame, run_id=run_id, path=path, format=fmt.id, hparams=hparams,
                            notes=notes, warnings=warnings, step_unit="iteration",
                            restart_context=restart_context)


class Lines:
    """The complete lines of ``data[:size]`` (each ends in ``\\n``; ``crlf``: some end in
    ``\\r\\n``, and no ``\\r`` stands alone): where each starts and stops (byte offsets, the
    newline excluded), and the lines as one pyarrow string array (each entry with its
    newline), over the bytes without a copy."""

    def __init__(self, data: bytes, size: int, crlf: bool) -> None:
        self.raw = raw = np.frombuffer(data, dtype=np.uint8, count=size)
        self.ends = ends = _newlines(raw)
        self.n = len(ends)
        self.starts = np.empty_like(ends)
        self.starts[:1] = 0
        self.starts[1:] = ends[:-1] + 1
        self.stops = ends - (raw[ends - 1] == 0x0D) if crlf else ends  # drop '\r' of '\r\n'
        self.offsets = offsets = np.empty(self.n + 1, dtype=np.int64)  # line i: with '\n'
        offsets[0] = 0
        offsets[1:] = ends + 1
        self.array = pa.LargeStringArray.from_buffers(self.n, pa.py_buffer(offsets),
                                                      pa.py_buffer(raw))
        self.data = data
        self._forms: _Forms | None = None

    def forms(self) -> "_Forms":
        """Each line's form (:class:`_Forms`), computed on the first call."""
        if self._forms is None:
            self._forms = _Forms(self)
        return self._forms


#: the passes over every byte (newlines, forms) take the file in chunks of about this many
#: bytes, whose scratch arrays stay in the CPU's cache (file-sized ones cost their page
#: faults and memory traffic: newlines 25 against 14 CPU-ms, forms 58 against 32 CPU-ms for
#: the 45 MB CycleGAN log of the speed table)
_CHUNK_BYTES = 256 << 10


def _newlines(raw: np.ndarray) -> np.ndarray:
    """The offsets of the bytes ``\\n`` in ``raw`` (int64, increasing)."""
    mask = np.empty(min(len(raw), _CHUNK_BYTES), dtype=bool)  # reused for every chunk
    parts = []
    for at in range(0, len(raw), _CHUNK_BYTES):
        chunk = raw[at:at + _CHUNK_BYTES]
        found = np.flatnonzero(np.equal(chunk, 0x0A, out=mask[:len(chunk)]))
        found += at
        parts.append(found)
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.intp)


class _Forms:
    """The lines' *forms*: each line (with its newline) with every ASCII digit made ``0``,
    dictionary-encoded: ``codes`` (int32, a code per line) and ``dictionary`` (a pyarrow
    large string array, the distinct forms, one per code, in order of first appearance).

    A regular log holds few forms (lines whose numbers have the same lengths and signs share
    one: 10 in the 300,000 PyTorch-GAN lines of ``bench/read_speed_table.py``, 20 in its
    CycleGAN log). A pattern in which every ASCII digit is interchangeable (its fixed text
    holds none; its classes hold all ten digits or none: ``\\d`` is ASCII in RE2) matches a
    line exactly when it matches the line's form, and matches them the same way (the same
    groups at the same byte offsets): so a shape is matched against the few forms instead
    of every line, and each token of a line lies where it lies in the line's form. Digits
    in a shape's fixed text are made ``0`` in its pattern too and checked in the lines'
    bytes (:func:`_match_forms`).

    The forms are made (``bytes.translate``) and encoded (pyarrow) a block of lines of
    about :data:`_CHUNK_BYTES` at a time, the blocks' few forms then encoded once more."""

    def __init__(self, lines: Lines) -> None:
        data, offsets = lines.data, lines.offsets
        codes = np.empty(lines.n, dtype=np.int32)  # a code into the blocks' dictionaries
        dictionaries, base = [], 0
        for a, b in _line_blocks(offsets, _CHUNK_BYTES):
            begin, end = int(offsets[a]), int(offsets[b])
            zero = data[begin:end].translate(_ZERO_DIGITS)
            rel = offsets[a:b + 1] - begin
            if end - begin < 2 ** 31:
                block = pa.StringArray.from_buffers(b - a, pa.py_buffer(rel.astype(np.int32)),
                                                    pa.py_buffer(zero))
            else:  # (a single line of 2 GiB)
                block = pa.LargeStringArray.from_buffers(b - a, pa.py_buffer(rel),
                                                         pa.py_buffer(zero))
            encoded = block.dictionary_encode()
            np.add(encoded.indices.to_numpy(), base, out=codes[a:b])
            base += len(encoded.dictionary)
            dictionaries.append(encoded.dictionary.cast(pa.large_string()))
        merged = pa.concat_arrays(dictionaries).dictionary_encode() if dictionaries else None
        self.dictionary = merged.dictionary if merged else pa.array([], pa.large_string())
        self.codes = merged.indices.to_numpy()[codes] if merged else codes


def _line_blocks(offsets: np.ndarray, size: int) -> list[tuple[int, int]]:
    """Consecutive ranges of lines ``[a, b)`` of about ``size`` bytes each (a line longer
    than ``size``: a range of its own); ``offsets``: where each line starts, then the end."""
    n = len(offsets) - 1
    cuts = np.searchsorted(offsets[:-1], np.arange(0, int(offsets[-1]), size))
    cuts = np.unique(np.append(cuts, n))
    return [(int(a), int(b)) for a, b in zip(cuts[:-1], cuts[1:])]


def match_lines(lines: Lines, fmt, parse, *, threads: int | None = None,
                forms: bool | None = None):
    """The lines of every shape ``parse`` (a :class:`~.text.ShapeParser` of ``fmt``) has
    learnt: ``(chunks, slow, matched)``, a :class:`_Chunk` per shape, the indices of the
    other lines that are not blank (for the per-line parser, in order) and the mask of the
    matched lines; None when no shape is learnt or a number is one pyarrow cannot convert
    (the per-line path then reads the lines). ``threads`` as in :func:`read_fast`;
    ``forms``: whether the shapes are matched against the lines' forms (:class:`_Forms`)
    instead of the lines, where their fixed text allows it; None: where it also has at most
    :data:`MAX_FORM_SHARE` forms per line. Both ways give the same result."""
    from . import text as T

    shapes = [(key.split("\x00"), tpl) for key, tpl in parse.cache.items() if tpl is not None]
    if not shapes or not lines.n:
        return None
    try:
        chunks = _match_forms(lines, shapes, fmt, T, threads, forms)
        if chunks is None:
            chunks = _match_blocks(lines, shapes, fmt, T, threads)
    except _NotRegular:
        return None
    matched = np.zeros(lines.n, dtype=bool)
    for chunk in chunks:
        matched[chunk.rows] = True
    slow = np.flatnonzero(~matched & (lines.stops != lines.starts))
    return chunks, slow, matched


def _match_forms(lines: Lines, shapes, fmt, T, threads: int | None, wanted: bool | None
                 ) -> list[_Chunk] | None:
    """A :class:`_Chunk` per shape, each shape matched against the lines' forms
    (:class:`_Forms`) instead of the lines; None where the forms are not used (``wanted``
    False, or, ``wanted`` None, the lines hold more than :data:`MAX_FORM_SHARE` forms per
    line): the lines are then matched one by one (:func:`_match_blocks`).

    A shape's pattern with every digit of its fixed text made ``0`` matches the form of
    every line the shape's pattern matches; where the fixed text holds no digit, it matches
    exactly those forms (:class:`_Forms`), else the lines of those forms whose bytes hold
    the fixed text's digits where the form holds its zeros are the shape's
    (:func:`_literal_digits`). A line is of the first shape that takes it (as in
    :func:`_match_block`); the byte offsets of its tokens are those of its form, read from
    RE2 capture groups (:func:`_form_spans`). Raises :class:`_NotRegular` where a shape
    lacks a token the format's step needs or a number is one pyarrow cannot convert, as
    the line by line match gives up then too."""
    if wanted is False:
        return None
    forms = lines.forms()
    n_forms = len(forms.dictionary)
    if wanted is None and n_forms > MAX_FORM_SHARE * lines.n:
        return None
    taken = np.zeros(lines.n, dtype=bool) if len(shapes) > 1 else None
    out = []
    for literals, tpl in shapes:
        plan = _plan(literals, tpl, fmt, T)
        if plan is None:
            raise _NotRegular
        zeroed = _Plan([lit.translate(_ZERO_TEXT) for lit in literals], tpl, fmt, T)
        hit = pc.match_substring_regex(forms.dictionary, zeroed.whole).to_numpy(
            zero_copy_only=False)
        spans = _form_spans(forms.dictionary, np.flatnonzero(hit), zeroed)
        in_shape = hit[forms.codes]
        if taken is not None:
            in_shape &= ~taken
        rows = np.flatnonzero(in_shape)
        if zeroed.literals != literals:
            rows = rows[_literal_digits(lines, rows, forms.codes[rows], spans, literals)]
        if taken is not None:
            taken[rows] = True
        every = len(rows) == lines.n  # (then no gather by rows)
        starts = lines.starts if every else lines.starts[rows]
        codes = forms.codes if every else forms.codes[rows]
        dtype = _offset_type(lines.raw)
        m = len(plan.cols)
        picked = spans[:, [2 * j + e for j in plan.cols for e in (0, 1)]].astype(dtype)
        offsets = np.empty(2 * m * len(rows) + 1, dtype=dtype)  # as _cast_tokens reads
        offsets[0] = 0
        np.add(starts.astype(dtype)[:, None], picked[codes],
               out=offsets[1:].reshape(len(rows), 2 * m))
        try:
            fields, values = _cast_tokens(lines.raw, offsets, m, threads,
                                          lambda got, tpl=tpl: plan.columns(tpl, got))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise _NotRegular from None
        out.append(_Chunk(rows, fields, values, tpl.names))
    return out


def _offset_type(raw: np.ndarray) -> type:
    """The offsets of string arrays over ``raw``: int32 (a pyarrow string array, half the
    bytes to write and read) where every offset fits, else int64 (a large string array)."""
    return np.int32 if len(raw) < 2 ** 31 else np.int64


#: the fixed text of a shape as its lines' forms hold it (every ASCII digit made '0')
_ZERO_TEXT = str.maketrans("123456789", "000000000")


def _literal_digits(lines: Lines, rows: np.ndarray, codes: np.ndarray, spans: np.ndarray,
                    literals: list[str]) -> np.ndarray:
    """The mask of the lines ``rows`` (of forms ``codes``) whose bytes hold the digits of
    the shape's fixed text ``literals`` where their forms hold zeros: literal ``j`` starts
    where token ``j - 1`` ends (``spans``, a row per form as :func:`_form_spans` gives; the
    first literal at the line's start)."""
    ok = np.ones(len(rows), dtype=bool)
    starts = lines.starts[rows]
    for j, lit in enumerate(literals):
        text = lit.encode("utf-8")
        at = starts if j == 0 else starts + spans[codes, 2 * j - 1]
        for o, byte in enumerate(text):
            if 0x30 <= byte <= 0x39:
                ok &= lines.raw[at + o] == byte
    return ok


def _form_spans(dictionary: pa.Array, hit: np.ndarray, plan: _Plan) -> np.ndarray:
    """The byte offsets ``(begin, end)`` of every token in each form of ``hit`` (indices
    into ``dictionary``, forms that ``plan``'s pattern matches), from the start of the
    form: an int64 table of a row per form of ``dictionary`` (zeros for the others) and two
    columns per token (its begin and end, tokens in file order)."""
    k = len(plan.literals) - 1
    table = np.zeros((len(dictionary), 2 * k), dtype=np.int64)
    if not len(hit):
        return table
    captured = pc.extract_regex(dictionary.take(pa.array(hit)), plan.pattern(groups=True))
    at = np.zeros(len(hit), dtype=np.int64)  # where the current token starts
    for j, lit in enumerate(plan.literals[:-1]):
        at += len(lit.encode("utf-8"))
        end = at + pc.binary_length(captured.field(f"g{j}")).to_numpy(zero_copy_only=False)
        table[hit, 2 * j] = at
        table[hit, 2 * j + 1] = end
        at = end
    return table


def _cast_tokens(raw: np.ndarray, offsets: np.ndarray, m: int, threads: int | None,
                 use=None):
    """Tokens of ``m`` per line as float64, correctly rounded as ``float()``: a table of
    lines x ``2 m`` in which column ``2 i + 1`` holds token ``i`` (the even columns: any
    value), or what ``use`` makes of it. ``offsets`` (int32 or int64 as
    :func:`_offset_type` gives, ``2 m`` per line and a first 0) cut ``raw`` into entries
    that alternate between the gap before a token (null) and the token, line by line.

    One pyarrow cast (pyarrow's buffer read in place), in as many slices of lines on
    threads as :func:`_blocks` gives for the bytes (pyarrow releases the GIL), each slice's
    table handed to ``use`` (returning an array or a tuple of arrays or None) in its
    thread; the slices' results are joined in order."""
    n = (len(offsets) - 1) // (2 * m)
    use = use or (lambda got: got)
    valid = np.full((2 * n * m + 7) // 8, 0xAA, dtype=np.uint8)  # entries 1, 3, 5...
    kind = pa.StringArray if offsets.dtype == np.int32 else pa.LargeStringArray
    arr = kind.from_buffers(2 * n * m, pa.py_buffer(offsets), pa.py_buffer(raw),
                            pa.py_buffer(valid))

    def cast(block: tuple[int, int]):
        a, b = 2 * m * block[0], 2 * m * block[1]
        got = pc.cast(arr.slice(a, b - a), pa.float64())
        return use(np.frombuffer(got.buffers()[1], dtype=np.float64, count=len(got),
                                 offset=8 * got.offset).reshape(-1, 2 * m))

    blocks = _blocks(n, int(offsets[-1]), threads) if n else []
    if len(blocks) <= 1:
        return cast(blocks[0] if blocks else (0, 0))
    with ThreadPoolExecutor(len(blocks)) as pool:
        return _joined(list(pool.map(cast, blocks)))


def _joined(parts: list):
    """Arrays (or tuples of arrays or None, alike) of consecutive slices of lines, joined."""
    first = parts[0]
    if first is None:
        return None
    if isinstance(first, tuple):
        return tuple(_joined([p[i] for p in parts]) for i in range(len(first)))
    return np.concatenate(parts)


def _match_blocks(lines: Lines, shapes, fmt, T, threads: int | None) -> list[_Chunk]:
    """A :class:`_Chunk` per shape: every line matched against each shape's pattern, in
    blocks of lines on threads (:func:`_blocks`)."""
    blocks = _blocks(lines.n, int(lines.ends[-1]) + 1, threads)
    args = (lines.array, shapes, fmt, T, lines.raw, lines.starts, lines.stops)
    if len(blocks) == 1:
        found = [_match_block(*args, 0, lines.n)]
    else:
        with ThreadPoolExecutor(len(blocks)) as pool:
            found = list(pool.map(lambda b: _match_block(*args, *b), blocks))
    if len(found) == 1:
        chunks = found[0]
    else:
        chunks = [_Chunk(  # per shape, blocks joined
            np.concatenate([b[s].rows for b in found]),
            tuple(None if found[0][s].fields[f] is None
                  else np.concatenate([b[s].fields[f] for b in found]) for f in range(3)),
            np.concatenate([b[s].values for b in found]), shapes[s][1].names)
            for s in range(len(shapes))]
    return chunks


def _choose_format(T, head: list[str], tail: str):
    """The format the per-line path chooses (its ``_choose_format``) when it finds one in
    the first 64 KB; None otherwise (the per-line path then searches the whole file).

    ``head``: the first complete lines, at least the window's; ``tail``: a torn last line
    when ``head`` holds every complete line (the per-line path counts it too)."""
    segments = head + [tail] if tail else head
    window, size = [], 0
    for seg in segments:
        window.append(seg)
        size += len(seg) + 1
        if size >= T._HEAD_BYTES:
            break
    return T._most_matches(window)


def _step(fmt, T, fields) -> np.ndarray:
    """Steps (int64) from the epoch, batch and batch-count columns of one shape."""
    epoch, batch, n_batches = fields
    if fmt.step is T._counter:
        return epoch
    return epoch * n_batches + batch


class _Headers:
    """CycleGAN section headers among the lines left to the per-line parser, in file
    order: their line indices, whether each opens a validation section, the line indices of
    the ``Training Loss`` ones, and the other sections' titles counted (as the per-line
    path names them in its notes)."""

    def __init__(self) -> None:
        self.lines: list[int] = []
        self.validation: list[bool] = []
        self.training: list[int] = []
        self.other: dict[str, int] = {}

    def add(self, line: int, title: str, T) -> None:
        in_validation = title in T._VALIDATION_TITLES
        self.lines.append(line)
        self.validation.append(in_validation)
        if title == T._TRAINING_TITLE:
            self.training.append(line)
        elif not in_validation:
            self.other[title] = self.other.get(title, 0) + 1


def _cyclegan(chunks, records, headers: _Headers, batch_size: int, prefix: str):
    """A CycleGAN log's frame parts (chunks with their steps and validation rows), its
    records from the per-line parser as (line, step, points), the restart sentence and the
    notes, with the per-line path's rules (:mod:`._text_cyclegan`)."""
    lines = np.concatenate([c.rows for c in chunks]
                           + [np.array([i for i, _ in records], dtype=np.int64)])
    epoch = np.concatenate([c.fields[0] for c in chunks]
                           + [np.array([r.epoch for _, r in records], dtype=np.int64)])
    iters = np.concatenate([c.fields[1] for c in chunks]
                           + [np.array([r.batch for _, r in records], dtype=np.int64)])
    validation = cyclegan_steps.sections(lines, np.array(headers.lines, dtype=np.int64),
                                         np.array(headers.validation, dtype=bool))
    # file order (a shape's rows are in order; several shapes or per-line records interleave)
    if sum(1 for c in chunks if len(c.rows)) + bool(records) > 1:
        order = np.argsort(lines, kind="stable")
        in_order = (lines[order], epoch[order], iters[order], validation[order])
    else:
        order = None
        in_order = (lines, epoch, iters, validation)
    mapping = cyclegan_steps.step_mapping(*in_order[1:], batch_size)
    step = cyclegan_steps.steps(epoch, iters, mapping, batch_size)
    training_headers = np.searchsorted(in_order[0], np.array(headers.training, dtype=np.int64))
    restart = cyclegan_steps.relaunches(training_headers,
                                        step if order is None else step[order], in_order[1],
                                        in_order[3])
    parts, at = [], 0
    for c in chunks:
        n = len(c.rows)
        val = validation[at:at + n]
        parts.append((c.rows, step[at:at + n], c.values, c.names,
                      (val, tuple(prefix + name for name in c.names)) if val.any() else None))
        at += n
    slow_points = [(i, int(step[at + k]),
                    [(prefix + n, v) for n, v in rec.points] if validation[at + k]
                    else rec.points) for k, (i, rec) in enumerate(records)]
    notes = list(mapping.notes)
    n_val = int(validation.sum())
    if n_val:
        notes.append(f"{n_val} line(s) in 'Validation Loss' sections read as "
                     f"'{prefix}<name>' tags, apart from the training series")
    if headers.other:
        notes.append("section(s) that hold no losses skipped: " + ", ".join(
            f"'{t}' x{n}" for t, n in headers.other.items()))
    return parts, slow_points, restart, notes


def _learn_shapes(parse, head: list[str], keys: list[bytes]) -> None:
    """Let ``parse`` learn the shapes of the head's lines, as parsing each in turn would.

    Only the first line of each shape teaches (later ones of a known shape change nothing),
    and lines that differ only in their digits have the same shape (the token pattern tells
    digits apart by where they are, never by which they are), so one line per digit pattern
    (``keys``: the lines with every digit made 0) is parsed."""
    seen: set[bytes] = set()
    for seg, key in zip(head, keys):
        if key not in seen:
            seen.add(key)
            parse(seg)


class _NotRegular(Exception):
    """A captured number pyarrow cannot convert: the per-line path reads the file."""


class _Chunk:
    """The lines of one shape: their indices (increasing), their (epoch, batch, n_batches)
    int64 columns (None where the format has none), their values (lines x names) and the
    names."""

    __slots__ = ("rows", "fields", "values", "names")

    def __init__(self, rows, fields, values, names) -> None:
        self.rows, self.fields, self.values, self.names = rows, fields, values, names


def _blocks(n_lines: int, n_bytes: int, threads: int | None) -> list[tuple[int, int]]:
    """Line ranges matched in parallel threads (numpy and pyarrow release the GIL):
    ``threads`` of them, or one per :data:`THREAD_BYTES` of the file, at most one per CPU."""
    if threads is None:
        threads = min(os.cpu_count() or 1, n_bytes // THREAD_BYTES)
    n = max(1, min(threads, n_lines))
    cuts = [n_lines * i // n for i in range(n + 1)]
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


def _match_block(lines: pa.Array, shapes, fmt, T, raw: np.ndarray, starts: np.ndarray,
                 stops: np.ndarray, lo: int, hi: int) -> list[_Chunk]:
    """The lines ``[lo, hi)`` of every shape, one :class:`_Chunk` per shape."""
    block = lines.slice(lo, hi - lo)  # entry i is line lo + i
    taken = np.zeros(hi - lo, dtype=bool)
    out = []
    for literals, tpl in shapes:
        got = _match(block, literals, tpl, fmt, T, raw, starts[lo:hi], stops[lo:hi])
        if got is None:
            raise _NotRegular
        rows, fields, values = got
        keep = ~taken[rows]  # (two shapes never match one line; kept safe)
        if not keep.all():
            rows, values = rows[keep], values[keep]
            fields = tuple(None if f is None else f[keep] for f in fields)
        taken[rows] = True
        out.append(_Chunk(rows + lo, fields, values, tpl.names))
    return out


#: characters a number token may hold: a shape whose fixed text after a token starts with one
#: of these is matched by capture groups (slower) instead of by positions
_TOKEN_CHARS = frozenset("0123456789+-.eEnNaAiIfFtTyY")


class _Plan:
    """How the lines of one shape are matched and read: its fixed text (``literals``, the
    text before, between and after the tokens), the RE2 pattern of each token (``token``:
    1 to 9 digits for the epoch, batch and batch-count tokens, a number otherwise), the
    integer tokens (``int_cols``), every token used (``cols``, in file order) and the
    pattern of a whole line (``whole``, its newline included)."""

    __slots__ = ("literals", "token", "int_cols", "cols", "whole")

    def __init__(self, literals: list[str], tpl, fmt, T) -> None:
        self.literals = literals
        self.int_cols = [j for j in (tpl.epoch, tpl.batch, tpl.n_batches) if j is not None]
        self.token = [_SMALL_INT_RE2 if j in self.int_cols else _NUM_RE2
                      for j in range(len(literals) - 1)]
        self.cols = sorted(set(self.int_cols) | set(tpl.values))
        self.whole = self.pattern(groups=False)

    def pattern(self, *, groups: bool) -> str:
        """The pattern of a whole line; ``groups``: each token captured (``g0``, ``g1``...)."""
        return "^" + "".join(
            re.escape(lit) + (f"(?P<g{j}>{tok})" if groups else f"(?:{tok})")
            for j, (lit, tok) in enumerate(zip(self.literals, self.token))) \
            + re.escape(self.literals[-1]) + _LINE_END

    def columns(self, tpl, got: np.ndarray):
        """``(fields, values)`` from ``got``, the float64 tokens ``cols`` as
        :func:`_cast_tokens` gives them (lines x ``2 len(cols)``, token ``i`` in column
        ``2 i + 1``): the (epoch, batch, n_batches) int64 columns (None where the shape has
        none; float64 holds every integer of 9 digits exactly) and the values (lines x
        names)."""
        def token(j: int) -> int:
            return 2 * self.cols.index(j) + 1

        values = np.take(got, [token(j) for j in tpl.values], axis=1)
        return self.fields(tpl, got[:, [token(j) for j in self.int_cols]]), values

    def fields(self, tpl, ints: np.ndarray):
        """The (epoch, batch, n_batches) int64 columns from ``ints`` (lines x ``int_cols``,
        int64, or float64 holding integers of at most 9 digits)."""
        field = {j: ints[:, i] for i, j in enumerate(self.int_cols)}
        return tuple(None if j is None else np.ascontiguousarray(field[j], dtype=np.int64)
                     for j in (tpl.epoch, tpl.batch, tpl.n_batches))


def _plan(literals: list[str], tpl, fmt, T) -> _Plan | None:
    """The :class:`_Plan` of a shape, or None when it lacks a token the format's step needs
    (the per-line path then reads the file)."""
    if fmt.step is T._counter:
        needed = (tpl.epoch,)
    elif fmt.step is T._later:  # CycleGAN: epoch and iters
        needed = (tpl.epoch, tpl.batch)
    else:
        needed = (tpl.epoch, tpl.batch, tpl.n_batches)
    if len(literals) < 2 or None in needed:
        return None
    return _Plan(literals, tpl, fmt, T)


def _match(lines: pa.Array, literals: list[str], tpl, fmt, T, raw: np.ndarray,
           starts: np.ndarray, stops: np.ndarray):
    """Lines of one shape: (line indices, (epoch, batch, n_batches) int64 columns or None,
    values (rows x names)), or None when the shape lacks a token the format's step needs or
    a number is one pyarrow cannot convert (the per-line path then reads the file).

    The lines of the shape are found by one RE2 match without groups, in which the epoch,
    batch and batch-count tokens must be 1 to 9 plain digits (so products stay within
    int64; lines with other ones go the per-line way). Where each token ends is then found
    in numpy (:func:`_token_ends`) when the fixed text after each token starts with a byte
    no number holds, and all the tokens are converted by one pyarrow cast (float64 holds
    every integer of 9 digits); other shapes use RE2 capture groups (slower)."""
    plan = _plan(literals, tpl, fmt, T)
    if plan is None:
        return None
    k = len(literals) - 1
    rows = np.flatnonzero(pc.match_substring_regex(lines, plan.whole)
                          .to_numpy(zero_copy_only=False))
    encoded = [lit.encode("utf-8") for lit in literals]
    try:
        if all(lit[:1] and lit[0] not in _TOKEN_CHARS for lit in literals[1:k]) and \
                (not literals[k] or literals[k][0] not in _TOKEN_CHARS):
            bounds, found = _token_ends(raw, encoded, starts[rows], stops[rows])
            if not found.all():
                rows, bounds = rows[found], [(b0[found], b1[found]) for b0, b1 in bounds]
            fields, values = plan.columns(tpl, _numbers(raw, [bounds[j] for j in plan.cols]))
        else:
            captured = pc.extract_regex(lines.take(pa.array(rows)), plan.pattern(groups=True))

            def column(j: int, to: pa.DataType) -> np.ndarray:
                return pc.cast(captured.field(f"g{j}"), to).to_numpy(zero_copy_only=False)

            values = np.stack([column(j, pa.float64()) for j in tpl.values], axis=1)
            fields = plan.fields(tpl, np.stack([column(j, pa.int64()) for j in plan.int_cols],
                                               axis=1))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return rows, fields, values


def _numbers(raw: np.ndarray, tokens: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """The tokens ``(begin, end)`` (each an array over the lines; in file order within a
    line) as float64, as :func:`_cast_tokens` gives them (lines x twice the tokens, token
    ``i`` in column ``2 i + 1``), in one thread."""
    n, m = len(tokens[0][0]), len(tokens)
    offsets = np.empty(2 * n * m + 1, dtype=_offset_type(raw))
    offsets[0] = 0
    pairs = offsets[1:].reshape(n, m, 2)
    for i, (begin, end) in enumerate(tokens):
        pairs[:, i, 0] = begin
        pairs[:, i, 1] = end
    return _cast_tokens(raw, offsets, m, 1)


#: rows whose token lengths are sampled to guess the common ones
_SAMPLE_ROWS = 256
#: how many of the sampled token lengths are tried on every line before a byte-by-byte search
_GUESSES = 4


def _token_ends(raw: np.ndarray, literals: list[bytes], start: np.ndarray, stop: np.ndarray
                ) -> tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray]:
    """Where each token of lines of one shape lies: ``[(begin, end)]`` per token, and the
    mask of the lines for which they were found (others go the per-line way).

    ``start``, ``stop``: the lines' byte ranges (without the newline), each line matched by
    the shape's pattern: its fixed text ``literals[0]``, a number, ``literals[1]``... Each
    literal after a token starts with a byte no number holds; call those bytes *marks*. In
    such a line the marks lie in the fixed text only, so a line holds exactly as many as
    the literals do. Token ``j`` starts after ``literals[j]``; its end is looked for at the
    lengths most common in a sample of the lines, then byte by byte, as a mark equal to
    the first byte of ``literals[j + 1]``; the last token ends where the last literal must
    start (the line's end minus its length). Every mark each literal holds is then checked
    at its place. The positions found are increasing, so when all those marks are where
    they are looked for, they are all the marks of the line, in order: each token end is
    the true one. A line where any check fails is left to the per-line path.
    """
    marks = {lit[0] for lit in literals[1:] if lit}
    where_marks = [[o for o, byte in enumerate(lit) if byte in marks] for lit in literals]
    last = len(raw) - 1
    n, k = len(start), len(literals) - 1
    found = np.ones(n, dtype=bool)

    def check(at: np.ndarray, lit: bytes, offsets: list[int]) -> None:
        for o in offsets:
            found[:] &= raw[np.clip(at + o, 0, last)] == lit[o]

    check(start, literals[0], where_marks[0])
    begin = start + len(literals[0])
    bounds = []
    for j in range(k):
        after = literals[j + 1]
        if j == k - 1:
            end = stop - len(after)
            check(end, after, where_marks[j + 1])
        else:  # a mark was found at `end` (or end == begin): check the literal's others
            end = _find_mark(raw, begin, stop, after[0])
            check(end, after, where_marks[j + 1][1:])
        found &= end > begin
        bounds.append((begin, end))
        begin = end + len(after)
    return bounds, found


def _find_mark(raw: np.ndarray, begin: np.ndarray, stop: np.ndarray, mark: int) -> np.ndarray:
    """Per line, a position after ``begin[i]`` holding the byte ``mark``: at the token
    lengths most common in a sample of the lines (spread over the file) where that fits,
    else the first such byte before ``stop[i]``; ``begin[i]`` where there is none."""
    n = len(begin)
    pick = np.linspace(0, n - 1, min(n, _SAMPLE_ROWS)).astype(np.int64)
    sample = _find_first(raw, begin[pick], stop[pick], mark) - begin[pick]
    lengths, counts = np.unique(sample[sample > 0], return_counts=True)
    end = begin
    todo = None  # the lines not placed yet (None: all of them)
    for length in lengths[np.argsort(-counts, kind="stable")][:_GUESSES]:
        b = begin if todo is None else begin[todo]
        at = b + length
        if len(at) and at.max() >= len(raw):
            np.minimum(at, len(raw) - 1, out=at)
        hit = raw[at] == mark
        if todo is None:
            if hit.all():  # every line has a token of this length (a fixed format)
                return at
            end = np.where(hit, at, begin)
            todo = np.flatnonzero(~hit)
        else:
            end[todo[hit]] = at[hit]
            todo = todo[~hit]
        if not len(todo):
            return end
    if todo is None:
        return _find_first(raw, begin, stop, mark)
    end[todo] = _find_first(raw, begin[todo], stop[todo], mark)
    return end


def _find_first(raw: np.ndarray, begin: np.ndarray, stop: np.ndarray, mark: int) -> np.ndarray:
    """Per line, the first position after ``begin[i]`` and before ``stop[i]`` holding
    ``mark``, or ``begin[i]`` where there is none (a pass per byte of the longest token)."""
    end = begin.copy()
    todo = np.arange(len(begin))
    d = 1
    while len(todo):
        at = begin[todo] + d
        inside = at < stop[todo]
        todo, at = todo[inside], at[inside]
        hit = raw[at] == mark
        end[todo[hit]] = at[hit]
        todo = todo[~hit]
        d += 1
    return end


def _frame(chunks, records) -> pd.DataFrame:
    """Points in file order (line by line, each line's points in order) as a long frame.

    ``chunks``: per shape (line indices, steps, values (lines x names), names, other), where
    ``other`` is None or (a mask of the lines, the names those lines' points take instead:
    CycleGAN's validation lines); ``records``: (line, step, points) of the lines the
    per-line parser read."""
    names: dict[str, int] = {}
    line_parts, step_parts, value_parts, code_parts = [], [], [], []
    for rows, step, values, tags, other in chunks:
        k = len(tags)
        codes = np.array([names.setdefault(t, len(names)) for t in tags], dtype=np.int32)
        line_parts.append((rows, k))  # (expanded only where parts are merged)
        step_parts.append(np.repeat(step, k))
        value_parts.append(values.reshape(-1))
        codes = np.tile(codes, len(rows))
        if other is not None:
            mask, other_tags = other
            codes.reshape(len(rows), k)[mask] = np.array(
                [names.setdefault(t, len(names)) for t in other_tags], dtype=np.int32)
        code_parts.append(codes)
    if records:
        line_parts.append((np.array([i for i, _, pts in records for _ in pts], dtype=np.int64),
                           1))
        step_parts.append(np.array([s for _, s, pts in records for _ in pts], dtype=np.int64))
        value_parts.append(np.array([v for _, _, pts in records for _, v in pts],
                                    dtype=np.float64))
        code_parts.append(np.array([names.setdefault(t, len(names))
                                    for _, _, pts in records for t, _ in pts], dtype=np.int32))
    line_parts = [p for p in line_parts if len(p[0]) * p[1]] or [(np.zeros(0, np.int64), 1)]
    step_parts = [p for p in step_parts if len(p)] or [np.zeros(0, np.int64)]
    value_parts = [p for p in value_parts if len(p)] or [np.zeros(0)]
    code_parts = [p for p in code_parts if len(p)] or [np.zeros(0, np.int32)]
    if len(line_parts) == 1:  # lines of one shape only: already in file order
        codes, step, value = code_parts[0], step_parts[0], value_parts[0]
    else:  # a line's points keep their order
        order = np.argsort(np.concatenate([np.repeat(rows, k) for rows, k in line_parts]),
                           kind="stable")
        codes = np.concatenate(code_parts)[order]
        step = np.concatenate(step_parts)[order]
        value = np.concatenate(value_parts)[order]
    return pd.DataFrame({
        "tag": pd.Categorical.from_codes(codes, categories=pd.Index(list(names), dtype=object)),
        "step": step,
        "value": value,
    }, copy=False)
