"""Followers read only what was appended, and end with the rows a whole read gives."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import ganlogs
from ganlogs.live.tail import EventDirFollower, ReloadFollower, follower_for
from ganlogs.live.tail_text import TextFollower
from ganlogs.readers import discover
from ganlogs.readers.wire import encode_file_version_event, encode_scalar_event, frame_record

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _records(n: int, start: int = 0, nan_at: int | None = None) -> bytes:
    out = b""
    for step in range(start, start + n):
        d = math.nan if nan_at is not None and step >= nan_at else 1.3 + 0.01 * (step % 7)
        out += frame_record(encode_scalar_event("Loss/D", d, step, 1.0e9 + step))
        out += frame_record(encode_scalar_event("Loss/G", 0.7 + 0.01 * (step % 5), step,
                                                1.0e9 + step))
    return out


def _rows(run: ganlogs.Run) -> list[tuple[str, int, float]]:
    v = run.view()
    return [(str(t), int(s), float(x)) for t, s, x in zip(v["tag"], v["step"], v["value"])]


def _same(a, b) -> bool:
    return len(a) == len(b) and all(
        x[0] == y[0] and x[1] == y[1] and (x[2] == y[2] or (math.isnan(x[2]) and math.isnan(y[2])))
        for x, y in zip(a, b))


def _source(path: Path):
    (src,) = discover(path).sources
    return src


def test_event_follower_cut_at_every_kind_of_offset(tmp_path):
    data = frame_record(encode_file_version_event(1.0e9)) + _records(120, nan_at=110)
    event = tmp_path / "events.out.tfevents.1.host"
    # cuts inside the 12-byte header, inside the data, inside the data CRC, on boundaries
    cuts = sorted({0, 5, 13, 40, 97, 300, 301, 1234, len(data) // 2, len(data) - 3, len(data)})
    event.write_bytes(b"")
    follower = follower_for(_source(tmp_path))
    assert isinstance(follower, EventDirFollower)
    for cut in cuts:
        with open(event, "r+b") as fh:
            fh.seek(0, 2)
            fh.write(data[fh.tell():cut])
        follower.poll()
    assert _same(_rows(follower.run(".")), _rows(ganlogs.read(tmp_path)))
    assert follower.bytes_read < 2 * len(data)
    assert follower.stores["."].alarm  # the NaN rows raised the alarm


def test_event_follower_reads_only_appended_bytes(tmp_path):
    event = tmp_path / "events.out.tfevents.1.host"
    event.write_bytes(frame_record(encode_file_version_event(1.0e9)) + _records(50))
    follower = EventDirFollower(_source(tmp_path))
    follower.poll()
    first = follower.bytes_read
    assert first == event.stat().st_size
    assert not follower.poll()  # nothing new: nothing read
    assert follower.bytes_read == first
    extra = _records(10, start=50)
    with open(event, "ab") as fh:
        fh.write(extra)
    growth = follower.poll()
    assert growth.added == {".": 20}
    assert follower.bytes_read == first + len(extra)


def test_event_follower_picks_up_new_files_and_subdirectories(tmp_path):
    (tmp_path / "events.out.tfevents.1.host").write_bytes(_records(20))
    follower = EventDirFollower(_source(tmp_path), relist_every=0.0)
    follower.poll()
    sub = tmp_path / "loss_D"
    sub.mkdir()
    (sub / "events.out.tfevents.2.host").write_bytes(_records(5, start=20))
    follower.poll()
    assert "loss_D/Loss/D" in follower.run(".").tags
    assert _same(_rows(follower.run(".")), _rows(ganlogs.read(tmp_path)))


def test_event_follower_starts_again_when_a_file_is_rewritten(tmp_path):
    event = tmp_path / "events.out.tfevents.1.host"
    event.write_bytes(_records(30))
    follower = EventDirFollower(_source(tmp_path), relist_every=0.0)
    follower.poll()
    event.write_bytes(_records(10, start=100))  # shorter: rewritten
    follower.poll()
    assert _same(_rows(follower.run(".")), _rows(ganlogs.read(tmp_path)))


@pytest.mark.parametrize("header,rows", [
    ("step,d_loss,g_loss\n", [f"{s},{1.3 + 0.01 * s},0.7\n" for s in range(40)]),
    ("d_loss,g_loss\n", [f"{1.3 + 0.01 * s},0.7\n" for s in range(40)]),  # row-index steps
])
def test_csv_follower_ends_with_a_whole_read(tmp_path, header, rows):
    path = tmp_path / "metrics.csv"
    path.write_text(header + "".join(rows[:5]))
    follower = follower_for(_source(path))
    follower.reload_factor = 0.0
    follower.poll()
    text = "".join(rows)
    for cut in (len("".join(rows[:5])) + 3, 300, len(text)):  # inside lines and on line ends
        path.write_text(header + text[:cut])
        follower.poll()
    (rid,) = follower.run_ids()
    assert _same(_rows(follower.run(rid)), _rows(ganlogs.read(path)))


def test_text_follower_matches_a_whole_read(tmp_path):
    src = FIXTURES / "text"
    logs = sorted(p for p in src.rglob("*") if p.is_file() and p.suffix in (".txt", ".log"))
    log = next(p for p in logs if discover(p).sources
               and type(discover(p).sources[0].reader).__name__ == "TextLogReader")
    data = log.read_bytes()
    path = tmp_path / log.name
    path.write_bytes(data[: len(data) // 3])
    follower = follower_for(_source(path))
    assert isinstance(follower, TextFollower)
    follower.poll()
    with open(path, "ab") as fh:
        fh.write(data[len(data) // 3:])
    follower.poll()
    (rid,) = follower.run_ids()
    assert _same(_rows(follower.run(rid)), _rows(ganlogs.read(path)))


def test_other_formats_are_read_again_when_they_change(tmp_path):
    stats = next(iter(sorted((FIXTURES).rglob("stats.jsonl"))), None)
    if stats is None:
        pytest.skip("no stats.jsonl fixture")
    lines = stats.read_bytes().splitlines(keepends=True)
    path = tmp_path / "stats.jsonl"
    path.write_bytes(b"".join(lines[: len(lines) // 2]))
    follower = follower_for(_source(path))
    assert isinstance(follower, ReloadFollower)
    follower.reload_factor = 0.0
    assert follower.poll()
    assert not follower.poll()  # unchanged: not read again
    path.write_bytes(b"".join(lines))
    assert follower.poll()
    (rid,) = follower.run_ids()
    assert _same(_rows(follower.run(rid)), _rows(ganlogs.read(path)))


def test_row_store_alarm_on_nan_inf_and_huge_values():
    from ganlogs.live.rows import RowStore

    store = RowStore()
    store.append(["a"], np.zeros(3, int), np.arange(3), np.array([1.0, 2.0, 3.0]))
    assert not store.take_alarm()
    for bad in (math.nan, math.inf, -2e6):
        store.append_one(store.code("a"), 10, bad)
        assert store.take_alarm()
        assert not store.take_alarm()
