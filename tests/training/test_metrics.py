"""Coreference metrics against values computed by hand, and corpus pooling against scorch."""

import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scorch import scores

from training.metrics import (
    StrataError,
    bootstrap_interval,
    clusters_to_mention_ids,
    coref_scores,
    corpus_counts,
    corpus_scores,
    drop_singletons,
    lea,
    paired_bootstrap,
    scores_from_counts,
)

# The running example of Moosavi & Strube (2016), section 4.
KEY = [{"a", "b", "c"}, {"d", "e", "f", "g"}]
RESPONSE = [{"a", "b"}, {"c", "d"}, {"f", "g", "h", "i"}]


def test_muc_by_hand():
    # Recall: {a,b,c} is split in 2 parts (3-2), {d,e,f,g} in 3 ({d}, {e}, {f,g}): (1 + 1) / (2 + 3).
    # Precision: {a,b} 1 part, {c,d} 2, {f,g,h,i} 3 ({f,g}, {h}, {i}): (1 + 0 + 1) / (1 + 1 + 3).
    muc = coref_scores(KEY, RESPONSE)["muc"]
    assert muc == pytest.approx({"p": 40.0, "r": 40.0, "f": 40.0})


def test_b_cubed_by_hand():
    # Recall per key mention: a, b 2/3; c 1/3; d 1/4; e 0 (not in the response); f, g 2/4.
    # Precision per response mention: a, b 1; c, d 1/2; f, g 2/4; h, i 0.
    recall, precision = (2 / 3 + 2 / 3 + 1 / 3 + 1 / 4 + 0 + 1 / 2 + 1 / 2) / 7, 4 / 8
    b3 = coref_scores(KEY, RESPONSE)["b3"]
    assert b3 == pytest.approx(
        {"p": 100 * precision, "r": 100 * recall, "f": 100 * 2 * precision * recall / (precision + recall)}
    )


def test_ceaf_e_by_hand():
    # phi4 similarities: ({a,b,c}, {a,b}) 4/5, ({d,e,f,g}, {f,g,h,i}) 4/8 is the best alignment: 1.3.
    ceafe = coref_scores(KEY, RESPONSE)["ceafe"]
    recall, precision = 1.3 / 2, 1.3 / 3
    assert ceafe == pytest.approx(
        {"p": 100 * precision, "r": 100 * recall, "f": 100 * 2 * precision * recall / (precision + recall)}
    )


def test_lea_worked_example_from_the_paper():
    recall, precision, f1 = lea(KEY, RESPONSE)
    # Recall: {a,b,c} has 3 links, 1 found; {d,e,f,g} has 6, 1 found: (3 * 1/3 + 4 * 1/6) / 7.
    assert recall == pytest.approx((3 * (1 / 3) + 4 * (1 / 6)) / 7)
    assert recall == pytest.approx(0.238, abs=1e-3)
    # Precision: {a,b} 1/1, {c,d} 0/1, {f,g,h,i} 1/6: (2 * 1 + 2 * 0 + 4 * 1/6) / 8.
    assert precision == pytest.approx((2 * 1 + 2 * 0 + 4 * (1 / 6)) / 8)
    assert precision == pytest.approx(0.333, abs=1e-3)
    assert f1 == pytest.approx(2 * precision * recall / (precision + recall))


def test_lea_singletons_have_a_self_link():
    # {a} is resolved only if a is a singleton in the response too.
    recall, precision, _ = lea([{"a"}, {"b", "c"}], [{"a", "b", "c"}])
    assert recall == pytest.approx((1 * 0 + 2 * 1) / 3)
    assert precision == pytest.approx(3 * (1 / 3) / 3)
    assert lea([{"a"}, {"b", "c"}], [{"a"}, {"b", "c"}]) == pytest.approx((1.0, 1.0, 1.0))


def test_conll_f1_is_the_mean_of_muc_b3_ceafe():
    result = coref_scores(KEY, RESPONSE)
    assert result["conll_f1"] == pytest.approx(sum(result[name]["f"] for name in ("muc", "b3", "ceafe")) / 3)
    assert result["lea"]["r"] == pytest.approx(100 * 5 / 21)


