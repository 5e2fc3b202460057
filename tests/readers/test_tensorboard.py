"""TensorBoard reader: framing test vectors, every real-writer fixture read back exactly,
restart policy, scalar encodings, truncation at every byte offset, corruption."""

from __future__ import annotations

import json
import math
import struct
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ganlogs
from ganlogs.errors import (CorruptLogError, DamagedLogWarning, ReadError, TruncatedLogWarning,
                            is_damage_warning)
from ganlogs.readers import DIR_READERS, discover
from ganlogs.readers import wire
from ganlogs.readers.tensorboard import FileData, TensorBoardReader, decode_event_file

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "fixtures"
EXPECTED = ROOT / "tests" / "data" / "expected"
INDEX = json.loads((EXPECTED / "index.json").read_text())
TB_FIXTURES = sorted(k for k, v in INDEX.items() if v["format"] == "tensorboard")

READERS = [pytest.param(TensorBoardReader(fast=False), id="generic"),
           pytest.param(TensorBoardReader(fast=True), id="fast")]


def read_run(path, reader=None, run_id="."):
    reader = reader or TensorBoardReader()
    runs = reader.read(Path(path), run_id=run_id)
    assert len(runs) == 1
    return runs[0]


def frames_equal(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True),
                                  check_exact=True)


# ----------------------------------------------------------------------------- framing vectors

# docs/formats.md, TensorBoard framing (vectors from tensorboard/data/server/tf_record.rs)
VEC1_PAYLOAD = bytes.fromhex("09000080389 9d6d741 1a0d".replace(" ", "")) + b"brain.Event:2"
VEC2_PAYLOAD = (
    b"\x09" + struct.pack("<d", 1599759606.8597269)
    + b"\x10\x4d"  # step 77
    + b"\x2a\x25"  # summary, 37 bytes
    + b"\x0a\x23"  # value, 35 bytes
    + b"\x0a\x08accuracy"
    + b"\x42\x0a\x08\x01\x12\x00\x22\x04\xa4\x70\x7d\x3f"  # tensor DT_FLOAT, shape [], content
    + b"\x4a\x0b\x0a\x09\x0a\x07scalars"  # metadata.plugin_data.plugin_name
)


def test_formats_test_vectors_crcs():
    assert len(VEC1_PAYLOAD) == 24
    assert wire.masked_crc32c(struct.pack("<Q", 24)) == 0x224B7FA3
    assert wire.masked_crc32c(VEC1_PAYLOAD) == 0xAB364B12
    assert len(VEC2_PAYLOAD) == 50
    assert wire.masked_crc32c(struct.pack("<Q", 50)) == 0xEC561924
    assert wire.masked_crc32c(VEC2_PAYLOAD) == 0x33645BA5
    rec = wire.frame_record(VEC1_PAYLOAD)
    assert rec[:12] == bytes.fromhex("1800000000000000") + struct.pack("<I", 0x224B7FA3)
    assert rec[-4:] == struct.pack("<I", 0xAB364B12)


@pytest.mark.parametrize("fast", [False, True])
def test_formats_test_vectors_decode(tmp_path, fast):
    wire.write_records(tmp_path / "events.out.tfevents.1", [VEC1_PAYLOAD, VEC2_PAYLOAD])
    scan = wire.scan_records((tmp_path / "events.out.tfevents.1").read_bytes())
    assert scan.lengths.tolist() == [24, 50] and scan.truncated_at is None
    run = read_run(tmp_path, TensorBoardReader(fast=fast))
    assert run.scalars[["tag", "step"]].astype(str).values.tolist() == [["accuracy", "77"]]
    assert run.scalars["value"].iloc[0] == float(np.float32(0.99))
    assert run.scalars["wall_time"].iloc[0] == 1599759606.8597269
    assert run.meta.writer is None


def test_encoder_matches_vector():
    wall = struct.unpack_from("<d", VEC1_PAYLOAD, 1)[0]
    assert wire.encode_file_version_event(wall) == VEC1_PAYLOAD


# ----------------------------------------------------------------------------- fixtures

