"""The vectorised TensorBoard decoder gives exactly the generic decoder's rows and damage.

Generated files cover what the fast path must get right: several tags per step, tags of
equal length alternating in one phase, step varint widths changing mid-file, steps without
a step field (step 0), negative steps, multi-value TF1 summaries, every scalar encoding,
non-scalar records mixed in, NaN/Inf, truncation, and corruption inside long periodic runs.
"""

from __future__ import annotations

import struct
import warnings

import numpy as np
import pytest

from ganlogs.errors import TruncatedLogWarning
from ganlogs.readers import wire
from ganlogs.readers.tensorboard import FileData, TensorBoardReader, decode_event_file


def decode(data: bytes, fast: bool) -> FileData:
    return decode_event_file(data, prefix="p/", fast=fast)


def assert_same(data: bytes) -> FileData:
    a, b = decode(data, False), decode(data, True)
    assert a.tags == b.tags
    np.testing.assert_array_equal(a.codes, b.codes)
    np.testing.assert_array_equal(a.steps, b.steps)
    assert a.values.tobytes() == b.values.tobytes()  # NaN payloads and signed zeros too
    assert a.walls.tobytes() == b.walls.tobytes()
    for attr in ("records", "writer", "file_version", "session_starts", "purge_steps",
                 "hparams", "truncated_at", "zero_tail", "damage"):
        assert getattr(a, attr) == getattr(b, attr), attr
    return a


def multi_value_event(step: int, wall: float, values: dict[str, float]) -> bytes:
    body = b""
    for tag, v in values.items():
        t = tag.encode()
        val = b"\x0a" + bytes([len(t)]) + t + b"\x15" + struct.pack("<f", v)
        body += b"\x0a" + bytes([len(val)]) + val
    return wire.encode_event(wall_time=wall, step=step, summary=body)


def torch_like(n_steps: int, tags=("Loss/D", "Loss/G", "D(x)", "D(G(z))"), seed=0,
               start=0, stride=1) -> list[bytes]:
    rng = np.random.default_rng(seed)
    out = [wire.encode_file_version_event(1.7e9, writer="tensorboard.summary.writer")]
    for i in range(n_steps):
        for tag in tags:
            out.append(wire.encode_scalar_event(tag, float(rng.normal()), step=start + i * stride,
                                                wall_time=1.7e9 + i * 0.01 + rng.random()))
    return out


def file_of(payloads) -> bytes:
    return b"".join(wire.frame_record(p) for p in payloads)


def test_torch_like_across_varint_widths():
    # steps 0..20000: the step varint grows from 1 to 2 to 3 bytes (and step 0 has no field)
    info = assert_same(file_of(torch_like(5000, stride=4)))
    assert len(info.steps) == 20000 and info.steps[-1] == 4999 * 4


def test_equal_length_tags_alternating():
    info = assert_same(file_of(torch_like(3000, tags=("loss_D", "loss_G"))))
    assert info.tags == ["p/loss_D", "p/loss_G"]


def test_single_tag_and_many_tags():
    assert_same(file_of(torch_like(3000, tags=("g",))))
    assert_same(file_of(torch_like(300, tags=tuple(f"tag{i:02d}" for i in range(40)))))


def test_random_mixture():
    rng = np.random.default_rng(3)
    encodings = [("simple_value", "float32", "scalars"), ("tensor_content", "float32", "scalars"),
                 ("tensor_content", "float64", "scalars"), ("val", "float32", "scalars"),
                 ("packed_val", "float64", None), ("val", "int64", "scalars"),
                 ("tensor_content", "float32", "histograms"), ("tensor_content", "float16", None)]
    payloads = [wire.encode_file_version_event(5.0)]
    step = 0
    for i in range(6000):
        r = rng.random()
        if r < 0.01:
            payloads.append(wire.encode_session_log_event(1, step=step))
        elif r < 0.02:
            payloads.append(multi_value_event(step, 1e9 + i, {"a": 1.0 * i, "bb": -2.0}))
        elif r < 0.03:
            step = max(0, step - int(rng.integers(0, 50)))  # a restart
        else:
            enc, dtype, plugin = encodings[int(rng.integers(0, len(encodings))) if r < 0.2 else 0]
            value = [np.nan, np.inf, -np.inf, -0.0, float(rng.normal())][int(rng.integers(0, 5))]
            if dtype.startswith("int") and not np.isfinite(value):
                value = 3.0
            payloads.append(wire.encode_scalar_event(
                ["x", "yy", "zzz"][i % 3], value, step=step, wall_time=1e9 + i / 7,
                encoding=enc, dtype=dtype, plugin=plugin))
            step += int(rng.integers(0, 3)) * 60
    assert_same(file_of(payloads))


def test_tf1_multi_value_summaries():
    payloads = [wire.encode_file_version_event(5.0)] + [
        multi_value_event(i, 1e9 + i, {"d_loss": i / 3, "g_loss": -i / 7}) for i in range(3000)]
    info = assert_same(file_of(payloads))
    assert len(info.steps) == 6000


