"""From a path to per-run results: discover, read, resolve roles and conventions, detect.

This is the only module that loops over a sweep; parallelism (processes) lives here.
"""

from __future__ import annotations

import math
import os
import threading
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from ._version import __version__
from .conventions import D_LOSS_REDUCTIONS, LOSS_FAMILIES, contradicting_family, resolve_conventions
from .detectors import Detector, RunContext, default_detectors, sufficiency
from .detectors.stats import MIN_POINTS
from .findings import FAILURE_LABELS, LABELS, Finding, LossFamily
from .errors import GanlogsError, ReadError, UsageError
from .readers import RunSource, discover, load
from .roles import ROLES, RoleMap, infer_roles
from .run import Run, RunDigest

from .cache import reader_messages

if TYPE_CHECKING:
    from .cache import RunCache

__all__ = ["Settings", "RunResult", "Analysis", "analyze", "analyze_run", "build_context",
           "pair_contexts", "run_findings", "labels_of", "DEFAULT_MIN_CONFIDENCE"]

#: a finding enters a run's ``labels`` when its confidence is at least this
DEFAULT_MIN_CONFIDENCE = 0.5


@dataclass(frozen=True)
class Settings:
    """What the user stated instead of letting ganlogs infer it.

    ``roles`` maps role id -> tag; ``loss_family`` is one of
    :data:`~ganlogs.conventions.LOSS_FAMILIES`; ``d_loss_reduction`` is ``summed`` (real + fake)
    or ``mean`` ((real + fake) / 2); ``min_confidence`` is the threshold for ``labels``.
    """

    roles: Mapping[str, str] = field(default_factory=dict)
    loss_family: str | None = None
    d_loss_reduction: str | None = None
    min_confidence: float = DEFAULT_MIN_CONFIDENCE

    def __post_init__(self) -> None:
        bad = [r for r in self.roles if r not in ROLES]
        if bad:
            raise UsageError(f"unknown role(s) {bad}; roles are: {', '.join(ROLES)}")
        if self.loss_family is not None and self.loss_family not in LOSS_FAMILIES:
            raise UsageError(f"loss_family must be one of {', '.join(LOSS_FAMILIES)}; "
                             f"got {self.loss_family!r}")
        if self.d_loss_reduction is not None and self.d_loss_reduction not in D_LOSS_REDUCTIONS:
            raise UsageError("d_loss_reduction must be 'summed' or 'mean'; "
                             f"got {self.d_loss_reduction!r}")
        if not 0.0 <= float(self.min_confidence) <= 1.0:
            raise UsageError(f"min_confidence must be in [0, 1]; got {self.min_confidence!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"roles": dict(self.roles), "loss_family": self.loss_family,
                "d_loss_reduction": self.d_loss_reduction,
                "min_confidence": self.min_confidence}


