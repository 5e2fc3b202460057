"""Issue 14's table in one run: every reader's speed goal, measured side by side.

Each row is measured in this one run, ganlogs and its baseline alternating (median of
``--repeat`` runs, default 5), so that both sides see the same load on a shared machine; the
ratio is what to read, not the seconds. Wall and CPU seconds are printed side by side (CPU
seconds of this process, pyarrow's and numpy's threads included).

Rows
    1. TensorBoard event file of 1,000,000 scalar events (torch ``SummaryWriter`` layout,
       ``bench/read_speed.py``) into the tidy frame, against ``pandas.read_csv`` of the same
       points as a long CSV (``tag,step,value,wall_time``). Goal: >= 1.0x (wall).
    2. Wide CSV, 250,000 rows x 4 metrics (``step,loss_D,loss_G,D_x,D_G_z``) into the long
       tidy frame, against ``pandas.read_csv`` of the file (wide, no reshaping).
       Goal: >= 0.7x.
    3. Text logs (PyTorch-GAN / CycleGAN console lines, 300,000 lines) against
       ``pandas.read_csv`` of the same numbers as a CSV. Goal: >= 0.5x.
    4. ``.wandb`` transaction log, 250,000 history rows x 4 metrics
       (``bench/read_speed_formats.py``): points per second. Goal: >= 3 M points/s.
    5. Peak memory of reading a large wide CSV (1 GB; ``--quick``: 100 MB), in a fresh
       process: peak RSS minus the RSS after imports and one small read (lazy imports,
       thread pools), against the memory of the resulting
       DataFrame (``memory_usage(deep=True)``). Goal: <= 2x.
    6. ``ganlogs analyze`` of 20,000 tiny CSV runs (1,000 rows x 3 columns), cold cache, in a
       fresh process (``bench/tiny_sweep.py``; ``--quick``: 2,000 runs, the figure scaled to
       20,000): wall seconds, CPU seconds, peak RSS of the largest process. Goals: < 60 s on
       2 cores, < 1 GB. Measured once (a sweep is long), not five times.
    7. Row 3's goal for a CycleGAN/pix2pix ``loss_log.txt`` of 300,000 lines (a ``Training
       Loss`` header, then ``(epoch: E, iters: I, time: T, data: D) D_A: v ... idt_B: v``,
       8 losses, as ``util/visualizer.py`` prints them) against ``pandas.read_csv`` of the
       same numbers as a CSV (the 12 numbers of each line: epoch, iters, time, data and the
       8 losses). Goal: >= 0.5x.

Usage::

    nice python bench/read_speed_table.py [--quick] [--repeat 5] [--only 1,2,4,7]
                                          [--workdir DIR]
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))



# ------------------------------------------------------------------------------- timing
def side_by_side(fns: dict[str, callable], repeat: int) -> dict[str, dict[str, float]]:
    """Median wall and CPU seconds of each function, the functions alternating."""
    walls: dict[str, list[float]] = {k: [] for k in fns}
    cpus: dict[str, list[float]] = {k: [] for k in fns}
    for fn in fns.values():  # one untimed call each: imports, page cache
        fn()
    for _ in range(repeat):
        for name, fn in fns.items():
            gc.collect()
            c0, w0 = time.process_time(), time.perf_counter()
            fn()
            walls[name].append(time.perf_counter() - w0)
            cpus[name].append(time.process_time() - c0)
    return {k: {"wall": float(np.median(walls[k])), "cpu": float(np.median(cpus[k]))}
            for k in fns}


def ratio_row(label: str, res: dict[str, dict[str, float]], base: str, goal: float,
              extra: str = "") -> tuple[str, str, str, bool]:
    g, b = res["ganlogs"], res[base]
    r_wall, r_cpu = b["wall"] / g["wall"], b["cpu"] / g["cpu"]
    figure = (f"{r_wall:.2f}x wall ({g['wall']:.3f} s vs {b['wall']:.3f} s), "
              f"{r_cpu:.2f}x CPU ({g['cpu']:.3f} vs {b['cpu']:.3f} CPU-s){extra}")
    return label, figure, f">= {goal:g}x", r_wall >= goal


# ------------------------------------------------------------------------------- rows
def row_tensorboard(workdir: Path, repeat: int, events: int):
    import pandas as pd

    import ganlogs
    import read_speed

    run_dir = workdir / f"tb_{events}"
    csv_path = workdir / f"tb_{events}.csv"
    stamp = run_dir / ".complete"
    if not stamp.exists():
        print(f"  generating {events:,} TensorBoard events ...", flush=True)
        stamp_text = read_speed.generate(run_dir, events)
        stamp.write_text(stamp_text)
    if not csv_path.exists():
        read_speed.write_csv(run_dir, csv_path)
    res = side_by_side({"ganlogs": lambda: ganlogs.read(run_dir).scalars,
                        "read_csv": lambda: pd.read_csv(csv_path)}, repeat)
    return ratio_row(f"TensorBoard {events:,} events vs pandas.read_csv of the same long CSV",
                     res, "read_csv", 1.0)


def row_wide_csv(workdir: Path, repeat: int, rows: int):
    import pandas as pd

    import ganlogs
    import read_speed_formats

    path = workdir / f"wide_{rows}.csv"
    if not path.exists():
        read_speed_formats.generate_csv(path, rows)
    res = side_by_side({"ganlogs": lambda: ganlogs.read(path).scalars,
                        "read_csv": lambda: pd.read_csv(path)}, repeat)
    return ratio_row(f"wide CSV {rows:,} rows x 4 metrics into the long frame vs "
                     "pandas.read_csv of the file", res, "read_csv", 0.7)


def write_text_logs(workdir: Path, lines: int) -> tuple[Path, Path]:
    """A PyTorch-GAN style console log (``[Epoch e/E] [Batch b/B] [D loss: x] [G loss: y]``)
    of ``lines`` lines, and the same numbers as a CSV."""
    log = workdir / f"text_{lines}" / "train.log"
    csv_path = workdir / f"text_{lines}.csv"
    if log.exists() and csv_path.exists():
        return log, csv_path
    log.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(3)
    d = 0.5 + 0.1 * rng.standard_normal(lines)
    g = 1.5 + 0.3 * rng.standard_normal(lines)
    batches = 938
    with open(log, "w") as fh, open(csv_path, "w") as out:
        out.write("epoch,batch,d_loss,g_loss\n")
        for i in range(lines):
            e, b = divmod(i, batches)
            fh.write(f"[Epoch {e}/200] [Batch {b}/{batches}] [D loss: {d[i]:f}] "
                     f"[G loss: {g[i]:f}]\n")
            out.write(f"{e},{b},{d[i]:f},{g[i]:f}\n")
    return log, csv_path


def row_text(workdir: Path, repeat: int, lines: int):
    import pandas as pd

    import ganlogs

    log, csv_path = write_text_logs(workdir, lines)
    res = side_by_side({"ganlogs": lambda: ganlogs.read(log).scalars,
                        "read_csv": lambda: pd.read_csv(csv_path)}, repeat)
    return ratio_row(f"text log (PyTorch-GAN lines), {lines:,} lines vs pandas.read_csv of "
                     "the same numbers", res, "read_csv", 0.5)


#: the losses pytorch-CycleGAN-and-pix2pix prints for a CycleGAN model, in its order
CYCLEGAN_LOSSES = ("D_A", "G_A", "cycle_A", "idt_A", "D_B", "G_B", "cycle_B", "idt_B")


def write_cyclegan_logs(workdir: Path, lines: int) -> tuple[Path, Path]:
    """A CycleGAN ``loss_log.txt`` of ``lines`` loss lines (a print every 100 samples of a
    1,334-sample epoch, so ``iters`` drifts from epoch to epoch as the code base's does;
    ``%.3f`` numbers and the trailing space), and the same numbers as a CSV."""
    log = workdir / f"cyclegan_{lines}" / "loss_log.txt"
    csv_path = workdir / f"cyclegan_{lines}.csv"
    if log.exists() and csv_path.exists():
        return log, csv_path
    log.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(5)
    losses = rng.gamma(2.0, 0.4, (lines, len(CYCLEGAN_LOSSES)))
    timing = rng.uniform(0.05, 0.4, (lines, 2))
    dataset, print_freq = 1334, 100
    with open(log, "w") as fh, open(csv_path, "w") as out:
        fh.write("================ Training Loss (Sat Dec  5 10:00:00 2026) ================\n")
        out.write("epoch,iters,time,data," + ",".join(CYCLEGAN_LOSSES) + "\n")
        for k in range(lines):
            total = (k + 1) * print_freq
            e, i = divmod(total - 1, dataset)
            e, i = e + 1, i + 1  # the epoch from 1, the samples into it
            vals = [f"{v:.3f}" for v in losses[k]]
            t, d = f"{timing[k, 0]:.3f}", f"{timing[k, 1]:.3f}"
            fh.write(f"(epoch: {e}, iters: {i}, time: {t}, data: {d}) "
                     + "".join(f"{n}: {v} " for n, v in zip(CYCLEGAN_LOSSES, vals)) + "\n")
            out.write(f"{e},{i},{t},{d}," + ",".join(vals) + "\n")
    return log, csv_path


def row_cyclegan(workdir: Path, repeat: int, lines: int):
    import pandas as pd

    import ganlogs

    from ganlogs.readers.text import TextLogReader

    log, csv_path = write_cyclegan_logs(workdir, lines)
    res = side_by_side({"ganlogs": lambda: ganlogs.read(log).scalars,
                        "read_csv": lambda: pd.read_csv(csv_path)}, repeat)
    # the per-line path (the reference the fast path is tested equal to), timed once
    c0, w0 = time.process_time(), time.perf_counter()
    TextLogReader(fast=False).read(log, run_id=".")
    per_line = (f"; the per-line path once: {time.perf_counter() - w0:.2f} s wall, "
                f"{time.process_time() - c0:.2f} CPU-s")
    return ratio_row(f"text log (CycleGAN loss_log.txt, 8 losses), {lines:,} lines vs "
                     "pandas.read_csv of the same numbers", res, "read_csv", 0.5, per_line)


def row_wandb(workdir: Path, repeat: int, rows: int):
    import ganlogs
    import read_speed_formats

    run_dir = workdir / f"wandb_{rows}" / "offline-run-20260101_000000-bench01"
    if not (run_dir / "run-bench01.wandb").exists():
        print(f"  generating a .wandb log of {rows:,} rows ...", flush=True)
        read_speed_formats.generate_wandb(run_dir, rows)
    n = len(ganlogs.read(run_dir).scalars)
    res = side_by_side({"ganlogs": lambda: ganlogs.read(run_dir).scalars}, repeat)["ganlogs"]
    rate = n / res["wall"] / 1e6
    figure = (f"{rate:.2f} M points/s wall ({res['wall']:.3f} s for {n:,} points), "
              f"{n / res['cpu'] / 1e6:.2f} M points/s CPU")
    return f".wandb {rows:,} rows x 4 metrics", figure, ">= 3 M points/s", rate >= 3.0


_MEMORY_PROBE = r"""
import os, resource, sys, tempfile
import ganlogs
def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
with tempfile.TemporaryDirectory() as tmp:  # one small read first: lazy imports, thread pools
    small = os.path.join(tmp, "small.csv")
    with open(small, "w") as fh:
        fh.write("step,a\n" + "".join(f"{i},{i / 3}\n" for i in range(1000)))
    ganlogs.read(small)