def test_no_wall_time_no_step():
    # the Summary of a step-0 scalar event: skip wall_time (9 bytes) and the summary key/length
    payloads = [wire.encode_event(summary=wire.encode_scalar_event("v", float(i))[9 + 2:])
                for i in range(100)]
    info = assert_same(file_of(payloads))
    assert np.isnan(info.walls).all() and (info.steps == 0).all()


def test_negative_steps_in_bulk():
    payloads = [wire.encode_scalar_event("n", float(i), step=-5 - i, wall_time=1.0)
                for i in range(500)]
    info = assert_same(file_of(payloads))
    assert info.steps[0] == -5


@pytest.mark.parametrize("seed", range(2))
def test_truncated_at_sampled_offsets(seed):
    data = file_of(torch_like(400, seed=seed))
    rng = np.random.default_rng(seed)
    for cut in rng.integers(0, len(data), 25).tolist() + [len(data) - 1, len(data) - 13]:
        assert_same(data[:cut])


def _without_record(full: FileData, record: int) -> tuple[list, list]:
    """The steps and values of ``full`` without the row of ``record`` (torch_like: record 0
    is the file_version record, record r >= 1 holds row r - 1)."""
    steps, values = full.steps.tolist(), full.values.tolist()
    del steps[record - 1], values[record - 1]
    return steps, values


@pytest.mark.parametrize("where", ["data", "length", "length_crc", "footer", "wall_high",
                                   "step", "value", "tag"])
@pytest.mark.parametrize("record", [1, 7, 2500, 9000])
def test_corruption_inside_a_long_run_skips_only_that_record(where, record):
    payloads = torch_like(2500)
    heads = np.cumsum([0] + [len(p) + 16 for p in payloads])
    raw = bytearray(file_of(payloads))
    pos = int(heads[record])
    if where == "data":
        raw[pos + 12 + 5] ^= 0x40
    elif where == "length":
        raw[pos] ^= 0x01
    elif where == "length_crc":
        raw[pos + 9] ^= 0x10
    elif where == "footer":
        raw[pos + 12 + len(payloads[record])] ^= 0x02
    elif where == "wall_high":
        raw[pos + 12 + 8] ^= 0x01  # the wall time's most significant byte: constant elsewhere
    elif where == "step":
        raw[pos + 12 + 10] ^= 0x01
    elif where == "value":
        raw[pos + 12 + len(payloads[record]) - 1] ^= 0x80  # the float's sign bit
    else:
        raw[pos + 12 + 17] ^= 0x20  # a tag byte: structure no longer matches
    info = assert_same(bytes(raw))  # fast and reference agree on rows and damage
    steps, values = _without_record(decode(file_of(payloads), False), record)
    assert info.steps.tolist() == steps and info.values.tolist() == values
    assert len(info.damage) == 1
    d = info.damage[0]
    assert (d.offset, d.size, d.records) == (pos, len(payloads[record]) + 16, 1)
    assert info.records == len(payloads) - 1 and info.truncated_at is None


def test_two_corruptions_both_skipped():
    payloads = torch_like(2000)
    heads = np.cumsum([0] + [len(p) + 16 for p in payloads])
    raw = bytearray(file_of(payloads))
    raw[int(heads[6000]) + 20] ^= 1
    raw[int(heads[300]) + 20] ^= 1
    info = assert_same(bytes(raw))
    assert [d.offset for d in info.damage] == [int(heads[300]), int(heads[6000])]
    assert len(info.steps) == 8000 - 2


def test_bad_event_and_bad_crc_are_both_skipped():
    payloads = torch_like(2000)
    payloads[100] = b"\x0a\xff\xff"  # valid CRCs, not an Event
    raw = bytearray(file_of(payloads))
    heads = np.cumsum([0] + [len(p) + 16 for p in payloads])
    raw[int(heads[5000]) + 20] ^= 1
    info = assert_same(bytes(raw))
    assert [(d.offset, d.reason) for d in info.damage] == [
        (int(heads[100]), "valid CRCs but not a TensorBoard Event"),
        (int(heads[5000]), "data CRC")]
    assert len(info.steps) == 8000 - 2


def test_zeros_at_the_end_are_truncation_not_damage():
    payloads = torch_like(50)
    data = file_of(payloads)
    info = assert_same(data + bytes(4096))
    assert len(info.steps) == 200 and not info.damage
    assert (info.truncated_at, info.zero_tail) == (len(data), 4096)


def test_garbage_in_the_middle_resyncs_on_the_next_record():
    payloads = torch_like(300)
    heads = np.cumsum([0] + [len(p) + 16 for p in payloads])
    raw = bytearray(file_of(payloads))
    a, b = int(heads[400]) + 5, int(heads[410]) + 30  # records 400..410 hit
    raw[a:b] = np.random.default_rng(1).bytes(b - a)
    info = assert_same(bytes(raw))
    assert len(info.damage) == 1 and info.damage[0].offset == int(heads[400])
    assert info.damage[0].offset + info.damage[0].size == int(heads[411])
    assert len(info.steps) == 1200 - 11


