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
    assert roles.tags == {"d_loss_real": "D_real", "d_loss_fake": "D_fake", "g_loss": "G_GAN"}
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
