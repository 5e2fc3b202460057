"""What single passes over a text log cost, beside ``pandas.read_csv`` of its numbers.

Issue 14 asks the text reader for >= 0.5x ``pandas.read_csv`` of the same numbers as a CSV.
This script times the vectorised building blocks a reader without compiled code of its own
could use on the 300,000-line PyTorch-GAN log of ``bench/read_speed_table.py`` (row 3), each
on its own, so that the budget can be read off: 0.5x allows twice the ``read_csv`` time for
the whole read. Timed (median of ``--repeat``, wall and CPU milliseconds of this process):

* ``pandas.read_csv`` of the numbers (the baseline) and ganlogs' read of the log;
* reading the file into memory;
* finding every newline (numpy);
* ``bytes.translate`` of the log: mapping every byte outside the number alphabet to a
  delimiter (the input a CSV parser would need), and deleting the number bytes (each line's
  fixed text, to prove its shape);
* one RE2 match of every line against its shape's pattern (``pyarrow.compute``);
* ``pyarrow.csv`` parsing the translated log (every byte outside the number alphabet a
  delimiter: 39 fields a line).

Usage::

    python bench/text_passes.py [--repeat 5] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

#: the bytes a number token may hold (digits, sign, point, exponent, nan, inf, infinity)
NUMBER_BYTES = b"0123456789.+-eEnNaAiIfFtTyY"


def timed(fn, repeat: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of ``fn()`` (one untimed call first)."""
    fn()
    walls, cpus = [], []
    for _ in range(repeat):
        gc.collect()
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return float(np.median(walls)) * 1e3, float(np.median(cpus)) * 1e3


def main(argv: list[str] | None = None) -> int:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    import ganlogs
    from read_speed_table import write_text_logs

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--lines", type=int, default=300_000)
    ap.add_argument("--workdir", type=Path,
                    default=Path(tempfile.gettempdir()) / "ganlogs-bench-read-speed")
    args = ap.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    log, csv_path = write_text_logs(args.workdir, args.lines)
    data = log.read_bytes()
    raw = np.frombuffer(data, dtype=np.uint8)
    to_delimiter = bytes(c if c in NUMBER_BYTES or c == 0x0A else 0x2C for c in range(256))
    translated = data.translate(to_delimiter)
    ends = np.flatnonzero(raw == 0x0A)
    offsets = np.empty(len(ends) + 1, dtype=np.int64)
    offsets[0] = 0
    offsets[1:] = ends + 1
    lines = pa.LargeStringArray.from_buffers(len(ends), pa.py_buffer(offsets), pa.py_buffer(raw))
    number = r"[-+]?(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)"
    shape = (r"^\[Epoch \d{1,9}/\d{1,9}\] \[Batch \d{1,9}/\d{1,9}\] \[D loss: " + number
             + r"\] \[G loss: " + number + r"\]\r?\n$")

    rows = [
        ("pandas.read_csv of the numbers (baseline)", lambda: pd.read_csv(csv_path)),
        ("ganlogs.read of the log (whole reader)", lambda: ganlogs.read(log)),
        ("read the file", lambda: log.read_bytes()),
        ("newlines (numpy ==, flatnonzero)", lambda: np.flatnonzero(raw == 0x0A)),
        ("bytes.translate: non-number bytes -> ','", lambda: data.translate(to_delimiter)),
        ("bytes.translate: delete the number bytes", lambda: data.translate(None, NUMBER_BYTES)),
        ("RE2 match of every line (one shape)", lambda: pc.match_substring_regex(lines, shape)),
        ("pyarrow.csv of the translated log", lambda: pacsv.read_csv(
            pa.py_buffer(translated),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True))),
    ]
    print(f"{log.name}: {len(ends):,} lines, {len(data) / 1e6:.1f} MB; the same numbers as CSV: "
          f"{csv_path.stat().st_size / 1e6:.1f} MB; median of {args.repeat}, ms")
    base = None
    for label, fn in rows:
        wall, cpu = timed(fn, args.repeat)
        base = base if base is not None else wall
        print(f"  {label:<46}{wall:8.1f} wall {cpu:8.1f} CPU   {wall / base:5.2f}x read_csv")
    print(f"  budget for >= 0.5x: {2 * base:.1f} ms of wall time for the whole read")
    return 0


if __name__ == "__main__":
    sys.exit(main())
