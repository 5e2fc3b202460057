"""Measured accuracy of the ganlogs detectors on a labelled corpus, beside two baselines.

Usage::

    python bench/accuracy.py                      # fixtures/labelled/, held-out families
    python bench/accuracy.py --corpus DIR         # e.g. a full reference_trainer sweep
    python bench/accuracy.py --split all          # every family (tuning ones included)
    python bench/accuracy.py --fit [--write FILE] # refit the calibration on the TUNING
                                                  # families (and write it as a JSON file)
    python bench/accuracy.py --calibration FILE   # evaluate with that calibration

The calibration is data (:class:`ganlogs.detectors.Calibration`): a fit builds a new one and
passes it to the detectors; nothing in ``ganlogs/`` is edited or patched. To ship a refit,
write it over ``ganlogs/detectors/calibration.json`` (``--write
ganlogs/detectors/calibration.json``) and commit.

A corpus is a directory of run directories, each holding its logs and a
``ground_truth.json`` (``labels``, ``outcome``, ``family``, ``split``, ``truth_sources``,
``log.loss_family``...), as written by ``python -m reference_trainer sweep``. Every run is
kept: a run whose truth is ``not_converged`` (still training, blurry, poor at a stalemate)
has no label, so it counts as a negative for every label.

Split (docs/results/heldout_protocol.md, ``reference_trainer/split.py``): by held-out target,
generator depth and family, never by run; the run's ``split`` field, else ``split_of``.
The calibration is only ever fitted on the tuning runs. The default split is ``tuning``
(development); ``--split held_out`` is run once, after the detectors are frozen. A
development corpus (``fixtures/labelled``) is in-sample whatever its split and is shown only
with ``--split all`` or ``tuning``.

Printed, for ganlogs and two baselines: per label precision / recall / F1 and macro F1 over
the five labels; the same over the three labels whose truth the logs cannot see
(``converged``, ``oscillating``, ``mode_collapse``), apart from those partly in the logs
(``diverged``; ``vanishing_gradients`` on runs that log the generator's gradient norm, the
rest reported beside it); calibration (expected calibration error per label, and a
reliability table over every run x label pair, a label without a finding counting as
confidence 0); **false reassurance** (runs with a failure truth called ``converged``); and
on still-training runs (``not_converged`` truth) the share given any failure label and the
share given ``converged``. Then the confusion between true and predicted labels and the
onset error. The baselines:

(a) ``ideal_value``: the "ideal loss value" rule users read about -- a non-finite loss is
    ``diverged``; otherwise the tail (last 10% of points) of the D and G losses is compared
    with the family's equilibrium (2 ln 2 / ln 2 for a summed / averaged BCE D loss, ln 2
    for G; inferred as ganlogs infers it, BCE summed when unknown): within 15% (+0.05) of
    both -> ``converged``; else D below its equilibrium -> ``vanishing_gradients`` for the
    saturating loss, ``mode_collapse`` otherwise; D above -> ``oscillating``. For WGAN
    critics (no fixed value): a critic loss tail within 10% of its largest magnitude of 0
    -> ``converged``, else ``oscillating``.
(b) ``threshold``: the rule of generic training-diagnosis tools -- NaN/Inf -> ``diverged``;
    D loss tail mean < 0.05 -> ``mode_collapse`` and ``vanishing_gradients``; tail standard
    deviation over |tail mean| > 0.5 for either loss -> ``oscillating``; else
    ``converged``.

Baseline confidences are 0 or 1. Runtime on the small corpus: a few seconds.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ganlogs.analysis import Settings, analyze_run, build_context  # noqa: E402
from ganlogs.conventions import equilibrium  # noqa: E402
from ganlogs.detectors import (CORE_LABELS as LABELS, Calibration, ConvergenceDetector,  # noqa: E402
                               default_calibration, default_detectors)
from ganlogs.detectors.calibration import Model  # noqa: E402
from ganlogs.detectors.convergence import failure_confidences  # noqa: E402
from ganlogs.detectors.vanishing_gradients import model_for  # noqa: E402
from ganlogs.readers import load, discover  # noqa: E402
from reference_trainer.split import split_of  # noqa: E402  (numpy-free, torch-free)

FAILURES = LABELS[1:]
#: labels whose truth the logs cannot see (from samples and probes)
INDEPENDENT = ("converged", "oscillating", "mode_collapse")
#: development corpora: in-sample whatever their split
DEVELOPMENT = (ROOT / "fixtures" / "labelled",)

# ------------------------------------------------------------------ corpus
@dataclass
class Item:
    run_id: str
    family: str
    scenario: str
    truth: list[str]
    split: str = "tuning"
    outcome: str = "labelled"
    grad_logged: bool = False
    pred: dict[str, list[str]] = field(default_factory=dict)       # method -> labels
    conf: dict[str, dict[str, float]] = field(default_factory=dict)  # method -> label -> conf
    insufficient: bool = False
    feats: dict = field(default_factory=dict)
    seconds: float = 0.0
    onset_error: dict[str, float] = field(default_factory=dict)  # label -> |error| / steps
    #: for ``not_converged`` truth: why (``blurry``, ``still improving``, ...), and D(x) -
    #: D(G(z)) on fresh samples at the end (the trainer's ``d_separation_end``), or None
    nc_reason: str | None = None
    d_separation_end: float | None = None


def corpus_runs(corpus: Path) -> list[Path]:
    return sorted(p.parent for p in corpus.glob("*/ground_truth.json"))


def _load_run(run_dir: Path):
    found = discover(run_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        runs = [r for s in found.sources for r in load(s)]
    if not runs:
        raise RuntimeError(f"{run_dir}: no readable run")
    return runs[0]


def _tail(v: np.ndarray, frac: float = 0.1) -> np.ndarray:
    return v[len(v) - max(1, int(len(v) * frac)):]


def baseline_ideal(ctx) -> list[str]:
    d, g = ctx.series("d_loss"), ctx.series("g_loss")
    if d is None or g is None:
        return []
    dv, gv = d.to_numpy(float), g.to_numpy(float)
    if not (np.isfinite(dv).all() and np.isfinite(gv).all()):
        return ["diverged"]
    fam = ctx.loss_family.family or "bce_nonsaturating"
    red = ctx.loss_family.d_loss_reduction or "summed"
    dt, gt = float(np.mean(_tail(dv))), float(np.mean(_tail(gv)))
    eq = equilibrium(fam, red)
    if eq.d_loss is None:
        big = float(np.max(np.abs(dv))) or 1.0
        return ["converged"] if abs(dt) <= 0.1 * big else ["oscillating"]
    close = lambda x, e: abs(x - e) <= 0.15 * abs(e) + 0.05  # noqa: E731
    if close(dt, eq.d_loss) and close(gt, eq.g_loss):
        return ["converged"]
    if dt < eq.d_loss:
        return ["vanishing_gradients"] if fam == "bce_minimax" else ["mode_collapse"]
    return ["oscillating"]


def baseline_threshold(ctx) -> list[str]:
    d, g = ctx.series("d_loss"), ctx.series("g_loss")
    if d is None or g is None:
        return []
    dv, gv = d.to_numpy(float), g.to_numpy(float)
    if not (np.isfinite(dv).all() and np.isfinite(gv).all()):
        return ["diverged"]
    out = []
    dt = _tail(dv, 0.1)
    if float(np.mean(dt)) < 0.05:
        out += ["mode_collapse", "vanishing_gradients"]
    for v in (dv, gv):
        t = _tail(v, 0.25)
        if float(np.std(t)) / max(abs(float(np.mean(t))), 1e-12) > 0.5:
            out.append("oscillating")
            break
    return out or ["converged"]


def evaluate_run(run_dir: Path, *, state: bool, calibration: Calibration | None = None) -> Item:
    gt = json.loads((run_dir / "ground_truth.json").read_text())
    log = gt.get("log") or {}
    truth = [lab for lab in gt["labels"] if lab != "not_converged"]
    item = Item(run_id=gt.get("run_id", run_dir.name), family=gt["family"],
                scenario=gt.get("scenario", ""), truth=truth,
                split=gt.get("split") or split_of(gt)[0],
                outcome=gt.get("outcome") or ("labelled" if truth else "not_converged"),
                grad_logged="g_grad_norm" in (log.get("tags") or {}),
                nc_reason=gt.get("not_converged_reason"),
                d_separation_end=(gt.get("measures") or {}).get("d_separation_end"))
    run = _load_run(run_dir)
    settings = Settings(loss_family=log.get("loss_family") if state else None,
                        d_loss_reduction=log.get("d_loss_reduction") if state else None)
    t0 = time.perf_counter()
    detectors = default_detectors(calibration=calibration)
    res = analyze_run(run, settings=settings, detectors=detectors)
    item.seconds = time.perf_counter() - t0
    item.pred["ganlogs"] = list(res.labels)
    confs = {lab: 0.0 for lab in LABELS}
    for f in res.findings:
        if f.label in confs:
            confs[f.label] = max(confs[f.label], f.confidence)
    item.conf["ganlogs"] = confs
    item.insufficient = any(f.label == "insufficient_data" for f in res.findings)
    # onset error in generator steps, as a fraction of the run (log steps are epochs when
    # the run logged per-epoch means)
    every = int(log.get("log_every") or 1)
    total = float((gt.get("config") or {}).get("steps") or 0)
    for lab, true_on in (gt.get("onset_step") or {}).items():
        found = [f for f in res.findings if f.label == lab and f.label in res.labels
                 and f.onset_step is not None]
        if true_on is None or not found or total <= 0:
            continue
        pred = found[0].onset_step * (every if log.get("unit") == "epoch" else 1)
        item.onset_error[lab] = abs(pred - float(true_on)) / total
    ctx = build_context(run, settings)
    for name, fn in (("ideal_value", baseline_ideal), ("threshold", baseline_threshold)):
        labs = fn(ctx)
        item.pred[name] = labs
        item.conf[name] = {lab: float(lab in labs) for lab in LABELS}
    by_name = {d.name: d for d in detectors}
    rs = by_name["divergence"].run_stats(ctx)
    if rs.has_losses:
        item.feats = {name: by_name[name].features(rs)
                      for name in ("divergence", "oscillation", "mode_collapse",
                                   "vanishing_gradients")}
        item.feats["vanishing_model"] = model_for(rs)
        item.feats["_rs"] = rs
    return item


# ------------------------------------------------------------------ metrics
def prf(items: list[Item], method: str) -> dict[str, tuple[float, float, float, int]]:
    out = {}
    for lab in LABELS:
        tp = sum(1 for it in items if lab in it.truth and lab in it.pred[method])
        fp = sum(1 for it in items if lab not in it.truth and lab in it.pred[method])
        fn = sum(1 for it in items if lab in it.truth and lab not in it.pred[method])
        sup = tp + fn
        # no call: precision is undefined (n/a) where there is nothing to find either, and
        # 0 where runs were missed (so F1 counts the misses)
        p = tp / (tp + fp) if tp + fp else (float("nan") if sup == 0 else 0.0)
        r = tp / sup if sup else float("nan")
        f = 2 * p * r / (p + r) if sup and p + r else (0.0 if sup else float("nan"))
        out[lab] = (p, r, f, sup)
    return out


def macro_f1(table: dict, labels: tuple[str, ...] = LABELS) -> float:
    fs = [v[2] for k, v in table.items() if v[3] > 0 and k in labels]
    return float(np.mean(fs)) if fs else float("nan")


def false_reassurance(items: list[Item], method: str) -> tuple[float, int]:
    """Share of runs with a failure truth that are called ``converged``."""
    bad = [it for it in items if any(lab in FAILURES for lab in it.truth)]
    if not bad:
        return float("nan"), 0
    return sum("converged" in it.pred[method] for it in bad) / len(bad), len(bad)


def still_training(items: list[Item], method: str) -> tuple[float, float, int]:
    """On runs whose truth is ``not_converged``: (share given any failure label, share
    given ``converged``, runs)."""
    st = [it for it in items if it.outcome == "not_converged"]
    if not st:
        return float("nan"), float("nan"), 0
    fail = sum(any(lab in FAILURES for lab in it.pred[method]) for it in st) / len(st)
    conv = sum("converged" in it.pred[method] for it in st) / len(st)
    return fail, conv, len(st)


#: D(x) - D(G(z)) at the end at or above which a still-training run's discriminator counts as
#: having won (the trainer's truth uses 0.98 with a 100x gradient shrink for vanishing
#: gradients; 0.9 is D(x) ~ 0.95 against D(G(z)) ~ 0.05)
D_WON_SEPARATION = 0.9


def still_training_breakdown(items: list[Item], method: str) -> list[tuple[str, int, int, dict[str, int]]]:
    """Still-training runs by group: the truth's reason, and whether the discriminator ended
    far ahead (:data:`D_WON_SEPARATION`), which ``DECISIONS.md`` maps to a failure finding
    while the trainer's truth, from samples, can still be ``not_converged`` (blurry): rows of
    (group, runs, runs given a failure label, failure labels given)."""
    groups: dict[str, list[Item]] = {}
    for it in items:
        if it.outcome != "not_converged":
            continue
        won = it.d_separation_end is not None and it.d_separation_end >= D_WON_SEPARATION
        groups.setdefault(f"{it.nc_reason or 'no reason recorded'}, D "
                          f"{'won' if won else 'did not win'}", []).append(it)
    rows = []
    for g in sorted(groups):
        its = groups[g]
        labs: dict[str, int] = {}
        for it in its:
            for lab in it.pred[method]:
                if lab in FAILURES:
                    labs[lab] = labs.get(lab, 0) + 1
        rows.append((g, len(its), sum(any(lab in FAILURES for lab in it.pred[method]) for it in its), labs))
    return rows


def ece_per_label(items: list[Item], method: str, bins: int = 10) -> dict[str, float]:
    out = {}
    for lab in LABELS:
        conf = np.asarray([it.conf[method][lab] for it in items])
        hit = np.asarray([float(lab in it.truth) for it in items])
        if not len(conf):
            continue
        idx = np.minimum((conf * bins).astype(int), bins - 1)
        out[lab] = float(sum((idx == b).sum() / len(conf) * abs(hit[idx == b].mean()
                                                               - conf[idx == b].mean())
                             for b in range(bins) if (idx == b).any()))
    return out


def false_alarm(items: list[Item], method: str) -> tuple[float, int]:
    conv = [it for it in items if it.truth == ["converged"]]
    if not conv:
        return float("nan"), 0
    bad = sum(1 for it in conv if any(l in FAILURES for l in it.pred[method]))
    return bad / len(conv), len(conv)


def reliability(items: list[Item], method: str, bins: int = 10):
    conf, hit = [], []
    for it in items:
        for lab in LABELS:
            conf.append(it.conf[method][lab])
            hit.append(float(lab in it.truth))
    conf, hit = np.asarray(conf), np.asarray(hit)
    idx = np.minimum((conf * bins).astype(int), bins - 1)
    rows, ece = [], 0.0
    for b in range(bins):
        m = idx == b
        if not m.any():
            continue
        c, a = float(conf[m].mean()), float(hit[m].mean())
        rows.append((b / bins, (b + 1) / bins, int(m.sum()), c, a))
        ece += m.sum() / len(conf) * abs(a - c)
    return rows, float(ece)


def confusion(items: list[Item], method: str) -> dict[str, dict[str, int]]:
    cols = list(LABELS) + ["(none)"]
    m = {t: {c: 0 for c in cols} for t in LABELS}
    for it in items:
        preds = [p for p in it.pred[method] if p in LABELS] or ["(none)"]  # d_overfitting has its own row
        for t in it.truth:
            if t not in m:
                continue  # a label outside the five (d_overfitting) has its own row
            for p in preds:
                m[t][p] += 1
    return m


def _f(x: float) -> str:
    return "  n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:5.2f}"


def report(items: list[Item], title: str) -> dict:
    methods = ("ganlogs", "ideal_value", "threshold")
    nc = sum(it.outcome == "not_converged" for it in items)
    print(f"\n=== {title}: {len(items)} runs ({nc} still training), "
          f"{len({i.family for i in items})} families "
          f"({', '.join(sorted({i.family for i in items}))})")
    tables = {m: prf(items, m) for m in methods}
    print(f"{'label':22s}{'support':>8s}  " + "  ".join(f"{m:>20s}" for m in methods))
    print(f"{'':22s}{'':>8s}  " + "  ".join(f"{'P     R     F1':>20s}" for _ in methods))
    for lab in LABELS:
        sup = tables["ganlogs"][lab][3]
        cells = ["  ".join(_f(v) for v in tables[m][lab][:3]) for m in methods]
        print(f"{lab:22s}{sup:8d}  " + "  ".join(f"{c:>20s}" for c in cells))
    summary = {}
    for m in methods:
        fa, n_conv = false_alarm(items, m)
        _, ece = reliability(items, m)
        summary[m] = {"macro_f1": macro_f1(tables[m]), "false_alarm_converged": fa, "ece": ece,
                      "per_label": {k: dict(zip(("precision", "recall", "f1", "support"), v))
                                    for k, v in tables[m].items()}}
    print(f"{'macro F1':30s}" + "  ".join(f"{summary[m]['macro_f1']:20.3f}" for m in methods))
    print(f"{'false alarms on converged':30s}" + "  ".join(
        f"{summary[m]['false_alarm_converged']:20.3f}" for m in methods)
        + f"   (of {false_alarm(items, 'ganlogs')[1]} converged runs)")
    print(f"{'ECE (10 bins)':30s}" + "  ".join(f"{summary[m]['ece']:20.3f}" for m in methods))
    print(f"{'macro F1, independent labels':30s}" + "  ".join(
        f"{macro_f1(tables[m], INDEPENDENT):20.3f}" for m in methods)
        + "   (converged, oscillating, mode_collapse: truth the logs cannot see)")
    for m in methods:
        summary[m]["macro_f1_independent"] = macro_f1(tables[m], INDEPENDENT)
    # partly in the logs: diverged; vanishing_gradients where the G gradient norm is logged
    for name, sub in (("grad norm logged", [it for it in items if it.grad_logged]),
                      ("grad norm not logged", [it for it in items if not it.grad_logged])):
        t = {m: prf(sub, m)["vanishing_gradients"] for m in methods} if sub else None
        if t and t["ganlogs"][3]:
            print(f"{'vanishing_gradients, ' + name:40s}" + "  ".join(
                "  ".join(_f(v) for v in t[m][:3]) for m in methods)
                + f"   (support {t['ganlogs'][3]}"
                + (", partly in the logs)" if name == "grad norm logged" else ")"))
    print(f"{'false reassurance':30s}" + "  ".join(
        f"{false_reassurance(items, m)[0]:20.3f}" for m in methods)
        + f"   (failure runs called converged, of {false_reassurance(items, 'ganlogs')[1]})")
    for m in methods:
        summary[m]["false_reassurance"] = false_reassurance(items, m)[0]
        f_, c_, n_ = still_training(items, m)
        summary[m]["still_training_any_failure"] = f_
        summary[m]["still_training_converged"] = c_
    f_, c_, n_ = still_training(items, "ganlogs")
    if n_:
        print(f"{'still training: any failure':30s}" + "  ".join(
            f"{still_training(items, m)[0]:20.3f}" for m in methods) + f"   (of {n_} runs)")
        print(f"{'still training: converged':30s}" + "  ".join(
            f"{still_training(items, m)[1]:20.3f}" for m in methods))
        print(f"still training by the truth's reason, and whether D ended ahead by >= {D_WON_SEPARATION} "
              "(D(x) - D(G(z)) on fresh samples): runs, given a failure label (ganlogs), which")
        for g, n, k, labs in still_training_breakdown(items, "ganlogs"):
            print(f"  {g:38s} {n:5d} {k:5d}   " + (", ".join(f"{lab} {c}" for lab, c in sorted(labs.items())) or "-"))
    per = ece_per_label(items, "ganlogs")
    summary["ganlogs"]["ece_per_label"] = per
    print("ECE per label (ganlogs): " + ", ".join(f"{k} {v:.3f}" for k, v in per.items()))
    ins = sum(it.insufficient for it in items)
    if ins:
        print(f"insufficient_data on {ins} run(s)")
    print("\nconfusion (ganlogs): rows = true label, columns = predicted labels")
    cm = confusion(items, "ganlogs")
    cols = list(LABELS) + ["(none)"]
    short = {"converged": "conv", "oscillating": "osc", "mode_collapse": "collapse",
             "vanishing_gradients": "vanish", "diverged": "div", "(none)": "none"}
    print(f"{'':22s}" + "".join(f"{short[c]:>9s}" for c in cols))
    for t in LABELS:
        print(f"{t:22s}" + "".join(f"{cm[t][c]:9d}" for c in cols))
    errs = {lab: [it.onset_error[lab] for it in items if lab in it.onset_error] for lab in LABELS}
    print("\nonset error (ganlogs, correctly labelled runs): median |predicted - true| as a "
          "fraction of the run")
    for lab, e in errs.items():
        if e:
            print(f"  {lab:22s} n={len(e):4d}  median {np.median(e):.3f}  "
                  f"90th percentile {np.quantile(e, 0.9):.3f}")
    rows, ece = reliability(items, "ganlogs")
    print("\nreliability (ganlogs, every run x label): bin, pairs, mean confidence, observed rate")
    for lo, hi, n, c, a in rows:
        print(f"  [{lo:.1f}, {hi:.1f})  {n:5d}  {c:6.3f}  {a:6.3f}")
    print(f"  ECE = {ece:.3f}")
    return summary


# ------------------------------------------------------------------ fitting
def fit_logistic(X: np.ndarray, y: np.ndarray, l2: float = 1.0,
                 offset: np.ndarray | float = 0.0) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression (intercept unpenalised) by L-BFGS, with a fixed
    ``offset`` added to the linear predictor."""
    from scipy.optimize import minimize

    n, k = X.shape

    def loss(w):
        z = X @ w[:k] + w[k] + offset
        p = 1 / (1 + np.exp(-z))
        ll = float(np.sum(np.logaddexp(0, z) - y * z))
        g = np.empty(k + 1)
        g[:k] = X.T @ (p - y) + l2 * w[:k]
        g[k] = float(np.sum(p - y))
        return ll + 0.5 * l2 * float(w[:k] @ w[:k]), g

    r = minimize(loss, np.zeros(k + 1), jac=True, method="L-BFGS-B")
    return r.x[:k], float(r.x[k])


