"""Text-log reader: every text fixture read back exactly, each format's variants, the
claiming rule, carriage-return streams, restarts, truncation at cut offsets."""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from ganlogs.errors import CorruptLogError, ReadError, TruncatedLogWarning
from ganlogs.readers import discover, reader_for
from ganlogs.readers.text import TextLogReader
from ganlogs.roles import infer_roles

from _expected import (FIXTURES, assert_matches_expected, cut_offsets, fixture_ids,
                       fixture_path, is_prefix, points, read_quietly)

READER = TextLogReader()
TEXT_IDS = fixture_ids("text_")


def read1(path: Path):
    runs, _ = read_quietly(READER, path)
    assert len(runs) == 1
    return runs[0]


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return p


# ----------------------------------------------------------------------------- fixtures
def test_every_text_format_has_a_fixture():
    from _expected import INDEX
    assert {INDEX[k]["format"] for k in TEXT_IDS} == set(TextLogReader.formats)


@pytest.mark.parametrize("fixture_id", TEXT_IDS)
def test_fixture_reads_back_exactly(fixture_id):
    path, _ = fixture_path(fixture_id)
    assert READER.guess_can_open(path)
    assert isinstance(reader_for(path), TextLogReader)
    runs, caught = read_quietly(READER, path)
    assert caught == []
    assert_matches_expected(runs[0], fixture_id)
    assert any(n.startswith("step:") for n in runs[0].meta.notes)


def test_dcgan_tags_map_to_roles():
    run = read1(FIXTURES / "text/dcgan_examples/dcgan_main.log")
    roles = infer_roles(run.tags)
    assert roles.tags == {"d_loss": "Loss_D", "g_loss": "Loss_G", "d_x": "D(x)",
                          "d_gz": "D(G(z))_1"}


def test_pytorch_gan_roles():
    run = read1(FIXTURES / "text/pytorch_gan_cyclegan/cyclegan_stdout.log")
    roles = infer_roles(run.tags)
    assert roles.get("d_loss") == "D loss" and roles.get("g_loss") == "G loss"


def test_cyclegan_step_is_the_global_iteration_and_the_restart_supersedes():
    run = read1(FIXTURES / "text/cyclegan_loss_log/checkpoints/horse2zebra_cyclegan/"
                           "loss_log.txt")
    # 250 samples per epoch read from the epoch boundaries (200 + 100 - 50)
    assert any("samples per epoch: 250" in n for n in run.meta.notes)
    assert run.meta.step_unit == "iteration"
    d_a = points(run).query("tag == 'D_A'")
    assert d_a["step"].tolist()[:3] == [100, 200, 300]
    # the relaunch at epoch 4 (step 850) supersedes epoch 4's earlier point at 900
    sup = run.scalars[run.scalars["superseded"] & (run.scalars["tag"] == "D_A")]
    assert sup["step"].tolist() == [900]
    restarts = [w for w in run.meta.warnings if "relaunched" in w]
    assert len(restarts) == 1 and "epoch 4" in restarts[0] and "superseded" in restarts[0]
    assert not any(w.startswith("steps go back") for w in run.meta.warnings)


def _cyclegan_line(epoch: int, iters: int, values: dict[str, float]) -> str:
    """One line exactly as pytorch-CycleGAN-and-pix2pix util/visualizer.py prints it."""
    message = "(epoch: %d, iters: %d, time: %.3f, data: %.3f) " % (epoch, iters, 0.2, 0.004)
    for k, v in values.items():
        message += "%s: %.3f " % (k, v)
    return message + "\n"


def _header(title: str = "Training Loss") -> str:
    return "================ %s (Fri Nov 20 14:03:11 2026) ================\n" % title


