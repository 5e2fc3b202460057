"""Targets whose truth can be measured exactly.

* ``ring8`` -- 8 Gaussians on a circle of radius 2, standard deviation 0.05; ``ringK``
  (K = 6, 10, 12, ...) the same with K modes.
* ``grid25`` -- 25 Gaussians on a 5x5 grid with spacing 2 (centres -4..4), std 0.05;
  ``grid9`` a 3x3 grid (centres -2..2).
* ``gmm`` -- a random Gaussian mixture in 5 to 20 dimensions (:func:`gmm_target`): K random
  centres, std 0.05, HQ radius from the chi distribution (99 % of real samples are HQ).
* ``moons`` / ``swissroll`` -- 2-D curves (:class:`CurveTarget`) with Gaussian noise of std
  0.05; a sample is HQ within 3 std of the curve, its "mode" is the arc-length segment of the
  nearest curve point (8 equal segments).
* ``circles`` / ``spiral`` -- two 2-D curves each (two concentric circles of radius 1 and
  2.2; a two-arm spiral), half of the samples on each, 4 arc-length modes per curve (v3
  held-out targets, docs/results/heldout_protocol_v3.md).
* ``pinwheel`` -- five curved arms (v4 held-out target), a fifth of the samples on each, 2
  arc-length modes per arm (10 modes).
* ``digits`` -- scikit-learn's 8x8 digits (1,797 images), pixels scaled to [-1, 1];
  ``digitsfew`` (config ``n_real``) trains on a fixed subset of ``n_real`` images and keeps
  the others as held-out reals, on which the discriminator's overfitting is measured.
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

__all__ = ["MixtureTarget", "CurveTarget", "DigitsTarget", "DiracTarget", "get_target", "target_of"]


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
    hq_radius_override: float = 0.0

    kind = "mixture"

    @property
    def dim(self) -> int:
        return int(self.centers.shape[1])

    @property
    def n_modes(self) -> int:
        return int(self.centers.shape[0])

    @property
    def hq_radius(self) -> float:
        """A sample is high quality within three standard deviations of a mode (2-D), or
        within the radius that holds 99 % of a mode's samples (more dimensions)."""
        return self.hq_radius_override or 3.0 * self.std

    @property
    def scale(self) -> float:
        """Root-mean-square norm of a data sample (the target's length scale)."""
        return float(math.sqrt(float((self.centers**2).sum(1).mean()) + 2 * self.std**2))

    def sample(self, n: int, generator: torch.Generator, device: torch.device | str = "cpu") -> torch.Tensor:
        """Draw ``n`` samples, shape ``(n, 2)``."""
        c = torch.as_tensor(self.centers, dtype=torch.float32)
        idx = torch.randint(self.n_modes, (n,), generator=generator)
        x = c[idx] + self.std * torch.randn(n, self.dim, generator=generator)
        return x.to(device)


