"""The v2 sweep: varied, deterministic specs; new targets, per-run options and truths."""

from collections import Counter

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from reference_trainer.labels import label_run  # noqa: E402
from reference_trainer.measures import quality  # noqa: E402
from reference_trainer.scenarios import _DEFAULTS  # noqa: E402
from reference_trainer.split import split_of  # noqa: E402
from reference_trainer.targets import get_target, target_of  # noqa: E402
from reference_trainer.train import group_key, lr_factor, train_group  # noqa: E402
from reference_trainer.variety import build_v2_specs  # noqa: E402
from reference_trainer.writers import write_run  # noqa: E402


@pytest.fixture(scope="module")
def specs():
    return build_v2_specs()


def test_specs_are_deterministic_and_cells_are_batchable(specs):
    assert specs == build_v2_specs()
    assert len({s["run_id"] for s in specs}) == len(specs) >= 300
    cells = Counter(s["run_id"].rsplit("_", 1)[0] for s in specs)
    by_cell = {}
    for s in specs:
        by_cell.setdefault(s["run_id"].rsplit("_", 1)[0], set()).add(group_key(s["config"]))
    assert all(len(keys) == 1 for keys in by_cell.values())
    assert len(cells) >= 50


def test_specs_vary_what_users_vary(specs):
    cfg = [s["config"] for s in specs]
    log = [s["log"] for s in specs]
    assert {"tensorboard", "csv", "text"} <= {l["format"] for l in log}
    assert {"const", "step", "cosine"} <= {c.get("lr_schedule") for c in cfg}
    assert any(c.get("momentum_g") for c in cfg) and any(c.get("g_frozen_from") is not None for c in cfg)
    assert any(c.get("label_smooth") for c in cfg) and any(c.get("fm_weight") for c in cfg)
    assert {0.5, 2.0, 10.0} <= {c.get("w_g") for c in cfg}
    assert len({tuple(c.get("betas") or ()) for c in cfg}) >= 4
    assert {0.0, 0.9, 0.98} <= {l["ema"] for l in log} and {"step", "epoch"} <= {l["unit"] for l in log}
    assert {1, 2, 5, 10, 25} & {l["every"] for l in log} and max(l["every"] for l in log) >= 10
    assert any(l["lr"] for l in log) and any(l["sign"] for l in log)
    assert {"summed", "mean"} <= {c["d_loss_reduction"] for c in cfg}
    targets = {c["target"] for c in cfg}
    assert {"ring6", "ring12", "grid9", "moons", "swissroll", "gmm", "digits", "digitsfew", "dirac"} <= targets
    assert {len(c["g_hidden"]) for c in cfg if c["target"] != "dirac"} >= {1, 2, 3}
    assert any(c["steps"] <= 1000 for c in cfg)  # undertrained on purpose
    splits = Counter(split_of({"config": c, "family": s["family"]})[0] for c, s in zip(cfg, specs))
    assert splits["tuning"] >= 100 and splits["held_out"] >= 100


@pytest.mark.parametrize("name,kw", [("ring12", {}), ("grid9", {}), ("moons", {}), ("swissroll", {}),
                                     ("gmm", dict(dim=12, n_modes=6, seed=5)), ("rose", {}),
                                     ("star10", {}), ("lissajous", {}), ("heart", {}),
                                     ("astroid", {}), ("deltoid", {})])
def test_new_targets_real_data_is_covered_and_one_mode_is_not(name, kw):
    tgt = get_target(name, **kw)
    x = tgt.sample(2000, torch.Generator().manual_seed(0))[None]
    q = quality(x, tgt)
    assert q.coverage[0] == 1.0 and q.hq_fraction[0] > 0.95
    one = x[:, :1].expand(1, 2000, tgt.dim)
    assert quality(one, tgt).modes_covered[0] == 1


def test_digitsfew_keeps_held_out_reals_apart():
    tgt = target_of({"target": "digitsfew", "n_real": 64})
    assert len(tgt.train_idx) == 64 and len(tgt.heldout_idx) == 500
    assert not set(tgt.train_idx.tolist()) & set(tgt.heldout_idx.tolist())


