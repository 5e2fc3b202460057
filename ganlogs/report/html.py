"""The HTML report ``ganlogs report PATH -o report.html`` writes.

One self-contained file: the page (``template.html``, loaded with :mod:`importlib.resources`),
inline SVG plots from :mod:`ganlogs.report.plots` and about thirty lines of vanilla
JavaScript that sort the runs table. It loads nothing from the network (its
Content-Security-Policy forbids it), so it opens offline and from CI artifacts.

Sections: a sweep overview (runs per label, a sortable table of runs) and one section per
run (loss curves with the loss family's equilibrium lines and the steps where each finding
holds shaded, D(x)/D(G(z)) and gradient norms when logged, the findings with their evidence,
warnings, notes, roles and hyperparameters). Every string that comes from a log goes through
:func:`html.escape`.
"""

from __future__ import annotations

import html
from importlib import resources
from string import Template
from typing import Any, Mapping

from .._version import __version__
from ..analysis import Analysis, RunResult
from ._common import (display_findings, format_value, insufficient, labels_text,
                      loss_family_text, onset_text, reason_text, span_of)

__all__ = ["render_html"]


def e(value: Any) -> str:
    """Escape anything for HTML text or a double- or single-quoted attribute."""
    return html.escape(str(value), quote=True)


def _template() -> Template:
    text = resources.files("ganlogs.report").joinpath("template.html").read_text("utf-8")
    return Template(text)


def _chips(r: RunResult) -> str:
    if not r.ok:
        return '<span class="chip l-diverged">unreadable</span>'
    tops = r.top_findings()
    if tops:
        return "".join(f'<span class="chip l-{e(f.label)}">{e(f.label)} {f.confidence:.2f}</span>'
                       for f in tops)
    if insufficient(r):
        return '<span class="chip l-insufficient_data">insufficient_data</span>'
    return '<span class="chip quiet">no label</span>'


def _anchor(i: int) -> str:
    return f"run-{i}"


def _overview(analysis: Analysis, plots: bool) -> str:
    from .plots import label_bars

    counts = analysis.label_counts()
    n = len(analysis.runs)
    ok = sum(r.ok for r in analysis.runs)
    short = sum(r.too_short for r in analysis.runs)
    stats = [("runs", n), ("read", ok), ("unreadable", n - ok), ("too short to judge", short)]
    stats += list(counts.items())
    parts = ['<section class="card" id="overview"><h2>Sweep overview</h2><div class="overview">',
             '<div class="stats">'
             + "".join(f"<span>{e(k)}</span><b>{v}</b>" for k, v in stats) + "</div>"]
    if plots and n:
        parts.append(label_bars(counts, total=n))
    parts.append("</div>")
    rows = []
    for i, r in enumerate(analysis.runs):
        tops = r.top_findings()
        conf = f"{tops[0].confidence:.2f}" if tops else ""
        onset = onset_text(r)
        labels = labels_text(r)
        rows.append(
            f'<tr class="{"ok" if r.ok else "error"}">'
            f'<td class="run" data-sort="{e(r.run_id)}"><a href="#{_anchor(i)}">{e(r.run_id)}</a></td>'
            f"<td>{e(r.format or '?')}</td>"
            f'<td class="num" data-sort="{r.points if r.ok else -1}">{r.points if r.ok else "-"}</td>'
            f'<td data-sort="{e(labels)}">{_chips(r)}</td>'
            f'<td class="num" data-sort="{conf or -1}">{conf or "-"}</td>'
            f'<td class="num" data-sort="{"" if onset == "-" else onset}">{e(onset)}</td>'
            f'<td class="reason"><div title="{e(reason_text(r))}">{e(reason_text(r))}</div></td>'
            "</tr>")
    parts.append('<h3>Runs</h3><table class="sortable" id="runs"><thead><tr>'
                 '<th>run</th><th>format</th><th class="num">points</th><th>labels</th>'
                 '<th class="num">confidence</th><th class="num">onset step</th>'
                 "<th>reason</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")
    parts.append("</section>")
    return "".join(parts)


def _kv_table(items: Mapping[str, Any], cls: str = "") -> str:
    rows = "".join(f'<tr><td class="k">{e(k)}</td><td>{e(format_value(v))}</td></tr>'
                   for k, v in items.items())
    return f'<table class="{cls}">{rows}</table>' if rows else ""


def _kv_grid(items: Mapping[str, Any]) -> str:
    """Named statistics as a compact multi-column grid."""
    cells = "".join(f'<div><span class="k">{e(k)}</span> {e(format_value(v))}</div>'
                    for k, v in items.items())
    return f'<div class="kv">{cells}</div>' if cells else ""


