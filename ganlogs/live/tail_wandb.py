"""Following a W&B run: decode only the records appended to its ``.wandb`` file.

A ``.wandb`` file is a LevelDB log (:mod:`ganlogs.readers._leveldb_log`): 32 KiB blocks of
CRC-checked physical records, a logical record being one FULL record or FIRST, MIDDLE...,
LAST. :class:`WandbFollower` keeps the offset just past the last complete logical record and
the decoder's state (the history record count, which is the step of a record without one,
and the key cache), and at each look frames the bytes after that offset by the same rules and
decodes the complete records with the reader's reference decoder
(:func:`ganlogs.readers._wandb_decode.decode_record`). A record that is only partly written
(the end of a block, or a FIRST without its LAST yet) waits for the next look.

Anything the framing or the decoder does not take as a clean append (a bad checksum with data
after it, an undecodable record, a run directory with several ``.wandb`` files) sends the run
back to a whole re-read (:class:`~ganlogs.live.tail.ReloadFollower`) for good, which is
exact whatever the file holds.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from ..readers import RunSource
from ..readers._leveldb_log import (BLOCK_SIZE, FIRST, FULL, HEADER, LAST, MIDDLE,
                                    RECORD_HEADER_SIZE)
from ..readers._protobuf import WireError
from ..readers._wandb_decode import FileResult, decode_record
from ..readers.wandb import _wandb_files
from .rows import RowStore
from .tail import MAX_READ, Follower, Growth, ReloadFollower, _FileCursor

__all__ = ["WandbFollower"]

_REC = struct.Struct("<IHB")
_TYPE_CRC = tuple(zlib.crc32(bytes([t])) for t in range(256))


class _NotAnAppend(Exception):
    """The bytes after the offset are not clean complete-or-partial records."""


def frame_records(data: bytes, at: int) -> tuple[list[bytes], int]:
    """The complete logical records in ``data`` (which starts at file offset ``at``, on a
    record boundary) and how many bytes of ``data`` they span (up to the end of the last
    one). Stops at a partly written record; raises :class:`_NotAnAppend` on anything
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
                raise _NotAnAppend("non-zero block trailer")
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
            raise _NotAnAppend("record runs past its block")
        if zlib.crc32(data[start:end], _TYPE_CRC[rtype]) != checksum:
            if end == n or data.count(0, pos) == n - pos:
                break  # the last bytes of a write in progress
            raise _NotAnAppend("bad checksum")
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
            raise _NotAnAppend(f"record type {rtype} out of order")
        pos = end
    return out, done


class WandbFollower(Follower):
    """A W&B run directory with one ``.wandb`` file, read by record offset (module
    docstring). ``whole_reads`` counts whole re-reads (0 while every look is an append)."""

    mode = "appended records"

    def __init__(self, source: RunSource) -> None:
        super().__init__(source)
        self.whole_reads = 0
        self._reload: ReloadFollower | None = None
        self._cursor = _FileCursor()
        self._result = FileResult()
        self._header = False
        rid = source.run_id
        self.stores[rid] = RowStore()
        self.formats[rid] = "wandb"

    def _files(self):
        path = self.source.path
        return [path] if path.is_file() else _wandb_files(path)

    def poll(self) -> Growth:
        if self._reload is not None:
            return self._whole()
        files = self._files()
        if len(files) != 1:
            return self._whole() if files else Growth({})
        rid = self.source.run_id
        added = 0
        while True:  # a backlog comes in pieces of at most MAX_READ bytes
            got = self._cursor.new_bytes(files[0])
            if got is None:
                break
            data, rewritten = got
            self.bytes_read += len(data)
            if rewritten:  # a new file under the same name: start again
                self._cursor.offset = 0
                self._result = FileResult()
                self._header = False
                self.stores[rid] = RowStore()
                added = None
            at = self._cursor.offset
            if not self._header:
                if len(data) < len(HEADER):
                    break
                if data[:len(HEADER)] != HEADER:
                    return self._whole()  # the reader says what is wrong
                data, at = data[len(HEADER):], len(HEADER)
                self._cursor.offset = at
                self._header = True
            try:
                records, used = frame_records(data, at)
                rows = self._decode(records)
            except (_NotAnAppend, WireError, IndexError, UnicodeError):
                return self._whole()
            self._cursor.offset = at + used
            n = self.stores[rid].append(*rows)
            if added is not None:
                added += n
            if len(data) < MAX_READ or not used:
                break
        if added is None:
            return Growth({rid: None})
        return Growth({rid: added} if added else {})

    def _decode(self, records: list[bytes]):
        res = self._result
        hist = res.hist
        for rec in records:
            decode_record(rec, 0, len(rec), res, hist)
        names = list(dict.fromkeys(hist.tags))
        code_of = {t: i for i, t in enumerate(names)}
        codes = np.fromiter((code_of[t] for t in hist.tags), dtype=np.int64,
                            count=len(hist.tags))
        rows = (names, codes, np.asarray(hist.steps, dtype=np.int64),
                np.asarray(hist.values, dtype=np.float64), np.asarray(hist.walls, dtype=np.float64))
        hist.tags, hist.steps, hist.values, hist.walls = [], [], [], []
        return rows

    def _whole(self) -> Growth:
        """Read the run again whole from now on (module docstring)."""
        if self._reload is None:
            self._reload = ReloadFollower(self.source)
            self.stores = self._reload.stores
            self.formats = self._reload.formats
            self.warnings = self._reload.warnings
        before = self._reload.bytes_read
        growth = self._reload.poll()
        self.bytes_read += self._reload.bytes_read - before
        if growth:
            self.whole_reads += 1
        return growth
