"""d_overfitting: r_t held by ADA versus a D that memorises its data; held-out signals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ganlogs.detectors.d_overfitting import DOverfittingDetector
from ganlogs.roles import infer_roles
from ganlogs.run import Run

RNG = np.random.default_rng(7)


def _ctx(series: dict[str, np.ndarray], steps: np.ndarray, step_unit: str = "kimg"):
    from ganlogs.detectors.base import LossFamily, RunContext

    frame = pd.concat([pd.DataFrame({"tag": tag, "step": steps[: len(v)], "value": v})
                       for tag, v in series.items()], ignore_index=True)
    run = Run.from_frame(frame, run_id="r", path="r", format="stylegan_stats",
                         step_unit=step_unit)
    roles = infer_roles(run.tags)
    return RunContext(run=run, roles=roles,
                      loss_family=LossFamily(None, "unknown", None, "unknown"))


def _ada_rt(n: int) -> np.ndarray:
    return 0.6 + RNG.normal(0, 0.015, n)


def test_held_at_target_gives_no_finding():
    steps = np.arange(200) * 4
    ctx = _ctx({"Loss/signs/real": _ada_rt(200), "Loss/D/loss": np.full(200, 0.9)}, steps)
    assert DOverfittingDetector().detect(ctx) == []


def test_a_short_start_up_overshoot_is_not_overfitting():
    rt = _ada_rt(200)
    rt[1:4] = [0.93, 0.89, 0.85]
    ctx = _ctx({"Loss/signs/real": rt}, np.arange(200) * 4)
    assert DOverfittingDetector().detect(ctx) == []


def test_early_overfitting_that_ada_corrects():
    rt = _ada_rt(80)
    rt[:10] = 0.92 + RNG.normal(0, 0.02, 10)
    p = np.minimum(np.arange(80) * 0.03, 0.55)
    ctx = _ctx({"Loss/signs/real": rt, "Progress/augment": p}, np.arange(80) * 4)
    (f,) = DOverfittingDetector().detect(ctx)
    assert f.label == "d_overfitting" and f.confidence >= 0.5
    assert f.onset_step == 0 and 32 <= f.span[1] <= 40
    assert f.evidence["corrected"] is True and f.evidence["augment_p_last"] == 0.55
    assert "kimg 0" in f.summary and "ADA corrected it" in f.summary
    assert f.parameters["rt_threshold"] == 0.8


def test_overfitting_that_stays_is_not_called_corrected():
    rt = np.r_[_ada_rt(50), np.linspace(0.7, 0.98, 50)]
    p = np.r_[np.linspace(0, 0.9, 50), np.full(50, 1.0)]  # ADA at its limit
    (f,) = DOverfittingDetector().detect(_ctx({"Loss/signs/real": rt, "Progress/augment": p},
                                              np.arange(100)))
    assert f.evidence["corrected"] is False and f.onset_step > 50
    assert f.confidence >= 0.5 and f.evidence["ada"] is True


def test_without_ada_a_high_r_t_stays_below_the_label_threshold():
    # r_t high but not saturated, without augmentation: D may just be winning
    rt = np.r_[_ada_rt(20), np.clip(0.93 + RNG.normal(0, 0.03, 80), -1, 0.985)]
    (f,) = DOverfittingDetector().detect(_ctx({"Loss/signs/real": rt}, np.arange(100)))
    assert f.confidence < 0.5 and f.evidence["ada"] is False
    assert "held-out" in f.summary
    assert DOverfittingDetector(no_ada_confidence=0.9).detect(
        _ctx({"Loss/signs/real": rt}, np.arange(100)))[0].confidence >= 0.5


def test_without_ada_a_saturated_r_t_is_memorisation():
    # every training real called real for most of the run's second half
    rt = np.r_[_ada_rt(30), np.linspace(0.7, 1.0, 20), np.ones(50)]
    (f,) = DOverfittingDetector().detect(_ctx({"Loss/signs/real": rt}, np.arange(100) * 10))
    assert f.confidence >= 0.5 and f.evidence["rt_saturated_fraction_second_half"] == 1.0
    assert 400 <= f.onset_step <= 500 and f.span[1] == 990


def test_held_out_d_x_gap():
    n = 300
    dx = np.r_[np.full(150, 0.6), np.linspace(0.6, 0.95, 150)] + RNG.normal(0, 0.01, n)
    dxv = np.full(n, 0.6) + RNG.normal(0, 0.01, n)
    (f,) = DOverfittingDetector().detect(_ctx({"D(x)": dx, "D(x)_val": dxv}, np.arange(n),
                                              "iteration"))
    assert f.evidence["signal"] == "held_out_d_x_gap" and 150 < f.onset_step < 300
    same = _ctx({"D(x)": dxv, "D(x)_val": dxv + 0.01}, np.arange(n))
    assert DOverfittingDetector().detect(same) == []


def test_validation_d_loss_far_above_training_d_loss():
    n = 200
    train = np.r_[np.full(100, 0.6), np.linspace(0.6, 0.1, 100)]
    val = np.r_[np.full(100, 0.62), np.linspace(0.62, 0.9, 100)]
    (f,) = DOverfittingDetector().detect(
        _ctx({"d_loss": train, "g_loss": np.full(n, 1.0), "val_d_loss": val}, np.arange(n)))
    assert f.evidence["signal"] == "validation_d_loss_ratio" and f.onset_step >= 100


def test_no_signal_no_finding_and_parameters_checked():
    ctx = _ctx({"d_loss": np.full(60, 0.7), "g_loss": np.full(60, 0.7)}, np.arange(60))
    assert DOverfittingDetector().detect(ctx) == []
    with pytest.raises(ValueError, match="rt_threshold"):
        DOverfittingDetector(rt_threshold=0.5)
    with pytest.raises(ValueError, match="min_span"):
        DOverfittingDetector(min_span=0)
