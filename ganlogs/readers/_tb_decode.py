"""TensorBoard Event decoding shared by the reference reader and the fast reader.

:mod:`.tensorboard` (the reader, and the reference per-record decoder's driver) and
:mod:`._tb_fast` (the vectorised decoder) both import from here; neither imports the other's
private names, so there is no import cycle. What lives here:

* :class:`FileData`: what one event file holds (scalar rows as columns, writer, restarts,
  hparams, truncation and damage), filled by either decoder;
* :class:`Rows`: growable columns the per-record decoder appends to;
* :func:`decode_event`: the reference decoder of one ``Event`` message; the fast path must
  agree with it on every record;
* the TensorProto dtype tables (:data:`NUMERIC`, :data:`RAW_DTYPES`).

Field numbers: ``docs/formats.md``, section "TensorBoard event files".
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._protobuf import I32, I64, LEN, VARINT, WireError, iter_fields, read_varint, signed64
from .base import Damage

__all__ = ["DT_FLOAT", "DT_DOUBLE", "DT_INT32", "DT_INT64", "DT_BFLOAT16", "DT_HALF", "NUMERIC",
           "RAW_DTYPES", "SESSION_START", "EventError", "NOT_AN_EVENT", "FileData", "Rows",
           "decode_event"]

_D = struct.Struct("<d")
_F = struct.Struct("<f")

# TensorProto dtypes ganlogs reads as scalars -> (numpy dtype of tensor_content, *_val field)
DT_FLOAT, DT_DOUBLE, DT_INT32, DT_INT64, DT_BFLOAT16, DT_HALF = 1, 2, 3, 9, 14, 19
NUMERIC: dict[int, tuple[str | None, int]] = {
    DT_FLOAT: ("<f4", 5),
    DT_DOUBLE: ("<f8", 6),
    DT_INT32: ("<i4", 7),
    DT_INT64: ("<i8", 10),
    DT_HALF: ("<f2", 13),
    DT_BFLOAT16: (None, 13),
}
SESSION_START = 1

#: dtype -> numpy dtype of a one-element ``tensor_content`` (bfloat16 has no numpy dtype and is
#: widened by hand); the fast reader's table, derived so the two never disagree
RAW_DTYPES: dict[int, str] = {dt: np_dtype for dt, (np_dtype, _) in NUMERIC.items() if np_dtype}


class EventError(ValueError):
    """A record whose CRCs are fine but whose bytes are not a valid Event; ``offset`` is the
    byte offset of its header (the readers skip it as damage)."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.offset = offset


#: the reason given for a record whose CRCs hold but whose bytes are not an Event
NOT_AN_EVENT = "valid CRCs but not a TensorBoard Event"


# ============================================================================ per-file result

@dataclass
class FileData:
    """What one event file holds: scalar rows plus what the reader noticed."""

    rel: str  # path relative to the run directory, posix
    prefix: str  # "<subdir>/" or ""
    tags: list[str] = field(default_factory=list)  # tag names, codes index into this
    codes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    steps: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    values: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    walls: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    records: int = 0
    writer: str | None = None
    file_version: str | None = None
    session_starts: list[int] = field(default_factory=list)
    purge_steps: list[int] = field(default_factory=list)
    hparams: dict[str, Any] = field(default_factory=dict)
    truncated_at: int | None = None
    zero_tail: int = 0  # bytes of an all-zero tail at truncated_at (0: none)
    damage: list[Damage] = field(default_factory=list)  # skipped spans, in file order
    error: str | None = None  # the whole file could not be read (the run keeps the others)

    def carry_state(self) -> "FileData":
        """An empty FileData that continues this one's decoding state (writer, first
        file_version, hparams): a later part of the same file is decoded into it."""
        return FileData(rel=self.rel, prefix=self.prefix, writer=self.writer,
                        file_version=self.file_version, hparams=dict(self.hparams))

    def snapshot(self) -> tuple:
        """The decoding state one record may change, for :meth:`restore`."""
        return (self.writer, self.file_version, len(self.session_starts),
                len(self.purge_steps), dict(self.hparams) if self.hparams else None)

    def restore(self, snap: tuple) -> None:
        """Undo what a record that failed to decode changed (see :meth:`snapshot`)."""
        self.writer, self.file_version, starts, purges, hparams = snap
        del self.session_starts[starts:]
        del self.purge_steps[purges:]
        self.hparams.clear()
        if hparams:
            self.hparams.update(hparams)


