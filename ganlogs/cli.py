"""The ``ganlogs`` command line: a thin layer over the library.

Exit codes (:class:`ExitCode`) are part of the public contract:

=========== ================================ ============================================
code        ``ganlogs analyze`` / ``report`` ``ganlogs check``
=========== ================================ ============================================
0           every run was read               pass: no run has a failing finding
1           some runs could not be read (the fail: a run has a failing finding (the
            others are analysed and listed)  runs and findings are printed)
2           usage error, or nothing readable usage or config error, or runs that could
                                             not be read: the check is incomplete
                                             (failing findings are still printed)
3           internal error (a bug)           internal error (a bug), never "fail"
=========== ================================ ============================================

Options that ``analyze``, ``report`` and ``check`` share (``--role``, ``--loss-family``,
``--d-loss-reduction``, ``--min-confidence``) can also come from a config file
(``ganlogs.toml`` or ``[tool.ganlogs]`` in ``pyproject.toml``; see :mod:`ganlogs.config`);
options on the command line win.
"""

from __future__ import annotations

import enum
import os
import shutil
import sys
from typing import Callable, NoReturn

import click

from ._version import __version__
from .analysis import DEFAULT_MIN_CONFIDENCE, Analysis, RunResult, Settings, analyze
from .conventions import D_LOSS_REDUCTIONS, LOSS_FAMILIES
from .errors import GanlogsError
from .roles import parse_role_overrides

__all__ = ["ExitCode", "main"]


class ExitCode(enum.IntEnum):
    """Exit status of every command (see the module docstring for the full table)."""

    #: analyze/report: every run read; check: passed
    OK = 0
    #: analyze/report: some runs unreadable; check: a failing finding
    FINDINGS_OR_UNREADABLE = 1
    #: usage or config error, nothing readable, or (check) runs that could not be read
    USAGE_OR_READ_ERROR = 2
    #: an unexpected exception: a bug in ganlogs (never reported as findings)
    INTERNAL_ERROR = 3


def _settings(role: tuple[str, ...], loss_family: str | None, d_loss_reduction: str | None,
              min_confidence: float | None, config: str | None = None,
              exclude: tuple[str, ...] = ()) -> tuple[Settings, tuple[str, ...]]:
    """Settings and exclude globs from the command line over the config file (``--config``
    or found in cwd)."""
    from .config import load_config

    cfg = load_config(config)
    return cfg.settings(
        roles=parse_role_overrides(role), loss_family=loss_family,
        d_loss_reduction=d_loss_reduction, min_confidence=min_confidence), \
        tuple(cfg.exclude) + tuple(exclude)


def _analyze_cli(path: str, settings_args: tuple, scale: dict,
                 on_result: Callable[[Settings], Callable[[RunResult], None]] | None = None
                 ) -> Analysis:
    """``analyze`` with the progress bar; a GanlogsError (a bad option or config file, an
    unusable path) ends the command with exit 2. ``settings_args`` go to :func:`_settings`.
    ``on_result(settings)``: what gets each result as it is known (see ``analyze``)."""
    progress = _progress()
    try:
        settings, exclude = _settings(*settings_args)
        return analyze(path, settings=settings, progress=progress, exclude=exclude,
                       on_result=on_result(settings) if on_result is not None else None,
                       **scale)
    except GanlogsError as exc:
        _fail(str(exc))
    finally:
        progress.close()


def _safe(text: str) -> str:
    """Text that names paths or carries a log's bytes, made harmless for a terminal: control
    characters (escape sequences, BEL, carriage returns) are shown as ``\\xNN``."""
    from .report.terminal import safe

    return safe(str(text))


def _fail(message: str) -> NoReturn:
    click.echo(f"ganlogs: error: {_safe(message)}", err=True)
    sys.exit(ExitCode.USAGE_OR_READ_ERROR)


def _progress():
    """A progress bar on stderr when it is a terminal (drawn only for sweeps that take a while)."""
    from .report.terminal import Progress

    return Progress(sys.stderr, enabled=sys.stderr.isatty())


