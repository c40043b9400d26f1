"""The spaCy component: API, config parameters, serialization, multiprocessing, bad input.

Behaviour tests use a model with random weights (what they check does not depend on
training); tests/test_english.py checks the shipped model's predictions.
"""

import pickle
import warnings

import numpy
import pytest
import spacy
from spacy.tokens import Doc

import neuralcoref
from neuralcoref.component import Cluster
from neuralcoref.testing import write_random_model

from conftest import load_english

TEXT = "My sister has a dog. She loves him. I told you that the dog is hers."


def mention_offsets(doc):
    return [[(m.start, m.end) for m in cluster.mentions] for cluster in doc._.coref_clusters]


def test_api_and_span_groups(make_nlp):
    nlp = make_nlp(greedyness=1.0, blacklist=False)
    doc = nlp(TEXT)
    clusters = doc._.coref_clusters
    assert doc._.has_coref and len(clusters) >= 1
    cluster = clusters[0]
    assert isinstance(cluster, Cluster) and cluster.i == 0
    assert len(cluster) == len(cluster.mentions) >= 2
    assert list(cluster) == cluster.mentions and cluster[0] == cluster.mentions[0]
    assert cluster.main in cluster.mentions
    assert repr(cluster).startswith(f"{cluster.main.text}: [")
    # the same clusters as SpanGroups
    for k, c in enumerate(clusters, start=1):
        assert [(s.start, s.end) for s in doc.spans[f"coref_clusters_{k}"]] == [(m.start, m.end) for m in c.mentions]
    mention = cluster.mentions[1]
    assert mention._.is_coref and mention._.coref_cluster == cluster
    assert mention[0]._.in_coref and cluster in mention[0]._.coref_clusters
    assert isinstance(doc._.coref_resolved, str)
    scores = doc._.coref_scores
    assert mention in scores and mention._.coref_scores == scores[mention]
    assert all(numpy.isfinite(v) for per_mention in scores.values() for v in per_mention.values())


def test_clusters_sorted_and_disjoint(make_nlp):
    doc = make_nlp(greedyness=0.7)(TEXT * 5)
    seen = set()
    for cluster in doc._.coref_clusters:
        offsets = [(m.start, m.end) for m in cluster.mentions]
        assert offsets == sorted(offsets) and len(offsets) >= 2
        assert not seen & set(offsets)
        seen |= set(offsets)


def test_greedyness_direction(make_nlp):
    links = {}
    for greedyness in (0.0, 0.5, 1.0):
        doc = make_nlp(greedyness=greedyness, blacklist=False)(TEXT)
        links[greedyness] = sum(len(c) - 1 for c in doc._.coref_clusters)
    assert links[0.0] <= links[0.5] <= links[1.0]
    assert links[0.0] == 0 and links[1.0] > 0


def test_blacklist(make_nlp):
    def blacklisted_in_clusters(nlp):
        doc = nlp(TEXT)
        return [m.text for c in doc._.coref_clusters for m in c.mentions if m.text.lower() in ("i", "you", "my")]

    assert blacklisted_in_clusters(make_nlp(greedyness=1.0, blacklist=True)) == []
    assert blacklisted_in_clusters(make_nlp(greedyness=1.0, blacklist=False)) != []


def test_max_dist_bounds_candidates(make_nlp):
    text = " ".join(f"Person{k} saw a cat{k}." for k in range(20))
    few = make_nlp(max_dist=1, max_dist_match=1)(text)
    many = make_nlp(max_dist=50, max_dist_match=500)(text)
    assert max(len(s) - 1 for s in few._.coref_scores.values()) == 1
    assert max(len(s) - 1 for s in many._.coref_scores.values()) > 10


