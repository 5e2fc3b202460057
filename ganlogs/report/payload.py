"""The data the interactive HTML report embeds: an overview of the sweep and, per run, its
details and chart panels. Plain JSON-able dicts; no statistics (the findings come from the
analysis), only drawing choices: which panel a series goes to, downsampling, encoding.

Panels
------
Every logged scalar of a run is drawn, each in one panel with its own y-axis:

=================  ========================================================================
panel              series
=================  ========================================================================
``d_loss``         D loss and its real/fake parts (roles ``d_loss*``; tags named D/disc...)
``g_loss``         G loss and its parts (role ``g_loss``; tags named G/gen, L1, cycle, idt)
``d_outputs``      D(x), D(G(z)) (roles ``d_x``, ``d_gz``; tags naming scores or logits)
``grad_norms``     gradient norms (log scale by default)
``quality``        FID, IS, KID, precision/recall, PPL...
``lr``             learning rates (log scale by default)
``other:<prefix>`` every other tag, one panel per TensorBoard prefix (``Timing/``...),
                   folded until opened
=================  ========================================================================

Equilibrium lines come from :func:`ganlogs.conventions.equilibrium` for the run's loss family
and D-loss reduction, on the panel of the series they refer to; D = 1/2 is drawn on the D
outputs panel only for BCE/LSGAN families whose outputs are probabilities.

Encoding (to keep a run under about 100 KB): steps as a JSON list of differences (first
value absolute, the rest in units of their greatest common divisor), values as little-endian float32 in base64 (NaN and +-Inf kept). A series is
downsampled with LTTB (:mod:`ganlogs.report.downsample`) to :data:`MAX_POINTS` points
(:data:`MAX_POINTS_OTHER` for the folded "other" panels), keeping extremes, the first
non-finite point and restarts.
"""

from __future__ import annotations

import base64
import math
import re
from typing import Any, Iterable, Mapping

import numpy as np

from ..analysis import Analysis, RunResult
from ..conventions import LOSS_FAMILIES, equilibrium
from ._common import (display_findings, format_value, insufficient, loss_family_text,
                      onset_text, reason_text, span_of)
from .downsample import downsample

__all__ = ["MAX_POINTS", "MAX_POINTS_OTHER", "OVERVIEW_BINS", "LABEL_COLORS", "PANELS",
           "overview_payload", "run_payload", "panel_of"]

#: points per drawn series of a main panel: a chart 1,000-2,000 px wide shows no more
MAX_POINTS = 2000
#: points per series of a folded "other scalars" panel (timings, resources: dozens of tags)
MAX_POINTS_OTHER = 400
#: points per run over every series, so that a run with dozens of tags stays near 100 KB
#: (about 7 bytes a point): main-panel series share it first, the folded panels what is left
RUN_POINT_BUDGET = 10_000
#: fewest points a series is cut to, however many tags the run has
MIN_POINTS, MIN_POINTS_OTHER = 300, 100
#: bins per run and metric in the sweep overlay chart (every run on one shared step grid)
OVERVIEW_BINS = 150
#: hyperparameter columns shown in the runs table (those that vary across runs first)
MAX_HPARAM_COLUMNS = 8

LABEL_COLORS = {"converged": "#16a34a", "oscillating": "#d97706", "mode_collapse": "#c026d3",
                "vanishing_gradients": "#0891b2", "diverged": "#dc2626",
                "d_overfitting": "#9333ea", "insufficient_data": "#6b7280"}

#: panel id -> (title, roles drawn in it, log scale by default)
PANELS: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "d_loss": ("D loss", ("d_loss", "d_loss_real", "d_loss_fake"), False),
    "g_loss": ("G loss", ("g_loss",), False),
    "d_outputs": ("D outputs", ("d_x", "d_gz"), False),
    "grad_norms": ("Gradient norms", ("d_grad_norm", "g_grad_norm"), True),
    "quality": ("Quality metrics", ("fid", "is"), False),
    "lr": ("Learning rates", ("lr_d", "lr_g"), True),
}
_ROLE_PANEL = {role: pid for pid, (_, roles, _) in PANELS.items() for role in roles}

ROLE_COLORS = {"d_loss": "#2563eb", "g_loss": "#ea580c", "d_loss_real": "#0d9488",
               "d_loss_fake": "#7c3aed", "d_x": "#2563eb", "d_gz": "#ea580c",
               "d_grad_norm": "#2563eb", "g_grad_norm": "#ea580c", "lr_d": "#2563eb",
               "lr_g": "#ea580c", "fid": "#0f766e", "is": "#a16207"}
