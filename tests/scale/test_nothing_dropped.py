"""Issue 12: nothing dropped in silence. Every file under a sweep that could be a log is
read, joins a run, or is listed with the reason; ``check`` never passes a sweep it did not
see whole. Also the smaller defects of the same issue: escape sequences on the terminal and
in SVG, report ticks near ±2**63, ``--scheduler`` without a port.

Unreadable files need a user that cannot read them: when the suite runs as root, those checks
run in a forked child that drops to ``nobody`` (uid 65534) before it analyses, so they are
never skipped.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import tempfile
import time
import xml.dom.minidom
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import ganlogs
from ganlogs.cli import cli
from ganlogs.errors import UnsupportedFormatError
from ganlogs.readers import discover

from scale_support import FIXTURES

NOBODY = 65534


def _run(args: list[str]):
    if args[0] in ("analyze", "check", "report"):
        args = [*args, "-j", "1", "--no-cache"]
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def _csv(path: Path, n: int = 30, base: int = 0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [f"{base + i},{1.3 + 0.1 * np.sin(i / 5):.4f},{0.8 + 0.1 * np.cos(i / 5):.4f}"
            for i in range(n)]
    path.write_text("step,d_loss,g_loss\n" + "\n".join(rows) + "\n")


@pytest.fixture
def world_readable_dir():
    """A directory every user can read (pytest's tmp_path sits in a 0700 directory)."""
    d = Path(tempfile.mkdtemp(prefix="ganlogs-sweep-", dir="/tmp"))
    d.chmod(0o755)
    yield d
    for p in [d, *d.rglob("*")]:
        if not p.is_symlink():
            p.chmod(0o755 if p.is_dir() else 0o644)
    shutil.rmtree(d)


def _sweep(root: Path) -> dict[str, str]:
    """Good runs plus every kind of file issue 12 found dropped; returns name -> what the
    listing must say about it (``None``: it must be accounted for, read or listed)."""
    _csv(root / "good" / "a.csv")
    text = "step,d_loss,g_loss\n1,0.5,0.6\n2,0.5,0.6\n"
    (root / "nul").mkdir()
    (root / "nul" / "metrics.csv").write_bytes(text.encode() + b"\0" * 64 + b"3,0.5,0.6\n")
    (root / "nul" / "train.log").write_bytes(b"[1/5] Loss_D: 1.2 Loss_G: 0.7\n" + b"\0" * 512)
    (root / "broken").mkdir()
    (root / "broken" / "stats.jsonl").write_text('{"Loss/G/loss": {"num": 1, "mean\n'
                                                 '{"Loss/G/loss": {"num": 1, "mean": 1}}\n')
    (root / "gz").mkdir()
    (root / "gz" / "metrics.csv").write_bytes(gzip.compress(text.encode()))
    (root / "stylegan").mkdir()
    (root / "stylegan" / "log.txt").write_text(
        "Loading training set...\ntick 0     kimg 0.0      time 25s          sec/tick 6.1\n"
        "tick 1     kimg 4.0      time 1m 02s       sec/tick 30.2\n")
    # a file symlink into a store (git-annex, DVC): read through the link, once
    _csv(root / ".store" / "1f3a9c")
    (root / "linked").mkdir()
    os.symlink("../.store/1f3a9c", root / "linked" / "metrics.csv")
    os.symlink("../.store/gone", root / "linked" / "dangling.csv")
    return {"nul/metrics.csv": "NUL bytes", "nul/train.log": "NUL bytes",
            "broken/stats.jsonl": "not valid JSON", "gz/metrics.csv": "gzip data named .csv",
            "linked/dangling.csv": "dangling symbolic link", "stylegan/log.txt": None}


def _listed(result) -> dict[str, str]:
    return {Path(os.path.relpath(r.path, result.root)).as_posix(): r.error
            for r in result.runs if not r.ok}


def test_a_messy_sweep_lists_every_file_it_did_not_read(tmp_path):
    expected = _sweep(tmp_path)
    result = ganlogs.analyze(tmp_path)
    listed = _listed(result)
    read = {r.run_id for r in result.runs if r.ok}
    assert {"good/a.csv", "linked/metrics.csv"} <= read
    assert not any(".store" in r for r in read)  # the link's target is not read twice
    for name, reason in expected.items():
        if reason is None:
            assert name in listed or name in read, name
        else:
            assert reason in listed.get(name, ""), (name, listed.get(name))


def test_check_never_passes_a_sweep_it_did_not_see_whole(tmp_path):
    expected = _sweep(tmp_path)
    out = _run(["check", str(tmp_path)])
    assert out.exit_code == 2, out.output
    assert "check passed" not in out.output and "check incomplete" in out.output
    assert _run(["analyze", str(tmp_path)]).exit_code == 1
    excludes = [a for name in expected for a in ("--exclude", name)]
    out = _run(["check", str(tmp_path), *excludes])
    assert out.exit_code == 0, out.output  # the two good runs are short: not failed


def test_exclude_from_the_config_file(tmp_path, monkeypatch):
    expected = _sweep(tmp_path / "sweep")
    (tmp_path / "ganlogs.toml").write_text("exclude = " + json.dumps(
        [*expected, "nul/*"]) + "\n")
    monkeypatch.chdir(tmp_path)
    assert _run(["check", "sweep"]).exit_code == 0
    res = ganlogs.check(tmp_path / "sweep", config=tmp_path / "ganlogs.toml")
    assert res.status == "pass" and not res.unreadable


def test_known_non_log_files_are_ignored_by_the_documented_rule(tmp_path):
    _csv(tmp_path / "run" / "metrics.csv")
    for name in ("README.md", "README", "notes.md", "config.yaml", "manifest.json",
                 "ground_truth.json", "training_options.json", "sample.png", "G.pt",
                 "model.ckpt", "train.py", "requirements.txt", "LICENSE",
                 ".hidden/x.csv", "__pycache__/m.cpython-311.pyc"):
        p = tmp_path / "run" / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"step,loss\n1,2\n" if name.endswith(".csv") else b"\x89PNG\0\0")
    found = discover(tmp_path)
    assert [s.run_id for s in found.sources] == ["run/metrics.csv"]
    assert found.problems == []


