"""One statement of the component's settings (issue 17): `neuralcoref/config.py` holds every default,
no other module under neuralcoref/, training/ or bin/ states one, and the factory, its config and its
registered scorer are built from it."""

import ast
import dataclasses
import re
import typing
from pathlib import Path

import pytest
import spacy
from spacy.training import Example
from spacy.util import registry

from neuralcoref.component import SCORER, NeuralCoref, make_neuralcoref, score_coref_clusters
from neuralcoref.config import DEFAULTS, CorefSettings, defaults, describe

from conftest import load_english

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = {f.name for f in dataclasses.fields(CorefSettings)}
#: a parameter whose default is deliberately not the setting's default says why on its line
OWN_DEFAULT = "# own default:"
OPTION_CALLS = {"add_argument", "option", "Option", "argument", "Argument"}
TEXT = "My sister has a dog. She loves him. The dog is happy."


# -- the checker ----------------------------------------------------------------------------------


def _literal(node):
    """(True, value) for a literal a default could be written as (None and ... are not defaults)."""
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None
    return value is not None and value is not Ellipsis, value


def _flag_names(call: ast.Call) -> set:
    """The setting names an argparse/click/typer option call sets: its dest and its flags."""
    names = set()
    for arg in call.args:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            name = arg.value.lstrip("-").replace("-", "_")
            if arg.value.startswith("-") or isinstance(call.func, ast.Attribute) and call.func.attr == "add_argument":
                names.add(name.split("/")[0])
    for kw in call.keywords:
        if kw.arg == "dest" and isinstance(kw.value, ast.Constant):
            names.add(kw.value.value)
    return names


def _option_default(call: ast.Call):
    """The node an option call gives as its default: default=..., or typer's first positional value."""
    for kw in call.keywords:
        if kw.arg == "default":
            return kw.value
    name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
    if name in ("Option", "Argument") and call.args:
        first = call.args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.startswith("-")):
            return first
    return None


def _call_name(node) -> str:
    if not isinstance(node, ast.Call):
        return ""
    return node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")


def own_defaults(source: str, filename: str = "<source>") -> list:
    """Every place in `source` that states a default of its own for a setting, as "file:line: what".

    Stated: a parameter named like a setting with a literal default; an argparse/click/typer option
    for a setting (by flag, dest or parameter name) with a literal default, or a store_true/store_false
    flag without one; a dict literal that restates a default ({"greedyness": 0.5}); a class attribute
    (a dataclass field) named like a setting with a literal value; a module constant named like a
    setting or DEFAULT_<SETTING>. Not stated: None (not given: the component's default applies),
    `...` (typer: required), any expression (DEFAULTS["max_dist"]).
    """
    tree = ast.parse(source, filename)
    lines = source.splitlines()
    found = []
    checked_calls = set()  # option calls already checked as a parameter's default

    def report(node, what):
        line = lines[node.lineno - 1] if node.lineno <= len(lines) else ""
        if OWN_DEFAULT not in line:
            found.append(f"{filename}:{node.lineno}: {what}")

    def check_option(call, extra_names=()):
        checked_calls.add(id(call))
        names = (_flag_names(call) | set(extra_names)) & SETTINGS
        if not names:
            return
        default = _option_default(call)
        if default is not None:
            is_literal, value = _literal(default)
            if is_literal:
                report(call, f"option {sorted(names)} default={value!r}")
        elif any(
            kw.arg == "action"
            and isinstance(kw.value, ast.Constant)
            and kw.value.value in ("store_true", "store_false")
            for kw in call.keywords
        ) and not any(kw.arg == "dest" for kw in call.keywords):
            report(call, f"option {sorted(names)} store_true/store_false: its default is the other boolean")

    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            args = node.args
            positional = args.posonlyargs + args.args
            pairs = list(zip(positional[len(positional) - len(args.defaults) :], args.defaults))
            pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
            for arg, default in pairs:
                if _call_name(default) in OPTION_CALLS:
                    check_option(default, [arg.arg])
                elif arg.arg in SETTINGS:
                    is_literal, value = _literal(default)
                    if is_literal:
                        report(default, f"parameter {arg.arg}={value!r}")
        elif isinstance(node, ast.Call) and _call_name(node) in OPTION_CALLS and id(node) not in checked_calls:
            check_option(node)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                if isinstance(key, ast.Constant) and key.value in SETTINGS:
                    is_literal, literal = _literal(value)
                    if is_literal and literal == DEFAULTS[key.value]:
                        report(value, f"{{{key.value!r}: {literal!r}}}, the default restated")
        elif isinstance(node, ast.ClassDef):
            for statement in node.body:
                if not isinstance(statement, (ast.Assign, ast.AnnAssign)):
                    continue
                target = statement.target if isinstance(statement, ast.AnnAssign) else statement.targets[0]
                if isinstance(target, ast.Name) and target.id in SETTINGS and statement.value is not None:
                    is_literal, value = _literal(statement.value)
                    if is_literal:
                        report(statement, f"class attribute {target.id} = {value!r}")
        elif isinstance(node, ast.Module):
            for statement in node.body:
                if (
                    isinstance(statement, ast.Assign)
                    and len(statement.targets) == 1
                    and isinstance(statement.targets[0], ast.Name)
                ):
                    name = statement.targets[0].id.lower()
                    setting = name[len("default_") :] if name.startswith("default_") else name
                    if setting in SETTINGS and _literal(statement.value)[0]:
                        report(statement, f"constant {statement.targets[0].id}")
    return found


