"""A large sweep in little memory: ``analyze(..., keep_points=False)`` drops each run's points
once it is analysed (a digest stays: metadata, tags, number of points, series summary), in
one process and in a pool, and the JSON, terminal and Markdown reports are exactly those of
the full runs; the JSON document written a run at a time is the document."""

from __future__ import annotations

import shutil

import pytest

from ganlogs import Run
from ganlogs.analysis import analyze
from ganlogs.report.json import to_document
from ganlogs.report.markdown import render_markdown
from ganlogs.report.terminal import render_text
from ganlogs.run import RunDigest

from scale_support import FIXTURES, FORMAT_FIXTURES_ONLY


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep")
    shutil.copytree(FIXTURES, root / "a", symlinks=True, ignore=FORMAT_FIXTURES_ONLY)
    return root


@pytest.mark.parametrize("jobs", [1, 2])
def test_digests_give_the_same_reports(sweep, jobs):
    full = analyze(sweep, jobs=jobs)
    light = analyze(sweep, jobs=jobs, keep_points=False)
    read = [r for r in light.runs if r.run is not None]
    assert read and all(isinstance(r.run, RunDigest) for r in read)
    assert all(isinstance(r.run, Run) for r in full.runs if r.run is not None)
    assert [r.points for r in light.runs] == [r.points for r in full.runs]
    assert to_document(light) == to_document(full)
    assert render_text(light, color=False) == render_text(full, color=False)
    assert render_markdown(light).text == render_markdown(full).text


def test_json_written_run_by_run_is_the_document(sweep, tmp_path):
    import io

    from ganlogs.report.json import dumps, write

    for analysis in (analyze(sweep, keep_points=False), analyze(tmp_path)):
        out = io.StringIO()
        write(analysis, out)
        assert out.getvalue() == dumps(analysis)


def test_json_written_run_by_run_keeps_awkward_values_exact():
    """The run-by-run writer's own encoder gives json.dumps' text for every value a run may
    hold (non-finite floats, numpy scalars, tuples, empty and nested containers, escapes,
    non-str keys), or hands the run to json.dumps."""
    import io

    import numpy as np
    import pandas as pd

    from ganlogs.analysis import Analysis, Settings, analyze_run
    from ganlogs.report.json import dumps, write

    steps = np.arange(120)
    frame = pd.DataFrame({"tag": ["d_loss"] * 120 + ["g_loss"] * 120,
                          "step": np.r_[steps, steps],
                          "value": np.r_[1.3 + 0.01 * np.sin(steps), 0.7 + 0.01 * np.cos(steps)]})
    awkward = [
        {"nan": float("nan"), "inf": float("inf"), "-inf": -float("inf"), "zero": -0.0,
         "tiny": 5e-324, "big": 1.7976931348623157e308, "int": -(2 ** 70), "t": True,
         "f": False, "none": None, "text": 'é\n"\\\t\u2028 \U0001f600', "empty": {},
         "list": [], "nested": {"a": [1, (2.5, [{}]), {"b": []}]}, "tuple": (1, "x")},
        {"np": np.float32(0.1), "i": np.int64(3), "b": np.bool_(True), "nanv": np.float64("nan")},
        {1: "int key", "1": "str key"},
    ]
    runs = []
    for i, hparams in enumerate(awkward):
        run = Run.from_frame(frame, run_id=f"r{i}", path=f"r{i}.csv", format="csv_wide",
                             hparams=hparams)
        runs.append(analyze_run(run))
    analysis = Analysis(root="root", runs=runs, settings=Settings())
    out = io.StringIO()
    write(analysis, out)
    assert out.getvalue() == dumps(analysis)


@pytest.mark.parametrize("jobs", [1, 2])
def test_results_handed_over_in_order_as_the_json_writer_writes_them(tmp_path, jobs):
    """analyze(on_result=) gets every result once, in the order of Analysis.runs (files no
    reader takes first), and a RunByRunWriter fed that way writes the document write()
    writes."""
    import io

    from ganlogs.report.json import RunByRunWriter, write

    root = tmp_path / "sweep"
    shutil.copytree(FIXTURES, root / "a", symlinks=True, ignore=FORMAT_FIXTURES_ONLY)
    (root / "b").mkdir()
    (root / "b" / "damaged.csv").write_bytes(b"step,d_loss\n1,\x00\x00\n")
    (root / "b" / "console.log").write_text("loss went down, then up\nno numbers here\n")
    seen = []
    streamed = io.StringIO()
    writer = None

    def on_result(r):
        nonlocal writer
        if writer is None:
            writer = RunByRunWriter(streamed, root=str(root), settings=result_settings,
                                    version=__version__)
        seen.append(r)
        writer.add(r)

    from ganlogs import __version__
    from ganlogs.analysis import Settings

    result_settings = Settings()
    analysis = analyze(root, jobs=jobs, keep_points=False, on_result=on_result)
    assert [id(r) for r in seen] == [id(r) for r in analysis.runs]
    assert analysis.errors and analysis.runs[0].error  # (the unreadable ones come first)
    writer.finish(analysis)
    whole = io.StringIO()
    write(analysis, whole)
    assert streamed.getvalue() == whole.getvalue()
