"""Cost of ``ganlogs.Monitor.log`` per training step, beside the training step itself.

Usage::

    python bench/watch_monitor_cost.py               # 3,000 toy GAN steps, 100,000 log calls

1. A toy GAN on the CPU (torch; MLPs 2 -> 128 -> 128 -> 2 and 2 -> 128 -> 128 -> 1, batch 128,
   Adam, one D and one G step per iteration) runs ``--steps`` iterations twice: without a
   monitor, and with ``monitor.log(step, d_loss=..., g_loss=..., d_x=..., d_gz=...)`` every
   iteration. Both loops turn the four values into Python floats (what any logger does), so
   the difference is the monitor's own cost. Printed: CPU ms per step for each (process
   time, so that other work on a shared machine counts less), the overhead.
2. ``Monitor.log`` alone, ``--calls`` times with synthetic values, under the default policy
   (judgements paced by the judge's own duration) and under ``cost_factor=0`` (judgements
   paced by points only: every 10 new points per series and 5% growth): microseconds per
   call amortised over every judgement, and the number of judgements.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ganlogs  # noqa: E402
from ganlogs.live import LivePolicy  # noqa: E402


def toy_loop(steps: int, monitor: ganlogs.Monitor | None) -> float:
    import torch

    torch.manual_seed(0)
    G = torch.nn.Sequential(torch.nn.Linear(2, 128), torch.nn.ReLU(), torch.nn.Linear(128, 128),
                            torch.nn.ReLU(), torch.nn.Linear(128, 2))
    D = torch.nn.Sequential(torch.nn.Linear(2, 128), torch.nn.ReLU(), torch.nn.Linear(128, 128),
                            torch.nn.ReLU(), torch.nn.Linear(128, 1))
    opt_g = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
    bce = torch.nn.BCEWithLogitsLoss()
    ones, zeros = torch.ones(128, 1), torch.zeros(128, 1)
    t0 = time.process_time()  # CPU time: less sensitive than wall time to a shared machine
    for step in range(steps):
        real = torch.randn(128, 2) * 0.2 + torch.tensor([2.0, 2.0])
        fake = G(torch.randn(128, 2))
        d_real, d_fake = D(real), D(fake.detach())
        d_loss = bce(d_real, ones) + bce(d_fake, zeros)
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        g_loss = bce(D(fake), ones)
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        vals = (float(d_loss), float(g_loss), float(torch.sigmoid(d_real).mean()),
                float(torch.sigmoid(d_fake).mean()))
        if monitor is not None:
            monitor.log(step, d_loss=vals[0], g_loss=vals[1], d_x=vals[2], d_gz=vals[3])
    return (time.process_time() - t0) / steps


def log_only(calls: int, policy: LivePolicy) -> tuple[float, int, float]:
    rng = np.random.default_rng(0)
    vals = 1.0 + 0.05 * rng.standard_normal((calls, 4))
    m = ganlogs.Monitor(policy=policy)
    m.log(0, d_loss=1.0, g_loss=1.0)
    m.judge()  # the detectors' one-off imports are not part of a step's cost
    t0 = time.process_time()
    for i in range(1, calls):
        v = vals[i]
        m.log(i, d_loss=v[0], g_loss=v[1], d_x=v[2], d_gz=v[3])
    total = time.process_time() - t0
    return total / (calls - 1), m._judge.judgements_, m.judge_seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--calls", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    torch_ok = True
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch_ok = False
    if torch_ok:
        warm = ganlogs.Monitor()
        warm.log(0, d_loss=1.0, g_loss=1.0)
        warm.judge()  # imports
        # alternate the two loops and keep each one's best: the machine may be shared
        runs = {"without": [], "with": []}
        for _ in range(args.repeats):
            runs["without"].append(toy_loop(args.steps, None))
            runs["with"].append(toy_loop(args.steps, ganlogs.Monitor()))
        base, with_monitor = min(runs["without"]), min(runs["with"])
        print(f"toy GAN step (torch CPU, 1 thread, batch 128, MLP 128x2): {1e3 * base:.3f} CPU ms "
              f"without a monitor, {1e3 * with_monitor:.3f} ms with monitor.log every step: "
              f"overhead {100.0 * (with_monitor - base) / base:+.1f}% "
              f"({args.steps} steps; best of {args.repeats} alternated runs each)")
    else:
        print("torch is not installed: toy training step not measured")
    import os

    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    for name, policy in (("default policy", LivePolicy()),
                         ("cost_factor=0", LivePolicy(cost_factor=0.0))):
        per, n, secs = log_only(args.calls, policy)
        ratio = f", {100.0 * per / base:.2f}% of the toy step" if torch_ok else ""
        print(f"Monitor.log alone, {args.calls:,} calls x 4 values, {name}: "
              f"{1e6 * per:.1f} CPU us per call amortised{ratio} ({n} judgements, "
              f"{secs:.2f} s judging)")


if __name__ == "__main__":
    main()
