"""Corpus readers and GoldDoc -> spaCy Doc conversion, on small hand-written fixtures."""

import logging
import shutil
from pathlib import Path

import pytest
import spacy

from training.corpus import CorpusError, GoldDoc, gold_docs_to_docs, gold_to_doc, read_corpus
from training.readers import read_brat, read_conll2012, read_corefud
from training.readers.gold import with_paragraph_breaks

FIXTURES = Path(__file__).parent / "fixtures"


def conll_line(word: str, coref: str, columns: int = 13) -> str:
    """A LitBank-style tab-separated token line (empty last column = no coreference)."""
    return "\t".join(["doc", "0", "0", word] + ["_"] * (columns - 5) + [coref])


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# CoNLL-2012


def test_conll2012_reads_every_part_as_a_document():
    first, second = read_conll2012(FIXTURES / "sample.v4_gold_conll")
    assert first.doc_id == "bc/cctv/00/cctv_0001_000"
    assert first.genre == "bc"
    assert first.words == ["John", "said", "he", "likes", "his", "dog", ".", "The", "dog", "barked", "."]
    assert first.spaces == [True] * 11
    assert first.sent_starts == [True] + [False] * 6 + [True] + [False] * 3
    assert first.speakers == ["Speaker#1"] * 7 + ["Speaker#2"] * 4
    # "his" is its own mention of John and opens "his dog" (nested, multi-token).
    assert first.clusters == [[(0, 1), (2, 3), (4, 5)], [(4, 6), (7, 9)]]
    assert first.unaligned == 0
    assert second.doc_id == "bc/cctv/00/cctv_0001_001"
    assert second.speakers == [None] * 9
    assert second.sent_starts == [True] + [False] * 4 + [True] + [False] * 3
    # "(3|(2)" opens "Mary and Bob" and closes the one-token "Mary" on the same token.
    assert second.clusters == [[(0, 1)], [(0, 3), (5, 6)]]


def test_conll2012_tab_separated_with_empty_coreference_column(tmp_path):
    path = write(
        tmp_path,
        "story.conll",
        [
            "#begin document (story_brat); part 0",
            conll_line("Alice", "(0)"),
            conll_line("ran", ""),
            conll_line("home", ""),
            "",
            conll_line("She", "(0)"),
            conll_line("slept", ""),
            "#end document",
        ],
    )
    (doc,) = read_conll2012(path)
    assert doc.doc_id == "story_brat_000"
    assert doc.genre is None
    assert doc.words == ["Alice", "ran", "home", "She", "slept"]
    assert doc.sent_starts == [True, False, False, True, False]
    assert doc.speakers == [None] * 5
    assert doc.clusters == [[(0, 1), (3, 4)]]


@pytest.mark.parametrize(
    "name, line, reason",
    [
        ("bad_columns.conll", 4, "expected 13 columns like the document's first token line, found 12"),
        ("unbalanced.conll", 2, "bracket for entity 5 opened here is never closed"),
    ],
)
def test_conll2012_malformed_fixtures(name, line, reason):
    with pytest.raises(CorpusError, match=f"{name}:{line}: {reason}") as error:
        list(read_conll2012(FIXTURES / name))
    assert error.value.line == line
    assert error.value.path.endswith(name)


@pytest.mark.parametrize(
    "body, line, reason",
    [
        ([conll_line("Alice", "0)")], 2, "closing bracket for entity 0 with no open bracket"),
        ([conll_line("Alice", "(x)")], 2, "non-integer entity id"),
        ([conll_line("Alice", "(0)|((1")], 2, "malformed coreference bracket"),
        ([conll_line("Alice", ""), "#end document", conll_line("ran", "")], 4, "token line outside a document"),
        (["#begin document (other); part 0"], 2, "#begin document while document 'doc' is still open"),
    ],
)
def test_conll2012_malformed_lines(tmp_path, body, line, reason):
    path = write(tmp_path, "bad.conll", ["#begin document (doc); part 0", *body, "#end document"])
    with pytest.raises(CorpusError, match=f"bad.conll:{line}: {reason}"):
        list(read_conll2012(path))


def test_conll2012_missing_end_document(tmp_path):
    path = write(tmp_path, "bad.conll", ["#begin document (doc); part 0", conll_line("Alice", "")])
    with pytest.raises(CorpusError, match="bad.conll:2: document 'doc' has no #end document"):
        list(read_conll2012(path))


# CorefUD


