"""The runtime's fast paths give what the reference paths give (docs/performance.md).

- the fused nogil pair scorer (`resolution.Linker.score_and_link`) against candidate_pairs + pair_features
  + the numpy `Scorer.pair_scores` + `best_antecedents`, and against the trainer's cached-feature path
  (`Linker.link_cached`, bit for bit);
- its AVX2, 128-bit-vector and plain-C variants against each other (bit for bit);
- the C-built SpanGroups against `SpanGroup(doc, spans=[doc[s:e], ...])`;
- the cached per-token grammar codes against a per-token lookup;
- the Span/Token getters' index against a scan of every cluster.
"""

import numpy
import pytest
from spacy.tokens import SpanGroup

from neuralcoref.features import candidate_pairs, count_pairs, pair_features
from neuralcoref.featurize import Featurizer, _grammar_codes
from neuralcoref.lang.en import RULES
from neuralcoref.resolution import Linker, LinkSettings, PairWeights, best_antecedents, simd
from neuralcoref.resolver import CorefResolver
from neuralcoref.testing import random_model


TEXT = (
    "My sister has a dog. She loves him. I told you that the dog is hers. "
    "Angela lives in Boston. She is quite happy in that city, and her brother visits her there. "
    "John, Mary and Paul went to Paris, the capital of France. They loved it and its food. "
) * 6


@pytest.fixture(scope="module")
def doc(en_nlp_base):
    return en_nlp_base(TEXT)


def _resolver(**sizes):
    words = ["dog", "sister", "she", "he", "her", "it", "boston", "paris", "they", "city"]
    return CorefResolver(random_model(words=words, seed=3, **sizes), greedyness=0.6, blacklist=False)


@pytest.mark.parametrize("bilinear_width", [0, 6])
def test_fused_scorer_matches_numpy_path(doc, bilinear_width):
    resolver = _resolver(
        embed_dim=8, encoder_width=32, single_hidden=(16,), pair_hidden=(16,), bilinear_width=bilinear_width
    )
    assert resolver.scorer.fused_pair_weights()[-1] == bilinear_width
    fast = resolver.predict(doc, store_scores=True)
    resolver.scorer._fused = None  # force the numpy path (the one multi-layer pair nets take)
    reference = resolver.predict(doc, store_scores=True)
    assert fast.clusters == reference.clusters and len(fast.clusters) > 0
    numpy.testing.assert_array_equal(fast.antecedents, reference.antecedents)
    numpy.testing.assert_array_equal(fast.single_scores, reference.single_scores)
    for key in ("ant", "ment"):
        numpy.testing.assert_array_equal(fast.pairs[key], reference.pairs[key])
    numpy.testing.assert_allclose(fast.pairs["score"], reference.pairs["score"], rtol=1e-5, atol=1e-5)
    numpy.testing.assert_array_equal(numpy.concatenate(fast.clusters), fast.cluster_members)


def test_similarity_term_runs_through_the_numpy_path(doc):
    """A model with the similarity term (meta similarity_width > 0) is scored by the numpy path; its
    pair scores are the numpy formula's, and the term changes them (it is not a silent no-op)."""
    resolver = _resolver(embed_dim=8, encoder_width=32, single_hidden=(16,), pair_hidden=(16,), similarity_width=6)
    assert resolver.scorer.fused_pair_weights() is None and resolver.scorer.similarity_width == 6
    prediction = resolver.predict(doc, store_scores=True)
    assert len(prediction.pairs["ant"]) > 0
    weights = resolver.scorer.weights
    encoded = resolver.scorer.encode(*_encoder_inputs(resolver, doc))
    ant, ment = prediction.pairs["ant"], prediction.pairs["ment"]
    similarity = (
        (encoded[ant] @ weights["pair.sim_ant.W"].T)
        * (encoded[ment] @ weights["pair.sim_ment.W"].T)
        @ weights["pair.sim.W"].T
    )
    assert numpy.abs(similarity).max() > 1e-3
    feats = pair_features(doc, resolver.featurizer.mentions(doc), ant, ment, resolver.featurizer.pair_rules)
    h = numpy.maximum(
        encoded[ant] @ weights["pair.ant.W"].T
        + encoded[ment] @ weights["pair.ment.W"].T
        + feats @ weights["pair.feat.W"].T
        + weights["pair.0.b"]
        + similarity,
        0,
    )
    expected = h @ weights["pair.out.W"][0] + weights["pair.out.b"][0]
    numpy.testing.assert_allclose(prediction.pairs["score"], expected, rtol=1e-4, atol=1e-4)


def _encoder_inputs(resolver, doc):
    mentions = resolver.featurizer.mentions(doc)
    word_hashes, tensor_feats, mention_feats = resolver._features(doc, mentions)
    return resolver.word_table.lookup(word_hashes), tensor_feats, mention_feats


