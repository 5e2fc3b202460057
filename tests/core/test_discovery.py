"""Run discovery: one walk, run ids relative to the root, symlinks, problems reported.

Uses two toy readers registered for the test, so discovery is tested apart from formats.
"""

import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest

import ganlogs.readers as readers
from ganlogs import Run, UnsupportedFormatError, UsageError
from ganlogs.errors import ReadError
from ganlogs.readers import Reader, discover, load, read


class DirToy(Reader):
    formats = ("toy_dir",)
    kind = "dir"

    def guess_can_open(self, path):
        return (path / "toy.run").is_file()

    def read(self, path, *, run_id):
        return [Run.from_frame(pd.DataFrame({"tag": ["d"], "step": [0], "value": [1.0]}),
                               run_id=run_id, path=path, format="toy_dir")]


class FileToy(Reader):
    formats = ("toy_file",)
    kind = "file"

    def guess_can_open(self, path):
        return path.suffix == ".toy"

    def read(self, path, *, run_id):
        text = path.read_text()
        if "bad" in text:
            raise ReadError(path, "toy says bad")
        return [Run.from_frame(pd.DataFrame({"tag": ["d"], "step": [0], "value": [1.0]}),
                               run_id=run_id, path=path, format="toy_file")]


@pytest.fixture(autouse=True)
def toy_registry(monkeypatch):
    monkeypatch.setattr(readers, "DIR_READERS", [DirToy()])
    monkeypatch.setattr(readers, "FILE_READERS", [FileToy()])


def tree(root: Path, files):
    for name in files:
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("ok")


def ids(found):
    return [s.run_id for s in found.sources]


def test_sweep_ids_are_relative_and_claimed_dirs_are_not_descended(tmp_path):
    tree(tmp_path, ["a/toy.run", "a/sub/toy.run", "a/sub/x.toy", "b/c.toy", "b/notes.txt",
                    "c.toy", "empty/.keep"])
    assert ids(discover(tmp_path)) == ["a", "b/c.toy", "c.toy"]


def test_root_that_is_one_run_is_dot(tmp_path):
    tree(tmp_path, ["toy.run"])
    assert ids(discover(tmp_path)) == ["."]
    tree(tmp_path, ["f/x.toy"])
    assert ids(discover(tmp_path / "f" / "x.toy")) == ["."]


def test_a_file_inside_a_run_directory_means_that_run(tmp_path):
    tree(tmp_path, ["run/toy.run", "run/data.bin"])
    found = discover(tmp_path / "run" / "data.bin")
    assert ids(found) == ["."] and found.sources[0].path == tmp_path / "run"


def test_symlinked_run_dir_is_counted_once_under_its_real_name(tmp_path):
    tree(tmp_path, ["wandb/offline-run-1/toy.run"])
    os.symlink("offline-run-1", tmp_path / "wandb" / "latest-run")
    assert ids(discover(tmp_path)) == ["wandb/offline-run-1"]


def test_symlink_loop_is_reported_not_followed(tmp_path):
    tree(tmp_path, ["a/b/x.toy"])
    os.symlink("../..", tmp_path / "a" / "b" / "loop")
    found = discover(tmp_path)
    assert ids(found) == ["a/b/x.toy"]
    assert len(found.problems) == 1 and "loop" in str(found.problems[0])


def _as_nobody(fn):
    """``fn()`` as a user that cannot read a 0o000 directory: as root, in a forked child
    that drops to uid/gid 65534 first (never skipped); otherwise here."""
    if os.geteuid() != 0:
        return fn()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            with os.fdopen(w, "w") as fh:
                fh.write(json.dumps(fn()))
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    with os.fdopen(r) as fh:
        data = fh.read()
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    return json.loads(data)


def test_unreadable_directory_is_reported():
    root = Path(tempfile.mkdtemp(prefix="ganlogs-disc-", dir="/tmp"))  # not under a 0700 dir
    try:
        root.chmod(0o755)
        tree(root, ["locked/x.toy", "ok.toy"])
        (root / "locked").chmod(0)

        def look():
            found = discover(root)
            return [ids(found), [str(p) for p in found.problems], os.geteuid()]

        got_ids, problems, uid = _as_nobody(look)
    finally:
        (root / "locked").chmod(0o755)
        shutil.rmtree(root)
    assert uid != 0
    assert got_ids == ["ok.toy"] and "cannot" in problems[0]


def test_directory_that_cannot_be_listed_is_reported(tmp_path, monkeypatch):
    tree(tmp_path, ["locked/x.toy", "ok.toy"])
    real_scandir = os.scandir

    def scandir(path):
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found = discover(tmp_path)
    assert ids(found) == ["ok.toy"]
    assert "cannot list directory: Permission denied" in str(found.problems[0])


def test_load_errors_are_one_line_and_name_the_file(tmp_path):
    (tmp_path / "x.toy").write_text("bad")
    src = discover(tmp_path).sources[0]
    with pytest.raises(ReadError) as err:
        load(src)
    assert str(err.value).startswith(str(tmp_path / "x.toy")) and "\n" not in str(err.value)


def test_read_one_run_and_clear_errors(tmp_path):
    tree(tmp_path, ["one/toy.run", "two/a.toy", "two/b.toy", "none/readme.md"])
    assert read(tmp_path / "one").meta.run_id == "."
    with pytest.raises(UsageError, match="holds 2 runs"):
        read(tmp_path / "two")
    with pytest.raises(UnsupportedFormatError, match="no run found"):
        read(tmp_path / "none")
    with pytest.raises(UsageError, match="no such file"):
        read(tmp_path / "missing")


def test_unclaimed_files_are_listed_joined_or_ignored(tmp_path, monkeypatch):
    monkeypatch.setattr(FileToy, "side_files", ("*.side.txt",), raising=False)
    tree(tmp_path, ["r/x.toy", "r/a.side.txt", "r/notes.txt", "r/README.md", "r/img.png",
                    "s/loss.log", "s/model.pt"])
    found = discover(tmp_path)
    assert ids(found) == ["r/x.toy"]
    listed = sorted(Path(p.path).relative_to(tmp_path).as_posix() for p in found.problems)
    assert listed == ["r/notes.txt", "s/loss.log"]  # a.side.txt joins x.toy's run
    assert all(isinstance(p, UnsupportedFormatError) for p in found.problems)


@pytest.mark.parametrize("patterns, kept", [
    (["*.txt"], ["a/x.toy", "b/y.log"]),
    (["a"], ["b/y.log"]),  # a directory name: nothing below it is read or listed
    (["b/*"], ["a/n.txt", "a/x.toy"]),
    (["a/x.toy", "*.log"], ["a/n.txt"]),
])
def test_exclude_globs(tmp_path, patterns, kept):
    tree(tmp_path, ["a/x.toy", "a/n.txt", "b/y.log"])
    found = discover(tmp_path, exclude=patterns)
    seen = sorted(ids(found) + [Path(p.path).relative_to(tmp_path).as_posix()
                                for p in found.problems])
    assert seen == kept


def test_file_links_are_read_once_and_dangling_ones_listed(tmp_path):
    tree(tmp_path, [".store/abc.toy", "run/real.toy"])
    os.symlink("../.store/abc.toy", tmp_path / "run" / "linked.toy")
    os.symlink("real.toy", tmp_path / "run" / "again.toy")
    os.symlink("../.store/missing.toy", tmp_path / "run" / "gone.toy")
    found = discover(tmp_path)
    assert ids(found) == ["run/linked.toy", "run/real.toy"]  # again.toy is real.toy
    assert ["dangling" in str(p) for p in found.problems] == [True]
