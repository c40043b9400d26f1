"""Every shipped model is what its documented config produces: the training config recorded in the model
file is the config file's, value for value (the English fallback: the same, with the tensor inputs
zeroed, as docs/training.md's fallback command sets). A config changed without retraining the
shipped model, or a model shipped from another recipe, fails here."""

from pathlib import Path

import pytest

from neuralcoref.model_io import CorefModel

ROOT = Path(__file__).parent.parent
train = pytest.importorskip("training.train")


def recorded_and_documented(model: CorefModel, lang: str, overrides: dict | None = None):
    documented = train.load_config(ROOT / "training" / "configs" / f"{lang}.cfg", overrides)
    return model.meta["training"]["config"], documented


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_shipped_model_was_trained_with_its_config_file(lang):
    model = CorefModel.from_disk(ROOT / "neuralcoref" / "models" / lang)
    recorded, documented = recorded_and_documented(model, lang)
    assert recorded == documented
    assert recorded["training"]["seed"] == 0


def test_english_fallback_is_the_config_without_tensor_inputs():
    model = CorefModel.from_disk(ROOT / "neuralcoref" / "models" / "en")
    assert model.fallback is not None
    recorded, documented = recorded_and_documented(model.fallback, "en", {"model.zero_groups": ["tensor"]})
    assert recorded == documented
