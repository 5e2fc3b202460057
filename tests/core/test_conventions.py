"""Loss equilibria, summed-versus-mean D loss and loss-family inference."""

import math

import numpy as np
import pandas as pd
import pytest

from ganlogs.conventions import equilibrium, infer_d_loss_reduction, infer_loss_family
from ganlogs.errors import UsageError

LN2 = math.log(2)


def s(values):
    return pd.Series(np.asarray(values, float), index=np.arange(len(values)))


def test_equilibria():
    assert equilibrium("bce_nonsaturating", "summed").d_loss == pytest.approx(2 * LN2)
    assert equilibrium("bce_nonsaturating", "mean").d_loss == pytest.approx(LN2)
    assert equilibrium("bce_nonsaturating").g_loss == pytest.approx(LN2)
    assert equilibrium("wgan_gp").d_loss is None
    with pytest.raises(UsageError, match="loss family"):
        equilibrium("gan")


def test_reduction_from_real_fake_split():
    rng = np.random.default_rng(1)
    r, f = rng.uniform(0.2, 0.8, 100), rng.uniform(0.2, 0.8, 100)
    got = infer_d_loss_reduction(s(r + f), None, s(r), s(f))
    assert (got.reduction, got.method) == ("summed", "real_fake_split")
    got = infer_d_loss_reduction(s((r + f) / 2), None, s(r), s(f))
    assert (got.reduction, got.method) == ("mean", "real_fake_split")


def test_reduction_from_early_values():
    rng = np.random.default_rng(2)
    g = s(LN2 + 0.02 * rng.standard_normal(200))
    summed = infer_d_loss_reduction(s(2 * LN2 + 0.02 * rng.standard_normal(200)), g)
    mean = infer_d_loss_reduction(s(LN2 + 0.02 * rng.standard_normal(200)), g)
    assert summed.reduction == "summed" and mean.reduction == "mean"
    assert summed.method == "early_ratio"


def test_reduction_unknown_and_stated():
    assert infer_d_loss_reduction(s([5.0, 6.0, 7.0, 8.0])).reduction is None
    assert infer_d_loss_reduction(s([5.0]), stated="mean").method == "user"
    with pytest.raises(UsageError):
        infer_d_loss_reduction(None, stated="avg")


def test_family_from_values_and_names():
    rng = np.random.default_rng(3)
    noise = 0.02 * rng.standard_normal(200)
    assert infer_loss_family(s(-1 + noise), s(0.5 + noise)).family == "wgan_gp"
    assert infer_loss_family(s(1.38 + noise), s(-0.7 + noise)).family == "bce_minimax"
    assert infer_loss_family(s(1.38 + noise), s(0.69 + noise)).family == "bce_nonsaturating"
    assert infer_loss_family(s(2.0 + noise), s(0.0 + noise)).family == "hinge"
    assert infer_loss_family(s(1.0 + noise), s(1.0 + noise), tags=["critic_loss"]).method == \
        "tag_names"
    assert infer_loss_family(None, None, stated="lsgan").family == "lsgan"


def test_resolver_gives_family_reduction_and_equilibrium():
    from ganlogs.conventions import resolve_conventions

    rng = np.random.default_rng(4)
    noise = 0.02 * rng.standard_normal(200)
    lf = resolve_conventions({"d_loss": s(2 * LN2 + noise), "g_loss": s(LN2 + noise)})
    assert (lf.family, lf.d_loss_reduction, lf.assumed) == ("bce_nonsaturating", "summed", False)
    assert lf.equilibrium_d_loss == pytest.approx(2 * LN2)
    assert lf.equilibrium_g_loss == pytest.approx(LN2)
    stated = resolve_conventions({"d_loss": s(noise)}, loss_family="wgan_gp")
    assert stated.method == "user" and stated.equilibrium_d_loss is None
    # unknown family: no equilibrium is assumed (a wrong one turns a loss x10 into a
    # collapse); the detectors read levels relative to the run's own start
    odd = resolve_conventions({"d_loss": s(5.0 + noise), "g_loss": s(3.0 + noise)})
    assert odd.family is None and not odd.assumed and odd.reference_family is None
    assert odd.equilibrium_d_loss is None
    assert any("own scale" in r for r in odd.reasons)
    assert resolve_conventions({}).equilibrium_d_loss is None


def test_family_is_unknown_when_the_values_leave_doubt():
    """Issue 10 item 3: losses x10, or a G loss + 5, match no family's start: unknown beats
    a wrong guess."""
    rng = np.random.default_rng(5)
    noise = 0.02 * rng.standard_normal(200)
    assert infer_loss_family(s(13.86 + noise), s(6.93 + noise)).family is None
    assert infer_loss_family(s(1.386 + noise), s(5.69 + noise)).family is None


def test_resolver_survives_finite_values_at_the_float64_limit():
    from ganlogs.conventions import resolve_conventions

    lf = resolve_conventions({"d_loss": s([1e308, -1e308] * 50), "g_loss": s([1e308] * 100)})
    assert lf.family in (None, "wgan_gp")
