"""A length field that claims gigabytes is rejected without allocating it: TFRecord framing,
the Event protobuf behind valid CRCs, the .wandb framing and the Record protobuf behind it.
tracemalloc's peak while reading must stay near that of reading the intact run."""

from __future__ import annotations

import shutil
import struct
import tracemalloc
import warnings
from pathlib import Path

import pytest

from ganlogs.errors import GanlogsError, ReadError
from ganlogs.readers import discover
from ganlogs.readers.wire import encode_varint as _varint

from scale_support import FIXTURES, fixture_sources

GIB = 1 << 30
#: what reading one of these tiny runs may allocate beyond reading it intact
SLACK = 16 << 20


def peak_of(run: Path):
    """(tracemalloc peak in bytes, the outcome: 'ok' or the GanlogsError)."""
    (source,) = discover(run).sources
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                source.reader.read(run, run_id="x")
                outcome = "ok"
            except GanlogsError as exc:
                outcome = exc
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, outcome


def _source(fmt: str):
    for s in fixture_sources():
        if s.reader.formats[0] == fmt:
            return s
    pytest.skip(f"no {fmt} reader registered")


# ------------------------------------------------------------------------------- TFRecord

@pytest.fixture
def tb_run(tmp_path):
    src = FIXTURES / "tensorboard" / "torch_default"
    _source("tensorboard")
    run = tmp_path / "tb"
    shutil.copytree(src, run)
    event = next(run.glob("*tfevents*"))
    return run, event, event.read_bytes()


@pytest.mark.parametrize("claim", [GIB, 64 * GIB, (1 << 63) - 1])
def test_tfrecord_length_claiming_gigabytes(tb_run, claim):
    from ganlogs.readers.wire import masked_crc32c

    run, event, data = tb_run
    baseline, _ = peak_of(run)
    head = struct.pack("<Q", claim)
    event.write_bytes(data + head + struct.pack("<I", masked_crc32c(head)) + b"\0" * 64)
    peak, outcome = peak_of(run)
    assert outcome == "ok" or isinstance(outcome, ReadError)
    assert peak < baseline + SLACK, f"{peak / 2**20:.1f} MiB for a claim of {claim} bytes"


@pytest.mark.parametrize("claim", [GIB, 1 << 62])
def test_event_protobuf_length_claiming_gigabytes(tb_run, claim):
    from ganlogs.readers.wire import frame_record

    run, event, data = tb_run
    baseline, _ = peak_of(run)
    # Event.summary (field 5, length-delimited) claiming `claim` bytes, behind valid CRCs
    payload = b"\x09" + b"\0" * 8 + b"\x2a" + _varint(claim) + b"\x0a\x03abc"
    event.write_bytes(data + frame_record(payload))
    peak, outcome = peak_of(run)
    assert outcome == "ok", outcome  # the record is skipped as damage; the others are kept
    assert peak < baseline + SLACK


# ---------------------------------------------------------------------------------- .wandb

@pytest.fixture
def wandb_run(tmp_path):
    src = _source("wandb")
    run = tmp_path / "wb"
    shutil.copytree(src.path, run, symlinks=True)
    log = next(run.glob("*.wandb"))
    return run, log, log.read_bytes()


def _rebuild(data: bytes, extra: list[bytes]) -> bytes:
    from ganlogs.readers import wire

    found = wire.scan_log(data)
    return wire.encode_log([bytes(b[s:e]) for b, s, e in found.records] + extra)


@pytest.mark.parametrize("claim", [GIB, 1 << 62])
def test_wandb_record_protobuf_length_claiming_gigabytes(wandb_run, claim):
    run, log, data = wandb_run
    baseline, _ = peak_of(run)
    # Record.history (field 2) claiming `claim` bytes, then a HistoryItem whose value_json
    # (field 16) claims the same inside a plausible history record
    evil = [b"\x08\x01" + b"\x12" + _varint(claim) + b"\x0a\x00",
            b"\x12\x0c" + b"\x0a\x0a" + b"\x0a\x01x" + b"\x82\x01" + _varint(claim) + b"1"]
    log.write_bytes(_rebuild(data, evil))
    peak, outcome = peak_of(run)
    assert outcome == "ok" or isinstance(outcome, ReadError)
    assert peak < baseline + SLACK


def test_wandb_framing_length_past_its_block(wandb_run):
    run, log, data = wandb_run
    baseline, _ = peak_of(run)
    # a record header claiming 0xFFFF bytes, more than a 32 KiB block can hold
    log.write_bytes(data + struct.pack("<IHB", 0x12345678, 0xFFFF, 1) + b"x" * 32)
    peak, outcome = peak_of(run)
    assert outcome == "ok" or isinstance(outcome, ReadError)
    assert peak < baseline + SLACK