def test_a_text_file_with_an_unknown_name_is_listed_when_it_reads_like_a_log(tmp_path):
    _csv(tmp_path / "metrics.csv")
    (tmp_path / "slurm-1234").write_text("epoch 1 iter 100 loss_D 0.69 loss_G 0.71\n")
    (tmp_path / "Makefile.inc").write_text("all:\n\techo hi\n")
    found = discover(tmp_path)
    assert [Path(p.path).name for p in found.problems] == ["slurm-1234"]


def test_read_tries_the_same_readers_and_says_why(tmp_path):
    _sweep(tmp_path)
    with pytest.raises(UnsupportedFormatError, match="gzip data named .csv"):
        ganlogs.read(tmp_path / "gz" / "metrics.csv")
    run = ganlogs.read(tmp_path / "linked" / "metrics.csv")
    assert len(run) == 60


# ------------------------------------------------------------------- unreadable (non-root)
def _as_nobody(fn):
    """``fn()`` as a user that cannot read a 0o000 file: as root, in a forked child that drops
    to uid/gid 65534 first (modules are imported beforehand, so nothing is loaded as
    nobody); otherwise here. Returns what ``fn`` returns (JSON-able)."""
    if os.geteuid() != 0:
        return fn()
    fn()  # warm up in the parent: every lazy import happens here, as root
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            payload = json.dumps(fn()).encode()
            with os.fdopen(w, "wb") as fh:
                fh.write(payload)
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    with os.fdopen(r, "rb") as fh:
        data = fh.read()
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, "the child failed"
    return json.loads(data)


def test_unreadable_files_are_listed_as_a_non_root_user(world_readable_dir):
    root = world_readable_dir
    _csv(root / "good" / "a.csv")
    names = ["locked/train.log", "locked/notes.txt", "locked/stats.jsonl",
             "locked/history.parquet", "locked/training.log", "locked/metrics.csv"]
    for name in names:
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("epoch,loss\n0,1.0\n")
    for name in names:
        (root / name).chmod(0)

    def look():
        out = _run(["check", str(root)])
        listed = _listed(ganlogs.analyze(root))
        return {"uid": os.geteuid(), "exit": out.exit_code, "output": out.output,
                "listed": listed}

    got = _as_nobody(look)
    assert got["uid"] != 0
    assert got["exit"] == 2 and "check passed" not in got["output"]
    for name in names:
        assert "permission denied" in got["listed"].get(name, "").lower(), (name, got["listed"])


# ------------------------------------------------------------------- the smaller defects
def test_stderr_lines_carry_no_escape_sequences(tmp_path):
    evil = tmp_path / "x\x1b]0;owned\x07\x1b[31m.csv"
    evil.write_bytes(gzip.compress(b"step,d_loss\n1,2\n"))
    _csv(tmp_path / "good.csv")
    out = CliRunner().invoke(cli, ["analyze", str(tmp_path), "-j", "1", "--no-cache"],
                             catch_exceptions=False)
    assert out.exit_code == 1
    err = out.stderr if hasattr(out, "stderr") else out.output
    assert "cannot read" in err and "\\x1b]0;owned\\x07" in err
    assert not any(c in err for c in "\x1b\x07")


