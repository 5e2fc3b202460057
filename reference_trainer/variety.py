"""Run specifications of the ``v2`` sweep: a corpus as varied as real training (issue 10, item 6).

The sweep is made of *cells*. A cell is one batched group (every run shares the keys of
:data:`reference_trainer.train.GROUP_KEYS`: target, net shapes, loss, optimiser kinds, D:G
step ratio, batch size, run length); its shared keys are drawn from a *recipe* with a seeded
generator. Inside a cell every run draws its own learning rate, lr_D / lr_G ratio, Adam betas
or SGD momentum, learning-rate schedule (constant, step, cosine), frozen generator, label
smoothing, loss weights, feature matching, D-loss reduction and its whole logging setup
(format, tag scheme, logged roles, cadence 1 to 25, per-step or per-epoch means, EMA-smoothed
losses, learning-rate and ``Loss/signs/real`` tags).

Recipes carry an intended behaviour only as a note: labels come from measurement
(:mod:`reference_trainer.labels`), and every run is kept, including the many that end
``not_converged`` (run lengths are drawn short on purpose too).

Everything is drawn from ``numpy.random.default_rng`` seeded by CRC32 of names and indices,
so the specs are the same on every machine.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Callable

import numpy as np

from reference_trainer import split
from reference_trainer.scenarios import _DEFAULTS, family_of

__all__ = ["Recipe", "RECIPES", "V3_RECIPES", "V4_RECIPES", "build_v2_specs", "build_v3_specs", "build_v4_specs", "build_specs_from",
           "V5_RECIPES", "build_v5_specs", "V6_RECIPES", "build_v6_specs",
           "V7_RECIPES", "build_v7_specs", "V8_RECIPES", "build_v8_specs",
           "V9_RECIPES", "build_v9_specs", "V10_RECIPES", "build_v10_specs"]


def _rng(*parts) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32("/".join(map(str, parts)).encode()))


def _pick(rng: np.random.Generator, values, p=None):
    i = int(rng.choice(len(values), p=p))
    return values[i]


@dataclass(frozen=True)
class Recipe:
    """A family of cells: ``shared(rng)`` draws a cell's group keys; ``per_run(rng, cfg)``
    draws one run's own options (on top of the common ones of :func:`_common_run_options`)."""

    name: str
    intended: str
    n_cells: int
    shared: Callable[[np.random.Generator], dict]
    per_run: Callable[[np.random.Generator, dict], dict]
    note: str = ""


_MIX_TARGETS = ("ring6", "ring8", "ring10", "ring12", "grid9", "moons")
_WIDTHS = (32, 64, 128)


def _mlp(rng, depths=(1, 2), widths=_WIDTHS) -> list[int]:
    d = int(_pick(rng, depths))
    return [int(_pick(rng, widths))] * d


def _dirac(rng, loss, update="alt", **kw) -> dict:
    return dict(target="dirac", dirac_dim=int(_pick(rng, (1, 1, 2))), update=update, loss=loss, opt_g="sgd",
                opt_d="sgd", batch_size=1, z_dim=1, g_hidden=[], d_hidden=[], probe_n=1, eval_n=1, eval_every=25,
                probe_every=5, steps=int(_pick(rng, (1000, 2000, 3000))), n_d=1, **kw)


def _mixture(rng, target=None, *, loss="bce_nonsaturating", steps=(600, 1000, 2000, 3000), g=None, d=None,
             n_d=1, batch=(32, 64, 128), opt="adam") -> dict:
    tgt = target or str(_pick(rng, _MIX_TARGETS))
    cfg = dict(target=tgt, loss=loss, opt_g=opt, opt_d=opt, n_d=n_d, steps=int(_pick(rng, steps)),
               batch_size=int(_pick(rng, batch)), z_dim=int(_pick(rng, (2, 4, 8, 16))),
               g_hidden=g if g is not None else _mlp(rng), d_hidden=d if d is not None else _mlp(rng),
               probe_every=5, probe_n=32, eval_every=50, eval_n=2000)
    if tgt == "gmm":
        cfg.update(gmm_dim=int(rng.integers(5, 21)), gmm_modes=int(rng.integers(5, 11)),
                   gmm_seed=int(rng.integers(1, 10_000)), eval_n=1500)
    return cfg