@dataclass(frozen=True)
class CurveTarget:
    """A 2-D curve with Gaussian noise (two moons, swiss roll).

    ``curve`` is a polyline (spacing far below the HQ radius) sampled uniformly in arc
    length; ``segment[i]`` is the mode (equal arc-length segment) of point ``i``. A sample is
    HQ within three noise standard deviations of the nearest curve point and belongs to that
    point's segment.
    """

    name: str
    curve: np.ndarray
    segment: np.ndarray
    std: float
    n_modes: int

    kind = "mixture"
    dim = 2

    @property
    def centers(self) -> np.ndarray:
        return self.curve

    @property
    def hq_radius(self) -> float:
        return 3.0 * self.std

    @property
    def scale(self) -> float:
        return float(math.sqrt(float((self.curve**2).sum(1).mean()) + 2 * self.std**2))

    def sample(self, n: int, generator: torch.Generator, device: torch.device | str = "cpu") -> torch.Tensor:
        c = torch.as_tensor(self.curve, dtype=torch.float32)
        idx = torch.randint(len(self.curve), (n,), generator=generator)
        return (c[idx] + self.std * torch.randn(n, 2, generator=generator)).to(device)


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

    def __init__(self, n_real: int = 0) -> None:
        from sklearn.datasets import load_digits

        d = load_digits()
        self.x = torch.as_tensor(d.data / 8.0 - 1.0, dtype=torch.float32)
        self.y = torch.as_tensor(d.target, dtype=torch.long)
        dist = torch.cdist(self.x.double(), self.x.double())
        # column 0 of the sorted row is the sample itself (distance 0)
        self.radii = dist.sort(dim=1).values[:, self.knn_k].float()
        self.scale = float(self.x.pow(2).sum(1).mean().sqrt())
        #: training subset (indices) for the small-data target; all images when 0
        self.n_real = int(n_real)
        perm = torch.randperm(self.x.shape[0], generator=torch.Generator().manual_seed(1234))
        self.train_idx = perm[: self.n_real] if self.n_real else perm
        #: 500 images never used for training (small-data target only)
        self.heldout_idx = perm[self.n_real: self.n_real + 500] if self.n_real else perm[:0]
        self.name = f"digitsfew{self.n_real}" if self.n_real else "digits"

    def sample(self, n: int, generator: torch.Generator, device: torch.device | str = "cpu") -> torch.Tensor:
        idx = self.train_idx[torch.randint(len(self.train_idx), (n,), generator=generator)]
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


def _ring(k: int) -> MixtureTarget:
    a = np.arange(k) * 2 * np.pi / k
    return MixtureTarget(f"ring{k}", np.stack([2 * np.cos(a), 2 * np.sin(a)], 1), 0.05)


def _grid9() -> MixtureTarget:
    g = np.arange(-2.0, 2.1, 2.0)
    cx, cy = np.meshgrid(g, g)
    return MixtureTarget("grid9", np.stack([cx.ravel(), cy.ravel()], 1), 0.05)


def gmm_target(dim: int, n_modes: int, seed: int) -> MixtureTarget:
    """A random Gaussian mixture: ``n_modes`` centres drawn uniformly in [-2, 2]^dim (seeded),
    redrawn until every pair is at least 1 apart; std 0.05; HQ radius
    ``std * sqrt(chi2_dim quantile 0.99)``."""
    from scipy.stats import chi2

    rng = np.random.default_rng(int(seed))
    while True:
        c = rng.uniform(-2, 2, size=(n_modes, dim))
        d = np.sqrt(((c[:, None] - c[None]) ** 2).sum(-1)) + np.eye(n_modes) * 1e9
        if d.min() >= 1.0:
            break
    std = 0.05
    return MixtureTarget(f"gmm{dim}d{n_modes}m_s{seed}", c, std, float(std * math.sqrt(chi2.ppf(0.99, dim))))


def _curve(name: str, pts: np.ndarray, n_modes: int = 8, n_points: int = 1000) -> CurveTarget:
    """Resample ``pts`` to ``n_points`` equally spaced in arc length (spacing <= 0.02 for our
    curves, so distances to the polyline are within 0.01 of distances to the curve)."""
    seg = np.sqrt((np.diff(pts, axis=0) ** 2).sum(1))
    s = np.concatenate([[0.0], np.cumsum(seg)])
    u = np.linspace(0, s[-1], n_points)
    curve = np.stack([np.interp(u, s, pts[:, 0]), np.interp(u, s, pts[:, 1])], 1)
    return CurveTarget(name, curve, np.minimum((u / s[-1] * n_modes).astype(int), n_modes - 1), 0.05, n_modes)


def _moons() -> CurveTarget:
    """scikit-learn's two moons (unit radius, second moon shifted by (1, -0.5)), scaled x2 and
    centred; the 8 modes are 4 arc segments per moon. Both moons have equal length, so
    uniform arc-length sampling gives each moon half of the samples."""
    t = np.linspace(0, np.pi, 2000)
    a = np.stack([np.cos(t), np.sin(t)], 1)
    b = np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1)[::-1]
    pts = np.concatenate([a, b + [0.0, -1.0]])  # joined by a jump that carries no arc mass
    pts = 2 * (pts - pts.mean(0))
    return _curves("moons", [pts[: len(a)], pts[len(a):]], 4, 500)