def test_conv_dict_gives_rare_words_a_stand_in(tmp_path):
    # Without doc.tensor features, a mention's score depends only on its words and dense features,
    # so "puppy" standing in for "dog" must score exactly like "dog".
    path = write_random_model(tmp_path / "m", tensor_width=0, words=["dog", "cat"])

    def single_score(word, conv_dict):
        nlp = load_english()
        nlp.add_pipe("neuralcoref", config={"model": str(path), "conv_dict": conv_dict})
        words = ["The", word, "barked", "."]
        doc = Doc(
            nlp.vocab,
            words=words,
            heads=[1, 2, 2, 2],
            deps=["det", "nsubj", "ROOT", "punct"],
            pos=["DET", "NOUN", "VERB", "PUNCT"],
            tags=["DT", "NN", "VBD", "."],
        )
        doc = nlp.get_pipe("neuralcoref")(doc)
        return doc._.coref_scores[doc[0:2]][doc[0:2]]

    dog = single_score("dog", {})
    assert single_score("puppy", {}) != dog
    assert single_score("puppy", {"puppy": ["dog"]}) == pytest.approx(dog)
    with pytest.raises(Exception, match="conv_dict"):
        single_score("puppy", {"puppy": "dog"})


def test_store_scores_and_prefix(make_nlp):
    doc = make_nlp(store_scores=False, span_cluster_prefix="coref", greedyness=1.0)(TEXT)
    assert doc._.coref_scores is None
    assert "coref_1" in doc.spans and not any(k.startswith("coref_clusters") for k in doc.spans)


def test_config_is_validated(random_model_path):
    nlp = load_english()
    with pytest.raises(ValueError):  # confection's ConfigValidationError
        nlp.add_pipe("neuralcoref", config={"model": str(random_model_path), "max_dist": "far"})
    with pytest.raises(ValueError):
        nlp.add_pipe("neuralcoref", config={"model": str(random_model_path), "greedyness": 2.0})


def test_serialization_round_trip(make_nlp, tmp_path):
    nlp = make_nlp(greedyness=0.8)
    expected = mention_offsets(nlp(TEXT))
    assert expected
    nlp.to_disk(tmp_path / "pipeline")
    reloaded = spacy.load(tmp_path / "pipeline")
    assert reloaded.get_pipe("neuralcoref").cfg["greedyness"] == 0.8
    assert mention_offsets(reloaded(TEXT)) == expected
    component = nlp.get_pipe("neuralcoref")
    other = make_nlp(greedyness=0.1)
    other.get_pipe("neuralcoref").from_bytes(component.to_bytes())
    assert mention_offsets(other(TEXT)) == expected
    unpickled = pickle.loads(pickle.dumps(component))
    doc = nlp.make_doc(TEXT)
    for _, proc in nlp.pipeline[:-1]:
        doc = proc(doc)
    assert mention_offsets(unpickled(doc)) == expected


def test_a_pipeline_rebuilt_from_its_config_and_bytes_does_not_warn_of_another_pipeline():
    """spaCy's byte round trip: `from_config` builds the component in a blank pipeline (meta name
    "pipeline"), then `from_bytes` restores the meta; W001 reads the pipeline's name when the model
    loads, so it sees the restored one (it warned of 'en_pipeline' before)."""
    nlp = load_english()
    nlp.add_pipe("neuralcoref")
    rebuilt = spacy.util.get_lang_class(nlp.config["nlp"]["lang"]).from_config(nlp.config)
    rebuilt.from_bytes(nlp.to_bytes())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # W001 would be raised
        doc = rebuilt("My sister has a dog. She loves him.")
    assert [[m.text for m in c] for c in doc._.coref_clusters] == [["My sister", "She"], ["a dog", "him"]]
    assert rebuilt.get_pipe("neuralcoref").pipeline_name == f"en_{nlp.meta['name']}"


def test_results_survive_doc_serialization(make_nlp):
    from spacy.tokens import DocBin

    nlp = make_nlp(greedyness=0.8)
    doc = nlp(TEXT)
    restored = Doc(nlp.vocab).from_bytes(doc.to_bytes())
    assert mention_offsets(restored) == mention_offsets(doc)
    assert restored._.coref_resolved == doc._.coref_resolved
    doc_bin = DocBin(store_user_data=True, docs=[doc])
    assert mention_offsets(list(doc_bin.get_docs(nlp.vocab))[0]) == mention_offsets(doc)