def _finding(f, labelled: bool, last_step: int | None, detectors: tuple[str, ...]) -> str:
    span = span_of(f, last_step)
    where = []
    if f.onset_step is not None:
        where.append(f"onset step {f.onset_step}")
    if span is not None:
        where.append(f"steps {span[0]}–{span[1]}")
    head = (f'<span class="chip l-{e(f.label)}">{e(f.label)}</span> confidence '
            f"{f.confidence:.2f}" + (f" · {e(', '.join(where))}" if where else "")
            + ("" if labelled or f.label == "insufficient_data"
               else " · <i>below the confidence threshold</i>"))
    evidence = _kv_grid(f.evidence)
    params = _kv_grid(f.parameters)
    return (f'<div class="finding b-{e(f.label)}{"" if labelled else " below"}">'
            f'<div class="head">{head}</div>'
            f'<div class="summary">{e(f.summary)}</div>'
            + (f"<details{' open' if labelled else ''}><summary>evidence "
               f"({len(f.evidence)})</summary>{evidence}</details>" if evidence else "")
            + f'<div class="runmeta">detector{"s" if len(detectors) > 1 else ""} '
            + ", ".join(f"<code>{e(d)}</code>" for d in detectors) + f" v{e(f.detector_version)}"
            + (f"</div><details><summary>detector parameters</summary>{params}</details>"
               if params else "</div>")
            + "</div>")


def _run_section(i: int, r: RunResult, plots: bool) -> str:
    from .plots import run_plots

    out = [f'<section class="card run" id="{_anchor(i)}">',
           f"<h2>{e(r.run_id)}</h2>"]
    meta = [f"format {r.format or '?'}", f"path {r.path}"]
    if r.ok:
        meta.insert(1, f"{r.points} points")
    if r.run is not None and r.run.meta.writer:
        meta.append(f"writer {r.run.meta.writer}")
    out.append(f'<p class="runmeta">{e(" · ".join(meta))}</p>')
    if not r.ok:
        out.append(f'<div class="err">cannot read: {e(r.error or "unreadable")}</div></section>')
        return "".join(out)
    out.append(f"<div>{_chips(r)}</div>")
    out.append(f'<p class="family"><b>Loss family:</b> {e(loss_family_text(r))}</p>')
    for w in r.warnings:
        out.append(f'<div class="warn">{e(w)}</div>')
    if plots:
        drawn = run_plots(r)
        if drawn:
            out.append('<div class="plots">' + "".join(svg for _, svg in drawn) + "</div>")
        elif r.roles is not None and not r.roles.has_losses:
            out.append('<p class="runmeta">No D or G loss recognised: nothing to plot '
                       "(name the tags with --role).</p>")
    series = r.run.series_summary() if r.run is not None else {}
    last = max((s["last_step"] for s in series.values()), default=None)
    findings = display_findings(r)
    out.append("<h3>Findings</h3>")
    if findings:
        out.extend(_finding(f, labelled, last, dets) for f, labelled, dets in findings)
    else:
        out.append(f'<p class="runmeta">{e(reason_text(r) or "No findings.")}</p>')
    if r.roles is not None and r.roles.tags:
        roles = "".join(f"<tr><td class=\"k\">{e(k)}</td><td><code>{e(v)}</code></td></tr>"
                        for k, v in r.roles.tags.items())
        out.append(f"<details><summary>roles ({len(r.roles.tags)})</summary><table>{roles}"
                   "</table></details>")
    if series:
        rows = "".join(f"<tr><td><code>{e(t)}</code></td><td class=\"num\">{s['points']}</td>"
                       f"<td class=\"num\">{s['first_step']}</td><td class=\"num\">{s['last_step']}"
                       "</td></tr>" for t, s in series.items())
        out.append(f"<details><summary>series ({len(series)})</summary><table><thead><tr>"
                   "<th>tag</th><th class=\"num\">points</th><th class=\"num\">first step</th>"
                   f"<th class=\"num\">last step</th></tr></thead><tbody>{rows}</tbody></table>"
                   "</details>")
    hparams = r.run.meta.hparams if r.run is not None else {}
    if hparams:
        out.append(f"<details><summary>hyperparameters ({len(hparams)})</summary>"
                   f"{_kv_table(hparams)}</details>")
    notes = list(r.notes) + (list(r.loss_family.reasons) if r.loss_family else [])
    if notes:
        out.append(f"<details><summary>notes ({len(notes)})</summary><ul>"
                   + "".join(f"<li>{e(n)}</li>" for n in notes) + "</ul></details>")
    out.append("</section>")
    return "".join(out)


def render_html(analysis: Analysis, *, title: str | None = None, plots: bool = True) -> str:
    """The report as one HTML document (a string). ``plots=False`` leaves the SVGs out."""
    s = analysis.settings
    stated = [f"{k}={v}" for k, v in s.roles.items()]
    if s.loss_family:
        stated.append(f"loss family {s.loss_family}")
    if s.d_loss_reduction:
        stated.append(f"D loss {s.d_loss_reduction}")
    meta = (f"{len(analysis.runs)} run(s) under {analysis.root} · labels at confidence ≥ "
            f"{s.min_confidence:g}" + (f" · stated: {', '.join(stated)}" if stated else ""))
    body = [_overview(analysis, plots)]
    body += [_run_section(i, r, plots) for i, r in enumerate(analysis.runs)]
    return _template().substitute(
        title=e(title or f"ganlogs report: {analysis.root}"), meta=e(meta),
        version=e(__version__), body="\n".join(body))