def test_per_run_options_train_and_are_recorded():
    base = dict(_DEFAULTS, steps=40, probe_every=5, eval_every=10, eval_n=200, probe_n=8, d_loss_reduction="summed",
                g_hidden=[16], d_hidden=[16], lr_g=1e-3, lr_d=1e-3)
    base.pop("betas")
    cfgs = [dict(base, seed=1, lr_schedule="step", lr_steps_at=[0.5], lr_gamma=0.1, betas=[0.0, 0.9]),
            dict(base, seed=2, lr_schedule="cosine", label_smooth=0.1, w_g=10.0, fm_weight=1.0),
            dict(base, seed=3, g_frozen_from=0.0, w_d=2.0)]
    traces = train_group(cfgs)
    lr = traces[0].series["lr_g"]
    assert lr[0] == pytest.approx(1e-3) and lr[-1] == pytest.approx(1e-4)
    np.testing.assert_allclose(traces[1].series["lr_d"], 1e-3 * lr_factor(cfgs[1], 40), rtol=1e-5)
    assert np.all(traces[2].series["lr_g"] == 0) and np.all(traces[2].series["lr_d"] > 0)
    assert np.all(np.abs(traces[0].series["d_sign_real"]) <= 1)


def test_small_data_truth_is_d_accuracy_on_held_out_reals():
    cfg = dict(_DEFAULTS, target="digitsfew", n_real=64, steps=30, probe_every=5, eval_every=10, eval_n=100,
               probe_n=8, z_dim=8, g_hidden=[16], d_hidden=[32], d_loss_reduction="mean", seed=4)
    t = train_group([cfg])[0]
    assert len(t.d_acc_heldout_real) == len(t.eval_steps) == len(t.d_acc_train_real)
    n = len(t.eval_steps)
    t.d_acc_train_real = np.ones(n)
    t.d_acc_heldout_real = np.full(n, 0.2)
    v = label_run(t)
    assert "d_overfitting" in v.labels and v.measures["d_overfit_gap_end"] == pytest.approx(0.8)
    t.d_acc_heldout_real = np.full(n, 0.9)
    assert "d_overfitting" not in label_run(t).labels


def test_text_writer_writes_pix2pix_lines_and_ema_smooths_losses_only(tmp_path):
    n = 40
    series = {k: np.arange(n, dtype=np.float32) for k in ("d_loss", "g_loss", "d_loss_real", "d_loss_fake",
                                                          "lr_g", "lr_d")}
    log = {"format": "text", "scheme": "pix2pix", "roles": "parts_only", "unit": "step", "every": 2, "ema": 0.9,
           "lr": True, "sign": False, "epoch_len": 10}
    rec = write_run(tmp_path, series, log, "bce_nonsaturating")
    lines = (tmp_path / "loss_log.txt").read_text().splitlines()
    assert lines[0].startswith("=") and len(lines) == 1 + rec["points"] == 21
    assert lines[1].startswith("(epoch: 1, iters: 2, time: ")
    assert "D_real: " in lines[1] and "G_GAN: " in lines[1] and "lr_G: " in lines[1]
    last = lines[-1]
    assert "lr_G: 39.000" in last  # learning rates are not smoothed
    assert "G_GAN: 39.000" not in last  # losses are


@pytest.mark.parametrize("size,target,g_act", [("v5", "rose", "tanh"), ("v6", "star10", "lrelu"),
                                                   ("v7", "lissajous", "silu"), ("v8", "heart", "elu"),
                                                   ("v9", "astroid", "gelu"), ("v10", "deltoid", "softplus")])
def test_held_out_specs_hold_out_their_target_and_generator_and_train(size, target, g_act):
    import reference_trainer.variety as variety

    specs = getattr(variety, f"build_{size}_specs")()
    assert specs == getattr(variety, f"build_{size}_specs")() and len(specs) >= 120
    reasons = Counter(split_of({"config": s["config"], "family": s["family"]})[1] for s in specs)
    assert set(reasons) == {f"{size} held-out target {target}", f"{size} held-out generator activation {g_act}"}
    cfg = dict(_DEFAULTS, steps=20, probe_every=5, eval_every=10, eval_n=100, probe_n=8, d_loss_reduction="mean",
               g_hidden=[16], d_hidden=[16], lr_g=1e-3, lr_d=1e-3, target=target, seed=7)
    relu, other = train_group([cfg])[0], train_group([dict(cfg, g_act=g_act)])[0]
    assert np.isfinite(other.series["g_loss"]).all()
    assert not np.allclose(relu.series["g_loss"], other.series["g_loss"])
