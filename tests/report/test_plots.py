"""SVG plots: downsampling keeps extremes, smoothing is debiased, equilibria follow the loss
family and reduction, spans follow the labels, long series stay small."""

from __future__ import annotations

import re

import numpy as np
import pytest

from ganlogs.report.plots import Trace, downsample_minmax, line_chart, run_plots, smooth

from _build import finding, make_run, result


def test_minmax_downsampling_keeps_a_single_spike():
    x = np.arange(1_000_000, dtype=float)
    y = np.sin(x / 5000.0)
    y[654_321] = 40.0
    y[10] = -40.0
    cx, lo, hi = downsample_minmax(x, y, 0, x[-1], 800)
    assert len(cx) == 800
    assert hi.max() == 40.0 and lo.min() == -40.0
    assert np.all(lo <= hi)


def test_downsampling_drops_non_finite_points():
    x = np.arange(10.0)
    y = np.array([1, np.nan, 3, np.inf, 5, 6, 7, 8, 9, 10.0])
    cx, lo, hi = downsample_minmax(x, y, 0, 9, 100)
    assert np.isfinite(lo).all() and len(cx) == 8


def test_smoothing_is_debiased_and_light():
    assert np.allclose(smooth(np.full(500, 3.0)), 3.0)  # no pull toward 0 at the start
    y = np.random.default_rng(0).standard_normal(50)
    assert np.allclose(smooth(y), y)  # 50 points: span 1, nothing smoothed
    long = np.r_[np.zeros(6000), np.ones(6000)]
    s = smooth(long)
    assert s[6000 + 500] > 0.99  # a step is followed within ~1/24 of the series
    assert s[6000 + 20] < 0.2  # ... but noise is smoothed


def test_blow_up_is_clipped_and_counted():
    x = np.arange(1000.0)
    y = np.r_[np.ones(900), np.geomspace(1, 1e9, 100)]
    y[-1] = np.nan
    svg = line_chart([Trace("d", x, y, "#000")], title="t")
    off = int(re.search(r"(\d+) point\(s\) off scale", svg).group(1))
    assert 50 < off < 100
    assert "▼ 1 NaN/Inf" in svg
    # the y axis shows the bulk, not 1e9
    assert "e+09" not in svg and "1e+0" not in svg


def _losses_run(family, reduction, findings=(), labelled_threshold=0.5):
    n = 400
    rng = np.random.default_rng(1)
    g = -0.8 if family == "bce_minimax" else 0.8  # minimax: G minimises log(1 - D(G(z))) < 0
    run = make_run("r", {"Loss/D": 1.2 + 0.05 * rng.standard_normal(n),
                         "Loss/G": g + 0.05 * rng.standard_normal(n)})
    return result(run, list(findings), family=family, reduction=reduction,
                  min_confidence=labelled_threshold)


@pytest.mark.parametrize("family, reduction, d_eq, g_eq", [
    ("bce_nonsaturating", "summed", "1.386", "0.693"),
    ("bce_nonsaturating", "mean", "0.693", "0.693"),
    ("lsgan", "summed", "0.500", "0.250"),
    ("hinge", "mean", "1.000", "0.000"),
    ("bce_minimax", "summed", "1.386", "-0.693"),
])
def test_equilibrium_lines_follow_family_and_reduction(family, reduction, d_eq, g_eq):
    plots = dict(run_plots(_losses_run(family, reduction)))
    assert list(plots) == ["d_loss", "g_loss"]  # D and G on their own y-axes
    assert f"D equilibrium {d_eq} ({family}, {reduction})" in plots["d_loss"]
    assert f"G equilibrium {g_eq}" in plots["g_loss"] and "D equilibrium" not in plots["g_loss"]


def test_no_d_line_when_the_reduction_is_unknown_and_none_for_wgan():
    svg = "".join(s for _, s in run_plots(_losses_run("bce_nonsaturating", None)))
    assert "D equilibrium" not in svg and "G equilibrium 0.693" in svg
    svg = "".join(s for _, s in run_plots(_losses_run("wgan_gp", "summed")))
    assert "equilibrium" not in svg


def test_only_labelled_findings_are_shaded():
    r = _losses_run("bce_nonsaturating", "summed",
                    [finding("mode_collapse", 0.9, 2000, span=(2000, 3990)),
                     finding("oscillating", 0.2, 100, span=(100, 900)),
                     finding("insufficient_data", 1.0, None, span=(0, 3990))])
    svg = dict(run_plots(r))["d_loss"]
    spans = re.findall(r'<g class="span"><title>([^<]*)</title>', svg)
    assert spans == ["mode_collapse 0.90"]
    # the span starts at step 2000 of 0..3990
    x = float(re.search(r'<g class="span">.*?<rect x="([\d.]+)"', svg).group(1))
    left, width = 58.0, 1000 - 58 - 14
    assert x == pytest.approx(left + 2000 / 3990 * width, abs=0.2)


def test_probabilities_and_grad_norms_plots_when_logged():
    n = 300
    run = make_run("r", {"d": np.ones(n), "g": np.ones(n), "D(x)": np.full(n, 0.7),
                         "D(G(z))": np.full(n, 0.3), "gn": np.geomspace(1, 1e-6, n)})
    r = result(run, [], roles={"d_loss": "d", "g_loss": "g", "d_x": "D(x)", "d_gz": "D(G(z))",
                               "g_grad_norm": "gn"})
    kinds = [k for k, _ in run_plots(r)]
    assert kinds == ["d_loss", "g_loss", "probabilities", "grad_norms"]
    grads = dict(run_plots(r))["grad_norms"]
    assert "log scale" in grads and "1e-06" in grads


def test_long_series_make_small_svgs():
    n = 500_000
    run = make_run("r", {"d": np.random.default_rng(2).standard_normal(n), "g": np.ones(n)})
    svgs = dict(run_plots(result(run, [])))
    assert list(svgs) == ["d_loss", "g_loss"]
    assert all(len(svg) < 120_000 for svg in svgs.values())