def test_corefud_reads_documents_speakers_spaces_and_nested_entities():
    first, second = read_corefud(FIXTURES / "sample.conllu")
    assert first.doc_id == "GUM_vlog_sample"
    assert first.genre == "vlog"
    # The multiword token line "8-9 you've" is skipped; its words are joined without a space.
    assert first.words == [
        "I",
        "love",
        "my",
        "cat",
        "'s",
        "toys",
        ",",
        "you",
        "'ve",
        "seen",
        "them",
        ".",
        "It",
        "works",
        ".",
    ]
    text = "".join(word + (" " if space else "") for word, space in zip(first.words, first.spaces))
    assert text == "I love my cat's toys, you've seen them. It works. "
    assert first.sent_starts == [True] + [False] * 11 + [True, False, False]
    # "# speaker = Ann" covers its sentence only; the empty node "2.1" is skipped.
    assert first.speakers == ["Ann"] * 12 + [None] * 3
    assert first.clusters == [[(0, 1), (2, 3)], [(2, 4)], [(2, 6), (10, 11)], [(7, 8)], [(12, 13)]]


def test_corefud_discontinuous_mention_spans_its_parts_and_genre_comes_from_the_id():
    _, second = read_corefud(FIXTURES / "sample.conllu")
    assert second.doc_id == "GUM_news_second"
    assert second.genre == "news"
    assert second.speakers == ["Bob"] * 9
    # "A big ... house" (parts e1[1/2], e1[2/2]) is one mention from "A" to "house".
    assert second.clusters == [[(0, 5), (6, 7)]]


def test_corefud_paragraphs_become_the_line_breaks_of_the_source_text():
    first, second = read_corefud(FIXTURES / "sample.conllu")
    assert first.paragraph_starts == [12]  # "# newpar" before "It works."; the first one opens the text
    assert second.paragraph_starts == []
    broken = with_paragraph_breaks(first)
    text = "".join(word + (" " if space else "") for word, space in zip(broken.words, broken.spaces))
    assert text == "I love my cat's toys, you've seen them.\nIt works. "
    assert broken.clusters == [[(0, 1), (2, 3)], [(2, 4)], [(2, 6), (10, 11)], [(7, 8)], [(13, 14)]]
    assert broken.speakers == ["Ann"] * 13 + [None] * 3
    assert broken.sent_starts == [True] + [False] * 12 + [True, False, False]
    assert with_paragraph_breaks(second) is second


def corefud_token(index: str, misc: str) -> str:
    return "\t".join([index, "word", "word", "_", "_", "_", "0", "dep", "_", misc])


@pytest.mark.parametrize(
    "tokens, line, reason",
    [
        ([corefud_token("1", "Entity=e1)")], 2, "closing bracket for 'e1' with no open bracket"),
        ([corefud_token("1", "Entity=(e1"), corefud_token("2", "_")], 2, "mention of 'e1' opened here is never closed"),
        ([corefud_token("1", "Entity=(e1)junk")], 2, "malformed Entity value"),
        (["1\tword\tword"], 2, "expected 10 tab-separated columns, found 3"),
        ([corefud_token("x", "_")], 2, "malformed token id 'x'"),
    ],
)
def test_corefud_malformed_lines(tmp_path, tokens, line, reason):
    path = write(tmp_path, "bad.conllu", ["# newdoc id = doc", *tokens, ""])
    with pytest.raises(CorpusError, match=f"bad.conllu:{line}: {reason}"):
        list(read_corefud(path))


# brat


def test_brat_links_singletons_and_alignment(caplog):
    with caplog.at_level(logging.DEBUG, logger="training.readers.brat"):
        doc = read_brat(FIXTURES / "brat" / "story.txt", FIXTURES / "brat" / "story.ann", lang="en")
    assert doc.doc_id == "story"
    assert doc.words == [
        "Anna",
        "met",
        "Bob",
        ".",
        "She",
        "smiled",
        "at",
        "him",
        ".",
        "\n",
        "The",
        "dog",
        "barked",
        ".",
        "\n",
    ]
    assert "".join(w + (" " if s else "") for w, s in zip(doc.words, doc.spaces)) == (
        FIXTURES / "brat" / "story.txt"
    ).read_text(encoding="utf-8")
    assert doc.sent_starts[0] and doc.sent_starts[4]
    assert doc.speakers == [None] * len(doc.words)
    assert doc.clusters == [
        [(0, 1), (4, 5)],  # Anna, She (T8 repeats She's span in the same entity)
        [(0, 3)],  # the discontinuous T6 "Anna ... Bob", a singleton
        [(2, 3), (7, 8)],  # Bob, him (T4 starts inside "him" and expands to it)
        [(10, 12)],  # "The dog": a singleton, kept
    ]
    assert doc.unaligned == 1  # T7, one letter inside "barked"
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert any("story.ann:9: mention T7" in message and "does not align" in message for message in warnings)
    assert any("1 mention texts differ" in message and "T8 (line 10)" in message for message in warnings)
    debug = [record.getMessage() for record in caplog.records if record.levelno == logging.DEBUG]
    assert any("story.ann:12: relation 'Spouse" in message for message in debug)
    assert any("story.ann:13: annotation type 'A' skipped" in message for message in debug)


def test_brat_out_of_range_offset_is_an_error():
    bad = FIXTURES / "brat_bad"
    with pytest.raises(CorpusError, match=r"out_of_range\.ann:2: mention offsets 6-40 out of range"):
        read_brat(bad / "out_of_range.txt", bad / "out_of_range.ann", lang="en")