#: colours for series without a role colour, in order
PALETTE = ("#0891b2", "#be123c", "#4d7c0f", "#7c3aed", "#b45309", "#0f766e", "#db2777",
           "#4338ca", "#65a30d", "#9f1239", "#0369a1", "#a16207")

_SPLIT = re.compile(r"[/_.\s:()\[\]-]+")
_LR = {"lr", "learning", "learningrate"}
_QUALITY = {"fid", "kid", "is", "inception", "ppl", "precision", "recall", "lpips", "ssim",
            "psnr", "metric", "metrics", "fid50k", "fid50k_full", "pr50k3", "kid50k"}
_GRAD = {"grad", "gradnorm", "grad_norm", "gradients", "gradient", "norm"}
_DOUT = {"score", "scores", "logit", "logits", "d(x)", "dx", "dgz", "signs"}
_D = {"d", "disc", "discriminator", "critic", "netd"}
_G = {"g", "gen", "generator", "netg", "cycle", "idt", "identity", "l1", "vgg", "perceptual"}


def panel_of(tag: str, role: str | None) -> str:
    """The panel a series is drawn in: its role's panel, else one guessed from its name
    (``Loss/D/loss`` -> ``d_loss``, ``G_L1`` -> ``g_loss``, ``lr`` -> ``lr``), else
    ``other:<first path component>``."""
    if role is not None and role in _ROLE_PANEL:
        return _ROLE_PANEL[role]
    low = tag.lower()
    tokens = {t for t in _SPLIT.split(low) if t}
    if tokens & _LR or "learning_rate" in low:
        return "lr"
    if tokens & _QUALITY or low.startswith(("fid", "kid", "metric")):
        return "quality"
    if tokens & _GRAD:
        return "grad_norms"
    if tokens & _DOUT:
        return "d_outputs"
    if tokens & _D:
        return "d_loss"
    if tokens & _G:
        return "g_loss"
    prefix = tag.split("/", 1)[0] if "/" in tag else ""
    return f"other:{prefix}"


