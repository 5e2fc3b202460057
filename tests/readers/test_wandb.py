"""W&B ``.wandb`` transaction logs: the real-writer fixtures read back exactly, and the traps.

Synthetic files are built with the framing writer in ``ganlogs.readers.wire`` and the
tiny protobuf encoder below (field numbers from ``wandb_internal.proto``, docs/wandb.md), so
the tests never need the ``wandb`` or ``protobuf`` packages.
"""

from __future__ import annotations

import json
import math
import os
import struct
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ganlogs.errors import (CorruptLogError, DamagedLogWarning, ReadError, TruncatedLogWarning,
                            is_damage_warning)
from ganlogs.readers import discover
from ganlogs.readers.wandb import FAST_PATH_MIN_RECORDS, WandbRunReader, decode_file
from ganlogs.readers.wire import FIRST, FULL, LAST, MIDDLE
from ganlogs.readers.wire import WANDB_BLOCK_SIZE as BLOCK_SIZE
from ganlogs.readers.wire import WANDB_HEADER as HEADER
from ganlogs.readers.wire import encode_key as _key
from ganlogs.readers.wire import encode_len as _len
from ganlogs.readers.wire import encode_log
from ganlogs.readers.wire import encode_varint as _varint

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
EXPECTED = ROOT / "tests" / "data" / "expected"
INDEX = json.loads((EXPECTED / "index.json").read_text())
WANDB_IDS = sorted(k for k, v in INDEX.items() if v["format"] == "wandb")
READER = WandbRunReader()


# --------------------------------------------------------------------------- tiny encoder
def _vint(field: int, value: int) -> bytes:
    return _key(field, 0) + _varint(value)


def item(key: str | list[str], value_json: str | None = None, *, integer: int | None = None,
         number: float | None = None, boolean: bool | None = None) -> bytes:
    """A HistoryItem: a flat ``key`` (Python sender) or a ``nested_key`` list (Go core)."""
    out = _len(1, key) if isinstance(key, str) else b"".join(_len(2, k) for k in key)
    if boolean is not None:
        out += _vint(4, int(boolean))
    if integer is not None:
        out += _vint(5, (integer << 1) ^ (integer >> 63))  # zigzag
    if number is not None:
        out += _key(6, 1) + struct.pack("<d", number)
    if value_json is not None:
        out += _len(16, value_json)
    return out


def history(items: list[bytes], step: int | None = None, num: int = 0) -> bytes:
    """A Record holding a HistoryRecord (``step=None``: no HistoryStep message)."""
    body = b"".join(_len(1, it) for it in items)
    if step is not None:
        body += _len(2, _vint(1, step) if step else b"")
    return _vint(1, num) + _len(2, body)


def run_record(run_id: str = "abc123", display_name: str = "toy", config: dict | None = None
               ) -> bytes:
    cfg = b"".join(_len(1, _len(1, k) + _len(16, json.dumps(v)))
                   for k, v in (config or {}).items())
    return _len(17, _len(1, run_id) + _len(3, "proj") + _len(4, cfg) + _len(8, display_name))


def exit_record(code: int) -> bytes:
    return _len(18, _vint(1, code) if code else b"")


def go_row(step: int, values: dict[str, str], ts: float = 1.7e9) -> bytes:
    """A history record the way wandb-core writes it: nested keys, Go number text."""
    items = [item(["_step"], str(step)), item(["_timestamp"], repr(ts + step)),
             item(["_runtime"], str(0.5 * step))]
    items += [item(k.split("."), v) for k, v in values.items()]
    return history(items[::-1], step)


def write_run(directory: Path, payloads: list[bytes], name: str = "run-abc123.wandb") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(encode_log(payloads))
    return path


def read_one(path: Path):
    (run,) = READER.read(path, run_id="r")
    for f in ([path] if path.is_file() else sorted(path.glob("*.wandb"))):
        assert_paths_agree(f.read_bytes())
    return run


