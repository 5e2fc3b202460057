"""Run a resumable sweep: train runs in batched groups, label them, write them out.

Layout of ``DIR``::

    DIR/<run_id>/               logs (events.out.tfevents..., metrics.csv or loss_log.txt) + ground_truth.json
    DIR/manifest.json           counts per label / outcome / split / scenario / family, timing

Every run is kept: a run whose measures fit no rule has ``labels: []`` and ``outcome:
"not_converged"`` (a negative for every label), and its logs are written like any other's.
A run is done when ``DIR/<run_id>/ground_truth.json`` exists; it is written last (after
the logs, through a temporary file and a rename), so an interrupted sweep resumes from the
runs that are complete. The manifest is rebuilt from the run directories after every batch.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

__all__ = ["run_sweep", "build_manifest", "train_and_label", "set_cpu_threads"]

MAX_GROUP = {"dirac": 64, "mixture": 24, "digits": 12}

#: sweep sizes: ``small`` (fixtures/labelled), ``full`` (the v1 sweep), ``v2`` (issue 10's varied corpus), ``v3``, ``v4``, ``v5``, ``v6``, ``v7``, ``v8``, ``v9`` and ``v10`` (its second to ninth held-out sets)
SIZES = ("small", "full", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10")


def specs_for(size: str) -> list[dict]:
    """Run specs of a sweep size (``v2`` to ``v10``: ``reference_trainer.variety``, whose held-out
    protocols are ``docs/results/heldout_protocol_v3.md`` to ``_v10.md``)."""
    if size in ("v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10"):
        from reference_trainer import variety

        return getattr(variety, f"build_{size}_specs")()
    from reference_trainer.scenarios import build_specs

    return build_specs(size)


def truth_sources(labels: list[str], measures: dict, tags: dict | None) -> dict:
    """Per label: ``independent`` (truth the logs cannot see: coverage, sample quality, probe
    motion, D on held-out reals) or ``partly_in_logs`` (``diverged`` always: the non-finite or
    exploding values that define it are in the logged losses, D outputs or gradient norms too;
    ``vanishing_gradients`` when the generator's gradient norm is logged)."""
    tags = tags or {}
    out = {}
    for lab in labels:
        if lab == "diverged":  # the recorded series that blow up are the ones people log
            out[lab] = "partly_in_logs"
        elif lab == "vanishing_gradients":
            out[lab] = "partly_in_logs" if "g_grad_norm" in tags else "independent"
        else:
            out[lab] = "independent"
    return out


def set_cpu_threads() -> int:
    """Use ``REFERENCE_TRAINER_THREADS`` intra-op threads (default 1) and return it.

    The trainer's matrices are small; on a shared 2-core machine two threads that
    wait on each other made a batched matmul 40x slower than one thread. Also flushes denormals to zero.
    """
    import torch

    n = int(os.environ.get("REFERENCE_TRAINER_THREADS", "1"))
    torch.set_num_threads(max(1, n))
    # denormals (vanishing gradients, blow-ups) are slow on CPUs; flushing them is deterministic
    torch.set_flush_denormal(True)
    return n


def _dump(path: Path, obj) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=1, sort_keys=False, default=_json_default) + "\n")
    os.replace(tmp, path)


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, tuple):
        return list(o)
    raise TypeError(f"not JSON serialisable: {type(o)}")


