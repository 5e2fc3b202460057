"""The shared statistics against statsmodels and known truth."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from ganlogs.detectors import stats as st


def test_adf_matches_statsmodels():
    from statsmodels.tsa.stattools import adfuller

    rng = np.random.default_rng(3)
    for x in (rng.normal(size=400), np.cumsum(rng.normal(size=400))):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = adfuller(x, maxlag=6, regression="c", autolag=None)
        stat, p = st.adf(x, 6)
        assert stat == pytest.approx(ref[0], rel=1e-9)
        assert p == pytest.approx(ref[1], rel=1e-9)


def test_stationarity_tells_noise_from_random_walk():
    rng = np.random.default_rng(0)
    assert st.stationarity(rng.normal(size=500)).stationary
    assert not st.stationarity(np.cumsum(rng.normal(size=500))).stationary


def test_hac_trend_interval_covers_the_true_slope_under_autocorrelation():
    """AR(1) noise with phi = 0.8: the HAC interval covers the true rise in most samples
    (about 82%; plain OLS errors would cover far less), and a trendless series is rarely
    called trending."""
    cover = trending = 0
    n = 500
    for seed in range(60):
        rng = np.random.default_rng(seed)
        e = np.zeros(n)
        for i in range(1, n):
            e[i] = 0.8 * e[i - 1] + rng.normal()
        tr = st.hac_trend(0.01 * np.arange(n) + e)
        cover += tr.ci_low <= 0.01 * (n - 1) <= tr.ci_high
        trending += st.hac_trend(e).p < 0.05
    assert cover >= 0.7 * 60
    assert trending <= 0.3 * 60


@pytest.mark.parametrize("cycles", [3, 8, 20, 60])
def test_periodicity_finds_sines(cycles):
    rng = np.random.default_rng(cycles)
    n = 600
    x = np.sin(2 * np.pi * cycles * np.arange(n) / n) + rng.normal(size=n)
    p = st.periodicity(x)
    assert p.p_spectral < 0.01 or p.acf_return > 0.3
    assert p.period == pytest.approx(n / cycles, rel=0.15)


def test_periodicity_rarely_fires_on_random_walks():
    rng = np.random.default_rng(42)
    hits = 0
    for _ in range(100):
        p = st.periodicity(np.cumsum(rng.normal(size=500)))
        hits += p.p_spectral < 0.01 or p.acf_return > 0.3
    assert hits <= 10


def test_binary_segmentation_finds_mean_shifts():
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.normal(0, 1, 300), rng.normal(3, 1, 200), rng.normal(0, 1, 300)])
    cps = st.binary_segmentation(x, alpha=0.001)
    assert any(abs(c - 300) <= 10 for c in cps)
    assert any(abs(c - 500) <= 10 for c in cps)
    assert st.binary_segmentation(rng.normal(size=800), alpha=0.001) == []


def test_bin_means_keeps_the_end():
    x = np.arange(10_000, dtype=float)
    b, w = st.bin_means(x, 1024)
    assert len(b) <= 1024 and w == 10
    assert b[-1] == pytest.approx(np.mean(x[-10:]))


def test_anti_phase():
    t = np.arange(400)
    a = np.sin(t / 10)
    c, _ = st.anti_phase(a, -a, 5)
    assert c < -0.99
    c, _ = st.anti_phase(a, a, 5)
    assert c >= -0.05
