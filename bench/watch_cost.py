"""CPU cost of ``ganlogs watch`` on a 1 GB log that grows by 1 MB/s (event file, CSV, text).

Usage::

    python bench/watch_cost.py                         # 1 GB event file, 60 s window
    python bench/watch_cost.py --size-mb 200 --seconds 20   # scaled down (say so when quoting)
    python bench/watch_cost.py --scalars-only          # no images: every byte is a scalar
    python bench/watch_cost.py --format csv            # a wide metrics CSV
    python bench/watch_cost.py --format text           # a CycleGAN loss_log.txt

``--format csv``: ``step,d_loss,g_loss,d_x,d_gz`` rows (about 50 bytes and 4 points per
step). ``--format text``: pix2pix/CycleGAN ``loss_log.txt`` lines (``(epoch: E, iters: I,
time: T, data: D) D_A: ... idt_B: ...``, 8 losses, about 150 bytes per line; a print every
100 samples, 10,000 samples per epoch). Both are all scalars: 1 MB/s is some 20,000 (CSV) or
50,000 (text) points per second, far more than a training job logs.

The event file is what a GAN job writes: per step ``Loss/D``, ``Loss/G``, ``D(x)``, ``D(G(z))``
(``simple_value`` scalars, as torch's ``SummaryWriter.add_scalar`` writes them) and, every
``--image-every`` steps, a ``Summary.Value.image`` of ``--image-kb`` KB (a sample grid, the
bytes that make real event files large). ``--scalars-only`` drops the images: then 1 MB/s is
about 21,000 scalar points per second, far more than a training job logs.

1. The file is written to ``--size-mb`` in a temporary directory (deleted at the end).
2. ``ganlogs watch DIR --interval 1`` starts and reads the backlog (its first judgement is
   printed; the time it took is printed too, but is not part of the measured window).
3. A writer process appends ``--rate-mb`` MB per second (one write + flush every 0.1 s),
   continuing the same steps; during ``--seconds`` the watcher's CPU time (user + system,
   from ``/proc/<pid>/stat``) is measured and divided by the wall time.

Printed: what was written, the backlog time, bytes the watcher read, the CPU share of one
core over the window (target < 10%), and how many judgements happened in it.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ganlogs.readers.wire import encode_key, encode_len, encode_varint  # noqa: E402
from ganlogs.readers.wire import encode_file_version_event, frame_record  # noqa: E402

TARGET = 10.0  # % of one core
TAGS = ("Loss/D", "Loss/G", "D(x)", "D(G(z))")


def scalar_record(tag: str, value: float, step: int, wall: float) -> bytes:
    value_msg = encode_len(1, tag.encode()) + encode_key(2, 5) + struct.pack("<f", value)
    event = (encode_key(1, 1) + struct.pack("<d", wall) + encode_key(2, 0) + encode_varint(step)
             + encode_len(5, encode_len(1, value_msg)))
    return frame_record(event)


def image_record(step: int, wall: float, payload: bytes) -> bytes:
    image = (encode_key(1, 0) + encode_varint(64) + encode_key(2, 0) + encode_varint(64)
             + encode_key(3, 0) + encode_varint(3) + encode_len(4, payload))
    value_msg = encode_len(1, b"samples") + encode_len(4, image)
    event = (encode_key(1, 1) + struct.pack("<d", wall) + encode_key(2, 0) + encode_varint(step)
             + encode_len(5, encode_len(1, value_msg)))
    return frame_record(event)


class Steps:
    """Makes the records of consecutive training steps (same mix before and during growth)."""

    def __init__(self, image_every: int, image_kb: int, seed: int = 0) -> None:
        self.rnd = random.Random(seed)
        self.step = 0
        self.image_every = image_every
        self.payload = os.urandom(image_kb * 1024) if image_every else b""

    def block(self, nbytes: int) -> bytes:
        out = []
        size = 0
        wall = time.time()
        while size < nbytes:
            s = self.step
            g = self.rnd.gauss
            for tag, v in zip(TAGS, (1.35 + 0.05 * g(0, 1), 0.75 + 0.05 * g(0, 1),
                                     0.55 + 0.02 * g(0, 1), 0.45 + 0.02 * g(0, 1))):
                rec = scalar_record(tag, v, s, wall)
                out.append(rec)
                size += len(rec)
            if self.image_every and s % self.image_every == 0:
                rec = image_record(s, wall, self.payload)
                out.append(rec)
                size += len(rec)
            self.step += 1
        return b"".join(out)


class CsvSteps:
    """Rows of a wide metrics CSV (``--format csv``)."""

    header = b"step,d_loss,g_loss,d_x,d_gz\n"
    file_name = "metrics.csv"

    def __init__(self, seed: int = 0) -> None:
        self.rnd = random.Random(seed)
        self.step = 0

    def line(self) -> bytes:
        g = self.rnd.gauss
        return (f"{self.step},{1.35 + 0.05 * g(0, 1):.6f},{0.75 + 0.05 * g(0, 1):.6f},"
                f"{0.55 + 0.02 * g(0, 1):.6f},{0.45 + 0.02 * g(0, 1):.6f}\n").encode()

    def block(self, nbytes: int) -> bytes:
        """Whole lines (one per step) adding up to at least ``nbytes``."""
        out = []
        size = 0
        while size < nbytes:
            row = self.line()
            out.append(row)
            size += len(row)
            self.step += 1
        return b"".join(out)


class TextSteps(CsvSteps):
    """Lines of a CycleGAN ``loss_log.txt`` (``--format text``)."""

    header = b"================ Training Loss (Sat Dec  5 12:00:00 2026) ================\n"
    file_name = "loss_log.txt"
    names = ("D_A", "G_A", "cycle_A", "idt_A", "D_B", "G_B", "cycle_B", "idt_B")

    def line(self) -> bytes:
        g = self.rnd.gauss
        epoch, iters = 1 + self.step // 100, 100 * (self.step % 100 + 1)
        losses = " ".join(f"{n}: {abs(0.5 + 0.1 * g(0, 1)):.3f}" for n in self.names)
        return (f"(epoch: {epoch}, iters: {iters}, time: 0.{self.step % 1000:03d}, "
                f"data: 0.004) {losses} \n").encode()


def make_steps(fmt: str, image_every: int, image_kb: int, seed: int = 0):
    if fmt == "csv":
        return CsvSteps(seed)
    if fmt == "text":
        return TextSteps(seed)
    return Steps(image_every, image_kb, seed)


WRITER = r'''
import sys, time
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[1] + "/bench")
from watch_cost import make_steps
path, rate = sys.argv[2], float(sys.argv[3])
first_step, image_every, image_kb = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
steps = make_steps(sys.argv[7], image_every, image_kb, seed=1)
steps.step = first_step
tick = 0.1
with open(path, "ab") as fh:
    t0 = time.time()
    k = 0
    while True:
        fh.write(steps.block(int(rate * 1e6 * tick)))
        fh.flush()
        k += 1
        delay = t0 + k * tick - time.time()
        if delay > 0:
            time.sleep(delay)
'''


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size-mb", type=float, default=1024.0)
    ap.add_argument("--rate-mb", type=float, default=1.0, help="growth, MB per second")
    ap.add_argument("--seconds", type=float, default=60.0, help="measured window")
    ap.add_argument("--image-every", type=int, default=100)
    ap.add_argument("--image-kb", type=int, default=100)
    ap.add_argument("--scalars-only", action="store_true")
    ap.add_argument("--format", choices=("tensorboard", "csv", "text"), default="tensorboard")
    args = ap.parse_args()
    image_every = 0 if args.scalars_only else args.image_every
    tmp = Path(tempfile.mkdtemp(prefix="ganlogs-watch-cost-"))
    watch = writer = None
    try:
        run = tmp / "run"
        run.mkdir()
        steps = make_steps(args.format, image_every, args.image_kb)
        if args.format == "tensorboard":
            event = run / "events.out.tfevents.1.bench"
            start = frame_record(encode_file_version_event(time.time()))
        else:
            event = run / steps.file_name
            start = steps.header
        t0 = time.time()
        with open(event, "wb") as fh:
            fh.write(start)
            target = int(args.size_mb * 1e6)
            written = 0
            while written < target:
                block = steps.block(min(8 << 20, target - written))
                fh.write(block)
                written += len(block)
        if args.format == "csv":
            mix, points = "a wide CSV: step + 4 values per row", 4 * steps.step
        elif args.format == "text":
            mix, points = "a CycleGAN loss_log.txt: 8 losses per line", 8 * steps.step
        else:
            mix = ("scalars only" if not image_every else
                   f"4 scalars per step + a {args.image_kb} KB image every {image_every} steps")
            points = 4 * steps.step
        print(f"{args.format} file: {written / 1e6:.0f} MB, {steps.step:,} steps ({mix}), "
              f"{points:,} scalar points; written in {time.time() - t0:.0f} s")

        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        t0 = time.time()
        watch = subprocess.Popen([sys.executable, "-m", "ganlogs", "watch", str(run),
                                  "--interval", "1"], stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, env=env)
        first = watch.stdout.readline().strip()
        backlog = time.time() - t0
        print(f"backlog read and judged in {backlog:.1f} s wall, "
              f"{cpu_seconds(watch.pid):.1f} s CPU: {first[:100]}")

        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(ROOT), str(event),
                                   str(args.rate_mb), str(steps.step), str(image_every),
                                   str(args.image_kb), args.format])
        time.sleep(2.0)  # the writer is running at its rate
        size0, cpu0, wall0 = event.stat().st_size, cpu_seconds(watch.pid), time.time()
        time.sleep(args.seconds)
        size1, cpu1, wall1 = event.stat().st_size, cpu_seconds(watch.pid), time.time()
        share = 100.0 * (cpu1 - cpu0) / (wall1 - wall0)
        print(f"window: {wall1 - wall0:.1f} s, file grew {(size1 - size0) / 1e6:.1f} MB "
              f"({(size1 - size0) / 1e6 / (wall1 - wall0):.2f} MB/s), watcher CPU "
              f"{cpu1 - cpu0:.2f} s = {share:.1f}% of one core (target < {TARGET:g}%): "
              f"{'met' if share < TARGET else 'NOT met'}")
        print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
        if args.size_mb < 1024 or args.seconds < 60:
            print(f"(scaled: {args.size_mb:g} MB file, {args.seconds:g} s window instead of "
                  "1 GB and 60 s)")
    finally:
        for proc in (writer, watch):
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