# ------------------------------------------------------------------ encoding
def encode_steps(x: np.ndarray) -> tuple[list[int], int]:
    """Steps (sorted int64) as ``([first, d1, d2, ...], unit)``: the differences divided by
    their greatest common divisor ``unit`` (a log every 10 steps writes ``1`` not ``10``);
    the page adds them up: ``x[i] = x[i-1] + d[i] * unit``."""
    x = np.asarray(x, dtype=np.int64)
    if not len(x):
        return [], 1
    d = np.diff(x)
    unit = int(np.gcd.reduce(d)) if len(d) and d.any() else 1
    unit = max(unit, 1)
    return [int(x[0])] + (d // unit).tolist(), unit


def encode_values(y: np.ndarray) -> str:
    """Values as base64 little-endian float32 (NaN and +-Inf kept; the page shows 4-5
    significant digits, which float32's 7 cover)."""
    with np.errstate(over="ignore"):
        return base64.b64encode(np.asarray(y, dtype="<f4").tobytes()).decode("ascii")


def _restart_steps(r: RunResult, tag: str) -> np.ndarray:
    """Steps where a restart began for ``tag``: the lowest step each superseded block held."""
    sc = r.run.scalars if r.run is not None else None
    if sc is None or not bool(sc["superseded"].any()):
        return np.empty(0)
    rows = sc[(sc["tag"] == tag) & sc["superseded"]]
    return np.unique(rows["step"].to_numpy())[:1] if len(rows) else np.empty(0)


def _roles_by_tag(r: RunResult) -> dict[str, tuple[str, str | None]]:
    """tag -> (role, pair) over the run's roles, and over per-pair roles when the role map
    carries them (``pairs``: pair name -> role -> tag)."""
    out: dict[str, tuple[str, str | None]] = {}
    if r.roles is None:
        return out
    pairs = getattr(r.roles, "pairs", None)
    if isinstance(pairs, Mapping):
        for pair, roles in pairs.items():
            if isinstance(roles, Mapping):
                for role, tag in roles.items():
                    out.setdefault(str(tag), (str(role), str(pair)))
            elif hasattr(roles, "tags"):
                for role, tag in roles.tags.items():
                    out.setdefault(str(tag), (str(role), str(pair)))
    for role, tag in r.roles.tags.items():
        out[str(tag)] = (str(role), out.get(str(tag), (None, None))[1])
    return out


def _sums(r: RunResult) -> dict[str, tuple[str, ...]]:
    """Composite tags of the run's roles (``RoleMap.sums``, and each pair's) -> the logged
    tags they sum, keeping only those whose parts the run logs."""
    if r.roles is None or r.run is None:
        return {}
    out = dict(getattr(r.roles, "sums", {}) or {})
    for p in (getattr(r.roles, "pairs", None) or {}).values():
        out.update(getattr(p, "sums", {}) or {})
    logged = set(r.run.tags) | set(out)
    return {k: tuple(v) for k, v in out.items() if all(t in logged for t in v)}


def _family(r: RunResult) -> tuple[str | None, str | None]:
    """The loss family and D-loss reduction the report states (see :func:`loss_family_text`)."""
    from ._common import stated_conventions

    return stated_conventions(r)


def _equilibria(r: RunResult, family: str, red: str | None) -> tuple[float | None, float | None,
                                                                     float | None]:
    """The D-loss, D-term and G-loss equilibria: the ones the detectors compared levels with
    (``LossFamily.equilibrium_*``, which count e.g. pix2pixHD's discriminator scales) when
    given, else :func:`ganlogs.conventions.equilibrium`'s."""
    lf = r.loss_family
    d = getattr(lf, "equilibrium_d_loss", None)
    g = getattr(lf, "equilibrium_g_loss", None)
    ref_red = getattr(lf, "reference_reduction", None) or red
    if d is None and red is not None:
        d = equilibrium(family, red).d_loss
    if g is None:
        g = equilibrium(family, "summed").g_loss
    if d is not None and ref_red is not None:
        term = d / 2 if ref_red == "summed" else d
    else:
        term = equilibrium(family, "mean").d_loss
    return d, term, g


def _hlines(panel: str, roles: set[str], r: RunResult, y_all: list[np.ndarray]) -> list[dict]:
    family, red = _family(r)
    if family is None or family not in LOSS_FAMILIES:
        return []
    eq_d, eq_term, eq_g = _equilibria(r, family, red)
    out = []
    if panel == "d_loss":
        if "d_loss" in roles and red is not None and eq_d is not None:
            out.append({"y": eq_d, "text": f"D equilibrium {eq_d:.3f} ({family}, {red})",
                        "color": ROLE_COLORS["d_loss"]})
        if roles & {"d_loss_real", "d_loss_fake"} and eq_term is not None:
            out.append({"y": eq_term, "text": f"D real/fake term equilibrium {eq_term:.3f} "
                                              f"({family})", "color": "#6b7280"})
    elif panel == "g_loss" and "g_loss" in roles and eq_g is not None:
        out.append({"y": eq_g, "text": f"G equilibrium {eq_g:.3f} ({family})",
                    "color": ROLE_COLORS["g_loss"]})
    elif panel == "d_outputs" and roles & {"d_x", "d_gz"} \
            and family in ("bce_nonsaturating", "bce_minimax", "lsgan"):
        vals = [v[np.isfinite(v)] for v in y_all]
        if all(len(v) == 0 or (v.min() >= 0.0 and v.max() <= 1.0) for v in vals):
            out.append({"y": 0.5, "text": f"D = 1/2 (equilibrium of {family})",
                        "color": "#374151"})
    return out


def _panels(r: RunResult, *, max_points: int, max_points_other: int) -> list[dict]:
    if r.run is None:
        return []
    by_tag = _roles_by_tag(r)
    groups: dict[str, list[dict]] = {}
    ys: dict[str, list[np.ndarray]] = {}
    roles_in: dict[str, set[str]] = {}
    n_color: dict[str, int] = {}
    # a role held by a composite (terms the code sums, e.g. pix2pix's D_real + D_fake) is
    # drawn too, computed from its parts
    sums = _sums(r)
    run = r.run.with_sums(sums) if sums else r.run
    logged = set(r.run.tags)
    tags = list(r.run.tags) + [t for t in by_tag if t not in logged and t in sums]
    placed = [(tag, *by_tag.get(tag, (None, None))) for tag in tags]
    placed = [(tag, role, pair, panel_of(tag, role)) for tag, role, pair in placed]
    # role series first (up to max_points each), then the other main-panel series share
    # 80% of what is left, the folded panels the rest
    size = {tag: len(run.series(tag)) for tag, *_ in placed}
    role_n = [size[t] for t, role, _, _ in placed if role is not None]
    main_n = [size[t] for t, role, _, pid in placed if role is None and not pid.startswith("other:")]
    n_other = sum(pid.startswith("other:") for *_, pid in placed)
    left = RUN_POINT_BUDGET - sum(min(max_points, n) for n in role_n)
    main_cap = int(min(max_points, max(MIN_POINTS, left * 0.8 / max(len(main_n), 1))))
    left -= sum(min(main_cap, n) for n in main_n)
    other_cap = int(min(max_points_other, max(MIN_POINTS_OTHER, left / max(n_other, 1))))
    for tag, role, pair, pid in placed:
        s = run.series(tag)
        x = s.index.to_numpy(dtype=np.int64)
        y = s.to_numpy(dtype=float)
        cap = (max_points if role is not None
               else other_cap if pid.startswith("other:") else main_cap)
        keep = downsample(x.astype(float), y, cap, keep_steps=_restart_steps(r, tag))
        if role is not None and role in ROLE_COLORS and pair is None:
            color = ROLE_COLORS[role]
        else:
            i = n_color.get(pid, 0)
            n_color[pid] = i + 1
            color = PALETTE[i % len(PALETTE)]
        bad = ~np.isfinite(y)
        xs, unit = encode_steps(x[keep])
        name = tag if role is None else f"{tag} ({role}{', ' + pair if pair else ''})"
        groups.setdefault(pid, []).append({
            "tag": tag, "name": name, "role": role, "pair": pair, "color": color,
            "points": int(len(y)), "drawn": int(len(keep)),
            "nonfinite": int(bad.sum()),
            "first_nonfinite": int(x[bad][0]) if bad.any() else None,
            "x": xs, "xunit": unit, "y": encode_values(y[keep])})
        ys.setdefault(pid, []).append(y)
        if role is not None:
            roles_in.setdefault(pid, set()).add(role)
    order = list(PANELS) + sorted(p for p in groups if p not in PANELS)
    out = []
    for pid in order:
        if pid not in groups:
            continue
        if pid in PANELS:
            title, _, log = PANELS[pid]
        else:
            prefix = pid.split(":", 1)[1]
            title, log = (f"{prefix}/*" if prefix else "Other scalars"), False
        # a log scale only where every finite value is positive
        if log and any(np.any(v[np.isfinite(v)] <= 0) for v in ys[pid]):
            log = False
        out.append({"id": pid, "title": title, "log": log, "folded": pid.startswith("other:"),
                    "series": groups[pid],
                    "hlines": _hlines(pid, roles_in.get(pid, set()), r, ys[pid])})
    return out


# ------------------------------------------------------------------ runs
def display_name(r: RunResult, root: str) -> str:
    """The run's name in the report: its id, or the root's own name when the run is the root
    (JSON keeps ``.``)."""
    from ._common import run_name

    return run_name(r, root)


def _roles_table(r: RunResult) -> dict[str, str]:
    """role -> tag, with each adversarial pair's roles as ``"<role> [<pair>]"``."""
    if r.roles is None:
        return {}
    out = {str(k): str(v) for k, v in r.roles.tags.items()}
    pairs = getattr(r.roles, "pairs", None)
    if isinstance(pairs, Mapping):
        for pair, rm in pairs.items():
            tags = rm if isinstance(rm, Mapping) else getattr(rm, "tags", {})
            out.update({f"{k} [{pair}]": str(v) for k, v in tags.items()})
    return out


def _labels(r: RunResult) -> list[list[Any]]:
    return [[f.label, round(float(f.confidence), 3), getattr(f, "pair", None)]
            for f in r.top_findings()]


def _finding(f, labelled: bool, detectors: tuple[str, ...], last: int | None) -> dict:
    span = span_of(f, last)
    return {"label": f.label, "confidence": round(float(f.confidence), 3),
            "onset": f.onset_step, "span": list(span) if span else None,
            "summary": " ".join(str(f.summary).split()), "labelled": labelled,
            "pair": getattr(f, "pair", None),
            "evidence": {str(k): format_value(v) for k, v in f.evidence.items()},
            "parameters": {str(k): format_value(v) for k, v in f.parameters.items()},
            "detectors": list(detectors), "version": str(f.detector_version)}


def run_payload(r: RunResult, root: str, *, max_points: int = MAX_POINTS,
                max_points_other: int = MAX_POINTS_OTHER, panels: bool = True) -> dict[str, Any]:
    """Everything the page shows when the run is opened (``panels=False``: no chart data)."""
    series = r.run.series_summary() if r.run is not None else {}
    last = max((s["last_step"] for s in series.values()), default=None)
    meta = r.run.meta if r.run is not None else None
    out: dict[str, Any] = {
        "name": display_name(r, root), "id": r.run_id, "path": str(r.path),
        "format": r.format, "status": r.status, "error": r.error, "points": r.points,
        "writer": meta.writer if meta else None,
        "labels": _labels(r), "family": loss_family_text(r) if r.ok else None,
        "reason": reason_text(r), "warnings": list(r.warnings),
        "findings": [_finding(f, lab, dets, last) for f, lab, dets in display_findings(r)],
        "roles": _roles_table(r),
        "series": {t: [s["points"], s["first_step"], s["last_step"]] for t, s in series.items()},
        "hparams": {str(k): format_value(v) for k, v in (meta.hparams if meta else {}).items()},
        "notes": list(r.notes) + (list(r.loss_family.reasons) if r.loss_family else []),
        "panels": _panels(r, max_points=max_points, max_points_other=max_points_other)
        if r.ok and panels else [],
    }
    out["spans"] = [{"start": f["span"][0], "end": f["span"][1], "label": f["label"],
                     "confidence": f["confidence"], "onset": f["onset"], "pair": f["pair"],
                     "color": LABEL_COLORS.get(f["label"], "#6b7280")}
                    for f in out["findings"] if f["labelled"] and f["span"]]
    return out


# ------------------------------------------------------------------ overview
def _hparam_value(v: Any) -> Any:
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, (int, float)) and math.isfinite(float(v)):
        return v
    if hasattr(v, "item") and callable(v.item):
        return _hparam_value(v.item())
    text = format_value(v)
    return text if len(text) <= 60 else text[:59] + "…"