def expected_rows(fid: str) -> pd.DataFrame:
    return pd.read_csv(EXPECTED / f"{fid}.csv", keep_default_na=False,
                       dtype={"tag": str, "step": np.int64, "value": str})


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("fid", TB_FIXTURES)
def test_fixture_points_exact(fid, reader):
    """Every scalar a real writer wrote, per tag in write order, values bit-exact."""
    exp = expected_rows(fid)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TruncatedLogWarning)
        run = read_run(FIX / INDEX[fid]["path"], reader)
    got = run.scalars
    assert run.meta.format == "tensorboard"
    assert sorted(got["tag"].astype(str).unique()) == sorted(exp["tag"].unique())
    for tag, rows in exp.groupby("tag", sort=False):
        mine = got[got["tag"] == tag]
        assert mine["step"].tolist() == rows["step"].tolist(), tag
        want = np.array([float(v) for v in rows["value"]])
        assert np.array_equal(mine["value"].to_numpy(), want, equal_nan=True), tag
    assert got["step"].dtype == np.int64 and got["value"].dtype == np.float64
    assert not got["wall_time"].isna().any()


@pytest.mark.parametrize("fid", TB_FIXTURES)
def test_fast_and_generic_frames_identical(fid):
    path = FIX / INDEX[fid]["path"]
    a = read_run(path, TensorBoardReader(fast=False))
    b = read_run(path, TensorBoardReader(fast=True))
    frames_equal(a.scalars, b.scalars)
    assert a.meta == b.meta


def test_fixture_sources_and_prefixes():
    run = read_run(FIX / "tensorboard/torch_add_scalars")
    src = dict(zip(run.scalars["tag"].astype(str), run.scalars["source"].astype(str)))
    assert src["loss_D/loss"] == "loss_D/events.out.tfevents.1795563953.vm.4426.4"
    assert src["D(x)"] == "events.out.tfevents.1795563953.vm.4426.3"
    assert run.tags[0] == "D(x)"  # the top directory is read first
    nested = read_run(FIX / "tensorboard/tbx_add_scalars_nested")
    assert "train/loss/D/train/loss" in nested.tags


def test_writer_and_notes():
    assert read_run(FIX / "tensorboard/torch_default").meta.writer == \
        "tensorboard.summary.writer.event_file_writer"
    assert read_run(FIX / "tensorboard/tf2_summary_scalar").meta.writer == \
        "tensorflow.core.util.events_writer"
    tbx = read_run(FIX / "tensorboard/tbx_add_scalar")
    assert tbx.meta.writer is None and any("source_metadata" in n for n in tbx.meta.notes)
    cat = read_run(FIX / "tensorboard/catboost/catboost_info")
    assert cat.meta.writer is None and any("file_version" in n for n in cat.meta.notes)
    sg = read_run(FIX / "tensorboard/stylegan2_ada")
    assert any("relative" in n for n in sg.meta.notes)
    assert not any("relative" in n for n in read_run(FIX / "tensorboard/torch_default").meta.notes)


def test_hparams():
    run = read_run(FIX / "tensorboard/torch_hparams")
    assert run.meta.hparams == {"lr_d": 0.0002, "lr_g": 0.0002, "batch_size": 64.0,
                                "loss": "bce"}
    assert "1795563956.0674708/hparam/fid" in run.tags
    light = read_run(FIX / "tensorboard/lightning/gan/version_0")
    assert light.meta.hparams["latent_dim"] == 4.0
    assert not any(t.startswith("_hparams_") for t in light.tags)


def test_nan_inf_kept():
    run = read_run(FIX / "tensorboard/torch_nan_inf")
    d = run.series("Loss/D")
    g = run.series("Loss/G")
    assert math.isnan(d[12]) and math.isnan(g[12])
    assert g[20] == math.inf and d[21] == -math.inf


def test_no_global_step_kept_as_is():
    run = read_run(FIX / "tensorboard/torch_no_global_step")
    assert (run.scalars["step"] == 0).all() and len(run.scalars) == 50
    assert len(run.series("Loss/D")) == 25
    assert any("step 0" in w for w in run.meta.warnings)


# ----------------------------------------------------------------------------- restarts

