"""Train a group of GANs that share one shape, all at once.

A *group* is a list of run configurations that agree on every key in
:data:`GROUP_KEYS` (target, architecture, loss family, optimiser kinds, batch size,
D:G step ratio, number of steps); they may differ in seed, learning rates, penalty
weights, clipping value and D-loss reduction. Each run draws its initial weights,
data and noise from its own :class:`torch.Generator` seeded from its ``seed``, so a
run gives the same trajectory (up to floating-point rounding) whether it is trained
alone or beside others.

Everything measured here is kept out of the logged scalars: the trainer returns a
:class:`RunTrace` per run, from which :mod:`reference_trainer.labels` derives the
ground truth and :mod:`reference_trainer.writers` writes the logs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from reference_trainer import losses
from reference_trainer.measures import quality
from reference_trainer.nets import (BatchedMLP, BatchedOptimizer, DiracDiscriminator, DiracGenerator,
                                    per_run_norm)
from reference_trainer.targets import get_target

__all__ = ["GROUP_KEYS", "RunTrace", "group_key", "train_group"]

#: configuration keys that every run of one batched group must share
GROUP_KEYS = ("target", "dirac_dim", "update", "loss", "opt_g", "opt_d", "betas", "n_d", "steps",
              "batch_size", "z_dim", "g_hidden", "d_hidden", "probe_every", "probe_n", "eval_every",
              "eval_n")

#: series recorded at every generator step (the trainer's measurements)
RECORDED = ("d_loss", "d_loss_real", "d_loss_fake", "g_loss", "d_x", "d_gz", "g_grad_norm",
            "d_grad_norm", "d_sep")


def group_key(config: dict) -> tuple:
    """Hashable key: runs with equal keys can be trained in one batch."""
    return tuple((k, repr(config.get(k))) for k in GROUP_KEYS)


@dataclass
class RunTrace:
    """Everything the trainer measured for one run (float32 arrays on the CPU).

    ``series[role][i]`` is the value after generator step ``i`` (0-based; the D
    values come from the last D step of that iteration). ``probes[j]`` is the
    generator's output on a fixed noise batch (Dirac-GAN: ``(theta, psi)``) after
    step ``probe_steps[j]``; ``coverage``/``hq_fraction`` are measured on
    ``eval_n`` fresh samples from a fixed noise batch after step ``eval_steps[j]``.
    A run whose recorded values turn NaN/Inf stops at the next check (every 25
    steps), as a training script with a NaN guard would: its series end at
    ``crashed_at`` and hold the non-finite values logged before the stop.
    """

    config: dict
    series: dict[str, np.ndarray]
    probe_steps: np.ndarray
    probes: np.ndarray
    probe_n_samples: int
    eval_steps: np.ndarray
    coverage: np.ndarray
    modes_covered: np.ndarray
    hq_fraction: np.ndarray
    mode_counts_end: list = field(default_factory=list)
    wall_s: float = 0.0
    crashed_at: int | None = None


def _generators(seed: int, device: torch.device) -> dict[str, torch.Generator]:
    out = {}
    for i, name in enumerate(("init", "data", "noise", "probe", "eval")):
        g = torch.Generator(device="cpu")
        g.manual_seed(int(seed) * 7919 + 101 * (i + 1))
        out[name] = g
    return out


def _per_run(configs: list[dict], key: str, default: float, device) -> torch.Tensor:
    return torch.tensor([float(c.get(key, default) or 0.0) for c in configs], dtype=torch.float32, device=device)


def train_group(configs: list[dict], device: str | torch.device = "cpu") -> list[RunTrace]:
    """Train every run in ``configs`` together; return one :class:`RunTrace` each.

    Raises
    ------
    ValueError
        If the configurations do not share :data:`GROUP_KEYS`.
    """
    if not configs:
        return []
    k0 = group_key(configs[0])
    for c in configs[1:]:
        if group_key(c) != k0:
            raise ValueError("configs: every run of a group must share GROUP_KEYS")
    t0 = time.perf_counter()
    device = torch.device(device)
    c0 = configs[0]
    R = len(configs)
    tgt = get_target(c0["target"], int(c0.get("dirac_dim") or 1))
    gens = [_generators(c["seed"], device) for c in configs]
    fam = c0["loss"]
    steps, n_d, B = int(c0["steps"]), int(c0["n_d"]), int(c0["batch_size"])
    dirac = tgt.kind == "dirac"
    sim = c0.get("update", "alt") == "sim"
    if sim and n_d != 1:
        raise ValueError("update='sim' needs n_d == 1")

    if dirac:
        d = tgt.dim

        def _init(g):
            v = torch.randn(d, generator=g)
            return v / v.norm() * (0.8 + 0.4 * torch.rand(1, generator=g))

        theta0 = torch.stack([_init(g["init"]) for g in gens]).to(device)
        psi0 = torch.stack([_init(g["init"]) for g in gens]).to(device)
        G, D = DiracGenerator(theta0), DiracDiscriminator(psi0)
        zd = 1
    else:
        zd = int(c0["z_dim"])
        G = BatchedMLP([zd, *c0["g_hidden"], tgt.dim], [g["init"] for g in gens], hidden_act="relu",
                       out_act="tanh" if tgt.kind == "digits" else "none", device=device)
        D = BatchedMLP([tgt.dim, *c0["d_hidden"], 1], [g["init"] for g in gens], hidden_act="lrelu",
                       device=device)
    betas = tuple(c0.get("betas") or (0.5, 0.999))
    opt_g = BatchedOptimizer(G.params, kind=c0["opt_g"], lr=_per_run(configs, "lr_g", 0, device), betas=betas)
    opt_d = BatchedOptimizer(D.params, kind=c0["opt_d"], lr=_per_run(configs, "lr_d", 0, device), betas=betas)
    red = torch.tensor([1.0 if c.get("d_loss_reduction", "summed") == "summed" else 0.5 for c in configs],
                       device=device)
    r1 = _per_run(configs, "r1_gamma", 0.0, device)
    gp = _per_run(configs, "gp_lambda", 0.0, device)
    clip = _per_run(configs, "clip", 0.0, device)
    use_r1, use_gp = bool((r1 > 0).any()), fam == "wgan_gp"
    use_clip = fam == "wgan_clip" and bool((clip > 0).any())
    clip = torch.where(clip > 0, clip, torch.full_like(clip, float("inf")))

    def noise(n: int, which: str) -> torch.Tensor:
        return torch.stack([torch.randn(n, zd, generator=g[which]) for g in gens]).to(device)

    def real(n: int) -> torch.Tensor:
        return torch.stack([tgt.sample(n, g["data"]) for g in gens]).to(device)

    probe_n = 1 if dirac else int(c0["probe_n"])
    z_probe = noise(probe_n, "probe")
    eval_n = 1 if dirac else int(c0["eval_n"])
    z_eval = noise(eval_n, "eval")
    probe_every, eval_every = int(c0["probe_every"]), int(c0["eval_every"])

    rec = {k: torch.empty(steps, R, device=device) for k in RECORDED}
    probes, probe_steps, evals, eval_steps = [], [], [], []

    def d_step():
        xr = real(B)
        with torch.no_grad():
            xf = G(noise(B, "noise"))
        if use_r1:
            xr.requires_grad_(True)
        s_r, s_f = D(xr), D(xf)
        l_real, l_fake = losses.d_parts(fam, s_r, s_f)
        total = (l_real + l_fake) * red
        if use_r1:
            gr = torch.autograd.grad(s_r.sum(), xr, create_graph=True)[0]
            total = total + 0.5 * r1 * gr.pow(2).sum(-1).mean(1)
        if use_gp:
            eps = torch.stack([torch.rand(B, 1, generator=g["noise"]) for g in gens]).to(device)
            xh = (eps * xr.detach() + (1 - eps) * xf).requires_grad_(True)
            gh = torch.autograd.grad(D(xh).sum(), xh, create_graph=True)[0]
            total = total + gp * ((gh.pow(2).sum(-1) + 1e-12).sqrt() - 1).pow(2).mean(1)
        grads = torch.autograd.grad(total.sum(), D.params)
        return total, l_real, l_fake, s_r, s_f, grads

    def g_grads():
        s_f = D(G(noise(B, "noise")))
        gl = losses.g_loss(fam, s_f)
        return gl, torch.autograd.grad(gl.sum(), G.params)

    alive = torch.ones(R, dtype=torch.bool, device=device)
    end_step = [steps] * R
    check_every = 25

    def crash(dead: torch.Tensor) -> None:
        """Runs that produced NaN/Inf stop, as a training script would; their slots idle on zeros."""
        with torch.no_grad():
            for opt in (opt_g, opt_d):
                opt.lr = torch.where(dead, torch.zeros_like(opt.lr), opt.lr)
                for p in opt.params:
                    p.copy_(torch.where(dead.view(-1, *([1] * (p.dim() - 1))), torch.zeros_like(p), p))
                for buf in getattr(opt, "m", []) + getattr(opt, "v", []):
                    buf.copy_(torch.where(dead.view(-1, *([1] * (buf.dim() - 1))), torch.zeros_like(buf), buf))

    for step in range(steps):
        if step % check_every == check_every - 1 or step == steps - 1:
            with torch.no_grad():
                lo = max(0, step - check_every)
                fin = torch.ones(R, dtype=torch.bool, device=device)
                for k in ("d_loss", "g_loss", "g_grad_norm", "d_grad_norm"):
                    fin &= torch.isfinite(rec[k][lo:step]).all(0)
                dead = alive & ~fin
            if bool(dead.any()):
                for r in torch.nonzero(dead).flatten().tolist():
                    end_step[r] = step
                alive &= ~dead
                crash(dead)
        for _ in range(n_d):
            total, l_real, l_fake, s_r, s_f, dgr = d_step()
            if sim:
                gl, ggr = g_grads()
            opt_d.step(dgr)
            if use_clip:
                with torch.no_grad():
                    for p in D.params:
                        c = clip.view(-1, *([1] * (p.dim() - 1)))
                        p.copy_(torch.maximum(torch.minimum(p, c), -c))
        if not sim:
            gl, ggr = g_grads()
        opt_g.step(ggr)
        with torch.no_grad():
            rec["d_loss"][step] = total
            rec["d_loss_real"][step] = l_real
            rec["d_loss_fake"][step] = l_fake
            rec["g_loss"][step] = gl
            rec["d_x"][step] = losses.d_prob(fam, s_r)
            rec["d_gz"][step] = losses.d_prob(fam, s_f)
            rec["g_grad_norm"][step] = per_run_norm(ggr)
            rec["d_grad_norm"][step] = per_run_norm(dgr)
            rec["d_sep"][step] = losses.separation(fam, s_r, s_f)
            if (step + 1) % probe_every == 0:
                if dirac:
                    probes.append(torch.cat([G.params[0], D.params[0]], 1).float().cpu())
                else:
                    probes.append(G(z_probe).reshape(R, -1).float().cpu())
                probe_steps.append(step)
            if (step + 1) % eval_every == 0 or step == steps - 1:
                x = G.params[0][:, None, :] if dirac else G(z_eval)
                evals.append(quality(x, tgt))
                eval_steps.append(step)

    wall = time.perf_counter() - t0
    series = {k: v.float().cpu().numpy().T.copy() for k, v in rec.items()}
    P = torch.stack(probes, 0).numpy() if probes else np.zeros((0, R, 1), np.float32)
    out = []
    ps = np.asarray(probe_steps, dtype=np.int64)
    es = np.asarray(eval_steps, dtype=np.int64)
    for r, c in enumerate(configs):
        e = end_step[r]
        pk, ek = ps < e, es < e
        if not ek.any():
            ek[:1] = True
        last = int(np.nonzero(ek)[0][-1])
        out.append(RunTrace(
            config=c,
            series={k: v[r][:e] for k, v in series.items()},
            probe_steps=ps[pk],
            probes=P[pk, r, :].copy(),
            probe_n_samples=probe_n,
            eval_steps=es[ek],
            coverage=np.array([ev.coverage[r] for ev in evals], dtype=np.float64)[ek],
            modes_covered=np.array([ev.modes_covered[r] for ev in evals], dtype=np.int64)[ek],
            hq_fraction=np.array([ev.hq_fraction[r] for ev in evals], dtype=np.float64)[ek],
            mode_counts_end=[int(v) for v in evals[last].counts[r]],
            wall_s=wall / R,
            crashed_at=None if e == steps else int(e),
        ))
    return out
