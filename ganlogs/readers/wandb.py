"""Weights & Biases run directories: the ``run-<id>.wandb`` transaction log.

A W&B run directory (``wandb/offline-run-YYYYMMDD_HHMMSS-<id>/`` or ``wandb/run-.../``) keeps
all of its data in ``run-<id>.wandb``, a LevelDB-log framed stream of serialized
``wandb_internal.Record`` messages (framing in :mod:`._leveldb_log`, byte-level facts in
``docs/wandb.md``). Since wandb 0.30 the Python package ships no reader for it, so
ganlogs decodes the few messages it needs by field number (no ``wandb``/``protobuf``
dependency):

=================== ==========================================================================
Record field        used for
=================== ==========================================================================
2  history          the points: ``HistoryRecord{1 item, 2 step{1 num}}``
5  config           ``meta.hparams`` (``ConfigRecord{1 update, 2 remove}``; ``_wandb`` skipped)
11 telemetry        the client version (``5 cli_version``) when there is no header version
17 run              run id, project, display name (notes); ``4 config`` -> ``meta.hparams``
18 exit             ``exit_code``: a warning when non-zero
21 header           ``version_info.producer`` -> ``meta.writer``
=================== ==========================================================================

How history items become points
-------------------------------
* Tag: ``HistoryItem.key`` (the pure-Python sender, wandb < 0.18) or the ``nested_key`` parts
  (Go ``wandb-core``) joined with ``"."``, the way W&B's UI, API and history exports name a
  nested dict's leaves (``{"loss": {"D": ..}}`` -> ``loss.D``). A nested dict that the Python
  sender stored as one JSON object is flattened the same way. A ``/`` in a key stays as is.
* Step: ``HistoryRecord.step.num`` when the step message is present, else the ``_step`` item,
  else the record's index among history records (noted).
* Wall time: the ``_timestamp`` item (Unix seconds), NaN when absent.
* ``_step``, ``_timestamp``, ``_runtime`` (seconds since the run started; recoverable from
  wall_time) and every ``_wandb...`` item are bookkeeping, not tags.
* Values: the item's ``value_json`` parsed as JSON; when it is absent, the typed value
  (``integer`` zigzag sint64, ``number`` double) written with
  ``x_history_value_encoding="json,typed"``. ``NaN``, ``Infinity``, ``-Infinity`` are kept.
  Everything that is not a number is skipped and counted in a note: text, media (dicts with
  a ``_type``, e.g. ``image-file``), lists, ``null`` and booleans (a flag such as
  ``is_best`` is not a training curve; it would otherwise read as a 0/1 series).

Speed: the framing and checksums of the file's intact prefix are checked with numpy
(:mod:`._leveldb_bulk`); damage, a cut or a zero tail are walked record by record from where
that prefix ends. Files of :data:`FAST_PATH_MIN_RECORDS` records or more are decoded by the
vectorised :mod:`._wandb_fast` (numpy and pyarrow, in chunks of records on up to two
threads; about 3x faster than the reference decoder below, which walks items in Python with
a key cache and a ``float()`` fast path); both give the same rows, and the fast path hands
anything unusual back to the reference decoder.

Truncation and corruption follow the reader contract: a file cut mid-record (a killed job)
yields every complete record and a :class:`~ganlogs.errors.TruncatedLogWarning`; a bad
checksum, record type or header raises :class:`~ganlogs.errors.CorruptLogError` naming the file
and byte offset.
"""

from __future__ import annotations

import os
import warnings as _warnings
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import (DAMAGE_PREFIX, CorruptLogError, DamagedLogWarning, ReadError,
                      TruncatedLogWarning)
from ..run import Run
from ._leveldb_log import HEADER, RECORD_HEADER_SIZE, LogCorruption, scan
from ._protobuf import WireError
from ._wandb_decode import (BOOKKEEPING_KEYS, FileResult, decode_record, item_tag, key_kind,
                            other_field, slow_item)
from .base import Damage, Reader, describe_damage, read_head

__all__ = ["WandbRunReader", "BOOKKEEPING_KEYS", "FAST_PATH_MIN_RECORDS", "FileResult",
           "decode_file"]

_SUFFIX = ".wandb"


