"""Tag -> role inference on the names people actually use."""

import numpy as np
import pytest

from ganlogs.errors import RoleError, UsageError
from ganlogs.roles import infer_roles, normalize_tag, parse_role_overrides


@pytest.mark.parametrize("tag,role", [
    ("Loss/D", "d_loss"), ("d_loss", "d_loss"), ("loss_D", "d_loss"), ("errD", "d_loss"),
    ("discriminator/loss", "d_loss"), ("critic_loss", "d_loss"), ("Loss_D", "d_loss"),
    ("D loss", "d_loss"), ("Loss/D/loss", "d_loss"), ("loss_D/loss", "d_loss"),
    ("train/d_loss", "d_loss"), ("train/loss/D/train/loss", "d_loss"),
    ("loss_G/loss", "g_loss"), ("train_loss_G/train/loss", "g_loss"), ("d_loss_step", "d_loss"), ("D_A", "d_loss"),
    ("Loss/G", "g_loss"), ("g_loss", "g_loss"), ("errG", "g_loss"), ("G_GAN", "g_loss"),
    ("generator/loss", "g_loss"), ("G loss", "g_loss"), ("Loss_G", "g_loss"),
    ("D(x)", "d_x"), ("D(G(z))", "d_gz"), ("d_x", "d_x"),
    ("loss_D_real", "d_loss_real"), ("errD_fake", "d_loss_fake"),
    ("grad_norm/G", "g_grad_norm"), ("grad_norm/D", "d_grad_norm"),
    ("lr_D", "lr_d"), ("Metrics/fid50k_full", "fid"),
])
def test_common_names(tag, role):
    assert infer_roles([tag]).tags == {role: tag}


@pytest.mark.parametrize("tag", ["accuracy", "epoch", "G_L1", "cycle_A", "lr", "d_loss__MIN",
                                 "time", "hp_metric"])
def test_unrelated_names_get_no_role(tag):
    assert infer_roles([tag]).tags == {}


def test_normalisation_is_case_and_separator_insensitive():
    assert normalize_tag("Loss/D") == normalize_tag("loss_d") == normalize_tag("LOSS-D") == "loss_d"


def test_step_variant_preferred_to_epoch_variant():
    roles = infer_roles(["d_loss_epoch", "d_loss_step", "g_loss_epoch"])
    assert roles.tags["d_loss"] == "d_loss_step"
    assert roles.tags["g_loss"] == "g_loss_epoch"


def test_longer_series_wins_a_tie():
    roles = infer_roles(["loss_D", "Loss/D"], points={"loss_D": 10, "Loss/D": 500})
    assert roles.tags["d_loss"] == "Loss/D"
    assert any("chose" in n for n in roles.notes)


def test_override_wins_and_frees_the_tag():
    roles = infer_roles(["Loss/D", "weird"], overrides={"d_loss": "weird", "g_loss": "Loss/D"})
    assert roles.tags == {"d_loss": "weird", "g_loss": "Loss/D"}


def test_override_errors_name_the_problem():
    with pytest.raises(RoleError, match="no tag 'missing'"):
        infer_roles(["a"], overrides={"d_loss": "missing"})
    with pytest.raises(UsageError, match="unknown role"):
        parse_role_overrides(["dloss=a"])
    with pytest.raises(UsageError, match="ROLE=TAG"):
        parse_role_overrides(["d_loss"])
    assert parse_role_overrides(["d_loss=a=b"]) == {"d_loss": "a=b"}


def test_has_losses():
    assert infer_roles(["errD", "errG"]).has_losses
    assert not infer_roles(["errD", "accuracy"]).has_losses


def test_bare_real_fake_as_loss_parts_when_values_look_like_losses():
    rng = np.random.default_rng(0)
    values = {"D_real": 0.3 + 0.05 * rng.standard_normal(50),
              "D_fake": 0.3 + 0.05 * rng.standard_normal(50)}
    roles = infer_roles(["G_GAN", "D_real", "D_fake"], values=values)
    # no total D loss logged: d_loss is derived as the sum of the two terms
    assert roles.tags == {"d_loss_real": "D_real", "d_loss_fake": "D_fake", "g_loss": "G_GAN",
                          "d_loss": "D_real+D_fake"}
    assert roles.real_fake_kind == "loss"


