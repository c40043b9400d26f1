"""The linking constraints that read the parse (`neuralcoref.constraints`, `resolution.ClusterAgreement`):
binding (a subject and an object of one predicate are two entities unless one is reflexive), modifier
clash, indefinite nominals, time expressions, coordination, distinct names; and cataphora, the one rule that adds a link."""

import pytest

from neuralcoref.constraints import ROLE_NONE, ROLE_OBJECT, ROLE_SUBJECT, binding_columns
from neuralcoref.lang.en import RULES


def clusters_of(nlps, texts):
    """(text, cluster) for every cluster that each pipeline finds in each text."""
    for nlp in nlps:
        for text in texts:
            for cluster in nlp(text)._.coref_clusters:
                yield text, cluster


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
    clause_mates = {
        "John saw him in the mirror.": ("John", "him"),
        "He met John at the station.": ("He", "John"),
        "The red car hit the blue car.": ("The red car", "the blue car"),
    }
    for text, cluster in clusters_of((make_nlp(**config), en_nlp), clause_mates):
        texts = [m.text for m in cluster]
        subject, obj = clause_mates[text]
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
    texts = [
        "The land surface warmed quickly, but the warm sea surface stayed cool.",
        "The 1990 election was close. The 1994 election was not.",
    ]
    for text, cluster in clusters_of((make_nlp(**config), en_nlp), texts):
        heads = [m.root.lemma_ for m in cluster]
        assert len(set(heads)) > 1 or len(cluster) < 2, (text, cluster)


def test_indefinite_nominal_column(en_nlp_base):
    from neuralcoref.constraints import indefinite_nominal_column
    from neuralcoref.lang.fr import RULES as FRENCH

    doc = en_nlp_base("A study helps. The study helps. Melanie's mom called. Mom called. Librarians help.")
    assert [t.text for t in doc][8:11] == ["Melanie", "'s", "mom"]
    spans = [(0, 2, 1), (4, 6, 5), (8, 11, 10), (13, 14, 13), (16, 17, 16)]
    starts, ends, heads = (list(x) for x in zip(*spans))
    types, numbers = [2] * 5, [0, 0, 0, 0, 1]
    column = indefinite_nominal_column(doc, starts, ends, heads, types, numbers, RULES)["indefinite_nominal"]
    # "A study" and "Librarians" (plural, though capitalized); not "The study", "Melanie's mom", "Mom"
    assert column.tolist() == [1, 0, 0, 0, 1]
    assert not indefinite_nominal_column(doc, starts, ends, heads, types, numbers, FRENCH)["indefinite_nominal"].any()
    assert not indefinite_nominal_column(doc, starts, ends, heads, [1] * 5, numbers, RULES)["indefinite_nominal"].any()


def test_an_indefinite_nominal_takes_a_name_but_not_a_nominal():
    import numpy

    from neuralcoref.resolution import INDEFINITE_NOMINAL, NOMINAL, NOT_NOMINAL, ClusterAgreement, best_antecedents

    # mentions: 0 a name, 1 a nominal, 2 an indefinite nominal whose best-scoring candidate is the nominal
    agreement = ClusterAgreement(numpy.zeros(3, dtype="uint8"))
    agreement.set_nominal_kinds(numpy.asarray([NOT_NOMINAL, NOMINAL, INDEFINITE_NOMINAL], dtype="int8"))
    best, best_scores = numpy.full(3, -1, dtype="int32"), numpy.zeros(3, dtype="float32")
    best_antecedents(
        numpy.asarray([0, 1], dtype="int32"),
        numpy.asarray([2, 2], dtype="int32"),
        numpy.asarray([1.0, 3.0], dtype="float32"),
        numpy.zeros(3, dtype="float32"),
        best,
        best_scores,
        0.0,
        agreement,
    )
    assert best.tolist() == [-1, -1, 0]


def test_a_time_expression_and_a_thing_never_share_a_cluster():
    import numpy

    from neuralcoref.resolution import ClusterAgreement, best_antecedents

    # 0 "Monday" (a date), 1 "It" (best candidate: Monday), 2 "the budget" (best: Monday, then It, which
    # is in Monday's cluster), 3 "that day" (a time word; best: Monday), 4 "Monday" again, not tagged a
    # date this time (best: the first Monday, the same head)
    n = 5
    agreement = ClusterAgreement(numpy.zeros(n, dtype="uint8"))
    agreement.set_spans(
        numpy.asarray([4, 6, 9, 14, 20], dtype="int32"),
        numpy.asarray([5, 7, 11, 16, 21], dtype="int32"),
        numpy.asarray([0, 1, 0, 0, 0], dtype="int8"),
    )
    monday, day, budget = 1, 2, 3
    agreement.set_modifiers(
        numpy.asarray([monday, 0, budget, day, monday], dtype="uint64"), numpy.zeros((n, 1), dtype="uint64")
    )
    agreement.set_time_expressions(numpy.asarray([1, 0, 0, 1, 0], dtype="int8"))
    ant = numpy.asarray([0, 0, 1, 0, 0], dtype="int32")
    ment = numpy.asarray([1, 2, 2, 3, 4], dtype="int32")
    best, best_scores = numpy.full(n, -1, dtype="int32"), numpy.zeros(n, dtype="float32")
    scores = numpy.asarray([1.0, 3.0, 2.0, 1.0, 1.0], dtype="float32")
    best_antecedents(ant, ment, scores, numpy.zeros(n, dtype="float32"), best, best_scores, 0.0, agreement)
    # a pronoun may take the date; the budget takes neither the date nor the pronoun in its cluster; a
    # time word and the same head may join it
    assert best.tolist() == [-1, 0, -1, 0, 0]


