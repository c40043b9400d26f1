"""Reward-rescaled costs (training/rewards.py): each action's change of the B-cubed sums equals a
recount of the clusters it makes, and the trainer takes the costs into its loss."""

from collections import Counter
from pathlib import Path

import numpy
import pytest

torch = pytest.importorskip("torch")

from training.rewards import RewardWeights, _DocForest, blended_costs, heuristic_costs  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "train"
COSTS = {"false_new": 1.2, "false_link": 0.4, "wrong_link": 1.0}


def clusters_of(antecedents):
    root = list(range(len(antecedents)))
    for j, a in enumerate(antecedents):
        if a >= 0:
            root[j] = root[a]
    clusters: dict = {}
    for j, r in enumerate(root):
        clusters.setdefault(r, []).append(j)
    return list(clusters.values())


def metric_sums(antecedents, gold, sizes):
    """B-cubed's precision numerator, precision denominator and recall numerator, MUC's correct links
    and precision denominator, counted from the clusters; clusters of one mention score nothing (the
    component drops them)."""
    p_num = p_den = r_num = links = muc_p_den = 0.0
    for cluster in clusters_of(antecedents):
        if len(cluster) < 2:
            continue
        p_den += len(cluster)
        muc_p_den += len(cluster) - 1
        for k, count in Counter(gold[m] for m in cluster if gold[m] >= 0).items():
            p_num += count * count / len(cluster)
            r_num += count * count / sizes[k]
            links += count - 1
    return numpy.array([p_num, p_den, r_num, links, muc_p_den])


def random_document(rng):
    n, k = int(rng.integers(2, 12)), int(rng.integers(1, 4))
    gold = rng.integers(-1, k, size=n)
    sizes = numpy.array([max(2, int((gold == c).sum()) + int(rng.integers(0, 2))) for c in range(k)])
    antecedents = numpy.array([int(rng.integers(-1, j)) if j else -1 for j in range(n)])
    return antecedents, gold, sizes


def test_each_action_changes_the_metric_sums_as_a_recount_does():
    rng = numpy.random.default_rng(0)
    for _ in range(150):
        antecedents, gold, sizes = random_document(rng)
        n = len(antecedents)
        pair_ment, pair_ant = (
            numpy.array(x, dtype="int64") for x in zip(*[(m, a) for m in range(n) for a in range(m)])
        )
        forest = _DocForest.build(antecedents, gold, sizes)
        now = metric_sums(antecedents, gold, sizes)
        numpy.testing.assert_allclose(forest.totals(), now)
        for term in range(5):
            weights = RewardWeights(*numpy.eye(5)[term])
            new_gain, link_gain = forest.gains(pair_ant, pair_ment, weights)
            for m in range(n):
                changed = antecedents.copy()
                changed[m] = -1
                assert new_gain[m] == pytest.approx((metric_sums(changed, gold, sizes) - now)[term])
            for p, (a, m) in enumerate(zip(pair_ant, pair_ment)):
                changed = antecedents.copy()
                changed[m] = a
                assert link_gain[p] == pytest.approx((metric_sums(changed, gold, sizes) - now)[term])


def test_weights_are_the_gradient_of_the_mean_f1():
    totals = numpy.array([30.0, 50.0, 20.0, 25.0, 40.0, 45.0, 33.0])

    def f1(p, r):
        return 2 * p * r / (p + r)

    def reward(t):
        b3 = f1(t[0] / t[1], t[2] / t[5])
        muc = f1(t[3] / t[4], t[3] / t[6])
        return (b3 + muc) / 2

    w, eps = RewardWeights.at(totals), 1e-6
    for term, weight in enumerate([w.b3_p_num, w.b3_p_den, w.b3_r_num, w.muc_links, w.muc_p_den]):
        moved = totals.copy()
        moved[term] += eps
        assert weight == pytest.approx((reward(moved) - reward(totals)) / eps, rel=1e-4)


@pytest.fixture(scope="module")
def fixture_cache(tmp_path_factory):
    from training.featurize_corpus import FeatureCache, load_pipeline
    from training.train import load_config, prepare_caches

    cfg = load_config(overrides={"data.min_word_count": 1})
    out = tmp_path_factory.mktemp("cache")
    return FeatureCache.concat(prepare_caches([FIXTURES], out, load_pipeline(), cfg, progress=False))


def _gold_links(cache):
    """Each mention linked to its closest candidate in its gold cluster, if any."""
    label = numpy.asarray(cache.arrays["pair_label"], dtype=bool)
    out = []
    for d in range(len(cache)):
        ms, ps = cache.doc_slice(d)
        antecedents = numpy.full(ms.stop - ms.start, -1)
        for a, m in zip(cache.arrays["pair_ant"][ps][label[ps]], cache.arrays["pair_ment"][ps][label[ps]]):
            antecedents[m] = max(antecedents[m], a)
        out.append(antecedents)
    return out


