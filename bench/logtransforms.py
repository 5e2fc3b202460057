"""Changes to a run's logs that leave its training dynamics alone (issue 10, item 3).

Every transform takes the run's points as a tidy frame (columns ``tag``, ``step``, ``value``,
``wall_time``, ``source``; one row per logged point, in read order) and the map role id ->
tag of what the run logged (``ground_truth.json`` ``log.tags``), and returns a new frame. It
imports neither ganlogs nor torch: the transforms are plain pandas, so they can be checked on
their own and applied to logs from any source.

Loss roles are ``d_loss``, ``d_loss_real``, ``d_loss_fake`` and ``g_loss``; D-loss roles the
first three. Transforms (name: what it does):

``loss_x10`` / ``loss_x0.1``
    every loss role multiplied by 10 / 0.1 (a constant weight on the losses).
``offset_g5_d1``
    G loss + 5 and D loss + 1 (a constant term; with only the D parts logged, + 0.5 each).
``d_sum3``
    every D-loss role x 3: D summed over 3 identical discriminators (multi-scale D).
``ema0.6`` / ``ema0.9`` / ``ema0.99``
    TensorBoard's debiased exponential moving average with that weight, applied to every
    tag, as a log exported from TensorBoard with smoothing on. Non-finite values are passed
    through and do not enter the average.
``every2`` / ``every4``
    only every 2nd / 4th point of every tag is kept (applies to logs of >= 400 points per
    tag; see :data:`DECIMATE_MIN_POINTS`).
``resumed``
    a job restarted from a checkpoint at 60 % of the run, after the first attempt had
    logged up to 70 %: the points of the lost attempt from 60 % to 70 % (values taken from the
    10 % of the run before them, so they differ from the rerun) come first, then the rerun
    logs 60 % to 100 % again into a second source file. The restart policy of the reader
    must drop the lost attempt; nothing else changes.
``lr_step75``
    the learning rate steps down 10x at 75 % of the run and nothing else changes: the logged
    ``lr_g``/``lr_d`` tags are multiplied by 0.1 from that step on, or, when the run logs no
    learning rate, tags ``lr/G`` and ``lr/D`` are added (constant, then the step).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

__all__ = ["LOSS_ROLES", "D_LOSS_ROLES", "DECIMATE_MIN_POINTS", "TRANSFORMS", "applies", "transform",
           "tensorboard_ema"]

LOSS_ROLES = ("d_loss", "d_loss_real", "d_loss_fake", "g_loss")
D_LOSS_ROLES = ("d_loss", "d_loss_real", "d_loss_fake")
#: decimation is tested on logs with at least this many points per tag (issue 10)
DECIMATE_MIN_POINTS = 400
#: where the restart and the learning-rate step happen, as fractions of the logged steps
RESTART_AT, LOST_UNTIL, LR_STEP_AT = 0.6, 0.7, 0.75


def _scale(frame: pd.DataFrame, tags, factor: float) -> pd.DataFrame:
    out = frame.copy()
    m = out["tag"].astype(str).isin(list(tags))
    out.loc[m, "value"] = out.loc[m, "value"] * factor
    return out


def _roles(tags_by_role: dict, roles) -> list[str]:
    return [tags_by_role[r] for r in roles if r in tags_by_role]


def _offset(frame: pd.DataFrame, tags_by_role: dict) -> pd.DataFrame:
    out = frame.copy()
    tag = out["tag"].astype(str)
    adds = {}
    if "g_loss" in tags_by_role:
        adds[tags_by_role["g_loss"]] = 5.0
    if "d_loss" in tags_by_role:
        adds[tags_by_role["d_loss"]] = 1.0
    else:
        for r in ("d_loss_real", "d_loss_fake"):
            if r in tags_by_role:
                adds[tags_by_role[r]] = 0.5
    for t, a in adds.items():
        m = tag == t
        out.loc[m, "value"] = out.loc[m, "value"] + a
    return out


def tensorboard_ema(values: np.ndarray, weight: float) -> np.ndarray:
    """TensorBoard's scalar smoothing: a debiased EMA, ``last = last * w + (1 - w) * v``,
    shown as ``last / (1 - w ** n)`` after ``n`` finite values; non-finite values are shown
    as they are and skipped."""
    v = np.asarray(values, dtype=np.float64)
    out = np.empty_like(v)
    last, n = 0.0, 0
    for i, x in enumerate(v):
        if not np.isfinite(x):
            out[i] = x
            continue
        last = last * weight + (1 - weight) * x
        n += 1
        out[i] = last / (1 - weight**n) if weight > 0 else last
    return out


def _ema(frame: pd.DataFrame, weight: float) -> pd.DataFrame:
    out = frame.copy()
    vals = out["value"].to_numpy(dtype=np.float64).copy()
    for _, idx in out.groupby(out["tag"].astype(str), sort=False).indices.items():
        vals[idx] = tensorboard_ema(vals[idx], weight)
    out["value"] = vals
    return out


def _every(frame: pd.DataFrame, k: int) -> pd.DataFrame:
    rank = frame.groupby(frame["tag"].astype(str), sort=False).cumcount()
    return frame[(rank % k) == k - 1].reset_index(drop=True)


def _step_at(frame: pd.DataFrame, frac: float) -> int:
    steps = np.sort(frame["step"].unique())
    return int(steps[min(len(steps) - 1, int(frac * len(steps)))])


def _resumed(frame: pd.DataFrame) -> pd.DataFrame:
    s0, s1 = _step_at(frame, RESTART_AT), _step_at(frame, LOST_UNTIL)
    span = s1 - s0
    first = frame[frame["step"] < s0]
    lost = frame[(frame["step"] >= s0 - span) & (frame["step"] < s0)].copy()
    lost["step"] = lost["step"] + span  # the lost attempt's points at steps s0 .. s1
    rerun = frame[frame["step"] >= s0].copy()
    src = str(frame["source"].iloc[0]) if "source" in frame and len(frame) else "log"
    first = first.copy()
    first["source"] = src
    lost["source"] = src
    rerun["source"] = src + ".resumed"
    if "wall_time" in frame:
        wt = pd.to_numeric(frame["wall_time"], errors="coerce")
        top = float(np.nanmax(wt)) if wt.notna().any() else 0.0
        rerun["wall_time"] = pd.to_numeric(rerun["wall_time"], errors="coerce") + top + 60.0
    return pd.concat([first, lost, rerun], ignore_index=True)


def _lr_step(frame: pd.DataFrame, tags_by_role: dict) -> pd.DataFrame:
    s = _step_at(frame, LR_STEP_AT)
    lr_tags = _roles(tags_by_role, ("lr_g", "lr_d"))
    if lr_tags:
        out = frame.copy()
        m = out["tag"].astype(str).isin(lr_tags) & (out["step"] >= s)
        out.loc[m, "value"] = out.loc[m, "value"] * 0.1
        return out
    ref = tags_by_role.get("g_loss") or str(frame["tag"].iloc[0])
    base = frame[frame["tag"].astype(str) == ref]
    rows = []
    for tag, lr0 in (("lr/G", 2e-4), ("lr/D", 2e-4)):
        add = base.copy()
        add["tag"] = tag
        add["value"] = np.where(add["step"] >= s, lr0 * 0.1, lr0)
        rows.append(add)
    out = pd.concat([frame, *rows], ignore_index=True)
    out["tag"] = out["tag"].astype(str)
    return out


Transform = Callable[[pd.DataFrame, dict], pd.DataFrame]

#: name -> function(frame, tags_by_role) -> frame
TRANSFORMS: dict[str, Transform] = {
    "loss_x10": lambda f, t: _scale(f, _roles(t, LOSS_ROLES), 10.0),
    "loss_x0.1": lambda f, t: _scale(f, _roles(t, LOSS_ROLES), 0.1),
    "offset_g5_d1": _offset,
    "d_sum3": lambda f, t: _scale(f, _roles(t, D_LOSS_ROLES), 3.0),
    "ema0.6": lambda f, t: _ema(f, 0.6),
    "ema0.9": lambda f, t: _ema(f, 0.9),
    "ema0.99": lambda f, t: _ema(f, 0.99),
    "every2": lambda f, t: _every(f, 2),
    "every4": lambda f, t: _every(f, 4),
    "resumed": lambda f, t: _resumed(f),
    "lr_step75": _lr_step,
}


def applies(name: str, frame: pd.DataFrame, tags_by_role: dict) -> bool:
    """Whether transform ``name`` is measured on this run (decimation: >= 400 points per tag
    of the G loss, or of the first tag when no G loss is known)."""
    if name in ("every2", "every4"):
        ref = tags_by_role.get("g_loss")
        tags = frame["tag"].astype(str)
        n = int((tags == ref).sum()) if ref is not None else int(tags.value_counts().min())
        return n >= DECIMATE_MIN_POINTS
    return True


def transform(name: str, frame: pd.DataFrame, tags_by_role: dict) -> pd.DataFrame:
    """Apply transform ``name`` (a key of :data:`TRANSFORMS`)."""
    if name not in TRANSFORMS:
        raise KeyError(f"unknown transform {name!r}; known: {', '.join(TRANSFORMS)}")
    return TRANSFORMS[name](frame, tags_by_role)
