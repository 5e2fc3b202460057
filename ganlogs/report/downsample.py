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


def lttb_indices(x: np.ndarray, y: np.ndarray, n: int, *, max_passes: int | None = None
                 ) -> np.ndarray:
    """Indices of ``n`` points of ``(x, y)`` chosen by LTTB (all of them if ``len(x) <= n``).

    ``x`` must be sorted and ``y`` finite; both 1-D of the same length. ``n`` is at least 3.
    ``max_passes``: vectorised passes before the sequential finish (None:
    :data:`MAX_PASSES`); the result is the same for any value of at least 1.

    Notes
    -----
    LTTB is sequential (each bucket's choice depends on the point kept before it), so it is
    computed as a fixed point: every bucket chooses at once given the previous pass's
    choices, until no choice changes. A fixed point satisfies each bucket's rule with its true
    predecessor, so by induction from the first point it is exactly the sequential result;
    it takes a few vectorised passes, as a choice rarely depends on the point before. After
    :data:`MAX_PASSES` passes the remaining buckets are finished one by one.
    """
    size = len(x)
    if n >= size or size <= 2:
        return np.arange(size)
    if n < 3:
        raise ValueError(f"lttb_indices: n must be at least 3; got {n}")
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    nb = n - 2
    every = (size - 2) / nb
    # bucket b holds points lo[b] .. hi[b]-1 (the textbook floor(b * every) + 1 edges)
    edges = (np.floor(np.arange(nb + 1) * every) + 1).astype(np.int64)
    edges[-1] = size - 1
    lo, hi = edges[:-1], edges[1:]
    counts = hi - lo
    # the next bucket's mean (the last point for the last bucket)
    csx, csy = np.r_[0.0, np.cumsum(x)], np.r_[0.0, np.cumsum(y)]
    nlo, nhi = np.r_[lo[1:], size - 1], np.r_[hi[1:], size]
    cx = (csx[nhi] - csx[nlo]) / (nhi - nlo)
    cy = (csy[nhi] - csy[nlo]) / (nhi - nlo)
    m = int(counts.max())
    cand = lo[:, None] + np.arange(m)[None, :]
    valid = cand < hi[:, None]
    cand = np.where(valid, cand, lo[:, None])
    xc, yc = x[cand], y[cand]
    # first guess: each bucket's anchor is the previous bucket's first point
    chosen = lo.copy()
    if max_passes is None:
        max_passes = MAX_PASSES
    if isinstance(max_passes, bool) or not isinstance(max_passes, int) or max_passes < 1:
        raise ValueError("lttb_indices: max_passes must be a positive integer; "
                         f"got {max_passes!r}")
    for _ in range(max_passes):
        prev = np.r_[0, chosen[:-1]]
        ax, ay = x[prev][:, None], y[prev][:, None]
        area = np.abs((ax - cx[:, None]) * (yc - ay) - (ax - xc) * (cy[:, None] - ay))
        area[~valid] = -1.0
        new = cand[np.arange(nb), np.argmax(area, axis=1)]
        if np.array_equal(new, chosen):
            break
        chosen = new
    else:
        chosen = _finish_sequentially(x, y, lo, hi, cx, cy, chosen)
    return np.r_[0, chosen, size - 1]


#: vectorised passes before the buckets still changing are finished one by one
MAX_PASSES = 64


def _finish_sequentially(x, y, lo, hi, cx, cy, chosen):
    """The textbook loop, for the rare series whose choices keep changing from pass to pass."""
    out = chosen.copy()
    xs, ys = x.tolist(), y.tolist()
    ax, ay = xs[0], ys[0]
    for b in range(len(lo)):
        a, z = int(lo[b]), int(hi[b])
        if z - a > _NUMPY_BUCKET:
            area = np.abs((ax - cx[b]) * (y[a:z] - ay) - (ax - x[a:z]) * (cy[b] - ay))
            best = a + int(np.argmax(area))
        else:
            best, big = a, -1.0
            for j in range(a, z):
                v = abs((ax - cx[b]) * (ys[j] - ay) - (ax - xs[j]) * (cy[b] - ay))
                if v > big:
                    best, big = j, v
        out[b] = best
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
