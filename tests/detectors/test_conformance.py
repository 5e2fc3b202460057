"""The detector contract, checked for every registered detector (like ruptures' one test
over all algorithms, or scikit-learn's ``parametrize_with_checks``).

A new detector added to :func:`ganlogs.detectors.default_detectors` is picked up here: it
runs over every generator of :mod:`ganlogs.testing`, over real fixtures, and over
hypothesis-generated series, and its parameters, features and calibration are checked.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

import ganlogs
from ganlogs.analysis import Settings, analyze_run, build_context
from ganlogs.detectors import (DEFAULT_DETECTORS, FINDING_LABELS, Calibration,
                               ConvergenceDetector, Detector, Finding, GanDetector, RunContext,
                               default_calibration, default_detectors, series_run)
from ganlogs.testing import GENERATORS, cycling_series, diverging_series, settling_series

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
DETECTOR_CLASSES = [type(d) for d in default_detectors()]


def _constructed() -> list[tuple[str, RunContext]]:
    out = []
    for name, (gen, _, opts) in GENERATORS.items():
        out.append((name, RunContext.from_series(gen(0), **opts)))
    out.append(("cycling_every_10", RunContext.from_series(cycling_series(0, every=10))))
    out.append(("nan", RunContext.from_series(diverging_series(0, nan_at=500))))
    out.append(("short", RunContext.from_series({"d_loss": [1.4] * 20, "g_loss": [0.7] * 20})))
    out.append(("empty", RunContext.from_series({"d_x": [0.5] * 100})))
    return out


def _fixture_contexts() -> list[tuple[str, RunContext]]:
    out = []
    for rel in ("tensorboard/torch_nan_inf", "tensorboard/torch_restart", "csv/long",
                "csv/lightning/gan/version_0", "csv/wide"):
        p = FIXTURES / rel
        if not p.exists():
            continue
        try:
            run = ganlogs.read(p)
        except ganlogs.GanlogsError:
            continue
        out.append((rel, build_context(run, Settings())))
    return out


CASES = _constructed() + _fixture_contexts()


def check_findings(det: Detector, ctx: RunContext, found: list[Finding]) -> None:
    """The contract every finding of ``det`` on ``ctx`` honours."""
    steps = [int(i) for t in ctx.run.tags for i in ctx.run.series(t).index] or [0]
    lo, hi = min(steps), max(steps)
    assert isinstance(found, list)
    for f in found:
        assert isinstance(f, Finding)
        assert f.label in det.labels, (det.name, f.label)  # insufficient_data is analysis's
        assert 0.0 <= f.confidence <= 1.0
        assert f.detector == det.name and f.detector_version
        assert dict(f.parameters) == det.finding_parameters()
        json.dumps(f.to_dict(), allow_nan=False)
        if f.onset_step is not None:
            assert lo <= f.onset_step <= hi, (det.name, f.onset_step, lo, hi)
        if f.span is not None:
            assert lo <= f.span[0] <= f.span[1] <= hi
        assert f.summary.endswith(".") and f.summary.count(". ") <= 1, f.summary


def test_registry_names_are_unique_and_cover_every_label():
    names = [d.name for d in default_detectors()]
    assert list(DEFAULT_DETECTORS) == names and len(set(names)) == len(names)
    covered = {lab for d in default_detectors() for lab in d.labels}
    assert covered == set(FINDING_LABELS) - {"insufficient_data"}


@pytest.mark.parametrize("name,ctx", CASES, ids=[c[0] for c in CASES])
def test_findings_honour_the_contract(name, ctx):
    for det in default_detectors():
        found = det.detect(ctx)
        check_findings(det, ctx, found)
        # deterministic: a fresh instance on the same context gives the same findings
        again = type(det)().detect(ctx)
        assert [f.to_dict() for f in found] == [f.to_dict() for f in again]


@pytest.mark.parametrize("name,ctx", CASES, ids=[c[0] for c in CASES])
def test_analysis_gives_at_most_one_insufficient_data_and_exclusive_converged(name, ctx):
    for threshold in (0.3, 0.5):
        res = analyze_run(ctx.run, settings=Settings(roles=dict(ctx.roles.tags),
                                                     min_confidence=threshold))
        assert sum(f.label == "insufficient_data" for f in res.findings) <= 1
        assert "insufficient_data" not in res.labels
        if "converged" in res.labels:
            assert res.labels == ["converged"]


series_values = hs.lists(hs.one_of(hs.floats(allow_nan=True, allow_infinity=True, width=64),
                                   hs.floats(-10, 10)), min_size=0, max_size=300)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(d=series_values, g=series_values, every=hs.integers(1, 50),
       family=hs.sampled_from([None, "bce_nonsaturating", "bce_minimax", "wgan_gp", "lsgan"]))
def test_any_series_gives_contract_findings_and_never_raises(d, g, every, family):
    series = {}
    if d:
        series["d_loss"] = pd.Series(d, index=np.arange(len(d)) * every)
    if g:
        series["g_loss"] = pd.Series(g, index=np.arange(len(g)) * every)
    ctx = RunContext.from_series(series, loss_family=family)
    for det in default_detectors():
        check_findings(det, ctx, det.detect(ctx))


# ------------------------------------------------------------------ parameters
@pytest.mark.parametrize("cls", DETECTOR_CLASSES, ids=lambda c: c.__name__)
def test_parameters_are_keyword_only_constructor_arguments(cls):
    det = cls()
    params = det.get_params()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or klass is object:
            continue
        for p in inspect.signature(init).parameters.values():
            assert p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD) or p.name == "self", (cls, p)
            if p.kind is p.KEYWORD_ONLY:
                assert p.name in params
    # scikit-learn's clone contract: the constructor stores what it is given, unchanged
    clone = cls(**params)
    assert clone.get_params() == params
    fp = det.finding_parameters()
    if issubclass(cls, GanDetector):  # the loss detectors share these (d_overfitting has none)
        assert "calibration" in params and "min_points" in params
        assert fp["calibration"] == default_calibration().source_id
    json.dumps(fp, allow_nan=False)


def test_finding_parameters_record_a_changed_parameter_and_the_calibration_source():
    cal = default_calibration().with_source({"id": "test-calibration"})
    f = ConvergenceDetector(min_points=100, calibration=cal).detect_series(settling_series(0))[0]
    assert f.parameters["min_points"] == 100 and f.parameters["calibration"] == "test-calibration"


# ------------------------------------------------------------------ calibration
@pytest.mark.parametrize("cls", [c for c in DETECTOR_CLASSES if issubclass(c, GanDetector)],
                         ids=lambda c: c.__name__)
def test_each_detectors_features_match_its_calibration(cls):
    """Every feature a detector computes is read by its calibration, and every feature the
    calibration reads is computed (on runs with and without a gradient norm)."""
    det = cls()
    cal = default_calibration()
    for name, (gen, _, opts) in GENERATORS.items():
        ctx = RunContext.from_series(gen(1), **opts)
        rs = det.run_stats(ctx)
        if not rs.has_losses:
            continue
        assert set(det.features(rs)) == cal.feature_names(det.name), (name, det.name)


def test_calibration_raises_on_missing_or_unknown_features():
    cal = default_calibration()
    good = {"nonfinite": 0.0, "growth_orders": 1.0}
    assert 0 <= cal.confidence("divergence", "default", good)[0] <= 1
    with pytest.raises(ValueError, match="missing: \\['growth_orders'\\]"):
        cal.score("divergence", "default", {"nonfinite": 0.0})
    with pytest.raises(ValueError, match="unknown: \\['typo'\\]"):
        cal.score("divergence", "default", {**good, "typo": 1.0})
    with pytest.raises(ValueError, match="no calibration model"):
        cal.score("divergence", "nope", good)


def test_calibration_file_round_trips_and_bad_files_are_named(tmp_path):
    cal = default_calibration()
    assert cal.source.get("commit") and cal.source.get("families")
    p = tmp_path / "cal.json"
    cal.save(p)
    again = Calibration.load(p)
    assert again.to_dict() == cal.to_dict()
    with pytest.raises(ValueError, match="missing.json"):
        Calibration.load(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text('{"models": {}}')
    with pytest.raises(ValueError, match="bad.json.*id"):
        Calibration.load(tmp_path / "bad.json")


def test_a_passed_calibration_changes_the_confidence():
    base = default_calibration()
    m = base.model("oscillation", "default")
    never = base.replace("oscillation", "default",
                         type(m)(m.features, m.coef, m.intercept, (-50.0, 0.0)))
    ctx = RunContext.from_series(cycling_series(0))
    det = default_detectors(calibration=never)[3]
    assert det.name == "oscillation"
    assert det.detect(ctx)[0].confidence < 0.01
    assert default_detectors()[3].detect(ctx)[0].confidence >= 0.5


# ------------------------------------------------------------------ entry points
def test_detect_series_matches_detect_on_a_context():
    s = cycling_series(4)
    ctx = RunContext.from_series(s)
    for det in default_detectors():
        a = [f.to_dict() for f in det.detect(ctx)]
        b = [f.to_dict() for f in det.detect_series(s)]
        assert a == b


def test_plain_data_and_logged_runs_derive_the_same_d_loss_from_its_terms():
    """D_real + D_fake with no D loss: plain data (RunContext.from_series) and a logged run
    (roles inferred, build_context) sum the terms the same way, at the steps both have."""
    rng = np.random.default_rng(3)
    steps = np.arange(0, 400, 2)
    real = pd.Series(0.35 + 0.05 * rng.standard_normal(len(steps)), index=steps)
    fake = pd.Series(0.33 + 0.05 * rng.standard_normal(len(steps)), index=steps).iloc[5:]
    g = pd.Series(0.8 + 0.1 * rng.standard_normal(len(steps)), index=steps)
    plain = RunContext.from_series({"d_loss_real": real, "d_loss_fake": fake, "g_loss": g})
    frame = pd.concat([pd.DataFrame({"tag": tag, "step": s.index, "value": s.to_numpy()})
                       for tag, s in (("D_real", real), ("D_fake", fake), ("G_GAN", g))])
    run = ganlogs.Run.from_frame(frame, run_id="r", path="r", format="series")
    logged = build_context(run, Settings())
    assert logged.roles.get("d_loss") == "D_real+D_fake"
    a, b = plain.series("d_loss"), logged.series("d_loss")
    assert a.index.tolist() == b.index.tolist() == steps[5:].tolist()
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())
    np.testing.assert_array_equal(a.to_numpy(), (real + fake).dropna().to_numpy())
    for ctx in (plain, logged):
        assert ctx.loss_family.d_loss_reduction == "summed"
        assert ctx.loss_family.reduction_method == "derived"


def test_detect_series_rejects_an_unknown_role():
    with pytest.raises(ValueError, match="unknown role 'dloss'"):
        ConvergenceDetector().detect_series({"dloss": [1.0] * 100})


def test_constructor_validates_its_arguments():
    from ganlogs.detectors import OscillationDetector

    with pytest.raises(ValueError, match="min_points"):
        OscillationDetector(min_points=3)
    with pytest.raises(ValueError, match="calibration"):
        OscillationDetector(calibration={"models": {}})
    with pytest.raises(TypeError):
        OscillationDetector(50)  # keyword-only


# ------------------------------------------------------------------ convergence and failures
class AlwaysCollapse(Detector):
    """A user's failure detector: says mode_collapse at 0.35 on every run."""

    name = "always_collapse"
    labels = ("mode_collapse",)

    def detect(self, ctx):
        return [Finding(label="mode_collapse", confidence=0.35, onset_step=None, evidence={},
                        summary="Always.", detector=self.name, detector_version="1")]


