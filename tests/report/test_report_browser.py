"""The interactive HTML report driven in Debian's Chromium with Playwright, as a user would:
hover a point and read its value, zoom, pan, toggle the log scale, smooth, and find the D and
G losses of a pix2pix log on separate y-axes; then a small sweep: filter, search, group by a
hyperparameter, open a run. Time limits are generous (10x the targets of bench/report_scale.py).

Skipped with a message when Chromium or Playwright is absent (tests/run.sh installs both; no
browser is ever downloaded).
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from browser_support import (CHROMIUM, chromium_page, page_data, pix2pix_values,
                             series_values, write_lightning_sweep, write_pix2pix_log)
from report_support import run_cli

try:
    import playwright  # noqa: F401
except ImportError:  # pragma: no cover - depends on the environment
    playwright = None

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (apt-get install "
                                                "chromium): report not driven in a browser"),
    pytest.mark.skipif(playwright is None, reason="playwright not installed (pip install "
                                                  "playwright): report not driven in a browser"),
]


def _chart(page, panel: str, expr: str):
    return page.evaluate(f"() => {{ const u = window.ganlogsReport.charts[{panel!r}]; "
                         f"return {expr}; }}")


def _legend_value(page, panel: str, label: str) -> str:
    return page.evaluate("""([panel, label]) => {
        const box = document.querySelector(`[data-panel="${panel}"] .u-legend`);
        for (const row of box.querySelectorAll('.u-series')) {
            const l = row.querySelector('.u-label');
            if (l && l.textContent === label) return row.querySelector('.u-value').textContent;
        }
        return null; }""", [panel, label])


@pytest.fixture(scope="module")
def pix2pix_report(tmp_path_factory):
    root = tmp_path_factory.mktemp("p2p")
    log = write_pix2pix_log(root / "facades_pix2pix")
    target = root / "report.html"
    # the run given as the path itself
    out = run_cli(["report", str(log), "-o", str(target)])
    assert out.exit_code == 0, out.output
    return target


def test_pix2pix_run_hover_zoom_pan_log_and_separate_axes(pix2pix_report):
    _, runs = page_data(pix2pix_report.read_text())
    g_series = next(s for p in runs[0]["panels"] for s in p["series"] if s["tag"] == "G_GAN")
    steps, _ = series_values(g_series)
    logged = pix2pix_values()["G_GAN"]
    assert len(steps) == len(logged)  # few enough points: none dropped
    with chromium_page() as page:
        page.goto(pix2pix_report.as_uri())
        # one run: it opens by itself
        page.wait_for_selector('html[data-run-ready="0"]', state="attached", timeout=10_000)
        # the run given as the path itself is named after its file, not "."
        assert page.text_content("#detail h2") == "loss_log.txt"

        # D and G on separate panels, each with its own y-axis
        panels = page.evaluate("() => Object.keys(window.ganlogsReport.charts)")
        assert "d_loss" in panels and "g_loss" in panels
        d_tags = _chart(page, "d_loss", "u._panel.series.map(s => s.tag)")
        g_tags = _chart(page, "g_loss", "u._panel.series.map(s => s.tag)")
        # (a D loss summed from D_real and D_fake, when roles derive one, is drawn with them)
        assert {"D_fake", "D_real"} <= set(d_tags) and all(t.startswith("D_") for t in d_tags)
        assert sorted(g_tags) == ["G_GAN", "G_L1"]
        d_y = _chart(page, "d_loss", "[u.scales.y.min, u.scales.y.max]")
        g_y = _chart(page, "g_loss", "[u.scales.y.min, u.scales.y.max]")
        # D (terms in 0-0.4, their sum under 0.8, the BCE equilibrium 2 ln 2 = 1.386 when
        # the family is known) is not flattened under G's 1-10
        assert d_y[1] < 2.0 and g_y[1] > 8
        assert page.locator('[data-panel="d_loss"] .u-axis').count() >= 2

        # hover a point of G_GAN and read its value in the legend
        over = page.locator('[data-panel="g_loss"] .u-over')
        box = over.bounding_box()
        target_step = float(steps[len(steps) // 3])
        px = _chart(page, "g_loss", f"u.valToPos({target_step}, 'x')")
        page.mouse.move(box["x"] + px, box["y"] + box["height"] / 2)
        idx = _chart(page, "g_loss", "u.cursor.idx")
        step = _chart(page, "g_loss", "u.data[0][u.cursor.idx]")
        assert idx is not None and abs(step - target_step) <= 2 * np.diff(steps).max()
        shown = _legend_value(page, "g_loss", "G_GAN (g_loss)")
        expected = logged[int(np.searchsorted(steps, step))]
        assert shown is not None and float(shown) == pytest.approx(expected, abs=6e-4)
        assert _legend_value(page, "g_loss", "step") == str(int(step))

        # zoom: drag across the middle third of the plot
        x0 = _chart(page, "g_loss", "[u.scales.x.min, u.scales.x.max]")
        page.mouse.move(box["x"] + box["width"] * 0.35, box["y"] + 20)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + 30, steps=5)
        page.mouse.move(box["x"] + box["width"] * 0.65, box["y"] + 40, steps=5)
        page.mouse.up()
        x1 = _chart(page, "g_loss", "[u.scales.x.min, u.scales.x.max]")
        assert x1[0] > x0[0] and x1[1] < x0[1]
        assert (x1[1] - x1[0]) < 0.45 * (x0[1] - x0[0])
        # the cursor is synced: the D panel shows the same steps
        # pan: shift + drag moves the window without changing its width
        page.keyboard.down("Shift")
        page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + 50)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + 50, steps=5)
        page.mouse.up()
        page.keyboard.up("Shift")
        x2 = _chart(page, "g_loss", "[u.scales.x.min, u.scales.x.max]")
        assert x2[0] > x1[0] and (x2[1] - x2[0]) == pytest.approx(x1[1] - x1[0], rel=1e-6)
        # double-click resets
        page.mouse.dblclick(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        x3 = _chart(page, "g_loss", "[u.scales.x.min, u.scales.x.max]")
        assert x3 == pytest.approx(x0)

        # log scale: the G panel's y-axis becomes logarithmic, the D panel's does not
        assert _chart(page, "g_loss", "u.scales.y.distr") == 1
        page.locator('[data-panel="g_loss"] input.logscale').check()
        assert _chart(page, "g_loss", "u.scales.y.distr") == 3
        assert _chart(page, "d_loss", "u.scales.y.distr") == 1
        lo, hi = _chart(page, "g_loss", "[u.scales.y.min, u.scales.y.max]")
        assert 0 < lo < 1.5 and hi > 8  # G_GAN near 1 and G_L1 near 9, decades apart

        # smoothing: 0 leaves the raw values; more smooths (TensorBoard's debiased EMA)
        raw = _chart(page, "d_loss", "u.data[1].slice(0, 50)")
        smooth = _chart(page, "d_loss", "u.data[2].slice(0, 50)")
        assert smooth[0] == pytest.approx(raw[0])  # debiased: starts at the first value
        assert np.std(np.diff(smooth)) < np.std(np.diff(raw))
        page.locator("#smoothing").fill("0")
        assert _chart(page, "d_loss", "u.data[2].slice(0, 50)") == pytest.approx(raw)
        assert page.errors == []


def test_small_sweep_overview_filters_groups_and_opens_runs_quickly(tmp_path):
    """The 1,000-run behaviour at 48 runs: overview with the overlay, filter, search, group,
    a run opened on demand; bytes per run and times well within 10x the targets."""
    sweep = write_lightning_sweep(tmp_path / "sweep", 48, steps=1500)
    target = tmp_path / "report.html"
    out = run_cli(["report", str(sweep), "-o", str(target)])
    assert out.exit_code == 0, out.output
    assert target.stat().st_size / 48 <= 100_000
    overview, runs = page_data(target.read_text())
    assert overview["hparams"][:1] == ["lr"] or "lr" in overview["hparams"]
    with chromium_page() as page:
        t0 = time.perf_counter()
        page.goto(target.as_uri())
        page.wait_for_selector("html[data-ready]", state="attached")
        assert time.perf_counter() - t0 < 30  # target: 3 s for 1,000 runs
        assert page.locator("#runs tbody tr").count() == 48
        # the overlay: one curve per run, coloured by label
        assert page.evaluate("() => window.ganlogsReport.overlay.series.length") == 48 + 1
        # filter by label: the table and the overlay follow
        page.select_option("#label-filter", "mode_collapse")
        n_collapse = sum(any(lab[0] == "mode_collapse" for lab in r["labels"])
                         for r in overview["runs"])
        assert 0 < n_collapse < 48
        assert page.locator("#runs tbody tr").count() == n_collapse
        page.wait_for_function(f"() => window.ganlogsReport.overlay.series.length === {n_collapse + 1}")
        page.select_option("#label-filter", "")
        # search by name
        page.fill("#search", "run_0007")
        assert page.locator("#runs tbody tr").count() == 1
        page.wait_for_function("() => window.ganlogsReport.overlay.series.length === 2")
        page.fill("#search", "no such run")
        assert page.locator("#runs tbody tr").count() == 0
        page.wait_for_function("() => document.getElementById('overlay').textContent"
                               ".indexOf('No run to show') === 0")
        page.fill("#search", "")
        # group by a hyperparameter: one header row per value with its label counts
        page.select_option("#group-by", "lr")
        groups = page.locator("#runs tbody tr.group")
        assert groups.count() == 4 and groups.first.text_content().startswith("lr = 0.0001")
        page.select_option("#group-by", "")
        # no stacked warning boxes, and a reason in every row
        reasons = page.locator("#runs tbody td.reason").all_text_contents()
        assert len(reasons) == 48 and all(r.strip() for r in reasons)
        # open a run from the table: its charts are built on demand
        t1 = time.perf_counter()
        page.locator("#runs tbody tr").nth(3).locator("a").click()
        page.wait_for_selector("html[data-run-ready]", state="attached")
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => r()))")
        assert time.perf_counter() - t1 < 10  # target: 1 s
        assert page.locator("#charts .panel canvas").count() >= 3
        assert page.locator("#detail details.warns").count() <= 1
        # a diverged run: its blow-up sets the y-axis, unless outliers are ignored
        i = next(r["i"] for r in overview["runs"] if "run_0003/" in r["name"])
        page.evaluate(f"() => {{ location.hash = 'run-{i}'; }}")
        page.wait_for_selector(f'html[data-run-ready="{i}"]', state="attached")
        assert page.evaluate("() => window.ganlogsReport.charts.d_loss.scales.y.max") > 1e6
        page.check("#ignore-outliers")
        assert page.evaluate("() => window.ganlogsReport.charts.d_loss.scales.y.max") < 100
        page.uncheck("#ignore-outliers")
        assert page.evaluate("() => window.ganlogsReport.charts.d_loss.scales.y.max") > 1e6
        # back to the overview
        page.keyboard.press("Escape")
        assert page.is_hidden("#detail")
        assert page.errors == []


def test_every_run_opens_without_errors_and_nothing_from_a_log_executes(tmp_path):
    from ganlogs.report.html import render_html

    from _build import HOSTILE, sample_analysis

    target = tmp_path / "r.html"
    target.write_text(render_html(sample_analysis(3000)), encoding="utf-8")
    with chromium_page() as page:
        page.add_init_script("window.alert = () => document.documentElement"
                             ".setAttribute('data-alerted', '1');")
        page.goto(target.as_uri())
        page.wait_for_selector("html[data-ready]", state="attached")
        n = page.locator("#runs tbody tr").count()
        assert n == 5
        for i in range(n):
            page.evaluate(f"() => {{ location.hash = 'run-{i}'; }}")
            page.wait_for_selector(f'html[data-run-ready="{i}"]', state="attached")
            # every folded panel too
            for d in page.locator("#charts details.panel").all():
                d.locator("summary").click()
        # the hostile strings are shown as text (run name, legend, evidence)
        page.evaluate("() => { location.hash = 'run-2'; }")
        page.wait_for_selector('html[data-run-ready="2"]', state="attached")
        assert page.text_content("#detail h2") == HOSTILE
        assert HOSTILE in page.text_content('[data-panel="d_loss"] .u-legend')
        assert page.get_attribute("html", "data-alerted") is None
        assert page.locator("#detail script, #overview script").count() == 0
        assert page.errors == []
