"""Statistics shared by the detectors.

Every function works in *point index* (the position of a logged value), never in steps:
a run logged every 50 steps and one logged every step are judged the same way, and the
caller maps indices back to steps. Long series are averaged into at most
:data:`MAX_POINTS` bins before the spectral, trend and change-point tests, which keeps a
million-point run as fast as a thousand-point one (the bins are means of consecutive
points, so periods shorter than two bins are averaged away; those are noise at that
scale).

Functions return named results (dataclasses) whose ``evidence()`` is a dict of JSON-safe
scalars, ready for :attr:`ganlogs.detectors.Finding.evidence`.

References
----------
Dickey, D. A. and Fuller, W. A. (1979). Distribution of the estimators for autoregressive
time series with a unit root. JASA 74, 427-431.
Kwiatkowski, D., Phillips, P. C. B., Schmidt, P. and Shin, Y. (1992). Testing the null
hypothesis of stationarity against the alternative of a unit root. J. Econometrics 54.
Newey, W. K. and West, K. D. (1987). A simple, positive semi-definite, heteroskedasticity
and autocorrelation consistent covariance matrix. Econometrica 55, 703-708.
Andrews, D. W. K. (1991). Heteroskedasticity and autocorrelation consistent covariance
matrix estimation. Econometrica 59, 817-858 (plug-in bandwidth).
Mann, H. B. (1945). Nonparametric tests against trend. Econometrica 13, 245-259;
Kendall, M. G. (1975). Rank Correlation Methods.
Gilman, D. L., Fuglister, F. J. and Mitchell, J. M. (1963). On the power spectrum of "red
noise". J. Atmos. Sci. 20, 182-184 (the AR(1) background spectrum).
Page, E. S. (1954). Continuous inspection schemes. Biometrika 41 (CUSUM); Vostrikova, L. J.
(1981) (binary segmentation).
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass, fields
from typing import Any, Callable

import numpy as np
import pandas as pd

__all__ = ["MAX_POINTS", "MIN_POINTS", "Prepared", "prepare", "bin_means", "Trend", "hac_trend",
           "Stationarity", "stationarity", "adf", "Periodicity", "periodicity", "cusum_change",
           "binary_segmentation", "anti_phase", "keep_per_period", "logistic", "cached", "round_floats",
           "kendall_tau", "median", "running_median", "mackinnon_p", "kpss_level"]

#: series longer than this are averaged into this many bins before the tests
MAX_POINTS = 1024
#: fewer finite points than this (over the healthy part of the run) cannot be judged
MIN_POINTS = 50


def round_floats(d: dict[str, Any], ndigits: int = 6) -> dict[str, Any]:
    """JSON-safe copy of ``d``: numpy scalars to Python, floats rounded, NaN to None."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        kind = type(v)  # the common exact types first: the same branches, fewer checks
        if kind is float or kind is np.float64:
            v = float(v)  # Python's round, correctly rounded (numpy's scalar round is not)
            out[k] = round(v, ndigits) if math.isfinite(v) else None
            continue
        if kind is int or kind is str or kind is bool or v is None:
            out[k] = v
            continue
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


def median(x: Any) -> Any:
    """``np.median(x)``, the same value bit for bit, without its dispatch.

    For a 1-D float64 array this is numpy's own computation (``numpy.lib``'s ``_median``):
    the same ``np.partition`` call with the same indices (NaN check included), then the
    mean of the middle one or two values; it skips the generic axis machinery that makes
    ``np.median`` cost ~10 us on a tiny run's 3 to 500 points (about 20 calls a run). Any
    other input goes to ``np.median``. ``tests/detectors/test_stats_exact.py`` compares
    the two.
    """
    if type(x) is not np.ndarray or x.ndim != 1 or x.dtype != np.float64 or not x.size:
        return np.median(x)
    n = x.size
    i = n // 2
    part = np.partition(x, [i - 1, i, -1] if n % 2 == 0 else [i, -1])
    if np.isnan(part[-1]):
        return part[-1]  # a NaN sorts last: np.median gives it
    return part[i:i + 1].mean() if n % 2 else part[i - 1:i + 1].mean()


