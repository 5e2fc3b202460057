"""Every output format (text, json, markdown, html) on real fixtures and on a hostile log,
and `ganlogs analyze` / `ganlogs report` exit codes."""

from __future__ import annotations

import html as htmlmod
import json
import re
import shutil

import numpy as np
import pytest

from ganlogs.cli import ExitCode
from ganlogs.report.html import render_html
from ganlogs.report.json import dumps
from ganlogs.report.markdown import md, render_markdown
from ganlogs.report.terminal import Progress, render_text, safe

from _build import HOSTILE, finding, sample_analysis
from report_support import run_cli, FIXTURES, broken_tfevents, healthy_losses
from browser_support import page_data, series_values, strings_in

HOSTILE_FILE = "<b onclick=\"x\">&'q'.csv"
ESCAPED = htmlmod.escape(HOSTILE, quote=True)


def _run(args, **kw):
    return run_cli(args, **kw)


@pytest.fixture
def hostile(tmp_path, wide_csv, fake_detectors):
    """A wide CSV whose file name and D-loss column hold HTML and quotes; the D loss blows up
    at the end (the fake detector calls it diverged, summary quoting the tag)."""
    cols = healthy_losses()
    d = cols["d_loss"].copy()
    d[-5:] = np.nan
    wide_csv(tmp_path / "logs" / HOSTILE_FILE, {HOSTILE: d, "g_loss": cols["g_loss"]})
    return tmp_path / "logs"


HOSTILE_ROLE = ["--role", f"d_loss={HOSTILE}"]


def _assert_no_raw_markup(text: str) -> None:
    assert "<script>alert" not in text and "<b onclick" not in text
    assert 'alert("x")' not in text


# ----------------------------------------------------------------------------- escaping
def test_html_escapes_every_log_string():
    out = render_html(sample_analysis(300))
    _assert_no_raw_markup(out)
    assert ESCAPED not in out  # log strings are JSON data, never HTML
    overview, runs = page_data(out)
    # ... and come back exactly: run name, roles, series, evidence, hyperparameters...
    found = strings_in(overview) + strings_in(runs)
    assert sum(HOSTILE in s for s in found) >= 8
    # the only scripts: the JSON data, uPlot and the report's own
    assert out.count("<script") == 2 + 1 + len(runs)


def test_markdown_escapes_every_log_string():
    rep = render_markdown(sample_analysis(300), image_prefix="s")
    _assert_no_raw_markup(rep.text)
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#x27;q&#x27;" in rep.text
    for svg in rep.images.values():
        _assert_no_raw_markup(svg)
    # a table cell cannot be split by a pipe from a log, nor open a link
    assert md("a|b](http://x) *y* $z$") == "a\\|b\\](http://x) \\*y\\* \\$z\\$"


def test_json_keeps_log_strings_exact():
    doc = json.loads(dumps(sample_analysis(300)))
    run = doc["runs"][2]
    assert run["run"] == HOSTILE and run["roles"]["d_loss"] == HOSTILE
    assert run["findings"][0]["evidence"][HOSTILE] == HOSTILE


def test_text_shows_strings_as_text_and_neutralises_control_characters():
    out = render_text(sample_analysis(300))
    assert HOSTILE in out  # a terminal shows markup as text
    assert safe("tag\x1b[2J\nnext\r") == "tag\\x1b[2J\\nnext\\r"
    assert "\x1b" not in render_text(sample_analysis(300), color=False)


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "html"])
def test_cli_formats_escape_a_hostile_log(hostile, fmt):
    out = _run(["analyze", str(hostile), "--format", fmt, *HOSTILE_ROLE])
    assert out.exit_code == 0, out.output
    text = out.output
    if fmt == "json":
        doc = json.loads(text)
        assert doc["runs"][0]["run"] == HOSTILE_FILE
        assert doc["runs"][0]["roles"]["d_loss"] == HOSTILE
        assert HOSTILE in doc["runs"][0]["series"]
        assert doc["runs"][0]["labels"] == ["diverged"]
    elif fmt == "text":
        assert HOSTILE_FILE in text and "diverged 0.95" in text and HOSTILE in text
    else:
        _assert_no_raw_markup(text)
        assert "diverged" in text
        if fmt == "html":
            found = strings_in(list(page_data(text)))
            assert HOSTILE_FILE in found and HOSTILE in found
        else:
            assert md(HOSTILE_FILE) in text and md(HOSTILE) in text


def test_cli_report_html_escapes_a_hostile_log(hostile, tmp_path):
    out = _run(["report", str(hostile), "-o", str(tmp_path / "r.html"), *HOSTILE_ROLE])
    assert out.exit_code == 0, out.output
    page = (tmp_path / "r.html").read_text()
    _assert_no_raw_markup(page)
    overview, runs = page_data(page)
    assert overview["runs"][0]["name"] == HOSTILE_FILE
    # the hostile tag is drawn (a chart legend), as data
    tags = [s["tag"] for p in runs[0]["panels"] for s in p["series"]]
    assert HOSTILE in tags


