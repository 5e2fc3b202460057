"""Vectorised reading of TensorBoard event files; same rows and errors as the generic decoder.

The generic decoder (:mod:`.tensorboard`) spends several microseconds of Python per record; a
training job writes millions of records that differ only in their wall time, step and value.
This module reads them in bulk with numpy and leaves to the generic decoder every record it
cannot prove to be a plain scalar.

1. **Framing.** The length chain is walked in Python for a few records; when the record sizes
   repeat with a short period (one record per tag per step, as every ``add_scalar`` loop
   writes), the positions of the next records are *predicted* (``pos + k * stride +
   offs[j]``) and their length fields checked at once through a strided view of the file.
   The chain is certain up to the first mismatch, where the Python walk resumes; while
   predictions hold, their size doubles.
2. **Structure.** For each phase ``j`` of a periodic stretch, the first record is decoded as a
   *template* (:func:`_layout`): it must be an Event made of wall_time, step and one Summary
   whose Values are all fixed-width scalars (``simple_value``, ``tensor_content``, packed or
   unpacked ``float_val``/``double_val``). Every record of the phase is then compared with it
   8 bytes at a time, under a mask that hides the wall time, step, value and data-CRC bytes,
   and the step varint's continuation bits are checked, so a matching record is known to
   decode exactly like the template except for those bytes. Up to eight templates are tried
   per phase (two tags of equal length alternating); the rest goes to the generic decoder.
3. **CRCs.** A matching record has the template's length and length CRC (checked once). Its
   data CRC uses the linearity of CRC-32C: for equal-length messages
   ``crc(a) ^ crc(b) = lin(a ^ b)``, ``lin`` being the CRC without its initial and final XOR.
   With ``ref`` = the template with the bytes that vary in the block zeroed,
   ``crc(row) = crc(ref) ^ XOR_c T_c[row[c]]`` over those bytes only (about 10 table
   lookups per record; two adjacent bytes are looked up at once, as a ``uint16``, in
   groups of at least 8,192 records). Records left to the generic decoder are checked with
   ``google_crc32c`` one by one.
4. **Decoding** reads wall time, step and value at their offsets and writes them into the
   output columns. The records of a phase are first copied into a compact matrix (one pass
   over the file's memory; every later pass over a field then hits the cache).

Blocks of 65,536 records are checked and decoded, then written out in order. Errors are the
generic path's: the first bad CRC in file order wins, whatever block it is in, then an Event
that does not decode.
"""

from __future__ import annotations

import mmap
import os
import struct
import threading
from pathlib import Path
from typing import Any

import google_crc32c
import numpy as np

from . import _tfrecord
from ._protobuf import I32, I64, LEN, VARINT, WireError, iter_fields, read_varint
from ._tb_decode import NOT_AN_EVENT, RAW_DTYPES, EventError, FileData, Rows, decode_event
from .base import Damage
from ._tfrecord import FOOTER_SIZE, HEADER_SIZE, RecordError

__all__ = ["read_path", "read_buffer"]

CHUNK = 1 << 16  # records verified and decoded together
_WALK = 32  # records walked in Python before looking for a period
_MAX_PERIOD = 16
_SMALL_GROUP = 4  # fewer equal-length records than this: google_crc32c per record
_MAX_TABLE_LEN = 4096  # longer records: generic decoder, google_crc32c per record
_MAX_TEMPLATES = 8  # templates tried per equal-length group before falling back
_MASK_DELTA = np.uint32(0xA282EAD8)

# ------------------------------------------------------------------------------ CRC tables

_POLY = 0x82F63B78
_TBL = np.zeros(256, dtype=np.uint32)
for _b in range(256):
    _c = _b
    for _ in range(8):
        _c = (_c >> 1) ^ _POLY if _c & 1 else _c >> 1
    _TBL[_b] = _c
_ZEROS: list[np.ndarray] = [_TBL.copy()]  # _ZEROS[m][v]: lin-CRC of byte v then m zero bytes
_ZEROS_LOCK = threading.Lock()  # readers in several threads may grow the list at once


def _zero_tables(m: int) -> list[np.ndarray]:
    if len(_ZEROS) <= m:
        with _ZEROS_LOCK:
            while len(_ZEROS) <= m:
                c = _ZEROS[-1]
                _ZEROS.append(_TBL[c & 0xFF] ^ (c >> 8))
    return _ZEROS


# Two adjacent varying bytes are looked up at once in a table of 65,536 entries (256 KiB,
# ~0.3 ms to build); a table pays for itself after ~20 blocks of CHUNK records, so tables are
# built only for large groups of records, and kept for the process (at most _MAX_PAIRS, 4 MiB;
# the 1 M-event benchmark file needs 14).
_PAIRS: dict[int, np.ndarray] = {}  # _PAIRS[d][lo | hi << 8]: _ZEROS[d][lo] ^ _ZEROS[d - 1][hi]
_MAX_PAIRS = 16
_PAIR_MIN_ROWS = 8192  # fewer records checked at once: one lookup per byte, no table built


