"""Rendering of analysis results. Reporters never compute statistics.

``terminal`` (the ``analyze`` table, the ``check`` verdict, the progress bar), ``json``,
``markdown`` with ``plots`` (SVG), ``html`` (the interactive page: ``template.html``,
``report.js``, ``report.css`` and uPlot in ``vendor/``) with ``payload`` (the data it embeds)
and ``downsample`` (LTTB). :func:`write_report` writes the ``ganlogs report`` files.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..analysis import Analysis
from ..errors import UsageError

__all__ = ["write_report"]


def write_report(analysis: Analysis, output: str | os.PathLike[str], *, fmt: str = "html",
                 title: str | None = None) -> list[str]:
    """Write the report of ``analysis`` to ``output`` (``"-"``: standard output, no plots
    for Markdown) and return the paths written. ``fmt`` is ``html`` or ``markdown``; Markdown
    writes its SVG plots beside ``output``, named after its stem."""
    if fmt not in ("html", "markdown"):
        raise UsageError(f"report format must be 'html' or 'markdown'; got {fmt!r}")
    to_stdout = os.fspath(output) == "-"
    if fmt == "html":
        from .html import render_html

        text = render_html(analysis, title=title)
        images: dict[str, str] = {}
    else:
        from .markdown import render_markdown

        rep = render_markdown(analysis, title=title,
                              image_prefix=None if to_stdout else Path(output).stem)
        text, images = rep.text, rep.images
    if to_stdout:
        sys.stdout.write(text)
        sys.stdout.flush()
        return []
    path = Path(output)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    written = [str(path)]
    for name, svg in images.items():
        (path.parent / name).write_text(svg, encoding="utf-8")
        written.append(str(path.parent / name))
    return written
