"""Which files discovery must account for, which it ignores, and why a file was not read.

ganlogs is used as a CI gate, and a gate that passes because it never saw a file is worse than
no gate. So every file under the path given is, after the readers have claimed theirs:

1. **read**: a reader claims it (or the directory-format run it lies in);
2. **joined**: it lies beside a file a reader claimed and is one of that reader's
   :attr:`~ganlogs.readers.base.Reader.side_files` (Lightning's ``hparams.yaml``, CycleGAN's
   ``train_opt.txt``); or it lies inside a run directory (TensorBoard, W&B, MLflow), whose
   reader accounts for everything below it;
3. **ignored**, by the rule below, because it is clearly not a log;
4. **listed** with the reason it was not read, when it *could be a log*: its name ends in one
   of :data:`LOG_SUFFIXES` or holds ``tfevents``, or (any other name) its first bytes are text
   that mentions a loss, epoch, iteration or step with a number; a file that cannot be
   opened (its content unknown) is listed unless its name is a known non-log. A listed file
   counts as unreadable, so ``ganlogs check`` is incomplete until it is read, fixed or
   excluded (``--exclude GLOB``, config key ``exclude``).

The rule for known non-log files (:func:`is_known_non_log`), in order:

* hidden files and directories (a name starting with ``.``: ``.git``, ``.dvc``,
  ``.ipynb_checkpoints``) and ``__pycache__``: discovery does not enter such a directory;
* documentation: ``README*``, ``LICENSE*``, ``COPYING*``, ``CHANGELOG*``, ``*.md``, ``*.rst``;
* dependency lists: ``requirements*.txt``, ``environment*.yml``;
* configuration: ``*.yaml``, ``*.yml``, ``*.toml``, ``*.ini``, ``*.cfg``, ``*.conf``;
* JSON that is not a history export (an export is claimed by a reader first):
  ``manifest.json``, ``truth.json``, ``ground_truth.json``, ``training_options.json``,
  ``wandb-metadata.json``, ``wandb-summary.json`` and every other ``*.json`` no reader claims;
* images and media: ``*.png``, ``*.jpg``, ``*.jpeg``, ``*.gif``, ``*.bmp``, ``*.svg``,
  ``*.webp``, ``*.tif``, ``*.tiff``, ``*.mp4``, ``*.avi``, ``*.html``, ``*.pdf``;
* checkpoints and arrays: ``*.pt``, ``*.pth``, ``*.ckpt``, ``*.pkl``, ``*.pickle``, ``*.h5``,
  ``*.hdf5``, ``*.keras``, ``*.safetensors``, ``*.npy``, ``*.npz``, ``*.bin``, ``*.onnx``,
  ``*.pb``, ``*.tflite``, ``*.joblib``;
* code and build files: ``*.py``, ``*.pyc``, ``*.ipynb``, ``*.sh``, ``*.c``, ``*.cc``,
  ``*.cpp``, ``*.h``, ``*.cu``, ``*.js``, ``*.ts``, ``*.r``, ``*.jl``, ``*.m``,
  ``Makefile``, ``Dockerfile``;
* archives named as such: ``*.zip``, ``*.tar``, ``*.gz``, ``*.tgz``, ``*.bz2``, ``*.xz``,
  ``*.zst``, ``*.7z`` (ganlogs does not unpack; a compressed file *named* like a log is
  listed instead).

This module only classifies; the walk itself is :func:`ganlogs.readers.discover`.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from pathlib import Path, PurePosixPath
from typing import Sequence

__all__ = ["LOG_SUFFIXES", "could_be_log", "is_known_non_log", "is_skipped_dir", "not_read_reason",
           "excluded", "HEAD_BYTES"]

#: names that could be a log (DECISIONS "Files and damage"); plus ``tfevents`` in the name
LOG_SUFFIXES: tuple[str, ...] = (".csv", ".tsv", ".txt", ".log", ".out", ".jsonl", ".parquet",
                                 ".wandb")

#: bytes of a file looked at to classify it (the readers' sniffers look at as many or fewer)
HEAD_BYTES = 8192

_NON_LOG_STEMS = ("readme", "license", "licence", "copying", "changelog", "citation",
                  "requirements", "environment")
_NON_LOG_NAMES = frozenset({"makefile", "dockerfile", "__pycache__", "manifest.json",
                            "truth.json", "ground_truth.json", "training_options.json",
                            "wandb-metadata.json", "wandb-summary.json"})
_NON_LOG_SUFFIXES = frozenset("""
    .md .rst .yaml .yml .toml .ini .cfg .conf .json
    .png .jpg .jpeg .gif .bmp .svg .webp .tif .tiff .mp4 .avi .html .htm .pdf
    .pt .pth .ckpt .pkl .pickle .h5 .hdf5 .keras .safetensors .npy .npz .bin .onnx .pb .tflite
    .joblib
    .py .pyc .pyo .ipynb .sh .c .cc .cpp .h .hpp .cu .js .ts .r .jl .m
    .zip .tar .gz .tgz .bz2 .xz .zst .7z
