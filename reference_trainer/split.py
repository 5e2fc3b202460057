"""The held-out split of issue 10 (docs/results/heldout_protocol.md), chosen before tuning.

A run is held out when its target is a held-out target (``swissroll``, ``gmm``), when its
generator has three hidden layers, or when its family is not a tuning family. The rule is
applied to a run's ``ground_truth.json`` (its ``config`` and ``family``), so it works on any
corpus written by ``reference_trainer``, old or new. This module imports neither torch nor
ganlogs.
"""

from __future__ import annotations

__all__ = ["HELD_OUT_TARGETS", "HELD_OUT_G_DEPTH", "TUNING_FAMILIES", "V3_HELD_OUT_TARGETS", "V3_HELD_OUT_D_DEPTH",
           "V3_HELD_OUT_DIRAC_DIM", "V4_HELD_OUT_TARGETS", "V4_HELD_OUT_OPTIMISER", "split_of", "is_held_out",
           "v3_held_out_reason", "v4_held_out_reason", "V5_HELD_OUT_TARGETS", "V5_HELD_OUT_G_ACT",
           "v5_held_out_reason", "V6_HELD_OUT_TARGETS", "V6_HELD_OUT_G_ACT", "v6_held_out_reason",
           "V7_HELD_OUT_TARGETS", "V7_HELD_OUT_G_ACT", "v7_held_out_reason",
           "V8_HELD_OUT_TARGETS", "V8_HELD_OUT_G_ACT", "v8_held_out_reason",
           "V9_HELD_OUT_TARGETS", "V9_HELD_OUT_G_ACT", "v9_held_out_reason",
           "V10_HELD_OUT_TARGETS", "V10_HELD_OUT_G_ACT", "v10_held_out_reason"]

#: the ninth held-out set (docs/results/heldout_protocol_v10.md), chosen after v9 was
#: evaluated with the round-7 detectors, before any rule of an eighth tuning round: a target
#: and a generator activation no detector was designed on
V10_HELD_OUT_TARGETS = ("deltoid",)
V10_HELD_OUT_G_ACT = "softplus"

#: the eighth held-out set (docs/results/heldout_protocol_v9.md), chosen after v8 was
#: evaluated with the round-6 detectors, before any rule of a seventh tuning round: a target
#: and a generator activation no detector was designed on
V9_HELD_OUT_TARGETS = ("astroid",)
V9_HELD_OUT_G_ACT = "gelu"

#: the seventh held-out set (docs/results/heldout_protocol_v8.md), chosen after v7 was
#: evaluated at the round-5 detectors, before any rule of a sixth tuning round: a target and a
#: generator activation no detector was designed on
V8_HELD_OUT_TARGETS = ("heart",)
V8_HELD_OUT_G_ACT = "elu"

#: the sixth held-out set (docs/results/heldout_protocol_v7.md), chosen after the round-5
#: freeze, before any rule of a sixth tuning round: a target and a generator activation no
#: detector was designed on
V7_HELD_OUT_TARGETS = ("lissajous",)
V7_HELD_OUT_G_ACT = "silu"

#: the fifth held-out set (docs/results/heldout_protocol_v6.md), chosen before the fifth
#: tuning round: a target and a generator activation no detector was designed on
V6_HELD_OUT_TARGETS = ("star10",)
V6_HELD_OUT_G_ACT = "lrelu"

#: the fourth held-out set (docs/results/heldout_protocol_v5.md), chosen before the fourth
#: tuning round: a target and a generator activation no detector was designed on
V5_HELD_OUT_TARGETS = ("rose",)
V5_HELD_OUT_G_ACT = "tanh"

#: the third held-out set (docs/results/heldout_protocol_v4.md), chosen before the third
#: tuning round: a target and an optimiser no detector was designed on
V4_HELD_OUT_TARGETS = ("pinwheel",)
V4_HELD_OUT_OPTIMISER = "rmsprop"

#: the second held-out set (docs/results/heldout_protocol_v3.md), chosen before the second
#: tuning round: targets, a discriminator depth and a Dirac dimension no detector was designed on
V3_HELD_OUT_TARGETS = ("circles", "spiral")
V3_HELD_OUT_D_DEPTH = 3
V3_HELD_OUT_DIRAC_DIM = 3

#: targets never used while designing the detectors: every run on them is held out
HELD_OUT_TARGETS = ("swissroll", "gmm")

#: generators with this many hidden layers never existed while designing: held out
HELD_OUT_G_DEPTH = 3

#: the only families whose runs may be used for tuning (rules, thresholds, calibration)
TUNING_FAMILIES = (
    # bench/accuracy.py TUNING_FAMILIES at commit 095c502
    "dirac_bce_ns_sgd", "dirac_bce_ns_r1_sgd", "dirac_wgan_sgd", "ring8_bce_ns_adam",
    "digits_bce_mm_sgd", "digits_bce_ns_adam", "ring8_wgangp_adam",
    # new in the v2 corpus and visible while tuning
    "ring12_bce_ns_adam", "moons_bce_ns_adam", "grid9_bce_ns_adam", "digitsfew_bce_ns_adam",
)


