"""Per-mention inputs of the linking constraints that need the parse (`resolution.ClusterAgreement`).

Binding: a subject and an object of the same predicate are two entities unless one of them is
reflexive ("John saw him", "He saw John", "the red car hit the blue car"; "John saw himself" is
one). Read once per Doc from `doc.to_array` (no Python loop over tokens); the trainer caches the
same columns, so its dev score links exactly as the component does.
"""
from typing import Dict

import numpy
from spacy.attrs import DEP, HEAD, LOWER
from spacy.tokens import Doc

from .rules import RuleSet

#: `core_role` codes: not a core argument (or reflexive), a subject, an object
ROLE_NONE, ROLE_SUBJECT, ROLE_OBJECT = 0, 1, 2


def binding_columns(doc: Doc, heads: numpy.ndarray, rules: RuleSet) -> Dict[str, numpy.ndarray]:
    """For mentions with head tokens `heads`: "governor" (int32, the head token's syntactic head) and
    "core_role" (int8, ROLE_SUBJECT / ROLE_OBJECT by the rule set's clause labels; ROLE_NONE for any
    other label, for a reflexive pronoun, and for every mention when the rule set has no labels)."""
    heads = numpy.asarray(heads, dtype="int64")
    roles = numpy.zeros(len(heads), dtype="int8")
    if len(heads) == 0 or not (rules.clause_subject_deps and rules.clause_object_deps):
        return {"governor": numpy.full(len(heads), -1, dtype="int32"), "core_role": roles}
    array = doc.to_array([HEAD, DEP, LOWER]).astype("int64")  # HEAD: offset, wrapped to uint64 by spaCy
    governor = (heads + array[heads, 0]).astype("int32")
    strings = doc.vocab.strings

    def hashes(words):
        return numpy.asarray([strings.add(w) for w in words], dtype="uint64").astype("int64")

    deps, words = array[heads, 1], array[heads, 2]
    roles[numpy.isin(deps, hashes(rules.clause_subject_deps))] = ROLE_SUBJECT
    roles[numpy.isin(deps, hashes(rules.clause_object_deps))] = ROLE_OBJECT
    roles[numpy.isin(words, hashes(rules.reflexive_words))] = ROLE_NONE
    return {"governor": governor, "core_role": roles}
