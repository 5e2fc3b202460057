"""A cache of parsed runs, so that re-analysing a growing sweep reads only what changed.

Each run found by discovery (a :class:`~ganlogs.readers.RunSource`) is stored as one Parquet
file holding the ``scalars`` of every :class:`~ganlogs.run.Run` its reader returned, their
:class:`~ganlogs.run.RunMeta`, and the warnings the reader raised while reading. An entry is
used only while its **fingerprint** still matches:

* the size and modification time (nanoseconds) of every file of the run: the file itself
  and the reader's side files beside it (Lightning's ``hparams.yaml``) for a file run,
  every file below the directory for a directory run (TensorBoard, W&B, MLflow);
* the ganlogs version, the cache layout version, the reader class and its format ids;
* the size and modification time of the reader's module and of ``ganlogs/run.py``, so a
  changed reader never serves stale points during development.

A run read in less than :data:`CHEAP_READ_SECONDS` is not stored either: its entry would cost
more to write than it saves (see :class:`RunCache`). A run whose files change while it is
read is not stored, nor one with a file modified in the
last :data:`RACY_SECONDS` (as git does for its index: a file rewritten within the same
timestamp tick, with the same size, would otherwise look unchanged); such a run is simply
read again next time, which is what a run still being written needs anyway. Anything that goes wrong with the
cache (unwritable directory, damaged entry, pyarrow missing) turns it off for that run, never
the analysis: the run is simply read again.

Location: ``$GANLOGS_CACHE_DIR``, else ``$XDG_CACHE_HOME/ganlogs``, else
``~/.cache/ganlogs``. Entries are named by a hash of the run's path, run id and reader, so a
sweep keeps one entry per run however often it grows; delete the directory to clear it.

Parquet needs the optional dependency pyarrow (``pip install "ganlogs[parquet]"``); without
it :func:`open_cache` returns ``None`` and nothing is cached.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
import os
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from ._version import __version__
from .errors import UsageError
from .run import Run, RunMeta

__all__ = ["RunCache", "CachedRead", "default_cache_dir", "pyarrow_available", "open_cache",
           "reader_messages"]

#: bump when the layout of an entry changes
CACHE_LAYOUT = 1
#: runs with a file modified less than this many seconds ago are not stored
RACY_SECONDS = 2.0
#: runs read in less than this many seconds (wall time) are not stored: writing a Parquet
#: entry costs about 1.6 ms and reading one back about 1.4 ms for a run of a few thousand
#: points (``bench/tiny_run_costs.py``), so a run this cheap to read gains little or nothing
#: on a warm pass and pays the write on every cold one (a tiny CSV reads in about 1 ms, a
#: TensorBoard run of 80,000 events in about 20 ms, a text log read line by line in about
#: 10 us a line)
CHEAP_READ_SECONDS = 0.005
_META_KEY = b"ganlogs"
_RUN_PY = Path(__file__).with_name("run.py")


def default_cache_dir() -> Path:
    """``$GANLOGS_CACHE_DIR``, else ``$XDG_CACHE_HOME/ganlogs``, else ``~/.cache/ganlogs``."""
    explicit = os.environ.get("GANLOGS_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "ganlogs"


def pyarrow_available() -> bool:
    """Whether the optional dependency pyarrow (needed for the cache) can be imported."""
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        return False
    return True


def open_cache(directory: str | os.PathLike[str] | None = None) -> "RunCache | None":
    """A :class:`RunCache` at ``directory`` (default :func:`default_cache_dir`), or ``None``
    when pyarrow is not installed: the cache is then silently off."""
    if not pyarrow_available():
        return None
    return RunCache(Path(directory) if directory is not None else default_cache_dir())


@dataclass
class CachedRead:
    """The outcome of :meth:`RunCache.read`: the runs, the warnings raised while reading them
    (replayed on a hit), and whether they came from the cache."""

    runs: list[Run]
    warnings: list[str] = field(default_factory=list)
    hit: bool = False


_READERS_DIR = str(Path(__file__).with_name("readers")) + os.sep


def reader_messages(caught: list[warnings.WarningMessage]) -> list[str]:
    """The messages of the warnings a reader raised while loading a run: ganlogs' own
    warnings (TruncatedLogWarning, ...) and any warning issued from ganlogs/readers/.

    ``warnings.catch_warnings`` records every thread's warnings; where several threads run
    (a dask worker), a detector's statsmodels warning in another thread must not become a
    warning of the run being read here.
    """
    from .errors import GanlogsWarning

    return [str(w.message) for w in caught
            if issubclass(w.category, GanlogsWarning)
            or str(w.filename).startswith(_READERS_DIR)]


def _stat_key(path: Path) -> list[int]:
    try:
        st = path.stat()
    except OSError:
        return [-1, -1]
    return [st.st_size, st.st_mtime_ns]


def _files_of(path: Path, reader: Any = None) -> list[list[Any]]:
    """``[relative path, size, mtime_ns]`` for every file of a run, sorted by path: for a
    file run, the file and the reader's side files beside it (Lightning's ``hparams.yaml``:
    :attr:`~ganlogs.readers.base.Reader.side_files`), present or not."""
    if not path.is_dir():
        out = [["."] + _stat_key(path)]
        for pattern in getattr(reader, "side_files", ()):
            matches = sorted(path.parent.glob(pattern)) if any(c in pattern for c in "*?[") \
                else [path.parent / pattern]
            out.extend([f"../{m.name}"] + _stat_key(m) for m in matches if m != path)
        return out
    out: list[list[Any]] = []
    for dirpath, dirnames, filenames in os.walk(path, onerror=None, followlinks=False):
        dirnames.sort()
        base = Path(dirpath)
        for name in filenames:
            full = base / name
            out.append([full.relative_to(path).as_posix()] + _stat_key(full))
    out.sort(key=lambda item: item[0])
    return out


_SOURCE_FILES: dict[type, str] = {}  # (inspect.getsourcefile: ~10 us a call, per run)


def _module_stamp(obj: object) -> list[Any]:
    module_file = _SOURCE_FILES.get(type(obj))
    if module_file is None:
        try:
            module_file = inspect.getsourcefile(type(obj)) or ""
        except TypeError:
            module_file = ""
        _SOURCE_FILES[type(obj)] = module_file
    return [type(obj).__module__, type(obj).__qualname__] + (
        _stat_key(Path(module_file)) if module_file else [-1, -1])


def _json_safe_equal(a: Any, b: Any) -> bool:
    """Equality that treats NaN as equal to NaN (hparams may hold NaN)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_json_safe_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_json_safe_equal(x, y) for x, y in zip(a, b))
    return a == b


