"""The local engine: a process pool gives the same document as one process, in discovery
order, with progress; one bad run (a reader bug, a worker that dies) never stops the others."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

import ganlogs.readers as readers
from ganlogs import Run
from ganlogs.analysis import analyze
from ganlogs.engine import SMALL_SWEEP, map_ordered
from ganlogs.errors import UsageError
from ganlogs.report.json import to_document

from scale_support import FIXTURES, FORMAT_FIXTURES_ONLY


def strip_timing(doc):
    """The JSON document minus anything that measures time spent (none today)."""
    if isinstance(doc, dict):
        return {k: strip_timing(v) for k, v in doc.items()
                if not any(w in k for w in ("elapsed", "duration", "seconds_spent"))}
    if isinstance(doc, list):
        return [strip_timing(v) for v in doc]
    return doc


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """Every fixture run (a sweep of runs of every format)."""
    root = tmp_path_factory.mktemp("sweep")
    shutil.copytree(FIXTURES, root / "a", symlinks=True, ignore=FORMAT_FIXTURES_ONLY)
    return root


def test_pool_gives_the_same_document_in_discovery_order(sweep):
    calls = []
    one = analyze(sweep, jobs=1)
    two = analyze(sweep, jobs=2, progress=lambda done, total: calls.append((done, total)))
    assert len(one.runs) >= 2 * SMALL_SWEEP
    assert [r.run_id for r in two.runs] == [r.run_id for r in one.runs]
    assert strip_timing(to_document(two)) == strip_timing(to_document(one))
    total = calls[-1][1]
    assert calls == [(i, total) for i in range(1, total + 1)]
    # the runs came back whole: their points are there for reports and plots
    for a, b in zip(one.runs, two.runs):
        if a.run is not None:
            pd.testing.assert_frame_equal(a.run.scalars, b.run.scalars)


def _pid(_item):
    return os.getpid()


def test_small_sweep_stays_in_process():
    assert map_ordered(_pid, [1, 2, 3], jobs=4) == [os.getpid()] * 3
    # the control: a sweep of SMALL_SWEEP items does go to worker processes
    assert os.getpid() not in map_ordered(_pid, list(range(SMALL_SWEEP)), jobs=2)


def _square(x):
    return x * x


def test_map_ordered_keeps_item_order_and_validates_arguments():
    items = list(range(40, 0, -1))
    assert map_ordered(_square, items, jobs=2) == [x * x for x in items]
    with pytest.raises(UsageError, match="jobs"):
        map_ordered(_square, items, jobs=0)
    with pytest.raises(UsageError, match="engine"):
        map_ordered(_square, items, engine="spark")
    with pytest.raises(UsageError, match="scheduler"):
        map_ordered(_square, items, engine="dask")


@pytest.mark.parametrize("jobs", [1, 2])
def test_on_ready_gets_results_in_item_order_and_the_collector_is_left_as_it_was(jobs):
    import gc

    items = list(range(60, 0, -1))
    for enabled in (True, False):
        (gc.enable if enabled else gc.disable)()
        try:
            got = []
            out = map_ordered(_square, items, jobs=jobs, on_ready=lambda i, v: got.append((i, v)))
            assert got == list(enumerate(out)) and out == [x * x for x in items]
            assert gc.isenabled() is enabled
        finally:
            gc.enable()


# ----------------------------------------------------------------------------- bad runs

class ToyReader(readers.Reader):
    """``*.toy`` files: 'ok' reads, 'bug' raises KeyError (a reader bug), 'die' kills the
    process it runs in (a crash in a compiled library, the OOM killer)."""

    formats = ("toy",)
    kind = "file"

    def guess_can_open(self, path):
        return path.suffix == ".toy"

    def read(self, path, *, run_id):
        text = path.read_text()
        if text == "bug":
            raise KeyError("oops")
        if text == "die":
            os._exit(3)
        frame = pd.DataFrame({"tag": ["d_loss"] * 3, "step": [0, 1, 2], "value": [1.0, 2.0, 3.0]})
        return [Run.from_frame(frame, run_id=run_id, path=path, format="toy")]


@pytest.fixture
def toy_sweep(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "DIR_READERS", [])
    monkeypatch.setattr(readers, "FILE_READERS", [ToyReader()])
    for i in range(20):
        (tmp_path / f"run{i:02d}.toy").write_text({5: "bug", 12: "die"}.get(i, "ok"))
    return tmp_path


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_reader_bug_is_that_runs_error_only(toy_sweep, jobs):
    if jobs == 1:
        (toy_sweep / "run12.toy").write_text("ok")  # os._exit would end pytest itself
    result = analyze(toy_sweep, jobs=jobs)
    assert len(result.runs) == 20
    bad = {r.run_id: r.error for r in result.errors}
    assert set(bad) == ({"run05.toy", "run12.toy"} if jobs == 2 else {"run05.toy"})
    assert "internal error" in bad["run05.toy"] and "KeyError" in bad["run05.toy"]
    assert all("\n" not in e for e in bad.values())
    assert [r.run_id for r in result.runs] == [f"run{i:02d}.toy" for i in range(20)]


def test_a_worker_that_dies_costs_only_its_run(toy_sweep):
    result = analyze(toy_sweep, jobs=2)
    died = [r for r in result.errors if r.run_id == "run12.toy"]
    assert len(died) == 1 and "worker process" in died[0].error
    assert sum(r.ok for r in result.runs) == 18
