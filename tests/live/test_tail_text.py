"""Text logs are followed by byte offset: only complete appended lines are parsed, with the
reader's state carried over (format, sections, CycleGAN steps, ``\\r`` records), and after
any sequence of appends the rows equal a whole read of the file, on every dialect."""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest

from ganlogs.live.tail_text import FORMAT_WINDOW, TextFollower
from ganlogs.readers import discover

from _tailing import follow, frame, whole

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "text"
REAL = ROOT.parent / "shared" / "real-logs"




def _cuts(data: bytes, n: int = 9, seed: int = 0) -> list[int]:
    rng = random.Random(seed)
    return sorted({rng.randrange(1, len(data)) for _ in range(n)} | {len(data)})


def _check(path: Path, data: bytes, cuts: list[int]) -> TextFollower:
    follower = follow(path, data, cuts, TextFollower)
    (rid,) = follower.run_ids()
    got = frame(follower.run(rid))
    assert len(got) > 0
    pd.testing.assert_frame_equal(got, whole(path))
    return follower


# ----------------------------------------------------------------- synthetic logs past 64 KiB
def _ptgan(n: int, sep: str = "\n") -> str:
    head = "Namespace(n_epochs=200, batch_size=64, lr=0.0002)\n"
    return head + "".join(
        f"[Epoch {i // 50}/200] [Batch {i % 50}/50] [D loss: {0.5 + (i % 13) / 100:.6f}] "
        f"[G loss: {1.2 - (i % 7) / 50:.6f}, adv: {0.3 + i % 3 / 10:.6f}]"
        + (f" ETA: 0:00:{i % 60:02d}.5{sep}" if sep == "\r" else sep)
        for i in range(n))


def _cr_stream(n: int) -> str:  # PyTorch-GAN cyclegan.py: each record *starts* with \r
    return "Namespace(n_epochs=4)\n" + "".join(
        f"\r[Epoch {i // 40}/4] [Batch {i % 40}/40] [D loss: {0.3 + i % 9 / 100:.6f}] "
        f"[G loss: {7.5 - i % 5 / 10:.6f}, adv: 0.8{i % 10}, cycle: 0.4{i % 7}] "
        f"ETA: 0:00:{i % 60:02d}.4" for i in range(n))


def _dcgan(n: int) -> str:
    return "Random Seed:  999\nStarting Training Loop...\n" + "".join(
        f"[{i // 100}/25][{i % 100}/100]\tLoss_D: {1.3 - i % 11 / 100:.4f}\tLoss_G: "
        f"{0.9 + i % 5 / 10:.4f}\tD(x): 0.5{i % 10}\tD(G(z)): 0.4{i % 7} / 0.3{i % 3}\n"
        for i in range(n))


def _keras(n: int) -> str:
    return "Model: \"sequential\"\n_____\n" + "".join(
        f"{i} [D loss: {0.6 + i % 7 / 100:.6f}, acc.: {50 + i % 40:.2f}%] "
        f"[G loss: {0.8 + i % 3 / 10:.6f}]\n" for i in range(n))


def _dcgan_tf(n: int) -> str:
    return "WARNING:tensorflow:From main.py:93: deprecated.\n [*] Reading checkpoints...\n" + \
        "".join(f"Epoch: [{i // 300:2d}/25] [{i % 300:4d}/ 300] time: {i * 0.31:4.4f}, "
                f"d_loss: {1.1 + i % 9 / 100:.8f}, g_loss: {0.7 + i % 4 / 10:.8f}\n"
                + ("W tensorflow warning line\n" if i % 97 == 0 else "")
                for i in range(n))