def test_bare_real_fake_as_probabilities_when_values_look_like_outputs():
    values = {"D_real": np.full(50, 0.8), "D_fake": np.full(50, 0.2)}
    roles = infer_roles(["d_loss", "g_loss", "D_real", "D_fake"], values=values)
    assert roles.tags["d_x"] == "D_real" and roles.tags["d_gz"] == "D_fake"
    assert roles.real_fake_kind == "probability"


def test_real_fake_values_are_fetched_only_for_the_tags_that_need_them():
    asked = []

    def values(tag):
        asked.append(tag)
        return np.full(50, 0.8 if tag == "D real" else 0.2)

    roles = infer_roles(["d_loss", "g_loss", "D real", "D fake", "accuracy"], values=values)
    assert sorted(asked) == ["D fake", "D real"]
    assert roles.tags["d_x"] == "D real" and roles.tags["d_gz"] == "D fake"


def test_analysis_reads_spaced_real_fake_tags_as_probabilities():
    """Role inference fetches the values itself, so any spelling that normalises to
    d_real/d_fake is judged on its values (a separate pre-filter once missed 'D real')."""
    import pandas as pd

    from ganlogs import Run, analyze_run

    n = 60
    frame = pd.DataFrame({
        "tag": ["d_loss"] * n + ["g_loss"] * n + ["D real"] * n + ["D fake"] * n,
        "step": list(range(n)) * 4,
        "value": [1.38] * n + [0.69] * n + [0.8] * n + [0.2] * n,
    })
    run = Run.from_frame(frame, run_id="r", path="r.csv", format="csv_long")
    result = analyze_run(run, detectors=[])
    assert result.roles.tags["d_x"] == "D real" and result.roles.tags["d_gz"] == "D fake"


# ----------------------------------------------------------------------------- pairs
CYCLEGAN = ["D_A", "G_A", "cycle_A", "idt_A", "D_B", "G_B", "cycle_B", "idt_B"]
PIX2PIX_TWO = ["G_GAN", "G_L1", "D_real", "D_fake", "G_2_GAN", "G_2_L1", "D_2_real", "D_2_fake"]


def test_cyclegan_has_two_pairs_each_with_its_own_tags():
    roles = infer_roles(CYCLEGAN, format="text_cyclegan")
    assert {n: dict(p.tags) for n, p in roles.pairs.items()} == {
        "A": {"d_loss": "D_A", "g_loss": "G_A"}, "B": {"d_loss": "D_B", "g_loss": "G_B"}}
    assert [p.name for p in roles.pairs.values()] == ["G_A/D_A", "G_B/D_B"]
    assert roles.pairs["A"].terms == {"cycle_A": "reconstruction", "idt_A": "identity"}
    assert roles.has_losses and roles.tags == {}
    assert roles.code_base.name == "pytorch_cyclegan"
    assert (roles.code_base.loss_family, roles.code_base.d_loss_reduction) == ("lsgan", "mean")
    # no tag is in two pairs
    used = [t for p in roles.pairs.values() for t in p.tags.values()]
    assert len(used) == len(set(used))


def test_two_generator_pix2pix_pairs_and_loss_terms_never_probabilities():
    # values in [0, 1] with real above fake would look like probabilities without the format
    vals = {"D_real": np.full(20, 0.9), "D_fake": np.full(20, 0.1),
            "D_2_real": np.full(20, 0.9), "D_2_fake": np.full(20, 0.1)}
    roles = infer_roles(PIX2PIX_TWO, format="text_cyclegan", values=vals)
    assert set(roles.pairs) == {"1", "2"}
    assert dict(roles.pairs["2"].tags) == {"d_loss_real": "D_2_real", "d_loss_fake": "D_2_fake",
                                           "g_loss": "G_2_GAN", "d_loss": "D_2_real+D_2_fake"}
    assert roles.pairs["2"].sums == {"D_2_real+D_2_fake": ("D_2_real", "D_2_fake")}
    assert all(p.real_fake_kind == "loss" for p in roles.pairs.values())
    assert roles.pairs["2"].terms == {"G_2_L1": "reconstruction"}
    assert roles.code_base.name == "pix2pix"
    # the same tags read with no format: the values decide (probabilities here)
    plain = infer_roles(["G_GAN", "D_real", "D_fake"], values=vals)
    assert plain.real_fake_kind == "probability"