def _color() -> bool:
    """Colours on standard output: only on a terminal, and never when NO_COLOR is set."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _read_exit(result) -> NoReturn:
    """analyze/report: report unreadable runs on stderr and exit 0, 1 or 2."""
    for r in result.errors:
        click.echo(f"ganlogs: cannot read {_safe(r.error)}", err=True)
    _warn_damage(result)
    if not result.runs:
        _fail(f"no runs found under {result.root}")
    if len(result.errors) == len(result.runs):
        sys.exit(ExitCode.USAGE_OR_READ_ERROR)
    sys.exit(ExitCode.FINDINGS_OR_UNREADABLE if result.errors else ExitCode.OK)


def _warn_damage(result) -> None:
    """One stderr line per damaged file: a damaged run is read (a warning, not an error)."""
    from .errors import is_damage_warning

    for r in result.runs:
        for w in r.warnings:
            if is_damage_warning(w):
                click.echo(f"ganlogs: warning: {_safe(r.run_id)}: {_safe(w)}", err=True)


def _shared_options(f):
    """--role, --loss-family, --d-loss-reduction, --min-confidence, --config."""
    for option in reversed([
        click.option("--role", multiple=True, metavar="ROLE=TAG",
                     help="State which tag holds a role, e.g. --role d_loss=Loss/D (repeatable)."),
        click.option("--loss-family", type=click.Choice(LOSS_FAMILIES), default=None,
                     help="State the loss family instead of inferring it."),
        click.option("--d-loss-reduction", type=click.Choice(D_LOSS_REDUCTIONS), default=None,
                     help="State whether the D loss sums (real + fake) or averages its two "
                          "terms."),
        click.option("--min-confidence", type=click.FloatRange(0, 1), default=None,
                     help="Confidence at which a finding becomes a label (and, for check, "
                          f"fails a run). [default: {DEFAULT_MIN_CONFIDENCE}]"),
        click.option("--config", type=click.Path(dir_okay=False), default=None,
                     help="Config file (default: ./ganlogs.toml, or [tool.ganlogs] in "
                          "./pyproject.toml)."),
        click.option("--exclude", multiple=True, metavar="GLOB",
                     help="Do not read files or directories matching GLOB (relative to PATH; "
                          "a GLOB without '/' matches names at any depth), e.g. --exclude "
                          "'*.out' (repeatable). Other files that could be logs but that no "
                          "reader reads are listed as unreadable."),
    ]):
        f = option(f)
    return f


def _scale_options(f):
    """--jobs, --engine, --scheduler, --no-cache, --cache-dir (how a sweep is computed)."""
    for option in reversed([
        click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
                     help="Worker processes for the local engine [default: one per CPU]; "
                          "sweeps of fewer than 8 runs are analysed in-process."),
        click.option("--engine", type=click.Choice(["local", "dask"]), default="local",
                     show_default=True,
                     help="Where runs are analysed: local processes, or a dask.distributed "
                          "cluster (needs --scheduler and pip install \"ganlogs[dask]\"; the "
                          "workers must see the same paths)."),
        click.option("--scheduler", metavar="ADDRESS", default=None,
                     help="dask scheduler address for --engine dask, e.g. tcp://host:8786."),
        click.option("--no-cache", is_flag=True,
                     help="Read every run afresh; do not use or fill the cache of parsed runs "
                          "(Parquet files, keyed by each file's size and modification time)."),
        click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
                     help="Cache of parsed runs [default: $GANLOGS_CACHE_DIR, else "
                          "$XDG_CACHE_HOME/ganlogs, else ~/.cache/ganlogs]. Entries are keyed "
                          "by the size and mtime of every file of a run, so only runs that "
                          "changed are read again."),
    ]):
        f = option(f)
    return f


def _scale_kwargs(jobs: int | None, engine: str, scheduler: str | None, no_cache: bool,
                  cache_dir: str | None) -> dict:
    """analyze() keyword arguments from the options of :func:`_scale_options`."""
    if scheduler and engine != "dask":
        raise click.UsageError("--scheduler is only used with --engine dask")
    if engine == "dask" and not scheduler:
        raise click.UsageError("--engine dask needs --scheduler ADDRESS (e.g. tcp://host:8786)")
    if scheduler:
        _check_scheduler(scheduler)
    cache = False if no_cache else (cache_dir if cache_dir is not None else True)
    return {"jobs": jobs, "engine": engine, "scheduler": scheduler, "cache": cache}


#: dask address schemes that need a host and a port (``inproc://`` and the like do not)
_NETWORK_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")


def _check_scheduler(address: str) -> None:
    """A usage error, at once, for a dask scheduler address without a host or a port
    (``tcp://localhost``): dask would otherwise spend its whole connect timeout on it."""
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else "tcp://" + address)
    if parts.scheme not in _NETWORK_SCHEMES:
        return
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or port is None:
        host = parts.hostname or "HOST"
        raise click.UsageError(f"--scheduler {_safe(address)!r}: give the scheduler's host and "
                               f"port, e.g. {parts.scheme}://{host}:8786")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ganlogs")
