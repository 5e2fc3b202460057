"""What the HTML report embeds: LTTB downsampling that keeps extremes, the panel each series
goes to, equilibrium lines only where the family gives one, and the size per run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ganlogs.analysis import Analysis, Settings
from ganlogs.report.downsample import downsample, lttb_indices
from ganlogs.report.payload import overview_payload, panel_of, run_payload
from ganlogs.run import Run

from _build import finding, make_run, result
from browser_support import series_values


# ----------------------------------------------------------------------------- LTTB
def test_lttb_keeps_ends_and_count_and_follows_the_shape():
    x = np.arange(10_000, dtype=float)
    y = np.sin(x / 500) + 0.01 * np.random.default_rng(0).standard_normal(len(x))
    idx = lttb_indices(x, y, 500)
    assert len(idx) == 500 and idx[0] == 0 and idx[-1] == len(x) - 1
    assert np.all(np.diff(idx) > 0)
    # the drawn line stays within the noise of the full one
    assert np.max(np.abs(np.interp(x, x[idx], y[idx]) - y)) < 0.1
    # a reference implementation of the textbook algorithm picks the same points
    assert np.array_equal(idx, _lttb_reference(x, y, 500))


@pytest.mark.parametrize("size, n", [(3000, 2000), (10_000, 500), (200_000, 2000), (5000, 3)])
@pytest.mark.parametrize("passes", [64, 1])  # 1: finished by the sequential loop
def test_lttb_fixed_point_equals_the_sequential_algorithm(size, n, passes):
    rng = np.random.default_rng(size)
    x = np.arange(size, dtype=float) * 10
    y = np.cumsum(rng.standard_normal(size))
    y[rng.integers(0, size, 5)] += 100  # spikes
    assert np.array_equal(lttb_indices(x, y, n, max_passes=passes), _lttb_reference(x, y, n))


def _lttb_reference(x, y, n):
    size = len(x)
    every = (size - 2) / (n - 2)
    out, a = [0], 0
    for i in range(n - 2):
        lo = int(np.floor(i * every)) + 1
        hi = int(np.floor((i + 1) * every)) + 1
        nlo, nhi = hi, min(int(np.floor((i + 2) * every)) + 1, size)
        if i == n - 3:
            nlo, nhi = size - 1, size
        cx, cy = x[nlo:nhi].mean(), y[nlo:nhi].mean()
        area = np.abs((x[a] - cx) * (y[lo:hi] - y[a]) - (x[a] - x[lo:hi]) * (cy - y[a]))
        a = lo + int(np.argmax(area))
        out.append(a)
    return np.array(out + [size - 1])


def test_downsample_keeps_a_spike_the_first_nan_and_a_restart():
    n = 200_000
    x = np.arange(n, dtype=float)
    y = np.random.default_rng(1).normal(1.0, 0.05, n)
    y[123_457] = 50.0       # one spike
    y[150_001] = -7.0       # one dip
    y[190_000:] = np.nan    # the run diverged
    idx = downsample(x, y, 2000, keep_steps=np.array([77_777]))
    assert len(idx) <= 2000 + 4
    kept = set(idx.tolist())
    assert {123_457, 150_001, 190_000, 77_777} <= kept
    assert np.isnan(y[idx]).sum() == 1  # the first NaN only
    # short series are left whole
    assert np.array_equal(downsample(x[:50], y[:50], 2000), np.arange(50))


# ----------------------------------------------------------------------------- panels
@pytest.mark.parametrize("tag, role, panel", [
    ("G_GAN", "g_loss", "g_loss"), ("G_L1", None, "g_loss"), ("D_real", "d_loss_real", "d_loss"),
    ("Loss/D/reg", None, "d_loss"), ("Loss/scores/fake", None, "d_outputs"),
    ("cycle_A", None, "g_loss"), ("idt_B", None, "g_loss"), ("lr_G", None, "lr"),
    ("learning_rate", None, "lr"), ("Metrics/fid50k_full", None, "quality"), ("FID", None, "quality"),
    ("grad_norm/D", None, "grad_norms"), ("Timing/sec_per_kimg", None, "other:Timing"),
    ("Resources/peak_gpu_mem_gb", None, "other:Resources"), ("epoch", None, "other:"),
])
def test_every_tag_has_a_panel(tag, role, panel):
    assert panel_of(tag, role) == panel


def _run_with(family: str, tags: dict[str, np.ndarray], roles: dict[str, str]):
    run = make_run("r", tags)
    return result(run, [finding("converged", 0.8, 100)], roles=roles, family=family,
                  reduction="mean")


def test_equilibrium_lines_only_where_the_family_gives_one_and_on_their_panel():
    rng = np.random.default_rng(0)
    n = 300
    bce = _run_with("bce_nonsaturating",
                    {"d": 0.7 + 0.05 * rng.standard_normal(n), "g": 0.7 + 0.1 * rng.standard_normal(n),
                     "dx": np.clip(0.5 + 0.1 * rng.standard_normal(n), 0, 1),
                     "dgz": np.clip(0.5 + 0.1 * rng.standard_normal(n), 0, 1)},
                    {"d_loss": "d", "g_loss": "g", "d_x": "dx", "d_gz": "dgz"})
    panels = {p["id"]: p for p in run_payload(bce, "root")["panels"]}
    assert [h["y"] for h in panels["d_loss"]["hlines"]] == [pytest.approx(np.log(2))]
    assert [h["y"] for h in panels["g_loss"]["hlines"]] == [pytest.approx(np.log(2))]
    assert [h["y"] for h in panels["d_outputs"]["hlines"]] == [0.5]
    # hinge: D outputs are raw scores: no D = 1/2 line (and no fixed [0, 1] axis)
    hinge = _run_with("hinge", {"d": 2 + rng.standard_normal(n), "g": rng.standard_normal(n),
                                "dx": 1 + rng.standard_normal(n), "dgz": -1 + rng.standard_normal(n)},
                      {"d_loss": "d", "g_loss": "g", "d_x": "dx", "d_gz": "dgz"})
    panels = {p["id"]: p for p in run_payload(hinge, "root")["panels"]}
    assert panels["d_outputs"]["hlines"] == []
    assert [h["y"] for h in panels["d_loss"]["hlines"]] == [1.0]
    # WGAN: no equilibrium at all
    wgan = _run_with("wgan_gp", {"d": rng.standard_normal(n), "g": rng.standard_normal(n)},
                     {"d_loss": "d", "g_loss": "g"})
    assert all(p["hlines"] == [] for p in run_payload(wgan, "root")["panels"])


def test_every_logged_scalar_is_drawn_and_a_run_stays_under_100_kb():
    from ganlogs.report.html import script_json

    rng = np.random.default_rng(0)
    n = 20_000
    tags = {"Loss/D/loss": rng.standard_normal(n), "Loss/G/loss": rng.standard_normal(n)}
    tags.update({f"Timing/t{k}": rng.standard_normal(n) for k in range(20)})
    tags.update({f"Loss/extra{k}": rng.standard_normal(n) for k in range(6)})
    r = _run_with("bce_nonsaturating", tags, {"d_loss": "Loss/D/loss", "g_loss": "Loss/G/loss"})
    data = run_payload(r, "root")
    drawn = [s for p in data["panels"] for s in p["series"]]
    assert sorted(s["tag"] for s in drawn) == sorted(tags)
    roles = [s for s in drawn if s["role"]]
    assert all(s["drawn"] >= 2000 for s in roles)  # the roles keep a few thousand points
    assert len(script_json(data).encode()) < 100_000  # as the page embeds it


def test_overview_has_hparams_and_an_overlay_for_each_role():
    rng = np.random.default_rng(0)
    runs = []
    for i, lr in enumerate((1e-4, 2e-4, 1e-4)):
        run = make_run(f"run{i}", {"d": rng.standard_normal(400), "g": rng.standard_normal(400)},
                       hparams={"lr": lr, "seed": i, "opt": "adam"})
        runs.append(result(run, [finding("converged", 0.8, 100)]))
    ov = overview_payload(Analysis(root="sweep", runs=runs, settings=Settings()))
    assert ov["hparams"][:2] == ["lr", "seed"]  # varying first
    assert [r["hp"]["lr"] for r in ov["runs"]] == [1e-4, 2e-4, 1e-4]
    assert set(ov["overlay"]) == {"d_loss", "g_loss"}
    assert len(ov["overlay"]["g_loss"]["runs"]) == 3
    assert all(r["reason"] for r in ov["runs"])


def test_restart_steps_are_kept_when_downsampling():
    n = 6000
    steps = np.r_[np.arange(n), np.arange(3000, n)]  # restarted from step 3000
    values = np.r_[np.ones(n), np.full(n - 3000, 2.0)]
    frame = pd.DataFrame({"tag": "d", "step": steps, "value": values})
    frame = pd.concat([frame, frame.assign(tag="g")], ignore_index=True)
    run = Run.from_frame(frame, run_id="r", path="r", format="csv_wide")
    r = result(run, [finding("converged", 0.8, 100)], roles={"d_loss": "d", "g_loss": "g"})
    d = next(s for p in run_payload(r, "root")["panels"] for s in p["series"] if s["tag"] == "d")
    x, y = series_values(d)
    assert 3000 in x.tolist() and y[x.tolist().index(3000)] == 2.0


def test_findings_and_roles_of_adversarial_pairs_are_rendered_generically():
    """A CycleGAN-style run: findings naming their pair (``pair``), roles per pair."""
    from dataclasses import dataclass
    from types import SimpleNamespace

    from ganlogs.detectors.base import Finding

    @dataclass(frozen=True)
    class PairFinding(Finding):  # the field the pairs work adds to Finding
        pair: str | None = None

    rng = np.random.default_rng(0)
    n = 300
    run = make_run("cyclegan", {t: rng.random(n) + 0.5 for t in
                                ("D_A", "G_A", "cycle_A", "D_B", "G_B", "cycle_B")})
    f_a = PairFinding(label="mode_collapse", confidence=0.9, onset_step=100, evidence={"x": 1.0},
                      summary="A collapsed", detector="m", detector_version="1", pair="A")
    f_b = PairFinding(label="converged", confidence=0.3, onset_step=None, evidence={"y": "z"},
                      summary="B fine", detector="c", detector_version="1", pair="B")
    r = result(run, [f_a, f_b], roles={})
    r.roles = SimpleNamespace(tags={}, has_losses=True, get=lambda role: None,
                              pairs={"A": SimpleNamespace(tags={"d_loss": "D_A", "g_loss": "G_A"}),
                                     "B": SimpleNamespace(tags={"d_loss": "D_B", "g_loss": "G_B"})})
    data = run_payload(r, "root")
    assert [f["pair"] for f in data["findings"]] == ["A", "B"]
    assert data["labels"] == [["mode_collapse", 0.9, "A"]]
    assert data["spans"][0]["pair"] == "A"
    assert data["roles"] == {"d_loss [A]": "D_A", "g_loss [A]": "G_A", "d_loss [B]": "D_B",
                             "g_loss [B]": "G_B"}
    panels = {p["id"]: [s["name"] for s in p["series"]] for p in data["panels"]}
    assert panels["d_loss"] == ["D_A (d_loss, A)", "D_B (d_loss, B)"]
    assert set(panels["g_loss"]) == {"G_A (g_loss, A)", "G_B (g_loss, B)", "cycle_A", "cycle_B"}


def test_a_composite_d_loss_is_drawn_from_its_parts():
    """pix2pix logs D_real and D_fake only; the D loss the detectors judge is their sum."""
    from ganlogs.roles import RoleMap

    rng = np.random.default_rng(0)
    real, fake = rng.random(200), rng.random(200)
    run = make_run("p2p", {"G_GAN": rng.random(200) + 1, "D_real": real, "D_fake": fake})
    r = result(run, [finding("converged", 0.8, 100)], family="bce_nonsaturating",
               reduction="summed", roles={})
    r.roles = RoleMap(tags={"d_loss": "D_real+D_fake", "d_loss_real": "D_real",
                            "d_loss_fake": "D_fake", "g_loss": "G_GAN"},
                      sums={"D_real+D_fake": ("D_real", "D_fake")})
    panel = next(p for p in run_payload(r, "root")["panels"] if p["id"] == "d_loss")
    summed = next(s for s in panel["series"] if s["tag"] == "D_real+D_fake")
    _, y = series_values(summed)
    assert y == pytest.approx((real + fake).astype(np.float32))
    assert [round(h["y"], 3) for h in panel["hlines"]] == [1.386, 0.693]
