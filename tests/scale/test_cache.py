"""The cache of parsed runs: exact round trip, fresh only while every file of the run is
unchanged, a growing sweep re-reads only what changed, and nothing about the cache can
break an analysis (damaged entries, unwritable directory, pyarrow missing)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

import ganlogs.analysis as analysis
import ganlogs.cache as cache_mod
from ganlogs.analysis import analyze
from ganlogs.cache import RunCache, default_cache_dir, open_cache
from ganlogs.readers import discover, load
from ganlogs.report.json import to_document

from scale_support import FIXTURES, FORMAT_FIXTURES_ONLY, copy_run, fixture_sources, run_files

pytest.importorskip("pyarrow")


@pytest.fixture(autouse=True)
def _settled(request):
    if "a_moment_ago" not in request.node.name:
        request.getfixturevalue("settled_files")


def test_every_fixture_round_trips_exactly(tmp_path):
    cache = RunCache(tmp_path / "c")
    for source in fixture_sources():
        cold = cache.read(source, load)
        warm = cache.read(source, load)
        assert not cold.hit and warm.hit, source.run_id
        assert warm.warnings == cold.warnings
        assert len(warm.runs) == len(cold.runs)
        for a, b in zip(cold.runs, warm.runs):
            pd.testing.assert_frame_equal(a.scalars, b.scalars, check_exact=True)
            assert a.meta == b.meta, source.run_id
            assert a.tags == b.tags


@pytest.fixture
def counted_loads(monkeypatch):
    """The run ids that analyze() actually read from their files."""
    seen: list[str] = []

    def counting_load(source):
        seen.append(source.run_id)
        return load(source)

    monkeypatch.setattr(analysis, "load", counting_load)
    return seen


def tb_sweep(root: Path, n: int) -> list[Path]:
    tb = [s for s in fixture_sources() if s.reader.formats[0] == "tensorboard"]
    if not tb:
        pytest.skip("no TensorBoard reader registered")
    out = []
    for i in range(n):
        out.append(copy_run(tb[i % len(tb)].path, root / f"run{i:02d}"))
    return out


def test_growing_sweep_reads_only_what_changed(tmp_path, counted_loads):
    runs = tb_sweep(tmp_path / "sweep", 6)
    cache_dir = tmp_path / "cache"
    cold = analyze(tmp_path / "sweep", cache=cache_dir)
    assert len(counted_loads) == 6
    counted_loads.clear()
    warm = analyze(tmp_path / "sweep", cache=cache_dir)
    assert counted_loads == []
    assert to_document(warm) == to_document(cold)

    # the sweep grows: one new run, one run whose event file grows
    copy_run(runs[0], tmp_path / "sweep" / "run99")
    event = next(p for p in run_files(runs[3]) if "tfevents" in p.name)
    event.write_bytes(event.read_bytes() * 2)  # the job appended records
    again = analyze(tmp_path / "sweep", cache=cache_dir)
    assert sorted(counted_loads) == sorted([f"run03/{runs[3].name}", f"run99/{runs[0].name}"])
    assert len(again.runs) == 7 and not again.errors


def test_a_changed_size_a_new_file_or_another_ganlogs_version_is_a_miss(tmp_path, monkeypatch):
    run = tb_sweep(tmp_path / "s", 1)[0]
    (source,) = discover(run).sources
    cache = RunCache(tmp_path / "c")
    assert not cache.read(source, load).hit
    assert cache.read(source, load).hit
    event = next(p for p in run_files(run) if "tfevents" in p.name)
    st = event.stat()
    data = event.read_bytes()
    event.write_bytes(data[: len(data) - 1])
    os.utime(event, ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime, other size
    assert not cache.read(source, load).hit
    (run / "notes.txt").write_text("a new file in the run directory")
    assert not cache.read(source, load).hit
    assert cache.read(source, load).hit
    monkeypatch.setattr(cache_mod, "__version__", "999.0")
    assert not cache.read(source, load).hit


def test_an_edited_side_file_is_a_miss(tmp_path):
    """Issue 12 item 7: hparams.yaml beside a Lightning metrics.csv is part of the run."""
    run = tmp_path / "version_0"
    shutil.copytree(FIXTURES / "csv" / "lightning" / "gan" / "version_0", run)
    (source,) = discover(run / "metrics.csv").sources
    cache = RunCache(tmp_path / "c")
    assert cache.read(source, load).runs[0].meta.hparams["lr_d"] == 0.002
    assert cache.read(source, load).hit
    hp = run / "hparams.yaml"
    st = hp.stat()
    hp.write_text(hp.read_text().replace("lr_d: 0.002", "lr_d: 0.0005"))
    os.utime(hp, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    got = cache.read(source, load)
    assert not got.hit and got.runs[0].meta.hparams["lr_d"] == 0.0005
    hp.unlink()  # a side file that goes away is a change too
    got = cache.read(source, load)
    assert not got.hit and "lr_d" not in got.runs[0].meta.hparams


def test_a_damaged_entry_is_a_miss_and_is_replaced(tmp_path):
    run = tb_sweep(tmp_path / "s", 1)[0]
    (source,) = discover(run).sources
    cache = RunCache(tmp_path / "c")
    first = cache.read(source, load)
    entry = cache.entry_path(source)
    entry.write_bytes(b"PAR1 this is not parquet")
    again = cache.read(source, load)
    assert not again.hit and len(again.runs) == len(first.runs)
    assert cache.read(source, load).hit


def test_an_unusable_cache_directory_never_fails_the_analysis(tmp_path):
    tb_sweep(tmp_path / "s", 2)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    result = analyze(tmp_path / "s", cache=blocker / "cache")
    assert len(result.runs) == 2 and not result.errors


def test_without_pyarrow_the_cache_is_silently_off(tmp_path, monkeypatch):
    tb_sweep(tmp_path / "s", 2)
    monkeypatch.setattr(cache_mod, "pyarrow_available", lambda: False)
    assert open_cache(tmp_path / "c") is None
    result = analyze(tmp_path / "s", cache=tmp_path / "c")
    assert not result.errors and not (tmp_path / "c").exists()


def test_default_location(monkeypatch, tmp_path):
    monkeypatch.setenv("GANLOGS_CACHE_DIR", str(tmp_path / "explicit"))
    assert default_cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("GANLOGS_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "ganlogs"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "ganlogs"


def test_pool_and_cache_together_match_a_plain_read(tmp_path):
    shutil.copytree(FIXTURES, tmp_path / "sweep", symlinks=True, ignore=FORMAT_FIXTURES_ONLY)
    plain = to_document(analyze(tmp_path / "sweep"))
    cold = to_document(analyze(tmp_path / "sweep", jobs=2, cache=tmp_path / "c"))
    warm = to_document(analyze(tmp_path / "sweep", jobs=2, cache=tmp_path / "c"))
    assert cold == plain and warm == plain


def test_a_run_written_a_moment_ago_is_read_again_not_stored(tmp_path):
    """racy: a file rewritten within one timestamp tick with the same size would look
    unchanged, so a run with a file younger than RACY_SECONDS is never stored."""
    run = tb_sweep(tmp_path / "s", 1)[0]
    for f in run_files(run):
        os.utime(f)  # written just now (copies keep the fixture's old mtime)
    (source,) = discover(run).sources
    cache = RunCache(tmp_path / "c", min_read_seconds=0)  # (however quick the read)
    assert not cache.read(source, load).hit
    assert not cache.read(source, load).hit and not cache.entry_path(source).exists()
    old = time.time_ns() - 3 * 10**9
    for f in run_files(run):
        os.utime(f, ns=(old, old))
    assert not cache.read(source, load).hit
    assert cache.read(source, load).hit


def test_a_run_cheaper_to_read_than_its_entry_is_not_stored(tmp_path):
    """A run read in less than min_read_seconds is read again next time, not stored (its
    entry would cost more to write than it saves); 0 stores every run; the default is
    CHEAP_READ_SECONDS."""
    run = tb_sweep(tmp_path / "s", 1)[0]
    (source,) = discover(run).sources
    slow_only = RunCache(tmp_path / "c", min_read_seconds=3600.0)
    first = slow_only.read(source, load)
    assert not first.hit and not slow_only.read(source, load).hit
    assert not slow_only.entry_path(source).exists()
    every = RunCache(tmp_path / "c", min_read_seconds=0)
    assert not every.read(source, load).hit
    again = every.read(source, load)
    assert again.hit and again.warnings == first.warnings
    pd.testing.assert_frame_equal(again.runs[0].scalars, first.runs[0].scalars,
                                  check_exact=True)
    assert slow_only.read(source, load).hit  # an entry that exists is used whatever its cost
    assert RunCache(tmp_path / "c").min_read_seconds is None  # CHEAP_READ_SECONDS, read at use
    for bad in (-1.0, "1", True):
        with pytest.raises(ValueError, match="min_read_seconds"):
            RunCache(tmp_path / "c", min_read_seconds=bad)
