"""The cheaper routes to the shared statistics give the library's own results bit for bit.

The detectors' rules are frozen (issue 10's held-out evaluation), so a statistic computed
faster must be the same float, not a close one: every comparison here is of the bytes.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from ganlogs.detectors import stats as st


def same_float(a: float, b: float) -> bool:
    """The same float64, bit for bit (any NaN equals any NaN)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return np.float64(a).tobytes() == np.float64(b).tobytes()


def scipy_kendall(y) -> tuple[float, float]:
    from scipy import stats

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = stats.kendalltau(np.arange(len(y)), y)
    return float(r.statistic), float(r.pvalue)


def kendall_cases():
    rng = np.random.default_rng(14)
    walk = np.cumsum(rng.normal(size=500))
    yield "noise", rng.normal(size=500)
    yield "walk", walk
    yield "walk, ties (2 decimals)", np.round(walk, 2)
    yield "heavy ties (integers 0-4)", rng.integers(0, 5, size=300).astype(np.float64)
    yield "trend + noise", np.linspace(0, 3, 400) + rng.normal(size=400)
    yield "33 points (exact p-value)", rng.normal(size=33)
    yield "16 points", rng.normal(size=16)
    yield "34 points", rng.normal(size=34)
    yield "increasing", np.arange(200, dtype=np.float64) ** 1.5
    yield "decreasing", -np.arange(200, dtype=np.float64)
    yield "one swap from increasing", np.r_[np.arange(100.0), 98.5, np.arange(101.0, 150.0)]
    yield "constant", np.full(100, 0.7)
    yield "two points", np.array([1.0, 0.5])
    yield "one point", np.array([1.0])
    yield "with +inf", np.r_[rng.normal(size=60), np.inf, rng.normal(size=60)]
    yield "with NaN", np.r_[rng.normal(size=60), np.nan, rng.normal(size=60)]
    yield "integer values", rng.integers(0, 50, size=120)
    yield "float32", rng.normal(size=120).astype(np.float32)
    yield "signed zeros", np.r_[np.zeros(20), -np.zeros(20), rng.normal(size=40)]
    for i in range(40):  # the lengths the tiny runs and the corpus use, and odd ones
        n = int(rng.integers(16, 1100))
        y = np.round(np.cumsum(rng.normal(size=n)), int(rng.integers(0, 5)))
        yield f"random walk {i} (n={n})", y


@pytest.mark.parametrize("name,y", list(kendall_cases()), ids=lambda v: v if isinstance(v, str) else "")
def test_kendall_tau_is_scipys_kendalltau_bit_for_bit(name, y):
    tau, p = st.kendall_tau(y)
    ref_tau, ref_p = scipy_kendall(y)
    assert same_float(tau, ref_tau), (name, tau, ref_tau)
    assert same_float(p, ref_p), (name, p, ref_p)


def test_hac_trend_kendall_fields_are_scipys():
    rng = np.random.default_rng(5)
    y = np.round(np.cumsum(rng.normal(size=500)), 3)
    t = st.hac_trend(y)
    ref_tau, ref_p = scipy_kendall(y)
    assert same_float(t.tau, ref_tau) and same_float(t.p_mk, ref_p)
    off = st.hac_trend(y, kendall=False)
    assert math.isnan(off.tau) and math.isnan(off.p_mk)


def test_evidence_keeps_asdict_names_order_and_values():
    from dataclasses import asdict

    rng = np.random.default_rng(9)
    y = np.sin(np.arange(400) / 7.0) + rng.normal(scale=0.3, size=400)
    for result in (st.hac_trend(y), st.stationarity(y), st.periodicity(y)):
        ev = result.evidence("x")
        ref = {f"x_{k}": v for k, v in asdict(result).items()}
        assert list(ev) == list(ref)
        assert all(same_float(ev[k], ref[k]) for k in ref)
