"""Read-speed benchmark, TensorBoard part: ganlogs vs tbparse vs pandas.read_csv.

Generates (once, cached) a run directory holding one event file of ``--events`` scalar events
(default 1,000,000, about 45 MB) written torch-``SummaryWriter`` style: ``add_scalar`` for the
four tags ``Loss/D``, ``Loss/G``, ``D(x)``, ``D(G(z))`` at every step, steps 0, 1, 2, ...
(varint widths 1 to 3 bytes), ``simple_value`` float32, Unix wall times. The file is written
with torch's ``SummaryWriter`` when torch is importable, else with ganlogs' own test writer
(:mod:`ganlogs.readers.wire`, byte-identical layout apart from the first records). The same
points are written as a long CSV (``tag,step,value,wall_time``).

Then, in one process, it times

* ``ganlogs``: ``ganlogs.read(run_dir).scalars`` (framing, CRC checks, decoding, Run model);
* ``tbparse``: ``SummaryReader(run_dir).scalars`` (skipped with a message if not installed:
  ``pip install tbparse tensorboard``; it is not a ganlogs dependency);
* ``pandas.read_csv`` of the long CSV;

and prints seconds (fastest and median of ``--repeat`` runs, ganlogs and read_csv
alternating so that both see the same load; CPU time of the process), MB/s of event file,
the ratios the issue asks for (ganlogs >= 20x faster than tbparse, at least as fast as
read_csv) and ganlogs' peak traced memory (``tracemalloc``: numpy and Python allocations; the
memory-mapped file itself is not an allocation) against the memory of the resulting
DataFrame (``memory_usage(deep=True)``).

It then runs the same comparison for ``.wandb`` logs (ganlogs vs wandb's own ``DataStore`` +
protobuf, which needs ``wandb<0.30``) and wide CSV files (ganlogs vs ``pandas.read_csv``):
see ``bench/read_speed_formats.py``; ``--formats-rows 0`` skips that part.

Usage::

    nice python bench/read_speed.py [--events 1000000] [--workdir DIR] [--repeat 7]
                                    [--formats-rows 250000]
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
    from ganlogs.readers import wire

    t0 = time.time()
    path = run_dir / f"events.out.tfevents.{int(t0)}.bench.{os.getpid()}.0"
    with open(path, "wb") as fh:
        fh.write(wire.frame_record(wire.encode_file_version_event(t0, writer="ganlogs.bench")))
        for k in range(n_events):
            payload = wire.encode_scalar_event(TAGS[k % len(TAGS)], float(values[k]),
                                               step=k // len(TAGS), wall_time=t0 + k * 1e-4)
            fh.write(wire.frame_record(payload))
    return "ganlogs.readers.wire (torch not importable)"


def write_csv(run_dir: Path, csv_path: Path) -> int:
    """The same points as a long CSV, written from ganlogs' reading of the event file."""
    import ganlogs

    s = ganlogs.read(run_dir).scalars
    s[["tag", "step", "value", "wall_time"]].to_csv(csv_path, index=False)
    return len(s)


def timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one call."""
    gc.collect()
    c0, w0 = time.process_time(), time.perf_counter()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def summary(runs: list[tuple[float, float]]) -> dict[str, float]:
    walls = sorted(w for w, _ in runs)
    return {"min": walls[0], "median": walls[len(walls) // 2],
            "cpu": min(c for _, c in runs)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--workdir", type=Path,
                    default=Path(tempfile.gettempdir()) / "ganlogs-bench-read-speed")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--regenerate", action="store_true")
    ap.add_argument("--formats-rows", type=int, default=250_000,
                    help=".wandb and CSV part: history/CSV rows of 4 metrics (0: skip the part)")
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

    import pandas as pd

    # ganlogs and read_csv alternate, so that both see the same load on a shared machine
    runs: dict[str, list[tuple[float, float]]] = {"ganlogs": [], "pandas.read_csv": []}
    for _ in range(args.repeat):
        runs["ganlogs"].append(timed(lambda: ganlogs.read(run_dir).scalars))
        runs["pandas.read_csv"].append(timed(lambda: pd.read_csv(csv_path)))
    scalars = ganlogs.read(run_dir).scalars
    n_rows = len(scalars)
    df_mem = scalars.memory_usage(deep=True).sum()
    del scalars
    gc.collect()
    tracemalloc.start()
    scalars = ganlogs.read(run_dir).scalars
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del scalars

    try:
        from tbparse import SummaryReader
    except ImportError:
        print("tbparse not installed (pip install tbparse tensorboard): skipped")
    else:
        frame = None

        def tb() -> None:
            nonlocal frame
            frame = SummaryReader(str(run_dir)).scalars

        runs["tbparse"] = [timed(tb)]
        if len(frame) != n_rows:
            print(f"  note: tbparse returned {len(frame):,} rows, ganlogs {n_rows:,}")
        del frame

    stats = {name: summary(r) for name, r in runs.items()}
    print(f"\n{n_rows:,} rows; {args.repeat} runs each, alternating (tbparse: 1 run); "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"{'reader':<18}{'min s':>9}{'median s':>10}{'CPU s':>9}{'MB/s':>9}"
          f"{'vs ganlogs':>12}")
    base = stats["ganlogs"]["min"]
    for name, st in stats.items():
        print(f"{name:<18}{st['min']:>9.3f}{st['median']:>10.3f}{st['cpu']:>9.3f}"
              f"{size_mb / st['min']:>9.1f}{st['min'] / base:>11.1f}x")
    print()
    if "tbparse" in stats:
        r = stats["tbparse"]["min"] / base
        print(f"ganlogs vs tbparse:   {r:7.1f}x faster (target >= 20x: "
              f"{'met' if r >= 20 else 'NOT met'})")
    for key, label in (("min", "fastest run"), ("median", "median run"), ("cpu", "CPU time")):
        r = stats["pandas.read_csv"][key] / stats["ganlogs"][key]
        print(f"ganlogs vs read_csv:  {r:7.2f}x ({label}; target >= 1.0: "
              f"{'met' if r >= 1 else 'NOT met'})")
    print(f"peak traced memory:   {peak / 1e6:7.1f} MB vs DataFrame {df_mem / 1e6:.1f} MB "
          f"= {peak / df_mem:.2f}x (target <= 2x: {'met' if peak <= 2 * df_mem else 'NOT met'})")
    if args.formats_rows:
        # the same benchmark for .wandb and CSV files: bench/read_speed_formats.py
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import read_speed_formats

        print("\n.wandb and CSV (bench/read_speed_formats.py)")
        read_speed_formats.run(args.formats_rows, args.repeat, args.workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