def test_convergence_reads_the_failure_detectors_the_user_passed():
    hand = Calibration.load(Path(__file__).with_name("hand_calibration.json"))
    run = series_run(settling_series(0))
    roles = Settings(roles={"d_loss": "d_loss", "g_loss": "g_loss"})
    alone = analyze_run(run, settings=roles, detectors=[ConvergenceDetector(calibration=hand)])
    assert alone.labels == ["converged"]
    with_user = analyze_run(run, settings=Settings(roles=dict(roles.roles), min_confidence=0.3),
                            detectors=[ConvergenceDetector(calibration=hand), AlwaysCollapse()])
    assert with_user.labels == ["mode_collapse"]
    conv = [f for f in with_user.findings if f.label == "converged"][0]
    assert conv.confidence < 0.3 and "mode collapse" in conv.summary
    assert conv.evidence["failure_mode_collapse"] == 0.35
    # standalone, the detector asks the failure detectors it was given
    f = ConvergenceDetector(failure_detectors=[AlwaysCollapse()], calibration=hand).detect_series(
        settling_series(0))[0]
    assert f.evidence["failure_mode_collapse"] == 0.35


def test_converged_never_joins_a_failure_label_at_0_3_on_the_labelled_fixtures():
    """`ganlogs analyze fixtures/labelled --min-confidence 0.3` (issue 16)."""
    from click.testing import CliRunner

    from ganlogs.cli import cli

    corpus = FIXTURES / "labelled"
    if not corpus.exists():
        pytest.skip("fixtures/labelled absent")
    res = CliRunner().invoke(cli, ["analyze", str(corpus), "--format", "json",
                                   "--min-confidence", "0.3"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert len(doc["runs"]) >= 30
    for run in doc["runs"]:
        assert not ("converged" in run["labels"] and len(run["labels"]) > 1), run["run"]


def test_analyze_json_end_to_end(tmp_path):
    """`ganlogs analyze --format json` carries the findings and labels of a CSV run."""
    from click.testing import CliRunner

    from ganlogs.cli import cli

    s = cycling_series(1, every=5)
    df = pd.DataFrame({"step": s["d_loss"].index, "Loss_D": s["d_loss"].to_numpy(),
                       "Loss_G": s["g_loss"].to_numpy()})
    df.to_csv(tmp_path / "metrics.csv", index=False)
    res = CliRunner().invoke(cli, ["analyze", str(tmp_path), "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    run = doc["runs"][0]
    assert "oscillating" in run["labels"] and "converged" not in run["labels"]
    # d_overfitting reads r_t or held-out D outputs, which this run does not log
    assert {f["detector"] for f in run["findings"]} == set(DEFAULT_DETECTORS) - {"d_overfitting"}
    osc = [f for f in run["findings"] if f["label"] == "oscillating"][0]
    assert osc["evidence"]["period_steps"] == pytest.approx(400, rel=0.15)
