"""The trainer's feature caches go stale when what they were computed with changes (`featurizer_fingerprint`)."""

import dataclasses
import os

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


def test_training_features_use_the_inferred_speakers_a_user_gets(tmp_path, en_nlp_base):
    """A training document without speakers is featurized with the speakers the component infers at
    runtime (English default), so the model learns from what it will see; `infer_speakers` false
    leaves them unknown, and a cache made one way is stale for the other."""
    import numpy

    words = ['"', "I", "am", "tired", ",", '"', "said", "John", "."]
    corpus = tmp_path / "quote.conll"
    lines = ["#begin document (quote); part 0"]
    lines += [
        "\t".join(["quote", "0", str(i), w] + ["_"] * 8 + ["(0)" if w in ("I", "John") else "-"])
        for i, w in enumerate(words)
    ]
    corpus.write_text("\n".join([*lines, "", "#end document"]) + "\n", encoding="utf-8")
    speakers = {}
    for infer in (None, False):
        out = tmp_path / f"cache_{infer}"
        meta = featurize_corpus.featurize_corpus([corpus], out, en_nlp_base, progress=False, infer_speakers=infer)
        assert meta["infer_speakers"] is (infer is None)
        speakers[infer] = numpy.load(out / "speaker.npy")
        current = featurize_corpus.cache_is_current(out, [corpus], en_nlp_base, 50, 500, "en", True, infer)
        flipped = False if infer is None else None
        other = featurize_corpus.cache_is_current(out, [corpus], en_nlp_base, 50, 500, "en", True, flipped)
        assert current and not other
    assert (speakers[None] >= 0).any() and (speakers[False] == -1).all()


def test_training_documents_can_be_laid_out_with_their_paragraphs(tmp_path, en_nlp_base):
    """`data.train_paragraphs`: a CorefUD document is featurized with a newline token before each of its
    paragraphs, as a user's file reaches the component; its gold mentions move with their tokens, and a
    cache made one way is stale for the other."""
    import json
    from pathlib import Path

    corpus = Path(__file__).parent / "fixtures" / "sample.conllu"
    docs, found = {}, {}
    for paragraphs in (False, True):
        out = tmp_path / f"cache_{paragraphs}"
        meta = featurize_corpus.featurize_corpus([corpus], out, en_nlp_base, progress=False, paragraphs=paragraphs)
        assert meta["paragraphs"] is paragraphs
        docs[paragraphs] = json.loads((out / "docs.json").read_text())
        found[paragraphs] = sum(doc["n_gold_found"] for doc in docs[paragraphs])
        current = featurize_corpus.cache_is_current(out, [corpus], en_nlp_base, 50, 500, "en", True, None, paragraphs)
        other = featurize_corpus.cache_is_current(out, [corpus], en_nlp_base, 50, 500, "en", True, None, not paragraphs)
        assert current and not other
    # the first document has one paragraph break inside it ("# newpar" before "It works."), the second none
    assert [doc["n_tokens"] for doc in docs[True]] == [docs[False][0]["n_tokens"] + 1, docs[False][1]["n_tokens"]]
    assert docs[True][0]["clusters"][-1] == [[13, 14]]  # "It", one token later
    assert found[True] == found[False]


def test_the_rule_sets_fingerprint_does_not_change_with_the_hash_seed():
    """The fingerprint hashes the rule set's repr; a field built from a set (the English nicknames) in the order
    of that set would change with PYTHONHASHSEED, and every new process would find its caches stale."""
    import subprocess
    import sys

    code = "import dataclasses; from neuralcoref.lang.en import RULES; print(repr(dataclasses.asdict(RULES)))"
    reprs = {
        subprocess.run(
            [sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": seed}, capture_output=True, check=True
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(reprs) == 1