class Rows:
    """Growable columns for the generic decoder."""

    __slots__ = ("tag_index", "tags", "codes", "steps", "values", "walls")

    def __init__(self) -> None:
        self.tag_index: dict[str, int] = {}
        self.tags: list[str] = []
        self.codes: list[int] = []
        self.steps: list[int] = []
        self.values: list[float] = []
        self.walls: list[float] = []

    def code(self, tag: str) -> int:
        c = self.tag_index.get(tag)
        if c is None:
            c = self.tag_index[tag] = len(self.tags)
            self.tags.append(tag)
        return c

    def add(self, tag: str, step: int, value: float, wall: float) -> None:
        self.codes.append(self.code(tag))
        self.steps.append(step)
        self.values.append(value)
        self.walls.append(wall)

    def mark(self) -> tuple[int, int]:
        """How many rows and tags there are, for :meth:`truncate`."""
        return len(self.codes), len(self.tags)

    def truncate(self, mark: tuple[int, int]) -> None:
        """Drop the rows and tags added since :meth:`mark` (a record that failed to decode)."""
        rows, tags = mark
        for name in ("codes", "steps", "values", "walls"):
            del getattr(self, name)[rows:]
        for tag in self.tags[tags:]:
            del self.tag_index[tag]
        del self.tags[tags:]


# ============================================================================ generic decoder

def decode_event(buf: memoryview, s: int, e: int, rows: Rows, info: FileData) -> None:
    """Decode one Event in ``buf[s:e]`` and append its scalars to ``rows``.

    The reference decoder: every field is looked at; the fast path must agree with it.
    """
    wall = math.nan
    step = 0
    summary: tuple[int, int] | None = None
    file_version: str | None = None
    session_status: int | None = None
    for f, wt, a, b in iter_fields(buf, s, e):
        if f == 1 and wt == I64:
            wall = _D.unpack_from(buf, a)[0]
        elif f == 2 and wt == VARINT:
            step = signed64(a)
        elif f == 3 and wt == LEN:
            file_version = bytes(buf[a:b]).decode("utf-8", "replace")
        elif f == 5 and wt == LEN:
            summary = (a, b)
        elif f == 7 and wt == LEN:
            session_status = 0
            for f2, wt2, a2, _ in iter_fields(buf, a, b):
                if f2 == 1 and wt2 == VARINT:
                    session_status = a2
        elif f == 10 and wt == LEN:
            for f2, wt2, a2, b2 in iter_fields(buf, a, b):
                if f2 == 1 and wt2 == LEN:
                    info.writer = bytes(buf[a2:b2]).decode("utf-8", "replace")
    if file_version is not None:
        if info.file_version is None:
            info.file_version = file_version
        elif step > 0:
            info.purge_steps.append(step)  # torch/tensorboardX purge_step writes a second one
    if session_status == SESSION_START:
        info.session_starts.append(step)
    if summary is not None:
        for f, wt, a, b in iter_fields(buf, summary[0], summary[1]):
            if f == 1 and wt == LEN:
                _decode_value(buf, a, b, step, wall, rows, info)


def _decode_value(buf: memoryview, s: int, e: int, step: int, wall: float, rows: Rows,
                  info: FileData) -> None:
    tag = ""
    simple: float | None = None
    tensor: tuple[int, int] | None = None
    plugin = ""
    content: tuple[int, int] | None = None
    other_value = False
    for f, wt, a, b in iter_fields(buf, s, e):
        if f == 1 and wt == LEN:
            tag = bytes(buf[a:b]).decode("utf-8", "replace")
        elif f == 2 and wt == I32:
            simple = _F.unpack_from(buf, a)[0]
        elif f == 8 and wt == LEN:
            tensor = (a, b)
        elif f == 9 and wt == LEN:
            for f2, wt2, a2, b2 in iter_fields(buf, a, b):
                if f2 == 1 and wt2 == LEN:  # plugin_data
                    for f3, wt3, a3, b3 in iter_fields(buf, a2, b2):
                        if f3 == 1 and wt3 == LEN:
                            plugin = bytes(buf[a3:b3]).decode("utf-8", "replace")
                        elif f3 == 2 and wt3 == LEN:
                            content = (a3, b3)
        elif f in (3, 4, 5, 6):
            other_value = True  # histogram, image, audio: not a scalar
    if plugin == "hparams":
        if content is not None:
            _hparams(buf, content[0], content[1], info.hparams)
        return
    if other_value:
        return
    if simple is not None:
        rows.add(info.prefix + tag, step, float(simple), wall)
    elif tensor is not None and plugin in ("", "scalars"):
        value = _tensor_scalar(buf, tensor[0], tensor[1])
        if value is not None:
            rows.add(info.prefix + tag, step, value, wall)


