"""Read-speed benchmark, W&B and CSV part: ganlogs vs what a user would otherwise run.

``bench/read_speed.py`` runs this after its TensorBoard part (``--formats``); it also runs
alone::

    python bench/read_speed_formats.py [--rows 250000] [--repeat 3] [--workdir DIR]

``.wandb``
    One run directory holding a ``run-<id>.wandb`` transaction log of ``--rows`` history
    rows of four metrics (``loss_D``, ``loss_G``, ``D_x``, ``D_G_z``) plus ``_step``,
    ``_timestamp``, ``_runtime``, written the way wandb-core (>= 0.18) writes them: nested
    keys, Go number text in ``value_json``, LevelDB-log framing in 32 KiB blocks
    (:mod:`ganlogs.readers.wire`). The alternative: wandb's own
    ``wandb.sdk.internal.datastore.DataStore`` + ``wandb_internal_pb2.Record`` +
    ``json.loads`` of each item, into a long DataFrame (what one writes to read an offline
    run without syncing it). It needs ``pip install "wandb<0.30"`` (0.30 removed
    ``datastore.py``) and is skipped with a message otherwise.
``CSV``
    One wide CSV (``step,loss_D,loss_G,D_x,D_G_z``) of ``--rows`` rows; the alternative is
    ``pandas.read_csv`` (the user would then still have to reshape it; not timed).

Both print seconds (fastest and median of ``--repeat`` runs, the smallest CPU time; the
DataStore loop runs once) and the ratio alternative / ganlogs.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ganlogs.readers.wire import encode_len as _len, encode_varint as _varint

KEYS = ("loss_D", "loss_G", "D_x", "D_G_z")


# ----------------------------------------------------------------------- .wandb writer

def _item(key: str, value_json: str) -> bytes:
    return _len(2, key.encode()) + _len(16, value_json.encode())  # nested_key, value_json


def generate_wandb(run_dir: Path, rows: int) -> Path:
    """A wandb-core style offline run directory with ``rows`` history rows."""
    from ganlogs.readers.wire import encode_log

    run_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    values = (1.0 + 0.3 * rng.standard_normal((rows, len(KEYS)))).astype(np.float64)
    t0 = 1.7e9
    payloads = [_len(17, _len(1, b"bench01") + _len(3, b"bench") + _len(8, b"bench"))]
    for step in range(rows):
        items = [_item("_step", str(step)), _item("_timestamp", repr(t0 + 0.01 * step)),
                 _item("_runtime", repr(0.01 * step))]
        items += [_item(k, repr(float(v))) for k, v in zip(KEYS, values[step])]
        body = b"".join(_len(1, it) for it in items)
        body += _len(2, (b"\x08" + _varint(step)) if step else b"")
        payloads.append(_varint(1 << 3) + _varint(step + 1) + _len(2, body))
    path = run_dir / "run-bench01.wandb"
    path.write_bytes(encode_log(payloads))
    (run_dir / "files").mkdir(exist_ok=True)
    return path


def wandb_datastore_read(path: Path):
    """What a user would write with wandb's own (<0.30) reader: a long DataFrame."""
    import pandas as pd
    from wandb.proto import wandb_internal_pb2
    from wandb.sdk.internal.datastore import DataStore

    ds = DataStore()
    ds.open_for_scan(str(path))
    tags, steps, values = [], [], []
    while True:
        data = ds.scan_data()
        if data is None:
            break
        rec = wandb_internal_pb2.Record()
        rec.ParseFromString(data)
        if not rec.HasField("history"):
            continue
        step = rec.history.step.num
        for it in rec.history.item:
            key = it.key or ".".join(it.nested_key)
            if key.startswith("_"):
                continue
            v = json.loads(it.value_json)
            if isinstance(v, (int, float)):
                tags.append(key)
                steps.append(step)
                values.append(float(v))
    return pd.DataFrame({"tag": tags, "step": steps, "value": values})


