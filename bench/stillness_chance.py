"""How much "stillness" a loss shows by chance: the source of ``STILLNESS_CHANCE``.

``ganlogs.detectors.runstats.loss_shape`` reads how many orders of magnitude the jitter of a
loss's last tenth lies below that of its liveliest tenth. On a short log each jitter is a
median of few second differences, and the liveliest tenth is a maximum of nine of them, so a
series with no change of regime shows some stillness by chance alone. This script draws
``--draws`` series of each length and each process with no change of regime (white noise, a
random walk, AR(1) with phi 0.9, EMA-smoothed noise as TensorBoard shows it with 0.6, 0.9 and
0.99, a falling trend in noise) and prints the 99th percentile of the raw stillness (without
the chance correction) and that percentile times sqrt(m), m the number of second differences
in the tail: the constant that ``STILLNESS_CHANCE`` rounds.

Usage::

    python bench/stillness_chance.py [--draws 1000] [--seed 0]
"""

from __future__ import annotations

import argparse
import math

import numpy as np
from scipy.signal import lfilter

from ganlogs.detectors import runstats


def raw_stillness(v: np.ndarray) -> float:
    """The stillness of ``v`` before the chance correction (``runstats.stillness_parts``)."""
    raw, _ = runstats.stillness_parts(np.asarray(v, dtype=float))
    return min(raw, runstats.STILLNESS_CAP)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)

    def ema(n, a):
        return lfilter([1 - a], [1, -a], rng.normal(size=n))

    processes = {
        "white": lambda n: rng.normal(size=n),
        "random walk": lambda n: np.cumsum(rng.normal(size=n)),
        "AR(1) 0.9": lambda n: lfilter([1], [1, -0.9], rng.normal(size=n)),
        "EMA 0.6": lambda n: ema(n, 0.6),
        "EMA 0.9": lambda n: ema(n, 0.9),
        "EMA 0.99": lambda n: ema(n, 0.99),
        "trend + noise": lambda n: np.linspace(3, 0, n) + 0.3 * rng.normal(size=n),
    }
    print(f"99th percentile of raw stillness (orders) / times sqrt(m); {args.draws} draws each")
    print(f"{'points':>7} {'m':>4}  " + "  ".join(f"{k:>15}" for k in processes))
    worst = 0.0
    for n in (50, 60, 80, 100, 150, 200, 300, 500, 1000, 2000):
        m = runstats.shape_tail_length(n) - 2
        cells = []
        for make in processes.values():
            q = float(np.percentile([raw_stillness(make(n)) for _ in range(args.draws)], 99))
            worst = max(worst, q * math.sqrt(m))
            cells.append(f"{q:6.2f} / {q * math.sqrt(m):4.1f}")
        print(f"{n:>7} {m:>4}  " + "  ".join(f"{c:>15}" for c in cells))
    print(f"largest 99th percentile x sqrt(m): {worst:.2f}; STILLNESS_CHANCE = "
          f"{runstats.STILLNESS_CHANCE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