def _check_restart(run, tag, first_file, second_file, old_hi, new_lo, new_hi):
    rows = run.scalars[run.scalars["tag"] == tag]
    sup = rows[rows["superseded"]]
    # exactly the first file's points at steps the second file rewrote are superseded
    assert (sup["source"] == first_file).all()
    assert sup["step"].tolist() == list(range(new_lo, old_hi + 1))
    series = run.series(tag)
    assert series.index.tolist() == list(range(0, new_hi + 1))
    first = rows[(rows["source"] == first_file) & (rows["step"] < new_lo)]
    second = rows[rows["source"] == second_file]
    second = second.drop_duplicates("step", keep="last")
    np.testing.assert_array_equal(series.loc[: new_lo - 1].to_numpy(), first["value"].to_numpy())
    np.testing.assert_array_equal(series.loc[new_lo:].to_numpy(), second["value"].to_numpy())


def test_restart_two_files():
    run = read_run(FIX / "tensorboard/torch_restart")
    for tag in ("Loss/D", "Loss/G"):
        _check_restart(run, tag, "events.out.tfevents.1795563953.vm.4426.6",
                       "events.out.tfevents.1795563954.vm.4426.7", 29, 20, 39)
    assert any(w.startswith("restart:") and "overlap" in w for w in run.meta.warnings)


def test_restart_purge_step():
    run = read_run(FIX / "tensorboard/torch_purge_step")
    for tag in ("Loss/D", "Loss/G"):
        _check_restart(run, tag, "events.out.tfevents.1795563954.vm.4426.8",
                       "events.out.tfevents.1795563956.vm.4426.9", 29, 20, 39)
    assert any(w.startswith("restart:") and "SessionLog START" in w for w in run.meta.warnings)


def test_restart_session_start_one_file():
    run = read_run(FIX / "tensorboard/tf1_session_start")
    exp = expected_rows("tb_tf1_session_start")
    for tag in ("d_loss", "g_loss"):
        rows = run.scalars[run.scalars["tag"] == tag]
        assert rows[rows["superseded"]]["step"].tolist() == list(range(20, 30))
        s = run.series(tag)
        assert s.index.tolist() == list(range(40))
        want = exp[exp["tag"] == tag]
        old = want.iloc[:20]["value"].astype(float).to_numpy()
        new = want.iloc[30:]["value"].astype(float).to_numpy()
        np.testing.assert_array_equal(s.to_numpy(), np.concatenate([old, new]))
    assert any("SessionLog START" in w for w in run.meta.warnings)


# ----------------------------------------------------------------------------- encodings

ENCODINGS = [
    ("simple_value", "float32", (), "scalars", True),
    ("simple_value", "float32", (), None, True),
    ("tensor_content", "float32", (), "scalars", True),
    ("tensor_content", "float64", (), "scalars", True),
    ("tensor_content", "float16", (), "scalars", True),
    ("tensor_content", "bfloat16", (), "scalars", True),
    ("tensor_content", "int32", (), "scalars", True),
    ("tensor_content", "int64", (1,), "scalars", True),
    ("tensor_content", "float32", (1,), None, True),
    ("val", "float32", (), "scalars", True),
    ("packed_val", "float32", (1,), "scalars", True),
    ("val", "float64", (), "scalars", True),
    ("packed_val", "float64", (), "scalars", True),
    ("val", "int32", (), "scalars", True),
    ("packed_val", "int64", (), None, True),
    ("val", "float16", (), "scalars", True),
    ("val", "bfloat16", (), "scalars", True),
    ("tensor_content", "float32", (), "histograms", False),
    ("tensor_content", "float32", (), "hparams", False),
    ("tensor_content", "float32", (2,), "scalars", False),
    ("tensor_content", "float32", (1, 1), "scalars", True),
]


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("encoding,dtype,shape,plugin,is_scalar", ENCODINGS)
def test_scalar_encodings(tmp_path, reader, encoding, dtype, shape, plugin, is_scalar):
    value = -3.0 if dtype.startswith("int") else 0.75
    events = [wire.encode_file_version_event(1.0)] + [
        wire.encode_scalar_event("x", value + i, step=i, wall_time=1e9 + i, encoding=encoding,
                                 dtype=dtype, shape=shape, plugin=plugin) for i in range(3)]
    wire.write_records(tmp_path / "events.out.tfevents.1.h", events)
    run = read_run(tmp_path, reader)
    if is_scalar:
        assert run.scalars["value"].tolist() == [value, value + 1, value + 2]
        assert run.scalars["step"].tolist() == [0, 1, 2]
        assert run.scalars["wall_time"].tolist() == [1e9, 1e9 + 1, 1e9 + 2]
    else:
        assert len(run) == 0 and any("no scalar" in w for w in run.meta.warnings)


