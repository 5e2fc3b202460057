"""The live judge's rules (too early, schedule, hysteresis) and ganlogs.Monitor."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from ganlogs.errors import UsageError
from ganlogs.live import LiveJudge, LivePolicy, Monitor
from ganlogs.live.rows import RowStore


def _calm(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (1.386 + 0.02 * rng.standard_normal(n), 0.693 + 0.02 * rng.standard_normal(n))


def _cycling(n: int) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(n)
    rng = np.random.default_rng(1)
    return (1.3 + 0.4 * np.sin(2 * np.pi * t / 25) + 0.02 * rng.standard_normal(n),
            0.8 - 0.4 * np.sin(2 * np.pi * t / 25) + 0.02 * rng.standard_normal(n))


def test_monitor_import_does_not_import_torch():
    code = ("import sys, ganlogs; m = ganlogs.Monitor(); [m.log(s, d_loss=1.0, g_loss=1.0) "
            "for s in range(60)]; print('torch' in sys.modules, 'lightning' in sys.modules, "
            "'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["False", "False", "False"]


def test_monitor_is_too_early_then_judges():
    m = Monitor(policy=LivePolicy(cost_factor=0.0))
    d, g = _calm(300)
    statuses = []
    for step in range(300):
        m.log(step, d_loss=d[step], g_loss=g[step])
        statuses.append(m.status)
    assert statuses[0] == "waiting"
    assert "too_early" in statuses[:49]
    assert statuses[-1] == "judged"
    assert not m.should_stop
    assert not any(f.label in ("diverged", "mode_collapse", "vanishing_gradients")
                   for f in m.findings)


def test_monitor_stops_at_the_first_nan():
    m = Monitor(fail_on=["diverged"], policy=LivePolicy(cost_factor=0.0))
    d, g = _calm(400)
    stopped = None
    for step in range(400):
        dv = math.nan if step >= 250 else d[step]
        m.log(step, d_loss=dv, g_loss=g[step])
        if m.should_stop:
            stopped = step
            break
    assert stopped == 250
    (f,) = m.failing
    assert f.label == "diverged" and f.onset_step == 250
    assert [(e.kind, e.label) for e in m.events][-1] == ("appeared", "diverged")


def test_monitor_nan_in_a_short_run_is_judged_at_once():
    m = Monitor(fail_on=["diverged"])
    for step in range(10):
        m.log(step, d_loss=1.0 if step < 8 else math.inf, g_loss=1.0)
    assert m.should_stop


def test_monitor_validates_arguments():
    with pytest.raises(UsageError):
        Monitor(fail_on=["exploded"])
    m = Monitor()
    with pytest.raises(UsageError):
        m.log(1.5, d_loss=1.0)
    with pytest.raises(UsageError):
        LivePolicy(confirm=0)


def test_a_label_needs_two_judgements_unless_a_nan_shows_it():
    d, g = _cycling(600)
    policy = LivePolicy(cost_factor=0.0, confirm=2, min_evidence=0.0)
    judge = LiveJudge("r", policy=policy)
    store = RowStore()
    seen = []
    for step in range(600):
        store.append(["d_loss", "g_loss"], np.array([0, 1]), np.array([step, step]),
                     np.array([d[step], g[step]]))
        if judge.due(store.points, len(store.tags), alarm=store.take_alarm()):
            v = judge.judge(store.run(run_id="r", path="r", format="test"))
            res = judge.last_result_
            seen.append((list(res.labels), v.labels, [e.kind for e in v.events]))
    first_found = next(i for i, (labels, _, _) in enumerate(seen) if "oscillating" in labels)
    first_raised = next(i for i, (_, raised, _) in enumerate(seen) if "oscillating" in raised)
    assert first_raised > first_found  # found once is not enough
    # raised when found in two consecutive judgements, and not before
    assert "oscillating" in seen[first_raised - 1][0] and "oscillating" in seen[first_raised][0]
    assert not any("oscillating" in seen[i][0] and "oscillating" in seen[i + 1][0]
                   for i in range(first_raised - 1))
    # with confirm=1 the same series raises it at the first judgement that finds it
    judge1 = LiveJudge("r", policy=LivePolicy(cost_factor=0.0, confirm=1))
    store1 = RowStore()
    raised_at = None
    for step in range(600):
        store1.append(["d_loss", "g_loss"], np.array([0, 1]), np.array([step, step]),
                      np.array([d[step], g[step]]))
        if judge1.due(store1.points, len(store1.tags)):
            v = judge1.judge(store1.run(run_id="r", path="r", format="test"))
            if "oscillating" in v.labels and raised_at is None:
                raised_at = judge1.judgements_
    assert raised_at is not None


def test_a_label_found_once_is_not_raised_and_a_raised_label_clears_after_two_misses():
    from ganlogs.analysis import RunResult
    from ganlogs.findings import Finding

    judge = LiveJudge("r", policy=LivePolicy(confirm=2, cost_factor=0.0, min_evidence=0.0,
                                             warmup_points=0))

    def result(labels):
        fs = [Finding(label=l, confidence=0.9, onset_step=10, evidence={}, summary=l,
                      detector="x", detector_version="1") for l in labels]
        return RunResult(run_id="r", path="r", format="t", status="ok", findings=fs,
                         labels=list(labels))

    kinds = []
    for labels in (["oscillating"], [], ["oscillating"], ["oscillating"], [], ["oscillating"],
                   [], []):
        v = judge._update(result(labels), 100, 100)
        kinds.append([(e.kind, e.label) for e in v.events])
    assert kinds == [[], [], [], [("appeared", "oscillating")], [], [], [],
                     [("cleared", "oscillating")]]


def test_a_label_is_raised_only_after_enough_new_evidence():
    from ganlogs.analysis import RunResult
    from ganlogs.findings import Finding

    judge = LiveJudge("r", policy=LivePolicy(confirm=2, cost_factor=0.0, min_evidence=0.5,
                                             warmup_points=0))
    f = Finding(label="mode_collapse", confidence=0.9, onset_step=10, evidence={},
                summary="x", detector="x", detector_version="1")
    raised_at = None
    for points in (100, 120, 140, 160, 180):
        v = judge._update(RunResult(run_id="r", path="r", format="t", status="ok",
                                    findings=[f], labels=["mode_collapse"]), points, points)
        if v.labels and raised_at is None:
            raised_at = points
    assert raised_at == 160  # found from 100 on: raised once the run grew by half


def _result(findings):
    from ganlogs.analysis import RunResult
    from ganlogs.findings import Finding

    fs = [Finding(label=l, confidence=c, onset_step=10, evidence={}, summary=l, detector="x",
                  detector_version="1") for l, c in findings]
    return RunResult(run_id="r", path="r", format="t", status="ok", findings=fs,
                     labels=[l for l, c in findings if c >= 0.5])


def test_no_statistical_label_is_raised_during_the_warm_up_but_diverged_is():
    judge = LiveJudge("r", policy=LivePolicy(confirm=2, cost_factor=0.0, min_evidence=0.0,
                                             warmup_points=150, confidence_margin=0.0))
    raised = {}
    for densest in (50, 80, 110, 140, 170, 200):
        v = judge._update(_result([("mode_collapse", 0.9), ("diverged", 0.9)]), 2 * densest,
                          densest, densest)
        for e in v.events:
            raised.setdefault(e.label, densest)
    assert raised == {"diverged": 50, "mode_collapse": 170}  # diverged: at first sight


def test_a_label_is_raised_above_the_margin_and_held_above_the_threshold():
    judge = LiveJudge("r", policy=LivePolicy(confirm=2, cost_factor=0.0, min_evidence=0.0,
                                             warmup_points=0, confidence_margin=0.1))
    kinds = []
    for conf in (0.55, 0.58, 0.55, 0.65, 0.7, 0.55, 0.52, 0.3, 0.3):
        v = judge._update(_result([("oscillating", conf)]), 100, 100)
        kinds.append([e.kind for e in v.events])
    # 0.55: above the threshold, not above the margin: never raised; once raised, a
    # confidence above the clearing band keeps it; two looks below it clear it
    assert kinds == [[], [], [], [], ["appeared"], [], [], [], ["cleared"]]


def test_once_is_the_after_the_fact_verdict():
    p = LivePolicy.after_the_fact()
    assert (p.confirm, p.min_evidence, p.warmup_points, p.confidence_margin) == (1, 0.0, 0, 0.0)


def test_schedule_grows_with_the_run_and_respects_the_cost_factor():
    judge = LiveJudge("r", policy=LivePolicy(min_new_points=10, growth=0.05, cost_factor=0.0))
    assert not judge.due(10, 2)  # 5 points per series
    assert judge.due(20, 2)
    judge.judged_points_ = 100_000
    assert not judge.due(100_000 + 4_000, 2)  # < 5% new
    assert judge.due(100_000 + 5_000, 2)
    assert judge.due(100_001, 2, alarm=True)
    slow = LiveJudge("r", policy=LivePolicy(cost_factor=20.0))
    slow._last_duration, slow._last_end = 1.0, 100.0
    assert not slow.due(1000, 1, now=110.0)
    assert slow.due(1000, 1, now=121.0)
    assert slow.due(1000, 1, alarm=True, now=101.0)
