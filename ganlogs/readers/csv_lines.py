"""Appended CSV lines, parsed by the reader's own rules (for followers).

:func:`read_until` reads a CSV file as if it ended at a given byte offset (the end of its
last complete line when a follower looked); :func:`parse_appended` parses complete lines
appended after that, given the file's :class:`Dialect`, with the reader's cell conventions
(:mod:`._csv_parse`) and layout rules (:func:`ganlogs.readers.csv.runs_from_table`).
:mod:`ganlogs.live.tail_csv` keeps the offsets and decides when the appended lines may be
taken on their own (the same layout as the file so far) or the file must be read whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..run import Run
from ._csv_parse import Dialect, parse_lines, read_table
from .csv import runs_from_table

__all__ = ["CsvPart", "Dialect", "read_until", "parse_appended"]


@dataclass
class CsvPart:
    """What a piece of a CSV file gave: its dialect, the data rows parsed (``n_rows``; rows
    with too many or too few fields are skipped and counted in ``skipped``) and the runs
    made of them (empty when ``n_rows`` is 0)."""

    dialect: Dialect
    n_rows: int
    skipped: int
    runs: list[Run]


def read_until(path: Path, end: int, *, run_id: str) -> CsvPart:
    """The reader's whole read of ``path`` cut at byte offset ``end``."""
    table = read_table(Path(path), end=end)
    dialect, n_rows, skipped = table.dialect, table.n_rows, table.long_rows + table.short_rows
    return CsvPart(dialect, n_rows, skipped, runs_from_table(table, Path(path), run_id=run_id))


def parse_appended(data: bytes, dialect: Dialect, path: Path, *, offset: int,
                   run_id: str) -> CsvPart:
    """Complete lines appended to ``path`` (``data``, starting at byte ``offset``; no header
    line), read as the reader reads lines of a file in this dialect."""
    table = parse_lines(data, dialect, Path(path), offset=offset)
    dialect, n_rows, skipped = table.dialect, table.n_rows, table.long_rows + table.short_rows
    runs = runs_from_table(table, Path(path), run_id=run_id) if n_rows else []
    return CsvPart(dialect, n_rows, skipped, runs)
