"""Label a run from its measured ground truth (never from its configuration).

Rules (thresholds in :class:`Thresholds`, recorded in every ``ground_truth.json``):

``diverged``
    a recorded value (loss, D output, gradient norm) is NaN/Inf, or the run blows up:
    the probe's RMS per-sample norm exceeds ``blowup_scale`` x the target's scale, or
    a loss exceeds ``blowup_loss`` in magnitude. Onset: first such step.
``vanishing_gradients``
    the generator's raw gradient norm (before the optimiser, every step) falls by at
    least ``vanish_orders`` orders of magnitude (:func:`~reference_trainer.measures.grad_drop`)
    while D separates real from fake (mean batch accuracy over the last 10 % of
    steps >= ``vanish_separation``). Onset: the step two orders below the peak.
``oscillating``
    the fixed-noise probe (Dirac-GAN: ``(theta, psi)``) over the second half of
    training passes :func:`~reference_trainer.measures.oscillation_test` AND its
    amplitude (RMS displacement per sample along the main direction) is at least
    ``osc_amplitude`` x the target's amplitude unit (2-D mixtures: the HQ radius,
    3 std = 0.15; digits: the median 3-NN radius of the real data; Dirac: 1, the
    its HQ tolerance 0.05). Smaller periodic motion is not called oscillation: such a run
    can be ``converged``. Onset: the start of the tested window.
``mode_collapse``
    coverage at the end (mean over the last quarter of evaluations) is below
    ``collapse_coverage``, it stopped growing (last quarter minus the quarter before
    <= ``collapse_growth``), and the samples are sharp (HQ fraction at the end >=
    ``collapse_hq``). Onset: first evaluation from which coverage stays below the
    threshold.
``converged``
    none of the above, coverage >= ``converged_coverage`` and HQ fraction >=
    ``converged_hq`` at the end (means over the last quarter of evaluations), and
    neither fell by more than ``stable_delta`` from the quarter before (still
    improving is allowed; getting worse is not).

``d_overfitting`` (small-data target only)
    over the last quarter of evaluations, D scores at least ``overfit_gap`` more of its
    training reals as real than of held-out reals it never saw, and at most
    ``overfit_heldout`` of the held-out reals as real. Onset: first evaluation from which
    the gap stays at or above ``overfit_gap``.

A run whose measures fit no rule (still improving, blurry, poor at a stalemate, getting
worse) gets no label: its ``outcome`` is ``not_converged`` (a negative for every label) with
a ``not_converged_reason``, and it is kept in the corpus like every other run.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from reference_trainer.measures import first_nonfinite, grad_drop, oscillation_test, trend
from reference_trainer.targets import target_of
from reference_trainer.train import RunTrace

__all__ = ["Thresholds", "Verdict", "label_run", "NOT_CONVERGED"]

#: the truth of a run that fits no rule (a negative for every label)
NOT_CONVERGED = "not_converged"


@dataclass(frozen=True)
class Thresholds:
    blowup_scale: float = 100.0
    blowup_loss: float = 1e6
    vanish_orders: float = 2.0
    vanish_separation: float = 0.98
    osc_alpha: float = 0.01
    osc_acf: float = 0.3
    osc_amplitude: float = 0.25
    collapse_coverage: float = 0.75
    collapse_growth: float = 0.05
    collapse_hq: float = 0.5
    converged_coverage: float = 0.85
    converged_hq: dict = field(default_factory=lambda: {"mixture": 0.5, "digits": 0.3, "dirac": 1.0})
    stable_delta: float = 0.1
    overfit_gap: float = 0.3
    overfit_heldout: float = 0.5


@dataclass
class Verdict:
    """``labels`` (possibly empty); ``outcome`` is ``labelled`` or ``not_converged``."""

    labels: list[str]
    onset_step: dict
    measures: dict
    outcome: str = "labelled"
    not_converged_reason: str | None = None


def _amp_unit(target) -> float:
    if target.kind == "mixture":
        return target.hq_radius
    if target.kind == "digits":
        return float(target.radii.median())
    return target.tol


def label_run(trace: RunTrace, th: Thresholds = Thresholds()) -> Verdict:
    """Derive labels, onsets and the measures behind them for one run."""
    c = trace.config
    tgt = target_of(c)
    s = trace.series
    steps = len(s["g_loss"])
    labels: list[str] = []
    onset: dict = {}
    m: dict = {"target_kind": tgt.kind}

    # --- diverged
    nf = first_nonfinite({k: s[k] for k in ("d_loss", "g_loss", "d_x", "d_gz", "g_grad_norm", "d_grad_norm")})
    pr = trace.probes.astype(np.float64)
    with np.errstate(all="ignore"):
        rms = np.sqrt(np.mean(pr**2, axis=1)) * math.sqrt(tgt.dim)  # per-sample RMS norm
    blow = None
    big = np.nonzero(~(rms <= th.blowup_scale * tgt.scale))[0]
    if len(big):
        blow = int(trace.probe_steps[big[0]])
    with np.errstate(all="ignore"):
        lossbig = np.nonzero((np.abs(s["d_loss"]) > th.blowup_loss) | (np.abs(s["g_loss"]) > th.blowup_loss))[0]
    if len(lossbig):
        blow = int(lossbig[0]) if blow is None else min(blow, int(lossbig[0]))
    m["first_nonfinite_step"] = nf
    m["loss_blowup_step"] = int(lossbig[0]) if len(lossbig) else None
    m["blowup_step"] = blow
    m["max_probe_rms_over_scale"] = float(np.nanmax(np.where(np.isfinite(rms), rms, np.nan)) / tgt.scale) \
        if np.isfinite(rms).any() else None
    div_step = min([v for v in (nf, blow) if v is not None], default=None)
    if div_step is not None:
        labels.append("diverged")
        onset["diverged"] = div_step
    healthy_steps = steps if div_step is None else div_step

    # --- vanishing gradients
    gd = grad_drop(s["g_grad_norm"][:healthy_steps], min_orders=th.vanish_orders)
    tail = s["d_sep"][max(0, int(0.9 * healthy_steps)):healthy_steps]
    sep = float(np.nanmean(tail)) if len(tail) else 0.0
    m["g_grad_norm_drop_orders"] = gd.orders
    m["g_grad_norm_peak"] = gd.peak
    m["g_grad_norm_end"] = gd.end
    m["d_separation_end"] = sep
    m["d_x_end"] = float(np.nanmean(s["d_x"][max(0, int(0.9 * healthy_steps)):healthy_steps])) if healthy_steps else None
    m["d_gz_end"] = float(np.nanmean(s["d_gz"][max(0, int(0.9 * healthy_steps)):healthy_steps])) if healthy_steps else None
    if gd.orders >= th.vanish_orders and sep >= th.vanish_separation:
        labels.append("vanishing_gradients")
        onset["vanishing_gradients"] = gd.onset_step

    # --- oscillating: second half of the healthy part of the probe series
    ok = trace.probe_steps < healthy_steps
    P = pr[ok]
    P = P[len(P) // 2:]
    osc = oscillation_test(P, n_samples=trace.probe_n_samples, alpha=th.osc_alpha, acf_threshold=th.osc_acf)
    unit = _amp_unit(tgt)
    m["oscillation"] = osc.to_dict()
    m["oscillation"]["amplitude_unit"] = unit
    m["oscillation"]["amplitude_rel"] = osc.amplitude / unit
    m["oscillation"]["period_steps"] = osc.period_points * int(c["probe_every"])
    if osc.periodic and osc.amplitude / unit >= th.osc_amplitude:
        labels.append("oscillating")
        onset["oscillating"] = int(trace.probe_steps[ok][len(trace.probe_steps[ok]) // 2])

    # --- coverage / quality
    cov_last, cov_prev, cov_growth = trend(trace.coverage)
    hq_last, hq_prev, hq_change = trend(trace.hq_fraction)
    m.update(coverage_end=cov_last, coverage_prev_quarter=cov_prev, coverage_growth=cov_growth,
             modes_covered_end=int(trace.modes_covered[-1]), n_modes=tgt.n_modes,
             hq_fraction_end=hq_last, hq_fraction_prev_quarter=hq_prev,
             mode_counts_end=trace.mode_counts_end, eval_n=int(c.get("eval_n") or 1))
    if tgt.kind != "dirac" and div_step is None:
        if cov_last < th.collapse_coverage and cov_growth <= th.collapse_growth and hq_last >= th.collapse_hq:
            labels.append("mode_collapse")
            below = trace.coverage < th.collapse_coverage
            idx = len(below)
            while idx > 0 and below[idx - 1]:
                idx -= 1
            onset["mode_collapse"] = int(trace.eval_steps[min(idx, len(below) - 1)])

    # --- d_overfitting: small-data target, D on held-out reals it never saw
    if len(trace.d_acc_heldout_real) and div_step is None:
        tr_end, _, _ = trend(trace.d_acc_train_real)
        ho_end, _, _ = trend(trace.d_acc_heldout_real)
        gap = trace.d_acc_train_real - trace.d_acc_heldout_real
        m["d_acc_train_real_end"] = tr_end
        m["d_acc_heldout_real_end"] = ho_end
        m["d_overfit_gap_end"] = tr_end - ho_end
        m["d_acc_series"] = {"eval_steps": trace.eval_steps.tolist(),
                             "train_real": [round(float(v), 4) for v in trace.d_acc_train_real],
                             "heldout_real": [round(float(v), 4) for v in trace.d_acc_heldout_real]}
        if tr_end - ho_end >= th.overfit_gap and ho_end <= th.overfit_heldout:
            labels.append("d_overfitting")
            above = gap >= th.overfit_gap
            idx = len(above)
            while idx > 0 and above[idx - 1]:
                idx -= 1
            onset["d_overfitting"] = int(trace.eval_steps[min(idx, len(above) - 1)])

    hq_need = th.converged_hq[tgt.kind]
    if not labels:
        if (cov_last >= th.converged_coverage and hq_last >= hq_need and cov_growth >= -th.stable_delta
                and hq_change >= -th.stable_delta):
            labels.append("converged")
            hit = np.nonzero((trace.coverage >= th.converged_coverage) & (trace.hq_fraction >= hq_need))[0]
            onset["converged"] = int(trace.eval_steps[hit[0]]) if len(hit) else None
    outcome, reason = "labelled", None
    if not labels:
        outcome = NOT_CONVERGED
        if cov_growth < -th.stable_delta or hq_change < -th.stable_delta:
            reason = "getting worse"
        elif cov_growth > th.collapse_growth or hq_change > th.collapse_growth:
            reason = "still improving"
        elif hq_last < hq_need:
            reason = "blurry"
        else:
            reason = "poor at a stalemate"
    m["thresholds"] = asdict(th)
    m["series_downsampled"] = {
        "eval_steps": trace.eval_steps.tolist(),
        "coverage": [round(float(v), 4) for v in trace.coverage],
        "hq_fraction": [round(float(v), 4) for v in trace.hq_fraction],
    }
    return Verdict(labels=labels, onset_step=onset, measures=m, outcome=outcome, not_converged_reason=reason)