def test_cyclegan_restart_from_epoch_1_keeps_the_attempts_apart_with_one_warning(tmp_path):
    vals = {"D_A": 0.25, "G_A": 0.3}
    text = ""
    for _attempt in range(3):  # three launches from scratch, each with two epochs
        text += _header() + _header()  # a doubled header, as real logs have
        for epoch in (1, 2):
            for it in (100, 200, 300):
                text += _cyclegan_line(epoch, it, vals)
    run = read1(write(tmp_path, "loss_log.txt", text))
    restarts = [w for w in run.meta.warnings if "relaunch" in w or "steps go back" in w]
    assert len(restarts) == 1 and "2 time(s)" in restarts[0] and "2 from epoch 1" in restarts[0]
    # only the last attempt is in the detector's view; the others are superseded rows
    assert run.series("D_A").index.tolist() == [100, 200, 300, 400, 500, 600]
    assert int(run.scalars["superseded"].sum()) == 2 * 2 * 6


def test_cyclegan_validation_sections_and_test_results(tmp_path):
    tr, va = {"D_A": 0.25, "G_A": 0.3}, {"D_A": 0.5, "G_A": 0.6}
    text = _header()
    for epoch in (1, 2):
        if epoch == 2:
            text += _header()
        for it in (100, 200, 300):
            text += _cyclegan_line(epoch, it - 10 * (epoch - 1), tr)
        text += _header("Validation Loss")
        text += _cyclegan_line(epoch, 94, va) + _cyclegan_line(epoch, 194, va)
        text += _header("Model Saved") + "max psnr: 17.9\n"
    text += _header("Test Result") + "ssim: nan\npsnr_ls: inf(nan)\n"
    run = read1(write(tmp_path, "loss_log.txt", text))
    summary = run.series_summary()
    assert summary["D_A"]["points"] == 6 and summary["val/D_A"]["points"] == 4
    assert set(run.series("D_A").to_numpy()) == {0.25}
    assert set(run.series("val/D_A").to_numpy()) == {0.5}
    assert not any(t.startswith(("ssim", "psnr")) for t in run.tags)
    assert not run.scalars["superseded"].any()
    assert not any("relaunch" in w for w in run.meta.warnings)
    assert any("'Test Result' x1" in n for n in run.meta.notes)


def test_keras_gan_and_dcgan_tensorflow_lines(tmp_path):
    keras = read1(write(tmp_path, "output.txt",
                        "Total params: 856,193\n"
                        "0 [D loss: 0.953149, acc.: 39.06%] [G loss: 0.906794]\n"
                        "1 [D loss: 0.326676, acc.: 92.19%] [G loss: 1.600514]\n"))
    assert keras.meta.format == "text_keras_gan"
    assert keras.tags == ["D loss", "acc.", "G loss"]
    assert points(keras)["step"].tolist() == [0, 0, 0, 1, 1, 1]
    tf = read1(write(tmp_path, "nohup.out",
                     "W tensorflow warning\n"
                     "[       1 Epoch:[ 0/25] [   0/20018] time: 9.3284, d_loss: 7.66344833, "
                     "g_loss: 0.00077718\n"
                     "module 'scipy.misc' has no attribute 'imsave'\n"
                     "Epoch: [ 1/25] [   2/20018] time: 14.3577, d_loss: 7.5, g_loss: 0.0015\n"))
    assert tf.meta.format == "text_dcgan_tf"
    assert tf.tags == ["d_loss", "g_loss"]
    assert points(tf)["step"].tolist() == [0, 0, 20020, 20020]


def test_out_suffix_is_claimed(tmp_path):
    p = write(tmp_path, "nohup.out", "15\n[Epoch 0/401] [Batch 0/1] [D loss: 8.05] [G loss: 0.2]\n")
    assert READER.guess_can_open(p)
    assert read1(p).meta.format == "text_pytorch_gan"


def test_cyclegan_stdout_is_split_on_carriage_returns():
    run = read1(FIXTURES / "text/pytorch_gan_cyclegan/cyclegan_stdout.log")
    assert any("carriage returns" in n for n in run.meta.notes)
    assert run.tags == ["D loss", "G loss", "adv", "cycle", "identity"]