def _swissroll() -> CurveTarget:
    """A 2-D swiss roll ``t (cos t, sin t) / 5`` for t in [1.5 pi, 4.5 pi] (radius up to 2.8)."""
    t = np.linspace(1.5 * np.pi, 4.5 * np.pi, 4000)
    return _curve("swissroll", np.stack([t * np.cos(t), t * np.sin(t)], 1) / 5.0, 8)


def _curves(name: str, parts: list[np.ndarray], modes_per_curve: int, n_points: int) -> CurveTarget:
    """Several curves of ``n_points`` each (an equal share of the samples each), with
    ``modes_per_curve`` arc-length modes per curve, numbered curve by curve."""
    cs = [_curve(f"{name}{k}", pts, modes_per_curve, n_points) for k, pts in enumerate(parts)]
    return CurveTarget(name, np.concatenate([c.curve for c in cs]),
                       np.concatenate([c.segment + modes_per_curve * k for k, c in enumerate(cs)]), 0.05,
                       modes_per_curve * len(cs))


def _circles() -> CurveTarget:
    """Two concentric circles of radius 1 and 2.2 (v3 held-out target)."""
    t = np.linspace(0, 2 * np.pi, 2000)
    u = np.stack([np.cos(t), np.sin(t)], 1)
    return _curves("circles", [1.0 * u, 2.2 * u], 4, 500)


def _spiral() -> CurveTarget:
    """A two-arm spiral ``r = 0.35 t`` for t in [0.5 pi, 2.5 pi], the second arm rotated by pi
    (radius up to 2.75; v3 held-out target)."""
    t = np.linspace(0.5 * np.pi, 2.5 * np.pi, 2000)
    a = 0.35 * np.stack([t * np.cos(t), t * np.sin(t)], 1)
    return _curves("spiral", [a, -a], 4, 500)


def _pinwheel() -> CurveTarget:
    """Five arms ``r (cos(a_k + 0.6 r), sin(a_k + 0.6 r))`` for r in [0.5, 2.3], a_k = 2 pi k / 5
    (v4 held-out target); 300 points per arm, 2 arc-length modes per arm."""
    r = np.linspace(0.5, 2.3, 2000)
    arms = [np.stack([r * np.cos(2 * np.pi * k / 5 + 0.6 * r), r * np.sin(2 * np.pi * k / 5 + 0.6 * r)], 1)
            for k in range(5)]
    return _curves("pinwheel", arms, 2, 300)


def _rose() -> CurveTarget:
    """A three-petal rose ``r = 2 cos(3 t)`` for t in [0, pi] (one closed curve through the
    origin, radius up to 2; v5 held-out target); 6 arc-length modes, two per petal."""
    t = np.linspace(0, np.pi, 6000)
    r = 2.0 * np.cos(3 * t)
    return _curve("rose", np.stack([r * np.cos(t), r * np.sin(t)], 1), 6, 1500)


def _star10() -> MixtureTarget:
    """Ten modes on two rings: five at radius 1 (angles 0, 72, ... degrees) and five at radius
    2.2 turned by 36 degrees (v6 held-out target). The closest modes are 1.18 apart (inner
    ring), far beyond the std of 0.05."""
    a = np.arange(5) * 2 * np.pi / 5
    inner = np.stack([np.cos(a), np.sin(a)], 1)
    outer = 2.2 * np.stack([np.cos(a + np.pi / 5), np.sin(a + np.pi / 5)], 1)
    return MixtureTarget("star10", np.concatenate([inner, outer]), 0.05)


def _lissajous() -> CurveTarget:
    """A 3:2 Lissajous figure ``(2 sin(3 t + pi / 2), 2 sin(2 t))`` for t in [0, 2 pi) (one
    closed curve that crosses itself, radius up to 2.8; v7 held-out target); 8 arc-length
    modes."""
    t = np.linspace(0, 2 * np.pi, 8000)
    return _curve("lissajous", np.stack([2.0 * np.sin(3 * t + np.pi / 2), 2.0 * np.sin(2 * t)], 1), 8, 2000)


