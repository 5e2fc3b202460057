"""Wire formats, public: TFRecord framing and TensorBoard Event encoding, protobuf encoding, and
the LevelDB log that frames W&B's ``.wandb`` files. For writers of test data and tools.

ganlogs never writes logs. These are the encoders, framers and scanners that its tests and
benchmarks build files with (intact, cut, corrupted, hostile), and that a tool may use to write
a log ganlogs reads, or to walk the records of one. The readers use the same code (the private
modules ``_tfrecord``, ``_leveldb_log`` and ``_protobuf`` of :mod:`ganlogs.readers`), so a file
built here is framed exactly as the readers expect. The layouts are in ``docs/formats.md``
("TensorBoard event files") and ``docs/wandb.md``.

TFRecord (TensorBoard event files)
    :func:`frame_record` frames one payload (``uint64 length``, its masked CRC-32C, the data,
    the data's masked CRC-32C: :data:`TFRECORD_HEADER_SIZE` + n + :data:`TFRECORD_FOOTER_SIZE`
    bytes); :func:`write_records` writes a whole file. :func:`encode_event`,
    :func:`encode_scalar_event`, :func:`encode_file_version_event` and
    :func:`encode_session_log_event` serialize ``tensorboard.Event`` messages as the writers
    listed in ``docs/formats.md`` do. :func:`scan_records` walks a buffer's length chain and
    checks every CRC (:class:`RecordScan`; :class:`RecordError` on damage without ``resync``).
    :func:`masked_crc32c` is the checksum itself.

LevelDB log (W&B ``.wandb`` files)
    A :data:`WANDB_HEADER` (7 bytes), then blocks of :data:`WANDB_BLOCK_SIZE` bytes of records
    (a :data:`WANDB_RECORD_HEADER_SIZE`-byte header: CRC-32, length, type :data:`FULL`,
    :data:`FIRST`, :data:`MIDDLE` or :data:`LAST`). :class:`LogWriter` writes logical records
    split across blocks as wandb's ``datastore.py`` does; :func:`encode_log` gives a whole
    file's bytes; :func:`scan_log` splits a file into logical records (:class:`LogScan`;
    :class:`LogCorruption` on damage without ``resync``).

Protobuf
    :func:`encode_varint`, :func:`encode_key` (field number and wire type :data:`VARINT`,
    :data:`I64`, :data:`LEN` or :data:`I32`) and :func:`encode_len` (a length-delimited
    field) build messages; :func:`read_varint` and :func:`iter_fields` read them
    (:class:`WireError` on malformed input).
"""

from __future__ import annotations

from ._leveldb_log import BLOCK_SIZE as WANDB_BLOCK_SIZE
from ._leveldb_log import FIRST, FULL, LAST, MIDDLE, LogCorruption, LogWriter, encode_log
from ._leveldb_log import HEADER as WANDB_HEADER
from ._leveldb_log import RECORD_HEADER_SIZE as WANDB_RECORD_HEADER_SIZE
from ._leveldb_log import Scan as LogScan
from ._leveldb_log import scan as scan_log
from ._protobuf import (I32, I64, LEN, VARINT, WireError, encode_key, encode_len, encode_varint,
                        iter_fields, read_varint)
from ._tfrecord import FOOTER_SIZE as TFRECORD_FOOTER_SIZE
from ._tfrecord import HEADER_SIZE as TFRECORD_HEADER_SIZE
from ._tfrecord import (RecordError, RecordScan, encode_event, encode_file_version_event,
                        encode_scalar_event, encode_session_log_event, frame_record,
                        masked_crc32c, scan_records, write_records)

__all__ = [
    # TFRecord and TensorBoard events
    "TFRECORD_HEADER_SIZE", "TFRECORD_FOOTER_SIZE", "masked_crc32c", "frame_record",
    "write_records", "scan_records", "RecordScan", "RecordError", "encode_event",
    "encode_scalar_event", "encode_file_version_event", "encode_session_log_event",
    # the LevelDB log of .wandb files
    "WANDB_HEADER", "WANDB_BLOCK_SIZE", "WANDB_RECORD_HEADER_SIZE", "FULL", "FIRST", "MIDDLE",
    "LAST", "LogWriter", "encode_log", "scan_log", "LogScan", "LogCorruption",
    # protobuf
    "VARINT", "I64", "LEN", "I32", "encode_varint", "encode_key", "encode_len", "read_varint",
    "iter_fields", "WireError",
]
