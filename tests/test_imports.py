"""No import cycles among the modules of ``neuralcoref/`` and ``training/``.

The import graph is read from the source (``ast`` for ``.py``; a regular expression for the
``import``/``cimport`` lines of ``.pyx``), relative imports resolved. Imports inside functions
count as well as module-level ones: a lazy import only hides a circle until the function runs
(``batch`` and ``distributed`` were such a circle), so both directions are a dependency.
Imports under ``if TYPE_CHECKING:`` never run and are left out. An edge goes to the module
named (``from .a import b`` goes to ``a.b`` when that is a module, else to ``a``), not to the
packages above it: a package's ``__init__`` that re-exports its submodules is no circle.
"""

from __future__ import annotations

import ast
import graphlib
import re
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Set, Tuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("neuralcoref", "training")
PYX_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+(?P<base>[.\w]+)[ \t]+c?import[ \t]+(?P<names>\([^)]*\)|[^\n#]+)"
    r"|c?import[ \t]+(?P<modules>[^\n#]+))",
    re.MULTILINE,
)


def module_files(root: Path, packages=PACKAGES) -> Dict[str, Path]:
    """Dotted module name -> source file, for every ``.py`` and ``.pyx`` under the packages."""
    modules = {}
    for package in packages:
        for path in sorted((root / package).rglob("*")):
            if path.suffix not in (".py", ".pyx") or "__pycache__" in path.parts:
                continue
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _absolute(module: str, is_package: bool, base: Optional[str], level: int) -> str:
    """The absolute name of ``from <level dots><base> import ...`` written in ``module``."""
    if level == 0:
        return base or ""
    parts = module.split(".")
    if not is_package:
        parts = parts[:-1]
    parts = parts[: len(parts) - (level - 1)]
    return ".".join(parts + ([base] if base else []))


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _py_imports(source: str) -> Iterator[Tuple[Optional[str], int, List[str]]]:
    """(base, level, names) of every import statement that can run, at any depth."""
    stack: List[ast.AST] = [ast.parse(source)]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, 0, []
        elif isinstance(node, ast.ImportFrom):
            yield node.module, node.level, [alias.name for alias in node.names]
        stack.extend(ast.iter_child_nodes(node))


def _pyx_imports(source: str) -> Iterator[Tuple[Optional[str], int, List[str]]]:
    for match in PYX_IMPORT.finditer(source):
        if match["modules"]:
            for name in match["modules"].split(","):
                yield name.split(" as ")[0].strip(), 0, []
            continue
        base = match["base"]
        level = len(base) - len(base.lstrip("."))
        names = [n.split(" as ")[0].strip() for n in match["names"].strip("()").replace("\n", " ").split(",")]
        yield base.lstrip(".") or None, level, [n for n in names if n]


def import_graph(root: Path = ROOT, packages=PACKAGES) -> Dict[str, Set[str]]:
    """Module -> the modules of the packages it imports."""
    files = module_files(root, packages)
    graph: Dict[str, Set[str]] = {}
    for module, path in files.items():
        parse = _pyx_imports if path.suffix == ".pyx" else _py_imports
        is_package = path.stem == "__init__"
        targets = set()
        for base, level, names in parse(path.read_text(encoding="utf-8")):
            target = _absolute(module, is_package, base, level)
            submodules = [f"{target}.{name}" if target else name for name in names]
            found = [name for name in submodules if name in files]
            if found:
                targets.update(found)
            elif target in files:  # not ours, or a .pxd only (compile time): no edge
                targets.add(target)
        targets.discard(module)
        graph[module] = targets
    return graph


def find_cycles(graph: Dict[str, Set[str]], limit: int = 20) -> List[List[str]]:
    """Import cycles of the graph (each as ``[a, b, ..., a]``), found one at a time by graphlib;
    one edge of each is dropped before looking again, so every circle is named at least once."""
    graph = {node: set(targets) for node, targets in graph.items()}
    cycles = []
    while len(cycles) < limit:
        try:
            graphlib.TopologicalSorter(graph).prepare()
        except graphlib.CycleError as exc:
            cycle = list(reversed(exc.args[1]))  # graphlib lists a dependency before its user
            cycles.append(cycle)
            graph[cycle[0]].discard(cycle[1])
        else:
            return cycles
    return cycles


def test_no_import_cycles():
    graph = import_graph()
    assert "neuralcoref.batch" in graph and "training.corpus" in graph
    cycles = find_cycles(graph)
    assert not cycles, "import cycles (each module imports the next):\n" + "\n".join(
        " -> ".join(cycle) for cycle in cycles
    )


def test_graph_resolves_relative_and_lazy_imports():
    """The edges the cycle check relies on are read: relative, ``from . import x``, inside functions, .pyx."""
    graph = import_graph()
    assert "neuralcoref.batch" in graph["neuralcoref.distributed"]
    assert "neuralcoref.batch" in graph["neuralcoref.serve"]  # ``from . import batch``
    assert "neuralcoref.features" in graph["neuralcoref.resolution"]  # .pyx
    assert "training.readers" in graph["training.corpus"]


def test_cycle_is_named(tmp_path):
    """A planted circle (one side a lazy import in a function) is found and named; TYPE_CHECKING is not one."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from .a import f\n")
    (pkg / "a.py").write_text("from . import b\n\ndef f():\n    return b.g()\n")
    (pkg / "b.py").write_text("def g():\n    from .a import f\n    return f\n")
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import d\n")
    (pkg / "d.py").write_text("import pkg.c\n")
    graph = import_graph(tmp_path, ("pkg",))
    assert graph["pkg"] == {"pkg.a"} and graph["pkg.c"] == set() and graph["pkg.d"] == {"pkg.c"}
    cycles = find_cycles(graph)
    assert len(cycles) == 1 and set(cycles[0]) == {"pkg.a", "pkg.b"} and cycles[0][0] == cycles[0][-1]


@pytest.mark.parametrize(
    "source,expected",
    [
        ("from .structs cimport (A,\n    B)\nimport numpy\n", [("structs", 1, ["A", "B"]), ("numpy", 0, [])]),
        ("from . import features as f  # x\n", [(None, 1, ["features"])]),
    ],
)
def test_pyx_import_lines(source, expected):
    assert list(_pyx_imports(source)) == expected
