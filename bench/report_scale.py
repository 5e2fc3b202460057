"""How the HTML report behaves at sweep scale, measured in Debian's Chromium.

Generates a sweep of Lightning CSV runs (``tests/report/browser_support.py``:
``write_lightning_sweep``: healthy, oscillating, collapsing, diverging and too-short runs,
3,000 steps and six series each, hyperparameters in ``hparams.yaml``), analyses it, writes
the report and prints:

* build: seconds to analyse the sweep and to render the report (one process),
* size: bytes on disk, and bytes per run,
* open: milliseconds from navigation to the overview table and overlay chart being built
  (``data-ready``, set by the page's script) and to the ``load`` event (the whole file
  parsed), and the first contentful paint; and wall-clock milliseconds from ``page.goto`` to
  the overview on screen (built, plus one animation frame) and to the load event; median of
  ``--repeat`` fresh page loads,
* run open: milliseconds from clicking a run in the table to its charts being drawn (the
  page's ``data-run-ready`` plus one animation frame); median over ``--repeat`` runs.

Usage: ``python bench/report_scale.py [--runs 1000] [--steps 3000] [--repeat 5] [--keep DIR]``.
Needs Playwright (``pip install playwright``) and Chromium (``apt-get install chromium``);
no browser is downloaded. Prints the figures; docs/reports.md publishes them.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "report"))

from browser_support import CHROMIUM, chromium_page, write_lightning_sweep  # noqa: E402


def measure(report: Path, runs: int, repeat: int) -> dict[str, list[float]]:
    """Open ``report`` ``repeat`` times and open ``repeat`` runs; times in milliseconds."""
    out: dict[str, list[float]] = {"ready": [], "load": [], "fcp": [], "wall": [],
                                   "wall_load": [], "run": [], "run_wall": []}
    url = report.as_uri()
    for k in range(repeat):
        with chromium_page() as page:
            if k == 0:
                print(f"browser: {page.context.browser.browser_type.name} "
                      f"{page.context.browser.version} ({CHROMIUM})")
            t0 = time.perf_counter()
            page.goto(url, wait_until="commit", timeout=120_000)
            page.wait_for_selector("html[data-ready]", state="attached", timeout=120_000)
            # one animation frame after the overview is built: it is on screen
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => r()))")
            out["wall"].append((time.perf_counter() - t0) * 1000)
            page.wait_for_load_state("load", timeout=120_000)
            out["wall_load"].append((time.perf_counter() - t0) * 1000)
            timing = page.evaluate("""() => {
                const nav = performance.getEntriesByType('navigation')[0];
                const fcp = performance.getEntriesByName('first-contentful-paint')[0];
                return {ready: +document.documentElement.getAttribute('data-ready-ms'),
                        load: nav.loadEventStart, fcp: fcp ? fcp.startTime : -1};
            }""")
            for key in ("ready", "load", "fcp"):
                out[key].append(float(timing[key]))
            assert page.errors == [], page.errors
            # open one run (a different one each time), from the table
            i = (k * 7919 + 13) % runs
            page.fill("#search", "")
            t1 = time.perf_counter()
            page.evaluate(f"() => {{ location.hash = 'run-{i}'; }}")
            page.wait_for_selector(f'html[data-run-ready="{i}"]', state="attached")
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => r()))")
            out["run_wall"].append((time.perf_counter() - t1) * 1000)
            out["run"].append(float(page.get_attribute("html", "data-run-ms")))
            assert page.evaluate("() => Object.keys(window.ganlogsReport.charts).length") > 0
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=None, help="analysis worker processes")
    ap.add_argument("--keep", type=Path, default=None, help="keep the sweep and report here")
    args = ap.parse_args()
    if CHROMIUM is None:
        sys.exit("report_scale: Chromium not found (apt-get install chromium)")
    from ganlogs import analyze
    from ganlogs.report import write_report

    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        sweep = base / "sweep"
        if not sweep.exists():
            write_lightning_sweep(sweep, args.runs, steps=args.steps)
        t0 = time.perf_counter()
        analysis = analyze(sweep, jobs=args.jobs)
        t1 = time.perf_counter()
        report = base / "report.html"
        write_report(analysis, report)
        t2 = time.perf_counter()
        size = report.stat().st_size
        n = len(analysis.runs)
        print(f"sweep: {n} runs x {args.steps} steps, 6 series each (Lightning CSV)")
        print(f"build: analyse {t1 - t0:.1f} s, render report {t2 - t1:.1f} s")
        print(f"size: {size / 1e6:.1f} MB, {size / n / 1e3:.1f} KB per run")
        m = measure(report, n, args.repeat)
        med = {k: statistics.median(v) for k, v in m.items()}
        print(f"open (median of {args.repeat}, Chromium headless): overview built "
              f"{med['ready']:.0f} ms after navigation, first paint {med['fcp']:.0f} ms, "
              f"load event {med['load']:.0f} ms")
        print(f"open, wall clock from page.goto: overview table and overlay on screen "
              f"{med['wall']:.0f} ms, whole file loaded {med['wall_load']:.0f} ms")
        print(f"run open (median of {args.repeat} runs): charts built {med['run']:.0f} ms "
              f"after the click, drawn (wall, +1 frame) {med['run_wall']:.0f} ms")
        print("raw:", {k: [round(x) for x in v] for k, v in m.items()})


if __name__ == "__main__":
    main()