def _outcome(data: bytes, fast: bool):
    """Everything a decoder produces, comparable across the two decoders (or its error)."""
    try:
        res = decode_file(data, Path("x.wandb"), fast=fast)
    except ReadError as exc:
        return ("error", str(exc))
    names, codes, steps, values, walls = res.columns
    return ([names[c] for c in codes], steps.tolist(), values.tobytes(), walls.tobytes(),
            {k: dict(v) for k, v in res.hist.skipped.items()}, dict(res.hist.step_from),
            res.hparams, res.run, res.exit_code, res.producer, res.cli_version, res.truncated,
            res.damage)


def assert_paths_agree(data: bytes) -> None:
    """The vectorised decoder (or its fallback) gives exactly what the reference one gives."""
    assert _outcome(data, fast=True) == _outcome(data, fast=False)


def rows(run) -> list[tuple[str, int, float]]:
    s = run.scalars
    return list(zip(s["tag"].astype(str), s["step"].tolist(), s["value"].tolist()))


def same_rows(a, b) -> bool:
    """Row lists equal, NaN equal to NaN."""
    return len(a) == len(b) and all(
        x[:2] == y[:2] and (x[2] == y[2] or (math.isnan(x[2]) and math.isnan(y[2])))
        for x, y in zip(a, b))


# --------------------------------------------------------------------------- real fixtures
@pytest.mark.parametrize("fid", WANDB_IDS)
def test_fixture_points_exact(fid):
    entry = INDEX[fid]
    path = FIXTURES / entry["path"]
    assert READER.guess_can_open(path)
    run = read_one(path)
    expected = pd.read_csv(EXPECTED / f"{fid}.csv", dtype={"tag": str, "step": np.int64,
                                                            "value": str})
    want = sorted((t, int(s), float(v)) for t, s, v in expected.itertuples(index=False))
    got = sorted(rows(run), key=lambda r: (r[0], r[1], repr(r[2])))
    want.sort(key=lambda r: (r[0], r[1], repr(r[2])))
    assert [(t, s) for t, s, _ in got] == [(t, s) for t, s, _ in want]
    for (t, s, g), (_, _, w) in zip(got, want):
        assert (math.isnan(g) and math.isnan(w)) or g == w, (t, s, g, w)
    assert run.meta.format == "wandb"
    assert run.meta.warnings == ()


@pytest.mark.parametrize("fid", WANDB_IDS)
def test_fixture_conventions(fid):
    """Nested dict -> 'loss.D', NaN/Infinity kept, fid every 5 steps, wall time, metadata."""
    path = FIXTURES / INDEX[fid]["path"]
    run = read_one(path)
    s = run.scalars
    assert set(run.tags) == {"d_loss", "g_loss", "loss.D", "loss.G", "fid"}
    assert not any(t.startswith("_") for t in run.tags)
    assert math.isnan(run.series("d_loss")[13]) and math.isnan(run.series("loss.D")[13])
    assert run.series("g_loss")[27] == math.inf and run.series("loss.G")[27] == math.inf
    assert run.series("fid").index.tolist() == list(range(4, 40, 5))
    assert run.series("d_loss").index.tolist() == list(range(40))
    wall = s["wall_time"].to_numpy()
    assert np.isfinite(wall).all() and (wall > 1.7e9).all() and (np.diff(wall) >= 0).all()
    assert (s["source"].astype(str) == next(path.glob("*.wandb")).name).all()
    version = fid.removeprefix("wandb_").replace("_", ".")
    assert run.meta.writer == f"wandb {version}"
    assert run.meta.hparams == {"lr_d": 2e-4, "lr_g": 2e-4, "batch_size": 64, "loss": "bce"}
    run_id = path.name.rsplit("-", 1)[1]
    assert any(run_id in n and "dcgan-offline" in n for n in run.meta.notes)


def test_discovery_lists_each_run_once():
    """latest-run symlinks point at runs already found by their real path."""
    found = discover(FIXTURES / "wandb")
    ids = sorted(s.run_id for s in found.sources)
    assert ids == sorted(
        str((FIXTURES / INDEX[f]["path"]).relative_to(FIXTURES / "wandb").as_posix())
        for f in WANDB_IDS)
    assert all(isinstance(s.reader, WandbRunReader) for s in found.sources)
    assert not found.problems


