"""CSV logs are followed by byte offset: only complete appended lines are parsed, and after
any sequence of appends the rows equal a whole read of the file."""

from __future__ import annotations


import pandas as pd
import pytest

from ganlogs.live.tail_csv import CsvFollower, complete_length
from ganlogs.live.tail import follower_for
from ganlogs.readers import discover

from _tailing import follow, frame, whole





def _wide(n: int) -> str:
    return "step,d_loss,g_loss\n" + "".join(
        f"{s},{1.3 + 0.01 * s:.6f},{0.7 + s / 7:.9f}\n" for s in range(n))


def _lightning(n: int) -> str:  # sorted keys, blank cells, the same step on two rows
    rows = [f"0,{1.3 + s / 100},,{s // 2}\n" if s % 2 else f"0,,{0.5 + s / 100},{s // 2}\n"
            for s in range(n)]
    return "epoch,loss_D,loss_G,step\n" + "".join(rows)


CASES = {
    "wide.csv": _wide(300),
    "rowindex.csv": "d_loss,g_loss\n" + "".join(f"{1.3 + s / 90},{0.7}\n" for s in range(300)),
    "metrics.csv": _lightning(400),
    "training.log": "epoch,d_loss,g_loss\n" + "".join(f"{s},{1.3 + s / 50},NA\n"
                                                      for s in range(300)),
    "long.csv": "tag,step,value\n" + "".join(f"{t},{s},{s / 3}\n" for s in range(150)
                                            for t in ("D_loss", "G_loss")),
    "walls.csv": "wall_time,step,d_loss\n" + "".join(f"{1.7e9 + s / 4},{s},{s % 5}\n"
                                                     for s in range(300)),
    "semi.csv": "step;d_loss;g_loss\n" + "".join(f"{s};{s % 7},5;0,25\n" for s in range(300)),
    "nan.csv": _wide(300) + "300,nan,inf\n301,NaN,-inf\n",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_csv_tail_equals_a_whole_read_after_several_appends(tmp_path, name):
    data = CASES[name].encode()
    header = data.index(b"\n") + 1
    # cuts: inside the header, right after it, mid-number, on line ends, at the end
    mid_number = next(i for i in range(header + 40, len(data))
                      if data[i - 1:i + 1].isdigit() and data[i + 1:i + 2].isdigit())
    cuts = sorted({5, header, header + 3, mid_number, len(data) // 3, len(data) // 3 + 1,
                   data.index(b"\n", len(data) // 2) + 1, len(data) - 4, len(data)})
    path = tmp_path / name
    follower = follow(path, data, cuts, CsvFollower)
    (rid,) = follower.run_ids()
    got = frame(follower.run(rid))
    assert len(got) > 0
    pd.testing.assert_frame_equal(got, whole(path))
    # once the dialect is settled (the first 64 lines), appends are never read whole
    line_65 = [i for i, b in enumerate(data) if b == 0x0A][64] + 1
    settled = next(r for c, r in follower.reads_ if c >= line_65)
    assert follower.whole_reads == settled, "appends must not make the file be read whole"
    # every appended byte was read once, the partial lines once more at most
    assert follower.bytes_read < 2 * len(data)


def test_csv_tail_checks_after_each_append(tmp_path):
    data = _wide(200).encode()
    path = tmp_path / "run.csv"
    lines = data.splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:70]))  # past the dialect's first 64 lines
    (source,) = discover(path).sources
    follower = follower_for(source)
    assert follower.poll().added == {".": None}  # the first look reads the file whole
    for k in range(70, len(lines), 37):
        with open(path, "ab") as fh:
            fh.write(b"".join(lines[k:k + 37]))
            fh.write(b"999,1.2")  # a partial line cut mid-number: it waits
        growth = follower.poll()
        assert growth.added == {".": 2 * len(lines[k:k + 37])}
        pd.testing.assert_frame_equal(frame(follower.run(".")), whole(path))
        with open(path, "r+b") as fh:  # the writer's next write completes... differently
            fh.truncate(path.stat().st_size - len(b"999,1.2"))
    assert follower.whole_reads == 1


def test_csv_tail_reads_again_when_the_layout_changes(tmp_path):
    # a column of numbers that later holds words: the reader's decision about it changes
    data = ("step,d_loss,phase\n" + "".join(f"{s},{1.3 + s / 100},{s}\n" for s in range(50))
            + "".join(f"{s},1.3,train\n" for s in range(50, 300))).encode()
    path = tmp_path / "run.csv"
    follower = follow(path, data, [400, 900, 1500, 3000, len(data)], CsvFollower)
    pd.testing.assert_frame_equal(frame(follower.run(".")), whole(path))
    assert follower.whole_reads > 1


def test_csv_tail_reads_again_when_the_header_is_rewritten(tmp_path):
    # Lightning's CSVLogger rewrites metrics.csv with a new header when a key appears
    path = tmp_path / "metrics.csv"
    path.write_text("epoch,loss_D,step\n" + "".join(f"0,{s / 10},{s}\n" for s in range(90)))
    (source,) = discover(path).sources
    follower = follower_for(source)
    follower.poll()
    path.write_text("epoch,loss_D,loss_G,step\n"
                    + "".join(f"0,{s / 10},{s / 20},{s}\n" for s in range(80)))
    assert follower.poll().added == {".": None}
    pd.testing.assert_frame_equal(frame(follower.run(".")), whole(path))
    assert follower.whole_reads == 2


def test_csv_tail_waits_for_the_first_complete_line(tmp_path):
    path = tmp_path / "run.csv"
    path.write_text("step,d_lo")
    (source,) = discover(path).sources
    follower = follower_for(source)
    assert not follower.poll()
    assert follower.run_ids() == []
    with open(path, "a") as fh:
        fh.write("ss\n0,1.5\n")
    assert follower.poll().added == {".": None}
    pd.testing.assert_frame_equal(frame(follower.run(".")), whole(path))


def test_complete_lines_end_outside_quotes():
    assert complete_length(b"a,b\n1,2\n3,") == 8
    assert complete_length(b"a,b\n1,\"x\ny\"\n") == 12
    assert complete_length(b"a,b\n1,\"x\ny") == 4
    assert complete_length(b"1,2") == 0
