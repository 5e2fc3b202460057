"""The reader contract (conventions for writing a reader and its tests: docs/DEVELOPING.md).

A reader turns one file or one run directory into :class:`~ganlogs.run.Run` objects.

* ``kind`` is ``"dir"`` (the run is a directory: TensorBoard, W&B, MLflow) or ``"file"``.
* ``guess_can_open(path)`` is cheap (a directory listing, or the first few KB of a file),
  looks at content before names where it can, and **never raises**: it returns False on any
  error. Returning True means "this looks like my format": a later failure in ``read`` is
  then reported to the user as an unreadable log, not skipped.
* ``side_files`` (file readers): glob patterns of files beside the file that ``read`` may
  also read (Lightning's ``hparams.yaml``). They join the run: discovery does not list them,
  and the cache of parsed runs is keyed on them too, so editing one reads the run again.
* ``read(path, run_id=...)`` returns one Run, or several when one file holds several runs
  (their ids get ``#<name>`` appended). It raises only :class:`~ganlogs.errors.ReadError`
  subclasses, whose message names the file and the problem in one line, and it warns with
  :class:`~ganlogs.errors.TruncatedLogWarning` when a file ends mid-record.
* A damaged file (records that fail their checksum, with more data after them) is read up to
  the damage and, where the framing allows, past it: every record that passes its checksums
  is kept. Each damaged span is a :class:`Damage`; the run's ``warnings`` get one sentence per
  damaged file starting with :data:`~ganlogs.errors.DAMAGE_PREFIX`, and the reader warns with
  :class:`~ganlogs.errors.DamagedLogWarning`. A file of a directory run that cannot be read at
  all is damage of that run when other files of the run can be read: one bad file never
  takes a good file of the same run with it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from ..run import Run

__all__ = ["Reader", "Damage", "read_head", "describe_damage"]


@dataclass(frozen=True)
class Damage:
    """One damaged span of a file: ``size`` bytes from byte ``offset`` were skipped.

    ``records`` counts the records known to be lost in it (a record whose length checksum
    failed hides how many records its bytes held: it counts as one, and the text says "at
    least"); ``reason`` says which check failed first.
    """

    offset: int
    size: int
    records: int
    reason: str
    exact: bool = True  #: False when the span's record count is a lower bound


def describe_damage(spans: "list[Damage] | tuple[Damage, ...]", kept: int) -> str:
    """One sentence for a file's damaged spans, e.g. ``1 damaged span: byte offset 4096,
    57 bytes, 1 record skipped (data CRC); 199 intact records kept``."""
    parts = []
    for d in spans[:3]:
        lost = f"{'at least ' if not d.exact else ''}{d.records} record(s) skipped"
        parts.append(f"byte offset {d.offset}, {d.size} bytes, {lost} ({d.reason})")
    more = f"; and {len(spans) - 3} more span(s)" if len(spans) > 3 else ""
    return (f"{len(spans)} damaged span(s): " + "; ".join(parts) + more
            + f"; {kept} intact record(s) kept")


class Reader(ABC):
    """Base class of every reader; see the module docstring for the contract."""

    #: stable ids of the formats this reader produces (the first is the default)
    formats: ClassVar[tuple[str, ...]]
    #: "dir" or "file"
    kind: ClassVar[str]
    #: glob patterns (file names, no "/") of files beside a file run that ``read`` may read
    side_files: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def guess_can_open(self, path: Path) -> bool:
        """Cheap sniff; never raises."""

    @abstractmethod
    def read(self, path: Path, *, run_id: str) -> list[Run]:
        """Read the run(s) at ``path``; raise ReadError on failure."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def side_paths(self, path: Path) -> list[Path]:
        """The files matching :attr:`side_files` beside the file ``path``, sorted."""
        if not self.side_files:
            return []
        out: set[Path] = set()
        try:
            for pattern in self.side_files:
                out.update(p for p in path.parent.glob(pattern) if p != path)
        except OSError:
            return []
        return sorted(out)


def read_head(path: Path, size: int = 8192) -> bytes:
    """The first ``size`` bytes of a file, or ``b""`` when it cannot be read."""
    try:
        with open(path, "rb") as fh:
            return fh.read(size)
    except OSError:
        return b""
