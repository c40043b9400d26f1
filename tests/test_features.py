"""Mention and pair features on hand-built Docs: layout widths and the value of each group."""

import numpy
import pytest
from spacy.tokens import Doc

from neuralcoref import set_speakers
from neuralcoref.featurize import Featurizer
from neuralcoref.features import (
    MENTION_FEATS_WIDTH_PY,
    MENTION_LAYOUT,
    N_WORD_SLOTS_PY,
    PAIR_FEATS_WIDTH_PY,
    PAIR_LAYOUT,
    WordTable,
)
from neuralcoref.lang.en import RULES

from test_mentions import VOCAB, make_doc, sister_doc


@pytest.fixture(scope="module")
def featurizer():
    return Featurizer(RULES)


def column(layout, name, offset=0):
    for group, start, _width in layout:
        if group == name:
            return start + offset
    raise KeyError(name)


def test_layout_is_contiguous_and_complete():
    for layout, width in ((MENTION_LAYOUT, MENTION_FEATS_WIDTH_PY), (PAIR_LAYOUT, PAIR_FEATS_WIDTH_PY)):
        position = 0
        for name, start, size in layout:
            assert start == position, name
            position += size
        assert position == width


def test_mention_features(featurizer):
    doc = sister_doc()
    doc.tensor = numpy.arange(len(doc) * 4, dtype="float32").reshape(len(doc), 4)
    feats = featurizer.featurize(doc)
    assert feats.word_hashes.shape == (5, N_WORD_SLOTS_PY)
    assert feats.mention_feats.shape == (5, MENTION_FEATS_WIDTH_PY)
    assert feats.tensor_feats.shape == (5, 4 * 4)
    # "a dog" (mention 2): head "dog", first "a", previous word "has", governor "has"
    strings = doc.vocab.strings
    assert [strings[h] if h else None for h in feats.word_hashes[2]] == [
        "dog",
        "a",
        "dog",
        "has",
        "sister",
        ".",
        "she",
        "has",
    ]
    # span average of tokens 3-4, head row 4, 5 tokens before: 0-2 (average of rows 0..2)
    assert feats.tensor_feats[2, 0:4].tolist() == doc.tensor[3:5].mean(axis=0).tolist()
    assert feats.tensor_feats[2, 4:8].tolist() == doc.tensor[4].tolist()
    assert feats.tensor_feats[2, 8:12].tolist() == doc.tensor[0:3].mean(axis=0).tolist()
    # one-hot groups sum to one
    for name in ("type", "length", "gender", "number", "person", "role"):
        start = column(MENTION_LAYOUT, name)
        width = dict((g, w) for g, _, w in MENTION_LAYOUT)[name]
        assert (feats.mention_feats[:, start : start + width].sum(axis=1) == 1).all(), name
    # "My" is nested in "My sister"; "She" has feminine gender; "him" is an object
    assert feats.mention_feats[0, column(MENTION_LAYOUT, "nested")] == 1
    assert feats.mention_feats[3, column(MENTION_LAYOUT, "gender", 1)] == 1
    assert feats.mention_feats[4, column(MENTION_LAYOUT, "role", 1)] == 1
    assert feats.mention_feats[1, column(MENTION_LAYOUT, "definite")] == 1
    assert feats.mention_feats[2, column(MENTION_LAYOUT, "indefinite")] == 1


def sister_doc_with_paragraph_break():
    """sister_doc with a paragraph break ("\\n\\n", a whitespace token of its own) before "She"."""
    plain = sister_doc()
    at = 6

    def shifted(values, inserted):
        return values[:at] + [inserted] + values[at:]

    return make_doc(
        words=shifted([t.text for t in plain], "\n\n"),
        heads=shifted([t.head.i + (t.head.i >= at) for t in plain], at - 1),
        deps=shifted([t.dep_ for t in plain], "dep"),
        pos=shifted([t.pos_ for t in plain], "SPACE"),
        tags=shifted([t.tag_ for t in plain], "_SP"),
        sent_starts=shifted([bool(t.is_sent_start) for t in plain], False),
        morphs=shifted([str(t.morph) for t in plain], ""),
    )