def test_a_mention_never_joins_the_cluster_of_a_pronoun_inside_it():
    import numpy

    from neuralcoref.resolution import ClusterAgreement, best_antecedents

    # "Maria ... She ... her mother ... His father": 0 "Maria", 1 "She", 2 "her", 3 "her mother" (its best
    # candidate: Maria, whose cluster holds "her" by then), 4 "His father" (best: "her mother"), 5 "His"
    # (inside "His father"; best: "her mother", whose cluster then holds "His father")
    n = 6
    agreement = ClusterAgreement(numpy.zeros(n, dtype="uint8"))
    agreement.set_spans(
        numpy.asarray([0, 2, 6, 6, 9, 9], dtype="int32"),
        numpy.asarray([1, 3, 7, 8, 11, 10], dtype="int32"),
        numpy.asarray([0, 1, 1, 0, 0, 1], dtype="int8"),
    )
    ant = numpy.asarray([0, 1, 0, 3, 3], dtype="int32")
    ment = numpy.asarray([1, 2, 3, 4, 5], dtype="int32")
    scores = numpy.asarray([1.0, 1.0, 2.0, 1.0, 1.0], dtype="float32")
    best, best_scores = numpy.full(n, -1, dtype="int32"), numpy.zeros(n, dtype="float32")
    best_antecedents(ant, ment, scores, numpy.zeros(n, dtype="float32"), best, best_scores, 0.0, agreement)
    # "her mother" may not join Maria (her cluster holds "her"); "His" may not join "her mother"'s
    # cluster once "His father" is in it
    assert best.tolist() == [-1, 0, 1, -1, 3, -1]


def test_her_mother_is_not_maria(en_nlp):
    """The shipped model linked *her* to *She* and *her mother* to *Maria*: one cluster of both."""
    doc = en_nlp("Maria wrote a letter. She sent it to her mother.")
    for cluster in doc._.coref_clusters:
        texts = {m.text for m in cluster}
        assert not {"her", "her mother"} <= texts, texts
    assert any({"Maria", "She", "her"} <= {m.text for m in cluster} for cluster in doc._.coref_clusters)


def test_it_in_find_it_easy_to_is_nobody(en_nlp):
    """The shipped model linked the pleonastic *it* of *find it easy to* to *The museum*; the parser reads it as
    the adjective's subject, where the pleonastic rule only read subjects of *be*-like verbs."""
    doc = en_nlp("The museum opened a new wing. Visitors find it easy to get lost there.")
    assert not any("it" in {m.text for m in cluster} for cluster in doc._.coref_clusters), doc._.coref_clusters


def test_it_in_it_was_reported_that_is_nobody(en_nlp):
    """The shipped model linked the pleonastic *It* of *It was reported that* to *The company*: the rule read
    subjects of *be*-like verbs only, and this *It* is the passive subject of *reported*."""
    doc = en_nlp("The company built a factory. It was reported that the workers were unhappy.")
    assert not any("It" in {m.text for m in cluster} for cluster in doc._.coref_clusters), doc._.coref_clusters


@pytest.mark.parametrize("ending", ["", "\n"])
def test_a_date_never_shares_a_cluster_with_a_thing(make_nlp, en_nlp, ending):
    """docs/processing.md's sample corpus line, as a .txt file holds it (a final newline): the shipped
    model linked *the budget* to *Monday* before the time-expression constraint; an eager random model
    links everything it may."""
    text = "The committee met on Monday. It approved the budget." + ending
    for _, cluster in clusters_of((make_nlp(greedyness=1.0), en_nlp), [text]):
        texts = [m.text for m in cluster]
        assert not {"Monday", "the budget"} <= set(texts), texts


def test_heads_are_told_apart_without_a_lemmatizer():
    """A pipeline without a lemmatizer has lemma 0 everywhere: the head is then read by its lowercase
    form, so the modifier clash does not take every two modified nominals for one head."""
    import spacy

    from neuralcoref.batch import default_pipeline
    from neuralcoref.constraints import modifier_columns

    doc = spacy.load(default_pipeline(), exclude=["lemmatizer"])("The red car passed the big house.")
    assert all(token.lemma == 0 for token in doc)
    spans = [(0, 3, 2), (4, 7, 6)]
    starts, ends, heads = (list(x) for x in zip(*spans))
    lemmas = modifier_columns(doc, starts, ends, heads, [2, 2], RULES)["head_lemma"]
    assert lemmas.tolist() == [doc[2].lower, doc[6].lower]


