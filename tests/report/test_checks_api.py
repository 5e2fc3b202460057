

def test_a_short_run_that_diverged_is_labelled_not_too_short():
    """Every detector but divergence says the run is too short; the run is still judged."""
    from ganlogs.analysis import Analysis, RunResult, Settings
    from ganlogs.checks import apply_policy
    from ganlogs.detectors import Finding

    def finding(label, conf):
        return Finding(label=label, confidence=conf, onset_step=3, evidence={}, summary=label,
                       detector=label, detector_version="1")

    r = RunResult(run_id="r", path="r", format="csv_wide", status="ok",
                  findings=[finding("diverged", 1.0), finding("insufficient_data", 1.0)],
                  labels=["diverged"])
    assert not r.too_short
    result = apply_policy(Analysis(root=".", runs=[r], settings=Settings()),
                          fail_on=["mode_collapse"], min_confidence=0.5)
    assert result.status == "pass" and result.too_short == []


def test_check_fails_the_same_way_for_a_missing_path_as_for_an_empty_directory(tmp_path):
    import pytest

    from ganlogs import check
    from ganlogs.testing import assert_healthy

    (tmp_path / "empty").mkdir()
    for path in (tmp_path / "empty", tmp_path / "missing"):
        result = check(path)
        assert result.status == "error" and result.runs_checked == 0
        assert str(path) in result.error
        with pytest.raises(AssertionError, match="not healthy"):
            assert_healthy(path)
    assert "no such file or directory" in check(tmp_path / "missing").error


def test_report_of_an_empty_directory_writes_no_file(tmp_path):
    from report_support import run_cli

    (tmp_path / "empty").mkdir()
    out = run_cli(["report", str(tmp_path / "empty"), "-o", str(tmp_path / "r.html")])
    assert out.exit_code == 2 and "no runs found" in out.output
    assert not (tmp_path / "r.html").exists()


def test_series_accepts_a_role_id(tmp_path):
    import numpy as np
    import pandas as pd
    import pytest

    from ganlogs.run import Run

    n = 50
    frame = pd.DataFrame({"tag": ["Loss/D"] * n + ["Loss/G"] * n,
                          "step": np.r_[np.arange(n), np.arange(n)],
                          "value": np.r_[np.full(n, 1.3), np.full(n, 0.8)]})
    run = Run.from_frame(frame, run_id="r", path="r", format="csv_wide")
    assert run.series("d_loss").equals(run.series("Loss/D"))
    assert run.series("g_loss").name == "Loss/G"
    with pytest.raises(KeyError):
        run.series("fid")  # a role the run does not log
    with pytest.raises(KeyError):
        run.series("nope")


def test_a_run_given_as_the_path_itself_is_named_after_it(tmp_path, wide_csv, fake_detectors):
    import json

    from report_support import healthy_losses, run_cli

    log = wide_csv(tmp_path / "exp3" / "metrics.csv", healthy_losses())
    text = run_cli(["analyze", str(log)]).output
    assert text.splitlines()[1].startswith("metrics.csv ")
    doc = json.loads(run_cli(["analyze", str(log), "--format", "json"]).output)
    assert doc["runs"][0]["run"] == "."  # JSON keeps the id
    out = run_cli(["check", str(log), "--fail-on", "converged"])  # the fake detector: converged
    assert "FAIL  metrics.csv" in out.output
