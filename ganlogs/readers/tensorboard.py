"""TensorBoard event files (``*tfevents*``) -> :class:`~ganlogs.run.Run`.

Byte-level facts: ``docs/formats.md``, "TensorBoard event files"; the framing lives in
:mod:`._tfrecord`, the Event decoding in :mod:`._tb_decode`.

What is a run
    A directory that directly holds a file whose basename contains ``tfevents``
    (TensorBoard's own test, ``io_wrapper.IsSummaryEventsFile``; CatBoost writes exactly
    ``events.out.tfevents``). Two layouts whose top directory holds no event file are
    claimed too, because one training job writes them and TensorBoard would show two runs:
    Keras' ``train/`` (+ ``validation/``) and CatBoost's ``learn/`` (+ ``test/``), when no
    other sub-directory directly holds an event file (so a sweep with a run named ``test``
    is not taken for one run).

Which files
    Every ``*tfevents*`` file in the run directory and in all its sub-directories, recursively:
    torch ``add_scalars`` sub-directories (``loss_D/``), tensorboardX nested ones
    (``loss/D/``), ``add_hparams`` timestamp sub-directories and Keras ``train/``/``validation/``
    fold into the run. A sub-directory's tags are reported as ``<relative dir, posix>/<tag>``;
    the top directory's tags have no prefix.

Read order
    Directory by directory, top-down: a directory's own files first, in name order (the order
    TensorBoard's data server uses within one run, ``run.rs``), then its sub-directories in
    name order (``os.walk`` order, sorted). Sub-directories hold different series (their tags
    carry the prefix), so their order changes only the row order, never which rows the restart
    policy supersedes; reading the top directory first lists the run's own tags first.

What is a scalar
    ``simple_value``; or a ``tensor`` holding exactly one element (shape ``[]``, ``[1]``...)
    of dtype DT_FLOAT, DT_DOUBLE, DT_HALF, DT_BFLOAT16, DT_INT32 or DT_INT64, stored in
    ``tensor_content`` (little-endian raw bytes) or in ``float_val``/``double_val``/
    ``int_val``/``int64_val``/``half_val`` (packed or not), whose metadata names the
    ``scalars`` plugin or no plugin at all. Images, histograms, audio, text, graphs, PR curves
    and hparams blobs are skipped. The hparams plugin's ``session_start_info`` hparams go to
    ``meta.hparams``.

Restarts
    Every row is kept; :meth:`Run.from_frame` flags superseded rows with TensorBoard's data
    server policy (per series, a newer record at step ``s`` supersedes older ones at steps
    ``>= s``). ``SessionLog START`` and a purge (a second ``file_version`` at a step > 0, as
    torch's ``purge_step`` writes) add a warning but no extra purging; so do several event files
    in one directory whose steps overlap.

Metadata
    ``meta.writer`` is ``source_metadata.writer`` (torch, TF >= 2.4). tensorboardX and old TF
    write none; their file names (``events.out.tfevents.<ts>.<host>``) are the same, so the
    name is not used as a hint: the writer stays None and a note says why. A note also says
    when the wall times look relative (all below 1e8 s: StyleGAN2-ADA writes seconds since
    start) and when a file has no ``file_version`` record (CatBoost).

Damaged and empty files
    A file that ends mid-record keeps every complete record before it, warns with
    :class:`~ganlogs.errors.TruncatedLogWarning` and says so in ``meta.warnings``; a length
    whose CRC is valid but which claims more bytes than remain is that case (nothing is
    allocated for it). A bad length or data CRC, garbage bytes, or a record whose CRCs are
    fine but whose bytes are not an Event raise :class:`~ganlogs.errors.CorruptLogError` (one
    line: file, record number, byte offset; the first bad CRC in the file wins). An empty (0-byte) event file contributes no points and no warning: TensorBoard
    writers create the file before the first flush. A run whose files hold no scalar at all
    is returned with no points and a warning (a job that has just started is not an error).

Speed
    Records are decoded by a generic per-record decoder (the reference, ``fast=False``) and,
    for records that share one layout (same tag, same encoding, same step width: what every
    ``add_scalar`` loop writes), by a vectorised decoder (:mod:`._tb_fast`) that checks the
    CRCs and reads the wall time, step and value of thousands of records at fixed offsets with
    numpy, leaving everything else to the generic decoder. Both give identical rows and errors
    (tested on every fixture and on generated files). ``bench/read_speed.py`` measures it.
"""

