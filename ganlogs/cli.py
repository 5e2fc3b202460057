"""The ``ganlogs`` command line: a thin layer over the library.

Exit codes (:class:`ExitCode`) are part of the public contract:

``ganlogs analyze``: 0 every run was read; 1 some runs could not be read (the others are
still analysed and listed); 2 usage error or nothing readable.
"""

from __future__ import annotations

import enum
import sys

import click

from ._version import __version__
from .analysis import DEFAULT_MIN_CONFIDENCE, Settings, analyze
from .conventions import D_LOSS_REDUCTIONS, LOSS_FAMILIES
from .errors import GanlogsError
from .roles import parse_role_overrides

__all__ = ["ExitCode", "main"]


class ExitCode(enum.IntEnum):
    OK = 0
    #: analyze: some runs unreadable; check: a failing finding
    FINDINGS_OR_UNREADABLE = 1
    #: usage error, nothing readable, or (check) runs that could not be read
    USAGE_OR_READ_ERROR = 2


def _settings(role: tuple[str, ...], loss_family: str | None, d_loss_reduction: str | None,
              min_confidence: float) -> Settings:
    return Settings(roles=parse_role_overrides(role), loss_family=loss_family,
                    d_loss_reduction=d_loss_reduction, min_confidence=min_confidence)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ganlogs")
def cli() -> None:
    """Read GAN training logs and say what each run is doing."""


@cli.command("analyze")
@click.argument("path", type=click.Path(exists=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@click.option("--role", multiple=True, metavar="ROLE=TAG",
              help="State which tag holds a role, e.g. --role d_loss=Loss/D (repeatable).")
@click.option("--loss-family", type=click.Choice(LOSS_FAMILIES), default=None,
              help="State the loss family instead of inferring it.")
@click.option("--d-loss-reduction", type=click.Choice(D_LOSS_REDUCTIONS), default=None,
              help="State whether the D loss sums (real + fake) or averages its two terms.")
@click.option("--min-confidence", type=click.FloatRange(0, 1), default=DEFAULT_MIN_CONFIDENCE,
              show_default=True, help="Confidence at which a finding becomes a label.")
def analyze_cmd(path: str, fmt: str, role: tuple[str, ...], loss_family: str | None,
                d_loss_reduction: str | None, min_confidence: float) -> None:
    """Find every run under PATH, read it and analyse it."""
    try:
        settings = _settings(role, loss_family, d_loss_reduction, min_confidence)
        result = analyze(path, settings=settings)
    except GanlogsError as exc:
        click.echo(f"ganlogs: error: {exc}", err=True)
        sys.exit(ExitCode.USAGE_OR_READ_ERROR)
    if fmt == "json":
        from .report.json import dumps

        click.echo(dumps(result))
    else:
        from .report.terminal import render_text

        click.echo(render_text(result), nl=False)
    for r in result.errors:
        click.echo(f"ganlogs: cannot read {r.error}", err=True)
    if not result.runs:
        click.echo(f"ganlogs: no runs found under {path}", err=True)
        sys.exit(ExitCode.USAGE_OR_READ_ERROR)
    if len(result.errors) == len(result.runs):
        sys.exit(ExitCode.USAGE_OR_READ_ERROR)
    sys.exit(ExitCode.FINDINGS_OR_UNREADABLE if result.errors else ExitCode.OK)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="ganlogs")


if __name__ == "__main__":
    main()