def test_n_process_equals_single_process(make_nlp):
    nlp = make_nlp(greedyness=0.8)
    texts = [TEXT, "John met Mary. He liked her.", "", "The cat sat. It purred."] * 2
    single = [mention_offsets(nlp(t)) for t in texts]
    multi = [mention_offsets(d) for d in nlp.pipe(texts, n_process=2, batch_size=2)]
    assert multi == single
    assert any(single)


def test_pipeline_without_parser():
    nlp = spacy.blank("en")
    with pytest.raises(ValueError, match="E020"):
        nlp.add_pipe("neuralcoref")


def test_doc_without_parse(make_nlp):
    nlp = make_nlp()
    with pytest.raises(ValueError, match="E021"):
        nlp.get_pipe("neuralcoref")(nlp.make_doc("She loves him."))


def test_missing_language_model():
    nlp = spacy.blank("nl")
    nlp.add_pipe("sentencizer")
    with pytest.raises(ValueError, match="E020|E022"):
        nlp.add_pipe("neuralcoref")


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t", "Hello", "She", "\x00\x01 \u202e\u200b", "😀 🎉 ∑ 字 ß"])
def test_degenerate_texts(make_nlp, text):
    doc = make_nlp(greedyness=1.0)(text)
    assert isinstance(doc._.coref_clusters, list)
    assert isinstance(doc._.coref_resolved, str)
    assert doc._.coref_resolved.strip() == doc.text.strip() or doc._.has_coref


def test_huge_doc(make_nlp):
    nlp = make_nlp(greedyness=0.6)
    with nlp.select_pipes(disable=["neuralcoref"]):
        chunk = nlp(TEXT + " " + "The man who saw John and Mary said that they had left their house. " * 3)
    n_chunks = 100_000 // len(chunk) + 1
    component = nlp.get_pipe("neuralcoref")
    doc = component(Doc.from_docs([chunk] * n_chunks))
    assert len(doc) >= 100_000
    clusters = doc._.coref_clusters
    assert clusters and all(len(c) >= 2 for c in clusters)


def test_add_to_pipe_and_speakers(random_model_path):
    nlp = load_english()
    neuralcoref.add_to_pipe(nlp, model=str(random_model_path), greedyness=1.0, blacklist=False)
    assert nlp.pipe_names[-1] == "neuralcoref"
    doc = nlp.make_doc("I am here. Are you there?")
    neuralcoref.set_speakers(doc, utterances=[(0, 4, "A"), (4, len(doc), "B")])
    doc = nlp(doc)
    assert doc._.coref_speakers == ["A"] * 4 + ["B"] * (len(doc) - 4)
    with pytest.raises(ValueError, match="E040"):
        neuralcoref.set_speakers(doc, speakers=["A"])
    with pytest.raises(ValueError, match="E041"):
        neuralcoref.set_speakers(doc, utterances=[(0, 99, "A")])


def test_scorer_style_metrics(make_nlp):
    from spacy.training import Example

    nlp = make_nlp(greedyness=0.8)
    predicted = nlp(TEXT)
    reference = predicted.copy()
    perfect = nlp.get_pipe("neuralcoref").score([Example(predicted, reference)])
    assert perfect["coref_f"] == pytest.approx(1.0)
    reference.spans.clear()
    reference.spans["coref_clusters_1"] = [reference[0:2], reference[6:7]]
    scores = nlp.evaluate([Example(predicted, reference)])
    assert 0.0 <= scores["coref_f"] < 1.0


