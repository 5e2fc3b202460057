"""Following a run's files while they are written: read only what was appended.

One follower per discovered run (:func:`follower_for`), each keeping byte offsets:

TensorBoard (:class:`EventDirFollower`)
    Every event file of the run directory (new files are picked up), each from the end of
    its last complete record: only the appended bytes are read, framed, CRC-checked and
    decoded (:func:`ganlogs.readers.tensorboard.decode_event_chunk`, the reader's own
    decoder). A partial record at the end is read again next time, once complete.
CSV (:class:`~ganlogs.live.tail_csv.CsvFollower`)
    Only the complete lines appended since the last look are parsed, by the reader's own
    cell and layout rules; a partial line waits.
Text logs (:class:`~ganlogs.live.tail_text.TextFollower`)
    Only the complete lines appended are parsed, by the reader's own per-line loop, its
    state (format, sections, CycleGAN step mapping) carried from look to look.
W&B ``.wandb`` (:class:`~ganlogs.live.tail_wandb.WandbFollower`)
    Only the records appended are decoded, from the end of the last complete record.
Every other format (:class:`ReloadFollower`: StyleGAN2-ADA ``stats.jsonl``, MLflow, W&B
history exports)
    The run is read again whole when the size or modification time of one of its files
    changed, no more often than ``reload_factor`` times the last read's duration.

A file that shrinks or whose first bytes change (rewritten, as Lightning's ``CSVLogger``
does when a new key appears) is read again from its start. Nothing is ever written.
"""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from ..errors import ReadError
from ..readers import RunSource, load
from ..run import Run
from .rows import RowStore

__all__ = ["Follower", "EventDirFollower", "ReloadFollower", "follower_for", "Growth"]

#: bytes compared at the start of a followed file to notice it was rewritten
_HEAD_CHECK = 64
#: the most bytes read from one file at once (a backlog is read in pieces of this size)
MAX_READ = 64 << 20
#: seconds between two listings of a run directory for new event files
RELIST_EVERY = 2.0


@dataclass
class Growth:
    """What one look at a run found: per run id, the rows added (``None`` when the run was
    read again whole)."""

    added: dict[str, int | None]

    def __bool__(self) -> bool:
        return bool(self.added)


class Follower:
    """Base class: follows one :class:`~ganlogs.readers.RunSource`.

    :meth:`poll` reads what was appended and returns a :class:`Growth`; :meth:`run` builds
    the current :class:`Run` of a run id; :meth:`store` gives its :class:`RowStore`.
    """

    #: what the follower reads, for the docs and ``--verbose`` output
    mode: str = "incremental"

    def __init__(self, source: RunSource) -> None:
        self.source = source
        self.bytes_read = 0
        self.stores: dict[str, RowStore] = {}
        self.formats: dict[str, str] = {}
        self.warnings: dict[str, list[str]] = {}

    def poll(self) -> Growth:  # pragma: no cover - abstract
        raise NotImplementedError

    def run_ids(self) -> list[str]:
        return list(self.stores)

    def run(self, run_id: str) -> Run:
        store = self.stores[run_id]
        return store.run(run_id=run_id, path=self.source.path,
                         format=self.formats.get(run_id, "unknown"),
                         warnings=self.warnings.get(run_id, ()))


class _FileCursor:
    """Where a followed file was left: ``offset`` (the next byte to parse), the file's first
    bytes (to notice a rewrite) and the size and position of the last read."""

    __slots__ = ("offset", "head", "size", "read_to")

    def __init__(self) -> None:
        self.offset = 0
        self.head = b""
        self.size = -1
        self.read_to = 0

    def new_bytes(self, path: Path) -> tuple[bytes, bool] | None:
        """The bytes from ``offset`` on (at most :data:`MAX_READ`), and whether the file was
        rewritten (then ``offset`` went back to 0). ``None``: nothing new since last look."""
        try:
            size = os.stat(path).st_size
        except OSError:
            return None
        if size == self.size and self.read_to >= size:
            return None
        reset = False
        with open(path, "rb") as fh:
            if size < self.offset or (self.head and fh.read(len(self.head)) != self.head):
                reset = True
                self.offset = 0
            if len(self.head) < _HEAD_CHECK:
                fh.seek(0)
                self.head = fh.read(_HEAD_CHECK)
            fh.seek(self.offset)
            data = fh.read(min(size - self.offset, MAX_READ))
        self.size = size
        self.read_to = self.offset + len(data)
        return (data, reset) if data or reset else None


