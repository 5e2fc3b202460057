"""Detectors: each reads a run and returns :class:`Finding` objects.

One module per label: :class:`ConvergenceDetector` (``converged``),
:class:`OscillationDetector` (``oscillating``), :class:`ModeCollapseDetector`
(``mode_collapse``), :class:`VanishingGradientsDetector` (``vanishing_gradients``),
:class:`DivergenceDetector` (``diverged``); shared statistics live in ``_stats.py`` and
``_features.py``, fitted calibration maps in ``_calibration.py``. Each detector also runs on
plain series: ``OscillationDetector().detect_series(d_loss=..., g_loss=...)``.

``DEFAULT_DETECTORS`` is the ordered registry :func:`ganlogs.analyze` runs.
"""

from __future__ import annotations

from ._common import context_from_series
from .base import FINDING_LABELS, LABELS, Detector, Finding, LossFamily, RunContext
from .convergence import ConvergenceDetector
from .divergence import DivergenceDetector
from .mode_collapse import ModeCollapseDetector
from .oscillation import OscillationDetector
from .vanishing_gradients import VanishingGradientsDetector

__all__ = ["LABELS", "FINDING_LABELS", "Detector", "Finding", "LossFamily", "RunContext",
           "DEFAULT_DETECTORS", "default_detectors", "context_from_series",
           "ConvergenceDetector", "OscillationDetector", "ModeCollapseDetector",
           "VanishingGradientsDetector", "DivergenceDetector"]


def default_detectors() -> list[Detector]:
    """Fresh instances of every registered detector, in the order they run."""
    return [DivergenceDetector(), VanishingGradientsDetector(), ModeCollapseDetector(),
            OscillationDetector(), ConvergenceDetector()]


DEFAULT_DETECTORS: tuple[str, ...] = tuple(d.name for d in default_detectors())
