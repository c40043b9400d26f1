"""No memory growth over many documents in one process (issue 7).

bin/check-memory does the measuring; the slow test runs its 10,000-document check through the whole
pipeline, the quick one 1,000 parsed Docs through the component alone with a looser bound (RSS moves
in allocator-sized steps, so small runs need slack). Numbers from full runs: docs/robustness.md.
"""

import importlib.machinery
import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")


def _load_check_memory():
    loader = importlib.machinery.SourceFileLoader("neuralcoref_check_memory", str(ROOT / "bin" / "check-memory"))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


CHECK = _load_check_memory()


def test_component_memory_is_flat():
    result = CHECK.measure(n_docs=1000, mode="component", warmup=200, every=250, log=lambda *_: None)
    assert result["strings_end"] == result["strings_after_warmup"]  # the vocabulary stopped growing
    assert result["growth_mb"] < 8, result


@pytest.mark.slow
def test_pipeline_memory_over_10000_documents():
    result = CHECK.measure(n_docs=10000, mode="pipeline", log=print)
    print(result)
    assert result["growth_mb"] < 20, result
    assert result["second_half_mb_per_1000_docs"] < 1.0, result


@pytest.mark.slow
def test_component_memory_over_10000_documents():
    result = CHECK.measure(n_docs=10000, mode="component", log=print)
    print(result)
    assert result["growth_mb"] < 10, result
    assert result["second_half_mb_per_1000_docs"] < 0.5, result
