"""Words every reporter uses for the same facts (labels, onset, reason), so the terminal table,
the Markdown summary and the HTML report say the same thing. No statistics here."""

from __future__ import annotations

from ..analysis import RunResult
from ..findings import Finding

__all__ = ["ROLE_SHORT", "roles_text", "display_findings", "labels_text", "onset_text",
           "reason_text", "insufficient", "span_of", "format_value", "loss_family_text",
           "run_name", "stated_conventions"]

ROLE_SHORT = {"d_loss": "D", "d_loss_real": "Dr", "d_loss_fake": "Df", "g_loss": "G",
              "d_x": "D(x)", "d_gz": "D(G(z))", "g_grad_norm": "|gG|", "d_grad_norm": "|gD|",
              "lr_d": "lrD", "lr_g": "lrG", "fid": "FID", "is": "IS", "kid": "KID",
              "d_sign_real": "r_t", "augment_p": "p", "d_loss_val": "Dval", "d_x_val": "D(xval)"}


def roles_text(r: RunResult) -> str:
    """``D,G,FID``; ``A:D,G B:D,G`` for a run with several adversarial pairs. Only the roles
    of :data:`ROLE_SHORT` (the JSON document lists every role)."""
    if r.roles is None:
        return ""

    def short(tags) -> str:
        return ",".join(ROLE_SHORT[k] for k in tags if k in ROLE_SHORT)

    if r.roles.pairs:
        text = " ".join(f"{n}:{short(p.tags)}" for n, p in r.roles.pairs.items())
        shared = short(r.roles.tags)
        return text + (f" {shared}" if shared else "")
    return short(r.roles.tags)


def insufficient(r: RunResult) -> Finding | None:
    """The run's ``insufficient_data`` finding, if any."""
    return next((f for f in r.findings if f.label == "insufficient_data"), None)


def display_findings(r: RunResult) -> list[tuple[Finding, bool, tuple[str, ...]]]:
    """Findings to show, as ``(finding, labelled, detectors)``: labelled ones first, then by
    confidence; ``insufficient_data`` findings that say the same thing (every detector
    reports the same short run) are shown once, with every detector that said it."""
    labelled = set(r.labels)
    seen: dict[tuple[str, str], int] = {}
    out: list[tuple[Finding, bool, tuple[str, ...]]] = []
    for f in sorted(r.findings, key=lambda f: (f.label not in labelled, -f.confidence)):
        if f.label == "insufficient_data":
            key = (f.label, " ".join(f.summary.split()))
            if key in seen:
                i = seen[key]
                out[i] = (out[i][0], out[i][1], out[i][2] + (f.detector,))
                continue
            seen[key] = len(out)
        out.append((f, f.label in labelled, (f.detector,)))
    return out


def labels_text(r: RunResult) -> str:
    """``"mode_collapse 0.91, oscillating 0.62"``, ``insufficient_data`` or ``-``."""
    if not r.ok:
        return "-"
    tops = r.top_findings()
    if tops:
        return ", ".join(f"{f.label}{f'[{f.pair}]' if f.pair else ''} {f.confidence:.2f}"
                         for f in tops)
    return "insufficient_data" if insufficient(r) else "-"


def onset_text(r: RunResult) -> str:
    """The earliest onset among the labels, with its unit when the step is not a training
    iteration or the writer's step (``24 kimg``, ``12 line``, ``3 epoch``)."""
    steps = [f.onset_step for f in r.top_findings() if f.onset_step is not None]
    if not steps:
        return "-"
    unit = getattr(r.run.meta, "step_unit", "step") if r.run is not None else "step"
    return f"{min(steps)} {unit}" if unit in ("kimg", "line", "epoch") else str(min(steps))


def reason_text(r: RunResult) -> str:
    """One line for every run: the most confident labelled finding's summary; without a label,
    the ``insufficient_data`` finding's, else the most confident finding's (said to be below
    the threshold), else why there is none."""
    if not r.ok:
        return r.error or "unreadable"
    tops = r.top_findings()
    if tops:
        return " ".join(tops[0].summary.split())
    short = insufficient(r)
    if short is not None:
        return " ".join(short.summary.split())
    if r.roles is not None and not r.roles.has_losses:
        return "no D and G loss recognised (use --role)"
    best = max(r.findings, key=lambda f: f.confidence, default=None)
    if best is not None:
        return (f"no label at this threshold; most confident: {best.label} "
                f"{best.confidence:.2f}: " + " ".join(best.summary.split()))
    return "no finding: no detector said anything about this run"


def run_name(r: RunResult, root: str) -> str:
    """The run's name for people: its id, except that a run that is the root itself (id
    ``.``, or ``.#name`` for one of several runs in one file) is named after the root's own
    directory or file name. JSON keeps the id."""
    rid = r.run_id
    if rid == "." or rid.startswith(".#"):
        from pathlib import Path

        base = Path(root).resolve().name or str(root)
        return base + rid[1:]
    return rid


def stated_conventions(r: RunResult) -> tuple[str | None, str | None]:
    """The loss family and D-loss reduction the report states for a run: the run's
    (inferred or stated by the user) when known, else the one every finding's evidence used
    (``loss_family``, ``d_loss_reduction``) when they agree, so header and evidence say the
    same thing."""
    lf = r.loss_family
    family = lf.family if lf is not None else None
    red = lf.d_loss_reduction if lf is not None else None
    # the family and reduction the detectors' equilibria belong to, when assumed
    family = family or getattr(lf, "reference_family", None)
    red = red or getattr(lf, "reference_reduction", None)
    if family is None:
        family = _agreed(r, "loss_family")
    if red is None:
        red = _agreed(r, "d_loss_reduction")
    return family, red


def _agreed(r: RunResult, key: str) -> str | None:
    seen = {str(f.evidence[key]) for f in r.findings
            if f.evidence.get(key) not in (None, "", "None")}
    return seen.pop() if len(seen) == 1 else None


def span_of(f: Finding, last_step: int | None) -> tuple[int, int] | None:
    """Where a finding holds: its ``span``, else onset to the end of the run, else None."""
    if f.span is not None:
        return int(f.span[0]), int(f.span[1])
    if f.onset_step is not None and last_step is not None:
        return int(f.onset_step), int(max(last_step, f.onset_step))
    return None


def format_value(v: object) -> str:
    """Evidence values: floats to 4 significant digits, short lists inline."""
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (list, tuple)):
        shown = ", ".join(format_value(x) for x in list(v)[:12])
        return f"[{shown}{', ...' if len(v) > 12 else ''}]"
    if hasattr(v, "item") and callable(v.item):  # numpy scalar
        return format_value(v.item())
    return str(v)


def loss_family_text(r: RunResult) -> str:
    """``"bce_nonsaturating (values), D loss summed (early_ratio)"``: the run's conventions,
    or those the detectors assumed (the conventions' reference family and reduction, or
    their findings' evidence) when the run's are
    unknown, so the header never contradicts the evidence."""
    lf = r.loss_family
    if lf is None and not r.findings:
        return "-"
    family, red = stated_conventions(r)
    own_fam = lf.family if lf is not None else None
    own_red = lf.d_loss_reduction if lf is not None else None
    fam = ("unknown loss family" if family is None
           else f"{family} ({lf.method if own_fam is not None else 'assumed'})")
    red_text = ("D-loss reduction unknown" if red is None
                else f"D loss {red} ({lf.reduction_method if own_red is not None else 'assumed'})")
    return f"{fam}, {red_text}"
