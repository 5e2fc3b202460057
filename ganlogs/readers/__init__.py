"""Readers, their ordered registry, run discovery and :func:`read`.

Discovery walks a directory once. A directory that a *directory reader* claims (TensorBoard:
it holds a file with ``tfevents`` in its name; W&B: it holds a ``*.wandb`` file; MLflow: it
holds ``meta.yaml`` and ``metrics/``) is one run, and nothing below it is walked again
(TensorBoard's ``add_scalars`` and hparams sub-directories fold into it). Elsewhere every file
is offered to the *file readers* in order. Nothing is dropped in silence (:mod:`._files`): a
file no reader claims joins a run (a reader's ``side_files``), is ignored by a documented rule
(docs, code, images, checkpoints, hidden files), or is listed in :attr:`Discovery.problems`
with the reason it was not read when it could be a log. File links are read through, once.
Symbolic links are followed once: a target already seen (W&B's ``latest-run``) is not counted
twice, and a link back into its own ancestors is reported as a loop.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ..errors import GanlogsError, ReadError, UnsupportedFormatError, UsageError
from ..run import Run
from ._files import (HEAD_BYTES, could_be_log, excluded, is_known_non_log, is_skipped_dir,
                     not_read_reason)
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
    """What :func:`discover` found: runs to load, and problems met while walking (files that
    could be logs but were not read, dangling links, symlink loops, unreadable directories),
    one :class:`~ganlogs.errors.ReadError` each, naming the path and the reason."""

    sources: list[RunSource] = field(default_factory=list)
    problems: list[ReadError] = field(default_factory=list)


def reader_for(path: Path) -> Reader | None:
    """The first registered reader that claims ``path``, or None."""
    return _first_claim(path, DIR_READERS if path.is_dir() else FILE_READERS)


def _first_claim(path: Path, readers: Sequence[Reader]) -> Reader | None:
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


def discover(root: str | os.PathLike[str], *, exclude: Sequence[str] = ()) -> Discovery:
    """Find every run under ``root`` (a file, a run directory or a sweep).

    Every file that could be a log is accounted for (see :mod:`._files`): it is read, joins a
    run, or comes back in :attr:`Discovery.problems` with the reason it was not read.
    ``exclude``: glob patterns of paths (relative to ``root``) to leave out, e.g. ``*.txt``
    or ``old_runs/*``; a pattern without ``/`` matches a name at any depth.
    """
    exclude = tuple(exclude)
    root = Path(root)
    found = Discovery()
    if not root.exists():
        if root.is_symlink():
            raise UsageError(f"{root}: dangling symbolic link (its target "
                             f"{os.readlink(root)} does not exist)")
        raise UsageError(f"{root}: no such file or directory")
    if root.is_file():
        reader = reader_for(root)
        parent_reader = reader_for(root.parent) if reader is None else None
        if parent_reader is not None:
            # One file of a directory-format run (an event file, a .wandb log): read the run.
            found.sources.append(RunSource(root.parent, ".", parent_reader))
        elif reader is None:
            head, error = _head(root)
            found.problems.append(UnsupportedFormatError(root, not_read_reason(
                root, head, error, _tried(FILE_READERS))))
        else:
            found.sources.append(RunSource(root, ".", reader))
        return found

    seen: set[tuple[int, int]] = set()
    seen_files: set[tuple[int, int]] = set()

    def walk(directory: Path, ancestors: frozenset[tuple[int, int]], rel: str) -> None:
        """``rel``: ``directory`` relative to the root, as _rel gives it (joined name by
        name here: os.path.relpath per file costs ~4% of discovering a sweep of files)."""
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
            found.sources.append(RunSource(directory, rel, reader))
            return
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            found.problems.append(ReadError(directory, f"cannot list directory: {exc.strerror}"))
            return
        subdirs, links, files = [], [], []
        for entry in entries:
            path = Path(entry.path)
            path_rel = entry.name if rel == "." else f"{rel}/{entry.name}"
            if exclude and excluded(path_rel, exclude):
                continue
            try:
                if entry.is_dir(follow_symlinks=True):
                    if not is_skipped_dir(entry.name):
                        (links if entry.is_symlink() else subdirs).append((path, path_rel))
                elif entry.is_file(follow_symlinks=True):
                    files.append((path, path_rel, entry))
                elif entry.is_symlink() and not os.path.exists(path):
                    target = os.readlink(path)
                    if not is_known_non_log(entry.name):
                        found.problems.append(ReadError(path, "dangling symbolic link (its "
                                                        f"target {target} does not exist)"))
            except OSError:
                continue
        # Files: real ones first, so that a link to a file also present by its real path is
        # never read twice; a link is read through (git-annex, DVC).
        # (the directory entries' own link flags and stat results: no system call per file
        # for what scandir already knows)
        files.sort(key=lambda f: (f[2].is_symlink(), f[2].name))
        claimed: list[tuple[Path, Reader]] = []
        unclaimed: list[Path] = []
        for path, path_rel, entry in files:
            try:
                st_file = entry.stat()
                fkey: tuple[int, int] | None = (st_file.st_dev, st_file.st_ino)
            except OSError:
                fkey = None
            if fkey is not None:
                if fkey in seen_files:
                    continue
                seen_files.add(fkey)
            file_reader = (reader_for(path) if entry.is_symlink()  # (may now be a directory)
                           else _first_claim(path, FILE_READERS))
            if file_reader is not None:
                claimed.append((path, file_reader))
                found.sources.append(RunSource(path, path_rel, file_reader))
            else:
                unclaimed.append(path)
        joined = {side for path, r in claimed for side in r.side_paths(path)}
        for path in unclaimed:
            if path in joined or is_known_non_log(path.name):
                continue
            head, error = _head(path)
            if error is None and not could_be_log(path.name, head):
                continue
            problem = UnsupportedFormatError(path, not_read_reason(
                path, head, error, _tried(FILE_READERS)))
            if path.is_symlink():
                linked.append((problem, os.path.realpath(path)))
            else:
                found.problems.append(problem)
        inner = ancestors | {key}
        # Real directories first, so a symlink (W&B's latest-run) never names a run that
        # is also reachable by its real path.
        for sub, sub_rel in subdirs + links:
            walk(sub, inner, sub_rel)

    linked: list[tuple[ReadError, str]] = []  # unclaimed file links, with their targets
    walk(root, frozenset(), ".")
    # A link into a run directory (W&B's wandb/debug.log -> <run>/logs/debug.log) joins that run.
    run_dirs = [os.path.realpath(s.path) + os.sep for s in found.sources if s.reader.kind == "dir"]
    found.problems.extend(problem for problem, target in linked
                          if not any(target.startswith(d) for d in run_dirs))
    found.sources.sort(key=lambda src: src.run_id)
    found.problems.sort(key=lambda err: err.path)
    return found


def _head(path: Path) -> tuple[bytes | None, OSError | None]:
    """The first :data:`HEAD_BYTES` of a file, or the error that kept it from being read."""
    try:
        with open(path, "rb") as fh:
            return fh.read(HEAD_BYTES), None
    except OSError as exc:
        return None, exc


def _tried(readers: Sequence[Reader]) -> list[str]:
    return [type(r).__name__ for r in readers]


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


def read(path: str | os.PathLike[str], *, run_id: str | None = None,
         exclude: Sequence[str] = ()) -> Run:
    """Read the single run at ``path`` (a log file or a run directory).

    Tries the same readers, in the same order, as ``ganlogs analyze`` (:func:`discover`).
    Raises :class:`UnsupportedFormatError` when no reader recognises it (the message says why,
    as the command line lists it) and :class:`~ganlogs.errors.UsageError` when ``path`` holds
    several runs (use :func:`discover` and :func:`load`, or :func:`ganlogs.analyze`, for a
    sweep).
    """
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        raise UsageError(f"{path}: no such file or directory")
    found = discover(path, exclude=exclude)
    if len(found.sources) == 1:
        source = found.sources[0]
        runs = load(RunSource(source.path, run_id or source.run_id, source.reader))
    elif not found.sources:
        if len(found.problems) == 1 and path.is_file():
            raise found.problems[0]
        tried = DIR_READERS if path.is_dir() else FILE_READERS
        raise UnsupportedFormatError(path, "no run found (tried: " + ", ".join(
            _tried(tried)) + ")" + (f"; {len(found.problems)} file(s) not read, the first: "
                                    f"{found.problems[0]}" if found.problems else ""))
    else:
        raise UsageError(f"{path} holds {len(found.sources)} runs "
                         f"({', '.join(s.run_id for s in found.sources[:5])}...); "
                         "use ganlogs.discover() or ganlogs.analyze() for a sweep")
    if len(runs) != 1:
        raise UsageError(f"{path} holds {len(runs)} runs "
                         f"({', '.join(r.meta.run_id for r in runs[:5])}); use ganlogs.analyze()")
    return runs[0]