class RunCache:
    """Parsed runs stored as Parquet under ``directory`` (see the module docstring).

    Parameters
    ----------
    directory
        Where entries live; created on first write.
    min_read_seconds
        Runs whose read took less wall time than this are not stored (reading them again
        is about as cheap as reading their entry back); default :data:`CHEAP_READ_SECONDS`.
        ``0`` stores every run.
    """

    def __init__(self, directory: str | os.PathLike[str], *,
                 min_read_seconds: float | None = None) -> None:
        self.directory = Path(directory)
        if min_read_seconds is not None and (isinstance(min_read_seconds, bool) or not (
                isinstance(min_read_seconds, (int, float)) and min_read_seconds >= 0)):
            raise UsageError("RunCache: min_read_seconds must be a number >= 0 (seconds); "
                             f"got {min_read_seconds!r}")
        self.min_read_seconds = min_read_seconds

    def __repr__(self) -> str:
        return f"RunCache({str(self.directory)!r})"

    # ------------------------------------------------------------------ keys
    def entry_path(self, source: Any) -> Path:
        """The file that holds ``source``'s entry (a RunSource: path, run_id, reader)."""
        ident = json.dumps([os.path.abspath(source.path), str(source.path), source.run_id,
                            type(source.reader).__module__, type(source.reader).__qualname__])
        return self.directory / (hashlib.sha256(ident.encode()).hexdigest()[:40] + ".parquet")

    @staticmethod
    def fingerprint(source: Any) -> dict[str, Any]:
        """What must be unchanged for an entry of ``source`` to be used."""
        return {
            "layout": CACHE_LAYOUT,
            "ganlogs": __version__,
            "python": list(sys.version_info[:2]),
            "formats": list(source.reader.formats),
            "reader": _module_stamp(source.reader),
            "run_py": _stat_key(_RUN_PY),
            "files": _files_of(Path(source.path), source.reader),
        }

    # ------------------------------------------------------------------ use
    def read(self, source: Any, load: Callable[[Any], list[Run]]) -> CachedRead:
        """The runs of ``source``: from the cache when its entry is fresh, else from
        ``load(source)`` (whose warnings are recorded and whose result is stored).

        Exceptions from ``load`` propagate (failed reads are never cached).
        """
        before = self.fingerprint(source)
        hit = self._get(source, before)
        if hit is not None:
            return hit
        started = time.time_ns()
        clock = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            runs = load(source)
        took = time.perf_counter() - clock
        messages = reader_messages(caught)
        cheap = self.min_read_seconds if self.min_read_seconds is not None \
            else CHEAP_READ_SECONDS
        newest = max((f[2] for f in before["files"]), default=-1)
        settled = newest < started - int(RACY_SECONDS * 1e9)
        if took >= cheap and settled and self.fingerprint(source) == before:
            # (worth an entry, and unchanged while read)
            self._put(source, before, runs, messages)
        return CachedRead(runs=runs, warnings=messages, hit=False)

    def _get(self, source: Any, fingerprint: dict[str, Any]) -> CachedRead | None:
        path = self.entry_path(source)
        if not path.is_file():
            return None
        try:
            import pyarrow.parquet as pq

            pf = pq.ParquetFile(path)
            raw = (pf.schema_arrow.metadata or {}).get(_META_KEY)
            if raw is None:
                return None
            meta = json.loads(raw)
            if meta.get("fingerprint") != json.loads(json.dumps(fingerprint)):
                return None
            table = pf.read()
            return CachedRead(runs=_runs_from_table(table, meta["runs"]),
                              warnings=list(meta["warnings"]), hit=True)
        except Exception:  # a damaged entry is a miss, never an error
            try:
                path.unlink()
            except OSError:
                pass
            return None

    def _put(self, source: Any, fingerprint: dict[str, Any], runs: list[Run],
             messages: list[str]) -> bool:
        try:
            metas = [_meta_to_dict(r.meta) for r in runs]
            doc = {"fingerprint": fingerprint, "runs": metas, "warnings": messages}
            # Store only what comes back identical (hparams of exotic types are not cached).
            if not _json_safe_equal(json.loads(json.dumps(doc)), doc):
                return False
            table = _runs_to_table(runs, metas)
            import pyarrow.parquet as pq

            table = table.replace_schema_metadata({_META_KEY: json.dumps(doc).encode()})
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".parquet")
            os.close(fd)
            try:
                # zstd level 1 without dictionaries or statistics: for 80k rows ~7 ms to
                # write, ~4 ms to read, a tenth of the event file's size
                pq.write_table(table, tmp, compression="zstd", compression_level=1,
                               use_dictionary=False, write_statistics=False)
                os.replace(tmp, self.entry_path(source))
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
            return True
        except Exception:  # the cache is best effort: never fail the analysis
            return False


