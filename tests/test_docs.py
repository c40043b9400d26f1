"""The docs state what the code does: the README's settings table, the guide's config differences, links."""

import json
import re
from pathlib import Path

import pytest

from neuralcoref.config import DEFAULTS

ROOT = Path(__file__).parent.parent
README = ROOT / "README.md"
DOCS = [README, *sorted((ROOT / "docs").glob("*.md"))]


def section(path: Path, title: str) -> str:
    text = path.read_text(encoding="utf-8")
    start = text.index(f"\n{title}\n")
    level = title.split(" ", 1)[0]
    end = re.search(rf"\n#{{1,{len(level)}}} ", text[start + len(title) + 2 :])
    return text[start:] if end is None else text[start : start + len(title) + 2 + end.start()]


def table_rows(text: str) -> list:
    """The body rows of the Markdown tables in `text`, as lists of cells (`\\|` does not split)."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not set(line) <= set("|-: "):
            rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))])
    return [row for row in rows if not row[0].startswith(("setting", "value"))]


def code(cell: str) -> str:
    """`x` -> x (the first code span of a cell)."""
    found = re.search(r"`([^`]*)`", cell)
    return found.group(1) if found else cell


# --------------------------------------------------------------------------- the README's settings


def test_readme_is_a_users_document_of_at_most_300_lines():
    """Run history, ablations and seeds belong in docs/accuracy.md and docs/performance.md."""
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 300


def test_readme_settings_table_matches_config():
    """Every setting of neuralcoref/config.py is a row, with the default that CorefSettings states."""
    rows = {code(row[0]): code(row[1]) for row in table_rows(section(README, "## Settings"))}
    assert sorted(rows) == sorted(DEFAULTS), "README settings table and CorefSettings name different settings"
    for name, default in DEFAULTS.items():
        assert rows[name] == json.dumps(default), f"README states {name} = {rows[name]}, config.py {default!r}"


# --------------------------------------------------------------------------- adding a language


def flat(config: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in config.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def test_guide_lists_every_difference_of_the_shipped_configs():
    """docs/adding-a-language.md says what to change when copying a config: every value en.cfg and fr.cfg differ in."""
    pytest.importorskip("torch")
    from training.train import load_config

    en = flat(load_config(ROOT / "training" / "configs" / "en.cfg"))
    fr = flat(load_config(ROOT / "training" / "configs" / "fr.cfg"))
    differ = {k for k in set(en) | set(fr) if en.get(k, "absent") != fr.get(k, "absent")} - {
        "data.pipeline",
        "data.lang",
    }
    rows = {
        code(row[0]): row
        for row in table_rows(section(ROOT / "docs" / "adding-a-language.md", "### 5. Write the config and train"))
    }
    assert set(rows) == differ
    for key, row in rows.items():
        for config, cell in ((en, row[1]), (fr, row[2])):
            expected = json.dumps(config[key]) if key in config else None
            assert (code(cell) == expected) if expected else cell.startswith("absent"), (key, cell, expected)


# --------------------------------------------------------------------------- links


def github_anchors(path: Path) -> set:
    """The anchors GitHub gives the headings of a Markdown file."""
    anchors, seen = set(), {}
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    for heading in re.findall(r"^#{1,6} (.+)$", text, re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        anchors.add(slug if n == 0 else f"{slug}-{n}")
    return anchors


def relative_links(path: Path) -> list:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    return [t for t in re.findall(r"\]\(([^)\s]+)\)", text) if not re.match(r"[a-z]+:", t)]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_relative_links_resolve(doc):
    """Every relative link of README.md and docs/*.md names a file that exists, and a heading that it has."""
    broken = []
    for target in relative_links(doc):
        file, _, anchor = target.partition("#")
        dest = (doc.parent / file).resolve() if file else doc
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in github_anchors(dest):
            broken.append(f"{target}: no heading #{anchor} in {dest.name}")
    assert not broken, broken


def test_anchor_slugs_follow_github():
    assert {"copies-of-a-doc-spanas_doc", "same-answers-as-the-whole-document"} <= (
        github_anchors(ROOT / "docs" / "robustness.md") | github_anchors(ROOT / "docs" / "dialogue.md")
    )
