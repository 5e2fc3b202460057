"""Calibration: from a detector's named features to a probability, as data.

Each detector turns its statistics into a few *features* (its ``features`` method) and
combines them into a raw *score*, ``intercept + sum coef_i x feature_i``; the score is
mapped to a confidence by Platt scaling (Platt 1999),
``confidence = 1 / (1 + exp(-(a + b x score)))``. A detector may have several *models*, one
per set of inputs (e.g. with and without a logged gradient norm), because the same
statistic is worth more when more of the run is logged.

The numbers are data, not code: a :class:`Calibration` holds them with their *source*
(which corpus, commit and families they were fitted on) and is passed to a detector as the
``calibration`` keyword, the way ruptures takes a ``custom_cost``. Without one, a detector
uses :func:`default_calibration`, loaded from ``calibration.json`` beside this module
(shipped as package data). ``python bench/accuracy.py --fit --write FILE`` fits a new one on
the tuning families of a labelled corpus and writes it; load it with
:meth:`Calibration.load` and pass it in. A finding records the calibration's ``source_id``,
never its coefficients.

File format (JSON)::

    {"source": {"id": "...", "corpus": "...", "commit": "...", "families": [...], ...},
     "models": {detector: {model: {"features": [...], "coef": [...], "intercept": z,
                                   "platt": [a, b], "fixed": [...]}}}}

``fixed`` (optional) lists features whose weight is a rule that a refit keeps.

A feature a model needs that the detector did not compute, or a feature the detector
computed that none of its models reads, raises :class:`ValueError`: a calibration and a
detector that disagree never score silently.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from .stats import logistic

__all__ = ["Calibration", "Model", "default_calibration", "DEFAULT_CALIBRATION_PATH"]

#: the calibration shipped with ganlogs
DEFAULT_CALIBRATION_PATH = Path(__file__).with_name("calibration.json")


@dataclass(frozen=True)
class Model:
    """One score model: ``intercept + sum coef_i x feature_i``, then Platt ``(a, b)``."""

    features: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float
    platt: tuple[float, float] = (0.0, 1.0)
    #: features whose weight is a rule, not a fit (a refit keeps it; e.g. a discriminator
    #: that won outright is a failure at >= 0.5 by DECISIONS.md, whatever the corpus holds)
    fixed: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = {"features": list(self.features), "coef": list(self.coef),
             "intercept": self.intercept, "platt": list(self.platt)}
        if self.fixed:
            d["fixed"] = list(self.fixed)
        return d


@dataclass(frozen=True)
class Calibration:
    """Score models per detector and model name, with where they came from.

    ``source`` is a mapping with at least ``id`` (a short id recorded in every finding's
    ``parameters``), and usually ``corpus``, ``commit`` and ``families``.
    """

    models: Mapping[str, Mapping[str, Model]]
    source: Mapping[str, Any] = field(default_factory=dict)
    origin: str = "<memory>"

    # ------------------------------------------------------------ building
    @classmethod
    def from_dict(cls, doc: Mapping[str, Any], *, origin: str = "<memory>") -> "Calibration":
        """Build from the file format (see the module docstring); errors name ``origin``."""
        if not isinstance(doc, Mapping) or "models" not in doc:
            raise ValueError(f"{origin}: a calibration needs a 'models' mapping "
                             "(see ganlogs/detectors/calibration.py for the format)")
        source = dict(doc.get("source") or {})
        if not source.get("id"):
            raise ValueError(f"{origin}: the calibration's 'source' needs an 'id' (corpus, "
                             "commit) so findings can say what judged them")
        models: dict[str, dict[str, Model]] = {}
        for det, per in doc["models"].items():
            models[det] = {}
            for name, m in per.items():
                feats, coef = tuple(m.get("features", ())), tuple(float(c) for c in m.get("coef", ()))
                if len(feats) != len(coef):
                    raise ValueError(f"{origin}: {det}/{name} lists {len(feats)} features but "
                                     f"{len(coef)} coefficients")
                platt = tuple(float(x) for x in m.get("platt", (0.0, 1.0)))
                if len(platt) != 2:
                    raise ValueError(f"{origin}: {det}/{name}: 'platt' must be [a, b]")
                fixed = tuple(m.get("fixed", ()))
                if set(fixed) - set(feats):
                    raise ValueError(f"{origin}: {det}/{name}: fixed features "
                                     f"{sorted(set(fixed) - set(feats))} are not among its features")
                models[det][name] = Model(feats, coef, float(m["intercept"]), platt,  # type: ignore[arg-type]
                                          fixed)
        return cls(models=models, source=source, origin=origin)

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> "Calibration":
        """Load a calibration file (default: the one shipped with ganlogs)."""
        p = Path(path) if path is not None else DEFAULT_CALIBRATION_PATH
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ValueError(f"{p}: no such calibration file; write one with "
                             "'python bench/accuracy.py --fit --write FILE'") from None
        except json.JSONDecodeError as exc:
            raise ValueError(f"{p}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
        return cls.from_dict(doc, origin=str(p))

    def to_dict(self) -> dict[str, Any]:
        return {"source": dict(self.source),
                "models": {d: {n: m.to_dict() for n, m in per.items()}
                           for d, per in self.models.items()}}

    def save(self, path: str | os.PathLike[str]) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")

    def replace(self, detector: str, model: str, new: Model) -> "Calibration":
        """A copy with one model replaced (what a fit does)."""
        models = {d: dict(per) for d, per in self.models.items()}
        models.setdefault(detector, {})[model] = new
        return Calibration(models=models, source=self.source, origin=self.origin)

    def with_source(self, source: Mapping[str, Any]) -> "Calibration":
        return Calibration(models=self.models, source=dict(source), origin=self.origin)

    # ------------------------------------------------------------ reading
    @property
    def source_id(self) -> str:
        return str(self.source.get("id"))

    def model(self, detector: str, model: str) -> Model:
        try:
            return self.models[detector][model]
        except KeyError:
            have = ", ".join(f"{d}/{m}" for d, per in self.models.items() for m in per)
            raise ValueError(f"{self.origin}: no calibration model {detector}/{model} "
                             f"(it has: {have}); refit with bench/accuracy.py --fit") from None

    def feature_names(self, detector: str) -> set[str]:
        """Every feature any model of ``detector`` reads."""
        return {f for m in self.models.get(detector, {}).values() for f in m.features}

    def score(self, detector: str, model: str, features: Mapping[str, float]) -> float:
        """The raw score ``intercept + sum coef_i x feature_i``.

        Raises :class:`ValueError` when ``features`` lacks a name the model reads or holds a
        name no model of ``detector`` reads. A non-finite feature value counts as 0 (the
        features are defined so that 0 means 'no evidence').
        """
        m = self.model(detector, model)
        missing = [f for f in m.features if f not in features]
        unknown = sorted(set(features) - self.feature_names(detector))
        if missing or unknown:
            raise ValueError(f"{self.origin}: calibration {detector}/{model} does not match "
                             f"the detector's features (missing: {missing or 'none'}; unknown: "
                             f"{unknown or 'none'}); refit with bench/accuracy.py --fit")
        z = m.intercept
        for name, c in zip(m.features, m.coef):
            v = features[name]
            if v is None or not math.isfinite(v):
                v = 0.0
            z += c * float(v)
        return z

    def confidence(self, detector: str, model: str,
                   features: Mapping[str, float]) -> tuple[float, float]:
        """(confidence, raw score) of ``detector``'s ``model`` for ``features``."""
        z = self.score(detector, model, features)
        a, b = self.model(detector, model).platt
        return logistic(a + b * z), z


@lru_cache(maxsize=1)
def default_calibration() -> Calibration:
    """The calibration shipped with ganlogs (loaded once)."""
    return Calibration.load(DEFAULT_CALIBRATION_PATH)
