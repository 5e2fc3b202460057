"""ganlogs.check / CheckResult / apply_policy, `ganlogs check` exit codes, assert_healthy."""

from __future__ import annotations

import json
import shutil

import pytest

import ganlogs
from ganlogs.analysis import Analysis, Settings
from ganlogs.checks import DEFAULT_FAIL_ON, apply_policy
from ganlogs.cli import ExitCode
from ganlogs.errors import UsageError
from ganlogs.testing import assert_healthy

from _build import error_result, finding, make_run, result, sample_analysis
from report_support import run_cli, FIXTURES, broken_tfevents, healthy_losses


def _analysis(*runs, min_confidence=0.5):
    return Analysis(root="r", runs=list(runs), settings=Settings(min_confidence=min_confidence))


def _ok(run_id, findings):
    return result(make_run(run_id, healthy_losses(50)), findings)


# ----------------------------------------------------------------------------- the policy
@pytest.mark.parametrize("findings, fail_on, min_conf, status, failing", [
    ([finding("converged", 0.9)], DEFAULT_FAIL_ON, 0.5, "pass", []),
    ([finding("diverged", 0.9, 100)], DEFAULT_FAIL_ON, 0.5, "fail", ["diverged"]),
    ([finding("diverged", 0.7, 100)], DEFAULT_FAIL_ON, 0.8, "pass", []),   # below threshold
    ([finding("diverged", 0.8, 100)], DEFAULT_FAIL_ON, 0.8, "fail", ["diverged"]),  # at it
    ([finding("oscillating", 0.99)], DEFAULT_FAIL_ON, 0.5, "pass", []),   # not in fail_on
    ([finding("oscillating", 0.99)], ("oscillating",), 0.5, "fail", ["oscillating"]),
    ([finding("insufficient_data", 1.0)], DEFAULT_FAIL_ON, 0.5, "pass", []),
    ([finding("insufficient_data", 1.0)], ("insufficient_data",), 0.5, "fail",
     ["insufficient_data"]),
    ([finding("mode_collapse", 0.6), finding("diverged", 0.9)], DEFAULT_FAIL_ON, 0.5, "fail",
     ["diverged", "mode_collapse"]),  # most confident first
    ([finding("diverged", 0.9)], (), 0.5, "pass", []),  # fail on nothing
])
def test_policy_table(findings, fail_on, min_conf, status, failing):
    res = apply_policy(_analysis(_ok("a", findings)), fail_on=fail_on, min_confidence=min_conf)
    assert res.status == status
    got = [f.label for run in res.failing for f in run.findings]
    assert got == failing
    assert res.fail_on == tuple(fail_on) and res.min_confidence == min_conf


def test_fail_on_as_a_comma_string():
    res = apply_policy(_analysis(_ok("a", [finding("oscillating", 0.9)])),
                       fail_on="oscillating,diverged")
    assert res.fail_on == ("oscillating", "diverged") and res.status == "fail"


def test_unreadable_makes_the_check_incomplete_but_failures_are_kept():
    res = apply_policy(_analysis(_ok("a", [finding("diverged", 0.9)]),
                                 error_result("b", "bad CRC")))
    assert res.status == "error"
    assert [r.run_id for r in res.failing] == ["a"]
    assert [(r.run_id, r.error) for r in res.unreadable] == [("b", "/logs/b: bad CRC")]
    assert res.runs_checked == 1


def test_no_runs_is_an_error_not_a_pass():
    res = apply_policy(_analysis())
    assert res.status == "error" and "no runs found" in res.error


def test_too_short_runs_are_listed_not_failed():
    res = apply_policy(_analysis(_ok("short", [finding("insufficient_data", 1.0)]),
                                 _ok("fine", [finding("converged", 0.9)])))
    assert res.status == "pass" and res.too_short == ["short"]