def _digits(rng, *, loss, n_d, steps=(1500, 2000), g=None, d=None, batch=(64,), opt_g="adam", target="digits",
            n_real=0) -> dict:
    cfg = dict(target=target, loss=loss, opt_g=opt_g, opt_d="adam", n_d=n_d, steps=int(_pick(rng, steps)),
               batch_size=int(_pick(rng, batch)), z_dim=int(_pick(rng, (16, 32))),
               g_hidden=g or [int(_pick(rng, (64, 128)))], d_hidden=d or [int(_pick(rng, (64, 128)))],
               probe_every=5, probe_n=32, eval_every=50, eval_n=500)
    if n_real:
        cfg["n_real"] = int(n_real)
    return cfg


def _lr(rng, lo, hi) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _std_run(lo=3e-4, hi=2e-3, ratios=(1.0, 1.0, 2.0, 4.0, 0.5)):
    def f(rng, cfg):
        lr_g = _lr(rng, lo, hi)
        return dict(lr_g=lr_g, lr_d=lr_g * float(_pick(rng, ratios)))
    return f


def _strong_d_run(rng, cfg):
    lr_g = _lr(rng, 1e-4, 4e-4)
    return dict(lr_g=lr_g, lr_d=lr_g * float(_pick(rng, (5.0, 10.0))))


#: the losses of a "standard" cell: mostly non-saturating BCE, some LSGAN and hinge
_LOSS_MIX = ("bce_nonsaturating",) * 3 + ("lsgan", "hinge")


def _wgangp_run(rng, cfg):
    """WGAN-GP with one critic step and a large step size: the oscillating recipe."""
    return {**_std_run(3e-4, 8e-4, (1.0,))(rng, cfg), "gp_lambda": 1.0, "betas": [0.5, 0.9]}


def _target_cell(target: str, kind: str, n_cells: int) -> Recipe:
    """One of the cells every new 2-D target gets, named ``{target}_{kind}``: ``standard``
    (a random shape and loss), ``tuned`` (the recipe that converges on the ring of 8),
    ``smallG_strongD`` (mode collapse) or ``wgangp_nd1`` (oscillation)."""
    intended, shared, per_run = {
        "standard": ("converged", lambda r: _mixture(r, target, loss=str(_pick(r, _LOSS_MIX))), _std_run()),
        "tuned": ("converged", lambda r: _mixture(r, target, g=[128, 128], d=[128, 128], steps=(3000,), batch=(64,)),
                  _std_run(6e-4, 1.2e-3, (1.0,))),
        "smallG_strongD": ("mode_collapse", lambda r: _mixture(r, target, g=[int(_pick(r, (16, 32)))], d=[128, 128],
                                                               steps=(2000, 3000)), _strong_d_run),
        "wgangp_nd1": ("oscillating", lambda r: _mixture(r, target, loss="wgan_gp", g=[128, 128], d=[128, 128],
                                                         steps=(2000, 3000)), _wgangp_run),
    }[kind]
    return Recipe(f"{target}_{kind}", intended, n_cells, shared, per_run)


def _dirac_run(lo, hi, **fixed):
    def f(rng, cfg):
        lr = _lr(rng, lo, hi)
        out = dict(lr_g=lr, lr_d=lr, momentum_g=0.0, momentum_d=0.0)
        for k, vals in fixed.items():
            out[k] = _pick(rng, vals)
        return out
    return f


def _digits_vanish_run(rng, cfg):
    if cfg["opt_g"] == "sgd":
        return dict(lr_g=float(_pick(rng, (1e-3, 3e-3, 1e-2))), lr_d=1e-3)
    return dict(lr_g=_lr(rng, 3e-5, 1e-4), lr_d=1e-3)


