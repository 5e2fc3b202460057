"""Batched training equals single-run training; the optimisers equal torch.optim."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from reference_trainer import losses  # noqa: E402
from reference_trainer.nets import BatchedMLP, BatchedOptimizer  # noqa: E402
from reference_trainer.scenarios import _DEFAULTS  # noqa: E402
from reference_trainer.train import train_group  # noqa: E402


def _cfg(**kw):
    c = dict(_DEFAULTS)
    c.update(steps=2, probe_every=1, eval_every=1, eval_n=200, probe_n=8, d_loss_reduction="summed")
    c.update(kw)
    return c


@pytest.mark.parametrize("loss,extra", [
    ("bce_nonsaturating", {}),
    ("bce_minimax", {"r1_gamma": 1.0}),
    ("wgan_gp", {"gp_lambda": 10.0}),
    ("wgan_clip", {"clip": 0.05}),
    ("lsgan", {"opt_g": "sgd", "opt_d": "sgd"}),
    ("hinge", {"n_d": 2}),
])
def test_batched_equals_single_runs(loss, extra):
    cfgs = [_cfg(loss=loss, seed=s, lr_g=lr, lr_d=2 * lr, d_loss_reduction=red, **extra)
            for s, lr, red in [(1, 1e-3, "summed"), (2, 5e-4, "mean"), (3, 2e-3, "summed")]]
    batched = train_group(cfgs)
    for c, tb in zip(cfgs, batched):
        (ts,) = train_group([c])
        for k in ts.series:
            np.testing.assert_allclose(tb.series[k], ts.series[k], rtol=2e-4, atol=1e-6, err_msg=k)
        np.testing.assert_allclose(tb.probes, ts.probes, rtol=2e-4, atol=1e-5)


def test_batched_mlp_and_adam_match_torch_nn_for_one_step():
    R = 3
    gens = [torch.Generator().manual_seed(s) for s in range(R)]
    net = BatchedMLP([4, 16, 1], gens, hidden_act="lrelu")
    lrs = torch.tensor([1e-3, 1e-2, 3e-4])
    opt = BatchedOptimizer(net.params, kind="adam", lr=lrs, betas=(0.5, 0.999))
    x = torch.randn(R, 32, 4, generator=torch.Generator().manual_seed(9))
    refs = []
    for r in range(R):
        m = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.LeakyReLU(0.2), torch.nn.Linear(16, 1))
        with torch.no_grad():
            m[0].weight.copy_(net.params[0][r].T)
            m[0].bias.copy_(net.params[1][r, 0])
            m[2].weight.copy_(net.params[2][r].T)
            m[2].bias.copy_(net.params[3][r, 0])
        o = torch.optim.Adam(m.parameters(), lr=float(lrs[r]), betas=(0.5, 0.999))
        loss = torch.nn.functional.softplus(-m(x[r])).mean()
        o.zero_grad()
        loss.backward()
        o.step()
        refs.append(m)
    s = net(x)
    l_real, _ = losses.d_parts("bce_nonsaturating", s, s)
    grads = torch.autograd.grad(l_real.sum(), net.params)
    opt.step(grads)
    for r, m in enumerate(refs):
        torch.testing.assert_close(net.params[0][r].T, m[0].weight, rtol=1e-5, atol=1e-7)
        torch.testing.assert_close(net.params[3][r, 0], m[2].bias, rtol=1e-5, atol=1e-7)


def test_sgd_matches_torch_sgd():
    p = torch.randn(2, 3, requires_grad=True)
    g = torch.randn(2, 3)
    opt = BatchedOptimizer([p], kind="sgd", lr=torch.tensor([0.1, 0.5]))
    before = p.detach().clone()
    opt.step([g])
    torch.testing.assert_close(p.detach(), before - torch.tensor([[0.1], [0.5]]) * g)


def test_group_key_mismatch_is_rejected():
    with pytest.raises(ValueError, match="GROUP_KEYS"):
        train_group([_cfg(seed=1), _cfg(seed=2, n_d=3)])


def test_rmsprop_matches_torch_rmsprop_over_steps():
    lrs = torch.tensor([1e-2, 3e-3])
    w = torch.randn(2, 3, generator=torch.Generator().manual_seed(1))
    refs = [w[r].clone().requires_grad_(True) for r in range(2)]
    opt = BatchedOptimizer([w], kind="rmsprop", lr=lrs)
    tos = [torch.optim.RMSprop([refs[r]], lr=float(lrs[r]), alpha=0.99, eps=1e-8) for r in range(2)]
    gen = torch.Generator().manual_seed(2)
    for _ in range(6):
        g = torch.randn(2, 3, generator=gen)
        opt.step([g])
        for r in range(2):
            refs[r].grad = g[r].clone()
            tos[r].step()
    for r in range(2):
        torch.testing.assert_close(w[r], refs[r].detach(), rtol=1e-5, atol=1e-7)
