"""The documented French recipe (training/configs/fr.cfg) learns: dev F1 rises over a few epochs.

The fixture is six short hand-written French stories in brat standoff (four to train on, two
held out as dev). Only the sizes are overridden (mini-batches, vocabulary threshold, epochs);
everything else is what `python -m training train --config training/configs/fr.cfg` uses, so
a change to the config, the trainer or the French rules that stops the model from learning
fails here. (On French LitBank, training on the far first/second-person pairs made dev F1 fall
from 20.2 to 11.5 over the epochs; fr.cfg's `far_person_pairs = false` leaves them out of
training, tested on a toy cache below.)
"""

import json
from pathlib import Path

import numpy
import pytest

torch = pytest.importorskip("torch")

from training.featurize_corpus import load_pipeline  # noqa: E402
from training.train import train  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "fr"
FR_CONFIG = Path(__file__).parents[2] / "training" / "configs" / "fr.cfg"
EPOCHS = 6
SIZES = {
    "training.max_pairs": 200,
    "data.min_word_count": 1,
    "stages.ranking.max_epochs": EPOCHS,
    "stages.ranking.patience": EPOCHS,
}


def test_french_recipe_raises_dev_f1_over_epochs(tmp_path):
    nlp = load_pipeline("fr_core_news_sm", "fr")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny batches: one thread is faster, and the same under any load
    try:
        model = train(
            [FIXTURES / "train"],
            [FIXTURES / "dev"],
            tmp_path,
            config=FR_CONFIG,
            overrides=SIZES,
            nlp=nlp,
            progress=False,
        )
    finally:
        torch.set_num_threads(threads)
    dev = [json.loads(line)["select"] for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert len(dev) == EPOCHS
    # Six epochs on four stories are noisy: over seeds 0-7 the first epoch scores 30.6-40.4 and the
    # best 38.0-45.7 (seed 0, this test: 39.7, then 45.7 at epoch 3). A recipe that does not learn
    # stays far below (the regressed one fell from 20.2 to 11.5 on French LitBank), and one that only
    # unlearns never beats its first epoch.
    assert max(dev[1:]) > dev[0], dev
    assert max(dev) >= 35, dev
    assert model.meta["training"]["best_epoch"] > 1
    assert model.meta["lang"] == "fr"


class ToyCache:
    """What the batcher reads of a FeatureCache: six mentions of one document, every earlier mention a
    candidate. Persons: je, il, je, [nominal], tu, je (codes of neuralcoref.featurize.PERSON_CODES)."""

    n_mentions = 6

    def __init__(self):
        from neuralcoref.featurize import PERSON_CODES

        first, second, third = PERSON_CODES["1"], PERSON_CODES["2"], PERSON_CODES["3"]
        self.arrays = {"person": numpy.array([first, third, first, third, second, first], dtype="int8")}
        self.pairs = [(a, m) for m in range(6) for a in range(m)]

    def global_pairs(self):
        return numpy.array([a for a, _ in self.pairs]), numpy.array([m for _, m in self.pairs])


def test_far_person_pairs_are_left_out_of_training_only_when_asked():
    from training.batching import MentionIndex, far_person_pairs, make_batch

    cache = ToyCache()
    far = far_person_pairs(cache, max_dist=2)
    # first/second-person pairs more than 2 mentions apart: je 0 -> tu 4, je 0 -> je 5, je 2 -> je 5
    assert {cache.pairs[p] for p in numpy.flatnonzero(far)} == {(0, 4), (0, 5), (2, 5)}
    everything = MentionIndex.from_cache(cache)
    trained = MentionIndex.from_cache(cache, ~far)
    assert everything.pair_count.tolist() == [0, 1, 2, 3, 4, 5]
    assert trained.pair_count.tolist() == [0, 1, 2, 3, 3, 3]
    gold_pair = numpy.array([(a, m) in {(0, 2), (2, 5), (1, 5)} for a, m in cache.pairs])
    batch = make_batch(trained, numpy.array([5]), gold_pair)
    # mention 5 trains on il 1, nominal 3 and tu 4 (not je 0, je 2); batch.pairs index the cached pairs
    assert [cache.pairs[p] for p in batch.pairs[0]] == [(1, 5), (3, 5), (4, 5)]
    assert batch.gold[0].tolist() == [False, True, False, False]