@pytest.mark.parametrize("config", [{}, {"greedyness": 1.0}])
def test_repeated_indefinite_nominals_are_not_linked(make_nlp, en_nlp, config):
    """OntoNotes-style: "one study ... another study", "limited exposure ... limited exposure" are not one
    entity (the shipped model linked the two studies before the constraint)."""
    text = "One study found that limited exposure helps. Another study showed that limited exposure hurts."
    for _, cluster in clusters_of((make_nlp(**config), en_nlp), [text]):
        texts = [m.text for m in cluster]
        assert texts.count("limited exposure") < 2 and not {"One study", "Another study"} <= set(texts), texts


def test_a_capitalized_kinship_word_still_links(en_nlp):
    clusters = [[m.text for m in c] for c in en_nlp("Melanie's mom called. Mom was angry.")._.coref_clusters]
    assert ["Melanie's mom", "Mom"] in clusters


def _modifiers_one_by_one(doc, starts, ends, heads, mention_types):
    """The modifier column mention by mention: the reference for the vectorized `modifier_columns`."""
    out = []
    for start, end, head, mention_type in zip(starts, ends, heads, mention_types):
        found = sorted(
            {
                t.orth_.lower()
                for t in doc[start:end]
                if t.head.i == head and t.i != head and t.dep_ in RULES.modifier_deps
            }
        )
        out.append([] if mention_type == 0 else found)
    return out


def test_modifier_columns_match_a_mention_by_mention_reading(en_nlp):
    from neuralcoref.constraints import MAX_MODIFIERS, modifier_columns

    text = (
        "The big old red wooden barn and the small new blue barn stood near the Indian government's "
        "old office. It was the 1990 election, not the 1994 election. She saw the warm sea surface."
    )
    doc = en_nlp(text)
    columns = en_nlp.get_pipe("neuralcoref").resolver.featurizer.mentions(doc).columns()
    args = (columns["start"], columns["end"], columns["head"], columns["mention_type"])
    got = modifier_columns(doc, *args, RULES)["modifiers"]
    strings = doc.vocab.strings
    expected = _modifiers_one_by_one(doc, *args)
    assert any(len(words) > 1 for words in expected)
    for row, words in zip(got, expected):
        hashes = sorted(strings[w] for w in words)[:MAX_MODIFIERS]
        assert [h for h in row.tolist() if h] == hashes


def test_time_entity_column_reads_time_words(en_nlp_base):
    """A time noun the NER leaves untagged ("every day") is a time, as a DATE entity is."""
    from neuralcoref.constraints import time_entity_column

    doc = en_nlp_base("Does she walk him every day? Yes, on Monday.")
    assert not doc[5].ent_type_  # en_core_web_sm does not tag "every day" here
    heads = [t.i for t in doc if t.text in ("she", "him", "day", "Monday")]
    assert time_entity_column(doc, heads, RULES)["time_entity"].tolist() == [0, 0, 1, 1]


@pytest.mark.parametrize("config", [{}, {"greedyness": 1.0}])
def test_time_nouns_never_join_a_person(make_nlp, en_nlp, config):
    """With an eager random model and with the shipped one: *him* is no day, *she* no morning."""
    texts = [
        "My sister has a dog called Rex. Does she walk him every day?",
        "Every morning my sister waits for him. She loves that hour.",
    ]
    for text, cluster in clusters_of((make_nlp(**config), en_nlp), texts):
        heads = {m.root.lower_ for m in cluster}
        assert not (heads & {"day", "morning", "hour"} and heads & {"she", "him", "sister"}), (text, cluster)


def test_animacy_columns_read_person_and_neuter_nouns(en_nlp_base):
    """A nominal headed by a person noun (by lemma: "engineers") is a person, one headed by a neuter noun
    ("cars") a thing; a pronoun and a name are neither (the small pipeline's PERSON entities are too
    often places to be read)."""
    from neuralcoref.constraints import MT_NOMINAL, MT_PROPER, MT_PRONOUN, animacy_columns

    doc = en_nlp_base("Tim Cook met the engineers and the chief executive near the cars. It was red.")
    assert doc[1].ent_type_ == "PERSON"
    words = ("Cook", "engineers", "executive", "cars", "It")
    heads = [t.i for t in doc if t.text in words]
    types = [MT_PROPER, MT_NOMINAL, MT_NOMINAL, MT_NOMINAL, MT_PRONOUN]
    columns = animacy_columns(doc, heads, types, RULES)
    assert columns["person_noun"].tolist() == [0, 1, 1, 0, 0]
    assert columns["neuter_noun"].tolist() == [0, 0, 0, 1, 0]