def test_cli_analyze_lists_each_run_once():
    proc = subprocess.run([sys.executable, "-m", "ganlogs", "analyze", str(FIXTURES / "wandb"),
                           "--format", "json"], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    runs = [r["run"] for r in doc["runs"]]
    assert len(runs) == len(set(runs)) == len(WANDB_IDS)
    assert not any("latest-run" in r for r in runs)
    assert {r["format"] for r in doc["runs"]} == {"wandb"}


def test_guess_can_open(tmp_path):
    fixture = FIXTURES / INDEX[WANDB_IDS[0]]["path"]
    assert READER.guess_can_open(fixture)
    assert not READER.guess_can_open(fixture.parent)  # wandb/: runs below, none directly in it
    assert not READER.guess_can_open(fixture / "files")
    assert not READER.guess_can_open(tmp_path / "missing")
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "run-x.wandb").write_bytes(b"this is not a transaction log\n")
    assert not READER.guess_can_open(garbage)
    syncstate = tmp_path / "syncstate"
    syncstate.mkdir()
    (syncstate / "run-x.wandb.syncstate").write_text('{"starting_step":0}')
    assert not READER.guess_can_open(syncstate)


# --------------------------------------------------------------------------- writers' variants
def test_python_sender_flat_keys_and_dict_values(tmp_path):
    recs = [run_record(config={"lr": 1e-4, "_wandb": {"x": 1}})]
    for i in range(3):
        recs.append(history([
            item("loss/D", repr(0.5 + i)), item("loss", json.dumps({"D": i, "G": {"x": 2.5}})),
            item("_timestamp", f"{1700000000.25 + i}"), item("_runtime", "0.1"),
            item("_step", str(i)), item("_wandb", '{"runtime": 0}')], step=i))
    recs.append(exit_record(0))
    run = read_one(write_run(tmp_path / "run", recs))
    assert rows(run) == [
        ("loss/D", 0, 0.5), ("loss.D", 0, 0.0), ("loss.G.x", 0, 2.5),
        ("loss/D", 1, 1.5), ("loss.D", 1, 1.0), ("loss.G.x", 1, 2.5),
        ("loss/D", 2, 2.5), ("loss.D", 2, 2.0), ("loss.G.x", 2, 2.5)]
    assert run.scalars["wall_time"].tolist() == [1700000000.25] * 3 + [1700000001.25] * 3 + [
        1700000002.25] * 3
    assert run.meta.hparams == {"lr": 1e-4}
    assert run.meta.warnings == ()


def test_go_core_nested_keys_and_special_numbers(tmp_path):
    recs = [go_row(0, {"loss.D": "300", "g": "NaN", "h": "Infinity", "k": "-Infinity",
                       "big": "1.7955642354536269e+09", "i": "12345678901234567890"})]
    run = read_one(write_run(tmp_path / "run", recs))
    got = dict((t, v) for t, _, v in rows(run))
    assert got["loss.D"] == 300.0 and math.isnan(got["g"])
    assert got["h"] == math.inf and got["k"] == -math.inf
    assert got["big"] == 1.7955642354536269e+09
    assert got["i"] == float(12345678901234567890)
    assert set(got) == {"loss.D", "g", "h", "k", "big", "i"}  # _step/_timestamp/_runtime dropped
    assert run.scalars["wall_time"].iloc[0] == 1.7e9


def test_typed_values_without_json(tmp_path):
    """x_history_value_encoding="json,typed" sets both; a typed-only item is read too."""
    recs = [history([item(["a"], integer=-7), item(["b"], number=0.1),
                     item(["c"], "2.5", number=2.5), item(["flag"], boolean=True)], step=3)]
    run = read_one(write_run(tmp_path / "run", recs))
    assert rows(run) == [("a", 3, -7.0), ("b", 3, 0.1), ("c", 3, 2.5)]
    assert any("boolean" in n and "'flag'" in n for n in run.meta.notes)
    # an item with no value at all, as the very last bytes of the file, is not corruption
    run = read_one(write_run(tmp_path / "end", [history([item(["a"], "1"), item(["n"])])]))
    assert rows(run) == [("a", 0, 1.0)]
    assert any("empty: 'n'" in n for n in run.meta.notes)