def test_cli_report_markdown_escapes_a_hostile_log(hostile, tmp_path):
    out = _run(["report", str(hostile), "--format", "markdown", "-o", str(tmp_path / "s.md"),
                *HOSTILE_ROLE])
    assert out.exit_code == 0, out.output
    text = (tmp_path / "s.md").read_text()
    _assert_no_raw_markup(text)
    svgs = sorted(tmp_path.glob("s-*.svg"))
    assert [p.name for p in svgs] == ["s-001-d_loss.svg", "s-001-g_loss.svg"]
    _assert_no_raw_markup(svgs[0].read_text())
    assert ESCAPED in svgs[0].read_text()  # the hostile D-loss tag, in the D plot's legend


# ----------------------------------------------------------------------------- real fixtures
FIXTURE_DIRS = ["tensorboard/torch_default", "tensorboard/tf2_summary_scalar",
                "tensorboard/torch_nan_inf", "tensorboard/stylegan2_ada"]


@pytest.fixture
def fixture_sweep(tmp_path):
    root = tmp_path / "fx"
    for d in FIXTURE_DIRS:
        shutil.copytree(FIXTURES / d, root / d.replace("/", "_"))
    return root


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "html"])
def test_analyze_every_format_on_fixtures(fixture_sweep, fmt):
    out = _run(["analyze", str(fixture_sweep), "--format", fmt])
    assert out.exit_code == 0, out.output
    ids = sorted(d.replace("/", "_") for d in FIXTURE_DIRS)
    if fmt == "json":
        doc = json.loads(out.output)
        assert sorted(r["run"] for r in doc["runs"]) == ids
        assert all(r["status"] == "ok" for r in doc["runs"])
    else:
        for run_id in ids:
            assert (md(run_id) if fmt == "markdown" else run_id) in out.output
    if fmt == "text":
        assert out.output.splitlines()[0].split() == ["run", "format", "points", "roles",
                                                      "labels", "onset", "reason"]
        assert "4 run(s): 4 read, 0 unreadable;" in out.output
        assert "\x1b[" not in out.output


def test_report_html_on_fixtures_is_self_contained(fixture_sweep, tmp_path):
    target = tmp_path / "out" / "report.html"
    out = _run(["report", str(fixture_sweep), "-o", str(target)])
    assert out.exit_code == 0, out.output
    page = target.read_text()
    assert page.startswith("<!DOCTYPE html>")
    # nothing to fetch: no external scripts, styles, fonts or images
    assert not re.search(r"<(link|img|iframe|object|embed)\b", page)
    assert not re.search(r"\bsrc\s*=", page)
    assert "@import" not in page and "url(" not in page
    # the one URL: uPlot's banner comment
    assert re.findall(r"https?://[^\s\"')]+", page) == ["https://github.com/leeoniya/uPlot"]
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert len(page) < 4 * 100_000 + 60_000  # under 100 KB per run, plus uPlot
    overview, runs = page_data(page)
    assert len(runs) == 4 and all(r["panels"] for r in runs)
    # equilibrium lines for a BCE run whose losses are logged (torch_default)
    assert any(h["text"].startswith("G equilibrium 0.693") for r in runs for p in r["panels"]
               for h in p["hlines"])
    # the NaN/Inf run has its non-finite points counted and the first one drawn
    nan = [s for r in runs for p in r["panels"] for s in p["series"] if s["nonfinite"]]
    assert nan and all(np.isnan(series_values(s)[1]).any() or np.isinf(series_values(s)[1]).any()
                       for s in nan)


def test_report_markdown_writes_svgs_beside_it(fixture_sweep, tmp_path):
    out = _run(["report", str(fixture_sweep), "-o", str(tmp_path / "summary.md")])
    assert out.exit_code == 0, out.output
    text = (tmp_path / "summary.md").read_text()
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert links and all((tmp_path / link).is_file() for link in links)
    for link in links:
        assert (tmp_path / link).read_text().startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert "| run | format | points | labels | onset step | reason |" in text


def test_report_to_stdout(fixture_sweep):
    out = _run(["report", str(fixture_sweep), "-o", "-", "--format", "markdown"])
    assert out.exit_code == 0 and out.output.startswith("## ganlogs report")
    assert "![" not in out.output  # no file to put images beside


def test_report_large_series_is_downsampled(tmp_path, wide_csv, fake_detectors):
    n = 200_000
    cols = {k: np.resize(v, n) for k, v in healthy_losses(1000).items()}
    cols["d_loss"][123_457] = 50.0  # one spike: must survive downsampling
    wide_csv(tmp_path / "big" / "run.csv", cols, step=1)
    out = _run(["report", str(tmp_path / "big"), "-o", str(tmp_path / "r.html")])
    assert out.exit_code == 0, out.output
    page = (tmp_path / "r.html").read_text()
    assert len(page) < 200_000
    _, runs = page_data(page)
    d = next(s for p in runs[0]["panels"] for s in p["series"] if s["role"] == "d_loss")
    x, y = series_values(d)
    assert d["points"] == n and len(y) <= 2100
    assert y.max() == 50.0 and x[np.argmax(y)] == 123_457  # the spike survived