def test_person_and_neuter_nouns_do_not_overlap():
    assert not set(RULES.person_nouns) & set(RULES.neuter_nouns)
    assert not set(RULES.neuter_nouns) & set(RULES.gendered_nouns)


@pytest.mark.parametrize("config", [{}, {"greedyness": 1.0}])
def test_a_person_never_joins_it(make_nlp, en_nlp, config):
    """With an eager random model and with the shipped one: *it* is no executive, neighbor or engineer
    (the shipped model linked "Apple's chief executive" and *it* before persons were constrained)."""
    texts = [
        "Apple announced its new iPhone on Tuesday. Tim Cook, Apple's chief executive, called it the best "
        "phone the company has ever made.",
        "My neighbor bought a car last week. It is red, and the neighbor drives it to work.",
        "The engineers tested the bridge. They found that it could carry twice the expected load.",
    ]
    for text, cluster in clusters_of((make_nlp(**config), en_nlp), texts):
        heads = {m.root.lower_ for m in cluster}
        assert not (heads & {"it", "its"} and heads & {"executive", "neighbor", "engineers"}), (text, cluster)


@pytest.mark.parametrize("config", [{}, {"greedyness": 1.0}])
def test_a_thing_never_joins_he_or_she(make_nlp, en_nlp, config):
    """With an eager random model and with the shipped one: *He* is no phone (the shipped model linked
    *He* to *the new phone* before neuter nouns were constrained), *she* no house."""
    texts = [
        "Tim Cook, Apple's chief executive, praised the new phone. He said it was the best one yet.",
        "My sister bought a house near the lake. She says the house is too big for her.",
    ]
    for text, cluster in clusters_of((make_nlp(**config), en_nlp), texts):
        heads = {m.root.lower_ for m in cluster}
        assert not (heads & {"he", "she", "her"} and heads & {"phone", "house", "lake"}), (text, cluster)


def test_coordination_columns(en_nlp_base):
    """Conjuncts chain in spaCy's parse (*Harry* depends on *Dick*, *Dick* on *Tom*): each conjunct
    reads the first one; a word in no coordination reads -1."""
    from neuralcoref.constraints import coordination_columns

    doc = en_nlp_base("Tom, Dick and Harry met Sue.")
    tom, dick, harry, sue = (next(t.i for t in doc if t.text == w) for w in ("Tom", "Dick", "Harry", "Sue"))
    columns = coordination_columns(doc, [tom, dick, harry, sue], RULES)
    assert columns["coordination"].tolist() == [tom, tom, tom, -1]
    assert columns["conjunct"].tolist() == [tom, dick, harry, -1]


def test_conjuncts_never_share_a_cluster_at_linking():
    import numpy

    from neuralcoref.resolution import ClusterAgreement, best_antecedents

    # "John and I ... Ann ... she": 0 "John" and 1 "I", conjuncts of one coordination (first conjunct:
    # token 5); 2 "John and I", the list (its head is the first conjunct's; best candidates John and I);
    # 3 "Ann" and 4 "she", outside it (best candidate: John). I may not join John, nor the list I; the
    # list, Ann and she may join John
    n = 5
    agreement = ClusterAgreement(
        numpy.zeros(n, dtype="uint8"),
        None,
        None,
        numpy.full(n, -1, dtype="int32"),
        numpy.zeros(n, dtype="int8"),
        numpy.zeros(n, dtype="int32"),
    )
    agreement.set_coordination(
        numpy.asarray([5, 5, 5, -1, -1], dtype="int32"), numpy.asarray([5, 7, 5, -1, -1], dtype="int32")
    )
    ant = numpy.asarray([0, 0, 1, 0, 0], dtype="int32")
    ment = numpy.asarray([1, 2, 2, 3, 4], dtype="int32")
    scores = numpy.asarray([2.0, 1.0, 1.0, 1.0, 1.0], dtype="float32")
    best, best_scores = numpy.full(n, -1, dtype="int32"), numpy.zeros(n, dtype="float32")
    best_antecedents(ant, ment, scores, numpy.zeros(n, dtype="float32"), best, best_scores, 0.0, agreement)
    assert best.tolist() == [-1, -1, 0, 0, 0]


