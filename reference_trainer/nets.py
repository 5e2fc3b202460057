"""Batched models and optimisers: ``R`` independent GANs in one set of tensors.

Every parameter has a leading run axis of length ``R``. A layer is one
``torch.baddbmm`` over all runs; the loss that is differentiated is the sum of the
per-run losses, so each run's gradient is exactly its own. The optimisers take a
per-run learning rate (a tensor of shape ``(R,)``) and reproduce ``torch.optim.SGD``
and ``torch.optim.Adam`` (default, non-amsgrad) run by run.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F

__all__ = ["BatchedMLP", "DiracGenerator", "DiracDiscriminator", "BatchedOptimizer", "per_run_norm"]


#: hidden activations by name (the generator's ``g_act``; ``tanh`` is the v5 held-out setting,
#: ``lrelu`` in the generator the v6 one, ``silu`` the v7 one, ``elu`` the v8 one, ``gelu`` the
#: v9 one, ``softplus`` the v10 one; the
#: discriminator always uses ``lrelu``)
_ACTS = {"relu": F.relu, "lrelu": lambda h: F.leaky_relu(h, 0.2), "tanh": torch.tanh, "silu": F.silu,
         "elu": F.elu, "gelu": F.gelu, "softplus": F.softplus}


class BatchedMLP:
    """``R`` multilayer perceptrons with the same shape and separate weights.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, input first and output last.
    generators : sequence of torch.Generator
        One per run; the initialisation of run ``r`` uses only ``generators[r]``
        (the scheme of ``torch.nn.Linear``: uniform in +-1/sqrt(fan_in)).
    hidden_act : {"relu", "lrelu", "tanh"}
    out_act : {"none", "tanh"}
    """

    def __init__(self, sizes: Sequence[int], generators: Sequence[torch.Generator], *,
                 hidden_act: str = "relu", out_act: str = "none", device: str | torch.device = "cpu") -> None:
        if hidden_act not in _ACTS:
            raise ValueError(f"hidden_act must be one of {sorted(_ACTS)}; got {hidden_act!r}")
        self.sizes = list(sizes)
        self.hidden_act = hidden_act
        self.out_act = out_act
        self.params: list[torch.Tensor] = []
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:]):
            bound = 1.0 / math.sqrt(fan_in)
            w = torch.stack([(torch.rand(fan_in, fan_out, generator=g) * 2 - 1) * bound for g in generators])
            b = torch.stack([(torch.rand(1, fan_out, generator=g) * 2 - 1) * bound for g in generators])
            self.params += [w.to(device).requires_grad_(), b.to(device).requires_grad_()]

    @property
    def n_runs(self) -> int:
        return int(self.params[0].shape[0])

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Apply to ``x`` of shape ``(R, B, in)``; returns ``(R, B, out)``."""
        return self.forward(x)[0]

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(output, last hidden activation)``; the input stands for the hidden activation
        of a net without hidden layers (used by feature matching)."""
        h = x
        feat = x
        n = len(self.params) // 2
        for i in range(n):
            h = torch.baddbmm(self.params[2 * i + 1], h, self.params[2 * i])
            if i < n - 1:
                h = _ACTS[self.hidden_act](h)
                feat = h
        if self.out_act == "tanh":
            h = torch.tanh(h)
        return h, feat


class DiracGenerator:
    """Dirac-GAN generator: outputs the point ``theta`` whatever the noise."""

    def __init__(self, theta0: torch.Tensor) -> None:
        self.params = [theta0.clone().requires_grad_()]

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        r, b = z.shape[0], z.shape[1]
        return self.params[0][:, None, :].expand(r, b, self.params[0].shape[1])


class DiracDiscriminator:
    """Dirac-GAN discriminator: linear, ``D(x) = psi . x``."""

    def __init__(self, psi0: torch.Tensor) -> None:
        self.params = [psi0.clone().requires_grad_()]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return (x * self.params[0][:, None, :]).sum(-1, keepdim=True)


def per_run_norm(tensors: Sequence[torch.Tensor]) -> torch.Tensor:
    """L2 norm over all entries of each run, shape ``(R,)``."""
    sq = None
    for t in tensors:
        s = t.detach().pow(2).flatten(1).sum(1)
        sq = s if sq is None else sq + s
    return sq.sqrt()


#: RMSprop's smoothing constant (torch's default, the WGAN paper's optimiser)
RMSPROP_ALPHA = 0.99


class BatchedOptimizer:
    """SGD (with optional momentum), Adam or RMSprop over stacked parameters, per-run hyperparameters.

    ``lr`` is a tensor of shape ``(R,)``; ``betas`` a pair of floats or of ``(R,)`` tensors;
    ``momentum`` (SGD only) a float or an ``(R,)`` tensor. Matches
    ``torch.optim.SGD(lr, momentum)``, ``torch.optim.Adam(lr, betas, eps)`` and
    ``torch.optim.RMSprop(lr, alpha=RMSPROP_ALPHA, eps)`` for each run
    (up to floating-point rounding). ``lr`` may be reassigned between steps (schedules).
    """

    def __init__(self, params: Sequence[torch.Tensor], *, kind: str, lr: torch.Tensor,
                 betas=(0.5, 0.999), eps: float = 1e-8, momentum=0.0) -> None:
        if kind not in ("adam", "sgd", "rmsprop"):
            raise ValueError(f"kind must be 'adam', 'sgd' or 'rmsprop'; got {kind!r}")
        self.params = list(params)
        self.kind = kind
        self.lr = lr
        R = lr.shape[0]
        b1, b2 = betas
        self.b1 = torch.as_tensor(b1, dtype=torch.float64).expand(R).clone()
        self.b2 = torch.as_tensor(b2, dtype=torch.float64).expand(R).clone()
        self.momentum = torch.as_tensor(momentum, dtype=torch.float32, device=lr.device).expand(R).clone()
        self.eps = eps
        self.t = 0
        if kind == "adam":
            self.m = [torch.zeros_like(p) for p in self.params]
            self.v = [torch.zeros_like(p) for p in self.params]
        elif kind == "rmsprop":
            self.m = []
            self.v = [torch.zeros_like(p) for p in self.params]
        else:
            self.m = [torch.zeros_like(p) for p in self.params] if bool((self.momentum > 0).any()) else []

    def _per_run(self, x: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
        return x.to(device=p.device, dtype=p.dtype).view(-1, *([1] * (p.dim() - 1)))

    @torch.no_grad()
    def step(self, grads: Sequence[torch.Tensor]) -> None:
        self.t += 1
        if self.kind == "sgd":
            if not self.m:
                for p, g in zip(self.params, grads):
                    p.sub_(self._per_run(self.lr, p) * g)
                return
            for p, g, buf in zip(self.params, grads, self.m):
                mom = self._per_run(self.momentum, p)
                if self.t == 1:
                    buf.copy_(g)
                else:
                    buf.mul_(mom).add_(g)
                p.sub_(self._per_run(self.lr, p) * torch.where(mom > 0, buf, g))
            return
        if self.kind == "rmsprop":
            for p, g, v in zip(self.params, grads, self.v):
                v.mul_(RMSPROP_ALPHA).add_((1 - RMSPROP_ALPHA) * g * g)
                p.sub_(self._per_run(self.lr, p) * g / (v.sqrt() + self.eps))
            return
        bc1 = 1 - self.b1**self.t
        bc2 = 1 - self.b2**self.t
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            b1, b2 = self._per_run(self.b1, p), self._per_run(self.b2, p)
            m.mul_(b1).add_((1 - b1) * g)
            v.mul_(b2).add_((1 - b2) * g * g)
            denom = (v.sqrt() / self._per_run(bc2.sqrt(), p)).add_(self.eps)
            p.sub_((self._per_run(self.lr, p) / self._per_run(bc1, p)) * m / denom)