def test_reader_level_same_frames(tmp_path):
    (tmp_path / "sub").mkdir()
    wire.write_records(tmp_path / "events.out.tfevents.1.h", torch_like(2000))
    wire.write_records(tmp_path / "events.out.tfevents.2.h", torch_like(900, start=1500, seed=2))
    wire.write_records(tmp_path / "sub" / "events.out.tfevents.3.h",
                       torch_like(700, tags=("loss",), seed=3))
    a = TensorBoardReader(fast=False).read(tmp_path, run_id=".")[0]
    b = TensorBoardReader(fast=True).read(tmp_path, run_id=".")[0]
    import pandas as pd

    pd.testing.assert_frame_equal(a.scalars, b.scalars, check_exact=True)
    assert a.meta == b.meta
    assert b.scalars["superseded"].sum() == 4 * 500
    assert "sub/loss" in b.tags


# The fast decoder verifies and decodes up to 65,536 records at a time: a file of 160,001
# records spans three such blocks, so block edges fall inside periodic runs, inside the
# multi-value records placed across the first edge, and next to damaged records.
BLOCK = 1 << 16


@pytest.fixture(scope="module")
def long_run() -> list[bytes]:
    return torch_like(40_000, seed=6)


def test_many_blocks_same_rows(long_run):
    payloads = list(long_run)
    payloads[BLOCK - 1:BLOCK - 1] = [multi_value_event(7, 1.0, {"a": 1.0, "b": 2.0})] * 3
    info = assert_same(file_of(payloads))
    assert info.records == len(payloads) > 2 * BLOCK


@pytest.mark.parametrize("record", [BLOCK, 2 * BLOCK - 1])
def test_many_blocks_corruption(long_run, record):
    payloads = long_run
    heads = np.cumsum([0] + [len(p) + 16 for p in payloads])
    raw = bytearray(file_of(payloads))
    raw[int(heads[record]) + 12 + 3] ^= 0x04
    raw[int(heads[150_000]) + 12 + 3] ^= 0x04
    info = assert_same(bytes(raw))
    assert [d.offset for d in info.damage] == [int(heads[record]), int(heads[150_000])]
    assert len(info.steps) == 160_000 - 2


def test_irregular_file_no_period():
    """Tags chosen at random: no period in the record lengths, so every record is walked
    one by one and decoded through gathered columns."""
    rng = np.random.default_rng(11)
    tags = ["Loss/D", "Loss/G", "D(x)", "D(G(z))", "fid50k", "lr"]
    payloads, step = [], 0
    for i in range(6000):
        tag = tags[int(rng.integers(0, len(tags)))]
        payloads.append(wire.encode_scalar_event(tag, float(rng.normal()), step=step,
                                                 wall_time=1.7e9 + i * 0.37))
        step += int(rng.integers(0, 3)) * 50
    info = assert_same(file_of(payloads))
    assert len(info.steps) == 6000
    raw = bytearray(file_of(payloads))
    raw[len(raw) // 2] ^= 0x10
    damaged = assert_same(bytes(raw))
    assert len(damaged.damage) == 1 and len(damaged.steps) == 6000 - 1



# Data CRCs: two adjacent varying bytes are looked up at once in a table of 65,536 entries,
# for groups of at least 8,192 equal-length records only (from the 3-byte steps on, long_run
# has such groups); at most 16 such tables are kept for the process, and bytes at further
# distances from the record's end are looked up one at a time.

def test_crc_by_byte_pairs_with_damage(long_run):
    raw = bytearray(file_of(long_run))
    heads = np.cumsum([0] + [len(p) + 16 for p in long_run])
    hits = (100_000, 110_000, 120_000)
    for record, at in zip(hits, (12 + 3, 12 + 10, len(long_run[120_000]) + 11)):
        raw[int(heads[record]) + at] ^= 0x08  # a wall time, a step, a value byte
    info = assert_same(bytes(raw))
    assert [d.offset for d in info.damage] == [int(heads[r]) for r in hits]


def test_crc_by_byte_pairs_more_tables_than_kept():
    # 8 tags of 8 lengths: the wall time's bytes lie at many distances from the record's end
    tags = tuple("t" * (1 + 4 * i) for i in range(8))
    payloads = torch_like(17_000, tags=tags, seed=5, start=20_000)  # 3-byte steps throughout
    raw = bytearray(file_of(payloads))
    heads = np.cumsum([0] + [len(p) + 16 for p in payloads])
    raw[int(heads[-7]) + 12 + 4] ^= 0x01
    info = assert_same(bytes(raw))
    assert len(info.damage) == 1 and len(info.steps) == 17_000 * 8 - 1


def test_nine_byte_step_varints_whose_ninth_byte_varies():
    # steps >= 2**56 take 9 varint bytes; the 9th changes between records here, beyond the 8
    # bytes the fast path compares as one word, and must still count as a varying byte
    out = [wire.encode_file_version_event(1.7e9, writer="tensorboard.summary.writer")]
    for i in range(3000):
        out.append(wire.encode_scalar_event("Loss/D", float(i), step=(1 << 56) * (1 + i % 3) + i,
                                            wall_time=1.7e9 + i))
    got = assert_same(file_of(out))
    assert len(got.steps) == 3000 and not got.damage
