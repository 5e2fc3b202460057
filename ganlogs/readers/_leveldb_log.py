"""The LevelDB-log framing of W&B's ``.wandb`` transaction log (``docs/wandb.md``).

::

    file   := header block*
    header := ":W&B" | uint16 LE 0xBEE1 | uint8 version 0          (7 bytes, counts toward block 0)
    block  := record* trailer?                                      (32,768 bytes; the last may be short)
    record := uint32 LE checksum | uint16 LE length | uint8 type | data[length]
    type   := 1 FULL | 2 FIRST | 3 MIDDLE | 4 LAST
    checksum = zlib.crc32(data, zlib.crc32(bytes([type])))         (plain CRC-32, not CRC-32C)
    trailer  = fewer than 7 bytes left in a block: zero padding

A logical record is one FULL record, or FIRST + MIDDLE* + LAST; its payload is a serialized
``wandb_internal.Record``. A record never crosses a block boundary, so a length that claims
more than its block holds is corruption, never a reason to allocate.

:func:`scan` finds the file's intact prefix with numpy (:mod:`._leveldb_bulk`: every block
walked at once, one CRC-32 per block with each record's checksum folded in) and walks record
by record, with ``struct``/``zlib`` on a memoryview, only from where that prefix ends
(damage, a cut, a zero tail). :class:`LogWriter` produces the same framing; tests and benchmarks use it to
build files with multi-block records and to cut or corrupt them.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np

from ._leveldb_bulk import Prefix, empty_prefix, intact_prefix
from .base import Damage

__all__ = ["HEADER", "BLOCK_SIZE", "RECORD_HEADER_SIZE", "FULL", "FIRST", "MIDDLE", "LAST",
           "LogCorruption", "Scan", "scan", "next_record", "LogWriter", "encode_log"]

HEADER = b":W&B" + struct.pack("<HB", 0xBEE1, 0)
BLOCK_SIZE = 32768
RECORD_HEADER_SIZE = 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4
_TYPE_NAMES = {FULL: "FULL", FIRST: "FIRST", MIDDLE: "MIDDLE", LAST: "LAST"}

_REC = struct.Struct("<IHB")
# zlib.crc32 of the type byte: the running CRC each record's checksum starts from
_TYPE_CRC = tuple(zlib.crc32(bytes([t])) for t in range(256))


class LogCorruption(ValueError):
    """The bytes break the framing rules; ``offset`` is the byte offset of the bad part."""

    def __init__(self, offset: int, reason: str) -> None:
        self.offset = offset
        self.reason = reason
        super().__init__(f"{reason} (byte offset {offset})")


def _record_at(mv: memoryview, buf: bytes, q: int, n: int) -> bool:
    """Whether a physical record of a known type whose checksum matches starts at ``q``."""
    left = BLOCK_SIZE - q % BLOCK_SIZE
    if left < RECORD_HEADER_SIZE or q + RECORD_HEADER_SIZE > n:
        return False
    checksum, length, rtype = _REC.unpack_from(buf, q)
    end = q + RECORD_HEADER_SIZE + length
    if not FULL <= rtype <= LAST or length > left - RECORD_HEADER_SIZE or end > n:
        return False
    return zlib.crc32(mv[q + RECORD_HEADER_SIZE:end], _TYPE_CRC[rtype]) == checksum


def next_record(buf: bytes, start: int) -> int | None:
    """The first offset at or after ``start`` where a whole physical record checks out (a
    known type, a length that stays in its block and in the file, a matching CRC-32), or
    None. Candidates are filtered with numpy (type byte, length) before their CRC is
    computed, so resynchronising over a damaged stretch costs little."""
    import numpy as np

    n = len(buf)
    mv = memoryview(buf)
    try:
        u8 = np.frombuffer(buf, dtype=np.uint8)
        last = n - RECORD_HEADER_SIZE
        q0 = start
        while q0 <= last:
            m = min(BLOCK_SIZE, last - q0 + 1)
            q = q0 + np.arange(m, dtype=np.int64)
            types = u8[q + 6]
            lengths = u8[q + 4].astype(np.int64) | (u8[q + 5].astype(np.int64) << 8)
            left = BLOCK_SIZE - q % BLOCK_SIZE
            ok = ((types >= FULL) & (types <= LAST) & (left >= RECORD_HEADER_SIZE)
                  & (lengths <= left - RECORD_HEADER_SIZE)
                  & (q + RECORD_HEADER_SIZE + lengths <= n))
            for i in np.flatnonzero(ok).tolist():
                if _record_at(mv, buf, q0 + i, n):
                    return q0 + i
            q0 += m
        return None
    finally:
        mv.release()


@dataclass
class Scan:
    """What :func:`scan` found.

    ``records`` holds one ``(buffer, start, end)`` span per complete logical record, in file
    order: FULL records point into the scanned buffer (no copy); multi-part records are joined
    into a new ``bytes``. ``truncated`` is None for a cleanly ended log, else one sentence
    saying where the file stops; ``truncated_at`` is then the offset of the incomplete part.

    The same records as arrays (what the vectorised decoder takes): ``starts`` and ``ends``
    of each record's data in ``buf``, except record ``i`` in ``joined``, whose bytes are
    ``joined[i]`` (its ``starts``/``ends`` are 0); ``heads`` is the file offset of each
    record's first physical record (:attr:`offsets` as a list).
    """

    buf: bytes = b""
    starts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    ends: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    heads: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    joined: dict[int, bytes] = field(default_factory=dict)
    truncated: str | None = None
    truncated_at: int = -1
    damage: list[Damage] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.starts.size)

    @property
    def records(self) -> list[tuple[bytes, int, int]]:
        joined = self.joined
        return [(joined[i], 0, len(joined[i])) if i in joined else (self.buf, a, b)
                for i, (a, b) in enumerate(zip(self.starts.tolist(), self.ends.tolist()))]

    @property
    def offsets(self) -> list[int]:
        """Byte offset in the file of each logical record's first physical record."""
        return self.heads.tolist()


