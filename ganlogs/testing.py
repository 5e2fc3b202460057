"""Helpers for tests: ``assert_healthy`` for users' training runs, and seeded generators of
GAN-loss series with known behaviour, for testing detectors (ganlogs' own contract test
runs every registered detector over them).

::

    from ganlogs.testing import assert_healthy

    def test_short_training_run_is_healthy(tmp_path):
        train(steps=300, logdir=tmp_path)
        assert_healthy(tmp_path, fail_on=["mode_collapse", "diverged"], min_confidence=0.8)

    from ganlogs.testing import cycling_series
    from ganlogs.detectors import OscillationDetector
    OscillationDetector().detect_series(cycling_series(seed=0))   # oscillating

Every generator returns a mapping role id -> ``pandas.Series`` indexed by step (int), ready
for ``detector.detect_series``. Losses follow the summed BCE convention (D loss at 2 ln 2,
non-saturating G loss at ln 2 at the equilibrium) unless said otherwise. :data:`GENERATORS`
maps each generator's name to it and to the labels it is built to show.
"""

from __future__ import annotations

import math
import os
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from .checks import CheckResult, check

__all__ = ["assert_healthy", "settling_series", "stalemate_series", "cycling_series", "random_walk_series",
           "damped_spiral_series", "diverging_series", "collapsing_series",
           "vanishing_series", "GENERATORS"]

LN2 = math.log(2.0)
Series = dict[str, pd.Series]


def _index(n: int, every: int = 1) -> pd.Index:
    return pd.Index(np.arange(n, dtype=np.int64) * every, name="step")


def settling_series(seed: int = 0, *, n: int = 1000, noise: float = 0.05,
                    every: int = 1) -> Series:
    """Losses that start at D = 1/2; the discriminator gets ahead early (its loss dips about
    35% below its start, G's rises) and the generator catches up, after which both rest at
    the equilibrium with minibatch noise: ``converged`` (the dip is the evidence that this
    discriminator can tell a poor generator from a good one)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    dip = (t / (n / 20)) * np.exp(1 - t / (n / 20))  # 0 -> 1 at n/20 -> 0
    idx = _index(n, every)
    return {"d_loss": pd.Series(2 * LN2 - 0.5 * dip + noise * rng.normal(size=n), index=idx),
            "g_loss": pd.Series(LN2 + 0.8 * dip + noise * rng.normal(size=n), index=idx)}


def stalemate_series(seed: int = 0, *, n: int = 1000, noise: float = 0.05) -> Series:
    """Both losses rest at the equilibrium from the first step, with minibatch noise: the
    discriminator never gets ahead, so the losses cannot tell a good generator from a poor
    one (a too-weak D with a generator covering 3 of 25 modes logs exactly this): no label,
    the convergence finding says it cannot tell."""
    rng = np.random.default_rng(seed)
    idx = _index(n)
    return {"d_loss": pd.Series(2 * LN2 + noise * rng.normal(size=n), index=idx),
            "g_loss": pd.Series(LN2 + noise * rng.normal(size=n), index=idx)}


def cycling_series(seed: int = 0, *, n: int = 1000, period: float = 80.0, amp: float = 0.3,
                   noise: float = 0.1, every: int = 1) -> Series:
    """D and G losses circling the equilibrium in anti-phase with a persistent sine of
    ``period`` logged points (steps: ``period x every``): ``oscillating``."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    s = np.sin(2 * np.pi * t / period + rng.uniform(0, 2 * np.pi))
    idx = _index(n, every)
    return {"d_loss": pd.Series(2 * LN2 + amp * s + noise * rng.normal(size=n), index=idx),
            "g_loss": pd.Series(LN2 - amp * s + noise * rng.normal(size=n), index=idx)}


def random_walk_series(seed: int = 0, *, n: int = 1000, scale: float = 0.02) -> Series:
    """Both losses wander as independent random walks from the equilibrium: neither
    ``converged`` nor (save rarely) ``oscillating``."""
    rng = np.random.default_rng(seed)
    idx = _index(n)
    return {"d_loss": pd.Series(2 * LN2 + np.cumsum(scale * rng.normal(size=n)), index=idx),
            "g_loss": pd.Series(LN2 + np.cumsum(scale * rng.normal(size=n)), index=idx)}


def damped_spiral_series(seed: int = 0, *, n: int = 1000, radius: float = 0.9,
                         period: float = 20.0, scale: float = 0.05) -> Series:
    """A noise-driven damped spiral about the equilibrium: a stable AR(2) process
    ``x_t = 2 r cos(w) x_(t-1) - r^2 x_(t-2) + e_t`` with complex roots of modulus
    ``radius`` < 1 and angle ``w = 2 pi / period`` (the motion of a converging GAN near its
    equilibrium); D and G move in anti-phase. Not a persistent cycle, and the discriminator
    never gets ahead: no label."""
    if not 0.0 < radius < 1.0:
        raise ValueError(f"radius must be in (0, 1) for a stable spiral; got {radius!r}")
    rng = np.random.default_rng(seed)
    w = 2 * np.pi / period
    a1, a2 = 2 * radius * math.cos(w), -radius * radius
    e = rng.normal(size=n + 200)
    x = np.zeros(n + 200)
    for i in range(2, n + 200):
        x[i] = a1 * x[i - 1] + a2 * x[i - 2] + e[i]
    x = x[200:] / max(float(np.std(x[200:])), 1e-12)
    idx = _index(n)
    return {"d_loss": pd.Series(2 * LN2 + scale * x + 0.2 * scale * rng.normal(size=n), index=idx),
            "g_loss": pd.Series(LN2 - scale * x + 0.2 * scale * rng.normal(size=n), index=idx)}