def test_negative_and_big_steps(tmp_path):
    steps = [-5, 0, 127, 128, 16383, 16384, 2**31, 2**62]
    wire.write_records(tmp_path / "events.out.tfevents.1.h",
                       [wire.encode_scalar_event("x", 1.0, step=s) for s in steps])
    for reader in (TensorBoardReader(fast=False), TensorBoardReader(fast=True)):
        assert read_run(tmp_path, reader).scalars["step"].tolist() == steps


def test_several_values_in_one_event(tmp_path):
    a = wire.encode_scalar_event("a", 1.0, step=3)
    b = wire.encode_scalar_event("b", 2.0, step=3)
    # merge the two Summary.Values into one Summary: strip the wall_time/step prefix
    prefix = 9 + 2
    sa, sb = a[prefix + 2:], b[prefix + 2:]
    merged = a[:prefix] + b"\x2a" + bytes([len(sa) + len(sb)]) + sa + sb
    wire.write_records(tmp_path / "events.out.tfevents.1.h", [merged])
    run = read_run(tmp_path)
    assert run.scalars[["tag", "value"]].astype(str).values.tolist() == [["a", "1.0"],
                                                                          ["b", "2.0"]]


# ----------------------------------------------------------------------------- sniffing

def test_registered_first():
    # only the StyleGAN run reader (a directory with stats.jsonl) goes before TensorBoard
    first = next(r for r in DIR_READERS if type(r).__name__ != "StyleganRunReader")
    assert isinstance(first, TensorBoardReader)


def test_guess_can_open(tmp_path):
    r = TensorBoardReader()
    assert r.guess_can_open(FIX / "tensorboard/torch_default")
    assert r.guess_can_open(FIX / "tensorboard/catboost/catboost_info/learn")  # no suffix
    assert r.guess_can_open(FIX / "tensorboard/catboost/catboost_info")  # learn/ + test/
    assert r.guess_can_open(FIX / "tensorboard/keras_tensorboard")  # train/ + validation/
    assert not r.guess_can_open(FIX / "tensorboard")
    assert not r.guess_can_open(FIX / "tensorboard/torch_default/events.out.tfevents.1795563953.vm.4426.0")
    assert not r.guess_can_open(tmp_path / "missing")
    (tmp_path / "events.out.tfevents").mkdir()  # a directory named like an event file
    assert not r.guess_can_open(tmp_path)
    # a sweep with runs named test/ and exp1/ is not a CatBoost learn/ + test/ run
    for name in ("test", "exp1"):
        (tmp_path / "sweep" / name).mkdir(parents=True)
        wire.write_records(tmp_path / "sweep" / name / "events.out.tfevents.1.h", _events())
    assert not r.guess_can_open(tmp_path / "sweep")
    (tmp_path / "sweep" / "learn").mkdir()
    wire.write_records(tmp_path / "sweep" / "learn" / "events.out.tfevents", _events())
    assert not r.guess_can_open(tmp_path / "sweep")  # exp1/ holds events too
    assert r.guess_can_open(tmp_path / "sweep" / "learn")


def test_discover_fixtures_tree():
    found = discover(FIX / "tensorboard")
    ids = sorted(s.run_id for s in found.sources)
    assert "torch_add_scalars" in ids and "torch_add_scalars/loss_D" not in ids
    assert "keras_tensorboard" in ids and "catboost/catboost_info" in ids
    assert "lightning/gan/version_0" in ids and "torch_hparams" in ids
    assert not found.problems


def test_ganlogs_read_public_api():
    run = ganlogs.read(FIX / "tensorboard/keras_tensorboard")
    assert "validation/epoch_loss" in run.tags and run.meta.format == "tensorboard"


# ----------------------------------------------------------------------------- damage

SMALL = [
    "tensorboard/tf1_filewriter/events.out.tfevents.1795564046.vm",
    "tensorboard/catboost/catboost_info/learn/events.out.tfevents",
    "tensorboard/torch_purge_step/events.out.tfevents.1795563956.vm.4426.9",
    "tensorboard/keras_tensorboard/validation/events.out.tfevents.1795564047.vm.4956.2.v2",
    "tensorboard/torch_hparams/1795563956.0674708/events.out.tfevents.1795563956.vm.4426.12",
]


