"""Model files (issue 7): damaged, foreign or hostile files give a clear error naming the problem,
and no model format can run code when it is loaded.

A model file is one msgpack map of plain data (neuralcoref/model_io.py): loading decodes msgpack and
copies bytes into float arrays, nothing else. These tests hand the loader truncated files, other
format versions, other feature layouts, other languages, pickles and numpy object arrays.
"""

import copy
import io
import os
import pickle
from pathlib import Path

import msgpack
import numpy
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from neuralcoref.about import MODEL_FORMAT_VERSION
from neuralcoref.features import FEATURE_LAYOUT_VERSION
from neuralcoref.model_io import MODEL_FILENAME, CorefModel, shipped_model_path
from neuralcoref.testing import random_model

from conftest import load_english

ROOT = Path(__file__).resolve().parent.parent
MARKER_ENV = "NEURALCOREF_TEST_PWNED"


@pytest.fixture(scope="module")
def model_bytes():
    return random_model().to_bytes()


@pytest.fixture(scope="module")
def message(model_bytes):
    return msgpack.unpackb(model_bytes, raw=False)


def write(tmp_path, data: bytes) -> Path:
    path = tmp_path / MODEL_FILENAME
    path.write_bytes(data)
    return path


def load_error(path, lang="en") -> str:
    with pytest.raises(ValueError) as err:
        CorefModel.from_disk(path, lang=lang)
    return str(err.value)


def repack(message, **changes) -> bytes:
    msg = copy.deepcopy(message)
    for key, value in changes.items():
        if key.startswith("meta_"):
            msg["meta"][key[5:]] = value
        else:
            msg[key] = value
    return msgpack.packb(msg, use_bin_type=True)


# -- the four cases of the issue ------------------------------------------------------------------


@pytest.mark.parametrize("fraction", [0.0, 0.0001, 0.01, 0.3, 0.5, 0.9, 0.9999])
def test_truncated_file(tmp_path, model_bytes, fraction):
    path = write(tmp_path, model_bytes[: int(len(model_bytes) * fraction)])
    message = load_error(path)
    assert message.startswith("[E030]") and str(path) in message and "not a valid model file" in message


def test_truncated_file_every_prefix_length(model_bytes):
    """Every cut of the first kilobyte and a stride through the rest: always E030, never another error."""
    for cut in list(range(0, 1024)) + list(range(1024, len(model_bytes), 997)):
        with pytest.raises(ValueError, match=r"^\[E030\]"):
            CorefModel.from_bytes(model_bytes[:cut])


@pytest.mark.parametrize(
    "version,hint",
    [
        (MODEL_FORMAT_VERSION + 1, "Upgrade neuralcoref"),
        (MODEL_FORMAT_VERSION - 1, "Retrain or re-export"),
        (None, "Retrain or re-export"),
    ],
)
def test_other_format_version(tmp_path, message, version, hint):
    path = write(tmp_path, repack(message, format_version=version))
    error = load_error(path)
    assert error.startswith("[E031]") and f"format version {version}" in error and hint in error
    assert f"reads version {MODEL_FORMAT_VERSION}" in error


def test_other_feature_layout_version(tmp_path, message):
    path = write(tmp_path, repack(message, meta_layout_version=FEATURE_LAYOUT_VERSION + 1))
    error = load_error(path)
    assert error.startswith("[E032]") and f"feature layout {FEATURE_LAYOUT_VERSION + 1}" in error
    assert "retrain" in error


@pytest.mark.parametrize("weight,axis", [("pair.feat.W", 1), ("enc.W", 1), ("embed", 0)])
def test_wrong_feature_widths(tmp_path, message, weight, axis):
    """Same layout version, but the weights were made for another number of feature columns: the error
    names the weight and both shapes."""
    msg = copy.deepcopy(message)
    spec = msg["weights"][weight]
    shape = list(spec["shape"])
    shape[axis] += 1
    spec["data"] = numpy.zeros(shape, dtype="<f4").tobytes()
    spec["shape"] = shape
    path = write(tmp_path, msgpack.packb(msg, use_bin_type=True))
    error = load_error(path)
    assert error.startswith("[E034]") and f"'{weight}'" in error and str(tuple(shape)) in error


def test_missing_weight(tmp_path, message):
    msg = copy.deepcopy(message)
    del msg["weights"]["pair.out.W"]
    error = load_error(write(tmp_path, msgpack.packb(msg, use_bin_type=True)))
    assert error.startswith("[E034]") and "'pair.out.W'" in error


