"""Sweep benchmark: ``ganlogs analyze`` on 1,000 runs of 20,000 steps, cold and warm cache,
against ``--jobs 1 --no-cache`` and against the naive loop a user would otherwise write.

The sweep (generated once and kept in ``--workdir``) holds ``--runs`` runs of ``--steps``
steps and the four tags of a GAN script (``Loss/D``, ``Loss/G``, ``D(x)``, ``D(G(z))``, one
point per tag per step), in one of two formats:

``tensorboard`` (default)
    one run directory per run holding one event file, written record for record as
    torch's ``SummaryWriter.add_scalar`` writes them (``simple_value``, Unix wall times);
    the bytes are checked against ganlogs' test writer (:mod:`ganlogs.readers.wire`).
``csv``
    one wide CSV per run (``step,Loss/D,Loss/G,D(x),D(G(z))``).

``--templates`` distinct runs are generated (converging, oscillating, diverging to NaN,
collapsing, vanishing D loss, each with its own seed) and copied to make up ``--runs``
(every copy is a real file: reading costs the same; only the detectors' verdicts repeat).

Then, each in a fresh process, end to end (start-up, discovery, reading, detectors, JSON on
stdout) with the command line:

1. ``cold``:  ``ganlogs analyze SWEEP --format json`` with an empty cache directory;
2. ``warm``:  the same again (every run comes from the cache);
3. ``--jobs 1 --no-cache`` on the first ``--baseline-runs`` runs, scaled to the sweep;
4. ``naive``: a loop over the first ``--naive-runs`` runs doing what a user would do without
   ganlogs' readers (``tbparse.SummaryReader(run).scalars``, or ``pandas.read_csv`` + melt)
   followed by the same detectors (``ganlogs.analysis.analyze_run``), scaled to the sweep.
   tbparse is not a ganlogs dependency: ``pip install tbparse``; skipped without it.

It checks that the cold and warm documents are identical and prints one table with seconds,
runs per second and the ratios (the issue's target: the cold run under 60 s on a 2-core
machine). Usage::

    python bench/sweep.py [--runs 1000] [--steps 20000] [--format tensorboard|csv]
                          [--jobs N] [--workdir DIR] [--baseline-runs 100] [--naive-runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TAGS = ("Loss/D", "Loss/G", "D(x)", "D(G(z))")
BEHAVIOURS = ("converging", "oscillating", "diverging", "collapsing", "vanishing")


# ----------------------------------------------------------------------------- the curves

def curves(kind: str, steps: int, seed: int) -> dict[str, np.ndarray]:
    """Four float32 series of a GAN run that behaves as ``kind``."""
    rng = np.random.default_rng(seed)
    t = np.arange(steps, dtype=np.float64)
    x = t / steps
    noise = lambda s: s * rng.standard_normal(steps)  # noqa: E731
    d = 1.386 - 0.25 * (1 - np.exp(-5 * x)) + noise(0.08)
    g = 0.693 + 0.8 * (1 - np.exp(-5 * x)) + noise(0.10)
    dx = 0.5 + 0.15 * (1 - np.exp(-5 * x)) + noise(0.03)
    dgz = 0.5 - 0.15 * (1 - np.exp(-5 * x)) + noise(0.03)
    if kind == "oscillating":
        wave = np.sin(2 * np.pi * t / rng.integers(200, 800))
        d += 0.5 * wave
        g -= 0.7 * wave
    elif kind == "diverging":
        onset = int(steps * rng.uniform(0.5, 0.8))
        g[onset:] += np.linspace(0, 40, steps - onset) ** 1.5
        d[onset + (steps - onset) // 2:] = np.nan
    elif kind == "collapsing":
        onset = int(steps * rng.uniform(0.3, 0.6))
        d[onset:] = 0.05 + noise(0.01)[onset:]
        g[onset:] = 6.0 + noise(0.2)[onset:]
        dx[onset:] = 0.99
        dgz[onset:] = 0.01
    elif kind == "vanishing":
        d *= np.exp(-8 * x)
        g += 10 * x
    return {tag: v.astype(np.float32) for tag, v in zip(TAGS, (d, g, dx, dgz))}


# ------------------------------------------------------------------- a fast TFRecord writer

def write_event_file(path: Path, series: dict[str, np.ndarray], t0: float) -> None:
    """``add_scalar`` for every tag at every step, as torch writes it (checked against
    :func:`ganlogs.readers.wire.encode_scalar_event` on the first records)."""
    from ganlogs.readers import wire
    from ganlogs.readers.wire import encode_varint as _varint

    crc = wire.masked_crc32c
    pack_d, pack_f, pack_q, pack_i = (struct.Struct(f).pack for f in ("<d", "<f", "<Q", "<I"))
    heads = {}
    for tag in TAGS:
        raw = tag.encode()
        value_msg_len = 1 + len(_varint(len(raw))) + len(raw) + 5
        summary = b"\x0a" + _varint(value_msg_len) + b"\x0a" + _varint(len(raw)) + raw + b"\x15"
        heads[tag] = (b"\x2a" + _varint(len(summary) + 4) + summary)
    steps = len(next(iter(series.values())))
    out = bytearray()
    first = wire.encode_file_version_event(
        t0, writer="tensorboard.summary.writer.event_file_writer")
    out += wire.frame_record(first)
    checked = 0
    for step in range(steps):
        wall = t0 + 0.01 * step
        head = b"\x09" + pack_d(wall) + ((b"\x10" + _varint(step)) if step else b"")
        for tag in TAGS:
            value = float(series[tag][step])
            payload = head + heads[tag] + pack_f(value)
            if checked < 12:
                assert payload == wire.encode_scalar_event(tag, value, step=step, wall_time=wall)
                checked += 1
            length = pack_q(len(payload))
            out += length + pack_i(crc(length)) + payload + pack_i(crc(payload))
    path.write_bytes(bytes(out))


def write_csv(path: Path, series: dict[str, np.ndarray]) -> None:
    import pandas as pd

    steps = len(next(iter(series.values())))
    frame = pd.DataFrame({"step": np.arange(steps), **{t: series[t] for t in TAGS}})
    frame.to_csv(path, index=False, float_format="%.9g")


def generate(sweep: Path, fmt: str, runs: int, steps: int, templates: int) -> None:
    if sweep.exists():
        shutil.rmtree(sweep)
    sweep.mkdir(parents=True)
    made: list[Path] = []
    t0 = time.time() - 86400
    for i in range(runs):
        name = f"run{i:04d}"
        if i < templates:
            kind = BEHAVIOURS[i % len(BEHAVIOURS)]
            series = curves(kind, steps, seed=i)
            if fmt == "tensorboard":
                run = sweep / name
                run.mkdir()
                write_event_file(run / f"events.out.tfevents.{int(t0) + i}.bench.{1000 + i}.0",
                                 series, t0 + i)
            else:
                run = sweep / f"{name}.csv"
                write_csv(run, series)
            made.append(run)
        else:
            src = made[i % len(made)]
            if src.is_dir():
                (sweep / name).mkdir()
                for f in src.iterdir():
                    shutil.copyfile(f, sweep / name / f.name)
            else:
                shutil.copyfile(src, sweep / f"{name}.csv")
        if (i + 1) % 100 == 0:
            print(f"  {i + 1} runs written", flush=True)


def subset(sweep: Path, n: int, where: Path) -> Path:
    """A directory holding the first ``n`` runs of the sweep: symbolic links to run
    directories, hard links to run files (discovery does not follow links to files)."""
    if where.exists():
        shutil.rmtree(where)
    where.mkdir(parents=True)
    for entry in sorted(sweep.iterdir())[:n]:
        if entry.is_dir():
            os.symlink(entry, where / entry.name)
        else:
            os.link(entry, where / entry.name)
    return where


# ------------------------------------------------------------------------------ measuring

def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


#: PYTHONPATH for the timed commands: a snapshot of the package (see snapshot())
_ENV: dict[str, str] = dict(os.environ)


def snapshot(workdir: Path) -> None:
    """Time a copy of the ganlogs package taken now, so that edits to the working tree during
    a long benchmark never mix two versions between the cold and the warm run."""
    import ganlogs

    src = Path(ganlogs.__file__).resolve().parent
    dest = workdir / "snapshot" / "ganlogs"
    shutil.rmtree(dest.parent, ignore_errors=True)
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__"))
    _ENV["PYTHONPATH"] = os.pathsep.join([str(dest.parent)] + [
        p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])


def cli(args: list[str], out: Path | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its workers) for one command."""
    cmd = [sys.executable, "-m", "ganlogs", "analyze", *args, "--format", "json"]
    cpu = _children_cpu()
    t = time.perf_counter()
    with open(out if out is not None else os.devnull, "wb") as fh:
        proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.PIPE, env=_ENV)
    secs = time.perf_counter() - t
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}: "
                         f"{proc.stderr.decode(errors='replace')[-2000:]}")
    return secs, _children_cpu() - cpu