class EventDirFollower(Follower):
    """A TensorBoard run directory, read by byte offsets (module docstring); the directory
    is listed for new event files every ``relist_every`` seconds."""

    def __init__(self, source: RunSource, *, relist_every: float = RELIST_EVERY) -> None:
        super().__init__(source)
        self.relist_every = relist_every
        self._cursors: dict[str, _FileCursor] = {}
        self._files: list[tuple[str, Path]] | None = None
        self._listed_at = -float("inf")
        rid = source.run_id
        self.stores[rid] = RowStore()
        self.formats[rid] = "tensorboard"

    def poll(self) -> Growth:
        from ..readers.tensorboard import decode_event_chunk, event_files

        rid = self.source.run_id
        store = self.stores[rid]
        added = 0
        reset = False
        now = time.monotonic()
        if self._files is None or now - self._listed_at >= self.relist_every:
            try:
                self._files = event_files(self.source.path)
            except OSError as exc:
                raise ReadError(self.source.path,
                                f"cannot list run directory: {exc.strerror}") from None
            self._listed_at = now
        files = self._files
        for rel, full in files:
            cur = self._cursors.setdefault(rel, _FileCursor())
            rel_dir = os.path.dirname(rel)
            while True:  # a backlog comes in pieces of at most MAX_READ bytes
                got = cur.new_bytes(full)
                if got is None:
                    break
                data, rewritten = got
                reset |= rewritten
                chunk = decode_event_chunk(data, path=full,
                                           prefix=rel_dir + "/" if rel_dir else "")
                self.bytes_read += len(data)
                cur.offset += chunk.consumed
                added += store.append(chunk.tags, chunk.codes, chunk.steps, chunk.values,
                                      chunk.walls)
                if len(data) < MAX_READ or chunk.consumed == 0:
                    break
        if reset:  # a rewritten event file: start the run again from every file's start
            self._cursors.clear()
            self._files = None
            self.stores[rid] = RowStore()
            return self.poll() if files else Growth({rid: None})
        return Growth({rid: added} if added else {})


class ReloadFollower(Follower):
    """Any other format: read again whole when a file changed (module docstring)."""

    mode = "whole run re-read on change"

    def __init__(self, source: RunSource, *, reload_factor: float = 20.0) -> None:
        super().__init__(source)
        self.reload_factor = reload_factor
        self._signature: tuple | None = None
        self._last_cost = 0.0
        self._last_end = -float("inf")

    def _files_signature(self) -> tuple:
        path = self.source.path
        paths = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        sig = []
        for p in paths:
            try:
                st = p.stat()
            except OSError:
                continue
            sig.append((str(p), st.st_size, st.st_mtime_ns))
        return tuple(sig)

    def poll(self) -> Growth:
        now = time.perf_counter()
        if now - self._last_end < self.reload_factor * self._last_cost:
            return Growth({})
        sig = self._files_signature()
        if sig == self._signature:
            return Growth({})
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            runs = load(self.source)
        self._last_end = time.perf_counter()
        self._last_cost = self._last_end - t0
        self._signature = sig
        self.bytes_read += sum(s for _, s, _ in sig)
        return _replace_stores(self, runs)


def _replace_stores(follower: Follower, runs: list[Run]) -> Growth:
    """Replace a follower's stores with freshly read runs; report the ones that grew."""
    added: dict[str, int | None] = {}
    for run in runs:
        rid = run.meta.run_id
        old = follower.stores.get(rid)
        if old is not None and old.points == len(run):
            continue
        store = RowStore()
        store.append_frame(run.scalars)
        follower.stores[rid] = store
        follower.formats[rid] = run.meta.format
        follower.warnings[rid] = list(run.meta.warnings)
        added[rid] = None
    return Growth(added)


def follower_for(source: RunSource) -> Follower:
    """The follower that reads the least for this run's format (module docstring)."""
    from ..readers.csv import CsvReader
    from ..readers.tensorboard import TensorBoardReader
    from ..readers.text import TextLogReader
    from ..readers.wandb import WandbRunReader

    if isinstance(source.reader, TensorBoardReader):
        return EventDirFollower(source)
    if isinstance(source.reader, CsvReader):
        from .tail_csv import CsvFollower

        return CsvFollower(source)
    if isinstance(source.reader, WandbRunReader):
        from .tail_wandb import WandbFollower

        return WandbFollower(source)
    if isinstance(source.reader, TextLogReader):
        from .tail_text import TextFollower

        return TextFollower(source)
    return ReloadFollower(source)
