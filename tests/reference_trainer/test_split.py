"""The held-out split of docs/results/heldout_protocol.md."""

import pytest

from reference_trainer.split import TUNING_FAMILIES, is_held_out, split_of


def _gt(family, target="ring8", g_hidden=(64, 64)):
    return {"family": family, "config": {"target": target, "g_hidden": list(g_hidden)}}


def test_tuning_families_are_tuning_and_everything_else_is_held_out():
    assert split_of(_gt("ring8_bce_ns_adam")) == ("tuning", "tuning family ring8_bce_ns_adam")
    assert is_held_out(_gt("ring8_lsgan_adam"))
    assert is_held_out(_gt("ring12_hinge_adam", target="ring12"))
    assert "digits_bce_mm_sgd" in TUNING_FAMILIES and "digits_bce_mm_adam" not in TUNING_FAMILIES


def test_held_out_targets_and_net_shape_win_over_a_tuning_family():
    assert split_of(_gt("ring8_bce_ns_adam", g_hidden=(32, 32, 32)))[0] == "held_out"
    assert "3 hidden layers" in split_of(_gt("ring8_bce_ns_adam", g_hidden=(32, 32, 32)))[1]
    for target in ("swissroll", "gmm"):
        s, why = split_of(_gt(f"{target}_bce_ns_adam", target=target))
        assert s == "held_out" and target in why


#: each held-out protocol from v5 on: its new target and generator activation, and the one
#: before it (whose target must still name that older protocol)
HELD_OUT_SETTINGS = [("v5", "rose", "tanh"), ("v6", "star10", "lrelu"), ("v7", "lissajous", "silu"),
                     ("v8", "heart", "elu"), ("v9", "astroid", "gelu"), ("v10", "deltoid", "softplus")]


@pytest.mark.parametrize("i", range(len(HELD_OUT_SETTINGS)))
def test_each_protocols_target_and_generator_are_held_out(i):
    version, target, g_act = HELD_OUT_SETTINGS[i]
    s, why = split_of({"family": f"{target}_bce_ns_adam", "config": {"target": target}})
    assert s == "held_out" and target in why
    s, why = split_of({"family": "ring8_bce_ns_adam", "config": {"target": "ring8", "g_act": g_act}})
    assert s == "held_out" and g_act in why
    assert why.startswith(version)
    if i:  # the previous protocol's target still names that protocol
        previous, previous_target, _ = HELD_OUT_SETTINGS[i - 1]
        assert split_of({"family": f"{previous_target}_bce_ns_adam",
                         "config": {"target": previous_target}})[1].startswith(previous)


def test_a_relu_generator_on_a_known_target_is_a_tuning_run():
    assert split_of({"family": "ring8_bce_ns_adam", "config": {"target": "ring8", "g_act": "relu"}})[0] == "tuning"