def test_model_of_another_language(tmp_path):
    path = tmp_path / "fr-model"
    random_model(lang="fr").to_disk(path)
    error = load_error(path, lang="en")
    assert error.startswith("[E033]") and "'fr'" in error and "'en'" in error


def test_component_reports_load_errors(tmp_path, message):
    """The same errors through the spaCy component (the model is loaded at the first Doc)."""
    nlp = load_english()
    truncated = tmp_path / "truncated"
    truncated.mkdir()
    write(truncated, random_model().to_bytes()[:5000])
    french = tmp_path / "french"
    random_model(lang="fr").to_disk(french)
    future = tmp_path / "future"
    future.mkdir()
    write(future, repack(message, format_version=MODEL_FORMAT_VERSION + 1))
    for name, path, code in (("a", truncated, "E030"), ("b", french, "E033"), ("c", future, "E031")):
        nlp.add_pipe("neuralcoref", name=f"coref_{name}", config={"model": str(path)})
        with pytest.raises(ValueError, match=rf"^\[{code}\]") as err:
            nlp("My sister has a dog.")
        assert str(path) in str(err.value)
        nlp.remove_pipe(f"coref_{name}")


def test_missing_file(tmp_path):
    error = load_error(tmp_path / "nothing-here")
    assert error.startswith("[E030]") and "nothing-here" in error


def test_not_a_model(tmp_path):
    for data in (
        b"",
        b"\x00" * 100,
        b"{}",
        msgpack.packb({"format": "other"}),
        msgpack.packb([1, 2, 3]),
        b"PK\x03\x04 a zip file",
        numpy.zeros(3).tobytes(),
    ):
        error = load_error(write(tmp_path, data))
        assert error.startswith("[E030]")


# -- no code runs when loading ----------------------------------------------------------------------


class _Payload:
    """Unpickling this sets an environment variable: the proof that code ran."""

    def __reduce__(self):
        return (exec, (f"import os; os.environ[{MARKER_ENV!r}] = '1'",))


def _pickle_payloads():
    yield "pickle", pickle.dumps({"format": "neuralcoref-model", "payload": _Payload()})
    buffer = io.BytesIO()
    numpy.save(buffer, numpy.array([_Payload()], dtype=object), allow_pickle=True)
    yield "npy-object", buffer.getvalue()
    # a valid model whose weight is a pickled object array instead of raw float bytes
    msg = msgpack.unpackb(random_model().to_bytes(), raw=False)
    msg["weights"]["embed"] = {"dtype": "|O", "shape": [1], "data": pickle.dumps(_Payload())}
    yield "object-dtype-weight", msgpack.packb(msg, use_bin_type=True)
    msg["weights"]["embed"] = {"dtype": "<f4", "shape": [1], "data": pickle.dumps(_Payload())}
    yield "pickle-bytes-as-weight", msgpack.packb(msg, use_bin_type=True)
    # msgpack extension types (what numpy-aware msgpack decoders turn into objects)
    yield (
        "msgpack-ext",
        msgpack.packb({"format": "neuralcoref-model", "meta": msgpack.ExtType(42, pickle.dumps(_Payload()))}),
    )
    yield (
        "msgpack-numpy-object",
        msgpack.packb({b"nd": True, b"type": "|O", b"kind": b"O", b"shape": [1], b"data": pickle.dumps(_Payload())}),
    )


@pytest.mark.parametrize("name,data", list(_pickle_payloads()), ids=[n for n, _ in _pickle_payloads()])
def test_no_code_runs_when_loading(tmp_path, name, data):
    os.environ.pop(MARKER_ENV, None)
    path = write(tmp_path, data)
    with pytest.raises(ValueError, match=r"^\[E03\d\]"):
        CorefModel.from_disk(path)
    with pytest.raises(ValueError, match=r"^\[E03\d\]"):
        CorefModel.from_bytes(data)
    assert MARKER_ENV not in os.environ, "loading a model file ran code"


def test_no_code_runs_when_loading_component_bytes():
    """NeuralCoref.from_bytes (nlp.from_bytes, pickling pipelines across processes) reads msgpack too."""
    from neuralcoref.component import NeuralCoref

    component = NeuralCoref.__new__(NeuralCoref)
    component.name, component.lang, component.cfg, component._resolver = "neuralcoref", "en", {}, None
    os.environ.pop(MARKER_ENV, None)
    for data in (
        pickle.dumps({"cfg": {}, "model": _Payload()}),
        msgpack.packb({"cfg": {}, "model": pickle.dumps(_Payload())}, use_bin_type=True),
    ):
        with pytest.raises(ValueError):
            component.from_bytes(data)
    assert MARKER_ENV not in os.environ


