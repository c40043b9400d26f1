"""Distillation (training/distill.py): a teacher's cached scores are the ones its net computes, the loss
follows the teacher only where the teacher is right, and the trainer takes the term into its loss."""

from pathlib import Path

import numpy
import pytest

torch = pytest.importorskip("torch")

from training.distill import distill_settings, distillation_loss, load_teacher  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "train"
OVERRIDES = {"training.max_pairs": 120, "data.min_word_count": 1, "training.ema_decay": 0.0}


@pytest.fixture(scope="module")
def fixture_cache(tmp_path_factory):
    from training.featurize_corpus import FeatureCache, load_pipeline
    from training.train import load_config, prepare_caches

    cfg = load_config(overrides={"data.min_word_count": 1})
    out = tmp_path_factory.mktemp("cache")
    return FeatureCache.concat(prepare_caches([FIXTURES], out, load_pipeline(), cfg, progress=False))


@pytest.fixture(scope="module")
def teacher(fixture_cache, tmp_path_factory):
    """A model trained one epoch on the fixtures, exported as the runtime reads it."""
    from training.train import Trainer, load_config

    out = tmp_path_factory.mktemp("teacher")
    trainer = Trainer(load_config(overrides=OVERRIDES), fixture_cache, {}, out / "run", progress=False)
    trainer.train_epoch()
    trainer.exported().to_disk(out / "model")
    return trainer, out / "model"


def test_teacher_scores_are_the_scores_of_the_teachers_net(fixture_cache, teacher):
    trainer, path = teacher
    new, pair = load_teacher(path, fixture_cache)
    assert new.shape == (fixture_cache.n_mentions,) and pair.shape == (len(fixture_cache.arrays["pair_ant"]),)
    trainer.model.eval()
    with torch.no_grad():
        for batch in trainer.batcher.epoch(0):
            inputs, _ = trainer.batcher.tensors(batch)
            net = trainer.model(**inputs).numpy()
            cached = trainer.batcher.per_column(batch, new, pair).numpy()
            valid = numpy.isfinite(net)
            # the exported file stores the word vectors as float16
            numpy.testing.assert_allclose(cached[valid], net[valid], atol=0.02)


def test_a_teacher_of_another_pipeline_is_refused(fixture_cache, teacher, monkeypatch):
    from neuralcoref.model_io import CorefModel

    model = CorefModel.from_disk(teacher[1])
    monkeypatch.setitem(model.meta, "tensor_width", model.tensor_width + 1)
    monkeypatch.setattr(CorefModel, "from_disk", classmethod(lambda cls, path: model))
    with pytest.raises(ValueError, match="doc.tensor"):
        load_teacher(teacher[1], fixture_cache)


def test_loss_follows_the_teacher_only_where_its_best_column_is_gold():
    inf = float("inf")
    student = torch.tensor([[0.0, 0.0, -inf], [0.0, 0.0, 0.0]], requires_grad=True)
    teacher = torch.tensor([[0.0, 3.0, 0.0], [0.0, 3.0, 0.0]])
    gold = torch.tensor([[False, True, False], [True, False, False]])
    per_mention = distillation_loss(student, teacher, gold, temperature=0.5)
    assert torch.isfinite(per_mention).all()  # padding (-inf) is no column
    assert per_mention[0] > 0 and per_mention[1] == 0  # the second teacher prefers a wrong column
    per_mention.sum().backward()
    # the student's score of the teacher's column rises, the padding gets no gradient
    assert student.grad[0, 1] < 0 and student.grad[0, 0] > 0 and student.grad[0, 2] == 0
    assert torch.equal(student.grad[1], torch.zeros(3))


def test_trainer_adds_the_distillation_term(tmp_path, fixture_cache, teacher):
    from training.train import Trainer, load_config

    losses = {}
    for name, extra in {"plain": {}, "distilled": {"training.distill_from": str(teacher[1])}}.items():
        trainer = Trainer(
            load_config(overrides={**OVERRIDES, **extra}), fixture_cache, {}, tmp_path / name, progress=False
        )
        losses[name] = trainer.train_epoch()["loss"]
    # the same seed and batches: the difference is the (non-negative) cross-entropy term
    assert numpy.isfinite(losses["distilled"]) and losses["distilled"] > losses["plain"]


@pytest.mark.parametrize(
    "settings",
    [{"distill_weight": -1}, {"distill_temperature": 0}, {"distill_temperature": "0.5"}, {"distill_weight": True}],
)
def test_bad_distillation_settings_are_refused(settings):
    with pytest.raises(ValueError, match="training.distill_"):
        distill_settings(settings)
    assert distill_settings({}) == (2.0, 0.5)


def test_a_missing_teacher_is_refused_before_featurizing(tmp_path, monkeypatch):
    from training import train as train_module

    monkeypatch.setattr(train_module, "prepare_caches", lambda *a, **k: pytest.fail("featurized"))
    with pytest.raises(FileNotFoundError, match="distill_from"):
        train_module.train(
            [FIXTURES], [], tmp_path / "out", overrides={"training.distill_from": str(tmp_path / "none")}, nlp=object()
        )
