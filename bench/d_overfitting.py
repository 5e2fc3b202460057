"""Precision and recall of ``d_overfitting`` on labelled runs of the reference trainer.

Usage::

    python bench/d_overfitting.py --corpus DIR [DIR ...] [--split held_out|tuning|all]

Truth is the run's ``ground_truth.json`` ``labels``: ``reference_trainer`` labels a run of its
small-data target ``d_overfitting`` from D's accuracy on held-out reals it never trained on
(``reference_trainer/labels.py``), which the logs do not contain. The split is
:func:`reference_trainer.split.split_of` (docs/results/heldout_protocol.md). Only runs that
log a signal the detector reads (r_t ``Loss/signs/real``, a held-out D(x) or a validation D
loss) can be found; the others are counted apart as "no signal logged" (a positive among them
is a miss). Printed: counts, precision, recall, F1, and the median onset error in steps.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ganlogs.analysis import analyze_run  # noqa: E402
from ganlogs.readers import discover, load  # noqa: E402
from reference_trainer.split import split_of  # noqa: E402

LABEL = "d_overfitting"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, nargs="+", required=True)
    ap.add_argument("--split", choices=("held_out", "tuning", "all"), default="held_out")
    args = ap.parse_args()
    dirs = sorted(p.parent for c in args.corpus for p in c.glob("*/ground_truth.json"))
    tp = fp = fn = tn = no_signal = 0
    onset_errors: list[int] = []
    for run_dir in dirs:
        gt = json.loads((run_dir / "ground_truth.json").read_text())
        if args.split != "all" and split_of(gt)[0] != args.split:
            continue
        truth = LABEL in (gt.get("labels") or [])
        found = discover(run_dir)
        if len(found.sources) != 1:
            continue
        (run,) = load(found.sources[0])
        res = analyze_run(run)
        roles = res.roles
        signal = roles is not None and any(
            r in p.tags for _, p in roles.pair_items() for r in ("d_sign_real", "d_x_val",
                                                                "d_loss_val"))
        no_signal += not signal
        got = LABEL in res.labels
        tp += truth and got
        fp += got and not truth
        fn += truth and not got
        tn += not truth and not got
        if truth and got:
            f = next(f for f in res.findings if f.label == LABEL)
            want = (gt.get("onset_step") or {}).get(LABEL)
            if f.onset_step is not None and want is not None:
                onset_errors.append(abs(int(f.onset_step) - int(want)))
    n = tp + fp + fn + tn
    p = tp / (tp + fp) if tp + fp else float("nan")
    r = tp / (tp + fn) if tp + fn else float("nan")
    f1 = 2 * p * r / (p + r) if tp else 0.0
    print(f"{args.split} runs: {n} ({tp + fn} labelled {LABEL}; {no_signal} log no signal "
          "the detector reads)")
    print(f"TP {tp}  FP {fp}  FN {fn}  TN {tn}")
    print(f"precision {p:.3f}  recall {r:.3f}  F1 {f1:.3f}")
    if onset_errors:
        onset_errors.sort()
        print(f"median onset error {onset_errors[len(onset_errors) // 2]} steps "
              f"({len(onset_errors)} found runs with a truth onset)")
    return 0 if n else 2


if __name__ == "__main__":
    sys.exit(main())
