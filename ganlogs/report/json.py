"""The JSON document ``ganlogs analyze --format json`` prints.

``{"schema_version", "ganlogs_version", "root", "settings", "runs": [...], "summary"}``;
per run: ``run`` (path relative to the root given), ``format``, ``status`` (``ok`` or
``error``), ``error`` (one line or null), ``roles`` (role -> tag), ``series`` (tag ->
``{"points", "first_step", "last_step"}``, points counting superseded rows too), ``labels``,
``findings`` (each with ``pair``: null, or the adversarial pair it is about), ``loss_family``,
``warnings``, ``notes``, ``writer``, ``hparams``, ``step_unit`` (``iteration``, ``kimg``,
``epoch``, ``line`` or ``step``), ``pairs`` (pair name -> ``{"name", "roles", "terms"}`` for a
run with several adversarial pairs, else empty; ``roles`` then holds the shared roles only),
``terms`` (tag -> kind of the non-adversarial loss terms). Fields are only ever added, never
renamed.
"""

from __future__ import annotations

import json
import math
from json.encoder import encode_basestring_ascii as _quote
from typing import IO, TYPE_CHECKING, Any

from ..analysis import Analysis, RunResult

if TYPE_CHECKING:
    from ..checks import CheckResult

__all__ = ["SCHEMA_VERSION", "to_document", "dumps", "write", "RunByRunWriter",
           "check_document", "dumps_check"]

SCHEMA_VERSION = 1


