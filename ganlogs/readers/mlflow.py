"""MLflow file-store runs (``mlruns/<experiment id>/<run id>/``) -> :class:`~ganlogs.run.Run`.

Layout (mlflow ``store/tracking/file_store.py``; ``docs/formats.md``, "MLflow file store")::

    <run id>/meta.yaml               run_name, status, lifecycle_stage, start/end time...
    <run id>/metrics/<metric name>   one line per logged value
    <run id>/params/<param name>     the value as a string
    <run id>/tags/mlflow.runName     the run name
    <run id>/artifacts/              not read

* A run is a directory holding ``meta.yaml`` and a ``metrics/`` directory (the experiment
  directory above it has ``meta.yaml`` but no ``metrics/``). A ``meta.yaml`` naming a
  ``model_id`` and no ``run_id`` is taken for an MLflow 3 logged model (``<exp>/models/<id>/``,
  same layout; not verified on a real store) and is not claimed.
* Each metric file holds lines ``<timestamp ms> <value> <step>``; 5 fields when a dataset is
  attached (``... <dataset name> <dataset digest>``); 2-field legacy lines mean step 0.
  ``/`` in a metric name creates sub-directories, so **the tag is the file's path relative to
  ``metrics/``** (posix), e.g. ``loss/D nested``. NaN is written ``nan`` and kept.
  wall_time = timestamp / 1000 (Unix seconds). Duplicate and out-of-order steps are appended
  by MLflow as logged; every line is kept and :meth:`Run.from_frame` flags them.
* Files are read in sorted relative-path order, lines in file order; ``source`` is
  ``metrics/<name>``.
* ``params/*`` fill ``meta.hparams`` (string values, as MLflow stores them); the run name
  (``tags/mlflow.runName``, else ``run_name`` in ``meta.yaml``), the status and the source
  script go to the notes; a run marked deleted, failed or killed gets a warning.
* ``meta.yaml`` is read line by line for its top-level ``key: value`` pairs (no YAML
  dependency).

Damage: a metric file whose last line has no final newline loses that line, with a
:class:`~ganlogs.errors.TruncatedLogWarning`; a malformed complete line raises
:class:`~ganlogs.errors.CorruptLogError` naming the file and line. One metric file that
cannot be read does not take the others with it: the run is read without that tag and is
reported damaged (a ``damaged: metrics/<tag>: ...`` warning).
"""

from __future__ import annotations

import math
import os
import re
import warnings as _warnings
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from ..errors import DAMAGE_PREFIX, CorruptLogError, DamagedLogWarning, ReadError
from ..run import Run
from ._textio import complete_lines, read_bytes, warn_truncated
from .base import Reader

__all__ = ["MlflowRunReader"]

#: RunStatus values written in meta.yaml (mlflow.entities.RunStatus)
_STATUS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}


