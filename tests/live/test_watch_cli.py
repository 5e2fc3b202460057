"""``ganlogs watch`` end to end, in subprocesses: exit 1 soon after a NaN is written, never on
a healthy run, 130 on Ctrl-C with nothing left behind, ``--once``, runs that appear.

The limits are generous (the bench, ``bench/watch_latency.py``, measures the real latency):
a test checks behaviour, not speed.
"""

from __future__ import annotations

import math
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from ganlogs.readers.wire import encode_file_version_event, encode_scalar_event, frame_record

ROOT = Path(__file__).resolve().parents[2]
LIMIT_S = 50.0  # 10x the 5 s target


def _env(tmp: Path | None = None) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    if tmp is not None:
        env["TMPDIR"] = str(tmp)
    return env


def _watch(*args: str, tmp: Path | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ganlogs", "watch", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=_env(tmp))


class Writer(threading.Thread):
    """Appends d/g losses to an event file, ``rate`` steps per second; NaN from ``nan_step``."""

    def __init__(self, path: Path, *, steps: int, rate: float, nan_step: int | None) -> None:
        super().__init__(daemon=True)
        self.path, self.steps, self.rate, self.nan_step = path, steps, rate, nan_step
        self.nan_written: float | None = None
        self.stop = threading.Event()
        with open(path, "wb") as fh:
            fh.write(frame_record(encode_file_version_event(time.time())))

    def run(self) -> None:
        rnd = random.Random(0)
        t0 = time.time()
        with open(self.path, "ab") as fh:
            for step in range(self.steps):
                if self.stop.is_set():
                    return
                nan = self.nan_step is not None and step >= self.nan_step
                d = math.nan if nan else 1.386 + 0.03 * rnd.gauss(0, 1)
                g = math.nan if nan else 0.693 + 0.03 * rnd.gauss(0, 1)
                fh.write(frame_record(encode_scalar_event("Loss/D", d, step, time.time())))
                fh.write(frame_record(encode_scalar_event("Loss/G", g, step, time.time())))
                fh.flush()
                if step == self.nan_step:
                    self.nan_written = time.time()
                delay = t0 + (step + 1) / self.rate - time.time()
                if delay > 0:
                    time.sleep(delay)


def test_watch_exits_1_soon_after_the_first_nan(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    writer = Writer(run / "events.out.tfevents.1.host", steps=6000, rate=1000, nan_step=3000)
    writer.start()
    proc = _watch(str(run), "--fail-on", "diverged", "--interval", "0.5")
    try:
        out, _ = proc.communicate(timeout=LIMIT_S + 30)
        exited = time.time()
    finally:
        writer.stop.set()
        proc.kill()
    assert proc.returncode == 1, out
    assert writer.nan_written is not None
    assert exited - writer.nan_written < LIMIT_S
    assert "diverged found" in out and "from step 3000" in out
    assert "FAIL run: diverged" in out


def test_watch_never_fails_a_healthy_run(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    writer = Writer(run / "events.out.tfevents.1.host", steps=4000, rate=2000, nan_step=None)
    writer.start()
    proc = _watch(str(run), "--fail-on", "diverged,mode_collapse,vanishing_gradients",
                  "--interval", "0.3", "--until-idle", "2")
    out, _ = proc.communicate(timeout=120)
    writer.join()
    assert proc.returncode == 0, out
    assert "FAIL" not in out


def _watching(tmp_path: Path, scratch: Path | None = None) -> subprocess.Popen:
    """A watcher on a small run, returned once it has printed its first line (so that it
    is really watching: its signal handlers are installed)."""
    run = tmp_path / "run"
    run.mkdir()
    Writer(run / "events.out.tfevents.1.host", steps=0, rate=1, nan_step=None)
    with open(run / "events.out.tfevents.1.host", "ab") as fh:
        for step in range(100):
            fh.write(frame_record(encode_scalar_event("Loss/D", 1.3, step, 1.0)))
    proc = _watch(str(run), "--interval", "0.2", tmp=scratch)
    deadline = time.time() + 60
    line = ""
    while time.time() < deadline and "too early" not in line and "judging" not in line:
        line = proc.stdout.readline()
    return proc


def test_ctrl_c_exits_130_and_leaves_nothing_behind(tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    proc = _watching(tmp_path, scratch)
    time.sleep(1.0)  # a few looks
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 130, out
    assert "interrupted" in out and "Traceback" not in out
    # exactly what the test made: the watcher wrote nothing, in the run or in TMPDIR
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == [
        Path("run"), Path("run/events.out.tfevents.1.host"), Path("tmp")]


def test_sigterm_exits_143(tmp_path):
    proc = _watching(tmp_path)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 143, out


def test_once_on_a_sweep(tmp_path):
    labelled = ROOT / "fixtures" / "labelled"
    proc = _watch(str(labelled / "dirac_bce_ns_alt_000"), "--once")
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    assert "oscillating found" in out
    proc = _watch(str(labelled / "dirac_wgan_sim_looseclip_003"), "--once", "--fail-on",
                  "diverged")
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 1, out


def test_runs_that_appear_are_picked_up(tmp_path):
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / "a").mkdir()
    Writer(sweep / "a" / "events.out.tfevents.1.host", steps=0, rate=1, nan_step=None)
    proc = _watch(str(sweep), "--fail-on", "diverged", "--interval", "0.3")
    try:
        time.sleep(2)
        (sweep / "b").mkdir()
        writer = Writer(sweep / "b" / "events.out.tfevents.1.host", steps=200, rate=2000,
                        nan_step=100)
        writer.start()
        out, _ = proc.communicate(timeout=LIMIT_S + 30)
    finally:
        proc.kill()
    assert proc.returncode == 1, out
    assert "FAIL b: diverged" in out


def test_usage_errors_exit_2(tmp_path):
    proc = _watch(str(tmp_path), "--fail-on", "exploded")
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2, out
    assert "unknown label" in out
