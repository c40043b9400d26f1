"""French: mention extraction on hand-built Docs (UD labels, as fr_core_news_* parse) and end to end."""

import pytest
import spacy
from spacy.tokens import Doc

from neuralcoref.featurize import GENDER_CODES, NUMBER_CODES, PERSON_CODES, Featurizer
from neuralcoref.lang.fr import RULES
from neuralcoref.rules import get_rules

VOCAB = spacy.blank("fr").vocab
MT_PRONOUN, MT_PROPER, MT_NOMINAL, MT_LIST = range(4)


@pytest.fixture(scope="module")
def featurizer():
    return Featurizer(RULES)


def make_doc(words, heads, deps, pos, morphs=None, ents=None):
    return Doc(VOCAB, words=words, heads=heads, deps=deps, pos=pos, morphs=morphs, ents=ents)


def texts(doc, mentions):
    return {doc[s:e].text for s, e in mentions.spans()}


def by_text(doc, mentions):
    return {doc[m["start"] : m["end"]].text: m for m in mentions.as_dicts()}


def test_registered():
    assert get_rules("fr") is RULES


def test_clitic_pronouns(featurizer):
    # Elle le lui donne .
    doc = make_doc(
        words=["Elle", "le", "lui", "donne", "."],
        heads=[3, 3, 3, 3, 3],
        deps=["nsubj", "obj", "iobj", "ROOT", "punct"],
        pos=["PRON", "PRON", "PRON", "VERB", "PUNCT"],
        morphs=[
            "Gender=Fem|Number=Sing|Person=3",
            "Gender=Masc|Number=Sing|Person=3",
            "Number=Sing|Person=3",
            "Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin",
            "",
        ],
    )
    mentions = featurizer.mentions(doc)
    assert mentions.spans() == [(0, 1), (1, 2), (2, 3)]
    assert all(m["mention_type"] == MT_PRONOUN for m in mentions.as_dicts())
    elle = by_text(doc, mentions)["Elle"]
    assert (elle["gender"], elle["number"], elle["person"]) == (
        GENDER_CODES["Fem"],
        NUMBER_CODES["Sing"],
        PERSON_CODES["3"],
    )


def test_elided_clitic_and_reflexive(featurizer):
    # Marie l' aime et s' en va .   ("l'" is a mention; reflexive "s'" and "en" are not)
    doc = make_doc(
        words=["Marie", "l'", "aime", "et", "s'", "en", "va", "."],
        heads=[2, 2, 2, 6, 6, 6, 2, 2],
        deps=["nsubj", "obj", "ROOT", "cc", "expl:comp", "iobj", "conj", "punct"],
        pos=["PROPN", "PRON", "VERB", "CCONJ", "PRON", "PRON", "VERB", "PUNCT"],
        ents=["B-PER", "O", "O", "O", "O", "O", "O", "O"],
    )
    mentions = featurizer.mentions(doc)
    assert texts(doc, mentions) == {"Marie", "l'"}
    assert by_text(doc, mentions)["Marie"]["mention_type"] == MT_PROPER


def test_articles_are_not_pronouns(featurizer):
    # Le chien voit la maison .  ("le", "la" as articles: only the noun phrases)
    doc = make_doc(
        words=["Le", "chien", "voit", "la", "maison", "."],
        heads=[1, 2, 2, 4, 2, 2],
        deps=["det", "nsubj", "ROOT", "det", "obj", "punct"],
        pos=["DET", "NOUN", "VERB", "DET", "NOUN", "PUNCT"],
        morphs=[
            "Definite=Def|Gender=Masc|Number=Sing|PronType=Art",
            "Gender=Masc|Number=Sing",
            "",
            "Definite=Def|Gender=Fem|Number=Sing|PronType=Art",
            "Gender=Fem|Number=Sing",
            "",
        ],
    )
    mentions = featurizer.mentions(doc)
    assert mentions.spans() == [(0, 2), (3, 5)]
    assert all(m["mention_type"] == MT_NOMINAL for m in mentions.as_dicts())
    assert all(m["definite"] == 1 for m in mentions.as_dicts())


def test_possessive_determiners(featurizer):
    # Il promène son chien avec leurs amis .
    doc = make_doc(
        words=["Il", "promène", "son", "chien", "avec", "leurs", "amis", "."],
        heads=[1, 1, 3, 1, 6, 6, 1, 1],
        deps=["nsubj", "ROOT", "det", "obj", "case", "det", "obl:mod", "punct"],
        pos=["PRON", "VERB", "DET", "NOUN", "ADP", "DET", "NOUN", "PUNCT"],
        morphs=[
            "Gender=Masc|Number=Sing|Person=3",
            "",
            "Number=Sing|Poss=Yes",
            "Gender=Masc|Number=Sing",
            "",
            "Number=Plur|Poss=Yes",
            "Gender=Masc|Number=Plur",
            "",
        ],
    )
    mentions = featurizer.mentions(doc)
    assert texts(doc, mentions) == {"Il", "son", "son chien", "leurs", "leurs amis"}
    found = by_text(doc, mentions)
    assert found["son"]["mention_type"] == MT_PRONOUN and found["leurs"]["mention_type"] == MT_PRONOUN
    assert found["son"]["person"] == PERSON_CODES["3"]
    # the possessive inside its noun phrase: the noun phrase is not a pronoun and is not nested
    assert found["son chien"]["mention_type"] == MT_NOMINAL
    assert found["son"]["nested"] == 1


