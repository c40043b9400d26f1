"""The torch scorer against the numpy runtime scorer, the losses, batching and the stage schedule."""

import numpy
import pytest

torch = pytest.importorskip("torch")

from neuralcoref.features import (  # noqa: E402
    MENTION_FEATS_WIDTH_PY as MENTION_FEATS_WIDTH,
    PAIR_FEATS_WIDTH_PY as PAIR_FEATS_WIDTH,
    PAIR_LAYOUT,
)
from neuralcoref.model_io import CorefModel  # noqa: E402
from neuralcoref.scorer import Scorer  # noqa: E402
from training.batching import MentionIndex, make_batch, pack  # noqa: E402
from training.model import CorefScorer, feature_masks  # noqa: E402
from training.train import (  # noqa: E402
    StageSchedule,
    allpairs_loss,
    export_model,
    ranking_costs,
    ranking_loss,
    toppairs_loss,
)

COSTS = {"false_new": 0.8, "false_link": 0.4, "wrong_link": 1.0}
CFG = {"data": {"lang": "en"}, "export": {"embed_dtype": "float32"}}


def random_inputs(n_words, tensor_width, n=12, seed=0):
    rng = numpy.random.default_rng(seed)
    rows = rng.integers(0, n_words, size=(n, 8)).astype("int32")
    tensor = rng.standard_normal((n, 4 * tensor_width)).astype("float32")
    dense = (rng.random((n, MENTION_FEATS_WIDTH)) < 0.3).astype("float32")
    ant, ment = numpy.array([(a, m) for m in range(n) for a in range(m)], dtype="int32").T
    pair_feats = (rng.random((len(ant), PAIR_FEATS_WIDTH)) < 0.3).astype("float32")
    return rows, tensor, dense, numpy.ascontiguousarray(ant), numpy.ascontiguousarray(ment), pair_feats


def torch_scores(model, rows, tensor, dense, ant, ment, pair_feats):
    model.eval()
    with torch.no_grad():
        encoded = model.encode(
            torch.from_numpy(rows.astype("int64")), torch.from_numpy(tensor), torch.from_numpy(dense)
        )
        single = model.single_scores(encoded).numpy()
        a, m = torch.from_numpy(ant.astype("int64")), torch.from_numpy(ment.astype("int64"))
        sims = (model.sim_ant(encoded)[a], model.sim_ment(encoded)[m]) if model.pair_sim is not None else (None, None)
        bilinear = (model.bi_ant(encoded)[a], model.bi_ment(encoded)[m]) if model.bi_ant is not None else ()
        pair = model.pair_scores(
            model.pair_ant(encoded)[a], model.pair_ment(encoded)[m], torch.from_numpy(pair_feats), *sims, *bilinear
        ).numpy()
    return single, pair


def numpy_scores(weights, rows, tensor, dense, ant, ment, pair_feats):
    scorer = Scorer(weights)
    encoded = scorer.encode(rows, tensor, dense)
    as_ant, as_ment = scorer.pair_projections(encoded)
    return scorer.single_scores(encoded), scorer.pair_scores(as_ant, as_ment, ant, ment, pair_feats)


@pytest.mark.parametrize(
    "single_hidden,pair_hidden,similarity_width,bilinear_width",
    [
        ([16], [16], 0, 0),
        ([16, 8], [16, 12, 8], 0, 0),
        ([], [8], 0, 0),
        ([16], [16], 6, 0),
        ([8], [16, 8], 4, 0),
        ([16], [16], 0, 5),
        ([16], [16, 8], 3, 7),
    ],
)
def test_torch_forward_equals_numpy_scorer(single_hidden, pair_hidden, similarity_width, bilinear_width):
    torch.manual_seed(0)
    model = CorefScorer(
        30,
        tensor_width=6,
        embed_dim=5,
        encoder_width=24,
        single_hidden=single_hidden,
        pair_hidden=pair_hidden,
        dropout=0.5,
        similarity_width=similarity_width,
        bilinear_width=bilinear_width,
    )
    with torch.no_grad():  # non-zero biases, so a missing bias would show
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
        model.embed.weight[0].zero_()
    inputs = random_inputs(30, 6)
    expected_single, expected_pair = torch_scores(model, *inputs)
    exported = export_model(model, [f"w{k}" for k in range(28)], CFG, {"name": "test", "version": "0"})
    exported = CorefModel.from_bytes(exported.to_bytes())  # the runtime's loader checks every shape
    single, pair = numpy_scores(exported.weights, *inputs)
    numpy.testing.assert_allclose(single, expected_single, atol=1e-4)
    numpy.testing.assert_allclose(pair, expected_pair, atol=1e-4)