def cli() -> None:
    """Read GAN training logs and say what each run is doing."""


@cli.command("analyze")
@click.argument("path", type=click.Path(exists=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown", "html"]),
              default="text", show_default=True,
              help="Output format (markdown and html print without plots; use `ganlogs report`).")
@_shared_options
@_scale_options
def analyze_cmd(path: str, fmt: str, role: tuple[str, ...], loss_family: str | None,
                d_loss_reduction: str | None, min_confidence: float | None,
                config: str | None, exclude: tuple[str, ...], jobs: int | None, engine: str,
                scheduler: str | None, no_cache: bool, cache_dir: str | None) -> None:
    """Find every run under PATH, read it and analyse it."""
    # only the HTML page reads the points: the other formats need a digest of each run
    writer = None

    def json_writer(settings: Settings) -> Callable[[RunResult], None]:
        # written a run at a time as the sweep is analysed: a large sweep's document is
        # never whole, and writing it overlaps the analysis instead of following it
        from .report.json import RunByRunWriter

        nonlocal writer
        writer = RunByRunWriter(click.get_text_stream("stdout"), root=str(path),
                                settings=settings, version=__version__)
        return writer.add

    result = _analyze_cli(path, (role, loss_family, d_loss_reduction, min_confidence, config,
                                 exclude),
                          {**_scale_kwargs(jobs, engine, scheduler, no_cache, cache_dir),
                           "keep_points": fmt == "html"},
                          on_result=json_writer if fmt == "json" else None)
    if fmt == "json":
        stdout = click.get_text_stream("stdout")
        writer.finish(result)  # type: ignore[union-attr]
        stdout.write("\n")
        stdout.flush()
    else:
        click.echo(_render(result, fmt), nl=False)
    _read_exit(result)


def _render(result, fmt: str) -> str:
    """The whole of ``analyze``'s standard output in ``fmt``."""
    if fmt == "json":
        from .report.json import dumps

        return dumps(result) + "\n"
    if fmt == "markdown":
        from .report.markdown import render_markdown

        return render_markdown(result).text
    if fmt == "html":
        from .report.html import render_html

        return render_html(result, plots=False)
    from .report.terminal import render_text

    tty = _color()
    return render_text(result, color=tty, width=shutil.get_terminal_size().columns if tty else None)


@cli.command("report")
@click.argument("path", type=click.Path(exists=True))
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default=None,
              help="File to write (default ganlogs-report.html / .md; '-' for standard output).")
@click.option("--format", "fmt", type=click.Choice(["html", "markdown"]), default=None,
              help="Report format [default: markdown when OUTPUT ends in .md, else html].")
@click.option("--title", default=None, help="Title of the report (default: the path).")
@_shared_options
@_scale_options
def report_cmd(path: str, output: str | None, fmt: str | None, title: str | None,
               role: tuple[str, ...], loss_family: str | None, d_loss_reduction: str | None,
               min_confidence: float | None, config: str | None, exclude: tuple[str, ...],
               jobs: int | None, engine: str, scheduler: str | None, no_cache: bool,
               cache_dir: str | None) -> None:
    """Write a report on every run under PATH: one self-contained HTML file, or Markdown
    (e.g. for $GITHUB_STEP_SUMMARY) with SVG plots beside it."""
    if fmt is None:
        fmt = "markdown" if output and output.lower().endswith((".md", ".markdown")) else "html"
    if output is None:
        output = "ganlogs-report.md" if fmt == "markdown" else "ganlogs-report.html"
    result = _analyze_cli(path, (role, loss_family, d_loss_reduction, min_confidence, config,
                                 exclude),
                          _scale_kwargs(jobs, engine, scheduler, no_cache, cache_dir))
    if not result.runs:
        _read_exit(result)  # nothing to report: no file written, exit 2
    from .report import write_report

    try:
        written = write_report(result, output, fmt=fmt, title=title)
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}")
    if output != "-":
        extra = f" and {len(written) - 1} SVG plot(s) beside it" if len(written) > 1 else ""
        click.echo(f"ganlogs: wrote {_safe(written[0])}{extra}", err=True)
    _read_exit(result)


