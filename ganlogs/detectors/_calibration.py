"""Calibration maps: from a detector's named statistics to a probability.

Each detector turns its statistics into a few *features* (see the detector's ``features``
function) and combines them into a raw *score*, ``intercept + sum coef_i x feature_i``
(the weights say how the statistics are read -- e.g. a significant spectral peak counts,
a large motion counts only when it is periodic -- and were set by hand when the detector
was designed). The score is then mapped to a confidence by Platt scaling (Platt 1999),
``confidence = 1 / (1 + exp(-(a + b x score)))``, whose two parameters ``platt = [a, b]``
are *fitted*, never hand-set: ``python bench/accuracy.py --fit --write`` fits them by
L2-regularised maximum likelihood on the TUNING families of the labelled corpus only (the
held-out families, listed in ``bench/accuracy.py``, are never seen) and writes them here;
``--fit-weights`` refits the score weights too, for a corpus large enough to support it.
A detector may have several models, one per set of inputs (e.g. with and without logged
gradient norms), because the same statistic is worth more when more of the run is logged.
The convergence detector's score is the logit of P(settled) x (1 - largest failure
confidence). ``SOURCE`` says which corpus and commit the fitted values came from.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

from ._stats import logistic

__all__ = ["SOURCE", "CALIBRATION", "confidence", "score", "model_features"]

# BEGIN FITTED (written by bench/accuracy.py --fit --write; edit there, not here)
#: where the coefficients below came from (corpus, commit, families used)
SOURCE = ('fitted on the tuning families (bench/accuracy.py TUNING_FAMILIES) of fixtures/labelled '
          '(36 runs) plus 650 runs of the full reference_trainer sweep generated on CPU and not '
          'committed (every Dirac-GAN run, runs 6-29 of the other scenarios): 394 tuning runs; '
          'score weights refitted where both classes have 30+ runs, Platt a, b elsewhere; '
          'commit b3429b0, l2=1.0')

#: detector -> model -> {"features": [...], "coef": [...], "intercept": float, "platt": [a, b]}
CALIBRATION: dict[str, dict[str, dict]] = {
    'divergence': {
        'default': {"features": ["nonfinite", "growth_orders"],
                   "coef": [12.0, 2.2671], "intercept": -6.7622,
                   "platt": [0.0, 1.0]},
    },
    'vanishing_gradients': {
        'grad_norm': {"features": ["grad_orders", "d_win", "grad_x_dwin", "minimax"],
                   "coef": [0.2, 1.0, 1.0, 1.0], "intercept": -5.0,
                   "platt": [1.5845, 1.7226]},
        'losses_only': {"features": ["d_win", "minimax", "g_saturated"],
                   "coef": [3.0, 1.5, 2.0], "intercept": -5.5,
                   "platt": [2.0515, 1.9865]},
    },
    'mode_collapse': {
        'default': {"features": ["d_win", "nonsaturating", "g_rise", "g_rel_log"],
                   "coef": [2.7475, 0.3025, -0.0986, 3.1605], "intercept": -5.8477,
                   "platt": [0.0, 1.0]},
    },
    'oscillation': {
        'default': {"features": ["periodic", "spectral_log10p", "acf_return", "power_share", "antiphase", "growth_if_periodic", "spread_if_periodic", "diverged_run"],
                   "coef": [0.677, 0.6539, 2.044, 0.5365, 2.0243, -1.4311, 0.8408, 0.1878], "intercept": -4.2181,
                   "platt": [0.0, 1.0]},
    },
    'convergence': {
        'default': {"features": ["raw_logit"],
                   "coef": [0.844], "intercept": 1.3647,
                   "platt": [0.0, 1.0]},
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
    z = score(detector, model, features)
    a, b = m.get("platt", (0.0, 1.0))
    return logistic(float(a) + float(b) * z), z


def score(detector: str, model: str, features: Mapping[str, float]) -> float:
    """The detector's raw score: ``intercept + sum coef_i x feature_i``."""
    m = CALIBRATION[detector][model]
    z = float(m["intercept"])
    for name, c in zip(m["features"], m["coef"]):
        v = features.get(name, 0.0)
        if v is None or not math.isfinite(v):
            v = 0.0
        z += float(c) * float(v)
    return z
