"""A model's tensorless fallback (`CorefModel.fallback`): stored inside the model file, used for Docs whose
doc.tensor the model cannot read (a pipeline without a tok2vec, a transformer or custom pipeline)."""

import warnings

import numpy
import pytest

from neuralcoref import Conversation
from neuralcoref.model_io import CorefModel
from neuralcoref.resolver import CorefResolver
from neuralcoref.testing import random_model

from conftest import load_english
from training.evaluate import EMPTY_TENSOR_PIPE
from test_phenomena import PHENOMENA

TEXT = "My sister has a dog. She loves him. My sister is happy. The dog is happy too."


@pytest.fixture(scope="module")
def models():
    main = random_model(tensor_width=96, seed=0)
    fallback = random_model(tensor_width=0, seed=1)
    fallback.meta["pipeline"] = {"name": None, "version": None}
    return main, fallback


@pytest.fixture(scope="module")
def parsed(en_nlp_base):
    """The README sentence parsed (with its tensor) and the same Doc with an empty tensor."""
    with_tensor = en_nlp_base(TEXT)
    without = en_nlp_base(TEXT)
    without.tensor = numpy.zeros((0, 0), dtype="float32")
    return with_tensor, without


def test_fallback_round_trips_inside_the_model_file(models, tmp_path):
    main, fallback = models
    combined = main.with_fallback(fallback)
    combined.to_disk(tmp_path)
    loaded = CorefModel.from_disk(tmp_path)
    assert loaded.fallback is not None and loaded.fallback.tensor_width == 0
    assert loaded.fallback.words == fallback.words
    for name, array in fallback.weights.items():
        numpy.testing.assert_array_equal(loaded.fallback.weights[name], array)
    assert CorefModel.from_bytes(loaded.to_bytes()).fallback is not None
    assert CorefModel.from_disk(tmp_path).with_fallback(None).fallback is None


@pytest.mark.parametrize(
    "make_fallback", [lambda: random_model(tensor_width=96), lambda: random_model(lang="fr", tensor_width=0)]
)
def test_a_fallback_must_be_a_tensorless_model_of_the_same_language(models, make_fallback):
    main, _ = models
    with pytest.raises(ValueError, match="E030"):
        main.with_fallback(make_fallback())


def test_a_tensorless_model_takes_no_fallback(models):
    _, fallback = models
    with pytest.raises(ValueError, match="E030"):
        fallback.with_fallback(random_model(tensor_width=0))


