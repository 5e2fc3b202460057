"""A follower's block of appended text lines (TextLineLoop.feed_block: the learnt shapes'
lines vectorised, the others through the per-line loop, CycleGAN's counts from the block's
columns) gives the rows of the per-line loop: after any sequence of blocks, every row equals
a whole read of the log, on every dialect and on the CycleGAN logs that make it hard
(validation and other sections, relaunches, ties, odd lines, CRLF, a value too large for
the block's arithmetic)."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ganlogs.live.tail_text import FORMAT_WINDOW, TextFollower
from ganlogs.readers.text_lines import Rows, TextLineLoop, choose_format, split_segments

from _tailing import follow, frame, whole
from test_tail_text import SYNTHETIC

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "readers"))
from test_text_fast_cyclegan import CASES, write  # noqa: E402


def _rows_frame(parts) -> pd.DataFrame:
    tags, steps, values = [], [], []
    for part in parts:
        if isinstance(part, Rows):
            tags += [part.names[c] for c in part.codes]
            steps += part.steps.tolist()
            values += part.values.tolist()
        else:
            tags += list(part[0])
            steps += list(part[1])
            values += list(part[2])
    return pd.DataFrame({"tag": tags, "step": np.asarray(steps, dtype=np.int64),
                         "value": np.asarray(values, dtype=np.float64)})


def _in_blocks(path: Path, *, first_lines: int, seed: int) -> tuple[pd.DataFrame, int]:
    """The rows of ``path`` fed to a loop: its first lines one by one, the rest in blocks of
    random sizes (cut at line ends); and how many blocks took the vectorised path."""
    data = path.read_bytes()
    ends = [i + 1 for i, b in enumerate(data) if b == 0x0A]
    segs = split_segments(data[:ends[-1]])
    loop = TextLineLoop(choose_format(segs), path, block_bytes=0)
    rng = random.Random(seed)
    cut = ends[max(1, min(first_lines, len(ends) // 2)) - 1]  # leave lines for blocks
    parts = [loop.feed(split_segments(data[:cut]))]
    blocks = 0
    while cut < ends[-1]:
        nxt = ends[min(len(ends) - 1, ends.index(cut) + rng.randint(1, 400))]
        block = data[cut:nxt]
        if loop.takes_block(block):
            blocks += 1
            rows = loop.feed_block(block)
        else:
            rows = loop.feed(split_segments(block))
        parts.append(rows)
        cut = nxt
    if loop.cyclegan:
        parts = loop.all_rows()
    assert all(p is not None for p in parts)
    return _rows_frame(parts), blocks


def _assert_equal_to_a_whole_read(path: Path, got: pd.DataFrame) -> None:
    want = whole(path)
    pd.testing.assert_frame_equal(got, want[["tag", "step", "value"]].reset_index(drop=True))


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_cyclegan_blocks_equal_a_whole_read(tmp_path, case, newline):
    path = write(tmp_path, CASES[case](), newline=newline)
    for seed, first in ((0, 3), (1, 40)):
        got, blocks = _in_blocks(path, first_lines=first, seed=seed)
        _assert_equal_to_a_whole_read(path, got)
        assert blocks > 0


@pytest.mark.parametrize("name", sorted(n for n in SYNTHETIC if "_cr" not in n))
def test_every_dialect_in_blocks_equals_a_whole_read(tmp_path, name):
    path = tmp_path / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(SYNTHETIC[name].encode())
    got, blocks = _in_blocks(path, first_lines=10, seed=2)
    _assert_equal_to_a_whole_read(path, got)
    assert blocks > 0


def test_a_carriage_return_stream_is_never_a_block(tmp_path):
    loop = TextLineLoop(choose_format(["[Epoch 0/1] [Batch 0/1] [D loss: 0.5] [G loss: 0.5]"]),
                        tmp_path / "x.log", block_bytes=0)
    assert loop.takes_block(b"a\r\nb\n")
    assert not loop.takes_block(b"a\rb\n")
    assert not loop.takes_block(b"a\nb")
    assert not loop.takes_block(b"\xff\xfe\n")


def test_the_follower_reads_large_appends_as_blocks(tmp_path):
    data = SYNTHETIC["restarts/loss_log.txt"].encode()
    path = tmp_path / "loss_log.txt"
    cuts = [FORMAT_WINDOW + 5000, FORMAT_WINDOW + 60_000, len(data)]  # two appends > 16 KiB
    follower = follow(path, data, cuts, TextFollower)
    (rid,) = follower.run_ids()
    pd.testing.assert_frame_equal(frame(follower.run(rid)), whole(path))


def test_a_block_that_starts_inside_a_validation_section(tmp_path):
    path = write(tmp_path, CASES["validation and other sections"]())
    data = path.read_bytes()
    cut = data.index(b"\n", data.index(b"Val Loss")) + 1  # past the header (training names)
    loop = TextLineLoop(choose_format(split_segments(data[:cut])), path, block_bytes=0)
    parts = [loop.feed(split_segments(data[:cut]))]
    assert loop.in_validation
    parts.append(loop.feed_block(data[cut:]))
    _assert_equal_to_a_whole_read(path, _rows_frame(loop.all_rows()))