RECIPES: tuple[Recipe, ...] = (
    # ---- Dirac-GAN: analytic cycles, R1 convergence, simultaneous-update blow-ups
    Recipe("dirac_alt", "oscillating", 6,
           lambda r: _dirac(r, str(_pick(r, ("bce_nonsaturating", "hinge", "wgan_clip", "wgan_gp")))),
           _dirac_run(0.03, 0.2, clip=(0.5, 1.0), gp_lambda=(1.0,))),
    Recipe("dirac_r1", "converged", 4, lambda r: _dirac(r, str(_pick(r, ("bce_nonsaturating", "bce_minimax")))),
           _dirac_run(0.03, 0.2, r1_gamma=(0.3, 1.0, 3.0))),
    Recipe("dirac_sim_looseclip", "diverged", 3, lambda r: _dirac(r, "wgan_clip", update="sim"),
           _dirac_run(0.1, 0.3, clip=(1e3, 1e6))),
    # ---- 2-D mixtures and curves
    Recipe("mix_standard", "converged", 14,
           lambda r: _mixture(r, loss=str(_pick(r, ("bce_nonsaturating",) * 4 + ("lsgan", "hinge")))), _std_run(),
           "standard GAN of a random shape; many runs end still training"),
    Recipe("mix_smallG_strongD", "mode_collapse", 6,
           lambda r: _mixture(r, str(_pick(r, ("ring8", "ring12", "grid9", "grid25", "moons"))),
                              g=[int(_pick(r, (16, 32)))], d=[128, 128], steps=(2000, 3000)),
           _strong_d_run, "one-layer generator against a 5-10x faster discriminator"),
    Recipe("mix_wgangp_nd1", "oscillating", 4,
           lambda r: _mixture(r, str(_pick(r, ("ring8", "ring12", "moons"))), loss="wgan_gp", g=[128, 128],
                              d=[128, 128], steps=(2000, 3000)),
           _wgangp_run,
           "WGAN-GP with one critic step and a large step size"),
    Recipe("mix_wgan_sgd_looseclip", "diverged", 2,
           lambda r: _mixture(r, "ring8", loss="wgan_clip", opt="sgd", steps=(1000, 2000)),
           lambda r, c: {**_std_run(0.03, 0.1, (1.0,))(r, c), "clip": 1e3},
           "WGAN, SGD, clipping bound too loose to bind"),
    # ---- the recipe that converges on the ring of 8 (v1: 84 %), on other targets; appended
    #      after the first 360 runs showed few converged mixtures (most standard runs ended blurry)
    Recipe("mix_tuned", "converged", 6,
           lambda r: _mixture(r, str(_pick(r, _MIX_TARGETS)), g=[128, 128], d=[128, 128], steps=(3000,),
                              batch=(64,)),
           _std_run(6e-4, 1.2e-3, (1.0,)), "the v1 ring-of-8 recipe that converges, equal learning rates"),
    _target_cell("swissroll", "tuned", 1),
    _target_cell("gmm", "tuned", 1),
    # ---- held-out targets (docs/results/heldout_protocol.md, rule 1)
    Recipe("swissroll_standard", "converged", 2, lambda r: _mixture(r, "swissroll"), _std_run()),
    Recipe("swissroll_smallG_strongD", "mode_collapse", 1,
           lambda r: _mixture(r, "swissroll", g=[32], d=[128, 128], steps=(2000, 3000)), _strong_d_run),
    _target_cell("swissroll", "wgangp_nd1", 1),
    Recipe("gmm_standard", "converged", 2, lambda r: _mixture(r, "gmm", steps=(1000, 2000, 3000)), _std_run()),
    Recipe("gmm_smallG_strongD", "mode_collapse", 1,
           lambda r: _mixture(r, "gmm", g=[32], d=[128, 128], steps=(2000, 3000)), _strong_d_run),
    Recipe("gmm_lsgan", "converged", 1, lambda r: _mixture(r, "gmm", loss="lsgan"), _std_run()),
    # ---- held-out net shape (rule 2): three-layer generators
    Recipe("g3_standard", "converged", 3,
           lambda r: _mixture(r, str(_pick(r, ("ring8", "moons", "grid9"))), g=[int(_pick(r, (32, 64)))] * 3),
           _std_run()),
    # ---- digits
    Recipe("digits_mm_sgd_strongD", "vanishing_gradients", 2,
           lambda r: _digits(r, loss="bce_minimax", n_d=3, opt_g="sgd"), _digits_vanish_run),
    Recipe("digits_mm_adam_strongD", "vanishing_gradients", 1,
           lambda r: _digits(r, loss="bce_minimax", n_d=3), _digits_vanish_run),
    Recipe("digits_ns_strongD", "mode_collapse", 2,
           lambda r: _digits(r, loss="bce_nonsaturating", n_d=int(_pick(r, (3, 5)))),
           lambda r, c: dict(lr_g=_lr(r, 4e-5, 1.5e-4), lr_d=1e-3)),
    Recipe("digits_ns_big_equal", "oscillating", 1,
           lambda r: _digits(r, loss="bce_nonsaturating", n_d=1, g=[256, 256], d=[256], batch=(128,),
                             steps=(2000,)),
           _std_run(2e-4, 5e-4, (1.0,))),
    # ---- small-data target: D overfits the few reals it sees
    Recipe("digitsfew_ns", "d_overfitting", 3,
           lambda r: _digits(r, loss="bce_nonsaturating", n_d=int(_pick(r, (1, 2, 3))), target="digitsfew",
                             n_real=int(_pick(r, (32, 64, 128, 400))), steps=(2000, 3000), d=[256]),
           _std_run(2e-4, 1e-3, (1.0, 2.0, 4.0)), "few real images, D trained long"),
    Recipe("digitsfew_hinge", "d_overfitting", 1,
           lambda r: _digits(r, loss="hinge", n_d=2, target="digitsfew", n_real=int(_pick(r, (32, 64, 128))),
                             steps=(2000, 3000), d=[256]),
           _std_run(2e-4, 1e-3, (1.0, 2.0))),
)

