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


def page_data(page: str) -> tuple[dict, list[dict]]:
    """The overview and the per-run data a report page embeds (JSON script elements)."""
    import json
    import re

    blocks = dict(re.findall(r'<script type="application/json" id="([^"]+)">(.*?)</script>',
                             page, re.S))
    overview = json.loads(blocks.pop("ganlogs-overview"))
    runs = [json.loads(blocks[f"run-{i}"]) for i in range(len(overview["runs"]))]
    return overview, runs


def strings_in(obj: object) -> list[str]:
    """Every string (keys included) in a JSON value."""
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for k, v in obj.items() for s in [k, *strings_in(v)]]
    if isinstance(obj, list):
        return [s for v in obj for s in strings_in(v)]
    return []


def series_values(series: dict) -> tuple[np.ndarray, np.ndarray]:
    """Steps and values of one drawn series of a run's panel, decoded as the page does."""
    import base64

    d = np.asarray(series["x"], dtype=np.int64)
    x = d[0] + np.r_[0, np.cumsum(d[1:] * series.get("xunit", 1))] if len(d) else d
    y = np.frombuffer(base64.b64decode(series["y"]), dtype="<f4").astype(float)
    return x, y


#: behaviours of the generated sweep's runs, in turn
SWEEP_KINDS = ("healthy", "oscillating", "collapse", "diverged", "healthy", "short")


def write_lightning_sweep(root: Path, runs: int, *, steps: int = 3000, seed: int = 0) -> Path:
    """A sweep of ``runs`` Lightning ``CSVLogger`` runs (``<root>/lr_<lr>/seed_<k>/version_0/
    metrics.csv`` with ``hparams.yaml`` beside it): D and G losses, D(x), D(G(z)) and the
    learning rate per step, behaving as :data:`SWEEP_KINDS` in turn (a short run has 15 steps).
    """
    rng = np.random.default_rng(seed)
    lrs = (1e-4, 2e-4, 5e-4, 1e-3)
    for i in range(runs):
        kind = SWEEP_KINDS[i % len(SWEEP_KINDS)]
        n = 15 if kind == "short" else steps
        t = np.arange(n)
        warm = 1 - np.exp(-t / max(n / 10, 1))
        d = 1.386 - 0.3 * warm + 0.08 * rng.standard_normal(n)
        g = 0.693 + 0.5 * warm + 0.12 * rng.standard_normal(n)
        dx = np.clip(0.5 + 0.1 * warm + 0.05 * rng.standard_normal(n), 0, 1)
        dgz = np.clip(0.5 - 0.1 * warm + 0.05 * rng.standard_normal(n), 0, 1)
        if kind == "oscillating":
            wave = np.sin(2 * np.pi * t / 150)
            d, g = d + 0.5 * wave, g - 0.8 * wave
        elif kind == "collapse":
            half = t >= n // 2
            d = np.where(half, 0.05 + 0.01 * rng.standard_normal(n), d)
            g = np.where(half, 6.0 + 0.3 * rng.standard_normal(n) + t / n, g)
            dx = np.where(half, 0.98, dx)
            dgz = np.where(half, 0.02, dgz)
        elif kind == "diverged":
            k = n * 4 // 5
            d[k:] = np.geomspace(1.0, 1e8, n - k)
            g[k:] = np.geomspace(1.0, 1e9, n - k)
            d[-20:] = np.nan
        lr = lrs[(i // len(SWEEP_KINDS)) % len(lrs)]
        run = root / f"lr_{lr:g}" / f"run_{i:04d}" / "version_0"
        run.mkdir(parents=True, exist_ok=True)
        lines = ["D(G(z)),D(x),d_loss,epoch,g_loss,lr,step"]
        lines += [f"{e:.6g},{c:.6g},{a:.6g},{s // 100},{b:.6g},{lr:g},{s}"
                  for s, a, b, c, e in zip(t, d, g, dx, dgz)]
        (run / "metrics.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (run / "hparams.yaml").write_text(f"lr: {lr:g}\nbatch_size: {(32, 64)[i % 2]}\n"
                                          f"seed: {i}\n", encoding="utf-8")
    return root