def _meta_to_dict(meta: RunMeta) -> dict[str, Any]:
    return {"run_id": meta.run_id, "path": meta.path, "format": meta.format,
            "writer": meta.writer, "hparams": dict(meta.hparams), "notes": list(meta.notes),
            "warnings": list(meta.warnings), "step_unit": meta.step_unit}


def _runs_to_table(runs: list[Run], metas: list[dict[str, Any]]):
    import pyarrow as pa

    cols: dict[str, list[np.ndarray]] = {k: [] for k in
                                         ("run", "tag", "step", "value", "wall_time",
                                          "source", "superseded")}
    for i, (run, meta) in enumerate(zip(runs, metas)):
        s = run.scalars
        tag = s["tag"].array if s["tag"].dtype.name == "category" else \
            s["tag"].astype("category").array
        src = s["source"].array if s["source"].dtype.name == "category" else \
            s["source"].astype("category").array
        meta["tag_categories"] = [str(c) for c in tag.categories]
        meta["source_categories"] = [str(c) for c in src.categories]
        meta["columns"] = list(s.columns)
        cols["run"].append(np.full(len(s), i, dtype=np.int32))
        cols["tag"].append(tag.codes.astype(np.int32))
        cols["source"].append(src.codes.astype(np.int32))
        cols["step"].append(s["step"].to_numpy(np.int64))
        cols["value"].append(s["value"].to_numpy(np.float64))
        cols["wall_time"].append(s["wall_time"].to_numpy(np.float64))
        cols["superseded"].append(s["superseded"].to_numpy(bool))
    # (one run, the usual entry: its columns as they are, not concatenated into copies)
    return pa.table({k: (v[0] if len(v) == 1 else np.concatenate(v) if v else np.zeros(0))
                     for k, v in cols.items()})


def _runs_from_table(table, metas: list[dict[str, Any]]) -> list[Run]:
    arrays = {name: table.column(name).to_numpy() for name in table.column_names}
    bounds = np.searchsorted(arrays["run"], np.arange(len(metas) + 1), side="left")
    runs = []
    for i, meta in enumerate(metas):
        lo, hi = int(bounds[i]), int(bounds[i + 1])
        frame = pd.DataFrame({
            "tag": pd.Categorical.from_codes(arrays["tag"][lo:hi],
                                             categories=meta["tag_categories"]),
            "step": arrays["step"][lo:hi].astype(np.int64, copy=False),
            "value": arrays["value"][lo:hi].astype(np.float64, copy=False),
            "wall_time": arrays["wall_time"][lo:hi].astype(np.float64, copy=False),
            "source": pd.Categorical.from_codes(arrays["source"][lo:hi],
                                                categories=meta["source_categories"]),
            "superseded": arrays["superseded"][lo:hi].astype(bool, copy=False),
        })
        if list(frame.columns) != meta["columns"]:
            frame = frame[meta["columns"]]
        runs.append(Run(frame, RunMeta(
            run_id=meta["run_id"], path=meta["path"], format=meta["format"],
            writer=meta["writer"], hparams=meta["hparams"], notes=tuple(meta["notes"]),
            warnings=tuple(meta["warnings"]), step_unit=meta.get("step_unit", "step"))))
    return runs