def _decode(data: bytes, fast: bool) -> FileData:
    return decode_event_file(data, fast=fast)


@pytest.mark.parametrize("rel,fast", [(rel, False) for rel in SMALL]
                         + [(rel, True) for rel in SMALL[2:]])
def test_cut_at_every_offset(rel, fast):
    data = (FIX / rel).read_bytes()
    full = _decode(data, fast)
    bounds = {0}
    pos = 0
    while pos < len(data):
        pos += 16 + struct.unpack_from("<Q", data, pos)[0]
        bounds.add(pos)
    for cut in range(len(data) + 1):
        info = _decode(data[:cut], fast)
        n = len(info.steps)
        assert info.steps.tolist() == full.steps.tolist()[:n]
        assert info.values.tobytes() == full.values[:n].tobytes()
        assert [info.tags[c] for c in info.codes] == [full.tags[c] for c in full.codes[:n]]
        complete = max(b for b in bounds if b <= cut)
        assert info.truncated_at == (None if cut in bounds else complete), cut


def test_truncated_file_warns_and_keeps_records(tmp_path):
    data = (FIX / "tensorboard/torch_default/events.out.tfevents.1795563953.vm.4426.0").read_bytes()
    (tmp_path / "events.out.tfevents.9.h").write_bytes(data[:-7])
    with pytest.warns(TruncatedLogWarning, match=r"events\.out\.tfevents\.9\.h"):
        run = read_run(tmp_path)
    assert len(run) == 159
    assert any("middle of a record" in w for w in run.meta.warnings)


def _events(n=5):
    return [wire.encode_file_version_event(1.0)] + [
        wire.encode_scalar_event("loss", float(i), step=i, wall_time=1e9 + i) for i in range(n)]


@pytest.mark.parametrize("reader", READERS)
def test_bad_data_crc_mid_file_skips_that_record_and_warns(tmp_path, reader):
    raw = bytearray(b"".join(wire.frame_record(p) for p in _events()))
    first = 16 + len(_events()[0])
    raw[first + 12 + 3] ^= 0x01  # a data byte of record 1 (step 0)
    (tmp_path / "events.out.tfevents.1.h").write_bytes(bytes(raw))
    with pytest.warns(DamagedLogWarning, match=r"events\.out\.tfevents\.1\.h"):
        run = read_run(tmp_path, reader)
    assert run.scalars["step"].tolist() == [1, 2, 3, 4]  # every intact record kept
    (msg,) = [w for w in run.meta.warnings if is_damage_warning(w)]
    assert msg.startswith("damaged: events.out.tfevents.1.h: ") and "\n" not in msg
    assert f"byte offset {first}" in msg and "1 record(s) skipped (data CRC)" in msg


@pytest.mark.parametrize("reader", READERS)
def test_bad_data_crc_in_the_last_record_is_truncation(tmp_path, reader):
    raw = bytearray(b"".join(wire.frame_record(p) for p in _events()))
    raw[-6] ^= 0x01  # a data byte of the last record: nothing after it
    (tmp_path / "events.out.tfevents.1.h").write_bytes(bytes(raw))
    with pytest.warns(TruncatedLogWarning):
        run = read_run(tmp_path, reader)
    assert run.scalars["step"].tolist() == [0, 1, 2, 3]
    assert not any(is_damage_warning(w) for w in run.meta.warnings)


@pytest.mark.parametrize("reader", READERS)
def test_bad_length_crc_of_the_first_record_resyncs(tmp_path, reader):
    raw = bytearray(b"".join(wire.frame_record(p) for p in _events()))
    raw[8] ^= 0xFF  # the length CRC of record 0 (file_version)
    (tmp_path / "events.out.tfevents.1.h").write_bytes(bytes(raw))
    with pytest.warns(DamagedLogWarning, match="length CRC"):
        run = read_run(tmp_path, reader)
    assert run.scalars["step"].tolist() == [0, 1, 2, 3, 4]
    assert any("byte offset 0" in w and "at least 1 record" in w for w in run.meta.warnings)


@pytest.mark.parametrize("reader", READERS)
def test_zeros_at_the_end_keep_every_record(tmp_path, reader):
    """Issue 12: 4 KB of zeros at the end lost all 200 points."""
    good = b"".join(wire.frame_record(p) for p in _events(200))
    (tmp_path / "events.out.tfevents.1.h").write_bytes(good + bytes(4096))
    with pytest.warns(TruncatedLogWarning, match="4096 zero byte"):
        run = read_run(tmp_path, reader)
    assert len(run) == 200


