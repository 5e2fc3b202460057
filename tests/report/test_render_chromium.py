"""Open the HTML report in headless Chromium, as a user would: it renders, its script runs
without errors, nothing from a log executes, and the runs table sorts.

JavaScript errors are captured two ways: a probe script injected at the top of the page
records ``error`` events, CSP violations and ``console.error`` calls into attributes of
``<html>`` (read back with ``--dump-dom``), and Chromium's own console log on stderr
(``--enable-logging=stderr``) is searched for ``Uncaught``. Skipped when Chromium is absent
(``apt-get install chromium``; tests/run.sh installs it).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ganlogs.report.html import render_html

from _build import sample_analysis

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(n)), None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium not installed (apt-get install chromium): HTML report "
                             "not rendered in a browser")

PROBE = """<script>
(function () {
  var root = document.documentElement;
  function note(kind, text) {
    root.setAttribute("data-js-errors", (root.getAttribute("data-js-errors") || "")
                      + kind + ": " + text + " | ");
  }
  window.addEventListener("error", function (e) {
    note("error", e.message || (e.target && (e.target.src || e.target.href)) || "resource");
  }, true);
  document.addEventListener("securitypolicyviolation", function (e) {
    note("csp", e.violatedDirective + " " + e.blockedURI);
  });
  var original = console.error;
  console.error = function () { note("console", Array.prototype.join.call(arguments, " "));
                                original.apply(console, arguments); };
  window.alert = function () { root.setAttribute("data-alerted", "1"); };
})();
</script>"""

# After the report's own script: sort by "points" (twice: descending) and record the order.
SORT_PROBE = """<script>
(function () {
  var th = document.querySelectorAll("#runs thead th")[2];
  th.click(); th.click();
  var order = Array.prototype.map.call(document.querySelectorAll("#runs tbody tr"),
    function (r) { return r.cells[2].textContent; });
  document.documentElement.setAttribute("data-sorted", order.join(","));
  document.documentElement.setAttribute("data-aria", th.getAttribute("aria-sort"));
})();
</script>"""


def _chromium(page: Path, tmp: Path, *extra: str) -> subprocess.CompletedProcess:
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--disable-dev-shm-usage", f"--user-data-dir={tmp / 'profile'}",
            "--enable-logging=stderr", "--v=0", *extra, page.as_uri()]
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def _open(html: str, tmp: Path, *, sort_probe: bool = True) -> tuple[dict[str, str], str]:
    html = html.replace("<head>", "<head>\n" + PROBE, 1)
    if sort_probe:
        html = html.replace("</body>", SORT_PROBE + "\n</body>", 1)
    page = tmp / "report.html"
    page.write_text(html, encoding="utf-8")
    proc = _chromium(page, tmp, "--dump-dom")
    assert proc.returncode == 0, proc.stderr[-2000:]
    m = re.search(r"<html([^>]*)>", proc.stdout)
    assert m, f"no DOM dumped; stderr: {proc.stderr[-2000:]}"
    attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', m.group(1)))
    return attrs, proc.stderr


def _console_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines()
            if "CONSOLE" in line and ("Uncaught" in line or "Refused" in line)]


def test_probe_catches_a_broken_script(tmp_path):
    # the harness itself must be able to fail
    attrs, stderr = _open("<!DOCTYPE html><html><head></head><body><script>"
                          "throw new Error('boom');</script></body></html>", tmp_path,
                          sort_probe=False)
    assert "boom" in attrs.get("data-js-errors", "")
    assert any("Uncaught Error: boom" in line for line in _console_errors(stderr))


def test_report_renders_without_errors_and_sorts(tmp_path):
    analysis = sample_analysis(3000)
    attrs, stderr = _open(render_html(analysis), tmp_path)
    assert attrs.get("data-js-errors", "") == "", attrs["data-js-errors"]
    assert _console_errors(stderr) == []
    assert attrs.get("data-ready") == "1"          # the report's script ran to the end
    assert "data-alerted" not in attrs              # nothing from a log executed
    points = [int(p) if p != "-" else -1 for p in attrs["data-sorted"].split(",")]
    assert points == sorted(points, reverse=True) and attrs["data-aria"] == "descending"


def test_fixture_report_renders_and_screenshots(tmp_path):
    from click.testing import CliRunner

    from ganlogs.cli import cli
    from report_support import FIXTURES

    target = tmp_path / "fx.html"
    out = CliRunner().invoke(cli, ["report", str(FIXTURES / "tensorboard"), "-o", str(target)])
    assert out.exit_code == 0, out.output
    attrs, stderr = _open(target.read_text(), tmp_path)
    assert attrs.get("data-js-errors", "") == "" and _console_errors(stderr) == []
    assert attrs.get("data-ready") == "1"
    shot = tmp_path / "shot.png"
    proc = _chromium(target, tmp_path, f"--screenshot={shot}", "--window-size=1200,900",
                     "--hide-scrollbars")
    assert proc.returncode == 0 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000  # not a blank page
