"""The metamorphic transforms (bench/logtransforms.py) change what they say and nothing else,
and bench/metamorphic.py runs on fixture runs through ganlogs' public API only."""

import ast
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))

import ganlogs  # noqa: E402
import logtransforms as lt  # noqa: E402
import metamorphic  # noqa: E402

CORPUS = ROOT / "fixtures" / "labelled"

pytestmark = pytest.mark.skipif(not (CORPUS / "manifest.json").exists(), reason="small corpus not generated")


def _find(pred):
    """The first fixture run whose logged roles satisfy ``pred`` (the corpus may be regenerated)."""
    for p in metamorphic.corpus_runs(CORPUS):
        gt = metamorphic.read_truth(p)
        if pred(set(gt["log"]["tags"])):
            return p, gt
    pytest.skip("no fixture run logs those roles")


def _series(frame, tag):
    f = frame[frame["tag"].astype(str) == tag]
    return f["step"].to_numpy(), f["value"].to_numpy(dtype=np.float64)


@pytest.fixture(scope="module")
def with_d_outputs():
    p, gt = _find(lambda roles: {"d_loss", "g_loss"} <= roles and ({"d_x", "g_grad_norm"} & roles))
    run = metamorphic.load_run(p)
    return run, metamorphic.frame_of(run), gt["log"]["tags"]


@pytest.fixture(scope="module")
def with_parts():
    p, gt = _find(lambda roles: {"d_loss_real", "d_loss_fake", "g_loss"} <= roles)
    run = metamorphic.load_run(p)
    return run, metamorphic.frame_of(run), gt["log"]["tags"]


def _loss_tags(tags):
    return {tags[r] for r in lt.LOSS_ROLES if r in tags}


@pytest.mark.parametrize("name,factor", [("loss_x10", 10.0), ("loss_x0.1", 0.1)])
def test_loss_scaling_multiplies_loss_roles_only(with_d_outputs, name, factor):
    run, frame, tags = with_d_outputs
    out = lt.transform(name, frame, tags)
    losses = _loss_tags(tags)
    assert len(out) == len(frame)
    for tag in frame["tag"].astype(str).unique():
        s0, v0 = _series(frame, tag)
        s1, v1 = _series(out, tag)
        assert np.array_equal(s0, s1)
        if tag in losses:
            np.testing.assert_allclose(v1, v0 * factor, rtol=1e-12)
        else:  # D(x), D(G(z)), gradient norms untouched
            np.testing.assert_array_equal(v1, v0)
    assert set(out["tag"].astype(str)) - losses  # the run does log a non-loss role


def test_offset_and_d_sum(with_parts):
    run, frame, tags = with_parts
    off = lt.transform("offset_g5_d1", frame, tags)
    np.testing.assert_allclose(_series(off, tags["g_loss"])[1], _series(frame, tags["g_loss"])[1] + 5)
    if "d_loss" in tags:
        np.testing.assert_allclose(_series(off, tags["d_loss"])[1], _series(frame, tags["d_loss"])[1] + 1)
        np.testing.assert_array_equal(_series(off, tags["d_loss_real"])[1], _series(frame, tags["d_loss_real"])[1])
    s3 = lt.transform("d_sum3", frame, tags)
    for role in ("d_loss", "d_loss_real", "d_loss_fake"):
        if role in tags:
            np.testing.assert_allclose(_series(s3, tags[role])[1], 3 * _series(frame, tags[role])[1])
    np.testing.assert_array_equal(_series(s3, tags["g_loss"])[1], _series(frame, tags["g_loss"])[1])


def test_tensorboard_ema_is_debiased_and_skips_non_finite():
    v = np.array([1.0, 3.0, np.nan, 5.0])
    out = lt.tensorboard_ema(v, 0.9)
    assert out[0] == pytest.approx(1.0)  # debiased: the first value is shown as it is
    assert out[1] == pytest.approx((0.9 * 0.1 * 1 + 0.1 * 3) / (1 - 0.81))
    assert np.isnan(out[2])
    last = 0.9 * (0.9 * 0.1 * 1 + 0.1 * 3) + 0.1 * 5
    assert out[3] == pytest.approx(last / (1 - 0.9**3))
    frame = pd.DataFrame({"tag": ["a", "b", "a", "b"], "step": [0, 0, 1, 1], "value": [1.0, 10.0, 3.0, 30.0],
                          "wall_time": 0.0, "source": "x"})
    sm = lt.transform("ema0.9", frame, {"g_loss": "a"})
    assert _series(sm, "b")[1][1] == pytest.approx(lt.tensorboard_ema(np.array([10.0, 30.0]), 0.9)[1])