class MlflowRunReader(Reader):
    """Read one MLflow file-store run directory (see the module docstring)."""

    formats: ClassVar[tuple[str, ...]] = ("mlflow",)
    kind: ClassVar[str] = "dir"

    def guess_can_open(self, path: Path) -> bool:
        """A directory holding ``meta.yaml`` and a ``metrics/`` directory. Never raises."""
        try:
            path = Path(path)
            if not ((path / "meta.yaml").is_file() and (path / "metrics").is_dir()):
                return False
            meta = _read_meta(path / "meta.yaml")
            # MLflow 3 logged models (<exp>/models/<model id>/) have the same layout [guess]
            return not ("model_id" in meta and "run_id" not in meta and "run_uuid" not in meta)
        except Exception:  # a sniffer never raises
            return False

    def read(self, path: Path, *, run_id: str) -> list[Run]:
        """Read the run directory ``path`` into one Run."""
        path = Path(path)
        metrics_dir = path / "metrics"
        if not metrics_dir.is_dir():
            raise ReadError(path, "not an MLflow run directory: no metrics/ directory")
        notes: list[str] = []
        warnings: list[str] = []
        meta = _read_meta(path / "meta.yaml")
        frames = []
        failed: list[tuple[str, ReadError]] = []
        for rel in _files(metrics_dir):
            try:
                frame, warning = _read_metric(metrics_dir / rel, rel)
            except ReadError as exc:
                failed.append((rel, exc))
                continue
            frames.append(frame)
            if warning:
                warnings.append(f"metrics/{rel}: {warning}")
        if failed and not frames:
            raise failed[0][1]  # no metric file could be read: the run is unreadable
        for rel, exc in failed:  # one bad metric file never takes the others with it
            warnings.append(f"{DAMAGE_PREFIX}metrics/{rel}: not read ({exc.reason}); the "
                            "run's other metric files were read")
            _warnings.warn(DamagedLogWarning(f"{path}: {warnings[-1]}"), stacklevel=2)
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
            {"tag": [], "step": np.zeros(0, np.int64), "value": [], "wall_time": [],
             "source": []})
        run_name = _read_small(path / "tags" / "mlflow.runName") or meta.get("run_name")
        notes.append(f"MLflow file store: {len(frames)} metric file(s); tag = path under "
                     "metrics/; step = the logged step; wall_time = timestamp / 1000 (Unix s)")
        if run_name:
            notes.append(f"MLflow run name: {run_name!r}")
        source = _read_small(path / "tags" / "mlflow.source.name")
        if source:
            notes.append(f"logged by: {source}")
        status = meta.get("status")
        if status is not None:
            name = _STATUS.get(int(status), str(status)) if status.isdigit() else status
            notes.append(f"run status: {name}")
            if name in ("FAILED", "KILLED"):
                warnings.append(f"MLflow marks the run {name}")
        if meta.get("lifecycle_stage") == "deleted":
            warnings.append("MLflow marks the run deleted (lifecycle_stage: deleted)")
        if not frames:
            warnings.append("no metric has been logged (metrics/ is empty)")
        return [Run.from_frame(frame, run_id=run_id, path=path, format="mlflow",
                               hparams=_read_params(path / "params"), notes=notes,
                               warnings=warnings)]


def _files(root: Path) -> list[str]:
    """Files under ``root``, as sorted posix paths relative to it."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel_dir = Path(dirpath).relative_to(root)
        out += [(rel_dir / f).as_posix() for f in filenames]
    return sorted(out)


def _read_metric(file: Path, tag: str) -> tuple[pd.DataFrame, str | None]:
    """One metric file -> rows; also the truncation warning, if any."""
    body, tail = complete_lines(read_bytes(file))
    warning = warn_truncated(file, tail)
    ts: list[float] = []
    values: list[float] = []
    steps: list[int] = []
    for lineno, raw in enumerate(body.decode("utf-8", errors="replace").split("\n")[:-1], 1):
        fields = raw.strip().split(" ")
        if fields == [""]:
            continue
        try:
            if len(fields) < 2:
                raise ValueError("fewer than 2 fields")
            stamp = float(fields[0])
            value = float(fields[1])
            step = int(fields[2]) if len(fields) > 2 else 0
            if not -(2 ** 63) <= step < 2 ** 63:
                raise ValueError("step beyond int64")
        except ValueError:
            raise CorruptLogError(file, f"line {lineno} is not '<timestamp ms> <value> <step>': "
                                        f"{raw[:80]!r}") from None
        ts.append(stamp / 1000.0 if math.isfinite(stamp) else math.nan)
        values.append(value)
        steps.append(step)
    n = len(values)
    return pd.DataFrame({"tag": [tag] * n, "step": np.asarray(steps, dtype=np.int64),
                         "value": np.asarray(values, dtype=np.float64),
                         "wall_time": np.asarray(ts, dtype=np.float64),
                         "source": [f"metrics/{tag}"] * n}), warning


def _read_small(file: Path) -> str | None:
    try:
        return file.read_text(encoding="utf-8", errors="replace").strip() or None
    except OSError:
        return None


def _read_params(root: Path) -> dict[str, str]:
    if not root.is_dir():
        return {}
    return {rel: _read_small(root / rel) or "" for rel in _files(root)}


def _read_meta(file: Path) -> dict[str, str]:
    """Top-level ``key: value`` lines of meta.yaml (quotes stripped)."""
    out: dict[str, str] = {}
    text = _read_small(file) or ""
    for line in text.splitlines():
        m = re.fullmatch(r"([A-Za-z_]\w*):\s*(.*?)\s*", line)
        if m:
            out[m.group(1)] = m.group(2).strip("'\"")
    return out
