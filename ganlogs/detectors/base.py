"""The detector contract: :class:`Detector` and the :class:`RunContext` it reads.

A detector reads a :class:`~ganlogs.run.Run` (through :class:`RunContext`, which carries the
resolved roles and loss conventions) and returns :class:`~ganlogs.findings.Finding` objects.
It never opens a file and never renders text beyond the one-sentence ``summary``.

Parameters follow scikit-learn's contract: every number that changes a verdict is a
keyword-only constructor argument with a documented default, stored unchanged under its own
name; :meth:`Detector.get_params` reads them from the ``__init__`` signatures, and every
finding records them (the calibration by its source id) in ``parameters``.

Two entry points: :meth:`Detector.detect` on a context (what :func:`ganlogs.analyze` calls,
after :func:`ganlogs.analysis.build_context`) and :meth:`Detector.detect_series` on plain
data (a mapping of role id -> series).
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections import abc
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Mapping, Sequence

import numpy as np
import pandas as pd

from ..conventions import resolve_conventions
from ..findings import FINDING_LABELS, LABELS, Finding, LossFamily
from ..roles import ROLES, RoleMap, d_loss_from_terms
from ..run import Run

# the result model lives in ganlogs.findings; these names stay importable from here
__all__ = ["LABELS", "FINDING_LABELS", "Finding", "Detector", "RunContext", "LossFamily"]

#: Detector subclass -> its keyword-only parameter names (read once per class)
_PARAM_NAMES: dict[type, tuple[str, ...]] = {}

@dataclass(frozen=True)
class RunContext:
    """What a detector reads: the run, its roles and its loss conventions."""

    run: Run
    roles: RoleMap
    loss_family: LossFamily
    #: what was inferred while building the context (roles, conventions), one sentence each
    notes: tuple[str, ...] = ()
    #: series the run did not log but that follow from what it did (role -> step-indexed
    #: Series), e.g. the D loss as D_real + D_fake; see :meth:`build`
    derived: Mapping[str, pd.Series] = field(default_factory=dict)

    def series(self, role: str) -> pd.Series | None:
        """The detector view of the tag that holds ``role`` (indexed by step), else a derived
        series for it, or None."""
        tag = self.roles.get(role)
        if tag is not None:
            return self.run.series(tag)
        return self.derived.get(role)

    @classmethod
    def build(cls, run: Run, roles: RoleMap, *, loss_family: str | None = None,
              d_loss_reduction: str | None = None, notes: Sequence[str] = ()) -> "RunContext":
        """The context of ``run`` with its ``roles``: derives what follows from the logged
        series (a D loss from its real and fake parts when only those are logged, as
        pix2pix writes D_real and D_fake), then resolves the loss conventions with
        :func:`ganlogs.conventions.resolve_conventions`, the one place they are decided."""
        notes = list(notes)
        views = {role: run.series(tag) for role, tag in roles.tags.items()
                 if role in ("d_loss", "g_loss", "d_loss_real", "d_loss_fake")}
        derived: dict[str, pd.Series] = {}
        stated_red = d_loss_reduction
        from_terms = d_loss_from_terms(roles.tags)  # the same derivation as infer_roles'
        if from_terms is not None:
            composite, (real, fake) = from_terms
            summed = run.with_sums({composite: (real, fake)})
            d_loss = summed.series(composite)
            if len(d_loss):
                run = summed
                derived["d_loss"] = d_loss.rename("d_loss")
                views["d_loss"] = derived["d_loss"]
                stated_red = "summed"
                notes.append(f"D loss = {real} + {fake} (no D loss logged; the sum of its "
                             "real and fake parts)")
        lf = resolve_conventions(views, tags=run.tags, loss_family=loss_family,
                                 d_loss_reduction=stated_red)
        if "d_loss" in derived:
            lf = replace(lf, reduction_method="derived",
                         reasons=(lf.reasons[0], "D loss summed: derived as real + fake parts")
                         + tuple(lf.reasons[2:]))
        return cls(run=run, roles=roles, loss_family=lf, notes=tuple(notes), derived=derived)

    @classmethod
    def from_series(cls, series: Mapping[str, Any], *, loss_family: str | None = None,
                    d_loss_reduction: str | None = None,
                    run_id: str = "series") -> "RunContext":
        """A context from plain data: role id -> values.

        Values are pandas Series indexed by step or sequences (then the step is the
        position). Role ids are those of :data:`ganlogs.roles.ROLES`; each series becomes a
        tag named by its role. The loss family and D-loss reduction are resolved by
        :func:`ganlogs.conventions.resolve_conventions`, as for a logged run, unless stated.
        """
        run = series_run(series, run_id=run_id)
        present = [r for r in ROLES if r in run.tags]
        return cls.build(run, RoleMap(tags={r: r for r in present}), loss_family=loss_family,
                         d_loss_reduction=d_loss_reduction)


def series_run(series: Mapping[str, Any], *, run_id: str = "series") -> Run:
    """A :class:`~ganlogs.run.Run` whose tags are role ids, from role id -> values."""
    rows = []
    for role, values in series.items():
        if values is None:
            continue
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; roles are: {', '.join(ROLES)}")
        s = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, float))
        rows.append(pd.DataFrame({"tag": role, "step": np.asarray(s.index, dtype=np.int64),
                                  "value": s.to_numpy(dtype=np.float64)}))
    frame = (pd.concat(rows, ignore_index=True) if rows
             else pd.DataFrame({"tag": [], "step": [], "value": []}))
    return Run.from_frame(frame, run_id=run_id, path=run_id, format="series")


class Detector(ABC):
    """Base class of detectors. Constructors only store keyword-only parameters."""

    #: stable id of the detector, e.g. ``"oscillation"``
    name: ClassVar[str]
    #: the labels this detector can emit
    labels: ClassVar[tuple[str, ...]]
    version: ClassVar[str] = "1"

    @abstractmethod
    def detect(self, ctx: RunContext) -> list[Finding]:
        """Return this detector's findings for one run (possibly none).

        A run too short to judge gives no finding: :func:`ganlogs.analyze` adds the run's
        one ``insufficient_data`` finding itself.
        """

    def detect_series(self, series: Mapping[str, Any], *, loss_family: str | None = None,
                      d_loss_reduction: str | None = None) -> list[Finding]:
        """Findings on plain data: ``series`` maps role id -> values (see
        :meth:`RunContext.from_series`); options are keywords, e.g.
        ``OscillationDetector().detect_series({"d_loss": d, "g_loss": g})``."""
        return self.detect(RunContext.from_series(series, loss_family=loss_family,
                                                  d_loss_reduction=d_loss_reduction))

    @classmethod
    def _param_names(cls) -> list[str]:
        cached = _PARAM_NAMES.get(cls)  # (inspect.signature: ~50 us a class, per finding)
        if cached is None:
            cached = _PARAM_NAMES[cls] = tuple(cls._read_param_names())
        return list(cached)

    @classmethod
    def _read_param_names(cls) -> list[str]:
        names: list[str] = []
        for klass in cls.__mro__:
            init = klass.__dict__.get("__init__")
            if init is None or klass is object:
                continue
            for p in inspect.signature(init).parameters.values():
                if p.kind is p.KEYWORD_ONLY and p.name not in names:
                    names.append(p.name)
        return names

    def get_params(self) -> dict[str, Any]:
        """The constructor's keyword arguments and their values (scikit-learn's contract:
        read from the ``__init__`` signatures along the class hierarchy; each is stored
        unchanged under its own name)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def finding_parameters(self) -> dict[str, Any]:
        """:meth:`get_params` as it goes into :attr:`Finding.parameters`: JSON-safe, with a
        calibration or nested detectors named by id rather than copied."""
        out: dict[str, Any] = {}
        for k, v in self.get_params().items():
            if hasattr(v, "source_id"):
                v = v.source_id
            elif isinstance(v, (list, tuple)) and v and all(isinstance(x, Detector) for x in v):
                v = [x.name for x in v]
            elif isinstance(v, abc.Mapping):  # typing.Mapping's check is ~10x slower
                v = dict(v)
            out[k] = v
        return out
