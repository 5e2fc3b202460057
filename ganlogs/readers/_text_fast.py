"""Vectorised reading of large, regular text logs (the fast path of :mod:`.text`).

:class:`~ganlogs.readers.text.TextLogReader` parses a line in Python (a regular expression
per line, a cache of line shapes: about 10 microseconds per line). A training script prints
the same format string on every line, so a large log holds a few line *shapes*; this module
reads such a log without a Python step per line:

1. the lines are cut at their newlines in numpy and handed to pyarrow as one string array
   (no copy, no Python string per line);
2. the reader's own shape parser learns the shapes of the first 64 KB (each shape's template
   says which number token holds which value, and which hold the epoch, batch and number of
   batches), exactly as the per-line path does;
3. each shape becomes one RE2 pattern (the shape's fixed text, escaped, with a number group
   per token), matched against every line at once by ``pyarrow.compute.extract_regex``;
4. the captured numbers are converted by pyarrow (correctly rounded, as ``float()``), the
   steps computed in int64 from epoch, batch and number of batches;
5. lines no shape matches (a header, arguments, a warning, a line of an unusual shape) go
   through the per-line path one by one, so they are read, counted or skipped exactly as
   there; their points join the others in file order.

A line matches a shape's pattern only when its fixed text is the shape's, character for
character, and the text on both sides of each number is the same as in the line the shape
was learnt from: so it holds the same standalone numbers at the same places, and the template
gives the same points the per-line path would (the tests compare the two on every format).

It applies when the file is at least :data:`MIN_BYTES`, UTF-8, its lines end in ``\\n`` or
``\\r\\n`` (no lone ``\\r``), its last line is complete, the format is not CycleGAN's (whose
steps need the whole log: the per-line path handles it), the epoch, batch and batch-count
tokens are plain integers of at most 9 digits, and at most :data:`MAX_SLOW_SHARE` of the lines
need the per-line path; otherwise :func:`read_fast` returns None and the per-line path reads
the file.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._spans import numbers, spans

if TYPE_CHECKING:
    from pathlib import Path

    from ..run import Run

__all__ = ["read_fast", "MIN_BYTES"]

#: smaller logs are read line by line (the fixed cost of the vectorised path is not worth it)
MIN_BYTES = 256 << 10
#: the largest share of lines that may need the per-line path (else the fast path gives up)
MAX_SLOW_SHARE = 0.05
_HEAD_BYTES = 65536
_NUM_RE2 = r"[-+]?(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|(?i:nan|inf(?:inity)?))"
_SMALL_INT = r"^\d{1,9}$"  # epoch, batch, batches: products stay within int64


def read_fast(data: bytes, path: "Path", run_id: str, *, min_bytes: int = MIN_BYTES,
              max_slow_share: float = MAX_SLOW_SHARE) -> "Run | None":
    """The Run the per-line path would give for ``data``, or None when the fast path does
    not apply (see the module docstring; ``min_bytes`` and ``max_slow_share`` replace
    :data:`MIN_BYTES` and :data:`MAX_SLOW_SHARE`)."""
    from . import text as T  # the per-line reader: its formats, shapes and notes

    if len(data) < min_bytes or not data.endswith(b"\n"):
        return None
    n_cr = data.count(b"\r")
    if n_cr and n_cr != data.count(b"\r\n"):
        return None  # a progress-style '\r' stream: the per-line path splits it
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
    raw = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(raw == 0x0A)  # every line ends with '\n' (checked above)
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    stops = ends - (raw[ends - 1] == 0x0D) if n_cr else ends  # drop the '\r' of '\r\n'
    n_lines = len(ends)

    head_lines = int(np.searchsorted(ends, _HEAD_BYTES)) + 1
    head = [data[a:b].decode("utf-8") for a, b in zip(starts[:head_lines], stops[:head_lines])]
    fmt = T._choose_format(head)
    if fmt is None or fmt.step not in (T._epoch_times_batches, T._counter):
        return None  # nothing in the first 64 KB, or CycleGAN (steps need the whole log)
    parse = T._ShapeParser(fmt)
    for seg in head:
        parse(seg)
    shapes = [(key.split("\x00"), tpl) for key, tpl in parse.cache.items() if tpl is not None]
    if not shapes:
        return None

    lines = spans(raw, starts, stops)  # entry 2i+1 is line i
    blank = stops == starts

    matched = np.zeros(n_lines, dtype=bool)
    chunks = []  # (line index, step, values (rows x k), names)
    for literals, tpl in shapes:
        got = _match(lines, literals, tpl, fmt, T, raw, starts)
        if got is None:
            return None
        rows, step, values = got
        rows = rows[~matched[rows]]  # (two shapes never match one line; kept safe)
        matched[rows] = True
        chunks.append((rows, step, values, tpl.names))

    slow = np.flatnonzero(~matched & ~blank)
    if len(slow) > max_slow_share * n_lines:
        return None
    first_fast = int(np.argmax(matched)) if matched.any() else n_lines
    records: list[tuple[int, int, list[tuple[str, float]]]] = []  # (line, step, points)
    before = between = out_of_range = 0
    hparams: dict[str, object] = {}
    hp_source = None
    for i in slow:
        seg = data[starts[i]:stops[i]].decode("utf-8")
        rec = parse(seg)
        if rec is not None and not T._step_in_range(rec):
            out_of_range += 1
        elif rec is not None:
            records.append((int(i), rec.step, rec.points))
        elif seg.strip():
            if records or first_fast < i:
                between += 1
            else:
                before += 1
                if not hparams and seg.startswith("Namespace("):
                    hparams = T._namespace(seg)
                    hp_source = "the argparse Namespace(...) line" if hparams else None

    n_records = sum(len(c[0]) for c in chunks) + len(records)
    notes = [f"format: {fmt.id}; {n_records} record line(s)", fmt.step_note]
    if before:
        notes.append(f"{before} line(s) before the first record (arguments, seeds...) skipped")
    if between:
        notes.append(f"{between} line(s) between records did not match the format and were "
                     "skipped")
    if hp_source:
        notes.append(f"hparams from {hp_source}")
    warnings: list[str] = []
    if out_of_range:
        warnings.append(f"{out_of_range} record(s) whose step is beyond the int64 range "
                        "(a damaged line) were skipped")
    frame = _frame(chunks, records)
    return T.Run.from_frame(frame, run_id=run_id, path=path, format=fmt.id, hparams=hparams,
                            notes=notes, warnings=warnings, step_unit="iteration",
                            restart_context=None)


#: characters a number token may hold: a shape whose fixed text after a token starts with one
#: of these is matched by capture groups (slower) instead of by positions
_TOKEN_CHARS = frozenset("0123456789+-.eEnNaAiIfFtTyY")


def _match(lines: pa.Array, literals: list[str], tpl, fmt, T, raw: np.ndarray,
           starts: np.ndarray):
    """Lines of one shape: (line indices, steps, values (rows x names)), or None when a
    captured number is one pyarrow cannot convert (the per-line path then reads the file).

    The lines of the shape are found by one RE2 match without groups. Where each token
    ends is then found in numpy: the fixed text after a token starts with a character no
    number holds, so the token ends at the first such character after its start (a
    ``searchsorted`` in the sorted positions of that character in the file); the next token
    starts after the fixed text. Shapes whose fixed text starts with a character a number
    may hold use RE2 capture groups instead."""
    k = len(literals) - 1
    if not k:
        return None
    number = f"(?:{_NUM_RE2})"
    whole = "^" + "".join(re.escape(lit) + number for lit in literals[:-1]) + \
        re.escape(literals[-1]) + "$"
    hit = pc.fill_null(pc.match_substring_regex(lines, whole), False)
    rows = np.flatnonzero(np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)[1::2])
    lengths = [len(lit.encode("utf-8")) for lit in literals]
    if all(lit[:1] and lit[0] not in _TOKEN_CHARS for lit in literals[1:]):
        begin = starts[rows] + lengths[0]
        bounds = []
        found: dict[str, np.ndarray] = {}
        for j in range(k):
            c = literals[j + 1][0]
            if c not in found:
                found[c] = np.flatnonzero(raw == ord(c.encode("utf-8")[:1]))
            at = found[c]
            end = at[np.searchsorted(at, begin)]
            bounds.append((begin, end))
            begin = end + lengths[j + 1]
        token = lambda j: bounds[j]  # noqa: E731
        small_int = lambda j: _small_ints(raw, *bounds[j])  # noqa: E731
    else:
        pattern = "^" + "".join(re.escape(lit) + f"(?P<g{j}>{_NUM_RE2})"
                                for j, lit in enumerate(literals[:-1])) + \
            re.escape(literals[-1]) + "$"
        captured = pc.extract_regex(lines.take(pa.array(2 * rows + 1)), pattern)
        token = lambda j: captured.field(f"g{j}")  # noqa: E731
        small_int = lambda j: _small_ints_text(captured.field(f"g{j}"))  # noqa: E731
    ok = np.ones(len(rows), dtype=bool)
    ints = {}
    for name, j in (("e", tpl.epoch), ("b", tpl.batch), ("nb", tpl.n_batches)):
        if j is not None:
            value, fits = small_int(j)
            ok &= fits
            ints[name] = value
    ints = {name: v[ok] for name, v in ints.items()}
    try:
        values = np.empty((int(ok.sum()), len(tpl.values)))
        for c, j in enumerate(tpl.values):
            tok = token(j)
            if isinstance(tok, tuple):  # positions
                b0, b1 = tok if ok.all() else (tok[0][ok], tok[1][ok])
                values[:, c] = numbers(raw, b0, b1, pa.float64())
            else:
                col = tok if ok.all() else tok.filter(pa.array(ok))
                values[:, c] = pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    rows = rows[ok]
    if fmt.step is T._counter:
        step = ints["e"]
    else:
        step = ints["e"] * ints["nb"] + ints["b"]
    return rows, step.astype(np.int64), values


def _small_ints(raw: np.ndarray, begin: np.ndarray, end: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """The tokens ``[begin[i], end[i])`` as int64 when each is 1 to 9 plain digits, and the
    mask of those that are (others: 0; their lines go the per-line way). Plain digits: a
    digit first (no sign) and a token pyarrow reads as an integer (no point, no exponent)."""
    length = end - begin
    first = raw[np.minimum(begin, len(raw) - 1)]
    fits = (length >= 1) & (length <= 9) & (first >= 0x30) & (first <= 0x39)
    value = np.zeros(len(begin), dtype=np.int64)
    if fits.any():
        value[fits] = numbers(raw, begin[fits], end[fits], pa.int64())
    return value, fits


def _small_ints_text(col: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_small_ints` for captured strings."""
    fits = np.asarray(pc.fill_null(pc.match_substring_regex(col, _SMALL_INT), False)
                      .to_numpy(zero_copy_only=False), dtype=bool)
    value = np.zeros(len(col), dtype=np.int64)
    if fits.any():
        value[fits] = pc.cast(col.filter(pa.array(fits)), pa.int64()).to_numpy()
    return value, fits


