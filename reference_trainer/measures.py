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
Defined in :mod:`reference_trainer.cycles` (numpy only, so detectors can use the same
rule): a periodic test against red noise, a test against noise-driven damped spirals
(stable AR(2) with complex roots), and at least three periods in the tested window.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch

from reference_trainer.cycles import OscillationTest, oscillation_test

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
        segment = getattr(target, "segment", None)
        if segment is None:
            d = torch.cdist(samples, c[None].expand(samples.shape[0], -1, -1))
            dmin, idx = d.min(-1)
            return _from_assignment(dmin <= target.hq_radius, idx, target.n_modes)
        # a curve: nearest polyline point, one run at a time to bound memory
        seg = torch.as_tensor(segment, dtype=torch.long, device=samples.device)
        hqs, idxs = [], []
        for r in range(samples.shape[0]):
            dmin, j = torch.cdist(samples[r], c).min(-1)
            hqs.append(dmin <= target.hq_radius)
            idxs.append(seg[j])
        return _from_assignment(torch.stack(hqs), torch.stack(idxs), target.n_modes)
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


def first_nonfinite(series: dict[str, np.ndarray]) -> int | None:
    """First step at which any recorded series is NaN or infinite, else None."""
    first = None
    for v in series.values():
        bad = np.nonzero(~np.isfinite(np.asarray(v)))[0]
        if len(bad) and (first is None or bad[0] < first):
            first = int(bad[0])
    return first