# ----------------------------------------------------------------------------- exit codes
def test_analyze_exit_0_when_every_run_is_read(fixture_sweep):
    assert _run(["analyze", str(fixture_sweep)]).exit_code == ExitCode.OK == 0


def test_analyze_exit_1_when_some_runs_cannot_be_read(fixture_sweep):
    broken_tfevents(fixture_sweep / "broken")
    for args in (["analyze"], ["analyze", "--format", "json"]):
        out = _run([*args, str(fixture_sweep)])
        assert out.exit_code == ExitCode.FINDINGS_OR_UNREADABLE == 1, out.output
        assert "bad CRC" in out.output
    # the others are still analysed and listed
    doc = json.loads(_run(["analyze", str(fixture_sweep), "--format", "json"]).stdout)
    assert sum(r["status"] == "ok" for r in doc["runs"]) == 4


def test_analyze_exit_2_when_nothing_is_readable_or_usage_error(tmp_path):
    broken_tfevents(tmp_path / "only" / "broken")
    assert _run(["analyze", str(tmp_path / "only")]).exit_code == 2
    assert _run(["analyze", str(tmp_path / "missing")]).exit_code == 2
    (tmp_path / "empty").mkdir()
    out = _run(["analyze", str(tmp_path / "empty")])
    assert out.exit_code == 2 and "no runs found" in out.output
    assert _run(["analyze", str(FIXTURES), "--format", "yaml"]).exit_code == 2
    assert _run(["analyze", str(FIXTURES), "--role", "bogus=x"]).exit_code == 2


def test_report_exit_codes(fixture_sweep, tmp_path):
    assert _run(["report", str(fixture_sweep), "-o", str(tmp_path / "a.html")]).exit_code == 0
    broken_tfevents(fixture_sweep / "broken")
    out = _run(["report", str(fixture_sweep), "-o", str(tmp_path / "b.html")])
    assert out.exit_code == 1 and (tmp_path / "b.html").is_file()
    assert "cannot read: " in (tmp_path / "b.html").read_text()


# ----------------------------------------------------------------------------- terminal
def test_colours_only_when_asked():
    a = sample_analysis(300)
    coloured = render_text(a, color=True)
    assert "\x1b[" in coloured
    plain = re.sub(r"\x1b\[[0-9;]*m", "", coloured)
    assert plain == render_text(a, color=False)  # colours never move the columns


def test_reason_column_fits_the_terminal_width():
    wide = render_text(sample_analysis(300), width=200)
    assert wide.splitlines()[0].split()[3] == "roles"  # room enough: every column
    a = sample_analysis(300)
    long_reason = "word " * 60 + "end."
    a.runs[0].findings[0] = finding("converged", 0.83, 4000, summary=long_reason)
    out = render_text(a, width=110)
    assert all(len(line) <= 110 for line in out.splitlines()[:-1])
    assert "…" not in out  # folded, never cut
    assert out.splitlines()[0].split() == ["run", "format", "points", "labels", "onset",
                                           "reason"]  # roles left out first
    # the whole reason is there, on the run's line and the indented lines under it
    lines = out.splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith("sweep/healthy"))
    folded = [lines[i]]
    for line in lines[i + 1:]:
        if not line.startswith("    "):
            break
        folded.append(line)
    assert len(folded) > 2
    text = " ".join(line.strip() for line in folded)
    assert text.endswith(" ".join(long_reason.split()))
    # 120 columns: a long run id is kept whole
    assert "sweep/healthy" in render_text(a, width=120)


class _Stream:
    def __init__(self):
        self.text = ""

    def write(self, s):
        self.text += s

    def flush(self):
        pass


def test_progress_bar_only_for_slow_sweeps_and_only_when_enabled():
    s = _Stream()
    p = Progress(s, enabled=True, delay=0.0)
    p(1, 4)
    assert "[#######-" in s.text and "1/4 runs" in s.text
    p(4, 4)
    p.close()
    assert s.text.endswith("\r")
    quick = _Stream()
    p = Progress(quick, enabled=True, delay=60.0)
    p(1, 2), p(2, 2), p.close()
    assert quick.text == ""  # finished before the delay: nothing drawn
    off = _Stream()
    p = Progress(off, enabled=False, delay=0.0)
    p(1, 2), p.close()
    assert off.text == ""


def test_narrow_terminal_shortens_long_run_ids_in_the_middle():
    from ganlogs.analysis import Analysis

    a = sample_analysis(100)
    a.runs[0].run_id = "a/very/long/sweep/directory/name/that/goes/on/run-0042/events"
    out = render_text(Analysis(a.root, a.runs, a.settings), width=100)
    first = out.splitlines()[1]
    assert first.startswith("a/very/lon") and "…" in first.split()[0]
    assert first.split()[0].endswith("run-0042/events")
    assert len(first) <= 100


def test_markdown_image_links_survive_odd_output_names(fixture_sweep, tmp_path):
    target = tmp_path / "my summary (ci).md"
    out = _run(["report", str(fixture_sweep), "-o", str(target)])
    assert out.exit_code == 0, out.output
    links = re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", target.read_text())
    from urllib.parse import unquote

    assert links and all((tmp_path / unquote(link)).is_file() for link in links)
