"""Every detector on constructed series with known behaviour."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from ganlogs.analysis import Settings, analyze_run
from ganlogs.detectors import (ConvergenceDetector, DivergenceDetector, ModeCollapseDetector,
                               OscillationDetector, VanishingGradientsDetector, series_run)
from ganlogs.testing import (LN2, cycling_series, random_walk_series, settling_series,
                             vanishing_series)

sine_run, random_walk_run, settling_run = cycling_series, random_walk_series, settling_series


def conf_of(findings, label):
    return max((f.confidence for f in findings if f.label == label), default=0.0)


def analyse(series, **kw):
    return analyze_run(series_run(series), settings=Settings(roles={r: r for r in series}, **kw))


def labels_of(series, **kw):
    res = analyse(series, **kw)
    return set(res.labels), {f.label: f.confidence for f in res.findings}


@pytest.mark.parametrize("seed", range(5))
def test_sine_plus_noise_is_oscillating(seed):
    found = OscillationDetector().detect_series(sine_run(seed))
    assert conf_of(found, "oscillating") >= 0.5
    f = found[0]
    assert f.evidence["period_steps"] == pytest.approx(80, rel=0.15)
    labels, _ = labels_of(sine_run(seed))
    assert "oscillating" in labels and "converged" not in labels


def test_period_is_reported_in_steps_when_logged_every_n_steps():
    f = OscillationDetector().detect_series(sine_run(0, every=50))[0]
    assert f.evidence["period_steps"] == pytest.approx(80 * 50, rel=0.15)
    assert f.onset_step % 50 == 0 and 0 <= f.onset_step <= 999 * 50


def test_random_walk_is_not_converged_and_rarely_oscillating():
    osc = conv = 0
    seeds = range(40)
    for seed in seeds:
        s = random_walk_run(seed)
        conv += conf_of(ConvergenceDetector().detect_series(s), "converged") >= 0.5
        osc += conf_of(OscillationDetector().detect_series(s), "oscillating") >= 0.5
    assert conv <= 2
    assert osc <= 0.1 * len(seeds)


@pytest.mark.parametrize("seed", range(5))
def test_settling_at_equilibrium_is_converged(seed):
    labels, confs = labels_of(settling_run(seed))
    assert labels == {"converged"}, confs


def test_nan_halfway_is_diverged_at_that_step():
    s = settling_run(0)
    d = s["d_loss"].copy()
    d.index = d.index * 10
    d.iloc[500:] = np.nan
    g = s["g_loss"].copy()
    g.index = g.index * 10
    found = DivergenceDetector().detect_series({"d_loss": d, "g_loss": g})
    assert found[0].label == "diverged" and found[0].confidence >= 0.9
    assert found[0].onset_step == 5000
    labels, _ = labels_of({"d_loss": d, "g_loss": g})
    assert "diverged" in labels and "converged" not in labels


def test_inf_in_a_gradient_norm_is_diverged():
    s = settling_run(1)
    gn = pd.Series(np.ones(1000))
    gn.iloc[700] = np.inf
    f = DivergenceDetector().detect_series({**s, "g_grad_norm": gn})[0]
    assert f.confidence >= 0.9 and f.onset_step == 700 and "g_grad_norm" in f.summary


def test_finite_blow_up_is_diverged():
    rng = np.random.default_rng(2)
    t = np.arange(600)
    d = 2 * LN2 + 0.05 * rng.normal(size=600)
    d[400:] *= np.exp((t[400:] - 400) / 12.0)
    f = DivergenceDetector().detect_series({"d_loss": d,
                                            "g_loss": LN2 + 0.05 * rng.normal(size=600)})[0]
    assert f.confidence >= 0.5 and 400 <= f.onset_step <= 600


def test_nan_at_the_start_is_still_diverged():
    d = np.full(30, np.nan)
    f = DivergenceDetector().detect_series({"d_loss": d, "g_loss": np.full(30, 0.7)})
    assert f[0].label == "diverged" and f[0].onset_step == 0


@pytest.mark.parametrize("cls", [ConvergenceDetector, OscillationDetector, ModeCollapseDetector,
                                 VanishingGradientsDetector, DivergenceDetector])
def test_too_short_run_gets_no_finding_from_a_detector(cls):
    rng = np.random.default_rng(0)
    found = cls().detect_series({"d_loss": 1.386 + 0.05 * rng.normal(size=30),
                                 "g_loss": 0.693 + 0.05 * rng.normal(size=30)})
    assert found == []


def test_analysis_gives_a_too_short_run_one_insufficient_data_finding():
    rng = np.random.default_rng(0)
    res = analyse({"d_loss": 1.386 + 0.05 * rng.normal(size=30),
                   "g_loss": 0.693 + 0.05 * rng.normal(size=30)})
    assert [f.label for f in res.findings] == ["insufficient_data"]
    assert res.findings[0].detector == "analysis" and "30" in res.findings[0].summary
    assert res.labels == [] and res.too_short


def test_no_losses_is_insufficient_data():
    assert ConvergenceDetector().detect_series({"d_x": np.full(200, 0.5)}) == []
    res = analyse({"d_x": np.full(200, 0.5)})
    assert [f.label for f in res.findings] == ["insufficient_data"]
    assert "no discriminator or generator loss" in res.findings[0].summary


def test_short_run_that_diverged_is_labelled_with_one_insufficient_data():
    d = np.r_[np.full(20, 1.4), np.full(10, np.nan)]
    res = analyse({"d_loss": d, "g_loss": np.full(30, 0.7)})
    assert res.labels == ["diverged"]
    assert sum(f.label == "insufficient_data" for f in res.findings) == 1


def test_finite_losses_at_float64_extremes_are_diverged():
    """Issue 12 item 5: losses of +-1e308 are finite; the run is simply diverged."""
    rng = np.random.default_rng(0)
    n = 400
    d = 2 * LN2 + 0.05 * rng.normal(size=n)
    d[300:] = np.where(np.arange(100) % 2 == 0, 1e308, -1e308)
    g = LN2 + 0.05 * rng.normal(size=n)
    g[300:] = 1e308
    res = analyse({"d_loss": d, "g_loss": g})
    assert res.labels == ["diverged"], [(f.label, f.confidence) for f in res.findings]
    div = [f for f in res.findings if f.label == "diverged"][0]
    assert div.onset_step == 300
    # a run that is 1e308 from its first point
    res = analyse({"d_loss": np.full(n, 1e308), "g_loss": np.full(n, -1e308)})
    assert res.labels == ["diverged"]


def test_discriminator_winning_with_vanishing_gradient_norm():
    """Saturating loss, D(x) -> 1, D(G(z)) -> 0, raw G gradient falls 4 orders."""
    rng = np.random.default_rng(0)
    n = 800
    s = vanishing_series(0, n=n)  # D takes over around step 200
    gn = s["g_grad_norm"]
    found = VanishingGradientsDetector().detect_series(s, loss_family="bce_minimax")
    f = found[0]
    assert f.confidence >= 0.5
    assert 150 <= f.onset_step <= 450
    assert f.evidence["g_grad_norm_drop_orders"] if "g_grad_norm_drop_orders" in f.evidence \
        else f.evidence["grad_orders"] >= 3
    # the same drop at the equilibrium (D(x) = D(G(z)) = 1/2) is convergence, not vanishing
    half = np.full(n, 0.5)
    eq = VanishingGradientsDetector().detect_series(
        {"d_loss": np.full(n, 2 * LN2) + 0.01 * rng.normal(size=n),
         "g_loss": np.full(n, -LN2) + 0.01 * rng.normal(size=n), "d_x": half, "d_gz": half,
         "g_grad_norm": gn}, loss_family="bce_minimax")
    assert eq[0].confidence < 0.5


def test_summaries_are_one_sentence_and_name_a_remedy():
    found = OscillationDetector().detect_series(sine_run(0))
    s = found[0].summary
    assert s.endswith(".") and "learning rate" in s


def test_long_run_is_binned_and_judged_the_same():
    """A million-point run is binned; its cycle (period 8,000 steps) is still found."""
    rng = np.random.default_rng(0)
    n = 1_000_000
    t = np.arange(n)
    s = np.sin(2 * np.pi * t / 8000)
    found = OscillationDetector().detect_series(
        {"d_loss": 2 * LN2 + 0.3 * s + 0.3 * rng.normal(size=n),
         "g_loss": LN2 - 0.3 * s + 0.3 * rng.normal(size=n)})
    f = found[0]
    assert f.confidence >= 0.5
    assert f.evidence["period_steps"] == pytest.approx(8000, rel=0.15)


def _ema(x: np.ndarray, alpha: float = 0.1) -> np.ndarray:
    """TensorBoard-style exponential smoothing (what a user exports with the slider on)."""
    return pd.Series(x).ewm(alpha=alpha, adjust=False).mean().to_numpy()


def test_smoothed_logs_keep_their_verdicts():
    """Smoothing makes noise red (autocorrelated); the AR(1) background absorbs that, so
    smoothed noise stays non-oscillating and a smoothed cycle stays oscillating."""
    false_osc = 0
    for seed in range(6):
        rng = np.random.default_rng(100 + seed)
        d = _ema(2 * LN2 + 0.1 * rng.normal(size=1000))
        g = _ema(LN2 + 0.1 * rng.normal(size=1000))
        false_osc += conf_of(OscillationDetector().detect_series({"d_loss": d, "g_loss": g}),
                             "oscillating") >= 0.5
        labels, confs = labels_of({"d_loss": d, "g_loss": g})
        assert "converged" in labels, confs
    assert false_osc <= 1
    s = sine_run(3, period=120)
    found = OscillationDetector().detect_series({"d_loss": _ema(s["d_loss"].to_numpy()),
                                                 "g_loss": _ema(s["g_loss"].to_numpy())})
    assert conf_of(found, "oscillating") >= 0.5
