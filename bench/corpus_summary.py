"""Summarise a labelled corpus: truth counts (``not_converged`` included), splits, families, time.

Usage::

    python bench/corpus_summary.py [--corpus DIR] [--families]

Reads every ``DIR/<run>/ground_truth.json`` (and ``DIR/manifest.json`` for the sweep's
elapsed time and device) and prints: runs; truth counts per label, with ``not_converged``
for runs that fit no rule, overall and per split (docs/results/heldout_protocol.md); the
reasons of ``not_converged`` runs; which labels are independent of the logs and which partly
in them; log formats; training seconds per run (the batched group's wall time divided by its
runs, from ``ground_truth.json`` ``train_seconds``) and the sweep's elapsed time per run
(training, labelling and writing). Truth only: nothing here runs a detector, so it may be run
on held-out runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reference_trainer.split import split_of  # noqa: E402

TRUTHS = ("converged", "oscillating", "mode_collapse", "vanishing_gradients", "diverged", "d_overfitting",
          "not_converged")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=str(ROOT / "fixtures" / "labelled"))
    ap.add_argument("--families", action="store_true", help="also print truth counts per family")
    args = ap.parse_args(argv)
    corpus = Path(args.corpus)
    gts = [json.loads(p.read_text()) for p in sorted(corpus.glob("*/ground_truth.json"))]
    if not gts:
        print(f"error: {corpus}: no run directory with a ground_truth.json", file=sys.stderr)
        return 2
    man = {}
    if (corpus / "manifest.json").exists():
        man = json.loads((corpus / "manifest.json").read_text())
    total, per_split, per_family = Counter(), defaultdict(Counter), defaultdict(Counter)
    reasons, sources, formats, scen = Counter(), Counter(), Counter(), defaultdict(Counter)
    secs = []
    for gt in gts:
        split = gt.get("split") or split_of(gt)[0]
        truth = gt["labels"] or ["not_converged"]
        per_split[split]["runs"] += 1
        for t in truth:
            total[t] += 1
            per_split[split][t] += 1
            per_family[gt["family"]][t] += 1
            scen[gt["scenario"]][t] += 1
        if not gt["labels"]:
            reasons[gt.get("not_converged_reason") or "?"] += 1
        for lab, src in (gt.get("truth_sources") or {}).items():
            sources[f"{lab}: {src}"] += 1
        formats[(gt.get("log") or {}).get("format")] += 1
        if gt.get("train_seconds") is not None:
            secs.append(float(gt["train_seconds"]))
    n = len(gts)
    print(f"corpus {corpus}: {n} runs; device {man.get('device', '?')}; torch {man.get('torch_version', '?')}; "
          f"planned {man.get('runs_planned', '?')}")
    print("truth counts (a run may carry several failure labels; not_converged = fits no rule, a negative "
          "for every label):")
    print("  " + ", ".join(f"{t} {total.get(t, 0)}" for t in TRUTHS))
    for split, c in sorted(per_split.items()):
        print(f"  {split:9s} {c['runs']:4d} runs: " + ", ".join(f"{t} {c.get(t, 0)}" for t in TRUTHS))
    print("not_converged reasons: " + ", ".join(f"{k} {v}" for k, v in reasons.most_common()))
    print("truth sources: " + ", ".join(f"{k} {v}" for k, v in sorted(sources.items())))
    print("formats: " + ", ".join(f"{k} {v}" for k, v in formats.most_common()))
    if secs:
        s = np.asarray(secs)
        print(f"training seconds per run (batched; group wall time / runs): median {np.median(s):.2f}, "
              f"mean {s.mean():.2f}, max {s.max():.2f}")
    if man.get("elapsed_s"):
        print(f"sweep elapsed {man['elapsed_s']:.0f} s for {n} runs: {man['elapsed_s'] / n:.2f} s per run "
              f"(training, labelling and writing, one torch thread, shared CPU)")
    print("per scenario: " + "; ".join(f"{k} " + ",".join(f"{t}={v}" for t, v in sorted(c.items()))
                                       for k, c in sorted(scen.items())))
    if args.families:
        for fam, c in sorted(per_family.items()):
            split = split_of({"family": fam, "config": {}})[0]
            print(f"  {fam:28s} " + ", ".join(f"{t} {v}" for t, v in sorted(c.items())) + f"   [{split} by family]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
