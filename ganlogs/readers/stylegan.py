"""StyleGAN2-ADA / StyleGAN3 ``stats.jsonl`` -> :class:`~ganlogs.run.Run`.

``training/training_loop.py`` (NVlabs/stylegan2-ada-pytorch) appends one JSON object per tick,
``stats_collector.as_dict()`` plus a Unix ``timestamp``::

    {"Loss/G/loss": {"num": 32, "mean": 0.77, "std": 0.35}, ..., "Progress/kimg": {...},
     "timestamp": 1795500012.5}

* tag = the key (``Loss/G/loss``, ``Loss/D/loss``, ``Progress/augment``, ``Timing/...``), in
  the order of the line; value = ``mean`` (NaN when ``num`` is 0, as the collector writes it:
  kept, and counted in the notes).
* **step = int(Progress/kimg mean), in kimg** (thousands of real images shown): the same step
  the loop's TensorBoard writer uses (``global_step=int(cur_nimg / 1e3)``), so a stats.jsonl and
  its events file line up. A line without ``Progress/kimg`` uses its 0-based line index and
  the notes say so.
* wall_time = ``timestamp`` (Unix seconds; the TB events of the same run hold seconds since
  start instead).

Claimed when the name ends in ``.jsonl`` or ``.json`` and the first line is a JSON object whose
values include ``{"mean": ...}`` dicts. A last line without its final newline is incomplete:
dropped with a :class:`~ganlogs.errors.TruncatedLogWarning`. A corrupt line in the middle (not
JSON, or not an object) is skipped and counted in ``meta.warnings``, since every other tick is
still valid; a file in which no line is a stats object raises :class:`CorruptLogError`.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from ..errors import CorruptLogError, ReadError
from ..run import Run
from ._textio import check_text, complete_lines, read_bytes, warn_truncated
from .base import Reader, read_head

__all__ = ["StyleganStatsReader"]

_HEAD_BYTES = 65536
_STEP_KEY = "Progress/kimg"
_HEAD_PATTERN = re.compile(r'\s*\{\s*"[^"]*"\s*:\s*\{[^{}]*"mean"\s*:')


class StyleganStatsReader(Reader):
    """Read a StyleGAN2-ADA/StyleGAN3 ``stats.jsonl`` (see the module docstring)."""

    formats: ClassVar[tuple[str, ...]] = ("stylegan_stats",)
    kind: ClassVar[str] = "file"

    def guess_can_open(self, path: Path) -> bool:
        """``*.jsonl``/``*.json`` whose first line is an object of ``{"mean": ...}`` dicts."""
        try:
            path = Path(path)
            if not path.name.lower().endswith((".jsonl", ".json")) or not path.is_file():
                return False
            head = read_head(path, _HEAD_BYTES)
            if head.startswith(b"\xef\xbb\xbf"):
                head = head[3:]
            first, sep, _ = head.partition(b"\n")
            if not sep:  # a first line longer than the head (or cut): look at its shape
                return bool(_HEAD_PATTERN.match(first.decode("utf-8", errors="replace")))
            obj = json.loads(first)
            return isinstance(obj, dict) and any(
                isinstance(v, dict) and "mean" in v for v in obj.values())
        except Exception:  # a sniffer never raises
            return False

    def read(self, path: Path, *, run_id: str) -> list[Run]:
        """Read ``path`` into one Run (one point per key per tick)."""
        path = Path(path)
        data, notes = check_text(path, read_bytes(path), what="stats.jsonl file")
        body, tail = complete_lines(data)
        warnings: list[str] = []
        truncated = warn_truncated(path, tail)
        if truncated:
            warnings.append(truncated)
        tags: list[str] = []
        steps: list[int] = []
        values: list[float] = []
        walls: list[float] = []
        bad_lines: list[int] = []
        no_kimg: list[int] = []
        bad_kimg: list[int] = []
        empty_stats = 0
        n_ticks = 0
        for lineno, raw in enumerate(body.split(b"\n")[:-1]):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except (ValueError, RecursionError):  # RecursionError: absurdly nested JSON
                bad_lines.append(lineno + 1)
                continue
            if not isinstance(obj, dict):
                bad_lines.append(lineno + 1)
                continue
            stats = [(k, v) for k, v in obj.items() if isinstance(v, dict) and "mean" in v]
            if not stats:
                bad_lines.append(lineno + 1)
                continue
            kimg = obj.get(_STEP_KEY)
            kimg_mean = kimg.get("mean") if isinstance(kimg, dict) else None
            if isinstance(kimg_mean, bool) or not isinstance(kimg_mean, (int, float)):
                step = n_ticks
                no_kimg.append(lineno + 1)
            elif math.isfinite(kimg_mean) and -(2 ** 63) <= kimg_mean < 2 ** 63:
                step = int(kimg_mean)
            else:
                bad_kimg.append(lineno + 1)
                continue
            ts = obj.get("timestamp")
            wall = float(ts) if isinstance(ts, (int, float)) else math.nan
            n_ticks += 1
            for key, stat in stats:
                mean = stat.get("mean")
                try:
                    value = math.nan if mean is None else float(mean)
                except (TypeError, ValueError):
                    bad_lines.append(lineno + 1)
                    continue
                if stat.get("num") == 0:
                    empty_stats += 1
                tags.append(key)
                steps.append(step)
                values.append(value)
                walls.append(wall)
        if not n_ticks:
            if bad_lines or bad_kimg:
                first = min(bad_lines + bad_kimg)
                raise CorruptLogError(path, f"no line is a usable StyleGAN stats object (line "
                                            f"{first} is not one)")
            if not body.strip() and not tail.strip():
                raise ReadError(path, "empty file: no ticks")
            warnings.append("no complete tick yet")
        notes.append(f"{n_ticks} tick(s); tag = stats key, value = its 'mean'")
        notes.append("step: int(Progress/kimg), in kimg (thousands of images shown), the step "
                     "StyleGAN's TensorBoard writer uses; wall_time: 'timestamp' (Unix seconds)")
        if no_kimg:
            notes.append(f"{len(no_kimg)} tick(s) without Progress/kimg (first at line "
                         f"{no_kimg[0]}): their step is the tick index")
        if empty_stats:
            notes.append(f"{empty_stats} value(s) with num = 0 (nothing measured in that tick) "
                         "are NaN, as written")
        if bad_kimg:
            warnings.append(f"{len(bad_kimg)} tick(s) whose Progress/kimg is not a usable step "
                            f"(nan, inf, beyond int64; first at line {bad_kimg[0]}) were "
                            "skipped")
        if bad_lines:
            warnings.append(f"{len(bad_lines)} corrupt line(s) skipped (not a JSON stats "
                            f"object; first at line {bad_lines[0]}); the other ticks were kept")
        frame = pd.DataFrame({"tag": tags, "step": np.asarray(steps, dtype=np.int64),
                              "value": np.asarray(values, dtype=np.float64),
                              "wall_time": np.asarray(walls, dtype=np.float64)})
        return [Run.from_frame(frame, run_id=run_id, path=path, format="stylegan_stats", step_unit="kimg",
                               notes=notes, warnings=warnings)]