def test_control_characters_in_a_tag_keep_the_svg_well_formed(tmp_path):
    steps = np.arange(300)
    tag = "Loss/D\x1b[31m\x07"
    lines = [f"step,{tag},g_loss"] + [f"{s},{1.3 + 0.1 * np.sin(s / 7):.4f},"
                                      f"{0.8 + 0.1 * np.cos(s / 7):.4f}" for s in steps]
    (tmp_path / "r.csv").write_text("\n".join(lines) + "\n")
    out = _run(["report", str(tmp_path), "-o", str(tmp_path / "rep.md"), "--role",
                f"d_loss={tag}"])
    assert out.exit_code == 0, out.output
    svgs = list(tmp_path.glob("rep*.svg"))
    assert svgs
    for svg in svgs:
        xml.dom.minidom.parse(str(svg))  # raises on a control character


@pytest.mark.parametrize("base", [-(2 ** 63) + 5, 2 ** 63 - 3000])
def test_report_with_steps_near_int64_limits(tmp_path, base):
    _csv(tmp_path / "r.csv", n=300, base=base)
    out = _run(["report", str(tmp_path), "-o", str(tmp_path / "rep.md")])
    assert out.exit_code == 0, out.output
    for svg in tmp_path.glob("rep*.svg"):
        xml.dom.minidom.parse(str(svg))


@pytest.mark.parametrize("address", ["tcp://localhost", "localhost", "tcp://:8786",
                                     "tcp://localhost:port"])
def test_scheduler_without_a_port_is_a_usage_error_at_once(address):
    started = time.monotonic()
    out = _run(["analyze", str(FIXTURES / "csv"), "--engine", "dask", "--scheduler", address])
    assert out.exit_code == 2 and "port" in out.output
    assert time.monotonic() - started < 20  # dask's connect timeout is never waited out


def test_fixtures_still_exit_0():
    out = _run(["analyze", str(FIXTURES)])
    assert out.exit_code == 0, out.output[-2000:]


# ------------------------------------------------------------------- damaged runs
def _damaged_tb_run(directory: Path) -> None:
    """A TensorBoard run of 200 points whose record 100 has a flipped byte."""
    from ganlogs.readers import wire

    payloads = [wire.encode_file_version_event(1.7e9)] + [
        wire.encode_scalar_event(tag, 1.0 + 0.1 * np.sin(i / 5), step=i, wall_time=1.7e9 + i)
        for i in range(100) for tag in ("Loss/D", "Loss/G")]
    raw = bytearray(b"".join(wire.frame_record(p) for p in payloads))
    head = sum(len(p) + 16 for p in payloads[:101])
    raw[head + 20] ^= 0x08
    directory.mkdir(parents=True)
    (directory / "events.out.tfevents.1.host").write_bytes(bytes(raw))


def test_a_damaged_run_is_a_warning_in_analyze_and_incomplete_in_check(tmp_path):
    _damaged_tb_run(tmp_path / "tb")
    out = _run(["analyze", str(tmp_path)])
    assert out.exit_code == 0, out.output
    err = out.stderr if hasattr(out, "stderr") else out.output
    assert "warning: tb: damaged: events.out.tfevents.1.host" in err
    res = ganlogs.analyze(tmp_path)
    assert res.runs[0].points == 199
    out = _run(["check", str(tmp_path)])
    assert out.exit_code == 2 and "damaged" in out.output and "--allow-damage" in out.output
    assert _run(["check", str(tmp_path), "--allow-damage"]).exit_code == 0
    doc = json.loads(_run(["check", str(tmp_path), "--format", "json"]).stdout)
    assert doc["status"] == "error" and doc["damaged"][0]["run"] == "tb"
    (tmp_path / "ganlogs.toml").write_text("allow_damage = true\n")
    assert ganlogs.check(tmp_path, config=tmp_path / "ganlogs.toml").status == "pass"


def test_pyarrow_lower_bound_is_past_the_parquet_cve():
    """CVE-2023-47248 (code execution reading a crafted Parquet file) affects pyarrow up to
    14.0.0, and ganlogs reads Parquet files it finds in log folders."""
    import re

    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib

    doc = tomllib.loads((FIXTURES.parent / "pyproject.toml").read_text())
    specs = [d for d in doc["project"]["dependencies"] if d.startswith("pyarrow")]
    for extra in doc["project"]["optional-dependencies"].values():
        specs += [d for d in extra if d.startswith("pyarrow")]
    assert specs
    for spec in specs:
        m = re.fullmatch(r"pyarrow>=([\d.]+)", spec.replace(" ", ""))
        assert m, spec
        assert tuple(int(x) for x in m.group(1).split(".")) >= (14, 0, 1), spec
