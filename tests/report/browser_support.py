"""Logs written for the browser tests and bench/report_scale.py, and a Playwright page on
Debian's Chromium (never a downloaded browser).

``write_pix2pix_log`` writes a CycleGAN/pix2pix ``loss_log.txt`` the way
``util/visualizer.py`` prints it: a header per launch, then
``(epoch: E, iters: I, time: T, data: T) G_GAN: x G_L1: x D_real: x D_fake: x `` lines. The
D terms stay near 0.1-0.3 and the G terms near 1-9, so one shared y-axis would flatten D.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(n)), None)


def pix2pix_values(epochs: int = 40, per_epoch: int = 10, seed: int = 0) -> dict[str, np.ndarray]:
    """The four loss series of :func:`write_pix2pix_log`, rounded as the log prints them."""
    rng = np.random.default_rng(seed)
    n = epochs * per_epoch
    t = np.arange(n) / n
    return {
        "G_GAN": np.round(1.2 + 0.6 * t + 0.15 * rng.standard_normal(n), 3),
        "G_L1": np.round(9.0 - 5.5 * t + 0.4 * rng.standard_normal(n), 3),
        "D_real": np.round(np.clip(0.28 - 0.15 * t + 0.03 * rng.standard_normal(n), 0.01, None), 3),
        "D_fake": np.round(np.clip(0.25 - 0.12 * t + 0.03 * rng.standard_normal(n), 0.01, None), 3),
    }


def write_pix2pix_log(path: Path, *, epochs: int = 40, per_epoch: int = 10, seed: int = 0) -> Path:
    """Write ``path/loss_log.txt`` in the pix2pix format and return the file's path."""
    values = pix2pix_values(epochs, per_epoch, seed)
    path.mkdir(parents=True, exist_ok=True)
    lines = ["================ Training Loss (Sat Dec  5 08:00:00 2026) ================"]
    k = 0
    for epoch in range(1, epochs + 1):
        for j in range(per_epoch):
            parts = " ".join(f"{name}: {values[name][k]:.3f}" for name in values)
            lines.append(f"(epoch: {epoch}, iters: {(j + 1) * 100}, time: 0.040, data: 0.182) "
                         f"{parts} ")
            k += 1
    log = path / "loss_log.txt"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return log


@contextmanager
def chromium_page(width: int = 1300, height: int = 900) -> Iterator[object]:
    """A Playwright page in headless Debian Chromium, console errors collected in
    ``page.errors``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu",
                                           "--disable-dev-shm-usage"])
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.errors = []
            page.on("pageerror", lambda exc: page.errors.append(str(exc)))
            page.on("console", lambda msg: page.errors.append(msg.text)
                    if msg.type == "error" else None)
            yield page
        finally:
            browser.close()
