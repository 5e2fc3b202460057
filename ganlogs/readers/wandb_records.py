"""Appended ``.wandb`` records, framed and decoded by the reader's own rules (for followers).

A ``.wandb`` file is a LevelDB log (:mod:`ganlogs.readers.wire`: 32 KiB blocks of CRC-checked
physical records; a logical record is one FULL record, or FIRST, MIDDLE..., LAST).
:func:`frame_records` frames the bytes after a record boundary and stops at a record only
partly written (a block being filled, a FIRST without its LAST yet); :class:`HistoryDecoder`
decodes complete records with the reader's reference decoder, keeping its state across calls
(the history record count, the step of a record without one; the key cache), and gives the
new rows. :mod:`ganlogs.live.tail_wandb` keeps the byte offsets.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

from ._leveldb_log import BLOCK_SIZE, FIRST, FULL, HEADER, LAST, MIDDLE, RECORD_HEADER_SIZE
from ._protobuf import WireError
from ._wandb_decode import FileResult, decode_record
from .wandb import _wandb_files

__all__ = ["frame_records", "NotAnAppend", "HistoryDecoder", "wandb_files", "HEADER"]

_REC = struct.Struct("<IHB")
_TYPE_CRC = tuple(zlib.crc32(bytes([t])) for t in range(256))


class NotAnAppend(Exception):
    """The bytes after the offset are not clean complete-or-partial records."""


def frame_records(data: bytes, at: int) -> tuple[list[bytes], int]:
    """The complete logical records in ``data`` (which starts at file offset ``at``, on a
    record boundary) and how many bytes of ``data`` they span (up to the end of the last
    one). Stops at a partly written record; raises :class:`NotAnAppend` on anything
    else (a bad checksum with more data after it, a bad record type or order)."""
    n = len(data)
    out: list[bytes] = []
    parts: list[bytes] | None = None
    pos = done = 0
    while True:
        left = BLOCK_SIZE - (at + pos) % BLOCK_SIZE
        if left < RECORD_HEADER_SIZE:  # block trailer: zero padding
            if n - pos < left:
                break
            if data.count(0, pos, pos + left) != left:
                raise NotAnAppend("non-zero block trailer")
            pos += left
            if parts is None:
                done = pos
            continue
        if n - pos < RECORD_HEADER_SIZE:
            break
        checksum, length, rtype = _REC.unpack_from(data, pos)
        start, end = pos + RECORD_HEADER_SIZE, pos + RECORD_HEADER_SIZE + length
        if length > left - RECORD_HEADER_SIZE or end > n:
            if data.count(0, pos) == n - pos or end > n:
                break  # space not written yet, or a record still being written
            raise NotAnAppend("record runs past its block")
        if zlib.crc32(data[start:end], _TYPE_CRC[rtype]) != checksum:
            if end == n or data.count(0, pos) == n - pos:
                break  # the last bytes of a write in progress
            raise NotAnAppend("bad checksum")
        if rtype == FULL and parts is None:
            out.append(data[start:end])
            done = end
        elif rtype == FIRST and parts is None:
            parts = [data[start:end]]
        elif rtype in (MIDDLE, LAST) and parts is not None:
            parts.append(data[start:end])
            if rtype == LAST:
                out.append(b"".join(parts))
                parts = None
                done = end
        else:
            raise NotAnAppend(f"record type {rtype} out of order")
        pos = end
    return out, done



class HistoryDecoder:
    """Decodes logical records one batch after another, as the reader's reference decoder
    does over a whole file (its history count and key cache carried over)."""

    def __init__(self) -> None:
        self.result = FileResult()

    def decode(self, records: list[bytes]):
        """The rows of ``records``: (tag names, codes, steps, values, wall times). Raises
        :class:`NotAnAppend` on a record the decoder cannot parse (the reader skips it as
        damage: read the file whole)."""
        res = self.result
        hist = res.hist
        try:
            for rec in records:
                decode_record(rec, 0, len(rec), res, hist)
        except (WireError, IndexError, UnicodeError) as exc:
            raise NotAnAppend(f"undecodable record: {exc}") from None
        names = list(dict.fromkeys(hist.tags))
        code_of = {t: i for i, t in enumerate(names)}
        codes = np.fromiter((code_of[t] for t in hist.tags), dtype=np.int64,
                            count=len(hist.tags))
        rows = (names, codes, np.asarray(hist.steps, dtype=np.int64),
                np.asarray(hist.values, dtype=np.float64), np.asarray(hist.walls, dtype=np.float64))
        hist.tags, hist.steps, hist.values, hist.walls = [], [], [], []
        return rows


def wandb_files(directory: Path) -> list[Path]:
    """The ``.wandb`` files of a run directory, in name order (the reader's order)."""
    return _wandb_files(directory)