def _frame(chunks, records) -> pd.DataFrame:
    """Points in file order (line by line, each line's points in order) as a long frame."""
    names: dict[str, int] = {}
    line_parts, step_parts, value_parts, code_parts = [], [], [], []
    for rows, step, values, tags in chunks:
        k = len(tags)
        codes = np.array([names.setdefault(t, len(names)) for t in tags], dtype=np.int32)
        line_parts.append(np.repeat(rows, k))
        step_parts.append(np.repeat(step, k))
        value_parts.append(values.reshape(-1))
        code_parts.append(np.tile(codes, len(rows)))
    if records:
        line_parts.append(np.array([i for i, _, pts in records for _ in pts], dtype=np.int64))
        step_parts.append(np.array([s for _, s, pts in records for _ in pts], dtype=np.int64))
        value_parts.append(np.array([v for _, _, pts in records for _, v in pts],
                                    dtype=np.float64))
        code_parts.append(np.array([names.setdefault(t, len(names))
                                    for _, _, pts in records for t, _ in pts], dtype=np.int32))
    line = np.concatenate(line_parts) if line_parts else np.zeros(0, dtype=np.int64)
    order = np.argsort(line, kind="stable")  # within a line, points keep their order
    cat = list(names)
    codes = np.concatenate(code_parts)[order] if code_parts else np.zeros(0, dtype=np.int32)
    return pd.DataFrame({
        "tag": pd.Categorical.from_codes(codes, categories=pd.Index(cat, dtype=object)),
        "step": np.concatenate(step_parts)[order] if step_parts else np.zeros(0, np.int64),
        "value": np.concatenate(value_parts)[order] if value_parts else np.zeros(0),
    }, copy=False)