def _clean(obj):
    """Replace non-finite floats by None so that the JSON is strict."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if np.isfinite(f) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def train_and_label(specs: list[dict], device: str = "cpu") -> list[tuple[dict, object, object]]:
    """Train one group of run specs; return ``(spec, trace, verdict)`` per run."""
    from reference_trainer.labels import label_run
    from reference_trainer.train import train_group

    traces = train_group([s["config"] for s in specs], device=device)
    return [(s, t, label_run(t)) for s, t in zip(specs, traces)]


def _ground_truth(spec: dict, trace, verdict, log_record: dict | None, device: str) -> dict:
    import torch

    c = spec["config"]
    from reference_trainer.split import split_of

    gt = {
        "run_id": spec["run_id"],
        "labels": verdict.labels,
        "outcome": verdict.outcome,
        "not_converged_reason": verdict.not_converged_reason,
        "intended_label": spec["intended_label"],
        "scenario": spec["scenario"],
        "family": spec["family"],
        "onset_step": verdict.onset_step,
        "measures": verdict.measures,
        "config": c,
        "log": None,
        "device": device,
        "seed": int(c["seed"]),
        "torch_version": torch.__version__,
        "trainer_version": __import__("reference_trainer").__version__,
        "train_seconds": round(float(trace.wall_s), 3),
    }
    gt["split"], gt["split_reason"] = split_of(gt)
    if log_record is not None:
        gt["log"] = {
            "format": log_record["format"],
            "tags": log_record["tags"],
            "d_loss_reduction": c["d_loss_reduction"],
            "loss_family": c["loss"],
            "log_every": log_record["log_every"],
            "unit": log_record["unit"],
            "points_per_tag": log_record["points"],
            "files": log_record["files"],
            "ema": float(spec["log"].get("ema") or 0.0),
            "epoch_len": spec["log"].get("epoch_len") if log_record["format"] == "text" else None,
            "step_meaning": "generator iterations" if log_record["unit"] == "step" else
            f"epoch index (mean over {log_record['log_every']} generator iterations)",
        }
    src = truth_sources(verdict.labels, verdict.measures, (gt["log"] or {}).get("tags"))
    gt["truth_sources"] = src
    gt["labels_independent"] = [k for k, v in src.items() if v == "independent"]
    gt["labels_partly_in_logs"] = [k for k, v in src.items() if v == "partly_in_logs"]
    return _clean(gt)


def _done_ids(out: Path) -> set[str]:
    done = set()
    if not out.exists():
        return done
    for p in out.iterdir():
        if p.is_dir() and (p / "ground_truth.json").exists():
            done.add(p.name)
    un = out / "_unlabelled"
    if un.exists():
        done |= {p.stem for p in un.glob("*.json")}
    return done


def build_manifest(out: Path, *, extra: dict | None = None) -> dict:
    """Rebuild ``manifest.json`` from the run directories in ``out``."""
    out = Path(out)
    per_label: Counter = Counter()
    per_family: Counter = Counter()
    per_split: dict = defaultdict(Counter)
    per_family_labels: dict = defaultdict(Counter)
    per_scenario: dict = defaultdict(lambda: {"runs": 0, "unlabelled": 0, "intended_hits": 0,
                                              "intended_label": None, "families": [], "labels": Counter()})
    runs = []
    records = []
    for p in sorted(out.iterdir()) if out.exists() else []:
        if p.is_dir() and (p / "ground_truth.json").exists():
            records.append((json.loads((p / "ground_truth.json").read_text()), False))
    un = out / "_unlabelled"
    if un.exists():
        for p in sorted(un.glob("*.json")):
            records.append((json.loads(p.read_text()), True))
    for gt, unl in records:
        sc = per_scenario[gt["scenario"]]
        sc["intended_label"] = gt["intended_label"]
        sc["families"] = sorted(set(sc.get("families", [])) | {gt["family"]})
        sc["runs"] += 1
        if unl:
            sc["unlabelled"] += 1
            continue
        per_family[gt["family"]] += 1
        split = gt.get("split") or "unknown"
        per_split[split]["runs"] += 1
        truth = gt["labels"] or [gt.get("outcome") or "not_converged"]
        for lab in truth:
            per_label[lab] += 1
            sc["labels"][lab] += 1
            per_split[split][lab] += 1
            per_family_labels[gt["family"]][lab] += 1
        if gt["intended_label"] in gt["labels"]:
            sc["intended_hits"] += 1
        runs.append({"run_id": gt["run_id"], "labels": gt["labels"], "outcome": gt.get("outcome", "labelled"),
                     "scenario": gt["scenario"], "family": gt["family"], "split": gt.get("split"),
                     "format": (gt.get("log") or {}).get("format"),
                     "train_seconds": gt.get("train_seconds")})
    scen = {}
    for name, sc in sorted(per_scenario.items()):
        scen[name] = {"families": sc["families"], "intended_label": sc["intended_label"], "runs_trained": sc["runs"],
                      "unlabelled": sc["unlabelled"], "intended_hits": sc["intended_hits"],
                      "intended_rate": round(sc["intended_hits"] / sc["runs"], 3) if sc["runs"] else None,
                      "labels": dict(sc["labels"])}
    per_family_rate: dict = defaultdict(lambda: [0, 0])
    for gt, unl in records:
        per_family_rate[gt["family"]][1] += 1
        if not unl and gt["intended_label"] in gt["labels"]:
            per_family_rate[gt["family"]][0] += 1
    manifest = {
        "n_runs": len(runs),
        "n_unlabelled": sum(1 for _, u in records if u),
        "counts_per_label": {k: per_label.get(k, 0) for k in
                             ("converged", "oscillating", "mode_collapse", "vanishing_gradients", "diverged",
                              "d_overfitting", "not_converged")},
        "counts_per_split": {k: dict(v) for k, v in sorted(per_split.items())},
        "counts_per_family": dict(sorted(per_family.items())),
        "labels_per_family": {k: dict(v) for k, v in sorted(per_family_labels.items())},
        "intended_rate_per_family": {f: {"intended_hits": h, "runs_trained": n, "rate": round(h / n, 3) if n else None}
                                     for f, (h, n) in sorted(per_family_rate.items())},
        "scenarios": scen,
        "runs": runs,
    }
    old = {}
    if (out / "manifest.json").exists():
        try:
            old = json.loads((out / "manifest.json").read_text())
        except ValueError:
            old = {}
    info = {k: old[k] for k in ("command", "last_invocation", "device", "torch_version", "python", "platform",
                                "cpu_capability", "cpu_threads", "size", "runs_planned", "elapsed_s", "invocations") if k in old}
    info.update(extra or {})
    manifest = {**info, **manifest}
    _dump(out / "manifest.json", manifest)
    return manifest


def run_sweep(out: str | Path, *, size: str = "small", device: str = "cpu", resume: bool = False,
              only: list[str] | None = None, log=print) -> dict:
    """Train, label and write every run of the ``size`` sweep into ``out``.

    Parameters
    ----------
    out : path
        Output directory (created).
    size : {"small", "full"}
    device : {"cpu", "cuda"}
    resume : bool
        Skip runs that are already complete. Without it, an existing non-empty
        ``out`` that holds a manifest is an error (nothing is overwritten).
    only : list of str, optional
        Train only these run ids (used by the tests to regenerate runs).
    """
    import torch

    from reference_trainer.scenarios import build_specs
    from reference_trainer.train import group_key
    from reference_trainer.writers import write_run

    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}; got {size!r}")
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda'; got {device!r}")
    set_cpu_threads()
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device 'cuda' is not available (torch {torch.__version__}); use --device cpu")
    out = Path(out)
    if out.exists() and (out / "manifest.json").exists() and not resume and only is None:
        raise FileExistsError(f"{out} already holds a sweep; pass --resume to continue it")
    out.mkdir(parents=True, exist_ok=True)
    specs = specs_for(size)
    if only is not None:
        specs = [s for s in specs if s["run_id"] in set(only)]
    done = _done_ids(out)
    todo = [s for s in specs if s["run_id"] not in done]
    from reference_trainer.targets import target_of

    groups: dict = defaultdict(list)
    for s in todo:
        groups[group_key(s["config"])].append(s)
    batches = []
    for key, members in groups.items():
        kind = target_of(members[0]["config"]).kind
        n = MAX_GROUP[kind]
        for i in range(0, len(members), n):
            batches.append(members[i:i + n])
    # cheap batches first
    batches.sort(key=lambda b: (b[0]["config"]["target"] == "digits", b[0]["run_id"]))
    t_start = time.time()
    prev = {}
    if (out / "manifest.json").exists():
        try:
            prev = json.loads((out / "manifest.json").read_text())
        except ValueError:
            prev = {}
    prev_elapsed = float(prev.get("elapsed_s") or 0.0)
    info = {
        "command": f"python -m reference_trainer sweep --out {out} --size {size}"
                   + ("" if device == "cpu" else f" --device {device}"),
        "last_invocation": "python -m reference_trainer " + " ".join(sys.argv[1:])
        if sys.argv and "reference_trainer" in sys.argv[0] else None,
        "device": device if device == "cpu" else torch.cuda.get_device_name(0),
        "torch_version": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        # the vector instructions torch's CPU kernels use (AVX2, AVX512...): runs trained with
        # different ones round differently, and a GAN's trajectory amplifies that
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "cpu_threads": torch.get_num_threads(),
        "size": size,
        "runs_planned": len(specs_for(size)),
        "invocations": int(prev.get("invocations") or 0) + 1,
    }
    log(f"sweep {size}: {len(specs)} runs, {len(done & {s['run_id'] for s in specs})} done, "
        f"{len(todo)} to train in {len(batches)} batches on {device}")
    trained = 0
    for bi, batch in enumerate(batches):
        tb = time.time()
        results = train_and_label(batch, device=device)
        for spec, trace, verdict in results:
            rd = out / spec["run_id"]
            if rd.exists():
                shutil.rmtree(rd)
            sec = trace.wall_s * len(batch) / max(1, len(trace.series["g_loss"]))
            rec = write_run(rd, trace.series, spec["log"], spec["config"]["loss"], seconds_per_step=sec)
            _dump(rd / "ground_truth.json", _ground_truth(spec, trace, verdict, rec, device))
        trained += len(batch)
        elapsed = prev_elapsed + time.time() - t_start
        m = build_manifest(out, extra={**info, "elapsed_s": round(elapsed, 1)})
        rate = trained / max(1e-9, (time.time() - t_start) / 60)
        log(f"[{bi + 1}/{len(batches)}] {batch[0]['scenario']} x{len(batch)} in {time.time() - tb:.1f}s; "
            f"{m['n_runs']} runs done; {rate:.1f} runs/min; "
            f"labels {m['counts_per_label']}")
    return build_manifest(out, extra={**info, "elapsed_s": round(prev_elapsed + time.time() - t_start, 1)})
