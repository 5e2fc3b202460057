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


# ----------------------------------------------------------------------------- run directory
def _console_tick(tick_no: int, kimg: float, augment: float) -> str:
    """One tick line exactly as training_loop.py prints it (fields joined by spaces)."""
    fields = [f"tick {tick_no:<5d}", f"kimg {kimg:<8.1f}", "time 1h 02m 03s",
              f"sec/tick {151.7:<7.1f}", f"sec/kimg {37.91:<7.2f}",
              f"maintenance {0.2:<6.1f}", f"cpumem {3.15:<6.2f}", f"gpumem {6.34:<6.2f}",
              f"augment {augment:.3f}"]
    return " ".join(fields) + "\n"


def _metric_line(kimg: int, fid: float) -> str:
    return json.dumps({"results": {"fid50k_full": fid}, "metric": "fid50k_full",
                       "total_time": 541.9, "total_time_str": "9m 02s", "num_gpus": 1,
                       "snapshot_pkl": f"network-snapshot-{kimg:06d}.pkl",
                       "timestamp": 1714470115.7}) + "\n"


def _stylegan_dir(tmp_path, *, events: bool = True):
    import shutil

    d = tmp_path / "00003-sprites-auto1"
    d.mkdir()
    shutil.copy(PATH, d / "stats.jsonl")
    kimgs = sorted(set(points(READER.read(PATH, run_id=".")[0])["step"]))
    (d / "metric-fid50k_full.jsonl").write_text(
        _metric_line(0, 300.0) + _metric_line(kimgs[-1], 42.5))
    (d / "log.txt").write_text(
        "Loading training set...\n\nConstructing networks...\n"
        + "".join(_console_tick(i, k, 0.01 * i) for i, k in enumerate(kimgs))
        + "Evaluating metrics...\n" + _metric_line(kimgs[-1], 42.5).replace("\n", "")
        + "\n\nExiting...\n")
    if events:
        tb, _ = fixture_path("tb_stylegan2ada")
        for f in tb.iterdir():
            shutil.copy(f, d / f.name)
    return d


def test_run_directory_is_one_run_with_every_file_joined(tmp_path):
    from ganlogs.readers import discover, load
    from ganlogs.readers.stylegan_run import StyleganRunReader

    d = _stylegan_dir(tmp_path)
    found = discover(tmp_path)
    assert [(s.run_id, type(s.reader)) for s in found.sources] == [
        ("00003-sprites-auto1", StyleganRunReader)]
    (run,) = load(found.sources[0])
    assert run.meta.format == "stylegan_run" and run.meta.step_unit == "kimg"
    summary = run.series_summary()
    alone = READER.read(d / "stats.jsonl", run_id=".")[0].series_summary()
    # every stats.jsonl scalar once, from stats.jsonl; the event file's copies not kept
    for tag, s in alone.items():
        assert summary[tag]["points"] == s["points"], tag
    assert summary["fid50k_full"]["points"] == 2
    assert "Metrics/fid50k_full" not in summary
    assert set(run.scalars["source"].astype(str)) == {"stats.jsonl", "metric-fid50k_full.jsonl"}
    # joined by kimg: the snapshot's kimg is the step of the stats.jsonl tick
    assert run.series("fid50k_full").to_dict() == {0: 300.0,
                                                   alone["Loss/G/loss"]["last_step"]: 42.5}
    notes = " | ".join(run.meta.notes)
    assert "stats.jsonl, metric-fid50k_full.jsonl, events.out.tfevents" in notes
    assert "log.txt" in notes and "stats.jsonl's values kept" in notes


def test_console_log_alone_is_read_with_no_losses(tmp_path):
    from ganlogs.readers import reader_for
    from ganlogs.readers.stylegan_run import StyleganConsoleReader

    d = _stylegan_dir(tmp_path, events=False)
    console = d / "log.txt"
    assert isinstance(reader_for(console), StyleganConsoleReader)
    run = StyleganConsoleReader().read(console, run_id=".")[0]
    assert run.meta.format == "stylegan_log"
    assert "Progress/augment" in run.tags and "fid50k_full" in run.tags
    assert not any(t.startswith("Loss/") for t in run.tags)
    assert run.series("Timing/total_sec").iloc[0] == 3723.0
    assert any("no GAN losses found" in n for n in run.meta.notes)
