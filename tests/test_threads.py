"""One `nlp` object used from 4 threads at once gives the results of sequential use (issue 7).

The extractor, the features and the fused pair scorer run without the GIL; their scratch memory must
be per call (no buffer shared between calls of one component). The tests interleave threads as much
as they can: a barrier starts them together, a tiny switch interval makes the GIL change hands often,
and long Docs keep several threads inside the nogil loops at the same time.
"""

import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy
import pytest
from spacy.tokens import Doc

from neuralcoref.featurize import Featurizer
from neuralcoref.features import candidate_pairs, mention_features, pair_features
from neuralcoref.lang.en import RULES


N_THREADS = 4
TEXTS = [
    "My sister has a dog. She loves him. I told you that the dog is hers.",
    "Angela lives in Boston. She is quite happy in that city, and her brother visits her there.",
    "John, Mary and Paul went to Paris, the capital of France. They loved it and its food.",
    '"I will call you," Anna told Ben. "You said that before," he replied, and she laughed at him.',
    "The company said its profit rose. It expects the trend to continue, the CEO of the firm said.",
    "",
    "it",
    "Dr. Smith met Mrs. Smith at 5 p.m. She gave him her card; he gave her his.",
]
# long documents: the nogil loops run long enough for threads to overlap inside them
LONG = [" ".join(TEXTS[k % 5] for k in range(start, start + 40)) for start in range(4)]


@pytest.fixture(scope="module")
def nlp(make_nlp):
    return make_nlp(greedyness=0.7, blacklist=False)


@pytest.fixture()
def fast_switching():
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


def plain(value):
    """Nested containers and arrays as lists, for exact comparison."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, numpy.ndarray):
        return value.tolist()
    return value


def summary(doc):
    """Everything the component produced, as plain data (exact floats)."""
    data = doc.user_data["neuralcoref"]
    return (
        doc.text,
        plain(data),
        doc._.coref_resolved,
        [(k, [(s.start, s.end) for s in g]) for k, g in doc.spans.items()],
    )


def run_threads(function, items):
    """function(item) for every item, from N_THREADS threads started together; results in item order."""
    barrier = threading.Barrier(N_THREADS)

    def worker(chunk):
        barrier.wait()
        return [(k, function(item)) for k, item in chunk]

    indexed = list(enumerate(items))
    chunks = [indexed[t::N_THREADS] for t in range(N_THREADS)]
    with ThreadPoolExecutor(N_THREADS) as pool:
        done = [r for rs in pool.map(worker, chunks) for r in rs]
    return [r for _, r in sorted(done, key=lambda kr: kr[0])]


def test_nlp_from_threads_matches_sequential(nlp, fast_switching):
    texts = TEXTS + LONG[:2] + TEXTS[::-1]
    expected = [summary(nlp(text)) for text in texts]
    assert run_threads(lambda text: summary(nlp(text)), texts) == expected


def test_component_from_threads_matches_sequential(nlp, fast_switching):
    """The component alone on parsed copies of the same Docs: all four threads in the same long Docs."""
    component = nlp.get_pipe("neuralcoref")
    with nlp.select_pipes(disable=["neuralcoref"]):
        parsed = [doc.to_bytes() for doc in nlp.pipe(LONG + TEXTS)]

    def run(data):
        return summary(component(Doc(nlp.vocab).from_bytes(data)))

    expected = [run(data) for data in parsed]
    items = [data for data in parsed for _ in range(N_THREADS)]  # each Doc N_THREADS times, in a row
    results = run_threads(run, items)
    for k, result in enumerate(results):
        assert result == expected[k // N_THREADS]


def test_featurizer_from_threads_matches_sequential(nlp, fast_switching):
    """Mentions, mention features, pairs and pair features: one Featurizer, four threads."""
    featurizer = Featurizer(RULES)
    with nlp.select_pipes(disable=["neuralcoref"]):
        docs = list(nlp.pipe(LONG))

    def run(doc):
        mentions = featurizer.mentions(doc)
        words, tensor, dense = mention_features(doc, mentions, doc.tensor)
        ant, ment = candidate_pairs(mentions, 0, len(mentions), 50, 500, True)
        feats = pair_features(doc, mentions, ant, ment, featurizer.pair_rules)
        return [
            numpy.asarray(a)
            for a in (mentions.columns()["start"], mentions.columns()["end"], words, tensor, dense, ant, ment, feats)
        ]

    expected = [run(doc) for doc in docs]
    results = run_threads(run, [doc for doc in docs for _ in range(N_THREADS)])
    for k, result in enumerate(results):
        want = expected[(k % (len(docs) * N_THREADS)) // N_THREADS]
        assert all(numpy.array_equal(a, b) for a, b in zip(result, want))
