"""``wandb_internal.Record`` decoding shared by the reference and the fast ``.wandb`` readers.

:mod:`.wandb` (the reader and the reference decoder's driver) and :mod:`._wandb_fast` (the
vectorised decoder) both import from here, so neither imports the other's private names and
there is no import cycle. The conventions (tags, steps, wall times, skipped values) are in
:mod:`.wandb`'s docstring; field numbers in ``docs/formats.md``, section "Weights & Biases".
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from typing import Any

import numpy as np

from ._protobuf import WireError, double_at, iter_fields, read_varint, signed64, zigzag

__all__ = ["BOOKKEEPING_KEYS", "is_bookkeeping", "History", "VALUE", "TIMESTAMP", "STEP", "DROP",
           "key_kind", "item_tag", "slow_item", "decode_history", "FileResult", "OTHER_FIELDS",
           "other_field", "decode_record"]

#: history keys that are bookkeeping, not series (plus every key starting with ``_wandb``)
BOOKKEEPING_KEYS = frozenset({"_step", "_timestamp", "_runtime", "_wandb"})



def is_bookkeeping(tag: str) -> bool:
    return tag in BOOKKEEPING_KEYS or tag.startswith("_wandb")


class History:
    """Accumulates history rows of one ``.wandb`` file in flat lists (fast to build)."""

    __slots__ = ("tags", "steps", "values", "walls", "skipped", "step_from", "n_records",
                 "tag_cache")

    def __init__(self) -> None:
        self.tags: list[str] = []
        self.steps: list[int] = []
        self.values: list[float] = []
        self.walls: list[float] = []
        self.skipped: dict[str, Counter[str]] = defaultdict(Counter)  # kind -> key counts
        self.step_from: Counter[str] = Counter()
        self.n_records = 0
        self.tag_cache: dict[bytes, tuple[str, int]] = {}  # key bytes -> (tag, key kind)

    def columns(self) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(tag names, tag codes, steps, values, wall times) as arrays."""
        names = list(dict.fromkeys(self.tags))
        code_of = {t: i for i, t in enumerate(names)}
        codes = np.fromiter((code_of[t] for t in self.tags), dtype=np.int64,
                            count=len(self.tags))
        return (names, codes, np.asarray(self.steps, dtype=np.int64),
                np.asarray(self.values, dtype=np.float64),
                np.asarray(self.walls, dtype=np.float64))


def _text(buf: bytes, a: int, b: int) -> str:
    return buf[a:b].decode("utf-8", "replace")


def _classify(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dict):
        return str(value.get("_type", "dict"))
    if isinstance(value, list):
        return "list"
    return type(value).__name__


def _as_float(number: int | float) -> float:
    """float64 of a JSON number; an integer beyond float64's range is +-inf, as in JSON text
    parsed by ``float()``."""
    try:
        return float(number)
    except OverflowError:
        return math.inf if number > 0 else -math.inf


def _flatten(tag: str, value: Any, out: list[tuple[str, Any]]) -> None:
    """Flatten a nested dict (no ``_type``) to ``a.b`` leaves, as W&B's exports do."""
    if isinstance(value, dict) and "_type" not in value:
        for k, v in value.items():
            _flatten(f"{tag}.{k}", v, out)
    else:
        out.append((tag, value))


def _json_values(tag: str, raw: bytes, hist: History) -> list[tuple[str, float]]:
    """Slow path for a value_json that ``float()`` did not take: JSON text, dicts, media."""
    leaves: list[tuple[str, Any]] = []
    try:
        _flatten(tag, json.loads(raw), leaves)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        hist.skipped["unparsable JSON"][tag] += 1
        return []
    out = []
    for leaf_tag, leaf in leaves:
        if isinstance(leaf, (int, float)) and not isinstance(leaf, bool):
            out.append((leaf_tag, _as_float(leaf)))
        else:
            hist.skipped[_classify(leaf)][leaf_tag] += 1
    return out


VALUE, TIMESTAMP, STEP, DROP = 0, 1, 2, 3  # what an item's key is


def key_kind(tag: str) -> int:
    if tag == "_timestamp":
        return TIMESTAMP
    if tag == "_step":
        return STEP
    return DROP if is_bookkeeping(tag) else VALUE