def test_non_numeric_values_skipped_and_counted(tmp_path):
    image = json.dumps({"_type": "image-file", "path": "media/images/x.png", "sha256": "00"})
    recs = [history([item("d_loss", "1.5"), item("samples", image), item("msg", '"hello"'),
                     item("is_best", "true"), item("none", "null"), item("hist", "[1, 2]")],
                    step=s) for s in range(4)]
    run = read_one(write_run(tmp_path / "run", recs))
    assert run.tags == ["d_loss"] and len(run) == 4
    (note,) = [n for n in run.meta.notes if "non-numeric" in n]
    assert "skipped 20 non-numeric" in note
    for word in ("image-file", "'samples'", "text", "boolean", "null", "list"):
        assert word in note


def test_hostile_json_values(tmp_path):
    """Huge integers become +-inf (as float() reads them); absurd nesting is skipped."""
    big = "1" + "0" * 400
    recs = [history([item("a", json.dumps({"D": 1}).replace("1", big)),
                     item("deep", "[" * 5000 + "]" * 5000),
                     item("deep_dict", '{"a": ' * 5000 + "1" + "}" * 5000),
                     item("b", big), item("c", "-" + big)], step=1)]
    run = read_one(write_run(tmp_path / "run", recs))
    assert rows(run) == [("a.D", 1, math.inf), ("b", 1, math.inf), ("c", 1, -math.inf)]
    assert any("unparsable JSON: 'deep'" in n and "'deep_dict'" in n for n in run.meta.notes)


def test_step_sources(tmp_path):
    """HistoryRecord.step wins; else the _step item; else the record index (noted)."""
    recs = [history([item("x", "1"), item("_step", "7")], step=5),
            history([item("x", "2"), item("_step", "9")]),
            history([item("x", "3")]),
            history([item("x", "4")], step=0),  # present but empty step message = step 0
            history([item("x", "5"), item("_step", "Infinity")])]  # not a usable step
    run = read_one(write_run(tmp_path / "run", recs))
    assert run.scalars["step"].tolist() == [5, 9, 2, 0, 4]
    assert any("2 history record(s) had no step" in n for n in run.meta.notes)


def test_metric_every_five_steps(tmp_path):
    recs = [go_row(s, {"d": "1", **({"fid": f"{s}.5"} if s % 5 == 4 else {})}) for s in range(20)]
    run = read_one(write_run(tmp_path / "run", recs))
    fid = run.series("fid")
    assert fid.index.tolist() == [4, 9, 14, 19] and fid.tolist() == [4.5, 9.5, 14.5, 19.5]
    assert len(run.series("d")) == 20


def test_exit_code_warning(tmp_path):
    run = read_one(write_run(tmp_path / "run", [go_row(0, {"d": "1"}), exit_record(255)]))
    assert "the run exited with code 255 (it crashed or was interrupted)" in run.meta.warnings
    run = read_one(write_run(tmp_path / "neg", [go_row(0, {"d": "1"}), exit_record(-1)]))
    assert any("code -1" in w for w in run.meta.warnings)


def test_no_exit_record_is_noted(tmp_path):
    run = read_one(write_run(tmp_path / "run", [go_row(0, {"d": "1"})]))
    assert any("no exit record" in n for n in run.meta.notes)
    assert run.meta.warnings == ()


def test_multi_block_record(tmp_path):
    """A record longer than two blocks is split FIRST/MIDDLE/LAST and read back whole."""
    many = {f"m{i:05d}": f"{i}.25" for i in range(6000)}  # ~100 KB history record
    recs = [go_row(0, {"d": "1"}), go_row(1, many), go_row(2, {"d": "3"}), exit_record(0)]
    path = write_run(tmp_path / "run", recs)
    data = path.read_bytes()
    types = _physical_types(data)
    assert FIRST in types and MIDDLE in types and LAST in types and len(data) > 3 * BLOCK_SIZE
    run = read_one(path)
    assert len(run) == 1 + 6000 + 1
    assert run.series("m05999").tolist() == [5999.25]
    assert run.series("d").index.tolist() == [0, 2]