def test_le_sien(featurizer):
    # Paul a pris le sien .  (possessive pronoun with its article: one pronoun mention)
    doc = make_doc(
        words=["Paul", "a", "pris", "le", "sien", "."],
        heads=[2, 2, 2, 4, 2, 2],
        deps=["nsubj", "aux:tense", "ROOT", "det", "obj", "punct"],
        pos=["PROPN", "AUX", "VERB", "DET", "PRON", "PUNCT"],
        morphs=[
            "Gender=Masc|Number=Sing",
            "",
            "",
            "Definite=Def|Gender=Masc|Number=Sing|PronType=Art",
            "Gender=Masc|Number=Sing|Poss=Yes",
            "",
        ],
    )
    mentions = featurizer.mentions(doc)
    assert mentions.spans() == [(0, 1), (3, 5)]
    assert by_text(doc, mentions)["le sien"]["mention_type"] == MT_PRONOUN


def test_le_sien_mistagged_as_noun(featurizer):
    # fr_core_news_sm tags "sien" NOUN: it is still a pronoun mention (any POS), with its article
    doc = make_doc(
        words=["Elle", "garde", "la", "sienne", "."],
        heads=[1, 1, 3, 1, 1],
        deps=["nsubj", "ROOT", "det", "obj", "punct"],
        pos=["PRON", "VERB", "DET", "NOUN", "PUNCT"],
    )
    mentions = featurizer.mentions(doc)
    assert texts(doc, mentions) == {"Elle", "la sienne"}
    assert by_text(doc, mentions)["la sienne"]["mention_type"] == MT_PRONOUN


def test_contracted_article_stays_in_the_mention(featurizer):
    # la porte du jardin   ("du" = de + le belongs to the mention; a bare "de" is trimmed)
    doc = make_doc(
        words=["Il", "ouvre", "la", "porte", "du", "jardin", "de", "Marie", "."],
        heads=[1, 1, 3, 1, 5, 3, 7, 5, 1],
        deps=["nsubj", "ROOT", "det", "obj", "case", "nmod", "case", "nmod", "punct"],
        pos=["PRON", "VERB", "DET", "NOUN", "ADP", "NOUN", "ADP", "PROPN", "PUNCT"],
    )
    mentions = featurizer.mentions(doc)
    assert {"la porte du jardin de Marie", "du jardin de Marie", "Marie"} <= texts(doc, mentions)
    assert "de Marie" not in texts(doc, mentions)


def test_relative_clause_is_cut(featurizer):
    # l' homme qui parle   (fr-litbank mentions leave relative clauses out: both variants are candidates)
    doc = make_doc(
        words=["Je", "vois", "l'", "homme", "qui", "parle", "."],
        heads=[1, 1, 3, 1, 5, 3, 1],
        deps=["nsubj", "ROOT", "det", "obj", "nsubj", "acl:relcl", "punct"],
        pos=["PRON", "VERB", "DET", "NOUN", "PRON", "VERB", "PUNCT"],
    )
    mentions = featurizer.mentions(doc)
    assert {"l' homme qui parle", "l' homme", "qui", "Je"} <= texts(doc, mentions)


def test_mistagged_and_inverted_subjects(featurizer):
    # « Tu viens ? » dit -elle .  (fr_core_news_sm tags "Tu" ADV and "-elle" ADJ in such sentences)
    doc = make_doc(
        words=["Tu", "viens", "?", "dit", "-elle", "."],
        heads=[1, 3, 1, 3, 3, 3],
        deps=["advmod", "ccomp", "punct", "ROOT", "nsubj", "punct"],
        pos=["ADV", "VERB", "PUNCT", "VERB", "ADJ", "PUNCT"],
    )
    mentions = featurizer.mentions(doc)
    assert mentions.spans() == [(0, 1), (4, 5)]
    found = by_text(doc, mentions)
    # first and second person are blacklisted (as "I", "you" in English); third person is not
    assert found["Tu"]["blacklisted"] == 1 and found["-elle"]["blacklisted"] == 0
    assert found["-elle"]["gender"] == GENDER_CODES["Fem"]


def test_possessor_values_from_the_lexicon(featurizer):
    # without morphology, a possessive determiner gets its possessor's person and number from the rule set
    doc = make_doc(words=["leurs", "amis"], heads=[1, 1], deps=["det", "ROOT"], pos=["DET", "NOUN"])
    gender, number, person = featurizer.token_grammar(doc)
    assert person[0] == PERSON_CODES["3"] and number[0] == NUMBER_CODES["Plur"]


def test_shipped_french_model_is_chosen(fr_nlp):
    assert fr_nlp.get_pipe("neuralcoref").resolver.model.lang == "fr"


def test_end_to_end_resolves_a_pronoun(fr_nlp):
    doc = fr_nlp("Marie a un chien. Elle l'adore.")
    clusters = [[m.text for m in cluster] for cluster in doc._.coref_clusters]
    assert any("Marie" in cluster and "Elle" in cluster for cluster in clusters), clusters
    assert doc._.coref_resolved.startswith("Marie a un chien. Marie")