@pytest.mark.parametrize("similarity_width,bilinear_width", [(0, 0), (3, 0), (0, 5)])
def test_load_weights_inverts_export(similarity_width, bilinear_width):
    torch.manual_seed(1)
    sizes = dict(
        tensor_width=4,
        embed_dim=3,
        encoder_width=8,
        single_hidden=[4],
        pair_hidden=[4, 4],
        similarity_width=similarity_width,
        bilinear_width=bilinear_width,
    )
    model = CorefScorer(10, **sizes)
    other = CorefScorer(10, **sizes)
    other.load_weights(model.export_weights())
    for name, value in model.export_weights().items():
        numpy.testing.assert_array_equal(other.export_weights()[name], value)


TENSORLESS_SIZES = dict(
    tensor_width=6,
    embed_dim=5,
    encoder_width=24,
    single_hidden=[16],
    pair_hidden=[16],
    zero_groups=["tensor"],
    bilinear_width=4,
)


def test_without_the_tensor_group_the_export_has_no_tensor_input():
    """zero_groups=["tensor"] exports tensor_width 0 (no doc.tensor columns at all): the runtime then
    needs no tensor, and its scores without one equal the trainer's with any tensor."""
    torch.manual_seed(2)
    model = CorefScorer(30, **TENSORLESS_SIZES)
    model.eval()
    rows, tensor, dense, ant, ment, pair_feats = random_inputs(30, 6)
    expected_single, expected_pair = torch_scores(model, rows, tensor, dense, ant, ment, pair_feats)
    exported = CorefModel.from_bytes(export_model(model, [f"w{k}" for k in range(28)], CFG).to_bytes())
    assert exported.tensor_width == 0 and exported.weights["enc.W"].shape[1] == exported.input_width()
    single, pair = numpy_scores(exported.weights, rows, tensor[:, :0], dense, ant, ment, pair_feats)
    numpy.testing.assert_allclose(single, expected_single, atol=1e-4)
    numpy.testing.assert_allclose(pair, expected_pair, atol=1e-4)
    other = CorefScorer(30, **TENSORLESS_SIZES)
    other.load_weights(exported.weights)  # the tensor columns come back as zeros
    for name, value in model.export_weights().items():
        numpy.testing.assert_array_equal(other.export_weights()[name], value)


def test_float16_embedding_is_stored_small():
    model = CorefScorer(1002, tensor_width=4, embed_dim=50, encoder_width=8, single_hidden=[4], pair_hidden=[4])
    small = export_model(
        model, [f"w{k}" for k in range(1000)], {"data": {"lang": "en"}, "export": {"embed_dtype": "float16"}}
    )
    large = export_model(model, [f"w{k}" for k in range(1000)], CFG)
    assert len(large.to_bytes()) - len(small.to_bytes()) > 1002 * 50 * 2 - 1000
    loaded = CorefModel.from_bytes(small.to_bytes())
    numpy.testing.assert_allclose(loaded.weights["embed"], large.weights["embed"], atol=1e-3)


def test_ablation_zeroes_inputs_and_exported_weights():
    torch.manual_seed(2)
    model = CorefScorer(
        30,
        tensor_width=6,
        embed_dim=5,
        encoder_width=16,
        single_hidden=[8],
        pair_hidden=[8],
        zero_groups=["tensor", "words", "speaker"],
    )
    rows, tensor, dense, ant, ment, pair_feats = random_inputs(30, 6)
    weights = export_model(model, [f"w{k}" for k in range(28)], CFG).weights
    no_tensor = tensor[:, :0]  # without the tensor group the exported model takes no tensor at all
    base = numpy_scores(weights, rows, no_tensor, dense, ant, ment, pair_feats)
    speaker_cols = [o for name, o, w in PAIR_LAYOUT if "speaker" in name]
    changed = pair_feats.copy()
    changed[:, speaker_cols] = 1 - changed[:, speaker_cols]
    other = numpy_scores(weights, numpy.ones_like(rows), no_tensor, dense, ant, ment, changed)
    numpy.testing.assert_allclose(other[0], base[0], atol=1e-5)
    numpy.testing.assert_allclose(other[1], base[1], atol=1e-5)
    numpy.testing.assert_allclose(
        torch_scores(model, rows, tensor, dense, ant, ment, pair_feats)[1], base[1], atol=1e-4
    )
    with pytest.raises(ValueError):
        feature_masks(["colour"], 6)