def _varints(buf: memoryview, s: int, e: int) -> list[int]:
    out = []
    while s < e:
        v, s = read_varint(buf, s, e)
        out.append(v)
    return out


def _tensor_scalar(buf: memoryview, s: int, e: int) -> float | None:
    """The value of a one-element numeric TensorProto in ``buf[s:e]``, else None."""
    dtype = 0
    elements = 1
    content: tuple[int, int] | None = None
    vals: dict[int, list[float]] = {}
    for f, wt, a, b in iter_fields(buf, s, e):
        if f == 1 and wt == VARINT:
            dtype = a
        elif f == 2 and wt == LEN:  # TensorShapeProto
            for f2, wt2, a2, b2 in iter_fields(buf, a, b):
                if f2 == 2 and wt2 == LEN:  # Dim
                    size = 0
                    for f3, wt3, a3, _ in iter_fields(buf, a2, b2):
                        if f3 == 1 and wt3 == VARINT:
                            size = signed64(a3)
                    elements *= size
                elif f2 == 3 and wt2 == VARINT and a2:
                    return None  # unknown rank
        elif f == 4 and wt == LEN:
            content = (a, b)
        elif f in (5, 6, 7, 10, 13):
            lst = vals.setdefault(f, [])
            if f == 5:
                if wt == I32:
                    lst.append(_F.unpack_from(buf, a)[0])
                elif wt == LEN:
                    lst.extend(np.frombuffer(buf[a:b], "<f4").tolist())
            elif f == 6:
                if wt == I64:
                    lst.append(_D.unpack_from(buf, a)[0])
                elif wt == LEN:
                    lst.extend(np.frombuffer(buf[a:b], "<f8").tolist())
            elif wt == VARINT:
                lst.append(a)
            elif wt == LEN:
                lst.extend(_varints(buf, a, b))
    spec = NUMERIC.get(dtype)
    if spec is None or elements != 1:
        return None
    np_dtype, val_field = spec
    if content is not None:
        raw = bytes(buf[content[0]:content[1]])
        if dtype == DT_BFLOAT16:
            if len(raw) != 2:
                return None
            bits = np.frombuffer(raw, "<u2").astype("<u4") << 16
            return float(bits.view("<f4")[0])
        if len(raw) != np.dtype(np_dtype).itemsize:
            return None
        return float(np.frombuffer(raw, np_dtype)[0])
    lst = vals.get(val_field, [])
    if len(lst) > 1:
        return None
    if not lst:
        return 0.0  # TensorFlow's make_ndarray fills a tensor without values with zeros
    v = lst[0]
    if dtype == DT_INT32:
        v &= 0xFFFFFFFF
        return float(v - (1 << 32) if v >= 1 << 31 else v)
    if dtype == DT_INT64:
        return float(signed64(v))
    if dtype == DT_HALF:
        return float(np.array([v & 0xFFFF], "<u2").view("<f2")[0])
    if dtype == DT_BFLOAT16:
        return float(np.array([(v & 0xFFFF) << 16], "<u4").view("<f4")[0])
    return float(v)


def _hparams(buf: memoryview, s: int, e: int, out: dict[str, Any]) -> None:
    """HParamsPluginData.session_start_info.hparams (map<string, google.protobuf.Value>)."""
    try:
        for f, wt, a, b in iter_fields(buf, s, e):
            if f != 3 or wt != LEN:  # session_start_info
                continue
            for f2, wt2, a2, b2 in iter_fields(buf, a, b):
                if f2 != 1 or wt2 != LEN:  # map entry
                    continue
                key, value = None, None
                for f3, wt3, a3, b3 in iter_fields(buf, a2, b2):
                    if f3 == 1 and wt3 == LEN:
                        key = bytes(buf[a3:b3]).decode("utf-8", "replace")
                    elif f3 == 2 and wt3 == LEN:
                        value = _pb_value(buf, a3, b3)
                if key is not None:
                    out[key] = value
    except WireError:
        return  # hparams are a nicety: a malformed blob is ignored


def _pb_value(buf: memoryview, s: int, e: int) -> Any:
    """A google.protobuf.Value: number, string or bool (structs and lists: None)."""
    value: Any = None
    for f, wt, a, b in iter_fields(buf, s, e):
        if f == 2 and wt == I64:
            value = _D.unpack_from(buf, a)[0]
        elif f == 3 and wt == LEN:
            value = bytes(buf[a:b]).decode("utf-8", "replace")
        elif f == 4 and wt == VARINT:
            value = bool(a)
    return value
