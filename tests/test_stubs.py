"""The .pyi stubs of the Cython modules name what the compiled modules define, with the same parameters.

The stubs are hand-written (Cython does not generate them): this test fails when a .pyx gains,
loses or renames a public name or a parameter and its stub was not updated.
"""

import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "neuralcoref"
MODULES = ("mentions", "features", "resolution")


def stub_tree(stem):
    return ast.parse((PACKAGE / f"{stem}.pyi").read_text(encoding="utf-8"))


def stub_names(tree):
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def module_names(module):
    """Public names the .pyx defines (not the modules and names it imports)."""
    out = set()
    for name, value in vars(module).items():
        if name.startswith("_") or inspect.ismodule(value):
            continue
        if callable(value) and getattr(value, "__module__", module.__name__) != module.__name__:
            continue
        out.add(name)
    return out


def embedded_parameters(function):
    """Parameter names from the signature Cython embeds in the docstring (embedsignature=True)."""
    signature = " ".join((function.__doc__ or "").split("\n\n")[0].split())  # it may wrap over lines
    match = re.match(r"[\w.]+\((.*)\)", signature)
    assert match, f"no embedded signature in {function!r}: {signature!r}"
    params = []
    for part in re.sub(r"\[[^]]*\]", "", match.group(1)).split(","):  # memoryview shapes hold commas
        part = part.split("=")[0].strip()
        if part and part != "self":
            params.append(part.split()[-1])  # "const int32_t[::1] best" -> "best"
    return params


def stub_parameters(node):
    return [a.arg for a in node.args.args if a.arg != "self"]


@pytest.mark.parametrize("stem", MODULES)
def test_stub_names_match_the_module(stem):
    module = importlib.import_module(f"neuralcoref.{stem}")
    assert stub_names(stub_tree(stem)) == module_names(module)


@pytest.mark.parametrize("stem", MODULES)
def test_stub_parameters_match_the_module(stem):
    module = importlib.import_module(f"neuralcoref.{stem}")
    for node in stub_tree(stem).body:
        if isinstance(node, ast.FunctionDef):
            assert stub_parameters(node) == embedded_parameters(getattr(module, node.name)), node.name
        elif isinstance(node, ast.ClassDef):
            cls = getattr(module, node.name)
            for item in node.body:
                if not isinstance(item, ast.FunctionDef) or item.name == "__len__":
                    continue
                if any(isinstance(d, ast.Name) and d.id == "property" for d in item.decorator_list):
                    assert hasattr(cls, item.name), f"{node.name}.{item.name}"
                    continue
                documented = cls if item.name == "__init__" else getattr(cls, item.name)  # __init__'s is the class's
                assert stub_parameters(item) == embedded_parameters(documented), f"{node.name}.{item.name}"
