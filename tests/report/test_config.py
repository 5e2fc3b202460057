"""Config files: ganlogs.toml, [tool.ganlogs] in pyproject.toml, --config; CLI over file."""

from __future__ import annotations

import pytest

import ganlogs
from ganlogs.config import Config, find_config, load_config
from ganlogs.errors import UsageError

from report_support import run_cli, healthy_losses

FULL = """
fail_on = ["diverged", "insufficient_data"]
min_confidence = 0.8
loss_family = "lsgan"
d_loss_reduction = "mean"

[roles]
d_loss = "my/disc"
g_loss = "my/gen"
"""


def _run(args, **kw):
    return run_cli(args, **kw)


def test_no_file_gives_empty_config(tmp_path):
    assert find_config(tmp_path) is None
    assert load_config(cwd=tmp_path) == Config()


def test_ganlogs_toml_top_level(tmp_path):
    (tmp_path / "ganlogs.toml").write_text(FULL)
    cfg = load_config(cwd=tmp_path)
    assert cfg.fail_on == ("diverged", "insufficient_data")
    assert cfg.min_confidence == 0.8 and cfg.loss_family == "lsgan"
    assert cfg.d_loss_reduction == "mean"
    assert dict(cfg.roles) == {"d_loss": "my/disc", "g_loss": "my/gen"}
    assert cfg.source == str(tmp_path / "ganlogs.toml")


def test_pyproject_tool_table(tmp_path):
    body = FULL.replace("[roles]", "[tool.ganlogs.roles]")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n\n[tool.ganlogs]\n" + body)
    cfg = load_config(cwd=tmp_path)
    assert cfg.fail_on == ("diverged", "insufficient_data") and cfg.roles["g_loss"] == "my/gen"