def test_result_records_settings_and_serialises():
    res = apply_policy(sample_analysis(200), fail_on=["diverged"], min_confidence=0.9)
    d = res.to_dict()
    assert d["status"] == "error"  # sample_analysis holds an unreadable run
    assert d["fail_on"] == ["diverged"] and d["min_confidence"] == 0.9
    assert d["settings"] == Settings().to_dict()
    assert [r["run"] for r in d["failing"]] == ["<script>alert(\"x\")</script>&'q'"]
    json.dumps(d)  # JSON-serialisable


@pytest.mark.parametrize("bad", [["diverged", "explodes"], "mode_collapse,nope", [1]])
def test_unknown_fail_on_label_is_a_usage_error(bad):
    with pytest.raises(UsageError, match="label"):
        apply_policy(_analysis(), fail_on=bad) if not isinstance(bad, str) else \
            ganlogs.check(FIXTURES, fail_on=bad)


# ----------------------------------------------------------------------------- check()
def test_check_api_on_files(sweep, fake_detectors):
    res = ganlogs.check(sweep)
    assert isinstance(res, ganlogs.CheckResult)
    assert res.status == "fail"
    assert [r.run_id for r in res.failing] == ["bad/b.csv"]
    assert res.failing[0].findings[0].label == "diverged"
    assert res.too_short == ["short/c.csv"]
    assert res.settings.min_confidence == 0.5 and res.runs_checked == 3
    assert ganlogs.check(sweep / "ok").passed
    assert ganlogs.check(sweep, fail_on="insufficient_data").failing[0].run_id == "short/c.csv"


def test_check_min_confidence_is_also_the_label_threshold(tmp_path, wide_csv, fake_detectors):
    cols = healthy_losses()
    wide_csv(tmp_path / "r.csv", {"d_loss": cols["d_loss"], "g_collapse": cols["g_loss"]})
    res = ganlogs.check(tmp_path, roles={"g_loss": "g_collapse"})
    assert res.status == "fail"  # mode_collapse 0.6 >= 0.5
    res = ganlogs.check(tmp_path, roles={"g_loss": "g_collapse"}, min_confidence=0.8)
    assert res.status == "pass"
    assert res.analysis.runs[0].labels == []  # 0.6 < 0.8: not a label either


# ----------------------------------------------------------------------------- CLI
def _run(args, **kw):
    return run_cli(args, **kw)


def test_cli_check_passes_with_exit_0(sweep, fake_detectors):
    out = _run(["check", str(sweep / "ok")])
    assert out.exit_code == ExitCode.OK == 0, out.output
    assert "check passed" in out.output


def test_cli_check_fails_with_exit_1_and_says_which_run_and_why(sweep, fake_detectors):
    out = _run(["check", str(sweep)])
    assert out.exit_code == ExitCode.FINDINGS_OR_UNREADABLE == 1, out.output
    assert "FAIL  bad/b.csv" in out.output
    assert "diverged 0.95 from step 1880: d_loss blows up at step 1880" in out.output
    assert "too short to judge" in out.output and "short/c.csv" in out.output
    assert "\x1b[" not in out.output  # not a terminal: no colour


def test_cli_check_too_short_fails_only_when_asked(sweep, fake_detectors):
    assert _run(["check", str(sweep / "short")]).exit_code == 0
    out = _run(["check", str(sweep / "short"), "--fail-on", "insufficient_data"])
    assert out.exit_code == 1 and "insufficient_data 1.00" in out.output


def test_cli_check_min_confidence(tmp_path, wide_csv, fake_detectors):
    cols = healthy_losses()
    wide_csv(tmp_path / "r.csv", {"d_loss": cols["d_loss"], "g_collapse": cols["g_loss"]})
    base = ["check", str(tmp_path), "--role", "g_loss=g_collapse"]
    assert _run(base).exit_code == 1
    assert _run(base + ["--min-confidence", "0.8"]).exit_code == 0
    assert _run(base + ["--fail-on", "diverged"]).exit_code == 0


def test_cli_check_unreadable_run_exits_2_and_still_prints_failures(sweep, fake_detectors):
    broken_tfevents(sweep / "broken")
    out = _run(["check", str(sweep)])
    assert out.exit_code == ExitCode.USAGE_OR_READ_ERROR == 2, out.output
    assert "FAIL  bad/b.csv" in out.output
    assert "ERROR broken" in out.output and "check incomplete" in out.output