def _prefix_records(buf: bytes, prefix: Prefix, out: Scan) -> None:
    """The logical records of the intact prefix into ``out`` (arrays; multi-part ones joined)."""
    types = prefix.types
    data = prefix.heads + RECORD_HEADER_SIZE
    opens = np.flatnonzero((types == FULL) | (types == FIRST))
    out.heads = prefix.heads[opens]
    out.starts = data[opens]
    out.ends = data[opens] + prefix.lengths[opens]
    multi = np.flatnonzero(types[opens] == FIRST)
    if multi.size:
        out.starts[multi] = 0
        out.ends[multi] = 0
        closes = np.flatnonzero(types == LAST)  # the k-th FIRST's LAST is the k-th LAST
        for k, (i, j) in enumerate(zip(opens[multi].tolist(), closes.tolist())):
            out.joined[int(multi[k])] = b"".join(
                buf[a:a + ln] for a, ln in zip(data[i:j + 1].tolist(),
                                               prefix.lengths[i:j + 1].tolist()))


def _all_zero(buf: bytes, start: int) -> bool:
    return buf.count(0, start) == len(buf) - start


#: files at least this large are framed with numpy first (``scan(bulk=None)``): the blocks are
#: its lanes, so a file of a few blocks would take a numpy step per record of its longest one
BULK_MIN_BYTES = 32 * BLOCK_SIZE


