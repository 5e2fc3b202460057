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
from reference_trainer.targets import target_of

__all__ = ["GROUP_KEYS", "RunTrace", "group_key", "train_group"]

#: configuration keys that every run of one batched group must share
GROUP_KEYS = ("target", "dirac_dim", "gmm_dim", "gmm_modes", "gmm_seed", "n_real", "update", "loss", "opt_g",
              "opt_d", "n_d", "steps", "batch_size", "z_dim", "g_hidden", "d_hidden", "probe_every", "probe_n",
              "eval_every", "eval_n", "g_act")

#: series recorded at every generator step (the trainer's measurements)
RECORDED = ("d_loss", "d_loss_real", "d_loss_fake", "g_loss", "d_x", "d_gz", "g_grad_norm",
            "d_grad_norm", "d_sep", "d_sign_real", "lr_g", "lr_d")

#: per-run options (may differ inside a group), with their defaults
#:
#: * ``betas`` -- Adam's (beta1, beta2) for both players; ``momentum_g`` / ``momentum_d`` --
#:   SGD momentum;
#: * ``lr_schedule`` -- ``const``, ``step`` (x ``lr_gamma`` at each fraction of ``lr_steps_at``)
#:   or ``cosine`` (to 0 at the end), for both players; ``g_frozen_from`` -- the generator's
#:   learning rate is 0 from this fraction of the run on (None: never);
#: * ``label_smooth`` -- one-sided label smoothing of the real part (BCE losses only);
#: * ``w_g`` / ``w_d`` -- weights of the adversarial G loss and of the D loss (optimised and
#:   logged as weighted); ``fm_weight`` -- feature matching added to the G loss
#:   (squared distance of the mean last-hidden features of D on real and fake batches).
RUN_OPTIONS = dict(betas=[0.5, 0.999], momentum_g=0.0, momentum_d=0.0, lr_schedule="const", lr_steps_at=[0.5, 0.75],
                   lr_gamma=0.1, g_frozen_from=None, label_smooth=0.0, w_g=1.0, w_d=1.0, fm_weight=0.0)


