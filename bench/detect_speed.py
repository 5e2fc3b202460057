"""Detection speed: one 100,000-step run analysed with every default detector.

Usage::

    python bench/detect_speed.py [--steps 100000] [--repeat 7]

The run logs d_loss, g_loss, d_x, d_gz and both gradient norms at every step (600,000
rows). Printed: the best of N wall-clock times of every default detector on the run
(:func:`ganlogs.analysis.run_findings`) on a fresh :class:`RunContext` (statistics are cached per context, so each
repeat recomputes them), first with the detector views (``Run.series``) already
materialised, as ``ganlogs analyze`` has them after role inference, then including
building the views from the tidy frame; and the ratio to the 100 ms target. Not a timed
test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ganlogs.analysis import Settings, build_context, run_findings  # noqa: E402
from ganlogs.detectors import RunContext, default_detectors  # noqa: E402
from ganlogs.run import Run  # noqa: E402

TARGET_S = 0.100


def make_run(steps: int, seed: int = 0) -> Run:
    rng = np.random.default_rng(seed)
    t = np.arange(steps)
    osc = np.sin(2 * np.pi * t / 5000)
    dx = np.clip(0.6 + 0.1 * osc + 0.05 * rng.normal(size=steps), 0, 1)
    dgz = np.clip(0.4 - 0.1 * osc + 0.05 * rng.normal(size=steps), 0, 1)
    cols = {
        "Loss/D": -np.log(dx) - np.log(1 - dgz),
        "Loss/G": -np.log(np.clip(dgz, 1e-6, 1)),
        "D(x)": dx, "D(G(z))": dgz,
        "grad_norm/G": np.exp(rng.normal(size=steps)),
        "grad_norm/D": np.exp(rng.normal(size=steps)),
    }
    frame = pd.concat([pd.DataFrame({"tag": k, "step": t, "value": v}) for k, v in cols.items()],
                      ignore_index=True)
    return Run.from_frame(frame, run_id="speed", path="speed", format="synthetic")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args(argv)
    run = make_run(args.steps)
    ctx0 = build_context(run, Settings())  # materialises the views, resolves roles
    detectors = default_detectors()

    def once(clear_views: bool) -> tuple[float, list]:
        # a fresh Run over the same frame has no detector views built yet
        r = Run(run.scalars, run.meta) if clear_views else run
        t0 = time.perf_counter()
        ctx = RunContext(run=r, roles=ctx0.roles, loss_family=ctx0.loss_family)
        found = run_findings(ctx, detectors)
        return time.perf_counter() - t0, found

    once(False)  # warm imports
    warm = min(once(False)[0] for _ in range(args.repeat))
    cold = min(once(True)[0] for _ in range(args.repeat))
    _, found = once(False)
    print(f"run: {args.steps:,} steps x {len(run.tags)} tags = {len(run.scalars):,} rows; "
          f"{len(detectors)} detectors; best of {args.repeat}")
    print(f"detectors, views ready:      {warm * 1e3:8.1f} ms   ratio to 100 ms target: "
          f"{warm / TARGET_S:.2f}")
    print(f"detectors + building views:  {cold * 1e3:8.1f} ms   ratio to 100 ms target: "
          f"{cold / TARGET_S:.2f}")
    print("labels: " + ", ".join(f"{f.label} {f.confidence:.2f}" for f in found
                                 if f.confidence >= 0.5) or "-")
    return 0


if __name__ == "__main__":
    sys.exit(main())
