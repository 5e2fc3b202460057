"""The package's shape, checked by reading the source with :mod:`ast` (nothing is imported).

- In ``ganlogs/``, a private name (a module or name starting with ``_``, dunders aside) is
  imported only from inside the sub-package that owns it: ``ganlogs/readers/csv.py`` may import
  ``ganlogs.readers._csv_parse``; ``ganlogs/live/follow.py`` may not, nor
  ``from ganlogs.readers.csv import _parse``. The owner of ``ganlogs.readers._tfrecord`` is
  ``ganlogs.readers``; the owner of ``ganlogs.readers.csv._parse`` is also ``ganlogs.readers``.
- ``tests/`` and ``bench/`` use public names only: no private module or name of ganlogs is
  imported, read as an attribute of a ganlogs module, or monkeypatched (test data is written
  with :mod:`ganlogs.readers.wire`; code paths are chosen with documented keywords).
- No import cycle among ganlogs' modules at import time (module-level imports; an import
  inside a function runs later and is left out).

Each failure names ``file:line`` and what was imported.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "ganlogs"
#: private names that tests/bench may use because nothing public can stand in (none so far)
ALLOWED_PRIVATE: frozenset[str] = frozenset()


def is_private(part: str) -> bool:
    """A dotted-path component is private when it starts with ``_`` and is not a dunder."""
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


def module_name(path: Path) -> str:
    """Dotted module name of a file under ROOT (``ganlogs/readers/__init__.py`` ->
    ``ganlogs.readers``)."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_package(dotted: str) -> bool:
    return (ROOT / Path(*dotted.split(".")) / "__init__.py").exists()


def owner(dotted: str) -> str | None:
    """The package owning the first private component of ``dotted`` (None when all public):
    the package holding the private module, or holding the module that holds the private
    name."""
    parts = dotted.split(".")
    for i, part in enumerate(parts):
        if is_private(part):
            prefix = ".".join(parts[:i])
            return prefix if is_package(prefix) else prefix.rpartition(".")[0]
    return None


def package_of(path: Path) -> str:
    """The package a file belongs to (its own name for an ``__init__.py``)."""
    name = module_name(path)
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def resolve(path: Path, node: ast.ImportFrom) -> str:
    """Absolute module name of a ``from ... import`` (relative levels resolved)."""
    if not node.level:
        return node.module or ""
    base = package_of(path).split(".")
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


@dataclass(frozen=True)
class Imported:
    """One name an import statement brings in: its full dotted path, and whether the
    statement runs when the module is imported (module level, not under TYPE_CHECKING)."""

    line: int
    dotted: str
    at_import: bool


def _type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(test)


