"""Read-speed benchmark, TensorBoard part: ganlogs vs tbparse vs pandas.read_csv.

Generates (once, cached) a run directory holding one event file of ``--events`` scalar events
(default 1,000,000, about 45 MB) written torch-``SummaryWriter`` style: ``add_scalar`` for the
four tags ``Loss/D``, ``Loss/G``, ``D(x)``, ``D(G(z))`` at every step, steps 0, 1, 2, ...
(varint widths 1 to 3 bytes), ``simple_value`` float32, Unix wall times. The file is written
with torch's ``SummaryWriter`` when torch is importable, else with ganlogs' own test writer
(:mod:`ganlogs.readers._tfrecord`, byte-identical layout apart from the first records). The same
points are written as a long CSV (``tag,step,value,wall_time``).

Then, in one process, it times

* ``ganlogs``: ``ganlogs.read(run_dir).scalars`` (framing, CRC checks, decoding, Run model);
* ``tbparse``: ``SummaryReader(run_dir).scalars`` (skipped with a message if not installed:
  ``pip install tbparse tensorboard``; it is not a ganlogs dependency);
* ``pandas.read_csv`` of the long CSV;

and prints seconds (best of ``--repeat``), MB/s of event file, the ratios the issue asks for
(ganlogs >= 20x faster than tbparse, at least as fast as read_csv) and ganlogs' peak traced
memory (``tracemalloc``: numpy and Python allocations; the memory-mapped file itself is not
an allocation) against the memory of the resulting DataFrame (``memory_usage(deep=True)``).

Usage::

    nice python bench/read_speed.py [--events 1000000] [--workdir DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

TAGS = ("Loss/D", "Loss/G", "D(x)", "D(G(z))")


def _values(n: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    return (1.0 + 0.3 * rng.standard_normal(n)).astype(np.float32)


def generate(run_dir: Path, n_events: int) -> str:
    """Write the event file (torch if importable); return the writer used."""
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    values = _values(n_events)
    n_steps = -(-n_events // len(TAGS))
    try:
        from torch.utils.tensorboard import SummaryWriter
    except Exception:  # torch absent or broken: ganlogs' own writer, same record layout
        SummaryWriter = None
    if SummaryWriter is not None:
        writer = SummaryWriter(log_dir=str(run_dir), max_queue=1000, flush_secs=3600)
        k = 0
        for step in range(n_steps):
            for tag in TAGS:
                if k == n_events:
                    break
                writer.add_scalar(tag, float(values[k]), global_step=step)
                k += 1
        writer.close()
        return "torch.utils.tensorboard.SummaryWriter"
    from ganlogs.readers import _tfrecord as tfr

    t0 = time.time()
    path = run_dir / f"events.out.tfevents.{int(t0)}.bench.{os.getpid()}.0"
    with open(path, "wb") as fh:
        fh.write(tfr.frame_record(tfr.encode_file_version_event(t0, writer="ganlogs.bench")))
        for k in range(n_events):
            payload = tfr.encode_scalar_event(TAGS[k % len(TAGS)], float(values[k]),
                                              step=k // len(TAGS), wall_time=t0 + k * 1e-4)
            fh.write(tfr.frame_record(payload))
    return "ganlogs.readers._tfrecord (torch not importable)"


def write_csv(run_dir: Path, csv_path: Path) -> int:
    """The same points as a long CSV, written from ganlogs' reading of the event file."""
    import ganlogs

    s = ganlogs.read(run_dir).scalars
    s[["tag", "step", "value", "wall_time"]].to_csv(csv_path, index=False)
    return len(s)


def best_of(fn, repeat: int) -> tuple[float, object]:
    best = float("inf")
    out = None
    for _ in range(repeat):
        out = None
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--workdir", type=Path,
                    default=Path(tempfile.gettempdir()) / "ganlogs-bench-read-speed")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--regenerate", action="store_true")
    args = ap.parse_args(argv)

    import ganlogs

    run_dir = args.workdir / f"tb_{args.events}"
    csv_path = args.workdir / f"tb_{args.events}.csv"
    stamp = run_dir / ".complete"
    if args.regenerate or not stamp.exists():
        print(f"generating {args.events:,} scalar events in {run_dir} ...", flush=True)
        t0 = time.perf_counter()
        how = generate(run_dir, args.events)
        stamp.write_text(how)
        print(f"  written by {how} in {time.perf_counter() - t0:.1f} s", flush=True)
    if args.regenerate or not csv_path.exists():
        write_csv(run_dir, csv_path)
    files = [p for p in run_dir.iterdir() if "tfevents" in p.name]
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    csv_mb = csv_path.stat().st_size / 1e6
    print(f"event file: {size_mb:.1f} MB ({stamp.read_text()}); long CSV: {csv_mb:.1f} MB")

    results: dict[str, float] = {}
    t, scalars = best_of(lambda: ganlogs.read(run_dir).scalars, args.repeat)
    results["ganlogs"] = t
    n_rows = len(scalars)
    df_mem = scalars.memory_usage(deep=True).sum()
    del scalars
    gc.collect()
    tracemalloc.start()
    scalars = ganlogs.read(run_dir).scalars
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del scalars

    import pandas as pd

    t_csv, frame = best_of(lambda: pd.read_csv(csv_path), args.repeat)
    results["pandas.read_csv"] = t_csv
    del frame

    try:
        from tbparse import SummaryReader
    except ImportError:
        print("tbparse not installed (pip install tbparse tensorboard): skipped")
    else:
        t_tb, frame = best_of(lambda: SummaryReader(str(run_dir)).scalars, 1)
        results["tbparse"] = t_tb
        if len(frame) != n_rows:
            print(f"  note: tbparse returned {len(frame):,} rows, ganlogs {n_rows:,}")
        del frame

    print(f"\n{n_rows:,} rows; best of {args.repeat} (tbparse: 1 run)")
    print(f"{'reader':<18}{'seconds':>10}{'MB/s':>10}{'vs ganlogs':>12}")
    for name, secs in results.items():
        print(f"{name:<18}{secs:>10.3f}{size_mb / secs:>10.1f}{secs / results['ganlogs']:>11.1f}x")
    print()
    if "tbparse" in results:
        r = results["tbparse"] / results["ganlogs"]
        print(f"ganlogs vs tbparse:        {r:6.1f}x faster   (target >= 20x: "
              f"{'met' if r >= 20 else 'NOT met'})")
    r = results["pandas.read_csv"] / results["ganlogs"]
    print(f"ganlogs vs read_csv:       {r:6.2f}x          (target >= 1.0: "
          f"{'met' if r >= 1 else 'NOT met'})")
    print(f"peak traced memory:        {peak / 1e6:6.1f} MB vs DataFrame {df_mem / 1e6:.1f} MB "
          f"= {peak / df_mem:.2f}x (target <= 2x: {'met' if peak <= 2 * df_mem else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
