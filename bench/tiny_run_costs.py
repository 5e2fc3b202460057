"""Where a tiny run's time goes in a sweep: CPU milliseconds per run, stage by stage.

Takes ``--runs`` runs (default 500) of the tiny CSV sweep that ``bench/tiny_sweep.py``
generates (1,000 rows x 3 columns each; generated here when missing) and times, in this one
process, each stage a worker or the parent spends on every run of ``ganlogs analyze``:

* reading the run (``ganlogs.readers.load``: the CSV reader and ``Run.from_frame``);
* through the cache, cold: as ``ganlogs analyze`` does (a run read in less than
  ``ganlogs.cache.CHEAP_READ_SECONDS`` is not stored), and storing every run
  (``RunCache(dir, min_read_seconds=0)``); warm: the stored entry read back;
* analysing it (``analyze_run``), and apart: its context (``build_context``: roles, loss
  conventions), the detectors' shared statistics (``ganlogs.detectors.runstats.run_stats``)
  and the detectors' judgements given those (``run_findings``);
* sending the result to the parent (its digest, pickled and unpickled);
* its part of the JSON document (``ganlogs.report.json.write``).

Then the fixed cost of one command (a fresh ``ganlogs analyze`` of one run: start-up,
imports, warm-up), wall and CPU seconds. Each stage is timed over all runs at once (CPU
time of this process; the best of ``--repeat`` passes, default 3, fresh runs each pass), so
the figures are totals divided by the number of runs.

``--profile N`` adds ``cProfile`` over the detectors (``run_stats`` and ``run_findings``)
and lists the N functions with the most cumulative time (ms per run; the profiler inflates
functions called many times: read them as shares): where the detectors' time goes.

Usage::

    nice python bench/tiny_run_costs.py [--runs 500] [--repeat 3] [--profile 25]
                                        [--workdir DIR]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pickle
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def per_run_ms(fn, make_items, repeat: int) -> tuple[float, list]:
    """CPU milliseconds per item of ``fn`` over ``make_items()`` (fresh items each pass, made
    untimed), the best of ``repeat`` passes, and the last pass's results."""
    best, out = float("inf"), []
    for _ in range(repeat):
        items = make_items()
        gc.collect()
        t0 = time.process_time()
        out = [fn(x) for x in items]
        best = min(best, (time.process_time() - t0) / max(1, len(items)) * 1e3)
    return best, out


