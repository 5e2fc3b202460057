"""What the five GAN detectors share: parameters, the shared statistics, findings."""

from __future__ import annotations

from typing import Any, ClassVar, Mapping, Sequence

from . import stats as st
from .base import Detector, Finding, RunContext
from .calibration import Calibration, default_calibration
from .runstats import (BLOWUP_ABS, BLOWUP_ORDERS, TAIL_FRACTION, RunStats, StatsSettings,
                       run_stats)

__all__ = ["GanDetector", "tail_span", "roles_used"]


class GanDetector(Detector):
    """Base of the label detectors: the parameters every one of them takes.

    Parameters
    ----------
    min_points
        Fewer healthy D/G loss points than this (default 50, :data:`~.stats.MIN_POINTS`:
        below it the stationarity and spectral tests have almost no power) and the detector
        gives no finding; :func:`ganlogs.analyze` then adds the run's ``insufficient_data``.
    tail_fraction
        The judged tail is this fraction of the healthy points (default 0.5: the end of
        training is what is judged, and half leaves the tests enough points).
    blowup_abs
        A loss magnitude that is a blow-up whatever the family (default 1e6: the reference
        trainer's blow-up line; no healthy GAN loss reaches it).
    blowup_orders
        Growth above the early scale, in orders of magnitude, that is a blow-up (default 2:
        a loss 100x its starting magnitude).
    calibration
        The :class:`~.calibration.Calibration` that maps features to confidences (default:
        the one shipped, :func:`~.calibration.default_calibration`).

    Subclasses implement :meth:`judge` on the shared :class:`~.runstats.RunStats` and
    :meth:`features` (the names their calibration models read). Their own parameters are
    keyword-only ``__init__`` arguments that end with ``**common`` passed to this class.
    """

    labels: ClassVar[tuple[str, ...]]
    #: whether a too-short run can still be judged (divergence: a NaN is a NaN)
    judges_short_runs: ClassVar[bool] = False

    def __init__(self, *, min_points: int = st.MIN_POINTS, tail_fraction: float = TAIL_FRACTION,
                 blowup_abs: float = BLOWUP_ABS, blowup_orders: float = BLOWUP_ORDERS,
                 calibration: Calibration | None = None) -> None:
        if isinstance(min_points, bool) or not isinstance(min_points, int) or min_points < 16:
            raise ValueError(f"min_points must be an integer >= 16; got {min_points!r}")
        if not 0.1 <= float(tail_fraction) <= 0.9:
            raise ValueError(f"tail_fraction must be in [0.1, 0.9]; got {tail_fraction!r}")
        if not float(blowup_abs) > 1.0:
            raise ValueError(f"blowup_abs must be a magnitude above 1; got {blowup_abs!r}")
        if not float(blowup_orders) > 0.0:
            raise ValueError(f"blowup_orders must be positive; got {blowup_orders!r}")
        if calibration is not None and not isinstance(calibration, Calibration):
            raise ValueError("calibration must be a ganlogs.detectors.Calibration (load one "
                             f"with Calibration.load(path)); got {type(calibration).__name__}")
        self.min_points = min_points
        self.tail_fraction = tail_fraction
        self.blowup_abs = blowup_abs
        self.blowup_orders = blowup_orders
        self.calibration = calibration

    # -------------------------------------------------------------- API
    @property
    def calibration_(self) -> Calibration:
        """The calibration in use (the one given, else the shipped one)."""
        return self.calibration if self.calibration is not None else default_calibration()

    @property
    def stats_settings(self) -> StatsSettings:
        return StatsSettings(tail_fraction=float(self.tail_fraction),
                             blowup_abs=float(self.blowup_abs),
                             blowup_orders=float(self.blowup_orders))

    def finding_parameters(self) -> dict[str, Any]:
        out = super().finding_parameters()
        out["calibration"] = self.calibration_.source_id  # the default's id when None
        return out

    def run_stats(self, ctx: RunContext) -> RunStats:
        """The shared statistics of ``ctx`` under this detector's parameters (cached)."""
        return run_stats(ctx, self.stats_settings)

    def can_judge(self, rs: RunStats) -> bool:
        """Whether this detector judges the run (enough healthy points, or a short run this
        detector can still judge)."""
        if self.judges_short_runs and self.can_judge_short(rs):
            return True
        return rs.has_losses and rs.n_points >= self.min_points

    def detect(self, ctx: RunContext) -> list[Finding]:
        rs = self.run_stats(ctx)
        return self.judge(rs) if self.can_judge(rs) else []

    # -------------------------------------------------------------- for subclasses
    def judge(self, rs: RunStats) -> list[Finding]:  # pragma: no cover - abstract
        raise NotImplementedError

    def features(self, rs: RunStats) -> dict[str, float]:  # pragma: no cover - abstract
        """The named features this detector's calibration models read."""
        raise NotImplementedError

    def can_judge_short(self, rs: RunStats) -> bool:
        return False

    def confidence(self, model: str, features: Mapping[str, float]) -> tuple[float, float]:
        """(confidence, raw score) from this detector's calibration ``model``."""
        return self.calibration_.confidence(self.name, model, features)

    def finding(self, label: str, confidence: float, *, onset_step: int | None,
                evidence: Mapping[str, Any], summary: str,
                span: tuple[int, int] | None) -> Finding:
        conf = float(min(max(confidence, 0.0), 1.0))
        return Finding(label=label, confidence=round(conf, 4),
                       onset_step=None if onset_step is None else int(onset_step),
                       evidence=st.round_floats(dict(evidence)), summary=summary,
                       detector=self.name, detector_version=self.version,
                       parameters=self.finding_parameters(),
                       span=None if span is None else (int(span[0]), int(span[1])))


def tail_span(rs: RunStats, role: str = "d_loss") -> tuple[int, int] | None:
    s = rs.series.get(role) or rs.series.get("g_loss")
    if s is None:
        return None
    return (s.tail_start_step, int(s.steps[-1]))


def roles_used(rs: RunStats, roles: Sequence[str]) -> list[str]:
    return [r for r in roles if r in rs.series]
