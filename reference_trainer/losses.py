"""GAN loss families on raw discriminator scores.

``s_real`` and ``s_fake`` have shape ``(R, B, 1)`` (raw scores: logits for the BCE
families, critic values for WGAN). Every function returns per-run values, shape
``(R,)``, averaged over the batch.

=====================  ===========================================  =======================
family                 discriminator parts (real, fake)             generator
=====================  ===========================================  =======================
``bce_minimax``        softplus(-s_r), softplus(s_f)                -softplus(s_f) = log(1-D(G(z)))
``bce_nonsaturating``  softplus(-s_r), softplus(s_f)                softplus(-s_f) = -log D(G(z))
``lsgan``              (s_r-1)^2/2, s_f^2/2                         (s_f-1)^2/2
``hinge``              relu(1-s_r), relu(1+s_f)                     -s_f
``wgan_clip``          -s_r, s_f                                    -s_f
``wgan_gp``            -s_r, s_f (+ gradient penalty)               -s_f
=====================  ===========================================  =======================

The D loss is ``real + fake`` ("summed") or ``(real + fake) / 2`` ("mean"), and the
same reduction is optimised and logged.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["FAMILIES", "d_parts", "g_loss", "d_prob", "separation"]

FAMILIES = ("bce_minimax", "bce_nonsaturating", "lsgan", "hinge", "wgan_clip", "wgan_gp")


def d_parts(family: str, s_real: torch.Tensor, s_fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Real and fake parts of the discriminator loss, each ``(R,)``."""
    if family in ("bce_minimax", "bce_nonsaturating"):
        lr, lf = F.softplus(-s_real), F.softplus(s_fake)
    elif family == "lsgan":
        lr, lf = 0.5 * (s_real - 1) ** 2, 0.5 * s_fake**2
    elif family == "hinge":
        lr, lf = F.relu(1 - s_real), F.relu(1 + s_fake)
    elif family in ("wgan_clip", "wgan_gp"):
        lr, lf = -s_real, s_fake
    else:
        raise ValueError(f"family must be one of {FAMILIES}; got {family!r}")
    return lr.mean(dim=(1, 2)), lf.mean(dim=(1, 2))


def g_loss(family: str, s_fake: torch.Tensor) -> torch.Tensor:
    """Generator loss per run, ``(R,)``."""
    if family == "bce_minimax":
        v = -F.softplus(s_fake)
    elif family == "bce_nonsaturating":
        v = F.softplus(-s_fake)
    elif family == "lsgan":
        v = 0.5 * (s_fake - 1) ** 2
    elif family in ("hinge", "wgan_clip", "wgan_gp"):
        v = -s_fake
    else:
        raise ValueError(f"family must be one of {FAMILIES}; got {family!r}")
    return v.mean(dim=(1, 2))


def d_prob(family: str, s: torch.Tensor) -> torch.Tensor:
    """The value people log as ``D(x)`` / ``D(G(z))``: sigmoid for BCE, raw score otherwise."""
    if family in ("bce_minimax", "bce_nonsaturating"):
        return torch.sigmoid(s).mean(dim=(1, 2))
    return s.mean(dim=(1, 2))


def separation(family: str, s_real: torch.Tensor, s_fake: torch.Tensor) -> torch.Tensor:
    """Fraction of the batch that D classifies correctly, ``(R,)`` in [0, 1].

    Threshold: logit 0 (BCE, hinge), 0.5 (LSGAN targets 0/1), the midpoint of the mean
    real and fake scores (WGAN critics, whose scores have no fixed origin).
    """
    if family == "lsgan":
        t = torch.full_like(s_real[:, :1, :1], 0.5)
    elif family in ("wgan_clip", "wgan_gp"):
        t = 0.5 * (s_real.mean(dim=(1, 2), keepdim=True) + s_fake.mean(dim=(1, 2), keepdim=True))
    else:
        t = torch.zeros_like(s_real[:, :1, :1])
    ok = torch.cat([(s_real > t).float(), (s_fake < t).float()], dim=1)
    return ok.mean(dim=(1, 2))