def lr_factor(config: dict, steps: int) -> np.ndarray:
    """Multiplier of the base learning rate at every generator step, shape ``(steps,)``."""
    kind = config.get("lr_schedule") or "const"
    t = np.arange(steps, dtype=np.float64)
    if kind == "const":
        f = np.ones(steps)
    elif kind == "step":
        f = np.ones(steps)
        for frac in config.get("lr_steps_at") or RUN_OPTIONS["lr_steps_at"]:
            f[t >= frac * steps] *= float(config.get("lr_gamma") or RUN_OPTIONS["lr_gamma"])
    elif kind == "cosine":
        f = 0.5 * (1 + np.cos(np.pi * t / steps))
    else:
        raise ValueError(f"lr_schedule must be 'const', 'step' or 'cosine'; got {kind!r}")
    return f


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
    #: small-data target only: share of training / held-out real images D scores as real,
    #: at every evaluation (empty otherwise)
    d_acc_train_real: np.ndarray = field(default_factory=lambda: np.zeros(0))
    d_acc_heldout_real: np.ndarray = field(default_factory=lambda: np.zeros(0))


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
    tgt = target_of(c0)
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
        G = BatchedMLP([zd, *c0["g_hidden"], tgt.dim], [g["init"] for g in gens], hidden_act=c0.get("g_act") or "relu",
                       out_act="tanh" if tgt.kind == "digits" else "none", device=device)
        D = BatchedMLP([tgt.dim, *c0["d_hidden"], 1], [g["init"] for g in gens], hidden_act="lrelu",
                       device=device)
    opt_c = [{**RUN_OPTIONS, **{k: v for k, v in c.items() if k in RUN_OPTIONS and v is not None}} for c in configs]
    betas = (torch.tensor([float(o["betas"][0]) for o in opt_c]), torch.tensor([float(o["betas"][1]) for o in opt_c]))
    lr_g0, lr_d0 = _per_run(configs, "lr_g", 0, device), _per_run(configs, "lr_d", 0, device)
    opt_g = BatchedOptimizer(G.params, kind=c0["opt_g"], lr=lr_g0.clone(), betas=betas,
                             momentum=torch.tensor([float(o["momentum_g"]) for o in opt_c]))
    opt_d = BatchedOptimizer(D.params, kind=c0["opt_d"], lr=lr_d0.clone(), betas=betas,
                             momentum=torch.tensor([float(o["momentum_d"]) for o in opt_c]))
    fac = np.stack([lr_factor(o, steps) for o in opt_c], 1)  # (steps, R)
    fac_g = fac.copy()
    for r, o in enumerate(opt_c):
        if o["g_frozen_from"] is not None:
            fac_g[int(float(o["g_frozen_from"]) * steps):, r] = 0.0
    fac_d = torch.as_tensor(fac, dtype=torch.float32, device=device)
    fac_g = torch.as_tensor(fac_g, dtype=torch.float32, device=device)
    smooth = torch.tensor([float(o["label_smooth"]) for o in opt_c], device=device).view(R, 1, 1)
    use_smooth = fam.startswith("bce") and bool((smooth > 0).any())
    w_g = torch.tensor([float(o["w_g"]) for o in opt_c], device=device)
    w_d = torch.tensor([float(o["w_d"]) for o in opt_c], device=device)
    fm = torch.tensor([float(o["fm_weight"]) for o in opt_c], device=device)
    use_fm = bool((fm > 0).any()) and not dirac
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
        if use_smooth:  # one-sided: real target 1 - smooth
            l_real = l_real + (smooth.view(R) * (torch.nn.functional.softplus(s_r) - torch.nn.functional.softplus(-s_r))
                               .mean(dim=(1, 2)))
        l_real, l_fake = l_real * w_d, l_fake * w_d
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
        if use_fm:
            s_f, f_f = D.forward(G(noise(B, "noise")))
            with torch.no_grad():
                f_r = D.forward(real(B))[1]
            gl = losses.g_loss(fam, s_f) * w_g + fm * (f_r.mean(1) - f_f.mean(1)).pow(2).sum(-1)
        else:
            s_f = D(G(noise(B, "noise")))
            gl = losses.g_loss(fam, s_f) * w_g
        return gl, torch.autograd.grad(gl.sum(), G.params)

    small_data = getattr(tgt, "n_real", 0) > 0
    if small_data:
        x_tr = tgt.x[tgt.train_idx[:500]]
        x_ho = tgt.x[tgt.heldout_idx]
        thr = 0.5 if fam == "lsgan" else 0.0
    acc_tr, acc_ho = [], []

    alive = torch.ones(R, dtype=torch.bool, device=device)
    end_step = [steps] * R
    check_every = 25

    def crash(dead: torch.Tensor) -> None:
        """Runs that produced NaN/Inf stop, as a training script would; their slots idle on zeros."""
        with torch.no_grad():
            lr_g0.masked_fill_(dead, 0.0)
            lr_d0.masked_fill_(dead, 0.0)
            for opt in (opt_g, opt_d):
                opt.lr = torch.where(dead, torch.zeros_like(opt.lr), opt.lr)
                for p in opt.params:
                    p.copy_(torch.where(dead.view(-1, *([1] * (p.dim() - 1))), torch.zeros_like(p), p))
                for buf in getattr(opt, "m", []) + getattr(opt, "v", []):
                    buf.copy_(torch.where(dead.view(-1, *([1] * (buf.dim() - 1))), torch.zeros_like(buf), buf))

    for step in range(steps):
        opt_g.lr = lr_g0 * fac_g[step]
        opt_d.lr = lr_d0 * fac_d[step]
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
            rec["d_sign_real"][step] = torch.sign(s_r).mean(dim=(1, 2))
            rec["lr_g"][step] = opt_g.lr
            rec["lr_d"][step] = opt_d.lr
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
                if small_data:
                    acc_tr.append((D(x_tr[None].expand(R, -1, -1).to(device)) > thr).float().mean(dim=(1, 2)).cpu())
                    acc_ho.append((D(x_ho[None].expand(R, -1, -1).to(device)) > thr).float().mean(dim=(1, 2)).cpu())

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
            d_acc_train_real=np.array([float(a[r]) for a in acc_tr], dtype=np.float64)[ek] if small_data else np.zeros(0),
            d_acc_heldout_real=np.array([float(a[r]) for a in acc_ho], dtype=np.float64)[ek] if small_data else np.zeros(0),
        ))
    return out
