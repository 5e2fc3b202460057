"""Detectors: each reads a run and returns :class:`Finding` objects.

``DEFAULT_DETECTORS`` is the ordered registry :func:`ganlogs.analyze` runs.
"""

from __future__ import annotations

from .base import FINDING_LABELS, LABELS, Detector, Finding, LossFamily, RunContext

__all__ = ["LABELS", "FINDING_LABELS", "Detector", "Finding", "LossFamily", "RunContext",
           "DEFAULT_DETECTORS", "default_detectors"]


def default_detectors() -> list[Detector]:
    """Fresh instances of every registered detector, in the order they run."""
    return []


DEFAULT_DETECTORS: tuple[str, ...] = tuple(d.name for d in default_detectors())
