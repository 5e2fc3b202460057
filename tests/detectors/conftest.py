"""Constructed GAN-loss series with known behaviour (seeded)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

LN2 = math.log(2.0)


def sine_run(seed: int, n: int = 1000, period: float = 80.0, amp: float = 0.3,
             noise: float = 0.1, every: int = 1) -> dict[str, pd.Series]:
    """BCE losses circling the equilibrium in anti-phase (D and G swap the lead)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    ph = rng.uniform(0, 2 * np.pi)
    s = np.sin(2 * np.pi * t / period + ph)
    idx = pd.Index(t * every, name="step")
    return {"d_loss": pd.Series(2 * LN2 + amp * s + noise * rng.normal(size=n), index=idx),
            "g_loss": pd.Series(LN2 - amp * s + noise * rng.normal(size=n), index=idx)}


def random_walk_run(seed: int, n: int = 1000, scale: float = 0.02) -> dict[str, pd.Series]:
    rng = np.random.default_rng(seed)
    return {"d_loss": pd.Series(2 * LN2 + np.cumsum(scale * rng.normal(size=n))),
            "g_loss": pd.Series(LN2 + np.cumsum(scale * rng.normal(size=n)))}


def settling_run(seed: int, n: int = 1000, noise: float = 0.05) -> dict[str, pd.Series]:
    """Losses that start at D = 1/2, wander early, then settle with minibatch noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    bump = np.exp(-t / (n / 10))
    return {"d_loss": pd.Series(2 * LN2 - 0.4 * bump * np.sin(t / 15) + noise * rng.normal(size=n)),
            "g_loss": pd.Series(LN2 + 0.8 * bump * np.sin(t / 15) + noise * rng.normal(size=n))}


@pytest.fixture
def make_sine():
    return sine_run


@pytest.fixture
def make_random_walk():
    return random_walk_run


@pytest.fixture
def make_settling():
    return settling_run
