"""W&B history exports (``Run.history()`` / ``scan_history()`` saved as CSV, JSON lines,
Parquet): fixtures read back exactly, claiming rules, registry order and damage."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ganlogs.errors import CorruptLogError, ReadError, TruncatedLogWarning
from ganlogs.readers import FILE_READERS, reader_for
from ganlogs.readers.csv import CsvReader
from ganlogs.readers.wandb_history import HISTORY_SAMPLES, WandbHistoryReader

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
EXPECTED = ROOT / "tests" / "data" / "expected"
INDEX = json.loads((EXPECTED / "index.json").read_text())
HISTORY_IDS = sorted(k for k, v in INDEX.items() if v["format"] == "wandb_history")
READER = WandbHistoryReader()


def read_one(path: Path):
    (run,) = READER.read(path, run_id="r")
    return run


def rows(run) -> list[tuple[str, int, float]]:
    s = run.scalars
    return list(zip(s["tag"].astype(str), s["step"].tolist(), s["value"].tolist()))


def history_frame(n: int = 20, *, every: int = 1) -> pd.DataFrame:
    steps = np.arange(n) * every
    return pd.DataFrame({
        "_runtime": steps * 0.5, "_step": steps, "_timestamp": 1.7e9 + steps * 0.5,
        "d_loss": np.linspace(1.4, 0.9, n), "fid": [s * 1.5 if s % 5 == 4 else np.nan
                                                     for s in steps]})


def test_fixture_ids_cover_three_formats():
    assert {Path(INDEX[f]["path"]).suffix for f in HISTORY_IDS} == {".csv", ".jsonl", ".parquet"}


@pytest.mark.parametrize("fid", HISTORY_IDS)
def test_fixture_points_exact(fid):
    path = FIXTURES / INDEX[fid]["path"]
    assert READER.guess_can_open(path)
    assert isinstance(reader_for(path), WandbHistoryReader)
    run = read_one(path)
    expected = pd.read_csv(EXPECTED / f"{fid}.csv", dtype={"tag": str, "value": str})
    want = sorted((t, int(s), float(v)) for t, s, v in expected.itertuples(index=False))
    got = sorted(rows(run))
    assert got == want  # float64 compared exactly; no NaN is expected in these exports
    assert run.meta.format == "wandb_history" and run.meta.warnings == ()
    assert "_runtime" not in run.tags and "_timestamp" not in run.tags
    assert {"loss.D", "loss.G", "fid"} <= set(run.tags)
    assert run.series("fid").index.tolist() == list(range(4, 40, 5))
    assert 17 not in run.series("g_loss").index  # the logged NaN is a missing cell here
    wall = run.scalars["wall_time"].to_numpy()
    assert (wall > 1.7e9).all() and (np.diff(wall) >= 0).all()
    assert any("scan_history()" in n for n in run.meta.notes)


def test_registry_order():
    names = [type(r).__name__ for r in FILE_READERS]
    assert names.index("WandbHistoryReader") == names.index("StyleganStatsReader") + 1
    assert names.index("WandbHistoryReader") < names.index("CsvReader")
    assert names.index("WandbHistoryReader") < names.index("TextLogReader")


def test_claims(tmp_path):
    frame = history_frame()
    frame.to_csv(tmp_path / "h.csv", index=False)
    frame.to_json(tmp_path / "h.jsonl", orient="records", lines=True)
    frame.to_json(tmp_path / "h.json", orient="records")
    frame.to_parquet(tmp_path / "h.parquet")
    for name in ("h.csv", "h.jsonl", "h.json", "h.parquet"):
        assert READER.guess_can_open(tmp_path / name), name
    other = frame.rename(columns={"_step": "step"})
    other.to_csv(tmp_path / "plain.csv", index=False)
    other.to_json(tmp_path / "plain.jsonl", orient="records", lines=True)
    other.to_parquet(tmp_path / "plain.parquet")
    (tmp_path / "notes.txt").write_text("_step,d_loss\n0,1\n")
    (tmp_path / "fake.parquet").write_bytes(b"PAR1 _step garbage")
    (tmp_path / "stats.jsonl").write_text('{"Loss/G/loss": {"num": 1, "mean": 0.5}, '
                                          '"timestamp": 1.0}\n')
    for name in ("plain.csv", "plain.jsonl", "plain.parquet", "notes.txt", "fake.parquet",
                 "stats.jsonl", "missing.csv"):
        assert not READER.guess_can_open(tmp_path / name), name
    # the W&B UI chart export has "<run> - _step" columns, not "_step": the CSV reader's
    export = FIXTURES / "csv" / "wandb_export"
    for path in export.glob("*.csv"):
        assert not READER.guess_can_open(path)
        assert isinstance(reader_for(path), CsvReader)


def test_json_array_and_nested_rows(tmp_path):
    path = tmp_path / "h.json"
    path.write_text(json.dumps([
        {"_step": 0, "_timestamp": 10.0, "loss": {"D": 1.0, "G": 2.0}, "ok": True},
        {"_step": 1, "_timestamp": 11.0, "loss": {"D": 3.0}, "img": {"_type": "image-file",
                                                                     "path": "a.png"}},
    ]))
    assert READER.guess_can_open(path)
    run = read_one(path)
    assert rows(run) == [("loss.D", 0, 1.0), ("loss.G", 0, 2.0), ("loss.D", 1, 3.0)]
    assert run.scalars["wall_time"].tolist() == [10.0, 10.0, 11.0]
    (note,) = [n for n in run.meta.notes if "non-numeric" in n]
    assert "boolean: 'ok'" in note and "image-file: 'img'" in note


def test_non_numeric_cells_in_csv_and_jsonl(tmp_path):
    csv_path = tmp_path / "h.csv"
    csv_path.write_text('_step,d_loss,caption,samples,flag\n'
                        '0,1.5,hello,"{\'_type\': \'image-file\', \'path\': \'x.png\'}",True\n'
                        '1,inf,,,False\n')
    run = read_one(csv_path)
    assert rows(run) == [("d_loss", 0, 1.5), ("d_loss", 1, math.inf)]
    (note,) = [n for n in run.meta.notes if "non-numeric" in n]
    assert "skipped 4 non-numeric" in note
    assert "text: 'caption'" in note and "image-file: 'samples'" in note and "boolean" in note
    jsonl = tmp_path / "h.jsonl"
    jsonl.write_text('{"_step": 0, "d_loss": Infinity, "msg": "x"}\n'
                     '{"_step": 1, "d_loss": NaN, "msg": null}\n')
    run = read_one(jsonl)
    assert rows(run) == [("d_loss", 0, math.inf)]
    assert any("text: 'msg'" in n for n in run.meta.notes)


def test_hostile_json_rows(tmp_path):
    path = tmp_path / "h.jsonl"
    big = "1" + "0" * 400
    path.write_text(f'{{"_step": 0, "a": {big}, "b": -{big}}}\n{{"_step": 1, "a": 2}}\n')
    assert rows(read_one(path)) == [("a", 0, math.inf), ("b", 0, -math.inf), ("a", 1, 2.0)]
    path.write_text('{"_step": 0, "a": ' + "[" * 100_000 + "\n")
    with pytest.raises(CorruptLogError, match="line 1 is not valid JSON"):
        read_one(path)
    path.write_text('{"_step": 0, "a": ' + '{"x": ' * 950 + "1" + "}" * 950 + "}\n")
    try:
        read_one(path)  # read, or refused as too deep: never a RecursionError
    except CorruptLogError as exc:
        assert "nested too deeply" in str(exc)
    path.write_text('{"_step": 0, "a": [1\n2]}\n')  # one value over two lines: not JSON lines
    with pytest.raises(CorruptLogError, match="line 1 is not valid JSON"):
        read_one(path)


def test_rows_without_step_are_skipped(tmp_path):
    path = tmp_path / "h.jsonl"
    path.write_text('{"_step": 0, "a": 1}\n{"a": 2}\n{"_step": 2, "a": 3}\n')
    run = read_one(path)
    assert rows(run) == [("a", 0, 1.0), ("a", 2, 3.0)]
    assert "1 row(s) without a _step value were skipped" in run.meta.warnings


@pytest.mark.parametrize("every, warned", [(1, False), (None, True)])
def test_default_sample_warning(tmp_path, every, warned):
    frame = history_frame(HISTORY_SAMPLES)
    if every is None:  # history() samples: irregular spacing
        rng = np.random.default_rng(0)
        frame["_step"] = np.sort(rng.choice(100_000, HISTORY_SAMPLES, replace=False))
    frame.to_csv(tmp_path / "h.csv", index=False)
    run = read_one(tmp_path / "h.csv")
    assert any("history()" in w and "scan_history()" in w for w in run.meta.warnings) is warned


@pytest.mark.parametrize("fid", [f for f in HISTORY_IDS if INDEX[f]["path"].endswith(
    (".jsonl", ".csv"))])
def test_truncated_text_exports(fid, tmp_path):
    """Sampled cuts: every complete line kept (a prefix of the rows), a warning when the file
    ends inside a line."""
    data = (FIXTURES / INDEX[fid]["path"]).read_bytes()
    full = rows(read_one(FIXTURES / INDEX[fid]["path"]))
    ends = {i + 1 for i, b in enumerate(data) if b == ord("\n")}
    header = min(ends) if fid.endswith("csv") else 0
    edges = sorted(ends)[:4] + sorted(ends)[-4:]
    cuts = sorted({c for e in edges for c in (e - 1, e, e + 1)} | set(
        np.random.default_rng(1).integers(header + 1, len(data), 30).tolist()))
    path = tmp_path / Path(INDEX[fid]["path"]).name
    for cut in cuts:
        if cut <= header or cut > len(data):
            continue
        path.write_bytes(data[:cut])
        mid_line = cut not in ends
        with pytest.warns(TruncatedLogWarning) if mid_line else _no_truncation_warning():
            run = read_one(path)
        got = rows(run)
        assert got == full[:len(got)], cut
        assert any("no final newline" in w for w in run.meta.warnings) is mid_line, cut


class _no_truncation_warning:
    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings(record=True)
        self._log = self._ctx.__enter__()
        warnings.simplefilter("always")

    def __exit__(self, *exc):
        self._ctx.__exit__(*exc)
        assert not [w for w in self._log if issubclass(w.category, TruncatedLogWarning)]


def test_corrupt_json_line_names_file_and_line(tmp_path):
    path = tmp_path / "h.jsonl"
    path.write_text('{"_step": 0, "a": 1}\n{"_step": 1, "a": \n{"_step": 2, "a": 3}\n')
    with pytest.raises(CorruptLogError, match=r"h\.jsonl: line 2 is not valid JSON") as info:
        read_one(path)
    assert "\n" not in str(info.value)


def test_damaged_parquet(tmp_path):
    path = tmp_path / "h.parquet"
    history_frame().to_parquet(path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2] + data[-8:])  # footer kept, pages cut
    with pytest.raises(CorruptLogError, match="h.parquet: not a readable Parquet file"):
        read_one(path)


def test_parquet_without_pyarrow(tmp_path, monkeypatch):
    path = tmp_path / "h.parquet"
    history_frame().to_parquet(path)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    assert READER.guess_can_open(path)  # the footer is sniffed without pyarrow
    with pytest.raises(ReadError, match=r"reading Parquet needs pyarrow: "
                                        r"pip install 'ganlogs\[parquet\]'"):
        read_one(path)


def test_no_step_column_and_empty_files(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("_step,a\n")
    run = read_one(path)
    assert len(run) == 0 and "no numeric points in the export" in run.meta.warnings
    path.write_text("")
    with pytest.raises(ReadError, match="empty file"):
        read_one(path)
    path.write_text("_step,a\nx,1\n")
    with pytest.raises(ReadError, match="no numeric _step column"):
        read_one(path)
    path.write_text("_step,a\n0.5,1\n")
    with pytest.raises(ReadError, match="non-integer"):
        read_one(path)