#: a model is refitted only with at least this many positive and negative runs
MIN_CLASS = 3
#: --fit-weights refits a model's score weights only with this many of each class (else
#: only its two Platt parameters; 15: the L2 penalty keeps five weights stable on 15 positives)
MIN_CLASS_WEIGHTS = 15


def fit(items: list[Item], l2: float, base: Calibration, weights: bool = False) -> Calibration:
    """Refit every calibration model on ``items`` (the tuning families), starting from
    ``base``; returns a new :class:`Calibration` (its source is set by the caller)."""
    items = [it for it in items if it.feats]
    new = base

    def do(det: str, model: str, rows: list[tuple[dict, float]]) -> None:
        nonlocal new
        m = new.model(det, model)
        if m.rule:
            print(f"  {det}/{model}: a rule (see the calibration's notes), kept as is")
            return
        names = list(m.features)
        pos = sum(1 for _, y in rows if y)
        if min(pos, len(rows) - pos) < MIN_CLASS:
            print(f"  {det}/{model}: {len(rows)} rows, {pos} positive: fewer than {MIN_CLASS} "
                  "of a class, kept as is")
            return
        X = np.array([[r[n] for n in names] for r, _ in rows], float)
        y = np.array([y for _, y in rows], float)
        if weights and min(pos, len(rows) - pos) >= MIN_CLASS_WEIGHTS:
            # features that never vary here keep their weight (they would be fitted to 0), and
            # so do the model's fixed ones (rules, see Model.fixed)
            free = [j for j in range(len(names)) if np.ptp(X[:, j]) > 0
                    and names[j] not in m.fixed]
            fixed = [j for j in range(len(names)) if j not in free]
            off = X[:, fixed] @ np.array([m.coef[j] for j in fixed]) if fixed else 0.0
            w, b = fit_logistic(X[:, free], y, l2, offset=off)
            coef = list(m.coef)
            for j, v in zip(free, w):
                coef[j] = round(float(v), 4)
            new = new.replace(det, model, Model(m.features, tuple(coef), round(b, 4), (0.0, 1.0),
                                                m.fixed, m.rule))
            print(f"  {det}/{model}: n={len(rows)} positives={int(y.sum())} weights "
                  f"{dict(zip(names, coef))} b={b:.3f}")
            return
        z = X @ np.array(m.coef, float) + float(m.intercept)
        w, a = fit_logistic(z[:, None], y, l2)
        new = new.replace(det, model, Model(m.features, m.coef, m.intercept,
                                            (round(a, 4), round(float(w[0]), 4)), m.fixed,
                                            m.rule))
        print(f"  {det}/{model}: n={len(rows)} positives={int(y.sum())} platt a={a:.3f} "
              f"b={w[0]:.3f}")

    do("divergence", "default", [(it.feats["divergence"], float("diverged" in it.truth)) for it in items])
    do("oscillation", "default", [(it.feats["oscillation"], float("oscillating" in it.truth))
                                  for it in items])
    do("mode_collapse", "default", [(it.feats["mode_collapse"], float("mode_collapse" in it.truth))
                                    for it in items if "diverged" not in it.truth])
    vg = [it for it in items if "diverged" not in it.truth]
    do("vanishing_gradients", "grad_norm",
       [(it.feats["vanishing_gradients"], float("vanishing_gradients" in it.truth))
        for it in vg if it.feats["vanishing_model"] == "grad_norm"])
    do("vanishing_gradients", "losses_only",
       [(it.feats["vanishing_gradients"], float("vanishing_gradients" in it.truth)) for it in vg])
    # convergence reads the failure confidences: compute them with the new calibration
    dets = [d for d in default_detectors(calibration=new)
            if d.name != "convergence" and hasattr(d, "judge")]
    conv = ConvergenceDetector(calibration=new)
    rows = []
    for it in items:
        rs = it.feats["_rs"]
        fails = failure_confidences([f for d in dets if d.can_judge(rs) for f in d.judge(rs)])
        rows.append((conv.features(rs, fails), float(it.truth == ["converged"])))
    do("convergence", "default", rows)
    return new


