"""Following a W&B run: decode only the records appended to its ``.wandb`` file.

A ``.wandb`` file is a LevelDB log (:mod:`ganlogs.readers.wire`): 32 KiB blocks of
CRC-checked physical records, a logical record being one FULL record or FIRST, MIDDLE...,
LAST. :class:`WandbFollower` keeps the offset just past the last complete logical record and
the decoder's state (the history record count, which is the step of a record without one,
and the key cache), and at each look frames the bytes after that offset by the same rules and
decodes the complete records with the reader's reference decoder
(:mod:`ganlogs.readers.wandb_records`). A record that is only partly written
(the end of a block, or a FIRST without its LAST yet) waits for the next look.

Anything the framing or the decoder does not take as a clean append (a bad checksum with data
after it, an undecodable record, a run directory with several ``.wandb`` files) sends the run
back to a whole re-read (:class:`~ganlogs.live.tail.ReloadFollower`) for good, which is
exact whatever the file holds.
"""

from __future__ import annotations

from ..readers import RunSource
from ..readers.wandb_records import (HEADER, HistoryDecoder, NotAnAppend, frame_records,
                                     wandb_files)
from .rows import RowStore
from .tail import MAX_READ, Follower, Growth, ReloadFollower, _FileCursor

__all__ = ["WandbFollower"]


class WandbFollower(Follower):
    """A W&B run directory with one ``.wandb`` file, read by record offset (module
    docstring). ``whole_reads`` counts whole re-reads (0 while every look is an append)."""

    mode = "appended records"

    def __init__(self, source: RunSource) -> None:
        super().__init__(source)
        self.whole_reads = 0
        self._reload: ReloadFollower | None = None
        self._cursor = _FileCursor()
        self._decoder = HistoryDecoder()
        self._header = False
        rid = source.run_id
        self.stores[rid] = RowStore()
        self.formats[rid] = "wandb"

    def _files(self):
        path = self.source.path
        return [path] if path.is_file() else wandb_files(path)

    def poll(self) -> Growth:
        if self._reload is not None:
            return self._whole()
        files = self._files()
        if len(files) != 1:
            return self._whole() if files else Growth({})
        rid = self.source.run_id
        added = 0
        while True:  # a backlog comes in pieces of at most MAX_READ bytes
            got = self._cursor.new_bytes(files[0])
            if got is None:
                break
            data, rewritten = got
            self.bytes_read += len(data)
            if rewritten:  # a new file under the same name: start again
                self._cursor.offset = 0
                self._decoder = HistoryDecoder()
                self._header = False
                self.stores[rid] = RowStore()
                added = None
            at = self._cursor.offset
            if not self._header:
                if len(data) < len(HEADER):
                    break
                if data[:len(HEADER)] != HEADER:
                    return self._whole()  # the reader says what is wrong
                data, at = data[len(HEADER):], len(HEADER)
                self._cursor.offset = at
                self._header = True
            try:
                records, used = frame_records(data, at)
                rows = self._decoder.decode(records)
            except NotAnAppend:
                return self._whole()
            self._cursor.offset = at + used
            n = self.stores[rid].append(*rows)
            if added is not None:
                added += n
            if len(data) < MAX_READ or not used:
                break
        if added is None:
            return Growth({rid: None})
        return Growth({rid: added} if added else {})

    def _whole(self) -> Growth:
        """Read the run again whole from now on (module docstring)."""
        if self._reload is None:
            self._reload = ReloadFollower(self.source)
            self.stores = self._reload.stores
            self.formats = self._reload.formats
            self.warnings = self._reload.warnings
        before = self._reload.bytes_read
        growth = self._reload.poll()
        self.bytes_read += self._reload.bytes_read - before
        if growth:
            self.whole_reads += 1
        return growth
