"""Write a run's logged scalars through the writers people use.

* ``tensorboard`` -- ``torch.utils.tensorboard.SummaryWriter.add_scalar`` (one event
  file in the run directory; values are float32 ``simple_value``).
* ``csv`` -- a wide ``metrics.csv``, ``step,<tag>,<tag>,...``, written by pandas from
  float32 columns (shortest round-trip repr; NaN as ``nan``, infinities as ``inf``).
* ``text`` -- a pix2pix / CycleGAN ``loss_log.txt``: a header line, then one line per logged
  point, ``(epoch: E, iters: I, time: t, data: d) TAG: v.vvv ...`` (three decimals, as
  pix2pix prints them); ``iters`` counts generator steps within an epoch of
  ``log.epoch_len`` steps.
* ``wandb`` -- an offline run under ``wandb/`` when the ``wandb`` package is
  importable; otherwise the run silently falls back to TensorBoard (recorded in
  ``ground_truth.json`` ``log.format``).

``log.ema`` (0 = off): the loss roles are logged as an exponential moving average
``m_t = ema * m_{t-1} + (1 - ema) * x_t`` (started at the first value), as training scripts
that print a running loss do. Learning rates (``lr_g``, ``lr_d``) and ``d_sign_real`` (the
StyleGAN2-ADA overfitting heuristic ``r_t = E[sign(D(x_real))]``, tag ``Loss/signs/real``)
are logged when ``log.lr`` / ``log.sign`` are set.

Logging cadence (``log.unit``/``log.every``): ``step`` logs the value at every
``every``-th generator step, with the step number; ``epoch`` logs the mean over each
block of ``every`` steps with the epoch index as the step.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

__all__ = ["SCHEMES", "ROLE_SETS", "decimate", "write_run"]

#: tag naming schemes, role id -> tag
SCHEMES: dict[str, dict[str, str]] = {
    "slash": {"d_loss": "Loss/D", "g_loss": "Loss/G", "d_loss_real": "D_real", "d_loss_fake": "D_fake",
              "d_x": "D(x)", "d_gz": "D(G(z))", "g_grad_norm": "grad_norm/G", "d_grad_norm": "grad_norm/D"},
    "snake": {"d_loss": "d_loss", "g_loss": "g_loss", "d_loss_real": "D_real", "d_loss_fake": "D_fake",
              "d_x": "D(x)", "d_gz": "D(G(z))", "g_grad_norm": "grad_norm/G", "d_grad_norm": "grad_norm/D"},
    "loss_x": {"d_loss": "loss_D", "g_loss": "loss_G", "d_loss_real": "D_real", "d_loss_fake": "D_fake",
               "d_x": "D(x)", "d_gz": "D(G(z))", "g_grad_norm": "grad_norm/G", "d_grad_norm": "grad_norm/D"},
    "dcgan": {"d_loss": "errD", "g_loss": "errG", "d_loss_real": "D_real", "d_loss_fake": "D_fake",
              "d_x": "D(x)", "d_gz": "D(G(z))", "g_grad_norm": "grad_norm/G", "d_grad_norm": "grad_norm/D"},
    "module": {"d_loss": "discriminator/loss", "g_loss": "generator/loss", "d_loss_real": "D_real",
               "d_loss_fake": "D_fake", "d_x": "D(x)", "d_gz": "D(G(z))", "g_grad_norm": "grad_norm/G",
               "d_grad_norm": "grad_norm/D"},
}

SCHEMES["pix2pix"] = {"d_loss": "D", "g_loss": "G_GAN", "d_loss_real": "D_real", "d_loss_fake": "D_fake",
                      "d_x": "D_x", "d_gz": "D_G_z", "g_grad_norm": "G_grad", "d_grad_norm": "D_grad"}
SCHEMES["lightning"] = {"d_loss": "train/d_loss", "g_loss": "train/g_loss", "d_loss_real": "train/d_loss_real",
                        "d_loss_fake": "train/d_loss_fake", "d_x": "train/D_x", "d_gz": "train/D_G_z",
                        "g_grad_norm": "grad_norm/generator", "d_grad_norm": "grad_norm/discriminator"}
SCHEMES["capital"] = {"d_loss": "Loss_D", "g_loss": "Loss_G", "d_loss_real": "Loss_D_real",
                      "d_loss_fake": "Loss_D_fake", "d_x": "D(x)", "d_gz": "D(G(z))", "g_grad_norm": "G_grad_norm",
                      "d_grad_norm": "D_grad_norm"}
for _sch in SCHEMES.values():
    _sch.update({"lr_g": "lr/G", "lr_d": "lr/D", "d_sign_real": "Loss/signs/real"})
SCHEMES["lightning"].update({"lr_g": "lr-Adam/generator", "lr_d": "lr-Adam/discriminator"})
SCHEMES["pix2pix"].update({"lr_g": "lr_G", "lr_d": "lr_D", "d_sign_real": "D_sign_real"})

#: roles whose logged value is a loss (smoothed when ``log.ema`` is set)
LOSS_ROLES = ("d_loss", "d_loss_real", "d_loss_fake", "g_loss")

#: which roles a run logs
ROLE_SETS: dict[str, tuple[str, ...]] = {
    "parts_only": ("d_loss_real", "d_loss_fake", "g_loss"),
    "losses": ("d_loss", "g_loss"),
    "dcgan": ("d_loss", "g_loss", "d_x", "d_gz"),
    "parts": ("d_loss", "d_loss_real", "d_loss_fake", "g_loss"),
    "grads": ("d_loss", "g_loss", "g_grad_norm", "d_grad_norm"),
    "full": ("d_loss", "d_loss_real", "d_loss_fake", "g_loss", "d_x", "d_gz", "g_grad_norm", "d_grad_norm"),
}


def tags_for(log: dict, loss_family: str) -> dict[str, str]:
    """Role id -> tag for a run's log configuration."""
    scheme = dict(SCHEMES[log["scheme"]])
    if log.get("critic_tag") and loss_family.startswith("wgan"):
        scheme["d_loss"] = "critic_loss"
    roles = list(ROLE_SETS[log["roles"]])
    if log.get("lr"):
        roles += ["lr_g", "lr_d"]
    if log.get("sign"):
        roles += ["d_sign_real"]
    return {r: scheme[r] for r in roles}


