"""CSV reader: every CSV fixture read back exactly, each layout and its traps, cells,
encodings, truncation at every byte offset, errors."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ganlogs
from ganlogs.errors import CorruptLogError, ReadError, TruncatedLogWarning
from ganlogs.readers import FILE_READERS, discover, reader_for
from ganlogs.readers.csv import CsvReader
from ganlogs.roles import infer_roles

from _expected import (FIXTURES, INDEX, assert_matches_expected, cut_offsets, fixture_ids,
                       fixture_path, is_prefix, points, read_quietly)

READER = CsvReader()
CSV_IDS = fixture_ids("csv_")


def read1(path: Path, run_id: str = ".") -> ganlogs.Run:
    runs, caught = read_quietly(READER, path, run_id)
    assert len(runs) == 1, [r.meta.run_id for r in runs]
    return runs[0]


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return p


def test_every_csv_format_has_a_fixture():
    assert {INDEX[k]["format"] for k in CSV_IDS} == set(CsvReader.formats)


# ----------------------------------------------------------------------------- fixtures
@pytest.mark.parametrize("fixture_id", CSV_IDS)
def test_fixture_reads_back_exactly(fixture_id):
    path, name = fixture_path(fixture_id)
    assert READER.guess_can_open(path)
    assert reader_for(path) is READER or isinstance(reader_for(path), CsvReader)
    runs, caught = read_quietly(READER, path, run_id="r")
    assert not [c for c in caught if "Truncated" in c]
    if name:
        runs = [r for r in runs if r.meta.run_id == f"r#{name}"]
    assert len(runs) == 1
    assert_matches_expected(runs[0], fixture_id)
    assert any("CSV dialect" in n for n in runs[0].meta.notes)
    assert any(n.startswith("variant:") for n in runs[0].meta.notes)


def test_wandb_export_gives_one_run_per_run_name():
    path = FIXTURES / "csv/wandb_export/wandb_export_2026-11-20T14_03_11.467+01_00.csv"
    runs, _ = read_quietly(READER, path, run_id="exp.csv")
    assert [r.meta.run_id for r in runs] == ["exp.csv#dcgan-baseline", "exp.csv#dcgan-lr4e-4"]
    for run in runs:
        assert run.meta.format == "csv_wandb_export"
        assert run.tags == ["d_loss"]  # __MIN/__MAX are bucket ranges, not points
        assert any("sampled" in w for w in run.meta.warnings)
    found = discover(FIXTURES / "csv/wandb_export")
    loaded = [r.meta.run_id for s in found.sources for r in ganlogs.load(s)]
    assert loaded == [
        "wandb_export_2026-11-20T14_03_11.467+01_00.csv#dcgan-baseline",
        "wandb_export_2026-11-20T14_03_11.467+01_00.csv#dcgan-lr4e-4"]


def test_lightning_hparams_and_notes():
    run = read1(FIXTURES / "csv/lightning/gan/version_0/metrics.csv")
    assert run.meta.hparams == {"batch_size": 32, "latent_dim": 4, "lr_d": 0.002, "lr_g": 0.002}
    assert "step: column 'step'" in run.meta.notes
    assert "epoch" in run.tags


def test_keras_training_log_claimed_by_content():
    path = FIXTURES / "csv/keras_csvlogger/training.log"
    assert reader_for(path).__class__ is CsvReader
    run = read1(path)
    assert run.meta.format == "csv_keras"
    # NA cells are missing, not points
    assert run.series_summary()["val_loss"]["points"] == 3


def test_tb_ui_tag_from_file_name_and_notes():
    path = FIXTURES / "csv/tensorboard_ui/run-torch_default-tag-Loss_D.csv"
    run = read1(path)
    assert run.tags == ["Loss_D"]
    first = path.read_text().splitlines()[1].split(",")
    assert run.scalars["wall_time"].iloc[0] == float(first[0])
    assert any("file name" in n for n in run.meta.notes)
    assert any("1000" in n for n in run.meta.notes)


# ----------------------------------------------------------------------------- layouts
@pytest.mark.parametrize("delim,name", [(",", "a.csv"), (";", "a.csv"), ("\t", "a.tsv"),
                                        ("\t", "a.csv"), ("|", "a.csv")])
def test_wide_any_delimiter(tmp_path, delim, name):
    rows = [["step", "d_loss", "g_loss"], ["0", "1.5", "0.7"], ["10", "1.25", "0.75"],
            ["20", "1.0", "1.0"]]
    p = write(tmp_path, name, "".join(delim.join(r) + "\n" for r in rows))
    run = read1(p)
    assert run.meta.format == "csv_wide"
    assert points(run).values.tolist() == [["d_loss", 0, 1.5], ["g_loss", 0, 0.7],
                                           ["d_loss", 10, 1.25], ["g_loss", 10, 0.75],
                                           ["d_loss", 20, 1.0], ["g_loss", 20, 1.0]]
    assert f"CSV dialect: delimiter {delim!r}, header row" in run.meta.notes


@pytest.mark.parametrize("step_name", ["step", "iteration", "iter", "global_step", "epoch",
                                       "Step", "_step", "Iteration"])
def test_wide_step_column_names(tmp_path, step_name):
    p = write(tmp_path, "log.csv", f"d_loss,{step_name},g_loss\n1.0,5,2.0\n0.5,7,2.5\n")
    run = read1(p)
    assert run.scalars["step"].tolist() == [5, 5, 7, 7]
    assert run.tags == ["d_loss", "g_loss"]
    assert f"step: column {step_name!r}" in run.meta.notes


def test_wide_prefers_step_over_epoch_and_keeps_epoch_as_tag(tmp_path):
    p = write(tmp_path, "log.csv", "epoch,step,d_loss\n0,0,1.0\n0,1,0.9\n1,2,0.8\n")
    run = read1(p)
    assert run.scalars["step"].tolist() == [0, 0, 1, 1, 2, 2]
    assert run.tags == ["epoch", "d_loss"]


def test_wide_without_step_column_uses_row_index_and_says_so(tmp_path):
    p = write(tmp_path, "log.csv", "d_loss,g_loss\n1.0,2.0\n0.5,2.5\n0.25,3\n")
    run = read1(p)
    assert run.scalars["step"].tolist() == [0, 0, 1, 1, 2, 2]
    assert any(n.startswith("step: the 0-based row index") for n in run.meta.notes)


def test_non_integer_step_column_falls_back_to_row_index(tmp_path):
    p = write(tmp_path, "log.csv", "epoch,d_loss\n0.5,1.0\n1.5,0.9\n")
    run = read1(p)
    assert run.scalars["step"].tolist() == [0, 0, 1, 1]
    assert "epoch" in run.tags  # not lost


def test_headerless_numeric_csv(tmp_path):
    p = write(tmp_path, "log.csv", "0,1.5,0.5\n1,1.25,0.75\n")
    run = read1(p)
    assert run.tags == ["col0", "col1", "col2"]
    assert any("no header row" in n for n in run.meta.notes)


def test_dataframe_index_column_is_not_a_series(tmp_path):
    df = pd.DataFrame({"step": [0, 10, 20], "d_loss": [1.0, 0.9, 0.8]})
    p = tmp_path / "df.csv"
    df.to_csv(p)  # writes an unnamed index column first
    run = read1(p)
    assert run.tags == ["d_loss"]
    assert run.scalars["step"].tolist() == [0, 10, 20]


def test_wall_time_column(tmp_path):
    p = write(tmp_path, "log.csv", "step,wall_time,d_loss\n0,1700000000.5,1.0\n1,1700000001.5,0.9\n")
    run = read1(p)
    assert run.tags == ["d_loss"]
    assert run.scalars["wall_time"].tolist() == [1700000000.5, 1700000001.5]


@pytest.mark.parametrize("tag_col", ["tag", "metric", "name"])
def test_long_variants(tmp_path, tag_col):
    p = write(tmp_path, "long.csv",
              f"{tag_col},step,value\nd_loss,0,1.5\ng_loss,0,0.5\nd_loss,1,nan\ng_loss,1,\n")
    run = read1(p)
    assert run.meta.format == "csv_long"
    got = points(run)
    assert got["tag"].tolist() == ["d_loss", "g_loss", "d_loss"]
    assert got["step"].tolist() == [0, 0, 1]
    assert math.isnan(got["value"].iloc[2])


def test_lightning_synthetic_blank_cells_same_step(tmp_path):
    p = write(tmp_path, "metrics.csv",
              "d_loss,epoch,g_loss,step,val_fid\n"
              "1.4,0,0.8,4,\n"
              ",0,,9,55.5\n"
              "1.2,0,0.9,9,\n")
    run = read1(p)
    assert run.meta.format == "csv_lightning"
    assert points(run).values.tolist() == [
        ["d_loss", 4, 1.4], ["epoch", 4, 0.0], ["g_loss", 4, 0.8],
        ["epoch", 9, 0.0], ["val_fid", 9, 55.5],
        ["d_loss", 9, 1.2], ["epoch", 9, 0.0], ["g_loss", 9, 0.9]]


def test_keras_na_cells_and_resumed_epochs(tmp_path):
    p = write(tmp_path, "training.log",
              "epoch,d_loss,g_loss,val_d_loss\n0,1.0,2.0,NA\n1,0.9,2.1,1.1\n"
              "1,0.95,2.05,NA\n2,0.8,2.2,1.0\n")
    run = read1(p)
    assert run.meta.format == "csv_keras"
    assert run.series_summary()["val_d_loss"]["points"] == 2
    # the resumed fit re-used epoch 1: Run's restart policy flags the first one
    d = run.scalars[run.scalars["tag"] == "d_loss"]
    assert d["superseded"].tolist() == [False, True, False, False]


def test_tb_ui_name_without_pattern_uses_stem_and_warns_at_limit(tmp_path):
    n = 1000
    body = "Wall time,Step,Value\n" + "".join(f"{1.7e9 + i},{i * 250},{0.5}\n" for i in range(n))
    p = write(tmp_path, "loss_d.csv", body)
    run = read1(p)
    assert run.meta.format == "csv_tensorboard_ui"
    assert run.tags == ["loss_d"]
    assert any("at most 1000 points" in w for w in run.meta.warnings)
    assert any("file stem" in n for n in run.meta.notes)


def test_tb_ui_tag_with_dash_in_run_name(tmp_path):
    p = write(tmp_path, "run-exp-1-a-tag-Loss_G.csv", "Wall time,Step,Value\n1.7e9,0,0.5\n")
    assert read1(p).tags == ["Loss_G"]


def test_wandb_export_custom_x_axis_with_step_columns(tmp_path):
    p = write(tmp_path, "wandb_export_x.csv",
              '"epoch","run-a - d_loss","run-a - d_loss__MIN","run-a - d_loss__MAX",'
              '"run-a - _step","","run-b - d_loss","run-b - _step"\n'
              '"0.5","1.5","1.4","1.6","10","","1.25","12"\n'
              '"1.5","1.0","0.9","1.1","20","","",""\n')
    runs, _ = read_quietly(READER, p, run_id="w")
    assert [r.meta.run_id for r in runs] == ["w#run-a", "w#run-b"]
    a, b = runs
    assert points(a).values.tolist() == [["epoch", 10, 0.5], ["d_loss", 10, 1.5],
                                         ["epoch", 20, 1.5], ["d_loss", 20, 1.0]]
    assert points(b).values.tolist() == [["epoch", 12, 0.5], ["d_loss", 12, 1.25]]


def test_wandb_single_run_keeps_run_id(tmp_path):
    p = write(tmp_path, "wandb_export_1.csv",
              '"Step","solo - g_loss","solo - g_loss__MIN","solo - g_loss__MAX"\n'
              '"0","0.7","0.6","0.8"\n')
    run = read1(p, run_id="w")
    assert run.meta.run_id == "w"
    assert "W&B run name: 'solo'" in run.meta.notes


def test_min_max_tags_would_not_be_picked_as_roles():
    roles = infer_roles(["d_loss__MIN", "d_loss__MAX", "g_loss__MIN"])
    assert not roles.tags


# ----------------------------------------------------------------------------- cells
def test_special_values_and_empty_cells(tmp_path):
    p = write(tmp_path, "log.csv",
              "step,a,b\n0,nan,1\n1,NaN,\n2,inf,3\n3,-inf,4\n4,Infinity,5\n5,-Infinity,6\n")
    run = read1(p)
    a = run.scalars[run.scalars["tag"] == "a"]["value"].to_numpy()
    assert np.isnan(a[:2]).all() and a[2:].tolist() == [math.inf, -math.inf, math.inf,
                                                         -math.inf]
    assert run.series_summary()["b"]["points"] == 5  # the empty cell is not a point
    assert not run.meta.warnings or all("non-numeric" not in w for w in run.meta.warnings)


def test_non_numeric_cells_are_skipped_and_counted(tmp_path):
    p = write(tmp_path, "log.csv", "step,d_loss,g_loss\n0,1.0,0.5\n1,oops,0.6\n2,0.8,n/a?\n"
                                   "3,0.7,0.8\n")
    run = read1(p)
    assert run.series_summary()["d_loss"]["points"] == 3
    assert run.series_summary()["g_loss"]["points"] == 3
    assert any(w.startswith("2 non-numeric cell(s)") for w in run.meta.warnings)


def test_text_column_is_not_a_series(tmp_path):
    p = write(tmp_path, "log.csv", "step,phase,d_loss\n0,train,1.0\n1,val,0.9\n")
    run = read1(p)
    assert run.tags == ["d_loss"]
    assert any("'phase'" in n for n in run.meta.notes)


def test_decimal_comma_semicolon(tmp_path):
    p = write(tmp_path, "eu.csv", "step;d_loss;g_loss\n0;1,5;0,25\n1;1,25;0,5\n")
    run = read1(p)
    assert points(run)["value"].tolist() == [1.5, 0.25, 1.25, 0.5]
    assert any("decimal comma" in n for n in run.meta.notes)


def test_bom_utf8_and_crlf(tmp_path):
    p = write(tmp_path, "bom.csv", b"\xef\xbb\xbfstep,d_loss\r\n0,1.0\r\n1,0.5\r\n")
    run = read1(p)
    assert run.tags == ["d_loss"]
    assert any("byte-order mark" in n for n in run.meta.notes)


def test_many_rows_keep_exact_float32_values(tmp_path):
    rng = np.random.default_rng(0)
    v = rng.normal(size=20000).astype(np.float32).astype(np.float64)
    p = tmp_path / "big.csv"
    pd.DataFrame({"step": np.arange(len(v)), "d_loss": v}).to_csv(p, index=False)
    run = read1(p)
    assert np.array_equal(run.scalars["value"].to_numpy(), v)


# ----------------------------------------------------------------------------- errors
def _one_line_error(exc: pytest.ExceptionInfo, path: Path) -> str:
    msg = str(exc.value)
    assert "\n" not in msg and str(path) in msg
    return msg


def test_no_numeric_columns(tmp_path):
    p = write(tmp_path, "names.csv", "name,city\nada,london\nalan,wilmslow\n")
    with pytest.raises(ReadError) as exc:
        READER.read(p, run_id=".")
    assert "no numeric columns: not a metrics log" in _one_line_error(exc, p)


def test_binary_garbage(tmp_path):
    p = write(tmp_path, "junk.csv", bytes(range(256)) * 4)
    assert not READER.guess_can_open(p)
    with pytest.raises(CorruptLogError) as exc:
        READER.read(p, run_id=".")
    assert "binary" in _one_line_error(exc, p)


def test_utf16_is_a_clear_error(tmp_path):
    p = write(tmp_path, "u16.csv", "step,d_loss\n0,1.0\n".encode("utf-16"))
    assert READER.guess_can_open(p)  # claimed, so the user hears about it
    with pytest.raises(ReadError) as exc:
        READER.read(p, run_id=".")
    assert "UTF-16" in _one_line_error(exc, p)


def test_latin1_is_a_clear_error(tmp_path):
    p = write(tmp_path, "l1.csv", "step,déjà\n0,1.0\n".encode("latin-1"))
    assert READER.guess_can_open(p)
    with pytest.raises(CorruptLogError) as exc:
        READER.read(p, run_id=".")
    assert "not UTF-8" in _one_line_error(exc, p)


def test_empty_file_and_header_only(tmp_path):
    p = write(tmp_path, "empty.csv", b"")
    with pytest.raises(ReadError) as exc:
        READER.read(p, run_id=".")
    assert "empty file" in _one_line_error(exc, p)
    p = write(tmp_path, "hdr.csv", "step,d_loss,g_loss\n")
    run = read1(p)
    assert len(run) == 0 and any("no rows" in w for w in run.meta.warnings)


def test_rows_with_too_many_fields_are_skipped_and_counted(tmp_path):
    p = write(tmp_path, "log.csv", "step,d_loss\n0,1.0\n1,0.9,99\n2,0.8\n")
    run = read1(p)
    assert run.scalars["step"].tolist() == [0, 2]
    assert any("1 row(s) with more fields" in w for w in run.meta.warnings)


def test_unreadable_csv_is_reported_by_analyze_not_skipped(tmp_path):
    write(tmp_path, "good.csv", "step,d_loss,g_loss\n0,1.0,0.5\n")
    write(tmp_path, "bad.csv", "name,city\nada,london\n")
    found = discover(tmp_path)
    assert sorted(s.run_id for s in found.sources) == ["bad.csv", "good.csv"]


# ----------------------------------------------------------------------------- sniffing
@pytest.mark.parametrize("name,content,claimed", [
    ("a.csv", "step,x\n0,1\n", True),
    ("A.CSV", "step,x\n0,1\n", True),
    ("a.TSV", "step\tx\n0\t1\n", True),
    ("empty.csv", "", True),
    ("requirements.txt", "numpy>=1.24\npandas\n", False),
    ("notes.log", "epoch one went well\n", False),
    ("training.log", "epoch,loss,val_loss\n0,0.5,NA\n", True),
    ("training.log", "epoch;loss\n0;0.5\n", True),
    ("data.json", '{"a": 1}\n', False),
    ("x.parquet", "PAR1", False),
])
def test_guess_can_open(tmp_path, name, content, claimed):
    p = write(tmp_path, name, content)
    assert READER.guess_can_open(p) is claimed


def test_guess_can_open_never_raises(tmp_path):
    assert READER.guess_can_open(tmp_path) is False
    assert READER.guess_can_open(tmp_path / "missing.csv") is False


def test_registry_order():
    names = [type(r).__name__ for r in FILE_READERS]
    assert names[-1] == "CsvReader"
    assert names.index("TextLogReader") < names.index("CsvReader")
    assert names.index("StyleganStatsReader") < names.index("TextLogReader")
    assert names[0] == "StyleganStatsReader"


# ----------------------------------------------------------------------------- truncation
def test_last_line_without_newline_is_dropped_with_warning(tmp_path):
    p = write(tmp_path, "log.csv", "step,d_loss\n0,1.0\n1,0.9\n2,0.8")
    with pytest.warns(TruncatedLogWarning, match="log.csv"):
        runs = READER.read(p, run_id=".")
    assert runs[0].scalars["step"].tolist() == [0, 1]
    assert any("no final newline" in w for w in runs[0].meta.warnings)


def _cut_ids():
    return [k for k in CSV_IDS if not fixture_path(k)[1] or k.endswith("baseline")]


@pytest.mark.parametrize("fixture_id", _cut_ids())
def test_cut_at_every_offset(tmp_path, fixture_id):
    """Each cut keeps exactly the complete rows before it (a prefix of the full read) and warns
    when it falls inside a line; a cut inside the header raises a one-line ReadError. Every
    offset for the small Keras fixture, sampled offsets (see cut_offsets) for the others."""
    path, _ = fixture_path(fixture_id)
    data = path.read_bytes()
    full = {r.meta.run_id: points(r) for r in read_quietly(READER, path)[0]}
    target = tmp_path / path.name  # same name: the layout is sniffed the same way
    seen: dict[int, dict] = {}
    for cut in cut_offsets(data) + [len(data)]:
        part = data[:cut]
        target.write_bytes(part)
        header_done = b"\n" in part
        try:
            runs, caught = read_quietly(READER, target)
        except ReadError as exc:
            assert not header_done, (cut, str(exc))
            assert "\n" not in str(exc)
            continue
        assert header_done, cut
        mid_line = bool(part[part.rfind(b"\n") + 1:].strip())
        assert any("TruncatedLogWarning" in c for c in caught) == mid_line, cut
        got = {run.meta.run_id: points(run) for run in runs}
        for rid, frame in got.items():
            assert is_prefix(frame, full[rid]), (cut, rid)
        # every cut after the same line end reads the same points: the complete rows only
        boundary = part.rfind(b"\n") + 1
        if boundary in seen:
            assert {k: v.values.tolist() for k, v in got.items()} == seen[boundary], cut
        seen[boundary] = {k: v.values.tolist() for k, v in got.items()}
        if boundary == len(data):
            assert sum(map(len, got.values())) == sum(map(len, full.values()))


def test_wandb_export_with_a_header_longer_than_the_sniff_window(tmp_path):
    runs = [f"run-{i:03d}" for i in range(400)]
    cols = ['"Step"'] + [f'"{r} - {m}"' for r in runs for m in ("d_loss", "d_loss__MIN",
                                                                 "d_loss__MAX")]
    rows = ['"0"' + ',"1.5"' * (3 * len(runs)), '"25"' + ',"1.25"' * (3 * len(runs))]
    p = write(tmp_path, "wandb_export_big.csv", ",".join(cols) + "\n" + "\n".join(rows) + "\n")
    assert len(",".join(cols)) > 16384
    got, _ = read_quietly(READER, p, run_id="w")
    assert len(got) == 400 and got[7].meta.run_id == "w#run-007"
    assert points(got[7]).values.tolist() == [["d_loss", 0, 1.5], ["d_loss", 25, 1.25]]


@pytest.mark.parametrize("bad", ["99999999999999999999", "1e300", "inf", "nan"])
def test_steps_outside_int64_are_kept_out_and_counted(tmp_path, bad):
    p = write(tmp_path, "wide.csv", f"step,d_loss\n0,1.0\n1,1.1\n{bad},1.2\n")
    run = read1(p)
    assert run.scalars["step"].tolist() == [0, 1]
    assert any("not an int64 integer" in w for w in run.meta.warnings)
    p = write(tmp_path, "long.csv", f"tag,step,value\nd,0,1.0\nd,{bad},1.0\n")
    assert read1(p).scalars["step"].tolist() == [0]


def test_large_int64_steps_are_exact(tmp_path):
    big = 2 ** 62 + 1  # not representable as a float64
    p = write(tmp_path, "wide.csv", f"step,d_loss\n{big},1.0\n{big + 2},0.5\n")
    assert read1(p).scalars["step"].tolist() == [big, big + 2]


# ----------------------------------------------------------------------------- steps (issue 12.3)
def test_one_fractional_step_cell_drops_its_row_and_keeps_the_steps(tmp_path):
    rows = [f"{s},{1.0 + s / 1e4}\n" for s in range(0, 2500, 10)]
    rows[5] = "50.5,9.0\n"
    p = write(tmp_path, "log.csv", "step,g_loss\n" + "".join(rows))
    run = read1(p)
    steps = run.scalars["step"].tolist()
    assert steps[:5] == [0, 10, 20, 30, 40] and steps[5] == 60 and steps[-1] == 2490
    assert len(steps) == 249 and "step: column 'step'" in run.meta.notes
    assert any("1 row(s) whose step in column 'step' is not a whole number (e.g. 50.5)" in w
               for w in run.meta.warnings)
    p = write(tmp_path, "long.csv", "tag,step,value\nd,0,1.0\nd,0.5,1.1\nd,1,1.2\n"
                                    + "".join(f"d,{s},1.0\n" for s in range(2, 30)))
    run = read1(p)
    assert run.scalars["step"].tolist()[:3] == [0, 1, 2]
    assert any("not a whole number" in w for w in run.meta.warnings)


def test_mostly_fractional_epoch_is_a_tag_and_the_note_says_why(tmp_path):
    p = write(tmp_path, "log.csv", "epoch,d_loss\n0.25,1.0\n0.5,0.9\n0.75,0.8\n1,0.7\n")
    run = read1(p)
    assert run.scalars["step"].tolist()[::2] == [0, 1, 2, 3]
    assert any("'epoch' holds fractions" in n for n in run.meta.notes)


def test_rows_with_too_few_fields_are_skipped_and_counted(tmp_path):
    p = write(tmp_path, "log.csv", "step,d_loss,g_loss\n0,1.0,2.0\n1,0.9\n   \n2,0.8,1.5\n")
    run = read1(p)
    assert run.scalars["step"].tolist() == [0, 0, 2, 2]
    assert any("1 row(s) with fewer fields" in w for w in run.meta.warnings)


# ----------------------------------------------------------------------------- blocks
BLOCK_CASES = {
    "wide.csv": "step,d_loss,g_loss\n" + "".join(
        f"{s},{'oops' if s == 37 else s / 7},{'' if s % 5 else s * 1.5}\n" for s in range(60))
    + f"{2 ** 62 + 1},0.5,0.25\n61.5,0.1,0.1\n",
    "metrics.csv": "d_loss,epoch,g_loss,step\n" + "".join(
        f"{s / 3 if s % 2 else ''},{s // 10},{'' if s % 2 else s},{s}\n" for s in range(80)),
    "long.csv": "tag,step,value\n" + "".join(
        f"{'d_loss' if s % 2 else ' g_loss'},{s},{'nan' if s == 9 else s / 3}\n"
        for s in range(70)),
    "wandb_export_x.csv": '"Step","a - d_loss","a - d_loss__MIN","b - d_loss"\n' + "".join(
        f'"{s}","{s / 4}","0","{s / 5 if s % 3 else ""}"\n' for s in range(50)),
}


@pytest.mark.parametrize("name", sorted(BLOCK_CASES))
@pytest.mark.parametrize("block_bytes", [16, 100, 333])
def test_reading_in_small_blocks_gives_the_same_runs(tmp_path, name, block_bytes):
    """Large files are parsed block by block, each block's types inferred on its own: the
    result must not depend on where the blocks fall."""
    p = write(tmp_path, name, BLOCK_CASES[name])
    whole, _ = read_quietly(READER, p)
    blocked, _ = read_quietly(CsvReader(block_bytes=block_bytes), p)
    assert [r.meta.run_id for r in blocked] == [r.meta.run_id for r in whole]
    for a, b in zip(whole, blocked):
        pd.testing.assert_frame_equal(a.scalars, b.scalars)
        assert a.meta.warnings == b.meta.warnings
        assert a.meta.notes == b.meta.notes


@pytest.mark.parametrize("block_bytes", [0, -5, 1.5, True])
def test_block_bytes_is_validated(block_bytes):
    with pytest.raises(ganlogs.UsageError, match="block_bytes"):
        CsvReader(block_bytes=block_bytes)


def test_unbalanced_quote_is_a_one_line_parse_error(tmp_path):
    p = write(tmp_path, "q.csv", 'step,d_loss\n0,1.0\n1,"0.9\n2,0.8\n')
    with pytest.raises(CorruptLogError) as exc:
        READER.read(p, run_id=".")
    assert "CSV parse error" in _one_line_error(exc, p)


# ----------------------------------------------------------------------------- mapped files
def test_a_file_read_whole_is_mapped_and_checked_like_blocks(tmp_path):
    """A file parsed in one block is memory-mapped, not read into a buffer: the NUL and
    UTF-8 checks, quoted newlines and an unfinished last line behave as on the block path."""
    body = "".join(f"{s},{s / 7}\n" for s in range(40))
    p = write(tmp_path, "nul.csv", "step,d_loss\n" + body + "40,0.\x005\n")
    with pytest.raises(CorruptLogError) as exc:
        READER.read(p, run_id=".")
    assert f"NUL byte at offset {len('step,d_loss') + 1 + len(body) + 5}" in \
        _one_line_error(exc, p)
    p = write(tmp_path, "u8.csv", ("step,d_loss\n" + body).encode() + b"41,\xff\n")
    with pytest.raises(CorruptLogError) as exc:
        READER.read(p, run_id=".")
    assert "not UTF-8" in _one_line_error(exc, p)
    quoted = "step,d_loss,note\n" + "".join(f'{s},{s / 7},"line\n{s}"\n' for s in range(40))
    p = write(tmp_path, "quoted.csv", quoted + '40,"0.5",x\n')
    whole, _ = read_quietly(READER, p)
    blocked, _ = read_quietly(CsvReader(block_bytes=16), p)
    pd.testing.assert_frame_equal(whole[0].scalars, blocked[0].scalars)
    assert whole[0].tags == ["d_loss"] and len(whole[0]) == 41
    p = write(tmp_path, "tail.csv", "step,d_loss\n" + body + "40,0.1")
    with pytest.warns(ganlogs.errors.TruncatedLogWarning):
        run = READER.read(p, run_id=".")[0]
    assert len(run) == 40
    p = write(tmp_path, "open_quote.csv", "step,d_loss\n" + body + '40,"0.1\n41,0.2\n')
    with pytest.raises(CorruptLogError) as exc:
        READER.read(p, run_id=".")
    assert "never closed" in _one_line_error(exc, p)
