"""What damage costs: reading a TensorBoard event file and a ``.wandb`` log intact, with one
flipped byte in the middle, and with 4 KB of random bytes in the middle.

The files are written with ganlogs' own test writers (``--events`` scalar events, torch
``add_scalar`` layout: four tags per step; ``--rows`` W&B history rows). For each variant it
prints the fastest of ``--repeat`` reads, the points kept, and the damage reported, so that
the cost of resynchronising (the fast TensorBoard reader reads the records before the damage
again as a range of their own) is measured, not guessed.

Usage::

    nice python bench/read_damaged.py [--events 400000] [--rows 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from ganlogs.readers import wire
from ganlogs.readers.wire import encode_key, encode_len, encode_varint
from ganlogs.readers.tensorboard import TensorBoardReader
from ganlogs.readers.wandb import WandbRunReader


def tb_bytes(events: int) -> bytes:
    rng = np.random.default_rng(0)
    out = [wire.frame_record(wire.encode_file_version_event(1.7e9))]
    tags = ("Loss/D", "Loss/G", "D(x)", "D(G(z))")
    for i in range(events // len(tags)):
        for tag in tags:
            out.append(wire.frame_record(wire.encode_scalar_event(
                tag, float(rng.normal()), step=i, wall_time=1.7e9 + i * 0.01)))
    return b"".join(out)


def wandb_bytes(rows: int) -> bytes:
    def item(key: str, value: str) -> bytes:
        return encode_len(1, encode_len(2, key) + encode_len(16, value))

    payloads = []
    for s in range(rows):
        body = (item("_step", str(s)) + item("_timestamp", repr(1.7e9 + s))
                + item("loss_D", f"{1 + np.sin(s / 50):.6f}")
                + item("loss_G", f"{1 + np.cos(s / 50):.6f}"))
        body += encode_len(2, encode_key(1, 0) + encode_varint(s) if s else b"")
        payloads.append(encode_len(2, body))
    return wire.encode_log(payloads)


def variants(data: bytes) -> dict[str, bytes]:
    mid = len(data) // 2
    flipped = bytearray(data)
    flipped[mid] ^= 0x10
    noisy = bytearray(data)
    noisy[mid:mid + 4096] = np.random.default_rng(1).bytes(4096)
    return {"intact": data, "1 flipped byte": bytes(flipped), "4 KB of noise": bytes(noisy)}


def time_read(reader, path: Path, repeat: int) -> tuple[float, int, str]:
    best = float("inf")
    for _ in range(repeat):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = time.perf_counter()
            (run,) = reader.read(path, run_id="x")
            best = min(best, time.perf_counter() - t)
    damage = [w.split(": ", 2)[-1] for w in run.meta.warnings if w.startswith("damaged: ")]
    return best, len(run), damage[0] if damage else "-"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=400_000)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cases = [("tensorboard (fast)", TensorBoardReader(fast=True), "tb",
                  "events.out.tfevents.1.host", tb_bytes(args.events)),
                 ("tensorboard (reference)", TensorBoardReader(fast=False), "tb",
                  "events.out.tfevents.1.host", None),
                 ("wandb", WandbRunReader(), "wb", "run-x.wandb", wandb_bytes(args.rows))]
        print(f"{'reader':24} {'file':15} {'MB':>6} {'best s':>8} {'vs intact':>9} "
              f"{'points':>8}  damage reported")
        last = None
        for name, reader, sub, fname, data in cases:
            data = data if data is not None else last
            last = data
            base = None
            for label, content in variants(data).items():
                run = Path(tmp, sub)
                run.mkdir(exist_ok=True)
                (run / fname).write_bytes(content)
                secs, points, damage = time_read(reader, run, args.repeat)
                base = base or secs
                print(f"{name:24} {label:15} {len(content) / 1e6:6.1f} {secs:8.3f} "
                      f"{secs / base:8.2f}x {points:8d}  {damage}")


if __name__ == "__main__":
    main()
