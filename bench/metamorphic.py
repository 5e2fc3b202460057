"""Metamorphic test suite: do ganlogs' labels survive changes that leave the dynamics alone?

Usage::

    python bench/metamorphic.py                              # fixtures/labelled/, tuning split
    python bench/metamorphic.py --corpus /work/corpus/v2     # the v2 corpus, tuning split
    python bench/metamorphic.py --runs 'ring8_*' --transforms loss_x10 every4
    python bench/metamorphic.py --split held_out --allow-held-out   # only once detectors are frozen

For every run of a labelled corpus (directories holding logs and a ``ground_truth.json`` as
written by ``python -m reference_trainer sweep``), the logs are read with ``ganlogs.read``,
each transform of :mod:`logtransforms` is applied to the run's points, the result is rebuilt
with ``ganlogs.Run.from_frame`` and analysed with ``ganlogs.analyze_run`` (the public API
only). Printed per transform:

* ``runs``: runs the transform applies to (decimation: logs of >= 400 points per tag);
* ``unchanged``: the share of those runs whose label set (labels at the default threshold) is
  the same as on the untransformed logs -- the metamorphic agreement of issue 10;
* ``new label``: runs that gain a label the untransformed logs did not get -- what issue 10
  calls the failure ("where an offset leaves the family ambiguous, the family is unknown and
  confidence drops; a different confident label is the failure"); a run that only loses a
  label (a finding that drops below the threshold) is changed but not counted here;
* ``truth match``: the share whose label set equals the truth exactly (``not_converged``
  truth = no label), untransformed and transformed, as a reference.

The split follows ``docs/results/heldout_protocol.md`` (``ground_truth.json`` ``split``, or
``reference_trainer.split.split_of`` for corpora written before it). The default is the
tuning split. Held-out figures are printed only with ``--allow-held-out``, which the
protocol allows once the detectors are frozen.

By default the loss family is inferred, as the issue's invariance asks ("when the family is
not stated"); ``--state-family`` passes the corpus's family and D-loss reduction instead.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import ganlogs  # noqa: E402
from logtransforms import TRANSFORMS, applies, transform  # noqa: E402
from reference_trainer.split import split_of  # noqa: E402

FRAME_COLUMNS = ("tag", "step", "value", "wall_time", "source")


def corpus_runs(corpus: Path) -> list[Path]:
    """Run directories of a corpus (those holding a ``ground_truth.json``), sorted."""
    return sorted(p.parent for p in Path(corpus).glob("*/ground_truth.json"))


def read_truth(run_dir: Path) -> dict:
    gt = json.loads((run_dir / "ground_truth.json").read_text())
    if not gt.get("split"):
        gt["split"], gt["split_reason"] = split_of(gt)
    return gt


def load_run(run_dir: Path) -> "ganlogs.Run":
    """The run's logs through ``ganlogs.read`` (the truth file is not a log)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ganlogs.read(run_dir)


def frame_of(run: "ganlogs.Run"):
    """Every point read, in read order (superseded ones too: ``Run.from_frame`` re-flags them)."""
    return run.scalars[list(FRAME_COLUMNS)].copy()


def rebuild(run: "ganlogs.Run", frame) -> "ganlogs.Run":
    """A Run from transformed points, with the original run's identity and reader notes."""
    return ganlogs.Run.from_frame(frame.reset_index(drop=True), run_id=run.meta.run_id, path=run.meta.path,
                                  format=run.meta.format, writer=run.meta.writer, hparams=run.meta.hparams,
                                  notes=run.meta.notes)


def settings_for(gt: dict, state_family: bool) -> "ganlogs.Settings":
    if not state_family:
        return ganlogs.Settings()
    log = gt.get("log") or {}
    return ganlogs.Settings(loss_family=log.get("loss_family"), d_loss_reduction=log.get("d_loss_reduction"))


def labels_of(run: "ganlogs.Run", settings: "ganlogs.Settings") -> frozenset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return frozenset(ganlogs.analyze_run(run, settings=settings).labels)


def truth_of(gt: dict) -> frozenset:
    return frozenset(gt.get("labels") or [])


def select(runs: list[Path], patterns: list[str] | None, split: str) -> list[tuple[Path, dict]]:
    out = []
    for p in runs:
        if patterns and not any(fnmatch.fnmatch(p.name, pat) for pat in patterns):
            continue
        gt = read_truth(p)
        if split != "all" and gt["split"] != split:
            continue
        out.append((p, gt))
    return out