def test_pyproject_without_tool_table_is_ignored(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n[tool.black]\nline-length = 99\n")
    assert load_config(cwd=tmp_path) == Config()


def test_ganlogs_toml_wins_over_pyproject(tmp_path):
    (tmp_path / "ganlogs.toml").write_text("min_confidence = 0.7\n")
    (tmp_path / "pyproject.toml").write_text("[tool.ganlogs]\nmin_confidence = 0.9\n")
    assert load_config(cwd=tmp_path).min_confidence == 0.7


@pytest.mark.parametrize("text, message", [
    ("fail_on = ['diverged']\nfial_on = ['x']\n", "unknown key fial_on"),
    ("[roles]\nd_loss = 'a'\n[extra]\nx = 1\n", "unknown key extra"),
    ("fail_on = ['explodes']\n", "unknown label(s) 'explodes'"),
    ("fail_on = 'diverged'\nmin_confidence = 2\n", "min_confidence must be a number in [0, 1]"),
    ("min_confidence = true\n", "min_confidence"),
    ("loss_family = 'wgan'\n", "loss_family must be one of"),
    ("d_loss_reduction = 'sum'\n", "d_loss_reduction must be one of"),
    ("[roles]\ndiscriminator = 'x'\n", "unknown role 'discriminator'"),
    ("[roles]\nd_loss = 3\n", "roles.d_loss must be a tag name"),
    ("fail_on = [\n", "not valid TOML"),
])
def test_invalid_files_are_usage_errors_naming_the_key(tmp_path, text, message):
    (tmp_path / "ganlogs.toml").write_text(text)
    with pytest.raises(UsageError) as info:
        load_config(cwd=tmp_path)
    assert message in str(info.value) and "ganlogs.toml" in str(info.value)


def test_unknown_key_in_pyproject_names_the_full_key(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.ganlogs]\nfailon = []\n")
    with pytest.raises(UsageError, match=r"unknown key tool\.ganlogs\.failon"):
        load_config(cwd=tmp_path)


def test_explicit_config_path(tmp_path):
    p = tmp_path / "conf" / "ci.toml"
    p.parent.mkdir()
    p.write_text("fail_on = ['oscillating']\n")
    assert load_config(p).fail_on == ("oscillating",)
    with pytest.raises(UsageError, match="no such file"):
        load_config(tmp_path / "missing.toml")


def test_settings_merge_cli_over_file_role_by_role():
    cfg = Config(roles={"d_loss": "a", "g_loss": "b"}, loss_family="lsgan", min_confidence=0.7)
    s = cfg.settings(roles={"g_loss": "c"}, d_loss_reduction="mean")
    assert dict(s.roles) == {"d_loss": "a", "g_loss": "c"}
    assert s.loss_family == "lsgan" and s.d_loss_reduction == "mean" and s.min_confidence == 0.7
    assert cfg.settings(min_confidence=0.2, loss_family="hinge").loss_family == "hinge"
    assert Config().settings().min_confidence == 0.5


# ----------------------------------------------------------------------------- through the CLI
@pytest.fixture
def collapse_run(tmp_path, wide_csv, fake_detectors):
    """A run whose losses are named so that only a role override finds them; the fake
    detector calls it mode_collapse 0.6 (its G tag contains "collapse")."""
    cols = healthy_losses()
    wide_csv(tmp_path / "runs" / "r.csv", {"my_disc": cols["d_loss"],
                                           "my_collapse": cols["g_loss"]})
    return tmp_path / "runs"


def test_cli_reads_the_config_in_the_current_directory(tmp_path, collapse_run, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # without roles nothing is recognised: no findings, pass
    assert _run(["check", str(collapse_run)]).exit_code == 0
    (tmp_path / "pyproject.toml").write_text(
        "[tool.ganlogs]\nfail_on = ['mode_collapse']\n"
        "[tool.ganlogs.roles]\nd_loss = 'my_disc'\ng_loss = 'my_collapse'\n")
    out = _run(["check", str(collapse_run)])
    assert out.exit_code == 1, out.output
    assert "mode_collapse 0.60" in out.output and "config: " in out.output
    # the same settings reach analyze and report
    out = _run(["analyze", str(collapse_run)])
    assert out.exit_code == 0 and "mode_collapse 0.60" in out.output


def test_cli_options_override_the_file(tmp_path, collapse_run, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ganlogs.toml").write_text(
        "fail_on = ['mode_collapse']\nmin_confidence = 0.5\n"
        "[roles]\nd_loss = 'my_disc'\ng_loss = 'my_collapse'\n")
    assert _run(["check", str(collapse_run)]).exit_code == 1
    assert _run(["check", str(collapse_run), "--min-confidence", "0.9"]).exit_code == 0
    assert _run(["check", str(collapse_run), "--fail-on", "diverged"]).exit_code == 0
    # --role replaces the file's g_loss: the G tag no longer says "collapse"
    assert _run(["check", str(collapse_run), "--role", "g_loss=my_disc"]).exit_code == 0


def test_cli_explicit_config_and_unknown_key_exit_2(tmp_path, collapse_run):
    good = tmp_path / "good.toml"
    good.write_text("[roles]\nd_loss = 'my_disc'\ng_loss = 'my_collapse'\n")
    assert _run(["check", str(collapse_run), "--config", str(good)]).exit_code == 1
    bad = tmp_path / "bad.toml"
    bad.write_text("fail_on = ['diverged']\nthreshold = 0.3\n")
    for cmd in ("check", "analyze", "report"):
        out = _run([cmd, str(collapse_run), "--config", str(bad), "-o", str(tmp_path / "x.html")]
                   if cmd == "report" else [cmd, str(collapse_run), "--config", str(bad)])
        assert out.exit_code == 2, (cmd, out.output)
        assert "unknown key threshold" in out.output


def test_python_check_takes_a_config(tmp_path, collapse_run):
    p = tmp_path / "g.toml"
    p.write_text("fail_on = ['mode_collapse']\n[roles]\nd_loss = 'my_disc'\n"
                 "g_loss = 'my_collapse'\n")
    res = ganlogs.check(collapse_run, config=p)
    assert res.status == "fail" and res.config_source == str(p)
    assert ganlogs.check(collapse_run, config=p, fail_on=[]).status == "pass"
