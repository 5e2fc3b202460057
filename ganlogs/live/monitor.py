"""A monitor inside the training loop: ``monitor.log(step, d_loss=..., g_loss=...)``.

:class:`Monitor` keeps the logged values in memory (no file is read or written) and judges
them with the same analysis and live rules as ``ganlogs watch``
(:class:`~ganlogs.live.judge.LiveJudge`): re-judged every few new points, labels raised only
after they hold twice, ``too_early`` until the run can be judged, a NaN judged at once.
Values may be Python floats, numpy scalars or 0-d tensors of any framework (anything
``float()`` accepts; a tensor on a GPU is copied to the host by that call, so log what you
would log anyway). ``import ganlogs`` never imports torch.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from ..analysis import Settings
from ..detectors import Detector
from ..errors import UsageError
from ..findings import Finding
from ..roles import ROLES
from .judge import LiveEvent, LiveJudge, LivePolicy, LiveVerdict
from .rows import RowStore

__all__ = ["Monitor"]

#: failure labels a monitor fails on unless told otherwise (``ganlogs check``'s default)
DEFAULT_FAIL_ON: tuple[str, ...] = ("diverged", "mode_collapse", "vanishing_gradients")


class Monitor:
    """Judge a GAN run from inside its training loop.

    Parameters
    ----------
    fail_on
        Labels that make :attr:`should_stop` true once raised (default: ``diverged``,
        ``mode_collapse``, ``vanishing_gradients``; ``()`` never stops).
    min_confidence
        Confidence at which a finding becomes a label and, in ``fail_on``, fails the run.
    loss_family, d_loss_reduction
        State the loss conventions instead of letting ganlogs infer them.
    policy
        When to re-judge and the hysteresis (:class:`~ganlogs.live.judge.LivePolicy`).
    detectors
        Detectors to run (default: the registered ones).
    run_id
        The run's name in findings and events.

    Examples
    --------
    >>> monitor = Monitor(fail_on=["diverged"])
    >>> for step in range(100):
    ...     findings = monitor.log(step, d_loss=1.2, g_loss=0.8)
    ...     if monitor.should_stop:
    ...         break
    """

    def __init__(self, *, fail_on: Sequence[str] = DEFAULT_FAIL_ON,
                 min_confidence: float | None = None, loss_family: str | None = None,
                 d_loss_reduction: str | None = None, policy: LivePolicy | None = None,
                 detectors: Sequence[Detector] | None = None, run_id: str = "monitor") -> None:
        from ..config import parse_fail_on

        self.fail_on = parse_fail_on(list(fail_on), where="fail_on")
        kw: dict[str, Any] = {"loss_family": loss_family, "d_loss_reduction": d_loss_reduction}
        if min_confidence is not None:
            kw["min_confidence"] = min_confidence
        self._settings_kw = kw
        self.run_id = run_id
        self.policy = policy or LivePolicy()
        self._store = RowStore()
        self._roles: dict[str, str] = {}
        self._codes: dict[str, int] = {}
        self._judge = LiveJudge(run_id, settings=self._settings(), policy=self.policy,
                                detectors=detectors, fail_on=self.fail_on)
        self._events: list[LiveEvent] = []

    def _settings(self) -> Settings:
        return Settings(roles=dict(self._roles), **self._settings_kw)

    # ---------------------------------------------------------------- logging
    def log(self, step: int, **values: Any) -> list[Finding]:
        """Record the values of one step and return the raised findings.

        ``step`` is the training step (an integer that grows; a step at or below an earlier
        one is read as a restart, as in a log). Keywords are role ids
        (``d_loss``, ``g_loss``, ``d_loss_real``, ``d_loss_fake``, ``d_x``, ``d_gz``,
        ``g_grad_norm``, ``d_grad_norm``, ``lr_d``, ``lr_g``, ``fid``, ``is``) or any other
        metric name (kept, not given a role). ``None`` values are skipped. The run is
        re-judged when due (see :class:`~ganlogs.live.judge.LivePolicy`); between
        judgements this costs an append per value.
        """
        if isinstance(step, bool) or not isinstance(step, (int, np.integer)):
            raise UsageError(f"step must be an integer; got {step!r}")
        store = self._store
        step = int(step)
        for name, value in values.items():
            if value is None:
                continue
            code = self._codes.get(name)
            if code is None:
                code = self._codes[name] = store.code(name)
                if name in ROLES and name not in self._roles:
                    self._roles[name] = name
                    self._judge.settings = self._settings()
            store.append_one(code, step, float(value))
        if self._judge.due(store.points, len(store.tags), alarm=store.alarm):
            self.judge()
        return self.findings

    def log_dict(self, step: int, values: Mapping[str, Any]) -> list[Finding]:
        """:meth:`log` with the values in a mapping (names that are not identifiers)."""
        return self.log(step, **dict(values))

    def judge(self) -> LiveVerdict:
        """Judge every point so far now, whatever the schedule."""
        self._store.take_alarm()
        run = self._store.run(run_id=self.run_id, path=self.run_id, format="monitor")
        verdict = self._judge.judge(run)
        self._events.extend(verdict.events)
        return verdict

    # ---------------------------------------------------------------- state
    @property
    def verdict(self) -> LiveVerdict | None:
        """The last live verdict (``None`` before the first judgement)."""
        return self._judge.verdict_

    @property
    def findings(self) -> list[Finding]:
        """The raised findings, most confident first (empty while too early to judge)."""
        v = self._judge.verdict_
        return [] if v is None else list(v.findings)

    @property
    def status(self) -> str:
        """``waiting`` (not judged yet), ``too_early`` or ``judged``."""
        v = self._judge.verdict_
        return "waiting" if v is None else v.status

    @property
    def failing(self) -> list[Finding]:
        """Raised findings that match ``fail_on`` at ``min_confidence``."""
        v = self._judge.verdict_
        return [] if v is None else list(v.failing)

    @property
    def should_stop(self) -> bool:
        """True once a failing finding is raised: stop training."""
        return bool(self.failing)

    @property
    def events(self) -> list[LiveEvent]:
        """Every label that appeared, changed or cleared so far, in order."""
        return list(self._events)

    @property
    def points(self) -> int:
        """Values logged so far."""
        return self._store.points

    @property
    def judge_seconds(self) -> float:
        """Time spent judging so far (seconds)."""
        return self._judge.judge_seconds_

    def summary(self) -> str:
        """One line: the status and the raised labels with confidence and onset."""
        if self.status != "judged":
            return f"ganlogs: {self.status.replace('_', ' ')} ({self.points} values logged)"
        if not self.findings:
            return "ganlogs: no finding raised"
        return "ganlogs: " + "; ".join(
            f"{f.label} {f.confidence:.2f}"
            + (f" from step {f.onset_step}" if f.onset_step is not None else "")
            for f in self.findings)
