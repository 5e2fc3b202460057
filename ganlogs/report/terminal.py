"""Plain-text table for ``ganlogs analyze`` (one line per run, then a summary line)."""

from __future__ import annotations

from ..analysis import Analysis, RunResult

__all__ = ["render_text"]

_ROLE_SHORT = {"d_loss": "D", "d_loss_real": "Dr", "d_loss_fake": "Df", "g_loss": "G",
               "d_x": "D(x)", "d_gz": "D(G(z))", "g_grad_norm": "|gG|", "d_grad_norm": "|gD|",
               "lr_d": "lrD", "lr_g": "lrG", "fid": "FID", "is": "IS"}


def _labels(r: RunResult) -> str:
    if not r.ok:
        return "-"
    tops = r.top_findings()
    if tops:
        return ", ".join(f"{f.label} {f.confidence:.2f}" for f in tops)
    insufficient = [f for f in r.findings if f.label == "insufficient_data"]
    return "insufficient_data" if insufficient else "-"


def _onset(r: RunResult) -> str:
    steps = [f.onset_step for f in r.top_findings() if f.onset_step is not None]
    return str(min(steps)) if steps else "-"


def _reason(r: RunResult) -> str:
    if not r.ok:
        return r.error or "unreadable"
    tops = r.top_findings()
    if tops:
        return tops[0].summary
    for f in r.findings:
        if f.label == "insufficient_data":
            return f.summary
    if r.roles is not None and not r.roles.has_losses:
        return "no D and G loss recognised (use --role)"
    return ""


def render_text(analysis: Analysis, *, width: int | None = None) -> str:
    header = ("run", "format", "points", "roles", "labels", "onset", "reason")
    rows = []
    for r in analysis.runs:
        roles = ",".join(_ROLE_SHORT.get(k, k) for k in (r.roles.tags if r.roles else {}))
        rows.append((r.run_id, r.format or "?", str(r.points) if r.ok else "-",
                     roles or "-", _labels(r), _onset(r), _reason(r)))
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h)
              for i, h in enumerate(header)]
    widths[-1] = len(header[-1])
    fmt = lambda row: "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()  # noqa: E731
    lines = [fmt(header)] + [fmt(row) for row in rows]
    counts = analysis.label_counts()
    ok = sum(r.ok for r in analysis.runs)
    summary = (f"{len(analysis.runs)} run(s): {ok} read, {len(analysis.runs) - ok} unreadable; "
               + ", ".join(f"{k} {v}" for k, v in counts.items()))
    lines += ["", summary]
    return "\n".join(lines) + "\n"