# --------------------------------------------------------------------------- truncation
def _physical(data: bytes):
    """(offset, type, end) of each physical record: an independent walk for the tests."""
    pos, out = len(HEADER), []
    while pos + 7 <= len(data):
        left = BLOCK_SIZE - pos % BLOCK_SIZE
        if left < 7:
            pos += left
            continue
        _, length, rtype = struct.unpack_from("<IHB", data, pos)
        out.append((pos, rtype, pos + 7 + length))
        pos += 7 + length
    return out


def _physical_types(data: bytes) -> set[int]:
    return {t for _, t, _ in _physical(data)}


def _clean_cuts(data: bytes) -> set[int]:
    """Cut offsets that end the file between logical records (no warning expected)."""
    cuts = {0, len(HEADER)}
    for _, rtype, end in _physical(data):
        if rtype in (FULL, LAST):
            cuts.add(end)
            left = BLOCK_SIZE - end % BLOCK_SIZE
            if left < 7:  # the zero trailer after it is part of the boundary
                cuts.update(range(end, end + left + 1))
    return cuts


def _decoded_rows(data: bytes) -> tuple[list, str | None]:
    res = decode_file(data, Path("cut.wandb"))
    h = res.hist
    return list(zip(h.tags, h.steps, h.values)), res.truncated


def test_truncation_at_every_byte_of_smallest_fixture():
    paths = [next((FIXTURES / INDEX[f]["path"]).glob("*.wandb")) for f in WANDB_IDS]
    data = min((p.read_bytes() for p in paths), key=len)
    full, truncated = _decoded_rows(data)
    assert truncated is None and len(full) == 168
    clean = _clean_cuts(data)
    previous = 0
    for cut in range(len(data) + 1):
        got, truncated = _decoded_rows(data[:cut])
        assert same_rows(got, full[:len(got)]), cut
        assert len(got) >= previous, cut
        previous = len(got)
        assert (truncated is None) == (cut in clean), (cut, truncated)
        if cut % 97 == 0:
            assert_paths_agree(data[:cut])
    assert previous == len(full)


