"""What a plain install holds and what the extras add: dask optional, scorch required, no top-level `training`."""

import ast
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).parent.parent
DASK_MODULES = ("dask", "dask.bag", "distributed")
INSTALL_HINT = 'pip install "neuralcoref[dask]"'


def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def names(requirements):
    return {Requirement(r).name.lower() for r in requirements}


@pytest.fixture
def no_dask(monkeypatch):
    """Make `import dask` fail as it does where the dask extra is not installed."""
    for name in DASK_MODULES:
        monkeypatch.setitem(sys.modules, name, None)


def test_dask_is_an_extra_and_the_test_extra_installs_it():
    project = pyproject()["project"]
    extras = project["optional-dependencies"]
    assert "dask" not in names(project["dependencies"])
    assert extras["dask"] == ["dask[distributed]>=2024.1"]
    assert set(extras["dask"]) <= set(extras["test"])


def test_scorch_is_a_base_dependency():
    """nlp.evaluate scores through neuralcoref.metrics, which imports scorch: a plain install needs it."""
    assert "scorch" in names(pyproject()["project"]["dependencies"])
    metrics_imports = {
        node.names[0].name if isinstance(node, ast.Import) else node.module
        for node in ast.walk(ast.parse((ROOT / "neuralcoref" / "metrics.py").read_text()))
        if isinstance(node, (ast.Import, ast.ImportFrom))
    }
    assert "scorch" in metrics_imports


def test_lint_and_type_checkers_are_pinned_in_the_test_extra():
    test = pyproject()["project"]["optional-dependencies"]["test"]
    assert {r for r in test if r.startswith(("ruff", "mypy"))} == {"ruff==0.17.6", "mypy==2.4.1"}


def test_resolve_bag_without_dask_names_the_extra(no_dask):
    from neuralcoref.batch import UsageError
    from neuralcoref.distributed import resolve_bag

    with pytest.raises(UsageError, match=r"neuralcoref\[dask\]"):
        resolve_bag(None)


def test_batch_dask_without_dask_names_the_extra(no_dask, tmp_path, capsys):
    from neuralcoref.batch import EXIT_USAGE
    from neuralcoref.cli import main

    source = tmp_path / "in.txt"
    source.write_text("Anna came home. She was tired.\n", encoding="utf-8")
    code = main(["batch", str(source), "-o", str(tmp_path / "out.jsonl"), "--dask", "local", "--no-progress"])
    assert code == EXIT_USAGE
    assert INSTALL_HINT in capsys.readouterr().err


def test_trainer_installs_under_the_package_not_as_top_level_training(monkeypatch):
    """setup.py maps the repo's training/ to neuralcoref.training (a top-level `training` would collide)."""
    setuptools = pytest.importorskip("setuptools")
    tree = ast.parse((ROOT / "setup.py").read_text())
    (packages_def,) = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "packages"]
    namespace = {"find_packages": setuptools.find_packages}
    exec(compile(ast.Module(body=[packages_def], type_ignores=[]), "setup.py", "exec"), namespace)
    monkeypatch.chdir(ROOT)
    packages = namespace["packages"]()
    assert {"neuralcoref", "neuralcoref.lang", "neuralcoref.training", "neuralcoref.training.readers"} <= set(packages)
    assert not any(p == "training" or p.startswith("training.") for p in packages)
    assert 'package_dir={"neuralcoref.training": "training"}' in (ROOT / "setup.py").read_text()


def test_trainer_imports_are_relative():
    """`python -m training` (a checkout) and `python -m neuralcoref.training` (an install) both import it."""
    absolute = []
    for path in (ROOT / "training").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("training"):
                absolute.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "training" for a in node.names):
                absolute.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert absolute == []


def test_package_is_typed():
    package = ROOT / "neuralcoref"
    assert (package / "py.typed").exists()
    for stem in ("mentions", "features", "resolution"):
        assert (package / f"{stem}.pyi").exists(), stem
    assert "py.typed" in pyproject()["tool"]["setuptools"]["package-data"]["*"]