def test_resolved_text_with_possessive_mentions():
    """Mentions keep their possessive marker ("[Melanie 's] mom", OntoNotes): the resolved text
    writes the main mention without it, and with the language's possessive form where one was."""
    from neuralcoref.component import DATA_KEY

    nlp = spacy.blank("en")
    doc = nlp("Melanie's mom called. She said Melanie's dog and her cat were sick.")
    words = [t.text for t in doc]
    assert words[:3] == ["Melanie", "'s", "mom"] and words[7:10] == ["Melanie", "'s", "dog"]
    she, her = words.index("She"), words.index("her")
    doc[her].tag_ = "PRP$"  # what a tagger says of a possessive "her" (the blank pipeline has none)
    # cluster 1: [Melanie 's] ... [Melanie 's] ... her (main: the first, possessive-marked)
    # cluster 2: [Melanie 's mom] ... She
    doc.user_data[DATA_KEY] = {
        "lang": "en",
        "clusters": [[(0, 2), (7, 9), (her, her + 1)], [(0, 3), (she, she + 1)]],
        "mains": [0, 0],
    }
    assert doc._.coref_resolved == "Melanie's mom called. Melanie's mom said Melanie's dog and Melanie's cat were sick."


@pytest.mark.parametrize("with_fallback", [True, False])
@pytest.mark.parametrize("tensor", [numpy.zeros((0, 0), dtype="float32"), "wrong width"])
def test_doc_without_the_models_tensor_gets_clusters_and_a_warning(en_nlp, tmp_path, tensor, with_fallback):
    """A Doc whose doc.tensor is empty or of another width (a custom or transformer pipeline) is
    resolved by the model's tensorless fallback (W004) or, for a model without one, with zeros for the
    context features (W003): never an exception."""
    text = "My sister has a dog. She loves him. My sister is happy."
    expected = en_nlp(text)._.coref_clusters
    doc = en_nlp.make_doc(text)
    for name, component in en_nlp.pipeline:
        if name != "neuralcoref":
            doc = component(doc)
    doc.tensor = numpy.ones((len(doc), 17), dtype="float32") if isinstance(tensor, str) else tensor
    coref = en_nlp.get_pipe("neuralcoref")
    if not with_fallback:
        coref.resolver.model.with_fallback(None).to_disk(tmp_path)
        coref = load_english().add_pipe("neuralcoref", config={"model": str(tmp_path)})
    with pytest.warns(UserWarning, match="W004" if with_fallback else "W003"):
        doc = coref(doc)
    clusters = doc._.coref_clusters
    assert clusters is not None and len(clusters) >= 1
    assert any(c.main.text == "My sister" and "She" in [m.text for m in c] for c in clusters), (clusters, expected)


def test_getters_build_a_clusters_spans_on_first_read(monkeypatch):
    """`token._.coref_clusters` and `span._.coref_cluster` over a long Doc stay linear: a cluster's Spans
    are built when its mentions are read, not on every token of every mention (which was quadratic in
    the cluster's size: 10 s for the tokens of a 12k-token Doc with a 2,000-mention cluster)."""
    from spacy.tokens import Span
    from spacy.vocab import Vocab

    from neuralcoref import component
    from neuralcoref.component import DATA_KEY

    words = ["John", "walked", ".", "He", "smiled", "."] * 200
    doc = Doc(Vocab(), words=words)
    mentions = [(k, k + 1) for k in range(0, len(words), 3)]  # John, He, John, He, ...: one cluster
    doc.user_data[DATA_KEY] = {"lang": "en", "clusters": [mentions], "mains": [0]}
    built = []
    monkeypatch.setattr(component, "Span", lambda *args: built.append(args) or Span(*args))

    clusters = [tok._.coref_clusters for tok in doc]
    of_mentions = [doc[start:end]._.coref_cluster for start, end in mentions]

    assert built == []
    assert [len(c) for c in clusters] == [1 if tok.text in ("John", "He") else 0 for tok in doc]
    assert all(c.i == 0 for c in of_mentions)
    assert of_mentions[5].main.text == "John" and len(built) == 1  # the main mention alone
    assert [m.start for m in clusters[3][0].mentions] == [start for start, _ in mentions]
    assert len(built) == 1 + len(mentions)
    assert clusters[3][0] == of_mentions[0] and repr(clusters[0][0]) == repr(doc._.coref_clusters[0])
