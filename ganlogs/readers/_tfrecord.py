"""TFRecord framing (the container of TensorBoard event files), a reader and a tiny writer.

A TFRecord file is a sequence of records with no header and no index (``docs/formats.md``,
"TensorBoard event files")::

    uint64 length                       little endian
    uint32 masked_crc32c(length bytes)
    byte   data[length]
    uint32 masked_crc32c(data)

    masked_crc(x) = ((c >> 15) | (c << 17)) + 0xA282EAD8  (mod 2**32),  c = CRC-32C(x)

:func:`scan_records` walks the length chain of a whole buffer and verifies both checksums of
every record. It never allocates a record's claimed length: a length is compared with the
bytes that remain before anything is sliced.

Policy for damaged files (TensorBoard's Rust data server does the same, ``tf_record.rs``):

* the buffer ends inside a record (inside the 12-byte header, the data or the data CRC) and
  the length CRC, where present, is valid: the file was **truncated** (a job still writing,
  or one that crashed). Every complete record before it is returned and ``truncated_at`` says
  where the partial record starts. A valid-CRC length that claims more bytes than remain is
  the same case: it is exactly what a cut inside the data looks like.
* a bad length CRC or a bad data CRC with more data after it is **damage**. With
  ``resync=True`` (what the reader uses) the records before it are kept and reading goes on
  at the next valid record (:func:`skip_damage`): right after the bad record when its length
  CRC holds (only the data was hit), else at the first later offset where a whole record
  checks out: a length whose CRC matches, that fits in the file, and data whose CRC matches
  (two independent 32-bit checks, so a false start has odds of about 2**-64). The skipped
  spans come back as :class:`~ganlogs.readers.base.Damage`. Without ``resync``,
  :class:`RecordError` is raised (the caller maps it to
  :class:`~ganlogs.errors.CorruptLogError`). Garbage bytes fail the length CRC.
* bytes that are all zero from a record boundary to the end of the file (space a crashed
  writer had reserved but not filled) are **truncation**, as in the ``.wandb`` reader:
  ``truncated_at`` says where they start and ``zero_tail`` how many there are.

The writer half (:func:`write_records`, :func:`frame_record`, :func:`encode_scalar_event`,
...) exists for the tests, which build hostile files from it; ganlogs never writes logs.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import Iterable, Sequence

import google_crc32c
import numpy as np

from ._protobuf import encode_key as _key, encode_len as _len_field, encode_varint as _varint
from ._tb_decode import DT_BFLOAT16, DT_DOUBLE, DT_FLOAT, DT_HALF, DT_INT32, DT_INT64, NUMERIC
from .base import Damage

__all__ = [
    "RecordError", "RecordScan", "masked_crc32c", "scan_records", "skip_damage", "frame_record",
    "write_records", "encode_event", "encode_scalar_event", "encode_file_version_event",
    "encode_session_log_event", "HEADER_SIZE", "FOOTER_SIZE",
]

HEADER_SIZE = 12  # uint64 length + uint32 masked CRC of the length
FOOTER_SIZE = 4  # uint32 masked CRC of the data
_MASK_DELTA = 0xA282EAD8
_Q = struct.Struct("<Q")
_I = struct.Struct("<I")
_QI = struct.Struct("<QI")
_crc = google_crc32c.value


class RecordError(ValueError):
    """A record breaks the framing rules (bad length CRC or bad data CRC).

    ``index`` is the 0-based record number and ``offset`` the byte offset where the record
    starts; ``what`` says which check failed.
    """

    def __init__(self, index: int, offset: int, what: str) -> None:
        self.index = index
        self.offset = offset
        self.what = what
        super().__init__(f"bad CRC in record {index} at byte offset {offset} ({what}); "
                         "the file is corrupt (not a TFRecord file, or damaged)")


def _mask(c: int) -> int:
    return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + _MASK_DELTA) & 0xFFFFFFFF


def masked_crc32c(data: bytes | memoryview) -> int:
    """The masked CRC-32C that TFRecord stores after the length and after the data."""
    return _mask(_crc(data))


@dataclass(frozen=True)
class RecordScan:
    """The records found in a buffer.

    ``starts`` and ``lengths`` (int64 arrays) give each complete record's data as
    ``buf[starts[i]:starts[i] + lengths[i]]``; ``truncated_at`` is the byte offset where an
    incomplete trailing record begins, or ``None`` when the buffer ends on a record boundary.
    """

    starts: np.ndarray
    lengths: np.ndarray
    truncated_at: int | None
    damage: tuple[Damage, ...] = ()
    zero_tail: int = 0  #: bytes of the all-zero tail at ``truncated_at`` (0: none)

    def __len__(self) -> int:
        return len(self.starts)


#: candidate record starts examined per numpy pass while resynchronising
_RESYNC_WINDOW = 1 << 20


def _whole_record_at(mv, p: int, n: int) -> bool:
    """Whether a record whose length CRC and data CRC both match starts at byte ``p``."""
    length, length_crc = _QI.unpack_from(mv, p)
    if length > n - p - HEADER_SIZE - FOOTER_SIZE:
        return False
    if _mask(_crc(bytes(mv[p:p + 8]))) != length_crc:
        return False
    end = p + HEADER_SIZE + length
    return _mask(_crc(bytes(mv[p + HEADER_SIZE:end]))) == _I.unpack_from(mv, end)[0]


def skip_damage(buf, at: int, what: str) -> tuple[int | None, Damage | None, int]:
    """Where to go on after the record at ``at`` failed its ``what`` check (see the module
    docstring). Returns ``(next record offset or None, the damaged span or None, zero_tail)``.
    The span is None when this is truncation, not damage: the bytes from ``at`` are all zero
    (``zero_tail`` counts them), or the bad record is the file's last (no data after it).
    ``(None, span, 0)``: no valid record follows; the span runs to the end of the file."""
    mv = buf if isinstance(buf, bytes) else memoryview(buf)
    n = len(mv)
    if bytes(mv[at:]).count(0) == n - at:
        return None, None, n - at
    if n - at >= HEADER_SIZE:
        length, length_crc = _QI.unpack_from(mv, at)
        after = at + HEADER_SIZE + length + FOOTER_SIZE
        if _mask(_crc(bytes(mv[at:at + 8]))) == length_crc and after <= n:
            if after == n:
                return None, None, 0  # the last record, cut or unflushed: truncation
            if n - after >= HEADER_SIZE + FOOTER_SIZE and _whole_record_at(mv, after, n):
                return after, Damage(at, after - at, 1, what), 0
    # the length itself is not to be trusted: look for the next whole record
    u8 = np.frombuffer(mv, dtype=np.uint8)
    last = n - HEADER_SIZE - FOOTER_SIZE  # the last offset where a record could start
    p0 = at + 1
    while p0 <= last:
        m = min(_RESYNC_WINDOW, last - p0 + 1)
        lengths = np.ndarray((m,), dtype="<u8", buffer=u8, offset=p0, strides=(1,))
        room = (n - HEADER_SIZE - FOOTER_SIZE) - (p0 + np.arange(m, dtype=np.uint64))
        for i in np.flatnonzero(lengths <= room).tolist():
            if _whole_record_at(mv, p0 + i, n):
                nxt = p0 + i
                return nxt, Damage(at, nxt - at, 1, what, exact=False), 0
        p0 += m
    return None, Damage(at, n - at, 1, what, exact=False), 0


def scan_records(buf: bytes | memoryview, *, verify: bool = True,
                 resync: bool = False) -> RecordScan:
    """Walk the length chain of ``buf`` and check every CRC (see the module docstring).

    Raises :class:`RecordError` on a bad CRC, unless ``resync``: the damaged spans are then
    skipped and listed in :attr:`RecordScan.damage`. Never allocates a record's claimed length.
    """
    # google_crc32c accepts only bytes (not memoryview): slice a bytes object (or copy the
    # record out of a memoryview/mmap) before hashing.
    mv = buf if isinstance(buf, bytes) else memoryview(buf)
    n = len(mv)
    starts: list[int] = []
    lengths: list[int] = []
    pos = 0
    idx = 0
    truncated_at: int | None = None
    damage: list[Damage] = []
    zero_tail = 0
    unpack = _QI.unpack_from
    crc = _crc
    mask = _mask
    while pos < n:
        if n - pos < HEADER_SIZE:
            truncated_at = pos
            break
        length, length_crc = unpack(mv, pos)
        bad = None
        if verify and mask(crc(bytes(mv[pos:pos + 8]))) != length_crc:
            bad = "length CRC"
            if not resync:
                raise RecordError(idx, pos, bad)
        end = pos + HEADER_SIZE + length
        if bad is None and length > n - pos - HEADER_SIZE - FOOTER_SIZE:
            truncated_at = pos
            break
        if bad is None and verify and \
                mask(crc(bytes(mv[pos + HEADER_SIZE:end]))) != _I.unpack_from(mv, end)[0]:
            bad = "data CRC"
            if not resync:
                raise RecordError(idx, pos, bad)
        if bad is not None:
            nxt, span, zeros = skip_damage(mv, pos, bad)
            if span is None:
                truncated_at, zero_tail = pos, zeros
                break
            damage.append(span)
            if nxt is None:
                break
            pos = nxt
            continue
        starts.append(pos + HEADER_SIZE)
        lengths.append(length)
        pos = end + FOOTER_SIZE
        idx += 1
    return RecordScan(np.asarray(starts, dtype=np.int64), np.asarray(lengths, dtype=np.int64),
                      truncated_at, tuple(merge_damage(damage)), zero_tail)


def merge_damage(spans: list[Damage]) -> list[Damage]:
    """Adjacent damaged spans (one ending where the next begins) as one, in file order."""
    out: list[Damage] = []
    for d in sorted(spans, key=lambda d: d.offset):
        if out and out[-1].offset + out[-1].size == d.offset:
            prev = out.pop()
            d = Damage(prev.offset, prev.size + d.size, prev.records + d.records, prev.reason,
                       prev.exact and d.exact)
        out.append(d)
    return out


# ---------------------------------------------------------------------------- writer (tests)

def frame_record(payload: bytes) -> bytes:
    """One framed TFRecord: length, its masked CRC, the payload, the payload's masked CRC."""
    head = _Q.pack(len(payload))
    return head + _I.pack(masked_crc32c(head)) + payload + _I.pack(masked_crc32c(payload))