@pytest.mark.parametrize("seed", range(10))
def test_parse_separated_mentions_never_share_a_cluster_random(seed):
    """Random sentences of mentions with roles, governors and coordinations, every pair a candidate with a
    random score: no cluster holds two mentions of one sentence that the parse separates (a subject and
    an object of one predicate, two conjuncts of one coordination), whichever joined first. The linker
    checks an anaphor against its clause mates (`ClusterAgreement._index_clause_mates`) and its cluster's
    coordinated members."""
    import numpy

    from neuralcoref.resolution import ClusterAgreement, best_antecedents

    rng = numpy.random.default_rng(seed)
    n = 120
    sentence_first = numpy.repeat(numpy.arange(0, n, 20), 20).astype("int32")  # 6 sentences of 20
    governors = (sentence_first + rng.integers(0, 4, n)).astype("int32")
    roles = rng.integers(0, 3, n).astype("int8")
    coordinations = numpy.where(rng.random(n) < 0.4, sentence_first + rng.integers(0, 3, n), -1).astype("int32")
    conjuncts = numpy.where(coordinations >= 0, coordinations + rng.integers(0, 3, n), -1).astype("int32")
    agreement = ClusterAgreement(numpy.zeros(n, dtype="uint8"), None, None, governors, roles, sentence_first)
    agreement.set_coordination(coordinations, conjuncts)
    ant, ment = (a.ravel().astype("int32") for a in numpy.tril_indices(n, -1)[::-1])
    order = numpy.lexsort((ant, ment))
    ant, ment = ant[order], ment[order]
    scores = rng.normal(size=len(ant)).astype("float32")
    best, best_scores = numpy.full(n, -1, dtype="int32"), numpy.zeros(n, dtype="float32")

    best_antecedents(ant, ment, scores, numpy.zeros(n, dtype="float32"), best, best_scores, 0.0, agreement)

    cluster = list(range(n))
    for j in range(n):
        if best[j] >= 0:
            cluster[j] = cluster[best[j]]

    def separated(k, j):
        return sentence_first[k] == sentence_first[j] and (
            (roles[j] and roles[k] and roles[k] != roles[j] and governors[k] == governors[j])
            or (coordinations[j] >= 0 and coordinations[k] == coordinations[j] and conjuncts[k] != conjuncts[j])
        )

    linked = [(k, j) for j in range(n) for k in range(j) if cluster[k] == cluster[j]]
    assert len(linked) > 20  # the constraint leaves clusters to check
    assert not [(k, j) for k, j in linked if separated(k, j)]


@pytest.mark.parametrize("config", [{}, {"greedyness": 1.0}])
def test_conjuncts_never_share_a_cluster(make_nlp, en_nlp, config):
    """With an eager random model and with the shipped one: *John and I* are two people (the shipped
    model linked *I* to *John* before the constraint)."""
    texts = {
        "John and I are friends. We play tennis every week.": ("John", "I"),
        "Tom, Dick and Harry went to the market.": ("Tom", "Harry"),
    }
    for text, cluster in clusters_of((make_nlp(**config), en_nlp), texts):
        words = {m.text for m in cluster}
        assert not set(texts[text]) <= words, (text, cluster)


def test_two_speakers_singular_first_person_pronouns_never_share_a_cluster():
    """Alice's "I" (0) and "my" (1), then Bob's "I" (2, best candidate Alice's "I"), then Alice's "I" again
    (3, best candidate Bob's "I"): each "I" is its speaker, so Bob's takes no antecedent and Alice's second
    skips Bob's for her own earlier one. Without the flags, one cluster."""
    import numpy

    from neuralcoref.resolution import ClusterAgreement, best_antecedents, speaker_bits

    def link(singular_first):
        persons = numpy.zeros(4, dtype="int8")  # first person
        agreement = ClusterAgreement(numpy.zeros(4, dtype="uint8"), persons, speaker_bits([0, 0, 1, 0]))
        if singular_first is not None:
            agreement.set_singular_first(numpy.asarray(singular_first, dtype="int8"))
        best, best_scores = numpy.full(4, -1, dtype="int32"), numpy.zeros(4, dtype="float32")
        best_antecedents(
            numpy.asarray([0, 0, 1, 0, 1, 2], dtype="int32"),
            numpy.asarray([1, 2, 2, 3, 3, 3], dtype="int32"),
            numpy.asarray([3.0, 2.0, 1.0, 1.0, 0.5, 2.0], dtype="float32"),
            numpy.zeros(4, dtype="float32"),
            best,
            best_scores,
            0.0,
            agreement,
        )
        return best.tolist()

    assert link(None) == [-1, 0, 0, 2]
    assert link([1, 1, 1, 1]) == [-1, 0, -1, 0]
    with pytest.raises(ValueError, match="singular first-person"):
        ClusterAgreement(numpy.zeros(4, dtype="uint8")).set_singular_first(numpy.zeros(3, dtype="int8"))