# ----------------------------------------------------------------------------- variants
def test_pytorch_gan_began_extras(tmp_path):
    p = write(tmp_path, "began.log",
              "[Epoch 0/2] [Batch 0/3] [D loss: 0.500000] [G loss: 0.250000] -- M: 0.125000, "
              "k: 0.000100\n"
              "[Epoch 1/2] [Batch 2/3] [D loss: nan] [G loss: inf] -- M: 0.5, k: 0.0002\n")
    run = read1(p)
    assert run.meta.format == "text_pytorch_gan"
    got = points(run)
    assert got["tag"].tolist() == ["D loss", "G loss", "M", "k"] * 2
    assert got["step"].tolist() == [0] * 4 + [5] * 4
    v = got["value"].tolist()
    assert v[:4] == [0.5, 0.25, 0.125, 0.0001]
    assert math.isnan(v[4]) and v[5] == math.inf


def test_pytorch_gan_acgan_percent_and_repeated_names(tmp_path):
    p = write(tmp_path, "acgan.log",
              "[Epoch 0/200] [Batch 5/938] [D loss: 1.386, acc: 50%] [G loss: 0.693, acc: 7%]\n")
    got = points(read1(p))
    assert got["tag"].tolist() == ["D loss", "acc", "G loss", "acc_2"]
    assert got["value"].tolist() == [1.386, 50.0, 0.693, 7.0]


def test_dcgan_tab_and_space_and_crlf(tmp_path):
    text = ("[0/5][0/100]\tLoss_D: 1.3602\tLoss_G: 1.2941\tD(x): 0.5391\tD(G(z)): 0.4635 / 0.4172\r\n"
            "[0/5][1/100] Loss_D: 1.0 Loss_G: 2.0 D(x): 0.5 D(G(z)): 0.25 / 0.125\r\n")
    got = points(read1(write(tmp_path, "dcgan.txt", text)))
    assert got["step"].tolist() == [0] * 5 + [1] * 5
    assert got["tag"].tolist()[:5] == ["Loss_D", "Loss_G", "D(x)", "D(G(z))_1", "D(G(z))_2"]
    assert got["value"].tolist()[5:] == [1.0, 2.0, 0.5, 0.25, 0.125]


def test_unparseable_lines_between_records_are_counted(tmp_path):
    p = write(tmp_path, "train.log",
              "Namespace(lr=0.0002)\n"
              "[Epoch 0/1] [Batch 0/2] [D loss: 0.5] [G loss: 0.7]\n"
              "Saving checkpoint...\n"
              "100%|#####| 2/2 [00:01<00:00]\n"
              "[Epoch 0/1] [Batch 1/2] [D loss: 0.4] [G loss: 0.8]\n")
    run = read1(p)
    assert len(run) == 4
    assert "1 line(s) before the first record (arguments, seeds...) skipped" in run.meta.notes
    assert any(n.startswith("2 line(s) between records") for n in run.meta.notes)


def test_cyclegan_without_data_field_and_nan(tmp_path):
    p = write(tmp_path, "loss_log.txt",
              "================ Training Loss (Mon Jan  1 00:00:00 2024) ================\n"
              "(epoch: 1, iters: 100, time: 0.204) D_A: 0.291 G_A: nan \n"
              "(epoch: 1, iters: 200, time: 0.204, data: 0.1) D_A: 0.3 G_A: 0.6 \n")
    got = points(read1(p))
    assert got["step"].tolist() == [100, 100, 200, 200]  # iters within epoch 1
    assert math.isnan(got["value"].iloc[1])


def test_restart_in_pytorch_gan_log_goes_to_run_policy(tmp_path):
    lines = [f"[Epoch {e}/3] [Batch {b}/2] [D loss: 0.5] [G loss: 0.7]"
             for e, b in [(0, 0), (0, 1), (1, 0), (1, 1), (1, 0), (1, 1), (2, 0)]]
    run = read1(write(tmp_path, "resumed.log", "\n".join(lines) + "\n"))
    d = run.scalars[run.scalars["tag"] == "D loss"]
    assert d["superseded"].tolist() == [False, False, True, True, False, False, False]


