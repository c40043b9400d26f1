"""Build and install invariants: matching pins, the spaCy guard, clean import, shipped files."""

import fnmatch
import re
import subprocess
import sys
from pathlib import Path

import pytest

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = pytest.importorskip("tomli")

from neuralcoref._compat import check_spacy_version, check_token_layout
from neuralcoref.about import SPACY_SUPPORTED

ROOT = Path(__file__).parent.parent
PINNED = ("spacy", "cymem", "preshed", "numpy")


def requirement_map(requirements):
    out = {}
    for requirement in requirements:
        name = requirement.split(";")[0]
        for sep in (">=", "==", "<", ">", "~=", "["):
            name = name.split(sep)[0]
        out[name.strip().lower()] = requirement.strip()
    return out


def test_build_and_install_pins_match():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    build = requirement_map(pyproject["build-system"]["requires"])
    install = requirement_map(pyproject["project"]["dependencies"])
    for name in PINNED:
        assert build[name] == install[name], name
    assert build["cython"] == "cython>=3.0,<4.0"
    spacy_range = build["spacy"].replace("spacy", "")
    assert set(spacy_range.split(",")) == set(SPACY_SUPPORTED.split(","))


def test_torch_is_pinned_in_the_train_extra():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    torch = [r for r in pyproject["project"]["optional-dependencies"]["train"] if r.startswith("torch")]
    assert torch == ["torch==2.13.0"]
    assert not any(r.startswith("torch") for r in pyproject["project"]["dependencies"])


def test_import_with_warnings_as_errors():
    result = subprocess.run([sys.executable, "-W", "error", "-c", "import neuralcoref"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_import_does_not_load_torch_or_read_models():
    code = (
        "import sys, builtins; opened = []; real = builtins.open\n"
        "builtins.open = lambda f, *a, **k: (opened.append(str(f)), real(f, *a, **k))[1]\n"
        "import neuralcoref\n"
        "assert not any(p.endswith('.msgpack') for p in opened), opened\n"
        "assert 'neuralcoref.resolver' in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("version", ["3.7.5", "3.9.0", "4.0.0"])
def test_refuses_unsupported_spacy(version):
    with pytest.raises(ImportError, match=rf"E001.*{SPACY_SUPPORTED}.*{version}"):
        check_spacy_version(version)


def test_token_layout_matches():
    check_token_layout()


def test_sources_ship_and_generated_cpp_is_not_committed():
    package = ROOT / "neuralcoref"
    for stem in ("mentions", "features", "resolution"):
        assert (package / f"{stem}.pyx").exists() and (package / f"{stem}.pxd").exists()
    tracked = subprocess.run(["git", "ls-files", "*.cpp"], cwd=ROOT, capture_output=True, text=True).stdout
    assert tracked.strip() == ""


def test_c_headers_ship_with_the_sources():
    """Every header a .pyx includes (`cdef extern from "x.hh"`) sits next to it and is in the sdist
    (MANIFEST.in) and the wheel (package-data), so a build from the sdist compiles."""
    package = ROOT / "neuralcoref"
    headers = {
        name
        for pyx in package.glob("*.pyx")
        for name in re.findall(r'^cdef extern from "([^"]+)"', pyx.read_text(), re.MULTILINE)
    }
    assert "pair_kernel.hh" in headers
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    data_patterns = pyproject["tool"]["setuptools"]["package-data"]["*"]
    manifest = (ROOT / "MANIFEST.in").read_text().split()
    for name in headers:
        assert (package / name).is_file(), name
        assert any(fnmatch.fnmatch(name, pattern) for pattern in data_patterns), name
        assert any(fnmatch.fnmatch(name, pattern) for pattern in manifest), name


def test_factory_entry_point():
    from importlib.metadata import entry_points

    names = [ep.name for ep in entry_points(group="spacy_factories")]
    assert "neuralcoref" in names


def test_serve_extra_is_in_the_test_extra_and_not_required():
    """CI installs only .[test]: it must bring what `neuralcoref serve` and its tests need."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    extras = pyproject["project"]["optional-dependencies"]
    serve = requirement_map(extras["serve"])
    test = requirement_map(extras["test"])
    assert set(serve) == {"starlette", "uvicorn"} and set(serve) <= set(test)
    assert {"httpx2", "playwright"} <= set(test)
    assert not set(serve) & set(requirement_map(pyproject["project"]["dependencies"]))
