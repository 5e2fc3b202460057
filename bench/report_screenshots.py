"""Regenerate the report screenshots in docs/ with headless Debian Chromium (Playwright).

* ``docs/report_pix2pix.png``: a pix2pix ``loss_log.txt`` (written by
  ``tests/report/browser_support.py``), the cursor on a point so the legend shows its values;
* ``docs/report_stylegan2ada.png``: the real StyleGAN2-ADA run in
  ``../shared/real-logs/stylegan2ada_phyto`` (skipped when absent; the log is read in place,
  never copied);
* ``docs/report_sweep.png``: the overview of a generated 1,000-run sweep (``--runs``).

Usage: ``python bench/report_screenshots.py [--runs 1000] [--sweep-dir DIR] [--skip-sweep]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "report"))

from browser_support import chromium_page, write_lightning_sweep, write_pix2pix_log  # noqa: E402

DOCS = REPO / "docs"
SHARED = REPO.parent / "shared"


def _report(path: Path, out: Path) -> Path:
    from ganlogs import analyze
    from ganlogs.report import write_report

    write_report(analyze(path), out)
    return out


def _shoot(page, url: str, out: Path, *, run: bool, hover: str | None = None) -> None:
    page.goto(url)
    page.wait_for_selector("html[data-ready]", state="attached")
    if run:
        page.wait_for_selector("html[data-run-ready]", state="attached")
    if hover:
        box = page.locator(f'[data-panel="{hover}"] .u-over').bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.62, box["y"] + box["height"] / 2)
    page.wait_for_timeout(300)
    page.screenshot(path=str(out))
    assert page.errors == [], page.errors
    print(f"wrote {out.relative_to(REPO)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--sweep-dir", type=Path, default=None,
                    help="an existing generated sweep (bench/report_scale.py --keep DIR/sweep)")
    ap.add_argument("--skip-sweep", action="store_true", help="leave report_sweep.png as it is")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        log = write_pix2pix_log(tmp / "facades_pix2pix")
        p2p = _report(log, tmp / "p2p.html")
        sw = None
        if not args.skip_sweep:
            sweep = args.sweep_dir or write_lightning_sweep(tmp / "sweep", args.runs)
            sw = _report(sweep, tmp / "sweep.html")
        real = SHARED / "real-logs" / "stylegan2ada_phyto" / "stats.jsonl"
        sg = _report(real, tmp / "sg.html") if real.exists() else None
        with chromium_page(1300, 1000) as page:
            _shoot(page, p2p.as_uri() + "#run-0", DOCS / "report_pix2pix.png", run=True,
                   hover="g_loss")
        if sw is not None:
            with chromium_page(1300, 1000) as page:
                _shoot(page, sw.as_uri(), DOCS / "report_sweep.png", run=False)
        if sg is not None:
            with chromium_page(1300, 1000) as page:
                _shoot(page, sg.as_uri() + "#run-0", DOCS / "report_stylegan2ada.png", run=True,
                       hover="d_loss")
        else:
            print(f"skipped the StyleGAN2-ADA screenshot: {real} absent")


if __name__ == "__main__":
    main()