def imports(path: Path) -> list[Imported]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    at_import = {id(n) for n in tree.body}
    # imports under a module-level if/try still run at import time (TYPE_CHECKING ones do not)
    for n in tree.body:
        if isinstance(n, (ast.If, ast.Try)) and not _type_checking(n):
            at_import |= {id(c) for c in ast.walk(n)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [Imported(node.lineno, a.name, id(node) in at_import) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            mod = resolve(path, node)
            out += [Imported(node.lineno, f"{mod}.{a.name}", id(node) in at_import)
                    for a in node.names]
    return out


def is_ganlogs(dotted: str) -> bool:
    return dotted == "ganlogs" or dotted.startswith("ganlogs.")


def python_files(*dirs: str) -> list[Path]:
    return sorted(p for d in dirs for p in (ROOT / d).rglob("*.py")
                  if "__pycache__" not in p.parts)


def where(path: Path, line: int) -> str:
    rel = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    return f"{rel}:{line}"


def package_violations(files: list[Path]) -> list[str]:
    """Private names imported in ``ganlogs/`` from outside the sub-package that owns them."""
    out = []
    for path in files:
        here = package_of(path)
        for imp in imports(path):
            own = owner(imp.dotted)
            if own is None or not is_ganlogs(imp.dotted):
                continue
            if here != own and not here.startswith(own + "."):
                out.append(f"{where(path, imp.line)}: imports {imp.dotted} (private to {own})")
    return out


def _ganlogs_modules(tree: ast.AST, path: Path) -> set[str]:
    """Local names bound to ganlogs modules or objects by imports in this file."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.asname or a.name.split(".")[0] for a in node.names
                      if a.name.split(".")[0] == "ganlogs"}
        elif isinstance(node, ast.ImportFrom) and is_ganlogs(resolve(path, node)):
            names |= {a.asname or a.name for a in node.names}
    return names


def public_names_violations(files: list[Path]) -> list[str]:
    """In tests/bench: private ganlogs names imported, read as attributes of a ganlogs module
    or object, or monkeypatched (by object and attribute name, or by dotted string)."""
    out = []
    for path in files:
        for imp in imports(path):
            if is_ganlogs(imp.dotted) and owner(imp.dotted) is not None \
                    and imp.dotted not in ALLOWED_PRIVATE:
                out.append(f"{where(path, imp.line)}: imports {imp.dotted}")
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        bound = _ganlogs_modules(tree, path)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and is_private(node.attr):
                root = node.value
                while isinstance(root, ast.Attribute):
                    root = root.value
                if isinstance(root, ast.Name) and root.id in bound:
                    out.append(f"{where(path, node.lineno)}: uses {ast.unparse(node)}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in ("setattr", "delattr", "setitem") and node.args:
                first = node.args[0]
                target = None
                if isinstance(first, ast.Constant) and isinstance(first.value, str) \
                        and is_ganlogs(first.value) and owner(first.value):
                    target = first.value
                elif len(node.args) > 1 and isinstance(node.args[1], ast.Constant) \
                        and isinstance(node.args[1].value, str) and is_private(node.args[1].value):
                    root = first
                    while isinstance(root, ast.Attribute):
                        root = root.value
                    if isinstance(root, ast.Name) and root.id in bound:
                        target = f"{ast.unparse(first)}.{node.args[1].value}"
                if target:
                    out.append(f"{where(path, node.lineno)}: monkeypatches {target}")
    return out


def import_cycles(files: list[Path]) -> list[str]:
    """Cycles among ganlogs modules through module-level imports, each as ``a -> b -> a``."""
    modules = {module_name(p): p for p in files}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for imp in imports(path):
            if not imp.at_import:
                continue
            # ``from pkg import mod`` names a module; ``from mod import name`` names its module
            target = imp.dotted if imp.dotted in modules else imp.dotted.rpartition(".")[0]
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                graph[name].add(target)
                # importing a.b.c first imports its packages a.b and a
                parent = target.rpartition(".")[0]
                while parent:
                    if parent in modules and parent != name and not name.startswith(parent + "."):
                        graph[name].add(parent)
                    parent = parent.rpartition(".")[0]
    cycles, state, stack = [], {}, []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                cycles.append(" -> ".join(stack[stack.index(n):] + [n]))
            elif n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    return cycles


def test_no_private_import_across_sub_packages():
    found = package_violations(python_files("ganlogs"))
    assert not found, "private names imported from outside their sub-package:\n" + "\n".join(found)


def test_tests_and_bench_use_public_names_only():
    found = public_names_violations(python_files("tests", "bench"))
    assert not found, "tests/bench reach ganlogs internals:\n" + "\n".join(found)


def test_no_import_cycles():
    found = import_cycles(python_files("ganlogs"))
    assert not found, "import cycles at module level:\n" + "\n".join(found)


@pytest.mark.parametrize("source,expect", [
    ("from ganlogs.readers._tfrecord import scan_records\n", "ganlogs.readers._tfrecord"),
    ("from ganlogs.readers.csv import _parse\n", "ganlogs.readers.csv._parse"),
    ("import ganlogs.readers._tb_fast as f\n", "ganlogs.readers._tb_fast"),
    ("from ganlogs.readers import text\ntext._MIN = 1\n", "text._MIN"),
    ("from ganlogs import engine\ndef t(monkeypatch):\n    monkeypatch.setattr(engine, '_pool', 1)\n",
     "engine._pool"),
    ("def t(monkeypatch):\n    monkeypatch.setattr('ganlogs.readers._x.CHUNK', 1)\n",
     "ganlogs.readers._x.CHUNK"),
])
def test_the_scan_catches_a_planted_violation(tmp_path, source, expect):
    plant = tmp_path / "plant.py"
    plant.write_text(source, encoding="utf-8")
    found = public_names_violations([plant])
    assert any(expect in f and f.startswith(f"{plant}:") for f in found), found


def test_the_package_scan_allows_its_own_sub_package_only():
    inside = ROOT / "ganlogs" / "readers" / "csv.py"
    outside = ROOT / "ganlogs" / "live" / "x.py"
    assert owner("ganlogs.readers._tfrecord.scan_records") == "ganlogs.readers"
    assert owner("ganlogs.readers.csv._parse") == "ganlogs.readers"
    assert owner("ganlogs.readers.csv.CsvReader") is None
    assert package_of(inside) == "ganlogs.readers" and package_of(outside) == "ganlogs.live"