def test_truncated_read_warns_and_keeps_complete_records(tmp_path):
    recs = [go_row(s, {"d": f"{s}"}) for s in range(50)]
    data = encode_log(recs)
    ends = [end for _, t, end in _physical(data) if t in (FULL, LAST)]
    path = tmp_path / "run" / "run-x.wandb"
    path.parent.mkdir()
    path.write_bytes(data[:ends[9] + 5])  # 10 records, then part of the 11th
    with pytest.warns(TruncatedLogWarning, match="run-x.wandb"):
        run = read_one(path.parent)
    assert run.scalars["step"].tolist() == list(range(10))
    (msg,) = run.meta.warnings
    assert "truncated" in msg and "10 complete record(s)" in msg
    # a cut exactly between records is a clean (possibly still running) log
    path.write_bytes(data[:ends[9]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = read_one(path.parent)
    assert len(run) == 10 and run.meta.warnings == ()


def test_truncation_inside_multi_block_record(tmp_path):
    many = {f"m{i:05d}": "1" for i in range(6000)}
    data = encode_log([go_row(0, {"d": "1"}), go_row(1, many), go_row(2, {"d": "3"})])
    phys = _physical(data)
    first = next(p for p in phys if p[1] == FIRST)
    last = next(p for p in phys if p[1] == LAST)
    for cut in (first[0] + 3, first[2], BLOCK_SIZE, BLOCK_SIZE + 100, last[0], last[2] - 1):
        got, truncated = _decoded_rows(data[:cut])
        assert [r[:2] for r in got] == [("d", 0)] and truncated, cut
    got, truncated = _decoded_rows(data[:last[2]])
    assert truncated is None and len(got) == 6001


def test_zero_tail_is_truncation_not_corruption():
    data = encode_log([go_row(0, {"d": "1"})])
    got, truncated = _decoded_rows(data + bytes(100))
    assert len(got) == 1 and "zero byte" in truncated


def test_empty_and_header_only_files(tmp_path):
    path = tmp_path / "run" / "run-x.wandb"
    path.parent.mkdir()
    path.write_bytes(b"")
    assert READER.guess_can_open(path.parent)
    run = read_one(path.parent)
    assert len(run) == 0 and any("empty" in w for w in run.meta.warnings)
    path.write_bytes(HEADER)
    run = read_one(path.parent)
    assert len(run) == 0
    path.write_bytes(HEADER[:3])
    with pytest.warns(TruncatedLogWarning):
        assert len(read_one(path.parent)) == 0


# --------------------------------------------------------------------------- corruption
def test_bad_checksum_mid_file_keeps_every_other_record(tmp_path):
    recs = [go_row(s, {"d": f"{s}"}) for s in range(20)]
    path = write_run(tmp_path / "run", recs)
    data = bytearray(path.read_bytes())
    offset, _, end = _physical(bytes(data))[7]
    data[end - 2] ^= 0x40
    path.write_bytes(bytes(data))
    with pytest.warns(DamagedLogWarning, match=str(path.parent)):
        run = read_one(path.parent)  # fast and reference decoders agree, damage included
    assert run.scalars["step"].tolist() == [s for s in range(20) if s != 7]
    (msg,) = [w for w in run.meta.warnings if is_damage_warning(w)]
    assert "\n" not in msg and msg.startswith("damaged: run-abc123.wandb: ")
    assert "bad record checksum" in msg and f"byte offset {offset}" in msg
    assert "19 intact record(s) kept" in msg


def test_zeros_at_the_end_keep_every_record(tmp_path):
    """Issue 12: 4 KB of zeros at the end of a .wandb file."""
    path = write_run(tmp_path / "run", [go_row(s, {"d": f"{s}"}) for s in range(200)])
    path.write_bytes(path.read_bytes() + bytes(4096))
    with pytest.warns(TruncatedLogWarning, match="zero byte"):
        run = read_one(path.parent)
    assert len(run) == 200


def test_damage_across_a_block_boundary_resyncs(tmp_path):
    """A multi-part record hit in its middle part is lost; the records after it are kept."""
    big = "x" * 50_000  # spans two blocks: FIRST + MIDDLE/LAST
    recs = ([go_row(s, {"d": f"{s}"}) for s in range(50)]
            + [history([item("note", f'"{big}"')], step=50)]
            + [go_row(s, {"d": f"{s}"}) for s in range(51, 100)])
    path = write_run(tmp_path / "run", recs)
    data = bytearray(path.read_bytes())
    data[BLOCK_SIZE + 100] ^= 0x01  # inside the part in the second block
    path.write_bytes(bytes(data))
    with pytest.warns(DamagedLogWarning):
        run = read_one(path.parent)
    assert run.scalars["step"].tolist() == [s for s in range(100) if s != 50]


def test_one_bad_file_does_not_take_the_good_one_with_it(tmp_path):
    write_run(tmp_path / "run", [go_row(s, {"d": f"{s}"}) for s in range(30)], "run-a.wandb")
    (tmp_path / "run" / "run-b.wandb").write_bytes(HEADER[:4] + b"garbage" * 20)
    with pytest.warns(DamagedLogWarning, match="run-b.wandb"):
        (run,) = READER.read(tmp_path / "run", run_id="r")
    assert len(run) == 30


def test_garbage_file_with_wandb_name(tmp_path):
    run_dir = tmp_path / "wandb" / "offline-run-20260101_000000-zzz"
    run_dir.mkdir(parents=True)
    (run_dir / "run-zzz.wandb").write_bytes(os.urandom(3000).replace(b":", b"."))
    assert not READER.guess_can_open(run_dir)
    assert discover(tmp_path).sources == []
    with pytest.raises(CorruptLogError, match=r"not a W&B transaction log \(bad header\)"):
        read_one(run_dir)
    (run_dir / "run-zzz.wandb").write_bytes(b":W&B\x00\x00\x01" + bytes(20))
    with pytest.raises(CorruptLogError, match="unsupported W&B transaction log header"):
        read_one(run_dir)


def test_length_past_block_is_corruption_not_allocation():
    data = bytearray(encode_log([go_row(0, {"d": "1"}), go_row(1, {"d": "2"})]))
    offset = _physical(bytes(data))[1][0]
    struct.pack_into("<H", data, offset + 4, 65535)
    res = decode_file(bytes(data), Path("x.wandb"))
    assert res.records == 1 and res.damage[0].offset == offset
    assert f"runs past the end of its {BLOCK_SIZE}-byte block" in res.damage[0].reason
    assert_paths_agree(bytes(data))


@pytest.mark.parametrize("mutate, message", [
    (lambda d, o: struct.pack_into("<B", d, o + 6, 9), "unknown record type 9"),
    (lambda d, o: struct.pack_into("<B", d, o + 6, LAST), "LAST record without a FIRST"),
])
def test_bad_record_types(mutate, message):
    data = bytearray(encode_log([go_row(0, {"d": "1"}), go_row(1, {"d": "2"})]))
    offset, _, end = _physical(bytes(data))[1]
    mutate(data, offset)
    # re-seal the checksum so that only the type is wrong
    import zlib
    rtype = data[offset + 6]
    struct.pack_into("<I", data, offset, zlib.crc32(bytes(data[offset + 7:end]),
                                                    zlib.crc32(bytes([rtype]))))
    res = decode_file(bytes(data), Path("x.wandb"))
    assert res.records == 1 and message in res.damage[0].reason
    assert res.damage[0].offset == offset


def test_undecodable_payload_with_good_checksum_is_skipped_as_damage():
    data = encode_log([go_row(0, {"d": "1"}), b"\x12\xff\xff\x03", go_row(1, {"d": "2"})])
    res = decode_file(data, Path("x.wandb"))
    assert res.columns[2].tolist() == [0, 1] and res.records == 2
    assert res.damage[0].reason == "valid checksum but not a wandb_internal.Record"
    assert_paths_agree(data)
    with pytest.raises(CorruptLogError, match="no intact record"):
        decode_file(encode_log([b"\x12\xff\xff\x03"]), Path("x.wandb"))


def test_fuzzed_bytes_raise_only_read_errors():
    """Random byte corruptions: a ReadError or a (possibly shorter) read, nothing else, and
    the same outcome from both decoders."""
    rng = np.random.default_rng(0)
    data = encode_log([go_row(s, {"d": f"{s}", "loss.G": "NaN"}) for s in range(30)])
    errors = 0
    for _ in range(300):
        buf = bytearray(data)
        for pos in rng.integers(0, len(buf), size=int(rng.integers(1, 4))):
            buf[pos] = int(rng.integers(0, 256))
        slow = _outcome(bytes(buf), fast=False)
        errors += slow[0] == "error"
        assert _outcome(bytes(buf), fast=True) == slow
    assert 0 < errors < 300


def test_fuzzed_payloads_with_good_checksums():
    """Corrupt the protobuf payloads, not the framing: both decoders agree, errors are
    ReadErrors."""
    rng = np.random.default_rng(1)
    payloads = [go_row(s, {"d": f"{s}.5", "loss.G": "NaN"}) for s in range(20)]
    payloads.append(history([item("x", "1"), item("img", '{"_type": "image-file"}')], step=3))
    for _ in range(400):
        damaged = []
        for p in payloads:
            b = bytearray(p)
            if rng.random() < 0.2:
                b[int(rng.integers(0, len(b)))] = int(rng.integers(0, 256))
            damaged.append(bytes(b))
        data = encode_log(damaged)
        assert _outcome(data, fast=True) == _outcome(data, fast=False)


def test_fuzzed_number_texts():
    """value_json texts made of number characters: float() and the vectorised parser agree
    (or the file falls back to the reference decoder)."""
    rng = np.random.default_rng(2)
    alphabet = list("0123456789+-.eE") + ["NaN", "Infinity", "-Infinity", "1e400", "5e-324"]
    rows_ = []
    for s in range(200):
        text = "".join(rng.choice(alphabet, size=int(rng.integers(1, 6))))
        rows_.append(go_row(s, {"v": text, "w": repr(float(rng.standard_normal()))}))
    for chunk in range(0, 200, 10):  # several files: one bad text sends a file to fallback
        assert_paths_agree(encode_log(rows_[chunk:chunk + 10]))


def test_fast_path_on_large_files(tmp_path):
    """Large files take the vectorised path; rows equal the reference decoder's, including
    multi-block records, skipped media, dict values and typed-only items."""
    n = FAST_PATH_MIN_RECORDS + 100
    many = {f"m{i:05d}": f"{i}.25" for i in range(6000)}
    image = json.dumps({"_type": "image-file", "path": "x.png"})
    recs = [run_record(config={"lr": 0.1})]
    for s in range(n):
        recs.append(go_row(s, {"loss.D": repr(1 / (s + 1)), "g": "NaN" if s == 7 else "2"}))
        if s == 300:
            recs.append(go_row(s + 0.5 and 10_000, many))
    recs.append(history([item("old/flat", "1.5"), item("loss", '{"D": 3, "G": {"x": 4}}'),
                         item("img", image), item(["typed"], integer=-3),
                         item("_timestamp", "12.5")], step=n + 1))
    recs.append(exit_record(1))
    path = write_run(tmp_path / "run", recs)
    data = path.read_bytes()
    assert {FIRST, MIDDLE, LAST} <= _physical_types(data)
    res = decode_file(data, path)
    assert res.fast
    assert _outcome(data, fast=True) == _outcome(data, fast=False)
    run = read_one(path.parent)
    assert len(run.series("loss.D")) == n + 1 and math.isnan(run.series("g")[7])
    assert run.series("m05999").tolist() == [5999.25]
    assert rows(run)[-4:] == [("old/flat", n + 1, 1.5), ("loss.D", n + 1, 3.0),
                              ("loss.G.x", n + 1, 4.0), ("typed", n + 1, -3.0)]
    assert run.scalars["wall_time"].iloc[-1] == 12.5
    assert any("image-file: 'img'" in note for note in run.meta.notes)
    assert "the run exited with code 1 (it crashed or was interrupted)" in run.meta.warnings


def test_fast_path_falls_back_on_unusual_layouts():
    """A key after its value (no wandb writer does that) is read by the reference decoder."""
    odd = _len(1, _len(16, "2.5") + _len(2, "late")) + _len(2, _vint(1, 4))
    recs = [go_row(s, {"d": "1"}) for s in range(5)] + [_vint(1, 0) + _len(2, odd)]
    data = encode_log(recs)
    res = decode_file(data, Path("x.wandb"), fast=True)
    assert not res.fast
    assert_paths_agree(data)
    names, codes, steps, values, _ = res.columns
    assert (names[codes[-1]], int(steps[-1]), float(values[-1])) == ("late", 4, 2.5)


def test_fast_path_in_chunks_on_threads():
    """A file of several chunks of records (8,192 each) decoded on two threads: the same
    rows as the reference decoder, with multi-block records, long keys, nested keys and a
    non-history record among them."""
    long_key = "train/" + "discriminator_" * 4 + "loss"
    recs = [run_record(config={"lr": 0.1})]
    for s in range(2 * 8192 + 300):
        values = {"loss.D": repr(1 / (s + 1)), long_key: repr(s * 0.1)}
        if s % 997 == 5:
            values["big"] = "1" * 70000 if s == 5 else "NaN"
        recs.append(go_row(s, values))
        if s == 9000:
            recs.append(exit_record(0))
    data = encode_log(recs)
    assert {FIRST, MIDDLE, LAST} <= _physical_types(data)
    res = decode_file(data, Path("x.wandb"), threads=2)
    assert res.fast
    assert _outcome_threads(data, 2) == _outcome(data, fast=False)
    assert _outcome_threads(data, 1) == _outcome(data, fast=False)
    names, codes, *_ = res.columns
    assert long_key in names and "loss.D" in names


def _outcome_threads(data: bytes, threads: int):
    res = decode_file(data, Path("x.wandb"), fast=True, threads=threads)
    names, codes, steps, values, walls = res.columns
    return ([names[c] for c in codes], steps.tolist(), values.tobytes(), walls.tobytes(),
            {k: dict(v) for k, v in res.hist.skipped.items()}, dict(res.hist.step_from),
            res.hparams, res.run, res.exit_code, res.producer, res.cli_version, res.truncated,
            res.damage)