def _read_file(path: Path, fast: bool | None = None, threads: int | None = None) -> FileResult:
    """Decode one ``.wandb`` file; raises CorruptLogError / ReadError naming it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReadError(path, f"cannot read file: {exc.strerror or exc}") from None
    return decode_file(data, path, fast=fast, threads=threads)


#: files with at least this many records are decoded by the vectorised path first
FAST_PATH_MIN_RECORDS = 512


def decode_file(data: bytes, path: Path, *, fast: bool | None = None,
                threads: int | None = None) -> FileResult:
    """Decode the bytes of one ``.wandb`` file (``path`` names it in errors) into a
    :class:`FileResult` (history columns, records, damage, truncation, whether the fast path
    decoded it), as the reader does for each file; for tests and tools.

    ``fast``: use the vectorised decoder (:mod:`._wandb_fast`; None: when the file has at
    least :data:`FAST_PATH_MIN_RECORDS` records). It falls back to the reference decoder on
    anything it does not handle, and both give the same rows. ``threads``: as
    :class:`WandbRunReader`'s.
    """
    try:
        found = scan(data, resync=True)
    except LogCorruption as exc:
        if exc.offset == 0 and "header" in exc.reason:
            raise CorruptLogError(path, exc.reason) from None
        raise CorruptLogError(path, f"{exc.reason} at byte offset {exc.offset}") from None
    res = FileResult()
    res.empty = not data
    res.truncated = found.truncated
    res.records = len(found)
    res.damage = found.damage
    if found.damage and not len(found):
        first = found.damage[0]
        raise CorruptLogError(path, f"no intact record: {first.reason} at byte offset "
                                    f"{first.offset}; the file is damaged throughout")
    if fast is None:
        fast = len(found) >= FAST_PATH_MIN_RECORDS
    if fast and len(found):
        from ._wandb_fast import decode_records

        def other(buf: bytes, field: int, a: int, b: int) -> None:
            try:
                other_field(buf, field, a, b, res)
            except (WireError, IndexError, UnicodeError) as exc:
                # the reference decoder skips such a record as damage: let it decode the file
                raise ValueError(f"undecodable record: {exc}") from None

        try:
            done = decode_records(found, res, other, item_tag, key_kind, slow_item,
                                  threads=threads)
        except ValueError:  # an undecodable record: the reference decoder skips it
            done = False
        if done:
            res.fast = True
            return res
    hist = res.hist
    undecodable = []
    for (buf, a, b), offset in zip(found.records, found.offsets):
        try:
            decode_record(buf, a, b, res, hist)
        except (WireError, IndexError, UnicodeError):
            # the checksum matched, so the writer wrote these bytes: a message we cannot
            # parse, skipped as damage (its rows are added only once it has decoded)
            undecodable.append(Damage(offset, b - a + RECORD_HEADER_SIZE, 1,
                                      "valid checksum but not a wandb_internal.Record"))
    if undecodable:
        res.damage = sorted(res.damage + undecodable, key=lambda d: d.offset)
        res.records -= len(undecodable)
        if not res.records:
            raise CorruptLogError(path, f"no intact record: {undecodable[0].reason} at byte "
                                        f"offset {undecodable[0].offset}")
    res.columns = hist.columns()
    return res


def _wandb_files(directory: Path) -> list[Path]:
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return []
    return [Path(e.path) for e in entries
            if e.name.endswith(_SUFFIX) and e.is_file(follow_symlinks=True)]


def _damaged(warns: list[str], path: Path, rel: str, text: str) -> None:
    """Record and warn one damaged file (see :func:`ganlogs.errors.is_damage_warning`)."""
    warns.append(f"{DAMAGE_PREFIX}{rel}: {text}")
    _warnings.warn(DamagedLogWarning(f"{path}: {warns[-1]}"), stacklevel=4)


def _counts(counter: Counter[str], limit: int = 3) -> str:
    shown = ", ".join(f"{k!r}" for k, _ in counter.most_common(limit))
    return shown + (f" and {len(counter) - limit} more" if len(counter) > limit else "")


class WandbRunReader(Reader):
    """Read a W&B run directory (the ``run-<id>.wandb`` file it holds) into one Run.

    The tag, step, wall-time and value conventions are in the module docstring. ``path`` may
    also be a ``.wandb`` file itself. Several ``.wandb`` files in one directory (rare) are read
    in name order into the same run, each row keeping its file as ``source``.
    """

    formats = ("wandb",)
    kind = "dir"

    def __init__(self, *, fast: bool | None = None, threads: int | None = None) -> None:
        """``fast``: True decodes with the vectorised decoder (it still hands files it does
        not handle to the reference decoder), False with the reference decoder only; None
        (default) takes the vectorised one for files of at least
        :data:`FAST_PATH_MIN_RECORDS` records. Both give the same rows. ``threads``: how many
        threads the vectorised decoder uses (None: one per CPU, at most two, and one in a
        process started by :mod:`multiprocessing`, such as a sweep's worker)."""
        self.fast = fast
        self.threads = threads

    def __repr__(self) -> str:
        return f"WandbRunReader(fast={self.fast}, threads={self.threads})"

    def guess_can_open(self, path: Path) -> bool:
        """True for a directory that directly holds a ``*.wandb`` file starting ``:W&B``
        (an empty or unreadable one counts: reading it then reports the problem)."""
        try:
            path = Path(path)
            files = [path] if path.is_file() and path.name.endswith(_SUFFIX) else (
                _wandb_files(path) if path.is_dir() else [])
            for f in files:
                head = read_head(f, 4)
                if head == HEADER[:4] or HEADER.startswith(head):
                    return True
            return False
        except Exception:
            return False

    def read(self, path: Path, *, run_id: str) -> list[Run]:
        path = Path(path)
        if path.is_file():
            files, base = [path], path.parent
        else:
            files, base = _wandb_files(path), path
        if not files:
            raise ReadError(path, "no *.wandb file in this directory (not a W&B run directory)")
        names: list[str] = []  # tag categories over all files
        code_of: dict[str, int] = {}
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        sources: list[str] = []
        hparams: dict[str, Any] = {}
        notes: list[str] = []
        warns: list[str] = []
        writer = None
        skipped: dict[str, Counter[str]] = defaultdict(Counter)
        step_from: Counter[str] = Counter()
        results = []
        failed: list[tuple[str, ReadError]] = []
        for f in files:
            rel = Path(os.path.relpath(f, base)).as_posix()
            try:
                results.append((f, rel, _read_file(f, self.fast, self.threads)))
            except ReadError as exc:
                failed.append((rel, exc))
        if not results:
            raise failed[0][1]  # no file could be read: the run is unreadable
        for rel, exc in failed:  # one bad file never takes the run's good ones with it
            _damaged(warns, path, rel, f"not read ({exc.reason}); the run's other .wandb "
                                       "file(s) were read")
        for f, rel, res in results:
            if res.damage:
                _damaged(warns, path, rel, describe_damage(res.damage, res.records))
            h = res.hist
            file_names, codes, f_steps, f_values, f_walls = res.columns
            remap = np.array([code_of.setdefault(t, len(code_of)) for t in file_names],
                             dtype=np.int64)
            names = list(code_of)
            parts.append((remap[codes] if codes.size else codes, f_steps, f_values, f_walls,
                          np.full(codes.size, len(sources), dtype=np.int64)))
            sources.append(rel)
            hparams.update(res.hparams)
            for kind, c in h.skipped.items():
                skipped[kind].update(c)
            step_from.update(h.step_from)
            version = res.producer or res.cli_version
            if version:
                writer = f"wandb {version.split('+')[0]}"
            info = res.run
            if info:
                desc = f"W&B run {info.get('run_id', '?')}"
                if info.get("display_name"):
                    desc += f" ({info['display_name']!r})"
                if info.get("project"):
                    entity = f"{info['entity']}/" if info.get("entity") else ""
                    desc += f" in project {entity}{info['project']}"
                notes.append(desc + f", read from {rel}")
                if info.get("resumed") or info.get("starting_step"):
                    notes.append(f"{rel}: a resumed run (starting step "
                                 f"{info.get('starting_step', 0)})")
            if res.truncated is not None:
                msg = (f"{rel} is truncated ({res.truncated}; the job was killed or is still "
                       f"running): {res.records} complete record(s) kept")
                warns.append(msg)
                _warnings.warn(f"{f}: {msg}", TruncatedLogWarning, stacklevel=2)
            elif res.empty:
                warns.append(f"{rel} is empty (the run had not written anything yet)")
            elif res.exit_code is None:
                notes.append(f"{rel} has no exit record: the run was still running or was killed")
            if res.exit_code:
                warns.append(f"the run exited with code {res.exit_code} "
                             "(it crashed or was interrupted)")
        notes.append("tags are history keys, nested keys joined with '.'; step = the history "
                     "step (_step), wall_time = _timestamp; _runtime is not a tag")
        if step_from.get("index"):
            notes.append(f"{step_from['index']} history record(s) had no step: their index "
                         "among history records is used")
        if skipped:
            total = sum(sum(c.values()) for c in skipped.values())
            kinds = "; ".join(f"{kind}: {_counts(c)}" for kind, c in sorted(skipped.items()))
            notes.append(f"skipped {total} non-numeric history value(s) ({kinds})")
        codes, steps, values, walls, source_codes = (np.concatenate(c) for c in zip(*parts))
        frame = pd.DataFrame({
            "tag": pd.Categorical.from_codes(codes, categories=names),
            "step": steps,
            "value": values,
            "wall_time": walls,
            "source": pd.Categorical.from_codes(source_codes, categories=sources),
        })
        return [Run.from_frame(frame, run_id=run_id, path=path, format="wandb", writer=writer,
                               hparams=hparams, notes=notes, warnings=warns)]