def scan(buf: bytes, *, resync: bool = False, bulk: bool | None = None) -> Scan:
    """Split a whole ``.wandb`` file into logical records.

    A file that ends mid-record (a killed or still-running job) is not an error: every
    complete record is returned and :attr:`Scan.truncated` says where it stops. So is a tail
    of zero bytes (space the writer had not filled). A bad header raises
    :class:`LogCorruption`. A bad checksum, record type, padding or record order raises it
    too, unless ``resync``: the damaged stretch is then skipped up to the next physical
    record that checks out (:func:`next_record`; a multi-part record cut by the damage is
    lost with it), listed in :attr:`Scan.damage`, and every intact record is kept.

    ``bulk``: find the intact prefix with numpy first (:mod:`._leveldb_bulk`) and walk
    record by record only from where it ends; False walks every record (the reference the
    bulk prefix is tested against); None (default): bulk for files of at least
    :data:`BULK_MIN_BYTES`. All give the same Scan.
    """
    n = len(buf)
    out = Scan()
    if n < len(HEADER):
        if HEADER.startswith(buf):
            if n:
                out.truncated = f"the file ends inside its {len(HEADER)}-byte header"
                out.truncated_at = 0
            return out
        raise LogCorruption(0, "not a W&B transaction log (bad header)")
    if buf[:len(HEADER)] != HEADER:
        if buf[:4] == HEADER[:4]:
            raise LogCorruption(0, "unsupported W&B transaction log header "
                                   f"(magic/version {buf[4:7].hex()}, expected {HEADER[4:].hex()})")
        raise LogCorruption(0, "not a W&B transaction log (bad header)")

    out.buf = buf
    if bulk is None:
        bulk = n >= BULK_MIN_BYTES
    prefix = intact_prefix(buf, len(HEADER)) if bulk else empty_prefix(len(HEADER))
    _prefix_records(buf, prefix, out)
    if prefix.end >= n:
        return out
    # the Python walk goes on where the intact prefix ends, with no record pending
    mv = memoryview(buf)
    records: list[tuple[int, int]] = []  # (start, end) in buf, or (0, 0) for a joined one
    offsets: list[int] = []
    joined: dict[int, bytes] = {}
    unpack = _REC.unpack_from
    crc32 = zlib.crc32
    type_crc = _TYPE_CRC
    parts: list[memoryview] | None = None  # pieces of a FIRST..LAST record
    first_at = -1
    pos = prefix.end

    def zero_tail(at: int) -> None:
        out.truncated = f"the file ends with {n - at} zero byte(s) after its last record"
        out.truncated_at = at

    try:
        while pos < n:
            try:
                left = BLOCK_SIZE - pos % BLOCK_SIZE
                if left < RECORD_HEADER_SIZE:  # block trailer
                    if buf.count(0, pos, pos + left) != min(left, n - pos):
                        if not resync:
                            raise LogCorruption(pos, "non-zero bytes in a block trailer")
                        # padding holds no record: skip it, a record split around it lives on
                        out.damage.append(Damage(pos, min(left, n - pos), 0,
                                                 "non-zero bytes in a block trailer"))
                    pos += left
                    continue
                if pos + RECORD_HEADER_SIZE > n:
                    if _all_zero(buf, pos):
                        zero_tail(pos)
                    else:
                        out.truncated = "the file ends inside a record header"
                        out.truncated_at = pos
                    break
                checksum, length, rtype = unpack(buf, pos)
                start = pos + RECORD_HEADER_SIZE
                end = start + length
                if length > left - RECORD_HEADER_SIZE:
                    if _all_zero(buf, pos):
                        zero_tail(pos)
                        break
                    raise LogCorruption(pos, f"record length {length} runs past the end of its "
                                             f"{BLOCK_SIZE}-byte block")
                if end > n:
                    out.truncated = "the file ends inside a record"
                    out.truncated_at = pos
                    break
                if crc32(mv[start:end], type_crc[rtype]) != checksum:
                    if _all_zero(buf, pos):
                        zero_tail(pos)
                        break
                    if resync and end == n:  # nothing after it: a write cut short
                        out.truncated = "the file's last record fails its checksum"
                        out.truncated_at = first_at if parts is not None else pos
                        parts = None
                        break
                    raise LogCorruption(pos, "bad record checksum")
                if rtype == FULL or rtype == FIRST:
                    if parts is not None:
                        what = _TYPE_NAMES[rtype]
                        if not resync:
                            raise LogCorruption(pos, f"{what} record inside an unfinished "
                                                     "multi-part record")
                        # the unfinished record is lost; this one is intact
                        out.damage.append(Damage(first_at, pos - first_at, 1,
                                                 f"multi-part record cut off by a {what} record"))
                        parts = None
                    if rtype == FULL:
                        records.append((start, end))
                        offsets.append(pos)
                    else:
                        parts = [mv[start:end]]
                        first_at = pos
                elif rtype == MIDDLE or rtype == LAST:
                    if parts is None:
                        raise LogCorruption(pos, f"{_TYPE_NAMES[rtype]} record without a FIRST "
                                                 "record")
                    parts.append(mv[start:end])
                    if rtype == LAST:
                        joined[len(records)] = b"".join(parts)
                        records.append((0, 0))
                        offsets.append(first_at)
                        parts = None
                else:
                    raise LogCorruption(pos, f"unknown record type {rtype}")
                pos = end
            except LogCorruption as exc:
                if not resync:
                    raise
                at = first_at if parts is not None else exc.offset
                parts = None
                nxt = next_record(buf, exc.offset + 1)
                out.damage.append(Damage(at, (n if nxt is None else nxt) - at, 1, exc.reason,
                                         exact=False))
                if nxt is None:
                    break
                pos = nxt
        if parts is not None and out.truncated is None:
            out.truncated = "the file ends inside a record split across blocks"
            out.truncated_at = first_at
        elif parts is not None:
            out.truncated_at = first_at
    finally:
        del parts
        mv.release()
    out.damage = _merge(out.damage)
    if records:
        base = len(out)
        walked = np.array(records, dtype=np.int64).reshape(-1, 2)
        out.starts = np.concatenate([out.starts, walked[:, 0]])
        out.ends = np.concatenate([out.ends, walked[:, 1]])
        out.heads = np.concatenate([out.heads, np.array(offsets, dtype=np.int64)])
        out.joined.update((base + i, b) for i, b in joined.items())
    return out