def test_the_singular_first_person_column_reads_speakers_that_name_people(en_nlp_base):
    """Transcript lines and given speakers name people. Of the speakers guessed from quotations only those
    attributed to a name are read, one number per group of names that share a word: "he said" and an
    unattributed quote may be anyone ("said Herncastle" and "he said" are one man)."""
    import numpy

    import dataclasses

    from neuralcoref.constraints import singular_first_column
    from neuralcoref.featurize import numbered_speakers, set_speakers
    from neuralcoref.speakers import read_speakers

    def column(doc, people=None):
        pronouns = [t for t in doc if t.lower_ in ("i", "my", "we", "you", "she")]
        reading = read_speakers(doc)
        columns = {
            "person": numpy.asarray([0 if t.lower_ in ("i", "my", "we") else 2 for t in pronouns]),
            "number": numpy.asarray([1 if t.lower_ == "we" else 0 for t in pronouns]),
            "mention_type": numpy.zeros(len(pronouns), dtype="int8"),
            "speaker": numbered_speakers(reading, len(doc))[[t.i for t in pronouns]],
            "start": numpy.asarray([t.i for t in pronouns]),
        }
        if people is not None:  # a caller that knows (a Conversation's turns)
            reading = dataclasses.replace(reading, people=people)
        out = singular_first_column(columns, reading)
        return [
            (t.text, int(f), int(s) if f else None)
            for t, f, s in zip(pronouns, out["singular_first"], out["first_person_speaker"])
        ]

    transcript = column(en_nlp_base("Alice: I lost my keys.\nBob: We can look. I know. She left."))
    assert [(word, flag) for word, flag, _ in transcript] == [("I", 1), ("my", 1), ("We", 0), ("I", 1), ("She", 0)]
    assert transcript[0][2] == transcript[1][2] != transcript[3][2]  # Alice's, Alice's, Bob's
    quotes = column(
        en_nlp_base('"I am tired," said Anna. "I know," he said. "I agree," said Anna Smith. "I am Tom," said Tom.')
    )
    assert [flag for _, flag, _ in quotes] == [1, 0, 1, 1]
    anna, anna_smith, tom = [speaker for _, flag, speaker in quotes if flag]
    assert anna == anna_smith != tom
    assert [flag for _, flag, _ in column(en_nlp_base('"I am tired," she said. "I know."'))] == [0, 0, 0]
    given = set_speakers(en_nlp_base.make_doc("I know . I agree ."), ["a", "a", "a", "b", "b", "b"])
    assert [flag for _, flag, _ in column(en_nlp_base(given))] == [1, 1]
    plain = en_nlp_base("I know. I agree.")  # one voice: nothing to tell apart, whatever the caller says
    assert [flag for _, flag, _ in column(plain, people=True)] == [0, 0]


def test_person_name_column_reads_the_names_words_without_titles(en_nlp_base):
    """A name headed by a PERSON entity gets its entity words, titles aside; other mentions get none."""
    from neuralcoref.constraints import MT_NOMINAL, MT_PROPER, person_name_column
    from spacy.strings import get_string_id

    doc = en_nlp_base("Mr. Brown met John Smith and the doctor.")
    assert [e.text for e in doc.ents if e.label_ == "PERSON"] == ["Brown", "John Smith"]
    spans = [(0, 2, 1, MT_PROPER), (3, 5, 4, MT_PROPER), (6, 8, 7, MT_NOMINAL)]
    starts, ends, heads, types = (list(column) for column in zip(*spans))
    names = person_name_column(doc, starts, ends, heads, types, RULES)["person_name"]

    def words(*texts):
        return sorted(get_string_id(t) for t in texts)

    assert [row[row != 0].tolist() for row in names] == [words("brown"), words("john", "smith"), []]


def test_names_that_share_no_word_never_share_a_cluster():
    import numpy

    from neuralcoref.resolution import ClusterAgreement, best_antecedents

    # 0 "Mr. Brown", 1 "he" (best: Mr. Brown), 2 "Mr. Green" (best: he, in Mr. Brown's cluster; then Mr. Brown),
    # 3 "John" (best: he: a first name may be Mr. Brown's), 4 "Bill" (best: he, whose cluster holds John by then;
    # then Mr. Green), 5 "Mr. John Brown" (best: Mr. Green, then John): a name joins a cluster whose first name
    # of its kind (titled or not) shares one of its words, never one whose first such name shares none
    n = 6
    brown, green, john, bill = 11, 12, 13, 14
    names = numpy.zeros((n, 2), dtype="uint64")
    names[0, 0], names[2, 0], names[3, 0], names[4, 0], names[5] = brown, green, john, bill, (brown, john)
    agreement = ClusterAgreement(numpy.zeros(n, dtype="uint8"))
    agreement.set_person_names(names, numpy.asarray([1, 0, 1, 0, 0, 1], dtype="int8"))
    ant = numpy.asarray([0, 1, 0, 1, 1, 2, 2, 3], dtype="int32")
    ment = numpy.asarray([1, 2, 2, 3, 4, 4, 5, 5], dtype="int32")
    scores = numpy.asarray([2.0, 3.0, 2.0, 1.0, 3.0, 2.0, 3.0, 2.0], dtype="float32")
    best, best_scores = numpy.full(n, -1, dtype="int32"), numpy.zeros(n, dtype="float32")
    best_antecedents(ant, ment, scores, numpy.zeros(n, dtype="float32"), best, best_scores, 0.0, agreement)
    assert best.tolist() == [-1, 0, -1, 1, 2, 3]
    # any nonzero flag is "titled" (the flag picks one of two columns per cluster: never out of bounds)
    agreement = ClusterAgreement(numpy.zeros(n, dtype="uint8"))
    agreement.set_person_names(names, numpy.asarray([-7, 0, 100, 0, 0, 1], dtype="int8"))
    best, best_scores = numpy.full(n, -1, dtype="int32"), numpy.zeros(n, dtype="float32")
    best_antecedents(ant, ment, scores, numpy.zeros(n, dtype="float32"), best, best_scores, 0.0, agreement)
    assert best.tolist() == [-1, 0, -1, 1, 2, 3]


