"""Hand-written SVG plots for the reports: no plotting library, no script, no network.

A run's plots show each series twice: the raw points, faint (drawn as dots when there are
few, else as a min/max band per pixel column, so a spike in a million-point series still
shows), and a lightly smoothed line over them (an exponential moving average spanning about
1/60 of the series, debiased at the start). Horizontal dashed lines mark the loss family's
equilibrium (:func:`ganlogs.conventions.equilibrium`); the steps where a finding that made
the run's labels holds are shaded in the label's colour (findings below the confidence
threshold are listed in the report, not shaded). Values beyond the plotted range (a run that blows up) are
drawn at the edge and counted in the legend; NaN and Inf points are marked by ticks along
the top.

Every string in an SVG goes through :func:`e` (log tags, run names, labels): HTML-escaped,
with characters XML cannot hold (control characters from a log) shown as ``\\xNN``, so a
plot can be inlined into HTML or written to its own well-formed ``.svg`` file.

Downsampling and smoothing are for drawing only; nothing here feeds a finding.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np

from ..analysis import RunResult
from ..conventions import LOSS_FAMILIES

__all__ = ["Trace", "HLine", "Span", "line_chart", "run_plots", "label_bars", "LABEL_COLORS",
           "ROLE_COLORS", "downsample_minmax", "smooth"]

LABEL_COLORS = {"converged": "#16a34a", "oscillating": "#d97706", "mode_collapse": "#c026d3",
                "vanishing_gradients": "#0891b2", "diverged": "#dc2626",
                "insufficient_data": "#6b7280"}
ROLE_COLORS = {"d_loss": "#2563eb", "g_loss": "#ea580c", "d_loss_real": "#0d9488",
               "d_loss_fake": "#7c3aed", "d_x": "#2563eb", "d_gz": "#ea580c",
               "d_grad_norm": "#2563eb", "g_grad_norm": "#ea580c"}
_FONT = "font-family=\"system-ui,-apple-system,'Segoe UI',Roboto,sans-serif\""

_HALO = 'stroke="#ffffff" stroke-width="3" stroke-opacity="0.85" paint-order="stroke"'

#: characters XML 1.0 does not allow, even as character references (C0 controls but tab,
#: newline and carriage return; surrogates; U+FFFE, U+FFFF)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def e(text: object) -> str:
    """Text for an SVG: HTML-escaped, and each character that XML cannot hold (an escape
    sequence in a log's tag) shown as ``\\xNN`` so the document stays well-formed."""
    return html.escape(_NOT_XML.sub(lambda m: m.group().encode("unicode_escape",
                                                                "backslashreplace").decode(),
                                    str(text)))


@dataclass(frozen=True)
class Trace:
    """One series to draw: steps ``x`` (sorted), values ``y`` (NaN/Inf allowed)."""

    name: str
    x: np.ndarray
    y: np.ndarray
    color: str


@dataclass(frozen=True)
class HLine:
    """A dashed horizontal reference line (an equilibrium) with its label."""

    y: float
    text: str
    color: str = "#374151"


@dataclass(frozen=True)
class Span:
    """Steps ``start``..``end`` shaded in ``color``, captioned ``text``; ``onset`` marked."""

    start: float
    end: float
    text: str
    color: str
    onset: float | None = None
    strong: bool = True


@dataclass
class _Frame:
    x0: float
    x1: float
    y0: float
    y1: float
    left: float
    top: float
    width: float
    height: float
    log_y: bool = False

    def px(self, x: np.ndarray | float) -> np.ndarray | float:
        span = self.x1 - self.x0 or 1.0
        return self.left + (np.asarray(x, dtype=float) - self.x0) / span * self.width

    def py(self, y: np.ndarray | float) -> np.ndarray | float:
        y = np.asarray(y, dtype=float)
        if self.log_y:
            y = np.log10(np.clip(y, 1e-300, None))
        span = self.y1 - self.y0 or 1.0
        out = self.top + (1.0 - (y - self.y0) / span) * self.height
        return np.clip(out, self.top, self.top + self.height)


def smooth(y: np.ndarray, *, span: float | None = None) -> np.ndarray:
    """Debiased exponential moving average of ``y`` (finite values; pass only those).

    ``span`` defaults to 1/60 of the series, at least 1 point (1 point = no smoothing).
    """
    from scipy.signal import lfilter

    y = np.asarray(y, dtype=float)
    n = len(y)
    if n == 0:
        return y.copy()
    span = max(1.0, n / 60.0) if span is None else max(1.0, span)
    alpha = 2.0 / (span + 1.0)
    acc = lfilter([alpha], [1.0, -(1.0 - alpha)], y)
    weight = 1.0 - (1.0 - alpha) ** np.arange(1, n + 1)  # debias the start
    return acc / weight


def downsample_minmax(x: np.ndarray, y: np.ndarray, x0: float, x1: float,
                      buckets: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pixel bucket of ``x`` (sorted) over [x0, x1]: bucket centre step, min and max of the
    finite ``y``. Buckets with no finite value are left out."""
    keep = np.isfinite(y)
    x, y = np.asarray(x, float)[keep], np.asarray(y, float)[keep]
    if len(x) == 0:
        return np.empty(0), np.empty(0), np.empty(0)
    span = (x1 - x0) or 1.0
    b = np.clip(((x - x0) / span * (buckets - 1)).round().astype(np.int64), 0, buckets - 1)
    starts = np.flatnonzero(np.r_[True, b[1:] != b[:-1]])
    lo = np.minimum.reduceat(y, starts)
    hi = np.maximum.reduceat(y, starts)
    cx = np.add.reduceat(x, starts) / np.diff(np.r_[starts, len(x)])
    return cx, lo, hi


def _bucket_mean(x: np.ndarray, y: np.ndarray, x0: float, x1: float,
                 buckets: int) -> tuple[np.ndarray, np.ndarray]:
    keep = np.isfinite(y)
    x, y = x[keep], y[keep]
    if len(x) <= buckets:
        return x, y
    span = (x1 - x0) or 1.0
    b = np.clip(((x - x0) / span * (buckets - 1)).round().astype(np.int64), 0, buckets - 1)
    starts = np.flatnonzero(np.r_[True, b[1:] != b[:-1]])
    counts = np.diff(np.r_[starts, len(x)])
    return np.add.reduceat(x, starts) / counts, np.add.reduceat(y, starts) / counts


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values in ``[lo, hi]``. Where the range is below what float64
    resolves at its magnitude (steps near ±2**63 that differ by a few hundred), one tick."""
    lo, hi = float(lo), float(hi)
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    if not (math.isfinite(raw) and raw > 0):
        return [lo]
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    if first + step == first:  # the step is below float resolution here
        return [lo]
    ticks = []
    for k in range(4 * n + 2):  # bounded: rounding can never make this loop endless
        t = first + k * step
        if t > hi + step * 1e-9:
            break
        ticks.append(0.0 if abs(t) < step * 1e-9 else t)
    return ticks


def _fmt_step(v: float) -> str:
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:g}M"
    if a >= 1e4:
        return f"{v / 1e3:g}k"
    return f"{v:g}"


def _fmt_y(v: float) -> str:
    return f"{v:.3g}"


def _pts(xs: Iterable[float], ys: Iterable[float]) -> str:
    """SVG points, to a tenth of a pixel ("12,3.5" rather than "12.0,3.5")."""
    return " ".join(f"{x:.1f},{y:.1f}".replace(".0,", ",") for x, y in zip(xs, ys))


def _robust_range(vals: np.ndarray) -> tuple[float, float]:
    """What to show of one series (in step order): its bulk (4 IQR beyond the quartiles)
    and where it started (5th to 95th percentile of its first tenth). Values beyond both,
    a blow-up, are left out; a run that starts at 1.4 and sinks to 0.001 keeps its start."""
    lo, hi = float(vals.min()), float(vals.max())
    q1, q3 = (float(q) for q in np.quantile(vals, [0.25, 0.75]))
    iqr = q3 - q1 or (abs(q3) * 0.1 or 1.0)
    e_lo, e_hi = (float(q) for q in np.quantile(vals[: max(len(vals) // 10, 1)], [0.05, 0.95]))
    return max(lo, min(q1 - 4 * iqr, e_lo)), min(hi, max(q3 + 4 * iqr, e_hi))


def _y_range(traces: Sequence[Trace], hlines: Sequence[HLine], log_y: bool,
             fixed: tuple[float, float] | None) -> tuple[float, float, int]:
    """Plotted y range (log10 units when ``log_y``) and how many points fall outside it.

    A run that blows up would flatten everything else: each series contributes its bulk and
    its start (:func:`_robust_range`), the rest is drawn at the edge and counted. Series are taken one
    by one so that three losses near 0 do not push a fourth near 10 off the plot.
    """
    per: list[np.ndarray] = []
    for t in traces:
        v = t.y[np.isfinite(t.y)]
        if log_y:
            v = np.log10(v[v > 0])
        if len(v):
            per.append(v)
    vals = np.concatenate(per) if per else np.empty(0)
    if fixed is not None:
        lo, hi = fixed
    elif len(vals) == 0:
        lo, hi = 0.0, 1.0
    else:
        ranges = [_robust_range(v) for v in per]
        lo, hi = min(r[0] for r in ranges), max(r[1] for r in ranges)
        core = (hi - lo) or 1.0
        for h in hlines:
            y = math.log10(h.y) if log_y and h.y > 0 else h.y
            if math.isfinite(y) and lo - 2 * core <= y <= hi + 2 * core:
                lo, hi = min(lo, y), max(hi, y)
        pad = (hi - lo) * 0.06 or (abs(hi) * 0.1 or 0.5)
        lo, hi = lo - pad, hi + pad
    off = int(((vals < lo) | (vals > hi)).sum()) if len(vals) else 0
    return lo, hi, off


def line_chart(
    traces: Sequence[Trace],
    *,
    title: str,
    width: int = 1000,
    height: int = 240,
    y_range: tuple[float, float] | None = None,
    log_y: bool = False,
    hlines: Sequence[HLine] = (),
    spans: Sequence[Span] = (),
    xlabel: str = "step",
) -> str:
    """An SVG line chart (a complete ``<svg>`` element with its own xmlns)."""
    left, right, top, bottom = 58.0, 14.0, 44.0, 30.0
    pw, ph = width - left - right, height - top - bottom
    xs = [t.x for t in traces if len(t.x)]
    x0 = float(min(x.min() for x in xs)) if xs else 0.0
    x1 = float(max(x.max() for x in xs)) if xs else 1.0
    for s in spans:
        x0, x1 = min(x0, float(s.start)), max(x1, float(s.end))
    if x1 <= x0:
        x1 = x0 + max(1.0, abs(x0) * 1e-9)  # a range float64 can tell from x0
    y0, y1, off = _y_range(traces, hlines, log_y, y_range)
    f = _Frame(x0, x1, y0, y1, left, top, pw, ph, log_y)
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" class="plot" {_FONT} font-size="11">',
        f"<title>{e(title)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{left}" y="15" font-size="13" font-weight="600" fill="#111827">{e(title)}</text>',
    ]
    # finding spans, under everything
    for i, s in enumerate(spans):
        a, b = float(f.px(s.start)), float(f.px(s.end))
        w = max(b - a, 2.0)
        op = "0.13" if s.strong else "0.06"
        out.append(f'<g class="span"><title>{e(s.text)}</title>'
                   f'<rect x="{a:.1f}" y="{top}" width="{w:.1f}" height="{ph}" fill="{s.color}" '
                   f'fill-opacity="{op}"/>'
                   f'<text x="{a + 3:.1f}" y="{top + 12 + 12 * i:.1f}" fill="{s.color}" '
                   f'font-size="10.5" font-weight="600" {_HALO}>{e(s.text)}</text></g>')
        if s.onset is not None:
            ox = float(f.px(s.onset))
            out.append(f'<line x1="{ox:.1f}" x2="{ox:.1f}" y1="{top}" y2="{top + ph}" '
                       f'stroke="{s.color}" stroke-width="1.2" stroke-dasharray="4 3"/>')
    # grid and axes
    yt = _nice_ticks(y0, y1)
    for t in yt:
        y = top + (1 - (t - y0) / ((y1 - y0) or 1)) * ph
        label = _fmt_y(10 ** t) if log_y else _fmt_y(t)
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'stroke="#e5e7eb" stroke-width="1"/>'
                   f'<text x="{left - 6}" y="{y + 3.5:.1f}" text-anchor="end" '
                   f'fill="#6b7280">{e(label)}</text>')
    for t in _nice_ticks(x0, x1, 6):
        x = float(f.px(t))
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top + ph}" y2="{top + ph + 4}" '
                   f'stroke="#9ca3af"/><text x="{x:.1f}" y="{top + ph + 16}" '
                   f'text-anchor="middle" fill="#6b7280">{e(_fmt_step(t))}</text>')
    out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" '
               f'stroke="#d1d5db"/>')
    out.append(f'<text x="{left + pw}" y="{height - 3}" text-anchor="end" '
               f'fill="#9ca3af">{e(xlabel)}</text>')
    if log_y:
        out.append(f'<text x="4" y="{top - 4}" fill="#9ca3af">log scale</text>')
    # equilibrium lines (labels that would sit on one another are moved apart)
    used: list[float] = []
    for h in hlines:
        if log_y and h.y <= 0:
            continue
        yv = math.log10(h.y) if log_y else h.y
        if not (y0 <= yv <= y1):
            continue
        y = float(f.py(h.y))
        candidates = [c for c in (y - 4, y + 12, y - 16, y + 24, y - 28, y + 36)
                      if top + 10 < c < top + ph + 10]
        ty = next((c for c in candidates if all(abs(c - u) > 11 for u in used)),
                  candidates[0] if candidates else y - 4)
        used.append(ty)
        out.append(f'<g class="hline"><title>{e(h.text)}</title>'
                   f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'stroke="{h.color}" stroke-width="1.2" stroke-dasharray="6 4" '
                   f'stroke-opacity="0.75"/>'
                   f'<text x="{left + pw - 4}" y="{ty:.1f}" text-anchor="end" '
                   f'fill="{h.color}" font-size="10.5" {_HALO}>{e(h.text)}</text></g>')
    # series: raw (band or dots), then smoothed line
    buckets = int(pw)
    for t in traces:
        x, y = np.asarray(t.x, float), np.asarray(t.y, float)
        if log_y:
            y = np.where(y > 0, y, np.nan)
        finite = np.isfinite(y)
        out.append(f'<g class="trace"><title>{e(t.name)}</title>')
        if finite.sum() <= pw / 3:
            px, py = f.px(x[finite]), f.py(y[finite])
            out.append(f'<g fill="{t.color}" fill-opacity="0.35">'
                       + "".join(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="1.7"/>'
                                 for a, b in zip(px, py)) + "</g>")
        else:
            cx, lo, hi = downsample_minmax(x, y, x0, x1, buckets)
            px = f.px(cx)
            px = np.round(px)  # one band column per pixel
            band = _pts(px, f.py(hi)) + " " + _pts(px[::-1], f.py(lo)[::-1])
            out.append(f'<polygon points="{band}" fill="{t.color}" fill-opacity="0.18" '
                       f'stroke="{t.color}" stroke-opacity="0.3" stroke-width="0.8" '
                       f'stroke-linejoin="round"/>')
        # the smoothed line is smooth: two pixels per point are enough
        sx, sy = _bucket_mean(x[finite], smooth(y[finite]), x0, x1, max(buckets // 2, 2))
        if len(sx):
            out.append(f'<polyline points="{_pts(f.px(sx), f.py(sy))}" fill="none" '
                       f'stroke="{t.color}" stroke-width="1.8" stroke-linejoin="round"/>')
        bad = x[~np.isfinite(np.asarray(t.y, float))]
        if len(bad):
            bx = np.unique(np.round(f.px(bad)).astype(int))
            out.append("".join(f'<path d="M{b - 3},{top - 7} L{b + 3},{top - 7} L{b},{top - 1} Z" '
                               f'fill="{t.color}"/>' for b in bx[:400]))
        out.append("</g>")
    # legend
    lx = left
    items = [(t.color, t.name) for t in traces]
    for color, name in items:
        text = name if len(name) <= 40 else name[:39] + "…"
        out.append(f'<rect x="{lx}" y="24" width="12" height="3" fill="{color}"/>'
                   f'<text x="{lx + 16}" y="29" fill="#374151">{e(text)}</text>')
        lx += 16 + 6.2 * len(text) + 14
    notes = []
    if off:
        notes.append(f"{off} point(s) off scale")
    n_bad = sum(int((~np.isfinite(np.asarray(t.y, float))).sum()) for t in traces)
    if n_bad:
        notes.append(f"▼ {n_bad} NaN/Inf")
    if notes:
        out.append(f'<text x="{left + pw}" y="29" text-anchor="end" fill="#b91c1c">'
                   f'{e("; ".join(notes))}</text>')
    out.append("</svg>")
    return "".join(out)


def _trace(r: RunResult, role: str) -> Trace | None:
    tag = r.roles.get(role) if r.roles is not None else None
    if tag is None or r.run is None or tag not in r.run.tags:
        return None
    s = r.run.series(tag)
    return Trace(name=f"{tag} ({role})", x=s.index.to_numpy(dtype=float),
                 y=s.to_numpy(dtype=float), color=ROLE_COLORS.get(role, "#374151"))


def _spans(r: RunResult, last_step: float | None) -> list[Span]:
    from ._common import span_of

    spans = []
    labelled = set(r.labels)
    for fnd in sorted(r.findings, key=lambda f: -f.confidence):
        if fnd.label not in labelled:  # below the threshold, or insufficient_data
            continue
        where = span_of(fnd, None if last_step is None else int(last_step))
        if where is None:
            continue
        spans.append(Span(start=where[0], end=where[1],
                          text=f"{fnd.label} {fnd.confidence:.2f}",
                          color=LABEL_COLORS.get(fnd.label, "#6b7280"),
                          onset=fnd.onset_step, strong=fnd.label in labelled))
    return spans


def _role(t: Trace) -> str:
    return t.name.rsplit("(", 1)[-1].rstrip(")")


def run_plots(r: RunResult, *, width: int = 1000) -> list[tuple[str, str]]:
    """The plots for one run, as ``(kind, svg)``, each with its own y-axis: ``d_loss`` (D loss
    and its real/fake parts) and ``g_loss`` when logged, ``probabilities`` (D(x), D(G(z))
    when logged), ``grad_norms`` (when logged, log scale)."""
    if r.run is None or r.roles is None:
        return []
    losses = [t for t in (_trace(r, k) for k in ("d_loss", "g_loss", "d_loss_real",
                                                  "d_loss_fake")) if t is not None]
    probs = [t for t in (_trace(r, k) for k in ("d_x", "d_gz")) if t is not None]
    grads = [t for t in (_trace(r, k) for k in ("d_grad_norm", "g_grad_norm")) if t is not None]
    all_x = [t.x for t in losses + probs + grads if len(t.x)]
    last = max(float(x.max()) for x in all_x) if all_x else None
    spans = _spans(r, last)
    out: list[tuple[str, str]] = []
    from ._common import stated_conventions
    from .payload import _equilibria

    family, red = stated_conventions(r)
    eq_d = eq_term = eq_g = None
    if family is not None and family in LOSS_FAMILIES:
        eq_d, eq_term, eq_g = _equilibria(r, family, red)
    fam = family or "loss family unknown"
    # D and G each on its own y-axis: a D loss near 0.2 is not flattened under a G near 9
    d_traces = [t for t in losses if _role(t) != "g_loss"]
    g_traces = [t for t in losses if _role(t) == "g_loss"]
    if d_traces:
        hl: list[HLine] = []
        roles = {_role(t) for t in d_traces}
        if eq_d is not None and red is not None and "d_loss" in roles:
            hl.append(HLine(eq_d, f"D equilibrium {eq_d:.3f} ({family}, {red})",
                            ROLE_COLORS["d_loss"]))
        if eq_term is not None and roles & {"d_loss_real", "d_loss_fake"}:
            hl.append(HLine(eq_term, f"D term equilibrium {eq_term:.3f}", "#6b7280"))
        out.append(("d_loss", line_chart(d_traces, title=f"D loss ({fam})", width=width,
                                         height=200, hlines=hl, spans=spans)))
    if g_traces:
        hl = [HLine(eq_g, f"G equilibrium {eq_g:.3f}", ROLE_COLORS["g_loss"])] \
            if eq_g is not None else []
        out.append(("g_loss", line_chart(g_traces, title=f"G loss ({fam})", width=width,
                                         height=200, hlines=hl, spans=spans)))
    if probs:
        # a [0, 1] axis and the D = 1/2 line only for probabilities of a family that has them
        # (hinge and WGAN critics output raw scores)
        finite = [t.y[np.isfinite(t.y)] for t in probs]
        is_prob = family in ("bce_nonsaturating", "bce_minimax", "lsgan") and all(
            len(v) == 0 or (v.min() >= 0 and v.max() <= 1) for v in finite)
        out.append(("probabilities", line_chart(
            probs, title="Discriminator outputs D(x), D(G(z))", width=width, height=190,
            y_range=(-0.03, 1.03) if is_prob else None,
            hlines=[HLine(0.5, "D = 1/2")] if is_prob else [], spans=spans)))
    if grads:
        out.append(("grad_norms", line_chart(grads, title="Gradient norms", width=width,
                                             height=190, log_y=True, spans=spans)))
    return out


def label_bars(counts: Mapping[str, int], *, total: int, width: int = 420) -> str:
    """Horizontal bars: how many runs carry each label (of ``total`` runs)."""
    row, left = 22, 150
    height = row * len(counts) + 12
    scale = (width - left - 50) / max(total, 1)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" role="img" class="bars" {_FONT} font-size="12">',
           "<title>Runs per label</title>"]
    for i, (label, n) in enumerate(counts.items()):
        y = 6 + i * row
        color = LABEL_COLORS.get(label, "#6b7280")
        out.append(f'<text x="{left - 8}" y="{y + 14}" text-anchor="end" fill="#374151">'
                   f'{e(label)}</text>'
                   f'<rect x="{left}" y="{y + 3}" width="{max(n * scale, 1.5):.1f}" height="14" '
                   f'rx="2" fill="{color}" fill-opacity="{0.85 if n else 0.25}"/>'
                   f'<text x="{left + n * scale + 6:.1f}" y="{y + 14}" fill="#111827">{n}</text>')
    out.append("</svg>")
    return "".join(out)