def naive(sweep: Path, fmt: str, n: int) -> tuple[float, float] | None:
    """Seconds for a plain loop: tbparse / pandas read, then the same detectors."""
    import pandas as pd

    from ganlogs import Run
    from ganlogs.analysis import analyze_run

    runs = sorted(sweep.iterdir())[:n]
    if fmt == "tensorboard":
        try:
            from tbparse import SummaryReader
        except ImportError:
            print("naive loop skipped: tbparse is not installed (pip install tbparse)")
            return None
    t = time.perf_counter()
    cpu = time.process_time()
    for run in runs:
        if fmt == "tensorboard":
            frame = SummaryReader(str(run)).scalars  # columns step, tag, value
        else:
            wide = pd.read_csv(run)
            frame = wide.melt(id_vars="step", var_name="tag", value_name="value")
        analyze_run(Run.from_frame(frame, run_id=run.name, path=run, format="naive"))
    return time.perf_counter() - t, time.process_time() - cpu


def strip_timing(doc):
    if isinstance(doc, dict):
        return {k: strip_timing(v) for k, v in doc.items()
                if not any(w in k for w in ("elapsed", "duration", "seconds_spent"))}
    if isinstance(doc, list):
        return [strip_timing(v) for v in doc]
    return doc


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=20000)
    ap.add_argument("--format", choices=["tensorboard", "csv"], default="tensorboard")
    ap.add_argument("--templates", type=int, default=50,
                    help="distinct runs generated; the others are copies (default 50)")
    ap.add_argument("--jobs", type=int, default=None, help="--jobs for the cold and warm runs")
    ap.add_argument("--baseline-runs", type=int, default=100,
                    help="runs timed with --jobs 1 --no-cache, scaled to the sweep (0: skip)")
    ap.add_argument("--naive-runs", type=int, default=3,
                    help="runs timed with the naive loop, scaled to the sweep (0: skip)")
    ap.add_argument("--workdir", type=Path,
                    default=Path(tempfile.gettempdir()) / "ganlogs-bench-sweep")
    ap.add_argument("--regenerate", action="store_true")
    args = ap.parse_args(argv)

    import ganlogs.cache

    if not ganlogs.cache.pyarrow_available():
        print("note: pyarrow is not installed, so the cache is off (warm = cold)")
    key = f"{args.format}-{args.runs}x{args.steps}-t{args.templates}"
    sweep = args.workdir / key
    stamp = args.workdir / f"{key}.complete"
    if args.regenerate or not stamp.exists():
        print(f"generating {args.runs} {args.format} runs of {args.steps} steps in {sweep} ...",
              flush=True)
        t = time.perf_counter()
        generate(sweep, args.format, args.runs, args.steps, args.templates)
        stamp.write_text(f"{time.perf_counter() - t:.1f} s")
        print(f"  done in {stamp.read_text()}", flush=True)
    files = [p for p in sweep.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    points = args.runs * args.steps * len(TAGS)
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    print(f"sweep: {args.runs} runs x {args.steps} steps x {len(TAGS)} tags = {points:,} points, "
          f"{size / 1e9:.2f} GB of {args.format}; {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)

    # warm the page cache so that cold means "ganlogs' cache is empty", not "disk is cold"
    for p in files:
        with open(p, "rb") as fh:
            while fh.read(1 << 24):
                pass

    snapshot(args.workdir)
    import ganlogs.analysis  # noqa: F401 - the naive loop's detectors, imported before edits
    import ganlogs.detectors  # noqa: F401

    cache_dir = args.workdir / "cache"
    shutil.rmtree(cache_dir, ignore_errors=True)
    out_cold, out_warm = args.workdir / "cold.json", args.workdir / "warm.json"
    rows: list[tuple[str, int, float, float, bool]] = []  # name, runs timed, wall, cpu, scaled
    print("cold ...", flush=True)
    rows.append(("cold cache", args.runs,
                 *cli([str(sweep), *jobs, "--cache-dir", str(cache_dir)], out_cold), False))
    print("warm ...", flush=True)
    rows.append(("warm cache", args.runs,
                 *cli([str(sweep), *jobs, "--cache-dir", str(cache_dir)], out_warm), False))
    cold_doc = json.loads(out_cold.read_text())
    same = strip_timing(cold_doc) == strip_timing(json.loads(out_warm.read_text()))
    errors = cold_doc["summary"]["errors"]
    labels = cold_doc["summary"]["labels"]

    if args.baseline_runs:
        n = min(args.baseline_runs, args.runs)
        print(f"--jobs 1 --no-cache on {n} runs ...", flush=True)
        sub = subset(sweep, n, args.workdir / f"{key}-first-{n}")
        wall, cpu = cli([str(sub), "--jobs", "1", "--no-cache"])
        k = args.runs / n
        rows.append(("--jobs 1 --no-cache", n, wall * k, cpu * k, n < args.runs))
    if args.naive_runs:
        n = min(args.naive_runs, args.runs)
        what = "tbparse" if args.format == "tensorboard" else "pandas.read_csv"
        print(f"naive loop ({what} + detectors) on {n} runs ...", flush=True)
        got = naive(sweep, args.format, n)
        if got is not None:
            k = args.runs / n
            rows.append((f"naive: {what} + detectors", n, got[0] * k, got[1] * k, n < args.runs))

    cold, warm = rows[0][2], rows[1][2]
    print()
    print(f"{'':<32}{'runs timed':>11}{'wall s':>10}{'CPU s':>10}{'runs/s':>8}"
          f"{'vs cold':>9}{'vs warm':>9}")
    for name, n, wall, cpu, scaled in rows:
        star = "*" if scaled else " "
        print(f"{name:<32}{n:>11}{wall:>9.1f}{star}{cpu:>9.1f}{star}{args.runs / wall:>8.1f}"
              f"{wall / cold:>8.2f}x{wall / warm:>8.2f}x")
    if any(r[4] for r in rows):
        print(f"* timed on the first runs and scaled to {args.runs} runs")
    print("CPU s: user + system time of the command and its worker processes "
          "(what the wall time would approach on an idle machine, divided by the cores)")
    print()
    print(f"cold: {cold:.1f} s for {args.runs} runs of {args.steps} steps "
          f"(target < 60 s: {'met' if cold < 60 else 'NOT met'}); warm: {warm:.1f} s; "
          f"load average at the end {os.getloadavg()[0]:.1f}")
    print(f"cold and warm documents identical: {same}; unreadable runs: {errors}; "
          f"labels: {labels}")
    return 0 if same and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