# ----------------------------------------------------------------------------- claiming
@pytest.mark.parametrize("name,content,claimed", [
    ("requirements.txt", "numpy>=1.24\ntorch==2.1\n", False),
    ("train.log", "epoch 1 done\nloss went down\n", False),
    ("stdout", "[Epoch 0/1] [Batch 0/2] [D loss: 0.5] [G loss: 0.7]\n", True),
    ("out.TXT", "[0/5][0/100] Loss_D: 1.0 Loss_G: 2.0 D(x): 0.5 D(G(z)): 0.2 / 0.1\n", True),
    ("gan.py", "[Epoch 0/1] [Batch 0/2] [D loss: 0.5] [G loss: 0.7]\n", False),
    ("loss_log.txt", "(epoch: 1, iters: 100, time: 0.2, data: 0.0) D_A: 0.2 \n", True),
    ("binary.log", b"\x00\x01[Epoch 0/1] [Batch 0/2] [D loss: 0.5] [G loss: 0.7]\n", False),
])
def test_guess_can_open(tmp_path, name, content, claimed):
    assert READER.guess_can_open(write(tmp_path, name, content)) is claimed


def test_unclaimed_text_files_are_skipped_silently(tmp_path):
    write(tmp_path, "requirements.txt", "numpy\n")
    write(tmp_path, "README.txt", "hello\n")
    found = discover(tmp_path)
    assert found.sources == [] and found.problems == []


def test_read_errors(tmp_path):
    p = write(tmp_path, "x.log", "nothing to see\n")
    with pytest.raises(ReadError, match="no line of a known text log format"):
        READER.read(p, run_id=".")
    p = write(tmp_path, "y.log", b"[Epoch 0/1] \x00 garbage\n")
    with pytest.raises(CorruptLogError) as exc:
        READER.read(p, run_id=".")
    assert "\n" not in str(exc.value) and str(p) in str(exc.value)


# ----------------------------------------------------------------------------- truncation
def test_last_line_without_newline_is_dropped(tmp_path):
    p = write(tmp_path, "gan.log", "[Epoch 0/1] [Batch 0/2] [D loss: 0.5] [G loss: 0.7]\n"
                                   "[Epoch 0/1] [Batch 1/2] [D loss: 0.4] [G loss: 0.8]")
    with pytest.warns(TruncatedLogWarning, match="gan.log"):
        run = READER.read(p, run_id=".")[0]
    assert run.scalars["step"].tolist() == [0, 0]


def test_carriage_return_stream_keeps_a_whole_last_record(tmp_path):
    rec = ("\r[Epoch 0/1] [Batch {b}/3] [D loss: 0.5] [G loss: 7.5, adv: 0.8, cycle: 0.4, "
           "identity: 0.4] ETA: 0:00:12.400000")
    whole = "".join(rec.format(b=b) for b in range(3))
    run, caught = read_quietly(READER, write(tmp_path, "a.log", whole))
    assert run[0].scalars["step"].max() == 2 and caught == []
    cut = whole[:whole.rfind("cycle")]
    run, caught = read_quietly(READER, write(tmp_path, "b.log", cut))
    assert run[0].scalars["step"].max() == 1
    assert any("TruncatedLogWarning" in c for c in caught)


def _records(segments: list[bytes]) -> int:
    from ganlogs.readers.text import TEXT_FORMATS
    texts = [seg.decode("utf-8", errors="replace") for seg in segments]
    return sum(1 for t in texts
               if t.strip() and any(f.parse(t) is not None for f in TEXT_FORMATS))