def test_a_doc_without_the_tensor_is_resolved_by_the_fallback(models, parsed):
    """Same mentions, and the fallback's own scores: what the fallback alone gives, with warning W004."""
    main, fallback = models
    with_tensor, without = parsed
    resolver = CorefResolver(main.with_fallback(fallback))
    alone = CorefResolver(fallback).predict(with_tensor, store_scores=True)
    with pytest.warns(UserWarning, match="W004"):
        got = resolver.predict(without, store_scores=True)
    numpy.testing.assert_array_equal(got.single_scores, alone.single_scores)
    numpy.testing.assert_array_equal(got.antecedents, alone.antecedents)
    numpy.testing.assert_array_equal(got.pairs["score"], alone.pairs["score"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a Doc with the model's tensor: no warning, the model itself
        kept = resolver.predict(with_tensor, store_scores=True)
    numpy.testing.assert_array_equal(kept.single_scores, CorefResolver(main).predict(with_tensor).single_scores)
    assert not numpy.array_equal(kept.single_scores, alone.single_scores)


def test_predict_many_sends_each_doc_to_its_reader(models, parsed):
    main, fallback = models
    with_tensor, without = parsed
    resolver = CorefResolver(main.with_fallback(fallback))
    with pytest.warns(UserWarning, match="W004"):
        got = resolver.predict_many([with_tensor, without, with_tensor])
    assert numpy.allclose(got[0].single_scores, CorefResolver(main).predict(with_tensor).single_scores, atol=1e-5)
    assert numpy.allclose(got[1].single_scores, CorefResolver(fallback).predict(without).single_scores, atol=1e-5)
    # the same Doc twice: the same reader; its rows sit at another offset of the batched matmul, which
    # OpenBLAS may round differently in the last bits (seen with numpy 2.4.6's scipy-openblas 0.3.31)
    numpy.testing.assert_allclose(got[0].single_scores, got[2].single_scores, rtol=0, atol=1e-5)


def test_the_fallback_travels_with_the_component(models, tmp_path):
    main, fallback = models
    main.with_fallback(fallback).to_disk(tmp_path / "model")
    nlp = load_english()
    nlp.add_pipe("neuralcoref", config={"model": str(tmp_path / "model")})
    nlp.to_disk(tmp_path / "pipeline")
    import spacy

    reloaded = spacy.load(tmp_path / "pipeline")
    assert reloaded.get_pipe("neuralcoref").resolver.fallback is not None
    copy = load_english()
    copy.add_pipe("neuralcoref", config={"model": str(tmp_path / "model")})
    copy.get_pipe("neuralcoref").from_bytes(nlp.get_pipe("neuralcoref").to_bytes())
    assert copy.get_pipe("neuralcoref").resolver.model.fallback is not None


#: of the 21 hand-written sentences of test_phenomena.py (18 with doc.tensor), resolved as a person would
#: through a pipeline that leaves doc.tensor empty: by the shipped model's fallback, and (measured when
#: the fallback was added) by the model itself with zeros for the context features
PHENOMENA_RESOLVED_WITHOUT_TENSOR = {"fallback": 18, "zeros": 11}


def test_shipped_english_model_resolves_tensorless_docs_with_its_fallback(en_nlp, tmp_path):
    """A user of a pipeline without doc.tensor gets the fallback's clusters (W004): 14 of the 21
    phenomena sentences resolved, against 8 with zeros for the context features (W003)."""
    assert en_nlp.get_pipe("neuralcoref").resolver.fallback is not None
    en_nlp.get_pipe("neuralcoref").resolver.model.with_fallback(None).to_disk(tmp_path)
    counts = {}
    for name, model in (("fallback", None), ("zeros", str(tmp_path))):
        nlp = load_english()
        nlp.add_pipe(EMPTY_TENSOR_PIPE)
        nlp.add_pipe("neuralcoref", config={"model": model} if model else {})
        resolved = 0
        with pytest.warns(UserWarning, match="W004" if name == "fallback" else "W003"):
            for _, text, expected, *_ in PHENOMENA:
                got = sorted(sorted(m.text for m in cluster) for cluster in nlp(text)._.coref_clusters or [])
                resolved += got == sorted(sorted(cluster) for cluster in expected)
        counts[name] = resolved
    assert counts == PHENOMENA_RESOLVED_WITHOUT_TENSOR


def test_a_conversation_without_the_tensor_is_resolved_by_the_fallback(models, tmp_path):
    """Turn by turn, a pipeline that leaves doc.tensor empty gets the fallback's links, as the fallback
    alone gives them on the same turns."""
    main, fallback = models
    main.with_fallback(fallback).to_disk(tmp_path / "combined")
    fallback.to_disk(tmp_path / "alone")
    turns = ["My sister has a dog.", "Does she walk him every day?", "She does, and he loves it."]
    results = []
    for model, empty in (("combined", True), ("alone", False)):
        nlp = load_english()
        if empty:
            nlp.add_pipe(EMPTY_TENSOR_PIPE)
        nlp.add_pipe("neuralcoref", config={"model": str(tmp_path / model)})
        conv = Conversation(nlp)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for text in turns:
                conv.add(text)
        assert any("W004" in str(w.message) for w in caught) == empty
        results.append([[(m.start_char, m.end_char) for m in c] for c in conv.doc._.coref_clusters or []])
    assert results[0] == results[1] and results[0]  # the random fallback links some of them


@pytest.mark.parametrize("fallback", [b"not msgpack", "a string", 7])
def test_a_broken_fallback_is_a_clear_error(models, fallback):
    import msgpack

    main, _ = models
    record = msgpack.unpackb(main.to_bytes(), raw=False)
    record["fallback"] = fallback
    with pytest.raises(ValueError, match="E030"):
        CorefModel.from_bytes(msgpack.packb(record, use_bin_type=True))


def test_a_fallback_stores_only_the_embedding_rows_it_does_not_share():
    """Trained on the same data with the same fixed word vectors, a fallback has the model's vocabulary
    and mostly its embedding rows: the file holds only the rows that differ."""
    big_words = [f"w{i}" for i in range(2000)]
    main = random_model(words=big_words, tensor_width=96, seed=0)
    fallback = random_model(words=big_words, tensor_width=0, seed=1)
    fallback.weights["embed"] = main.weights["embed"].copy()
    fallback.weights["embed"][[3, 700]] += 1.0
    alone = len(main.to_bytes())
    combined = main.with_fallback(fallback)
    data = combined.to_bytes()
    assert len(data) - alone < len(fallback.to_bytes()) - 1900 * 16 * 4  # 1,998 shared rows not stored
    loaded = CorefModel.from_bytes(data)
    assert loaded.fallback.words == big_words
    for name, array in fallback.weights.items():
        numpy.testing.assert_array_equal(loaded.fallback.weights[name], array)
    assert loaded.to_bytes() == data
