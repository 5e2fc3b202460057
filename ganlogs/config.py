"""The configuration file: ``ganlogs.toml``, or ``[tool.ganlogs]`` in ``pyproject.toml``.

It holds the options the command line takes, so that a repository states them once::

    # pyproject.toml                      # or ganlogs.toml (same keys, top level)
    [tool.ganlogs]
    fail_on = ["mode_collapse", "diverged", "vanishing_gradients"]
    min_confidence = 0.8
    loss_family = "bce_nonsaturating"     # one of ganlogs.conventions.LOSS_FAMILIES
    d_loss_reduction = "summed"           # or "mean"
    exclude = ["notes/*.txt", "*.out"]    # files not to read (--exclude); listed otherwise
    allow_damage = false                  # true: a damaged log does not make check incomplete

    [tool.ganlogs.roles]                  # [roles] in ganlogs.toml
    d_loss = "Loss/D"
    g_loss = "Loss/G"

Search order when no file is named: ``ganlogs.toml`` in the current directory, then
``pyproject.toml`` there if it has a ``[tool.ganlogs]`` table; nothing else (no walking up
to parent directories). Options given on the command line override the file. An unknown
key, a value of the wrong type or an unknown label, family or role is a
:class:`~ganlogs.errors.UsageError` that names the file and the key.

This module only loads and validates; applying ``fail_on`` is :mod:`ganlogs.checks`' job.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .analysis import DEFAULT_MIN_CONFIDENCE, Settings
from .conventions import D_LOSS_REDUCTIONS, LOSS_FAMILIES
from .findings import FINDING_LABELS
from .errors import UsageError
from .roles import ROLES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["Config", "CONFIG_KEYS", "find_config", "load_config", "parse_fail_on"]

#: the keys a config file may hold (``roles`` is a table of role id -> tag)
CONFIG_KEYS = ("fail_on", "min_confidence", "loss_family", "d_loss_reduction", "roles", "exclude",
               "allow_damage")


@dataclass(frozen=True)
class Config:
    """Options read from a config file; ``None`` (or empty ``roles``) where the file is silent.

    ``source`` is the file they came from, or ``None`` when no file was found.
    """

    fail_on: tuple[str, ...] | None = None
    min_confidence: float | None = None
    loss_family: str | None = None
    d_loss_reduction: str | None = None
    roles: Mapping[str, str] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    allow_damage: bool | None = None
    source: str | None = None

    def settings(self, *, roles: Mapping[str, str] | None = None, loss_family: str | None = None,
                 d_loss_reduction: str | None = None,
                 min_confidence: float | None = None) -> Settings:
        """Analysis :class:`~ganlogs.analysis.Settings`: the arguments given (not None)
        override the file, role by role for ``roles``."""
        return Settings(
            roles={**self.roles, **(roles or {})},
            loss_family=loss_family if loss_family is not None else self.loss_family,
            d_loss_reduction=(d_loss_reduction if d_loss_reduction is not None
                              else self.d_loss_reduction),
            min_confidence=(min_confidence if min_confidence is not None
                            else self.min_confidence if self.min_confidence is not None
                            else DEFAULT_MIN_CONFIDENCE))


def parse_fail_on(value: Any, *, where: str = "--fail-on") -> tuple[str, ...]:
    """Labels to fail on, from ``"a,b"`` or a list of strings; each must be a finding label.

    An empty string or list means "fail on nothing" (the check then only reports).
    """
    if isinstance(value, str):
        items = [v.strip() for v in value.split(",")]
        items = [v for v in items if v]
    elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        items = [v.strip() for v in value]
    else:
        raise UsageError(f"{where} must be a list of labels (strings); got {value!r}")
    bad = [v for v in items if v not in FINDING_LABELS]
    if bad:
        raise UsageError(f"{where}: unknown label(s) {', '.join(map(repr, bad))}; "
                         f"labels are: {', '.join(FINDING_LABELS)}")
    return tuple(dict.fromkeys(items))  # drop repeats, keep order


def find_config(cwd: str | os.PathLike[str] | None = None) -> Path | None:
    """The config file ganlogs uses in ``cwd`` (default: the current directory), or None."""
    here = Path.cwd() if cwd is None else Path(cwd)
    own = here / "ganlogs.toml"
    if own.is_file():
        return own
    pyproject = here / "pyproject.toml"
    if pyproject.is_file():
        doc = _parse(pyproject)
        if isinstance(doc.get("tool"), dict) and "ganlogs" in doc["tool"]:
            return pyproject
    return None


def load_config(path: str | os.PathLike[str] | None = None, *,
                cwd: str | os.PathLike[str] | None = None) -> Config:
    """Read and validate a config file.

    ``path`` names the file (``--config``); a ``pyproject.toml`` is read from its
    ``[tool.ganlogs]`` table, any other file from its top level (or from its own
    ``[tool.ganlogs]`` table when it has one). Without ``path`` the file is looked up with
    :func:`find_config`; when there is none, an empty :class:`Config` comes back.
    """
    if path is None:
        found = find_config(cwd)
        if found is None:
            return Config()
        file = found
    else:
        file = Path(path)
        if not file.is_file():
            raise UsageError(f"config file {file}: no such file")
    doc = _parse(file)
    tool = doc.get("tool")
    if isinstance(tool, dict) and "ganlogs" in tool:
        table, prefix = tool["ganlogs"], "tool.ganlogs."
        if not isinstance(table, dict):
            raise UsageError(f"{file}: [tool.ganlogs] must be a table")
    elif file.name == "pyproject.toml":
        raise UsageError(f"{file}: has no [tool.ganlogs] table")
    else:
        table, prefix = doc, ""
    return _validate(table, file, prefix)


def _parse(file: Path) -> dict[str, Any]:
    try:
        with open(file, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{file}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise UsageError(f"{file}: cannot read ({exc.strerror})") from None


def _validate(table: Mapping[str, Any], file: Path, prefix: str) -> Config:
    unknown = [k for k in table if k not in CONFIG_KEYS]
    if unknown:
        raise UsageError(f"{file}: unknown key {prefix}{unknown[0]}; "
                         f"known keys are: {', '.join(CONFIG_KEYS)}")
    where = lambda key: f"{file}: {prefix}{key}"  # noqa: E731
    out: dict[str, Any] = {"source": str(file)}
    if "fail_on" in table:
        out["fail_on"] = parse_fail_on(table["fail_on"], where=where("fail_on"))
    if "min_confidence" in table:
        v = table["min_confidence"]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 <= v <= 1.0:
            raise UsageError(f"{where('min_confidence')} must be a number in [0, 1]; got {v!r}")
        out["min_confidence"] = float(v)
    for key, allowed in (("loss_family", LOSS_FAMILIES), ("d_loss_reduction", D_LOSS_REDUCTIONS)):
        if key in table:
            v = table[key]
            if v not in allowed:
                raise UsageError(f"{where(key)} must be one of {', '.join(allowed)}; got {v!r}")
            out[key] = v
    if "exclude" in table:
        v = table["exclude"]
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
            raise UsageError(f"{where('exclude')} must be a list of glob patterns (strings); "
                             f"got {v!r}")
        out["exclude"] = tuple(v)
    if "allow_damage" in table:
        v = table["allow_damage"]
        if not isinstance(v, bool):
            raise UsageError(f"{where('allow_damage')} must be true or false; got {v!r}")
        out["allow_damage"] = v
    if "roles" in table:
        roles = table["roles"]
        if not isinstance(roles, dict):
            raise UsageError(f"{where('roles')} must be a table of role = \"tag\"")
        for role, tag in roles.items():
            if role not in ROLES:
                raise UsageError(f"{where('roles')}: unknown role {role!r}; "
                                 f"roles are: {', '.join(ROLES)}")
            if not isinstance(tag, str) or not tag:
                raise UsageError(f"{where('roles.' + role)} must be a tag name (a string); "
                                 f"got {tag!r}")
        out["roles"] = dict(roles)
    return Config(**out)