def _pair_table(d: int) -> np.ndarray | None:
    """The lin-CRC of two bytes ``lo, hi`` followed by ``d - 1`` zero bytes, indexed by the
    little-endian ``uint16`` they make (``d >= 1``); None when :data:`_MAX_PAIRS` other
    tables are kept already."""
    t = _PAIRS.get(d)
    if t is None and len(_PAIRS) < _MAX_PAIRS:
        z = _zero_tables(d)
        t = (z[d - 1][:, None] ^ z[d][None, :]).ravel()
        with _ZEROS_LOCK:  # readers in several threads may add tables at once
            if len(_PAIRS) < _MAX_PAIRS:
                t = _PAIRS.setdefault(d, t)
            else:
                t = _PAIRS.get(d)
    return t


def _mask(c: np.ndarray) -> np.ndarray:
    c = c.astype(np.uint32, copy=False)
    return ((c >> np.uint32(15)) | (c << np.uint32(17))) + _MASK_DELTA


# ------------------------------------------------------------------------------ entry points

def read_path(path: Path, info: FileData) -> None:
    """Read the event file at ``path`` into ``info`` (memory-mapped, not copied)."""
    with open(path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            return
        flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
        try:
            mm = mmap.mmap(fh.fileno(), 0, flags=flags, prot=mmap.PROT_READ)
        except (AttributeError, TypeError, ValueError, OSError):  # Windows: no flags/prot
            mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        read_buffer(mm, info)
    finally:
        try:
            mm.close()
        except BufferError:  # a view is still alive somewhere; the GC closes it
            pass


def read_buffer(buf: Any, info: FileData) -> None:
    """Frame, check and decode every record of ``buf`` (bytes or mmap) into ``info``.

    Damage is handled as the reference decoder handles it (:mod:`._tfrecord`): the bulk
    reader stops at the first record that fails a check; the records before it are read
    again as a range of their own, the damaged span is skipped with the same
    :func:`._tfrecord.skip_damage`, and reading goes on after it. An undamaged file is read
    in one pass."""
    mv = memoryview(buf)
    parts: list[FileData] = []
    _read_range(mv, 0, info, parts)
    _join_parts(info, parts)


def _read_range(mv: memoryview, a: int, info: FileData, parts: list[FileData],
                end: int | None = None) -> None:
    """Read ``mv[a:end]`` (``end``: the buffer's end) into ``parts``, each a FileData that
    carries on ``info``'s decoding state; damage goes to ``info.damage``."""
    n = len(mv) if end is None else end
    while a < n:
        seg = mv[a:n]
        part = info.carry_state()
        try:
            u8 = np.frombuffer(seg, dtype=np.uint8)
            try:
                _Reader(seg, u8, part).run()
            finally:
                del u8
        except RecordError as exc:  # only where the range runs to the end (see below)
            h = a + exc.offset
            _read_range(mv, a, info, parts, h)  # before it: no bad CRC (the first wins)
            nxt, span, zeros = _tfrecord.skip_damage(mv, h, exc.what)
            if span is None:
                info.truncated_at, info.zero_tail = h, zeros
                return
            info.damage.append(span)
            if nxt is None:
                return
            a = nxt
            continue
        except EventError as exc:
            h = a + exc.offset
            _read_range(mv, a, info, parts, h)
            size = struct.unpack_from("<Q", mv, h)[0] + HEADER_SIZE + FOOTER_SIZE  # CRC held
            info.damage.append(Damage(h, size, 1, NOT_AN_EVENT))
            a = h + size
            continue
        _take_state(info, part)
        parts.append(part)
        if part.truncated_at is not None:
            info.truncated_at = a + part.truncated_at
        return


def _take_state(info: FileData, part: FileData) -> None:
    """``info`` takes over what decoding ``part`` changed (it started from ``info``'s)."""
    info.writer = part.writer
    info.file_version = part.file_version
    info.hparams = part.hparams
    info.session_starts += part.session_starts
    info.purge_steps += part.purge_steps
    info.records += part.records


def _join_parts(info: FileData, parts: list[FileData]) -> None:
    """The rows of ``parts`` (in file order) as ``info``'s columns, tags numbered in order of
    first appearance, as the reference decoder numbers them."""
    info.damage = _tfrecord.merge_damage(info.damage)
    if len(parts) == 1:
        p = parts[0]
        info.tags, info.codes, info.steps, info.values, info.walls = \
            p.tags, p.codes, p.steps, p.values, p.walls
        return
    index: dict[str, int] = {}
    codes = []
    for p in parts:
        remap = np.array([index.setdefault(t, len(index)) for t in p.tags], dtype=np.int32)
        codes.append(remap[p.codes] if len(p.codes) else p.codes.astype(np.int32))
    info.tags = list(index)
    info.codes = np.concatenate(codes) if codes else np.zeros(0, np.int32)
    for name in ("steps", "values", "walls"):
        setattr(info, name, np.concatenate([getattr(p, name) for p in parts]) if parts
                else getattr(info, name))


# ------------------------------------------------------------------------------ framing

class _Walked:
    """Records found one by one: header positions and data lengths (lists while the walk
    adds to them, int64 arrays once :meth:`close` is called)."""

    __slots__ = ("heads", "lens")

    def __init__(self, heads: list[int], lens: list[int]) -> None:
        self.heads: Any = heads
        self.lens: Any = lens

    def __len__(self) -> int:
        return len(self.heads)

    def close(self) -> None:
        self.heads = np.asarray(self.heads, dtype=np.int64)
        self.lens = np.asarray(self.lens, dtype=np.int64)

    def head(self, r: int) -> int:
        return int(self.heads[r])

    def length(self, r: int) -> int:
        return int(self.lens[r])


class _Segment:
    """``cycles`` repetitions of ``period`` records of lengths ``lens`` from byte ``pos``:
    record ``k * period + j`` starts at ``pos + k * stride + offs[j]``."""

    __slots__ = ("pos", "stride", "lens", "offs", "cycles", "period")

    def __init__(self, pos: int, lens: list[int], cycles: int) -> None:
        sizes = [x + HEADER_SIZE + FOOTER_SIZE for x in lens]
        self.pos = pos
        self.lens = lens
        self.period = len(lens)
        self.stride = sum(sizes)
        self.offs = [sum(sizes[:j]) for j in range(len(lens))]
        self.cycles = cycles

    def __len__(self) -> int:
        return self.cycles * self.period

    def head(self, r: int) -> int:
        k, j = divmod(r, self.period)
        return self.pos + k * self.stride + self.offs[j]

    def length(self, r: int) -> int:
        return self.lens[r % self.period]


class _Framing:
    """Find every record: Python steps along the length chain, numpy checks predictions."""

    def __init__(self, buf: Any, u8: np.ndarray) -> None:
        self.buf = buf
        self.u8 = u8
        self.n = len(u8)
        self.truncated_at: int | None = None
        self.bad_length_crc: int | None = None  # header position of a bad-CRC final record

    def walk(self) -> list[_Walked | _Segment]:
        n = self.n
        buf = self.buf
        items: list[_Walked | _Segment] = []
        pos = 0
        budget = 1024  # records predicted per check, doubled while predictions hold
        unpack = struct.unpack_from
        pattern: list[int] | None = None  # record lengths of one cycle, while predictions hold
        while pos < n:
            if pattern is None:
                heads: list[int] = []
                lens: list[int] = []
                for _ in range(_WALK):
                    if pos >= n:
                        break
                    if n - pos < HEADER_SIZE:
                        self.truncated_at = pos
                        break
                    length = unpack("<Q", buf, pos)[0]
                    if length > n - pos - HEADER_SIZE - FOOTER_SIZE:
                        stored = unpack("<I", buf, pos + 8)[0]
                        if _tfrecord.masked_crc32c(bytes(buf[pos:pos + 8])) != stored:
                            self.bad_length_crc = pos
                        else:
                            self.truncated_at = pos
                        break
                    heads.append(pos)
                    lens.append(length)
                    pos += length + HEADER_SIZE + FOOTER_SIZE
                if heads:
                    last = items[-1] if items else None
                    if isinstance(last, _Walked) and isinstance(last.heads, list) \
                            and len(last) < CHUNK:
                        last.heads += heads
                        last.lens += lens
                    else:
                        if isinstance(last, _Walked):
                            last.close()
                        items.append(_Walked(heads, lens))
                if self.truncated_at is not None or self.bad_length_crc is not None or pos >= n:
                    break
                period = _period(lens)
                if period is None:
                    continue
                pattern = lens[-period:]
                budget = 1024
            period = len(pattern)
            seg = _Segment(pos, pattern, 0)
            cycles = min((n - pos) // seg.stride, max(1, budget // period))
            if cycles < 2:
                pattern = None
                continue
            first_bad = cycles * period
            for j in range(period):
                # the length fields of phase j: pos + offs[j] + k * stride, k < cycles
                got = np.ndarray((cycles,), dtype="<u8", buffer=buf, offset=pos + seg.offs[j],
                                 strides=(seg.stride,))
                bad = np.flatnonzero(got != seg.lens[j])
                if len(bad):
                    first_bad = min(first_bad, int(bad[0]) * period + j)
            full = first_bad // period
            if full:
                seg.cycles = full
                items.append(seg)
                pos += full * seg.stride
            if first_bad == cycles * period:
                budget *= 2
            else:
                pattern = None  # the rest of the cycle is walked again in Python
        for item in items:
            if isinstance(item, _Walked):
                item.close()
        return items


def _period(lens: list[int]) -> int | None:
    """The shortest period (<= 16) of the record lengths just walked, seen twice at least."""
    m = len(lens)
    for p in range(1, min(_MAX_PERIOD, m // 2) + 1):
        if all(lens[i] == lens[i - p] for i in range(p, m)):
            return p
    return None


# ------------------------------------------------------------------------------ templates

class _Layout:
    """Where a plain scalar record keeps its variable bytes (offsets into the Event)."""

    __slots__ = ("wall", "step", "step_w", "values")

    def __init__(self) -> None:
        self.wall: int | None = None
        self.step: int | None = None
        self.step_w = 0
        self.values: list[tuple[str, int, str]] = []  # (tag, offset, numpy dtype)

    def variable(self) -> list[int]:
        cols: list[int] = []
        if self.wall is not None:
            cols += range(self.wall, self.wall + 8)
        if self.step is not None:
            cols += range(self.step, self.step + self.step_w)
        for _, off, dtype in self.values:
            cols += range(off, off + np.dtype(dtype).itemsize)
        return cols


def _layout(rec: bytes) -> _Layout | None:
    """The layout of ``rec`` when it is an Event (wall_time, step, summary and nothing else)
    whose Summary.Values are all fixed-width scalars the generic decoder would read the same
    way; else None (the generic decoder reads the record)."""
    lay = _Layout()
    seen: set[int] = set()
    summary = None
    try:
        pos, n = 0, len(rec)
        while pos < n:
            key, p = read_varint(rec, pos, n)
            f, wt = key >> 3, key & 7
            if f in seen:
                return None
            seen.add(f)
            if f == 1 and wt == I64 and p + 8 <= n:
                lay.wall, pos = p, p + 8
            elif f == 2 and wt == VARINT:
                _, pos = read_varint(rec, p, n)
                lay.step, lay.step_w = p, pos - p
            elif f == 5 and wt == LEN:
                size, p = read_varint(rec, p, n)
                if p + size > n:
                    return None
                summary, pos = (p, p + size), p + size
            else:
                return None
        if summary is None or (lay.step is not None and lay.step_w > 9):
            return None  # no summary, or a negative step: generic decoder
        for f, wt, a, b in iter_fields(rec, *summary):
            if f != 1 or wt != LEN:
                return None
            value = _value_layout(rec, a, b)
            if value is None:
                return None
            lay.values.append(value)
        return lay if lay.values else None
    except (WireError, UnicodeError):
        return None


def _value_layout(rec: bytes, s: int, e: int) -> tuple[str, int, str] | None:
    tag = ""
    spot: tuple[int, str] | None = None
    tensor = None
    plugin_ok = True
    fields: set[int] = set()
    for f, wt, a, b in iter_fields(rec, s, e):
        if f in fields:
            return None
        fields.add(f)
        if f == 1 and wt == LEN:
            tag = rec[a:b].decode("utf-8")
        elif f == 2 and wt == I32:
            spot = (a, "<f4")
        elif f == 8 and wt == LEN:
            tensor = (a, b)
        elif f == 9 and wt == LEN:
            plugin_ok = _plugin_is_scalars(rec, a, b)
        elif f == 7 and wt == LEN:
            pass  # node_name (CatBoost writes it): ignored, as the generic decoder does
        else:
            return None
    if not plugin_ok or (spot is not None and tensor is not None):
        return None
    if tensor is not None:
        spot = _tensor_layout(rec, tensor)
    if spot is None:
        return None
    return tag, spot[0], spot[1]


def _plugin_is_scalars(rec: bytes, s: int, e: int) -> bool:
    names = []
    for f, wt, a, b in iter_fields(rec, s, e):
        if f == 1 and wt == LEN:
            for f2, wt2, a2, b2 in iter_fields(rec, a, b):
                if f2 == 1 and wt2 == LEN:
                    names.append(rec[a2:b2])
                elif not (f2 == 2 and wt2 == LEN):
                    return False
        else:
            return False
    return names in ([b"scalars"], [b""], [])


def _tensor_layout(rec: bytes, tensor: tuple[int, int]) -> tuple[int, str] | None:
    dtype = 0
    spot = None
    elements = 1
    seen: set[int] = set()
    for f, wt, a, b in iter_fields(rec, *tensor):
        if f in seen:
            return None
        seen.add(f)
        if f == 1 and wt == VARINT:
            dtype = a
        elif f == 2 and wt == LEN:
            for f2, wt2, a2, b2 in iter_fields(rec, a, b):
                if f2 != 2 or wt2 != LEN:
                    return None
                size = None
                for f3, wt3, a3, _ in iter_fields(rec, a2, b2):
                    if f3 == 1 and wt3 == VARINT:
                        size = a3
                if size is None:
                    return None
                elements *= size
        elif spot is not None and f in (4, 5, 6):
            return None  # more than one place holds values: leave it to the generic decoder
        elif f == 4 and wt == LEN:
            spot = ("content", a, b - a)
        elif f == 5 and wt in (I32, LEN):
            spot = ("float_val", a, 4 if wt == I32 else b - a)
        elif f == 6 and wt in (I64, LEN):
            spot = ("double_val", a, 8 if wt == I64 else b - a)
        else:
            return None
    if elements != 1 or spot is None:
        return None
    kind, pos, width = spot
    if kind == "content":
        np_dtype = RAW_DTYPES.get(dtype)
    elif kind == "float_val":
        np_dtype = "<f4" if dtype == 1 else None
    else:
        np_dtype = "<f8" if dtype == 2 else None
    if np_dtype is None or np.dtype(np_dtype).itemsize != width:
        return None
    return pos, np_dtype


# ------------------------------------------------------------------------------ the reader

class _Fast:
    """Rows decoded in bulk, one per value of ``count`` block records: ``rec`` (indices), or,
    when ``stride`` > 0, the records ``first + stride * arange(count)`` (``rec`` is None)."""

    __slots__ = ("rec", "codes", "steps", "walls", "values", "stride", "first", "count")

    def __init__(self, rec, codes, steps, walls, values, stride, first, count) -> None:
        self.rec = rec
        self.codes = codes
        self.steps = steps
        self.walls = walls
        self.values = values
        self.stride = stride
        self.first = first
        self.count = count

    def records(self) -> np.ndarray:
        if self.rec is None:
            return self.first + self.stride * np.arange(self.count, dtype=np.int64)
        return self.rec


class _Plan:
    """A layout turned into word masks and CRC tables for records of one length.

    Offsets count from the record's first header byte. The structure check compares 8-byte
    words (the last one may overlap the one before, so that no read runs past the record)
    under a mask that hides the wall time, step, value and data-CRC bytes."""

    def __init__(self, lay: _Layout, tpl: bytes, length: int) -> None:
        self.lay = lay
        size = length + HEADER_SIZE + FOOTER_SIZE
        cols = [HEADER_SIZE + c for c in lay.variable()]
        mask = np.zeros(size, dtype=np.uint8)
        mask[:HEADER_SIZE + length] = 0xFF
        mask[cols] = 0
        t = np.frombuffer(tpl, dtype=np.uint8)
        starts = list(range(0, size - 7, 8))
        if size % 8:
            starts.append(size - 8)
        self.words: list[tuple[int, int, int]] = []  # (offset, mask, masked template word)
        for o in starts:
            m = int(mask[o:o + 8].view("<u8")[0])
            if o == 0 and m == (1 << 64) - 1:
                continue  # the length field: the framing checked it is the same in every row
            if m:
                self.words.append((o, m, int(t[o:o + 8].view("<u8")[0]) & m))
        self.var_cols = cols
        # variable fields (offset, width) and the CRC table of each byte at its place
        self.fields: list[tuple[int, int]] = []
        if lay.wall is not None:
            self.fields.append((HEADER_SIZE + lay.wall, 8))
        if lay.step is not None:
            self.fields.append((HEADER_SIZE + lay.step, lay.step_w))
        for _, off, dtype in lay.values:
            self.fields.append((HEADER_SIZE + off, np.dtype(dtype).itemsize))
        zeros = _zero_tables(length)
        self.tables = {c: zeros[length - 1 - (c - HEADER_SIZE)] for c in cols}
        self.step_cols: list[tuple[int, bool]] = []  # (offset, continuation bit expected)
        self.step_word: tuple[int, int, int] | None = None  # (offset, mask, want) as uint32
        if lay.step is not None:
            c = HEADER_SIZE + lay.step
            self.step_cols = [(c + b, b < lay.step_w - 1) for b in range(lay.step_w)]
            if lay.step_w <= 4:  # a uint32 read stays inside the record (the data CRC follows)
                self.step_word = (c, sum(0x80 << 8 * b for b in range(lay.step_w)),
                                  sum(0x80 << 8 * b for b in range(lay.step_w - 1)))

    def matches(self, tpl: bytes) -> bool:
        """Whether another template has this plan's structure."""
        t = np.frombuffer(tpl, dtype=np.uint8)
        return all(int(t[o:o + 8].view("<u8")[0]) & m == w for o, m, w in self.words) and \
            all((t[c] >= 0x80) == cont for c, cont in self.step_cols)


class _Reader:
    def __init__(self, buf: Any, u8: np.ndarray, info: FileData) -> None:
        self.buf = buf
        self.u8 = u8
        self.info = info
        self.rows = Rows()
        self.plans: dict[int, list[_Plan]] = {}
        self._shifted: dict[str, np.ndarray] = {}
        self.error: Exception | None = None  # first Event that did not decode (deferred)

    def run(self) -> None:
        framing = _Framing(self.buf, self.u8)
        items = framing.walk()
        total = sum(len(it) for it in items)
        cap = total + 16
        self.codes = np.empty(cap, dtype=np.int32)
        self.steps = np.empty(cap, dtype=np.int64)
        self.values = np.empty(cap, dtype=np.float64)
        self.walls = np.empty(cap, dtype=np.float64)
        self.out = 0
        tasks: list[tuple[int, Any, int, int]] = []  # (first record, item, k0, k1)
        rec = 0
        for item in items:
            if isinstance(item, _Walked):
                tasks.append((rec, item, 0, 0))
            else:
                per = max(1, CHUNK // item.period)
                for k0 in range(0, item.cycles, per):
                    tasks.append((rec + k0 * item.period, item, k0, min(item.cycles, k0 + per)))
            rec += len(item)
        # Checking and decoding (_prepare) is separate from writing rows in order (_block).
        # Running _prepare on two threads was measured and gave nothing on a shared 2-core
        # machine (many short numpy calls contend for the GIL), so it runs inline; measured
        # again on 2026-12-06 with a second thread copying records or allocating the output
        # ahead instead: no wall time either (docs/scale.md, TensorBoard).
        for task in tasks:
            result = self._prepare(task)
            first, item, k0, k1 = task
            fast, slow, bad = result
            base = k0 * item.period if isinstance(item, _Segment) else 0
            n_records = (k1 - k0) * item.period if isinstance(item, _Segment) else len(item)
            heads = [item.head(base + r) for r in slow]
            lens = [item.length(base + r) for r in slow]
            self._block(first, heads, lens, slow, fast, n_records=n_records, fast_bad=bad,
                        head_of=lambda r, item=item, base=base: item.head(base + r))
        if framing.bad_length_crc is not None:
            raise RecordError(total, framing.bad_length_crc, "length CRC")
        if self.error is not None:
            raise self.error
        info = self.info
        info.records += total
        info.truncated_at = framing.truncated_at
        k = self.out
        info.tags = _first_appearance(self.codes[:k], self.rows.tags)
        info.codes = self.codes[:k]
        info.steps = self.steps[:k]
        info.values = self.values[:k]
        info.walls = self.walls[:k]

    # -------------------------------------------------------------- check and decode in bulk
    def _prepare(self, task: tuple[int, Any, int, int]):
        """Check and decode in bulk what can be (nothing is written to the output).

        Returns (fast rows, slow block indices, first block index with a bad data CRC or
        the block size)."""
        _, item, k0, k1 = task
        fast: list[_Fast] = []
        if isinstance(item, _Walked):
            n = len(item)
            slow_mask = np.zeros(n, dtype=bool)
            bad = n
            lengths, inverse = np.unique(item.lens, return_inverse=True)
            for gi, length in enumerate(lengths.tolist()):
                idx = np.flatnonzero(inverse == gi)
                if len(idx) < _SMALL_GROUP:
                    slow_mask[idx] = True
                    continue
                heads = item.heads[idx]
                left, bad_row = self._templates(
                    self._gathered(heads), lambda row, heads=heads: int(heads[row]), len(idx),
                    length, lambda rows, idx=idx: idx[rows], 0, fast)
                bad = min(bad, bad_row)
                slow_mask[idx[left]] = True
            return fast, np.flatnonzero(slow_mask).tolist(), bad
        kc = k1 - k0
        period = item.period
        slow_mask = np.zeros(kc * period, dtype=bool)
        bad = kc * period
        for j in range(period):
            start = item.pos + k0 * item.stride + item.offs[j]
            left, bad_row = self._templates(
                self._strided(start, item.stride, kc, item.lens[j] + HEADER_SIZE + FOOTER_SIZE),
                lambda row, start=start: start + row * item.stride, kc, item.lens[j],
                lambda rows, j=j: rows * period + j, period, fast)
            bad = min(bad, bad_row)
            slow_mask[left * period + j] = True
        return fast, np.flatnonzero(slow_mask).tolist(), bad

    def _strided(self, start: int, stride: int, kc: int, size: int):
        """Columns of ``kc`` records of ``size`` bytes, ``stride`` bytes apart: the records
        are copied once into a compact matrix (rows padded to 8 bytes, so the structure
        words are aligned) and every field is read from there, in cache, instead of
        touching the file's cache lines once per field."""
        width = (size + 7) & ~7
        mat = np.empty((kc, width), dtype=np.uint8)
        # a record per element (a void dtype of the record's size): one strided copy of kc
        # elements instead of kc copies of a row of bytes
        rec = np.dtype(f"V{size}")
        np.copyto(np.ndarray((kc,), dtype=rec, buffer=mat, strides=(width,)),
                  np.ndarray((kc,), dtype=rec, buffer=self.buf, offset=start,
                             strides=(stride,)))

        def column(offset: int, dtype: str, sel: Any = None) -> np.ndarray:
            view = np.ndarray((kc,), dtype=dtype, buffer=mat, offset=offset, strides=(width,))
            return view if sel is None else view[sel]
        return column

    def _gathered(self, heads: np.ndarray):
        """Columns of records at arbitrary ``heads``: gathers from a view of the file in
        which element ``i`` is the value starting at byte ``i``."""
        def column(offset: int, dtype: str, sel: Any = None) -> np.ndarray:
            shifted = self._shifted.get(dtype)
            if shifted is None:
                size = np.dtype(dtype).itemsize
                shifted = np.ndarray((len(self.u8) - size + 1,), dtype=dtype, buffer=self.buf,
                                     offset=0, strides=(1,))
                self._shifted[dtype] = shifted
            return shifted[(heads if sel is None else heads[sel]) + offset]
        return column

    def _templates(self, column, head_of, n: int, length: int, rec_of, period: int,
                   fast: list[_Fast]) -> tuple[np.ndarray, int]:
        """Decode the ``n`` equal-length records that ``column`` reads (row ``i``'s header at
        ``head_of(i)``), template after template. Returns the rows left to the generic
        decoder and the first block index (``rec_of``) with a bad data CRC, or a big number."""
        left = np.arange(n)
        bad = np.iinfo(np.int64).max
        for _ in range(_MAX_TEMPLATES):
            if len(left) < _SMALL_GROUP:
                break
            done, bad_row = self._template(column, head_of(int(left[0])), n, left, length,
                                           rec_of, period, fast)
            if bad_row is not None:
                bad = min(bad, bad_row)
            left = left[~done]
        return left, bad

    def _plan(self, tpl: bytes, length: int) -> _Plan | None:
        """The decoding plan for records shaped like ``tpl`` (cached per record length)."""
        if length > _MAX_TABLE_LEN:
            return None  # a scalar record is never this long: leave it to the generic path
        cached = self.plans.setdefault(length, [])
        for plan in cached:
            if plan.matches(tpl):
                return plan
        lay = _layout(tpl[HEADER_SIZE:HEADER_SIZE + length])
        if lay is None:
            return None
        plan = _Plan(lay, tpl, length)
        if len(cached) < _MAX_TEMPLATES:
            cached.append(plan)
        return plan

    def _template(self, column, t0: int, kc: int, left: np.ndarray, length: int, rec_of,
                  period: int, fast: list[_Fast]) -> tuple[np.ndarray, int | None]:
        """Decode the records ``left`` (of ``kc`` equal-length records read by ``column``)
        that share the layout of the first of them, whose header is at byte ``t0``.

        Returns which of ``left`` were decoded and the first record (block index, from
        ``rec_of``) whose data CRC is wrong, if any."""
        none = np.zeros(len(left), dtype=bool)
        size = length + HEADER_SIZE + FOOTER_SIZE
        tpl = bytes(self.buf[t0:t0 + size])
        plan = self._plan(tpl, length)
        if plan is None:
            return none, None
        # the template's own CRCs, checked the slow way (then shared by every matching row)
        data = tpl[HEADER_SIZE:HEADER_SIZE + length]
        crc0 = google_crc32c.value(data)
        len_crc, = struct.unpack_from("<I", tpl, 8)
        data_crc, = struct.unpack_from("<I", tpl, HEADER_SIZE + length)
        if (_tfrecord.masked_crc32c(tpl[:8]) != len_crc or _tfrecord._mask(crc0) != data_crc):
            return none, None  # the slow path reports it
        whole = len(left) == kc
        sel = None if whole else left
        # structure: every byte but wall time, step, value and data CRC equals the template's
        acc = np.zeros(len(left), dtype=np.uint64)
        tmp = np.empty(len(left), dtype=np.uint64)
        for o, m, w in plan.words:
            np.bitwise_xor(column(o, "<u8", sel), np.uint64(w), out=tmp)
            tmp &= np.uint64(m)
            acc |= tmp
        del tmp
        match = acc == 0
        if plan.step_word is not None:
            c, m, w = plan.step_word
            step_raw = column(c, "<u4", sel)
            match &= (step_raw & np.uint32(m)) == np.uint32(w)
        else:
            for c, cont in plan.step_cols:
                b = column(c, "u1", sel)
                match &= (b >= 0x80) if cont else (b < 0x80)
        rows = np.flatnonzero(match)
        if len(rows) == len(left):
            pick = sel  # every candidate matched
        else:
            pick = rows if whole else left[rows]
        # data CRCs by linearity: crc(row) = crc(ref) ^ lin(row ^ ref), where ref is the
        # template with its variable bytes zeroed, so row ^ ref is just the variable bytes
        # Only the bytes that vary within this block need a lookup; constant ones stay in ref.
        varying: list[int] = []
        for off, width in plan.fields:
            if width == 1:
                varying.append(off)
                continue
            dtype = "<u4" if width <= 4 else "<u8"
            mine = int.from_bytes(tpl[off:off + (4 if width <= 4 else 8)], "little")
            col = column(off, dtype, pick)
            diff = int(np.bitwise_or.reduce(col ^ col.dtype.type(mine))) if len(col) else 0
            varying += [off + b for b in range(min(width, 8)) if (diff >> (8 * b)) & 0xFF]
            # a 9- or 10-byte step varint (steps >= 2**56): the bytes past the 8 compared
            # above are taken as varying
            varying += [off + b for b in range(8, width)]
        ref = bytearray(data)
        for c in varying:
            ref[c - HEADER_SIZE] = 0
        lin = np.full(len(rows), google_crc32c.value(bytes(ref)), dtype=np.uint32)
        part = np.empty(len(rows), dtype=np.uint32)
        idx = np.empty(len(rows), dtype=np.intp)  # take's index type: cast once, in place
        varying.sort()
        pairs = len(rows) >= _PAIR_MIN_ROWS
        i = 0
        while i < len(varying):  # two adjacent bytes by one lookup where a table is at hand
            c = varying[i]
            table = None
            if pairs and i + 1 < len(varying) and varying[i + 1] == c + 1:
                table = _pair_table(length - 1 - (c - HEADER_SIZE))
            if table is None:
                np.copyto(idx, column(c, "u1", pick), casting="unsafe")
                np.take(plan.tables[c], idx, out=part)
                i += 1
            else:
                np.copyto(idx, column(c, "<u2", pick), casting="unsafe")
                np.take(table, idx, out=part)
                i += 2
            lin ^= part
        del part, idx
        footer = column(HEADER_SIZE + length, "<u4", pick)
        wrong = np.flatnonzero(_mask(lin) != footer)
        arithmetic = whole and len(rows) == kc and period > 0
        rec = None if arithmetic else rec_of(rows if whole else left[rows])
        if len(wrong):
            bad_row = int(rec_of(wrong[:1])[0] if arithmetic else rec[wrong[0]])
        else:
            bad_row = None
        # decode at fixed offsets (views of the file until they are copied to the output)
        lay = plan.lay
        if lay.step is None:
            steps = np.zeros(len(rows), dtype=np.int64)
        elif plan.step_word is not None:
            raw = step_raw if pick is sel else column(plan.step_word[0], "<u4", pick)
            acc32 = raw & np.uint32(0x7F)
            for b in range(1, lay.step_w):  # 7 bits from each byte of the varint
                acc32 |= (raw >> np.uint32(b)) & np.uint32(0x7F << (7 * b))
            steps = acc32  # uint32 (< 2**28): widened when copied to the output
        else:
            c = HEADER_SIZE + lay.step
            steps = (column(c, "u1", pick) & 0x7F).astype(np.int64)
            for b in range(1, lay.step_w):
                steps |= (column(c + b, "u1", pick).astype(np.int64) & 0x7F) << (7 * b)
        if lay.wall is None:
            walls = np.full(len(rows), np.nan)
        else:
            walls = np.array(column(HEADER_SIZE + lay.wall, "<f8", pick))  # compact copy
        codes, values = [], []
        for tag, off, dtype in lay.values:
            codes.append(self.rows.code(self.info.prefix + tag))
            values.append(np.array(column(HEADER_SIZE + off, dtype, pick)))
        if arithmetic:  # rows 0..kc-1 are block records first, first + period, ...
            fast.append(_Fast(None, codes, steps, walls, values, period,
                              int(rec_of(np.zeros(1, dtype=np.int64))[0]), kc))
        else:
            fast.append(_Fast(rec, codes, steps, walls, values, 0, 0, len(rec)))
        done = np.zeros(len(left), dtype=bool)
        done[rows] = True
        return done, bad_row

    # -------------------------------------------------------------- emit a block
    def _block(self, first: int, heads: list[int], lens: list[int], slow: list[int],
               fast: list[_Fast], *, n_records: int, fast_bad: int, head_of: Any) -> None:
        """Check the slow records' CRCs, decode them, and write the block's rows in order.

        The block holds ``n_records`` records from record ``first`` of the file; ``slow``
        are the block indices of the records left to the generic decoder, whose headers are
        at ``heads`` and data lengths ``lens``; ``fast_bad`` is the first block index whose
        data CRC failed in bulk (``n_records`` if none); ``head_of(i)`` is record i's header."""
        bad = min(fast_bad, n_records)
        bad_what = "data CRC"
        buf = self.buf
        records: list[bytes] = []
        for r, head, ln in zip(slow, heads, lens):
            if r >= bad:
                break
            stored_len_crc, = struct.unpack_from("<I", buf, head + 8)
            if _tfrecord.masked_crc32c(bytes(buf[head:head + 8])) != stored_len_crc:
                bad, bad_what = r, "length CRC"
                break
            data = bytes(buf[head + HEADER_SIZE:head + HEADER_SIZE + ln])
            stored, = struct.unpack_from("<I", buf, head + HEADER_SIZE + ln)
            if _tfrecord.masked_crc32c(data) != stored:
                bad, bad_what = r, "data CRC"
                break
            records.append(data)
        if bad < n_records:
            head = heads[slow.index(bad)] if bad in slow else head_of(bad)
            raise RecordError(first + bad, int(head), bad_what)
        if self.error is not None:
            return  # an Event did not decode: from here on only the CRCs matter
        # decode the slow records generically, in order
        counts = np.zeros(n_records, dtype=np.int64)
        extra: dict[int, Any] = {}
        for r, head, data in zip(slow, heads, records):
            tmp = Rows()
            tmp.tag_index = self.rows.tag_index
            tmp.tags = self.rows.tags
            try:
                decode_event(memoryview(data), 0, len(data), tmp, self.info)
            except (WireError, struct.error, UnicodeError) as exc:
                self.error = EventError(
                    f"record {first + r} at byte offset {head} has valid CRCs but is not a "
                    f"TensorBoard Event ({exc})", offset=int(head))
                return
            if tmp.codes:
                counts[r] = len(tmp.codes)
                extra[r] = tmp
        for f in fast:
            counts[f.records()] = len(f.values)
        n_rows = int(counts.sum())
        self._ensure(self.out + n_rows)
        if not extra and n_rows == n_records and all(len(f.values) == 1 for f in fast):
            for f in fast:  # every record is one fast row: row r of the block is record r
                if not f.count:
                    continue
                if f.rec is None:
                    lo = self.out + f.first
                    pos = slice(lo, lo + f.stride * (f.count - 1) + 1, f.stride)
                else:
                    pos = self.out + f.rec
                self.codes[pos] = f.codes[0]
                self.steps[pos] = f.steps
                self.walls[pos] = f.walls
                self.values[pos] = f.values[0]
        else:
            offsets = self.out + np.cumsum(counts) - counts
            for f in fast:
                base = offsets[f.records()]
                for v, (code, vals) in enumerate(zip(f.codes, f.values)):
                    pos = base + v
                    self.codes[pos] = code
                    self.steps[pos] = f.steps
                    self.walls[pos] = f.walls
                    self.values[pos] = vals
            for r, tmp in extra.items():
                o = int(offsets[r])
                m = len(tmp.codes)
                self.codes[o:o + m] = tmp.codes
                self.steps[o:o + m] = tmp.steps
                self.values[o:o + m] = tmp.values
                self.walls[o:o + m] = tmp.walls
        self.out += n_rows

    def _ensure(self, need: int) -> None:
        cap = len(self.steps)
        if need <= cap:
            return
        new = max(need, cap + cap // 2)
        for name in ("codes", "steps", "values", "walls"):
            arr = getattr(self, name)
            grown = np.empty(new, dtype=arr.dtype)
            grown[:self.out] = arr[:self.out]
            setattr(self, name, grown)


def _first_appearance(codes: np.ndarray, tags: list[str]) -> list[str]:
    """Renumber ``codes`` in place so that tags are numbered in order of first appearance
    (as the generic decoder numbers them); return the reordered tag list."""
    n_tags = len(tags)
    if n_tags < 2:
        return list(tags)
    none = np.iinfo(np.int64).max
    first = np.full(n_tags, none, dtype=np.int64)
    found = 0
    for c0 in range(0, len(codes), CHUNK):
        part = codes[c0:c0 + CHUNK]
        uniq, pos = np.unique(part, return_index=True)
        new = first[uniq] == none
        first[uniq[new]] = pos[new] + c0
        found += int(new.sum())
        if found == n_tags:
            break
    order = np.argsort(first, kind="stable")
    if (order == np.arange(n_tags)).all():
        return list(tags)
    perm = np.empty(n_tags, dtype=np.int32)
    perm[order] = np.arange(n_tags, dtype=np.int32)
    codes[:] = perm[codes]
    return [tags[i] for i in order]