@pytest.mark.parametrize(
    "ann, line, reason",
    [
        (["T1\tPER zero 4\tAnna"], 1, "malformed mention offsets 'zero 4'"),
        (["Tx\tPER 0 4\tAnna"], 1, "malformed mention id 'Tx'"),
        (["T1\tPER 0 4\tAnna", "R1\tCoreference Arg1:T1"], 2, "malformed relation arguments"),
        (["T1\tPER 0 4\tAnna", "R1\tCoreference Arg1:T1 Arg2:T9"], 2, "link to undefined mention T9"),
    ],
)
def test_brat_malformed_lines(tmp_path, ann, line, reason):
    (tmp_path / "bad.txt").write_text("Anna met Bob.", encoding="utf-8")
    write(tmp_path, "bad.ann", ann)
    with pytest.raises(CorpusError, match=f"bad.ann:{line}: {reason}"):
        read_brat(tmp_path / "bad.txt", tmp_path / "bad.ann", lang="en")


def test_brat_concatenated_annotation_files_resolve_ids_per_part(tmp_path, caplog):
    (tmp_path / "joined.txt").write_text("Anna met Bob. She saw him.", encoding="utf-8")
    write(
        tmp_path,
        "joined.ann",
        [
            "T1\tPER 0 4\tAnna",
            "T2\tPER 14 17\tShe",
            "R1\tCoreference Arg1:T2 Arg2:T1",
            "T1\tPER 9 12\tBob",  # ids restart: a second annotation file
            "T2\tPER 22 25\thim",
            "R1\tCoreference Arg1:T2 Arg2:T1",
        ],
    )
    with caplog.at_level(logging.WARNING):
        doc = read_brat(tmp_path / "joined.txt", tmp_path / "joined.ann", lang="en")
    assert doc.clusters == [[(0, 1), (4, 5)], [(2, 3), (6, 7)]]
    assert "annotation ids restart 1 times" in caplog.text


def test_brat_needs_a_tokenizer():
    with pytest.raises(ValueError, match="needs an nlp"):
        read_brat(FIXTURES / "brat" / "story.txt", FIXTURES / "brat" / "story.ann")


# read_corpus


def test_read_corpus_dispatches_on_extension(tmp_path):
    shutil.copy(FIXTURES / "sample.conllu", tmp_path / "b.conllu")
    shutil.copy(FIXTURES / "sample.v4_gold_conll", tmp_path / "a.v4_gold_conll")
    (tmp_path / "nested").mkdir()
    for suffix in (".txt", ".ann"):
        shutil.copy(FIXTURES / "brat" / f"story{suffix}", tmp_path / "nested" / f"c{suffix}")
    (tmp_path / "README.md").write_text("not a corpus file")
    doc_ids = [doc.doc_id for doc in read_corpus(tmp_path, nlp=spacy.blank("en"))]
    assert doc_ids == [
        "bc/cctv/00/cctv_0001_000",
        "bc/cctv/00/cctv_0001_001",
        "GUM_vlog_sample",
        "GUM_news_second",
        "c",
    ]


@pytest.mark.parametrize("name", ["story.txt", "story.ann"])
def test_read_corpus_single_brat_file_reads_its_pair(name):
    (doc,) = read_corpus(FIXTURES / "brat" / name, lang="en")
    assert doc.doc_id == "story"


def test_read_corpus_rejects_unknown_files(tmp_path):
    with pytest.raises(ValueError, match="unsupported corpus file"):
        list(read_corpus(tmp_path / "corpus.json"))


# GoldDoc -> Doc


def sample_golds() -> list[GoldDoc]:
    return [*read_conll2012(FIXTURES / "sample.v4_gold_conll"), *read_corefud(FIXTURES / "sample.conllu")]


def test_gold_to_doc_keeps_tokens_and_runs_the_pipeline():
    nlp = spacy.blank("en")
    gold = sample_golds()[2]
    assert not gold_to_doc(gold, nlp).has_annotation("SENT_START")  # gold sentences are not copied
    nlp.add_pipe("sentencizer")
    doc = gold_to_doc(gold, nlp)
    assert [token.text for token in doc] == gold.words
    assert [bool(token.whitespace_) for token in doc] == gold.spaces
    assert doc.text == "I love my cat's toys, you've seen them. It works. "
    assert [sentence.start for sentence in doc.sents] == [0, 12]


def test_gold_docs_to_docs_matches_gold_to_doc():
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    golds = sample_golds()
    batched = list(gold_docs_to_docs(golds, nlp, batch_size=2))
    single = [gold_to_doc(gold, nlp) for gold in golds]
    assert [doc.text for doc in batched] == [doc.text for doc in single]
    assert [[s.start for s in doc.sents] for doc in batched] == [[s.start for s in doc.sents] for doc in single]