def split_of(ground_truth: dict) -> tuple[str, str]:
    """``("tuning" | "held_out", reason)`` for one run's ground truth.

    The reason names the first rule of the protocol that matched.
    """
    cfg = ground_truth.get("config") or {}
    target = str(cfg.get("target", ""))
    # the newest protocol first: a run with settings of two held-out sets names the newer one
    for reason_of in (v10_held_out_reason, v9_held_out_reason, v8_held_out_reason, v7_held_out_reason, v6_held_out_reason, v5_held_out_reason,
                      v4_held_out_reason, v3_held_out_reason):
        why = reason_of(cfg)
        if why:
            return "held_out", why
    if target in HELD_OUT_TARGETS:
        return "held_out", f"held-out target {target}"
    if len(cfg.get("g_hidden") or []) == HELD_OUT_G_DEPTH:
        return "held_out", f"held-out net shape: generator with {HELD_OUT_G_DEPTH} hidden layers"
    family = str(ground_truth.get("family", ""))
    if family in TUNING_FAMILIES:
        return "tuning", f"tuning family {family}"
    return "held_out", f"held-out family {family}"


def is_held_out(ground_truth: dict) -> bool:
    """True when the run is held out (see :func:`split_of`)."""
    return split_of(ground_truth)[0] == "held_out"


def v3_held_out_reason(config: dict) -> str:
    """The v3 protocol's reason a run configuration is held out, or ``""``.

    No v1 or v2 run has any of these settings, so this rule leaves every earlier split as it
    was; under the v3 protocol the v2 held-out runs count as tuning runs (they were looked at).
    """
    target = str(config.get("target", ""))
    if target in V3_HELD_OUT_TARGETS:
        return f"v3 held-out target {target}"
    if len(config.get("d_hidden") or []) == V3_HELD_OUT_D_DEPTH:
        return f"v3 held-out net shape: discriminator with {V3_HELD_OUT_D_DEPTH} hidden layers"
    if target == "dirac" and int(config.get("dirac_dim") or 1) == V3_HELD_OUT_DIRAC_DIM:
        return f"v3 held-out Dirac-GAN dimension {V3_HELD_OUT_DIRAC_DIM}"
    return ""


def v4_held_out_reason(config: dict) -> str:
    """The v4 protocol's reason a run configuration is held out, or ``""``.

    No v1, v2 or v3 run has these settings; under the v4 protocol every v2 and v3 run is a
    tuning run (both were evaluated and read).
    """
    target = str(config.get("target", ""))
    if target in V4_HELD_OUT_TARGETS:
        return f"v4 held-out target {target}"
    if V4_HELD_OUT_OPTIMISER in (config.get("opt_g"), config.get("opt_d")):
        return f"v4 held-out optimiser {V4_HELD_OUT_OPTIMISER}"
    return ""


def _target_or_g_act_reason(version: str, config: dict, targets: tuple[str, ...], g_act: str) -> str:
    """``version``'s reason a configuration is held out (a new target or generator activation)."""
    target = str(config.get("target", ""))
    if target in targets:
        return f"{version} held-out target {target}"
    if config.get("g_act") == g_act:
        return f"{version} held-out generator activation {g_act}"
    return ""


def v5_held_out_reason(config: dict) -> str:
    """The v5 protocol's reason a run configuration is held out, or ``""``.

    No v1 to v4 run has these settings; under the v5 protocol every v2, v3 and v4 run is a
    tuning run (all three were evaluated and read).
    """
    return _target_or_g_act_reason("v5", config, V5_HELD_OUT_TARGETS, V5_HELD_OUT_G_ACT)


def v6_held_out_reason(config: dict) -> str:
    """The v6 protocol's reason a run configuration is held out, or ``""``.

    No v1 to v5 run has these settings; under the v6 protocol every v2 to v5 run is a tuning
    run (all four were evaluated and read).
    """
    return _target_or_g_act_reason("v6", config, V6_HELD_OUT_TARGETS, V6_HELD_OUT_G_ACT)


def v7_held_out_reason(config: dict) -> str:
    """The v7 protocol's reason a run configuration is held out, or ``""``.

    No v1 to v6 run has these settings; under the v7 protocol every v2 to v6 run is a tuning
    run (all five were evaluated and read).
    """
    return _target_or_g_act_reason("v7", config, V7_HELD_OUT_TARGETS, V7_HELD_OUT_G_ACT)


def v8_held_out_reason(config: dict) -> str:
    """The v8 protocol's reason a run configuration is held out, or ``""``.

    No v1 to v7 run has these settings; under the v8 protocol every v2 to v7 run is a tuning
    run (all six were evaluated and read).
    """
    return _target_or_g_act_reason("v8", config, V8_HELD_OUT_TARGETS, V8_HELD_OUT_G_ACT)


def v9_held_out_reason(config: dict) -> str:
    """The v9 protocol's reason a run configuration is held out, or ``""``.

    No v1 to v8 run has these settings; under the v9 protocol every v2 to v8 run is a tuning
    run (all seven were evaluated and read).
    """
    return _target_or_g_act_reason("v9", config, V9_HELD_OUT_TARGETS, V9_HELD_OUT_G_ACT)


def v10_held_out_reason(config: dict) -> str:
    """The v10 protocol's reason a run configuration is held out, or ``""``.

    No v1 to v9 run has these settings; under the v10 protocol every v2 to v9 run is a tuning
    run (all eight were evaluated and read).
    """
    return _target_or_g_act_reason("v10", config, V10_HELD_OUT_TARGETS, V10_HELD_OUT_G_ACT)