def generate_csv(path: Path, rows: int) -> Path:
    import pandas as pd

    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"step": np.arange(rows),
                          **{k: 1.0 + 0.3 * rng.standard_normal(rows) for k in KEYS}})
    frame.to_csv(path, index=False)
    return path


# ---------------------------------------------------------------------------- measuring

def timed(fn, repeat: int) -> tuple[dict[str, float], object]:
    """Fastest and median wall time of ``repeat`` calls, and the smallest CPU time."""
    walls, cpus, out = [], [], None
    for _ in range(repeat):
        out = None
        gc.collect()
        c0, t0 = time.process_time(), time.perf_counter()
        out = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    walls.sort()
    return {"min": walls[0], "median": walls[len(walls) // 2], "cpu": min(cpus)}, out


def run(rows: int, repeat: int, workdir: Path) -> dict[str, dict[str, dict[str, float]]]:
    """Time both formats; print a table; return {format: {reader: {min, median, cpu}}}."""
    import pandas as pd

    import ganlogs

    out: dict[str, dict[str, float]] = {}
    wandb_dir = workdir / f"wandb_{rows}" / "offline-run-20260101_000000-bench01"
    log = wandb_dir / "run-bench01.wandb"
    if not log.exists():
        print(f"generating a .wandb log of {rows:,} history rows ...", flush=True)
        generate_wandb(wandb_dir, rows)
    csv_path = workdir / f"wide_{rows}.csv"
    if not csv_path.exists():
        generate_csv(csv_path, rows)

    t, scalars = timed(lambda: ganlogs.read(wandb_dir).scalars, repeat)
    n_wandb = len(scalars)
    out[".wandb"] = {"ganlogs": t}
    try:
        t_alt, frame = timed(lambda: wandb_datastore_read(log), 1)
    except ImportError:
        print('.wandb alternative skipped: wandb<0.30 is not installed (pip install "wandb<0.30")')
    else:
        out[".wandb"]["wandb DataStore + protobuf"] = t_alt
        if len(frame) != n_wandb:
            print(f"  note: the DataStore loop returned {len(frame):,} rows, ganlogs {n_wandb:,}")

    t, scalars = timed(lambda: ganlogs.read(csv_path).scalars, repeat)
    n_csv = len(scalars)
    out["CSV"] = {"ganlogs": t}
    t_alt, _ = timed(lambda: pd.read_csv(csv_path), repeat)
    out["CSV"]["pandas.read_csv"] = t_alt

    sizes = {".wandb": log.stat().st_size / 1e6, "CSV": csv_path.stat().st_size / 1e6}
    points = {".wandb": n_wandb, "CSV": n_csv}
    print(f"\n{'format':<8}{'reader':<28}{'fastest s':>10}{'median s':>10}{'CPU s':>8}"
          f"{'MB/s':>8}{'points/s':>12}{'vs ganlogs':>12}")
    for fmt, res in out.items():
        for name, st in res.items():
            print(f"{fmt:<8}{name:<28}{st['min']:>10.3f}{st['median']:>10.3f}{st['cpu']:>8.3f}"
                  f"{sizes[fmt] / st['min']:>8.1f}{points[fmt] / st['min']:>12,.0f}"
                  f"{st['min'] / res['ganlogs']['min']:>11.1f}x")
    for fmt, res in out.items():
        for name, st in res.items():
            if name != "ganlogs":
                print(f"ganlogs vs {name} on {fmt}: {st['min'] / res['ganlogs']['min']:.2f}x "
                      f"faster (fastest run), {st['cpu'] / res['ganlogs']['cpu']:.2f}x "
                      f"(CPU time); {points[fmt]:,} points, {sizes[fmt]:.1f} MB")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=250_000,
                    help="history rows / CSV rows, four metrics each (default 250,000)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", type=Path,
                    default=Path(tempfile.gettempdir()) / "ganlogs-bench-read-speed")
    args = ap.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    run(args.rows, args.repeat, args.workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