_CYTHON_DEF = re.compile(r"\b(?:c?p?def)\s+[^(\n]*\((.*?)\)[^:\n]*:", re.S)
_CYTHON_LITERAL = r"(?:-?[\d.]+|True|False|'[^']*'|\"[^\"]*\")"


def cython_own_defaults(source: str, filename: str) -> list:
    """Parameters of def/cpdef/cdef functions in a .pyx/.pxd named like a setting with a literal default."""
    found = []
    for match in _CYTHON_DEF.finditer(source):
        for name in SETTINGS:
            if re.search(rf"\b{name}\s*=\s*{_CYTHON_LITERAL}", match.group(1)):
                found.append(f"{filename}:{source.count(chr(10), 0, match.start()) + 1}: parameter {name}")
    return found


def checked_files():
    """The Python and Cython files of the package, the trainer and the scripts (config.py excepted)."""
    for folder in ("neuralcoref", "training"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in (".py", ".pyx", ".pxd") and path != ROOT / "neuralcoref" / "config.py":
                yield path
    for path in sorted((ROOT / "bin").iterdir()):
        if path.is_file() and (
            path.suffix == ".py"
            or path.read_bytes()[:64].split(b"\n")[0].startswith(b"#!")
            and b"python" in path.read_bytes()[:64].split(b"\n")[0]
        ):
            yield path


# -- the checker catches what it is for, and lets the config's own names pass ----------------------


@pytest.mark.parametrize(
    "source",
    [
        "def f(max_dist=50): pass",
        "def f(*, greedyness: float = 0.5): pass",
        "class Resolver:\n    def __init__(self, model, blacklist=False): pass",
        "p.add_argument('--max-dist', type=int, default=50)",
        "p.add_argument('--blacklist', action='store_true')",
        "parser.add_argument('--gr', dest='greedyness', default=0.5)",
        "def main(max_dist: int = typer.Option(50, '--max-dist', help='x')): pass",
        "def main(dist: int = typer.Option(50, '--max-dist')): pass",
        "def main(max_dist: Annotated[int, typer.Option(help='x')] = 50): pass",
        "def main(prefix: str = typer.Option('coref_clusters', '--span-cluster-prefix')): pass",
        "@click.option('--greedyness', default=0.5)\ndef main(greedyness): pass",
        "config = {'model': path, 'greedyness': 0.5}",
        "@dataclass\nclass Spec:\n    max_dist_match: int = 500",
        "DEFAULT_GREEDYNESS = 0.5",
        "f = lambda store_scores=True: store_scores",
        "class Settings:\n    for_loop = 1\n    blacklist: bool = False",
    ],
)
def test_checker_finds_a_stated_default(source):
    assert len(own_defaults(source)) == 1, own_defaults(source)


@pytest.mark.parametrize(
    "source",
    [
        "def f(max_dist=DEFAULTS['max_dist']): pass",
        "def f(*, greedyness: float): pass",
        "def f(conv_dict=None, require_agreement=None): pass",
        "p.add_argument('--max-dist', type=int, default=DEFAULTS['max_dist'])",
        "p.add_argument('--blacklist', action=argparse.BooleanOptionalAction, default=None)",
        "p.add_argument('--no-blacklist', dest='blacklist', action='store_false')",
        "p.add_argument('--no-store-scores', action='store_true')",
        "def main(max_dist: int = typer.Option(DEFAULTS['max_dist'], '--max-dist', help='x')): pass",
        "def main(max_dist: Annotated[int, typer.Option('--max-dist')] = DEFAULTS['max_dist']): pass",
        "def main(model: str = typer.Option(..., '--model')): pass",
        "config = {'model': path, 'greedyness': 0.7}",
        "NeuralCoref(nlp, greedyness=0.5)",
        "def predict(doc, store_scores=False): pass  # own default: scores only when asked",
        "def f(max_dist_words=50): pass",
        "class A:\n    for blacklist in range(2):\n        pass",
    ],
)
def test_checker_lets_the_configs_defaults_pass(source):
    assert own_defaults(source) == []


def test_cython_checker():
    stated = "cdef class A:\n    cpdef int f(self, int max_dist=50,\n                bint blacklist=False) except -1:\n        pass"
    assert sorted(cython_own_defaults(stated, "x.pyx")) == [
        "x.pyx:2: parameter blacklist",
        "x.pyx:2: parameter max_dist",
    ]
    assert cython_own_defaults("def f(int max_dist, bint blacklist, int n=50):\n    pass", "x.pyx") == []


# -- the code -------------------------------------------------------------------------------------


def test_no_module_states_a_default_of_its_own():
    files = list(checked_files())
    names = {path.relative_to(ROOT).as_posix() for path in files}
    assert {"neuralcoref/component.py", "neuralcoref/resolver.py", "training/train.py", "bin/compare-runtime"} <= names
    found = []
    for path in files:
        source = path.read_text(encoding="utf-8")
        where = path.relative_to(ROOT).as_posix()
        if path.suffix in (".pyx", ".pxd"):
            found += cython_own_defaults(source, where)
        else:
            found += own_defaults(source, where)
    assert not found, "settings' defaults belong in neuralcoref/config.py (use DEFAULTS[name]):\n" + "\n".join(found)


def test_factory_default_config_is_the_settings():
    meta = spacy.Language.get_factory_meta("neuralcoref")
    assert {k: v for k, v in meta.default_config.items() if k != "scorer"} == defaults()
    assert meta.default_config["scorer"] == {"@scorers": SCORER}
    assert dict(DEFAULTS) == defaults() and set(describe()) == SETTINGS


def test_factory_signature_lists_every_setting_with_its_type():
    """spaCy checks a config's types against the factory's signature: it must name every setting."""
    hints = typing.get_type_hints(make_neuralcoref)
    settings = typing.get_type_hints(CorefSettings)
    assert {k: hints[k] for k in hints if k not in ("nlp", "name", "scorer", "return")} == settings


def test_defaults_are_not_shared():
    DEFAULTS["conv_dict"]["word"] = ["other"]
    assert DEFAULTS["conv_dict"] == {} and defaults()["conv_dict"] == {}
    settings = CorefSettings()
    settings.to_dict()["conv_dict"]["word"] = ["other"]
    assert settings.conv_dict == {}
    with pytest.raises(TypeError):
        DEFAULTS["max_dist"] = 1


def test_settings_are_checked():
    with pytest.raises(ValueError, match="greedyness"):
        CorefSettings(greedyness=1.5)
    with pytest.raises(ValueError, match="max_dist"):
        CorefSettings().replace(max_dist=600)
    assert CorefSettings(conv_dict=None).conv_dict == {}


def test_component_settings_come_from_config(random_model_path):
    nlp = load_english()
    component = NeuralCoref(nlp, model=str(random_model_path), greedyness=0.7)
    assert component.cfg == {**defaults(), "model": str(random_model_path), "greedyness": 0.7}
    with pytest.raises(TypeError, match="max_distance"):
        NeuralCoref(nlp, model=str(random_model_path), max_distance=3)


def test_training_config_takes_the_components_defaults():
    """The trainer featurizes and selects models with the component's candidate settings and dev
    linking unless its config or --set says otherwise."""
    pytest.importorskip("torch")
    from training.train import DEFAULT_CONFIG, load_config

    for path in (DEFAULT_CONFIG, DEFAULT_CONFIG.with_name("fr.cfg")):
        cfg = load_config(path)
        assert {k: cfg["data"][k] for k in ("max_dist", "max_dist_match")} == {
            k: DEFAULTS[k] for k in ("max_dist", "max_dist_match")
        }
        assert {k: cfg["training"][k] for k in ("greedyness", "require_agreement")} == {
            k: DEFAULTS[k] for k in ("greedyness", "require_agreement")
        }
    cfg = load_config(overrides={"data.max_dist": 7, "training.greedyness": 0.6})
    assert cfg["data"]["max_dist"] == 7 and cfg["training"]["greedyness"] == 0.6


# -- the registered scorer ------------------------------------------------------------------------


@registry.scorers("neuralcoref_test.counting_scorer.v1")
def make_counting_scorer():
    def score(examples, **kwargs):
        examples = list(examples)
        return {"n_examples": float(len(examples)), **score_coref_clusters(examples, **kwargs)}

    return score


def _examples(nlp):
    predicted = nlp(TEXT)
    reference = predicted.copy()
    reference.spans.clear()
    reference.spans["coref_clusters_1"] = [reference[0:2], reference[6:7]]
    return [Example(predicted, reference)]


def test_registered_scorer_is_the_default():
    assert registry.scorers.get(SCORER)() is score_coref_clusters


def test_scorer_through_a_config_file(make_nlp, tmp_path):
    """The scorer is part of the pipeline's config: it survives nlp.config, config.cfg and spacy.load,
    a config file may name it inline (`scorer = {"@scorers": ...}` under [components.neuralcoref]), and
    `nlp.evaluate` scores with the scorer the config names."""
    nlp = make_nlp(greedyness=0.8)
    assert nlp.config["components"]["neuralcoref"]["scorer"] == {"@scorers": SCORER}
    nlp.to_disk(tmp_path)
    config_file = tmp_path / "config.cfg"
    assert spacy.util.load_config(config_file)["components"]["neuralcoref"]["scorer"] == {"@scorers": SCORER}
    reloaded = spacy.load(tmp_path)
    scores = reloaded.evaluate(_examples(reloaded))
    assert 0.0 <= scores["coref_f"] < 1.0 and "coref_muc_f" in scores and "n_examples" not in scores

    text, n = re.subn(r"\[components\.neuralcoref\.scorer\]\n@scorers = \S+\n", "", config_file.read_text())
    assert n == 1
    text = text.replace(
        "[components.neuralcoref]\n",
        '[components.neuralcoref]\nscorer = {"@scorers": "neuralcoref_test.counting_scorer.v1"}\n',
    )
    config_file.write_text(text)
    config = spacy.util.load_config(config_file)
    assert config["components"]["neuralcoref"]["scorer"] == {"@scorers": "neuralcoref_test.counting_scorer.v1"}
    custom = spacy.load(tmp_path)
    assert custom.config["components"]["neuralcoref"]["greedyness"] == 0.8
    scores = custom.evaluate(_examples(custom))
    assert scores["n_examples"] == 1.0
    assert scores["coref_f"] == pytest.approx(reloaded.evaluate(_examples(reloaded))["coref_f"])


def test_scorer_none_gives_no_scores(make_nlp):
    nlp = make_nlp(scorer=None)
    assert nlp.get_pipe("neuralcoref").score(_examples(nlp)) == {}
