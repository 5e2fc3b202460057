"""Scenario recipes and the run specifications of the ``small`` and ``full`` sweeps.

A scenario is a recipe *meant* to produce one behaviour (its ``intended_label``);
the label a run actually gets comes from measurement only
(:mod:`reference_trainer.labels`). Each run spec holds the training ``config`` and the
``log`` configuration (writer, tag scheme, logged roles, cadence), both chosen
deterministically from the scenario name and the run index, so a sweep is the same
on every machine.

Families (``<target>_<loss>[_r1]_<generator optimiser>``) group scenarios for
held-out evaluation of detectors.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Scenario", "SCENARIOS", "build_specs", "family_of"]

_LOSS_SHORT = {"bce_minimax": "bce_mm", "bce_nonsaturating": "bce_ns", "lsgan": "lsgan", "hinge": "hinge",
               "wgan_clip": "wgan", "wgan_gp": "wgangp"}

_DEFAULTS = dict(target="ring8", dirac_dim=1, update="alt", loss="bce_nonsaturating", opt_g="adam",
                 opt_d="adam", betas=[0.5, 0.999], n_d=1, steps=3000, batch_size=64, z_dim=8,
                 g_hidden=[64, 64], d_hidden=[64, 64], probe_every=10, probe_n=32, eval_every=75,
                 eval_n=2500, lr_g=1e-3, lr_d=1e-3, r1_gamma=0.0, gp_lambda=0.0, clip=0.0)

_DIRAC = dict(target="dirac", opt_g="sgd", opt_d="sgd", batch_size=1, z_dim=1, g_hidden=[], d_hidden=[],
              probe_n=1, eval_n=1, eval_every=25, probe_every=5, steps=3000)

_DIGITS = dict(target="digits", z_dim=32, g_hidden=[128], d_hidden=[128], batch_size=64, probe_every=5,
               probe_n=32, eval_every=50, eval_n=500, steps=2000)


def family_of(config: dict) -> str:
    """Scenario family id, e.g. ``ring8_bce_ns_adam``."""
    tgt = config["target"]
    if tgt == "dirac" and int(config.get("dirac_dim") or 1) > 1:
        tgt = f"dirac{config['dirac_dim']}d"
    r1 = "_r1" if float(config.get("r1_gamma") or 0) > 0 else ""
    return f"{tgt}_{_LOSS_SHORT[config['loss']]}{r1}_{config['opt_g']}"


@dataclass(frozen=True)
class Scenario:
    """A training recipe meant to produce ``intended_label``.

    ``vary`` maps a config key to the values drawn (seeded) for each run.
    """

    name: str
    intended_label: str
    base: dict
    vary: dict = field(default_factory=dict)
    n_small: int = 0
    n_full: int = 0
    note: str = ""


S = Scenario
SCENARIOS: tuple[Scenario, ...] = (
    # ---------------- Dirac-GAN (Mescheder et al. 2018): analytic oscillation / convergence
    S("dirac_bce_ns_alt", "oscillating", {**_DIRAC, "loss": "bce_nonsaturating"},
      {"lr_g": [0.05, 0.1, 0.2], "dirac_dim": [1, 1, 2]}, 3, 80,
      "unregularised GAN, alternating gradient descent: circles the equilibrium"),
    S("dirac_wgan_clip_alt", "oscillating", {**_DIRAC, "loss": "wgan_clip"},
      {"lr_g": [0.05, 0.1], "clip": [0.5, 1.0]}, 2, 60, "WGAN with weight clipping: circles"),
    S("dirac_wgangp_alt", "oscillating", {**_DIRAC, "loss": "wgan_gp", "gp_lambda": 1.0},
      {"lr_g": [0.05, 0.1]}, 1, 40, "WGAN-GP is not locally convergent on the Dirac-GAN"),
    S("dirac_hinge_alt", "oscillating", {**_DIRAC, "loss": "hinge"},
      {"lr_g": [0.05, 0.1, 0.2]}, 1, 40, "hinge loss, alternating updates, no penalty"),
    S("dirac_bce_ns_r1", "converged", {**_DIRAC, "loss": "bce_nonsaturating"},
      {"lr_g": [0.05, 0.1, 0.2], "r1_gamma": [0.3, 1.0, 3.0], "dirac_dim": [1, 1, 2]}, 3, 100,
      "zero-centred gradient penalty (R1): converges"),
    S("dirac_bce_mm_r1", "converged", {**_DIRAC, "loss": "bce_minimax"},
      {"lr_g": [0.05, 0.1], "r1_gamma": [1.0, 3.0]}, 1, 40, "R1 with the saturating loss: converges"),
    S("dirac_wgan_sim_looseclip", "diverged", {**_DIRAC, "loss": "wgan_clip", "update": "sim"},
      {"lr_g": [0.1, 0.2, 0.3], "clip": [1e3, 1e6]}, 4, 120,
      "WGAN, simultaneous updates, clipping bound too loose to bind: spirals out and blows up"),
    # ---------------- 2-D mixtures
    S("ring8_bce_ns_adam", "converged", {"target": "ring8", "g_hidden": [128, 128], "d_hidden": [128, 128]},
      {"lr_g": [7e-4, 1e-3]}, 3, 90, "standard non-saturating GAN, Adam"),
    S("ring8_bce_ns_r1_adam", "converged", {"target": "ring8", "g_hidden": [128, 128], "d_hidden": [128, 128]},
      {"lr_g": [7e-4, 1e-3], "r1_gamma": [0.1, 1.0]}, 2, 40, "non-saturating + R1"),
    S("ring8_lsgan_adam", "converged", {"target": "ring8", "loss": "lsgan", "g_hidden": [128, 128],
                                        "d_hidden": [128, 128]},
      {"lr_g": [5e-4, 1e-3]}, 1, 30, "least-squares GAN, Adam"),
    S("ring8_hinge_adam", "converged", {"target": "ring8", "loss": "hinge", "g_hidden": [128, 128],
                                        "d_hidden": [128, 128]},
      {"lr_g": [5e-4, 1e-3]}, 1, 30, "hinge loss, Adam"),
    S("grid25_bce_ns_adam", "converged", {"target": "grid25", "g_hidden": [128, 128], "d_hidden": [128, 128],
                                          "steps": 5000},
      {"lr_g": [5e-4, 1e-3]}, 0, 20, "standard non-saturating GAN on the 5x5 grid"),
    S("ring8_smallG_strongD", "mode_collapse",
      {"target": "ring8", "g_hidden": [32], "z_dim": 2, "d_hidden": [128, 128], "lr_g": 2e-4, "lr_d": 2e-3},
      {"z_dim": [1, 2]}, 5, 120, "one-layer generator, discriminator 10x faster"),
    S("grid25_smallG_strongD", "mode_collapse",
      {"target": "grid25", "g_hidden": [32], "z_dim": 2, "d_hidden": [128, 128], "lr_g": 2e-4, "lr_d": 2e-3},
      {"z_dim": [1, 2]}, 2, 50, "one-layer generator, discriminator 10x faster"),
    S("ring8_wgangp_nd1", "oscillating",
      {"target": "ring8", "loss": "wgan_gp", "gp_lambda": 1.0, "betas": [0.5, 0.9], "g_hidden": [128, 128],
       "d_hidden": [128, 128]},
      {"lr_g": [3e-4, 5e-4]}, 3, 60, "WGAN-GP with one critic step and a large step size: cycles"),
    S("ring8_wgan_sgd_looseclip", "diverged",
      {"target": "ring8", "loss": "wgan_clip", "clip": 1e3, "opt_g": "sgd", "opt_d": "sgd", "steps": 2000,
       "g_hidden": [128, 128], "d_hidden": [128, 128]},
      {"lr_g": [0.05, 0.1]}, 2, 40, "WGAN, plain SGD, clipping bound too loose to bind, large step: blows up"),
    S("digits_bce_mm_sgd_strongD", "vanishing_gradients",
      {**_DIGITS, "loss": "bce_minimax", "opt_g": "sgd", "n_d": 3, "lr_d": 1e-3},
      {"lr_g": [1e-3, 1e-2]}, 3, 100, "saturating loss, SGD generator, discriminator ahead"),
    S("digits_bce_mm_adam_strongD", "vanishing_gradients",
      {**_DIGITS, "loss": "bce_minimax", "n_d": 3, "lr_d": 1e-3},
      {"lr_g": [5e-5, 1e-4]}, 2, 40, "saturating loss, Adam generator, discriminator ahead"),
    S("digits_bce_ns_strongD", "mode_collapse",
      {**_DIGITS, "loss": "bce_nonsaturating", "n_d": 3, "lr_d": 1e-3},
      {"lr_g": [5e-5, 1e-4], "n_d": [3, 5]}, 3, 60, "non-saturating loss, discriminator ahead: sharp samples on few classes"),
    S("digits_bce_ns_equal", "oscillating",
      {**_DIGITS, "loss": "bce_nonsaturating", "steps": 3000},
      {"lr_g": [1e-4, 2e-4]}, 0, 10, "unregularised, equal learning rates: the mean output circles"),
    S("digits_bce_ns_big_equal", "oscillating",
      {**_DIGITS, "loss": "bce_nonsaturating", "steps": 3000, "g_hidden": [256, 256], "d_hidden": [256],
       "batch_size": 128, "probe_every": 10, "eval_every": 100},
      {"lr_g": [2e-4, 5e-4]}, 0, 16, "two-layer 256-unit generator, equal learning rates: its output swings"),
    S("digits_wgangp", "converged",
      {**_DIGITS, "loss": "wgan_gp", "gp_lambda": 10.0, "betas": [0.5, 0.9], "n_d": 3, "steps": 3000},
      {"lr_g": [2e-4, 1e-3]}, 0, 10, "WGAN-GP, 3 critic steps"),
)

_FORMATS = ("tensorboard", "tensorboard", "csv")
_SCHEMES = ("slash", "snake", "loss_x", "dcgan", "module")
_ROLESETS = ("losses", "dcgan", "parts", "grads", "full")


def _rng(*parts) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32("/".join(map(str, parts)).encode()))


def _log_config(rng: np.random.Generator, steps: int, size: str) -> dict:
    unit = "step"
    u = rng.random()
    if size == "small":
        points = int(rng.choice([200, 500, 800]))
    else:
        points = int(rng.choice([200, 500, 1000, 2000, 5000]))
    if points == 200 and u < 0.7:
        unit = "epoch"
    every = max(1, steps // points)
    if steps // every > 5000:
        every = int(np.ceil(steps / 5000))
    log = {"format": str(rng.choice(_FORMATS)), "scheme": str(rng.choice(_SCHEMES)),
           "roles": str(rng.choice(_ROLESETS)), "unit": unit, "every": every,
           "critic_tag": bool(rng.random() < 0.5)}
    if size == "full" and rng.random() < 0.1:
        # an offline wandb run where wandb is importable; TensorBoard otherwise (see writers)
        log["format"] = "wandb"
    return log


def build_specs(size: str) -> list[dict]:
    """All run specs of a sweep size (``small`` or ``full``), in a fixed order."""
    if size not in ("small", "full"):
        raise ValueError(f"size must be 'small' or 'full'; got {size!r}")
    specs = []
    for sc in SCENARIOS:
        n = sc.n_small if size == "small" else sc.n_full
        for i in range(n):
            rng = _rng(sc.name, i, "v1")
            cfg = {**_DEFAULTS, **sc.base}
            for k, vals in sc.vary.items():
                cfg[k] = vals[int(rng.integers(len(vals)))]
            if "lr_g" in sc.vary and "lr_d" not in sc.base:
                cfg["lr_d"] = cfg["lr_g"]
            cfg["seed"] = int(zlib.crc32(sc.name.encode()) % 100000) + i
            cfg["d_loss_reduction"] = "summed" if rng.random() < 0.5 else "mean"
            if size == "full" and cfg["target"] == "dirac":
                cfg["steps"] = int(rng.choice([2000, 3000, 5000]))
            log = _log_config(rng, int(cfg["steps"]), size)
            cfg = {k: (list(v) if isinstance(v, tuple) else v) for k, v in cfg.items()}
            specs.append({"run_id": f"{sc.name}_{i:03d}", "scenario": sc.name, "intended_label": sc.intended_label,
                          "family": family_of(cfg), "config": cfg, "log": log, "note": sc.note})
    return specs