def _git_commit() -> str:
    import subprocess

    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    except Exception:
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=str(ROOT / "fixtures" / "labelled"))
    ap.add_argument("--split", choices=("held_out", "tuning", "all"), default="tuning",
                    help="which runs to report (default tuning; held_out only once the "
                         "detectors are frozen, see docs/results/heldout_protocol.md)")
    ap.add_argument("--state-conventions", action="store_true",
                    help="pass the corpus's loss family and D-loss reduction as if the user "
                         "stated them (default: infer them, as for an unknown log)")
    ap.add_argument("--fit", action="store_true", help="refit the calibration maps on the "
                    "tuning families and print them")
    ap.add_argument("--write", metavar="FILE", help="with --fit: write the fitted calibration "
                    "to FILE (JSON; ganlogs/detectors/calibration.json ships it)")
    ap.add_argument("--calibration", metavar="FILE", help="evaluate with this calibration file "
                    "instead of the shipped one")
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--fit-weights", action="store_true",
                    help="with --fit: refit the score weights too (a large corpus only), "
                         "instead of the two Platt parameters")
    ap.add_argument("--tune-on", choices=("tuning", "all"), default="tuning",
                    help="runs to fit on: the tuning split (default) or every run (for a "
                         "development corpus only; its results are not held out)")
    ap.add_argument("--json", help="also write the summary to this file")
    ap.add_argument("--per-run", action="store_true", help="print every run's truth and labels")
    args = ap.parse_args(argv)
    corpus = Path(args.corpus)
    dirs = corpus_runs(corpus)
    if not dirs:
        print(f"no runs with ground_truth.json under {corpus}", file=sys.stderr)
        return 2
    cal = Calibration.load(args.calibration) if args.calibration else default_calibration()
    t0 = time.perf_counter()
    items = []
    for d in dirs:
        try:
            items.append(evaluate_run(d, state=args.state_conventions, calibration=cal))
        except Exception as exc:  # a bench run must report, not stop
            print(f"skip {d.name}: {exc}", file=sys.stderr)
    elapsed = time.perf_counter() - t0
    tuning = [it for it in items if it.split == "tuning" or args.tune_on == "all"]
    held = [it for it in items if it.split != "tuning"]
    development = corpus.resolve() in [d.resolve() for d in DEVELOPMENT]
    if development and args.split == "held_out":
        print(f"{corpus} is a development corpus: its figures are in-sample whatever the "
              "split; use --split all or --split tuning", file=sys.stderr)
        return 2
    print(f"corpus {corpus}: {len(items)} runs ({len(tuning)} tuning, {len(held)} held out), "
          f"read + analysed in {elapsed:.1f} s (detectors {sum(i.seconds for i in items):.1f} s); "
          f"conventions {'stated' if args.state_conventions else 'inferred'}; "
          f"calibration: {cal.source_id} ({cal.origin})")
    if args.fit:
        print(f"\nfitting the calibration on {len(tuning)} "
              f"{'tuning' if args.tune_on == 'tuning' else ''} runs (no held-out run is read):")
        new = fit(tuning, args.l2, cal, weights=args.fit_weights)
        commit = _git_commit()
        new = new.with_source({
            "id": f"{corpus.name}-{commit}-tuning-{len(tuning)}", "corpus": str(corpus),
            "commit": commit, "families": sorted({it.family for it in tuning}),
            "runs": len(tuning),
            "method": ("score weights refitted where both classes have "
                       f"{MIN_CLASS_WEIGHTS}+ runs, Platt a, b elsewhere" if args.fit_weights
                       else "Platt a, b refitted; score weights kept") + f"; l2={args.l2}",
            "started_from": cal.source_id,
            "notes": cal.source.get("notes", "")})
        if args.write:
            new.save(args.write)
            print(f"wrote {args.write} (source id {new.source_id})")
        return 0
    chosen = {"held_out": held, "tuning": tuning, "all": items}[args.split]
    if args.per_run:
        for it in chosen:
            print(f"  {it.run_id:34s} {it.family:24s} truth={','.join(it.truth):30s} "
                  f"ganlogs={','.join(it.pred['ganlogs']) or '-':30s} "
                  f"conf={ {k: round(v, 2) for k, v in it.conf['ganlogs'].items() if v >= 0.05} }")
    title = {"held_out": "HELD-OUT runs", "tuning": "tuning runs (in-sample)",
             "all": "all runs (in-sample: tuning runs included)"}[args.split]
    if development:
        title += ", development corpus"
    summary = report(chosen, title)
    if args.json:
        Path(args.json).write_text(json.dumps({"corpus": str(corpus), "split": args.split,
                                               "runs": len(chosen), "summary": summary}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
