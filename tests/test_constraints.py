"""The binding constraint at linking: a subject and an object of one predicate are two entities
unless one is reflexive (`neuralcoref.constraints`, `resolution.ClusterAgreement`)."""

import pytest

from neuralcoref.constraints import ROLE_NONE, ROLE_OBJECT, ROLE_SUBJECT, binding_columns
from neuralcoref.lang.en import RULES


def test_binding_columns(en_nlp_base):
    doc = en_nlp_base("John saw him. Mary saw herself.")
    heads = [t.i for t in doc if t.text in ("John", "him", "Mary", "herself")]
    columns = binding_columns(doc, heads, RULES)
    assert columns["core_role"].tolist() == [ROLE_SUBJECT, ROLE_OBJECT, ROLE_SUBJECT, ROLE_NONE]
    saw = [t.i for t in doc if t.text == "saw"]
    assert columns["governor"].tolist()[:2] == [saw[0], saw[0]]


@pytest.mark.parametrize("config", [{}, {"greedyness": 1.0}, {"greedyness": 0.9, "require_agreement": False}])
def test_clause_mates_never_share_a_cluster(make_nlp, en_nlp, config):
    """With an eager random model and with the shipped one, under any setting."""
    for nlp in (make_nlp(**config), en_nlp):
        for text, subject, obj in [
            ("John saw him in the mirror.", "John", "him"),
            ("He met John at the station.", "He", "John"),
            ("The red car hit the blue car.", "The red car", "the blue car"),
        ]:
            for cluster in nlp(text)._.coref_clusters:
                texts = [m.text for m in cluster]
                assert not (subject in texts and obj in texts), (text, texts)


def test_reflexives_still_link(en_nlp):
    assert [[m.text for m in c] for c in en_nlp("John saw himself in the mirror.")._.coref_clusters] == [
        ["John", "himself"]
    ]


def test_modifier_columns(en_nlp_base):
    from neuralcoref.constraints import modifier_columns

    doc = en_nlp_base("The land surface warmed, but the warm sea surface stayed cool. It did.")
    columns = modifier_columns(doc, [0, 6, 13], [3, 10, 14], [2, 9, 13], [2, 2, 0], RULES)
    strings = doc.vocab.strings
    assert sorted(strings[h] for h in columns["modifiers"][0] if h) == ["land"]
    assert sorted(strings[h] for h in columns["modifiers"][1] if h) == ["sea", "warm"]
    assert not columns["modifiers"][2].any()  # a pronoun has none
    assert columns["head_lemma"][0] == columns["head_lemma"][1]


@pytest.mark.parametrize("config", [{}, {"greedyness": 1.0}])
def test_same_head_with_clashing_modifiers_is_not_linked(make_nlp, en_nlp, config):
    for nlp in (make_nlp(**config), en_nlp):
        for text in [
            "The land surface warmed quickly, but the warm sea surface stayed cool.",
            "The 1990 election was close. The 1994 election was not.",
        ]:
            doc = nlp(text)
            for cluster in doc._.coref_clusters:
                heads = [m.root.lemma_ for m in cluster]
                assert len(set(heads)) > 1 or len(cluster) < 2, (text, cluster)
