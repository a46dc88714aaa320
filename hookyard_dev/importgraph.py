"""What a function imports: a static walk of our code from its handler module.

The walk reads every `import` statement of our modules, at module level and inside
functions (an import deferred to first use, like Liquid's in hookyard.webhooks.bodies,
still needs its package in the function's layers), follows the ones into our own code,
and collects the others by top-level name. Imports under `if TYPE_CHECKING:` are left
out: they never run. Dynamic imports (`importlib.import_module` with a computed name)
are not seen; our code has none.

"Our code" is every module found on the given path entries that pip did not install
(no `*.dist-info/RECORD` lists it): the function's package, `hookyard`. Third-party
packages are not walked: what they import is theirs (pip installs their requirements
next to them).
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, order=True)
class Site:
    """Where an import statement is: `path:line`, and whether it runs at import time."""

    file: Path
    line: int
    deferred: bool  # inside a function: runs when the function is called, not on import

    def __str__(self) -> str:
        return f"{self.file}:{self.line}{' (in a function)' if self.deferred else ''}"


@dataclass
class Graph:
    """The modules of our code reached from a handler, and the other top-level packages
    they import (stdlib left out), each with the statements that import it."""

    ours: dict[str, Path] = field(default_factory=dict)
    external: dict[str, list[Site]] = field(default_factory=dict)
    unresolved: dict[str, list[Site]] = field(default_factory=dict)  # our names with no file

    @property
    def top_levels(self) -> set[str]:
        """Every top-level package the function imports, ours and others."""
        return {name.split(".", 1)[0] for name in self.ours} | set(self.external)


def normalized(distribution: str) -> str:
    """A distribution's name as pip compares them (PEP 503): `Python_Liquid` -> `python-liquid`."""
    return re.sub(r"[-_.]+", "-", distribution).lower()


def requirement_names(folder: Path) -> list[str]:
    """The distributions `folder/requirements.txt` names (normalized; pins and comments dropped)."""
    path = folder / "requirements.txt"
    if not path.is_file():
        return []
    names = []
    for line in path.read_text().splitlines():
        found = _REQUIREMENT.match(line.split("#", 1)[0].strip())
        if found:
            names.append(normalized(found.group(0)))
    return names


_REQUIREMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")


def installed_distributions(folder: Path) -> dict[str, set[str]]:
    """Distribution (normalized name) -> the top-level names pip installed for it into
    `folder`, from each `*.dist-info/RECORD`."""
    found: dict[str, set[str]] = {}
    for record in folder.glob("*.dist-info/RECORD"):
        name = record.parent.name.removesuffix(".dist-info").rsplit("-", 1)[0]
        names = found.setdefault(normalized(name), set())
        for line in record.read_text().splitlines():
            first = line.split(",", 1)[0].split("/", 1)[0]
            if first and not first.endswith((".dist-info", ".data")) and first not in ("..", "__pycache__", "bin"):
                names.add(_module_name(first))
    return found


def installed_top_levels(folder: Path) -> set[str]:
    """Top-level names pip installed into `folder`."""
    return set().union(*installed_distributions(folder).values())


def provided_top_levels(folder: Path) -> set[str]:
    """Top-level module names importable from `folder` (packages, modules, extensions)."""
    names = set()
    for entry in folder.iterdir():
        if entry.is_dir():
            if entry.name.isidentifier() and entry.name != "__pycache__":
                names.add(entry.name)
        elif entry.suffix in (".py", ".so", ".pyd"):
            names.add(_module_name(entry.name))
    return names


def _module_name(file_name: str) -> str:
    """`jq.cpython-313-x86_64-linux-gnu.so` -> `jq`; `six.py` -> `six`; `pkg` -> `pkg`."""
    return file_name.split(".", 1)[0]


class _Walker:
    def __init__(self, paths: Sequence[Path]) -> None:
        self.paths = [Path(p) for p in paths]
        installed: set[str] = set()
        for path in self.paths:
            installed |= installed_top_levels(path)
        self.installed = installed
        self.graph = Graph()

    def ours(self, top: str) -> bool:
        return top not in self.installed and self.find(top) is not None

    def find(self, name: str) -> Path | None:
        parts = name.split(".")
        for path in self.paths:
            base = path.joinpath(*parts)
            if (base / "__init__.py").is_file():
                return base / "__init__.py"
            if base.with_suffix(".py").is_file():
                return base.with_suffix(".py")
        return None

    def visit(self, name: str, site: Site | None) -> None:
        parts = name.split(".")
        if parts[0] in sys.stdlib_module_names:
            return
        if not self.ours(parts[0]):
            if site is not None:
                self.graph.external.setdefault(parts[0], []).append(site)
            return
        # Importing a.b.c runs a/__init__, a/b/__init__ and a/b/c.
        for depth in range(1, len(parts) + 1):
            module = ".".join(parts[:depth])
            if module in self.graph.ours:
                continue
            file = self.find(module)
            if file is None:
                if site is not None:
                    self.graph.unresolved.setdefault(module, []).append(site)
                return
            self.graph.ours[module] = file
            for imported, line, deferred, submodule_or_name in _imports(file, module):
                if submodule_or_name and not (self.ours(imported.split(".", 1)[0]) and self.find(imported)):
                    continue  # `from m import x` where x is a name in m, or m is not ours
                self.visit(imported, Site(file, line, deferred))


def _imports(file: Path, module: str) -> list[tuple[str, int, bool, bool]]:
    """(imported module name, line, inside a function, maybe a name) for every import
    statement of `file`, skipping `if TYPE_CHECKING:` blocks. `from m import x` gives `m`
    and `m.x`, the latter marked: x may be a submodule or a name defined in m."""
    tree = ast.parse(file.read_text(), filename=str(file))
    package = module if file.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, int, bool, bool]] = []

    def walk(nodes: Iterable[ast.AST], deferred: bool) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and _is_type_checking(node.test):
                walk(node.orelse, deferred)
            elif isinstance(node, ast.Import):
                found.extend((alias.name, node.lineno, deferred, False) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(node, package)
                found.append((base, node.lineno, deferred, False))
                found.extend((f"{base}.{alias.name}", node.lineno, deferred, True) for alias in node.names)
            else:
                inner = deferred or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
                walk(ast.iter_child_nodes(node), inner)

    walk(tree.body, False)
    return found


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    parts = package.split(".") if package else []
    base = parts[: len(parts) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def walk(paths: Sequence[Path], module: str) -> Graph:
    """The import graph of `module` over `paths` (a function's sys.path: its code folder,
    its layers' python/ folders, the runtime's packages)."""
    walker = _Walker(paths)
    walker.visit(module, None)
    return walker.graph