def running_median(v: np.ndarray, window: int) -> np.ndarray:
    """``pd.Series(v).rolling(window, center=True, min_periods=1).median().to_numpy()``,
    the same values bit for bit, for a 1-D float64 ``v`` and an odd ``window``.

    A centred window of odd width holds an odd number of points except near the ends,
    where it is cut short; pandas gives the middle value of an odd count and the mean of
    the two middle values, ``(a + b) / 2``, of an even one. Here the full windows are
    numpy medians of a sliding view (one middle value each) and the ~``window`` cut ones
    are sorted in one call; about half pandas' time for 1,000 points and a window of 51.
    Inputs with a non-finite value (pandas' answer near an infinity differs) or a zero (two
    equal values, 0.0 and -0.0, that differ in sign), and short series, go to pandas.
    """
    from numpy.lib.stride_tricks import sliding_window_view

    v = np.asarray(v)
    n = len(v)
    if (v.ndim != 1 or v.dtype != np.float64 or window % 2 == 0 or window < 3
            or n < 2 * window or not np.isfinite(v).all() or (v == 0).any()):
        return pd.Series(v).rolling(window, center=True, min_periods=1).median().to_numpy()
    h = window // 2
    out = np.empty(n)
    out[h:n - h] = np.partition(sliding_window_view(v, window), h, axis=1)[:, h]
    # the cut windows: [0, i + h] for i < h, [i - h, n) for i >= n - h (h + 1 to 2h points)
    count = np.arange(h + 1, 2 * h + 1)
    rows = np.arange(h)
    for ends, values in ((slice(0, h), v[:2 * h]), (slice(n - h, n), v[n - 2 * h:][::-1])):
        cut = np.where(np.arange(2 * h) < count[:, None], values, np.inf)
        cut.sort(axis=1)
        lo, hi = cut[rows, (count - 1) // 2], cut[rows, count // 2]
        mid = np.where(count % 2 == 1, lo, (lo + hi) / 2)
        out[ends] = mid if ends.start == 0 else mid[::-1]
    return out


def cached(ctx: Any, key: str, fn: Callable[[], Any]) -> Any:
    """Compute ``fn()`` once per context object and key.

    Several detectors need the same statistics of one run; a :class:`RunContext` carries a
    private cache (attached on first use) so that running all of them costs one pass.
    """
    cache = ctx.__dict__.get("_ganlogs_cache")
    if cache is None:
        cache = {}
        object.__setattr__(ctx, "_ganlogs_cache", cache)
    if key not in cache:
        cache[key] = fn()
    return cache[key]


def _evidence(result: Any, prefix: str) -> dict[str, Any]:
    """``{prefix_field: value}`` of a result dataclass whose fields are scalars (what
    ``dataclasses.asdict`` gives for those, without its deep copies)."""
    return {f"{prefix}_{f.name}": getattr(result, f.name) for f in fields(result)}


def logistic(z: float) -> float:
    """The logistic function, safe for large ``|z|``."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-min(z, 700.0)))
    e = math.exp(max(z, -700.0))
    return e / (1.0 + e)


# ------------------------------------------------------------------ preparation
def bin_means(x: np.ndarray, max_points: int = MAX_POINTS) -> tuple[np.ndarray, int]:
    """Average ``x`` into at most ``max_points`` bins of equal width; return (bins, width).

    A tail that does not fill a whole bin is dropped from the *start* (the end of a run is
    what the tests judge).
    """
    n = len(x)
    if n <= max_points:
        return x, 1
    w = int(math.ceil(n / max_points))
    m = n // w
    start = n - m * w
    return x[start:].reshape(m, w).mean(axis=1), w


@dataclass(frozen=True)
class Prepared:
    """One series ready for the tests.

    ``values``/``steps`` hold the healthy part (up to the first non-finite value), binned
    to at most :data:`MAX_POINTS` points (``steps`` are each bin's last step; ``absmax``
    each bin's largest magnitude, which a mean would hide for a sign-alternating blow-up);
    ``n_raw`` counts healthy finite points before binning; ``bin_width`` the points per
    bin; ``first_nonfinite_step`` the step of the first NaN/Inf (or None).
    """

    values: np.ndarray
    steps: np.ndarray
    n_raw: int
    bin_width: int
    first_nonfinite_step: int | None
    last_step: int | None
    absmax: np.ndarray | None = None


def prepare(series: pd.Series | None, max_points: int = MAX_POINTS) -> Prepared | None:
    """Cut a detector view at its first non-finite value and bin it; None if absent."""
    if series is None:
        return None
    v = series.to_numpy(dtype=np.float64)
    s = series.index.to_numpy()
    bad = ~np.isfinite(v)
    nf = None
    if bad.any():
        i = int(np.argmax(bad))
        nf = int(s[i])
        v, s = v[:i], s[:i]
    last = int(series.index[-1]) if len(series) else None
    b, w = bin_means(v, max_points)
    if w > 1:
        m = len(b)
        steps = s[len(s) - m * w:].reshape(m, w)[:, -1]
        absmax = np.abs(v[len(v) - m * w:]).reshape(m, w).max(axis=1)
    else:
        steps = s
        absmax = np.abs(v)
    return Prepared(values=b, steps=np.asarray(steps, dtype=np.int64), n_raw=len(v),
                    bin_width=w, first_nonfinite_step=nf, last_step=last, absmax=absmax)


# ------------------------------------------------------------------ trend
def _bartlett_lrv(u: np.ndarray, lags: int) -> float:
    """Newey-West (Bartlett kernel) long-run variance of a mean-zero series ``u``."""
    n = len(u)
    s = float(u @ u) / n
    for l in range(1, min(lags, n - 1) + 1):
        w = 1.0 - l / (lags + 1.0)
        s += 2.0 * w * float(u[l:] @ u[:-l]) / n
    return max(s, 1e-300)


def nw_lags(n: int) -> int:
    """Newey-West's automatic bandwidth, floor(4 (n/100)^(2/9))."""
    return int(math.floor(4.0 * (n / 100.0) ** (2.0 / 9.0)))


def andrews_lags(e: np.ndarray) -> int:
    """Andrews' (1991) AR(1) plug-in bandwidth for the Bartlett kernel,
    1.1447 (alpha n)^(1/3) with alpha = 4 rho^2 / ((1 - rho)^2 (1 + rho)^2).

    Newey and West's fixed rule (:func:`nw_lags`) is far too short for the strongly
    autocorrelated tails of training curves and gives intervals that are too narrow.
    """
    n = len(e)
    den = float(e[:-1] @ e[:-1])
    rho = float(e[1:] @ e[:-1]) / den if den > 0 else 0.0
    rho = min(max(rho, -0.97), 0.97)
    alpha = 4 * rho * rho / ((1 - rho) ** 2 * (1 + rho) ** 2)
    return int(min(max(1.1447 * (alpha * n) ** (1.0 / 3.0), 1), n // 2))


@dataclass(frozen=True)
class Trend:
    """OLS slope of a series on its point index with Newey-West standard error.

    ``slope`` is per point; ``change`` is slope x (n - 1), the fitted rise over the window;
    ``ci_low``/``ci_high`` a 95% interval of ``change``; ``t`` and ``p`` the HAC test of
    zero slope; ``tau``/``p_mk`` Kendall's tau against time (Mann-Kendall, no
    autocorrelation correction: read it with ``p``).
    """

    slope: float
    change: float
    ci_low: float
    ci_high: float
    t: float
    p: float
    tau: float
    p_mk: float

    def evidence(self, prefix: str) -> dict[str, Any]:
        return _evidence(self, prefix)


@functools.cache
def _kendalltau_unwrapped() -> Callable[..., Any] | None:
    """scipy's ``kendalltau`` without the ``_axis_nan_policy`` decorator (found with
    :func:`inspect.unwrap`, the standard route through :func:`functools.wraps`), or None
    when scipy does not decorate it; looked up once."""
    import inspect

    from scipy import stats

    inner = inspect.unwrap(stats.kendalltau)
    return None if inner is stats.kendalltau else inner


def kendall_tau(y: np.ndarray) -> tuple[float, float]:
    """Kendall's tau-b of ``y`` against its point index and its two-sided p-value: exactly
    ``scipy.stats.kendalltau(np.arange(len(y)), y)``.

    scipy's decorator (axis and NaN handling, ``_axis_nan_policy``) costs more than the
    test itself on a tiny run (~130 of ~230 us for 500 points; it calls
    ``inspect.signature`` three times a call). For a 1-D ``y`` of at least 2 points with no
    NaN it only promotes both samples to float64 and calls the undecorated function, so
    that is what is done here, bit for bit (``tests/detectors/test_stats_exact.py`` compares
    the two); anything else goes through the decorated function.
    """
    from scipy import stats

    inner = _kendalltau_unwrapped()
    y = np.asarray(y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if (inner is not None and y.ndim == 1 and y.dtype == np.float64 and len(y) >= 2
                and not np.isnan(y).any()):
            r = inner(np.arange(len(y), dtype=np.float64), y)
        else:
            r = stats.kendalltau(np.arange(len(y)), y)
    return float(r.statistic), float(r.pvalue)


def hac_trend(y: np.ndarray, *, kendall: bool = True) -> Trend:
    """Linear trend with autocorrelation-robust (HAC / Newey-West 1987) errors, Bartlett
    kernel with Andrews' (1991) plug-in bandwidth."""
    n = len(y)
    t = np.arange(n, dtype=np.float64)
    t -= t.mean()
    stt = float(t @ t)
    yc = y - y.mean()
    b = float(t @ yc) / stt
    e = yc - b * t
    lrv = _bartlett_lrv(t * e, andrews_lags(e))
    se = math.sqrt(n * lrv) / stt
    tstat = b / se if se > 0 else (0.0 if b == 0 else math.copysign(np.inf, b))
    p = math.erfc(abs(tstat) / math.sqrt(2.0)) if math.isfinite(tstat) else 0.0
    change = b * (n - 1)
    half = 1.96 * se * (n - 1)
    tau, p_mk = kendall_tau(y) if kendall else (np.nan, np.nan)
    return Trend(b, change, change - half, change + half, float(tstat), p, tau, p_mk)


# ------------------------------------------------------------------ stationarity
@dataclass(frozen=True)
class Stationarity:
    """ADF (null: unit root) and KPSS (null: level-stationary) on one window.

    ``adf_p`` small -> no unit root; ``kpss_p`` large -> stationary about a level. KPSS
    p-values are interpolated by statsmodels within [0.01, 0.1] and clipped there.
    """

    adf_stat: float
    adf_p: float
    kpss_stat: float
    kpss_p: float

    @property
    def stationary(self) -> bool:
        return self.adf_p < 0.05 and self.kpss_p > 0.05

    def evidence(self, prefix: str) -> dict[str, Any]:
        return _evidence(self, prefix)


def adf(y: np.ndarray, lags: int) -> tuple[float, float]:
    """Augmented Dickey-Fuller test with a constant and ``lags`` lagged differences.

    The regression dy_t = a + g y_{t-1} + sum_i c_i dy_{t-i} + e_t is fitted with numpy
    (statsmodels' ``adfuller`` builds a full results object and is 50x slower); the
    t-statistic of g is referred to MacKinnon's (1994, 2010) response surface through
    ``statsmodels.tsa.adfvalues.mackinnonp``. Returns (statistic, p-value).
    """
    dy = np.diff(y)
    m = len(dy) - lags
    cols = [np.ones(m), y[lags:-1]] + [dy[lags - i:len(dy) - i] for i in range(1, lags + 1)]
    X = np.column_stack(cols)
    z = dy[lags:]
    beta, *_ = np.linalg.lstsq(X, z, rcond=None)
    e = z - X @ beta
    dof = m - X.shape[1]
    s2 = float(e @ e) / max(dof, 1)
    try:
        cov = s2 * np.linalg.inv(X.T @ X)
    except np.linalg.LinAlgError:
        return 0.0, 1.0
    se = math.sqrt(max(cov[1, 1], 1e-300))
    stat = float(beta[1] / se)
    return stat, mackinnon_p(stat)


@functools.cache
def _mackinnon_table() -> tuple | None:
    """statsmodels' response surface for one variable with a constant: (largest, smallest,
    switch, small-p coefficients, large-p coefficients), highest power first; None when
    statsmodels keeps it elsewhere. Read once."""
    from statsmodels.tsa import adfvalues

    try:
        return (float(adfvalues._tau_maxs["c"][0]), float(adfvalues._tau_mins["c"][0]),
                float(adfvalues._tau_stars["c"][0]),
                np.asarray(adfvalues._tau_smallps["c"][0])[::-1],
                np.asarray(adfvalues._tau_largeps["c"][0])[::-1])
    except (AttributeError, KeyError, IndexError, TypeError, ValueError):
        return None


def mackinnon_p(stat: float) -> float:
    """``statsmodels.tsa.adfvalues.mackinnonp(stat, regression="c", N=1)``, the same float.

    statsmodels evaluates MacKinnon's response surface (a polynomial in the statistic) and
    passes it through ``scipy.stats.norm.cdf``, whose generic argument handling costs ~25
    of mackinnonp's ~27 us; for a finite value that is ``scipy.special.ndtr`` of the same
    number. The coefficients are statsmodels' own tables; when they cannot be found (a
    statsmodels that moved them) or the statistic is not finite, mackinnonp itself is
    called. ``tests/detectors/test_stats_exact.py`` compares the two.
    """
    table = _mackinnon_table()
    if table is None or not math.isfinite(stat):
        from statsmodels.tsa import adfvalues

        return float(adfvalues.mackinnonp(stat, regression="c", N=1))
    largest, smallest, switch, small, large = table
    if stat > largest:
        return 1.0
    if stat < smallest:
        return 0.0
    from scipy.special import ndtr

    return float(ndtr(np.polyval(small if stat <= switch else large, stat)))


def stationarity(y: np.ndarray) -> Stationarity:
    """ADF (constant, lag order (n-1)^(1/3)) and KPSS (level, Newey-West lags)."""
    n = len(y)
    if not float(np.std(y)) > 1e-12 * max(1.0, abs(float(np.mean(y)))):
        return Stationarity(-np.inf, 0.0, 0.0, 0.1)  # constant up to rounding: settled
    lag = max(1, int((n - 1) ** (1.0 / 3.0)))
    a_stat, a_p = adf(y, lag)
    k_stat, k_p = kpss_level(y, nw_lags(n))
    return Stationarity(a_stat, a_p, k_stat, k_p)


#: KPSS (level) critical values and their p-values, Kwiatkowski et al. (1992) table 1, as
#: ``statsmodels.tsa.stattools.kpss`` interpolates them
_KPSS_CRIT = [0.347, 0.463, 0.574, 0.739]
_KPSS_PVALS = [0.10, 0.05, 0.025, 0.01]


def kpss_level(y: np.ndarray, lags: int) -> tuple[float, float]:
    """KPSS test of level stationarity with ``lags`` Bartlett lags: (statistic, p-value),
    ``statsmodels.tsa.stattools.kpss(y, regression="c", nlags=lags)``'s two numbers bit for
    bit (the same numpy operations in the same order; its argument checks, warnings and
    result object cost more than the test on a tiny run). The p-value is interpolated in
    the published table and clipped to [0.01, 0.1]. A non-float64 or multi-dimensional
    ``y`` goes to statsmodels. ``tests/detectors/test_stats_exact.py`` compares the two.
    """
    y = np.asarray(y)
    nobs = y.shape[0] if y.ndim == 1 else 0
    if y.dtype != np.float64 or y.ndim != 1 or not 0 <= lags < nobs:
        from statsmodels.tsa.stattools import kpss

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            k = kpss(y, regression="c", nlags=lags)
        return float(k[0]), float(k[1])
    with np.errstate(all="ignore"):  # statsmodels' call was silenced too
        resids = y - y.mean()
        eta = np.sum(resids.cumsum() ** 2) / (nobs ** 2)
        s_hat = np.sum(resids ** 2)
        for i in range(1, lags + 1):
            s_hat += 2 * np.dot(resids[i:], resids[: nobs - i]) * (1.0 - (i / (lags + 1.0)))
        stat = eta / (s_hat / nobs)
    return float(stat), float(np.interp(stat, _KPSS_CRIT, _KPSS_PVALS))


# ------------------------------------------------------------------ periodicity
@dataclass(frozen=True)
class Periodicity:
    """Periodogram peak tested against an AR(1) red-noise spectrum, plus the ACF return.

    ``period`` in points (of the tested series, i.e. bins when binned); ``power_share``
    the share of the detrended variance in the peak and its two neighbours; ``ratio`` the
    peak's power over the fitted red-noise spectrum; ``p_spectral`` the chance that the
    largest of ``n_freqs`` red-noise ratios exceeds it; ``acf_return`` the largest
    autocorrelation after the first trough (a slow cycle the AR(1) fit absorbs still
    returns there); ``amplitude`` the fitted sinusoid's amplitude at the peak and
    ``snr`` that amplitude over the residual standard deviation; ``phi`` the AR(1)
    coefficient of the background.
    """

    period: float
    power_share: float
    ratio: float
    p_spectral: float
    acf_return: float
    acf_period: float
    amplitude: float
    snr: float
    phi: float
    cycles: float
    #: periods of the detected cycle in the tested window (ACF period when the ACF test
    #: passes, else the spectral peak's)
    n_periods: float = 0.0
    #: share of its amplitude the cycle keeps from one period to the next
    #: (:func:`keep_per_period`; a damped spiral keeps ``r ** period``)
    keep_per_period: float = 0.0

    def evidence(self, prefix: str) -> dict[str, Any]:
        return _evidence(self, prefix)


def _acf(x: np.ndarray, nlags: int) -> np.ndarray:
    n = len(x)
    m = 1 << int(math.ceil(math.log2(2 * n)))
    f = np.fft.rfft(x, m)
    ac = np.fft.irfft(f * np.conj(f), m)[: nlags + 1]
    return ac / ac[0] if ac[0] > 0 else np.zeros(nlags + 1)


def periodicity(y: np.ndarray, *, min_cycles: float = 3.0) -> Periodicity:
    """Test ``y`` for a periodic component (see :class:`Periodicity`).

    The linear trend is removed first; only frequencies with at least ``min_cycles``
    cycles in the window are tested (a slower 'cycle' is a drift).
    """
    n = len(y)
    t = np.arange(n, dtype=np.float64)
    A = np.vstack([np.ones(n), t - t.mean()]).T
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    r = y - A @ coef
    var = float(r @ r) / n
    nan = Periodicity(np.nan, 0.0, 0.0, 1.0, 0.0, np.nan, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    if n < 16 or not var > 1e-24 * max(1.0, float(np.mean(y)) ** 2):
        return nan  # constant up to rounding: nothing to test
    F = np.fft.rfft(r)
    P = (np.abs(F) ** 2) / n  # periodogram (unnormalised one-sided)
    f = np.fft.rfftfreq(n)
    P, f = P[1:], f[1:]
    if n % 2 == 0:
        P, f = P[:-1], f[:-1]  # drop Nyquist
    phi = float(np.clip((r[1:] @ r[:-1]) / (r @ r), -0.99, 0.99))
    red = 1.0 / (1.0 + phi * phi - 2.0 * phi * np.cos(2 * np.pi * f))
    red *= P.sum() / red.sum()
    ok = f >= min_cycles / n
    if not ok.any():
        return nan
    ratio = P / red
    i = int(np.argmax(np.where(ok, ratio, -np.inf)))
    m = int(ok.sum())
    rmax = float(ratio[i])
    p = float(-np.expm1(m * np.log1p(-math.exp(-rmax)))) if rmax < 700 else 0.0
    p = min(max(p, 0.0), 1.0)
    lo, hi = max(0, i - 1), min(len(P), i + 2)
    share = float(P[lo:hi].sum() / P.sum())
    amp = float(2.0 * np.abs(F[1:][i]) / n)
    # autocorrelation return after the first trough
    nl = n // 2
    ac = _acf(r, nl)
    d = np.diff(ac)
    up = np.nonzero(d[1:] > 0)[0]
    acf_ret, acf_per = 0.0, np.nan
    if len(up):
        trough = int(up[0]) + 1
        if ac[trough] < 0 and trough + 1 < len(ac):
            j = trough + int(np.argmax(ac[trough:]))
            acf_ret, acf_per = float(ac[j]), float(j)
    resid_sd = math.sqrt(max(var - amp * amp / 2.0, 1e-300))
    period = float(1.0 / f[i])
    n_periods = float(f[i] * n)
    if p >= 0.01 and np.isfinite(acf_per) and acf_per > 0:
        n_periods = n / acf_per  # a slow cycle found by the ACF: count its periods
    cyc = period if not (p >= 0.01 and np.isfinite(acf_per) and acf_per > 0) else acf_per
    keep = keep_per_period(r, cyc)
    if cyc != acf_per and np.isfinite(acf_per) and acf_ret > 0 and n / acf_per >= min_cycles:
        # a cycle that is not a sine (a relaxation cycle, a loss that is the product of two
        # circling parameters) puts its periodogram peak on a harmonic, where nothing repeats;
        # the autocorrelation's return names the period that does
        keep_acf = keep_per_period(r, acf_per)
        if keep_acf > keep:
            keep, n_periods = keep_acf, n / acf_per
    return Periodicity(period=period, power_share=share, ratio=rmax, p_spectral=p,
                       acf_return=acf_ret, acf_period=acf_per, amplitude=amp,
                       snr=amp / resid_sd, phi=phi, cycles=float(f[i] * n),
                       n_periods=n_periods, keep_per_period=keep)


#: the damped-spiral null holds every spiral keeping at most this share of its amplitude
#: per period (a spiral that loses half its amplitude each turn is settling)
SPIRAL_MAX_KEEP = 0.5


def keep_per_period(r: np.ndarray, period: float) -> float:
    """How much of its amplitude a cycle of ``period`` points keeps over one period.

    The autocorrelation one period apart (at the lag P of the largest autocorrelation
    within 15% of ``period``, averaged over lags within P/6 and divided by what that
    averaging does to a pure cycle) over the share of the variance that moves smoothly
    (the lag-1 autocorrelation divided by cos(2 pi / P), its value for a pure cycle).
    (For a fast cycle the lag-2 autocorrelation is used when cos(4 pi / P) is the larger in
    size.) White (minibatch) noise lowers both alike, so the ratio is about 1 for a persistent
    cycle in any such noise and about ``r ** P`` for a noise-driven damped spiral (a stable
    AR(2) with roots of modulus ``r``: the motion of a GAN converging near its
    equilibrium). 0 when it cannot be measured (a period under 2.2 points or over T/2, or no
    smooth motion). Clipped to [0, 1.5].
    """
    r = np.asarray(r, dtype=np.float64)
    T = len(r)
    if not np.isfinite(period) or period < 2.2 or period > 0.5 * T:
        return 0.0
    r = r - r.mean()
    c0 = float(r @ r) / T
    if not c0 > 0:
        return 0.0

    known: dict[int, float] = {}  # the lag windows below overlap: each lag computed once

    def acf(k: int) -> float:
        value = known.get(k)
        if value is None:
            value = known[k] = float(r[: T - k] @ r[k:]) / (T - k) / c0
        return value

    lo, hi = max(2, int(math.floor(period * 0.85))), min(T // 2, int(math.ceil(period * 1.15)))
    hi = max(hi, lo)
    P = max(range(lo, hi + 1), key=acf)
    h = P // 6
    lags = [k for k in range(P - h, P + h + 1) if 0 < k < T - 1]
    at_p = float(np.mean([acf(k) for k in lags]))
    shrink = float(np.mean([math.cos(2 * math.pi * (k - P) / P) for k in lags]))
    # the lag (1 or 2) where a cycle of period P is most correlated, positively or not
    L = max((1, 2), key=lambda k: abs(math.cos(2 * math.pi * k / P)))
    smooth = acf(L) / math.cos(2 * math.pi * L / P)
    if smooth <= 0.05 or shrink <= 0:
        return 0.0
    return float(min(max(at_p / shrink / smooth, 0.0), 1.5))


def anti_phase(a: np.ndarray, b: np.ndarray, max_lag: int) -> tuple[float, int]:
    """Most negative cross-correlation of the detrended differences... of ``a`` and ``b``.

    Returns (correlation, lag) over lags in [-max_lag, max_lag]; the series are linearly
    detrended first. A value near -1 means the two move in anti-phase (one rises while
    the other falls), the signature of the D/G tug of war.
    """
    n = min(len(a), len(b))
    if n < 8:
        return 0.0, 0
    a, b = a[-n:], b[-n:]
    t = np.arange(n) - (n - 1) / 2.0
    ra = a - a.mean() - t * (t @ (a - a.mean())) / (t @ t)
    rb = b - b.mean() - t * (t @ (b - b.mean())) / (t @ t)
    sa, sb = math.sqrt(ra @ ra), math.sqrt(rb @ rb)
    if sa == 0 or sb == 0:
        return 0.0, 0
    best, lag = 0.0, 0
    for l in range(-max_lag, max_lag + 1):
        c = float(ra[max(0, l):n + min(0, l)] @ rb[max(0, -l):n - max(0, l)]) / (sa * sb)
        if c < best:
            best, lag = c, l
    return best, lag


# ------------------------------------------------------------------ change points
def _kolmogorov_sf(s: float) -> float:
    """P(sup |Brownian bridge| > s)."""
    if s <= 0.3:
        return 1.0
    k = np.arange(1, 101)
    return float(min(1.0, max(0.0, 2.0 * np.sum((-1.0) ** (k - 1) * np.exp(-2.0 * k * k * s * s)))))


def cusum_change(x: np.ndarray, *, min_size: int = 5) -> tuple[int, float, float]:
    """Most likely single change in mean: (index of the first point after it, statistic, p).

    The CUSUM statistic max |S_k| / (sqrt(n) sigma_LR) with a Newey-West long-run
    standard deviation, referred to the supremum of a Brownian bridge.
    """
    n = len(x)
    if n < 2 * min_size:
        return 0, 0.0, 1.0
    c = np.cumsum(x - x.mean())[:-1]
    k = np.arange(1, n)
    # locate the split by the weighted (likelihood) statistic; test with the plain CUSUM
    w = np.abs(c) / np.sqrt(k * (n - k) / n)
    w[: min_size - 1] = 0
    w[n - min_size:] = 0
    j = int(np.argmax(w)) + 1
    lrv = _bartlett_lrv(x - np.where(np.arange(n) < j, x[:j].mean(), x[j:].mean()), nw_lags(n))
    stat = float(np.max(np.abs(c)) / math.sqrt(n * lrv))
    return j, stat, _kolmogorov_sf(stat)


def binary_segmentation(x: np.ndarray, *, alpha: float = 0.01, min_size: int = 10,
                        max_changes: int = 8) -> list[int]:
    """Change points in mean by binary segmentation with the CUSUM test; sorted indices."""
    out: list[int] = []
    todo = [(0, len(x))]
    while todo and len(out) < max_changes:
        a, b = todo.pop()
        if b - a < 2 * min_size:
            continue
        j, _, p = cusum_change(x[a:b], min_size=min_size)
        if p < alpha and j > 0:
            out.append(a + j)
            todo += [(a, a + j), (a + j, b)]
    return sorted(out)
