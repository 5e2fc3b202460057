"""Targets whose truth can be measured exactly.

* ``ring8`` -- 8 Gaussians on a circle of radius 2, standard deviation 0.05.
* ``grid25`` -- 25 Gaussians on a 5x5 grid with spacing 2 (centres -4..4), std 0.05.
* ``digits`` -- scikit-learn's 8x8 digits (1,797 images), pixels scaled to [-1, 1].
* ``dirac`` -- the Dirac-GAN of Mescheder et al. (2018): the data is a point mass at
  the origin, the generator is a point ``theta`` and the discriminator is linear,
  ``D(x) = psi . x``.

Every target samples with an explicit :class:`torch.Generator`, so one run's data
stream does not depend on the other runs trained beside it.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["MixtureTarget", "DigitsTarget", "DiracTarget", "get_target"]


@dataclass(frozen=True)
class MixtureTarget:
    """An equal-weight 2-D mixture of isotropic Gaussians.

    Parameters
    ----------
    name : str
        Target id (``ring8`` or ``grid25``).
    centers : numpy.ndarray
        Mode centres, shape ``(K, 2)``.
    std : float
        Standard deviation of every mode (same along both axes).
    """

    name: str
    centers: np.ndarray
    std: float

    kind = "mixture"
    dim = 2

    @property
    def n_modes(self) -> int:
        return int(self.centers.shape[0])

    @property
    def hq_radius(self) -> float:
        """A sample is high quality within three standard deviations of a mode."""
        return 3.0 * self.std

    @property
    def scale(self) -> float:
        """Root-mean-square norm of a data sample (the target's length scale)."""
        return float(math.sqrt(float((self.centers**2).sum(1).mean()) + 2 * self.std**2))

    def sample(self, n: int, generator: torch.Generator, device: torch.device | str = "cpu") -> torch.Tensor:
        """Draw ``n`` samples, shape ``(n, 2)``."""
        c = torch.as_tensor(self.centers, dtype=torch.float32)
        idx = torch.randint(self.n_modes, (n,), generator=generator)
        x = c[idx] + self.std * torch.randn(n, 2, generator=generator)
        return x.to(device)


class DigitsTarget:
    """scikit-learn's 8x8 digits, pixels ``x / 8 - 1`` in [-1, 1], 64-D.

    The k-nearest-neighbour radii (k = 3, excluding the sample itself) of the real
    samples define the improved-precision balls of Kynkaenniemi et al. (2019).
    """

    kind = "digits"
    name = "digits"
    dim = 64
    n_modes = 10
    knn_k = 3

    def __init__(self) -> None:
        from sklearn.datasets import load_digits

        d = load_digits()
        self.x = torch.as_tensor(d.data / 8.0 - 1.0, dtype=torch.float32)
        self.y = torch.as_tensor(d.target, dtype=torch.long)
        dist = torch.cdist(self.x.double(), self.x.double())
        # column 0 of the sorted row is the sample itself (distance 0)
        self.radii = dist.sort(dim=1).values[:, self.knn_k].float()
        self.scale = float(self.x.pow(2).sum(1).mean().sqrt())

    def sample(self, n: int, generator: torch.Generator, device: torch.device | str = "cpu") -> torch.Tensor:
        idx = torch.randint(self.x.shape[0], (n,), generator=generator)
        return self.x[idx].to(device)


@dataclass(frozen=True)
class DiracTarget:
    """Point mass at the origin of ``R^dim`` (Dirac-GAN, Mescheder et al. 2018)."""

    dim: int = 1
    kind = "dirac"
    n_modes = 1

    @property
    def name(self) -> str:
        return "dirac" if self.dim == 1 else f"dirac{self.dim}d"

    #: the generator has reached the data when ``|theta| <= tol`` (initial |theta| ~ 1)
    tol = 0.05
    scale = 1.0

    def sample(self, n: int, generator: torch.Generator, device: torch.device | str = "cpu") -> torch.Tensor:
        return torch.zeros(n, self.dim, device=device)


def _ring8() -> MixtureTarget:
    a = np.arange(8) * 2 * np.pi / 8
    return MixtureTarget("ring8", np.stack([2 * np.cos(a), 2 * np.sin(a)], 1), 0.05)


def _grid25() -> MixtureTarget:
    g = np.arange(-4.0, 4.1, 2.0)
    cx, cy = np.meshgrid(g, g)
    return MixtureTarget("grid25", np.stack([cx.ravel(), cy.ravel()], 1), 0.05)


@functools.lru_cache(maxsize=None)
def get_target(name: str, dim: int = 1):
    """Return the target called ``name`` (``ring8``, ``grid25``, ``digits``, ``dirac``)."""
    if name == "ring8":
        return _ring8()
    if name == "grid25":
        return _grid25()
    if name == "digits":
        return DigitsTarget()
    if name == "dirac":
        return DiracTarget(dim=dim)
    raise ValueError(f"target must be one of 'ring8', 'grid25', 'digits', 'dirac'; got {name!r}")
