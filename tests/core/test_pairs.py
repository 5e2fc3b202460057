"""Runs with several adversarial pairs, written in the exact line format of their code bases:
CycleGAN (two GANs), a two-generator pix2pix variant and a pix2pixHD-style multi-scale D.
Every pair gets its own roles and findings, onsets are in training iterations, and no pair's
series is mixed into another's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ganlogs
from ganlogs.analysis import analyze_run, build_context, pair_contexts
from ganlogs.report.json import run_to_dict

DATASET, PRINT_FREQ, EPOCHS = 1000, 100, 40  # 10 lines per epoch, 400 lines


def _loss_log(path: Path, losses) -> Path:
    """Write ``loss_log.txt`` as pytorch-CycleGAN-and-pix2pix util/visualizer.py does:
    ``print_current_losses(epoch, epoch_iter, losses, t_comp, t_data)`` every ``print_freq``
    samples of the total count (batch size 1), one header per launch. ``losses(k)`` gives the
    ordered dict of line k (pix2pixHD's visualizer prints the same line without ``data``)."""
    rng = np.random.default_rng(3)
    lines = ["================ Training Loss (Sat Dec  5 08:00:00 2026) ================\n"]
    total, k = 0, 0
    for epoch in range(1, EPOCHS + 1):
        for epoch_iter in range(1, DATASET + 1):
            total += 1
            if total % PRINT_FREQ == 0:
                message = "(epoch: %d, iters: %d, time: %.3f, data: %.3f) " % (
                    epoch, epoch_iter, 0.2 + abs(rng.normal(0, 0.01)), 0.004)
                for name, v in losses(k, rng).items():
                    message += "%s: %.3f " % (name, v)
                lines.append(message + "\n")
                k += 1
    path.write_text("".join(lines))
    return path


N_LINES = EPOCHS * DATASET // PRINT_FREQ
TURN = N_LINES // 4  # the B side's discriminator takes over from a quarter of the run


def _healthy(rng, level: float) -> float:
    return max(level + rng.normal(0, 0.02), 0.001)


def _d_wins(k: int, rng) -> tuple[float, float]:
    """(D, G) of an LSGAN pair whose D takes over at line TURN: D -> ~0.01, G -> ~0.95."""
    if k < TURN:
        return _healthy(rng, 0.25), _healthy(rng, 0.27)
    f = min((k - TURN) / 40, 1.0)
    return max(0.25 - 0.24 * f + rng.normal(0, 0.004), 0.001), 0.27 + 0.68 * f + rng.normal(0, 0.02)


def _cyclegan(k, rng):
    d_b, g_b = _d_wins(k, rng)
    return {"D_A": _healthy(rng, 0.25), "G_A": _healthy(rng, 0.27),
            "cycle_A": 1.5 * np.exp(-k / 200) + 0.2, "idt_A": 0.7 * np.exp(-k / 200) + 0.1,
            "D_B": d_b, "G_B": g_b, "cycle_B": 1.2 * np.exp(-k / 200) + 0.2,
            "idt_B": 0.6 * np.exp(-k / 200) + 0.1}


def _analyse(path: Path):
    run = ganlogs.read(path)
    return run, analyze_run(run)


def _iteration(k: int) -> int:
    """The global iteration of line k (batch size 1: the sample count)."""
    return (k + 1) * PRINT_FREQ


def test_cyclegan_both_gans_have_their_own_roles_and_findings(tmp_path):
    run, res = _analyse(_loss_log(tmp_path / "loss_log.txt", _cyclegan))
    assert run.meta.step_unit == "iteration"
    assert run.series("D_B").index[0] == 100 and run.series("D_B").index[-1] == 40000
    assert {n: dict(p["roles"]) for n, p in
            run_to_dict(res)["pairs"].items()} == {
        "A": {"d_loss": "D_A", "g_loss": "G_A"}, "B": {"d_loss": "D_B", "g_loss": "G_B"}}
    by_pair = {p: [f for f in res.findings if f.pair == p] for p in ("A", "B")}
    assert all(by_pair.values())
    assert {f.detector for f in by_pair["A"]} == {f.detector for f in by_pair["B"]}
    # the B side's discriminator wins from a quarter of the run; the A side stays healthy
    failing_b = [f for f in by_pair["B"] if f.label in ("mode_collapse", "vanishing_gradients")
                 and f.confidence >= 0.5]
    assert failing_b and "G_B/D_B" in failing_b[0].summary
    assert not any(f.label in ("mode_collapse", "vanishing_gradients", "diverged")
                   and f.confidence >= 0.5 for f in by_pair["A"])
    assert set(res.labels) & {"mode_collapse", "vanishing_gradients"}
    assert "converged" not in res.labels
    # onsets in iterations: after the turn (line TURN = iteration 10,000), within the run
    onset = failing_b[0].onset_step
    assert onset is not None and _iteration(TURN) - 2000 <= onset <= 40000
    assert onset % PRINT_FREQ == 0


def test_no_pair_is_mixed_into_anothers_series(tmp_path):
    run = ganlogs.read(_loss_log(tmp_path / "loss_log.txt", _cyclegan))
    ctx = build_context(run)
    contexts = dict(pair_contexts(ctx))
    assert set(contexts) == {"A", "B"}
    for name, pctx in contexts.items():
        tags = {t for r, t in pctx.roles.tags.items()}
        assert tags == {f"D_{name}", f"G_{name}"}
        assert pctx.series("d_loss").equals(run.series(f"D_{name}"))
    # each pair judged under its own conventions, both LSGAN as the code base says
    assert {c.loss_family.family for c in contexts.values()} == {"lsgan"}
    assert {c.loss_family.equilibrium_d_loss for c in contexts.values()} == {0.25}


def _pix2pix_two(k, rng):
    d_2r, g_2 = _d_wins(k, rng)
    return {"G_GAN": _healthy(rng, 0.7), "G_L1": 30 * np.exp(-k / 150) + 5,
            "D_real": _healthy(rng, 0.6), "D_fake": _healthy(rng, 0.6),
            "G_2_GAN": g_2 * 3, "G_2_L1": 25 * np.exp(-k / 150) + 4,
            "D_2_real": d_2r, "D_2_fake": d_2r * 1.1}


def test_two_generator_pix2pix_pairs(tmp_path):
    run, res = _analyse(_loss_log(tmp_path / "loss_log.txt", _pix2pix_two))
    assert set(res.roles.pairs) == {"1", "2"}
    assert res.roles.pairs["2"].name == "G_2_GAN/D_2_real+D_2_fake"
    assert all(p.real_fake_kind == "loss" for p in res.roles.pairs.values())
    assert {f.pair for f in res.findings} == {"1", "2"}
    two = [f for f in res.findings if f.pair == "2" and f.confidence >= 0.5
           and f.label != "converged"]
    one = [f for f in res.findings if f.pair == "1" and f.confidence >= 0.5
           and f.label != "converged"]
    assert two and not one, [(f.pair, f.label, f.confidence) for f in res.findings]
    assert all(f.onset_step is None or f.onset_step % PRINT_FREQ == 0 for f in two)


def _pix2pixhd(k, rng):
    # pix2pixHD's print_current_errors line: (epoch: e, iters: i, time: t) without data; a
    # variant that logs each of its two discriminator scales (G_GAN sums both, as the code)
    d0, g0 = _d_wins(k, rng)
    d1, g1 = _d_wins(k, rng)
    return {"G_GAN": g0 + g1, "G_GAN_Feat": 8 * np.exp(-k / 150) + 2,
            "G_VGG": 6 * np.exp(-k / 150) + 1, "D_real_0": d0, "D_real_1": d1,
            "D_fake_0": d0 * 1.02, "D_fake_1": d1 * 0.98}


def test_pix2pixhd_multi_scale_d_is_one_summed_d(tmp_path):
    path = _loss_log(tmp_path / "loss_log.txt", _pix2pixhd)
    path.write_text(path.read_text().replace(", data: 0.004)", ")"))
    run, res = _analyse(path)
    assert not res.roles.pairs
    assert res.roles.tags["d_loss_real"] == "D_real_0+D_real_1"
    assert res.roles.tags["d_loss"] == "D_real_0+D_real_1+D_fake_0+D_fake_1"
    # LSGAN, both terms summed over the 2 scales: equilibria 2 x (0.5, 0.25)
    assert (res.loss_family.equilibrium_d_loss, res.loss_family.equilibrium_g_loss) == (1.0, 0.5)
    assert res.roles.terms == {"G_GAN_Feat": "feature_matching", "G_VGG": "perceptual"}
    ctx = build_context(run)
    summed = ctx.series("d_loss_real")
    assert np.allclose(summed.to_numpy(), (run.series("D_real_0") + run.series("D_real_1")).to_numpy())
    # only logged rows are in the run; the composite is computed when read
    assert "D_real_0+D_real_1" not in run.tags
    assert any(f.confidence >= 0.5 and f.label in ("mode_collapse", "vanishing_gradients")
               for f in res.findings)


def test_fail_on_matches_the_label_whatever_the_pair(tmp_path):
    from click.testing import CliRunner

    from ganlogs.cli import cli

    path = _loss_log(tmp_path / "loss_log.txt", _cyclegan)
    res = analyze_run(ganlogs.read(path))
    label = next(lab for lab in res.labels if lab in ("mode_collapse", "vanishing_gradients"))
    out = CliRunner().invoke(cli, ["check", str(path), "--fail-on", label])
    assert out.exit_code == 1, out.output
