"""Readers, their ordered registry, run discovery and :func:`read`.

Discovery walks a directory once. A directory that a *directory reader* claims (TensorBoard:
it holds a file with ``tfevents`` in its name; W&B: it holds a ``*.wandb`` file; MLflow: it
holds ``meta.yaml`` and ``metrics/``) is one run, and nothing below it is walked again
(TensorBoard's ``add_scalars`` and hparams sub-directories fold into it). Elsewhere every file
is offered to the *file readers* in order; files no reader claims are skipped silently.
Symbolic links are followed once: a target already seen (W&B's ``latest-run``) is not counted
twice, and a link back into its own ancestors is reported as a loop.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import GanlogsError, ReadError, UnsupportedFormatError, UsageError
from ..run import Run
from .base import Reader

__all__ = ["Reader", "DIR_READERS", "FILE_READERS", "FORMATS", "RunSource", "Discovery",
           "discover", "load", "read", "reader_for"]

# The ordered registry. Directory readers are tried on every directory before its files;
# file readers are tried in order on every file outside a claimed directory.
DIR_READERS: list[Reader] = []
FILE_READERS: list[Reader] = []


def _register() -> None:
    # Order matters: the first reader whose guess_can_open() says yes reads the path.
    # Each reader module adds its line here (directory readers, then file readers).
    from .csv import CsvReader
    from .mlflow import MlflowRunReader
    from .stylegan import StyleganStatsReader
    from .stylegan_run import StyleganConsoleReader, StyleganRunReader
    from .tensorboard import TensorBoardReader
    from .text import TextLogReader
    from .wandb import WandbRunReader
    from .wandb_history import WandbHistoryReader

    # A StyleGAN run directory (stats.jsonl beside its metric files, log.txt or event file)
    # is one run read whole: before TensorBoard, which would claim it for its event file.
    DIR_READERS[:] = [StyleganRunReader(), TensorBoardReader(), WandbRunReader(),
                      MlflowRunReader()]
    # File order: StyleganStatsReader, WandbHistoryReader, TextLogReader, CsvReader (the CSV
    # reader claims .csv/.tsv by name, so it comes last; text logs before it, because a
    # Keras CSVLogger training.log is claimed by content only when no text format matched).
    FILE_READERS[:] = [StyleganStatsReader(), WandbHistoryReader(), StyleganConsoleReader(),
                       TextLogReader(), CsvReader()]


_register()

#: every format id a Run's ``meta.format`` can take
FORMATS: tuple[str, ...] = tuple(f for r in DIR_READERS + FILE_READERS for f in r.formats)


@dataclass(frozen=True)
class RunSource:
    """A run found by discovery: where it is, its id, and the reader that will load it."""

    path: Path
    run_id: str
    reader: Reader


@dataclass
class Discovery:
    """What :func:`discover` found: runs to load, and problems met while walking
    (symlink loops, unreadable directories), one line each."""

    sources: list[RunSource] = field(default_factory=list)
    problems: list[ReadError] = field(default_factory=list)


def reader_for(path: Path) -> Reader | None:
    """The first registered reader that claims ``path``, or None."""
    readers = DIR_READERS if path.is_dir() else FILE_READERS
    for reader in readers:
        try:
            if reader.guess_can_open(path):
                return reader
        except Exception:  # a sniffer must never stop discovery
            continue
    return None


def _rel(path: Path, root: Path) -> str:
    rel = os.path.relpath(path, root)
    return "." if rel == "." else Path(rel).as_posix()


def discover(root: str | os.PathLike[str]) -> Discovery:
    """Find every run under ``root`` (a file, a run directory or a sweep)."""
    root = Path(root)
    found = Discovery()
    if not root.exists():
        raise UsageError(f"{root}: no such file or directory")
    if root.is_file():
        reader = reader_for(root)
        parent_reader = reader_for(root.parent) if reader is None else None
        if parent_reader is not None:
            # One file of a directory-format run (an event file, a .wandb log): read the run.
            found.sources.append(RunSource(root.parent, ".", parent_reader))
        elif reader is None:
            found.problems.append(UnsupportedFormatError(
                root, "not a log ganlogs can read (tried: "
                + ", ".join(type(r).__name__ for r in FILE_READERS) + ")"))
        else:
            found.sources.append(RunSource(root, ".", reader))
        return found

    seen: set[tuple[int, int]] = set()

    def walk(directory: Path, ancestors: frozenset[tuple[int, int]]) -> None:
        try:
            st = directory.stat()
        except OSError as exc:
            found.problems.append(ReadError(directory, f"cannot read directory: {exc.strerror}"))
            return
        key = (st.st_dev, st.st_ino)
        if key in ancestors:
            found.problems.append(ReadError(directory, "symbolic link loop: it points back to "
                                            "one of its own parent directories; not followed"))
            return
        if key in seen:
            return
        seen.add(key)
        reader = reader_for(directory)
        if reader is not None:
            found.sources.append(RunSource(directory, _rel(directory, root), reader))
            return
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            found.problems.append(ReadError(directory, f"cannot list directory: {exc.strerror}"))
            return
        subdirs, links = [], []
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=True):
                    (links if entry.is_symlink() else subdirs).append(Path(entry.path))
                elif entry.is_file(follow_symlinks=True) and not entry.is_symlink():
                    file_reader = reader_for(Path(entry.path))
                    if file_reader is not None:
                        found.sources.append(RunSource(Path(entry.path),
                                                       _rel(Path(entry.path), root), file_reader))
            except OSError:
                continue
        inner = ancestors | {key}
        # Real directories first, so a symlink (W&B's latest-run) never names a run that
        # is also reachable by its real path.
        for sub in subdirs + links:
            walk(sub, inner)

    walk(root, frozenset())
    found.sources.sort(key=lambda src: src.run_id)
    return found


def load(source: RunSource) -> list[Run]:
    """Read one discovered run; raises ReadError (one line, naming the file) on failure."""
    try:
        return source.reader.read(source.path, run_id=source.run_id)
    except GanlogsError:
        raise
    except MemoryError:
        raise ReadError(source.path, "ran out of memory while reading") from None
    except (OSError, ValueError, UnicodeError, EOFError) as exc:
        raise ReadError(source.path, f"{type(exc).__name__}: {exc}") from None


def read(path: str | os.PathLike[str], *, run_id: str | None = None) -> Run:
    """Read the single run at ``path`` (a log file or a run directory).

    Raises :class:`UnsupportedFormatError` when no reader recognises it and
    :class:`~ganlogs.errors.UsageError` when ``path`` holds several runs (use
    :func:`discover` and :func:`load`, or :func:`ganlogs.analyze`, for a sweep).
    """
    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path}: no such file or directory")
    reader = reader_for(path)
    if reader is not None:
        runs = load(RunSource(path, run_id or ".", reader))
    else:
        found = discover(path)
        if len(found.sources) == 1:
            runs = load(found.sources[0])
        elif not found.sources:
            tried = DIR_READERS if path.is_dir() else FILE_READERS
            raise UnsupportedFormatError(path, "no run found (tried: " + ", ".join(
                type(r).__name__ for r in tried) + ")")
        else:
            raise UsageError(f"{path} holds {len(found.sources)} runs "
                             f"({', '.join(s.run_id for s in found.sources[:5])}...); "
                             "use ganlogs.discover() or ganlogs.analyze() for a sweep")
    if len(runs) != 1:
        raise UsageError(f"{path} holds {len(runs)} runs "
                         f"({', '.join(r.meta.run_id for r in runs[:5])}); use ganlogs.analyze()")
    return runs[0]
