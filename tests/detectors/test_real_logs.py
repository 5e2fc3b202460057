"""Verdicts on real training logs from public repositories (../shared/real-logs/, never
committed; skipped when absent). The sound verdicts are the README's there, mapped to labels
by DECISIONS.md: "D wins outright" -> no converged and a failure finding at >= 0.5 whose
summary says the discriminator won, onset within 15% of the run of the README's; "healthy"
-> no failure label.

Each adversarial pair is judged on its own context (``RunContext.build`` with the pair's
roles), which is what a per-pair analysis gives it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import ganlogs
from ganlogs.analysis import labels_of, run_findings
from ganlogs.detectors import RunContext, default_detectors
from ganlogs.findings import FAILURE_LABELS
from ganlogs.roles import infer_roles

REAL = Path(__file__).resolve().parents[3] / "shared" / "real-logs"


def _pairs(name: str) -> dict:
    path = REAL / name
    if not path.exists():
        pytest.skip(f"{path} absent (real logs are not committed)")
    run = ganlogs.read(path)
    roles = infer_roles(run.tags, points={t: 1 for t in run.tags},
                        values=lambda t: run.series(t).to_numpy())
    out = {}
    for pair, pr in roles.pair_items():
        ctx = RunContext.build(run, pr)
        labels, found = labels_of(run_findings(ctx, default_detectors()))
        steps = [int(i) for t in pr.tags.values() for i in run.series(t).index]
        out[pair] = (labels, found, min(steps), max(steps))
    return out


@pytest.mark.parametrize("name,pair,where", [
    ("cyclegan_h2z_vit_restarts", "A", 0.0),   # "win outright from the very start"
    ("cyclegan_h2z_vit_restarts", "B", 0.0),
    ("cyclegan_stroke_val", "B", 0.25),        # "from about a quarter of the run"
])
def test_a_discriminator_that_wins_outright_is_a_failure_not_converged(name, pair, where):
    labels, found, lo, hi = _pairs(name)[pair]
    assert "converged" not in labels
    fails = [f for f in found if f.label in ("mode_collapse", "vanishing_gradients")
             and f.confidence >= 0.5 and "discriminator won" in f.summary]
    assert fails, [(f.label, f.confidence, f.summary) for f in found]
    onset = (fails[0].onset_step - lo) / (hi - lo)
    assert abs(onset - where) <= 0.15, onset


@pytest.mark.parametrize("name", ["cyclegan_maps_mikelmh", "kerasgan_dcgan_mnist",
                                  "stylegan2ada_phyto"])
def test_healthy_real_runs_get_no_failure_label(name):
    for pair, (labels, found, _, _) in _pairs(name).items():
        assert not set(labels) & set(FAILURE_LABELS), (pair, labels)


def test_the_a_side_of_stroke_val_is_not_called_a_winning_discriminator():
    labels, _, _, _ = _pairs("cyclegan_stroke_val")["A"]
    assert not set(labels) & set(FAILURE_LABELS)