def test_multi_layer_pair_net_runs(doc):
    prediction = _resolver(embed_dim=8, encoder_width=32, single_hidden=(16, 8), pair_hidden=(16, 8)).predict(doc)
    assert len(prediction.starts) > 0 and prediction.pairs is None


@pytest.mark.parametrize("width,bilinear_width", [(16, 0), (20, 0), (5, 0), (16, 12), (8, 3)])
def test_simd_variants_give_the_same_bits(doc, width, bilinear_width):
    """Every instruction set gives the same bits, with and without the bilinear term (whose
    projections are the last `bilinear_width` columns of each projection row)."""
    featurizer = Featurizer(RULES)
    mentions = featurizer.mentions(doc)
    n = len(mentions)
    rng = numpy.random.default_rng(width)
    as_ant, as_ment = (rng.standard_normal((n, width + bilinear_width)).astype("float32") for _ in range(2))
    feat_weights = rng.standard_normal(
        (
            pair_features(doc, mentions, numpy.zeros(1, "int32"), numpy.ones(1, "int32"), featurizer.pair_rules).shape[
                1
            ],
            width,
        )
    ).astype("float32")
    bias, out_weights = rng.standard_normal(width).astype("float32"), rng.standard_normal(width).astype("float32")
    single = rng.standard_normal(n).astype("float32")
    total = count_pairs(mentions, 0, n, 5, 20, True)
    ant, ment = candidate_pairs(mentions, 0, n, 5, 20, True)
    assert total == len(ant)
    feats = pair_features(doc, mentions, ant, ment, featurizer.pair_rules)
    weights = PairWeights(feat_weights, bias, out_weights, 0.25, bilinear_width)
    best_level = simd()
    outputs = {}
    try:
        for level in range(best_level + 1):
            simd(level)
            linker = Linker(LinkSettings(0.0, 5, 20, True), single)
            out = (numpy.empty(total, "int32"), numpy.empty(total, "int32"), numpy.empty(total, "float32"))
            assert (
                linker.score_and_link(doc, mentions, featurizer.pair_rules, weights, 0, n, 0, as_ant, as_ment, *out)
                == total
            )
            outputs[level] = (linker.antecedents, out)
            cached = Linker(LinkSettings(0.0, 5, 20, True), single)  # the trainer's path: cached 0/1 features
            cached_scores = numpy.empty(total, "float32")
            cached.link_cached(weights, ant, ment, feats.astype("uint8"), 0, as_ant, 0, as_ment, cached_scores)
            numpy.testing.assert_array_equal(cached_scores, out[2])
            numpy.testing.assert_array_equal(cached.antecedents, linker.antecedents)
    finally:
        simd(best_level)
    for best, out in outputs.values():
        numpy.testing.assert_array_equal(out[0], ant)
        numpy.testing.assert_array_equal(out[1], ment)
        numpy.testing.assert_array_equal(out[2], outputs[0][1][2])  # bit for bit
        numpy.testing.assert_array_equal(best, outputs[0][0])
    # and against the dense computation
    h = numpy.maximum(as_ant[ant, :width] + as_ment[ment, :width] + feats @ feat_weights + bias, 0)
    bilinear = (as_ant[ant, width:] * as_ment[ment, width:]).sum(axis=1)
    numpy.testing.assert_allclose(outputs[0][1][2], h @ out_weights + 0.25 + bilinear, rtol=1e-4, atol=1e-4)
    reference_best = numpy.full(n, -1, "int32")
    best_antecedents(ant, ment, outputs[0][1][2], single, reference_best, numpy.zeros(n, "float32"), 0.0)
    numpy.testing.assert_array_equal(outputs[0][0], reference_best)


def test_score_and_link_checks_its_output_size(doc):
    featurizer = Featurizer(RULES)
    mentions = featurizer.mentions(doc)
    n, width = len(mentions), 8
    zeros = numpy.zeros((n, width), "float32")
    small = (numpy.empty(3, "int32"), numpy.empty(3, "int32"), numpy.empty(3, "float32"))
    n_feats = pair_features(
        doc, mentions, numpy.zeros(1, "int32"), numpy.ones(1, "int32"), featurizer.pair_rules
    ).shape[1]
    weights = PairWeights(
        numpy.zeros((n_feats, width), "float32"), numpy.zeros(width, "float32"), numpy.zeros(width, "float32"), 0.0
    )
    linker = Linker(LinkSettings(0.0, 50, 500, False), numpy.zeros(n, "float32"))
    with pytest.raises(ValueError, match="hold 3 pairs"):
        linker.score_and_link(doc, mentions, featurizer.pair_rules, weights, 0, n, 0, zeros, zeros, *small)
    with pytest.raises(ValueError, match="wide"):
        linker.score_and_link(
            doc, mentions, featurizer.pair_rules, weights, 0, n, 0, numpy.zeros((n, 4), "float32"), zeros
        )
    with pytest.raises(ValueError, match="differ in width"):
        PairWeights(
            numpy.zeros((n_feats, width), "float32"),
            numpy.zeros(width, "float32"),
            numpy.zeros(width + 1, "float32"),
            0.0,
        )
    with pytest.raises(ValueError, match="do not cover"):
        linker.link_cached(
            weights,
            numpy.array([0], "int32"),
            numpy.array([n - 1], "int32"),
            numpy.zeros((1, n_feats), "uint8"),
            1,
            zeros,
            0,
            zeros,
        )


