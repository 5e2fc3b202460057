"""Byte ranges of a file's buffer as pyarrow strings, without copying the bytes.

The vectorised readers (text logs, ``.wandb``) find where each number's text lies in the
file's buffer; pyarrow then converts all of them at once (correctly rounded, as ``float()``).
Arrow string offsets are contiguous, so :func:`spans` builds one string array over the whole
buffer whose entries alternate between a wanted range and what lies between it and the next,
the latter null: kernels skip nulls, and entry ``2i+1`` is range ``i``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["spans", "numbers"]


def spans(raw: np.ndarray, begin: np.ndarray, end: np.ndarray) -> pa.Array:
    """``raw[begin[i]:end[i]]`` (increasing, disjoint ranges) as entry ``2i+1`` of a string
    array over ``raw`` (uint8, not copied; keep it alive): ``string`` (int32 offsets, half
    the memory to fill) when ``raw`` is under 2 GiB, else ``large_string``."""
    n = len(begin)
    small = raw.size < 2 ** 31
    offsets = np.empty(2 * n + 1, dtype=np.int32 if small else np.int64)
    offsets[0] = 0
    offsets[1::2], offsets[2::2] = begin, end
    valid = np.full((2 * n + 7) // 8, 0xAA, dtype=np.uint8)  # entries 1, 3, 5...
    kind = pa.StringArray if small else pa.LargeStringArray
    return kind.from_buffers(2 * n, pa.py_buffer(offsets), pa.py_buffer(raw),
                             pa.py_buffer(valid))


def numbers(raw: np.ndarray, begin: np.ndarray, end: np.ndarray, to: pa.DataType,
            *, pattern: str | None = None) -> np.ndarray | None:
    """The ranges converted by pyarrow to ``to`` (numpy). With ``pattern`` (RE2), None when a
    range does not match it. Raises pyarrow's error for a range it cannot convert."""
    arr = spans(raw, begin, end)
    if pattern is not None:
        ok = pc.match_substring_regex(arr, pattern)
        if pc.sum(ok).as_py() != len(begin):  # nulls (the gaps) are not counted
            return None
    out = pc.cast(arr, to)
    # the values buffer as it is (no copy turning the gaps' nulls into NaN: they are skipped)
    values = np.frombuffer(out.buffers()[1], dtype=to.to_pandas_dtype())
    return values[out.offset:out.offset + len(out)][1::2]
