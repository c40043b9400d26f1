"""The trainer's feature caches go stale when what they were computed with changes (`featurizer_fingerprint`)."""

import dataclasses

from neuralcoref.lang.en import RULES
from training import featurize_corpus


def test_fingerprint_covers_every_rule_list(monkeypatch, en_nlp_base):
    """A word added to a rule list that the fingerprint text does not exercise still makes a cache stale
    (its constraint columns, `time_entity` here, would be computed with the old list)."""
    before = featurize_corpus.featurizer_fingerprint(en_nlp_base)
    assert "fortnight" not in featurize_corpus.FINGERPRINT_TEXT
    assert featurize_corpus.featurizer_fingerprint(en_nlp_base) == before  # stable
    changed = dataclasses.replace(RULES, time_words=[*RULES.time_words, "fortnight"])
    monkeypatch.setattr(featurize_corpus, "get_rules", lambda lang: changed)
    assert featurize_corpus.featurizer_fingerprint(en_nlp_base) != before
