"""Vectorised decoding of a ``.wandb`` file's records (the fast path for large files).

The reference decoder (:func:`._wandb_decode.decode_history`) walks one history item
at a time in Python (about 1 microsecond per item). This module decodes the same protobuf
fields with numpy:

* records and history records are walked one *field position* at a time across all messages
  at once (the first field of every record, then the second...), so the number of numpy
  passes is the number of fields in the longest message, not the number of messages;
* items are checked all at once against the layout both writers produce (key fields, then
  one ``value_json`` that ends the item, one-byte tags and lengths); only items that do not
  fit are walked field by field;
* item keys get ids from pyarrow's hash dictionary encoding of their byte ranges where they
  lie in the buffer (exact, no copy); each distinct key is decoded once in Python;
* numeric ``value_json`` texts are converted by pyarrow where they lie in the buffer
  (:mod:`._spans`: no copy; correctly rounded, the same float64 as ``float()``; a text
  pyarrow rejects sends the file to the reference decoder);
* the few items that are not "key, then a number" (media, text, nested dicts stored as JSON,
  typed-only values) and the rare non-history records (run, config, exit, header) go through
  the reference code.

Anything unexpected (a malformed message, keys after values, a number text pyarrow
rejects) makes :func:`decode_records` return
False having changed nothing: the caller then runs the reference decoder, which also produces
the right error message. The tests run both decoders on every file they build and require
the same rows, notes and metadata.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._leveldb_log import Scan
from ._spans import numbers, spans
from ._wandb_decode import DROP, STEP, TIMESTAMP, VALUE, FileResult, History

__all__ = ["decode_records"]

CHUNK_RECORDS = 8192  # records decoded together (about 1 MB of a file's bytes: cached)
MAX_THREADS = 2  # threads decoding by default (the 2-core development machine)
_MAX_NESTED = 8  # key fields per item the predicted layout follows
_VALUE_START = np.zeros(256, dtype=bool)  # first bytes of a JSON number, NaN or +-Infinity
_VALUE_START[[ord(c) for c in "-0123456789NI"]] = True


class _Fallback(Exception):
    """The fast path does not handle this input; use the reference decoder."""


def _varint(arr: np.ndarray, p: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Decode one varint at each position ``p`` (bounded by ``e``): (values, ends), int64.

    int64 arithmetic makes a 10-byte varint come out as the two's-complement int64 that
    protobuf's int64 fields mean (``signed64`` of the unsigned value).
    """
    b = arr[p].astype(np.int64)
    val = b & 0x7F
    q = p + 1
    more = np.flatnonzero(b & 0x80)
    shift = 7
    while more.size:
        if shift > 63:
            raise _Fallback("varint longer than 10 bytes")
        qm = q[more]
        if (qm >= e[more]).any():
            raise _Fallback("varint runs past the end of its message")
        bm = arr[qm].astype(np.int64)
        val[more] |= (bm & 0x7F) << shift
        q[more] = qm + 1
        more = more[(bm & 0x80) != 0]
        shift += 7
    return val, q


