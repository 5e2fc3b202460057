"""Ground-truth measures, computed from generated samples and recorded series.

Sample quality and mode coverage
--------------------------------
* 2-D mixtures (VEEGAN, Srivastava et al. 2017; PacGAN, Lin et al. 2018): a sample is
  *high quality* (HQ) when it lies within three standard deviations of the nearest
  mode centre, and is assigned to that mode. A mode is *covered* when it holds at
  least 20 % of its fair share of the evaluated samples (``0.2 * N / K`` HQ samples;
  with N = 2,500 that is 20 samples per mode on the 5x5 grid, 63 on the ring).
* 8x8 digits: a sample is HQ when it falls inside the k-nearest-neighbour ball
  (k = 3) of some real sample (improved precision, Kynkaenniemi et al. 2019); its
  class is the label of the nearest real sample whose ball holds it; a class is
  covered with the same 20 %-of-fair-share rule.
* Dirac-GAN: the single "mode" is covered and the sample HQ when ``|theta| <= 0.05``.

Oscillation (:func:`oscillation_test`)
--------------------------------------
Linear trend removed, series projected on its main direction of motion (first
principal component); periodogram tested against the spectrum of an AR(1) process
fitted to the same series (red noise; Gilman et al. 1963, Torrence & Compo 1998),
plus an autocorrelation return test for slow cycles that the AR(1) fit absorbs.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch

__all__ = ["Quality", "quality", "GradDrop", "grad_drop", "OscillationTest", "oscillation_test",
           "first_nonfinite", "trend"]

COVER_SHARE = 0.2


@dataclass
class Quality:
    """Per-run sample-quality measurements for one evaluation (arrays of length R)."""

    hq_fraction: np.ndarray
    modes_covered: np.ndarray
    coverage: np.ndarray
    counts: np.ndarray


def _from_assignment(hq: torch.Tensor, idx: torch.Tensor, k: int) -> Quality:
    n = hq.shape[1]
    counts = torch.zeros(hq.shape[0], k, dtype=torch.long, device=hq.device)
    counts.scatter_add_(1, idx, hq.long())
    covered = (counts.float() >= COVER_SHARE * n / k).sum(1)
    return Quality(hq_fraction=hq.float().mean(1).cpu().numpy(), modes_covered=covered.cpu().numpy(),
                   coverage=(covered.float() / k).cpu().numpy(), counts=counts.cpu().numpy())


@torch.no_grad()
def quality(samples: torch.Tensor, target) -> Quality:
    """Measure HQ fraction and coverage of ``samples`` (shape ``(R, N, dim)``) for ``target``."""
    samples = samples.detach().float()
    if target.kind == "dirac":
        dist = samples[:, 0, :].norm(dim=-1)
        hq = torch.nan_to_num(dist, nan=math.inf) <= target.tol
        hq = hq[:, None]
        return _from_assignment(hq, torch.zeros_like(hq, dtype=torch.long), 1)
    samples = torch.nan_to_num(samples, nan=1e30, posinf=1e30, neginf=-1e30).clamp(-1e15, 1e15)
    if target.kind == "mixture":
        c = torch.as_tensor(target.centers, dtype=torch.float32, device=samples.device)
        d = torch.cdist(samples, c[None].expand(samples.shape[0], -1, -1))
        dmin, idx = d.min(-1)
        return _from_assignment(dmin <= target.hq_radius, idx, target.n_modes)
    # digits: improved-precision balls, one run at a time to bound memory
    x = target.x.to(samples.device)
    radii = target.radii.to(samples.device)
    y = target.y.to(samples.device)
    hqs, idxs = [], []
    for r in range(samples.shape[0]):
        d = torch.cdist(samples[r], x)
        inside = d <= radii[None, :]
        hq = inside.any(1)
        j = torch.where(inside, d, torch.full_like(d, math.inf)).argmin(1)
        hqs.append(hq)
        idxs.append(y[j])
    return _from_assignment(torch.stack(hqs), torch.stack(idxs), target.n_modes)


def trend(values: np.ndarray) -> tuple[float, float, float]:
    """Mean of the last quarter, mean of the quarter before, and their difference."""
    v = np.asarray(values, dtype=np.float64)
    n = len(v)
    q = max(1, n // 4)
    last = float(v[n - q:].mean())
    prev = float(v[max(0, n - 2 * q):n - q].mean()) if n >= 2 else last
    return last, prev, last - prev


@dataclass
class GradDrop:
    """Fall of the generator's raw gradient norm.

    ``orders`` = log10(peak) - log10(end), where ``peak`` is the largest value of the
    running median (window ``n // 50``) before the last 10 % of steps and ``end`` the
    median over the last 10 %. ``onset_step`` is the first step after the peak at
    which the running median is two orders of magnitude below it.
    """

    orders: float
    peak: float
    end: float
    peak_step: int
    onset_step: int | None

    def to_dict(self) -> dict:
        return asdict(self)


def _running_median(x: np.ndarray, w: int) -> np.ndarray:
    if w <= 1:
        return x
    pad = np.pad(x, (w // 2, w - 1 - w // 2), mode="edge")
    win = np.lib.stride_tricks.sliding_window_view(pad, w)
    return np.median(win, axis=1)


def grad_drop(g_norm: np.ndarray, *, min_orders: float = 2.0) -> GradDrop:
    """Measure how far the raw generator gradient norm fell (see :class:`GradDrop`)."""
    x = np.asarray(g_norm, dtype=np.float64)
    x = x[np.isfinite(x)]
    if len(x) < 10:
        return GradDrop(0.0, float("nan"), float("nan"), 0, None)
    x = np.maximum(x, 1e-30)
    n = len(x)
    sm = _running_median(x, max(1, n // 50))
    head = sm[: max(1, int(0.9 * n))]
    peak_step = int(np.argmax(head))
    peak = float(head[peak_step])
    end = float(np.median(x[int(0.9 * n):]))
    orders = float(np.log10(peak) - np.log10(end))
    below = np.nonzero(sm[peak_step:] <= peak * 10 ** (-min_orders))[0]
    onset = int(peak_step + below[0]) if len(below) else None
    return GradDrop(orders, peak, end, peak_step, onset)


@dataclass
class OscillationTest:
    """Result of :func:`oscillation_test`.

    ``amplitude`` is the root-mean-square displacement per generated sample along
    the main direction after detrending, ``sqrt(2) * std(p) / sqrt(n_samples)``
    (the amplitude of a sinusoid with that variance).
    """

    periodic: bool
    spectral_pass: bool
    acf_pass: bool
    peak_ratio: float
    p_value: float
    ar1_phi: float
    acf_return: float
    period_points: float
    amplitude: float
    n_points: int

    def to_dict(self) -> dict:
        return {k: (float(v) if isinstance(v, (float, np.floating)) else v) for k, v in asdict(self).items()}


def _acf(p: np.ndarray) -> np.ndarray:
    p = p - p.mean()
    n = len(p)
    f = np.fft.rfft(p, 2 * n)
    a = np.fft.irfft(f * np.conj(f))[:n]
    return a / a[0] if a[0] > 0 else np.zeros(n)


def oscillation_test(probe: np.ndarray, *, n_samples: int = 1, alpha: float = 0.01,
                     acf_threshold: float = 0.3) -> OscillationTest:
    """Test a probe series for sustained periodic motion.

    Parameters
    ----------
    probe : array, shape (T,) or (T, P)
        The series (rows are time points at a fixed cadence).
    n_samples : int
        Number of generated samples flattened into each row (for the amplitude).
    alpha : float
        Family-wise level of the periodogram test (Bonferroni over frequencies).
    acf_threshold : float
        The autocorrelation must come back above this after its first trough.

    Notes
    -----
    1. Remove a least-squares line from every coordinate; project on the first
       principal component -> ``p``.
    2. Periodogram ``I_k`` of ``p`` (k = 1 .. T/2-1). Fit AR(1) ``phi`` = lag-1
       autocorrelation; red-noise spectrum ``S_k = 1 / (1 + phi^2 - 2 phi cos(2 pi k/T))``
       scaled to the mean of ``I``. Under the null ``I_k / S_k ~ Exp(1)``; pass when
       the Bonferroni p-value of the largest ratio is below ``alpha``.
    3. ACF test: after the first local minimum of the ACF (which must be negative),
       the ACF rises above ``acf_threshold`` within the first half of the lags.

    ``periodic`` is true when either test passes.
    """
    x = np.asarray(probe, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    T = x.shape[0]
    bad = OscillationTest(False, False, False, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, T)
    if T < 32 or not np.all(np.isfinite(x)):
        return bad
    t = np.arange(T, dtype=np.float64)
    A = np.stack([np.ones(T), (t - t.mean()) / T], 1)
    coef, *_ = np.linalg.lstsq(A, x, rcond=None)
    xd = x - A @ coef
    if not np.any(xd):
        return bad
    if xd.shape[1] > 1:
        # main direction of motion: first right singular vector
        if xd.shape[1] > T:
            u, s, _ = np.linalg.svd(xd, full_matrices=False)
            p = u[:, 0] * s[0]
        else:
            _, _, vt = np.linalg.svd(xd, full_matrices=False)
            p = xd @ vt[0]
    else:
        p = xd[:, 0]
    p = p - p.mean()
    sd = float(p.std())
    if sd <= 0 or not np.isfinite(sd):
        return bad
    amplitude = math.sqrt(2) * sd / math.sqrt(max(1, n_samples))
    I = np.abs(np.fft.rfft(p)) ** 2 / T
    k = np.arange(1, (T - 1) // 2 + 1)
    I = I[k]
    ac = _acf(p)
    phi = float(np.clip(ac[1], -0.999, 0.999))
    S = 1.0 / (1 + phi**2 - 2 * phi * np.cos(2 * np.pi * k / T))
    S = S * I.mean() / S.mean()
    ratio = I / S
    j = int(np.argmax(ratio))
    rmax = float(ratio[j])
    p_single = math.exp(-rmax)
    p_val = float(min(1.0, -math.expm1(len(k) * math.log1p(-min(p_single, 1 - 1e-16)))))
    spectral = p_val < alpha
    # ACF return after the first trough
    half = ac[: T // 2]
    acf_ret = 0.0
    trough = None
    for i in range(1, len(half) - 1):
        if half[i] <= half[i - 1] and half[i] <= half[i + 1]:
            trough = i
            break
    if trough is not None and half[trough] < 0:
        acf_ret = float(half[trough:].max())
    acf_pass = acf_ret > acf_threshold
    period = float(T / k[j])
    if acf_pass and trough is not None:
        period = float(trough + int(np.argmax(half[trough:])))
    return OscillationTest(bool(spectral or acf_pass), bool(spectral), bool(acf_pass), rmax, p_val, phi,
                           acf_ret, period, amplitude, T)


def first_nonfinite(series: dict[str, np.ndarray]) -> int | None:
    """First step at which any recorded series is NaN or infinite, else None."""
    first = None
    for v in series.values():
        bad = np.nonzero(~np.isfinite(np.asarray(v)))[0]
        if len(bad) and (first is None or bad[0] < first):
            first = int(bad[0])
    return first