def _cyclegan(n: int, restart_at: int | None = None) -> str:
    """loss_log.txt with validation sections, a relaunch and the iters counter of the
    code base (a print every 100 samples, 1,000 samples per epoch)."""
    out = ["================ Training Loss (Wed May 22 17:12:01 2024) ================\n"]
    for k in range(n):
        epoch, iters = 1 + k // 10, 100 * (k % 10) + 100
        if k == restart_at:
            out.append("================ Training Loss (Thu May 23 09:00:00 2024) ========"
                       "========\n")
            epoch -= 2
        if k % 40 == 39:
            out.append("================ Validation Loss (Wed May 22 17:20:41 2024) ======="
                       "=========\n")
            out.append(f"(epoch: {epoch}, iters: {iters}, time: 0.3, data: 0.1) D_A: 0.3 "
                       f"G_A: 0.{k % 9} \n")
            out.append("================ Training Loss (Wed May 22 17:21:00 2024) ========"
                       "========\n")
        out.append(f"(epoch: {epoch}, iters: {iters}, time: 0.380, data: 0.132) D_A: "
                   f"0.{k % 97:03d} G_A: 0.{k % 89:03d} cycle_A: 1.{k % 7} idt_A: 0.5 \n")
    return "".join(out)


SYNTHETIC = {
    "ptgan.log": _ptgan(2500),
    "ptgan_cr.log": _cr_stream(2500),
    "dcgan.log": _dcgan(2500),
    "keras.txt": _keras(3000),
    "dcgan_tf.out": _dcgan_tf(2000),
    "loss_log.txt": _cyclegan(1500),
    "restarts/loss_log.txt": _cyclegan(1500, restart_at=900),
}


@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_text_tail_equals_a_whole_read_on_every_dialect(tmp_path, name):
    data = SYNTHETIC[name].encode()
    assert len(data) > 2 * FORMAT_WINDOW
    path = tmp_path / name
    path.parent.mkdir(exist_ok=True)
    # a first look past the format window, then appends cut anywhere (mid-number too)
    cuts = [FORMAT_WINDOW + 5000] + [c for c in _cuts(data, 12) if c > FORMAT_WINDOW + 5000]
    follower = _check(path, data, cuts)
    assert follower.whole_reads == 1, "appends past the format window are never read whole"
    assert follower.bytes_read < len(data) + 64 * len(cuts) + 2048


@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_text_tail_from_the_first_bytes(tmp_path, name):
    data = SYNTHETIC[name].encode()
    path = tmp_path / name
    path.parent.mkdir(exist_ok=True)
    _check(path, data, _cuts(data, 10, seed=1) + [100, 700, 3000, FORMAT_WINDOW - 1])


def test_cyclegan_steps_are_made_again_when_the_samples_per_epoch_move(tmp_path):
    # before the first epoch boundary the samples per epoch are a guess; rows are then made
    # again from the records kept, never read again from disk
    data = _cyclegan(300).encode()
    path = tmp_path / "loss_log.txt"
    lines = data.splitlines(keepends=True)
    cut = len(b"".join(lines[:700 if len(lines) > 700 else len(lines) // 2]))
    follower = _check(path, data, [FORMAT_WINDOW + 10, cut, len(data)])
    assert follower.whole_reads <= 2


@pytest.mark.parametrize("log", sorted(p for p in FIXTURES.rglob("*") if p.is_file()
                                       and p.suffix in (".txt", ".log", ".out")),
                         ids=lambda p: p.parent.name)
def test_text_tail_on_the_fixtures(tmp_path, log):
    if not discover(log).sources or type(discover(log).sources[0].reader).__name__ \
            != "TextLogReader":
        pytest.skip("not a text log")
    data = log.read_bytes()
    path = tmp_path / log.name
    _check(path, data, _cuts(data, 8))


REAL_LOGS = ["cyclegan_h2z_vit_restarts/loss_log.txt", "cyclegan_stroke_val/loss_log.txt",
             "cyclegan_maps_mikelmh/loss_log.txt", "dcgan_tf_imagenet_nohup/nohup.out",
             "kerasgan_dcgan_mnist/output.txt", "pytorchgan_wgan_gp/nohup.out"]


@pytest.mark.parametrize("rel", REAL_LOGS)
def test_text_tail_on_real_logs(tmp_path, rel):
    src = REAL / rel
    if not src.exists():
        pytest.skip(f"{src} absent")
    data = src.read_bytes()
    opts = [p for p in src.parent.glob("*opt.txt")]
    for opt in opts:  # CycleGAN's options beside the log give the batch size
        (tmp_path / opt.name).write_bytes(opt.read_bytes())
    _check(tmp_path / src.name, data, _cuts(data, 10, seed=3))
