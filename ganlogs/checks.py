"""CI checks: a policy (``fail_on``, ``min_confidence``) applied to findings.

Computing findings is :func:`ganlogs.analyze`'s job and printing them is :mod:`ganlogs.report`'s;
this module only decides. A run **fails** when it has a finding whose label is in
``fail_on`` and whose confidence is at least ``min_confidence``. ``insufficient_data`` (a run
too short to judge) fails only when it is itself in ``fail_on``.

The verdict, :class:`CheckResult`, has a ``status``:

========= ============================================================ ===============
status    meaning                                                      ``ganlogs check``
========= ============================================================ ===============
``pass``  every run was read and none has a failing finding            exit 0
``fail``  every run was read and at least one has a failing finding    exit 1
``error`` some run could not be read, a file that could be a log was  exit 2
          not read, a run is damaged (unless ``allow_damage``), or no
          run was found: the check is incomplete (failing runs are
          still listed)
========= ============================================================ ===============

A **damaged** run (records that failed their checksum were skipped; its ``warnings`` say
where, see :func:`ganlogs.errors.is_damage_warning`) is judged on the records that were
intact, but the check cannot vouch for what was lost: it is incomplete unless
``allow_damage=True`` (``--allow-damage``, config ``allow_damage = true``).

and records the policy and :class:`~ganlogs.analysis.Settings` that produced it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from .analysis import DEFAULT_MIN_CONFIDENCE, Analysis, Settings, analyze
from .config import Config, load_config, parse_fail_on
from .detectors import Detector
from .findings import Finding
from .errors import UsageError, is_damage_warning

__all__ = ["DEFAULT_FAIL_ON", "CheckResult", "FailingRun", "UnreadableRun", "DamagedRun",
           "apply_policy", "check"]

#: labels ``ganlogs check`` fails on unless told otherwise
DEFAULT_FAIL_ON: tuple[str, ...] = ("mode_collapse", "diverged", "vanishing_gradients")

STATUSES = ("pass", "fail", "error")


@dataclass(frozen=True)
class FailingRun:
    """A run with at least one failing finding; ``findings`` are those, most confident first."""

    run_id: str
    path: str
    findings: tuple[Finding, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"run": self.run_id, "path": self.path,
                "findings": [f.to_dict() for f in self.findings]}


@dataclass(frozen=True)
class UnreadableRun:
    """A run (or path) that could not be read, with its one-line error."""

    run_id: str
    path: str
    error: str

    def to_dict(self) -> dict[str, Any]:
        return {"run": self.run_id, "path": self.path, "error": self.error}


@dataclass(frozen=True)
class DamagedRun:
    """A run read with damage: ``damage`` holds one sentence per damaged file (byte offset,
    records and bytes skipped)."""

    run_id: str
    path: str
    damage: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"run": self.run_id, "path": self.path, "damage": list(self.damage)}


@dataclass
class CheckResult:
    """The verdict of a check over one path (see the module docstring for ``status``).

    Attributes
    ----------
    status
        ``"pass"``, ``"fail"`` or ``"error"``.
    failing
        Runs with failing findings, in discovery order (listed whatever the status).
    unreadable
        Runs or paths that could not be read (files that could be logs but that no reader
        read included).
    damaged
        Runs read with damage (listed whatever ``allow_damage`` says).
    too_short
        Ids of runs with an ``insufficient_data`` finding that did not fail them.
    runs_checked
        How many runs were read and judged.
    fail_on, min_confidence
        The policy applied.
    settings
        The analysis settings used (roles, loss family, D-loss reduction, min_confidence).
    config_source
        The config file the options came from, or None.
    allow_damage
        Whether damaged runs were accepted.
    error
        Why the check is incomplete (no run found, runs unreadable or damaged), else None.
    analysis
        The full :class:`~ganlogs.analysis.Analysis` the verdict was drawn from.
    """

    status: str
    failing: list[FailingRun]
    unreadable: list[UnreadableRun]
    too_short: list[str]
    runs_checked: int
    fail_on: tuple[str, ...]
    min_confidence: float
    settings: Settings
    config_source: str | None = None
    error: str | None = None
    analysis: Analysis | None = field(default=None, repr=False, compare=False)
    damaged: list[DamagedRun] = field(default_factory=list)
    allow_damage: bool = False

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "runs_checked": self.runs_checked,
                "fail_on": list(self.fail_on), "min_confidence": self.min_confidence,
                "settings": self.settings.to_dict(), "config": self.config_source,
                "error": self.error,
                "failing": [r.to_dict() for r in self.failing],
                "unreadable": [r.to_dict() for r in self.unreadable],
                "damaged": [r.to_dict() for r in self.damaged],
                "allow_damage": self.allow_damage,
                "too_short": list(self.too_short)}


def apply_policy(analysis: Analysis, *, fail_on: Sequence[str] | str = DEFAULT_FAIL_ON,
                 min_confidence: float = DEFAULT_MIN_CONFIDENCE,
                 config_source: str | None = None, allow_damage: bool = False) -> CheckResult:
    """Decide pass / fail / error for an :class:`~ganlogs.analysis.Analysis`.

    Pure: reads the findings, computes nothing about the runs.
    """
    fail_on = parse_fail_on(fail_on if isinstance(fail_on, str) else list(fail_on),
                            where="fail_on")
    if isinstance(min_confidence, bool) or not 0.0 <= float(min_confidence) <= 1.0:
        raise UsageError(f"min_confidence must be in [0, 1]; got {min_confidence!r}")
    failing: list[FailingRun] = []
    unreadable: list[UnreadableRun] = []
    too_short: list[str] = []
    damaged: list[DamagedRun] = []
    for r in analysis.runs:
        if not r.ok:
            unreadable.append(UnreadableRun(r.run_id, r.path, r.error or "unreadable"))
            continue
        damage = tuple(w for w in r.warnings if is_damage_warning(w))
        if damage:
            damaged.append(DamagedRun(r.run_id, r.path, damage))
        bad = sorted((f for f in r.findings
                      if f.label in fail_on and f.confidence >= min_confidence),
                     key=lambda f: -f.confidence)
        if bad:
            failing.append(FailingRun(r.run_id, r.path, tuple(bad)))
        elif r.too_short:
            too_short.append(r.run_id)
    if not analysis.runs:
        error = f"no runs found under {analysis.root}"
    else:
        why = []
        if unreadable:
            why.append(f"{len(unreadable)} run(s) or file(s) could not be read")
        if damaged and not allow_damage:
            why.append(f"{len(damaged)} run(s) damaged ({', '.join(d.run_id for d in damaged[:3])}"
                       f"{', ...' if len(damaged) > 3 else ''}: records were skipped; "
                       "--allow-damage accepts them)")
        error = "; ".join(why) or None
    status = "error" if error else ("fail" if failing else "pass")
    return CheckResult(status=status, failing=failing, unreadable=unreadable,
                       too_short=too_short,
                       runs_checked=sum(r.ok for r in analysis.runs), fail_on=fail_on,
                       min_confidence=float(min_confidence), settings=analysis.settings,
                       config_source=config_source, error=error, analysis=analysis,
                       damaged=damaged, allow_damage=bool(allow_damage))


def check(
    path: str | os.PathLike[str],
    *,
    fail_on: Sequence[str] | str | None = None,
    min_confidence: float | None = None,
    roles: Mapping[str, str] | None = None,
    loss_family: str | None = None,
    d_loss_reduction: str | None = None,
    config: str | os.PathLike[str] | Config | None = None,
    detectors: Sequence[Detector] | None = None,
    progress: Callable[[int, int], None] | None = None,
    exclude: Sequence[str] | None = None,
    allow_damage: bool | None = None,
    **analyze_options: Any,
) -> CheckResult:
    """Analyse every run under ``path`` and apply a pass/fail policy to the findings.

    Parameters
    ----------
    fail_on
        Labels that fail a run (a list or ``"a,b"``); default :data:`DEFAULT_FAIL_ON`.
        Any of :data:`ganlogs.detectors.FINDING_LABELS`, ``insufficient_data`` included.
    min_confidence
        A finding fails a run when its confidence is at least this; default 0.5, the
        analysis default (it also sets which findings become ``labels``).
    roles, loss_family, d_loss_reduction
        What ganlogs would otherwise infer, as in :class:`~ganlogs.analysis.Settings`.
    config
        A config file (``ganlogs.toml`` or a ``pyproject.toml``) or a loaded
        :class:`~ganlogs.config.Config`; arguments given here override it. ``None`` reads no
        file (the command line looks one up in the current directory; Python does not).
    exclude
        Glob patterns of files not to read (added to the config's ``exclude``); any other
        file that could be a log and is not read makes the check incomplete.
    allow_damage
        Accept damaged runs (judged on their intact records) instead of making the check
        incomplete; default: the config's ``allow_damage``, else False.
    detectors, progress, **analyze_options
        Passed to :func:`ganlogs.analyze` (``jobs``, ``engine``, ``scheduler``, ``cache``).

    Returns a :class:`CheckResult`; never raises for findings, unreadable runs or a path
    with no runs (missing or empty: status ``"error"``), only
    :class:`~ganlogs.errors.UsageError` for bad options.
    """
    cfg = config if isinstance(config, Config) else (
        load_config(config) if config is not None else Config())
    if fail_on is None:
        fail_on = cfg.fail_on if cfg.fail_on is not None else DEFAULT_FAIL_ON
    fail_on = parse_fail_on(fail_on if isinstance(fail_on, str) else list(fail_on),
                            where="fail_on")
    if min_confidence is None:
        min_confidence = (cfg.min_confidence if cfg.min_confidence is not None
                          else DEFAULT_MIN_CONFIDENCE)
    settings = cfg.settings(roles=roles, loss_family=loss_family,
                            d_loss_reduction=d_loss_reduction, min_confidence=min_confidence)
    if allow_damage is None:
        allow_damage = bool(cfg.allow_damage)
    exclude = tuple(cfg.exclude) + tuple(exclude or ())
    if not os.path.lexists(path):
        # like an empty directory: an incomplete check (status "error"), not an exception
        result = apply_policy(Analysis(root=os.fspath(path), runs=[], settings=settings),
                              fail_on=fail_on, min_confidence=min_confidence,
                              config_source=cfg.source, allow_damage=allow_damage)
        result.error = f"{os.fspath(path)}: no such file or directory"
        return result
    analysis = analyze(path, settings=settings, detectors=detectors, progress=progress,
                       exclude=exclude, **analyze_options)
    return apply_policy(analysis, fail_on=fail_on, min_confidence=min_confidence,
                        config_source=cfg.source, allow_damage=allow_damage)