@dataclass
class RunResult:
    """Everything ganlogs concluded about one run (or why it could not read it)."""

    run_id: str
    path: str
    format: str | None
    status: str  # "ok" or "error"
    error: str | None = None
    #: the run read, or only its digest (``analyze(..., keep_points=False)``)
    run: "Run | RunDigest | None" = None
    roles: RoleMap | None = None
    loss_family: LossFamily | None = None
    findings: list[Finding] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: the threshold ``labels`` were taken at (a label found on one pair of several holds
    #: for the run; the other pairs' findings below it are not among the top findings)
    min_confidence: float = DEFAULT_MIN_CONFIDENCE

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def points(self) -> int:
        return 0 if self.run is None else len(self.run)

    @property
    def too_short(self) -> bool:
        """Read, but too short to judge: an ``insufficient_data`` finding and no label (a
        short run that already diverged is labelled, not too short)."""
        return self.ok and not self.labels and any(f.label == "insufficient_data"
                                                   for f in self.findings)

    def top_findings(self) -> list[Finding]:
        """Findings that made it into ``labels``, most confident first (for a run with several
        adversarial pairs, only the pairs whose finding reaches the threshold)."""
        return sorted((f for f in self.findings if f.label in self.labels
                       and (f.pair is None or f.confidence >= self.min_confidence)),
                      key=lambda f: -f.confidence)


@dataclass
class Analysis:
    """The result of :func:`analyze`: one :class:`RunResult` per run, in discovery order."""

    root: str
    runs: list[RunResult]
    settings: Settings
    version: str = __version__

    @property
    def errors(self) -> list[RunResult]:
        return [r for r in self.runs if not r.ok]

    def label_counts(self) -> dict[str, int]:
        counts = {label: 0 for label in LABELS}
        for r in self.runs:
            for label in r.labels:
                counts[label] = counts.get(label, 0) + 1
        return counts


def build_context(run: Run, settings: Settings | None = None) -> RunContext:
    """What the detectors read for ``run``: its roles (inferred, or as ``settings.roles``
    states) and its loss conventions (family, D-loss reduction, equilibrium: one resolver,
    :func:`ganlogs.conventions.resolve_conventions`). What was inferred is in ``notes``.

    The format the run was read with is evidence (:func:`ganlogs.roles.code_base_for`): its
    code base's loss family and D-loss reduction are used unless the user stated them. A run
    with several adversarial pairs (``roles.pairs``) gets the first pair's conventions here;
    :func:`pair_contexts` gives each pair its own context. Composite series (multi-scale
    discriminators summed into one D, a D loss from its real and fake terms when only those
    are logged) are readable from the context's run."""
    settings = settings or Settings()
    notes: list[str] = list(run.meta.notes)
    summary = run.series_summary()
    points = {t: s["points"] for t, s in summary.items()}
    roles = infer_roles(run.tags, overrides=settings.roles, points=points,
                        values=lambda tag: run.series(tag).to_numpy(),
                        format=run.meta.format, hparams=run.meta.hparams)
    notes.extend(roles.notes)
    sums = {**roles.sums, **{k: v for p in roles.pairs.values() for k, v in p.sums.items()}}
    if sums:
        run = run.with_sums(sums)
    first = roles.pair_items()[0][1]
    family = _conventions(run, first, settings)
    return RunContext(run=run, roles=roles, loss_family=family, notes=tuple(notes))


def _conventions(run: Run, roles: RoleMap, settings: Settings) -> LossFamily:
    """The loss conventions of one pair: what the user stated, else what the code base
    computes, else what the values say."""
    views = {role: run.series(tag) for role in ("d_loss", "g_loss", "d_loss_real", "d_loss_fake")
             for tag in [roles.get(role)] if tag is not None}
    cb = roles.code_base
    d_tag = roles.get("d_loss")
    derived = d_tag is not None and roles.sums.get(d_tag) == (roles.get("d_loss_real"),
                                                              roles.get("d_loss_fake"))
    family = settings.loss_family or (cb.loss_family if cb is not None else None)
    contradiction = None
    if settings.loss_family is None and family is not None:
        contradiction = contradicting_family(family, views.get("d_loss"), views.get("g_loss"))
        if contradiction is not None:
            family = contradiction.family
    reduction = settings.d_loss_reduction or ("summed" if derived else None) or (
        cb.d_loss_reduction if cb is not None and "d_loss" in views else None)
    pair_tags = [t for t in run.tags if t in set(roles.tags.values())] if roles.name else run.tags
    lf = resolve_conventions(views, tags=pair_tags, loss_family=family,
                             d_loss_reduction=reduction)
    changes: dict[str, Any] = {}
    reasons = list(lf.reasons)
    if derived and settings.d_loss_reduction is None:
        changes["reduction_method"] = "derived"
        reasons[1] = f"D loss summed: d_loss is {d_tag}, the sum of the logged real and fake terms"
    if cb is None:
        return replace(lf, reasons=tuple(reasons), **changes) if changes else lf
    if contradiction is not None:
        changes["method"] = "values"
        reasons[0] = (f"loss family {contradiction.family}, not the {cb.loss_family} its code "
                      f"base ({cb.name}) computes: {contradiction.reason}")
    elif settings.loss_family is None and cb.loss_family is not None:
        changes["method"] = "code_base"
        reasons[0] = f"loss family {cb.loss_family}, as the code base computes it ({cb.name})"
    if settings.d_loss_reduction is None and reduction is not None and not derived:
        changes["reduction_method"] = "code_base"
        reasons[1] = f"D loss {reduction}, as the code base computes it ({cb.name})"
    if cb.scales > 1:
        for key in ("equilibrium_d_loss", "equilibrium_g_loss"):
            value = getattr(lf, key)
            if value is not None:
                changes[key] = value * cb.scales
        reasons.append(f"equilibrium values x {cb.scales}: each adversarial term sums "
                       f"{cb.scales} discriminator scales ({cb.name})")
    return replace(lf, reasons=tuple(reasons), **changes) if changes else lf


def pair_contexts(ctx: RunContext, settings: Settings | None = None
                  ) -> list[tuple[str | None, RunContext]]:
    """``[(pair name, context)]``: one context per adversarial pair, each with that pair's
    roles (plus the roles the run shares) and its own loss conventions; ``[(None, ctx)]``
    for a run with one pair. No pair's series is ever read in another's context."""
    if not ctx.roles.pairs:
        return [(None, ctx)]
    settings = settings or Settings()
    return [(name, RunContext(run=ctx.run, roles=proles,
                              loss_family=_conventions(ctx.run, proles, settings),
                              notes=ctx.notes))
            for name, proles in ctx.roles.pair_items()]


#: the detector name on the ``insufficient_data`` finding analysis gives a run
ANALYSIS_DETECTOR = "analysis"


def _insufficient(ctx: RunContext, detectors: Sequence[Detector]) -> Finding | None:
    """The run's one ``insufficient_data`` finding, or None when it can be judged. The
    threshold is the smallest ``min_points`` among the detectors (50 by default)."""
    mins = [int(getattr(d, "min_points")) for d in detectors if hasattr(d, "min_points")]
    min_points = min(mins) if mins else MIN_POINTS
    got = sufficiency(ctx, min_points=min_points)
    if got.reason is None:
        return None
    lf = ctx.loss_family
    span = ((got.first_step, got.last_step)
            if got.first_step is not None and got.last_step is not None else None)
    return Finding(label="insufficient_data", confidence=1.0, onset_step=None,
                   evidence={"points": got.points, "min_points": min_points,
                             "loss_family": lf.family, "d_loss_reduction": lf.d_loss_reduction},
                   summary=f"Too little to judge: {got.reason}.", detector=ANALYSIS_DETECTOR,
                   detector_version=__version__, parameters={"min_points": min_points},
                   span=span)


def run_findings(ctx: RunContext, detectors: Sequence[Detector]) -> list[Finding]:
    """Every finding of ``detectors`` on one run, plus the run's one ``insufficient_data``
    finding when it is too short to judge. Detectors that read the failure findings
    (``reads_failures``, i.e. convergence) run after the others and get theirs."""
    found: list[Finding] = []
    late = [d for d in detectors if getattr(d, "reads_failures", False)]
    for det in detectors:
        if det not in late:
            found.extend(det.detect(ctx))
    failures = [f for f in found if f.label in FAILURE_LABELS]
    for det in late:
        found.extend(det.detect(ctx, failure_findings=failures))  # type: ignore[call-arg]
    short = _insufficient(ctx, detectors)
    if short is not None:
        found.append(short)
    return found


def labels_of(findings: Sequence[Finding], min_confidence: float = DEFAULT_MIN_CONFIDENCE
              ) -> tuple[list[str], list[Finding]]:
    """(labels, findings) at the threshold ``min_confidence``.

    A label holds when one of its findings reaches the threshold, except ``converged``,
    which excludes every failure label: when a failure label holds, a ``converged`` finding
    at or above the threshold is returned held just below it, its summary saying which
    failure excluded it (so ``converged`` never joins a failure label, at any threshold).
    """
    def holds(label: str) -> bool:
        return any(f.label == label and f.confidence >= min_confidence for f in findings)

    failures = [lab for lab in LABELS if lab in FAILURE_LABELS and holds(lab)]
    labels = ([lab for lab in LABELS if lab != "converged" and holds(lab)] if failures
              else [lab for lab in LABELS if holds(lab)])
    out = list(findings)
    if failures:
        worst = max((f for f in findings if f.label in failures), key=lambda f: f.confidence)
        for i, f in enumerate(out):
            if f.label == "converged" and f.confidence >= min_confidence:
                held = math.floor((min_confidence - 1e-4) * 1e4) / 1e4
                out[i] = replace(
                    f, confidence=max(held, 0.0),
                    evidence={**f.evidence, "confidence_before_exclusion": f.confidence,
                              "excluded_by": worst.label},
                    summary=(f"Not converged: {worst.label.replace('_', ' ')} at "
                             f"{worst.confidence:.2f} reaches the label threshold "
                             f"{min_confidence:g}, and converged excludes failures."))
    return [lab for lab in LABELS if lab in labels], out


def analyze_run(
    run: Run,
    *,
    settings: Settings | None = None,
    detectors: Sequence[Detector] | None = None,
) -> RunResult:
    """Resolve roles and loss conventions for one loaded run, then run the detectors."""
    settings = settings or Settings()
    ctx = build_context(run, settings)
    result = RunResult(run_id=run.meta.run_id, path=run.meta.path, format=run.meta.format,
                       status="ok", run=run, roles=ctx.roles, loss_family=ctx.loss_family,
                       warnings=list(run.meta.warnings), notes=list(ctx.notes))
    if ctx.loss_family.reduction_method == "early_ratio":
        result.warnings.append(ctx.loss_family.reasons[1] + " (inferred; pass "
                               "--d-loss-reduction to state it)")
    if not ctx.roles.has_losses:
        result.warnings.append("no discriminator and generator loss recognised among the tags "
                               f"({', '.join(run.tags[:8])}{' ...' if len(run.tags) > 8 else ''}); "
                               "name them with --role d_loss=TAG --role g_loss=TAG")
    detectors = default_detectors() if detectors is None else detectors
    pairs = pair_contexts(ctx, settings)
    if len(pairs) == 1:
        found = run_findings(ctx, detectors)
    else:
        found, short = [], []
        for name, pctx in pairs:
            result.notes.append(f"pair {name} ({pctx.roles.name}): "
                                f"{'; '.join(pctx.loss_family.reasons)}")
            for f in run_findings(pctx, detectors):
                f = replace(f, pair=name, summary=f"{pctx.roles.name}: {f.summary}")
                (short if f.label == "insufficient_data" else found).append(f)
        # analysis owns insufficient_data: one per run, and only when no pair can be judged
        if short and len(short) == len(pairs):
            found.append(replace(short[0], pair=None))
        for f in short if len(short) < len(pairs) else ():
            result.notes.append(f"pair {f.pair} too short to judge: {f.summary}")
    result.labels, result.findings = labels_of(found, settings.min_confidence)
    result.min_confidence = settings.min_confidence
    return result


def _error_result(source: RunSource, exc: GanlogsError) -> RunResult:
    fmt = source.reader.formats[0] if source.reader is not None else None
    return RunResult(run_id=source.run_id, path=str(source.path), format=fmt, status="error",
                     error=str(exc))


_LOAD_LOCK = threading.Lock()


def _analyze_source(source: RunSource, settings: Settings,
                    detectors: Sequence[Detector] | None,
                    cache: "RunCache | None" = None) -> list[RunResult]:
    caught: list[str] = []
    try:
        # warnings.catch_warnings is process-wide: in threads (a dask worker runs several)
        # two reads at once would swap their warnings, so reads take turns there
        with _LOAD_LOCK:
            if cache is not None:
                got = cache.read(source, load)
                runs, caught = got.runs, got.warnings
            else:
                with warnings.catch_warnings(record=True) as w:
                    warnings.simplefilter("always")
                    runs = load(source)
                caught = reader_messages(w)
    except GanlogsError as exc:
        return [_error_result(source, exc)]
    results = []
    for run in runs:
        try:
            res = analyze_run(run, settings=settings, detectors=detectors)
        except GanlogsError as exc:
            res = _error_result(source, exc)
            res.run_id = run.meta.run_id
        # a reader both warns (naming the file) and records the same sentence in the
        # run's warnings: keep one
        res.warnings = [c for c in caught
                        if not any(c.endswith(w) for w in res.warnings)] + res.warnings
        results.append(res)
    return results


def _analyze_guarded(source: RunSource, settings: Settings,
                     detectors: Sequence[Detector] | None, cache: "RunCache | None",
                     transfer: bool = False, keep_points: bool = True) -> list[RunResult]:
    """:func:`_analyze_source` for the engines: an unexpected exception (a bug in a reader
    or a detector) becomes this run's one-line error instead of stopping the sweep.
    ``transfer``: the results go to another process, so drop the runs' cached views.
    ``keep_points=False``: each run is replaced by its digest once analysed."""
    try:
        results = _analyze_source(source, settings, detectors, cache)
    except Exception as exc:  # noqa: BLE001 - one bad run never stops the others
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())
        results = [_error_result(source, ReadError(
            source.path, f"internal error while analysing this run ({detail}); "
            "please report it with the file"))]
    for res in results:
        if isinstance(res.run, Run) and not keep_points:
            res.run = res.run.digest()
        elif isinstance(res.run, Run) and transfer:
            res.run._views.clear()
    return results