_FORMATS = ("tensorboard", "csv", "text")
_SCHEMES = ("slash", "snake", "loss_x", "dcgan", "module", "lightning", "capital", "pix2pix")
_ROLESETS = ("losses", "dcgan", "parts", "parts_only", "grads", "full")


def _common_run_options(rng: np.random.Generator, cfg: dict) -> dict:
    """What users vary around any recipe: optimiser settings, schedules, regularisers, weights."""
    o: dict = {}
    dirac = cfg["target"] == "dirac"
    if cfg["opt_g"] == "adam":
        o["betas"] = list(_pick(rng, ([0.5, 0.999], [0.5, 0.999], [0.0, 0.9], [0.9, 0.999], [0.5, 0.9])))
    if cfg["opt_g"] == "sgd" and not dirac and rng.random() < 0.4:
        o["momentum_g"] = float(_pick(rng, (0.5, 0.9)))
        o["momentum_d"] = o["momentum_g"]
    o["lr_schedule"] = str(_pick(rng, ("const", "step", "cosine"), p=[0.6, 0.2, 0.2]))
    if o["lr_schedule"] == "step":
        o["lr_steps_at"] = list(_pick(rng, ([0.5], [0.75], [0.5, 0.75])))
        o["lr_gamma"] = float(_pick(rng, (0.1, 0.3, 0.5)))
    if not dirac and rng.random() < 0.06:
        o["g_frozen_from"] = float(_pick(rng, (0.0, 0.5)))
    if cfg["loss"].startswith("bce") and rng.random() < 0.2:
        o["label_smooth"] = float(_pick(rng, (0.1, 0.2)))
    if rng.random() < 0.3:
        o["w_g"] = float(_pick(rng, (0.5, 2.0, 10.0)))
    if rng.random() < 0.2:
        o["w_d"] = float(_pick(rng, (0.5, 2.0)))
    if not dirac and rng.random() < 0.15:
        o["fm_weight"] = float(_pick(rng, (0.1, 1.0)))
    return o