def test_two_people_named_in_a_text_are_two_entities(make_nlp, en_nlp):
    """With an eager random model and with the shipped one (which had put *Mr. Green* in Mr. Brown's
    cluster, and *Bill* in John's through *he*)."""
    texts = [
        '"I am tired," said Mr. Brown. "I know," said Mr. Green.',
        "John came home late. When he arrived, Bill was asleep.",
    ]
    for text, cluster in clusters_of((make_nlp(greedyness=1.0), en_nlp), texts):
        names = {m.text for m in cluster} & {"Mr. Brown", "Mr. Green", "John", "Bill"}
        assert len(names) <= 1, (text, cluster)


def test_one_persons_names_still_share_a_cluster(en_nlp):
    """Names that share a word, titles aside, may be one person."""
    doc = en_nlp("John Smith called the office. Smith said that he was ill. Mr. Smith will stay at home.")
    clusters = [{m.text for m in cluster} for cluster in doc._.coref_clusters]
    assert {"John Smith", "Smith", "Mr. Smith"} <= clusters[0], clusters


def test_person_name_column_writes_a_nickname_and_its_full_name_as_one_word(en_nlp_base):
    """ "Jo" and "Josephine" (a nickname and its full name, `RuleSet.name_variants`) share a word when both occur
    in the Doc; two nicknames of one name do not ("Jim" / "Jimmy"), nor do unrelated names."""
    from neuralcoref.constraints import MT_PROPER, person_name_column

    doc = en_nlp_base("Jo March met Josephine. Jim Hall met Jimmy Lee. Jo met Tom Brown.")
    people = [e for e in doc.ents if e.label_ == "PERSON"]
    assert [e.text for e in people] == ["Jo March", "Josephine", "Jim Hall", "Jimmy Lee", "Jo", "Tom Brown"]
    starts, ends = [e.start for e in people], [e.end for e in people]
    heads, types = [e.root.i for e in people], [MT_PROPER] * len(people)
    names = person_name_column(doc, starts, ends, heads, types, RULES)["person_name"]
    rows = [set(row[row != 0].tolist()) for row in names]
    jo_march, josephine, jim_hall, jimmy_lee, jo, tom_brown = rows
    assert len(jo_march) == 2 and josephine < jo_march and jo < jo_march  # "jo" written as "josephine"'s word
    assert not jim_hall & jimmy_lee and not tom_brown & jo_march
    # without the variants (a rule set without them), "Jo March" and "Josephine" share no word
    import dataclasses

    plain = dataclasses.replace(RULES, name_variants={})
    rows = [
        set(row[row != 0].tolist()) for row in person_name_column(doc, starts, ends, heads, types, plain)["person_name"]
    ]
    assert not rows[0] & rows[1]


def test_a_nickname_and_its_full_name_may_share_a_cluster(en_nlp):
    """Before name variants the distinct-names constraint kept "Jo March" out of Josephine's cluster (LitBank's
    *Little Women*: Jo, Meg and Beth are Josephine, Margaret and Elizabeth March)."""
    doc = en_nlp("Jo March laughed. Josephine was her real name, but she hated it.")
    clusters = [{m.text for m in cluster} for cluster in doc._.coref_clusters]
    assert any({"Jo March", "Josephine"} <= cluster for cluster in clusters), clusters
    doc = en_nlp("Margaret read the letter. Meg was pleased with it.")
    clusters = [{m.text for m in cluster} for cluster in doc._.coref_clusters]
    assert any({"Margaret", "Meg"} <= cluster for cluster in clusters), clusters


def _mention_columns(en_nlp_base, text):
    """The Doc and its mentions' `constraint_columns`, as the component extracts them."""
    from neuralcoref.constraints import constraint_columns
    from neuralcoref.featurize import Featurizer

    doc = en_nlp_base(text)
    mentions = Featurizer(RULES).mentions(doc)
    columns = constraint_columns(doc, mentions.columns(), RULES, mentions.speakers)
    texts = [doc[s:e].text for s, e in zip(columns["start"].tolist(), columns["end"].tolist())]
    return texts, columns