@pytest.mark.parametrize("key", [KEY, [{"a"}, {"b", "c"}, {"d", "e", "f"}]])
def test_identical_clusters_score_100(key):
    result = coref_scores(key, key)
    for name in ("muc", "b3", "ceafe", "lea"):
        assert result[name] == pytest.approx({"p": 100.0, "r": 100.0, "f": 100.0})
    assert result["conll_f1"] == pytest.approx(100.0)


def test_empty_response_has_zero_recall():
    result = coref_scores(KEY, [])
    for name in ("muc", "b3", "ceafe", "lea"):
        assert result[name] == {"p": 0.0, "r": 0.0, "f": 0.0}


def test_empty_key_does_not_crash():
    result = coref_scores([], RESPONSE)
    assert result["conll_f1"] == 0.0
    assert coref_scores([], [])["lea"] == {"p": 0.0, "r": 0.0, "f": 0.0}


def test_helpers():
    assert clusters_to_mention_ids("d1", [[(0, 1), (3, 5)]]) == [{("d1", 0, 1), ("d1", 3, 5)}]
    assert drop_singletons([[(0, 1)], [(0, 1), (3, 5)]]) == [[(0, 1), (3, 5)]]


def test_corpus_scores_keep_documents_apart():
    # Both documents use the same spans; only the doc id keeps their mentions distinct.
    perfect = ("d1", [[(0, 1), (2, 3)]], [[(0, 1), (2, 3)]])
    missed = ("d2", [[(0, 1), (2, 3)]], [[(0, 1)], [(2, 3)]])
    assert corpus_scores([perfect, missed])["muc"] == pytest.approx({"p": 100.0, "r": 50.0, "f": 200 / 3})


def test_corpus_scores_can_drop_gold_singletons():
    documents = [("d1", [[(0, 1)], [(2, 3), (4, 5)]], [[(2, 3), (4, 5)]])]
    assert corpus_scores(documents)["b3"]["r"] == pytest.approx(100 * 2 / 3)
    assert corpus_scores(documents, drop_gold_singletons=True)["b3"]["r"] == pytest.approx(100.0)


def clusterings(doc_count: int):
    """Random (key, response) clusterings of a few documents' spans, mentions shared or not."""
    span = st.tuples(st.integers(0, 6), st.integers(1, 3)).map(lambda s: (s[0], s[0] + s[1]))

    def partition(spans):
        return st.lists(st.integers(0, 3), min_size=len(spans), max_size=len(spans)).map(
            lambda labels: [[s for s, label in zip(spans, labels) if label == cluster] for cluster in set(labels)]
        )

    document = st.lists(span, unique=True, max_size=8).flatmap(
        lambda spans: st.tuples(partition(spans), st.lists(span, unique=True, max_size=8).flatmap(partition))
    )
    return st.lists(document, min_size=1, max_size=doc_count)


@settings(max_examples=60, deadline=None)
@given(clusterings(4))
def test_corpus_pooling_equals_one_scorch_call_over_all_documents(documents):
    triples = [(f"doc{i}", key, response) for i, (key, response) in enumerate(documents)]
    result = corpus_scores(triples)
    key = [ids for doc_id, clusters, _ in triples for ids in clusters_to_mention_ids(doc_id, clusters)]
    response = [ids for doc_id, _, clusters in triples for ids in clusters_to_mention_ids(doc_id, clusters)]
    metrics = [("muc", scores.muc), ("b3", scores.b_cubed)]
    if set().union(*key) & set().union(*response):
        metrics.append(("ceafe", scores.ceaf_e))  # it raises when no mention is shared
    else:
        assert result["ceafe"] == {"p": 0.0, "r": 0.0, "f": 0.0}
    for name, metric in metrics:
        recall, precision, f1 = metric(key, response)
        assert result[name] == pytest.approx({"p": 100 * precision, "r": 100 * recall, "f": 100 * f1}, abs=1e-9)
    # LEA is pooled from per-document counts too: the same as LEA over all documents' clusters at once
    recall, precision, f1 = lea(key, response)
    assert result["lea"] == pytest.approx({"p": 100 * precision, "r": 100 * recall, "f": 100 * f1}, abs=1e-9)


