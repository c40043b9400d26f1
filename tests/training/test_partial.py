"""GAP as training data: partly annotated documents (`GoldDoc.partial`) train only their pronoun, and
only against the named candidates (`featurize_corpus.partial_labels`, `batching.Batcher`)."""

from pathlib import Path

import numpy
import pytest

torch = pytest.importorskip("torch")

from neuralcoref.featurize import Featurizer  # noqa: E402
from neuralcoref.rules import get_rules  # noqa: E402
from training.batching import Batcher  # noqa: E402
from training.corpus import PartialLinks, gold_docs_to_docs, read_corpus  # noqa: E402
from training.featurize_corpus import FeatureCache, featurize_corpus, featurize_doc, load_pipeline, partial_labels  # noqa: E402
from training.train import train  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
GAP = FIXTURES / "gap.tsv"


@pytest.fixture(scope="module")
def nlp():
    return load_pipeline()


def test_gap_examples_read_as_partly_annotated_documents(nlp):
    golds = list(read_corpus(GAP, nlp=nlp))
    assert [g.doc_id for g in golds] == ["test-1", "test-2"]  # test-3 refers to neither: left out
    first = golds[0]
    words = lambda span: " ".join(first.words[span[0] : span[1]])  # noqa: E731
    assert [words(s) for s in first.partial.anaphors] == ["her"]
    assert [words(s) for s in first.partial.antecedents] == ["Carol Jones"]
    assert [words(s) for s in first.partial.others] == ["Alice Smith"]
    assert [[words(s) for s in cluster] for cluster in first.clusters] == [["Carol Jones", "her"]]


def test_partial_labels_know_only_the_anaphors_named_candidates():
    # mentions: 0 "Dr. Carol Jones" (0-3), 1 "Alice" (4-5), 2 "the park" (6-8), 3 "her" (9-10), 4 "she" (11-12)
    starts, ends = numpy.array([0, 4, 6, 9, 11]), numpy.array([3, 5, 8, 10, 12])
    ant = numpy.array([0, 0, 1, 2, 0, 1, 2, 3])
    ment = numpy.array([1, 3, 3, 3, 4, 4, 4, 4])
    partial = PartialLinks(anaphors=[(9, 10)], antecedents=[(1, 3)], others=[(4, 5)])
    trained, known, label = partial_labels(partial, starts, ends, ant, ment)
    assert trained.tolist() == [False, False, False, True, False]
    assert known.tolist() == [False, True, True, False, False, False, False, False]  # "the park": unknown
    assert label[known].tolist() == [True, False]
    # an anaphor whose antecedent is not among its candidates is not trained (it would learn "new")
    trained, known, _ = partial_labels(PartialLinks([(9, 10)], [(20, 22)], [(4, 5)]), starts, ends, ant, ment)
    assert not trained.any() and not known.any()


def test_batches_hold_only_trained_mentions_and_known_pairs(nlp, tmp_path):
    golds = list(read_corpus(GAP, nlp=nlp))
    featurizer = Featurizer(get_rules("en"))
    arrays = [featurize_doc(doc, gold, featurizer, 50, 500) for gold, doc in zip(golds, gold_docs_to_docs(golds, nlp))]
    assert sum(int(a["mention_trained"].sum()) for a in arrays) == 2  # "her" and "he"
    featurize_corpus([GAP], tmp_path / "gap", nlp, progress=False)
    cache = FeatureCache.load(tmp_path / "gap")
    batcher = Batcher(cache, numpy.zeros((cache.n_mentions, 8), dtype="int32"), max_pairs=1000)
    batches = list(batcher.epoch(0))
    trained = numpy.flatnonzero(cache.arrays["mention_trained"])
    assert sorted(m for b in batches for m in b.rows[b.ment].tolist()) == trained.tolist()
    for b in batches:
        pairs = b.pairs[b.mask]
        assert cache.arrays["pair_known"][pairs].all()
        assert b.gold[:, 1:].any(axis=1).all()  # each pronoun has its name's mention among its candidates


def test_training_takes_gap_with_a_full_corpus(nlp, tmp_path):
    overrides = {"training.max_pairs": 120, "data.min_word_count": 1, "stages.ranking.max_epochs": 1}
    train_dir = FIXTURES / "train"
    model = train([train_dir, GAP], [train_dir], tmp_path / "run", overrides=overrides, nlp=nlp, progress=False)
    assert model is not None and "her" in model.words
