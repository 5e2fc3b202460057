"""The detector contract and the :class:`Finding` it returns.

A detector reads a :class:`~ganlogs.run.Run` (through :class:`RunContext`, which carries the
resolved roles and loss conventions) and returns findings. It never opens a file and never
renders text beyond the one-sentence ``summary``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Mapping

import pandas as pd

from ..roles import RoleMap
from ..run import Run

__all__ = ["LABELS", "FINDING_LABELS", "Finding", "Detector", "RunContext", "LossFamily"]

#: labels a run can carry (failure labels may hold together; ``converged`` excludes them)
LABELS = ("converged", "oscillating", "mode_collapse", "vanishing_gradients", "diverged")
#: every label a finding can have; ``insufficient_data`` never enters a run's ``labels``
FINDING_LABELS = LABELS + ("insufficient_data",)


@dataclass(frozen=True)
class LossFamily:
    """The loss family a run uses and how that was decided.

    ``family`` is one of :data:`ganlogs.conventions.LOSS_FAMILIES` or ``None``; ``method`` is
    ``user``, ``tag_names``, ``values`` or ``unknown``; ``d_loss_reduction`` is ``summed``,
    ``mean`` or ``None``, with its own ``reduction_method`` and sentences in ``reasons``.
    """

    family: str | None
    method: str
    d_loss_reduction: str | None
    reduction_method: str
    reasons: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"family": self.family, "method": self.method,
                "d_loss_reduction": self.d_loss_reduction,
                "reduction_method": self.reduction_method, "reasons": list(self.reasons)}


@dataclass(frozen=True)
class Finding:
    """One conclusion about a run.

    Attributes
    ----------
    label
        One of :data:`FINDING_LABELS`.
    confidence
        Probability in [0, 1] that the label is right, calibrated on the labelled corpus
        (see ``bench/accuracy.py``).
    onset_step
        The step (in the log's own step unit) where the behaviour began, or None.
    evidence
        Named statistics behind the finding (test statistics, p-values, periods, slopes...),
        JSON-serialisable scalars or short lists.
    summary
        One sentence a person can read, with what usually helps.
    detector, detector_version
        Which detector produced it.
    parameters
        The detector's configuration when it ran.
    span
        ``(first_step, last_step)`` over which the finding holds, or None.
    """

    label: str
    confidence: float
    onset_step: int | None
    evidence: Mapping[str, Any]
    summary: str
    detector: str
    detector_version: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    span: tuple[int, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["evidence"] = dict(self.evidence)
        d["parameters"] = dict(self.parameters)
        d["span"] = list(self.span) if self.span is not None else None
        return d


@dataclass(frozen=True)
class RunContext:
    """What a detector reads: the run, its roles and its loss conventions."""

    run: Run
    roles: RoleMap
    loss_family: LossFamily

    def series(self, role: str) -> pd.Series | None:
        """The detector view of the tag that holds ``role`` (indexed by step), or None."""
        tag = self.roles.get(role)
        return None if tag is None else self.run.series(tag)


class Detector(ABC):
    """Base class of detectors. Constructors only store keyword-only parameters."""

    #: stable id of the detector, e.g. ``"oscillation"``
    name: ClassVar[str]
    #: the labels this detector can emit
    labels: ClassVar[tuple[str, ...]]
    version: ClassVar[str] = "1"

    @abstractmethod
    def detect(self, ctx: RunContext) -> list[Finding]:
        """Return this detector's findings for one run (possibly none)."""

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters, for the ``parameters`` field of findings."""
        return {k.lstrip("_"): v for k, v in vars(self).items()}
