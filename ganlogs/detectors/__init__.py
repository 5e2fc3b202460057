"""Detectors: each reads a run and returns :class:`~ganlogs.findings.Finding` objects.

One module per label: :class:`ConvergenceDetector` (``converged``),
:class:`OscillationDetector` (``oscillating``), :class:`ModeCollapseDetector`
(``mode_collapse``), :class:`VanishingGradientsDetector` (``vanishing_gradients``),
:class:`DivergenceDetector` (``diverged``). Shared statistics live in :mod:`.stats` and
:mod:`.runstats`; the maps from features to confidences are data, a :class:`Calibration`
(:mod:`.calibration`, shipped as ``calibration.json``).

Each detector takes its parameters as keyword-only constructor arguments (see
:class:`GanDetector`) and has two entry points: ``detect(ctx)`` on a :class:`RunContext`
(built by :func:`ganlogs.analysis.build_context`) and ``detect_series(mapping)`` on plain
data, e.g. ``OscillationDetector().detect_series({"d_loss": d, "g_loss": g})``.

``DEFAULT_DETECTORS`` is the ordered registry :func:`ganlogs.analyze` runs; adding a
detector there makes the contract test (``tests/detectors/test_conformance.py``) run it.
"""

from __future__ import annotations

from ..findings import CORE_LABELS, FAILURE_LABELS, FINDING_LABELS, LABELS, Finding, LossFamily
from ._common import GanDetector
from .base import Detector, RunContext, series_run
from .calibration import Calibration, default_calibration
from .convergence import ConvergenceDetector
from .d_overfitting import DOverfittingDetector
from .divergence import DivergenceDetector
from .mode_collapse import ModeCollapseDetector
from .oscillation import OscillationDetector
from .runstats import RunStats, StatsSettings, Sufficiency, run_stats, sufficiency
from .vanishing_gradients import VanishingGradientsDetector

__all__ = ["CORE_LABELS", "LABELS", "FAILURE_LABELS", "FINDING_LABELS", "Detector", "GanDetector", "Finding",
           "LossFamily", "RunContext", "series_run", "Calibration", "default_calibration",
           "RunStats", "StatsSettings", "Sufficiency", "run_stats", "sufficiency",
           "DEFAULT_DETECTORS", "default_detectors", "ConvergenceDetector",
           "OscillationDetector", "ModeCollapseDetector", "VanishingGradientsDetector",
           "DivergenceDetector", "DOverfittingDetector"]


def default_detectors(**params) -> list[Detector]:
    """Fresh instances of every registered detector, in the order they run.

    ``params`` (e.g. ``calibration=Calibration.load(path)``, ``min_points=100``) go to every
    detector: they are the parameters all of them share (see :class:`GanDetector`).
    """
    return [DivergenceDetector(**params), VanishingGradientsDetector(**params),
            ModeCollapseDetector(**params), OscillationDetector(**params),
            ConvergenceDetector(**params),
            # reads its own signals (r_t, held-out D): the GAN detectors' shared parameters
            # do not apply to it
            DOverfittingDetector()]


DEFAULT_DETECTORS: tuple[str, ...] = tuple(d.name for d in default_detectors())
