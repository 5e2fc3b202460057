"""StyleGAN2-ADA / StyleGAN3 run directories and console logs -> :class:`~ganlogs.run.Run`.

NVlabs' ``training/training_loop.py`` (stylegan2-ada-pytorch and stylegan3 alike) writes, into
one run directory ``<outdir>/<NNNNN>-<desc>/``:

* ``stats.jsonl``: every statistic once per tick (:mod:`ganlogs.readers.stylegan`);
* ``metric-<name>.jsonl``: one line per evaluation,
  ``{"results": {"fid50k_full": 29.3}, "metric": "fid50k_full", "snapshot_pkl":
  "network-snapshot-003000.pkl", "timestamp": ...}``; the snapshot's number is the kimg it
  was taken at, which is the run's step (``stats.jsonl`` steps are ``int(Progress/kimg)``).
  Tags are the result keys (``fid50k_full``, ``kid50k_full``, ``pr50k3_full_precision``...);
* ``log.txt``: the console (``tick 12  kimg 48.0  time 1h 02m  sec/tick 291.6 ...  augment
  0.013``), which holds no losses. Its tick fields are read under the names ``stats.jsonl``
  gives the same numbers (``augment`` -> ``Progress/augment``, ``time`` ->
  ``Timing/total_sec``...), and the metric lines it prints under the metric files' names;
* ``events.out.tfevents.*`` (when TensorBoard is installed): the same statistics, plus
  ``Metrics/<name>`` repeated every tick.

:class:`StyleganRunReader` reads such a directory as **one run** when ``stats.jsonl`` sits in
it beside at least one of the other files. The same scalar from two files is one series: each
tag is kept from the first source that has it, in the order ``stats.jsonl``,
``metric-*.jsonl``, event files, ``log.txt`` (``Metrics/<name>`` of an event file is the
metric file's ``<name>``), and the notes say which source was kept and which rows were not.
:class:`StyleganConsoleReader` reads a ``log.txt`` on its own (format ``stylegan_log``): a run
with no GAN losses, which analysis lists as such.

Step unit: kimg (thousands of real images shown).
"""

from __future__ import annotations

import json
import math
import re
import warnings as _warnings
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from ..errors import ReadError, TruncatedLogWarning
from ..run import Run
from ._textio import read_bytes
from .base import Reader, read_head
from .stylegan import StyleganStatsReader

__all__ = ["StyleganConsoleReader", "StyleganRunReader", "read_metric_lines"]

_HEAD_BYTES = 65536
_STATS = "stats.jsonl"
_CONSOLE = "log.txt"
_METRIC = re.compile(r"metric-[\w.-]+\.jsonl")
_TICK = re.compile(r"tick\s+\d+\s+kimg\s+[-+\d.]+\s.*")
_BANNERS = (b"Loading training set...", b"Constructing networks...",
            b"Setting up training phases...", b"Training for ")
_SNAPSHOT_KIMG = re.compile(r"(\d+)\.pkl$")
_NO_LOSSES = "no GAN losses found"

#: console tick field -> the stats.jsonl key that holds the same number
CONSOLE_FIELDS = {
    "tick": "Progress/tick", "kimg": "Progress/kimg", "time": "Timing/total_sec",
    "sec/tick": "Timing/sec_per_tick", "sec/kimg": "Timing/sec_per_kimg",
    "maintenance": "Timing/maintenance_sec", "cpumem": "Resources/cpu_mem_gb",
    "gpumem": "Resources/peak_gpu_mem_gb", "reserved": "Resources/peak_gpu_mem_reserved_gb",
    "augment": "Progress/augment",
}
_DURATION = re.compile(r"(\d+)([dhms])")
_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def _duration(tokens: list[str]) -> float:
    """``2d 14h 58m`` / ``1m 01s`` / ``45s`` (dnnlib.util.format_time) -> seconds."""
    return float(sum(int(m.group(1)) * _SECONDS[m.group(2)]
                     for t in tokens for m in [_DURATION.fullmatch(t)] if m))


def _parse_tick(line: str) -> list[tuple[str, float]] | None:
    """The fields of one console tick line, under their stats.jsonl names."""
    tokens = line.split()
    out: list[tuple[str, float]] = []
    i = 0
    while i < len(tokens):
        name = tokens[i]
        if name == "time":
            j = i + 1
            while j < len(tokens) and _DURATION.fullmatch(tokens[j]):
                j += 1
            if j > i + 1:
                out.append((CONSOLE_FIELDS["time"], _duration(tokens[i + 1:j])))
            i = j
            continue
        if i + 1 >= len(tokens):
            break
        try:
            value = float(tokens[i + 1])
        except ValueError:
            i += 1
            continue
        out.append((CONSOLE_FIELDS.get(name, name), value))
        i += 2
    names = [n for n, _ in out]
    return out if "Progress/kimg" in names else None