def _warm_up(settings: Settings, detectors: Sequence[Detector] | None,
             cache: "RunCache | None") -> None:
    """Analyse a small synthetic run in this process before workers are forked: the
    detectors' lazy imports (scipy.stats, statsmodels: seconds each) then happen once, not
    once per worker. Never fails: a problem here shows up again, per run, in the workers."""
    import numpy as np
    import pandas as pd

    try:
        if cache is not None:
            import pyarrow.parquet  # noqa: F401
        steps = np.arange(400)
        wave = np.sin(steps / 7.0)
        frame = pd.DataFrame({"tag": ["d_loss"] * 400 + ["g_loss"] * 400,
                              "step": np.r_[steps, steps],
                              "value": np.r_[1.2 + 0.1 * wave, 0.9 - 0.1 * wave]})
        run = Run.from_frame(frame, run_id="warm-up", path="warm-up", format="warm-up")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            analyze_run(run, settings=Settings(), detectors=detectors)
    except Exception:  # noqa: BLE001
        pass


def _crashed(source: RunSource, reason: str) -> list[RunResult]:
    return [_error_result(source, ReadError(source.path, reason))]


def analyze(
    path: str | os.PathLike[str],
    *,
    settings: Settings | None = None,
    detectors: Sequence[Detector] | None = None,
    progress: Callable[[int, int], None] | None = None,
    jobs: int | None = 1,
    engine: str = "local",
    scheduler: str | None = None,
    cache: "bool | str | os.PathLike[str] | RunCache | None" = None,
    exclude: Sequence[str] = (),
    keep_points: bool = True,
    on_result: Callable[[RunResult], None] | None = None,
) -> Analysis:
    """Find every run under ``path``, read it and analyse it.

    One run that cannot be read never stops the others: it comes back with
    ``status="error"`` and a one-line ``error``. ``progress(done, total)`` is called after
    each run when given. Results are in discovery order whatever the engine.

    ``jobs``: worker processes for the local engine (``None``: one per CPU; the default 1
    stays in this process, as do sweeps of fewer than :data:`ganlogs.engine.SMALL_SWEEP`
    runs). ``engine="dask"`` sends the runs to the dask.distributed scheduler at
    ``scheduler`` (see :mod:`ganlogs.engine`). ``cache``: ``True`` for the default cache
    directory, a directory, or a :class:`~ganlogs.cache.RunCache`; ``None``/``False`` (the
    default) reads every run afresh. The cache needs pyarrow and is silently off without it.
    With more than one process, custom ``detectors`` must be picklable (importable classes).
    ``exclude``: glob patterns of files and directories not to read (see
    :func:`ganlogs.readers.discover`); other files that could be logs but that no reader reads
    come back as unreadable runs, with the reason.
    ``keep_points=False``: each result's ``run`` is a :class:`~ganlogs.run.RunDigest` (its
    metadata, tags, number of points and series summary; what the terminal, JSON and
    Markdown reports read), so a sweep of many runs does not hold every point in this
    process; plots and the HTML report need the points.
    ``on_result(result)``: called in this process with each result in the order of
    :attr:`Analysis.runs`, as soon as it and every earlier one are known, so that a report
    can be written while later runs are still analysed (``ganlogs analyze --format json``
    does); it is first called once the runs are being analysed, never before the options
    are checked.
    """
    from functools import partial

    from .cache import RunCache, open_cache
    from .engine import map_ordered

    settings = settings or Settings()
    if cache is True:
        cache = open_cache()
    elif cache is None or cache is False:
        cache = None
    elif not isinstance(cache, RunCache):
        cache = open_cache(cache)
    found = discover(path, exclude=exclude)
    results: list[RunResult] = []
    for problem in found.problems:
        results.append(RunResult(run_id=os.path.relpath(problem.path, path)
                                 if Path(path).is_dir() else problem.path,
                                 path=problem.path, format=None, status="error",
                                 error=str(problem)))
    work = partial(_analyze_guarded, settings=settings, detectors=detectors, cache=cache,
                   transfer=engine != "local" or jobs != 1, keep_points=keep_points)
    held = [list(results)]  # (handed on with the first run analysed: options checked by then)

    def ready(index: int, source_results: list[RunResult]) -> None:
        for res in (held.pop() if held else []) + source_results:
            on_result(res)  # type: ignore[misc]

    per_source = map_ordered(work, found.sources, engine=engine, jobs=jobs,
                             scheduler=scheduler, progress=progress, on_crash=_crashed,
                             prepare=partial(_warm_up, settings, detectors, cache),
                             on_ready=ready if on_result is not None else None)
    for res in (held.pop() if held and on_result is not None else []):
        on_result(res)
    for source_results in per_source:
        results.extend(source_results)
    return Analysis(root=str(path), runs=results, settings=settings)