@pytest.mark.parametrize("reader", READERS)
def test_one_bad_file_does_not_take_the_good_one_with_it(tmp_path, reader):
    wire.write_records(tmp_path / "events.out.tfevents.1.h", _events(200))
    (tmp_path / "events.out.tfevents.2.h").write_bytes(b"not a TFRecord file at all" * 10)
    with pytest.warns(DamagedLogWarning, match=r"tfevents\.2\.h"):
        run = read_run(tmp_path, reader)
    assert len(run) == 200
    (msg,) = [w for w in run.meta.warnings if is_damage_warning(w)]
    assert "events.out.tfevents.2.h: not read" in msg


@pytest.mark.parametrize("reader", READERS)
def test_huge_length_with_valid_crc_is_truncation(tmp_path, reader):
    head = struct.pack("<Q", 1 << 60)
    bogus = head + struct.pack("<I", wire.masked_crc32c(head)) + b"\x00" * 20
    good = b"".join(wire.frame_record(p) for p in _events())
    (tmp_path / "events.out.tfevents.1.h").write_bytes(good + bogus)
    with pytest.warns(TruncatedLogWarning):
        run = read_run(tmp_path, reader)  # no attempt to allocate 2**60 bytes
    assert run.scalars["step"].tolist() == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("reader", READERS)
def test_huge_length_with_bad_crc_is_corrupt(tmp_path, reader):
    bogus = struct.pack("<Q", 1 << 60) + b"\x00\x00\x01\x00" + b"\x07" * 20
    (tmp_path / "events.out.tfevents.1.h").write_bytes(bogus)
    with pytest.raises(CorruptLogError, match="length CRC"):
        read_run(tmp_path, reader)


@pytest.mark.parametrize("reader", READERS)
def test_garbage(tmp_path, reader):
    rng = np.random.default_rng(0)
    (tmp_path / "events.out.tfevents.1.h").write_bytes(rng.bytes(5000))
    with pytest.raises(CorruptLogError):
        read_run(tmp_path, reader)
    (tmp_path / "events.out.tfevents.1.h").write_bytes(b"hello, this is a text file\n" * 20)
    with pytest.raises(CorruptLogError):
        read_run(tmp_path, reader)


@pytest.mark.parametrize("reader", READERS)
def test_valid_crc_but_not_an_event(tmp_path, reader):
    wire.write_records(tmp_path / "events.out.tfevents.1.h", [_events()[1], b"\x0a\xff\xff"])
    with pytest.warns(DamagedLogWarning, match="not a TensorBoard Event"):
        run = read_run(tmp_path, reader)
    assert len(run) == 1
    wire.write_records(tmp_path / "events.out.tfevents.1.h", [b"\x0a\xff\xff"])
    with pytest.raises(CorruptLogError, match="no intact record"):
        read_run(tmp_path, reader)


def test_empty_file_and_empty_run(tmp_path):
    (tmp_path / "events.out.tfevents.1.h").write_bytes(b"")
    run = read_run(tmp_path)
    assert len(run) == 0 and any("no scalar" in w for w in run.meta.warnings)
    # an empty file beside a good one contributes nothing and no warning
    wire.write_records(tmp_path / "events.out.tfevents.2.h", _events())
    run = read_run(tmp_path)
    assert len(run) == 5 and not run.meta.warnings


def test_no_event_file(tmp_path):
    with pytest.raises(ReadError, match="no TensorBoard event file"):
        read_run(tmp_path)


def test_overlapping_files_warn(tmp_path):
    wire.write_records(tmp_path / "events.out.tfevents.1.h", _events(10))
    wire.write_records(tmp_path / "events.out.tfevents.2.h",
                       [wire.encode_scalar_event("loss", 100.0 + i, step=i) for i in range(5, 12)])
    run = read_run(tmp_path)
    assert any(w.startswith("restart:") for w in run.meta.warnings)
    s = run.series("loss")
    assert s.index.tolist() == list(range(12))
    assert s.tolist() == [0.0, 1, 2, 3, 4] + [100.0 + i for i in range(5, 12)]