def test_ceaf_e_with_no_shared_mention_is_zero():
    # scorch's ceaf_e raises StatisticsError on this input.
    assert coref_scores([{"a", "b"}], [{"c", "d"}])["ceafe"] == {"p": 0.0, "r": 0.0, "f": 0.0}


# -- bootstrap over documents ---------------------------------------------------------------------------------

PERFECT = ([[(0, 1), (2, 3)], [(4, 5), (6, 7)]], [[(0, 1), (2, 3)], [(4, 5), (6, 7)]])
HALF = ([[(0, 1), (2, 3)], [(4, 5), (6, 7)]], [[(0, 1), (2, 3)], [(4, 5), (8, 9)]])
NOTHING = ([[(0, 1), (2, 3)], [(4, 5), (6, 7)]], [])


def counts_of(documents):
    return corpus_counts([(f"doc{k}", key, response) for k, (key, response) in enumerate(documents)])


def test_corpus_counts_are_one_row_per_document_that_sum_to_the_corpus_scores():
    documents = [PERFECT, HALF, NOTHING]
    counts = counts_of(documents)
    assert counts.shape == (3, 16)
    triples = [(f"doc{k}", key, response) for k, (key, response) in enumerate(documents)]
    for rows, subset in ((counts, triples), (counts[1:], triples[1:])):
        pooled, scored = scores_from_counts(rows.sum(axis=0)), corpus_scores(subset)
        assert pooled["conll_f1"] == pytest.approx(scored["conll_f1"])
        for name in ("muc", "b3", "ceafe", "lea"):
            assert pooled[name] == pytest.approx(scored[name])
    # pooling is a sum of counts, not a mean of scores: the first row alone is a perfect corpus
    assert corpus_scores(triples[:1])["conll_f1"] == pytest.approx(100.0)
    assert counts[0, 0] == counts[0, 1] == 2  # MUC recall: 2 links found of 2


def test_bootstrap_interval_holds_the_score_and_is_wider_for_mixed_documents():
    mixed = bootstrap_interval(counts_of([PERFECT, HALF, NOTHING] * 4), resamples=500)
    for name in ("conll_f1", "lea"):
        assert mixed[name]["low"] < mixed[name]["score"] < mixed[name]["high"]
    assert mixed["conll_f1"]["high"] - mixed["conll_f1"]["low"] > 10
    # documents that all score the same: every resample scores the same
    alike = bootstrap_interval(counts_of([HALF] * 12), resamples=200)
    assert alike["conll_f1"]["low"] == pytest.approx(alike["conll_f1"]["high"])
    assert alike["conll_f1"]["low"] == pytest.approx(alike["conll_f1"]["score"])
    # the same seed, the same draws
    assert bootstrap_interval(counts_of([PERFECT, HALF, NOTHING] * 4), resamples=500) == mixed


def test_paired_bootstrap_of_a_system_against_itself_finds_no_difference():
    counts = counts_of([PERFECT, HALF, NOTHING] * 4)
    same = paired_bootstrap(counts, counts, resamples=300)
    for name in ("conll_f1", "lea"):
        assert same[name]["difference"] == same[name]["low"] == same[name]["high"] == 0
        assert same[name]["system_higher"] == same[name]["system_lower"] == 0  # every resample a tie


def test_paired_bootstrap_finds_a_system_better_on_every_document():
    worse = counts_of([HALF, NOTHING, HALF, NOTHING, HALF])
    better = counts_of([PERFECT, HALF, PERFECT, HALF, PERFECT])
    result = paired_bootstrap(worse, better, resamples=300)
    conll = result["conll_f1"]
    assert conll["system"] > conll["baseline"]
    assert 0 < conll["low"] <= conll["difference"] <= conll["high"]
    assert conll["system_higher"] == 1.0 and conll["system_lower"] == 0.0
    swapped = paired_bootstrap(better, worse, resamples=300)["conll_f1"]
    assert swapped["difference"] == pytest.approx(-conll["difference"])
    assert swapped["system_higher"] == 0.0