def read_metric_lines(lines: list[bytes]) -> tuple[pd.DataFrame, list[int]]:
    """Rows (tag, step in kimg, value, wall_time) of StyleGAN metric JSON lines, and the
    1-based numbers of the lines that are metric records without a usable snapshot kimg."""
    tags: list[str] = []
    steps: list[int] = []
    values: list[float] = []
    walls: list[float] = []
    no_step: list[int] = []
    for lineno, raw in enumerate(lines, 1):
        raw = raw.strip()
        if not raw.startswith(b"{") or b'"results"' not in raw:
            continue
        try:
            obj = json.loads(raw)
        except (ValueError, RecursionError):
            continue
        results = obj.get("results") if isinstance(obj, dict) else None
        if not isinstance(results, dict):
            continue
        m = _SNAPSHOT_KIMG.search(str(obj.get("snapshot_pkl", "")))
        if m is None:
            no_step.append(lineno)
            continue
        ts = obj.get("timestamp")
        wall = float(ts) if isinstance(ts, (int, float)) and not isinstance(ts, bool) else math.nan
        for key, value in results.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            tags.append(str(key))
            steps.append(int(m.group(1)))
            values.append(float(value))
            walls.append(wall)
    frame = pd.DataFrame({"tag": tags, "step": np.asarray(steps, dtype=np.int64),
                          "value": np.asarray(values, dtype=np.float64),
                          "wall_time": np.asarray(walls, dtype=np.float64)})
    return frame, no_step


def _lines(path: Path) -> tuple[list[bytes], bytes]:
    """Complete lines of ``path`` and the unterminated tail (b"" when none)."""
    data = read_bytes(path)
    body, _, tail = data.rpartition(b"\n")
    lines = body.split(b"\n") if body or data.startswith(b"\n") else []
    return [ln.rstrip(b"\r") for ln in lines], tail


class StyleganConsoleReader(Reader):
    """A StyleGAN2-ADA / StyleGAN3 console ``log.txt`` read alone (module docstring)."""

    formats: ClassVar[tuple[str, ...]] = ("stylegan_log",)
    kind: ClassVar[str] = "file"

    def guess_can_open(self, path: Path) -> bool:
        """A ``.txt`` file whose first 64 KB hold a tick line or the training loop's
        banners (``Loading training set...``, ``Constructing networks...``)."""
        try:
            path = Path(path)
            if path.suffix.lower() != ".txt" or not path.is_file():
                return False
            head = read_head(path, _HEAD_BYTES)
            if b"\x00" in head:
                return False
            if sum(b in head for b in _BANNERS) >= 2:
                return True
            text = head.decode("utf-8", errors="replace")
            return any(_TICK.fullmatch(line.strip()) for line in text.splitlines())
        except Exception:  # a sniffer never raises
            return False

    def read(self, path: Path, *, run_id: str) -> list[Run]:
        """The ticks (and metric lines) of the console log; no losses are in it."""
        path = Path(path)
        lines, tail = _lines(path)
        warnings: list[str] = []
        if tail.strip():
            msg = (f"the last line has no final newline ({len(tail)} bytes): the file was cut "
                   "while being written; that line was dropped")
            _warnings.warn(TruncatedLogWarning(f"{path}: {msg}"), stacklevel=2)
            warnings.append(msg)
        tags: list[str] = []
        steps: list[int] = []
        values: list[float] = []
        ticks = 0
        for raw in lines:
            line = raw.decode("utf-8", errors="replace").strip()
            if not _TICK.fullmatch(line):
                continue
            fields = _parse_tick(line)
            if fields is None:
                continue
            kimg = dict(fields)["Progress/kimg"]
            if not math.isfinite(kimg):
                continue
            ticks += 1
            for name, value in fields:
                tags.append(name)
                steps.append(int(kimg))
                values.append(value)
        frame = pd.DataFrame({"tag": tags, "step": np.asarray(steps, dtype=np.int64),
                              "value": np.asarray(values, dtype=np.float64)})
        metrics, no_step = read_metric_lines(lines)
        if len(metrics):
            frame = pd.concat([frame, metrics], ignore_index=True)
        notes = [f"format: stylegan_log (the StyleGAN2-ADA / StyleGAN3 console); {ticks} tick "
                 f"line(s) and {len(metrics)} metric value(s)",
                 "step: int(kimg), in kimg (thousands of real images shown); tick fields are "
                 "named as stats.jsonl names them (augment -> Progress/augment)",
                 _NO_LOSSES + ": the console prints none; they are in stats.jsonl "
                 "beside it (read the run directory to get them)"]
        if no_step:
            warnings.append(f"{len(no_step)} metric line(s) without a snapshot kimg skipped")
        if not ticks and not len(metrics):
            notes.append("no tick line yet (training had not reached its first tick)")
        return [Run.from_frame(frame, run_id=run_id, path=path, format="stylegan_log",
                               notes=notes, warnings=warnings, step_unit="kimg")]


