"""Where a reader's time goes: ``cProfile`` over ``ganlogs.read`` of one of issue 14's inputs.

Reads the input ``--repeat`` times (after one untimed read) under the profiler and prints the
functions with the most time of their own, in milliseconds per read, beside the CPU time of
a read without the profiler (the profiler's own cost inflates the listed figures, mostly of
functions called many times: read them as shares). The inputs are those of
``bench/read_speed_table.py`` (generated there, in the same ``--workdir``, when missing):

* ``text``: PyTorch-GAN console log, 300,000 lines (read by the text reader's fast path in
  one thread: cProfile sees only the thread it runs in, and the reader otherwise matches
  blocks of lines in threads);
* ``cyclegan``: CycleGAN ``loss_log.txt``, 300,000 lines of 8 losses (row 7; the fast
  path in one thread, as ``text``);
* ``csv``: wide CSV, 250,000 rows x 4 metrics;
* ``tensorboard``: 1,000,000 scalar events;
* ``wandb``: ``.wandb`` log, 250,000 rows x 4 metrics (decoded in one thread,
  ``WandbRunReader(threads=1)``: cProfile sees only the thread it runs in).

Usage::

    nice python bench/read_profile.py text [--repeat 5] [--top 15] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def input_path(kind: str, workdir: Path) -> Path:
    """The input file or run directory of ``kind``, generated when missing."""
    import read_speed
    import read_speed_formats
    import read_speed_table

    workdir.mkdir(parents=True, exist_ok=True)
    if kind == "text":
        return read_speed_table.write_text_logs(workdir, 300_000)[0]
    if kind == "cyclegan":
        return read_speed_table.write_cyclegan_logs(workdir, 300_000)[0]
    if kind == "csv":
        path = workdir / "wide_250000.csv"
        if not path.exists():
            read_speed_formats.generate_csv(path, 250_000)
        return path
    if kind == "tensorboard":
        run_dir = workdir / "tb_1000000"
        if not (run_dir / ".complete").exists():
            (run_dir / ".complete").write_text(read_speed.generate(run_dir, 1_000_000))
        return run_dir
    run_dir = workdir / "wandb_250000" / "offline-run-20260101_000000-bench01"
    if not (run_dir / "run-bench01.wandb").exists():
        read_speed_formats.generate_wandb(run_dir, 250_000)
    return run_dir


def main(argv: list[str] | None = None) -> int:
    import ganlogs

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("kind", choices=["text", "cyclegan", "csv", "tensorboard", "wandb"])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--workdir", type=Path,
                    default=Path(tempfile.gettempdir()) / "ganlogs-bench-read-speed")
    args = ap.parse_args(argv)
    path = input_path(args.kind, args.workdir)
    if args.kind in ("text", "cyclegan"):
        from ganlogs.readers.text import read_fast

        def read():
            return read_fast(path.read_bytes(), path, ".", threads=1).scalars
    else:
        if args.kind == "wandb":
            from ganlogs.readers.wandb import WandbRunReader

            def read():
                return WandbRunReader(threads=1).read(path, run_id=path.name)[0].scalars
        else:
            def read():
                return ganlogs.read(path).scalars
    n = len(read())  # untimed: imports, page cache
    cpu = []
    for _ in range(args.repeat):
        t0 = time.process_time()
        read()
        cpu.append(time.process_time() - t0)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.repeat):
        read()
    profile.disable()
    stats = pstats.Stats(profile).stats  # (file, line, name) -> (cc, nc, tottime, cumtime, _)
    rows = sorted(stats.items(), key=lambda kv: -kv[1][2])[:args.top]
    cpu.sort()
    print(f"{args.kind}: {path.name}, {n:,} points; CPU per read without the profiler "
          f"{cpu[len(cpu) // 2] * 1e3:.0f} ms (median of {args.repeat})")
    print(f"{'own ms/read':>12} {'with callees':>13} {'calls/read':>11}  function")
    for (file, line, name), (_, calls, own, total, _) in rows:
        where = name if file == "~" else f"{Path(file).name}:{line}({name})"
        print(f"{own / args.repeat * 1e3:>12.1f} {total / args.repeat * 1e3:>13.1f} "
              f"{calls / args.repeat:>11.0f}  {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
