"""Replay labelled runs point by point through the live judge: how early, how honest.

Usage::

    python bench/watch_replay.py                          # fixtures/labelled
    python bench/watch_replay.py --corpus /work/corpus/v2 # any directory of labelled runs
    python bench/watch_replay.py --confirm 1              # without hysteresis, to compare
    python bench/watch_replay.py --corpus DIR --held-out-only  # replay held-out runs only

Each run (a directory with ``ground_truth.json`` as ``python -m reference_trainer sweep``
writes it) is read whole, then fed to a :class:`ganlogs.live.LiveJudge` step by step in step
order (every tag's point at a step arrives together), re-judged whenever the live policy
says so (``cost_factor=0``: the schedule depends on points only, not on this machine's
speed). Printed for the held-out runs (``reference_trainer.split``: the split of issue 10) and for
all runs:

* detection delay per true failure label: steps from the truth's onset to the first time
  the label is raised, as % of the run's length (last step); median and 90th percentile
  over the runs that carry the label, and the runs where it was never raised (missed);
  a negative delay is an alert before the truth's onset;
* alerts on runs that end healthy (truth has no failure label: converged, or still
  training): the share of such runs on which any failure label was raised at any point of
  the replay, and how many of those the whole-run analysis also labels (offline); then the
  same share apart for the runs whose truth is ``converged`` and for those still training
  (blurry, still improving, poor at a stalemate);
* label flips per run: a raised label that clears, or appears again after clearing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ganlogs  # noqa: E402
from ganlogs.live import LiveJudge, LivePolicy  # noqa: E402
from ganlogs.live.rows import RowStore  # noqa: E402
from reference_trainer.split import split_of  # noqa: E402

FAILURES = ("oscillating", "mode_collapse", "vanishing_gradients", "diverged", "d_overfitting")


@dataclass
class Replay:
    run_id: str
    family: str
    split: str | None  # "held_out" / "tuning" when the ground truth says so
    truth: list[str]
    onsets: dict[str, int]
    last_step: int
    first_raised: dict[str, int] = field(default_factory=dict)
    flips: int = 0
    judgements: int = 0
    final: list[str] = field(default_factory=list)
    offline: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: per judgement: (points, last step, {label: (confidence, onset step)}) of every finding
    trace: list = field(default_factory=list)


def truth_onsets(gt: dict) -> dict[str, int]:
    """Onset of each true label in the log's own step unit (generator iterations, or the
    epoch index when the log averages ``log_every`` iterations per row)."""
    onsets = {k: int(v) for k, v in (gt.get("onset_step") or {}).items() if v is not None}
    m = gt.get("measures", {})
    if "diverged" in gt["labels"] and "diverged" not in onsets:
        cands = [m.get("first_nonfinite_step"), m.get("blowup_step")]
        cands = [int(c) for c in cands if c is not None]
        if cands:
            onsets["diverged"] = min(cands)
    log = gt.get("log") or {}
    if log.get("unit") == "epoch" and log.get("log_every"):
        onsets = {k: v // int(log["log_every"]) for k, v in onsets.items()}
    return onsets


def replay(run_dir: Path, policy: LivePolicy) -> Replay | None:
    gt = json.loads((run_dir / "ground_truth.json").read_text())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = ganlogs.discover(run_dir)
        runs = [r for s in found.sources for r in ganlogs.load(s)]
    if len(runs) != 1:
        return None
    run = runs[0]
    view = run.view()  # rows the detectors read, sorted by tag, step
    order = np.argsort(view["step"].to_numpy(), kind="stable")
    tags = [str(t) for t in view["tag"].cat.categories]
    codes = view["tag"].cat.codes.to_numpy()[order]
    steps = view["step"].to_numpy()[order]
    values = view["value"].to_numpy()[order]
    bounds = np.flatnonzero(np.r_[True, steps[1:] != steps[:-1], True])
    rep = Replay(run_dir.name, gt.get("family", "?"), gt.get("split") or split_of(gt)[0],
                 list(gt["labels"]),
                 truth_onsets(gt),
                 int(steps[-1]) if len(steps) else 0)
    judge = LiveJudge(run_dir.name, policy=policy)
    store = RowStore()
    cleared: set[str] = set()
    t0 = time.perf_counter()
    for a, b in zip(bounds[:-1], bounds[1:]):
        store.append(tags, codes[a:b], steps[a:b], values[a:b])
        if not judge.due(store.points, len(store.tags), alarm=store.alarm):
            continue
        store.take_alarm()
        verdict = judge.judge(store.run(run_id=run_dir.name, path=run_dir, format="replay"))
        found: dict[str, tuple[float, int | None]] = {}
        for f in judge.last_result_.findings:
            if f.confidence > found.get(f.label, (-1.0, None))[0]:
                found[f.label] = (round(f.confidence, 4), f.onset_step)
        rep.trace.append((store.points, verdict.last_step, found))
        for e in verdict.events:
            if e.kind == "appeared":
                rep.first_raised.setdefault(e.label, int(e.last_step))
                if e.label in cleared:
                    rep.flips += 1
            elif e.kind == "cleared":
                rep.flips += 1
                cleared.add(e.label)
    rep.seconds = time.perf_counter() - t0
    rep.judgements = judge.judgements_
    rep.final = list(judge.verdict_.labels) if judge.verdict_ else []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep.offline = list(ganlogs.analyze_run(run).labels)
    return rep


def pct(xs: list[float], q: float) -> float:
    return float(np.percentile(xs, q)) if xs else float("nan")


def report(name: str, reps: list[Replay]) -> None:
    print(f"\n== {name}: {len(reps)} runs")
    if not reps:
        return
    print(f"{'label':22s} {'runs':>4s} {'raised':>6s} {'median delay':>13s} "
          f"{'p90 delay':>10s} {'missed':>6s} {'offline':>8s}   (delay: % of the run's "
          "steps; offline: missed by the whole-run analysis too)")
    for label in FAILURES:
        with_label = [r for r in reps if label in r.truth]
        if not with_label:
            continue
        delays = [100.0 * (r.first_raised[label] - r.onsets.get(label, 0)) / max(1, r.last_step)
                  for r in with_label if label in r.first_raised]
        missed = [r for r in with_label if label not in r.first_raised]
        offline = sum(1 for r in missed if label not in r.offline)
        print(f"{label:22s} {len(with_label):4d} {len(delays):6d} "
              f"{statistics.median(delays) if delays else float('nan'):12.2f}% "
              f"{pct(delays, 90):9.2f}% {len(missed):6d} {offline:8d}")
    healthy = [r for r in reps if not set(r.truth) & set(FAILURES)]
    alerted = [r for r in healthy if set(r.first_raised) & set(FAILURES)]
    offline = [r for r in healthy if set(r.offline) & set(FAILURES)]
    print(f"healthy runs (no failure in truth): {len(healthy)}; alerted at some point: "
          f"{len(alerted)} ({100.0 * len(alerted) / max(1, len(healthy)):.1f}%; whole-run "
          f"analysis: {len(offline)})"
          + (": " + ", ".join(
              f"{r.run_id} ({'/'.join(sorted(set(r.first_raised) & set(FAILURES)))})"
              for r in alerted) if alerted else ""))
    for name, keep in (("converged in truth", lambda r: "converged" in r.truth),
                       ("still training in truth", lambda r: "converged" not in r.truth)):
        part = [r for r in healthy if keep(r)]
        hit = [r for r in alerted if keep(r)]
        print(f"  of which {name}: {len(part)}; alerted: {len(hit)} "
              f"({100.0 * len(hit) / max(1, len(part)):.1f}%)")
    flips = [r.flips for r in reps]
    print(f"label flips per run: mean {np.mean(flips):.2f}, max {max(flips)}, "
          f"runs with any flip {sum(1 for f in flips if f)}")
    judg = [r.judgements for r in reps]
    print(f"judgements per run: median {statistics.median(judg):.0f}; replay time "
          f"{sum(r.seconds for r in reps):.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=ROOT / "fixtures" / "labelled")
    ap.add_argument("--confirm", type=int, default=LivePolicy().confirm)
    ap.add_argument("--min-new-points", type=int, default=LivePolicy().min_new_points)
    ap.add_argument("--growth", type=float, default=LivePolicy().growth)
    ap.add_argument("--min-evidence", type=float, default=LivePolicy().min_evidence)
    ap.add_argument("--warmup-points", type=int, default=LivePolicy().warmup_points)
    ap.add_argument("--confidence-margin", type=float, default=LivePolicy().confidence_margin)
    ap.add_argument("--tuning", action="store_true",
                    help="say in the output that the corpus is a tuning corpus (its runs "
                         "chose the policy): figures on it are not held-out figures")
    ap.add_argument("--limit", type=int, default=None, help="replay at most this many runs")
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per run")
    ap.add_argument("--trace", type=Path, default=None,
                    help="write every judgement's findings per run (JSON lines) to this file")
    ap.add_argument("--held-out-only", action="store_true",
                    help="replay only runs whose ground_truth.json says split: held_out")
    args = ap.parse_args()
    policy = LivePolicy(confirm=args.confirm, min_new_points=args.min_new_points,
                        growth=args.growth, min_evidence=args.min_evidence,
                        warmup_points=args.warmup_points,
                        confidence_margin=args.confidence_margin, cost_factor=0.0)
    dirs = sorted(p.parent for p in args.corpus.glob("*/ground_truth.json"))
    if args.held_out_only:
        dirs = [d for d in dirs if split_of(json.loads((d / "ground_truth.json").read_text()))[0]
                == "held_out"]
    dirs = dirs[:args.limit]
    print(f"corpus {args.corpus}"
          + (" (TUNING corpus: the live policy was chosen on these runs)" if args.tuning
             else "") + f": {len(dirs)} labelled runs replayed; policy {policy}")
    reps = []
    for d in dirs:
        rep = replay(d, policy)
        if rep is not None:
            reps.append(rep)
            if args.verbose:
                print(f"  {rep.run_id:34s} truth {'/'.join(rep.truth):28s} onsets {rep.onsets} "
                      f"first raised {rep.first_raised} last step {rep.last_step} "
                      f"flips {rep.flips} final {rep.final} offline {rep.offline}")
    if args.trace is not None:
        with open(args.trace, "w") as fh:
            for r in reps:
                fh.write(json.dumps({"run": r.run_id, "truth": r.truth, "onsets": r.onsets,
                                     "last_step": r.last_step, "offline": r.offline,
                                     "first_raised": r.first_raised, "trace": r.trace}) + "\n")
    report("held-out runs (reference_trainer.split, or the split in ground_truth.json)",
           [r for r in reps if r.split == "held_out"])
    report("all runs", reps)


if __name__ == "__main__":
    main()
