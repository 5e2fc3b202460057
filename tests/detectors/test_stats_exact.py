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


def median_cases():
    rng = np.random.default_rng(21)
    for n in list(range(1, 12)) + [50, 51, 500, 1000]:
        x = rng.normal(size=n)
        yield f"normal n={n}", x
        yield f"ties n={n}", np.round(x, 1)
        yield f"signed zeros n={n}", rng.choice([0.0, -0.0, 1.0, -1.0], size=n)
        yield f"zeros only n={n}", rng.choice([0.0, -0.0], size=n)
        y = x.copy()
        y[rng.integers(0, n)] = np.nan
        yield f"NaN n={n}", y
        z = x.copy()
        z[0], z[-1] = np.inf, -np.inf
        yield f"inf n={n}", z
    base = rng.normal(size=40)
    yield "a strided view", base[::3]
    yield "a list", [3.0, 1.0, 2.0, 5.0]
    yield "integers", np.arange(10)
    yield "float32", base.astype(np.float32)
    yield "2-D", base.reshape(5, 8)
    yield "empty", np.array([], dtype=np.float64)


@pytest.mark.parametrize("name,x", list(median_cases()), ids=lambda v: v if isinstance(v, str) else "")
def test_median_is_numpys_median_bit_for_bit(name, x):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = np.median(x)
        got = st.median(x)
    assert type(got) is type(ref), name
    assert same_float(float(got), float(ref)), (name, got, ref)


def running_median_cases():
    rng = np.random.default_rng(22)
    for n in (5, 60, 101, 102, 333, 1000, 1024):
        for w in (3, 5, 25, 51, 53):
            x = rng.normal(size=n)
            yield f"normal n={n} w={w}", x, w
            yield f"ties n={n} w={w}", rng.integers(1, 4, size=n).astype(np.float64), w
            yield f"falling n={n} w={w}", np.abs(x).cumsum()[::-1].copy(), w
    x = rng.normal(size=300)
    yield "with zeros (pandas)", np.r_[x, 0.0, -0.0, x], 25
    yield "with NaN (pandas)", np.r_[x, np.nan, x], 25
    yield "with inf", np.r_[x, np.inf, x, -np.inf, x], 25
    yield "even window (pandas)", x, 24


@pytest.mark.parametrize("name,v,w", list(running_median_cases()),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_running_median_is_pandas_rolling_median_bit_for_bit(name, v, w):
    import pandas as pd

    ref = pd.Series(v).rolling(w, center=True, min_periods=1).median().to_numpy()
    got = st.running_median(v, w)
    assert got.dtype == ref.dtype and got.shape == ref.shape
    assert got.tobytes() == ref.tobytes() or (
        np.array_equal(np.isnan(got), np.isnan(ref))
        and np.array_equal(got[~np.isnan(got)].view(np.int64), ref[~np.isnan(ref)].view(np.int64))), name


def round_floats_before(d, ndigits=6):
    """round_floats as it was before its fast path (the reference)."""
    out = {}
    for k, v in d.items():
        if isinstance(v, (np.floating, float)):
            v = float(v)
            out[k] = round(v, ndigits) if math.isfinite(v) else None
        elif isinstance(v, (np.integer,)):
            out[k] = int(v)
        elif isinstance(v, (np.bool_,)):
            out[k] = bool(v)
        elif isinstance(v, (list, tuple)):
            out[k] = [round(float(x), ndigits) if isinstance(x, (float, np.floating)) else x
                      for x in v]
        else:
            out[k] = v
    return out


def test_round_floats_fast_path_gives_the_same_values_and_types():
    class FloatSub(float):
        pass

    d = {"f": 0.1234567891, "np64": np.float64(2.0000004999), "np64_half": np.float64(1.0000005),
         "np32": np.float32(1.2345678), "nan": float("nan"), "np_nan": np.float64("nan"),
         "inf": float("inf"), "neg_zero": -0.0, "np_neg_zero": np.float64(-0.0),
         "big": 1.2345678901234e300, "int": 7, "np_int": np.int64(-3), "bool": True,
         "np_bool": np.bool_(False), "none": None, "str": "d_loss", "list": [0.1234567, 3, "x"],
         "tuple": (np.float64(0.33333333), None), "sub": FloatSub(0.9999999)}
    got, ref = st.round_floats(d), round_floats_before(d)
    assert list(got) == list(ref)
    for k in ref:
        assert type(got[k]) is type(ref[k]), k
        assert repr(got[k]) == repr(ref[k]), k


def test_mackinnon_p_is_statsmodels_mackinnonp_bit_for_bit():
    from statsmodels.tsa.adfvalues import mackinnonp

    rng = np.random.default_rng(23)
    stats = np.r_[np.linspace(-40.0, 10.0, 5001), rng.normal(scale=4.0, size=2000),
                  -1.61, -1.6100000000000001, 2.74, 2.7400000000000002, -18.83, -18.830000000000002,
                  0.0, -0.0, np.inf, -np.inf, np.nan]
    for s in stats:
        ref = float(mackinnonp(float(s), regression="c", N=1))
        assert same_float(st.mackinnon_p(float(s)), ref), s


def kpss_cases():
    rng = np.random.default_rng(24)
    for n in (16, 17, 50, 330, 500, 1000, 1024):
        for lags in sorted({0, 1, st.nw_lags(n), n // 3}):
            yield f"noise n={n} lags={lags}", rng.normal(size=n), lags
            yield f"walk n={n} lags={lags}", np.cumsum(rng.normal(size=n)), lags
            yield f"trend n={n} lags={lags}", np.linspace(0, 5, n) + rng.normal(size=n), lags
    yield "constant", np.full(100, 2.5), 4
    yield "integers", rng.integers(0, 9, size=200), 5
    yield "float32", rng.normal(size=200).astype(np.float32), 5


@pytest.mark.parametrize("name,y,lags", list(kpss_cases()), ids=lambda v: v if isinstance(v, str) else "")
def test_kpss_level_is_statsmodels_kpss_bit_for_bit(name, y, lags):
    from statsmodels.tsa.stattools import kpss

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = kpss(y, regression="c", nlags=lags)
        got = st.kpss_level(y, lags)
    assert same_float(got[0], float(ref[0])), (name, got, ref[:2])
    assert same_float(got[1], float(ref[1])), (name, got, ref[:2])


def test_adf_and_stationarity_keep_statsmodels_p_values():
    from statsmodels.tsa.adfvalues import mackinnonp

    rng = np.random.default_rng(25)
    for y in (rng.normal(size=500), np.cumsum(rng.normal(size=500))):
        stat, p = st.adf(y, 7)
        assert same_float(p, float(mackinnonp(stat, regression="c", N=1)))
