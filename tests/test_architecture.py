"""docs/ARCHITECTURE.md names every module, and only modules that exist.

A module is a `.py`, `.pyx`, `.pxd` or `.hh` file under `neuralcoref/` or `training/`, or a script in
`bin/`; the document names it in the first column of a table of its "Modules" section. A `.pyi` stub is
covered by the row of its module. When this test fails after adding, moving or deleting a module, add,
move or delete its row.
"""

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent
DOC = ROOT / "docs" / "ARCHITECTURE.md"
MODULE_SUFFIXES = {".py", ".pyx", ".pxd", ".hh"}


def modules_in_tree() -> set:
    found = set()
    for package in ("neuralcoref", "training"):
        for path in (ROOT / package).rglob("*"):
            if path.suffix in MODULE_SUFFIXES and path.is_file() and "__pycache__" not in path.parts:
                found.add(path.relative_to(ROOT).as_posix())
    found |= {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "bin").iterdir()
        if p.is_file() and p.suffix != ".pyc" and not p.name.startswith(".")
    }
    return found


def table_cells(line: str) -> list:
    """The cells of a Markdown table row (`\\|` inside a cell is not a separator)."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]


def modules_in_doc() -> set:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("\n## Modules\n") :]
    end = section.find("\n## ", 5)
    section = section if end < 0 else section[:end]
    named = set()
    for line in section.splitlines():
        if line.startswith("|") and not set(line) <= set("|-: "):
            named |= {name for name in re.findall(r"`([^`]+)`", table_cells(line)[0]) if "/" in name}
    return named


def test_every_module_is_named_and_every_name_exists():
    in_tree, in_doc = modules_in_tree(), modules_in_doc()
    stubs = {m for m in in_tree if m.endswith(".pyi")}
    missing = sorted(m for m in in_tree - in_doc - stubs)
    gone = sorted(in_doc - in_tree)
    assert not missing, f"modules that docs/ARCHITECTURE.md does not name (add a row): {missing}"
    assert not gone, f"docs/ARCHITECTURE.md names modules that do not exist (remove or fix the row): {gone}"


def test_a_stub_needs_its_module_named():
    in_doc = modules_in_doc()
    for stub in (m for m in modules_in_tree() if m.endswith(".pyi")):
        stem = stub[: -len(".pyi")]
        assert any(name.rsplit(".", 1)[0] == stem for name in in_doc), stub