@pytest.mark.parametrize("fixture_id", TEXT_IDS)
def test_cut_offsets(tmp_path, fixture_id):
    """Each cut yields a prefix of the full read holding exactly the complete records before
    the cut (plus, in a carriage-return stream, a whole last record); a cut inside a line
    warns; ReadError only when no complete record is left."""
    path, _ = fixture_path(fixture_id)
    data = path.read_bytes()
    full = points(read1(path))
    target = tmp_path / path.name
    for cut in cut_offsets(data, every_below=0, sample=40):
        part = data[:cut]
        last_sep = max(part.rfind(b"\n"), part.rfind(b"\r"))
        complete = _records(re.split(rb"\r\n|\r|\n", part[:last_sep + 1]))
        tail = part[last_sep + 1:]
        target.write_bytes(part)
        try:
            runs, caught = read_quietly(READER, target)
        except ReadError as exc:
            assert complete == 0 and "\n" not in str(exc), cut
            continue
        got = points(runs[0])
        assert is_prefix(got, full), cut
        n = got["step"].nunique()
        warned = any("TruncatedLogWarning" in c for c in caught)
        if part[last_sep:last_sep + 1] == b"\r" and tail.strip():  # \r stream: may keep tail
            assert n in (complete, complete + 1), cut
            assert warned == (n == complete), cut
        else:
            assert n == complete, cut
            assert warned == bool(tail.strip()), cut


def test_shape_cache_gives_the_full_parsers_result():
    """The per-shape template must reproduce the regular-expression parse on every line,
    including lines whose tokens do not fit the template."""
    from ganlogs.readers.text import TEXT_FORMATS, ShapeParser

    lines = [
        "[Epoch 0/5] [Batch 0/10] [D loss: 0.5] [G loss: 0.7]",
        "[Epoch 0/5] [Batch 1/10] [D loss: nan] [G loss: -inf]",
        "[Epoch 0/5] [Batch 2/10] [D loss: 1e-3] [G loss: -0.25]",
        "[Epoch 0.5/5] [Batch 2/10] [D loss: 1] [G loss: 2]",
        "[Epoch -1/5] [Batch 2/10] [D loss: 1] [G loss: 2]",
        "[Epoch 1/5] [Batch 3/10] [D loss: 0.5, acc: 50%] [G loss: 0.7, acc: 7%]",
        "[Epoch 1/5] [Batch 4/10] [D loss: 0.5, acc: 51%] [G loss: 0.7, acc: 8%]",
        "[Epoch 1/5] [Batch 3/10] [D loss: 0.5] [G2 loss: 0.7] -- M: 0.1, k: 0.2",
        "[Epoch 1/5] [Batch 3/10] [D loss: 0.5] [G3 loss: 0.7] -- M: 0.1, k: 0.2",
        "[0/5][1/100] Loss_D: 1.0 Loss_G: 2.0 D(x): 0.5 D(G(z)): 0.25 / 0.125",
        "[0/5][2/100] Loss_D: 1.5 Loss_G: 2.5 D(x): 0.75 D(G(z)): 0.5 / 0.0625",
        "[0/5][3/100] Loss_D: nan Loss_G: inf D(x): 0.75 D(G(z)): 0.5",
        "(epoch: 1, iters: 100, time: 0.204, data: 0.004) D_A: 0.291 G_A: 0.671 ",
        "(epoch: 2, iters: 150, time: 0.2, data: 0.0) D_A: 0.5 G_A: nan ",
        "(epoch: 2, iters: 150, time: 0.2, data: 0.0) D_A2: 0.5 G_A: nan ",
        "Namespace(lr=0.0002, n_epochs=5)",
    ]
    for fmt in TEXT_FORMATS:
        parse = ShapeParser(fmt)
        for _ in range(2):  # second pass: every shape is cached
            for line in lines:
                want, got = fmt.parse(line), parse(line)
                assert (want is None) == (got is None), (fmt.id, line)
                if want is not None:
                    assert (got.step, got.epoch, got.batch, got.n_batches) == (
                        want.step, want.epoch, want.batch, want.n_batches), line
                    assert [n for n, _ in got.points] == [n for n, _ in want.points], line
                    assert np.array_equal([v for _, v in got.points],
                                          [v for _, v in want.points], equal_nan=True), line