def test_context_words_and_vectors_read_past_a_paragraph_break(featurizer):
    """A user's text has line breaks, which spaCy makes tokens of their own; a mention's neighbouring
    words and context vectors are those of the text without them (on OntoGUM read with its paragraph
    breaks: dev 57.47 -> 57.55, test 57.89 -> 57.99; docs/accuracy.md)."""
    plain, broken = sister_doc(), sister_doc_with_paragraph_break()
    assert broken[6].is_space and [t.text for t in broken if not t.is_space] == [t.text for t in plain]
    plain.tensor = numpy.arange(len(plain) * 4, dtype="float32").reshape(len(plain), 4)
    broken.tensor = numpy.insert(plain.tensor, 6, 1000.0, axis=0)  # the newline's own row is far away
    expected, got = featurizer.featurize(plain), featurizer.featurize(broken)
    assert got.word_hashes.tolist() == expected.word_hashes.tolist()
    assert got.tensor_feats.tolist() == expected.tensor_feats.tolist()
    # "a dog" is followed by "." and "She" across the break; "She" follows "dog ."
    strings = broken.vocab.strings
    assert [strings[h] for h in got.word_hashes[2][5:7]] == [".", "she"]
    assert [strings[h] for h in got.word_hashes[3][3:5]] == [".", "dog"]


def pair_table(featurizer, doc, max_dist=50):
    feats = featurizer.featurize(doc)
    ant, ment = featurizer.pairs(feats, 0, len(feats), max_dist, 500, False)
    values = featurizer.pair_features(doc, feats, ant, ment)
    return {(int(a), int(m)): row for a, m, row in zip(ant, ment, values)}


def test_pair_features(featurizer):
    doc = sister_doc()
    table = pair_table(featurizer, doc)
    assert len(table) == 10  # 5 mentions, every earlier mention is a candidate
    she_sister = table[(1, 3)]
    assert she_sister[column(PAIR_LAYOUT, "sentence_distance", 1)] == 1
    assert she_sister[column(PAIR_LAYOUT, "mention_distance", 2)] == 1
    assert she_sister[column(PAIR_LAYOUT, "number_agree")] == 1
    him_she = table[(3, 4)]
    assert him_she[column(PAIR_LAYOUT, "gender_clash")] == 1
    # "My sister" is feminine by the gendered-noun lexicon: a clash with "him", agreement with "She"
    assert table[(1, 4)][column(PAIR_LAYOUT, "gender_clash")] == 1
    assert she_sister[column(PAIR_LAYOUT, "gender_agree")] == 1
    assert table[(0, 1)][column(PAIR_LAYOUT, "nested")] == 1


def test_string_match_features(featurizer):
    # The dog barked . The dog slept .
    doc = Doc(
        VOCAB,
        words=["The", "dog", "barked", ".", "the", "dog", "slept", "."],
        heads=[1, 2, 2, 2, 5, 6, 6, 6],
        deps=["det", "nsubj", "ROOT", "punct"] * 2,
        pos=["DET", "NOUN", "VERB", "PUNCT"] * 2,
        sent_starts=[True, False, False, False] * 2,
    )
    row = pair_table(featurizer, doc)[(0, 1)]
    for name in ("exact_match", "relaxed_match", "head_match"):
        assert row[column(PAIR_LAYOUT, name)] == 1, name