def write_records(path: str | os.PathLike[str], payloads: Iterable[bytes]) -> None:
    """Write ``payloads`` as a TFRecord file with correct masked CRCs."""
    with open(path, "wb") as fh:
        for payload in payloads:
            fh.write(frame_record(payload))


def encode_event(*, wall_time: float | None = None, step: int | None = None,
                 file_version: str | None = None, summary: bytes | None = None,
                 session_log: bytes | None = None, writer: str | None = None) -> bytes:
    """Serialize a ``tensorboard.Event`` from already-encoded parts (fields 1, 2, 3, 5, 7, 10)."""
    out = b""
    if wall_time is not None:
        out += _key(1, 1) + struct.pack("<d", wall_time)
    if step:
        out += _key(2, 0) + _varint(step)
    if file_version is not None:
        out += _len_field(3, file_version.encode())
    if summary is not None:
        out += _len_field(5, summary)
    if session_log is not None:
        out += _len_field(7, session_log)
    if writer is not None:
        out += _len_field(10, _len_field(1, writer.encode()))
    return out


#: dtype name -> (TensorProto dtype, numpy dtype, *_val field), from the decoder's one table
_DTYPES = {name: (code, *NUMERIC[code]) for name, code in (
    ("float32", DT_FLOAT), ("float64", DT_DOUBLE), ("int32", DT_INT32), ("int64", DT_INT64),
    ("float16", DT_HALF), ("bfloat16", DT_BFLOAT16))}