def _merge(spans: list[Damage]) -> list[Damage]:
    """Adjacent damaged spans as one, in file order."""
    merged: list[Damage] = []
    for d in sorted(spans, key=lambda d: d.offset):
        if merged and merged[-1].offset + merged[-1].size >= d.offset:
            prev = merged.pop()
            stop = max(prev.offset + prev.size, d.offset + d.size)
            d = Damage(prev.offset, stop - prev.offset, prev.records + d.records, prev.reason,
                       prev.exact and d.exact)
        merged.append(d)
    return merged


class LogWriter:
    """Write records in the ``.wandb`` framing (mirrors wandb's own ``datastore.py`` writer).

    Used by tests and benchmarks; ganlogs itself never writes ``.wandb`` files.
    """

    def __init__(self, fh: BinaryIO, *, header: bytes = HEADER) -> None:
        self._fh = fh
        self._index = 0
        fh.write(header)
        self._index += len(header)

    def _physical(self, data: bytes, rtype: int) -> None:
        checksum = zlib.crc32(data, _TYPE_CRC[rtype])
        self._fh.write(_REC.pack(checksum, len(data), rtype))
        self._fh.write(data)
        self._index += RECORD_HEADER_SIZE + len(data)

    def write(self, payload: bytes) -> None:
        """Append one logical record, split into FIRST/MIDDLE/LAST where it crosses blocks."""
        left = BLOCK_SIZE - self._index % BLOCK_SIZE
        if left < RECORD_HEADER_SIZE:
            self._fh.write(b"\0" * left)
            self._index += left
            left = BLOCK_SIZE
        if len(payload) + RECORD_HEADER_SIZE <= left:
            self._physical(payload, FULL)
            return
        room = left - RECORD_HEADER_SIZE
        self._physical(payload[:room], FIRST)
        used = room
        data_len = BLOCK_SIZE - RECORD_HEADER_SIZE
        while len(payload) - used > data_len:
            self._physical(payload[used:used + data_len], MIDDLE)
            used += data_len
        self._physical(payload[used:], LAST)


def encode_log(payloads: list[bytes]) -> bytes:
    """A whole ``.wandb`` file holding ``payloads`` as logical records."""
    import io

    fh = io.BytesIO()
    writer = LogWriter(fh)
    for payload in payloads:
        writer.write(payload)
    return fh.getvalue()
