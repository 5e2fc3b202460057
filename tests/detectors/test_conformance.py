"""Every registered detector honours the Finding contract, on real and constructed runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ganlogs
from ganlogs.analysis import Settings, _context
from ganlogs.detectors import (DEFAULT_DETECTORS, FINDING_LABELS, Finding, context_from_series,
                               default_detectors)

from .conftest import random_walk_run, settling_run, sine_run

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _constructed() -> list[tuple[str, object]]:
    out = []
    for name, s in (("sine", sine_run(0, every=10)), ("walk", random_walk_run(1)),
                    ("settle", settling_run(2))):
        out.append((name, context_from_series(s)))
    d = settling_run(3)
    d["d_loss"].iloc[600:] = np.nan
    out.append(("nan", context_from_series(d)))
    out.append(("short", context_from_series({"d_loss": [1.4] * 20, "g_loss": [0.7] * 20})))
    out.append(("empty", context_from_series({"d_x": [0.5] * 100})))
    return out


def _fixture_contexts() -> list[tuple[str, object]]:
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
        ctx, _ = _context(run, Settings())
        out.append((rel, ctx))
    return out


CASES = _constructed() + _fixture_contexts()


def test_registry_names_are_unique_and_cover_every_label():
    names = [d.name for d in default_detectors()]
    assert list(DEFAULT_DETECTORS) == names and len(set(names)) == len(names)
    covered = {lab for d in default_detectors() for lab in d.labels}
    assert covered == set(FINDING_LABELS) - {"insufficient_data"}


@pytest.mark.parametrize("name,ctx", CASES, ids=[c[0] for c in CASES])
def test_findings_honour_the_contract(name, ctx):
    steps = [int(i) for t in ctx.run.tags for i in ctx.run.series(t).index] or [0]
    lo, hi = min(steps), max(steps)
    for det in default_detectors():
        found = det.detect(ctx)
        assert isinstance(found, list)
        for f in found:
            assert isinstance(f, Finding)
            assert f.label in FINDING_LABELS
            assert f.label in det.labels or f.label == "insufficient_data"
            assert 0.0 <= f.confidence <= 1.0
            assert f.detector == det.name and f.detector_version
            json.dumps(f.to_dict(), allow_nan=False)
            if f.onset_step is not None:
                assert lo <= f.onset_step <= hi, (det.name, f.onset_step, lo, hi)
            if f.span is not None:
                assert lo <= f.span[0] <= f.span[1] <= hi
            assert f.summary.endswith(".") and f.summary.count(". ") <= 1, f.summary
        # deterministic: a fresh instance on the same context gives the same findings
        again = type(det)().detect(ctx)
        assert [f.to_dict() for f in found] == [f.to_dict() for f in again]


def test_detect_series_matches_detect_on_a_run():
    s = sine_run(4)
    ctx = context_from_series(s)
    for det in default_detectors():
        a = [f.to_dict() for f in det.detect(ctx)]
        b = [f.to_dict() for f in det.detect_series(**s)]
        assert a == b


def test_constructor_validates_min_points():
    from ganlogs.detectors import OscillationDetector

    with pytest.raises(ValueError, match="min_points"):
        OscillationDetector(min_points=3)


def test_analyze_json_end_to_end(tmp_path):
    """`ganlogs analyze --format json` carries the findings and labels of a CSV run."""
    from click.testing import CliRunner

    from ganlogs.cli import cli

    s = sine_run(1, every=5)
    df = pd.DataFrame({"step": s["d_loss"].index, "Loss_D": s["d_loss"].to_numpy(),
                       "Loss_G": s["g_loss"].to_numpy()})
    df.to_csv(tmp_path / "metrics.csv", index=False)
    res = CliRunner().invoke(cli, ["analyze", str(tmp_path), "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    run = doc["runs"][0]
    assert "oscillating" in run["labels"] and "converged" not in run["labels"]
    assert {f["detector"] for f in run["findings"]} == set(DEFAULT_DETECTORS)
    osc = [f for f in run["findings"] if f["label"] == "oscillating"][0]
    assert osc["evidence"]["period_steps"] == pytest.approx(400, rel=0.15)
