"""Helpers shared by the CSV, text, StyleGAN and MLflow reader tests: fixture ids from
``tests/data/expected/index.json`` and the exact comparison against the expected points."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ganlogs.readers.base import Reader
from ganlogs.run import Run

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
EXPECTED = ROOT / "tests" / "data" / "expected"
INDEX: dict[str, dict[str, str]] = json.loads((EXPECTED / "index.json").read_text())


def fixture_ids(*prefixes: str) -> list[str]:
    """Ids whose format starts with one of ``prefixes``."""
    return sorted(k for k, v in INDEX.items() if v["format"].startswith(prefixes))


def fixture_path(fixture_id: str) -> tuple[Path, str]:
    """The fixture's file or directory, and the run name after ``#`` ('' when none)."""
    path, _, name = INDEX[fixture_id]["path"].partition("#")
    return FIXTURES / path, name


def read_quietly(reader: Reader, path: Path, run_id: str = ".") -> tuple[list[Run], list[str]]:
    """``reader.read`` with every warning captured; returns the runs and the warning texts."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        runs = reader.read(Path(path), run_id=run_id)
    return runs, [f"{w.category.__name__}: {w.message}" for w in caught]


def points(run: Run) -> pd.DataFrame:
    """``tag, step, value`` in read order, tag as str."""
    out = run.scalars[["tag", "step", "value"]].copy()
    out["tag"] = out["tag"].astype(str)
    return out.reset_index(drop=True)


def assert_matches_expected(run: Run, fixture_id: str) -> None:
    """Every point read back exactly (tags, steps, float values bit for bit, NaN included).

    The expected files list each tag's points in write order, but interleave tags
    differently (row-major for Lightning/Keras, column-major for the wide CSVs), so points are
    compared tag by tag, each tag's sequence in order; the multiset of tags must match too.
    """
    exp = pd.read_csv(EXPECTED / f"{fixture_id}.csv", keep_default_na=False,
                      dtype={"tag": str, "step": np.int64, "value": str})
    exp["value"] = exp["value"].map(float)
    got = points(run)
    assert INDEX[fixture_id]["format"] == run.meta.format
    assert sorted(got["tag"].unique()) == sorted(exp["tag"].unique())
    for tag, e in exp.groupby("tag", sort=False):
        g = got[got["tag"] == tag]
        assert g["step"].tolist() == e["step"].tolist(), tag
        gv, ev = g["value"].to_numpy(np.float64), e["value"].to_numpy(np.float64)
        assert np.array_equal(gv, ev, equal_nan=True), tag
        assert np.array_equal(np.signbit(gv), np.signbit(ev)), tag
    assert len(got) == len(exp)


def is_prefix(part: pd.DataFrame, full: pd.DataFrame) -> bool:
    """``part`` equals the first ``len(part)`` rows of ``full`` (values bit for bit)."""
    if len(part) > len(full):
        return False
    head = full.iloc[:len(part)]
    return (part["tag"].tolist() == head["tag"].tolist()
            and part["step"].tolist() == head["step"].tolist()
            and np.array_equal(part["value"].to_numpy(), head["value"].to_numpy(),
                               equal_nan=True))


def cut_offsets(data: bytes, *, every_below: int = 400, sample: int = 30,
                seed: int = 0, head: int = 200) -> list[int]:
    """Offsets to cut ``data`` at: every offset for a small file; otherwise every offset of the
    first line (at most ``head`` of them), 3 offsets around each of the first and last three
    line ends, and ``sample`` seeded random offsets (DECISIONS.md: sample offsets on larger
    files)."""
    n = len(data)
    if n <= every_below:
        return list(range(n))
    ends = [i for i, b in enumerate(data) if b in (0x0A, 0x0D)]
    chosen = set(range(min(n, head, (ends[0] if ends else n) + 2)))
    for e in ends[:3] + ends[-3:]:
        chosen.update(k for k in (e - 1, e, e + 1) if 0 <= k < n)
    rng = np.random.default_rng(seed)
    chosen.update(int(k) for k in rng.integers(0, n, size=sample))
    return sorted(chosen)
