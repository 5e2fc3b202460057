"""Shape-preserving downsampling of a series for drawing: largest-triangle-three-buckets.

:func:`lttb_indices` picks ``n`` of a series' points so that the line drawn through them looks
like the line through all of them (Steinarsson 2013): the first and last points are kept, the
rest is cut into ``n - 2`` buckets of equal point count, and from each bucket the point that
makes the largest triangle with the point kept before it and the mean of the next bucket is
kept. Peaks survive because they make large triangles.

:func:`downsample` adds what a plot must never lose, whatever LTTB picked:

* the highest and lowest finite value (a one-point spike),
* the first non-finite value (NaN, +-Inf: where a run diverged),
* given steps, such as where a restart superseded earlier points.

Nothing here feeds a finding: it is for drawing only.

References
----------
S. Steinarsson, "Downsampling Time Series for Visual Representation", MSc thesis,
University of Iceland, 2013.
"""

from __future__ import annotations

import numpy as np

__all__ = ["lttb_indices", "downsample"]

#: buckets holding more points than this are scanned with numpy, smaller ones in plain Python
#: (a numpy call costs about as much as 30 Python multiplications)
_NUMPY_BUCKET = 32


def lttb_indices(x: np.ndarray, y: np.ndarray, n: int) -> np.ndarray:
    """Indices of ``n`` points of ``(x, y)`` chosen by LTTB (all of them if ``len(x) <= n``).

    ``x`` must be sorted and ``y`` finite; both 1-D of the same length. ``n`` is at least 3.
    """
    size = len(x)
    if n >= size or size <= 2:
        return np.arange(size)
    if n < 3:
        raise ValueError(f"lttb_indices: n must be at least 3; got {n}")
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    # bucket edges over the inner points 1..size-2
    edges = np.linspace(1, size - 1, n - 1).astype(np.int64)
    sums_x = np.add.reduceat(x[1:size - 1], edges[:-1] - 1)
    sums_y = np.add.reduceat(y[1:size - 1], edges[:-1] - 1)
    counts = np.diff(edges)
    mean_x = np.r_[sums_x / np.maximum(counts, 1), x[-1]]
    mean_y = np.r_[sums_y / np.maximum(counts, 1), y[-1]]
    out = np.empty(n, dtype=np.int64)
    out[0], out[-1] = 0, size - 1
    xs, ys = x.tolist(), y.tolist()
    ax, ay = xs[0], ys[0]
    for b in range(n - 2):
        lo, hi = int(edges[b]), int(edges[b + 1])
        cx, cy = float(mean_x[b + 1]), float(mean_y[b + 1])
        if hi - lo > _NUMPY_BUCKET:
            area = np.abs((ax - cx) * (y[lo:hi] - ay) - (ax - x[lo:hi]) * (cy - ay))
            best = lo + int(np.argmax(area))
        else:
            best, big = lo, -1.0
            for j in range(lo, hi):
                a = abs((ax - cx) * (ys[j] - ay) - (ax - xs[j]) * (cy - ay))
                if a > big:
                    best, big = j, a
        out[b + 1] = best
        ax, ay = xs[best], ys[best]
    return out


def downsample(x: np.ndarray, y: np.ndarray, n: int, *,
               keep_steps: np.ndarray | None = None) -> np.ndarray:
    """Indices (sorted, unique) of at most about ``n`` points of ``(x, y)`` to draw.

    ``x`` sorted; ``y`` may hold NaN and +-Inf. LTTB runs on the finite points; the finite
    minimum and maximum, the first non-finite point and the points at ``keep_steps`` are
    always kept (so the result can exceed ``n`` by a few points).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if len(x) <= n:
        return np.arange(len(x))
    finite = np.isfinite(y)
    idx = np.flatnonzero(finite)
    keep = [idx[lttb_indices(x[idx], y[idx], max(n, 3))]] if len(idx) else []
    if len(idx):
        keep.append(idx[[int(np.argmin(y[idx])), int(np.argmax(y[idx]))]])
    bad = np.flatnonzero(~finite)
    if len(bad):
        keep.append(bad[:1])
    if keep_steps is not None and len(keep_steps):
        at = np.searchsorted(x, np.asarray(keep_steps, dtype=float))
        keep.append(at[(at < len(x))])
    return np.unique(np.concatenate(keep)) if keep else np.arange(0)
