"""The vectorised text-log path (readers/_text_fast.py) gives exactly what the per-line path
gives: same points in the same order, same notes, warnings and hparams, on every text fixture
and on generated logs of every format with the lines that make it hard (other shapes, odd
numbers, arguments, blank lines, CRLF)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ganlogs.readers.text import TextLogReader, read_fast

from _expected import fixture_ids, fixture_path, read_quietly

READER = TextLogReader(fast=False)  # the per-line path only


def read_both(path, forms=None):
    """(per-line runs, fast runs, whether the fast path read the file). The fast path is
    taken whenever it applies (any size, any share of lines left to the per-line path);
    where it does not, the reader's own result stands in for it. ``forms``: whether the
    fast path matches the lines' forms (as ``read_fast``)."""
    slow, slow_caught = read_quietly(READER, path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = read_fast(Path(path).read_bytes(), Path(path), ".", min_bytes=0,
                        max_slow_share=1.0, forms=forms)
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


@pytest.mark.parametrize("forms", [False, True])
@pytest.mark.parametrize("fixture_id", fixture_ids("text_"))
def test_every_text_fixture_reads_the_same(fixture_id, forms):
    path, _ = fixture_path(fixture_id)
    slow, fast, used = read_both(path, forms)
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


@pytest.mark.parametrize("forms", [False, True])
@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_generated_logs_read_the_same(tmp_path, name, newline, forms):
    p = tmp_path / name
    p.write_bytes(newline.join(CASES[name]).encode() + newline.encode())
    slow, fast, used = read_both(p, forms)
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


@pytest.mark.parametrize("forms", [False, True])
@pytest.mark.parametrize("threads", [1, 3])
def test_lines_of_varied_lengths_and_blocks_read_the_same(tmp_path, threads, forms):
    p = tmp_path / "varied.log"
    p.write_text("\n".join(["header"] + _varied(900) + ["", "footer"]) + "\n")
    slow, _ = read_quietly(READER, p)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = read_fast(p.read_bytes(), p, ".", min_bytes=0, max_slow_share=1.0,
                         threads=threads, forms=forms)
    assert fast is not None
    assert_same(slow, [fast])


def test_the_reader_takes_the_fast_path_on_a_large_regular_log(tmp_path):
    p = tmp_path / "big.log"
    p.write_bytes(("\n".join(_ptgan(6000)) + "\n").encode())
    assert read_fast(p.read_bytes(), p, ".") is not None  # the default thresholds apply
    assert_same(READER.read(p, run_id="."), TextLogReader().read(p, run_id="."))


# ------------------------------------------------------------------ lines' forms (_Forms)
#: lines that look like the log's shape but are not all of it: each must be read as the
#: per-line path reads it (a shortcut looser than the shape's pattern would read some of
#: them as records of the shape, or with other numbers)
TRICKY = [
    "[Epoch 1/200] [Batch 3/50] [D loss: 1e-05] [G loss: -0.5]",  # exponent, negative
    "[Epoch 1/200] [Batch 4/50] [D loss: 1E+05] [G loss: +.5]",
    "[Epoch 1/200] [Batch 5/50] [D loss: nan] [G loss: -inf]",
    "[Epoch 1/200] [Batch 6/50] [D loss: NaN] [G loss: Infinity]",
    "[Epoch 1/200] [Batch 7/50] [D loss: infinit] [G loss: 0.5]",  # not a number
    "[Epoch 1/200] [Batch 8/50] [D loss: 1e-0.5] [G loss: 0.5]",
    "[Epoch 1/200] [Batch 9/50] [D loss: 1.0.0] [G loss: 0.5]",
    "[Epoch 1/200] [Batch 10/50] [D loss: 0.5 0.25] [G loss: 0.5]",  # an extra number
    "[Epoch 1/200] [Batch 11/50] [D loss: 0.5] [G loss: 0.5] 7",
    "[Epoch 1/200] [Batch 12/50] [D loss: 0.5] [G loss: 0.5 ]",
    "[Epoch 1/200] [Batch 13/50] [D2 loss: 0.5] [G loss: 0.5]",  # a digit in the text
    "[Epoch 1/200] [Batch 14/50] [D loss: --1] [G loss: 0.5]",
    "[Epoch 1/200] [Batch 15/50] [D loss: 00012] [G loss: 5.]",
    "[Epoch 1/200] [Batch 16/50] [D loss: e5] [G loss: 0.5]",
    "[Epoch \u0663/200] [Batch 17/50] [D loss: 0.5] [G loss: 0.5]",  # a non-ASCII digit
    "[Epoch 1/200] [Batch 18/50] [D loss: \u0663.5] [G loss: 0.5]",
    "[Epoch 1.5/200] [Batch 19/50] [D loss: 0.5] [G loss: 0.5]",  # epoch not an integer
    "[Epoch 1234567890/200] [Batch 20/50] [D loss: 0.5] [G loss: 0.5]",  # 10 digits
    "[Epoch -1/200] [Batch 21/50] [D loss: 0.5] [G loss: 0.5]",
    "[Epoch 1/200] [Batch 22/50] [D loss: 0.12345678901234567890123] [G loss: 1e-320]",
    "[Epoch 1/200]  [Batch 23/50] [D loss: 0.5] [G loss: 0.5]",
    "[Epoch 1/200]\t[Batch 24/50] [D loss: 0.5] [G loss: 0.5]",
    "Epoch 2 starting: lr 0.0002, 1000 batches",  # a header in the middle
    "Namespace(n_epochs=200, lr=0.0002, b1=0.5)",
    "",
]


#: regular lines before the tricky ones in the logs where their shapes must stay unknown:
#: more than the fast path learns shapes from (its first 256 KiB)
_UNLEARNT_AFTER = 4500


def _tricky_log(newline: str, torn: str = "", learnt: bool = True) -> bytes:
    """PyTorch-GAN lines with :data:`TRICKY` among them: in the first lines (their shapes
    learnt, ``learnt``) or after :data:`_UNLEARNT_AFTER` regular lines (their shapes never
    learnt: they must not be taken as lines of the regular shape)."""
    lines = _ptgan(300 if learnt else _UNLEARNT_AFTER + 300)
    at = 10 if learnt else _UNLEARNT_AFTER
    for k, line in enumerate(TRICKY):
        lines.insert(at + 9 * k, line)
    return (newline.join(lines) + newline + torn).encode()


def assert_both_ways_as_per_line(path):
    """The fast path reads ``path`` as the per-line path does, matching the lines one by one
    and matching their forms."""
    for forms in (False, True):
        slow, fast, used = read_both(path, forms)
        assert used, f"the fast path should read it (forms={forms})"
        assert_same(slow, fast)


@pytest.mark.parametrize("learnt", [True, False])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("torn", ["", "[Epoch 9/200] [Batch 1/50] [D loss: 0.5] [G lo"])
def test_tricky_lines_read_as_the_per_line_path_reads_them(tmp_path, newline, torn, learnt):
    p = tmp_path / "tricky.log"
    p.write_bytes(_tricky_log(newline, torn, learnt))
    assert_both_ways_as_per_line(p)


def _digit_names(n: int, kinds: int) -> list[str]:
    """Lines of shapes whose fixed text differs only in a digit (as pix2pix's ``G_L1``):
    ``[D1 loss``, ``[D2 loss``... (``kinds`` of them, in turn)."""
    return [line.replace("[D loss", f"[D{1 + i % kinds} loss").replace("[G loss", "[G_L1 loss")
            for i, line in enumerate(_ptgan(n))]


@pytest.mark.parametrize("learnt", [True, False])
def test_shapes_with_digits_in_their_text_take_only_their_lines(tmp_path, learnt):
    """D1 and D2 lines first; then D3 lines too, whose shape is learnt only when they come
    early (else no learnt shape may take them: the digit 3 is not the 1 or 2 of D1, D2)."""
    head = _UNLEARNT_AFTER if not learnt else 5
    p = tmp_path / "digits.log"
    p.write_bytes(("\n".join(_digit_names(head, 2) + _digit_names(600, 3)) + "\n").encode())
    assert_both_ways_as_per_line(p)
