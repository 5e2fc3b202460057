"""Which tag holds which quantity: tag -> role inference, with explicit overrides.

Role ids are stable (users put them in CI configs):

=============== ====================================================================
role            quantity
=============== ====================================================================
d_loss          discriminator (critic) loss, total over real and fake
d_loss_real     discriminator loss on real samples
d_loss_fake     discriminator loss on generated samples
g_loss          generator loss (the adversarial part when the log splits it, e.g. G_GAN)
d_x             D(x): mean discriminator output on real samples, a probability
d_gz            D(G(z)): mean discriminator output on generated samples, a probability
g_grad_norm     norm of the generator's gradient
d_grad_norm     norm of the discriminator's gradient
lr_d, lr_g      learning rates
fid, is         sample-quality metrics when logged
=============== ====================================================================

Matching is case- and separator-insensitive: a tag is lower-cased, every run of characters
other than letters, digits and parentheses becomes ``_``, common prefixes (``train_``,
``metrics_``...) are stripped, and the result is looked up in :data:`ALIASES`. Lightning's
``_step`` suffix is preferred to ``_epoch``. When several tags match one role the most
specific match wins, then the longest series; the choice is written into ``notes``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

import numpy as np

from .errors import RoleError, UsageError

__all__ = ["ROLES", "ALIASES", "RoleMap", "infer_roles", "normalize_tag", "parse_role_overrides"]

ROLES = ("d_loss", "d_loss_real", "d_loss_fake", "g_loss", "d_x", "d_gz",
         "g_grad_norm", "d_grad_norm", "lr_d", "lr_g", "fid", "is")

# Normalised aliases per role, most specific first. ``d_real``/``d_fake`` are ambiguous
# (a loss part or a probability): see _resolve_real_fake.
ALIASES: dict[str, tuple[str, ...]] = {
    "d_loss": (
        "d_loss", "loss_d", "lossd", "dloss", "errd", "err_d", "d_total_loss", "d_loss_total",
        "loss_d_total", "loss_d_loss", "disc_loss", "loss_disc", "discriminator_loss",
        "loss_discriminator", "discriminator_total_loss", "critic_loss", "loss_critic",
        "c_loss", "loss_c", "d_cost", "disc_cost", "critic_cost", "discriminator", "critic",
        "d", "d_a", "loss_d_a",
    ),
    "d_loss_real": (
        "d_loss_real", "loss_d_real", "d_real_loss", "errd_real", "err_d_real", "loss_real",
        "real_loss", "d_loss_r", "disc_real_loss", "d_real",
    ),
    "d_loss_fake": (
        "d_loss_fake", "loss_d_fake", "d_fake_loss", "errd_fake", "err_d_fake", "loss_fake",
        "fake_loss", "d_loss_f", "disc_fake_loss", "d_fake",
    ),
    "g_loss": (
        "g_loss", "loss_g", "lossg", "gloss", "errg", "err_g", "g_gan", "loss_g_gan", "g_adv",
        "g_loss_adv", "loss_g_loss", "gen_loss", "loss_gen", "generator_loss",
        "loss_generator", "g_cost", "gen_cost", "generator", "g", "g_a", "loss_g_a",
    ),
    "d_x": ("d(x)", "d_x", "dx", "d_x_mean", "d_real_prob", "p_real", "d_out_real"),
    "d_gz": ("d(g(z))", "d(g(z))_1", "d_g_z", "d_gz", "dgz", "d_g_z1", "d_g_z_1", "d_fake_prob",
             "p_fake", "d_out_fake"),
    "g_grad_norm": ("g_grad_norm", "grad_norm_g", "gradnorm_g", "g_gradnorm", "g_grad",
                    "grad_g", "grad_norm_generator", "generator_grad_norm", "g_gradient_norm",
                    "gradient_norm_g", "norm_grad_g"),
    "d_grad_norm": ("d_grad_norm", "grad_norm_d", "gradnorm_d", "d_gradnorm", "d_grad",
                    "grad_d", "grad_norm_discriminator", "discriminator_grad_norm",
                    "d_gradient_norm", "gradient_norm_d", "norm_grad_d", "critic_grad_norm"),
    "lr_d": ("lr_d", "d_lr", "lr_disc", "lr_discriminator", "learning_rate_d", "lr_critic",
             "d_learning_rate", "lr_optimizer_d"),
    "lr_g": ("lr_g", "g_lr", "lr_gen", "lr_generator", "learning_rate_g", "g_learning_rate",
             "lr_optimizer_g"),
    "fid": ("fid", "fid50k", "fid50k_full", "fid_score", "fid10k", "fid5k"),
    "is": ("is", "inception_score", "is50k", "is_mean"),
}

_PREFIXES = ("train_", "training_", "trainer_", "metrics_", "metric_", "scalars_", "losses_",
             "gan_", "fit_", "epoch_", "batch_", "step_")
_SUFFIXES = (("", 3), ("_step", 2), ("_mean", 2), ("_epoch", 1))
_SEP = re.compile(r"[^a-z0-9()]+")

_LOOKUP: dict[str, tuple[str, int]] = {}
for _role, _names in ALIASES.items():
    for _rank, _alias in enumerate(_names):
        _LOOKUP.setdefault(_alias, (_role, _rank))


def normalize_tag(tag: str) -> str:
    """Lower-case ``tag`` and turn every run of separators into ``_`` (``Loss/D`` -> ``loss_d``)."""
    return _SEP.sub("_", tag.lower()).strip("_")


@dataclass(frozen=True)
class RoleMap:
    """Role id -> tag, plus how each was decided.

    ``real_fake_kind`` says whether ``D_real``/``D_fake``-style tags were read as loss parts
    (``"loss"``) or as probabilities (``"probability"``), or ``None`` when there were none.
    """

    tags: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    real_fake_kind: str | None = None

    def get(self, role: str) -> str | None:
        return self.tags.get(role)

    def __contains__(self, role: str) -> bool:
        return role in self.tags

    @property
    def has_losses(self) -> bool:
        """True when both a discriminator and a generator loss were recognised."""
        return ("d_loss" in self.tags or {"d_loss_real", "d_loss_fake"} <= set(self.tags)) \
            and "g_loss" in self.tags


def _unfold_add_scalars(tag: str) -> str | None:
    """``<main>/<key>`` for a tag that ``add_scalars(main, {key: v})`` folded into a
    sub-directory, else None.

    torch writes the points under ``<main with / as _>_<key>/`` with tag ``<main>``;
    tensorboardX under ``<main>/<key>/`` with tag ``<main>``. The run reports them as
    ``<subdir>/<tag>`` (``loss_D/loss``, ``train/loss/D/train/loss``).
    """
    parts = tag.split("/")
    for i in range(1, len(parts)):
        subdir, main = "/".join(parts[:i]), "/".join(parts[i:])
        if subdir.startswith(main + "/") and "/" not in subdir[len(main) + 1:]:
            return f"{main}/{subdir[len(main) + 1:]}"
        flat = main.replace("/", "_") + "_"
        if subdir.startswith(flat) and "/" not in subdir and len(subdir) > len(flat):
            return f"{main}/{subdir[len(flat):]}"
    return None


def _match(tag: str) -> tuple[str, int] | None:
    """(role, score) for one tag; higher score = more specific."""
    unfolded = _unfold_add_scalars(tag)
    base = normalize_tag(unfolded if unfolded is not None else tag)
    candidates = [(base, 0)]
    stripped = base
    changed = True
    while changed:
        changed = False
        for p in _PREFIXES:
            if stripped.startswith(p) and len(stripped) > len(p):
                stripped = stripped[len(p):]
                candidates.append((stripped, 1))
                changed = True
    best: tuple[str, int] | None = None
    for cand, penalty in candidates:
        for suffix, weight in _SUFFIXES:
            if suffix and not cand.endswith(suffix):
                continue
            key = cand[: len(cand) - len(suffix)] if suffix else cand
            hit = _LOOKUP.get(key)
            if hit is None:
                continue
            role, rank = hit
            score = weight * 1000 - penalty * 100 - rank
            if best is None or score > best[1]:
                best = (role, score)
    return best


def infer_roles(
    tags: Iterable[str],
    *,
    overrides: Mapping[str, str] | None = None,
    points: Mapping[str, int] | None = None,
    values: Mapping[str, np.ndarray] | Callable[[str], np.ndarray] | None = None,
) -> RoleMap:
    """Map the run's tags to roles.

    Parameters
    ----------
    tags
        The run's tag names.
    overrides
        role -> tag, stated by the user; these win over inference. A tag the run lacks
        raises :class:`RoleError`; an unknown role raises :class:`UsageError`.
    points
        tag -> number of points, used to break ties (the longer series wins).
    values
        tag -> values (a mapping, or a function called only for the tags that need it), used
        to decide whether ``D_real``/``D_fake`` are losses or probabilities.
    """
    tags = list(tags)
    points = points or {}
    notes: list[str] = []
    chosen: dict[str, tuple[str, int]] = {}
    for tag in tags:
        hit = _match(tag)
        if hit is None:
            continue
        role, score = hit
        prev = chosen.get(role)
        if prev is None or (score, points.get(tag, 0)) > (prev[1], points.get(prev[0], 0)):
            if prev is not None:
                notes.append(f"{role}: chose {tag!r} over {prev[0]!r}")
            chosen[role] = (tag, score)
        else:
            notes.append(f"{role}: chose {prev[0]!r} over {tag!r}")
    result = {role: tag for role, (tag, _) in chosen.items()}
    if values is None:
        values = {}
    get = values if callable(values) else values.get
    kind = _resolve_real_fake(result, get, notes)

    for role, tag in (overrides or {}).items():
        if role not in ROLES:
            raise UsageError(f"unknown role {role!r} in override; roles are: {', '.join(ROLES)}")
        if tag not in tags:
            raise RoleError(f"role override {role}={tag}: the run has no tag {tag!r} "
                            f"(tags: {', '.join(tags[:12])}{' ...' if len(tags) > 12 else ''})")
        for other, t in list(result.items()):
            if t == tag and other != role:
                del result[other]
        result[role] = tag
        notes.append(f"{role}={tag!r} set by the user")
    ordered = {role: result[role] for role in ROLES if role in result}
    return RoleMap(tags=ordered, notes=tuple(notes), real_fake_kind=kind)


def _is_bare_real_fake(tag: str) -> bool:
    return normalize_tag(tag).split("_")[-2:] in (["d", "real"], ["d", "fake"]) and \
        "loss" not in normalize_tag(tag)


def _resolve_real_fake(result: dict[str, str], values: Callable[[str], np.ndarray | None],
                       notes: list[str]) -> str | None:
    """Decide whether bare ``D_real``/``D_fake`` tags are loss parts or probabilities.

    They are read as probabilities (roles ``d_x``/``d_gz``) only when no D(x)/D(G(z)) tag
    exists, every value lies in [0, 1], and the real side sits clearly above the fake side
    (median gap > 0.1), which is what a discriminator's outputs look like and what its loss
    parts do not (the loss on real samples falls as D(x) rises). Otherwise they are loss parts.
    """
    real, fake = result.get("d_loss_real"), result.get("d_loss_fake")
    if real is None and fake is None:
        return None
    bare = [t for t in (real, fake) if t is not None and _is_bare_real_fake(t)]
    if not bare:
        return "loss"
    r_raw = f_raw = None
    if real and fake and "d_x" not in result and "d_gz" not in result:
        r_raw, f_raw = values(real), values(fake)
    if r_raw is not None and f_raw is not None:
        r, f = np.asarray(r_raw, float), np.asarray(f_raw, float)
        r, f = r[np.isfinite(r)], f[np.isfinite(f)]
        in_unit = len(r) and len(f) and r.min() >= 0 and r.max() <= 1 and f.min() >= 0 \
            and f.max() <= 1
        if in_unit and np.median(r) - np.median(f) > 0.1:
            result["d_x"], result["d_gz"] = result.pop("d_loss_real"), result.pop("d_loss_fake")
            notes.append(f"{real!r}/{fake!r} read as D(x)/D(G(z)) probabilities: all values in "
                         "[0, 1] and the real side sits above the fake side")
            return "probability"
    notes.append(f"{', '.join(repr(t) for t in bare)} read as discriminator loss parts "
                 "(values outside [0, 1], or real not above fake)")
    return "loss"


def parse_role_overrides(items: Iterable[str]) -> dict[str, str]:
    """Parse ``role=tag`` strings (the CLI's ``--role``); the tag may contain ``=``."""
    out: dict[str, str] = {}
    for item in items:
        role, sep, tag = item.partition("=")
        role = role.strip()
        if not sep or not role or not tag:
            raise UsageError(f"--role expects ROLE=TAG (e.g. d_loss=Loss/D), got {item!r}")
        if role not in ROLES:
            raise UsageError(f"--role: unknown role {role!r}; roles are: {', '.join(ROLES)}")
        out[role] = tag
    return out
