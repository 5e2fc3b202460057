"""Shared helpers of the tail tests: write a log in pieces, look after each, compare with a
whole read of the file."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

import ganlogs
from ganlogs.live.tail import follower_for
from ganlogs.readers import discover

COLUMNS = ["tag", "step", "value", "wall_time", "superseded"]


def frame(run: ganlogs.Run) -> pd.DataFrame:
    """A run's points in read order, the columns a follower must reproduce."""
    return run.scalars[COLUMNS].astype({"tag": str}).reset_index(drop=True)


def whole(path: Path) -> pd.DataFrame:
    """:func:`frame` of a whole read of ``path``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return frame(ganlogs.read(path))


def follow(path: Path, data: bytes, cuts: list[int], kind: type, *, discover_at: Path | None = None):
    """Write ``data`` to ``path`` in pieces ending at ``cuts`` and look after each, as the
    watcher does: the file is followed (a ``kind`` follower) once discovery finds a log at
    ``discover_at`` (default ``path``). ``follower.reads_`` lists ``(cut, whole_reads)`` after
    each look where the follower counts whole reads."""
    path.write_bytes(b"")
    follower = None
    reads = []
    for cut in cuts:
        with open(path, "ab") as fh:
            fh.write(data[path.stat().st_size:cut])
        if follower is None:
            sources = discover(discover_at or path).sources
            if not sources:
                continue
            follower = follower_for(sources[0])
            assert isinstance(follower, kind)
        follower.poll()
        reads.append((cut, getattr(follower, "whole_reads", None)))
    assert follower is not None, f"no log found at {discover_at or path}"
    follower.reads_ = reads
    return follower
