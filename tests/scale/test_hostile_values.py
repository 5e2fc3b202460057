"""Numbers no real writer produces but a damaged or hostile file can hold: steps beyond
int64, 1e300, inf. Every reader must either reject them with a ReadError or keep them out of
the run; it may never raise another exception, nor wrap them silently into int64 (a step of
-9223372036854775808 that the file never held).

Cases that a reader gets wrong today are marked xfail with the reader named (non-strict: they
pass once the reader is fixed; then remove the mark)."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from ganlogs.errors import GanlogsError, ReadError
from ganlogs.readers import discover, reader_for

from scale_support import FIXTURES

HUGE = "99999999999999999999"  # > 2**63
INT64_MIN = np.iinfo(np.int64).min


def _text(name: str, text: str):
    def make(tmp: Path) -> Path:
        path = tmp / name
        path.write_text(text)
        return path
    return make


def _stylegan(tmp: Path) -> Path:
    rows = [{"Loss/G/loss": {"num": 1, "mean": 0.5, "std": 0.0},
             "Progress/kimg": {"num": 1, "mean": k, "std": 0.0}, "timestamp": 1.7e9}
            for k in (0, 4, 1e30)]
    path = tmp / "stats.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _mlflow(tmp: Path) -> Path:
    src = next((s for s in discover(FIXTURES).sources if s.reader.formats[0] == "mlflow"), None)
    if src is None:
        pytest.skip("no MLflow reader registered")
    run = tmp / "mlflow_run"
    shutil.copytree(src.path, run)
    metric = next(p for p in (run / "metrics").rglob("*") if p.is_file())
    metric.write_text(f"1795564252863 1.0 0\n1795564252865 1.0 {HUGE}\n")
    return run


def _bug(reader: str, what: str):
    return pytest.mark.xfail(reason=f"{reader}: {what} (reported)", strict=False)


CASES = {
    # a control: ordinary numbers read fine
    "csv_wide_ordinary": _text("wide.csv", "step,d_loss,g_loss\n0,1.0,2.0\n1,1.1,2.1\n"),
    "csv_wide_step_beyond_int64": pytest.param(
        _text("wide.csv", f"step,d_loss,g_loss\n0,1.0,2.0\n1,1.1,2.1\n{HUGE},1.2,2.2\n")),
    "csv_wide_step_1e300": pytest.param(
        _text("wide.csv", "step,d_loss,g_loss\n0,1.0,2.0\n1,1.1,2.1\n1e300,1.2,2.2\n")),
    "csv_long_step_beyond_int64": pytest.param(
        _text("long.csv", f"tag,step,value\nd_loss,0,1.0\nd_loss,1,1.0\nd_loss,{HUGE},1.0\n")),
    "text_pytorch_gan_epoch_beyond_int64": pytest.param(
        _text("gan.log", "[Epoch 0/5] [Batch 0/10] [D loss: 0.5] [G loss: 0.7]\n"
                         "[Epoch 0/5] [Batch 1/10] [D loss: 0.5] [G loss: 0.7]\n"
                         f"[Epoch {HUGE}/5] [Batch {HUGE}/10] [D loss: 0.5] [G loss: 0.7]\n")),
    "text_dcgan_epoch_beyond_int64": pytest.param(
        _text("dcgan.log",
              "[0/5][0/10] Loss_D: 1.0 Loss_G: 2.0 D(x): 0.5 D(G(z)): 0.4 / 0.3\n"
              "[0/5][1/10] Loss_D: 1.0 Loss_G: 2.0 D(x): 0.5 D(G(z)): 0.4 / 0.3\n"
              f"[{HUGE}/5][{HUGE}/10] Loss_D: 1.0 Loss_G: 2.0 D(x): 0.5 D(G(z)): 0.4 / 0.3\n")),
    "stylegan_kimg_1e30": pytest.param(
        _stylegan),
    "wandb_history_step_beyond_int64": pytest.param(
        _text("history.jsonl", "".join(json.dumps({"_step": s, "d_loss": 1.0}) + "\n"
                                       for s in (0, 1, 10**20)))),
    "mlflow_step_beyond_int64": pytest.param(
        _mlflow),
}


@pytest.mark.parametrize("make", list(CASES.values()), ids=list(CASES))
def test_out_of_range_numbers_are_rejected_or_kept_out(make, tmp_path):
    path = make(tmp_path)
    reader = reader_for(path)
    if reader is None:
        pytest.skip(f"no reader claims {path.name}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            runs = reader.read(path, run_id="x")
    except ReadError as exc:
        assert "\n" not in str(exc)
        return
    except GanlogsError as exc:
        pytest.fail(f"{type(reader).__name__} raised {type(exc).__name__}, not a ReadError")
    except Exception as exc:  # noqa: BLE001 - the point of the test
        pytest.fail(f"{type(reader).__name__} raised {type(exc).__name__}: {exc}")
    for run in runs:
        assert INT64_MIN not in set(run.scalars["step"].tolist()), (
            f"{type(reader).__name__} wrapped an out-of-range step into int64")