from __future__ import annotations

import os
import struct
import warnings as _warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..errors import (DAMAGE_PREFIX, CorruptLogError, DamagedLogWarning, ReadError,
                      TruncatedLogWarning)
from ..run import Run
from . import _tfrecord
from ._protobuf import WireError
from ._tb_decode import NOT_AN_EVENT, FileData, Rows, decode_event
from .base import Damage, Reader, describe_damage

__all__ = ["TensorBoardReader", "is_event_file", "event_files", "EventChunk", "decode_event_chunk",
           "FileData", "decode_event_file"]

#: sub-directories that make their parent one run although it holds no event file:
#: (the one that must be there, the ones that may be there)
_SPLIT_LAYOUTS = (("train", frozenset({"train", "validation"})),  # Keras TensorBoard callback
                  ("learn", frozenset({"learn", "test"})))  # CatBoost

#: a wall_time below this (about 1973) is not Unix time: seconds since start (StyleGAN2-ADA)
_RELATIVE_WALL_TIME = 1e8


def is_event_file(name: str) -> bool:
    """TensorBoard's test for an event file: ``tfevents`` anywhere in the basename."""
    return "tfevents" in os.path.basename(name)


# ============================================================================ one file

def _read_file(path: Path, rel: str, prefix: str, *, fast: bool) -> FileData:
    """Read one event file. A file that cannot be read at all comes back with ``error`` set
    (the run keeps its other files); damage is in ``damage``."""
    info = FileData(rel=rel, prefix=prefix)
    try:
        if fast:
            from ._tb_fast import read_path
            read_path(path, info)
        else:
            with open(path, "rb") as fh:
                _read_buffer_generic(fh.read(), info)
    except OSError as exc:
        info = FileData(rel=rel, prefix=prefix)
        info.error = f"cannot read event file: {exc.strerror or exc}"
        return info
    if info.damage and not info.records:
        first = info.damage[0]
        what = f"bad CRC ({first.reason})" if first.reason.endswith("CRC") else first.reason
        error = (f"no intact record: {what} at byte offset {first.offset}; the file is "
                 "corrupt (not a TFRecord file, or damaged throughout)")
        info = FileData(rel=rel, prefix=prefix)
        info.error = error
    return info


def decode_event_file(buf: Any, *, prefix: str = "", fast: bool = True) -> FileData:
    """Frame, check and decode the bytes of a whole event file (bytes, memoryview or mmap)
    into a :class:`FileData`: the rows (``tags``, int32 ``codes`` into them, int64 ``steps``,
    float64 ``values``, float64 ``walls`` in seconds), record count, writer, session starts,
    purges, hparams, ``truncated_at``/``zero_tail`` and skipped ``damage``, as the reader
    sees one file. Tag names get ``prefix`` in front.

    ``fast``: the vectorised decoder (:class:`TensorBoardReader`'s default); False: the
    reference per-record decoder. Both give identical results; for tests and tools that
    compare them. Damage never raises here: it is skipped and listed.
    """
    info = FileData(rel="", prefix=prefix)
    if fast:
        from ._tb_fast import read_buffer
        read_buffer(buf, info)
    else:
        _read_buffer_generic(buf, info)
    return info


def _read_buffer_generic(buf: bytes, info: FileData) -> None:
    """Frame, check and decode every record with the reference (per-record) decoder,
    skipping damaged spans (see :mod:`._tfrecord`) and records that are not Events."""
    scan = _tfrecord.scan_records(buf, resync=True)
    _decode_records(buf, scan.starts.tolist(), scan.lengths.tolist(), info)
    info.truncated_at = scan.truncated_at
    info.zero_tail = scan.zero_tail
    info.damage = _tfrecord.merge_damage(list(scan.damage) + info.damage)


def _decode_records(buf: memoryview, starts: list[int], lengths: list[int],
                    info: FileData) -> None:
    """Decode records with the generic decoder into ``info`` (columns replaced). A record
    that is not an Event is undone and recorded in ``info.damage``."""
    rows = Rows()
    bad = 0
    for s, n in zip(starts, lengths):
        mark = rows.mark()
        snap = info.snapshot()
        try:
            decode_event(buf, s, s + n, rows, info)
        except (WireError, struct.error, UnicodeError):
            rows.truncate(mark)
            info.restore(snap)
            head = s - _tfrecord.HEADER_SIZE
            info.damage.append(Damage(head, n + _tfrecord.HEADER_SIZE + _tfrecord.FOOTER_SIZE,
                                      1, NOT_AN_EVENT))
            bad += 1
    info.records += len(starts) - bad
    info.tags = rows.tags
    info.codes = np.asarray(rows.codes, dtype=np.int32)
    info.steps = np.asarray(rows.steps, dtype=np.int64)
    info.values = np.asarray(rows.values, dtype=np.float64)
    info.walls = np.asarray(rows.walls, dtype=np.float64)


