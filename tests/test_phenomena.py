"""Twenty-one hand-written sentences of the phenomena that coreference gets wrong (binding,
pleonastic *it*, quotes with reporting verbs, same-head nominals with clashing modifiers, times),
with the clusters a person would annotate (OntoNotes scheme: no singletons).

They need not all pass: this is a measure of behaviour, run on the shipped English model with
default settings. The README states how many pass; the test fails when that number is no longer
true (a regression, or an improvement the README must be told about), and prints which fail.
"""

import re
from pathlib import Path

import pytest

PHENOMENA = [
    # (phenomenon, text, expected clusters as lists of mention texts)
    ("pronouns", "My sister has a dog. She loves him.", [["My sister", "She"], ["a dog", "him"]]),
    (
        "pronouns",
        "My sister has a dog. She loves him. My sister is happy.",
        [["My", "My"], ["My sister", "She", "My sister"], ["a dog", "him"]],
    ),
    ("binding", "John saw him in the mirror.", []),
    ("binding", "John saw himself in the mirror.", [["John", "himself"]]),
    ("binding", "John said that he would win.", [["John", "he"]]),
    ("pleonastic it", "It is likely that the train will be late.", []),
    ("pleonastic it", "It rained all day, so Anna stayed home. She read a book.", [["Anna", "She"]]),
    ("it", "The company said it would cut jobs. It expects profits to fall.", [["The company", "it", "It"]]),
    ("quotes", '"I am tired," said John. He went to bed.', [["I", "John", "He"]]),
    ("quotes", 'Anna said, "I will call you tomorrow." She never did.', [["Anna", "I", "She"]]),
    ("modifier clash", "The land surface warmed quickly, but the warm sea surface stayed cool.", []),
    ("modifier clash", "The red car hit the blue car.", []),
    ("time", "On Monday morning the shop opened. On Tuesday morning it closed.", [["the shop", "it"]]),
    ("names", "Barack Obama was born in Hawaii. Obama was elected president in 2008.", [["Barack Obama", "Obama"]]),
    ("names", "The IMF cut its forecast. The IMF said growth would slow.", [["The IMF", "its", "The IMF"]]),
    ("first person", "We started early. Our plan worked.", [["We", "Our"]]),
    ("plural", "The teacher praised the students because they worked hard.", [["the students", "they"]]),
    ("it", "The trophy didn't fit in the suitcase because it was too big.", [["The trophy", "it"]]),
    (
        "gender",
        "Sarah met her brother at the station. He had missed the train.",
        [["Sarah", "her"], ["her brother", "He"]],
    ),
    (
        "demonstrative",
        "This energy source is cheap. The source could power the city.",
        [["This energy source", "The source"]],
    ),
    (
        "gender",
        "The doctors arrived at noon. They examined the patient, and she felt better.",
        [["The doctors", "They"], ["the patient", "she"]],
    ),
]

README = Path(__file__).parent.parent / "README.md"


def _as_set(clusters):
    return {tuple(cluster) for cluster in clusters}


def test_phenomena_pass_count_is_the_readmes(en_nlp):
    failing = []
    for phenomenon, text, expected in PHENOMENA:
        found = [[m.text for m in cluster] for cluster in en_nlp(text)._.coref_clusters]
        if _as_set(found) != _as_set(expected):
            failing.append(f"{phenomenon}: {text!r} -> {found} (expected {expected})")
    passed = len(PHENOMENA) - len(failing)
    stated = re.search(r"(\d+) of the (\d+) hand-written sentences", README.read_text())
    assert stated, "the README no longer states how many phenomena sentences pass"
    assert (int(stated.group(1)), int(stated.group(2))) == (passed, len(PHENOMENA)), "\n".join(failing)


@pytest.mark.parametrize("text", [t for _, t, _ in PHENOMENA])
def test_phenomena_run(en_nlp, text):
    """Each sentence gets clusters (possibly none) whose mentions are spans of the text."""
    doc = en_nlp(text)
    for cluster in doc._.coref_clusters:
        assert len(cluster) >= 2 and all(m.doc is doc for m in cluster)
