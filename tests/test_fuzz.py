"""Robustness (issue 7): random Docs and texts through mention extraction, features and the component.

Docs are built as spaCy allows them but no trained pipeline makes them: random words (every Unicode
category but surrogates, which spaCy refuses), heads forming a tree, a cycle or pointing anywhere in
the Doc, dependency labels / POS / tags / entity labels / morphology including values no rule set
mentions, sentence starts agreeing with the parse, given without one, or set afterwards against it,
empty and long Docs, tensors and speakers. The invariants are checked by the fuzz harness (bin/fuzz),
which this module imports, so the property tests and the fuzzer assert the same things.

The fuzzer's crash inputs live in tests/fixtures/fuzz_regressions/ and are replayed here; a short
coverage-guided run (atheris) is part of the suite.
"""

import importlib.machinery
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st
from spacy.attrs import SENT_START
from spacy.tokens import Doc

import spacy

from neuralcoref.featurize import Featurizer
from neuralcoref.features import mention_features
from neuralcoref.lang.en import RULES

ROOT = Path(__file__).resolve().parent.parent
FUZZ = ROOT / "bin" / "fuzz"
REGRESSIONS = ROOT / "tests" / "fixtures" / "fuzz_regressions"


def _load_harness():
    loader = importlib.machinery.SourceFileLoader("neuralcoref_fuzz_harness", str(FUZZ))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


