"""``--engine dask``: the same document as the local run, against a LocalCluster the test
starts (threads only, so it starts in about a second)."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from ganlogs.cli import cli

from scale_support import FIXTURES, FORMAT_FIXTURES_ONLY

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as c:
        yield c


def strip_timing(doc):
    if isinstance(doc, dict):
        return {k: strip_timing(v) for k, v in doc.items()
                if not any(w in k for w in ("elapsed", "duration", "seconds_spent"))}
    if isinstance(doc, list):
        return [strip_timing(v) for v in doc]
    return doc


def test_dask_engine_matches_the_local_run(cluster, tmp_path):
    shutil.copytree(FIXTURES, tmp_path / "sweep", symlinks=True, ignore=FORMAT_FIXTURES_ONLY)
    # truncated runs warn while they are read: the warnings must stay with their run even
    # when a worker reads in several threads
    for i, run in enumerate(sorted((FIXTURES / "tensorboard").glob("torch_*"))[:6]):
        copy = tmp_path / "sweep" / "truncated" / f"{i}_{run.name}"
        shutil.copytree(run, copy)
        for event in copy.rglob("*tfevents*"):
            data = event.read_bytes()
            event.write_bytes(data[: len(data) - 7 - i])
    runner = CliRunner()
    local = runner.invoke(cli, ["analyze", str(tmp_path / "sweep"), "--format", "json",
                                "--jobs", "1", "--no-cache"])
    remote = runner.invoke(cli, ["analyze", str(tmp_path / "sweep"), "--format", "json",
                                 "--engine", "dask", "--scheduler", cluster.scheduler_address,
                                 "--no-cache"])
    assert remote.exit_code == local.exit_code, remote.output
    a, b = json.loads(local.stdout), json.loads(remote.stdout)
    assert len(a["runs"]) > 8
    # each truncated copy says more than its intact original (the truncation warning)
    intact = {r["run"].split("/")[1]: r["warnings"] for r in a["runs"]
              if r["run"].startswith("tensorboard/")}
    cut = [r for r in a["runs"] if r["run"].startswith("truncated/")]
    assert len(cut) == 6
    for r in cut:
        assert len(r["warnings"]) > len(intact[r["run"].split("/")[1].split("_", 1)[1]]), r
    assert strip_timing(b) == strip_timing(a)


def test_dask_engine_needs_a_scheduler_and_says_so():
    runner = CliRunner()
    res = runner.invoke(cli, ["analyze", str(FIXTURES), "--engine", "dask"])
    assert res.exit_code == 2 and "--scheduler" in res.output
    res = runner.invoke(cli, ["analyze", str(FIXTURES), "--scheduler", "tcp://127.0.0.1:1"])
    assert res.exit_code == 2 and "--engine dask" in res.output


def test_unreachable_scheduler_is_a_usage_error(tmp_path, monkeypatch):
    import ganlogs.engine
    from ganlogs.analysis import analyze
    from ganlogs.errors import UsageError

    monkeypatch.setattr(ganlogs.engine, "DASK_CONNECT_TIMEOUT", "1s")
    shutil.copytree(FIXTURES / "tensorboard" / "torch_default", tmp_path / "r")
    with pytest.raises(UsageError, match="cannot reach the dask scheduler"):
        analyze(tmp_path, engine="dask", scheduler="tcp://127.0.0.1:9")