def main(argv: list[str] | None = None) -> int:
    import tiny_sweep

    from ganlogs.analysis import (Analysis, Settings, analyze_run, build_context,
                                  run_findings)
    from ganlogs.cache import CHEAP_READ_SECONDS, RACY_SECONDS, RunCache
    from ganlogs.detectors import default_detectors
    from ganlogs.detectors.runstats import run_stats
    from ganlogs.readers import discover, load
    from ganlogs.report.json import write

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", type=int, default=0, metavar="N")
    ap.add_argument("--workdir", type=Path,
                    default=Path(tempfile.gettempdir()) / "ganlogs-bench-tiny-sweep")
    args = ap.parse_args(argv)
    sweep = args.workdir / f"sweep_{max(args.runs, 1000)}x1000"
    tiny_sweep.generate(sweep, max(args.runs, 1000), 1000, 50)
    time.sleep(RACY_SECONDS)  # files younger than this are never stored in the cache
    sources = discover(sweep).sources[:args.runs]
    warnings.simplefilter("ignore")
    for s in sources[:20]:  # imports, lazy statistics, page cache
        analyze_run(load(s)[0])
    settings = Settings()
    detectors = default_detectors()

    def fresh_runs():
        return [load(s)[0] for s in sources]

    def fresh_contexts():
        return [build_context(r, settings) for r in fresh_runs()]

    def contexts_with_stats():
        ctxs = fresh_contexts()
        for c in ctxs:
            run_stats(c)
        return ctxs

    rows = []
    ms, runs = per_run_ms(lambda s: load(s)[0], lambda: sources, args.repeat)
    rows.append(("read the run (CSV reader, Run.from_frame)", ms))
    cache_dir = Path(tempfile.mkdtemp(prefix="ganlogs-tiny-costs-"))
    try:
        def empty_cache(min_read_seconds=None):
            shutil.rmtree(cache_dir, ignore_errors=True)
            return RunCache(cache_dir, min_read_seconds=min_read_seconds)

        cache = empty_cache()
        ms, _ = per_run_ms(lambda s: cache.read(s, load), lambda: sources, args.repeat)
        stored = len(list(cache_dir.glob("*.parquet")))
        rows.append((f"cache, cold, as analyze does ({stored} of {len(sources)} stored)", ms))
        caches = []

        def cold_store_all():
            caches[:] = [empty_cache(0)]
            return sources

        ms, _ = per_run_ms(lambda s: caches[0].read(s, load), cold_store_all, args.repeat)
        rows.append(("cache, cold, storing every run (min_read_seconds=0)", ms))
        ms, _ = per_run_ms(lambda s: caches[0].read(s, load), lambda: sources, args.repeat)
        rows.append(("cache, warm: the stored entry read back", ms))
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
    ms, results = per_run_ms(lambda r: analyze_run(r, settings=settings), fresh_runs,
                             args.repeat)
    rows.append(("analyse (analyze_run: all of the next three)", ms))
    ms, _ = per_run_ms(lambda r: build_context(r, settings), fresh_runs, args.repeat)
    rows.append(("  context: roles, loss conventions", ms))
    ms, _ = per_run_ms(run_stats, fresh_contexts, args.repeat)
    rows.append(("  detectors: shared statistics (run_stats)", ms))
    ms, _ = per_run_ms(lambda c: run_findings(c, detectors), contexts_with_stats,
                       args.repeat)
    rows.append(("  detectors: judgements, statistics given", ms))

    def transfer(res):
        res.run = res.run.digest()
        return pickle.loads(pickle.dumps(res))

    ms, results = per_run_ms(transfer, lambda: results, 1)
    rows.append(("digest + send to the parent (pickle both ways)", ms))
    analysis = Analysis(root=str(sweep), runs=results, settings=settings)
    ms, _ = per_run_ms(lambda a: write(a, io.StringIO()), lambda: [analysis], args.repeat)
    rows.append(("its part of the JSON document", ms / len(results)))

    one = sources[0].path
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    w0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ganlogs", "analyze", str(one), "--format", "json",
                    "--no-cache", "--jobs", "1"], check=False, capture_output=True)
    wall = time.perf_counter() - w0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    ms = dict(rows)
    label = [k for k, _ in rows]
    print(f"{len(sources)} tiny CSV runs (1,000 rows x 3 columns), CPU ms per run, one process "
          f"(best of {args.repeat}); entries are stored for reads of >= "
          f"{CHEAP_READ_SECONDS * 1e3:g} ms")
    for name, value in rows:
        print(f"  {name:<60}{value:>7.2f}")
    tail = ms[label[4]] + ms[label[8]] + ms[label[9]]
    print(f"  {'a cold run in all (cache as analyze uses it, analyse, send, JSON)':<60}"
          f"{ms[label[1]] + tail:>7.2f}")
    print(f"  {'a warm run in all (an entry stored for it)':<60}{ms[label[3]] + tail:>7.2f}")
    print(f"  {'(without the cache: read, analyse, send, JSON)':<60}{ms[label[0]] + tail:>7.2f}")
    print(f"one command (start-up, imports, warm-up, one run): {wall:.2f} s wall, "
          f"{cpu:.2f} CPU-s")
    if args.profile:
        print_profile(contexts_with_stats, fresh_contexts, run_stats, run_findings, detectors,
                      args.profile)
    return 0


def print_profile(contexts_with_stats, fresh_contexts, run_stats, run_findings, detectors,
                  top: int) -> None:
    """cProfile of the detectors' statistics and judgements on fresh contexts: the ``top``
    functions by cumulative time, ms per run."""
    ctxs = fresh_contexts()
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    for c in ctxs:
        run_stats(c)
        run_findings(c, detectors)
    profile.disable()
    stats = pstats.Stats(profile).stats  # (file, line, name) -> (cc, nc, tottime, cumtime, _)
    rows = sorted(stats.items(), key=lambda kv: -kv[1][3])
    print(f"\nwhere the detectors' time goes (cProfile, CPU ms per run, profiler-inflated; "
          f"{len(ctxs)} runs)")
    print(f"  {'cumulative':>10}{'own':>8}{'calls/run':>10}  function")
    shown = 0
    for (path, line, name), (_, calls, own, cum, _) in rows:
        if shown >= top:
            break
        if name.startswith("<") or "cProfile" in path:
            continue
        where = "/".join(Path(path).parts[-2:]) if path != "~" else "(built-in)"
        print(f"  {cum / len(ctxs) * 1e3:>10.3f}{own / len(ctxs) * 1e3:>8.3f}"
              f"{calls / len(ctxs):>10.1f}  {where}:{line}({name})")
        shown += 1


if __name__ == "__main__":
    sys.exit(main())