@cli.command("check")
@click.argument("path", type=click.Path(exists=True))
@click.option("--fail-on", default=None, metavar="LABEL[,LABEL...]",
              help="Labels that fail a run (insufficient_data included). [default: "
                   "mode_collapse,diverged,vanishing_gradients]")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format of the verdict.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the verdict, not the table of runs.")
@click.option("--allow-damage", is_flag=True, default=None,
              help="Accept damaged logs (records that failed their checksum were skipped; the "
                   "intact ones are judged) instead of calling the check incomplete.")
@_shared_options
@_scale_options
def check_cmd(path: str, fail_on: str | None, fmt: str, quiet: bool, allow_damage: bool | None,
              role: tuple[str, ...], loss_family: str | None, d_loss_reduction: str | None,
              min_confidence: float | None, config: str | None, exclude: tuple[str, ...],
              jobs: int | None, engine: str, scheduler: str | None, no_cache: bool,
              cache_dir: str | None) -> None:
    """Fail (exit 1) when a run under PATH has a finding in --fail-on; exit 2 when the check
    is incomplete (usage error, runs or files that could not be read, damaged logs)."""
    from .checks import check
    from .config import load_config

    scale = {**_scale_kwargs(jobs, engine, scheduler, no_cache, cache_dir),
             "keep_points": False}  # the verdict and the table read a digest of each run
    progress = _progress()
    try:
        cfg = load_config(config)
        result = check(path, fail_on=fail_on, min_confidence=min_confidence,
                       roles=parse_role_overrides(role), loss_family=loss_family,
                       d_loss_reduction=d_loss_reduction, config=cfg, progress=progress,
                       exclude=exclude, allow_damage=allow_damage or None, **scale)
    except GanlogsError as exc:
        _fail(str(exc))
    finally:
        progress.close()
    if fmt == "json":
        from .report.json import dumps_check

        click.echo(dumps_check(result))
    else:
        from .report.terminal import render_check, render_text

        tty = _color()
        if not quiet:
            click.echo(render_text(result.analysis, color=tty,
                                   width=shutil.get_terminal_size().columns if tty else None))
        click.echo(render_check(result, color=tty), nl=False)
    if result.analysis is not None:
        _warn_damage(result.analysis)
    code = {"pass": ExitCode.OK, "fail": ExitCode.FINDINGS_OR_UNREADABLE}
    sys.exit(code.get(result.status, ExitCode.USAGE_OR_READ_ERROR))


@cli.command("watch")
@click.argument("path", type=click.Path(exists=True))
@click.option("--fail-on", default="", metavar="LABEL[,LABEL...]",
              help="Exit 1 as soon as one of these labels is raised on a run. [default: none]")
@click.option("--once", is_flag=True, help="One pass: judge every run on what is written now.")
@click.option("--interval", type=click.FloatRange(min=0.05), default=1.0, show_default=True,
              help="Seconds between two looks at the files.")
@click.option("--until-idle", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help="Exit 0 when no run has grown for this long.")
@_shared_options
def watch_cmd(path: str, fail_on: str, once: bool, interval: float, until_idle: float | None,
              role: tuple[str, ...], loss_family: str | None, d_loss_reduction: str | None,
              min_confidence: float | None, config: str | None,
              exclude: tuple[str, ...]) -> None:
    """Follow the runs under PATH while they are written; print a line when a finding appears,
    changes or clears. Exit 1 when a --fail-on label is raised, 130 on Ctrl-C (docs/live.md)."""
    from .config import parse_fail_on
    from .live.command import watch_main

    try:
        settings, excluded = _settings(role, loss_family, d_loss_reduction, min_confidence,
                                       config, exclude)
        code = watch_main(path, settings=settings, fail_on=parse_fail_on(fail_on), once=once,
                          interval=interval, until_idle=until_idle, exclude=excluded)
    except GanlogsError as exc:
        _fail(str(exc))
    sys.exit(code)


def main() -> None:
    """Console-script entry point. An unexpected exception exits 3, never 1 (a failing check)."""
    try:
        cli(prog_name="ganlogs")
    except Exception:  # noqa: BLE001 - a bug, not a finding
        import traceback

        traceback.print_exc()
        click.echo("ganlogs: internal error (a bug in ganlogs; please report it with the "
                   "traceback above)", err=True)
        sys.exit(ExitCode.INTERNAL_ERROR)


if __name__ == "__main__":
    main()