def test_speaker_features(featurizer):
    # A: I like you . B: You like me .
    doc = Doc(
        VOCAB,
        words=["I", "like", "you", ".", "You", "like", "me", "."],
        heads=[1, 1, 1, 1, 5, 5, 5, 5],
        deps=["nsubj", "ROOT", "dobj", "punct"] * 2,
        pos=["PRON", "VERB", "PRON", "PUNCT"] * 2,
        tags=["PRP", "VBP", "PRP", "."] * 2,
        morphs=["Person=1", "", "Person=2", "", "Person=2", "", "Person=1", ""],
        sent_starts=[True, False, False, False] * 2,
    )
    set_speakers(doc, utterances=[(0, 4, "A"), (4, 8, "B")])
    table = pair_table(featurizer, doc)
    i_a, you_a, you_b, me_b = 0, 1, 2, 3
    assert table[(i_a, you_b)][column(PAIR_LAYOUT, "i_you_other_speaker")] == 1
    assert table[(you_a, me_b)][column(PAIR_LAYOUT, "you_i_other_speaker")] == 1
    assert table[(i_a, you_a)][column(PAIR_LAYOUT, "same_speaker")] == 1
    assert table[(i_a, me_b)][column(PAIR_LAYOUT, "other_speaker")] == 1


def test_candidates_bounded_by_max_dist(featurizer):
    words = []
    for k in range(30):
        words += ["dog" if k % 10 == 0 else f"cat{k}", "ran", "."]
    n = len(words)
    doc = Doc(
        VOCAB,
        words=words,
        heads=[i + 1 if i % 3 == 0 else i - (i % 3 == 2) for i in range(n)],
        deps=["nsubj", "ROOT", "punct"] * 30,
        pos=["NOUN", "VERB", "PUNCT"] * 30,
        sent_starts=[i % 3 == 0 for i in range(n)],
    )
    feats = featurizer.featurize(doc)
    assert len(feats) == 30
    ant, ment = featurizer.pairs(feats, 0, 30, 5, 25, False)
    pairs = set(zip(ant.tolist(), ment.tolist()))
    assert all(0 < m - a <= 25 for a, m in pairs)
    # far candidates (beyond max_dist=5) only where the head word matches: dog at 0, 10, 20
    far = {(a, m) for a, m in pairs if m - a > 5}
    assert far == {(0, 10), (0, 20), (10, 20)}


def test_word_table_rows():
    table = WordTable(["dog", "cat"])
    from spacy.strings import get_string_id

    hashes = numpy.array([[0, get_string_id("dog"), get_string_id("cat"), get_string_id("zebra")]], dtype="uint64")
    assert table.lookup(hashes).tolist() == [[0, 2, 3, 1]]
    table.add_alias("kitten", 3)
    assert table.lookup(numpy.array([[get_string_id("kitten")]], dtype="uint64")).tolist() == [[3]]


def test_far_candidates_for_first_and_second_person_of_one_speaker(featurizer):
    # I ran . cat1 ran . ... I ran . (speaker A) then I ran . we ran . he ran . (speaker B)
    subjects = ["I"] + [f"cat{k}" for k in range(1, 8)] + ["I", "I", "we", "he", "he"]
    words = [w for s in subjects for w in (s, "ran", ".")]
    n = len(words)
    pronoun = {
        "I": ("PRP", "Person=1|Number=Sing"),
        "we": ("PRP", "Person=1|Number=Plur"),
        "he": ("PRP", "Person=3|Number=Sing"),
    }
    doc = Doc(
        VOCAB,
        words=words,
        heads=[i + 1 if i % 3 == 0 else i - (i % 3 == 2) for i in range(n)],
        deps=["nsubj", "ROOT", "punct"] * len(subjects),
        pos=[p for s in subjects for p in ("PRON" if s in pronoun else "NOUN", "VERB", "PUNCT")],
        tags=[t for s in subjects for t in (pronoun.get(s, ("NN",))[0], "VBD", ".")],
        morphs=[m for s in subjects for m in (pronoun.get(s, ("", ""))[1], "", "")],
        sent_starts=[i % 3 == 0 for i in range(n)],
    )
    set_speakers(doc, utterances=[(0, 27, "A"), (27, n, "B")])
    feats = featurizer.featurize(doc)
    ant, ment = featurizer.pairs(feats, 0, len(feats), 2, 500, False)
    far = {(a, m) for a, m in zip(ant.tolist(), ment.tolist()) if m - a > 2}
    # "I" (A) 0 -> "I" (A) 8: same person, number and speaker; not "I" (B) 9, not "we", never "he"
    assert far == {(0, 8)}