# ============================================================================ the reader

def _has_event_file(directory: Path) -> bool:
    with os.scandir(directory) as it:
        for entry in it:
            if is_event_file(entry.name) and entry.is_file():
                return True
    return False


def _split_layout(path: Path) -> bool:
    """Keras' ``train/`` (+ ``validation/``) or CatBoost's ``learn/`` (+ ``test/``): the
    first sub-directory holds an event file and no other sub-directory does."""
    for must, allowed in _SPLIT_LAYOUTS:
        if not ((path / must).is_dir() and _has_event_file(path / must)):
            continue
        with os.scandir(path) as it:
            others = [e.name for e in it if e.name not in allowed and e.is_dir()]
        return not any(_has_event_file(path / name) for name in others)
    return False


def event_files(run_dir: Path) -> list[tuple[str, Path]]:
    """Every event file under ``run_dir`` in read order (see the module docstring), as
    ``(relative posix path, path)``. Symbolic links to directories are not followed."""
    out: list[tuple[str, Path]] = []
    for dirpath, dirnames, filenames in os.walk(run_dir):
        dirnames.sort()
        rel_dir = os.path.relpath(dirpath, run_dir)
        for name in sorted(filenames):
            if not is_event_file(name):
                continue
            full = Path(dirpath) / name
            if not full.is_file():
                continue
            rel = name if rel_dir == "." else Path(rel_dir, name).as_posix()
            out.append((rel, full))
    return out


class TensorBoardReader(Reader):
    """Reads a TensorBoard run directory (see the module docstring for every rule).

    Parameters
    ----------
    fast
        Use the vectorised decoder for runs of same-layout records (default). ``False``
        decodes every record with the reference decoder; both give the same rows.
    """

    formats: ClassVar[tuple[str, ...]] = ("tensorboard",)
    kind: ClassVar[str] = "dir"

    def __init__(self, *, fast: bool = True) -> None:
        self.fast = fast

    def __repr__(self) -> str:
        return f"TensorBoardReader(fast={self.fast})"

    def guess_can_open(self, path: Path) -> bool:
        try:
            path = Path(path)
            if not path.is_dir():
                return False
            if _has_event_file(path):
                return True
            return _split_layout(path)
        except Exception:
            return False

    def read(self, path: Path, *, run_id: str) -> list[Run]:
        path = Path(path)
        try:
            files = event_files(path)
        except OSError as exc:
            raise ReadError(path, f"cannot list run directory: {exc.strerror or exc}") from None
        if not files:
            raise ReadError(path, "no TensorBoard event file ('tfevents' in the name) "
                                  "in this directory or below")
        parts: list[FileData] = []
        failed: list[FileData] = []
        for rel, full in files:
            rel_dir = os.path.dirname(rel)
            info = _read_file(full, rel, rel_dir + "/" if rel_dir else "", fast=self.fast)
            (failed if info.error else parts).append(info)
        if not parts:
            # no file could be read: the run is unreadable (named by its first file)
            first = failed[0]
            full = Path(path, first.rel)
            cls = ReadError if first.error.startswith("cannot read") else CorruptLogError
            more = f" (and {len(failed) - 1} more event file(s) unreadable)" if len(failed) > 1 \
                else ""
            raise cls(full, first.error + more)
        return [_build_run(path, run_id, parts, failed)]


# ============================================================================ assembling