# -- losses ------------------------------------------------------------------------------------------------

NEG = float("-inf")


def matrix(rows):
    return torch.tensor(rows, dtype=torch.float32)


def test_ranking_loss_zero_when_gold_wins_by_margin():
    # mention 0: antecedent in column 2; mention 1: no antecedent (column 0); column 3 of row 1 is padding
    scores = matrix([[0.0, -1.0, 2.5, 1.4], [3.0, 1.9, 0.5, NEG]])
    gold = torch.tensor([[False, False, True, False], [True, False, False, False]])
    assert ranking_loss(scores, gold, COSTS).item() == pytest.approx(0.0)


def test_ranking_loss_is_slack_rescaled():
    scores = matrix([[1.0, 0.5, 0.0], [0.0, 2.0, NEG]])
    gold = torch.tensor([[False, False, True], [True, False, False]])
    # row 0: gold 0.0; false new costs 0.8 * (1 + 1.0 - 0) = 1.6, wrong link 1.0 * (1 + 0.5) = 1.5 -> 1.6
    # row 1: gold (no antecedent) 0.0; false link 0.4 * (1 + 2.0 - 0) = 1.2
    assert ranking_loss(scores, gold, COSTS).item() == pytest.approx((1.6 + 1.2) / 2)
    valid = torch.isfinite(scores)
    expected = torch.tensor([[0.8, 1.0, 0.0], [0.0, 0.4, 0.0]])
    assert torch.equal(ranking_costs(gold, valid, COSTS), expected)


def test_ranking_loss_uses_the_best_gold_antecedent():
    scores = matrix([[0.0, 3.0, -5.0, 1.0]])
    gold = torch.tensor([[False, True, True, False]])
    assert ranking_loss(scores, gold, COSTS).item() == pytest.approx(0.0)


def test_allpairs_loss_is_bce_over_valid_columns():
    scores = matrix([[0.0, 1.0, NEG], [2.0, -1.0, 0.5]])
    gold = torch.tensor([[False, True, False], [True, False, False]])
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    row0 = bce(matrix([0.0, 1.0]), matrix([0.0, 1.0]), reduction="sum")
    row1 = bce(matrix([2.0, -1.0, 0.5]), matrix([1.0, 0.0, 0.0]), reduction="sum")
    assert allpairs_loss(scores, gold, COSTS).item() == pytest.approx(((row0 + row1) / 2).item(), rel=1e-5)


def test_toppairs_loss_takes_the_top_true_and_false_pairs():
    scores = matrix([[0.5, 1.0, 2.0, -3.0, 0.2], [1.0, NEG, NEG, NEG, NEG]])
    gold = torch.tensor([[False, True, False, True, False], [True, False, False, False, False]])
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    row0 = bce(matrix([0.5]), matrix([0.0])) + bce(matrix([1.0]), matrix([1.0])) + bce(matrix([2.0]), matrix([0.0]))
    row1 = bce(matrix([1.0]), matrix([1.0]))
    assert toppairs_loss(scores, gold, COSTS).item() == pytest.approx(((row0 + row1) / 2).item(), rel=1e-5)


def test_losses_have_gradients_only_on_valid_columns():
    scores = matrix([[0.3, 1.0, NEG]]).requires_grad_()
    gold = torch.tensor([[True, False, False]])
    for loss in (allpairs_loss, toppairs_loss, ranking_loss):
        scores.grad = None
        loss(scores, gold, COSTS).backward()
        assert torch.isfinite(scores.grad).all()
        assert scores.grad[0, 2] == 0