def _item_value(buf: bytes, p: int, q: int, ie: int, tag: str
                ) -> tuple[str, bytes | None, float | None, str | None]:
    """The general case of one HistoryItem's value: ``(tag, value_json, typed, other_kind)``.

    ``value_json`` (field 16) wins over the typed oneof (3 none, 4 boolean, 5 integer,
    6 number, 7 text, 8 json); ``other_kind`` names a non-numeric typed value.
    """
    raw = None
    typed = None
    kind = None
    for field, wt, x, y in iter_fields(buf, q, ie):
        if field == 16 and wt == 2:
            raw = buf[x:y]
        elif field == 6 and wt == 1:
            typed = double_at(buf, x)
        elif field == 5 and wt == 0:
            typed = float(zigzag(x))
        elif field == 1 or field == 2:  # a key after a value: not wandb's order
            tag = item_tag(buf, p, ie)
        elif field == 8 and wt == 2:
            kind = "json"
            json_raw = buf[x:y]
        elif field == 4:
            kind = "boolean"
        elif field == 3:
            kind = "null"
        elif field == 7:
            kind = "text"
    if raw is None and kind == "json":
        raw = json_raw
    return tag, raw, typed, kind


def slow_item(buf: bytes, p: int, q: int, ie: int, tag: str, hist: History
               ) -> tuple[int, Any]:
    """The general case of one HistoryItem ``buf[p:ie]`` whose key fields end at ``q``.

    Returns ``(kind, result)``: for a series key, ``result`` is a list of ``(tag, value)``
    (empty when the value is not a number, which is counted in ``hist.skipped``; several for a
    nested dict stored as JSON); for ``_timestamp``/``_step`` it is the float or None; for a
    bookkeeping key, None.
    """
    tag, raw, typed, other = _item_value(buf, p, q, ie, tag)
    kind = key_kind(tag)
    if kind == DROP:
        return kind, None
    if kind != VALUE:  # _timestamp or _step
        v = typed
        if raw is not None:
            try:
                v = float(raw)
            except ValueError:
                v = None
        return kind, v
    if raw is not None:
        try:
            return kind, [(tag, float(raw))]
        except ValueError:
            return kind, [(t, v) for t, v in _json_values(tag, raw, hist)
                          if not is_bookkeeping(t)]
    if typed is not None:
        return kind, [(tag, typed)]
    hist.skipped[other or "empty"][tag] += 1
    return kind, []