def diverging_series(seed: int = 0, *, n: int = 600, onset: int = 400, rate: float = 12.0,
                     nan_at: int | None = None) -> Series:
    """Settled losses whose D loss grows exponentially (e-folding every ``rate`` points)
    from point ``onset``; with ``nan_at``, both losses are NaN from that point:
    ``diverged``."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    d = 2 * LN2 + 0.05 * rng.normal(size=n)
    grow = t >= onset
    d[grow] *= np.exp(np.minimum((t[grow] - onset) / rate, 700.0))
    g = LN2 + 0.05 * rng.normal(size=n)
    if nan_at is not None:
        d[nan_at:] = np.nan
        g[nan_at:] = np.nan
    idx = _index(n)
    return {"d_loss": pd.Series(d, index=idx), "g_loss": pd.Series(g, index=idx)}


def _takeover(n: int, at: float, width: float) -> np.ndarray:
    return 1 / (1 + np.exp(-(np.arange(n) - at * n) / width))


def collapsing_series(seed: int = 0, *, n: int = 1000, at: float = 0.25) -> Series:
    """The loss signature of mode collapse with the non-saturating loss: from ``at`` of the
    run the discriminator wins (D(x) -> 0.97, D(G(z)) -> 0.03, D loss near 0.06) while the
    generator's loss -log D(G(z)) climbs to about 3.5 (its gradient survives):
    ``mode_collapse``. D(x) and D(G(z)) are logged."""
    rng = np.random.default_rng(seed)
    w = _takeover(n, at, n / 40)
    dx = np.clip(0.5 + 0.47 * w + 0.01 * rng.normal(size=n), 1e-4, 1 - 1e-4)
    dgz = np.clip(0.5 - 0.47 * w + 0.01 * rng.normal(size=n), 1e-4, 1 - 1e-4)
    idx = _index(n)
    return {"d_loss": pd.Series(-np.log(dx) - np.log(1 - dgz), index=idx),
            "g_loss": pd.Series(-np.log(dgz), index=idx),
            "d_x": pd.Series(dx, index=idx), "d_gz": pd.Series(dgz, index=idx)}


def vanishing_series(seed: int = 0, *, n: int = 800, at: float = 0.25,
                     orders: float = 4.0) -> Series:
    """The saturating (minimax) loss under a winning discriminator: D(x) -> 1, D(G(z)) -> 0,
    the G loss log(1 - D(G(z))) -> 0 and the generator's raw gradient norm falls ``orders``
    orders of magnitude from point ``at x n``: ``vanishing_gradients`` (state the family
    ``bce_minimax``)."""
    rng = np.random.default_rng(seed)
    w = _takeover(n, at, 30)
    dx = 0.5 + 0.5 * w - 0.002 * rng.random(n)
    dgz = 0.5 - 0.5 * w + 0.002 * rng.random(n)
    idx = _index(n)
    return {"d_loss": pd.Series(-np.log(dx) - np.log(1 - dgz), index=idx),
            "g_loss": pd.Series(np.log(1 - dgz), index=idx),
            "d_x": pd.Series(dx, index=idx), "d_gz": pd.Series(dgz, index=idx),
            "g_grad_norm": pd.Series(10 ** (-orders * w + 0.1 * rng.normal(size=n)), index=idx)}


#: name -> (generator, labels it is built to show at the default threshold, options for
#: ``detect_series``); an empty set means no label is expected
GENERATORS: Mapping[str, tuple[Callable[..., Series], frozenset[str], Mapping[str, Any]]] = {
    "settling": (settling_series, frozenset({"converged"}), {}),
    "cycling": (cycling_series, frozenset({"oscillating"}), {}),
    "random_walk": (random_walk_series, frozenset(), {}),
    "damped_spiral": (damped_spiral_series, frozenset(), {}),
    "stalemate": (stalemate_series, frozenset(), {}),
    "diverging": (diverging_series, frozenset({"diverged"}), {}),
    "collapsing": (collapsing_series, frozenset({"mode_collapse"}), {}),
    "vanishing": (vanishing_series, frozenset({"vanishing_gradients"}),
                  {"loss_family": "bce_minimax"}),
}


def assert_healthy(
    path: str | os.PathLike[str],
    *,
    fail_on: Sequence[str] | str | None = None,
    min_confidence: float | None = None,
    **options: Any,
) -> CheckResult:
    """Fail the calling test unless every run under ``path`` passes :func:`ganlogs.check`.

    Takes the options of :func:`ganlogs.check` (``fail_on``, ``min_confidence``, ``roles``,
    ``loss_family``, ``d_loss_reduction``, ``config``). Raises :class:`AssertionError` (which
    pytest and unittest report as a failure) whose message lists each failing run with its
    findings, and each run that could not be read; returns the :class:`CheckResult` when
    the runs are healthy.
    """
    __tracebackhide__ = True  # pytest: show the caller's line, not this one
    from .report.terminal import render_check

    result = check(path, fail_on=fail_on, min_confidence=min_confidence, **options)
    if result.status != "pass":
        raise AssertionError(f"ganlogs: runs under {os.fspath(path)} are not healthy\n"
                             + render_check(result))
    return result
