"""What ``ganlogs watch`` does once its options are parsed (the click command is in
:mod:`ganlogs.cli`): run a :class:`~ganlogs.live.watch.Watcher`, print one line per change,
and turn the outcome into an exit code.

Exit codes of ``ganlogs watch``:

==== =====================================================================================
0    ``--once`` found no failing finding, or ``--until-idle`` saw no run grow for that long
1    a failing finding (``--fail-on`` at ``--min-confidence``) holds: stop the training job
2    usage error (bad option, nothing to watch)
3    internal error (a bug), never "failing"
130  interrupted (Ctrl-C); 143: terminated (SIGTERM, as Kubernetes and SLURM send)
==== =====================================================================================

Nothing is written to disk, so an interrupted watch leaves nothing behind.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Sequence

import click

from ..analysis import Settings
from .judge import LivePolicy, LiveVerdict
from .watch import Watcher, WatchProblem, format_verdict

__all__ = ["watch_main", "EXIT_INTERRUPTED", "EXIT_TERMINATED"]

EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C
EXIT_TERMINATED = 143  # 128 + SIGTERM


class _Terminated(Exception):
    """SIGTERM arrived (a job scheduler stopping the watcher)."""


def _on_sigterm(signum, frame):  # pragma: no cover - exercised in a subprocess test
    raise _Terminated()


def watch_main(path: str, *, settings: Settings, fail_on: Sequence[str], once: bool,
               interval: float, until_idle: float | None,
               policy: LivePolicy | None = None, exclude: Sequence[str] = ()) -> int:
    """Watch ``path`` and return the exit code (module docstring)."""
    root = Path(path)
    if once:
        # one look at every point is the after-the-fact verdict: nothing to confirm
        policy = LivePolicy.after_the_fact()
    watcher = Watcher(root, settings=settings, policy=policy, fail_on=fail_on, exclude=exclude)
    previous: dict[str, LiveVerdict] = {}

    def on_verdict(verdict: LiveVerdict) -> None:
        for line in format_verdict(verdict, previous.get(verdict.run_id), root):
            click.echo(line)
        previous[verdict.run_id] = verdict
        sys.stdout.flush()

    def on_problem(problem: WatchProblem) -> None:
        click.echo(f"ganlogs: cannot read {problem.message}", err=True)

    old = signal.getsignal(signal.SIGTERM)
    try:
        signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (tests calling this directly): no handler
        old = None
    try:
        reason = watcher.loop(on_verdict, interval=interval, once=once, until_idle=until_idle,
                              on_problem=on_problem)
    except KeyboardInterrupt:
        click.echo("ganlogs watch: interrupted", err=True)
        return EXIT_INTERRUPTED
    except _Terminated:
        click.echo("ganlogs watch: terminated", err=True)
        return EXIT_TERMINATED
    finally:
        if old is not None:
            signal.signal(signal.SIGTERM, old)
    if reason == "failing":
        for run_id, f in watcher.failing:
            name = root.name if run_id == "." else run_id
            onset = f" from step {f.onset_step}" if f.onset_step is not None else ""
            click.echo(f"FAIL {name}: {f.label} (confidence {f.confidence:.2f}){onset}")
        return 1
    if once:
        for rid in watcher.runs:
            if rid not in watcher.verdicts_:
                name = root.name if rid == "." else rid
                click.echo(f"{name}: no points yet")
        if not watcher.runs:
            click.echo(f"ganlogs: no runs found under {path}", err=True)
            return 2
    return 0