def test_blended_costs_keep_the_fixed_costs_mean_over_wrong_actions(fixture_cache):
    cache = fixture_cache
    fixed_new, fixed_pair = heuristic_costs(cache, COSTS)
    label = numpy.asarray(cache.arrays["pair_label"], dtype=bool)
    numpy.testing.assert_array_equal(blended_costs(cache, _gold_links(cache), COSTS, 0.0)[1], fixed_pair)
    new_cost, pair_cost = blended_costs(cache, _gold_links(cache), COSTS, 1.0)
    wrong = fixed_new > 0
    assert new_cost[wrong].sum() + pair_cost[~label].sum() == pytest.approx(
        fixed_new[wrong].sum() + fixed_pair[~label].sum(), rel=1e-5
    )
    # when every other decision is right, a gold link is the best action (it costs nothing) and every
    # wrong one costs something
    assert pair_cost[label].max() == pytest.approx(0.0, abs=1e-6)
    assert (pair_cost[~label] > 0).all()
    # unlike the fixed costs, wrong links are priced by what they cost the score
    assert len(numpy.unique(pair_cost[~label].round(4))) > len(numpy.unique(fixed_pair[~label]))


def test_trainer_trains_on_rescaled_costs(tmp_path, fixture_cache):
    from training.train import Trainer, load_config

    overrides = {
        "training.max_pairs": 120,
        "data.min_word_count": 1,
        "stages.ranking.max_epochs": 2,
        "training.ema_decay": 0.0,
        "costs.rescaled": 1.0,
        "costs.rescaled_from_epoch": 1,
    }
    trainer = Trainer(load_config(overrides=overrides), fixture_cache, {}, tmp_path / "out", progress=False)
    assert trainer._action_costs() is None  # epoch 0: the fixed costs
    trainer.train_epoch()
    trainer.epoch = 1
    new_cost, pair_cost = trainer._action_costs()
    fixed_new, fixed_pair = heuristic_costs(fixture_cache, COSTS)
    assert not numpy.allclose(pair_cost, fixed_pair)
    seen = []
    original = trainer.batcher.per_column
    trainer.batcher.per_column = lambda batch, *a, **k: seen.append(batch) or original(batch, *a, **k)
    stats = trainer.train_epoch()
    assert numpy.isfinite(stats["loss"]) and len(seen) == stats["batches"]


def test_costs_rescaled_by_kind_keep_each_kind_of_mistake_at_its_fixed_cost(fixture_cache):
    cache = fixture_cache
    fixed_new, fixed_pair = heuristic_costs(cache, COSTS)
    label = numpy.asarray(cache.arrays["pair_label"], dtype=bool)
    new_cost, pair_cost = blended_costs(cache, _gold_links(cache), COSTS, 1.0, by_kind=True)
    wrong_new = fixed_new > 0
    assert new_cost[wrong_new].mean() == pytest.approx(COSTS["false_new"], rel=1e-5)
    _, ment = cache.global_pairs()
    false_link, wrong_link = ~label & ~wrong_new[ment], ~label & wrong_new[ment]
    assert pair_cost[false_link].mean() == pytest.approx(COSTS["false_link"], rel=1e-5)
    assert pair_cost[wrong_link].mean() == pytest.approx(COSTS["wrong_link"], rel=1e-5)
    assert pair_cost[wrong_link].std() > 0


def test_partly_annotated_documents_are_refused(fixture_cache, monkeypatch):
    arrays = dict(fixture_cache.arrays, mention_trained=numpy.zeros(fixture_cache.n_mentions, dtype="uint8"))
    monkeypatch.setattr(fixture_cache, "arrays", arrays)
    with pytest.raises(ValueError, match="fully annotated"):
        blended_costs(fixture_cache, _gold_links(fixture_cache), COSTS, 1.0)


@pytest.mark.parametrize(
    "costs",
    [
        {"rescaled": 1.5},
        {"rescaled": True},
        {"rescaled_b3": -0.1},
        {"rescaled_from_epoch": -1},
        {"rescaled_by_kind": 1},
    ],
)
def test_rescaling_settings_are_checked_before_featurizing(tmp_path, costs):
    from training.train import train

    overrides = {f"costs.{key}": value for key, value in costs.items()}
    with pytest.raises(ValueError, match="costs.rescaled"):
        train([tmp_path / "missing"], [], tmp_path / "out", overrides=overrides, nlp=object(), progress=False)


def test_partly_annotated_training_data_is_refused_before_the_first_epoch(tmp_path):
    from training.featurize_corpus import load_pipeline
    from training.train import train

    overrides = {"costs.rescaled": 0.5, "data.min_word_count": 1}
    with pytest.raises(ValueError, match="fully annotated"):
        train(
            [FIXTURES, FIXTURES.parent / "gap.tsv"],
            [],
            tmp_path / "out",
            overrides=overrides,
            nlp=load_pipeline(),
            progress=False,
        )
    assert not (tmp_path / "out" / "log.jsonl").exists()
