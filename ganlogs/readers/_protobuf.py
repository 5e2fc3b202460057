"""Minimal protobuf wire-format decoding, enough for TensorBoard events and W&B records, and
the three encoders that the test writers and benchmarks build messages with.

ganlogs decodes the few messages it needs by field number instead of depending on the
``protobuf`` package and generated classes (field tables: ``docs/formats.md`` and
``docs/wandb.md``). Every function takes ``bytes``/``memoryview`` plus offsets and raises
:class:`WireError` (a ``ValueError``) on malformed input; readers map it to :class:`~ganlogs.errors.CorruptLogError`.
"""

from __future__ import annotations

import struct
from typing import Iterator

__all__ = ["WireError", "read_varint", "iter_fields", "double_at", "float_at", "zigzag",
           "signed64", "encode_varint", "encode_key", "encode_len", "VARINT", "I64", "LEN",
           "I32"]

VARINT, I64, LEN, I32 = 0, 1, 2, 5
_D = struct.Struct("<d")
_F = struct.Struct("<f")


class WireError(ValueError):
    """The bytes are not a valid protobuf message."""


def read_varint(buf: bytes | memoryview, pos: int, end: int) -> tuple[int, int]:
    """Decode a varint at ``pos``; return (value, new position)."""
    result = 0
    shift = 0
    while True:
        if pos >= end:
            raise WireError("varint runs past the end of the message")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise WireError("varint longer than 10 bytes")


def iter_fields(buf: bytes | memoryview, start: int = 0, end: int | None = None
                ) -> Iterator[tuple[int, int, int, int]]:
    """Yield ``(field_number, wire_type, a, b)`` for each field in ``buf[start:end]``.

    For VARINT ``a`` is the value (``b`` unused); for I64/I32 ``a`` is the offset of the
    8/4 raw bytes; for LEN ``(a, b)`` is the payload's ``[start, end)``.
    Groups (wire types 3, 4) are rejected.
    """
    if end is None:
        end = len(buf)
    pos = start
    while pos < end:
        key, pos = read_varint(buf, pos, end)
        field, wt = key >> 3, key & 7
        if field == 0:
            raise WireError("field number 0")
        if wt == VARINT:
            value, pos = read_varint(buf, pos, end)
            yield field, wt, value, 0
        elif wt == I64:
            if pos + 8 > end:
                raise WireError("fixed64 field runs past the end of the message")
            yield field, wt, pos, pos + 8
            pos += 8
        elif wt == LEN:
            length, pos = read_varint(buf, pos, end)
            if pos + length > end:
                raise WireError("length-delimited field runs past the end of the message")
            yield field, wt, pos, pos + length
            pos += length
        elif wt == I32:
            if pos + 4 > end:
                raise WireError("fixed32 field runs past the end of the message")
            yield field, wt, pos, pos + 4
            pos += 4
        else:
            raise WireError(f"unsupported wire type {wt}")


def double_at(buf: bytes | memoryview, pos: int) -> float:
    return _D.unpack_from(buf, pos)[0]


def float_at(buf: bytes | memoryview, pos: int) -> float:
    return _F.unpack_from(buf, pos)[0]


def zigzag(n: int) -> int:
    """Decode a zigzag-encoded sint64."""
    return (n >> 1) ^ -(n & 1)


def signed64(n: int) -> int:
    """Interpret an unsigned varint as a two's-complement int64."""
    return n - (1 << 64) if n >= 1 << 63 else n


def encode_varint(n: int) -> bytes:
    """Encode ``n`` as a varint; a negative ``n`` is written as its two's-complement int64."""
    n &= (1 << 64) - 1
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def encode_key(field: int, wire_type: int) -> bytes:
    """The key of a field: its number and wire type."""
    return encode_varint(field << 3 | wire_type)


def encode_len(field: int, data: bytes | str) -> bytes:
    """A length-delimited field (a ``str`` is encoded as UTF-8)."""
    if isinstance(data, str):
        data = data.encode()
    return encode_key(field, LEN) + encode_varint(len(data)) + data