def _log_config(rng: np.random.Generator, cfg: dict, opts: dict) -> dict:
    steps = int(cfg["steps"])
    fmt = str(_pick(rng, _FORMATS, p=[0.45, 0.35, 0.2]))
    scheme = "pix2pix" if fmt == "text" else str(_pick(rng, _SCHEMES))
    every_choices = [e for e in (1, 2, 5, 10, 25) if 100 <= steps // e <= 3000] or [max(1, steps // 200)]
    every = int(_pick(rng, every_choices))
    unit = "epoch" if fmt != "text" and every > 1 and rng.random() < 0.2 else "step"
    log = {"format": fmt, "scheme": scheme, "roles": str(_pick(rng, _ROLESETS)), "unit": unit, "every": every,
           "critic_tag": bool(rng.random() < 0.5), "ema": float(_pick(rng, (0.0, 0.9, 0.98), p=[0.7, 0.15, 0.15])),
           "lr": bool(opts.get("lr_schedule", "const") != "const" or rng.random() < 0.3),
           "sign": bool(cfg["target"] == "digitsfew" or (cfg["loss"] in ("bce_nonsaturating", "bce_minimax", "hinge")
                                                           and rng.random() < 0.25)),
           "epoch_len": int(_pick(rng, (50, 100, 250)))}
    return log


def build_v2_specs(runs_per_cell: int = 6) -> list[dict]:
    """Every run spec of the v2 sweep, in a fixed order (one cell = one batched group)."""
    return build_specs_from(RECIPES, "v2", runs_per_cell)


# ---------------------------------------------------------------------------------------------
# v3: a second held-out corpus (docs/results/heldout_protocol_v3.md), chosen before any rule of
# the second tuning round changed. Every run has at least one setting no detector was designed
# on: a new target (``circles``, ``spiral``), a three-hidden-layer discriminator, or a 3-D
# Dirac-GAN. The run options and logging setups are drawn as in v2.

def _dirac3(rng, loss, update="alt") -> dict:
    cfg = _dirac(rng, loss, update)
    cfg["dirac_dim"] = 3
    return cfg


_D3 = (64, 128)


def _d3(rng) -> list[int]:
    return [int(_pick(rng, _D3))] * 3


V3_RECIPES: tuple[Recipe, ...] = (
    # ---- new targets
    _target_cell("circles", "standard", 3),
    _target_cell("spiral", "standard", 2),
    _target_cell("circles", "tuned", 2),
    _target_cell("spiral", "tuned", 2),
    _target_cell("circles", "smallG_strongD", 2),
    _target_cell("spiral", "smallG_strongD", 1),
    _target_cell("circles", "wgangp_nd1", 2),
    _target_cell("spiral", "wgangp_nd1", 1),
    Recipe("circles_wgan_sgd_looseclip", "diverged", 2,
           lambda r: _mixture(r, "circles", loss="wgan_clip", opt="sgd", steps=(1000, 2000)),
           lambda r, c: {**_std_run(0.03, 0.1, (1.0,))(r, c), "clip": 1e3}),
    # ---- new net shape: three-layer discriminators on the known targets
    Recipe("d3_standard", "converged", 2,
           lambda r: _mixture(r, str(_pick(r, ("ring8", "grid9", "moons", "ring12"))), d=_d3(r)), _std_run()),
    Recipe("d3_smallG_strongD", "mode_collapse", 2,
           lambda r: _mixture(r, str(_pick(r, ("ring8", "ring12", "grid9", "moons"))), g=[int(_pick(r, (16, 32)))],
                              d=[128] * 3, steps=(2000, 3000)),
           _strong_d_run),
    # ---- new Dirac dimension
    Recipe("dirac3d_alt", "oscillating", 2,
           lambda r: _dirac3(r, str(_pick(r, ("bce_nonsaturating", "hinge", "wgan_clip", "wgan_gp")))),
           _dirac_run(0.03, 0.2, clip=(0.5, 1.0), gp_lambda=(1.0,))),
    Recipe("dirac3d_r1", "converged", 2, lambda r: _dirac3(r, str(_pick(r, ("bce_nonsaturating", "bce_minimax")))),
           _dirac_run(0.03, 0.2, r1_gamma=(0.3, 1.0, 3.0))),
    Recipe("dirac3d_sim_looseclip", "diverged", 1, lambda r: _dirac3(r, "wgan_clip", update="sim"),
           _dirac_run(0.1, 0.3, clip=(1e3, 1e6))),
    # ---- digits with a three-layer discriminator
    Recipe("digits_d3_mm_sgd_strongD", "vanishing_gradients", 2,
           lambda r: _digits(r, loss="bce_minimax", n_d=3, opt_g="sgd", d=[128] * 3), _digits_vanish_run),
    Recipe("digits_d3_ns_strongD", "mode_collapse", 1,
           lambda r: _digits(r, loss="bce_nonsaturating", n_d=int(_pick(r, (3, 5))), d=[128] * 3),
           lambda r, c: dict(lr_g=_lr(r, 4e-5, 1.5e-4), lr_d=1e-3)),
    # ---- small data with a three-layer discriminator: the clean d_overfitting measurement
    Recipe("digitsfew_d3_ns", "d_overfitting", 3,
           lambda r: _digits(r, loss="bce_nonsaturating", n_d=int(_pick(r, (1, 2, 3))), target="digitsfew",
                             n_real=int(_pick(r, (48, 96, 200, 400))), steps=(2000, 3000), d=[256] * 3),
           _std_run(2e-4, 1e-3, (1.0, 2.0, 4.0))),
    Recipe("digitsfew_d3_hinge", "d_overfitting", 1,
           lambda r: _digits(r, loss="hinge", n_d=2, target="digitsfew", n_real=int(_pick(r, (48, 96, 200))),
                             steps=(2000, 3000), d=[256] * 3),
           _std_run(2e-4, 1e-3, (1.0, 2.0))),
)


def build_specs_from(recipes: tuple[Recipe, ...], tag: str, runs_per_cell: int = 6) -> list[dict]:
    """Every run spec of ``recipes``, seeded by ``tag`` (``v2``, ``v3``), in a fixed order."""
    specs = []
    for rec in recipes:
        for ci in range(rec.n_cells):
            crng = _rng(tag, rec.name, ci)
            shared = rec.shared(crng)
            for i in range(runs_per_cell):
                rng = _rng(tag, rec.name, ci, i)
                cfg = {**_DEFAULTS, **shared}
                cfg.pop("betas", None)
                cfg.update(rec.per_run(rng, cfg))
                opts = _common_run_options(rng, cfg)
                for k, v in opts.items():
                    if k == "betas" and "betas" in cfg:  # a recipe's own betas (WGAN-GP) win
                        continue
                    cfg[k] = v
                cfg["seed"] = int(zlib.crc32(f"{tag}/{rec.name}/{ci}".encode()) % 100000) * 10 + i
                cfg["d_loss_reduction"] = "summed" if rng.random() < 0.5 else "mean"
                log = _log_config(rng, cfg, opts)
                cfg = {k: (list(v) if isinstance(v, tuple) else v) for k, v in cfg.items()}
                specs.append({"run_id": f"{rec.name}_c{ci:02d}_{i}", "scenario": rec.name,
                              "intended_label": rec.intended, "family": family_of(cfg), "config": cfg, "log": log,
                              "note": rec.note})
    return specs


# ---------------------------------------------------------------------------------------------
# v4: a third held-out corpus (docs/results/heldout_protocol_v4.md), chosen before any rule of
# the third tuning round changed: a new target (``pinwheel``) and a new optimiser (RMSprop, the
# WGAN paper's) on known targets, the Dirac-GAN and digits.

def _rms(cfg: dict) -> dict:
    return {**cfg, "opt_g": "rmsprop", "opt_d": "rmsprop"}


def _rms_run(lo=1e-4, hi=1e-3, ratios=(1.0, 1.0, 2.0, 4.0)):
    return _std_run(lo, hi, ratios)


V4_RECIPES: tuple[Recipe, ...] = (
    _target_cell("pinwheel", "standard", 3),
    _target_cell("pinwheel", "tuned", 2),
    _target_cell("pinwheel", "smallG_strongD", 2),
    _target_cell("pinwheel", "wgangp_nd1", 1),
    Recipe("rms_standard", "converged", 3,
           lambda r: _rms(_mixture(r, loss=str(_pick(r, _LOSS_MIX)))),
           _rms_run()),
    Recipe("rms_tuned", "converged", 2,
           lambda r: _rms(_mixture(r, str(_pick(r, _MIX_TARGETS)), g=[128, 128], d=[128, 128], steps=(3000,),
                                   batch=(64,))),
           _rms_run(2e-4, 5e-4, (1.0,))),
    Recipe("rms_smallG_strongD", "mode_collapse", 2,
           lambda r: _rms(_mixture(r, str(_pick(r, ("ring8", "ring12", "grid9", "moons"))),
                                   g=[int(_pick(r, (16, 32)))], d=[128, 128], steps=(2000, 3000))),
           lambda r, c: dict(lr_g=_lr(r, 3e-5, 1e-4), lr_d=_lr(r, 5e-4, 1e-3))),
    Recipe("rms_wgan_looseclip", "diverged", 2,
           lambda r: _rms(_mixture(r, "ring8", loss="wgan_clip", steps=(1000, 2000))),
           lambda r, c: {**_std_run(1e-2, 5e-2, (1.0,))(r, c), "clip": 1e3}),
    Recipe("dirac_rms_alt", "oscillating", 2,
           lambda r: _rms(_dirac(r, str(_pick(r, ("bce_nonsaturating", "hinge", "wgan_clip", "wgan_gp"))))),
           _dirac_run(0.005, 0.03, clip=(0.5, 1.0), gp_lambda=(1.0,))),
    Recipe("dirac_rms_r1", "converged", 2,
           lambda r: _rms(_dirac(r, str(_pick(r, ("bce_nonsaturating", "bce_minimax"))))),
           _dirac_run(0.005, 0.03, r1_gamma=(0.3, 1.0, 3.0))),
    Recipe("dirac_rms_sim_looseclip", "diverged", 1, lambda r: _rms(_dirac(r, "wgan_clip", update="sim")),
           _dirac_run(0.02, 0.1, clip=(1e3, 1e6))),
    Recipe("digits_rms_mm_strongD", "vanishing_gradients", 2,
           lambda r: _rms(_digits(r, loss="bce_minimax", n_d=3)),
           lambda r, c: dict(lr_g=_lr(r, 2e-5, 8e-5), lr_d=1e-3)),
    Recipe("digitsfew_rms", "d_overfitting", 4,
           lambda r: _rms(_digits(r, loss="bce_nonsaturating", n_d=int(_pick(r, (2, 3))), target="digitsfew",
                                  n_real=int(_pick(r, (32, 64, 128))), steps=(2000, 3000), d=[256])),
           _std_run(2e-4, 1e-3, (1.0, 2.0, 4.0)), "few real images, D trained long"),
)


def build_v4_specs(runs_per_cell: int = 6) -> list[dict]:
    """Every run spec of the v4 (third held-out) sweep."""
    return build_specs_from(V4_RECIPES, "v4", runs_per_cell)


def build_v3_specs(runs_per_cell: int = 6) -> list[dict]:
    """Every run spec of the v3 (second held-out) sweep."""
    return build_specs_from(V3_RECIPES, "v3", runs_per_cell)


# ---------------------------------------------------------------------------------------------
# v5 and v6: held-out corpora (docs/results/heldout_protocol_v5.md, _v6.md), each chosen before
# any rule of its tuning round changed: a new target (v5 ``rose``, a three-petal rose curve; v6
# ``star10``, ten Gaussian modes on two rings) and a new generator activation (v5 tanh, v6 leaky
# ReLU hidden units, ``g_act``) on the known 2-D targets and on digits, in the same cells.

def _g_act_recipes(target: str, act: str) -> tuple[Recipe, ...]:
    """The cells of a held-out corpus with a new ``target`` and generator activation ``act``
    (both read from that protocol's constants in :mod:`reference_trainer.split`, which holds
    the corpus's runs out by the same two settings)."""
    def g(cfg: dict) -> dict:
        return {**cfg, "g_act": act}

    tag = f"{act}G"
    return (
        _target_cell(target, "standard", 3),
        _target_cell(target, "tuned", 2),
        _target_cell(target, "smallG_strongD", 2),
        _target_cell(target, "wgangp_nd1", 1),
        Recipe(f"{tag}_standard", "converged", 3, lambda r: g(_mixture(r, loss=str(_pick(r, _LOSS_MIX)))),
               _std_run()),
        Recipe(f"{tag}_tuned", "converged", 2,
               lambda r: g(_mixture(r, str(_pick(r, _MIX_TARGETS)), g=[128, 128], d=[128, 128], steps=(3000,),
                                    batch=(64,))),
               _std_run(6e-4, 1.2e-3, (1.0,))),
        Recipe(f"{tag}_smallG_strongD", "mode_collapse", 2,
               lambda r: g(_mixture(r, str(_pick(r, ("ring8", "ring12", "grid9", "moons"))),
                                    g=[int(_pick(r, (16, 32)))], d=[128, 128], steps=(2000, 3000))),
               _strong_d_run),
        Recipe(f"{tag}_wgangp_nd1", "oscillating", 1,
               lambda r: g(_mixture(r, str(_pick(r, ("ring8", "ring12", "moons"))), loss="wgan_gp", g=[128, 128],
                                    d=[128, 128], steps=(2000, 3000))),
               _wgangp_run),
        Recipe(f"{tag}_wgan_sgd_looseclip", "diverged", 2,
               lambda r: g(_mixture(r, "ring8", loss="wgan_clip", opt="sgd", steps=(1000, 2000))),
               lambda r, c: {**_std_run(0.03, 0.1, (1.0,))(r, c), "clip": 1e3}),
        Recipe(f"digits_{tag}_mm_strongD", "vanishing_gradients", 2,
               lambda r: g(_digits(r, loss="bce_minimax", n_d=3, opt_g=str(_pick(r, ("sgd", "adam"))))),
               _digits_vanish_run),
        Recipe(f"digits_{tag}_ns_strongD", "mode_collapse", 1,
               lambda r: g(_digits(r, loss="bce_nonsaturating", n_d=int(_pick(r, (3, 5))))),
               lambda r, c: dict(lr_g=_lr(r, 4e-5, 1.5e-4), lr_d=1e-3)),
        Recipe(f"digits_{tag}_ns_big_equal", "oscillating", 1,
               lambda r: g(_digits(r, loss="bce_nonsaturating", n_d=1, g=[256, 256], d=[256], batch=(128,),
                                   steps=(2000,))),
               _std_run(2e-4, 5e-4, (1.0,))),
        Recipe(f"digitsfew_{tag}", "d_overfitting", 2,
               lambda r: g(_digits(r, loss="bce_nonsaturating", n_d=int(_pick(r, (2, 3))), target="digitsfew",
                                   n_real=int(_pick(r, (32, 64, 128))), steps=(2000, 3000), d=[256])),
               _std_run(2e-4, 1e-3, (1.0, 2.0, 4.0)), "few real images, D trained long"),
    )


V5_RECIPES: tuple[Recipe, ...] = _g_act_recipes(*split.V5_HELD_OUT_TARGETS, split.V5_HELD_OUT_G_ACT)


def build_v5_specs(runs_per_cell: int = 6) -> list[dict]:
    """Every run spec of the v5 (fourth held-out) sweep."""
    return build_specs_from(V5_RECIPES, "v5", runs_per_cell)


V6_RECIPES: tuple[Recipe, ...] = _g_act_recipes(*split.V6_HELD_OUT_TARGETS, split.V6_HELD_OUT_G_ACT)


def build_v6_specs(runs_per_cell: int = 6) -> list[dict]:
    """Every run spec of the v6 (fifth held-out) sweep."""
    return build_specs_from(V6_RECIPES, "v6", runs_per_cell)


# v7: a sixth held-out corpus (docs/results/heldout_protocol_v7.md), chosen after the round-5
# freeze and before any rule of a sixth tuning round: a new target (``lissajous``, a 3:2
# Lissajous curve) and a new generator activation (SiLU), in the same cells as v5 and v6.
V7_RECIPES: tuple[Recipe, ...] = _g_act_recipes(*split.V7_HELD_OUT_TARGETS, split.V7_HELD_OUT_G_ACT)


def build_v7_specs(runs_per_cell: int = 6) -> list[dict]:
    """Every run spec of the v7 (sixth held-out) sweep."""
    return build_specs_from(V7_RECIPES, "v7", runs_per_cell)


# v8: a seventh held-out corpus (docs/results/heldout_protocol_v8.md), chosen after v7 was
# evaluated and before any rule of a sixth tuning round: a new target (``heart``, a heart
# curve with a cusp) and a new generator activation (ELU), in the same cells as v5 to v7.
V8_RECIPES: tuple[Recipe, ...] = _g_act_recipes(*split.V8_HELD_OUT_TARGETS, split.V8_HELD_OUT_G_ACT)


def build_v8_specs(runs_per_cell: int = 6) -> list[dict]:
    """Every run spec of the v8 (seventh held-out) sweep."""
    return build_specs_from(V8_RECIPES, "v8", runs_per_cell)


# v9: an eighth held-out corpus (docs/results/heldout_protocol_v9.md), chosen after v8 was
# evaluated with the round-6 detectors and before any rule of a seventh tuning round: a new
# target (``astroid``, a closed curve with four cusps) and a new generator activation (GELU), in
# the same cells as v5 to v8.
V9_RECIPES: tuple[Recipe, ...] = _g_act_recipes(*split.V9_HELD_OUT_TARGETS, split.V9_HELD_OUT_G_ACT)


def build_v9_specs(runs_per_cell: int = 6) -> list[dict]:
    """Every run spec of the v9 (eighth held-out) sweep."""
    return build_specs_from(V9_RECIPES, "v9", runs_per_cell)


# v10: a ninth held-out corpus (docs/results/heldout_protocol_v10.md), chosen after v9 was
# evaluated with the round-7 detectors and before any rule of an eighth tuning round: a new
# target (``deltoid``, a closed curve with three cusps) and a new generator activation
# (softplus), in the same cells as v5 to v9.
V10_RECIPES: tuple[Recipe, ...] = _g_act_recipes(*split.V10_HELD_OUT_TARGETS, split.V10_HELD_OUT_G_ACT)


def build_v10_specs(runs_per_cell: int = 6) -> list[dict]:
    """Every run spec of the v10 (ninth held-out) sweep."""
    return build_specs_from(V10_RECIPES, "v10", runs_per_cell)