def _walk(arr: np.ndarray, starts: np.ndarray, ends: np.ndarray, *, ordered: bool = True
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every field of the messages ``arr[starts[i]:ends[i]]``.

    Returns ``(owner, field, wire_type, a, b, at)``. For VARINT fields ``a`` is the value;
    for LEN, I64 and I32 ``[a, b)`` is the payload; ``at`` is where the field (its key)
    starts. ``ordered``: sorted by owner, each owner's fields in message order; otherwise
    grouped by field position (the first field of every message, then the second...).
    """
    owner_parts, field_parts, wt_parts, a_parts, b_parts, at_parts = [], [], [], [], [], []
    live = np.flatnonzero(starts < ends)
    pos = starts.astype(np.int64, copy=True)
    while live.size:
        p = pos[live]
        e = ends[live]
        at_parts.append(p)
        key, p = _varint(arr, p, e)
        wt = key & 7
        field = key >> 3
        a = np.empty_like(p)
        b = np.empty_like(p)
        if ((wt != 0) & (wt != 1) & (wt != 2) & (wt != 5)).any() or (field <= 0).any():
            raise _Fallback("unsupported wire type or field number 0")
        m = np.flatnonzero(wt == 2)
        if m.size:
            pm = p[m]
            if (pm >= e[m]).any():
                raise _Fallback("length runs past the end of its message")
            ln, q = _varint(arr, pm, e[m])
            if (ln < 0).any():
                raise _Fallback("negative length")
            a[m] = q
            p[m] = b[m] = q + ln
        if m.size < p.size:
            m = np.flatnonzero(wt == 0)
            if m.size:
                if (p[m] >= e[m]).any():
                    raise _Fallback("varint runs past the end of its message")
                v, q = _varint(arr, p[m], e[m])
                a[m] = v
                b[m] = 0
                p[m] = q
            for wire, size in ((1, 8), (5, 4)):
                m = np.flatnonzero(wt == wire)
                if m.size:
                    a[m] = p[m]
                    p[m] = b[m] = p[m] + size
        if (p > e).any():
            raise _Fallback("field runs past the end of its message")
        owner_parts.append(live)
        field_parts.append(field)
        wt_parts.append(wt.astype(np.int8))
        a_parts.append(a)
        b_parts.append(b)
        pos[live] = p
        live = live[p < e]
    if not owner_parts:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z.astype(np.int8), z, z, z
    columns = (owner_parts, field_parts, wt_parts, a_parts, b_parts, at_parts)
    if not ordered or len(owner_parts) == 1:
        return tuple(np.concatenate(x) for x in columns)  # type: ignore[return-value]
    # per owner, in field order: pass k holds field k of every owner still live, so field k
    # of owner i goes to (fields of owners before i) + k; no sort needed
    counts = np.zeros(starts.size, dtype=np.int64)
    for live_k in owner_parts:
        counts[live_k] += 1
    first = np.cumsum(counts) - counts
    total = int(counts.sum())
    out = []
    for parts in columns:
        col = np.empty(total, dtype=parts[0].dtype)
        for k, (live_k, part) in enumerate(zip(owner_parts, parts)):
            col[first[live_k] + k] = part
        out.append(col)
    return tuple(out)  # type: ignore[return-value]


def _walk_short(arr: np.ndarray, starts: np.ndarray, ends: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """:func:`_walk` for messages made only of LEN fields with a one-byte key and a one-byte
    length (a history record as both writers write it: items and the step): ``(owner,
    field, a, b)`` sorted by owner, each owner's fields in message order; None when a message
    holds anything else (then :func:`_walk` reads it).

    Every message advances one field per pass (a message that has ended stays where it
    ended), so pass ``k`` fills row ``k`` of a (fields x messages) table and no pass
    compacts the messages still going: a pass is one two-byte gather and a few
    element-wise operations."""
    n = starts.size
    if arr.size < 2 or not n:
        return None if n else tuple(np.zeros(0, dtype=np.int64) for _ in range(4))
    cap = arr.size - 2
    pos = starts.astype(np.int64, copy=True)
    going = pos < ends
    keys, begins = [], []
    while going.any():
        at = np.minimum(pos, cap)  # key byte, then length byte (two byte gathers: faster
        kl = arr[at] | (arr[at + 1].astype(np.uint16) << 8)  # than an unaligned uint16 view)
        # wire type 2, a one-byte key (< 0x80), field > 0; a one-byte length (< 0x80)
        if (going & (((kl & 0x8087) != 0x0002) | ((kl & 0xFF) < 8) | (pos + 2 > ends))).any():
            return None
        nxt = np.where(going, pos + 2 + (kl >> 8), pos)
        if (nxt > ends).any():
            return None
        keys.append(np.where(going, kl & 0xFF, 0).astype(np.uint8))
        begins.append(pos)
        pos = nxt
        going = pos < ends
    key = np.stack(keys, axis=1)  # (messages, fields): message order is row-major order
    begin = np.stack(begins, axis=1)
    real = key != 0
    begin, key = begin[real], key[real]
    owner = np.broadcast_to(np.arange(n)[:, None], real.shape)[real]
    a = begin + 2
    b = a + arr[begin + 1]  # the length byte again, for the fields kept
    return owner, (key >> 3).astype(np.int64), a, b


def _buffer_groups(starts: np.ndarray, file_size: int) -> list[np.ndarray] | None:
    """None when ``starts`` increase (the pyarrow passes read ranges where they lie in the
    buffer, in increasing order); else the items in groups whose starts increase: those in
    the file's bytes, then those of multi-part records, which lie after them
    (``>= file_size``).

    Items come in record order, so each group is already in buffer order; it is checked,
    and sorted only if not."""
    if not (starts[1:] < starts[:-1]).any():
        return None
    after = starts >= file_size
    out = []
    for idx in (np.flatnonzero(~after), np.flatnonzero(after)):
        s = starts[idx]
        if (s[1:] < s[:-1]).any():  # not the writers' layout: sort
            idx = idx[np.argsort(s, kind="stable")]
        out.append(idx)
    return out


def _key_ids(arr: np.ndarray, starts: np.ndarray, lengths: np.ndarray, file_size: int
             ) -> tuple[np.ndarray, np.ndarray]:
    """Ids of equal byte strings ``arr[starts[i]:starts[i]+lengths[i]]``: (ids, the first
    item of each id). pyarrow's hash dictionary encodes the ranges where they lie in the
    buffer (:mod:`._spans`; exact: it compares the bytes); ids are numbered in order of first
    appearance in the buffer. (Hashing 8-byte words of the keys with numpy was tried: its
    unaligned gathers made it twice as slow.)"""
    if not starts.size:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    n = starts.size
    groups = _buffer_groups(starts, file_size)
    chunks = []
    for idx in ([None] if groups is None else groups):
        a = starts if idx is None else starts[idx]
        b = a + (lengths if idx is None else lengths[idx])
        g = spans(arr, a, b)
        chunks.append(g.view(pa.binary() if g.type == pa.string() else pa.large_binary()))
    # one dictionary over the groups, in order of first appearance in the buffer
    encoded = pc.dictionary_encode(pa.chunked_array(chunks))
    in_buffer = np.concatenate([_indices(c) for c in encoded.chunks])  # buffer order
    first = np.flatnonzero(_firsts(in_buffer))
    if groups is None:
        return in_buffer, first
    order = np.concatenate(groups)
    ids = np.empty(n, dtype=np.int64)
    ids[order] = in_buffer
    return ids, order[first]


def _indices(codes: pa.DictionaryArray) -> np.ndarray:
    """The dictionary indices of entries 1, 3, 5... (the ranges of :func:`._spans.spans`),
    int64, read from the indices buffer as it is (the gaps' slots are skipped)."""
    idx = codes.indices
    raw = np.frombuffer(idx.buffers()[1], dtype=idx.type.to_pandas_dtype())
    return raw[idx.offset:idx.offset + len(idx)][1::2].astype(np.int64)


def _firsts(ids: np.ndarray) -> np.ndarray:
    """Whether each item is its id's first (ids count up in order of first appearance)."""
    new = np.empty(ids.size, dtype=bool)
    new[0] = True
    new[1:] = ids[1:] > np.maximum.accumulate(ids)[:-1]
    return new


def _parse_numbers(arr: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """float64 of the number texts ``arr[starts[i]:ends[i]]`` (sorted, non-overlapping),
    converted by pyarrow where they lie in the buffer (:mod:`._spans`)."""
    if not starts.size:
        return np.zeros(0)
    if (starts[1:] < ends[:-1]).any():
        raise _Fallback("number texts overlap")
    # pyarrow reads every text float() reads the same way, except with spaces or '_' around
    # digits, which it rejects (then the reference decoder reads the file); the NaN and
    # Infinity spellings it would also take are kept out by the caller
    try:
        return numbers(arr, starts, ends, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise _Fallback("a number text pyarrow does not read") from None


def _predicted_items(arr: np.ndarray, starts: np.ndarray, ends: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Check every item against the layout both writers produce: key fields (1 or 2) with
    one-byte tags and lengths, then one ``value_json`` (field 16, tag ``82 01``) with a
    one-byte length that ends the item. Returns (fits, key_end, json_start, json_end).

    Items with one key field (a flat key, or a nested key of one part: most items) are
    checked first, with five byte reads each; the others go through the general check."""
    if arr.size < 3:
        return _predicted_general(arr, starts, ends)
    cap = arr.size - 3
    at = np.minimum(starts, cap)
    kl = arr[at + 1]
    q1 = starts + 2 + kl
    at1 = np.minimum(q1, cap)
    ln = arr[at1 + 2]
    # q1 + 3 + ln == ends implies the item holds the key's tag and length bytes
    fits = ((kl < 0x80) & (q1 + 3 + ln == ends) & (arr[at1] == 0x82) & (arr[at1 + 1] == 0x01)
            & (ln < 0x80))
    t = arr[at]
    fits &= (t == 0x0A) | (t == 0x12)
    q = np.where(fits, q1, starts)
    rest = np.flatnonzero(~fits)
    if rest.size:
        f, k, _, _ = _predicted_general(arr, starts[rest], ends[rest])
        fits[rest] = f
        q[rest] = k
    return fits, q, q + 3, ends.copy()


def _predicted_general(arr: np.ndarray, starts: np.ndarray, ends: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_predicted_items` for any number of key fields (up to ``_MAX_NESTED``)."""
    last = arr.size - 1
    q = starts.copy()
    for _ in range(_MAX_NESTED):
        t = arr[np.minimum(q, last)]
        ln = arr[np.minimum(q + 1, last)].astype(np.int64)
        step = ((t == 0x0A) | (t == 0x12)) & (q + 1 < ends) & (ln < 0x80)
        if not step.any():
            break
        q = np.where(step, q + 2 + ln, q)
    t = arr[np.minimum(q, last)]
    t1 = arr[np.minimum(q + 1, last)]
    ln = arr[np.minimum(q + 2, last)].astype(np.int64)
    fits = ((q + 3 <= ends) & (t == 0x82) & (t1 == 0x01) & (ln < 0x80) & (q + 3 + ln == ends))
    return fits, q, q + 3, ends.copy()


def decode_records(found: Scan, res: FileResult,
                   handle_other: Callable[[bytes, int, int, int], None],
                   item_tag: Callable[[bytes, int, int], str], key_kind: Callable[[str], int],
                   slow_item: Callable[..., None], *, threads: int | None = None) -> bool:
    """Decode every logical record of ``found``; fill ``res.columns`` with the history rows.

    ``threads``: how many threads decode (None: :func:`_threads`).

    ``handle_other(buf, field, a, b)`` decodes a non-history top-level field (config, run,
    exit, header, telemetry) with the reference code. Returns False, having changed nothing in
    ``res``, when the fast path does not apply (the caller then uses the reference decoder).
    """
    try:
        out = _decode(found, item_tag, key_kind, slow_item,
                      _threads() if threads is None else max(1, threads))
    except (_Fallback, IndexError, ValueError, OverflowError, pd.errors.ParserError):
        return False
    buf, others, columns, step_from, n_hist, skipped = out
    for field, a, b in others:
        handle_other(buf, field, a, b)
    res.columns = columns
    res.hist.step_from.update(step_from)
    res.hist.n_records = n_hist
    for kind, counter in skipped.items():
        res.hist.skipped[kind].update(counter)
    return True


def _threads() -> int:
    """Threads the decoding may use: one per CPU, at most :data:`MAX_THREADS`; one in a
    process started by :mod:`multiprocessing` (a worker of a sweep, which has one worker per
    CPU already: a second thread there only adds CPU time)."""
    if multiprocessing.parent_process() is not None:
        return 1
    return min(os.cpu_count() or 1, MAX_THREADS)


def _front_parts(arr: np.ndarray, rec_start: np.ndarray, rec_end: np.ndarray, threads: int
                 ) -> list[tuple]:
    """:func:`_front` of consecutive chunks of :data:`CHUNK_RECORDS` records (a chunk's bytes
    stay in the CPU's cache through its passes), on one thread per CPU (numpy releases the
    GIL), in record order."""
    n = rec_start.size
    bounds = list(range(0, n, CHUNK_RECORDS)) + [n]
    chunks = [(arr, rec_start[i:j], rec_end[i:j]) for i, j in zip(bounds[:-1], bounds[1:])]
    threads = min(len(chunks), threads)
    if threads <= 1:
        return [_front(*c) for c in chunks]
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda c: _front(*c), chunks))


def _predicted_records(arr: np.ndarray, rs: np.ndarray, re: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which records are exactly ``num`` (field 1, a varint) then one history message (field
    2, a length of up to three bytes) that ends the record, as both writers write a history
    record: (fits, history start, history end). The others are walked by :func:`_walk`."""
    if arr.size < 4:
        return np.zeros(rs.size, dtype=bool), rs, re
    cap = arr.size - 1
    fits = (re - rs >= 4) & (arr[np.minimum(rs, cap)] == 0x08)
    v = rs + 1  # through the num varint: at most 10 bytes
    going = fits.copy()
    for _ in range(10):
        idx = np.flatnonzero(going)
        if not idx.size:
            break
        more = arr[np.minimum(v[idx], cap)] >= 0x80
        v[idx] += 1
        going[idx[~more]] = False
    fits &= ~going
    at = np.minimum(v, cap - 3)
    l0, l1, l2 = (arr[at + k].astype(np.int64) for k in (1, 2, 3))
    one = l0 < 0x80
    two = ~one & (l1 < 0x80)
    three = ~one & ~two & (l2 < 0x80)
    length = np.where(one, l0, (l0 & 0x7F) | (l1 & 0x7F) << 7 | np.where(two, 0, l2 << 14))
    hs = v + 2 + two + 2 * three
    he = hs + length
    fits &= (one | two | three) & (arr[at] == 0x12) & (at == v) & (he == re)
    return fits, hs, he


def _front(arr: np.ndarray, rec_start: np.ndarray, rec_end: np.ndarray) -> tuple:
    """The per-record half of the decoding, for the records ``arr[rec_start:rec_end]``:
    ``(others, n_hist, has_step, step_num, item_h, item_s, item_e, key_end, json_s, json_e,
    n_json)``: the non-history fields for the reference code, then per history record
    whether it has a step message and its number, then per item its history record, its
    span, where its key fields end, its (last) ``value_json`` span and how many it has."""
    # records -> history spans, and the few other fields for the reference code
    fits, hs, he = _predicted_records(arr, rec_start, rec_end)
    others: list[tuple[int, int, int]] = []
    if not fits.all():
        rest = np.flatnonzero(~fits)
        owner, field, wt, a, b, _ = _walk(arr, rec_start[rest], rec_end[rest])
        is_hist = np.flatnonzero((field == 2) & (wt == 2))
        other = np.flatnonzero(np.isin(field, (5, 11, 17, 18, 21)) & (wt == 2))
        others = [(int(field[i]), int(a[i]), int(b[i])) for i in other]
        # history messages in record order (a record's own in message order: stable sort)
        record = np.concatenate([np.flatnonzero(fits), rest[owner[is_hist]]])
        order = np.argsort(record, kind="stable")
        hs = np.concatenate([hs[fits], a[is_hist]])[order]
        he = np.concatenate([he[fits], b[is_hist]])[order]
    n_hist = hs.size

    # history records -> items and steps
    short = _walk_short(arr, hs, he)
    if short is not None:  # every field a LEN field (the writers' layout)
        h_owner, h_field, h_a, h_b = short
    else:
        h_owner, h_field, h_wt, h_a, h_b, _ = _walk(arr, hs, he)
        if ((h_field == 1) & (h_wt != 2)).any() or ((h_field == 2) & (h_wt != 2)).any():
            raise _Fallback("unexpected wire type in a history record")
    it = np.flatnonzero(h_field == 1)  # items in record order, then item order
    item_h, item_s, item_e = h_owner[it], h_a[it], h_b[it]
    st = h_field == 2
    has_step = np.zeros(n_hist, dtype=bool)
    has_step[h_owner[st]] = True
    step_num = np.zeros(n_hist, dtype=np.int64)
    # step messages: one varint num (field 1) as the writers write them, else walked
    ss, se = h_a[st], h_b[st]
    step_h = h_owner[st]
    simple = (se - ss >= 2) & (arr[np.minimum(ss, arr.size - 1)] == 0x08)
    if simple.any():
        k = np.flatnonzero(simple)
        value, end = _varint(arr, ss[k] + 1, se[k])
        done = end == se[k]
        step_num[step_h[k[done]]] = value[done]
        simple[k[~done]] = False
    if not simple.all():
        k = np.flatnonzero(~simple)
        s_owner, s_field, s_wt, s_a, _, _ = _walk(arr, ss[k], se[k])
        num = (s_field == 1) & (s_wt == 0)
        step_num[step_h[k][s_owner[num]]] = s_a[num]

    # items -> key region, value_json: the writers' layout is predicted for every item at once;
    # the items it does not fit are walked field by field
    fits, key_end, json_s, json_e = _predicted_items(arr, item_s, item_e)
    n_json = fits.astype(np.int64)
    rest = np.flatnonzero(~fits)
    if rest.size:
        r_s, r_e = item_s[rest], item_e[rest]
        i_owner, i_field, i_wt, i_a, i_b, i_at = _walk(arr, r_s, r_e, ordered=False)
        is_key = ((i_field == 1) | (i_field == 2)) & (i_wt == 2)
        r_key_end = r_s.copy()
        np.maximum.at(r_key_end, i_owner[is_key], i_b[is_key])
        # key fields must come first (both writers do that): then they are [item_s, key_end)
        first_other = np.full(rest.size, np.iinfo(np.int64).max)
        np.minimum.at(first_other, i_owner[~is_key], i_at[~is_key])
        if (first_other < r_key_end).any():
            raise _Fallback("a key field after a value field")
        is_json = (i_field == 16) & (i_wt == 2)
        n_json[rest] = np.bincount(i_owner[is_json], minlength=rest.size)
        key_end[rest] = r_key_end
        json_s[rest] = 0
        json_e[rest] = 0
        json_s[rest[i_owner[is_json]]] = i_a[is_json]  # the last one wins, as in protobuf
        json_e[rest[i_owner[is_json]]] = i_b[is_json]

    return (others, n_hist, has_step, step_num, item_h, item_s, item_e, key_end, json_s,
            json_e, n_json)


def _decode(found, item_tag, key_kind, slow_item, threads):
    # FULL records are read where they lie in the file; multi-part ones were joined by the
    # framing reader and are appended after the file's bytes
    rec_start = found.starts.copy()
    rec_end = found.ends.copy()
    joined = sorted(found.joined)
    buf = data = found.buf
    if joined:
        extra = [found.joined[i] for i in joined]
        offsets = np.cumsum([len(data)] + [len(x) for x in extra])
        rec_start[joined] = offsets[:-1]
        rec_end[joined] = offsets[1:]
        buf = data + b"".join(extra)
    arr = np.frombuffer(buf, dtype=np.uint8)

    parts = _front_parts(arr, rec_start, rec_end, threads)
    others = [o for part in parts for o in part[0]]
    hist_base = np.cumsum([0] + [part[1] for part in parts])
    n_hist = int(hist_base[-1])
    has_step, step_num = (np.concatenate([part[k] for part in parts]) for k in (2, 3))
    item_h = np.concatenate([part[4] + base for part, base in zip(parts, hist_base)])
    item_s, item_e, key_end, json_s, json_e, n_json = (
        np.concatenate([part[k] for part in parts]) for k in range(5, 11))

    # keys -> ids on a second thread (pyarrow releases the GIL) while the number texts of
    # the items that look like numbers are converted; items of bookkeeping keys are dropped
    # after (their texts converted for nothing: about one item in seven)
    pool = ThreadPoolExecutor(1) if threads > 1 else None
    try:
        key_job = pool.submit(_key_ids, arr, item_s, key_end - item_s, len(data)) if pool \
            else None
        # fast items: one value_json that starts like a number (NaN/Infinity checked exactly)
        json_len = json_e - json_s
        first_byte = arr[np.minimum(json_s, arr.size - 1)]
        fast = (n_json == 1) & (json_len > 0) & _VALUE_START[first_byte] & (json_len <= 64)
        for letter, word in ((ord("N"), b"NaN"), (ord("I"), b"Infinity")):
            cand = np.flatnonzero(fast & (first_byte == letter))
            bad = [i for i in cand.tolist() if buf[json_s[i]:json_e[i]] != word]
            fast[bad] = False
        neg = np.flatnonzero(fast & (first_byte == ord("-")) & (json_len > 1))
        if neg.size:
            second = arr[json_s[neg] + 1]
            cand = neg[second == ord("I")]
            bad = [i for i in cand.tolist() if buf[json_s[i]:json_e[i]] != b"-Infinity"]
            fast[bad] = False
            fast[neg[second == ord("N")]] = False
        numeric = np.flatnonzero(fast)
        # multi-part records lie after the file's bytes: parse in buffer order, then put back
        num_s, num_e = json_s[numeric], json_e[numeric]
        groups = _buffer_groups(num_s, len(data))
        if groups is None:
            numeric_values = _parse_numbers(arr, num_s, num_e)
        else:
            numeric_values = np.empty(numeric.size)
            for idx in groups:
                numeric_values[idx] = _parse_numbers(arr, num_s[idx], num_e[idx])
        ids, first = key_job.result() if key_job else _key_ids(arr, item_s, key_end - item_s,
                                                                len(data))
    finally:
        if pool:
            pool.shutdown()

    # distinct keys -> tag, kind
    tags: list[str] = []
    kinds = np.empty(first.size, dtype=np.int8)
    for k, i in enumerate(first.tolist()):
        tag = item_tag(buf, int(item_s[i]), int(key_end[i]))
        tags.append(tag)
        kinds[k] = key_kind(tag)
    item_kind = kinds[ids]
    kept = item_kind[numeric] != DROP
    fast_idx = numeric[kept]
    values = numeric_values[kept]
    fast[numeric[~kept]] = False

    wall = np.full(n_hist, np.nan)
    step_item = np.full(n_hist, np.nan)
    kinds_fast = item_kind[fast_idx]
    ts = kinds_fast == TIMESTAMP
    wall[item_h[fast_idx[ts]]] = values[ts]
    sp = kinds_fast == STEP
    step_item[item_h[fast_idx[sp]]] = values[sp]

    # the rest, item by item with the reference code
    slow_hist = History()
    slow_rows: list[tuple[int, str, float]] = []
    for i in np.flatnonzero(~fast & (item_kind != DROP)).tolist():
        h = int(item_h[i])
        kind, result = slow_item(buf, int(item_s[i]), int(key_end[i]), int(item_e[i]),
                                 tags[ids[i]], slow_hist)
        if kind == TIMESTAMP and result is not None:
            wall[h] = result
        elif kind == STEP and result is not None:
            step_item[h] = result
        elif kind == VALUE:
            slow_rows.extend((i, t, v) for t, v in result)

    # steps: the step message, else a finite _step item, else the record index
    finite = np.isfinite(step_item) & (np.abs(step_item) < 2.0 ** 63)
    use_item = ~has_step & finite
    use_index = ~has_step & ~finite
    steps = np.where(has_step, step_num, 0)
    steps[use_item] = step_item[use_item].astype(np.int64)
    steps[use_index] = np.flatnonzero(use_index)
    step_from = {"record": int(has_step.sum()), "_step": int(use_item.sum()),
                 "index": int(use_index.sum())}
    step_from = {k: v for k, v in step_from.items() if v}

    # rows: fast value items and slow rows, in item order
    val_mask = kinds_fast == VALUE
    row_item = fast_idx[val_mask]
    row_code = ids[row_item]
    row_value = values[val_mask]
    categories = list(tags)
    if slow_rows:
        code_of = {t: c for c, t in enumerate(categories)}
        extra_codes = []
        for _, t, _ in slow_rows:
            c = code_of.get(t)
            if c is None:
                c = code_of[t] = len(categories)
                categories.append(t)
            extra_codes.append(c)
        row_item = np.concatenate([row_item, np.fromiter((r[0] for r in slow_rows), np.int64)])
        row_code = np.concatenate([row_code, np.asarray(extra_codes, dtype=np.int64)])
        row_value = np.concatenate([row_value, np.fromiter((r[2] for r in slow_rows),
                                                           np.float64)])
        order = np.argsort(row_item, kind="stable")
        row_item, row_code, row_value = row_item[order], row_code[order], row_value[order]
    row_h = item_h[row_item]
    columns = (categories, row_code, steps[row_h], row_value, wall[row_h])
    return buf, others, columns, step_from, n_hist, slow_hist.skipped


