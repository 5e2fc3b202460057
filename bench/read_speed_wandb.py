"""Read-speed benchmark, W&B part: ganlogs' ``.wandb`` reader against what a user could do
without it.

Generates (once per run of the script) a run directory holding one ``run-bench.wandb`` of
``--rows`` history rows (default 100,000) in the layout of wandb-core (Go, >= 0.18):
six metrics per row with nested keys (``loss.D`` as ``["loss", "D"]``), ``_step``,
``_timestamp``, ``_runtime`` items, a summary record after every row (as wandb-core writes,
docs/wandb.md), JSON number texts as Go prints them. ``--style python`` writes the older
pure-Python sender's layout instead (flat keys, no summary records). Framing by
:class:`ganlogs.readers.wire.LogWriter` (wandb's own ``datastore.py`` layout).

Then it times, best of ``--repeat``:

* ``ganlogs``: ``WandbRunReader().read(run_dir)`` (framing, CRCs, decoding, Run model), once
  with the vectorised decoder (what large files get) and once with the reference decoder;
* ``protobuf`` (skipped if the ``protobuf`` package is absent; it is not a ganlogs
  dependency): the same framing, then ``Record.ParseFromString`` with upb from a descriptor
  built at run time (what reading with wandb's generated classes costs), ``json.loads`` of
  every value and a pandas DataFrame: the way a user would read the file with wandb <= 0.29;
* ``pandas.read_csv`` of the same points as a long CSV (``tag,step,value,wall_time``);

and prints seconds, history rows/s, points/s and the ratios.

Usage::

    nice python bench/read_speed_wandb.py [--rows 100000] [--style go|python] [--repeat 3]
                                          [--clock wall|cpu]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ganlogs.readers.wire import encode_len as _len, encode_varint as _varint

KEYS = (("loss", "D"), ("loss", "G"), ("d_loss",), ("g_loss",), ("D(x)",), ("D(G(z))",))


# --------------------------------------------------------------------------- a tiny encoder
def _item(key: tuple[str, ...], value: str, flat: bool) -> bytes:
    keys = _len(1, ".".join(key)) if flat else b"".join(_len(2, k) for k in key)
    return _len(1, keys + _len(16, value))


def generate(path: Path, rows: int, style: str) -> int:
    """Write the file; return the number of points (history values that are metrics)."""
    from ganlogs.readers.wire import LogWriter

    rng = np.random.default_rng(0)
    values = 1.0 + 0.3 * rng.standard_normal((rows, len(KEYS)))
    flat = style == "python"
    with open(path, "wb") as fh:
        writer = LogWriter(fh)
        num = 0
        for step in range(rows):
            items = [_item(k, repr(float(v)), flat) for k, v in zip(KEYS, values[step])]
            items += [_item(("_step",), str(step), flat),
                      _item(("_timestamp",), repr(1.7e9 + 0.01 * step), flat),
                      _item(("_runtime",), repr(0.01 * step), flat)]
            if not flat:
                items = items[::-1]
            body = b"".join(items) + _len(2, _varint(8) + _varint(step) if step else b"")
            num += 1
            writer.write(_varint(8) + _varint(num) + _len(2, body))
            if not flat:  # wandb-core writes a summary record per row
                num += 1
                summary = _len(1, _len(2, "d_loss") + _len(16, repr(float(values[step, 2]))))
                writer.write(_varint(8) + _varint(num) + _len(3, summary))
    return rows * len(KEYS)


def write_csv(path: Path, run) -> None:
    run.scalars[["tag", "step", "value", "wall_time"]].to_csv(path, index=False)


# --------------------------------------------------------------------------- baselines
def protobuf_reader():
    """A reader built the way wandb <= 0.29 users read .wandb files, or None."""
    try:
        from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    except ImportError:
        return None
    fdp = descriptor_pb2.FileDescriptorProto(name="bench_wandb.proto", package="bench",
                                             syntax="proto3")
    T = descriptor_pb2.FieldDescriptorProto

    def message(name, fields):
        m = fdp.message_type.add(name=name)
        for fname, number, ftype, label, type_name in fields:
            f = m.field.add(name=fname, number=number, type=ftype, label=label)
            if type_name:
                f.type_name = type_name

    opt, rep = T.LABEL_OPTIONAL, T.LABEL_REPEATED
    message("HistoryItem", [("key", 1, T.TYPE_STRING, opt, None),
                            ("nested_key", 2, T.TYPE_STRING, rep, None),
                            ("value_json", 16, T.TYPE_STRING, opt, None)])
    message("HistoryStep", [("num", 1, T.TYPE_INT64, opt, None)])
    message("HistoryRecord", [("item", 1, T.TYPE_MESSAGE, rep, ".bench.HistoryItem"),
                              ("step", 2, T.TYPE_MESSAGE, opt, ".bench.HistoryStep")])
    message("Record", [("num", 1, T.TYPE_INT64, opt, None),
                       ("history", 2, T.TYPE_MESSAGE, opt, ".bench.HistoryRecord")])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    Record = message_factory.GetMessageClass(pool.FindMessageTypeByName("bench.Record"))

    def read(path: Path) -> pd.DataFrame:
        from ganlogs.readers.wire import scan_log

        data = path.read_bytes()
        tags, steps, vals = [], [], []
        for buf, a, b in scan_log(data).records:
            rec = Record.FromString(bytes(memoryview(buf)[a:b]))
            if not rec.HasField("history"):
                continue
            h = rec.history
            for it in h.item:
                key = it.key or ".".join(it.nested_key)
                if key.startswith("_"):
                    continue
                tags.append(key)
                steps.append(h.step.num)
                vals.append(float(json.loads(it.value_json)))
        return pd.DataFrame({"tag": pd.Categorical(tags), "step": steps, "value": vals})

    return read


#: "wall" (time.perf_counter) or "cpu" (time.process_time: steadier on a busy machine)
CLOCK = {"wall": time.perf_counter, "cpu": time.process_time}
_clock = time.perf_counter


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = _clock()
        out = fn()
        best = min(best, _clock() - t)
    return best, out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--style", choices=("go", "python"), default="go")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--clock", choices=tuple(CLOCK), default="wall",
                        help="wall time, or CPU time of this process (steadier when the "
                             "machine is shared)")
    args = parser.parse_args(argv)
    global _clock
    _clock = CLOCK[args.clock]

    from ganlogs.readers import wandb as wandb_reader

    work = args.workdir or Path(tempfile.mkdtemp(prefix="ganlogs-bench-wandb-"))
    run_dir = work / f"offline-run-bench-{args.style}"
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "run-bench.wandb"
    points = generate(path, args.rows, args.style)
    size = path.stat().st_size / 1e6
    print(f"{path}: {size:.1f} MB, {args.rows:,} history rows, {points:,} points "
          f"({args.style} layout), python {sys.version.split()[0]}")

    reader = wandb_reader.WandbRunReader()
    t_fast, run = best_of(lambda: reader.read(run_dir, run_id="bench")[0], args.repeat)
    assert len(run) == points, (len(run), points)
    reference = wandb_reader.WandbRunReader(fast=False)
    t_ref, run_ref = best_of(lambda: reference.read(run_dir, run_id="bench")[0], args.repeat)
    assert run_ref.scalars["value"].equals(run.scalars["value"])

    csv_path = work / "points.csv"
    write_csv(csv_path, run)
    t_csv, _ = best_of(lambda: pd.read_csv(csv_path), args.repeat)
    rows = [("ganlogs (vectorised decoder)", t_fast), ("ganlogs (reference decoder)", t_ref),
            ("pandas.read_csv, long CSV", t_csv)]
    pb = protobuf_reader()
    if pb is None:
        print("protobuf baseline skipped: pip install protobuf")
    else:
        t_pb, frame = best_of(lambda: pb(path), args.repeat)
        assert len(frame) == points
        rows.append(("protobuf upb + json.loads", t_pb))
    print(f"{'reader':32s} {args.clock + ' s':>8s} {'rows/s':>11s} {'points/s':>11s} "
          f"{'vs ganlogs':>10s}")
    for name, t in rows:
        print(f"{name:32s} {t:8.3f} {args.rows / t:11,.0f} {points / t:11,.0f} "
              f"{t / t_fast:9.2f}x")


if __name__ == "__main__":
    main()
