"""CycleGAN/pix2pix ``loss_log.txt`` on the vectorised text path (readers/_text_fast.py with
readers/_text_cyclegan.py) gives exactly what the per-line path gives: same points, steps,
tags (``val/`` sections), notes, warnings, restart context and hparams, on the fixture, on
generated logs with what makes them hard (drifting ``iters``, numbers of varied lengths,
relaunches, validation and other sections, odd lines, a torn last line, CRLF, blocks on
threads, a batch size from ``train_opt.txt``) and on the real logs in ../shared/real-logs."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from ganlogs.readers.text import TextLogReader, read_fast

from _expected import fixture_ids, fixture_path, read_quietly
from test_text_fast import assert_same

READER = TextLogReader(fast=False)  # the per-line path only
REAL = Path(__file__).resolve().parents[2].parent / "shared" / "real-logs"
NAMES = ("D_A", "G_A", "cycle_A", "idt_A", "D_B", "G_B", "cycle_B", "idt_B")


def fast_and_slow(path: Path, **kw):
    """(per-line runs, the fast path's run or None); the warnings both raise must agree."""
    slow, slow_caught = read_quietly(READER, path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = read_fast(path.read_bytes(), path, ".", min_bytes=0, max_slow_share=1.0, **kw)
    if run is not None:
        assert slow_caught == [f"{w.category.__name__}: {w.message}" for w in caught]
    return slow, run


def assert_fast_equals_slow(path: Path, **kw):
    slow, run = fast_and_slow(path, **kw)
    assert run is not None, "the fast path should apply to this log"
    assert_same(slow, [run])
    return run


def header(title: str = "Training Loss", date: str = "Sat Dec  5 10:00:00 2026") -> str:
    return f"================ {title} ({date}) ================"


def values(rng: np.random.Generator, n: int, varied: bool) -> list[str]:
    """``%.3f`` of losses, or (``varied``) numbers of every length the writer can print."""
    if not varied:
        return [f"{v:.3f}" for v in rng.gamma(2.0, 0.5, n)]
    pool = [lambda: f"{rng.uniform(0, 1):.3f}", lambda: f"{rng.uniform(0, 1e5):.3f}",
            lambda: f"{-rng.uniform(0, 50):.3f}", lambda: "nan", lambda: "inf",
            lambda: f"{rng.uniform(0, 10):.1f}", lambda: "7", lambda: f"{rng.uniform():.6e}"]
    return [pool[i]() for i in rng.integers(0, len(pool), n)]


def training(epochs: range, *, dataset: int = 1000, batch: int = 1, print_freq: int = 100,
             seed: int = 0, varied: bool = False, names=NAMES) -> list[str]:
    """Lines as the code base prints them: ``iters`` is the within-epoch sample counter,
    printed when the total sample count is a multiple of ``print_freq`` (so it drifts from
    epoch to epoch when ``dataset`` is not a multiple of it)."""
    rng = np.random.default_rng(seed)
    out, total = [], 0
    for e in epochs:
        epoch_iter = 0
        while epoch_iter < dataset:
            total += batch
            epoch_iter += batch
            if total % print_freq == 0:
                t = f"{rng.uniform(0.05, 3):.3f}" if not varied else f"{rng.uniform(0, 500):.3f}"
                vals = values(rng, len(names), varied)
                out.append(f"(epoch: {e}, iters: {epoch_iter}, time: {t}, data: "
                           f"{rng.uniform(0, 0.2):.3f}) "
                           + "".join(f"{n}: {v} " for n, v in zip(names, vals)))
    return out


def write(tmp_path: Path, lines: list[str], *, newline: str = "\n", torn: str = "",
          opt: str | None = None) -> Path:
    d = tmp_path / "checkpoints" / "exp"
    d.mkdir(parents=True, exist_ok=True)
    p = d / "loss_log.txt"
    p.write_bytes((newline.join(lines) + newline + torn).encode())
    if opt is not None:
        (d / "train_opt.txt").write_text(opt)
    return p


# ------------------------------------------------------------------------------ fixtures
@pytest.mark.parametrize("forms", [False, True])
@pytest.mark.parametrize("fixture_id", [f for f in fixture_ids("text_") if "cyclegan_loss" in f])
def test_the_cyclegan_fixture_reads_the_same(fixture_id, forms):
    path, _ = fixture_path(fixture_id)
    run = assert_fast_equals_slow(Path(path), forms=forms)
    assert any("relaunched" in w for w in run.meta.warnings)  # found on the fast path too


# ------------------------------------------------------------------------------ generated
def by_hand(pairs) -> list[str]:
    return [f"(epoch: {e}, iters: {i}, time: 0.100, data: 0.010) D_A: {k / 7:.3f} G_A: 0.500 "
            for k, (e, i) in enumerate(pairs)]


CASES = {
    # print intervals 100 and 50 twice each (the smallest wins), boundary estimates 340 and
    # 155 once each (the largest wins, and it is above the largest iters, 300)
    "ties": lambda: [header()] + by_hand([(1, 100), (1, 200), (1, 300), (2, 10), (2, 60),
                                          (2, 110), (3, 5)]),
    "drifting iters": lambda: [header()] + training(range(1, 9), dataset=1037),
    "varied number lengths": lambda: [header()] + training(range(1, 6), dataset=950,
                                                           varied=True, seed=1),
    "continue_train relaunch": lambda: (
        [header()] + training(range(1, 6), dataset=830) + [header("Training Loss", "Sun")]
        + training(range(4, 9), dataset=830, seed=2)),
    "relaunches from epoch 1, several": lambda: (
        [header(), header()] + training(range(1, 4), seed=3)
        + sum(([header(date=f"d{k}")] + training(range(1, 3), seed=4 + k)
               for k in range(8)), [])),
    "epochs from 0, no header": lambda: training(range(0, 5), dataset=777, seed=5),
    "one epoch (no boundary)": lambda: [header()] + training(range(3, 4), dataset=5000),
    "validation and other sections": lambda: (
        [header()] + training(range(1, 3), seed=6)
        + [header("Validation Loss")] + training(range(1, 3), print_freq=250, seed=7,
                                                 names=("D_A", "G_A", "L1"))
        + [header("Model Saved"), "saving the model at the end of epoch 2, iters 2000",
           header("Test Result"), "ssim: nan", "psnr_ls: inf(nan)", "",
           header("Val Loss")] + training(range(2, 3), print_freq=500, seed=8)
        + [header()] + training(range(3, 5), seed=9)),
    "odd lines in between": lambda: (
        ["----------------- Options ---------------", "batch_size: 1", "", header()]
        + [line if k % 37 else line + "\nlearning rate 0.0002000 -> 0.0001980\n"
           "(epoch: 3, iters: 999999999, time: 0.1, data: 0.1) D_A: 0.5 "
           for k, line in enumerate(training(range(1, 6), dataset=1200, seed=10))]
        + ["End of epoch 5 / 200 \t Time Taken: 93 sec", "(epoch: x, iters: 1) D_A: 0.1"]),
    "a line of another shape (pix2pix names) and spaces": lambda: (
        [header()] + training(range(1, 3), names=("G_GAN", "G_L1", "D_real", "D_fake"))
        + ["(epoch: 3, iters: 100, time: 0.5) G_GAN: 1.0 G_L1: 2.0 D_real: 0.3 D_fake: 0.2",
           "(epoch: 3, iters: 200, time: 0.5, data: 0.1)  G_GAN: 1.0  G_L1: 2.0   "]
        + training(range(3, 5), names=("G_GAN", "G_L1", "D_real", "D_fake"), seed=11)),
}


@pytest.mark.parametrize("forms", [False, True])
@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_generated_loss_logs_read_the_same(tmp_path, case, newline, forms):
    assert_fast_equals_slow(write(tmp_path, CASES[case](), newline=newline), forms=forms)


def test_relaunches_are_found_on_the_fast_path(tmp_path):
    run = assert_fast_equals_slow(write(tmp_path, CASES["relaunches from epoch 1, several"]()))
    restarts = [w for w in run.meta.warnings if "relaunched" in w]
    assert "relaunched 8 time(s)" in restarts[0]
    assert "epoch 1, 1, 1, 1, 1, 1 ..." in restarts[0]


def test_validation_sections_become_val_tags_on_the_fast_path(tmp_path):
    run = assert_fast_equals_slow(write(tmp_path, CASES["validation and other sections"]()))
    assert {"val/D_A", "val/L1", "D_A"} <= set(run.tags)
    assert any("'Model Saved' x1, 'Test Result' x1" in n for n in run.meta.notes)


@pytest.mark.parametrize("torn", ["(epoch: 9, iters: 100, time: 0.1, data: 0.0) D_A: 0.2",
                                  "(epoch: 9, iters: 1", "   ", "=========== Training"])
def test_a_torn_last_line(tmp_path, torn):
    run = assert_fast_equals_slow(write(tmp_path, [header()] + training(range(1, 4)),
                                        torn=torn))
    assert any("no final newline" in w for w in run.meta.warnings) == bool(torn.strip())


def test_batch_size_from_the_options_file(tmp_path):
    p = write(tmp_path, [header()] + training(range(1, 5), dataset=900, batch=4),
              opt="----------------- Options ---------------\n"
                  "             batch_size: 4                             \t[default: 1]\n"
                  "                   name: exp\n")
    run = assert_fast_equals_slow(p)
    assert any("batch_size 4" in n for n in run.meta.notes)
    assert run.meta.hparams["batch_size"] == "4"


@pytest.mark.parametrize("threads", [1, 2, 5])
def test_blocks_on_threads_read_the_same(tmp_path, threads):
    lines = CASES["validation and other sections"]() + CASES["continue_train relaunch"]()
    assert_fast_equals_slow(write(tmp_path, lines), threads=threads)


def test_an_epoch_too_large_for_the_fast_arithmetic_leaves_it(tmp_path):
    lines = [header()] + training(range(1, 3))
    lines.insert(5, "(epoch: 12345678901, iters: 100, time: 0.1, data: 0.0) D_A: 0.5 ")
    slow, run = fast_and_slow(write(tmp_path, lines))
    assert run is None  # the per-line path reads it (its steps in Python integers)


def test_the_reader_takes_the_fast_path_on_a_large_loss_log(tmp_path):
    p = write(tmp_path, [header()] + training(range(1, 200), dataset=1000))
    assert p.stat().st_size > (256 << 10)
    assert read_fast(p.read_bytes(), p, ".") is not None  # the default thresholds apply
    assert_same(READER.read(p, run_id="."), TextLogReader().read(p, run_id="."))


# ------------------------------------------------------------------------------ real logs
REAL_LOGS = sorted(REAL.glob("*/loss_log.txt")) if REAL.is_dir() else []


@pytest.mark.parametrize("forms", [False, True])
@pytest.mark.parametrize("name", [p.parent.name for p in REAL_LOGS] or ["(none)"])
def test_real_loss_logs_read_the_same(name, forms):
    if not REAL_LOGS:
        pytest.skip(f"real logs absent ({REAL}): this test needs ../shared/real-logs")
    assert_fast_equals_slow(REAL / name / "loss_log.txt", forms=forms)