def measure(items: list[tuple[Path, dict]], names: list[str], *, state_family: bool = False,
            show_changes: bool = False, log=print) -> dict:
    """Agreement per transform; returns ``{name: {runs, unchanged, truth_base, truth_after,
    changed: [run ids]}}`` and ``_base`` with the untransformed truth match."""
    res = {n: {"runs": 0, "unchanged": 0, "new_label": 0, "truth_base": 0, "truth_after": 0, "changed": []}
           for n in names}
    base_match = 0
    for run_dir, gt in items:
        run = load_run(run_dir)
        settings = settings_for(gt, state_family)
        tags = dict((gt.get("log") or {}).get("tags") or {})
        frame = frame_of(run)
        base = labels_of(rebuild(run, frame), settings)
        truth = truth_of(gt)
        base_match += base == truth
        for n in names:
            if not applies(n, frame, tags):
                continue
            after = labels_of(rebuild(run, transform(n, frame, tags)), settings)
            r = res[n]
            r["runs"] += 1
            r["unchanged"] += after == base
            r["new_label"] += bool(after - base)
            r["truth_base"] += base == truth
            r["truth_after"] += after == truth
            if after != base:
                r["changed"].append({"run": run_dir.name, "before": sorted(base), "after": sorted(after),
                                     "truth": sorted(truth)})
                if show_changes:
                    log(f"  {n:12s} {run_dir.name:36s} {','.join(sorted(base)) or '-':30s} -> "
                        f"{','.join(sorted(after)) or '-'}   (truth {','.join(sorted(truth)) or 'not_converged'})")
    res["_base"] = {"runs": len(items), "truth_match": base_match}
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=str(ROOT / "fixtures" / "labelled"))
    ap.add_argument("--split", choices=("tuning", "held_out", "all"), default="tuning")
    ap.add_argument("--allow-held-out", action="store_true",
                    help="print held-out figures (docs/results/heldout_protocol.md: only once detectors are frozen)")
    ap.add_argument("--runs", nargs="*", default=None, help="run-id glob patterns (e.g. 'ring8_*')")
    ap.add_argument("--transforms", nargs="*", default=list(TRANSFORMS), choices=list(TRANSFORMS))
    ap.add_argument("--state-family", action="store_true",
                    help="pass the corpus's loss family and D-loss reduction as the user would")
    ap.add_argument("--show-changes", action="store_true", help="print every run whose labels changed")
    ap.add_argument("--json", default=None, help="write the figures (and changed runs) to this file")
    args = ap.parse_args(argv)
    if args.split in ("held_out", "all") and not args.allow_held_out:
        print(f"error: --split {args.split} includes held-out runs; their figures are printed only once the "
              "detectors are frozen (docs/results/heldout_protocol.md). Pass --allow-held-out then.",
              file=sys.stderr)
        return 2
    corpus = Path(args.corpus)
    runs = corpus_runs(corpus)
    if not runs:
        print(f"error: {corpus}: no run directory with a ground_truth.json", file=sys.stderr)
        return 2
    items = select(runs, args.runs, args.split)
    if not items:
        print(f"error: no run of {corpus} matches --split {args.split} and --runs {args.runs}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    res = measure(items, args.transforms, state_family=args.state_family, show_changes=args.show_changes)
    dt = time.perf_counter() - t0
    b = res.pop("_base")
    fam = "stated" if args.state_family else "inferred"
    print(f"corpus {corpus}: {len(items)} runs ({args.split} split{', runs ' + ' '.join(args.runs) if args.runs else ''}); "
          f"loss family {fam}; ganlogs {ganlogs.__version__}; {dt:.1f} s")
    print(f"untransformed: label set equals the truth on {b['truth_match']}/{b['runs']} "
          f"({b['truth_match'] / b['runs']:.2f})")
    print(f"{'transform':14s} {'runs':>5s} {'unchanged':>10s} {'share':>6s} {'new label':>10s} {'share':>6s}   "
          f"{'truth match before -> after':>28s}")
    for n in args.transforms:
        r = res[n]
        if not r["runs"]:
            print(f"{n:14s} {0:5d} {'-':>10s} {'-':>6s} {'-':>10s} {'-':>6s}   (no run qualifies)")
            continue
        print(f"{n:14s} {r['runs']:5d} {r['unchanged']:10d} {r['unchanged'] / r['runs']:6.2f} "
              f"{r['new_label']:10d} {r['new_label'] / r['runs']:6.2f}   "
              f"{r['truth_base'] / r['runs']:17.2f} -> {r['truth_after'] / r['runs']:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"corpus": str(corpus), "split": args.split, "runs": args.runs,
                                               "loss_family": fam, "ganlogs_version": ganlogs.__version__,
                                               "base": b, "transforms": res}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