def _hparam_columns(runs: Iterable[RunResult]) -> list[str]:
    values: dict[str, set[str]] = {}
    for r in runs:
        if r.run is None:
            continue
        for k, v in r.run.meta.hparams.items():
            values.setdefault(str(k), set()).add(repr(v))
    varying = [k for k, v in values.items() if len(v) > 1]
    constant = [k for k, v in values.items() if len(v) <= 1]
    return (varying + constant)[:MAX_HPARAM_COLUMNS] if len(values) else []


def _overlay(analysis: Analysis) -> dict[str, Any]:
    """Per overlay metric (a role), the shared step grid and every run's binned means."""
    per_role: dict[str, list[tuple[int, np.ndarray, np.ndarray]]] = {}
    for i, r in enumerate(analysis.runs):
        if not r.ok or r.run is None or r.roles is None:
            continue
        for role, tag in r.roles.tags.items():
            if tag not in r.run.tags:
                continue
            s = r.run.series(tag)
            if len(s):
                per_role.setdefault(role, []).append(
                    (i, s.index.to_numpy(dtype=float), s.to_numpy(dtype=float)))
    metrics = {}
    for role in [r for r in ROLE_COLORS if r in per_role] + \
            sorted(r for r in per_role if r not in ROLE_COLORS):
        items = per_role[role]
        lo = min(float(x[0]) for _, x, _ in items)
        hi = max(float(x[-1]) for _, x, _ in items)
        edges = np.linspace(lo, hi if hi > lo else lo + 1.0, OVERVIEW_BINS + 1)
        centers = (edges[:-1] + edges[1:]) / 2
        runs = {}
        for i, x, y in items:
            ok = np.isfinite(y)
            b = np.clip(np.searchsorted(edges, x[ok], side="right") - 1, 0, OVERVIEW_BINS - 1)
            sums = np.bincount(b, weights=y[ok], minlength=OVERVIEW_BINS)
            counts = np.bincount(b, minlength=OVERVIEW_BINS)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
            runs[str(i)] = encode_values(mean)
        metrics[role] = {"x": [float(c) for c in centers], "runs": runs}
    return metrics


def overview_payload(analysis: Analysis) -> dict[str, Any]:
    """The runs table, the counts per label and the overlay chart's data."""
    cols = _hparam_columns(analysis.runs)
    rows = []
    for i, r in enumerate(analysis.runs):
        hp = r.run.meta.hparams if r.run is not None else {}
        tops = r.top_findings()
        onset = onset_text(r)
        rows.append({
            "i": i, "name": display_name(r, analysis.root), "format": r.format or "?",
            "ok": r.ok, "points": r.points if r.ok else None,
            "labels": _labels(r),
            "short": bool(r.ok and not r.labels and insufficient(r) is not None),
            "confidence": round(float(tops[0].confidence), 3) if tops else None,
            "onset": None if onset == "-" else int(onset),
            "reason": reason_text(r), "warnings": len(r.warnings),
            "hp": {str(k): _hparam_value(v) for k, v in hp.items()},
        })
    return {"runs": rows, "hparams": cols, "counts": analysis.label_counts(),
            "label_colors": LABEL_COLORS, "overlay": _overlay(analysis)}