def test_decimation_keeps_every_kth_point_per_tag(with_d_outputs):
    run, frame, tags = with_d_outputs
    out = lt.transform("every4", frame, tags)
    for tag in frame["tag"].astype(str).unique():
        s0, v0 = _series(frame, tag)
        s1, v1 = _series(out, tag)
        assert np.array_equal(s1, s0[3::4]) and np.array_equal(v1, v0[3::4], equal_nan=True)
    small = frame.groupby(frame["tag"].astype(str)).head(100)
    assert not lt.applies("every4", small, tags)


def test_resumed_run_reads_back_as_the_original_through_the_restart_policy(with_d_outputs):
    run, frame, tags = with_d_outputs
    out = lt.transform("resumed", frame, tags)
    assert len(out) > len(frame)  # the lost attempt's points are there
    resumed = metamorphic.rebuild(run, out)
    assert resumed.scalars["superseded"].sum() == len(out) - len(frame)
    for tag in run.tags:
        a, b = run.series(tag), resumed.series(tag)
        assert np.array_equal(a.index.to_numpy(), b.index.to_numpy())
        np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())


def test_lr_step_touches_learning_rates_only(with_d_outputs):
    run, frame, tags = with_d_outputs
    out = lt.transform("lr_step75", frame, tags)
    new = set(out["tag"].astype(str)) - set(frame["tag"].astype(str))
    assert new == {"lr/G", "lr/D"}
    steps, lr = _series(out, "lr/G")
    assert lr[0] == pytest.approx(2e-4) and lr[-1] == pytest.approx(2e-5)
    cut = steps[np.argmax(lr < 1e-4)]
    assert 0.7 <= np.searchsorted(np.sort(frame["step"].unique()), cut) / frame["step"].nunique() <= 0.8
    for tag in frame["tag"].astype(str).unique():
        np.testing.assert_array_equal(_series(out, tag)[1], _series(frame, tag)[1])
    logged = {**tags, "lr_g": "lrg"}
    f2 = pd.concat([frame, frame[frame["tag"].astype(str) == tags["g_loss"]].assign(tag="lrg", value=1e-3)],
                   ignore_index=True)
    out2 = lt.transform("lr_step75", f2, logged)
    v = _series(out2, "lrg")[1]
    assert v[0] == pytest.approx(1e-3) and v[-1] == pytest.approx(1e-4)


def test_bench_runs_on_fixture_runs_and_guards_the_held_out_split(tmp_path, capsys):
    ids = [p.name for p in metamorphic.corpus_runs(CORPUS)
           if metamorphic.read_truth(p)["split"] == "tuning"][:2]
    out = tmp_path / "m.json"
    assert metamorphic.main(["--runs", *ids, "--transforms", "loss_x10", "resumed", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "loss_x10" in text and "resumed" in text
    res = json.loads(out.read_text())
    assert res["transforms"]["resumed"]["runs"] == len(ids)
    assert res["transforms"]["resumed"]["unchanged"] == len(ids)  # the restart policy undoes it exactly
    assert res["transforms"]["resumed"]["new_label"] == 0
    assert metamorphic.main(["--split", "held_out"]) == 2


def test_bench_uses_no_private_ganlogs_names():
    for path in (BENCH / "metamorphic.py", BENCH / "logtransforms.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ganlogs"):
                assert not any(part.startswith("_") for part in node.module.split(".")), (path, node.module)
                assert not any(a.name.startswith("_") for a in node.names), (path, node.module)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "ganlogs":
                assert not node.attr.startswith("_") or node.attr == "__version__", (path, node.attr)
    assert "import ganlogs" not in (BENCH / "logtransforms.py").read_text()
    assert hasattr(ganlogs, "analyze_run") and hasattr(ganlogs.Run, "from_frame")


def test_new_label_counts_runs_that_gain_a_label_not_runs_that_only_lose_one(monkeypatch):
    run_dir = next(p for p in metamorphic.corpus_runs(CORPUS) if metamorphic.read_truth(p)["split"] == "tuning")
    answers = iter([frozenset({"diverged"}), frozenset(), frozenset({"diverged", "oscillating"})])
    monkeypatch.setattr(metamorphic, "labels_of", lambda run, settings: next(answers))
    res = metamorphic.measure([(run_dir, metamorphic.read_truth(run_dir))], ["loss_x10", "loss_x0.1"])
    lost, gained = res["loss_x10"], res["loss_x0.1"]
    assert (lost["unchanged"], lost["new_label"]) == (0, 0)  # only lost a label: confidence dropped
    assert (gained["unchanged"], gained["new_label"]) == (0, 1)  # a different confident label
