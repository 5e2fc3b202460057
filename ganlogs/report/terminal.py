"""Text for the terminal: the ``analyze`` table, the ``check`` verdict and a progress bar.

Colours come from :func:`click.style` and only when the caller says the stream is a
terminal (``color=True``); piped output is plain text. Column widths are computed on the
plain text, so colours never shift the columns.
"""

from __future__ import annotations

import sys
import textwrap
import time
from typing import TextIO

import click

from ..analysis import Analysis
from ..checks import CheckResult
from ._common import labels_text, onset_text, reason_text, roles_text, run_name

__all__ = ["render_text", "render_check", "Progress", "LABEL_COLORS", "safe"]

#: terminal colour per label
LABEL_COLORS = {"converged": "green", "oscillating": "yellow", "mode_collapse": "magenta",
                "vanishing_gradients": "cyan", "diverged": "red", "insufficient_data": "bright_black"}


#: a reason column at least this wide takes its folded lines under itself
_READABLE = 50
#: else folded lines start this far in, across the whole width
_FOLD_INDENT = 4


def safe(text: str) -> str:
    """Text from a log, made harmless for a terminal: control characters (escape sequences,
    newlines, carriage returns) are shown as ``\\xNN`` instead of acting."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)


def _paint(text: str, color: bool, **style: object) -> str:
    return click.style(text, **style) if color and text else text  # type: ignore[arg-type]


def _paint_labels(text: str, color: bool) -> str:
    """Colour each ``label conf`` item of a labels cell (padding kept outside the colour)."""
    if not color:
        return text
    stripped = text.rstrip()
    pad = text[len(stripped):]
    parts = []
    for item in stripped.split(", "):
        label = item.split(" ")[0]
        fg = LABEL_COLORS.get(label)
        parts.append(click.style(item, fg=fg, bold=label != "insufficient_data") if fg else item)
    return ", ".join(parts) + pad


def _middle(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters in the middle: ``csv/wandb…/history.csv``."""
    if len(text) <= width:
        return text
    head = width // 3
    return text[:head] + "…" + text[len(text) - (width - head - 1):]


def render_text(analysis: Analysis, *, color: bool = False, width: int | None = None) -> str:
    """One line per run (run, format, points, roles, labels, onset, reason), then a summary.

    ``width`` (terminal columns) fits the table to a terminal: a long reason is folded onto
    extra lines under the reason column (never cut), and when that column would be under 36
    columns the roles column is left out (then long run ids are shortened in the middle if
    the reason would start past the last 20 columns). None
    (piped output) leaves everything whole, one line per run.
    """
    header = ("run", "format", "points", "roles", "labels", "onset", "reason")
    rows = []
    for r in analysis.runs:
        roles = roles_text(r)
        rows.append((safe(run_name(r, analysis.root)), safe(r.format or "?"), str(r.points) if r.ok else "-",
                     roles or "-", labels_text(r), onset_text(r), safe(reason_text(r))))
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h)
              for i, h in enumerate(header)]
    widths[-1] = len(header[-1])
    lead = sum(widths[:-1]) + 2 * (len(widths) - 1)
    if width is not None and width - lead < 36:
        # a narrow terminal: the roles column goes first (JSON and the reports keep it)...
        header = header[:3] + header[4:]
        rows = [row[:3] + row[4:] for row in rows]
        lead -= widths[3] + 2
        widths = widths[:3] + widths[4:]
    if width is not None and width - lead < 20 and widths[0] > 32:
        # ... then, if the first line of a reason would still have no room, long run ids
        # are shortened in the middle
        run_w = max(32, widths[0] - (20 - (width - lead)))
        rows = [(_middle(row[0], run_w),) + row[1:] for row in rows]
        lead -= widths[0] - run_w
        widths[0] = run_w

    def line(row: tuple[str, ...], ok: bool = True, is_header: bool = False) -> str:
        cells = [c.ljust(w) for c, w in zip(row[:-1], widths)]
        room = max(width - lead, 20) if width is not None else None
        # continuation lines sit under the reason column when it is wide enough to read,
        # else they use the whole width, indented
        indent = lead if room is None or room >= _READABLE else _FOLD_INDENT
        if room is None or len(row[-1]) <= room:
            parts = [row[-1]]
        else:
            parts = textwrap.wrap(row[-1], room, break_long_words=True, break_on_hyphens=False)
            if indent != lead and len(parts) > 1:
                rest = " ".join(parts[1:])
                parts = parts[:1] + textwrap.wrap(rest, max(width - indent, 20),
                                                  break_long_words=True, break_on_hyphens=False)
        if color:
            if is_header:
                cells = [click.style(c, bold=True) for c in cells]
                parts = [click.style(p, bold=True) for p in parts]
            else:
                i = header.index("labels")
                cells[i] = _paint_labels(cells[i], color)
                if not ok:
                    cells[0] = click.style(cells[0], fg="red")
                    parts = [click.style(p, fg="red") for p in parts]
        first = "  ".join(cells + [parts[0] if parts else ""]).rstrip()
        return "\n".join([first] + [" " * indent + p for p in parts[1:]])

    lines = [line(header, is_header=True)]
    lines += [line(row, r.ok) for row, r in zip(rows, analysis.runs)]
    counts = analysis.label_counts()
    ok = sum(r.ok for r in analysis.runs)
    bad = len(analysis.runs) - ok
    short = sum(r.too_short for r in analysis.runs)
    parts = [f"{len(analysis.runs)} run(s): {ok} read, "
             + _paint(f"{bad} unreadable", color and bad > 0, fg="red")]
    parts += [_paint(f"{k} {v}", color and v > 0, fg=LABEL_COLORS.get(k)) for k, v in counts.items()]
    if short:
        parts.append(f"too short to judge {short}")
    lines += ["", parts[0] + "; " + ", ".join(parts[1:])]
    return "\n".join(lines) + "\n"


