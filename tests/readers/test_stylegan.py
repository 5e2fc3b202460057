"""StyleGAN2-ADA stats.jsonl reader: the fixture read back exactly, step unit, claiming,
truncated and corrupt lines, cut offsets."""

from __future__ import annotations

import json
import math

import pytest

from ganlogs.errors import CorruptLogError, ReadError, TruncatedLogWarning
from ganlogs.readers import reader_for
from ganlogs.readers.stylegan import StyleganStatsReader

from _expected import (assert_matches_expected, cut_offsets, fixture_path, is_prefix, points,
                       read_quietly)

READER = StyleganStatsReader()
PATH, _ = fixture_path("stylegan_stats_jsonl")


def tick(kimg: float, ts: float, **means: float) -> str:
    obj = {k: {"num": 4, "mean": v, "std": 0.1} for k, v in means.items()}
    obj["Progress/kimg"] = {"num": 1, "mean": kimg, "std": 0.0}
    obj["timestamp"] = ts
    return json.dumps(obj) + "\n"


def test_fixture_reads_back_exactly():
    assert READER.guess_can_open(PATH)
    assert isinstance(reader_for(PATH), StyleganStatsReader)
    runs, caught = read_quietly(READER, PATH)
    assert caught == []
    run = runs[0]
    assert_matches_expected(run, "stylegan_stats_jsonl")
    first = json.loads(PATH.read_text().splitlines()[0])
    assert run.scalars["wall_time"].iloc[0] == first["timestamp"]
    assert any("kimg" in n for n in run.meta.notes)


def test_step_is_int_kimg_and_num_zero_is_nan(tmp_path):
    p = tmp_path / "stats.jsonl"
    obj = json.loads(tick(4.032, 10.0, **{"Loss/G/loss": 0.5}))
    obj["Loss/G/reg"] = {"num": 0, "mean": float("nan"), "std": float("nan")}
    p.write_text(tick(0.032, 1.0, **{"Loss/G/loss": 0.7}) + json.dumps(obj) + "\n")
    run = READER.read(p, run_id=".")[0]
    got = points(run)
    assert got["step"].tolist() == [0, 0, 4, 4, 4]
    assert math.isnan(got["value"].iloc[-1])
    assert any("num = 0" in n for n in run.meta.notes)


def test_missing_kimg_uses_tick_index(tmp_path):
    p = tmp_path / "stats.jsonl"
    p.write_text('{"Loss/D/loss": {"num": 1, "mean": 1.0, "std": 0}, "timestamp": 5}\n'
                 '{"Loss/D/loss": {"num": 1, "mean": 0.5, "std": 0}, "timestamp": 6}\n')
    run = READER.read(p, run_id=".")[0]
    assert run.scalars["step"].tolist() == [0, 1]
    assert any("without Progress/kimg" in n for n in run.meta.notes)


@pytest.mark.parametrize("name,content,claimed", [
    ("stats.jsonl", tick(0, 1, a=1.0), True),
    ("stats.JSON", tick(0, 1, a=1.0), True),
    ("metric-fid50k_full.jsonl", '{"results": {"fid50k_full": 12.3}, "metric": "fid"}\n', False),
    ("config.json", '{"lr": 0.002}\n', False),
    ("stats.txt", tick(0, 1, a=1.0), False),
    ("broken.jsonl", "{not json\n", False),
])
def test_guess_can_open(tmp_path, name, content, claimed):
    p = tmp_path / name
    p.write_text(content)
    assert READER.guess_can_open(p) is claimed


def test_guess_can_open_long_first_line(tmp_path):
    p = tmp_path / "stats.jsonl"
    p.write_text(tick(0, 1, **{f"Loss/x{i}": 0.5 for i in range(3000)}))
    assert READER.guess_can_open(p)


def test_truncated_last_line(tmp_path):
    p = tmp_path / "stats.jsonl"
    p.write_text(tick(0.03, 1, a=1.0) + tick(4.03, 2, a=0.5)[:-10])
    with pytest.warns(TruncatedLogWarning, match="stats.jsonl"):
        run = READER.read(p, run_id=".")[0]
    assert run.scalars["step"].tolist() == [0, 0]


def test_corrupt_middle_line_is_skipped_and_counted(tmp_path):
    p = tmp_path / "stats.jsonl"
    p.write_text(tick(0.03, 1, a=1.0) + "{garbage\n" + "[1, 2]\n" + tick(8.03, 3, a=0.5))
    run = READER.read(p, run_id=".")[0]
    assert run.scalars["step"].tolist() == [0, 0, 8, 8]
    assert any(w.startswith("2 corrupt line(s) skipped") and "line 2" in w
               for w in run.meta.warnings)


def test_all_corrupt_and_empty(tmp_path):
    p = tmp_path / "stats.jsonl"
    p.write_text("{garbage\nmore garbage\n")
    with pytest.raises(CorruptLogError) as exc:
        READER.read(p, run_id=".")
    assert "\n" not in str(exc.value) and str(p) in str(exc.value)
    p.write_text("")
    with pytest.raises(ReadError, match="empty file"):
        READER.read(p, run_id=".")


def test_cut_offsets(tmp_path):
    """Each cut keeps exactly the complete ticks before it, warning when cut inside one."""
    data = PATH.read_bytes()
    full = points(READER.read(PATH, run_id=".")[0])
    per_tick = len(full) // data.count(b"\n")
    target = tmp_path / PATH.name
    for cut in cut_offsets(data, sample=40, head=40):
        part = data[:cut]
        target.write_bytes(part)
        ticks = part.count(b"\n")
        try:
            runs, caught = read_quietly(READER, target)
        except ReadError:
            assert ticks == 0 and not part.strip(), cut
            continue
        got = points(runs[0])
        assert is_prefix(got, full) and len(got) == ticks * per_tick, cut
        mid = bool(part[part.rfind(b"\n") + 1:].strip())
        assert any("TruncatedLogWarning" in c for c in caught) == mid, cut


def test_kimg_beyond_int64_is_skipped(tmp_path):
    p = tmp_path / "stats.jsonl"
    p.write_text(tick(0.03, 1, a=1.0) + tick(1e30, 2, a=0.5) + tick(float("inf"), 3, a=0.5)
                 + tick(8.03, 4, a=0.25))
    run = READER.read(p, run_id=".")[0]
    assert run.scalars["step"].tolist() == [0, 0, 8, 8]
    assert any(w.startswith("2 tick(s) whose Progress/kimg") for w in run.meta.warnings)


def test_absurdly_nested_line_is_a_corrupt_line(tmp_path):
    p = tmp_path / "stats.jsonl"
    p.write_text(tick(0.03, 1, a=1.0) + "[" * 100_000 + "]" * 100_000 + "\n"
                 + tick(4.03, 2, a=0.5))
    run = READER.read(p, run_id=".")[0]
    assert run.scalars["step"].tolist() == [0, 0, 4, 4]
    assert any("1 corrupt line(s)" in w for w in run.meta.warnings)
