"""Analysis objects built by hand for the reporter and check tests (no reader, no detector)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ganlogs.analysis import Analysis, RunResult, Settings
from ganlogs.detectors.base import Finding, LossFamily
from ganlogs.roles import RoleMap
from ganlogs.run import Run

HOSTILE = "<script>alert(\"x\")</script>&'q'"


def make_run(run_id: str, tags: dict[str, np.ndarray], *, steps: np.ndarray | None = None,
             hparams: dict | None = None) -> Run:
    frames = []
    for tag, values in tags.items():
        st = np.arange(len(values)) * 10 if steps is None else steps
        frames.append(pd.DataFrame({"tag": tag, "step": st, "value": values}))
    return Run.from_frame(pd.concat(frames, ignore_index=True), run_id=run_id,
                          path=f"/logs/{run_id}", format="csv_wide", hparams=hparams or {})


def finding(label: str, confidence: float, onset: int | None = None, *,
            span: tuple[int, int] | None = None, summary: str | None = None,
            evidence: dict | None = None) -> Finding:
    return Finding(label=label, confidence=confidence, onset_step=onset,
                   evidence=evidence if evidence is not None else {"statistic": 3.5, "p_value": 0.001},
                   summary=summary or f"{label} because of reasons",
                   detector=f"{label}_detector", detector_version="1", parameters={"window": 50},
                   span=span)


def result(run: Run, findings: list[Finding], *, roles: dict[str, str] | None = None,
           min_confidence: float = 0.5, family: str | None = "bce_nonsaturating",
           reduction: str | None = "summed") -> RunResult:
    roles = roles if roles is not None else {"d_loss": run.tags[0], "g_loss": run.tags[1]}
    r = RunResult(run_id=run.meta.run_id, path=run.meta.path, format=run.meta.format,
                  status="ok", run=run, roles=RoleMap(tags=roles),
                  loss_family=LossFamily(family=family, method="values",
                                         d_loss_reduction=reduction,
                                         reduction_method="early_ratio",
                                         reasons=("family reason", "reduction reason")),
                  findings=list(findings), warnings=["a warning"], notes=["a note"])
    r.labels = [lab for lab in ("converged", "oscillating", "mode_collapse",
                                "vanishing_gradients", "diverged")
                if any(f.label == lab and f.confidence >= min_confidence for f in findings)]
    return r


def error_result(run_id: str, message: str) -> RunResult:
    return RunResult(run_id=run_id, path=f"/logs/{run_id}", format="csv_wide", status="error",
                     error=f"/logs/{run_id}: {message}")


def sample_analysis(n: int = 2000) -> Analysis:
    """A healthy run, a collapsing one (with D(x)/D(G(z))), a hostile-named one, an error."""
    rng = np.random.default_rng(0)
    t = np.arange(n)
    d = 1.386 - 0.5 * (1 - np.exp(-t / 300)) + 0.08 * rng.standard_normal(n)
    g = 0.693 + 0.9 * (1 - np.exp(-t / 300)) + 0.12 * rng.standard_normal(n)
    healthy = result(make_run("sweep/healthy", {"Loss/D": d, "Loss/G": g}),
                     [finding("converged", 0.83, 4000)])
    dc = d.copy()
    gc = g.copy()
    dc[n // 2:] = 0.2 + 0.02 * rng.standard_normal(n - n // 2)
    gc[n // 2:] = 4.0 + 0.5 * rng.standard_normal(n - n // 2) + np.linspace(0, 3, n - n // 2)
    dx = np.clip(0.5 + 0.4 * (t > n // 2) + 0.05 * rng.standard_normal(n), 0, 1)
    dgz = np.clip(0.5 - 0.45 * (t > n // 2) + 0.05 * rng.standard_normal(n), 0, 1)
    collapse = result(make_run("sweep/collapse", {"d_loss": dc, "g_loss": gc, "D(x)": dx,
                                                  "D(G(z))": dgz}),
                      [finding("mode_collapse", 0.91, n // 2 * 10, span=(n // 2 * 10, n * 10 - 10)),
                       finding("oscillating", 0.31, 3000, span=(3000, 8000))],
                      roles={"d_loss": "d_loss", "g_loss": "g_loss", "d_x": "D(x)",
                             "d_gz": "D(G(z))"})
    dd = d.copy()
    k = n // 7
    dd[-k:] = np.linspace(1, 1e6, k)
    dd[-5:] = np.nan
    diverged = result(make_run(HOSTILE, {HOSTILE: dd, "Loss/G": g},
                               hparams={"lr": 2e-4, HOSTILE: HOSTILE}),
                      [finding("diverged", 0.97, (n - k) * 10, summary=f"blew up {HOSTILE}",
                               evidence={HOSTILE: HOSTILE, "slope": 12.5})],
                      roles={"d_loss": HOSTILE, "g_loss": "Loss/G"})
    short = result(make_run("sweep/short", {"Loss/D": d[:12], "Loss/G": g[:12]}),
                   [finding("insufficient_data", 1.0, None, summary="only 12 points")])
    runs = [healthy, collapse, diverged, short, error_result("sweep/broken.csv", "bad CRC")]
    return Analysis(root="sweep", runs=runs, settings=Settings())