def render_check(result: CheckResult, *, color: bool = False) -> str:
    """The verdict of ``ganlogs check``: failing runs with their findings, unreadable runs,
    then one line saying pass / fail / error and the policy applied."""
    out: list[str] = []
    root = result.analysis.root if result.analysis is not None else None

    def name(run_id: str) -> str:
        if root is not None and (run_id == "." or run_id.startswith(".#")):
            from pathlib import Path

            return safe((Path(root).resolve().name or str(root)) + run_id[1:])
        return safe(run_id)

    for run in result.failing:
        out.append(_paint("FAIL", color, fg="red", bold=True) + f"  {name(run.run_id)}")
        for f in run.findings:
            where = f" from step {f.onset_step}" if f.onset_step is not None else ""
            label = _paint(f.label, color, fg=LABEL_COLORS.get(f.label), bold=True)
            out.append(f"      {label} {f.confidence:.2f}{where}: {safe(' '.join(f.summary.split()))}")
    for run in result.unreadable:
        out.append(_paint("ERROR", color, fg="red", bold=True)
                   + f" {name(run.run_id)}: {safe(run.error)}")
    if result.too_short:
        shown = ", ".join(name(x) for x in result.too_short[:5])
        more = f" and {len(result.too_short) - 5} more" if len(result.too_short) > 5 else ""
        out.append(f"note: {len(result.too_short)} run(s) too short to judge, not failed "
                   f"({shown}{more}); add insufficient_data to --fail-on to fail them")
    policy = (f"fail_on: {', '.join(result.fail_on) or '(nothing)'}; "
              f"min_confidence: {result.min_confidence:g}"
              + (f"; config: {result.config_source}" if result.config_source else ""))
    n = result.runs_checked
    if result.status == "pass":
        verdict = _paint("check passed", color, fg="green", bold=True) + \
            f": {n} run(s), none with a failing finding"
    elif result.status == "fail":
        verdict = _paint("check failed", color, fg="red", bold=True) + \
            f": {len(result.failing)} of {n} run(s) with a failing finding"
    else:
        why = result.error or f"{len(result.unreadable)} run(s) could not be read"
        verdict = (_paint("check incomplete", color, fg="red", bold=True) + f": {why}"
                   + (f"; {len(result.failing)} run(s) with a failing finding"
                      if result.failing else ""))
    out.append(f"{verdict} ({policy})")
    return "\n".join(out) + "\n"


class Progress:
    """A one-line progress bar for sweeps, as a ``progress(done, total)`` callback.

    It draws nothing until ``delay`` seconds have passed (short sweeps stay silent) and only
    when enabled (the CLI enables it when stderr is a terminal). Call :meth:`close` at the end.
    """

    def __init__(self, stream: TextIO | None = None, *, enabled: bool = True,
                 delay: float = 0.5, width: int = 30) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._enabled = enabled
        self._delay = delay
        self._width = width
        self._start = time.monotonic()
        self._drawn = False

    def __call__(self, done: int, total: int) -> None:
        if not self._enabled or total <= 0:
            return
        elapsed = time.monotonic() - self._start
        if elapsed < self._delay and done < total:
            return
        if not self._drawn and done >= total:
            return  # finished before it was worth drawing
        filled = int(self._width * done / total)
        eta = elapsed / done * (total - done) if done else 0.0
        bar = "#" * filled + "-" * (self._width - filled)
        self._stream.write(f"\r[{bar}] {done}/{total} runs  {elapsed:5.1f}s"
                           + (f"  ~{eta:.0f}s left " if done < total else "            "))
        self._stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self._stream.write("\r" + " " * (self._width + 50) + "\r")
            self._stream.flush()
            self._drawn = False
