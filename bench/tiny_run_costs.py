"""Where a tiny run's time goes in a sweep: CPU milliseconds per run, stage by stage.

Takes ``--runs`` runs (default 500) of the tiny CSV sweep that ``bench/tiny_sweep.py``
generates (1,000 rows x 3 columns each; generated here when missing) and times, in this one
process, each stage a worker or the parent spends on every run of ``ganlogs analyze``:

* reading the run (``ganlogs.readers.load``: the CSV reader and ``Run.from_frame``);
* through the cache: a cold read (read + writing the entry) and a warm one (the entry read
  back), in a fresh cache directory;
* analysing it (``analyze_run``: roles, loss conventions, every detector);
* sending the result to the parent (its digest, pickled and unpickled);
* its part of the JSON document (``ganlogs.report.json.write``).

Then the fixed cost of one command (a fresh ``ganlogs analyze`` of one run: start-up,
imports, warm-up), wall and CPU seconds. Each stage is timed over all runs at once (CPU
time of this process), so the figures are totals divided by the number of runs.

Usage::

    nice python bench/tiny_run_costs.py [--runs 500] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import io
import pickle
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


def per_run_ms(fn, items) -> tuple[float, list]:
    """CPU milliseconds per item of ``fn`` over ``items``, and its results."""
    t0 = time.process_time()
    out = [fn(x) for x in items]
    return (time.process_time() - t0) / max(1, len(items)) * 1e3, out


def main(argv: list[str] | None = None) -> int:
    import tiny_sweep

    from ganlogs.analysis import Analysis, Settings, analyze_run
    from ganlogs.cache import RACY_SECONDS, RunCache
    from ganlogs.readers import discover, load
    from ganlogs.report.json import write

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=500)
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

    rows = []
    ms, runs = per_run_ms(lambda s: load(s)[0], sources)
    rows.append(("read the run (CSV reader, Run.from_frame)", ms))
    cache_dir = Path(tempfile.mkdtemp(prefix="ganlogs-tiny-costs-"))
    try:
        cache = RunCache(cache_dir)
        ms, _ = per_run_ms(lambda s: cache.read(s, load), sources)
        rows.append(("cache, cold: read + write the entry", ms))
        ms, _ = per_run_ms(lambda s: cache.read(s, load), sources)
        rows.append(("cache, warm: read the entry back", ms))
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
    ms, results = per_run_ms(lambda r: analyze_run(r, settings=Settings()), runs)
    rows.append(("analyse (roles, conventions, detectors)", ms))

    def transfer(res):
        res.run = res.run.digest()
        return pickle.loads(pickle.dumps(res))

    ms, results = per_run_ms(transfer, results)
    rows.append(("digest + send to the parent (pickle both ways)", ms))
    analysis = Analysis(root=str(sweep), runs=results, settings=Settings())
    t0 = time.process_time()
    write(analysis, io.StringIO())
    rows.append(("its part of the JSON document", (time.process_time() - t0) / len(results) * 1e3))

    one = sources[0].path
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    w0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ganlogs", "analyze", str(one), "--format", "json",
                    "--no-cache", "--jobs", "1"], check=False, capture_output=True)
    wall = time.perf_counter() - w0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    print(f"{len(sources)} tiny CSV runs (1,000 rows x 3 columns), CPU ms per run, one process")
    for label, ms in rows:
        print(f"  {label:<50}{ms:>7.2f}")
    cold = rows[1][1] + rows[3][1] + rows[4][1] + rows[5][1]
    warm = rows[2][1] + rows[3][1] + rows[4][1] + rows[5][1]
    print(f"  {'a cold run in all (cache cold, analyse, send, JSON)':<50}{cold:>7.2f}")
    print(f"  {'a warm run in all':<50}{warm:>7.2f}")
    print(f"  {'(without the cache: read, analyse, send, JSON)':<50}"
          f"{rows[0][1] + rows[3][1] + rows[4][1] + rows[5][1]:>7.2f}")
    print(f"one command (start-up, imports, warm-up, one run): {wall:.2f} s wall, "
          f"{cpu:.2f} CPU-s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
