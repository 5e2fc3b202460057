"""Helpers for users' own tests.

::

    from ganlogs.testing import assert_healthy

    def test_short_training_run_is_healthy(tmp_path):
        train(steps=300, logdir=tmp_path)
        assert_healthy(tmp_path, fail_on=["mode_collapse", "diverged"], min_confidence=0.8)
"""

from __future__ import annotations

import os
from typing import Any, Sequence

from .checks import CheckResult, check

__all__ = ["assert_healthy"]


def assert_healthy(
    path: str | os.PathLike[str],
    *,
    fail_on: Sequence[str] | str | None = None,
    min_confidence: float | None = None,
    **options: Any,
) -> CheckResult:
    """Fail the calling test unless every run under ``path`` passes :func:`ganlogs.check`.

    Takes the options of :func:`ganlogs.check` (``fail_on``, ``min_confidence``, ``roles``,
    ``loss_family``, ``d_loss_reduction``, ``config``). Raises :class:`AssertionError` (which
    pytest and unittest report as a failure) whose message lists each failing run with its
    findings, and each run that could not be read; returns the :class:`CheckResult` when
    the runs are healthy.
    """
    __tracebackhide__ = True  # pytest: show the caller's line, not this one
    from .report.terminal import render_check

    result = check(path, fail_on=fail_on, min_confidence=min_confidence, **options)
    if result.status != "pass":
        raise AssertionError(f"ganlogs: runs under {os.fspath(path)} are not healthy\n"
                             + render_check(result))
    return result
