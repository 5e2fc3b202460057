"""The vectorised framing of ``.wandb`` files (``readers/_leveldb_bulk.py``) against the
record-by-record walk: ``scan_log(buf, bulk=True)`` and ``scan_log(buf, bulk=False)`` must give
the same records, offsets, truncation and damage, or raise the same error, on intact, cut,
corrupted and padded logs."""

from __future__ import annotations

import numpy as np
import pytest

from ganlogs.readers.wire import WANDB_BLOCK_SIZE as BLOCK_SIZE
from ganlogs.readers.wire import WANDB_HEADER as HEADER
from ganlogs.readers.wire import LogCorruption, encode_log
from ganlogs.readers.wire import scan_log as scan


def _payloads(rng: np.random.Generator, count: int) -> list[bytes]:
    """Records of mixed sizes: mostly small, some over a block (FIRST, MIDDLE..., LAST),
    some empty, so that blocks end in trailers of every width."""
    sizes = rng.choice([0, 1, 5, 17, 60, 140, 300, 2000, 40000, 70000], size=count,
                       p=[.02, .05, .1, .2, .2, .2, .1, .08, .03, .02])
    return [rng.integers(0, 256, int(s), dtype=np.uint8).tobytes() for s in sizes]


def _outcome(buf: bytes, resync: bool, bulk: bool | None):
    try:
        found = scan(buf, resync=resync, bulk=bulk)
    except LogCorruption as exc:
        return ("error", exc.offset, exc.reason)
    return ([(bytes(b[s:e])) for b, s, e in found.records], found.offsets, found.truncated,
            found.truncated_at, [(d.offset, d.size, d.records, d.reason, d.exact)
                                 for d in found.damage])


def _same(buf: bytes) -> None:
    for resync in (True, False):
        assert _outcome(buf, resync, True) == _outcome(buf, resync, False), resync


def _mutations(rng: np.random.Generator, log: bytes):
    n = len(log)
    yield log
    for _ in range(6):  # cuts, at random and at block edges
        yield log[:int(rng.integers(0, n + 1))]
    for b in range(BLOCK_SIZE, n, BLOCK_SIZE):
        yield log[:b]
        yield log[:b - 3]
    for _ in range(8):  # one byte changed anywhere (headers, data, trailers)
        a = bytearray(log)
        i = int(rng.integers(len(HEADER), n))
        a[i] ^= int(rng.integers(1, 256))
        yield bytes(a)
    for _ in range(4):  # two bytes changed in two records
        a = bytearray(log)
        for i in rng.integers(len(HEADER), n, size=2):
            a[int(i)] ^= 0x10
        yield bytes(a)
    yield log + bytes(int(rng.integers(1, 40)))  # a zero tail
    yield log + bytes(BLOCK_SIZE + 11)
    a = bytearray(log)  # a stretch zeroed mid-file
    i = int(rng.integers(len(HEADER), n))
    a[i:i + 100] = bytes(len(a[i:i + 100]))
    yield bytes(a)
    i, j = sorted(int(x) for x in rng.integers(len(HEADER), n, size=2))  # a chunk duplicated
    yield log[:j] + log[i:j] + log[j:]


@pytest.mark.parametrize("seed", range(12))
def test_bulk_scan_equals_record_walk(seed):
    rng = np.random.default_rng(seed)
    log = encode_log(_payloads(rng, int(rng.integers(1, 120))))
    for buf in _mutations(rng, log):
        _same(buf)


def test_small_and_odd_files():
    for buf in (b"", HEADER[:3], HEADER, HEADER + b"\0" * 3, HEADER + bytes(10),
                encode_log([b""]), encode_log([b"x" * (BLOCK_SIZE - 14)]),
                encode_log([b"x" * (BLOCK_SIZE - 14 - 3), b"y"]),
                encode_log([b"x" * (BLOCK_SIZE - 7 - 7 - 7), b"y"])):
        _same(buf)


def test_every_stored_checksum_is_checked():
    """A wrong checksum in any record (first, middle or last of its block, or the first part
    of a multi-part record) is found there: the damage starts at that record."""
    rng = np.random.default_rng(7)
    log = encode_log(_payloads(rng, 300))
    offsets = scan(log, bulk=True).offsets
    for i in np.linspace(0, len(offsets) - 1, 60).astype(int).tolist():
        a = bytearray(log)
        a[offsets[i]] ^= 1  # the stored checksum's lowest byte
        found = scan(bytes(a), resync=True, bulk=True)
        assert found.offsets[:i] == offsets[:i]
        assert (found.damage and found.damage[0].offset == offsets[i]) or \
            found.truncated_at == offsets[i]
        _same(bytes(a))


def test_two_damaged_records_in_one_block_are_found():
    """Two records of one block with equal checksum errors (the same flip): the one CRC-32
    over the block still sees them (their errors are shifted apart by the records between)."""
    log = encode_log([bytes([i]) * 40 for i in range(50)])
    offsets = scan(log, bulk=True).offsets
    a = bytearray(log)
    for i in (10, 20):
        a[offsets[i]] ^= 0x55
    found = scan(bytes(a), resync=True, bulk=True)
    assert [d.offset for d in found.damage] == [offsets[10], offsets[20]]
    assert len(found.records) == 48
    _same(bytes(a))