def _metric_tag_key(tag: str) -> str:
    """The key under which two files hold the same scalar (``Metrics/fid50k_full`` of an
    event file is the metric file's ``fid50k_full``)."""
    return tag[len("Metrics/"):] if tag.startswith("Metrics/") else tag


class StyleganRunReader(Reader):
    """A StyleGAN2-ADA / StyleGAN3 run directory read whole (module docstring)."""

    formats: ClassVar[tuple[str, ...]] = ("stylegan_run",)
    kind: ClassVar[str] = "dir"

    def guess_can_open(self, path: Path) -> bool:
        """A directory holding ``stats.jsonl`` and at least one of ``metric-*.jsonl``,
        ``log.txt`` or an event file (``stats.jsonl`` alone is read by the file reader)."""
        try:
            path = Path(path)
            if not path.is_dir() or not (path / _STATS).is_file():
                return False
            if not StyleganStatsReader().guess_can_open(path / _STATS):
                return False
            names = [p.name for p in path.iterdir() if p.is_file()]
            return any(n == _CONSOLE or _METRIC.fullmatch(n) or "tfevents" in n for n in names)
        except Exception:  # a sniffer never raises
            return False

    def read(self, path: Path, *, run_id: str) -> list[Run]:
        """One Run from every file of the run directory; each scalar from one source."""
        path = Path(path)
        sources: list[tuple[str, pd.DataFrame]] = []
        notes: list[str] = []
        warnings: list[str] = []

        def take(name: str | None, run: Run) -> None:
            frame = run.scalars[["tag", "step", "value", "wall_time"]].copy()
            frame["tag"] = frame["tag"].astype(str)
            if name is not None:
                frame["source"] = name
            else:  # the event files: their own names, relative to the run directory
                frame["source"] = run.scalars["source"].astype(str).to_numpy()
                name = ", ".join(sorted(set(frame["source"]))) or "event file"
            sources.append((name, frame))
            notes.extend(f"{name}: {n}" for n in run.meta.notes
                         if not n.startswith(_NO_LOSSES))
            warnings.extend(f"{name}: {w}" for w in run.meta.warnings)

        take(_STATS, StyleganStatsReader().read(path / _STATS, run_id=run_id)[0])
        for metric in sorted(p for p in path.iterdir()
                             if p.is_file() and _METRIC.fullmatch(p.name)):
            lines, tail = _lines(metric)
            frame, no_step = read_metric_lines(lines + ([tail] if tail.strip() else []))
            frame["source"] = metric.name
            sources.append((metric.name, frame))
            notes.append(f"{metric.name}: {len(frame)} value(s) of "
                         f"{', '.join(sorted(set(frame['tag']))) or 'no metric'}, step = the "
                         "kimg in the snapshot's name")
            if no_step:
                warnings.append(f"{metric.name}: {len(no_step)} line(s) without a snapshot "
                                "kimg skipped")
        if any("tfevents" in p.name for p in path.iterdir()):
            from .tensorboard import TensorBoardReader

            try:
                take(None, TensorBoardReader().read(path, run_id=run_id)[0])
            except ReadError as exc:
                warnings.append(f"event file not read ({exc}); the other files were")
        if (path / _CONSOLE).is_file():
            take(_CONSOLE, StyleganConsoleReader().read(path / _CONSOLE, run_id=run_id)[0])

        kept: dict[str, str] = {}  # scalar key -> the source it is kept from
        frames: list[pd.DataFrame] = []
        dropped: dict[tuple[str, str], int] = {}  # (source, kept source) -> rows not kept
        for name, frame in sources:
            keys = frame["tag"].map(_metric_tag_key)
            mine = set(keys)
            new = {k for k in mine if k not in kept}
            for k in new:
                kept[k] = name
            keep = keys.isin(new).to_numpy()
            for k in mine - new:
                pair = (name, kept[k])
                dropped[pair] = dropped.get(pair, 0) + int((keys == k).sum())
            frames.append(frame[keep])
        for (name, winner), n in dropped.items():
            notes.append(f"{name}: {n} row(s) of scalars that {winner} also holds were not "
                         f"kept (the same scalar is one series; {winner}'s values kept)")
        frame = pd.concat(frames, ignore_index=True)
        joined = [name for name, _ in sources]
        notes.insert(0, f"StyleGAN run directory: {', '.join(joined)} joined into one run; "
                        "step = kimg")
        return [Run.from_frame(frame, run_id=run_id, path=path, format="stylegan_run",
                               notes=notes, warnings=warnings, step_unit="kimg")]
