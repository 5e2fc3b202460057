"""The HTML report ``ganlogs report PATH -o report.html`` writes.

One self-contained file that opens offline: the page (``template.html``), its style and
script (``report.css``, ``report.js``) and the charting library uPlot (``vendor/``, MIT
licence) are inlined; its Content-Security-Policy forbids loading anything.

The data are JSON in ``<script type="application/json">`` elements, built by
:mod:`ganlogs.report.payload`: the sweep overview (counts, runs table, overlay chart) is read
when the page opens; each run's details and chart data (about 100 KB at most, series
downsampled with LTTB) are parsed only when the run is opened, so a 1,000-run sweep opens in
seconds. Strings from logs reach the page only as JSON (``<`` written as ``\\u003c``) and are
put in the page with ``textContent``, never as HTML.
"""

from __future__ import annotations

import html
import json
import re
from importlib import resources
from typing import Any

from .._version import __version__
from ..analysis import Analysis
from .payload import overview_payload, run_payload

__all__ = ["render_html", "UPLOT_VERSION"]

#: the vendored uPlot (ganlogs/report/vendor/uPlot.iife.min.js, from ``npm pack uplot``)
UPLOT_VERSION = "1.6.32"


def e(value: Any) -> str:
    """Escape anything for HTML text or a double- or single-quoted attribute."""
    return html.escape(str(value), quote=True)


def _asset(name: str) -> str:
    return resources.files("ganlogs.report").joinpath(name).read_text("utf-8")


def script_json(value: Any) -> str:
    """JSON safe inside a ``<script>`` element: no ``<`` (so no ``</script>`` or ``<!--``),
    and U+2028/U+2029 escaped; non-finite floats are not allowed (they are strings or
    float32 bytes by then)."""
    text = json.dumps(value, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def render_html(analysis: Analysis, *, title: str | None = None, plots: bool = True) -> str:
    """The report as one HTML document (a string). ``plots=False`` leaves the chart data out
    (tables and findings only)."""
    s = analysis.settings
    stated = [f"{k}={v}" for k, v in s.roles.items()]
    if s.loss_family:
        stated.append(f"loss family {s.loss_family}")
    if s.d_loss_reduction:
        stated.append(f"D loss {s.d_loss_reduction}")
    meta = (f"{len(analysis.runs)} run(s) under {analysis.root} · labels at confidence ≥ "
            f"{s.min_confidence:g}" + (f" · stated: {', '.join(stated)}" if stated else ""))
    overview = overview_payload(analysis)
    if not plots:
        overview["overlay"] = {}
    runs = []
    for i, r in enumerate(analysis.runs):
        data = run_payload(r, analysis.root, panels=plots)
        runs.append(f'<script type="application/json" id="run-{i}">{script_json(data)}</script>')
    values = dict(
        title=e(title or f"ganlogs report: {analysis.root}"), meta=e(meta),
        version=e(__version__), uplot_version=UPLOT_VERSION,
        uplot_css=_asset("vendor/uPlot.min.css"), report_css=_asset("report.css"),
        uplot_js=_asset("vendor/uPlot.iife.min.js"), report_js=_asset("report.js"),
        overview=script_json(overview), runs="\n".join(runs))
    # one pass, so that a "${" inside the inlined script or data is never substituted
    return re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], _asset("template.html"))
