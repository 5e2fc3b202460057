"""How long ``ganlogs watch --fail-on diverged`` takes to exit 1 after the first NaN is written.

Usage::

    python bench/watch_latency.py                 # 5 trials, TensorBoard event file
    python bench/watch_latency.py --trials 3 --rate 500 --interval 1

Each trial: a writer process appends a TensorBoard event file in a fresh directory (torch's
``SummaryWriter`` when torch and tensorboard import, else ganlogs' test encoder), ``d_loss``
and ``g_loss`` every step at ``--rate`` steps per second, flushing after every step; at step
3,000 both losses become NaN and the writer records the time just after that flush. A
``ganlogs watch DIR --fail-on diverged`` process, started once the file exists, must exit 1;
the latency is its exit time minus the NaN's flush time (one clock: this machine's
``time.time()``). Also run: the same writer without a NaN, watched with ``--until-idle``:
the watcher must exit 0, never 1.

Printed: each trial's latency and exit code, the median, and the target (5 s).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 5.0
NAN_STEP = 3000

WRITER = r'''
import math, sys, time
from pathlib import Path
out, rate, stamp = Path(sys.argv[1]), float(sys.argv[2]), Path(sys.argv[5])
nan_step, total = int(sys.argv[3]), int(sys.argv[4])
try:
    from torch.utils.tensorboard import SummaryWriter
    w = SummaryWriter(str(out), flush_secs=3600)
    add = lambda tag, v, s: w.add_scalar(tag, v, s)
    flush = w.flush
    kind = "torch SummaryWriter"
except Exception:
    sys.path.insert(0, sys.argv[6])
    from ganlogs.readers.wire import (encode_file_version_event, encode_scalar_event,
                                      frame_record)
    fh = open(out / "events.out.tfevents.0.bench", "ab")
    fh.write(frame_record(encode_file_version_event(time.time())))
    add = lambda tag, v, s: fh.write(frame_record(encode_scalar_event(tag, v, s, time.time())))
    flush = fh.flush
    kind = "ganlogs test encoder"
print(kind, flush=True)
import random
rnd = random.Random(0)
t0 = time.time()
for step in range(total):
    if nan_step >= 0 and step >= nan_step:
        d = g = float("nan")
    else:
        d = 1.35 + 0.05 * rnd.gauss(0, 1) + 0.05 * math.sin(step / 50)
        g = 0.75 + 0.05 * rnd.gauss(0, 1)
    add("Loss/D", d, step)
    add("Loss/G", g, step)
    flush()
    if step == nan_step:
        stamp.write_text(repr(time.time()))
    delay = t0 + (step + 1) / rate - time.time()
    if delay > 0:
        time.sleep(delay)
'''


def _start_writer(run_dir: Path, rate: float, nan_step: int, total: int,
                  stamp: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(run_dir), str(rate),
                             str(nan_step), str(total), str(stamp), str(ROOT)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    kind = proc.stdout.readline().strip()
    proc.kind = kind  # type: ignore[attr-defined]
    deadline = time.time() + 60
    while not any("tfevents" in p.name and p.stat().st_size > 0 for p in run_dir.iterdir()):
        if time.time() > deadline:
            raise RuntimeError("the writer did not create an event file in 60 s")
        time.sleep(0.02)
    return proc


def _watch(run_dir: Path, args: list[str]) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, "-m", "ganlogs", "watch", str(run_dir), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)


def trial(tmp: Path, i: int, rate: float, interval: float) -> tuple[float, int, str, str]:
    run_dir = tmp / f"run{i}"
    run_dir.mkdir()
    stamp = tmp / f"nan{i}.time"
    writer = _start_writer(run_dir, rate, NAN_STEP, NAN_STEP + int(30 * rate), stamp)
    watch = _watch(run_dir, ["--fail-on", "diverged", "--interval", str(interval)])
    while watch.poll() is None:
        time.sleep(0.005)
    exited = time.time()
    out = watch.stdout.read()
    writer.kill()
    writer.wait()
    if not stamp.exists():
        return float("nan"), watch.returncode, writer.kind, out  # exited before the NaN
    return exited - float(stamp.read_text()), watch.returncode, writer.kind, out


def healthy(tmp: Path, rate: float, interval: float) -> tuple[int, str]:
    run_dir = tmp / "healthy"
    run_dir.mkdir()
    writer = _start_writer(run_dir, rate, -1, int(8 * rate), tmp / "unused")
    watch = _watch(run_dir, ["--fail-on", "diverged", "--interval", str(interval),
                             "--until-idle", "3"])
    out, _ = watch.communicate(timeout=120)
    writer.wait()
    return watch.returncode, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--rate", type=float, default=500.0, help="steps written per second")
    ap.add_argument("--interval", type=float, default=1.0, help="watch --interval")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ganlogs-watch-latency-"))
    try:
        lat = []
        for i in range(args.trials):
            s, code, kind, out = trial(tmp, i, args.rate, args.interval)
            print(f"trial {i + 1}: exit {code}, latency {s:.2f} s after the first NaN was "
                  f"flushed (writer: {kind}, {args.rate:g} steps/s, watch --interval "
                  f"{args.interval:g})")
            if code != 1:
                print(out)
            lat.append(s if code == 1 else float("inf"))
        med = statistics.median(lat)
        print(f"median latency over {args.trials} trials: {med:.2f} s (target < {TARGET_S:g} s): "
              f"{'met' if med < TARGET_S else 'NOT met'}; machine: {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.1f}")
        code, out = healthy(tmp, args.rate, args.interval)
        print(f"healthy run watched with --fail-on diverged --until-idle 3: exit {code} "
              f"({'never failed' if code == 0 else 'FAILED'})")
        if code != 0:
            print(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