def _build_run(path: Path, run_id: str, parts: list[FileData],
               failed: list[FileData] = ()) -> Run:
    notes: list[str] = []
    warns: list[str] = []

    # tags across files -> one categorical; a single file's arrays are used without copies
    all_tags: dict[str, int] = {}
    code_maps = []
    for p in parts:
        m = np.empty(len(p.tags), dtype=np.int32)
        for i, t in enumerate(p.tags):
            m[i] = all_tags.setdefault(t, len(all_tags))  # tags carry their prefix
        code_maps.append(m)
    # the categories sorted, as Run.from_frame keeps them, and the codes in the smallest
    # dtype pandas would coerce them to: one lookup per row here, none there
    names = sorted(all_tags)
    code_dtype = np.int8 if len(names) < 128 else np.int16 if len(names) < 2 ** 15 else np.int32
    rank = np.empty(len(names), dtype=code_dtype)
    rank[[all_tags[t] for t in names]] = np.arange(len(names), dtype=code_dtype)
    code_maps = [rank[m] for m in code_maps]
    filled = [i for i, p in enumerate(parts) if len(p.steps)]
    n = sum(len(parts[i].steps) for i in filled)
    src_dtype = np.int8 if len(parts) < 128 else np.int32
    if len(filled) == 1:
        (i,) = filled
        p = parts[i]
        codes = code_maps[i][p.codes]
        src_codes = np.full(n, i, dtype=src_dtype)
        steps, values, walls = p.steps, p.values, p.walls
    else:
        codes = np.empty(n, dtype=code_dtype)
        src_codes = np.empty(n, dtype=src_dtype)
        steps = np.empty(n, dtype=np.int64)
        values = np.empty(n, dtype=np.float64)
        walls = np.empty(n, dtype=np.float64)
        pos = 0
        for i in filled:
            p, m = parts[i], code_maps[i]
            k = len(p.steps)
            codes[pos:pos + k] = m[p.codes]
            src_codes[pos:pos + k] = i
            steps[pos:pos + k] = p.steps
            values[pos:pos + k] = p.values
            walls[pos:pos + k] = p.walls
            pos += k
    overlaps = _overlap_warnings(parts)
    for p in parts:  # the rows now live in the frame's columns only
        p.codes = p.steps = p.values = p.walls = None
    frame = pd.DataFrame({
        "tag": pd.Categorical.from_codes(codes, categories=pd.Index(names, dtype=object),
                                         validate=False),  # (codes from rank: all valid)
        "step": steps,
        "value": values,
        "wall_time": walls,
        "source": pd.Categorical.from_codes(src_codes, categories=pd.Index(
            [p.rel for p in parts], dtype=object)),
    }, copy=False)
    del codes, src_codes, steps, values, walls

    # what the files say about the writer
    writers = [p.writer for p in parts if p.writer]
    writer = writers[0] if writers else None
    if len(set(writers)) > 1:
        notes.append("event files name several writers: " + ", ".join(sorted(set(writers))))
    if writer is None:
        if any(p.file_version is None and p.records for p in parts):
            notes.append("no file_version record in some event files (CatBoost's writer "
                          "omits it)")
        if any(p.file_version is not None for p in parts):
            notes.append("no source_metadata.writer in the event files (tensorboardX and "
                         "TensorFlow before 2.4 do not write one); writer unknown")
    hparams: dict[str, Any] = {}
    for p in parts:
        hparams.update(p.hparams)
    if hparams:
        notes.append(f"hparams from the hparams plugin: {len(hparams)} value(s)")

    wall = frame["wall_time"].to_numpy()
    finite = np.isfinite(wall)
    if finite.any():
        latest = float(wall.max(where=finite, initial=-np.inf))
        if latest < _RELATIVE_WALL_TIME:
            notes.append(f"wall_time looks relative (at most {latest:.6g} s), i.e. seconds "
                         "since the start of training (as StyleGAN2-ADA writes), not Unix time")

    # truncation
    for p in parts:
        if p.truncated_at is not None:
            if p.zero_tail:
                msg = (f"{p.rel}: the file ends with {p.zero_tail} zero byte(s) from byte "
                       f"offset {p.truncated_at} (space a crashed writer had not filled); kept "
                       f"the {p.records} complete record(s) before them")
            else:
                msg = (f"{p.rel}: the file ends in the middle of a record at byte offset "
                       f"{p.truncated_at}; kept the {p.records} complete record(s) before it "
                       "(a job still writing, or one that crashed)")
            warns.append(msg)
            _warnings.warn(TruncatedLogWarning(f"{Path(path, p.rel)}: " + msg.split(": ", 1)[1]),
                           stacklevel=4)
    # damage: records skipped inside a file, or a whole file that could not be read
    for p in parts:
        if p.damage:
            _damaged(warns, path, p.rel, describe_damage(p.damage, p.records))
    for p in failed:
        _damaged(warns, path, p.rel, f"not read ({p.error}); the run's other event files "
                                     "were read")

    # restarts
    for p in parts:
        starts = [s for s in p.session_starts if s > 0] if p.file_version else p.session_starts
        if p.session_starts:
            warns.append(
                f"restart: {p.rel} holds SessionLog START at step(s) "
                f"{_steps_text(p.session_starts)}; ganlogs keeps TensorBoard's policy (a newer "
                "record at step s supersedes older ones at steps >= s, per series)"
                if starts or p.purge_steps else
                f"restart: {p.rel} holds SessionLog START at step 0 (a session start; "
                "nothing to purge)")
        elif p.purge_steps:
            warns.append(f"restart: {p.rel} was opened with purge_step "
                         f"{_steps_text(p.purge_steps)}")
    warns.extend(overlaps)

    if n == 0:
        warns.append(f"no scalar events in {len(parts)} event file(s) "
                     f"({sum(p.records for p in parts)} record(s) read)")
    return Run.from_frame(frame, run_id=run_id, path=path, format="tensorboard",
                          writer=writer, hparams=hparams, notes=notes, warnings=warns)


