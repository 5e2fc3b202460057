"""Vectorised decoding of TensorBoard event files (for now: the generic path)."""
from __future__ import annotations


def read_buffer(buf, info) -> None:
    from .tensorboard import _read_buffer_generic
    _read_buffer_generic(bytes(buf), info)


def read_path(path, info) -> None:
    with open(path, "rb") as fh:
        read_buffer(fh.read(), info)
