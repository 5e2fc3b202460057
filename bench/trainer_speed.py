"""Labelled runs per minute: batched reference trainer vs one run at a time.

Trains the same ``--runs`` runs (2-D ring of 8 Gaussians, non-saturating loss,
Adam, varied seeds and learning rates) twice on the same device in one
invocation: once as a single batched group (stacked weights, ``torch.baddbmm``)
and once one run at a time (the same code with a group of one), labels every run
from its measurements both times, and prints runs per minute, the ratio and the
device. Defaults finish in a few minutes on a 2-core CPU; ``--runs 256 --steps
3000 --device cuda`` is the GPU-sized comparison.

Usage::

    python bench/trainer_speed.py [--runs 16] [--steps 600] [--device cpu|cuda] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=16)
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--threads", type=int, default=int(os.environ.get("REFERENCE_TRAINER_THREADS", "1")))
    p.add_argument("--json", action="store_true", help="print one JSON line instead of text")
    a = p.parse_args(argv)
    if a.runs < 1 or a.steps < 8:
        p.error("--runs must be >= 1 and --steps >= 8")

    import torch

    from reference_trainer.labels import label_run
    from reference_trainer.scenarios import _DEFAULTS
    from reference_trainer.train import train_group

    torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)
    cfgs = []
    for i in range(a.runs):
        c = dict(_DEFAULTS)
        c.update(target="ring8", steps=a.steps, seed=1000 + i, lr_g=(5e-4, 1e-3)[i % 2], lr_d=(5e-4, 1e-3)[i % 2],
                 probe_every=max(1, a.steps // 200), eval_every=max(1, a.steps // 20), d_loss_reduction="summed")
        cfgs.append(c)

    train_group(cfgs[:2], device=a.device)  # warm-up (allocator, lazy imports)
    t = time.perf_counter()
    labels_b = [label_run(tr).labels for tr in train_group(cfgs, device=a.device)]
    batched = time.perf_counter() - t
    t = time.perf_counter()
    labels_s = [label_run(train_group([c], device=a.device)[0]).labels for c in cfgs]
    single = time.perf_counter() - t
    device = "cpu" if a.device == "cpu" else torch.cuda.get_device_name(0)
    res = {
        "runs": a.runs, "steps": a.steps, "device": device, "threads": a.threads,
        "cpu": platform.processor() or platform.machine(), "torch": torch.__version__,
        "batched_s": round(batched, 2), "sequential_s": round(single, 2),
        "batched_runs_per_min": round(a.runs / batched * 60, 2),
        "sequential_runs_per_min": round(a.runs / single * 60, 2),
        "ratio": round(single / batched, 2),
        "same_labels": sum(x == y for x, y in zip(labels_b, labels_s)),
    }
    if a.json:
        print(json.dumps(res))
    else:
        print(f"device: {device} ({a.threads} thread(s)), torch {torch.__version__}")
        print(f"{a.runs} runs x {a.steps} steps (ring8, bce_nonsaturating, Adam), training + labelling")
        print(f"batched   : {res['batched_s']:8.2f} s  {res['batched_runs_per_min']:8.2f} labelled runs/min")
        print(f"sequential: {res['sequential_s']:8.2f} s  {res['sequential_runs_per_min']:8.2f} labelled runs/min")
        print(f"ratio batched/sequential: {res['ratio']:.2f}x  (labels identical for {res['same_labels']}/{a.runs})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