def decode_history(buf: bytes, a: int, b: int, hist: History) -> None:
    """Decode one HistoryRecord in ``buf[a:b]`` and append its points to ``hist``.

    The hot path of the reader. Items are walked with one-byte tag checks; the key bytes of an
    item are looked up in a cache (the same few keys repeat on every row), so each key is
    decoded once per file; an item that ends with a short ``value_json`` (what both writers
    produce) takes a fast path, and values go through ``float()`` first, which reads JSON
    numbers, ``NaN`` and ``Infinity``; JSON text, dicts and media take the slow path.
    Bytes past ``b`` may be read by the length checks (they belong to the same buffer); an
    ``IndexError`` at the buffer's end is mapped to corruption by the caller.
    """
    step: int | None = None
    step_item: float | None = None
    wall = float("nan")
    row_tags: list[str] = []
    row_values: list[float] = []
    cache = hist.tag_cache
    pos = a
    while pos < b:
        t = buf[pos]
        if t == 0x0A:  # field 1: item
            ln = buf[pos + 1]
            if ln < 0x80:
                p = pos + 2
            else:
                ln, p = read_varint(buf, pos + 1, b)
            ie = p + ln
            if ie > b:
                raise WireError("history item runs past the end of the record")
            pos = ie
            # key fields (1 key, 2 nested_key) come first in both writers' serialization
            q = p
            while q < ie:
                kt = buf[q]
                if kt != 0x12 and kt != 0x0A:
                    break
                kl = buf[q + 1]
                if kl < 0x80:
                    q += 2 + kl
                else:
                    kl, q = read_varint(buf, q + 1, ie)
                    q += kl
            if q > ie:
                raise WireError("history item key runs past the end of the item")
            kb = buf[p:q]
            entry = cache.get(kb)
            if entry is None:
                tag = item_tag(buf, p, q)
                entry = cache[kb] = (tag, key_kind(tag))
            tag, kind = entry
            # fast path: the item ends with value_json (field 16, one-byte length)
            if q + 3 <= ie and buf[q] == 0x82 and buf[q + 1] == 0x01 and buf[q + 2] + q + 3 == ie:
                if kind == VALUE:
                    try:
                        row_values.append(float(buf[q + 3:ie]))
                        row_tags.append(tag)
                        continue
                    except ValueError:
                        pass
                elif kind == DROP:
                    continue
                else:  # _timestamp or _step
                    try:
                        v = float(buf[q + 3:ie])
                    except ValueError:
                        continue
                    if kind == TIMESTAMP:
                        wall = v
                    else:
                        step_item = v
                    continue
            kind, result = slow_item(buf, p, q, ie, tag, hist)
            if kind == VALUE:
                for leaf_tag, v in result:
                    row_tags.append(leaf_tag)
                    row_values.append(v)
            elif result is not None:
                if kind == TIMESTAMP:
                    wall = result
                elif kind == STEP:
                    step_item = result
        elif t == 0x12:  # field 2: step
            ln = buf[pos + 1]
            if ln < 0x80:
                p = pos + 2
            else:
                ln, p = read_varint(buf, pos + 1, b)
            se = p + ln
            if se > b:
                raise WireError("history step runs past the end of the record")
            step = 0
            if ln and buf[p] == 0x08:  # the usual: only field 1 (num)
                step, p = read_varint(buf, p + 1, se)
                step = signed64(step)
            if p < se:
                for field, wt, x, _ in iter_fields(buf, p, se):
                    if field == 1 and wt == 0:
                        step = signed64(x)
            pos = se
        else:  # _info and anything newer: skip it
            pos = _skip_field(buf, pos, b)
    if step is not None:
        hist.step_from["record"] += 1
    elif step_item is not None and math.isfinite(step_item) and abs(step_item) < 2.0 ** 63:
        step = int(step_item)
        hist.step_from["_step"] += 1
    else:
        step = hist.n_records
        hist.step_from["index"] += 1
    hist.n_records += 1
    k = len(row_tags)
    if k:
        hist.tags += row_tags
        hist.values += row_values
        hist.steps += [step] * k
        hist.walls += [wall] * k


def _skip_field(buf: bytes, pos: int, end: int) -> int:
    """The position after the field that starts at ``pos``."""
    for _field, wt, x, y in iter_fields(buf, pos, end):
        if wt == 0:  # iter_fields gives the value, not its end: read the varints again
            _, p = read_varint(buf, pos, end)
            return read_varint(buf, p, end)[1]
        return y
    return end


def item_tag(buf: bytes, a: int, b: int) -> str:
    """The tag of a HistoryItem whose key fields are not all at its start."""
    key = ""
    nested: list[str] = []
    for field, wt, x, y in iter_fields(buf, a, b):
        if wt == 2 and field == 1:
            key = _text(buf, x, y)
        elif wt == 2 and field == 2:
            nested.append(_text(buf, x, y))
    return key or ".".join(nested)


def _config_items(buf: bytes, a: int, b: int, hparams: dict[str, Any]) -> None:
    """Apply a ConfigRecord (``1 update``, ``2 remove``) to ``hparams``."""
    for field, wt, x, y in iter_fields(buf, a, b):
        if wt != 2 or field not in (1, 2):
            continue
        key = ""
        nested: list[str] = []
        raw = None
        for f2, w2, x2, y2 in iter_fields(buf, x, y):
            if w2 != 2:
                continue
            if f2 == 1:
                key = _text(buf, x2, y2)
            elif f2 == 2:
                nested.append(_text(buf, x2, y2))
            elif f2 == 16:
                raw = buf[x2:y2]
        key = key or ".".join(nested)
        if not key or key.startswith("_wandb"):
            continue
        if field == 2:
            hparams.pop(key, None)
            continue
        try:
            hparams[key] = json.loads(raw) if raw is not None else None
        except (ValueError, RecursionError):
            hparams[key] = raw.decode("utf-8", "replace") if raw is not None else None