base = rss()
s = ganlogs.read(sys.argv[1]).scalars
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(peak - base, int(s.memory_usage(deep=True).sum()), len(s))
"""


def row_memory(workdir: Path, size_mb: int):
    import read_speed_formats

    rows = int(size_mb * 1e6 / 82)  # the generated wide rows are about 82 bytes
    path = workdir / f"wide_{rows}.csv"
    if not path.exists():
        print(f"  generating a {size_mb} MB wide CSV ...", flush=True)
        read_speed_formats.generate_csv(path, rows)
    out = subprocess.run([sys.executable, "-c", _MEMORY_PROBE, str(path)], check=True,
                         capture_output=True, text=True).stdout.split()
    grew, frame, points = (int(x) for x in out)
    r = grew / frame
    figure = (f"{r:.2f}x: peak RSS grew {grew / 1e9:.2f} GB for a {frame / 1e9:.2f} GB "
              f"DataFrame ({points:,} points; file {path.stat().st_size / 1e9:.2f} GB)")
    return f"peak memory, {size_mb:,} MB wide CSV", figure, "<= 2x the DataFrame", r <= 2.0


def row_tiny_sweep(workdir: Path, runs: int, scale_to: int):
    import shutil

    import tiny_sweep

    sweep = workdir / f"tiny_{runs}"
    tiny_sweep.generate(sweep, runs, 1000, 50)
    cache = workdir / "tiny_cache"
    shutil.rmtree(cache, ignore_errors=True)
    r = tiny_sweep.cli([str(sweep), "--cache-dir", str(cache)])
    shutil.rmtree(cache, ignore_errors=True)
    k = scale_to / runs
    scaled = "" if k == 1 else f" (measured on {runs:,} runs: {r['wall']:.1f} s, scaled)"
    figure = (f"{r['wall'] * k:.1f} s wall, {r['cpu'] * k:.1f} CPU-s, peak RSS "
              f"{r['rss_mb']:.0f} MB{scaled}; {r['runs']:,} runs in the JSON")
    met = r["wall"] * k < 60 and r["rss_mb"] < 1000 and k == 1
    return (f"{scale_to:,} tiny CSV runs (1,000 rows x 3 columns), cold", figure,
            "< 60 s on 2 cores, < 1 GB", met)


# ------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="smaller sizes (memory 100 MB, sweep 2,000 runs scaled)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", default="1,2,3,4,5,6,7", help="rows to run, e.g. 1,2,4")
    ap.add_argument("--workdir", type=Path,
                    default=Path(tempfile.gettempdir()) / "ganlogs-bench-read-speed")
    args = ap.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    only = {int(x) for x in args.only.split(",") if x.strip()}
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start; "
          f"median of {args.repeat}, ganlogs and the baseline alternating"
          + (" (--quick)" if args.quick else ""), flush=True)
    rows = []
    todo = [
        (1, lambda: row_tensorboard(args.workdir, args.repeat, 1_000_000)),
        (2, lambda: row_wide_csv(args.workdir, args.repeat, 250_000)),
        (3, lambda: row_text(args.workdir, args.repeat, 300_000)),
        (4, lambda: row_wandb(args.workdir, args.repeat, 250_000)),
        (5, lambda: row_memory(args.workdir, 100 if args.quick else 1000)),
        (6, lambda: row_tiny_sweep(args.workdir, 2_000 if args.quick else 20_000, 20_000)),
        (7, lambda: row_cyclegan(args.workdir, args.repeat, 300_000)),
    ]
    for number, fn in todo:
        if number not in only:
            continue
        print(f"row {number} ...", flush=True)
        try:
            row = fn()
        except Exception as exc:  # a row that cannot run is reported, the others still run
            row = (f"row {number}", f"not measured: {type(exc).__name__}: {exc}", "", False)
        rows.append((number, *row))
        print(f"  {row[1]}", flush=True)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end\n")
    print("| # | what | measured | goal | |")
    print("|---|---|---|---|---|")
    for number, label, figure, goal, met in rows:
        print(f"| {number} | {label} | {figure} | {goal} | {'met' if met else 'MISSED'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
