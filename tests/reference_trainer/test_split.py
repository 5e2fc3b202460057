"""The held-out split of docs/results/heldout_protocol.md."""

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


def test_v5_rose_target_and_tanh_generator_are_held_out():
    s, why = split_of({"family": "rose_bce_ns_adam", "config": {"target": "rose"}})
    assert s == "held_out" and "rose" in why
    s, why = split_of({"family": "ring8_bce_ns_adam", "config": {"target": "ring8", "g_act": "tanh"}})
    assert s == "held_out" and "tanh" in why
    assert split_of({"family": "ring8_bce_ns_adam", "config": {"target": "ring8", "g_act": "relu"}})[0] == "tuning"


def test_v6_star10_target_and_leaky_relu_generator_are_held_out():
    s, why = split_of({"family": "star10_bce_ns_adam", "config": {"target": "star10"}})
    assert s == "held_out" and "star10" in why
    s, why = split_of({"family": "ring8_bce_ns_adam", "config": {"target": "ring8", "g_act": "lrelu"}})
    assert s == "held_out" and "lrelu" in why


def test_v7_lissajous_target_and_silu_generator_are_held_out():
    s, why = split_of({"family": "lissajous_bce_ns_adam", "config": {"target": "lissajous"}})
    assert s == "held_out" and "lissajous" in why
    s, why = split_of({"family": "ring8_bce_ns_adam", "config": {"target": "ring8", "g_act": "silu"}})
    assert s == "held_out" and "silu" in why
    assert split_of({"family": "star10_bce_ns_adam", "config": {"target": "star10"}})[1].startswith("v6")


def test_v8_heart_target_and_elu_generator_are_held_out():
    s, why = split_of({"family": "heart_bce_ns_adam", "config": {"target": "heart"}})
    assert s == "held_out" and "heart" in why
    s, why = split_of({"family": "ring8_bce_ns_adam", "config": {"target": "ring8", "g_act": "elu"}})
    assert s == "held_out" and "elu" in why
    assert split_of({"family": "lissajous_bce_ns_adam", "config": {"target": "lissajous"}})[1].startswith("v7")


def test_v9_astroid_target_and_gelu_generator_are_held_out():
    s, why = split_of({"family": "astroid_bce_ns_adam", "config": {"target": "astroid"}})
    assert s == "held_out" and "astroid" in why
    s, why = split_of({"family": "ring8_bce_ns_adam", "config": {"target": "ring8", "g_act": "gelu"}})
    assert s == "held_out" and "gelu" in why
    assert split_of({"family": "heart_bce_ns_adam", "config": {"target": "heart"}})[1].startswith("v8")


def test_v10_deltoid_target_and_softplus_generator_are_held_out():
    s, why = split_of({"family": "deltoid_bce_ns_adam", "config": {"target": "deltoid"}})
    assert s == "held_out" and "deltoid" in why
    s, why = split_of({"family": "ring8_bce_ns_adam", "config": {"target": "ring8", "g_act": "softplus"}})
    assert s == "held_out" and "softplus" in why
    assert split_of({"family": "astroid_bce_ns_adam", "config": {"target": "astroid"}})[1].startswith("v9")
