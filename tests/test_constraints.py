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
        for text, subject, obj in [("John saw him in the mirror.", "John", "him"),
                                   ("He met John at the station.", "He", "John"),
                                   ("The red car hit the blue car.", "The red car", "the blue car")]:
            for cluster in nlp(text)._.coref_clusters:
                texts = [m.text for m in cluster]
                assert not (subject in texts and obj in texts), (text, texts)


def test_reflexives_still_link(en_nlp):
    assert [[m.text for m in c] for c in en_nlp("John saw himself in the mirror.")._.coref_clusters] == \
        [["John", "himself"]]
