"""Exceptions and warnings raised by ganlogs.

Every error ganlogs raises on purpose derives from :class:`GanlogsError`, so a caller
(or the CLI) can tell "the input was bad" from "ganlogs has a bug"::

    GanlogsError
     ├── UsageError              an argument or option has a value ganlogs does not accept
     ├── ReadError               a file or run directory could not be read (names the path)
     │    ├── UnsupportedFormatError   no reader recognises the input
     │    └── CorruptLogError          the bytes are not what the format promises (bad CRC, ...)
     └── RoleError               a role override names a tag the run does not have

    GanlogsWarning (UserWarning)
     ├── TruncatedLogWarning     a file ends mid-record; every complete record was kept
     └── DamagedLogWarning       records failed their checksum; the rest were kept

A damaged run is still read: its ``warnings`` hold one sentence per damaged file, starting
with :data:`DAMAGE_PREFIX` (byte offset, records and bytes skipped). ``ganlogs check`` is
incomplete for such a run unless damage is allowed (:func:`is_damage_warning`).

Third-party errors (protobuf decoding, ``csv``, ``zlib``, ``UnicodeDecodeError``) are mapped
to these types where the readers call them, so the message always names the file.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "GanlogsError",
    "UsageError",
    "ReadError",
    "UnsupportedFormatError",
    "CorruptLogError",
    "RoleError",
    "GanlogsWarning",
    "TruncatedLogWarning",
    "DamagedLogWarning",
    "DAMAGE_PREFIX",
    "is_damage_warning",
]

#: how a run's warning about a damaged file begins
DAMAGE_PREFIX = "damaged: "


class GanlogsError(Exception):
    """Base class of every error ganlogs raises on purpose."""


class UsageError(GanlogsError, ValueError):
    """An argument has a value ganlogs does not accept; the message names the allowed values."""


class ReadError(GanlogsError):
    """A log could not be read.

    Parameters
    ----------
    path
        The file or run directory that failed.
    reason
        One line saying what is wrong and, where possible, what to do about it.
    """

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = " ".join(str(reason).split())  # always one line
        super().__init__(f"{self.path}: {self.reason}")


class UnsupportedFormatError(ReadError):
    """No registered reader recognises the input."""


class CorruptLogError(ReadError):
    """The bytes break the format's own rules (bad checksum, impossible length, garbage)."""


class RoleError(GanlogsError, KeyError):
    """A role override refers to a tag that the run does not contain."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class GanlogsWarning(UserWarning):
    """Base class of ganlogs' warnings."""


class TruncatedLogWarning(GanlogsWarning):
    """A file ends in the middle of a record; every complete record before it was kept."""


class DamagedLogWarning(GanlogsWarning):
    """Records of a file failed their checksum (or did not decode) with more data after them:
    they were skipped, every intact record before and after them was kept."""


def is_damage_warning(message: str) -> bool:
    """Whether one of a run's ``warnings`` reports a damaged file."""
    return message.startswith(DAMAGE_PREFIX)