def _tensor(value: float, dtype: str, storage: str, shape: Sequence[int]) -> bytes:
    code, np_dtype, val_field = _DTYPES[dtype]
    out = _key(1, 0) + _varint(code)
    dims = b"".join(_len_field(2, _key(1, 0) + _varint(d)) for d in shape)
    out += _len_field(2, dims)
    if dtype == "bfloat16":
        bits = int(np.array([value], dtype="<f4").view("<u4")[0]) >> 16
        raw = struct.pack("<H", bits)
    else:
        raw = np.array([value], dtype=np_dtype).tobytes()
    if storage == "content":
        return out + _len_field(4, raw)
    if dtype in ("float16", "bfloat16"):
        return out + _len_field(val_field, _varint(struct.unpack("<H", raw)[0]))
    if dtype == "float32":
        return out + _len_field(5, raw) if storage == "packed" else out + _key(5, 5) + raw
    if dtype == "float64":
        return out + _len_field(6, raw) if storage == "packed" else out + _key(6, 1) + raw
    ival = _varint(int(value))
    return out + (_len_field(val_field, ival) if storage == "packed" else _key(val_field, 0) + ival)


def encode_scalar_event(tag: str, value: float, step: int = 0, wall_time: float = 0.0, *,
                        encoding: str = "simple_value", dtype: str = "float32",
                        shape: Sequence[int] = (), plugin: str | None = "scalars") -> bytes:
    """Serialize an Event holding one scalar, as the writers listed in ``docs/formats.md`` do.

    ``encoding``: ``simple_value`` (torch default, TF1, tensorboardX, CatBoost),
    ``tensor_content`` (TF2/Keras: raw little-endian bytes), ``val`` (torch ``new_style``:
    ``float_val``/``double_val``/``int_val``... not packed) or ``packed_val``. ``dtype`` is
    one of float32, float64, int32, int64, float16, bfloat16 (tensor encodings only);
    ``plugin`` is the metadata plugin name (``None``: no metadata).
    """
    value_msg = _len_field(1, tag.encode())
    if encoding == "simple_value":
        value_msg += _key(2, 5) + struct.pack("<f", value)
    else:
        storage = {"tensor_content": "content", "val": "val", "packed_val": "packed"}[encoding]
        if plugin is not None:
            value_msg += _len_field(9, _len_field(1, _len_field(1, plugin.encode())))
        value_msg += _len_field(8, _tensor(value, dtype, storage, shape))
    return encode_event(wall_time=wall_time, step=step, summary=_len_field(1, value_msg))


def encode_file_version_event(wall_time: float = 0.0, *, step: int = 0,
                              writer: str | None = None) -> bytes:
    """The ``brain.Event:2`` record most writers put first."""
    return encode_event(wall_time=wall_time, step=step, file_version="brain.Event:2",
                        writer=writer)


def encode_session_log_event(status: int = 1, step: int = 0, wall_time: float = 0.0) -> bytes:
    """A ``SessionLog`` event (status 1 = START, 2 = STOP, 3 = CHECKPOINT)."""
    return encode_event(wall_time=wall_time, step=step, session_log=_key(1, 0) + _varint(status))
