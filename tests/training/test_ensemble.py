"""`python -m training ensemble`: one model whose scores are exactly the mean of its members' scores."""

import numpy
import pytest

from neuralcoref.component import DATA_KEY
from neuralcoref.features import MENTION_FEATS_WIDTH_PY as MENTION_FEATS_WIDTH
from neuralcoref.features import PAIR_FEATS_WIDTH_PY as PAIR_FEATS_WIDTH
from neuralcoref.model_io import CorefModel
from neuralcoref.scorer import Linear, Scorer
from neuralcoref.testing import random_model
from training.__main__ import main
from training.ensemble import ensemble_models

TENSOR_WIDTH = 8
WORDS = ("dog", "sister", "she", "he", "loves")


def members(n: int, shared_table: bool = False, **sizes) -> list:
    sizes = {"tensor_width": TENSOR_WIDTH, **sizes}
    models = [random_model(words=WORDS, seed=seed, **sizes) for seed in range(n)]
    if shared_table:
        for model in models[1:]:
            model.weights["embed"] = models[0].weights["embed"].copy()
    return models


def scores(model: CorefModel, seed: int = 0):
    """(single, pair) scores of the numpy runtime scorer on random mentions and all their pairs."""
    rng = numpy.random.default_rng(seed)
    n = 9
    rows = rng.integers(0, len(WORDS) + 2, size=(n, 8)).astype("int32")
    tensor = rng.standard_normal((n, 4 * TENSOR_WIDTH)).astype("float32")
    dense = (rng.random((n, MENTION_FEATS_WIDTH)) < 0.3).astype("float32")
    ant, ment = numpy.array([(a, m) for m in range(n) for a in range(m)], dtype="int32").T
    pair_feats = (rng.random((len(ant), PAIR_FEATS_WIDTH)) < 0.3).astype("float32")
    scorer = Scorer(model.weights)
    encoded = scorer.encode(rows, tensor, dense)
    return scorer.single_scores(encoded), scorer.pair_scores(*scorer.pair_projections(encoded), ant, ment, pair_feats)


@pytest.mark.parametrize(
    "n,shared_table,sizes",
    [
        (2, False, {}),  # different embedding tables: put side by side
        (2, True, {"bilinear_width": 4}),  # one shared table; the bilinear term
        (3, False, {"bilinear_width": 4, "pair_hidden": (8, 6), "single_hidden": (8, 4)}),  # deeper nets
        (2, True, {"similarity_width": 4}),  # the similarity term
    ],
)
def test_ensemble_scores_are_the_mean_of_its_members_scores(n, shared_table, sizes):
    models = members(n, shared_table, **sizes)
    for seed, model in enumerate(models):
        model.meta.update(training={"seed": seed}, scores={"ontogum_dev": 50.0 + seed})
    combined = ensemble_models(models)
    single, pair = scores(combined)
    expected_single = numpy.mean([scores(m)[0] for m in models], axis=0)
    expected_pair = numpy.mean([scores(m)[1] for m in models], axis=0)
    numpy.testing.assert_allclose(single, expected_single, rtol=1e-4, atol=1e-4)
    numpy.testing.assert_allclose(pair, expected_pair, rtol=1e-4, atol=1e-4)
    assert combined.meta["encoder_width"] == sum(m.meta["encoder_width"] for m in models)
    assert combined.meta["embed_dim"] == (16 if shared_table else 16 * n)
    assert combined.meta["ensemble_of"] == [{"seed": seed} for seed in range(n)]
    assert "scores" not in combined.meta and "training" not in combined.meta  # the members' own, not its


