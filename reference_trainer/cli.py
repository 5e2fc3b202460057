"""Command line: ``python -m reference_trainer sweep --out DIR --size small|full|v2|v3|v4|v5|v6|v7|v8|v9|v10``."""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m reference_trainer",
                                description="Train labelled reference GAN runs with measured ground truth.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sweep", help="train, label and write a sweep of runs (resumable)")
    s.add_argument("--out", required=True, help="output directory")
    s.add_argument("--size", choices=("small", "full", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10"), default="small")
    s.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    s.add_argument("--resume", action="store_true", help="skip runs whose ground_truth.json exists")
    s.add_argument("--only", nargs="*", default=None, help="train only these run ids")
    ls = sub.add_parser("list", help="list the run ids of a sweep size")
    ls.add_argument("--size", choices=("small", "full", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10"), default="small")
    args = p.parse_args(argv)
    if args.command == "list":
        from reference_trainer.sweep import specs_for

        for spec in specs_for(args.size):
            print(spec["run_id"], spec["intended_label"], spec["family"])
        return 0
    from reference_trainer.sweep import run_sweep

    try:
        m = run_sweep(args.out, size=args.size, device=args.device, resume=args.resume, only=args.only,
                      log=lambda msg: print(msg, flush=True))
    except (FileExistsError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"done: {m['n_runs']} runs; truth counts {m['counts_per_label']}")
    return 0