@pytest.mark.parametrize(
    "text, subject, cataphor",
    [
        ("Because they were hungry, the children ate quickly.", "the children", "they"),
        ("After his speech, the president shook hands with the crowd.", "the president", "his"),
        # the first pronoun that agrees: "she" is not John
        ("When she saw him, John smiled.", "John", "him"),
        # a mention before it that it does not agree with leaves it free, and so does "you"
        ("When Mrs. Pontellier left him, the young man went out.", "the young man", "him"),
        ("If you saw them, the children were there.", "the children", "them"),
    ],
)
def test_cataphora_column_reads_a_pronoun_before_the_subject(en_nlp_base, text, subject, cataphor):
    texts, columns = _mention_columns(en_nlp_base, text)
    column = columns["cataphor"].tolist()
    assert column[texts.index(subject)] == texts.index(cataphor), (texts, column)
    assert sum(c >= 0 for c in column) == 1, (texts, column)


@pytest.mark.parametrize(
    "text",
    [
        "As it chanced, Dale lay face down.",  # personal pronouns only: no "it", no demonstrative
        "Although it was old, the car still ran well.",
        "Though I confess there is glory in that, a cook is an officer.",
        "Because they were late, the bus left.",  # plural and singular
        "The children ate quickly because they were hungry.",  # the clause after the subject
        "Because I was hungry, the children ate quickly.",  # not third person
        "As darkness drew its veil around the house, the sounds faded.",  # a possible antecedent before it
    ],
)
def test_cataphora_column_leaves_other_pronouns(en_nlp_base, text):
    from neuralcoref.lang.fr import RULES as FRENCH
    from neuralcoref.constraints import cataphora_column

    texts, columns = _mention_columns(en_nlp_base, text)
    assert (columns["cataphor"] == -1).all(), (texts, columns["cataphor"].tolist())
    texts, columns = _mention_columns(en_nlp_base, "Because they were hungry, the children ate quickly.")
    assert (cataphora_column(en_nlp_base("x"), {**columns, "head": columns["head"][:0]}, RULES)["cataphor"] == -1).all()
    doc = en_nlp_base("Because they were hungry, the children ate quickly.")
    assert (cataphora_column(doc, columns, FRENCH)["cataphor"] == -1).all()  # no cataphora_deps: off


def test_a_subject_left_new_takes_its_cataphor_when_both_are_new():
    import numpy

    from neuralcoref.resolution import ClusterAgreement, Linker, LinkSettings

    def link(codes, scores, cataphors):
        """Mentions 0 "Mary", 1 "she", 2 "the nurse" (cataphor: "she"), every earlier mention a candidate."""
        agreement = ClusterAgreement(numpy.asarray(codes, dtype="uint8"))
        agreement.set_cataphors(numpy.asarray(cataphors, dtype="int32"))
        linker = Linker(LinkSettings(0.0, 3, 3, False), numpy.zeros(3, dtype="float32"), agreement)
        ant, ment = numpy.asarray([0, 0, 1], dtype="int32"), numpy.asarray([1, 2, 2], dtype="int32")
        linker.link_scored(ant, ment, numpy.asarray(scores, dtype="float32"))
        linker.finish()
        return linker.antecedents.tolist()

    female, male = 1 << 1, 1 << 0
    # "she" and "the nurse" both left new: the nurse takes "she"; the last mention is finished too
    assert link([0, female, 0], [-1.0, -1.0, -1.0], [-1, -1, 1]) == [-1, -1, 1]
    assert link([0, female, 0], [-1.0, -1.0, -1.0], [-1, -1, -1]) == [-1, -1, -1]  # no cataphor
    # "she" linked to Mary ("Mary came in. When she sat down, the nurse smiled."): the nurse stays new
    assert link([0, female, 0], [1.0, -1.0, -1.0], [-1, -1, 1]) == [-1, 0, -1]
    # the model's own antecedent wins over the cataphor
    assert link([0, female, 0], [-1.0, 1.0, -1.0], [-1, -1, 1]) == [-1, -1, 0]
    # a subject that may not join the pronoun (gender) stays new
    assert link([0, female, male], [-1.0, -1.0, -1.0], [-1, -1, 1]) == [-1, -1, -1]
    with pytest.raises(ValueError):
        ClusterAgreement(numpy.zeros(3, dtype="uint8")).set_cataphors(numpy.asarray([-1, 2, -1], dtype="int32"))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Because they were hungry, the children ate quickly.", [["they", "the children"]]),
        ("After his speech, the president shook hands with the crowd.", [["his", "the president"]]),
    ],
)
def test_a_pronoun_before_the_subject_it_refers_to(en_nlp, text, expected):
    """Cataphora: the shipped model had left both mentions alone."""
    assert [[m.text for m in cluster] for cluster in en_nlp(text)._.coref_clusters] == expected


def test_cataphora_in_a_conversation_turn(en_nlp):
    """The turn-by-turn resolver finishes a turn's last mentions too, so its last subject takes its cataphor."""
    from neuralcoref import Conversation

    conversation = Conversation(en_nlp)
    conversation.add("Good morning.", "Ann")
    conversation.add("Because they were hungry, the children ate quickly.", "Bob")
    clusters = [[m.text for m in cluster] for cluster in conversation.doc._.coref_clusters]
    assert clusters == [["they", "the children"]]
