"""Shared helpers for the scale and robustness tests (issue 6).

* every fixture run under ``fixtures/`` is found through the reader registry
  (:func:`fixture_sources`), so a reader that lands is tested here without a change;
* :func:`rows_by_series` flattens what a reader returned for prefix comparisons;
* the fuzz tests count the inputs they try and this file prints the total at the end of
  the session (``pytest_terminal_summary``).
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from ganlogs.readers import RunSource, discover

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"

#: copytree(FIXTURES, ..., ignore=FORMAT_FIXTURES_ONLY): the format fixtures without the
#: labelled corpus (dozens of runs from one writer: time, not coverage)
FORMAT_FIXTURES_ONLY = shutil.ignore_patterns("labelled")

#: per reader: inputs tried / read without error / rejected with a GanlogsError
FUZZ_STATS: Counter[str] = Counter()


def fixture_sources() -> list[RunSource]:
    """Every run the registry finds under fixtures/, in discovery order."""
    return list(discover(FIXTURES).sources)


def is_corpus_copy(source: RunSource, sources: list[RunSource]) -> bool:
    """True for the 2nd, 3rd... run of the labelled corpus (fixtures/labelled/): dozens of
    runs from one writer, so one of them gets the full treatment and the rest a light one."""
    corpus = [s for s in sources if s.run_id.startswith("labelled/")]
    return source in corpus[1:]


def run_files(path: Path) -> list[Path]:
    """The files of a run: the file itself, or every file below the run directory."""
    path = Path(path)
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def copy_run(source_path: Path, dest_parent: Path) -> Path:
    """Copy a run (file or directory) into ``dest_parent``; return the copy's path."""
    dest_parent.mkdir(parents=True, exist_ok=True)
    dest = dest_parent / Path(source_path).name
    if Path(source_path).is_dir():
        shutil.copytree(source_path, dest, symlinks=True)
    else:
        shutil.copy2(source_path, dest)
    return dest


def rows_by_series(runs) -> dict[tuple[str, str, str], tuple[np.ndarray, np.ndarray]]:
    """(run id, source, tag) -> (steps, values) in read order."""
    out = {}
    for run in runs:
        s = run.scalars
        for (source, tag), g in s.groupby(["source", "tag"], observed=True, sort=False):
            out[(run.meta.run_id, str(source), str(tag))] = (
                g["step"].to_numpy(), g["value"].to_numpy())
    return out


def is_prefix(part: tuple[np.ndarray, np.ndarray], full: tuple[np.ndarray, np.ndarray]) -> bool:
    n = len(part[0])
    return (n <= len(full[0]) and np.array_equal(part[0], full[0][:n])
            and np.array_equal(part[1], full[1][:n], equal_nan=True))


@pytest.fixture(autouse=True)
def _private_cache_dir(tmp_path_factory, monkeypatch):
    """Never write the user's ~/.cache from a test."""
    monkeypatch.setenv("GANLOGS_CACHE_DIR", str(tmp_path_factory.mktemp("ganlogs-cache")))


@pytest.fixture
def settled_files(monkeypatch):
    """Let the cache store runs whose files were written a moment ago (tests write their
    sweeps just before analysing them; the cache skips such runs as racy), and runs however
    quickly they were read (the small fixtures read in less than CHEAP_READ_SECONDS)."""
    import ganlogs.cache

    monkeypatch.setattr(ganlogs.cache, "RACY_SECONDS", -1.0)
    monkeypatch.setattr(ganlogs.cache, "CHEAP_READ_SECONDS", 0.0)


def pytest_terminal_summary(terminalreporter):
    tried = {k[:-6]: v for k, v in FUZZ_STATS.items()
             if k.endswith(":tried") and k != "cuts:tried" and not k.startswith("resync")}
    cuts = FUZZ_STATS.get("cuts:tried", 0)
    resync = {k[len("resync-"):-6]: v for k, v in FUZZ_STATS.items()
              if k.startswith("resync-") and k.endswith(":tried")}
    if not tried and not cuts and not resync:
        return
    terminalreporter.write_sep("-", "ganlogs fuzz")
    if tried:
        total = sum(tried.values())
        parts = ", ".join(
            f"{name} {n} ({FUZZ_STATS[name + ':ok']} read, {FUZZ_STATS[name + ':error']} "
            "rejected)" for name, n in sorted(tried.items()))
        terminalreporter.write_line(f"ganlogs fuzz: {total} mutated inputs tried; {parts}")
    if cuts:
        terminalreporter.write_line(
            f"ganlogs cuts: {cuts} cut files read ({FUZZ_STATS['cuts:prefix']} gave a prefix, "
            f"{FUZZ_STATS['cuts:error']} a ReadError)")
    if resync:
        parts = ", ".join(f"{fmt} {n} ({FUZZ_STATS[f'resync-{fmt}:damaged']} damaged and read "
                          f"past, {FUZZ_STATS[f'resync-{fmt}:truncated']} truncation)"
                          for fmt, n in sorted(resync.items()))
        terminalreporter.write_line(f"ganlogs resync: {sum(resync.values())} files corrupted "
                                    f"mid-file; {parts}")
