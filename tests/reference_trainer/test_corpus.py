"""The committed labelled corpus: schema, logs that match it, and seeded regeneration."""

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from reference_trainer import LABELS, LOSS_FAMILIES, ROLES  # noqa: E402
from reference_trainer.scenarios import build_specs  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "labelled"
REQUIRED = ("run_id", "labels", "outcome", "intended_label", "scenario", "family", "config", "measures", "onset_step",
            "log", "device", "seed", "torch_version", "split", "split_reason", "truth_sources", "labels_independent",
            "labels_partly_in_logs")
FIVE = LABELS[:5]

pytestmark = pytest.mark.skipif(not (CORPUS / "manifest.json").exists(), reason="small corpus not generated")


def _runs():
    return sorted(p for p in CORPUS.iterdir() if (p / "ground_truth.json").exists())


def test_every_run_has_a_complete_ground_truth():
    runs = _runs()
    assert len(runs) >= 20
    for p in runs:
        gt = json.loads((p / "ground_truth.json").read_text())
        for k in REQUIRED:
            assert k in gt, (p.name, k)
        assert gt["run_id"] == p.name
        assert set(gt["labels"]) <= set(LABELS)
        # every run is kept: no label means the truth is not_converged, never a dropped run
        assert (gt["outcome"] == "not_converged") == (not gt["labels"])
        if not gt["labels"]:
            assert gt["not_converged_reason"] in ("still improving", "blurry", "poor at a stalemate", "getting worse")
        assert gt["log"]["loss_family"] in LOSS_FAMILIES
        assert gt["log"]["d_loss_reduction"] in ("summed", "mean")
        assert set(gt["log"]["tags"]) <= set(ROLES)
        tags = set(gt["log"]["tags"])
        assert "g_loss" in tags and ("d_loss" in tags or {"d_loss_real", "d_loss_fake"} <= tags)
        if "converged" in gt["labels"]:
            assert gt["labels"] == ["converged"]
        assert set(gt["truth_sources"]) == set(gt["labels"])
        assert sorted(gt["labels_independent"] + gt["labels_partly_in_logs"]) == sorted(gt["labels"])
        assert gt["split"] in ("tuning", "held_out")


def test_manifest_counts_match_the_run_directories():
    m = json.loads((CORPUS / "manifest.json").read_text())
    counts = {k: 0 for k in (*LABELS, "not_converged")}
    for p in _runs():
        gt = json.loads((p / "ground_truth.json").read_text())
        for lab in gt["labels"] or ["not_converged"]:
            counts[lab] += 1
    assert m["counts_per_label"] == counts
    assert all(counts[k] >= 3 for k in FIVE), counts
    assert counts["not_converged"] >= 1, "runs that fit no rule are kept"
    assert not (CORPUS / "_unlabelled").exists()
    for k in ("command", "device", "torch_version", "elapsed_s", "intended_rate_per_family", "counts_per_family"):
        assert k in m


def test_csv_logs_hold_the_tags_of_their_ground_truth():
    pd = pytest.importorskip("pandas")
    seen = 0
    for p in _runs():
        gt = json.loads((p / "ground_truth.json").read_text())
        if gt["log"]["format"] != "csv":
            continue
        df = pd.read_csv(p / "metrics.csv")
        assert list(df.columns) == ["step", *gt["log"]["tags"].values()]
        assert len(df) == gt["log"]["points_per_tag"]
        seen += 1
    assert seen > 0


def test_tensorboard_logs_hold_the_tags_of_their_ground_truth():
    ea = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    seen = 0
    for p in _runs():
        gt = json.loads((p / "ground_truth.json").read_text())
        if gt["log"]["format"] != "tensorboard":
            continue
        acc = ea.EventAccumulator(str(p), size_guidance={ea.SCALARS: 0})
        acc.Reload()
        assert set(acc.Tags()["scalars"]) == set(gt["log"]["tags"].values())
        for tag in acc.Tags()["scalars"]:
            assert len(acc.Scalars(tag)) == gt["log"]["points_per_tag"]
        seen += 1
        if seen >= 5:
            break
    assert seen > 0


def test_logged_scalars_carry_no_ground_truth():
    for p in _runs():
        gt = json.loads((p / "ground_truth.json").read_text())
        for tag in gt["log"]["tags"].values():
            assert "label" not in tag and "coverage" not in tag


# cheap runs, one per kind of truth: analytic blow-up, analytic cycle, measured 2-D collapse,
# and a run that fits no rule (not_converged: still gaining modes). The grid pair is its whole
# batch, so it is retrained exactly as it was.
REGEN = ("dirac_wgan_sim_looseclip_000", "dirac_wgan_clip_alt_000", "ring8_smallG_strongD_000",
         "grid25_smallG_strongD_000", "grid25_smallG_strongD_001")


def _borderline(old: dict, new: dict) -> set[str]:
    """Labels whose truth decision sat within a factor 10 of its threshold in either run.

    A CPU whose torch kernels use other vector instructions (AVX2 against AVX-512) rounds
    differently, and training amplifies the difference: on a machine unlike the one that
    wrote the fixtures, ``grid25_smallG_strongD_000``'s damped-spiral test moved from p = 0.033
    to 1.4e-11 (alpha 0.01), which adds ``oscillating``. Only such a decision may differ."""
    from reference_trainer.cycles import SPIRAL_ALPHA

    ps = [gt["measures"].get("oscillation", {}).get("spiral_p_value") for gt in (old, new)]
    near = any(p is not None and SPIRAL_ALPHA / 10 <= p <= SPIRAL_ALPHA * 10 for p in ps)
    return {"oscillating"} if near else set()


def test_regenerating_runs_reproduces_their_committed_labels(tmp_path):
    from reference_trainer.sweep import run_sweep

    ids = [i for i in REGEN if (CORPUS / i / "ground_truth.json").exists()]
    assert ids, "no regeneration candidates in the corpus"
    run_sweep(tmp_path, size="small", device="cpu", only=ids, log=lambda *_: None)
    for i in ids:
        old = json.loads((CORPUS / i / "ground_truth.json").read_text())
        new = json.loads((tmp_path / i / "ground_truth.json").read_text())
        assert set(new["labels"]) ^ set(old["labels"]) <= _borderline(old, new), i
        assert new["outcome"] == old["outcome"], i
        assert new["config"] == old["config"]
        # a run trained in a smaller batch drifts by floating-point rounding: allow one mode
        tol = max(0.1, 1.0 / old["measures"]["n_modes"] + 1e-6)
        for k in ("coverage_end", "hq_fraction_end"):
            assert np.isclose(new["measures"][k], old["measures"][k], atol=tol), (i, k)


def test_specs_are_deterministic():
    a, b = build_specs("small"), build_specs("small")
    assert a == b
    assert len({s["run_id"] for s in a}) == len(a)
