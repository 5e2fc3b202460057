"""Ground-truth measures against cases whose answer is known."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from reference_trainer.labels import Thresholds, label_run  # noqa: E402
from reference_trainer.measures import grad_drop, oscillation_test, quality  # noqa: E402
from reference_trainer.targets import get_target  # noqa: E402
from reference_trainer.train import RunTrace  # noqa: E402


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_true_mixture_has_full_coverage_and_high_quality(name):
    tgt = get_target(name)
    g = torch.Generator().manual_seed(0)
    x = tgt.sample(2500, g)[None]
    q = quality(x, tgt)
    assert q.modes_covered[0] == tgt.n_modes
    assert q.coverage[0] == 1.0
    # 3 std in 2-D holds 1 - exp(-4.5) = 98.9 % of a Gaussian
    assert q.hq_fraction[0] > 0.97


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_one_mode_is_collapse(name):
    tgt = get_target(name)
    g = torch.Generator().manual_seed(1)
    c = torch.as_tensor(tgt.centers[3], dtype=torch.float32)
    x = (c + tgt.std * torch.randn(2500, 2, generator=g))[None]
    q = quality(x, tgt)
    assert q.modes_covered[0] == 1
    assert q.hq_fraction[0] > 0.97


def test_blurry_samples_are_not_high_quality():
    tgt = get_target("ring8")
    g = torch.Generator().manual_seed(2)
    x = (3.0 * torch.randn(2500, 2, generator=g))[None]
    q = quality(x, tgt)
    assert q.hq_fraction[0] < 0.05
    assert q.modes_covered[0] == 0


def test_digits_real_data_covers_all_classes_and_noise_covers_none():
    tgt = get_target("digits")
    x = tgt.x[torch.randperm(tgt.x.shape[0], generator=torch.Generator().manual_seed(0))[:500]][None]
    q = quality(x, tgt)
    assert q.coverage[0] == 1.0 and q.hq_fraction[0] == 1.0
    noise = torch.rand(1, 500, 64, generator=torch.Generator().manual_seed(1)) * 2 - 1
    qn = quality(noise, tgt)
    assert qn.hq_fraction[0] < 0.05 and qn.modes_covered[0] == 0
    ones = tgt.x[tgt.y == 1][:200][None]
    assert quality(ones, tgt).modes_covered[0] == 1


def test_sine_probe_is_oscillating_and_random_walk_is_not():
    rng = np.random.default_rng(0)
    T = 200
    t = np.arange(T)
    hits = 0
    for _ in range(20):
        x = np.sin(2 * np.pi * 6 * t / T + rng.uniform(0, 6))[:, None] * rng.normal(size=(1, 16))
        x = x + 0.5 * rng.normal(size=(T, 16)) + 0.01 * t[:, None]  # noise and a drift
        hits += oscillation_test(x, n_samples=8).periodic
    assert hits >= 19
    walks = sum(oscillation_test(np.cumsum(rng.normal(size=(T, 16)), 0)).periodic for _ in range(100))
    assert walks <= 10
    noise = sum(oscillation_test(rng.normal(size=(T, 4))).periodic for _ in range(100))
    assert noise <= 5


def test_slow_cycle_caught_by_autocorrelation_return():
    t = np.arange(300)
    x = np.sin(2 * np.pi * 3 * t / 300)[:, None] + 0.05 * np.random.default_rng(3).normal(size=(300, 1))
    r = oscillation_test(x)
    assert r.periodic
    assert abs(r.period_points - 100) < 15


def test_grad_drop_counts_orders_of_magnitude():
    rng = np.random.default_rng(0)
    n = 2000
    g = np.concatenate([np.full(200, 1.0), np.logspace(0, -5, n - 200)]) * np.exp(0.1 * rng.normal(size=n))
    d = grad_drop(g)
    assert 4.0 < d.orders < 5.5
    assert d.onset_step is not None and 200 < d.onset_step < 1000
    flat = grad_drop(np.exp(0.3 * rng.normal(size=n)))
    assert flat.orders < 0.5


def _trace(series_len=400, nonfinite_at=None):
    n = series_len
    s = {k: np.full(n, 0.5, np.float32) for k in ("d_loss", "d_loss_real", "d_loss_fake", "g_loss", "d_x",
                                                  "d_gz", "g_grad_norm", "d_grad_norm", "d_sep")}
    if nonfinite_at is not None:
        s["d_loss"][nonfinite_at:] = np.nan
    cfg = {"target": "ring8", "probe_every": 10, "eval_n": 2500, "steps": n}
    T = n // 10
    return RunTrace(config=cfg, series=s, probe_steps=np.arange(9, n, 10), probes=np.zeros((T, 64), np.float32),
                    probe_n_samples=32, eval_steps=np.arange(49, n, 50), coverage=np.ones(n // 50),
                    modes_covered=np.full(n // 50, 8), hq_fraction=np.full(n // 50, 0.9), mode_counts_end=[300] * 8)


def test_non_finite_is_diverged_with_onset():
    v = label_run(_trace(nonfinite_at=123))
    assert v.labels == ["diverged"]
    assert v.onset_step["diverged"] == 123


def test_healthy_trace_is_converged():
    v = label_run(_trace())
    assert v.labels == ["converged"]


def test_thresholds_are_recorded():
    v = label_run(_trace())
    assert v.measures["thresholds"]["collapse_coverage"] == Thresholds().collapse_coverage
    assert math.isfinite(v.measures["hq_fraction_end"])


def test_one_mode_trace_is_mode_collapse_but_still_growing_is_not():
    t = _trace()
    t.coverage = np.full(len(t.coverage), 1 / 8)
    t.hq_fraction = np.full(len(t.coverage), 0.95)
    assert label_run(t).labels == ["mode_collapse"]
    # undertrained: coverage still climbing in the last quarter
    t.coverage = np.linspace(0.0, 0.6, len(t.coverage))
    assert label_run(t).labels == []
    # blurry: few modes but samples are not sharp
    t.coverage = np.full(len(t.coverage), 1 / 8)
    t.hq_fraction = np.full(len(t.coverage), 0.1)
    assert label_run(t).labels == []


def test_sine_probe_trace_is_oscillating_and_small_sine_is_not():
    t = _trace(series_len=2000)
    T = t.probes.shape[0]
    s = np.sin(2 * np.pi * 16 * np.arange(T) / T)[:, None]
    direction = np.random.default_rng(0).normal(size=(1, 64))
    direction /= np.linalg.norm(direction) / np.sqrt(32)  # ~1 per sample
    noise = 0.05 * np.random.default_rng(1).normal(size=(T, 64))
    t.probes = (s * direction + noise).astype(np.float32)
    v = label_run(t)
    assert v.labels == ["oscillating"]
    assert v.measures["oscillation"]["amplitude_rel"] > 1
    t.probes = (1e-3 * (s * direction + noise)).astype(np.float32)  # below the amplitude threshold
    assert label_run(t).labels == ["converged"]


def test_vanishing_gradient_trace_needs_a_separating_discriminator():
    t = _trace()
    n = len(t.series["g_grad_norm"])
    t.series["g_grad_norm"] = np.logspace(0, -4, n).astype(np.float32)
    t.series["d_sep"] = np.ones(n, np.float32)
    v = label_run(t)
    assert "vanishing_gradients" in v.labels and v.onset_step["vanishing_gradients"] is not None
    t.series["d_sep"] = np.full(n, 0.6, np.float32)
    assert "vanishing_gradients" not in label_run(t).labels