def test_component_scores_with_an_ensemble_are_the_mean_of_its_members(tmp_path, en_nlp_base):
    """Through the component (its fused C pair scorer, mention extraction, stored scores)."""
    models = members(2, bilinear_width=4, tensor_width=96)  # en_core_web_sm's doc.tensor width
    paths = []
    for k, model in enumerate(models):
        model.to_disk(tmp_path / f"member{k}")
        paths.append(str(tmp_path / f"member{k}"))
    assert main(["ensemble", "--model", paths[0], "--model", paths[1], "--out", str(tmp_path / "ensemble")]) == 0
    text = "My sister has a dog. She loves him. He loves her too, and the dog sleeps."

    def stored(model_dir):
        # created, not added: the shared pipeline stays as it is
        coref = en_nlp_base.create_pipe("neuralcoref", config={"model": model_dir, "store_scores": True})
        return coref(en_nlp_base(text)).user_data[DATA_KEY]["scores"]

    ensemble, first, second = stored(str(tmp_path / "ensemble")), stored(paths[0]), stored(paths[1])
    assert len(ensemble["pair"]) > 10
    numpy.testing.assert_array_equal(ensemble["ant"], first["ant"])
    numpy.testing.assert_allclose(ensemble["pair"], (first["pair"] + second["pair"]) / 2, atol=1e-4)
    numpy.testing.assert_allclose(ensemble["single"], (first["single"] + second["single"]) / 2, atol=1e-4)


def test_ensemble_refuses_models_that_cannot_be_combined():
    with pytest.raises(ValueError, match="two or more"):
        ensemble_models(members(1))
    other_words = random_model(words=("cat", "mat"), tensor_width=TENSOR_WIDTH)
    with pytest.raises(ValueError, match="vocabulary"):
        ensemble_models([members(1)[0], other_words])
    other_width = random_model(words=WORDS, tensor_width=TENSOR_WIDTH * 2)
    with pytest.raises(ValueError, match="tensor_width"):
        ensemble_models([members(1)[0], other_width])
    with pytest.raises(ValueError, match="bi_ant"):
        ensemble_models([members(1)[0], members(1, bilinear_width=4)[0]])


def test_ensemble_layers_are_computed_block_by_block():
    """The runtime skips the zeros of the stacked layers (each member reads its own units) and gets the
    dense product's numbers; a single model's layers stay one dense product."""
    combined = Scorer(ensemble_models(members(3, bilinear_width=4)).weights)
    single = Scorer(members(1, bilinear_width=4)[0].weights)
    for layer in (combined._encoder, combined._single[0], combined._as_antecedent, combined._as_mention):
        assert layer.blocks is not None
    assert combined._encoder.common is not None  # the tensor and dense columns every member reads
    for layer in (single._encoder, single._single[0], single._as_antecedent, single._as_mention):
        assert layer.blocks is None
    x = numpy.random.default_rng(0).standard_normal((7, combined._encoder.in_width)).astype("float32")
    W, b = combined.weights["enc.W"], combined.weights["enc.b"]
    numpy.testing.assert_allclose(combined._encoder(x), x @ W.T + b, rtol=1e-5, atol=1e-5)


def test_block_products_match_the_dense_product():
    rng = numpy.random.default_rng(1)
    W = numpy.zeros((6, 9), dtype="float32")
    W[:2, :3] = rng.standard_normal((2, 3))  # rows 0-1 read columns 0-2
    W[2:4, 3:5] = rng.standard_normal((2, 2))  # rows 2-3 read columns 3-4
    W[4:, 5:7] = rng.standard_normal((2, 2))  # rows 4-5 read columns 5-6 ...
    W[:, 7:] = rng.standard_normal((6, 2))  # ... and every row reads columns 7-8
    b = rng.standard_normal(6).astype("float32")
    layer = Linear(W, b)
    assert layer.blocks is not None and layer.common is not None
    x = rng.standard_normal((5, 9)).astype("float32")
    numpy.testing.assert_allclose(layer(x), x @ W.T + b, rtol=1e-6, atol=1e-6)
    rows_in_any_order = W[[0, 2, 4, 1, 3, 5]]  # a group's rows need not be consecutive
    numpy.testing.assert_allclose(Linear(rows_in_any_order)(x), x @ rows_in_any_order.T, rtol=1e-6, atol=1e-6)
