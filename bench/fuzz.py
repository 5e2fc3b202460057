"""The long fuzz, on demand: every reader, many mutated fixtures; optionally every fixture
cut at every byte offset.

CI runs the same tests bounded (``tests/scale/test_fuzz.py``: 100 inputs per reader, plus
50 mid-file corruptions per framed format checked for resynchronisation, derandomized; ``tests/scale/test_cuts.py``: 40 sampled offsets per file). This script runs
them with larger budgets and a fresh random seed each time (``--seed`` to repeat one), and
prints how many inputs were tried. Failing inputs are saved under ``--failures``.

Usage::

    python bench/fuzz.py [--examples 100000] [--cuts all] [--seed N] [--failures DIR]
    # equivalent: GANLOGS_FUZZ_EXAMPLES=100000 pytest tests/scale/test_fuzz.py

Each reader's examples run one after another; 100,000 per reader takes hours (a read of a
mutated fixture costs 5 to 30 ms). ``-k NAME`` fuzzes one reader, e.g. ``-k Wandb``.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--examples", type=int, default=100_000, help="inputs per reader")
    ap.add_argument("--cuts", default=None,
                    help="also cut every fixture: a number of offsets per file, or 'all'")
    ap.add_argument("--seed", type=int, default=None,
                    help="hypothesis seed (default: a new random one, printed)")
    ap.add_argument("--failures", type=Path,
                    default=Path(tempfile.gettempdir()) / "ganlogs-fuzz-failures")
    ap.add_argument("--shrink", action="store_true", help="shrink a failing input (slow)")
    ap.add_argument("-k", dest="keyword", default=None, help="pytest -k expression")
    args = ap.parse_args(argv)

    seed = args.seed if args.seed is not None else random.randrange(2**32)
    env = dict(os.environ, GANLOGS_FUZZ_EXAMPLES=str(args.examples),
               GANLOGS_FUZZ_FAILURES=str(args.failures), GANLOGS_FUZZ_RANDOM="1")
    if args.shrink:
        env["GANLOGS_FUZZ_SHRINK"] = "1"
    tests = ["tests/scale/test_fuzz.py"]
    if args.cuts:
        env["GANLOGS_CUT_SAMPLES"] = args.cuts
        tests.append("tests/scale/test_cuts.py")
    # the CI settings are derandomized; a long run wants new inputs each time
    cmd = [sys.executable, "-m", "pytest", *tests, "-q", "-p", "no:cacheprovider",
           f"--hypothesis-seed={seed}", "-o", "addopts="]
    if args.keyword:
        cmd += ["-k", args.keyword]
    print(f"fuzzing with {args.examples} inputs per reader, hypothesis seed {seed}; "
          f"failing inputs go to {args.failures}", flush=True)
    t = time.perf_counter()
    code = subprocess.call(cmd, cwd=ROOT, env=env)
    print(f"done in {time.perf_counter() - t:.0f} s (exit {code})")
    return code


if __name__ == "__main__":
    sys.exit(main())