def test_loader_uses_no_code_loading_formats():
    """A static guard: the model loader never reaches for pickle, eval or numpy's object loading."""
    source = (ROOT / "neuralcoref" / "model_io.py").read_text()
    for forbidden in (
        "import pickle",
        "pickle.load",
        "allow_pickle=True",
        "eval(",
        "exec(",
        "yaml.load",
        "numpy.load(",
        "torch.load",
        "marshal",
        "importlib",
    ):
        assert forbidden not in source, forbidden
    assert "msgpack.unpackb" in source and "numpy.frombuffer" in source


# -- damaged files: a ValueError with a code, or a model that loads and runs -----------------------


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_corrupted_bytes(model_bytes, data):
    """Random byte flips, insertions and deletions in a model file: a coded ValueError, or a model that
    passes every shape check."""
    raw = bytearray(model_bytes)
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(raw) - 1))
        action = data.draw(st.sampled_from(["flip", "insert", "delete", "cut"]))
        if action == "flip":
            raw[position] ^= 1 << data.draw(st.integers(0, 7))
        elif action == "insert":
            raw[position:position] = bytes([data.draw(st.integers(0, 255))])
        elif action == "delete":
            del raw[position]
        else:
            del raw[position:]
        if not raw:
            break
    try:
        model = CorefModel.from_bytes(bytes(raw))
    except ValueError as err:
        assert str(err).startswith("[E03"), err
    else:
        model.check_shapes("<bytes>")


STRUCTURAL = {
    # name: (change to the msgpack message, expected code); every one must give a coded ValueError
    "meta-not-a-map": (lambda m: m.__setitem__("meta", [1, 2]), "E030"),
    "weights-not-a-map": (lambda m: m.__setitem__("weights", [1, 2]), "E030"),
    "weight-spec-not-a-map": (lambda m: m["weights"].__setitem__("embed", [1]), "E030"),
    "object-dtype": (lambda m: m["weights"]["embed"].__setitem__("dtype", "|O"), "E030"),
    "huge-shape": (lambda m: m["weights"]["embed"].__setitem__("shape", [2**40, 2**40]), "E030"),
    "words-not-strings": (lambda m: m.__setitem__("words", [1, 2]), "E030"),
    "meta-lacks-lang": (lambda m: m["meta"].pop("lang"), "E030"),
    "tensor-width-not-int": (lambda m: m["meta"].__setitem__("tensor_width", "96"), "E030"),
    "pair-hidden-empty": (lambda m: m["meta"].__setitem__("pair_hidden", []), "E030"),
    "pair-hidden-not-list": (lambda m: m["meta"].__setitem__("pair_hidden", 16), "E030"),
    "format-version-not-int": (lambda m: m.__setitem__("format_version", "1"), "E031"),
    "negative-embed-dim": (lambda m: m["meta"].__setitem__("embed_dim", -16), "E034"),
    "similarity-width-not-int": (lambda m: m["meta"].__setitem__("similarity_width", "8"), "E030"),
    "similarity-width-negative": (lambda m: m["meta"].__setitem__("similarity_width", -8), "E030"),
    "similarity-weights-missing": (lambda m: m["meta"].__setitem__("similarity_width", 8), "E034"),
    "bilinear-width-not-int": (lambda m: m["meta"].__setitem__("bilinear_width", 8.0), "E030"),
    "bilinear-width-negative": (lambda m: m["meta"].__setitem__("bilinear_width", -8), "E030"),
    "bilinear-weights-missing": (lambda m: m["meta"].__setitem__("bilinear_width", 8), "E034"),
}


@pytest.mark.parametrize("name", sorted(STRUCTURAL))
def test_structurally_wrong_files(message, name):
    change, code = STRUCTURAL[name]
    msg = copy.deepcopy(message)
    change(msg)
    with pytest.raises(ValueError) as err:
        CorefModel.from_bytes(msgpack.packb(msg, use_bin_type=True))
    assert str(err.value).startswith(f"[{code}]"), err.value


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_loaded_model_writes_back_the_bytes_it_was_read_from(lang):
    """A float16 embedding table stays float16 through to_bytes (a pipeline's to_disk, n_process pickling):
    it used to come back float32, 1.7 times the file."""
    path = shipped_model_path(lang)
    assert CorefModel.from_disk(path).to_bytes() == path.read_bytes()