F = _load_harness()
VOCAB = spacy.blank("en").vocab  # lexemes with lowercase forms (French rules read them too)
SETTINGS = dict(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def harness():
    built = F.Harness(with_text=True)
    yield built
    built.tmp.cleanup()  # the random models' folder, removed now rather than at garbage collection


# -- strategies -----------------------------------------------------------------------------------

ANY_CHAR = st.characters(exclude_categories=("Cs",))  # every Unicode category spaCy accepts
UNSEEN = st.text(ANY_CHAR, min_size=1, max_size=6)  # labels no rule set mentions
WORD = st.one_of(st.sampled_from(F.WORDS), st.text(ANY_CHAR, min_size=1, max_size=8))
DEP = st.one_of(st.sampled_from(F.DEPS), UNSEEN, st.none())
TAG = st.one_of(st.sampled_from(F.TAGS), UNSEEN)
ENT_LABEL = st.one_of(st.sampled_from(F.ENT_LABELS), UNSEEN)
ENT = st.one_of(
    st.sampled_from(["O", ""]),
    st.builds(lambda prefix, label: prefix + label, st.sampled_from(["B-", "I-"]), ENT_LABEL),
)
MORPH = st.one_of(
    st.sampled_from(F.MORPHS),
    st.from_regex(r"(Gender|Number|Person|Poss|[A-Z][a-z]{0,4})=[A-Z0-9][a-z0-9]{0,4}", fullmatch=True),
)
POS = st.sampled_from(F._pos_names())


@st.composite
def heads_for(draw, n):
    kind = draw(st.sampled_from(["tree", "anywhere", "roots", "cycle", "none"]))
    if kind == "none" or n == 0:
        return None
    if kind == "tree":
        order = draw(st.permutations(range(n)))
        heads = [0] * n
        heads[order[0]] = order[0]
        for k in range(1, n):
            heads[order[k]] = order[draw(st.integers(0, k - 1))]
        return heads
    if kind == "anywhere":
        return draw(st.lists(st.integers(0, n - 1), min_size=n, max_size=n))
    if kind == "roots":
        return list(range(n))
    return [(i + 1) % n for i in range(n)]


@st.composite
def random_docs(draw, max_tokens=30):
    """(Doc, lang, tensor width) for the harness' components."""
    lang = draw(st.sampled_from(["en", "en", "fr"]))
    vocab = VOCAB
    words = draw(st.lists(WORD, max_size=max_tokens))
    n = len(words)

    def column(strategy, p_none=True):
        given_ = draw(st.booleans()) if p_none else True
        return draw(st.lists(strategy, min_size=n, max_size=n)) if given_ else None

    heads = draw(heads_for(n))
    deps = draw(st.lists(DEP, min_size=n, max_size=n)) if heads else None
    sents = draw(st.sampled_from(["parse", "given", "after"]))
    sent_starts = None
    if sents == "given" and n and not heads:
        sent_starts = [True] + draw(st.lists(st.sampled_from([True, False, None]), min_size=n - 1, max_size=n - 1))
    try:
        doc = Doc(
            vocab,
            words=words,
            spaces=column(st.booleans()),
            heads=heads,
            deps=deps,
            pos=column(POS),
            tags=column(TAG),
            ents=column(ENT),
            morphs=column(MORPH),
            lemmas=column(st.one_of(st.sampled_from(F.LEMMAS[1:]), UNSEEN)),
            sent_starts=sent_starts,
        )
    except ValueError:
        assume(False)  # spaCy refuses it: never reaches the component
    if sents == "after" and n and heads:
        values = [1] + draw(st.lists(st.sampled_from([-1, 0, 1]), min_size=n - 1, max_size=n - 1))
        doc.from_array([SENT_START], numpy.array(values, dtype="int32").astype("uint64").reshape(-1, 1))
    width = draw(st.sampled_from([0, F.TENSOR_WIDTH]))
    if width and n:
        seed = draw(st.integers(0, 2**32 - 1))
        scale = draw(st.sampled_from([0.0, 1e-3, 1.0, 100.0]))
        doc.tensor = (numpy.random.default_rng(seed).standard_normal((n, width)) * scale).astype("float32")
    if n and draw(st.booleans()):
        from neuralcoref import set_speakers

        set_speakers(doc, speakers=draw(st.lists(st.sampled_from([None, "A", "B"]), min_size=n, max_size=n)))
    return doc, lang, width


# -- properties -----------------------------------------------------------------------------------


@settings(max_examples=150, **SETTINGS)
@given(case=random_docs())
def test_random_docs(harness, case):
    """Mentions inside the Doc and one sentence, finite 0/1 features, at most one cluster per mention,
    clusters of >= 2 mentions sorted by position, finite scores, coref_resolved a string."""
    doc, lang, width = case
    harness.check_doc(doc, lang, width)


@settings(max_examples=30, **SETTINGS)
@given(text=st.text(ANY_CHAR, max_size=200))
def test_random_text(harness, text):
    harness.run_text(text)


@settings(max_examples=30, **SETTINGS)
@given(words=st.lists(st.one_of(st.sampled_from(F.WORDS + [". ", ", ", " and ", "Mr. ", "said"]), UNSEEN), max_size=60))
def test_random_text_of_mention_words(harness, words):
    """Texts made of pronouns, names and punctuation: many mentions and links."""
    harness.run_text(" ".join(words))


@pytest.mark.parametrize("kind", ["tree", "anywhere", "cycle"])
def test_long_docs(harness, kind):
    """Thousands of mentions: several scoring blocks (MENTION_BLOCK), pairs reaching across blocks."""
    rng = numpy.random.default_rng(7)
    n = 5000
    words = rng.choice(["he", "she", "it", "dog", "Anna", "the", ".", "and"], size=n).tolist()
    pos = [
        "PRON"
        if w in ("he", "she", "it")
        else "PROPN"
        if w == "Anna"
        else "NOUN"
        if w == "dog"
        else "DET"
        if w == "the"
        else "PUNCT"
        if w == "."
        else "CCONJ"
        for w in words
    ]
    if kind == "tree":
        heads = [int(rng.integers(0, i)) if i else 0 for i in range(n)]
    elif kind == "anywhere":
        heads = rng.integers(0, n, size=n).tolist()
    else:
        heads = [(i + 1) % n for i in range(n)]
    deps = rng.choice(["nsubj", "dobj", "pobj", "conj", "appos", "det", "punct", "cc", "ROOT"], size=n).tolist()
    doc = Doc(harness.blank["en"].vocab, words=words, heads=heads, deps=deps, pos=pos)
    doc.from_array(
        [SENT_START],
        numpy.array([1] + [1 if w == "." else -1 for w in words[1:]], dtype="int32").astype("uint64").reshape(-1, 1),
    )
    mentions = harness.featurizers["en"].mentions(doc)
    assert len(mentions) > 2048
    harness.check_doc(doc, "en", 0)


def test_empty_and_blank_docs(harness):
    vocab = harness.blank["en"].vocab
    for doc in (Doc(vocab, words=[]), Doc(vocab, words=[" ", "\n"], heads=[0, 0], deps=["ROOT", "dep"])):
        harness.check_doc(doc, "en", 0)
        assert doc._.coref_clusters == [] and doc._.coref_resolved == doc.text
    harness.run_text("")
    harness.run_text("\n \t\u3000")


def test_fuzz_seed_inputs(harness):
    for data in F.seed_inputs():
        harness.run(data)


@pytest.mark.parametrize(
    "path", sorted(p for p in REGRESSIONS.glob("*") if not p.name.endswith(".md")), ids=lambda p: p.name
)
def test_fuzz_regressions(harness, path):
    """Every input the fuzzer crashed on, replayed (tests/fixtures/fuzz_regressions/README.md)."""
    harness.run(path.read_bytes())


def test_grammar_codes_out_of_range_are_refused():
    """Fuzz finding: per-token gender/number/person codes outside the structs.pxd ranges were used as
    column offsets by mention_features, writing past the feature rows (heap corruption). The extractor
    now refuses them."""
    doc = Doc(
        VOCAB,
        words=["She", "sees", "him"],
        heads=[1, 1, 1],
        deps=["nsubj", "ROOT", "dobj"],
        pos=["PRON", "VERB", "PRON"],
    )
    featurizer = Featurizer(RULES)
    valid = featurizer.token_grammar(doc)
    speakers = numpy.full(len(doc), -1, dtype="int32")
    for position in range(3):
        for bad in (-1, 4, 100, 127, -128):
            arrays = [a.copy() for a in valid]
            arrays[position][1] = bad
            with pytest.raises(ValueError):
                featurizer.extractor(doc, *arrays, speakers)
    mentions = featurizer.extractor(doc, *valid, speakers)
    words, _, dense = mention_features(doc, mentions, None)
    assert dense.shape[0] == len(mentions) == 2


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="atheris supports Python < 3.13")
def test_fuzzer_short_run(tmp_path):
    """The CI run of the coverage-guided fuzzer: a few seconds from the seed corpus, no crash."""
    pytest.importorskip("atheris")
    seconds = os.environ.get("NEURALCOREF_FUZZ_SECONDS", "8")
    result = subprocess.run(
        [
            sys.executable,
            str(FUZZ),
            "--seconds",
            seconds,
            "--corpus",
            str(tmp_path / "corpus"),
            "--artifacts",
            str(tmp_path / "artifacts"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    crashes = list((tmp_path / "artifacts").glob("*"))
    assert result.returncode == 0 and not crashes, result.stdout[-3000:] + result.stderr[-6000:]
    assert "Done" in result.stderr