def _heart() -> CurveTarget:
    """A heart curve ``(16 sin^3 t, 13 cos t - 5 cos 2t - 2 cos 3t - cos 4t) / 8`` for t in
    [0, 2 pi), centred on its mean point (one closed curve with a cusp, 4 wide and 3.6 high;
    v8 held-out target); 8 arc-length modes."""
    t = np.linspace(0, 2 * np.pi, 8000)
    x = 16.0 * np.sin(t) ** 3
    y = 13.0 * np.cos(t) - 5.0 * np.cos(2 * t) - 2.0 * np.cos(3 * t) - np.cos(4 * t)
    pts = np.stack([x, y], 1) / 8.0
    return _curve("heart", pts - pts.mean(0), 8, 2000)


def _astroid() -> CurveTarget:
    """An astroid ``(2 cos^3 t, 2 sin^3 t)`` for t in [0, 2 pi) (one closed curve with four
    cusps, 4 wide; v9 held-out target); 8 arc-length modes."""
    t = np.linspace(0, 2 * np.pi, 8000)
    return _curve("astroid", np.stack([2.0 * np.cos(t) ** 3, 2.0 * np.sin(t) ** 3], 1), 8, 2000)


def _deltoid() -> CurveTarget:
    """A deltoid ``(2 cos t + cos 2t, 2 sin t - sin 2t)`` for t in [0, 2 pi) (a hypocycloid:
    one closed curve with three cusps, about 4.5 wide; v10 held-out target); 8 arc-length
    modes."""
    t = np.linspace(0, 2 * np.pi, 8000)
    return _curve("deltoid", np.stack([2.0 * np.cos(t) + np.cos(2 * t), 2.0 * np.sin(t) - np.sin(2 * t)], 1),
                  8, 2000)


#: targets without parameters, by name
_NAMED_TARGETS = {"grid25": _grid25, "grid9": _grid9, "moons": _moons, "swissroll": _swissroll, "circles": _circles,
                  "spiral": _spiral, "pinwheel": _pinwheel, "rose": _rose, "star10": _star10,
                  "lissajous": _lissajous, "heart": _heart, "astroid": _astroid,
                  "deltoid": _deltoid}


@functools.lru_cache(maxsize=None)
def get_target(name: str, dim: int = 1, n_modes: int = 0, seed: int = 0, n_real: int = 0):
    """Return the target called ``name``.

    ``ringK`` (K >= 3), ``grid9``, ``grid25``, ``moons``, ``swissroll``, ``circles``,
    ``spiral``, ``pinwheel``, ``rose``, ``star10``, ``lissajous``, ``heart``, ``astroid``, ``deltoid``, ``digits``,
    ``digitsfew`` (``n_real`` training images), ``dirac`` (``dim`` 1 to 3) and ``gmm``
    (``dim`` dimensions, ``n_modes`` modes, centres from ``seed``).
    """
    if name.startswith("ring") and name[4:].isdigit() and int(name[4:]) >= 3:
        return _ring(int(name[4:]))
    if name in _NAMED_TARGETS:
        return _NAMED_TARGETS[name]()
    if name == "gmm":
        return gmm_target(dim, n_modes, seed)
    if name == "digits":
        return DigitsTarget()
    if name == "digitsfew":
        return DigitsTarget(n_real=n_real or 100)
    if name == "dirac":
        return DiracTarget(dim=dim)
    raise ValueError("target must be one of 'ringK', 'grid9', 'grid25', 'moons', 'swissroll', 'circles', "
                     "'spiral', 'pinwheel', 'rose', 'gmm', "
                     f"'digits', 'digitsfew', 'dirac'; got {name!r}")


def target_of(config: dict):
    """The target of a run configuration (its ``target`` and the keys that parameterise it)."""
    name = config["target"]
    if name == "gmm":
        return get_target("gmm", int(config["gmm_dim"]), int(config["gmm_modes"]), int(config["gmm_seed"]))
    if name == "digitsfew":
        return get_target("digitsfew", n_real=int(config["n_real"]))
    return get_target(name, int(config.get("dirac_dim") or 1))