def test_logger_prefixes_are_allowed(tmp_path):
    p = write(tmp_path, "train.log",
              "2024-01-01 12:00:00,123 INFO [Epoch 0/5] [Batch 1/10] [D loss: 0.5] [G loss: 0.7]\n"
              "2024-01-01 12:00:01,456 INFO [Epoch 0/5] [Batch 2/10] [D loss: 0.4] [G loss: 0.8]\n"
              "[rank0]: [Epoch 0/5] [Batch 3/10] [D loss: 0.3] [G loss: 0.9]\n")
    got = points(read1(p))
    assert got["step"].tolist() == [1, 1, 2, 2, 3, 3]
    assert got["value"].tolist() == [0.5, 0.7, 0.4, 0.8, 0.3, 0.9]
    p = write(tmp_path, "dcgan.log",
              "INFO:root:[3/5][1/100] Loss_D: 1.0 Loss_G: 2.0 D(x): 0.5 D(G(z)): 0.25 / 0.125\n")
    assert points(read1(p))["step"].tolist() == [301] * 5


def test_invalid_utf8_is_read_leniently(tmp_path):
    p = write(tmp_path, "gan.log", b"caf\xe9 starting\n"
                                   b"[Epoch 0/1] [Batch 0/2] [D loss: 0.5] [G loss: 0.7]\n")
    run = read1(p)
    assert len(run) == 2 and any("U+FFFD" in n for n in run.meta.notes)


def test_hparams_from_namespace_line():
    run = read1(FIXTURES / "text/dcgan_examples/dcgan_main.log")
    assert run.meta.hparams["lr"] == 0.0002 and run.meta.hparams["dataset"] == "cifar10"
    assert run.meta.hparams["manualSeed"] is None and run.meta.hparams["cuda"] is False
    assert "hparams from the argparse Namespace(...) line" in run.meta.notes


def test_namespace_is_never_evaluated(tmp_path):
    p = write(tmp_path, "gan.log",
              "Namespace(cmd=__import__('os').system('false'), lr=0.1, fn=<function f>)\n"
              "[Epoch 0/1] [Batch 0/2] [D loss: 0.5] [G loss: 0.7]\n")
    run = read1(p)
    assert run.meta.hparams == {}  # not valid Python: nothing is read, nothing runs
    p = write(tmp_path, "gan2.log",
              "Namespace(cmd=__import__('os').getcwd(), lr=0.1)\n"
              "[Epoch 0/1] [Batch 0/2] [D loss: 0.5] [G loss: 0.7]\n")
    assert read1(p).meta.hparams == {"cmd": "__import__('os').getcwd()", "lr": 0.1}


def test_cyclegan_options_file(tmp_path):
    shutil.copy(FIXTURES / "text/cyclegan_loss_log/checkpoints/horse2zebra_cyclegan/"
                           "loss_log.txt", tmp_path / "loss_log.txt")
    (tmp_path / "train_opt.txt").write_text(
        "----------------- Options ---------------\n"
        "               batch_size: 1                             \n"
        "                    gan_mode: lsgan                         \t[default: vanilla]\n"
        "                       lr: 0.0002                        \n"
        "----------------- End -------------------\n")
    run = read1(tmp_path / "loss_log.txt")
    assert run.meta.hparams == {"batch_size": "1", "gan_mode": "lsgan", "lr": "0.0002"}


def test_step_beyond_int64_is_skipped_and_counted(tmp_path):
    huge = "99999999999999999999"
    p = write(tmp_path, "gan.log", "[Epoch 0/5] [Batch 0/10] [D loss: 0.5] [G loss: 0.7]\n"
                                   f"[Epoch {huge}/5] [Batch 1/10] [D loss: 0.5] [G loss: 0.7]\n")
    run = read1(p)
    assert run.scalars["step"].tolist() == [0, 0]
    assert any("beyond the int64 range" in w for w in run.meta.warnings)