def _strings(buf: bytes, a: int, b: int, wanted: dict[int, str]) -> dict[str, str]:
    out = {}
    for field, wt, x, y in iter_fields(buf, a, b):
        if wt == 2 and field in wanted:
            out[wanted[field]] = _text(buf, x, y)
    return out


class FileResult:
    __slots__ = ("hist", "hparams", "run", "exit_code", "producer", "cli_version",
                 "truncated", "records", "empty", "columns", "fast", "damage")

    def __init__(self) -> None:
        self.hist = History()
        self.hparams: dict[str, Any] = {}
        self.run: dict[str, Any] = {}
        self.exit_code: int | None = None
        self.producer: str | None = None
        self.cli_version: str | None = None
        self.truncated: str | None = None
        self.records = 0
        self.empty = False
        #: the history rows: (tag names, tag codes, steps, values, wall times)
        self.columns: tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None \
            = None
        self.fast = False  # decoded by the vectorised path
        self.damage: list = []  # skipped spans (ganlogs.readers.base.Damage), in file order


#: Record fields besides history that the reader decodes (config, telemetry, run, exit, header)
OTHER_FIELDS = frozenset({5, 11, 17, 18, 21})


def other_field(buf: bytes, field: int, p: int, end: int, res: FileResult) -> None:
    """Decode one of the rarer top-level Record fields (:data:`OTHER_FIELDS`)."""
    if field == 5:
        _config_items(buf, p, end, res.hparams)
    elif field == 17:
        _decode_run(buf, p, end, res)
    elif field == 18:
        code = 0
        for f2, w2, x2, _ in iter_fields(buf, p, end):
            if f2 == 1 and w2 == 0:
                code = signed64(x2)
                code = code - (1 << 32) if code >= 1 << 31 else code  # int32
        res.exit_code = code
    elif field == 21:
        for f2, w2, x2, y2 in iter_fields(buf, p, end):
            if f2 == 1 and w2 == 2:  # version_info
                producer = _strings(buf, x2, y2, {1: "producer"}).get("producer")
                if producer:
                    res.producer = producer
    elif field == 11:
        version = _strings(buf, p, end, {5: "cli_version"}).get("cli_version")
        if version:
            res.cli_version = version


def decode_record(buf: bytes, a: int, b: int, res: FileResult, hist: History) -> None:
    pos = a
    while pos < b:
        t = buf[pos]
        if t < 0x80:
            key, p = t, pos + 1
        else:
            key, p = read_varint(buf, pos, b)
        field, wt = key >> 3, key & 7
        if wt == 0:
            _, pos = read_varint(buf, p, b)
            continue
        if wt == 1:
            pos = p + 8
            continue
        if wt == 5:
            pos = p + 4
            continue
        if wt != 2:
            raise WireError(f"unsupported wire type {wt}")
        ln = buf[p] if p < b else 0x80
        if ln < 0x80:
            p += 1
        else:
            ln, p = read_varint(buf, p, b)
        end = p + ln
        if end > b:
            raise WireError("length-delimited field runs past the end of the record")
        pos = end
        if field == 2:
            decode_history(buf, p, end, hist)
        elif field in OTHER_FIELDS:
            other_field(buf, field, p, end, res)
    if pos > b:
        raise WireError("field runs past the end of the record")


def _decode_run(buf: bytes, a: int, b: int, res: FileResult) -> None:
    info = res.run
    for field, wt, x, y in iter_fields(buf, a, b):
        if wt == 2 and field in (1, 2, 3, 8, 13):
            name = {1: "run_id", 2: "entity", 3: "project", 8: "display_name", 13: "host"}[field]
            info[name] = _text(buf, x, y)
        elif field == 4 and wt == 2:
            _config_items(buf, x, y, res.hparams)
        elif field == 14 and wt == 0:
            info["starting_step"] = signed64(x)
        elif field == 18 and wt == 0:
            info["resumed"] = bool(x)
        elif field == 19 and wt == 2 and not res.cli_version:
            version = _strings(buf, x, y, {5: "cli_version"}).get("cli_version")
            if version:
                res.cli_version = version
