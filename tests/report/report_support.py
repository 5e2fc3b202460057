"""Shared fixtures for the report and check tests.

``fake_detectors`` replaces the registered detectors with a small deterministic one, so the
check and report tests do not depend on the real detectors' calibration; ``wide_csv`` makes
sure a reader claims wide ``step,d_loss,g_loss`` CSV files (the real CSV reader when it is
registered, else a minimal stand-in limited to these tests).
"""

from __future__ import annotations

import csv
import math
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from ganlogs.detectors.base import Detector, Finding, RunContext  # noqa: E402
from ganlogs.errors import CorruptLogError  # noqa: E402
from ganlogs.run import Run  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures"


class FakeDetector(Detector):
    """Deterministic labels from the D and G losses:

    fewer than 20 points -> insufficient_data; a non-finite or |value| > 1000 point ->
    diverged 0.95 from that step; a G-loss tag containing "collapse" -> mode_collapse 0.6;
    otherwise converged 0.8.
    """

    name = "fake"
    labels = ("insufficient_data", "diverged", "mode_collapse", "converged")

    def detect(self, ctx: RunContext) -> list[Finding]:
        d, g = ctx.series("d_loss"), ctx.series("g_loss")
        if d is None or g is None:
            return []

        def make(label: str, conf: float, onset: int | None, summary: str) -> Finding:
            return Finding(label=label, confidence=conf, onset_step=onset,
                           evidence={"points": int(len(d))}, summary=summary,
                           detector=self.name, detector_version=self.version)

        if min(len(d), len(g)) < 20:
            return [make("insufficient_data", 1.0, None, f"only {min(len(d), len(g))} points")]
        for s in (d, g):
            v = s.to_numpy()
            bad = ~np.isfinite(v) | (np.abs(np.nan_to_num(v)) > 1000)
            if bad.any():
                step = int(s.index[np.argmax(bad)])
                return [make("diverged", 0.95, step, f"{s.name} blows up at step {step}")]
        if "collapse" in str(g.name):
            return [make("mode_collapse", 0.6, int(g.index[len(g) // 2]), "G loss climbs")]
        return [make("converged", 0.8, int(d.index[len(d) // 2]), "losses settle")]


@pytest.fixture
def fake_detectors(monkeypatch):
    import ganlogs.analysis

    monkeypatch.setattr(ganlogs.analysis, "default_detectors", lambda: [FakeDetector()])
    return FakeDetector


class _WideCsvStandIn:
    """Minimal wide-CSV reader used only when no registered reader claims such a file."""

    formats = ("csv_wide",)
    kind = "file"

    def guess_can_open(self, path: Path) -> bool:
        return path.suffix == ".csv" and path.read_text(errors="replace").startswith("step,")

    def read(self, path, *, run_id: str):
        try:
            rows = list(csv.reader(open(path, newline="", encoding="utf-8")))
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise CorruptLogError(path, str(exc)) from None
        header, body = rows[0], rows[1:]
        recs = [(tag, int(r[0]), float(v)) for r in body for tag, v in zip(header[1:], r[1:])]
        frame = pd.DataFrame(recs, columns=["tag", "step", "value"])
        return [Run.from_frame(frame, run_id=run_id, path=path, format="csv_wide")]


@pytest.fixture
def wide_csv(monkeypatch, tmp_path):
    """Ensure wide CSVs are read; returns a function writing one: (path, columns) -> path."""
    from ganlogs import readers

    probe = tmp_path / "_probe" / "probe.csv"
    probe.parent.mkdir()
    probe.write_text("step,d_loss,g_loss\n0,1.0,0.5\n")
    if readers.reader_for(probe) is None:
        monkeypatch.setattr(readers, "FILE_READERS", readers.FILE_READERS + [_WideCsvStandIn()])
    shutil.rmtree(probe.parent)

    def write(path: Path, columns: dict[str, list[float] | np.ndarray], *, step: int = 10) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        n = len(next(iter(columns.values())))
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(["step", *columns])
            for i in range(n):
                w.writerow([i * step, *(repr(float(c[i])) for c in columns.values())])
        return path

    return write


def healthy_losses(n: int = 200, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return {"d_loss": 1.386 - 0.4 * (1 - np.exp(-t / 50)) + 0.05 * rng.standard_normal(n),
            "g_loss": 0.693 + 0.6 * (1 - np.exp(-t / 50)) + 0.05 * rng.standard_normal(n)}


def diverging_losses(n: int = 200) -> dict[str, np.ndarray]:
    cols = healthy_losses(n, seed=1)
    cols["d_loss"][n - 20:] = np.geomspace(10, 1e6, 20)
    cols["d_loss"][-3:] = math.nan
    return cols


@pytest.fixture
def sweep(tmp_path, wide_csv):
    """tmp sweep: ok/a.csv (converged), bad/b.csv (diverged), short/c.csv (12 points)."""
    root = tmp_path / "sweep"
    wide_csv(root / "ok" / "a.csv", healthy_losses())
    wide_csv(root / "bad" / "b.csv", diverging_losses())
    wide_csv(root / "short" / "c.csv", {k: v[:12] for k, v in healthy_losses().items()})
    return root


def run_cli(args, **kw):
    """Invoke the CLI in this process (``-j 1``: runs are analysed here, so the patched
    detectors and readers of these tests apply)."""
    from click.testing import CliRunner

    from ganlogs.cli import cli

    if args and args[0] in ("analyze", "check", "report"):
        args = [*args, "-j", "1"]
    return CliRunner().invoke(cli, args, catch_exceptions=False, **kw)


def broken_tfevents(directory: Path) -> Path:
    """A run directory whose event file is garbage (bad CRC): unreadable."""
    directory.mkdir(parents=True, exist_ok=True)
    p = directory / "events.out.tfevents.1700000000.host.1.0"
    p.write_bytes(b"\x00\x01 this is not a TFRecord file at all \xff\xfe")
    return p


@pytest.fixture(autouse=True)
def _private_cache(monkeypatch, tmp_path):
    """CLI runs in these tests keep their cache of parsed runs in the test's tmp dir."""
    monkeypatch.setenv("GANLOGS_CACHE_DIR", str(tmp_path / "_cache"))
