"""Reference GAN trainer: labelled GAN training runs with measured ground truth.

This package trains many small GANs at once (stacked weights, batched matmuls) on
targets where the truth can be measured exactly -- 2-D mixtures of Gaussians, the
Dirac-GAN of Mescheder et al. (2018), and scikit-learn's 8x8 digits -- writes their
logs through real writers (TensorBoard ``SummaryWriter``, CSV), and labels every run
from measured facts (mode coverage, sample quality, raw generator gradient norm,
periodic motion of a fixed-noise probe, non-finite values), never from the
configuration meant to cause a behaviour.

It is independent of :mod:`ganlogs` and is the only part of the repository that
imports torch.

Command line::

    python -m reference_trainer sweep --out DIR --size small|full [--device cpu|cuda] [--resume]

See ``docs/reference_trainer.md`` for definitions, scenarios and references.
"""

from __future__ import annotations

__all__ = ["LABELS", "LOSS_FAMILIES", "ROLES", "__version__"]

__version__ = "0.1.0"

#: Label ids, exactly as ganlogs uses them.
LABELS = ("converged", "oscillating", "mode_collapse", "vanishing_gradients", "diverged", "d_overfitting")

#: Loss families written into ``ground_truth.json`` ``log.loss_family``.
LOSS_FAMILIES = ("bce_minimax", "bce_nonsaturating", "lsgan", "hinge", "wgan_clip", "wgan_gp")

#: Canonical role ids of logged series.
ROLES = ("d_loss", "d_loss_real", "d_loss_fake", "g_loss", "d_x", "d_gz", "g_grad_norm", "d_grad_norm", "d_sign_real",
         "lr_g", "lr_d")