def test_span_groups_match_spacy(make_nlp):
    nlp = make_nlp(greedyness=0.8, blacklist=False)
    doc = nlp(TEXT)
    groups = [(k, g) for k, g in doc.spans.items() if k.startswith("coref_clusters_")]
    assert groups
    for name, group in groups:
        reference = SpanGroup(doc, name=name, spans=[doc[s.start : s.end] for s in group])
        assert group.to_bytes() == reference.to_bytes()
        assert [(s.start_char, s.end_char, s.text) for s in group] == [
            (s.start_char, s.end_char, s.text) for s in reference
        ]


def test_token_grammar_matches_a_per_token_lookup(doc):
    featurizer = Featurizer(RULES)
    for _ in range(2):  # cold and warm cache
        gender, number, person = featurizer.token_grammar(doc)
        lexicon = {doc.vocab.strings.add(w): v for w, v in RULES.grammar_lexicon().items()}
        expected = [_grammar_codes(str(t.morph), lexicon.get(t.lower)) for t in doc]
        assert list(zip(gender.tolist(), number.tolist(), person.tolist())) == expected


def test_getters_match_a_scan(make_nlp):
    nlp = make_nlp(greedyness=0.8, blacklist=False)
    doc = nlp(TEXT)
    clusters = doc._.coref_clusters
    assert clusters
    for token in doc:
        expected = [c for c in clusters if any(m.start <= token.i < m.end for m in c.mentions)]
        assert token._.coref_clusters == expected
        assert token._.in_coref == bool(expected)
    data = doc.user_data["neuralcoref"]
    for k, (start, end) in enumerate(data["mentions"].tolist()):
        span = doc[start:end]
        expected = next((c for c in clusters if any((m.start, m.end) == (start, end) for m in c.mentions)), None)
        assert span._.coref_cluster == expected and span._.is_coref == (expected is not None)
        scores = span._.coref_scores
        pairs = [
            (a, s)
            for a, m, s in zip(
                data["scores"]["ant"].tolist(), data["scores"]["ment"].tolist(), data["scores"]["pair"].tolist()
            )
            if m == k
        ]
        assert list(scores.items()) == [(span, data["scores"]["single"][k].item())] + [
            (doc[data["mentions"][a][0] : data["mentions"][a][1]], s) for a, s in pairs
        ]
    assert doc[0:0]._.coref_scores is None


@pytest.mark.parametrize("block", [2048, 16])
def test_pipe_batches_docs_like_single_calls(make_nlp, monkeypatch, block):
    import neuralcoref.linking
    import neuralcoref.resolver

    monkeypatch.setattr(neuralcoref.resolver, "MENTION_BLOCK", block)  # 16: groups, splits and long Docs
    monkeypatch.setattr(neuralcoref.linking, "MENTION_BLOCK", block)  # and scoring blocks
    nlp = make_nlp(greedyness=0.8, blacklist=False)
    texts = [
        "",
        "it",
        "My sister has a dog. She loves him.",
        " ",
        TEXT[:400],
        TEXT,
        "John met Mary. He liked her.",
        "The cat sat. It purred.",
    ] * 2
    single = [nlp(t) for t in texts]
    piped = list(nlp.pipe(texts, batch_size=5))
    for a, b in zip(single, piped):
        assert [[(m.start, m.end) for m in c] for c in a._.coref_clusters] == [
            [(m.start, m.end) for m in c] for c in b._.coref_clusters
        ]
        assert sorted(a.spans) == sorted(b.spans)
        da, db = a.user_data["neuralcoref"], b.user_data["neuralcoref"]
        if "scores" in da:
            numpy.testing.assert_array_equal(da["scores"]["ant"], db["scores"]["ant"])
            numpy.testing.assert_allclose(da["scores"]["pair"], db["scores"]["pair"], rtol=1e-4, atol=1e-4)