def test_a_recipes_runs_are_drawn_again_too():
    """Several runs of one recipe (seeds) on the same documents: the score is their mean, and the interval
    holds the spread between them, which a bootstrap over documents alone would not show."""
    half, perfect = counts_of([HALF] * 12), counts_of([PERFECT] * 12)
    single = bootstrap_interval(half, resamples=300)
    assert bootstrap_interval(numpy.stack([half, half]), resamples=300) == single  # alike runs: one run
    runs = bootstrap_interval(numpy.stack([half, perfect]), resamples=300)["conll_f1"]
    half_score, perfect_score = single["conll_f1"]["score"], 100.0
    assert runs["score"] == pytest.approx((half_score + perfect_score) / 2)
    # every document of a run scores the same, so only the draw of runs moves the score
    assert runs["low"] == pytest.approx(half_score) and runs["high"] == pytest.approx(perfect_score)
    # two runs against one model: the sides may hold different numbers of runs
    paired = paired_bootstrap(half, numpy.stack([half, perfect]), resamples=300)["conll_f1"]
    assert paired["difference"] == pytest.approx((perfect_score - half_score) / 2)
    assert paired["low"] == pytest.approx(0.0) and paired["high"] == pytest.approx(perfect_score - half_score)


def test_a_bootstrap_within_genres_leaves_out_the_spread_between_genres():
    """A corpus sampled evenly from its genres (OntoGUM's test set: two documents each) varies only within
    them. Documents alike within each genre but unlike across genres: drawn within genres, every resample
    is the corpus again; drawn from the whole corpus, the genres' mix moves the score."""
    documents, genres = [PERFECT, PERFECT, HALF, HALF, NOTHING, NOTHING], ["a", "a", "b", "b", "c", "c"]
    counts = counts_of(documents)
    whole = bootstrap_interval(counts, resamples=400)["conll_f1"]
    within = bootstrap_interval(counts, resamples=400, strata=genres)["conll_f1"]
    assert whole["high"] - whole["low"] > 20
    assert within["low"] == pytest.approx(within["score"]) == pytest.approx(within["high"])
    assert within["score"] == whole["score"]
    # unlike documents inside a genre still move it: each genre of m documents is drawn m - 1 times, each
    # draw weighing m / (m - 1), so a genre of two is one of its documents, twice
    mixed = bootstrap_interval(counts_of([PERFECT, NOTHING] * 3), resamples=400, strata=genres)["conll_f1"]
    assert mixed["low"] == pytest.approx(0.0) and mixed["high"] == pytest.approx(100.0)
    paired = paired_bootstrap(counts, counts_of([PERFECT] * 6), resamples=300, strata=genres)["conll_f1"]
    assert paired["low"] == pytest.approx(paired["difference"]) == pytest.approx(paired["high"])


def test_each_genre_keeps_its_share_of_the_corpus_in_every_draw():
    """Genres of two and three documents: m - 1 draws of a genre weigh m / (m - 1) each, so each genre
    weighs what it holds in every resample. A genre all perfect and one all wrong then score as the
    corpus does in every draw; unweighted draws (1 of 2, 2 of 3) would move the score."""
    counts = counts_of([PERFECT, PERFECT, NOTHING, NOTHING, NOTHING])
    within = bootstrap_interval(counts, resamples=200, strata=["a", "a", "b", "b", "b"])["conll_f1"]
    assert within["low"] == pytest.approx(within["score"]) == pytest.approx(within["high"])


def test_a_bootstrap_within_genres_refuses_a_genre_of_one_document_or_a_single_genre():
    counts = counts_of([PERFECT, HALF, NOTHING])
    with pytest.raises(StrataError, match="these have one: c "):
        bootstrap_interval(counts, strata=["a", "a", "c"])
    with pytest.raises(StrataError, match="one stratum"):
        bootstrap_interval(counts, strata=["-", "-", "-"])
    with pytest.raises(ValueError, match="each of the 3 documents"):
        paired_bootstrap(counts, counts, strata=["a", "a"])


def test_bootstrap_refuses_counts_it_cannot_pair():
    with pytest.raises(ValueError, match="same documents"):
        paired_bootstrap(counts_of([PERFECT, HALF]), counts_of([PERFECT]))
    with pytest.raises(ValueError, match="at least one document"):
        bootstrap_interval(counts_of([]))
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_interval(counts_of([HALF]), confidence=1.5)
