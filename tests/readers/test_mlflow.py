"""MLflow file-store reader: the real mlflow-skinny fixture read back exactly, line shapes
(3, 5 and legacy 2 fields), nested metric names, params and meta, discovery, damage."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from ganlogs.errors import CorruptLogError, ReadError, TruncatedLogWarning
from ganlogs.readers import DIR_READERS, discover, reader_for
from ganlogs.readers.mlflow import MlflowRunReader

from _expected import (FIXTURES, assert_matches_expected, cut_offsets, fixture_path, is_prefix,
                       points, read_quietly)

READER = MlflowRunReader()
RUN_DIR, _ = fixture_path("mlflow_file_store")


def make_run(root: Path, metrics: dict[str, str], *, status: int = 3, params=None,
             name: str | None = "r1") -> Path:
    run = root / "mlruns" / "1" / "abc123"
    (run / "metrics").mkdir(parents=True)
    (root / "mlruns" / "1" / "meta.yaml").write_text("experiment_id: '1'\nname: exp\n")
    (run / "meta.yaml").write_text(f"run_id: abc123\nrun_name: r1\nstatus: {status}\n"
                                   "lifecycle_stage: active\n")
    for rel, text in metrics.items():
        f = run / "metrics" / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text)
    for k, v in (params or {}).items():
        (run / "params").mkdir(exist_ok=True)
        (run / "params" / k).write_text(v)
    if name:
        (run / "tags").mkdir(exist_ok=True)
        (run / "tags" / "mlflow.runName").write_text(name)
    return run


def test_fixture_reads_back_exactly():
    assert READER.guess_can_open(RUN_DIR)
    assert isinstance(reader_for(RUN_DIR), MlflowRunReader)
    runs, caught = read_quietly(READER, RUN_DIR)
    assert caught == []
    run = runs[0]
    assert_matches_expected(run, "mlflow_file_store")
    assert run.meta.hparams == {"batch_size": "64", "loss": "bce", "lr_d": "0.0002",
                                "lr_g": "0.0002", "nz": "100"}
    assert "MLflow run name: 'dcgan-mlflow'" in run.meta.notes
    assert "run status: FINISHED" in run.meta.notes
    nested = run.scalars[run.scalars["tag"] == "loss/D nested"]
    assert set(nested["source"].astype(str)) == {"metrics/loss/D nested"}
    first = (RUN_DIR / "metrics" / "d_loss").read_text().split("\n")[0].split(" ")
    d = run.scalars[run.scalars["tag"] == "d_loss"]
    assert d["wall_time"].iloc[0] == int(first[0]) / 1000
    # g_loss has step 30 twice: the Run's policy flags the first one
    g = run.scalars[run.scalars["tag"] == "g_loss"]
    assert int(g["superseded"].sum()) == 1


def test_discovery_finds_the_run_and_only_it():
    found = discover(FIXTURES / "mlflow")
    assert [s.run_id for s in found.sources] == [
        "mlruns/188583295442691270/81e628a5cd7e40b08421ba1ec518214d"]
    assert type(found.sources[0].reader) is MlflowRunReader
    assert not READER.guess_can_open(RUN_DIR.parent)  # the experiment dir has no metrics/
    assert type(DIR_READERS[-1]) is MlflowRunReader


def test_line_shapes_nested_names_and_specials(tmp_path):
    run_dir = make_run(tmp_path, {
        "d_loss": "1000 1.5 0\n2000 nan 1\n3000 inf 2\n4000 -inf 3\n",
        "loss/G adv": "1000 0.7 0 train_ds abc123\n2000 0.6 1 train_ds abc123\n",
        "legacy": "1000 0.25\n",
    }, params={"lr": "0.0002"})
    run = READER.read(run_dir, run_id=".")[0]
    got = points(run)
    assert got["tag"].tolist() == ["d_loss"] * 4 + ["legacy"] + ["loss/G adv"] * 2
    assert got["step"].tolist() == [0, 1, 2, 3, 0, 0, 1]
    v = got["value"].tolist()
    assert v[0] == 1.5 and math.isnan(v[1]) and v[2:4] == [math.inf, -math.inf]
    assert run.scalars["wall_time"].tolist()[:2] == [1.0, 2.0]
    assert run.meta.hparams == {"lr": "0.0002"}


def test_failed_run_and_empty_metrics_are_warned(tmp_path):
    run_dir = make_run(tmp_path, {}, status=4, name=None)
    run = READER.read(run_dir, run_id=".")[0]
    assert len(run) == 0
    assert "MLflow marks the run FAILED" in run.meta.warnings
    assert any("no metric" in w for w in run.meta.warnings)
    assert "MLflow run name: 'r1'" in run.meta.notes  # from meta.yaml


def test_malformed_line_is_a_one_line_corrupt_error(tmp_path):
    run_dir = make_run(tmp_path, {"d_loss": "1000 1.5 0\nhello world\n"})
    with pytest.raises(CorruptLogError) as exc:
        READER.read(run_dir, run_id=".")
    msg = str(exc.value)
    assert "\n" not in msg and "d_loss" in msg and "line 2" in msg


def test_not_a_run_dir(tmp_path):
    assert not READER.guess_can_open(tmp_path)
    assert not READER.guess_can_open(tmp_path / "missing")
    with pytest.raises(ReadError):
        READER.read(tmp_path, run_id=".")


def test_truncated_metric_file(tmp_path):
    run_dir = make_run(tmp_path, {"d_loss": "1000 1.5 0\n2000 1.4 1\n3000 1.3"})
    with pytest.warns(TruncatedLogWarning, match="d_loss"):
        run = READER.read(run_dir, run_id=".")[0]
    assert run.scalars["step"].tolist() == [0, 1]
    assert any(w.startswith("metrics/d_loss: the last line") for w in run.meta.warnings)


def test_cut_offsets(tmp_path):
    """Cutting one metric file keeps exactly its complete lines (a prefix of its series)."""
    run_dir = tmp_path / "run"
    shutil.copytree(RUN_DIR, run_dir)
    target = run_dir / "metrics" / "g_loss"
    data = target.read_bytes()
    full = points(READER.read(run_dir, run_id=".")[0])
    full_g = full[full["tag"] == "g_loss"].reset_index(drop=True)
    for cut in cut_offsets(data, sample=40):
        target.write_bytes(data[:cut])
        runs, caught = read_quietly(READER, run_dir)
        got = points(runs[0])
        g = got[got["tag"] == "g_loss"].reset_index(drop=True)
        assert is_prefix(g, full_g) and len(g) == data[:cut].count(b"\n"), cut
        mid = bool(data[:cut][data[:cut].rfind(b"\n") + 1:].strip())
        assert any("TruncatedLogWarning" in c for c in caught) == mid, cut
        assert len(got) - len(g) == len(full) - len(full_g)  # other metrics untouched


def test_logged_model_dir_is_not_a_run(tmp_path):
    model = tmp_path / "models" / "m-1"
    (model / "metrics").mkdir(parents=True)
    (model / "meta.yaml").write_text("model_id: m-1\nexperiment_id: '1'\nname: gen\n")
    assert not READER.guess_can_open(model)


def test_step_beyond_int64_is_corrupt(tmp_path):
    run_dir = make_run(tmp_path, {"d_loss": "1000 1.5 0\n2000 1.4 99999999999999999999\n"})
    with pytest.raises(CorruptLogError, match="line 2"):
        READER.read(run_dir, run_id=".")


def test_one_bad_metric_file_does_not_take_the_others_with_it(tmp_path):
    from ganlogs.errors import DamagedLogWarning, is_damage_warning

    run_dir = make_run(tmp_path, {"d_loss": "1000 1.5 0\n2000 1.4 1\n",
                                  "g_loss": "1000 0.5 0\nhello world\n"})
    with pytest.warns(DamagedLogWarning, match="g_loss"):
        run = READER.read(run_dir, run_id=".")[0]
    assert run.tags == ["d_loss"] and len(run) == 2
    (msg,) = [w for w in run.meta.warnings if is_damage_warning(w)]
    assert msg.startswith("damaged: metrics/g_loss: not read (line 2")
