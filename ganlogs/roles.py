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
kid             kernel inception distance; ``precision``, ``recall``: improved P/R
d_sign_real     E[sign(D(x_real))], StyleGAN2-ADA's overfitting heuristic r_t
d_sign_fake     E[sign(D(G(z)))]
d_score_real    mean raw D logit on reals; ``d_score_fake`` on fakes
augment_p       adaptive augmentation probability (ADA's p)
r1_penalty      R1 gradient penalty; ``pl_penalty`` path-length penalty
d_reg, g_reg    regularisation losses (StyleGAN's ``Loss/D/reg``, ``Loss/G/reg``)
d_loss_val      D loss on held-out (validation) samples: a D/G-loss alias with a
                ``val``/``valid``/``validation``/``test``/``heldout`` prefix or suffix
d_x_val         D(x) on held-out real samples (same rule)
=============== ====================================================================

Several adversarial pairs (CycleGAN's ``D_A``/``G_A`` and ``D_B``/``G_B``, pix2pix's
``G_GAN``/``D_real``/``D_fake`` and ``G_2_GAN``/``D_2_real``/``D_2_fake``): :attr:`RoleMap.pairs`
maps each pair's name (``A``, ``B``, ``1``, ``2``) to that pair's own :class:`RoleMap`, and the
run's own ``tags`` keep only the roles the pairs share (metrics, learning rates). A tag belongs
to at most one pair, so no series ever mixes two pairs. Per-scale discriminator losses
(``D_real_0``, ``D_real_1``: pix2pixHD-style multi-scale D) are summed into one D: the role
names a composite ``D_real_0+D_real_1`` whose parts are in :attr:`RoleMap.sums`.

Loss terms that are not adversarial (``cycle_A``, ``idt_A``, ``G_L1``, ``G_GAN_Feat``,
``G_VGG``) are listed in :attr:`RoleMap.terms` (tag -> kind): kept and plotted, never read as
GAN losses. The format a log was read with is evidence for its roles
(:func:`code_base_for`): in pix2pix/CycleGAN logs ``D_real``/``D_fake`` are always loss terms.

Matching is case- and separator-insensitive: a tag is lower-cased, every run of characters
other than letters, digits and parentheses becomes ``_``, common prefixes (``train_``,
``metrics_``...) are stripped, and the result is looked up in :data:`ALIASES`. Lightning's
``_step`` suffix is preferred to ``_epoch``. When several tags match one role the most
specific match wins, then the longest series; the choice is written into ``notes``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable, Mapping

import numpy as np

from .errors import RoleError, UsageError

__all__ = ["ROLES", "ALIASES", "CodeBase", "RoleMap", "code_base_for", "d_loss_from_terms",
           "infer_roles", "normalize_tag", "parse_role_overrides"]

ROLES = ("d_loss", "d_loss_real", "d_loss_fake", "g_loss", "d_x", "d_gz",
         "g_grad_norm", "d_grad_norm", "lr_d", "lr_g", "fid", "is", "kid", "precision",
         "recall", "d_sign_real", "d_sign_fake", "d_score_real", "d_score_fake", "augment_p",
         "r1_penalty", "pl_penalty", "d_reg", "g_reg", "d_loss_val", "d_x_val")

#: the roles of one adversarial pair (the rest are shared by the whole run)
PAIR_ROLES = ("d_loss", "d_loss_real", "d_loss_fake", "g_loss", "d_x", "d_gz",
              "g_grad_norm", "d_grad_norm", "lr_d", "lr_g")

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
    "fid": ("fid", "fid50k", "fid50k_full", "fid_score", "fid10k", "fid5k", "fid50k_full_mean"),
    "is": ("is", "inception_score", "is50k", "is_mean", "is50k_mean"),
    "kid": ("kid", "kid50k_full", "kid50k", "kid_score"),
    "precision": ("precision", "pr50k3_full_precision", "pr50k3_precision", "improved_precision"),
    "recall": ("recall", "pr50k3_full_recall", "pr50k3_recall", "improved_recall"),
    "d_sign_real": ("loss_signs_real", "signs_real", "sign_real", "d_sign_real", "r_t", "ada_rt"),
    "d_sign_fake": ("loss_signs_fake", "signs_fake", "sign_fake", "d_sign_fake"),
    "d_score_real": ("loss_scores_real", "scores_real", "logits_real", "d_logits_real"),
    "d_score_fake": ("loss_scores_fake", "scores_fake", "logits_fake", "d_logits_fake"),
    "augment_p": ("progress_augment", "augment", "augment_p", "ada_p", "aug_p"),
    "r1_penalty": ("loss_r1_penalty", "r1_penalty", "r1", "r1_reg", "loss_r1"),
    "pl_penalty": ("loss_pl_penalty", "pl_penalty", "path_length_penalty"),
    "d_reg": ("loss_d_reg", "d_reg"),
    "g_reg": ("loss_g_reg", "g_reg"),
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
class CodeBase:
    """What the code base that wrote a log means by its losses, as far as its format says.

    ``name`` is a stable id (``pytorch_cyclegan``, ``pix2pix``, ``pix2pixhd``, ``stylegan2_ada``,
    ``dcgan_tensorflow``, ``pytorch_dcgan``, ``keras_gan``); ``loss_family`` and
    ``d_loss_reduction`` are what its code computes (``None`` where the format does not tell);
    ``reason`` is one sentence for the run's notes. ``scales``: how many discriminator
    scales each adversarial loss term sums (pix2pixHD's ``num_D``: its equilibrium values
    are that many times the one-scale values); 1 elsewhere.
    """

    name: str
    loss_family: str | None
    d_loss_reduction: str | None
    reason: str
    scales: int = 1


@dataclass(frozen=True)
class RoleMap:
    """Role id -> tag, plus how each was decided.

    ``real_fake_kind`` says whether ``D_real``/``D_fake``-style tags were read as loss parts
    (``"loss"``) or as probabilities (``"probability"``), or ``None`` when there were none.

    ``pairs``: pair name -> the :class:`RoleMap` of that adversarial pair when a run holds
    several (empty for the usual one pair; then ``tags`` holds the pair's roles). ``name`` is a
    pair's display name (``G_A/D_A``). ``terms``: tag -> kind of each non-adversarial loss term
    (``reconstruction``, ``identity``, ``feature_matching``, ``perceptual``). ``sums``:
    composite tag -> the logged tags it sums (multi-scale discriminators). ``code_base``: what
    the log's format says about its losses, or None.
    """

    tags: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    real_fake_kind: str | None = None
    pairs: Mapping[str, "RoleMap"] = field(default_factory=dict)
    name: str | None = None
    terms: Mapping[str, str] = field(default_factory=dict)
    sums: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    code_base: CodeBase | None = None

    def get(self, role: str) -> str | None:
        return self.tags.get(role)

    def __contains__(self, role: str) -> bool:
        return role in self.tags

    @property
    def has_losses(self) -> bool:
        """True when both a discriminator and a generator loss were recognised (in at least
        one pair, for a run with several)."""
        if self.pairs:
            return any(p.has_losses for p in self.pairs.values())
        return ("d_loss" in self.tags or {"d_loss_real", "d_loss_fake"} <= set(self.tags)) \
            and "g_loss" in self.tags

    def pair_items(self) -> list[tuple[str | None, "RoleMap"]]:
        """``[(pair name, roles)]`` for every adversarial pair: ``[(None, self)]`` for a run
        with one pair. A pair's roles include the roles the run shares (metrics...)."""
        if not self.pairs:
            return [(None, self)]
        return [(name, replace(p, tags={**self.tags, **p.tags}, sums={**self.sums, **p.sums},
                               code_base=self.code_base))
                for name, p in self.pairs.items()]

    def to_dict(self) -> dict[str, object]:
        """Plain data: role -> tag, with ``pairs`` (name -> role -> tag), ``terms`` and
        ``sums`` when there are any."""
        out: dict[str, object] = dict(self.tags)
        if self.pairs:
            out["pairs"] = {name: dict(p.tags) for name, p in self.pairs.items()}
        terms = dict(self.terms)
        for p in self.pairs.values():
            terms.update(p.terms)
        if terms:
            out["terms"] = terms
        sums = {**self.sums, **{k: v for p in self.pairs.values() for k, v in p.sums.items()}}
        if sums:
            out["sums"] = {k: list(v) for k, v in sums.items()}
        return out


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


_HELD_OUT = re.compile(r"(?:(?:val|valid|validation|test|heldout|held_out)_(?P<a>.+)"
                       r"|(?P<b>.+?)_(?:val|valid|validation|test|heldout|held_out))")
#: roles measured on held-out samples, from the role of the same name on training samples
_HELD_OUT_ROLES = {"d_loss": "d_loss_val", "d_x": "d_x_val"}


def _match(tag: str) -> tuple[str, int] | None:
    """(role, score) for one tag; higher score = more specific. A D loss or D(x) name with
    a held-out marker (``val/D_A``, ``D(x)_val``) gets the held-out role; other roles with
    such a marker get none (a validation G loss is not the training G loss)."""
    unfolded = _unfold_add_scalars(tag)
    base = normalize_tag(unfolded if unfolded is not None else tag)
    held = _HELD_OUT.fullmatch(base)
    if held is not None:
        hit = _match_normalized(held.group("a") or held.group("b"))
        if hit is None or hit[0] not in _HELD_OUT_ROLES:
            return None
        return _HELD_OUT_ROLES[hit[0]], hit[1]
    return _match_normalized(base)


def _match_normalized(base: str) -> tuple[str, int] | None:
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
    format: str | None = None,
    hparams: Mapping[str, object] | None = None,
) -> RoleMap:
    """Map the run's tags to roles, per adversarial pair when there are several.

    Parameters
    ----------
    tags
        The run's tag names.
    overrides
        role -> tag, stated by the user; these win over inference. A tag the run lacks
        raises :class:`RoleError`; an unknown role raises :class:`UsageError`. Stated roles
        make the run one pair (the user has chosen it).
    points
        tag -> number of points, used to break ties (the longer series wins).
    values
        tag -> values (a mapping, or a function called only for the tags that need it), used
        to decide whether ``D_real``/``D_fake`` are losses or probabilities.
    format, hparams
        The format id the log was read with and its hyperparameters: evidence for what the
        code base means (:func:`code_base_for`).
    """
    tags = list(tags)
    points = points or {}
    if values is None:
        values = {}
    get = values if callable(values) else values.get
    notes: list[str] = []
    code_base = code_base_for(format, tags, hparams)
    if code_base is not None:
        notes.append(code_base.reason)
    real_fake = "loss" if code_base is not None and code_base.name in _LOSS_TERM_CODE_BASES \
        else None
    terms = {t: kind for t in tags if (kind := _term_kind(t)) is not None}
    sums, sum_notes = _multi_scale(tags)
    notes += sum_notes
    logged = get
    get = lambda tag: None if tag in sums else logged(tag)  # noqa: E731 - composites: no values
    in_sum = {t for parts in sums.values() for t in parts}
    # the names matched against the aliases: a composite is matched by its parts' base name
    match_names = {t: t for t in tags if t not in in_sum and t not in terms}
    for composite, parts in sums.items():
        match_names[composite] = _SCALE.fullmatch(parts[0]).group("base")  # type: ignore

    groups = None if overrides else _split_pairs(match_names)
    if groups is not None and len(groups) >= 2:
        pairs: dict[str, RoleMap] = {}
        in_pair = {t for g in groups.values() for t in g}
        for name, members in groups.items():
            pnotes: list[str] = []
            result, kind = _infer_one(members, points, get, pnotes, real_fake)
            _derive_d_loss(result, sums, pnotes)
            pair_terms = {t: k for t, k in terms.items() if _term_pair(t) == name}
            pairs[name] = RoleMap(
                tags={r: result[r] for r in ROLES if r in result}, notes=tuple(pnotes),
                real_fake_kind=kind, name=_pair_display(result), terms=pair_terms,
                sums=_used_sums(result.values(), sums))
            notes += [f"pair {name}: {n}" for n in pnotes]
        shared_names = {t: m for t, m in match_names.items() if t not in in_pair}
        shared, _ = _infer_one(shared_names, points, get, [], real_fake)
        shared = {r: t for r, t in shared.items() if r not in _ADVERSARIAL}
        notes.insert(0, f"{len(pairs)} adversarial pairs, analysed apart: " + "; ".join(
            f"{name} = {p.name}" for name, p in pairs.items()))
        pair_terms_all = {t for p in pairs.values() for t in p.terms}
        return RoleMap(tags={r: shared[r] for r in ROLES if r in shared}, notes=tuple(notes),
                       real_fake_kind=next((p.real_fake_kind for p in pairs.values()
                                            if p.real_fake_kind), None),
                       pairs=pairs,
                       terms={t: k for t, k in terms.items() if t not in pair_terms_all},
                       code_base=code_base)
    if groups is not None and len(groups) == 1 and _unpaired(match_names, groups):
        notes.append("several discriminator or generator losses whose pairs cannot be told "
                     "apart (" + ", ".join(_unpaired(match_names, groups)) + "): one pair is "
                     "analysed; name the others with --role")

    result, kind = _infer_one(match_names, points, get, notes, real_fake)
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
    _derive_d_loss(result, sums, notes)
    ordered = {role: result[role] for role in ROLES if role in result}
    used_sums = _used_sums(ordered.values(), sums)
    return RoleMap(tags=ordered, notes=tuple(notes), real_fake_kind=kind, terms=terms,
                   sums=used_sums, code_base=code_base)


def _infer_one(match_names: Mapping[str, str], points: Mapping[str, int],
               values: Callable[[str], np.ndarray | None], notes: list[str],
               real_fake: str | None) -> tuple[dict[str, str], str | None]:
    """Roles of one pair: tag -> the name matched for it; returns role -> tag and how bare
    ``D_real``/``D_fake`` were read (``real_fake`` = ``"loss"`` states it)."""
    chosen: dict[str, tuple[str, int]] = {}
    for tag, name in match_names.items():
        hit = _match(name)
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
    if real_fake == "loss":
        parts = [result[r] for r in ("d_loss_real", "d_loss_fake") if r in result]
        if parts:
            notes.append(f"{', '.join(repr(t) for t in parts)} read as discriminator loss terms "
                         "(this code base logs loss terms, never D(x)/D(G(z)) probabilities)")
            return result, "loss"
        return result, None
    bare = {t: match_names[t] for t in match_names}
    kind = _resolve_real_fake(result, values, notes, bare)
    return result, kind


def _used_sums(tags: Iterable[str], sums: Mapping[str, tuple[str, ...]]
               ) -> dict[str, tuple[str, ...]]:
    """The composites among ``tags``, with the composites they are made of."""
    out: dict[str, tuple[str, ...]] = {}
    todo = [t for t in tags if t in sums]
    while todo:
        c = todo.pop()
        if c not in out:
            out[c] = sums[c]
            todo += [p for p in sums[c] if p in sums]
    return out


def d_loss_from_terms(tags: Mapping[str, str]) -> tuple[str, tuple[str, str]] | None:
    """The D loss of a pair that logs it only as real and fake terms (pix2pix's D_real,
    D_fake): ``(composite name, (real tag, fake tag))`` from role id -> tag, else None (a D
    loss is logged, or a term is missing). The composite is read as the sum of its parts at
    the steps both have (:meth:`ganlogs.run.Run.with_sums`), a summed D loss whatever the
    code base's own reduction. Logged runs (:func:`infer_roles`) and plain data
    (:meth:`ganlogs.detectors.RunContext.build`) both derive it here."""
    if "d_loss" in tags or "d_loss_real" not in tags or "d_loss_fake" not in tags:
        return None
    real, fake = tags["d_loss_real"], tags["d_loss_fake"]
    return f"{real}+{fake}", (real, fake)


def _derive_d_loss(result: dict[str, str], sums: dict[str, tuple[str, ...]],
                   notes: list[str]) -> None:
    """A pair that logs its D loss only as real and fake terms gets ``d_loss`` = their sum,
    a composite (:attr:`RoleMap.sums`), so that D's level can be judged
    (:func:`d_loss_from_terms`)."""
    found = d_loss_from_terms(result)
    if found is None:
        return
    composite, (real, fake) = found
    sums[composite] = (real, fake)
    result["d_loss"] = composite
    notes.append(f"d_loss = {real} + {fake} (summed; the log has no total D loss)")


# ----------------------------------------------------------------------------- pairs
# "D_A", "G_B", "G_2_GAN", "D_2_real": a network letter, a pair token (one capital letter or
# digits), then optionally the rest of the base name
_PAIR_TAG = re.compile(r"(?P<net>[DG])_(?P<pair>[A-Z]|\d+)(?:_(?P<rest>\w+))?")
# "cycle_A", "idt_B", "rec_A": a term of pair A
_TERM_TAG = re.compile(r"(?P<term>[A-Za-z][A-Za-z0-9]*)_(?P<pair>[A-Z]|\d+)")
# "val/D_A": pair A's D loss on validation samples
_HELD_OUT_PREFIX = re.compile(r"(?P<pre>(?:val|valid|validation|test)[/_])(?P<core>.+)")
_ADVERSARIAL = ("d_loss", "d_loss_real", "d_loss_fake", "g_loss", "d_x", "d_gz")
_D_SIDE = ("d_loss", "d_loss_real", "d_loss_fake", "d_x")
#: the name of the pair whose tags carry no pair token (pix2pix's first G/D)
FIRST_PAIR = "1"


def _split_pairs(match_names: Mapping[str, str]) -> dict[str, dict[str, str]] | None:
    """pair name -> {tag: base name} for every group of tags that holds both a D and a G
    role; None when no tag carries a pair token."""
    groups: dict[str, dict[str, str]] = {}
    rest: dict[str, str] = {}
    for tag, name in match_names.items():
        vm = _HELD_OUT_PREFIX.fullmatch(tag)
        pre, core = (vm.group("pre"), vm.group("core")) if vm else ("", tag)
        m = _PAIR_TAG.fullmatch(core) if name == tag else None
        if m is not None:
            base = pre + m.group("net") + ("_" + m.group("rest") if m.group("rest") else "")
            groups.setdefault(m.group("pair"), {})[tag] = base
        else:
            rest[tag] = name
    if not groups:
        return None
    first = {t: n for t, n in rest.items() if (hit := _match(n)) and hit[0] in _ADVERSARIAL}
    if first and FIRST_PAIR not in groups:
        groups = {FIRST_PAIR: first, **groups}
    complete = {}
    for name, members in groups.items():
        roles = {hit[0] for n in members.values() if (hit := _match(n))}
        if roles & set(_D_SIDE) and "g_loss" in roles:
            complete[name] = members
    return complete


def _unpaired(match_names: Mapping[str, str], groups: Mapping[str, Mapping[str, str]]) -> list[str]:
    """Tags with a pair token that belong to no complete pair."""
    paired = {t for g in groups.values() for t in g}
    return [t for t, n in match_names.items() if t not in paired and t == n
            and _PAIR_TAG.fullmatch(t) and _match(t.split("_")[0])]


def _pair_display(result: Mapping[str, str]) -> str:
    """``G_A/D_A``; ``G_GAN/D_real+D_fake`` when D is logged as its two terms."""
    g = result.get("g_loss", "?")
    if "d_loss" in result:
        d = result["d_loss"]
    else:
        d = "+".join(result[r] for r in ("d_loss_real", "d_loss_fake") if r in result) or "?"
    return f"{g}/{d}"


def _term_pair(tag: str) -> str | None:
    m = _TERM_TAG.fullmatch(tag)
    if m is not None:
        return m.group("pair")
    m = _PAIR_TAG.fullmatch(tag)
    return m.group("pair") if m is not None else FIRST_PAIR


# ----------------------------------------------------------------------------- loss terms
_TERM_KINDS = (
    (re.compile(r"(?:G_)?(?:\d+_)?(?:GAN_)?Feat(?:_\w+)?|.*feat(?:ure)?_match.*", re.I),
     "feature_matching"),
    (re.compile(r"(?:G_)?(?:\d+_)?(?:VGG|perc\w*|lpips)(?:_\w+)?", re.I), "perceptual"),
    (re.compile(r"idt(?:_\w+)?|identity(?:_\w+)?", re.I), "identity"),
    (re.compile(r"cycle(?:_\w+)?|cyc(?:_\w+)?|rec(?:on)?(?:_\w+)?|(?:G_)?(?:\d+_)?L[12](?:_\w+)?",
                re.I), "reconstruction"),
)


def _term_kind(tag: str) -> str | None:
    """The kind of a non-adversarial loss term named as pix2pix/CycleGAN/pix2pixHD name
    them (``cycle_A``, ``idt_B``, ``G_L1``, ``G_2_L1``, ``G_GAN_Feat``, ``G_VGG``), or None."""
    for pattern, kind in _TERM_KINDS:
        if pattern.fullmatch(tag):
            return kind
    return None


# ----------------------------------------------------------------------------- scales
# per-scale discriminator losses: "D_real_0", "D_fake_1", "D_0"... (no G with that index)
_SCALE = re.compile(r"(?P<base>D(?:_real|_fake)?|loss_D(?:_real|_fake)?)_(?P<scale>\d+)")


def _multi_scale(tags: list[str]) -> tuple[dict[str, tuple[str, ...]], list[str]]:
    """Composite tag -> per-scale parts for discriminator losses logged once per scale
    (pix2pixHD-style multi-scale D), summed into one D; with a note each."""
    by_base: dict[str, list[str]] = {}
    g_indices = {m.group("pair") for t in tags if (m := _PAIR_TAG.fullmatch(t))
                 and m.group("net") == "G"}
    for tag in tags:
        m = _SCALE.fullmatch(tag)
        if m is not None and m.group("scale") not in g_indices:
            by_base.setdefault(m.group("base"), []).append(tag)
    sums: dict[str, tuple[str, ...]] = {}
    notes = []
    for base, parts in by_base.items():
        if len(parts) >= 2:
            composite = "+".join(parts)
            sums[composite] = tuple(parts)
            notes.append(f"{len(parts)} per-scale discriminator losses ({', '.join(parts)}) "
                         f"summed into one D ({base}), as multi-scale discriminators are trained")
    return sums, notes


# ----------------------------------------------------------------------------- code bases
_LOSS_TERM_CODE_BASES = ("pytorch_cyclegan", "pix2pix", "pix2pixhd")


def code_base_for(format: str | None, tags: Iterable[str],
                  hparams: Mapping[str, object] | None = None) -> CodeBase | None:
    """What the code base that writes ``format`` computes (family, D-loss reduction).

    * ``text_cyclegan`` (pytorch-CycleGAN-and-pix2pix ``loss_log.txt``): CycleGAN when
      ``cycle_*``/``D_A`` tags are logged (``gan_mode`` lsgan by default; D_A = 0.5 x (MSE
      real + MSE fake): averaged, equilibrium 0.25), pix2pixHD when ``G_GAN_Feat``/``G_VGG``
      are (LSGAN unless ``no_lsgan``; D_real/D_fake summed over the ``num_D`` scales), else
      pix2pix (``gan_mode`` vanilla BCE by default). ``gan_mode`` in ``train_opt.txt`` wins.
    * ``stylegan_stats``/``stylegan_run``: non-saturating logistic loss (softplus), and
      ``Loss/D/loss`` = softplus(D(G(z))) + softplus(-D(x)): summed (equilibrium 2 ln 2).
    * ``text_dcgan_tf`` (carpedm20/DCGAN-tensorflow) and ``text_dcgan`` (pytorch/examples):
      BCE, d_loss = real + fake (summed).
    * ``text_keras_gan``: D loss = 0.5 x (real + fake) (averaged); family from the values.
    """
    if format is None:
        return None
    tags = list(tags)
    hp = {str(k): str(v).strip() for k, v in (hparams or {}).items()}
    mode = {"lsgan": "lsgan", "vanilla": "bce_nonsaturating", "wgangp": "wgan_gp"}.get(
        hp.get("gan_mode", ""))
    if format == "text_cyclegan":
        mode_source = (", gan_mode from the options file)" if mode else
                       ", the code base's default gan_mode)")
        if any(t.startswith(("cycle_", "idt_")) or t in ("D_A", "D_B") for t in tags):
            fam = mode or "lsgan"
            return CodeBase("pytorch_cyclegan", fam, "mean",
                            f"read as pytorch-CycleGAN-and-pix2pix CycleGAN: loss terms, D_A/D_B "
                            f"= 0.5 x (real + fake) ({fam}" + mode_source)
        if any(_term_kind(t) in ("feature_matching", "perceptual") for t in tags):
            lsgan = hp.get("no_lsgan", "False") not in ("True", "true", "1")
            fam = "lsgan" if lsgan else "bce_nonsaturating"
            per_scale = _multi_scale(tags)[0]
            if per_scale:
                scales = max(len(parts) for parts in per_scale.values())
                how = f"{scales} per-scale losses logged, summed here as the code sums them"
            else:
                try:
                    scales = max(int(hp.get("num_D", "2")), 1)
                except ValueError:
                    scales = 2
                how = (f"num_D = {scales}" + ("" if "num_D" in hp else ", the default")
                       + ", summed by the code")
            return CodeBase("pix2pixhd", fam, None,
                            f"read as pix2pixHD: loss terms; G_GAN, D_real and D_fake are sums "
                            f"over the discriminator scales ({how}; {fam}, equilibrium values "
                            f"x {scales})", scales)
        fam = mode or "bce_nonsaturating"
        return CodeBase("pix2pix", fam, "mean",
                        f"read as pytorch-CycleGAN-and-pix2pix pix2pix: G_GAN, D_real, D_fake "
                        f"and G_L1 are loss terms ({fam}" + mode_source)
    if format in ("stylegan_stats", "stylegan_run"):
        return CodeBase("stylegan2_ada", "bce_nonsaturating", "summed",
                        "read as StyleGAN2-ADA/StyleGAN3: non-saturating logistic loss, Loss/D/loss "
                        "= softplus(D(G(z))) + softplus(-D(x)) (summed: equilibrium 2 ln 2)")
    if format == "text_dcgan_tf":
        return CodeBase("dcgan_tensorflow", "bce_nonsaturating", "summed",
                        "read as carpedm20/DCGAN-tensorflow: BCE, d_loss = d_loss_real + "
                        "d_loss_fake (summed: equilibrium 2 ln 2)")
    if format == "text_dcgan":
        return CodeBase("pytorch_dcgan", "bce_nonsaturating", "summed",
                        "read as pytorch/examples DCGAN: BCE, errD = errD_real + errD_fake "
                        "(summed: equilibrium 2 ln 2)")
    if format == "text_keras_gan":
        return CodeBase("keras_gan", None, "mean",
                        "read as eriklindernoren/Keras-GAN: d_loss = 0.5 x (real + fake) "
                        "(averaged)")
    return None


def _is_bare_real_fake(tag: str) -> bool:
    return normalize_tag(tag).split("_")[-2:] in (["d", "real"], ["d", "fake"]) and \
        "loss" not in normalize_tag(tag)


def _resolve_real_fake(result: dict[str, str], values: Callable[[str], np.ndarray | None],
                       notes: list[str], names: Mapping[str, str] | None = None) -> str | None:
    """Decide whether bare ``D_real``/``D_fake`` tags are loss parts or probabilities.

    They are read as probabilities (roles ``d_x``/``d_gz``) only when no D(x)/D(G(z)) tag
    exists, every value lies in [0, 1], and the real side sits clearly above the fake side
    (median gap > 0.1), which is what a discriminator's outputs look like and what its loss
    parts do not (the loss on real samples falls as D(x) rises). Otherwise they are loss parts.
    """
    real, fake = result.get("d_loss_real"), result.get("d_loss_fake")
    if real is None and fake is None:
        return None
    names = names or {}
    bare = [t for t in (real, fake) if t is not None and _is_bare_real_fake(names.get(t, t))]
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