@pytest.mark.parametrize("args, message", [
    (["--fail-on", "diverged,explodes"], "unknown label(s) 'explodes'"),
    (["--min-confidence", "1.5"], "1.5"),
    (["--role", "nonsense=x"], "unknown role"),
    (["--loss-family", "nope"], "nope"),
])
def test_cli_check_usage_errors_exit_2(sweep, fake_detectors, args, message):
    out = _run(["check", str(sweep / "ok"), *args])
    assert out.exit_code == 2 and message in out.output


def test_cli_check_missing_path_exits_2(tmp_path):
    assert _run(["check", str(tmp_path / "nope")]).exit_code == 2


def test_cli_check_empty_directory_exits_2(tmp_path):
    out = _run(["check", str(tmp_path)])
    assert out.exit_code == 2 and "no runs found" in out.output


def test_cli_check_json(sweep, fake_detectors):
    out = _run(["check", str(sweep), "--format", "json"])
    assert out.exit_code == 1
    doc = json.loads(out.output)
    assert doc["status"] == "fail" and doc["failing"][0]["run"] == "bad/b.csv"
    assert doc["analysis"]["summary"]["runs"] == 3


def test_cli_check_on_real_fixtures_reads_everything(fake_detectors):
    # the bundled real-writer logs are all readable: the check is complete (0 or 1, never 2)
    out = _run(["check", str(FIXTURES / "tensorboard"), "-q"])
    assert out.exit_code in (0, 1), out.output
    assert "check incomplete" not in out.output


def test_cli_check_real_nan_fixture_fails_on_diverged(tmp_path, fake_detectors):
    shutil.copytree(FIXTURES / "tensorboard" / "torch_nan_inf", tmp_path / "nan_run")
    out = _run(["check", str(tmp_path), "--fail-on", "diverged"])
    assert out.exit_code == 1 and "FAIL  nan_run" in out.output


# ----------------------------------------------------------------------------- assert_healthy
def test_assert_healthy_passes_and_returns_the_result(sweep, fake_detectors):
    res = assert_healthy(sweep / "ok")
    assert res.status == "pass"


def test_assert_healthy_fails_with_the_findings_in_its_message(sweep, fake_detectors):
    with pytest.raises(AssertionError) as info:
        assert_healthy(sweep, fail_on=["diverged"], min_confidence=0.9)
    msg = str(info.value)
    assert "bad/b.csv" in msg and "diverged 0.95" in msg and "blows up at step 1880" in msg
    assert "ok/a.csv" not in msg


def test_assert_healthy_fails_on_unreadable_runs(tmp_path):
    broken_tfevents(tmp_path / "run")
    with pytest.raises(AssertionError, match="bad CRC"):
        assert_healthy(tmp_path)


# ----------------------------------------------------------------------------- as a user runs it
def test_a_bug_exits_3_never_1(monkeypatch, sweep, capsys):
    import sys

    import ganlogs.checks
    from ganlogs.cli import main

    def boom(*a, **k):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(ganlogs.checks, "analyze", boom)
    monkeypatch.setattr(sys, "argv", ["ganlogs", "check", str(sweep)])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == ExitCode.INTERNAL_ERROR == 3
    assert "internal error" in capsys.readouterr().err


def test_installed_command_piped(tmp_path):
    import subprocess
    import sys

    ok = subprocess.run([sys.executable, "-m", "ganlogs", "check",
                         str(FIXTURES / "tensorboard" / "torch_default"), "--no-cache"],
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode in (0, 1), ok.stderr
    assert "\x1b[" not in ok.stdout and "\r" not in ok.stderr  # piped: no colour, no bar
    assert "check passed" in ok.stdout or "check failed" in ok.stdout
    broken_tfevents(tmp_path / "run")
    bad = subprocess.run([sys.executable, "-m", "ganlogs", "check", str(tmp_path), "--no-cache"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "check incomplete" in bad.stdout