@pytest.mark.parametrize("loss", [allpairs_loss, toppairs_loss, ranking_loss])
def test_losses_weigh_each_mention_by_its_weight(loss):
    """`data.partial_weight`: a mention's loss counts its weight times (GAP's pronouns at 0.5, say)."""
    scores = matrix([[1.0, 0.5, 0.0], [0.0, 2.0, NEG]])
    gold = torch.tensor([[False, False, True], [True, False, False]])
    rows = [loss(scores[k : k + 1], gold[k : k + 1], COSTS).item() for k in range(2)]
    assert min(rows) > 0
    assert loss(scores, gold, COSTS, weights=torch.tensor([1.0, 1.0])).item() == pytest.approx(
        loss(scores, gold, COSTS).item()
    )
    weighted = loss(scores, gold, COSTS, weights=torch.tensor([1.0, 0.5])).item()
    assert weighted == pytest.approx((rows[0] + 0.5 * rows[1]) / 2, rel=1e-5)


# -- batching ----------------------------------------------------------------------------------------------


def toy_index():
    """Two documents: mentions 0-3 (pairs of every earlier mention) and 4-6 (max 1 back)."""
    pairs = [(a, m) for m in range(4) for a in range(m)] + [(4, 5), (5, 6)]
    ant = numpy.array([a for a, _ in pairs])
    ment = numpy.array([m for _, m in pairs])
    count = numpy.bincount(ment, minlength=7)
    first = numpy.concatenate([[0], numpy.cumsum(count)[:-1]])
    index = MentionIndex(first, count, ant)
    gold_pair = numpy.array([(a, m) in {(0, 2), (1, 3), (4, 5)} for a, m in pairs])
    return index, gold_pair, pairs


@pytest.mark.parametrize("max_pairs", [1, 3, 4, 6, 100])
def test_pack_respects_the_pair_limit(max_pairs):
    index, _, _ = toy_index()
    groups = pack(index.pair_count, max_pairs)
    assert sorted(numpy.concatenate(groups).tolist()) == list(range(7))
    for group in groups:
        padded = len(group) * max(1, index.pair_count[group].max())
        assert padded <= max_pairs or len(group) == 1
    counts = [index.pair_count[m] for g in groups for m in g]
    assert counts == sorted(counts)


def test_batch_masks_and_gold_columns():
    index, gold_pair, pairs = toy_index()
    batch = make_batch(index, numpy.array([3, 6, 0]), gold_pair)
    assert batch.mask.tolist() == [[True, True, True], [True, False, False], [False, False, False]]
    ment_rows = batch.rows[batch.ment]
    ant_rows = batch.rows[batch.ant]
    assert ment_rows.tolist() == [3, 6, 0]
    assert ant_rows[0].tolist() == [0, 1, 2]
    assert ant_rows[1, 0] == 5
    for b in range(3):
        for k in range(3):
            if batch.mask[b, k]:
                assert pairs[batch.pairs[b, k]] == (ant_rows[b, k], ment_rows[b])
    # mention 3 has its gold antecedent 1 (column 2); 6 and 0 have none (column 0)
    assert batch.gold.tolist() == [
        [False, False, True, False],
        [True, False, False, False],
        [True, False, False, False],
    ]
    assert batch.n_pairs == 4


# -- schedule ----------------------------------------------------------------------------------------------


def test_schedule_moves_on_after_patience_epochs_without_improvement():
    schedule = StageSchedule([("allpairs", 10, 2), ("toppairs", 3, 2), ("ranking", 10, 1)])
    events = []
    for score in [10, 12, 11, 11.5, 13, 14, 15, 20, 19]:
        name = schedule.name
        improved, ended = schedule.update(score)
        events.append((name, improved, ended))
        if schedule.done:
            break
    assert events == [
        ("allpairs", True, False),
        ("allpairs", True, False),
        ("allpairs", False, False),
        ("allpairs", False, True),
        ("toppairs", True, False),
        ("toppairs", True, False),
        ("toppairs", True, True),  # max_epochs
        ("ranking", True, False),
        ("ranking", False, True),
    ]
    assert schedule.done
    assert schedule.epochs == {"allpairs": 4, "toppairs": 3, "ranking": 2}


def test_schedule_state_round_trips():
    schedule = StageSchedule([("allpairs", 5, 2), ("ranking", 5, 2)])
    for score in (1, 2, 1):
        schedule.update(score)
    copy = StageSchedule([("allpairs", 5, 2), ("ranking", 5, 2)])
    copy.load_state_dict(schedule.state_dict())
    assert copy.update(0.5) == schedule.update(0.5) == (False, True)
    assert copy.name == schedule.name == "ranking"
