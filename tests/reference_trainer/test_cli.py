"""The sweep command: writes runs and a manifest, resumes, refuses to overwrite."""

import json

import pytest

pytest.importorskip("torch")

from reference_trainer.cli import main  # noqa: E402

RUN = "dirac_wgan_clip_alt_001"


def test_sweep_writes_resumes_and_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "sweep"
    assert main(["sweep", "--out", str(out), "--size", "small", "--only", RUN]) == 0
    gt = json.loads((out / RUN / "ground_truth.json").read_text())
    assert gt["run_id"] == RUN and gt["labels"]
    m = json.loads((out / "manifest.json").read_text())
    assert m["n_runs"] == 1 and m["command"].startswith("python -m reference_trainer sweep")
    assert main(["sweep", "--out", str(out), "--size", "small"]) == 2
    assert "--resume" in capsys.readouterr().err
    # resuming with the run already done trains nothing and keeps the manifest
    assert main(["sweep", "--out", str(out), "--size", "small", "--resume", "--only", RUN]) == 0
    assert json.loads((out / "manifest.json").read_text())["invocations"] == 2


def test_list_prints_every_run(capsys):
    assert main(["list", "--size", "small"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) >= 30 and any(line.startswith(RUN) for line in lines)


def test_bad_device_is_a_usage_error(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    assert main(["sweep", "--out", str(tmp_path / "x"), "--size", "small", "--device", "cuda"]) == 2