def _damaged(warns: list[str], path: Path, rel: str, text: str) -> None:
    """Record and warn one damaged file (see :func:`ganlogs.errors.is_damage_warning`)."""
    warns.append(f"{DAMAGE_PREFIX}{rel}: {text}")
    _warnings.warn(DamagedLogWarning(f"{path}: {warns[-1]}"), stacklevel=5)


def _steps_text(steps: list[int]) -> str:
    shown = ", ".join(str(s) for s in steps[:5])
    return shown + (f" and {len(steps) - 5} more" if len(steps) > 5 else "")


def _overlap_warnings(parts: list[FileData]) -> list[str]:
    """Several files in one directory whose step ranges overlap for a shared tag."""
    by_dir: dict[str, list[FileData]] = {}
    for p in parts:
        by_dir.setdefault(p.prefix, []).append(p)
    out = []
    for prefix, group in by_dir.items():
        if len(group) < 2:
            continue
        seen: dict[str, int] = {}  # tag -> max step so far
        overlaps: list[str] = []
        for p in group:
            if not len(p.steps):
                continue
            codes = p.codes
            for c, tag in enumerate(p.tags):
                sel = p.steps[codes == c]
                if not len(sel):
                    continue
                if tag in seen and sel.min() <= seen[tag]:
                    overlaps.append(p.rel)
                seen[tag] = max(seen.get(tag, sel.max()), int(sel.max()))
        if overlaps:
            files = sorted(set(overlaps))
            out.append(f"restart: {len(group)} event files in {prefix or 'the run directory'} "
                       f"and the steps of {', '.join(files)} overlap earlier files' "
                       "(older points at the same or later steps are superseded)")
    return out


# ============================================================================ followers

@dataclass(frozen=True)
class EventChunk:
    """The scalars of the complete records in a byte range of one event file.

    ``tags`` are the tag names (``prefix`` included) that ``codes`` index; ``steps``,
    ``values`` and ``walls`` are the rows, in record order (int64, float64, float64 seconds).
    ``consumed`` is the number of bytes up to the end of the last complete record: the next
    range starts there. A partial record at the end is left for the next call.
    """

    tags: list[str]
    codes: np.ndarray
    steps: np.ndarray
    values: np.ndarray
    walls: np.ndarray
    records: int
    consumed: int


def decode_event_chunk(buf: bytes, *, path: Path, prefix: str = "") -> EventChunk:
    """Frame, check and decode the records of ``buf``, bytes of the event file ``path`` that
    start on a record boundary (the start of the file, or a previous chunk's end).

    The public hook of followers that read only the bytes appended since their last look
    (``ganlogs watch``). Same decoder and checks as :class:`TensorBoardReader`; a bad CRC or
    an undecodable record raises :class:`~ganlogs.errors.CorruptLogError` naming ``path``
    (offsets in the message are relative to ``buf``).
    """
    info = FileData(rel=str(path), prefix=prefix)
    if buf:
        try:
            from ._tb_fast import read_buffer
            read_buffer(buf, info)
        except _tfrecord.RecordError as exc:
            raise CorruptLogError(path, str(exc)) from None
        except EventError as exc:
            raise CorruptLogError(path, str(exc)) from None
    consumed = len(buf) if info.truncated_at is None else info.truncated_at
    return EventChunk(tags=list(info.tags), codes=np.asarray(info.codes, dtype=np.int32),
                      steps=info.steps, values=info.values, walls=info.walls,
                      records=info.records, consumed=consumed)