""".split())

#: a line of a text log: a loss/epoch/iteration/step word, then (later on the line) a number
_LOG_LINE = re.compile(rb"(?im)\b(loss\w*|epoch|iter\w*|step|kimg|errD|errG)\b[^\n]*\d")

#: compressed data, by magic bytes -> (what it is, the command that unpacks it)
_COMPRESSED = ((b"\x1f\x8b", "gzip", "gunzip"), (b"BZh", "bzip2", "bunzip2"),
               (b"\xfd7zXZ\x00", "xz", "unxz"), (b"\x28\xb5\x2f\xfd", "zstd", "unzstd"),
               (b"PK\x03\x04", "zip", "unzip"))


def _suffix(name: str) -> str:
    return os.path.splitext(name)[1].lower()


def is_skipped_dir(name: str) -> bool:
    """Directories discovery does not enter: hidden ones (``.git``, ``.dvc``: a DVC or
    git-annex store holds the targets of a run's links under hash names) and
    ``__pycache__``."""
    return name.startswith(".") or name == "__pycache__"


def is_known_non_log(name: str) -> bool:
    """Whether a file or directory named ``name`` is ignored by the documented rule."""
    low = name.lower()
    if low.startswith(".") or low in _NON_LOG_NAMES:
        return True
    stem = low.split(".", 1)[0]
    if stem.startswith(_NON_LOG_STEMS) and not low.endswith((".csv", ".tsv", ".jsonl",
                                                               ".parquet", ".wandb", ".log")):
        return True
    return _suffix(low) in _NON_LOG_SUFFIXES and "tfevents" not in low


def could_be_log(name: str, head: bytes | None) -> bool:
    """Whether a file no reader claimed must be listed: a log-like name, or (when ``head``,
    its first bytes, is given) text with log-like lines. Known non-log files never are."""
    if is_known_non_log(name):
        return False
    low = name.lower()
    if low.endswith(LOG_SUFFIXES) or "tfevents" in low:
        return True
    if not head or b"\0" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not a character cut by the head's end
            return False
    return bool(_LOG_LINE.search(head))


def not_read_reason(path: Path, head: bytes | None, error: OSError | None,
                    tried: Sequence[str]) -> str:
    """One line saying why no reader read ``path`` (whose first bytes are ``head``, or which
    could not be opened with ``error``), and what to do about it."""
    if error is not None:
        what = error.strerror or str(error)
        if isinstance(error, PermissionError):
            return (f"cannot read file: {what.lower()} (it could be a log: give the user "
                    "running ganlogs read access, or exclude it with --exclude)")
        return f"cannot read file: {what}"
    name = path.name.lower()
    head = head or b""
    for magic, kind, command in _COMPRESSED:
        if head.startswith(magic):
            return (f"{kind} data named {_suffix(name) or path.name!s}: ganlogs reads "
                    f"uncompressed logs; unpack it ({command}) first")
    if not head:
        return "empty file (no reader can tell what it holds); exclude it if it is not a log"
    if b"\0" in head:
        at = head.index(b"\0")
        return (f"NUL bytes (the first at byte offset {at}): binary data, or a text log with "
                "a crash leftover (the writer died before its data reached the disk); "
                "remove the NUL bytes or exclude the file")
    tried_text = ", ".join(tried)
    if name.endswith(".jsonl"):
        first = head.split(b"\n", 1)[0]
        try:
            obj = json.loads(first)
        except ValueError:
            return ("its first line is not valid JSON, so no JSON-lines reader recognises it "
                    f"(tried: {tried_text})")
        return (f"a JSON-lines file whose first line ({type(obj).__name__}) is neither a "
                f"StyleGAN2-ADA stats line nor a W&B history row (tried: {tried_text})")
    if name.endswith(".parquet"):
        return ("a Parquet file that is not a W&B history export (it needs a _step column; "
                f"tried: {tried_text})")
    if name.endswith(".wandb"):
        return "not a W&B transaction log (its first bytes are not ':W&B')"
    if name.endswith((".csv", ".tsv")):
        return f"no reader recognises this table (tried: {tried_text})"
    return f"no reader recognises this text log (tried: {tried_text})"


def excluded(rel: str, patterns: Sequence[str]) -> bool:
    """Whether the path ``rel`` (posix, relative to the root given) matches an ``--exclude``
    glob. A pattern without ``/`` matches the base name at any depth (``*.txt``,
    ``slurm-*.out``); one with ``/`` matches the whole relative path (``runs/old/*``), and
    excluding a directory excludes everything below it."""
    if not patterns:
        return False
    name = PurePosixPath(rel).name
    for pattern in patterns:
        pat = pattern.rstrip("/")
        if "/" in pat:
            if fnmatch.fnmatchcase(rel, pat) or fnmatch.fnmatchcase(rel, pat + "/*"):
                return True
        elif fnmatch.fnmatchcase(name, pat):
            return True
    return False
