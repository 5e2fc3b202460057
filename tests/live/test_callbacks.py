"""The Lightning and Keras callbacks stop a toy GAN whose learning rate blows up.

Both toys are a WGAN on 2-D points (a linear critic, a linear generator) trained on the CPU.
The learning rate grows by 1.5x per step from step 100 (a broken schedule), so the weights
overflow and the losses become Inf, then NaN, a few dozen steps later: a real divergence of
the training, not a value written into the log. The callback must stop training there,
long before ``max_steps``. Skipped with a message when Lightning or Keras is not installed
(``pip install -e .[test]`` installs both).
"""

from __future__ import annotations

import os

import pytest

MAX_STEPS = 2000
BLOWUP_FROM = 100


def _lr(step: int) -> float:
    return 1e-3 * (1.5 ** max(0, step - BLOWUP_FROM))


def test_lightning_callback_stops_a_diverging_gan():
    torch = pytest.importorskip("torch", reason="torch is not installed")
    try:
        import lightning.pytorch as pl
    except ImportError:
        pytest.skip("lightning is not installed (pip install lightning)")
    from ganlogs.live.callbacks import lightning_callback

    torch.manual_seed(0)

    class ToyGAN(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.automatic_optimization = False
            self.D = torch.nn.Linear(2, 1)
            self.G = torch.nn.Linear(2, 2)

        def configure_optimizers(self):
            d = torch.optim.SGD(self.D.parameters(), lr=1.0)
            g = torch.optim.SGD(self.G.parameters(), lr=1.0)
            return [d, g], [torch.optim.lr_scheduler.LambdaLR(d, _lr),
                            torch.optim.lr_scheduler.LambdaLR(g, _lr)]

        def training_step(self, batch, batch_idx):
            (real,) = batch
            opt_d, opt_g = self.optimizers()
            sch_d, sch_g = self.lr_schedulers()
            z = torch.randn(real.shape[0], 2)
            d_loss = self.D(self.G(z).detach()).mean() - self.D(real).mean()
            opt_d.zero_grad()
            self.manual_backward(d_loss)
            opt_d.step()
            g_loss = -self.D(self.G(z)).mean()
            opt_g.zero_grad()
            self.manual_backward(g_loss)
            opt_g.step()
            sch_d.step()
            sch_g.step()
            self.log("loss_D", d_loss, on_step=True, prog_bar=False)
            self.log("loss_G", g_loss, on_step=True, prog_bar=False)

    data = torch.randn(64 * MAX_STEPS, 2) * 0.5 + torch.tensor([3.0, 3.0])
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(data), batch_size=64)
    lines = []
    callback = lightning_callback(roles={"d_loss": "loss_D", "g_loss": "loss_G"},
                                  fail_on=["diverged"], printer=lines.append)
    trainer = pl.Trainer(max_steps=MAX_STEPS, accelerator="cpu", logger=False,
                         enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, callbacks=[callback])
    trainer.fit(ToyGAN(), loader)
    (failing,) = callback.monitor.failing
    assert failing.label == "diverged"
    assert trainer.global_step < BLOWUP_FROM + 200  # stopped, not run to MAX_STEPS
    assert any("diverged found" in line for line in lines)


def test_keras_callback_stops_a_diverging_gan():
    torch = pytest.importorskip("torch", reason="torch is not installed")
    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        import keras
    except ImportError as exc:
        pytest.skip(f"keras is not importable with KERAS_BACKEND=torch ({exc})")
    if keras.backend.backend() != "torch":
        pytest.skip(f"keras runs on the {keras.backend.backend()} backend; the toy needs torch")
    from ganlogs.live.callbacks import keras_callback

    keras.utils.set_random_seed(0)

    class ToyGAN(keras.Model):
        def __init__(self):
            super().__init__()
            self.D = keras.layers.Dense(1)
            self.G = keras.layers.Dense(2)
            self.D.build((None, 2))
            self.G.build((None, 2))
            self.steps_done = 0
            self.built = True

        def call(self, z):
            return self.G(z)

        def compile(self):
            super().compile()
            self.opt_d = torch.optim.SGD([v.value for v in self.D.trainable_weights], lr=1e-3)
            self.opt_g = torch.optim.SGD([v.value for v in self.G.trainable_weights], lr=1e-3)

        def train_step(self, real):
            lr = _lr(self.steps_done)
            for opt in (self.opt_d, self.opt_g):
                for group in opt.param_groups:
                    group["lr"] = lr
            z = torch.randn(real.shape[0], 2)
            d_loss = self.D(self.G(z).detach()).mean() - self.D(real).mean()
            self.opt_d.zero_grad()
            d_loss.backward()
            self.opt_d.step()
            g_loss = -self.D(self.G(z)).mean()
            self.opt_g.zero_grad()
            g_loss.backward()
            self.opt_g.step()
            self.steps_done += 1
            return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach()}

    import numpy as np

    data = (np.random.default_rng(0).normal(size=(64 * MAX_STEPS, 2)) * 0.5 + 3.0).astype(
        "float32")
    lines = []
    callback = keras_callback(fail_on=["diverged"], printer=lines.append)
    model = ToyGAN()
    model.compile()
    model.fit(data, batch_size=64, epochs=1, verbose=0, callbacks=[callback], shuffle=False)
    (failing,) = callback.monitor.failing
    assert failing.label == "diverged"
    assert model.steps_done < BLOWUP_FROM + 200  # stopped, not run to MAX_STEPS
    assert any("diverged found" in line for line in lines)
