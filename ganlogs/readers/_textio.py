"""Shared helpers for the line-oriented readers (CSV, text logs, stats.jsonl, MLflow).

One rule holds for all of them: **a line without its final newline is incomplete**. A writer
appends ``record + "\\n"``; a file that ends before the newline was cut while being written
(a crash, a copy taken mid-run), so its last line is dropped with a
:class:`~ganlogs.errors.TruncatedLogWarning` and every complete line before it is kept.
"""

from __future__ import annotations

import codecs
import warnings as _warnings
from pathlib import Path

from ..errors import CorruptLogError, ReadError, TruncatedLogWarning

__all__ = ["read_bytes", "complete_lines", "check_text", "warn_truncated", "looks_like_text"]

_UTF16_32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE,
                  codecs.BOM_UTF16_BE)


def read_bytes(path: Path) -> bytes:
    """The whole file, with OSError mapped to a one-line :class:`ReadError`."""
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise ReadError(path, f"cannot read file: {exc.strerror or exc}") from None


def complete_lines(data: bytes) -> tuple[bytes, bytes]:
    """Split ``data`` into the complete lines (up to and including the last ``\\n``) and the
    incomplete tail after it (``b""`` when the file ends with a newline)."""
    cut = data.rfind(b"\n") + 1
    return data[:cut], data[cut:]


def warn_truncated(path: Path, tail: bytes, what: str = "line") -> str | None:
    """Warn about a dropped incomplete last line; return the warning text for ``meta.warnings``
    (``None`` when the tail is only whitespace, which is not a record)."""
    if not tail.strip():
        return None
    msg = (f"the last {what} has no final newline ({len(tail)} bytes): the file was cut "
           f"while being written; that {what} was dropped, every complete one was kept")
    _warnings.warn(TruncatedLogWarning(f"{path}: {msg}"), stacklevel=3)
    return msg


def check_text(path: Path, data: bytes, *, what: str) -> tuple[bytes, list[str]]:
    """Check that ``data`` is UTF-8 text; strip a UTF-8 byte-order mark.

    Returns the bytes to parse and notes about the encoding. Raises
    :class:`CorruptLogError` for NUL bytes or invalid UTF-8 and :class:`ReadError` for UTF-16
    and UTF-32 (named, with what to do).
    """
    notes: list[str] = []
    for bom in _UTF16_32_BOMS:
        if data.startswith(bom):
            enc = "UTF-32" if len(bom) == 4 else "UTF-16"
            raise ReadError(path, f"{what} is {enc} encoded (byte-order mark {bom.hex()}); "
                                  "ganlogs reads UTF-8: re-save the file as UTF-8")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
        notes.append("encoding: UTF-8 with a byte-order mark (stripped)")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise CorruptLogError(path, f"binary data (NUL byte at offset {nul}): not a text {what}")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorruptLogError(path, f"not UTF-8 text: byte 0x{data[exc.start]:02x} at offset "
                                    f"{exc.start} ({exc.reason}); ganlogs reads UTF-8 {what}s "
                                    "(re-save the file as UTF-8)") from None
    return data, notes


def looks_like_text(head: bytes) -> bool:
    """True when ``head`` (the first bytes of a file) could be the start of a text file: no NUL
    byte, or a UTF-16/32 byte-order mark (claimed so that reading can say what is wrong)."""
    if any(head.startswith(bom) for bom in _UTF16_32_BOMS):
        return True
    return b"\x00" not in head
