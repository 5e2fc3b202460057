"""Every fixture, cut short: each cut yields exactly the complete records before it (per
series, a prefix of the full read in read order), or a clean ReadError; never another
exception.

Every run that the registry finds under ``fixtures/`` is tested, each file of it in turn
(the others left whole). Offsets are sampled (the ends of the file, record or line
boundaries and the bytes around them, then random offsets): GANLOGS_CUT_SAMPLES=N sets how
many per file (default 40), GANLOGS_CUT_SAMPLES=all cuts at every byte offset.

Exactness, beyond "a prefix": a cut inside a record gives the same points as a cut at the
end of the record before it. Record ends are known for TFRecord files (the length chain)
and for line-based text (a line without its final newline is incomplete); a TFRecord cut
inside a record must also warn TruncatedLogWarning.
"""

from __future__ import annotations

import os
import random
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from ganlogs.errors import GanlogsError, ReadError, TruncatedLogWarning
from ganlogs.readers.wire import scan_records

from scale_support import (FUZZ_STATS, fixture_sources, is_corpus_copy, is_prefix, rows_by_series,
                      run_files)

SOURCES = fixture_sources()
_SAMPLES = os.environ.get("GANLOGS_CUT_SAMPLES", "40")


def read_cut(reader, path: Path, what: str):
    """(rows by series or None for a ReadError, whether TruncatedLogWarning was raised)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            runs = reader.read(path, run_id="cut")
        except ReadError as exc:
            assert "\n" not in str(exc)
            return None, False
        except GanlogsError as exc:
            pytest.fail(f"{type(reader).__name__} raised {type(exc).__name__} (not a ReadError) "
                        f"on {what}: {exc}")
        except Exception as exc:  # noqa: BLE001 - the point of the test
            pytest.fail(f"{type(reader).__name__} raised {type(exc).__name__} on {what}: {exc}")
    truncated = any(issubclass(w.category, TruncatedLogWarning) for w in caught)
    return rows_by_series(runs), truncated


def boundaries(data: bytes, name: str) -> tuple[str, list[int]] | tuple[None, None]:
    """Offsets where a record ends, for files whose framing this test knows."""
    if "tfevents" in name:
        try:
            scan = scan_records(data)
        except ValueError:
            return None, None
        ends = [int(s + n + 4) for s, n in zip(scan.starts, scan.lengths)]
        return "tfrecord", [0] + ends
    if b"\0" in data[:4096]:
        return None, None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None, None
    if b"\r" in data.replace(b"\r\n", b""):
        return None, None  # bare carriage returns: records are not lines
    return "lines", [0] + [i + 1 for i, b in enumerate(data) if b == 0x0A]


def offsets(size: int, ends: list[int] | None, rng: random.Random,
            light: bool = False) -> list[int]:
    if _SAMPLES == "all":
        return list(range(size))
    budget = 6 if light else int(_SAMPLES)
    picks = {0, 1, 2, size // 2, max(size - 1, 0)}
    if ends and not light:
        inner = [e for e in ends if 0 < e < size]
        chosen = inner[:2] + inner[-2:] + rng.sample(inner, min(len(inner), budget // 8))
        for e in chosen:
            picks.update({e - 1, e, e + 1, e + 8, e + 12})
    while len(picks) < min(budget, size):
        picks.add(rng.randrange(size))
    return sorted(k for k in picks if 0 <= k < size)


@pytest.mark.parametrize("source", SOURCES, ids=[s.run_id for s in SOURCES])
def test_every_cut_is_a_prefix_or_a_read_error(source, tmp_path):
    reader = source.reader
    run = tmp_path / Path(source.path).name
    if Path(source.path).is_dir():
        shutil.copytree(source.path, run, symlinks=True)
    else:
        shutil.copy2(source.path, run)
    full, _ = read_cut(reader, run, f"the whole of {source.run_id}")
    assert full is not None, f"{source.run_id} does not read whole"
    rng = random.Random(source.run_id)
    light = is_corpus_copy(source, SOURCES)
    for file in run_files(run):
        data = file.read_bytes()
        rel = file.name if run.is_file() else file.relative_to(run).as_posix()
        file.write_bytes(b"")
        emptied, _ = read_cut(reader, run, f"{source.run_id} with {rel} emptied")
        kind, ends = boundaries(data, file.name)
        feeds_points = emptied != full if emptied is None else not _same(emptied, full)
        cuts = offsets(len(data), ends if feeds_points else None, rng, light) \
            if feeds_points else sorted({0, len(data) // 2})
        at_boundary: dict[int, object] = {}
        last_total = -1
        for k in cuts:
            file.write_bytes(data[:k])
            what = f"{source.run_id}: {rel} cut at byte {k} of {len(data)}"
            rows, truncated = read_cut(reader, run, what)
            FUZZ_STATS["cuts:tried"] += 1
            if rows is None:
                FUZZ_STATS["cuts:error"] += 1
                continue
            FUZZ_STATS["cuts:prefix"] += 1
            for key, series in rows.items():
                assert key in full, f"{what}: series {key} is not in the full read"
                assert is_prefix(series, full[key]), f"{what}: {key} is not a prefix"
                if key[1] != rel:
                    assert len(series[0]) == len(full[key][0]), \
                        f"{what}: {key} comes from another file and lost points"
            total = sum(len(s[0]) for s in rows.values())
            assert total >= last_total or not feeds_points, \
                f"{what}: fewer points ({total}) than a shorter cut ({last_total})"
            last_total = total
            if ends is None or not feeds_points:
                continue
            b = max(e for e in ends if e <= k)
            if kind == "tfrecord" and b != k:
                assert truncated, f"{what}: cut inside a record without TruncatedLogWarning"
            if b != k:
                if b not in at_boundary:
                    file.write_bytes(data[:b])
                    at_boundary[b] = read_cut(reader, run, f"{source.run_id}: {rel} cut at "
                                                           f"the record end {b}")[0]
                ref = at_boundary[b]
                if ref is not None:
                    assert _same(rows, ref), (f"{what}: not the same points as the cut at the "
                                              f"end of the last complete {kind[:-1] if kind == 'lines' else 'record'} (byte {b})")
            else:
                at_boundary[k] = rows
        file.write_bytes(data)


def _same(a, b) -> bool:
    if a.keys() != b.keys():
        return False
    return all(np.array_equal(a[k][0], b[k][0]) and np.array_equal(a[k][1], b[k][1],
                                                                    equal_nan=True) for k in a)