def test_pix2pixhd_multi_scale_discriminators_are_summed_into_one_d():
    tags = ["G_GAN", "G_GAN_Feat", "G_VGG", "D_real_0", "D_real_1", "D_fake_0", "D_fake_1"]
    roles = infer_roles(tags, format="text_cyclegan")
    assert not roles.pairs
    assert roles.tags["d_loss_real"] == "D_real_0+D_real_1"
    assert roles.sums == {"D_real_0+D_real_1": ("D_real_0", "D_real_1"),
                          "D_fake_0+D_fake_1": ("D_fake_0", "D_fake_1"),
                          "D_real_0+D_real_1+D_fake_0+D_fake_1": ("D_real_0+D_real_1",
                                                                  "D_fake_0+D_fake_1")}
    assert roles.code_base.scales == 2
    assert roles.terms == {"G_GAN_Feat": "feature_matching", "G_VGG": "perceptual"}
    assert roles.code_base.name == "pix2pixhd" and roles.code_base.loss_family == "lsgan"


def test_pairs_that_cannot_be_told_apart_are_said_in_the_notes():
    roles = infer_roles(["D_A", "G_A", "D_B"])
    assert not roles.pairs and roles.tags == {"d_loss": "D_A", "g_loss": "G_A"}
    assert any("cannot be told apart" in n and "D_B" in n for n in roles.notes)


def test_gan_mode_from_the_options_file_wins():
    roles = infer_roles(CYCLEGAN, format="text_cyclegan", hparams={"gan_mode": "vanilla"})
    assert roles.code_base.loss_family == "bce_nonsaturating"


def test_stylegan_roles():
    tags = ["Loss/D/loss", "Loss/G/loss", "Loss/signs/real", "Loss/signs/fake",
            "Loss/scores/real", "Progress/augment", "Loss/r1_penalty", "Loss/pl_penalty",
            "Loss/D/reg", "Loss/G/reg", "fid50k_full", "kid50k_full",
            "pr50k3_full_precision", "pr50k3_full_recall", "Timing/total_sec"]
    roles = infer_roles(tags, format="stylegan_run")
    assert roles.tags == {
        "d_loss": "Loss/D/loss", "g_loss": "Loss/G/loss", "fid": "fid50k_full",
        "kid": "kid50k_full", "precision": "pr50k3_full_precision",
        "recall": "pr50k3_full_recall", "d_sign_real": "Loss/signs/real",
        "d_sign_fake": "Loss/signs/fake", "d_score_real": "Loss/scores/real",
        "augment_p": "Progress/augment", "r1_penalty": "Loss/r1_penalty",
        "pl_penalty": "Loss/pl_penalty", "d_reg": "Loss/D/reg", "g_reg": "Loss/G/reg"}
    assert roles.code_base.d_loss_reduction == "summed"


def test_held_out_d_roles_and_validation_tags_join_their_pair():
    roles = infer_roles(["d_loss", "g_loss", "val_d_loss", "D(x)", "D(x)_val", "val_g_loss"])
    assert roles.tags["d_loss_val"] == "val_d_loss" and roles.tags["d_x_val"] == "D(x)_val"
    assert "val_g_loss" not in roles.tags.values()
    cyc = infer_roles(CYCLEGAN + ["val/D_A", "val/G_A", "val/D_B", "val/G_B"],
                      format="text_cyclegan")
    assert cyc.pairs["A"].tags["d_loss_val"] == "val/D_A"
    assert cyc.pairs["B"].tags["d_loss_val"] == "val/D_B"
    assert cyc.pairs["A"].tags["d_loss"] == "D_A"
