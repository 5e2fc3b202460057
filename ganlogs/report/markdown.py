"""The Markdown report: the HTML report's content for a GitHub job summary.

``ganlogs report PATH --format markdown -o summary.md`` writes ``summary.md`` and, beside it,
one SVG file per plot (``summary-<n>-losses.svg``...) that the Markdown links to by relative
path. ``ganlogs analyze --format markdown`` prints the same text without plots.

Every string that comes from a log is escaped twice over: Markdown punctuation gets a
backslash (so a tag cannot open a link, a table cell or emphasis) and ``< > & " '`` become
HTML entities (GitHub renders raw HTML in Markdown).
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote
from dataclasses import dataclass, field
from typing import Any

from ..analysis import Analysis, RunResult
from ._common import (run_name, display_findings, format_value, labels_text,
                      loss_family_text, onset_text, reason_text, span_of)

__all__ = ["MarkdownReport", "render_markdown", "md"]

# what can open markup mid-line: emphasis, code, links/images, table cells, strike-through,
# math ($); < > & " ' are turned into entities by html.escape
_PUNCT = re.compile(r"([\\`*_\[\]|~$])")


def md(value: Any) -> str:
    """Escape a string from a log for Markdown text or a table cell (one line)."""
    text = " ".join(str(value).split())
    return html.escape(_PUNCT.sub(r"\\\1", text), quote=True)


@dataclass
class MarkdownReport:
    """The Markdown ``text`` and the ``images`` it links to (file name -> SVG text)."""

    text: str
    images: dict[str, str] = field(default_factory=dict)


def _run_heading(i: int, r: RunResult, root: str = "") -> str:
    return f"### {i + 1}. {md(run_name(r, root))}"


def _finding_lines(f, labelled: bool, detectors: tuple[str, ...], last: int | None,
                   evidence: bool) -> list[str]:
    where = []
    if f.onset_step is not None:
        where.append(f"onset step {f.onset_step}")
    span = span_of(f, last)
    if span is not None:
        where.append(f"steps {span[0]}–{span[1]}")
    lines = [f"- **{md(f.label)}** {f.confidence:.2f}"
             + (f" ({', '.join(where)})" if where else "") + f": {md(f.summary)}"]
    if evidence and f.evidence:
        ev = "; ".join(f"{md(k)} = {md(format_value(v))}" for k, v in f.evidence.items())
        lines.append(f"  - evidence: {ev}")
    lines.append(f"  - detector: {', '.join(md(d) for d in detectors)} v{md(f.detector_version)}")
    return lines


def _findings(r: RunResult) -> list[str]:
    """Labelled findings (and a short run's note) with their evidence; findings below the
    confidence threshold folded into a <details> block, summaries only."""
    series = r.run.series_summary() if r.run is not None else {}
    last = max((s["last_step"] for s in series.values()), default=None)
    shown = display_findings(r)
    main = [x for x in shown if x[1] or x[0].label == "insufficient_data"]
    below = [x for x in shown if not (x[1] or x[0].label == "insufficient_data")]
    lines: list[str] = []
    for f, labelled, detectors in main:
        lines += _finding_lines(f, labelled, detectors, last, evidence=True)
    if below:
        lines += ["", f"<details><summary>{len(below)} finding(s) below the confidence "
                      f"threshold</summary>", ""]
        for f, labelled, detectors in below:
            lines += _finding_lines(f, labelled, detectors, last, evidence=False)
        lines += ["", "</details>"]
    return lines


def render_markdown(analysis: Analysis, *, image_prefix: str | None = None,
                    title: str | None = None) -> MarkdownReport:
    """The report as Markdown. With ``image_prefix`` (e.g. ``"summary"``) plots are rendered
    as SVG files named ``<prefix>-<n>-<kind>.svg`` (in ``images``) and linked; without it the
    report has no plots."""
    from .plots import run_plots

    images: dict[str, str] = {}
    s = analysis.settings
    n = len(analysis.runs)
    ok = sum(r.ok for r in analysis.runs)
    short = sum(r.too_short for r in analysis.runs)
    out = [f"## {md(title) if title else 'ganlogs report: ' + md(analysis.root)}", "",
           f"{n} run(s): {ok} read, {n - ok} unreadable, {short} too short to judge. "
           f"Labels at confidence ≥ {s.min_confidence:g}.", "",
           "| label | runs |", "|---|---:|"]
    out += [f"| {k} | {v} |" for k, v in analysis.label_counts().items()]
    out += ["", "| run | format | points | labels | onset step | reason |",
            "|---|---|---:|---|---:|---|"]
    for r in analysis.runs:
        out.append(f"| {md(run_name(r, analysis.root))} | {md(r.format or '?')} | "
                   f"{r.points if r.ok else '-'} | {labels_text(r)} | {onset_text(r)} | "
                   f"{md(reason_text(r))} |")
    for i, r in enumerate(analysis.runs):
        out += ["", _run_heading(i, r, analysis.root), ""]
        meta = [f"format {r.format or '?'}", f"path {r.path}"]
        if r.ok:
            meta.insert(1, f"{r.points} points")
        out.append(" · ".join(md(m) for m in meta))
        out.append("")
        if not r.ok:
            out.append(f"**Cannot read:** {md(r.error or 'unreadable')}")
            continue
        out.append(f"**Labels:** {labels_text(r)}  ")
        out.append(f"**Loss family:** {md(loss_family_text(r))}")
        if r.warnings:  # one folded block, however many warnings
            out += ["", f"<details><summary>⚠ {len(r.warnings)} warning"
                        f"{'s' if len(r.warnings) > 1 else ''}</summary>", ""]
            out += [f"- {md(w)}" for w in r.warnings]
            out += ["", "</details>"]
        if image_prefix is not None:
            drawn = run_plots(r)
            if drawn:
                out.append("")
            for kind, svg in drawn:
                name = f"{image_prefix}-{i + 1:03d}-{kind}.svg"
                images[name] = svg
                out.append(f"![{kind.replace('_', ' ')}]({quote(name)})")
        found = _findings(r)
        out += ["", "**Findings**", ""] + (found or [md(reason_text(r)) or "No findings."])
    return MarkdownReport(text="\n".join(out) + "\n", images=images)
