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

from ganlogs.live.tail_wandb import WandbFollower
from ganlogs.readers.wire import encode_key, encode_len, encode_log, encode_varint

from _tailing import follow, frame, whole

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "wandb"




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


def test_wandb_tail_equals_a_whole_read_after_appends_cut_anywhere(tmp_path):
    data = _log(600)
    assert len(data) > 10 * 32768
    rng = random.Random(1)
    cuts = sorted({3, 7, 8, 100} | {rng.randrange(8, len(data)) for _ in range(25)}
                  | {len(data)})
    run_dir = tmp_path / "wandb" / "offline-run-20260101_000000-abc"
    run_dir.mkdir(parents=True)
    follower = follow(run_dir / "run-abc.wandb", data, cuts, WandbFollower, discover_at=run_dir)
    got = frame(follower.run(follower.run_ids()[0]))
    assert len(got) > 1000
    pd.testing.assert_frame_equal(got, whole(run_dir))
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
        follower = follow(run_dir / src.name, data, cuts, WandbFollower, discover_at=run_dir)
        got = frame(follower.run(follower.run_ids()[0]))
        pd.testing.assert_frame_equal(got, whole(run_dir))
        assert follower.whole_reads == 0


def test_wandb_tail_falls_back_to_whole_reads_on_damage(tmp_path):
    data = bytearray(_log(200))
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    follower = follow(run_dir / "run-x.wandb", bytes(data[:40000]), [40000], WandbFollower, discover_at=run_dir)
    data[50000] ^= 0xFF  # a bad checksum with data after it: not an append
    with open(run_dir / "run-x.wandb", "ab") as fh:
        fh.write(bytes(data[40000:]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        follower.poll()
    assert follower.whole_reads == 1
    pd.testing.assert_frame_equal(frame(follower.run(follower.run_ids()[0])), whole(run_dir))
