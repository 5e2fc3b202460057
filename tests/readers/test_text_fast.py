"""The vectorised text-log path (readers/_text_fast.py) gives exactly what the per-line path
gives: same points in the same order, same notes, warnings and hparams, on every text fixture
and on generated logs of every format with the lines that make it hard (other shapes, odd
numbers, arguments, blank lines, CRLF)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from ganlogs.readers.text import TextLogReader, read_fast

from _expected import fixture_ids, fixture_path, read_quietly

READER = TextLogReader(fast=False)  # the per-line path only


def read_both(path):
    """(per-line runs, fast runs, whether the fast path read the file). The fast path is
    taken whenever it applies (any size, any share of lines left to the per-line path);
    where it does not, the reader's own result stands in for it."""
    slow, slow_caught = read_quietly(READER, path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = read_fast(Path(path).read_bytes(), Path(path), ".", min_bytes=0,
                        max_slow_share=1.0)
    if run is None:
        fast, fast_caught = read_quietly(TextLogReader(), path)
    else:
        fast = [run]
        fast_caught = [f"{w.category.__name__}: {w.message}" for w in caught]
    assert slow_caught == fast_caught
    return slow, fast, run is not None


def assert_same(slow, fast):
    assert len(slow) == len(fast) == 1
    pd.testing.assert_frame_equal(slow[0].scalars, fast[0].scalars)
    assert slow[0].meta == fast[0].meta


@pytest.mark.parametrize("fixture_id", fixture_ids("text_"))
def test_every_text_fixture_reads_the_same(fixture_id):
    path, _ = fixture_path(fixture_id)
    slow, fast, used = read_both(path)
    assert_same(slow, fast)
    # PyTorch-GAN's cyclegan.py writes a '\r' stream (split by the per-line path)
    if fixture_id != "text_pytorch_gan_cyclegan":
        assert used, "the fast path should apply to this fixture"


def _ptgan(n: int) -> list[str]:
    vals = ["0.5", "nan", "1e-05", "-inf", "Infinity", ".25", "3.", "+0.75", "1E+3"]
    return [f"[Epoch {i // 50}/200] [Batch {i % 50}/50] [D loss: {vals[i % 9]}] "
            f"[G loss: {i / 7:f}]" for i in range(n)]


CASES = {
    "ptgan.log": ["Namespace(n_epochs=200, lr=0.0002, b1=0.5)", "some warning", ""]
    + _ptgan(400)[:200] + ["", "[Epoch 4/200] [Batch 0/50] [D loss: 0.1, acc: 50%] "
                           "[G loss: 0.2] -- M: 1.5", "ETA 00:01"] + _ptgan(400)[200:],
    "dcgan.log": [f"[{i // 30}/25][{i % 30}/30] Loss_D: {1 + i / 9:.4f} Loss_G: {i / 3:.4f} "
                  f"D(x): 0.5 D(G(z)): 0.{i % 9 + 1} / 0.{(i + 3) % 9 + 1}" for i in range(300)],
    "output.txt": [f"{i} [D loss: {i / 11:f}, acc.: {i % 100}.00%] [G loss: {i / 13:f}]"
                   for i in range(300)],
    "nohup.out": ["W tensorflow warning"] + [
        f"Epoch: [{i // 40:2d}/25] [{i % 40:4d}/  40] time: {i * 0.5:4.4f}, "
        f"d_loss: {1 / (i + 1):.8f}, g_loss: {i / 3:.8f}" for i in range(300)],
    "big_epoch.log": _ptgan(100) + ["[Epoch 12345678901/200] [Batch 3/50] [D loss: 0.5] "
                                    "[G loss: 0.5]"] + _ptgan(100),
    "loss_log.txt": ["================ Training Loss (Sat Dec  5 10:00:00 2026) ================"]
    + [f"(epoch: {1 + i // 10}, iters: {(i % 10) * 100 + 100}, time: 0.1, data: 0.01) "
       f"D_A: {i / 9:.3f} G_A: {i / 7:.3f} " for i in range(200)],
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_generated_logs_read_the_same(tmp_path, name, newline):
    p = tmp_path / name
    p.write_bytes(newline.join(CASES[name]).encode() + newline.encode())
    slow, fast, used = read_both(p)
    assert_same(slow, fast)
    assert used


def test_a_torn_last_line_is_dropped_with_the_same_warning(tmp_path):
    p = tmp_path / "cut.log"
    p.write_bytes("\n".join(_ptgan(50)).encode())  # no final newline
    slow, fast, used = read_both(p)  # (read_both compares the warnings too)
    assert used
    assert_same(slow, fast)
    assert any("no final newline" in w for w in fast[0].meta.warnings)
    p.write_bytes(b"[Epoch 0/1] [Batch 0/1] [D loss: 0.5] [G loss: 0.5]")  # no newline at all
    assert not read_both(p)[2]


def test_carriage_return_logs_stay_on_the_per_line_path(tmp_path):
    p = tmp_path / "cr.log"
    p.write_bytes("\r".join(_ptgan(50)).encode() + b"\n")
    slow, fast, used = read_both(p)
    assert not used
    assert_same(slow, fast)


def _varied(n: int) -> list[str]:
    """PyTorch-GAN lines whose numbers change length from line to line (the token ends are
    guessed from common lengths first), with an epoch that is not an integer in the middle."""
    vals = ["0.5", "-12.25", "1e-05", "123456.789", "7", "-0.0001", "nan", "3.", "+2E+10"]
    out = [f"[Epoch {i * 7 // 5}/{10 + i % 3}] [Batch {i * 37 % 1000}/1000] "
           f"[D loss: {vals[i % 9]}] [G loss: {vals[(i * 5) % 9]}]" for i in range(n)]
    out[n // 2] = "[Epoch 1.5/200] [Batch 3/50] [D loss: 0.5] [G loss: 0.5]"
    out[n // 3] = "[Epoch 3/200] [Batch 3/50] [D loss: 0.5] [G loss: 0.5]]"
    out[n // 4] = "[Epoch 3/200] [Batch 3/50] [D loss: 0.5]] [G loss: 0.5]"
    return out


@pytest.mark.parametrize("threads", [1, 3])
def test_lines_of_varied_lengths_and_blocks_read_the_same(tmp_path, threads):
    p = tmp_path / "varied.log"
    p.write_text("\n".join(["header"] + _varied(900) + ["", "footer"]) + "\n")
    slow, _ = read_quietly(READER, p)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = read_fast(p.read_bytes(), p, ".", min_bytes=0, max_slow_share=1.0,
                         threads=threads)
    assert fast is not None
    assert_same(slow, [fast])


def test_the_reader_takes_the_fast_path_on_a_large_regular_log(tmp_path):
    p = tmp_path / "big.log"
    p.write_bytes(("\n".join(_ptgan(6000)) + "\n").encode())
    assert read_fast(p.read_bytes(), p, ".") is not None  # the default thresholds apply
    assert_same(READER.read(p, run_id="."), TextLogReader().read(p, run_id="."))
