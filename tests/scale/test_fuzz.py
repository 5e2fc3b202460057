"""Fuzz every reader with mutated real fixtures: byte flips, truncations, insertions,
deletions, huge numbers written over length fields, and chunks duplicated from the same file
or spliced in from another fixture of the same reader.

No input may raise anything but a GanlogsError (warnings are fine), hang, or use memory out
of proportion to its size (tracemalloc peak). Bounded and reproducible in CI
(``derandomize=True``); for a long run::

    GANLOGS_FUZZ_EXAMPLES=100000 pytest tests/scale/test_fuzz.py      # or: python bench/fuzz.py

The framed formats (TFRecord, ``.wandb``) are also corrupted in place, mid-file and at the
tail (a flipped byte, random bytes, zeros): both decoders must keep exactly the records the
damage did not touch and report the same damaged spans ("ganlogs resync: ...").

The number of inputs tried is printed at the end of the session ("ganlogs fuzz: ...").
A failing input is saved under $GANLOGS_FUZZ_FAILURES (default: the pytest tmp dir) and its
path is in the failure message.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import tempfile
import tracemalloc
import warnings
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from ganlogs.errors import GanlogsError

from scale_support import FUZZ_STATS, fixture_sources, is_corpus_copy, rows_by_series, run_files

EXAMPLES = int(os.environ.get("GANLOGS_FUZZ_EXAMPLES", "100"))  # per reader
#: seconds one read may take before it counts as a hang
HANG_SECONDS = float(os.environ.get("GANLOGS_FUZZ_HANG_SECONDS", "20"))
#: a read may allocate at most this much plus MEMORY_FACTOR times the input's size
MEMORY_FLOOR = 64 << 20
MEMORY_FACTOR = 200

#: reproducible in CI; bench/fuzz.py sets GANLOGS_FUZZ_RANDOM=1 (and --hypothesis-seed) so a
#: long run explores new inputs
DERANDOMIZE = not os.environ.get("GANLOGS_FUZZ_RANDOM")
#: shrinking a failure can take minutes: only when asked (the failing input is saved anyway)
PHASES = ([Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink]
          if os.environ.get("GANLOGS_FUZZ_SHRINK") else
          [Phase.explicit, Phase.reuse, Phase.generate])

SOURCES = fixture_sources()
READERS = sorted({type(s.reader).__name__ for s in SOURCES})


class Hang(Exception):
    pass


def _signature(reader, path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            runs = reader.read(path, run_id="x")
        except GanlogsError as exc:
            return ("error", type(exc).__name__)
    return repr([(r.meta.hparams, sorted(rows_by_series([r]))) for r in runs]) + repr(
        [len(r.scalars) for r in runs])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """reader name -> [(reader, run copy, file of the run, original bytes)]: the files whose
    content changes what the reader returns (emptying them changes the read)."""
    root = tmp_path_factory.mktemp("fuzz")
    out: dict[str, list] = {}
    for i, source in enumerate(SOURCES):
        if is_corpus_copy(source, SOURCES):
            continue
        copy = root / f"{i:03d}" / Path(source.path).name
        if Path(source.path).is_dir():
            shutil.copytree(source.path, copy, symlinks=True)
        else:
            copy.parent.mkdir(parents=True)
            shutil.copy2(source.path, copy)
        whole = _signature(source.reader, copy)
        for file in run_files(copy):
            data = file.read_bytes()
            file.write_bytes(b"")
            matters = _signature(source.reader, copy) != whole
            file.write_bytes(data)
            if matters and data:
                out.setdefault(type(source.reader).__name__, []).append(
                    (source.reader, copy, file, data))
    return out


_pos = st.integers(min_value=0, max_value=2**31)
_huge = st.sampled_from([b"\xff" * 8, (2**40).to_bytes(8, "little"), b"\xff\xff\xff\xff\x0f",
                         b"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", (2**31 - 1).to_bytes(4, "little"),
                         b"\xff\xff"])
MUTATION = st.one_of(
    st.tuples(st.just("flip"), _pos, st.integers(1, 255)),
    st.tuples(st.just("cut"), _pos),
    st.tuples(st.just("insert"), _pos, st.binary(min_size=1, max_size=64)),
    st.tuples(st.just("delete"), _pos, st.integers(1, 512)),
    st.tuples(st.just("dup"), _pos, st.integers(1, 8192), _pos),
    st.tuples(st.just("splice"), _pos, st.integers(1, 8192), _pos, _pos),
    st.tuples(st.just("huge"), _pos, _huge),
)


def mutate_framed(data: bytes, name: str, which: int, ops, donors: list[bytes]) -> bytes | None:
    """Mutate inside one record of a framed file and write the frame back with valid
    checksums, so the mutation reaches the decoder behind the CRCs (TFRecord, .wandb).
    None when the file is not framed (or its frame is already broken)."""
    try:
        if "tfevents" in name:
            from ganlogs.readers.wire import frame_record, scan_records

            scan = scan_records(data)
            payloads = [data[s:s + n] for s, n in zip(scan.starts, scan.lengths)]
            if not payloads:
                return None
            i = which % len(payloads)
            payloads[i] = mutate(payloads[i], ops, donors)
            return b"".join(frame_record(p) for p in payloads)
        if name.endswith(".wandb"):
            from ganlogs.readers import wire

            found = wire.scan_log(data)
            payloads = [bytes(buf[a:b]) for buf, a, b in found.records]
            if not payloads:
                return None
            i = which % len(payloads)
            payloads[i] = mutate(payloads[i], ops, donors)
            return wire.encode_log(payloads)
    except Exception:  # noqa: BLE001 - a frame this helper cannot rebuild: mutate raw bytes
        return None
    return None


def mutate(data: bytes, ops, donors: list[bytes]) -> bytes:
    buf = bytearray(data)
    for op in ops:
        n = len(buf)
        kind = op[0]
        if kind == "flip" and n:
            buf[op[1] % n] ^= op[2]
        elif kind == "cut":
            del buf[op[1] % (n + 1):]
        elif kind == "insert":
            at = op[1] % (n + 1)
            buf[at:at] = op[2]
        elif kind == "delete" and n:
            at = op[1] % n
            del buf[at:at + op[2]]
        elif kind == "dup" and n:
            start = op[1] % n
            chunk = bytes(buf[start:start + op[2]])
            at = op[3] % (n + 1)
            buf[at:at] = chunk
        elif kind == "splice" and donors:
            donor = donors[op[4] % len(donors)]
            if donor:
                start = op[1] % len(donor)
                at = op[3] % (n + 1)
                buf[at:at] = donor[start:start + op[2]]
        elif kind == "huge" and n:
            at = op[1] % n
            buf[at:at + len(op[2])] = op[2]
    return bytes(buf)


def _on_alarm(signum, frame):
    raise Hang()


def _save(data: bytes, name: str) -> Path:
    where = Path(os.environ.get("GANLOGS_FUZZ_FAILURES") or tempfile.gettempdir()) / "ganlogs-fuzz"
    where.mkdir(parents=True, exist_ok=True)
    path = where / f"{hashlib.sha256(data).hexdigest()[:16]}-{name}"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("reader_name", READERS)
def test_mutated_fixtures_raise_only_ganlogs_errors(reader_name, corpus):
    entries = corpus.get(reader_name)
    if not entries:
        pytest.skip(f"no fixture feeds {reader_name}")
    donors = [e[3] for e in entries]

    @settings(max_examples=EXAMPLES, deadline=timedelta(seconds=HANG_SECONDS / 2),
              derandomize=DERANDOMIZE, database=None, print_blob=True, phases=PHASES,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.filter_too_much])
    @given(which=st.integers(0, len(entries) - 1), ops=st.lists(MUTATION, min_size=1,
                                                                 max_size=4),
           inside=st.one_of(st.none(), st.integers(0, 2**16)))
    def check(which, ops, inside):
        reader, run, file, original = entries[which]
        data = None
        if inside is not None:  # behind the checksums, where the framing allows it
            data = mutate_framed(original, file.name, inside, ops, donors)
        if data is None:
            data = mutate(original, ops, donors)
        file.write_bytes(data)
        FUZZ_STATS[f"{reader_name}:tried"] += 1
        old = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, HANG_SECONDS)
        tracemalloc.start()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                reader.read(run, run_id="fuzz")
            FUZZ_STATS[f"{reader_name}:ok"] += 1
        except GanlogsError as exc:
            FUZZ_STATS[f"{reader_name}:error"] += 1
            assert "\n" not in str(exc), f"{reader_name}: error message spans lines: {exc!r}"
        except Hang:
            saved = _save(data, file.name)
            pytest.fail(f"{reader_name} took more than {HANG_SECONDS:.0f} s on a "
                        f"{len(data)}-byte input (saved as {saved}); ops={ops}")
        except Exception as exc:  # noqa: BLE001 - the point of the test
            saved = _save(data, file.name)
            pytest.fail(f"{reader_name} raised {type(exc).__name__}: {exc} on a mutated "
                        f"{file.name} (saved as {saved}); ops={ops}")
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            file.write_bytes(original)
        run_size = sum(p.stat().st_size for p in run_files(run))
        limit = MEMORY_FLOOR + MEMORY_FACTOR * run_size
        assert peak <= limit, (f"{reader_name} allocated {peak / 2**20:.1f} MiB reading a "
                               f"{run_size}-byte run (saved as {_save(data, file.name)})")

    check()


# ------------------------------------------------------------- mid-file corruption, resync
#: what is written over the bytes of the damaged span
_DAMAGE = st.sampled_from(["flip", "random", "zeros"])
RESYNC_EXAMPLES = max(20, EXAMPLES // 2)


def _damage(data: bytes, kind: str, at: int, size: int, seed: int,
            tail: bool = False) -> tuple[bytes, int, int]:
    """``data`` with ``size`` bytes from ``at`` overwritten (same length; ``tail``: the last
    ``size`` bytes); returns it and the span hit."""
    import numpy as np

    buf = bytearray(data)
    at = len(buf) - size if tail else at % len(buf)
    end = min(len(buf), at + size)
    if kind == "flip":
        buf[at] ^= 1 + seed % 255
        end = at + 1
    elif kind == "random":
        buf[at:end] = np.random.default_rng(seed).bytes(end - at)
    else:
        buf[at:end] = bytes(end - at)
    return bytes(buf), at, end


def _tb_records(n_steps: int = 150) -> list[bytes]:
    from ganlogs.readers import wire

    out = [wire.encode_file_version_event(1.7e9)]
    for i in range(n_steps):
        for tag in ("Loss/D", "Loss/G"):
            out.append(wire.encode_scalar_event(tag, 1.0 + i / 7, step=i, wall_time=1.7e9 + i))
    return out


@settings(max_examples=RESYNC_EXAMPLES, derandomize=DERANDOMIZE, database=None, deadline=None,
          phases=PHASES, suppress_health_check=[HealthCheck.too_slow])
@given(kind=_DAMAGE, at=st.integers(0, 2**20), size=st.integers(1, 400),
       seed=st.integers(0, 2**16), tail=st.booleans())
def test_tfrecord_mid_file_damage_keeps_every_untouched_record(kind, at, size, seed, tail):
    """Both TensorBoard decoders keep exactly the records the damage did not touch (before
    and after it), and report the same damaged spans; a zeroed tail is truncation."""
    import numpy as np

    from ganlogs.readers import wire
    from ganlogs.readers.tensorboard import decode_event_file

    payloads = _tb_records()
    clean = b"".join(wire.frame_record(p) for p in payloads)
    data, a, b = _damage(clean, kind, at, size, seed, tail)
    if data == clean:
        return
    heads = np.cumsum([0] + [len(p) + 16 for p in payloads])
    # record r (r >= 1) holds step (r - 1) // 2; untouched: its bytes miss [a, b)
    hit = [not (heads[r + 1] <= a or heads[r] >= b) for r in range(len(payloads))]
    zero_tail = not any(data[heads[min(r for r in range(len(payloads)) if hit[r])]:])
    expected = [(r - 1) // 2 for r in range(1, len(payloads)) if not hit[r]]
    if zero_tail:  # everything from the first hit record on is zeros: truncation
        first = min(r for r in range(len(payloads)) if hit[r])
        expected = [(r - 1) // 2 for r in range(1, first)]
    ref, fast = (decode_event_file(data, fast=fast) for fast in (False, True))
    assert ref.steps.tolist() == fast.steps.tolist() and ref.damage == fast.damage
    assert (ref.truncated_at, ref.zero_tail) == (fast.truncated_at, fast.zero_tail)
    assert ref.steps.tolist() == expected
    FUZZ_STATS["resync-tfrecord:tried"] += 1
    FUZZ_STATS["resync-tfrecord:damaged"] += bool(ref.damage)
    FUZZ_STATS["resync-tfrecord:truncated"] += ref.truncated_at is not None


@settings(max_examples=RESYNC_EXAMPLES, derandomize=DERANDOMIZE, database=None, deadline=None,
          phases=PHASES, suppress_health_check=[HealthCheck.too_slow])
@given(kind=_DAMAGE, at=st.integers(0, 2**20), size=st.integers(1, 400),
       seed=st.integers(0, 2**16), tail=st.booleans())
def test_wandb_mid_file_damage_keeps_every_untouched_record(kind, at, size, seed, tail):
    """Both .wandb decoders keep exactly the logical records whose physical records the
    damage did not touch (a multi-part record is lost with any of its parts)."""
    from ganlogs.readers import wire
    from ganlogs.readers.wandb import decode_file

    payloads = [_wandb_row(s) for s in range(300)]
    payloads[150] = _wandb_row(150, pad=40_000)  # crosses a block boundary
    clean = wire.encode_log(payloads)
    data, a, b = _damage(clean, kind, at, size, seed, tail)
    if data == clean or a < len(wire.WANDB_HEADER):
        return  # the file header is not a record: a bad one is an error, tested elsewhere
    spans = _logical_spans(clean)
    hit = [any(not (e <= a or s >= b) for s, e in parts) for parts in spans]
    first_hit = hit.index(True)
    tail = data[spans[first_hit][0][0]:]
    outcomes = []
    for fast in (False, True):
        res = decode_file(data, Path("x.wandb"), fast=fast)
        outcomes.append((res.columns[2].tolist(), res.damage, res.truncated))
    assert outcomes[0] == outcomes[1]
    steps, damage, truncated = outcomes[0]
    if not any(tail):  # the damage zeroed everything to the end: truncation
        assert steps == list(range(first_hit)) and truncated and not damage
    else:
        assert steps == [s for s in range(300) if not hit[s]]
    FUZZ_STATS["resync-wandb:tried"] += 1
    FUZZ_STATS["resync-wandb:damaged"] += bool(damage)
    FUZZ_STATS["resync-wandb:truncated"] += truncated is not None


def _wandb_row(step: int, pad: int = 0) -> bytes:
    """A wandb_internal.Record holding a HistoryRecord: step, ``loss`` and (``pad`` > 0) a
    long text item, so that the record is split across blocks."""
    from ganlogs.readers.wire import encode_key, encode_len, encode_varint

    def item(key: str, value_json: str) -> bytes:
        return encode_len(1, encode_len(2, key) + encode_len(16, value_json))

    body = item("_step", str(step)) + item("loss", f"{1 + step / 9:.6g}")
    if pad:
        body += item("note", '"' + "x" * pad + '"')
    body += encode_len(2, encode_key(1, 0) + encode_varint(step) if step else b"")
    return encode_len(2, body)


def _logical_spans(data: bytes) -> list[list[tuple[int, int]]]:
    """The physical records of each logical record of a clean log, as (start, end) byte
    spans: an independent walk for the test."""
    import struct

    from ganlogs.readers import wire

    pos, out, cur = len(wire.WANDB_HEADER), [], []
    while pos + wire.WANDB_RECORD_HEADER_SIZE <= len(data):
        left = wire.WANDB_BLOCK_SIZE - pos % wire.WANDB_BLOCK_SIZE
        if left < wire.WANDB_RECORD_HEADER_SIZE:
            pos += left
            continue
        _, length, rtype = struct.unpack_from("<IHB", data, pos)
        end = pos + wire.WANDB_RECORD_HEADER_SIZE + length
        cur.append((pos, end))
        if rtype in (wire.FULL, wire.LAST):
            out.append(cur)
            cur = []
        pos = end
    return out
