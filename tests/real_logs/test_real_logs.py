"""Real logs from public repositories (../shared/real-logs, never committed): every file read
with the roles its code base means, counts per tag as truth.json gives them, and verdicts as
the folder's README judges them (docs/results/real_logs.md, from bench/real_logs.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import ganlogs
from ganlogs.analysis import analyze_run
from ganlogs.readers import discover, load

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "real-logs"
if not (REAL / "truth.json").is_file():
    pytest.skip(f"real logs absent ({REAL}): these tests need ../shared/real-logs",
                allow_module_level=True)
TRUTH = json.loads((REAL / "truth.json").read_text())

def _says_d_won(summary: str) -> bool:
    """The summary says the discriminator won (DECISIONS.md: D dominance)."""
    return "discriminator wins" in summary or "discriminator won" in summary


FAILURES = ("mode_collapse", "vanishing_gradients", "diverged", "oscillating")


def _counts(run) -> dict[str, int]:
    return {t: s["points"] for t, s in run.series_summary().items()}


def _analysed(rel: str):
    return analyze_run(ganlogs.read(REAL / rel))


# ------------------------------------------------------------------------------ counts
@pytest.mark.parametrize("name", sorted(TRUTH["loss_logs"]))
def test_loss_log_counts_match_truth(name):
    run = ganlogs.read(REAL / name / "loss_log.txt")
    got = _counts(run)
    sections = TRUTH["loss_log_sections"].get(name)
    for tag, n in TRUTH["loss_logs"][name].items():
        # validation lines are their own series, never doubled into the training steps
        assert got[tag] + got.get(f"val/{tag}", 0) == n, tag
        if sections:
            assert got[tag] == sections["Training Loss"]
            assert got[f"val/{tag}"] == sections["Validation Loss"]
    assert run.meta.step_unit == "iteration"


@pytest.mark.parametrize("name,file", [(n, f) for n, files in sorted(TRUTH["other_logs"].items())
                                       for f in files if not f.endswith(".jsonl")
                                       and "tfevents" not in f])
def test_console_log_counts_match_truth(name, file):
    run = ganlogs.read(REAL / name / file)
    assert _counts(run) == TRUTH["other_logs"][name][file]


@pytest.mark.parametrize("name", ["stylegan2ada_phyto", "stylegan2ada_sprites_resume"])
def test_stylegan_directory_is_one_run_with_every_file_joined(name):
    found = discover(REAL / name)
    assert len(found.sources) == 1 and found.sources[0].run_id == "."
    (run,) = load(found.sources[0])
    assert run.meta.format == "stylegan_run" and run.meta.step_unit == "kimg"
    files = TRUTH["other_logs"][name]
    got = _counts(run)
    for tag, n in files["stats.jsonl"].items():
        assert got[tag] == n, tag
    assert got["fid50k_full"] == files["metric-fid50k_full.jsonl"]["fid50k_full"]
    notes = " ".join(run.meta.notes)
    assert "log.txt" in notes
    events = [f for f in files if "tfevents" in f]
    for f in events:
        # the event file's copies are one series with stats.jsonl's, not a second run
        assert f in notes and "stats.jsonl's values kept" in notes
        assert "Metrics/fid50k_full" not in got
    fid = run.series("fid50k_full")
    assert fid.index.max() <= run.series("Loss/D/loss").index.max()  # joined by kimg


def test_stylegan_event_file_alone_counts_match_truth():
    from ganlogs.readers.tensorboard import TensorBoardReader

    name = "stylegan2ada_sprites_resume"
    (f,) = [f for f in TRUTH["other_logs"][name] if "tfevents" in f]
    run = TensorBoardReader().read(REAL / name, run_id=".")[0]
    assert _counts(run) == TRUTH["other_logs"][name][f]


def test_header_only_event_file_is_an_empty_run_or_a_one_line_error():
    from click.testing import CliRunner

    from ganlogs.cli import cli

    out = CliRunner().invoke(cli, ["analyze", str(REAL / TRUTH["empty_event_files"][0])])
    assert out.exit_code in (0, 1), out.output
    assert "Traceback" not in out.output
    assert out.exception is None or isinstance(out.exception, SystemExit)
    lines = [ln for ln in out.output.splitlines() if "44k" in ln]
    assert len(lines) == 1  # the run, listed on one line


# ------------------------------------------------------------------------------ roles
def test_roles_are_what_each_code_base_means():
    cyc = _analysed("cyclegan_maps_mikelmh/loss_log.txt").roles
    assert {n: dict(p.tags) for n, p in cyc.pairs.items()} == {
        "A": {"d_loss": "D_A", "g_loss": "G_A"}, "B": {"d_loss": "D_B", "g_loss": "G_B"}}
    assert cyc.code_base.name == "pytorch_cyclegan" and cyc.code_base.loss_family == "lsgan"
    assert set(cyc.pairs["A"].terms) == {"cycle_A", "idt_A"}
    keras = _analysed("kerasgan_dcgan_mnist/output.txt").roles
    assert (keras.tags["d_loss"], keras.tags["g_loss"]) == ("D loss", "G loss")
    tf = _analysed("dcgan_tf_imagenet_nohup/nohup.out")
    assert (tf.roles.tags["d_loss"], tf.roles.tags["g_loss"]) == ("d_loss", "g_loss")
    assert (tf.loss_family.family, tf.loss_family.d_loss_reduction) == ("bce_nonsaturating",
                                                                        "summed")
    wgan = _analysed("pytorchgan_wgan_gp/nohup.out")
    assert wgan.loss_family.family == "wgan_gp"
    sg = _analysed("stylegan2ada_sprites_resume").roles
    assert sg.tags["d_sign_real"] == "Loss/signs/real"
    assert sg.tags["augment_p"] == "Progress/augment" and sg.tags["fid"] == "fid50k_full"


# ------------------------------------------------------------------------------ verdicts
def _failing(res, pair=None):
    return [f for f in res.findings if f.label in FAILURES and f.confidence >= 0.5
            and (pair is None or f.pair == pair)]


def test_cyclegan_maps_is_stable_on_both_sides():
    res = _analysed("cyclegan_maps_mikelmh/loss_log.txt")
    assert not _failing(res)


def test_cyclegan_vit_discriminators_win_and_restarts_are_kept_apart():
    run = ganlogs.read(REAL / "cyclegan_h2z_vit_restarts/loss_log.txt")
    res = analyze_run(run)
    assert "converged" not in res.labels
    for pair in ("A", "B"):
        won = [f for f in _failing(res, pair) if f.label in ("mode_collapse",
                                                             "vanishing_gradients")]
        assert won and _says_d_won(won[0].summary), pair
    restarts = [w for w in run.meta.warnings if "relaunched" in w or "steps go back" in w]
    assert len(restarts) == 1 and "3 from epoch 1" in restarts[0]
    assert run.scalars["superseded"].sum() > 0


def test_cyclegan_stroke_b_side_discriminator_takes_over():
    res = _analysed("cyclegan_stroke_val/loss_log.txt")
    won = _failing(res, "B")
    assert won and _says_d_won(won[0].summary)
    assert not _failing(res, "A")
    assert "diverged" not in res.labels and "converged" not in res.labels


def test_stylegan_phyto_is_healthy_and_not_overfitting():
    res = _analysed("stylegan2ada_phyto")
    assert not _failing(res) and "d_overfitting" not in res.labels
    assert not [f for f in res.findings if f.label == "d_overfitting"]


def test_stylegan_sprites_early_overfitting_that_ada_corrects():
    res = _analysed("stylegan2ada_sprites_resume")
    (f,) = [f for f in res.findings if f.label == "d_overfitting"]
    assert f.confidence >= 0.5 and "d_overfitting" in res.labels
    # the first ~7-19 ticks (4 kimg each): onset at the start, span ending by kimg 76
    assert f.onset_step <= 8 and 24 <= f.span[1] <= 76
    assert f.evidence["corrected"] is True
    assert "diverged" not in res.labels  # the nonsense FID values say nothing about training


def test_keras_gan_dcgan_is_healthy():
    assert not _failing(_analysed("kerasgan_dcgan_mnist/output.txt"))


def test_dcgan_tensorflow_generator_overpowers_d_not_converged():
    assert "converged" not in _analysed("dcgan_tf_imagenet_nohup/nohup.out").labels


def test_dcgan_tensorflow_is_not_read_as_d_dominance():
    res = _analysed("dcgan_tf_imagenet_nohup/nohup.out")
    assert not [f for f in _failing(res) if _says_d_won(f.summary)]


def test_wgan_gp_critic_dominating_is_not_converged():
    assert "converged" not in _analysed("pytorchgan_wgan_gp/nohup.out").labels


# ------------------------------------------------------------------------------ sweeps
def test_a_lone_stylegan_console_log_is_listed_with_no_gan_losses(tmp_path):
    from click.testing import CliRunner

    from ganlogs.cli import cli

    shutil.copy(REAL / "stylegan2ada_phyto" / "log.txt", tmp_path / "log.txt")
    out = CliRunner().invoke(cli, ["analyze", str(tmp_path), "--format", "json"])
    doc = json.loads(out.output)
    (run,) = doc["runs"]
    assert run["format"] == "stylegan_log" and run["labels"] == []
    (short,) = [f for f in run["findings"] if f["label"] == "insufficient_data"]
    assert "no GAN losses found" in short["summary"]
