"""The result model: what ganlogs concludes about a run.

:class:`Finding` (one conclusion with its confidence, onset, evidence and the parameters that
produced it), :class:`LossFamily` (the loss conventions a run was judged under) and the label
ids (:data:`LABELS`, :data:`FINDING_LABELS`). Detectors produce these; analysis, checks, the
config and the reports read them. Nothing here computes a statistic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

__all__ = ["CORE_LABELS", "LABELS", "FAILURE_LABELS", "FINDING_LABELS", "Finding", "LossFamily"]

#: labels a run can carry (failure labels may hold together; ``converged`` excludes them)
#: the five original labels (macro F1 in bench/accuracy.py is taken over these)
CORE_LABELS = ("converged", "oscillating", "mode_collapse", "vanishing_gradients", "diverged")
#: labels a run can carry: the five, then ``d_overfitting`` (the discriminator memorises its
#: training set; it may hold with any other label, ``converged`` included: an overfitting
#: that ADA corrected leaves a run that can still settle)
LABELS = CORE_LABELS + ("d_overfitting",)
#: every label a finding can have; ``insufficient_data`` never enters a run's ``labels``
FINDING_LABELS = LABELS + ("insufficient_data",)
#: the labels ``converged`` excludes (they may hold together)
FAILURE_LABELS = CORE_LABELS[1:]


@dataclass(frozen=True)
class LossFamily:
    """The loss family a run uses and how that was decided.

    ``family`` is one of :data:`ganlogs.conventions.LOSS_FAMILIES` or ``None``; ``method`` is
    ``user``, ``tag_names``, ``values`` or ``unknown``; ``d_loss_reduction`` is ``summed``,
    ``mean`` or ``None``, with its own ``reduction_method`` and sentences in ``reasons``.

    ``equilibrium_d_loss`` / ``equilibrium_g_loss`` are the loss values at the textbook
    equilibrium that the detectors compare levels with (``None`` when the family has none or
    none could be used); ``reference_family`` and ``reference_reduction`` are the family and
    reduction those values belong to, and ``assumed`` is True when they were assumed rather
    than stated or inferred (the reason is in ``reasons``). Built by
    :func:`ganlogs.conventions.resolve_conventions`, the one place conventions are decided.
    """

    family: str | None
    method: str
    d_loss_reduction: str | None
    reduction_method: str
    reasons: tuple[str, ...] = ()
    reference_family: str | None = None
    reference_reduction: str | None = None
    equilibrium_d_loss: float | None = None
    equilibrium_g_loss: float | None = None
    assumed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"family": self.family, "method": self.method,
                "d_loss_reduction": self.d_loss_reduction,
                "reduction_method": self.reduction_method, "reasons": list(self.reasons),
                "reference_family": self.reference_family,
                "reference_reduction": self.reference_reduction,
                "equilibrium_d_loss": self.equilibrium_d_loss,
                "equilibrium_g_loss": self.equilibrium_g_loss, "assumed": self.assumed}


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
    pair
        The adversarial pair the finding is about (``A``, ``B``, ``2``...) when the run holds
        several (CycleGAN, a two-generator pix2pix); None for a run with one pair. The label
        is the run's whatever the pair.
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
    pair: str | None = None

    def to_dict(self) -> dict[str, Any]:
        # every other field is a plain value: no deep copy (asdict's), which a sweep of tiny
        # runs would pay per finding; evidence and parameters are copied one level, as before
        d = {name: getattr(self, name) for name in self.__dataclass_fields__}
        d["evidence"] = dict(self.evidence)
        d["parameters"] = dict(self.parameters)
        d["span"] = list(self.span) if self.span is not None else None
        return d
