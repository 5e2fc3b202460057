"""What the five GAN detectors share: the too-short rule, findings, plain-series use."""

from __future__ import annotations

from typing import Any, ClassVar, Mapping, Sequence

import numpy as np
import pandas as pd

from ..conventions import infer_d_loss_reduction, infer_loss_family
from ..roles import ROLES, RoleMap
from ..run import Run
from . import _stats as st
from ._features import ROLES_READ, RunStats, compute_run_stats, evidence_common, run_stats
from .base import Detector, Finding, LossFamily, RunContext

__all__ = ["GanDetector", "context_from_series", "stats_from_series"]


def context_from_series(series: Mapping[str, Any], *, loss_family: str | None = None,
                        d_loss_reduction: str | None = None,
                        run_id: str = "series") -> RunContext:
    """A :class:`RunContext` from role -> values.

    Values may be pandas Series indexed by step or plain sequences (then the step is the
    position). Roles are the ids of :data:`ganlogs.roles.ROLES`; the tag of each series is
    its role id. The loss family and D-loss reduction are inferred as for a logged run
    unless stated.
    """
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
    run = Run.from_frame(frame, run_id=run_id, path=run_id, format="series")
    present = [r for r in ROLES if r in series and series[r] is not None]
    roles = RoleMap(tags={r: r for r in present})

    def s(role: str) -> pd.Series | None:
        return run.series(role) if role in present else None

    red = infer_d_loss_reduction(s("d_loss"), s("g_loss"), s("d_loss_real"), s("d_loss_fake"),
                                 stated=d_loss_reduction)
    fam = infer_loss_family(s("d_loss"), s("g_loss"), tags=present, stated=loss_family)
    lf = LossFamily(family=fam.family, method=fam.method, d_loss_reduction=red.reduction,
                    reduction_method=red.method, reasons=(fam.reason, red.reason))
    return RunContext(run=run, roles=roles, loss_family=lf)


def _as_series(values: Any) -> pd.Series:
    if isinstance(values, pd.Series):
        s = values.astype(np.float64)
        if not s.index.is_monotonic_increasing:
            s = s.sort_index(kind="stable")
        s = s[~s.index.duplicated(keep="last")]
        return s
    v = np.asarray(values, dtype=np.float64)
    return pd.Series(v, index=pd.RangeIndex(len(v), name="step"))


def stats_from_series(series: Mapping[str, Any], *, loss_family: str | None = None,
                      d_loss_reduction: str | None = None) -> RunStats:
    """:class:`RunStats` straight from role -> values (no :class:`Run` is built).

    Values are pandas Series indexed by step (sorted; a repeated step keeps its last value)
    or sequences (step = position). The loss family and reduction are inferred as for a
    logged run unless stated.
    """
    bad = [r for r in series if r not in ROLES]
    if bad:
        raise ValueError(f"unknown role(s) {bad}; roles are: {', '.join(ROLES)}")
    ss = {r: _as_series(v) for r, v in series.items() if v is not None}
    red = infer_d_loss_reduction(ss.get("d_loss"), ss.get("g_loss"), ss.get("d_loss_real"),
                                 ss.get("d_loss_fake"), stated=d_loss_reduction)
    fam = infer_loss_family(ss.get("d_loss"), ss.get("g_loss"), tags=list(ss),
                            stated=loss_family)
    return compute_run_stats({r: ss.get(r) for r in ROLES_READ}, fam.family, red.reduction)


class GanDetector(Detector):
    """Base of the five label detectors.

    Subclasses implement :meth:`judge` on the shared :class:`~._features.RunStats`; this
    class handles the run that is too short to judge (fewer than ``min_points`` healthy
    points of the D and G losses, or no loss at all), which gets one ``insufficient_data``
    finding instead of a guess.
    """

    labels: ClassVar[tuple[str, ...]]
    #: whether a too-short run can still be judged (divergence: a NaN is a NaN)
    judges_short_runs: ClassVar[bool] = False

    def __init__(self, *, min_points: int = st.MIN_POINTS) -> None:
        if not isinstance(min_points, int) or min_points < 16:
            raise ValueError(f"min_points must be an integer >= 16; got {min_points!r}")
        self.min_points = min_points

    # -------------------------------------------------------------- API
    def detect(self, ctx: RunContext) -> list[Finding]:
        return self.detect_stats(run_stats(ctx))

    def detect_stats(self, rs: RunStats) -> list[Finding]:
        """Findings from already computed run statistics (what :meth:`detect` and
        :meth:`detect_series` both call)."""
        if self.judges_short_runs and self.can_judge_short(rs):
            return self.judge(rs)
        if not rs.has_losses:
            return [self._insufficient(rs, "no discriminator or generator loss recognised "
                                           "(name them with --role d_loss=TAG --role g_loss=TAG)")]
        if rs.n_points < self.min_points:
            return [self._insufficient(
                rs, f"only {rs.n_points} finite loss points"
                    f"{' before the first NaN/Inf' if rs.nonfinite_step is not None else ''}; "
                    f"at least {self.min_points} are needed to judge the run")]
        return self.judge(rs)

    def detect_series(self, *, loss_family: str | None = None,
                      d_loss_reduction: str | None = None, **series: Any) -> list[Finding]:
        """Run the detector on plain series given by role, e.g.
        ``OscillationDetector().detect_series(d_loss=d, g_loss=g)``.

        Each series is a pandas Series indexed by step or a sequence (step = position).
        """
        return self.detect_stats(stats_from_series(series, loss_family=loss_family,
                                                   d_loss_reduction=d_loss_reduction))

    # -------------------------------------------------------------- for subclasses
    def judge(self, rs: RunStats) -> list[Finding]:  # pragma: no cover - abstract
        raise NotImplementedError

    def can_judge_short(self, rs: RunStats) -> bool:
        return False

    def finding(self, label: str, confidence: float, *, onset_step: int | None,
                evidence: Mapping[str, Any], summary: str,
                span: tuple[int, int] | None) -> Finding:
        conf = float(min(max(confidence, 0.0), 1.0))
        return Finding(label=label, confidence=round(conf, 4),
                       onset_step=None if onset_step is None else int(onset_step),
                       evidence=st.round_floats(dict(evidence)), summary=summary,
                       detector=self.name, detector_version=self.version,
                       parameters=self.get_params(),
                       span=None if span is None else (int(span[0]), int(span[1])))

    def _insufficient(self, rs: RunStats, why: str) -> Finding:
        ev = evidence_common(rs)
        ev["min_points"] = self.min_points
        span = (rs.first_step, rs.last_step) if rs.first_step is not None \
            and rs.last_step is not None else None
        return self.finding("insufficient_data", 1.0, onset_step=None, evidence=ev,
                            summary=f"Too little to judge: {why}.", span=span)


def tail_span(rs: RunStats, role: str = "d_loss") -> tuple[int, int] | None:
    s = rs.series.get(role) or rs.series.get("g_loss")
    if s is None:
        return None
    return (s.tail_start_step, int(s.steps[-1]))


def roles_used(rs: RunStats, roles: Sequence[str]) -> list[str]:
    return [r for r in roles if r in rs.series]