def ema(values: np.ndarray, alpha: float) -> np.ndarray:
    """``m_t = alpha m_{t-1} + (1 - alpha) x_t``, ``m_0 = x_0`` (float64 inside)."""
    v = np.asarray(values, dtype=np.float64)
    out = np.empty_like(v)
    m = v[0] if len(v) else 0.0
    with np.errstate(all="ignore"):
        for i, x in enumerate(v):
            m = alpha * m + (1 - alpha) * x
            out[i] = m
    return out.astype(np.float32)


def decimate(values: np.ndarray, *, unit: str, every: int) -> tuple[np.ndarray, np.ndarray]:
    """Logged (steps, values) from a per-step series (float32)."""
    v = np.asarray(values, dtype=np.float32)
    if unit == "epoch":
        n = len(v) // every
        with np.errstate(all="ignore"):
            vals = v[: n * every].astype(np.float64).reshape(n, every).mean(1).astype(np.float32)
        return np.arange(n, dtype=np.int64), vals
    steps = np.arange(every - 1, len(v), every, dtype=np.int64)
    return steps, v[steps]


def _wandb_available() -> bool:
    try:
        import wandb  # noqa: F401
    except Exception:
        return False
    return True


def write_run(run_dir: Path, series: dict[str, np.ndarray], log: dict, loss_family: str, *,
              seconds_per_step: float = 0.01) -> dict:
    """Write the logged roles of ``series`` into ``run_dir``; return the ``log`` record.

    The returned dict holds ``format``, ``tags`` (role -> tag), ``log_every``,
    ``unit``, ``points`` (per tag) and ``files``.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    tags = tags_for(log, loss_family)
    fmt = log["format"]
    if fmt == "wandb" and not _wandb_available():
        fmt = "tensorboard"
    cols = {}
    steps = None
    alpha = float(log.get("ema") or 0.0)
    for role, tag in tags.items():
        x = series[role]
        if alpha > 0 and role in LOSS_ROLES:
            x = ema(x, alpha)
        steps, vals = decimate(x, unit=log["unit"], every=int(log["every"]))
        cols[tag] = vals
    t0 = time.time()
    wall_per_point = seconds_per_step * (int(log["every"]) if log["unit"] == "epoch" else 1)
    if fmt == "tensorboard":
        from torch.utils.tensorboard import SummaryWriter

        w = SummaryWriter(log_dir=str(run_dir), flush_secs=3600, max_queue=100000)
        for i, st in enumerate(steps.tolist()):
            wt = t0 + st * wall_per_point
            for tag, vals in cols.items():
                w.add_scalar(tag, float(vals[i]), global_step=int(st), walltime=wt)
        w.close()
    elif fmt == "csv":
        import pandas as pd

        df = pd.DataFrame({"step": steps, **{t: v.astype(np.float32) for t, v in cols.items()}})
        df.to_csv(run_dir / "metrics.csv", index=False, na_rep="nan")
    elif fmt == "text":
        epoch_len = int(log.get("epoch_len") or 100)
        lines = ["================ Training Loss (Sat Dec  5 08:00:00 2026) ================"]
        for i, st in enumerate(steps.tolist()):
            ep, it = st // epoch_len + 1, st % epoch_len + 1
            vals = " ".join(f"{t}: {float(v[i]):.3f}" for t, v in cols.items())
            lines.append(f"(epoch: {ep}, iters: {it}, time: {wall_per_point:.3f}, data: 0.002) {vals} ")
        (run_dir / "loss_log.txt").write_text("\n".join(lines) + "\n")
    elif fmt == "wandb":  # pragma: no cover - wandb is optional and absent in CI
        import wandb

        os.environ.setdefault("WANDB_SILENT", "true")
        run = wandb.init(mode="offline", dir=str(run_dir), project="reference_trainer",
                         config={"loss_family": loss_family}, reinit=True)
        for i, st in enumerate(steps.tolist()):
            run.log({t: float(v[i]) for t, v in cols.items()}, step=int(st))
        run.finish()
    else:
        raise ValueError(f"log format must be 'tensorboard', 'csv', 'text' or 'wandb'; got {fmt!r}")
    files = sorted(str(p.relative_to(run_dir)) for p in run_dir.rglob("*") if p.is_file())
    return {"format": fmt, "tags": tags, "log_every": int(log["every"]), "unit": log["unit"],
            "points": int(len(steps)), "files": files}