def _clean(value: Any) -> Any:
    """JSON-safe: non-finite floats become strings "NaN"/"Infinity"/"-Infinity"."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _clean(value.item())
    return value


def run_to_dict(r: RunResult) -> dict[str, Any]:
    meta = r.run.meta if r.run is not None else None
    return {
        "run": r.run_id,
        "format": r.format,
        "status": r.status,
        "error": r.error,
        "writer": meta.writer if meta else None,
        "points": r.points,
        "roles": dict(r.roles.tags) if r.roles is not None else {},
        "series": r.run.series_summary() if r.run is not None else {},
        "labels": list(r.labels),
        "findings": [f.to_dict() for f in r.findings],
        "loss_family": r.loss_family.to_dict() if r.loss_family is not None else None,
        "warnings": list(r.warnings),
        "notes": list(r.notes),
        "hparams": dict(meta.hparams) if meta else {},
        "step_unit": getattr(meta, "step_unit", "step") if meta else None,
        "pairs": ({n: {"name": p.name, "roles": dict(p.tags), "terms": dict(p.terms)}
                   for n, p in r.roles.pairs.items()} if r.roles is not None else {}),
        "terms": dict(r.roles.terms) if r.roles is not None else {},
    }


def to_document(analysis: Analysis) -> dict[str, Any]:
    from .._version import __version__

    return _clean({
        "schema_version": SCHEMA_VERSION,
        "ganlogs_version": __version__,
        "root": analysis.root,
        "settings": analysis.settings.to_dict(),
        "runs": [run_to_dict(r) for r in analysis.runs],
        "summary": {"runs": len(analysis.runs), "errors": len(analysis.errors),
                    "labels": analysis.label_counts()},
    })


def dumps(analysis: Analysis, *, indent: int | None = 2) -> str:
    return json.dumps(to_document(analysis), indent=indent, allow_nan=False)


def write(analysis: Analysis, out: IO[str]) -> None:
    """``dumps(analysis)`` written to ``out`` a run at a time: the same text, without the
    whole document (a sweep of 20,000 runs: hundreds of MB) in memory at once."""
    writer = RunByRunWriter(out, root=analysis.root, settings=analysis.settings,
                            version=analysis.version)
    for r in analysis.runs:
        writer.add(r)
    writer.finish(analysis)


class RunByRunWriter:
    """``dumps(analysis)`` written as the runs come: :meth:`add` each run in the order of
    ``analysis.runs`` (e.g. as ``analyze(..., on_result=writer.add)`` hands them over, so
    the document is written while later runs are still analysed), then :meth:`finish` with
    the whole analysis (the summary closes the document). Nothing is written before the
    first run; a document the run-by-run layout cannot hold is written whole at the end."""

    def __init__(self, out: IO[str], *, root: str, settings: Any, version: str) -> None:
        self.out = out
        head = to_document(Analysis(root=root, runs=[], settings=settings, version=version))
        text = json.dumps(head, indent=2, allow_nan=False)
        slot = '\n  "runs": []'  # the top-level key: its indentation is unique to it
        # (the summary follows the runs: the text before them is known now)
        self.before = text.split(slot)[0] + '\n  "runs": [' if text.count(slot) == 1 else None
        self.written = 0

    def add(self, r: RunResult) -> None:
        if self.before is None:
            return  # (written whole by finish)
        self.out.write((self.before if not self.written else ",")
                       + "\n    " + _run_text(run_to_dict(r)))
        self.written += 1

    def finish(self, analysis: Analysis) -> None:
        if self.before is None or not self.written or self.written != len(analysis.runs):
            if self.written:
                raise ValueError(f"RunByRunWriter: {self.written} run(s) added, but the "
                                 f"analysis holds {len(analysis.runs)}")
            self.out.write(dumps(analysis))
            return
        head = to_document(Analysis(root=analysis.root, runs=[], settings=analysis.settings,
                                    version=analysis.version))
        head["summary"] = _clean({"runs": len(analysis.runs), "errors": len(analysis.errors),
                                  "labels": analysis.label_counts()})
        text = json.dumps(head, indent=2, allow_nan=False)
        self.out.write("\n  ]" + text.split('\n  "runs": []')[1])


def _run_text(item: dict[str, Any]) -> str:
    """``json.dumps(_clean(item), indent=2)`` with every line after the first indented by
    4 more spaces (a run inside the document's ``runs`` list): the same text, by
    :func:`_encode` (json's own encoder with an indent is pure Python, ~0.3 ms a run), or
    by json itself for a value :func:`_encode` does not take."""
    parts: list[str] = []
    try:
        _encode(item, 2, parts)
    except _Unusual:
        return json.dumps(_clean(item), indent=2, allow_nan=False).replace("\n", "\n    ")
    return "".join(parts)


class _Unusual(Exception):
    """A value :func:`_encode` leaves to ``json.dumps(_clean(...))``."""


_NEWLINES = ["\n" + "  " * level for level in range(32)]
_NON_FINITE = {math.inf: '"Infinity"', -math.inf: '"-Infinity"'}


def _encode(value: Any, level: int, out: list[str]) -> None:
    """Append the text ``json.dumps(_clean(value), indent=2, allow_nan=False)`` gives for
    ``value`` nested ``level`` deep (a line break indents ``2 * level`` spaces), for the
    plain types a run's dict holds: str, None, bool, int, float (non-finite as the strings
    ``_clean`` makes), and lists, tuples and dicts with str keys of these. Anything else
    (numpy scalars, other keys, subclasses, deeper nesting) raises :class:`_Unusual`."""
    t = type(value)
    if t is str:
        out.append(_quote(value))
    elif value is None:
        out.append("null")
    elif t is bool:
        out.append("true" if value else "false")
    elif t is int:
        out.append(int.__repr__(value))
    elif t is float:
        if value != value:
            out.append('"NaN"')
        else:
            out.append(_NON_FINITE.get(value) or float.__repr__(value))
    elif t is dict:
        if not value:
            out.append("{}")
            return
        if level + 1 >= len(_NEWLINES):
            raise _Unusual
        inner = _NEWLINES[level + 1]
        sep = "{" + inner
        for key, item in value.items():
            if type(key) is not str:
                raise _Unusual  # (_clean's str(key) may merge two keys)
            out.append(sep + _quote(key) + ": ")
            _encode(item, level + 1, out)
            sep = "," + inner
        out.append(_NEWLINES[level] + "}")
    elif t is list or t is tuple:
        if not value:
            out.append("[]")
            return
        if level + 1 >= len(_NEWLINES):
            raise _Unusual
        inner = _NEWLINES[level + 1]
        sep = "[" + inner
        for item in value:
            out.append(sep)
            _encode(item, level + 1, out)
            sep = "," + inner
        out.append(_NEWLINES[level] + "]")
    else:
        raise _Unusual


def check_document(result: "CheckResult") -> dict[str, Any]:
    """``ganlogs check --format json``: the verdict (:meth:`CheckResult.to_dict`) plus the
    full analysis document under ``analysis``."""
    doc = result.to_dict()
    if result.analysis is not None:
        doc["analysis"] = to_document(result.analysis)
    return _clean(doc)


def dumps_check(result: "CheckResult", *, indent: int | None = 2) -> str:
    return json.dumps(check_document(result), indent=indent, allow_nan=False)
