"""W&B runs are followed by record offset: only records appended to the ``.wandb`` file are
decoded, a partly written record waits, and the rows equal a whole read of the file."""

from __future__ import annotations

import json
import random
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest

import ganlogs
from ganlogs.live.tail import follower_for
from ganlogs.live.tail_wandb import WandbFollower
from ganlogs.readers import discover
from ganlogs.readers.wire import encode_key, encode_len, encode_log, encode_varint

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "wandb"
COLUMNS = ["tag", "step", "value", "wall_time", "superseded"]


def _frame(run: ganlogs.Run) -> pd.DataFrame:
    return run.scalars[COLUMNS].astype({"tag": str}).reset_index(drop=True)


def _whole(path: Path) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _frame(ganlogs.read(path))


def _item(key: list[str], value_json: str) -> bytes:
    return b"".join(encode_len(2, k) for k in key) + encode_len(16, value_json)


def _row(step: int | None, values: dict[str, str], index: int) -> bytes:
    items = [_item(["_timestamp"], repr(1.7e9 + index))]
    if step is not None:
        items.append(_item(["_step"], str(step)))
    items += [_item(k.split("."), v) for k, v in values.items()]
    body = b"".join(encode_len(1, it) for it in items)
    if step is not None:
        body += encode_len(2, encode_key(1, 0) + encode_varint(step) if step else b"")
    return encode_key(1, 0) + encode_varint(index) + encode_len(2, body)


def _log(n: int) -> bytes:
    rng = random.Random(0)
    recs = [encode_len(17, encode_len(1, "abc") + encode_len(3, "proj"))]
    for s in range(n):
        values = {"loss.D": repr(1.3 + rng.random()), "loss.G": repr(0.7 + rng.random())}
        if s % 97 == 5:  # a record longer than a block: FIRST, MIDDLE..., LAST
            values.update({f"extra.k{j}": repr(rng.random()) for j in range(2500)})
        if s == 400:
            values["loss.D"] = "NaN"
        recs.append(_row(None if s % 50 == 7 else s, values, s))
    return encode_log(recs)


def _follow(run_dir: Path, name: str, data: bytes, cuts: list[int]) -> WandbFollower:
    path = run_dir / name
    path.write_bytes(b"")
    follower = None
    for cut in cuts:
        with open(path, "ab") as fh:
            fh.write(data[path.stat().st_size:cut])
        if follower is None:
            sources = discover(run_dir).sources
            if not sources:
                continue
            follower = follower_for(sources[0])
            assert isinstance(follower, WandbFollower)
        follower.poll()
    return follower


def test_wandb_tail_equals_a_whole_read_after_appends_cut_anywhere(tmp_path):
    data = _log(600)
    assert len(data) > 10 * 32768
    rng = random.Random(1)
    cuts = sorted({3, 7, 8, 100} | {rng.randrange(8, len(data)) for _ in range(25)}
                  | {len(data)})
    run_dir = tmp_path / "wandb" / "offline-run-20260101_000000-abc"
    run_dir.mkdir(parents=True)
    follower = _follow(run_dir, "run-abc.wandb", data, cuts)
    got = _frame(follower.run(follower.run_ids()[0]))
    assert len(got) > 1000
    pd.testing.assert_frame_equal(got, _whole(run_dir))
    assert follower.whole_reads == 0
    assert follower.bytes_read < len(data) + len(cuts) * 2 * 32768


def test_wandb_tail_on_real_writer_fixtures(tmp_path):
    files = sorted(FIXTURES.rglob("*.wandb"))
    if not files:
        pytest.skip("no .wandb fixture")
    for k, src in enumerate(files):
        data = src.read_bytes()
        run_dir = tmp_path / f"r{k}" / src.parent.name
        run_dir.mkdir(parents=True)
        for side in src.parent.iterdir():
            if side.is_file() and side != src:
                shutil.copy(side, run_dir / side.name)
        rng = random.Random(k)
        cuts = sorted({rng.randrange(8, len(data)) for _ in range(12)} | {len(data)})
        follower = _follow(run_dir, src.name, data, cuts)
        got = _frame(follower.run(follower.run_ids()[0]))
        pd.testing.assert_frame_equal(got, _whole(run_dir))
        assert follower.whole_reads == 0


def test_wandb_tail_falls_back_to_whole_reads_on_damage(tmp_path):
    data = bytearray(_log(200))
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    follower = _follow(run_dir, "run-x.wandb", bytes(data[:40000]), [40000])
    data[50000] ^= 0xFF  # a bad checksum with data after it: not an append
    with open(run_dir / "run-x.wandb", "ab") as fh:
        fh.write(bytes(data[40000:]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        follower.poll()
    assert follower.whole_reads == 1
    pd.testing.assert_frame_equal(_frame(follower.run(follower.run_ids()[0])), _whole(run_dir))
