"""Calibration maps: from a detector's named statistics to a probability.

Each detector turns its statistics into a few *features* (see the detector's ``features``
function) and maps them to a confidence with a logistic model,
``confidence = 1 / (1 + exp(-(intercept + sum coef_i * feature_i)))`` -- Platt scaling
(Platt 1999) over a handful of test statistics rather than one score. A detector may have
several models, one per set of inputs (e.g. with and without logged gradient norms),
because the same statistic is worth more when more of the run is logged. The convergence
detector's model is a Platt map of one raw score, P(settled) x (1 - largest failure
confidence).

The coefficients below are *fitted*, never hand-set: ``python bench/accuracy.py --fit``
fits them by L2-regularised logistic regression on the TUNING families of the labelled
corpus only (the held-out families, chosen by the rule in ``bench/accuracy.py``, are never
seen) and prints this table. ``SOURCE`` says which corpus and commit they came from.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

from ._stats import logistic

__all__ = ["SOURCE", "CALIBRATION", "confidence", "model_features"]

# BEGIN FITTED (written by bench/accuracy.py --fit --write; edit there, not here)
#: where the coefficients below came from (corpus, commit, families used)
SOURCE = "prior (hand-set before the labelled corpus existed); refit with bench/accuracy.py --fit"

#: detector -> model -> {"features": [...], "coef": [...], "intercept": float}
CALIBRATION: dict[str, dict[str, dict]] = {
    "divergence": {
        "default": {"features": ["nonfinite", "growth_orders"],
                    "coef": [12.0, 1.5], "intercept": -5.0},
    },
    "vanishing_gradients": {
        "grad_norm": {"features": ["grad_orders", "d_win", "grad_x_dwin", "minimax"],
                      "coef": [0.2, 1.0, 1.0, 1.0], "intercept": -6.0},
        "losses_only": {"features": ["d_win", "minimax", "g_saturated"],
                        "coef": [3.0, 1.5, 2.0], "intercept": -5.5},
    },
    "mode_collapse": {
        "default": {"features": ["d_win", "nonsaturating", "g_rise", "g_rel_log"],
                    "coef": [3.0, 1.0, 0.3, 0.8], "intercept": -5.0},
    },
    "oscillation": {
        "default": {"features": ["periodic", "spectral_log10p", "acf_return", "power_share",
                                 "antiphase", "growth_if_periodic", "spread_if_periodic"],
                    "coef": [3.0, 0.3, 2.0, 1.0, 1.0, 0.5, 0.5], "intercept": -3.5},
    },
    "convergence": {
        "default": {"features": ["raw_logit"], "coef": [1.0], "intercept": 0.0},
    },
}
# END FITTED


def model_features(detector: str, model: str) -> Sequence[str]:
    """The feature names a model reads, in order."""
    return CALIBRATION[detector][model]["features"]


def confidence(detector: str, model: str, features: Mapping[str, float]) -> tuple[float, float]:
    """(confidence, raw logit) of ``detector``'s ``model`` for ``features``.

    A feature that is missing or not finite counts as 0 (the features are defined so that 0
    means 'no evidence').
    """
    m = CALIBRATION[detector][model]
    z = float(m["intercept"])
    for name, c in zip(m["features"], m["coef"]):
        v = features.get(name, 0.0)
        if v is None or not math.isfinite(v):
            v = 0.0
        z += float(c) * float(v)
    return logistic(z), z
