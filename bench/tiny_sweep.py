"""Sweep of many tiny CSV runs: the per-run overhead of ``ganlogs analyze``.

Generates (once, kept in ``--workdir``) ``--runs`` CSV runs (default 20,000) of ``--rows``
rows (default 1,000) and three columns (``step,d_loss,g_loss``), 1,000 runs per
sub-directory; ``--templates`` distinct runs (converging, oscillating, diverging,
collapsing, vanishing) are repeated, each copy a real file. Then, in a fresh process each,
times ``ganlogs analyze SWEEP --format json`` with an empty cache (cold), and again with a
full one (warm), and prints wall seconds, CPU seconds (the command and its workers), peak
RSS (the largest process: the parent or one worker) and runs per second.

The issue's goal: 20,000 runs cold in under 60 s on 2 cores, under 1 GB RSS. Usage::

    nice python bench/tiny_sweep.py [--runs 20000] [--rows 1000] [--jobs N] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

KINDS = ("converging", "oscillating", "diverging", "collapsing", "vanishing")


def template(kind: str, rows: int, seed: int) -> bytes:
    """One run's CSV text: ``step,d_loss,g_loss``, steps every 10 iterations."""
    rng = np.random.default_rng(seed)
    x = np.arange(rows) / rows
    d = 1.386 - 0.25 * (1 - np.exp(-5 * x)) + 0.08 * rng.standard_normal(rows)
    g = 0.693 + 0.8 * (1 - np.exp(-5 * x)) + 0.10 * rng.standard_normal(rows)
    if kind == "oscillating":
        wave = np.sin(2 * np.pi * np.arange(rows) / rng.integers(40, 120))
        d, g = d + 0.5 * wave, g - 0.7 * wave
    elif kind == "diverging":
        onset = int(rows * 0.6)
        g[onset:] += np.linspace(0, 40, rows - onset) ** 1.5
    elif kind == "collapsing":
        onset = int(rows * 0.4)
        d[onset:] = 0.05 + 0.01 * rng.standard_normal(rows - onset)
        g[onset:] = 6.0 + 0.02 * rng.standard_normal(rows - onset)
    elif kind == "vanishing":
        d = d * np.exp(-8 * x)
    lines = ["step,d_loss,g_loss"] + [f"{10 * i},{a:.6g},{b:.6g}" for i, (a, b) in
                                      enumerate(zip(d.astype(np.float32), g.astype(np.float32)))]
    return ("\n".join(lines) + "\n").encode()


def generate(sweep: Path, runs: int, rows: int, templates: int) -> None:
    stamp = sweep / ".complete"
    if stamp.exists() and stamp.read_text() == f"{runs} {rows} {templates}":
        return
    shutil.rmtree(sweep, ignore_errors=True)
    texts = [template(KINDS[i % len(KINDS)], rows, i) for i in range(templates)]
    for i in range(runs):
        d = sweep / f"part{i // 1000:03d}"
        if i % 1000 == 0:
            d.mkdir(parents=True, exist_ok=True)
        (d / f"run{i:05d}.csv").write_bytes(texts[i % templates])
    stamp.write_text(f"{runs} {rows} {templates}")


#: runs a command and writes the peak RSS of its largest process (KB) to a file: a fresh
#: parent, because RUSAGE_CHILDREN's ru_maxrss is the largest of *every* child a process
#: ever waited for (an earlier, larger command would stand in for this one)
_PEAK_RSS = ("import resource, subprocess, sys\n"
             "code = subprocess.call(sys.argv[2:])\n"
             "with open(sys.argv[1], 'w') as fh:\n"
             "    fh.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
             "sys.exit(code)\n")


def cli(args: list[str]) -> dict[str, float]:
    """One ``ganlogs analyze`` in a fresh process: wall s, CPU s, peak RSS of the largest
    process (MB), and the number of runs in its JSON output."""
    with tempfile.TemporaryDirectory() as tmp:
        peak_file = Path(tmp) / "peak"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", _PEAK_RSS, str(peak_file), sys.executable,
                               "-m", "ganlogs", "analyze", *args, "--format", "json"],
                              capture_output=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_kb = int(peak_file.read_text()) if peak_file.exists() else 0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"ganlogs analyze failed ({proc.returncode}): "
                         f"{proc.stderr.decode()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    runs = len(json.loads(proc.stdout)["runs"])
    return {"wall": wall, "cpu": cpu, "rss_mb": peak_kb / 1024, "runs": runs}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=20_000)
    ap.add_argument("--rows", type=int, default=1_000)
    ap.add_argument("--templates", type=int, default=50)
    ap.add_argument("--jobs", type=int, default=None, help="default: every CPU")
    ap.add_argument("--quick", action="store_true", help="2,000 runs")
    ap.add_argument("--workdir", type=Path,
                    default=Path(tempfile.gettempdir()) / "ganlogs-bench-tiny-sweep")
    args = ap.parse_args(argv)
    if args.quick:
        args.runs = min(args.runs, 2_000)
    sweep = args.workdir / f"sweep_{args.runs}x{args.rows}"
    generate(sweep, args.runs, args.rows, args.templates)
    jobs = [] if args.jobs is None else ["--jobs", str(args.jobs)]
    cache = args.workdir / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    cold = cli([str(sweep), *jobs, "--cache-dir", str(cache)])
    warm = cli([str(sweep), *jobs, "--cache-dir", str(cache)])
    print(f"{args.runs:,} CSV runs x {args.rows:,} rows x 3 columns, {os.cpu_count()} CPUs")
    print(f"{'':<12}{'wall s':>9}{'CPU s':>9}{'peak RSS MB':>13}{'runs/s':>9}{'runs':>8}")
    for name, r in (("cold cache", cold), ("warm cache", warm)):
        print(f"{name:<12}{r['wall']:>9.1f}{r['cpu']:>9.1f}{r['rss_mb']:>13.0f}"
              f"{r['runs'] / r['wall']:>9.0f}{r['runs']:>8,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
