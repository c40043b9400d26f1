"""Coreference scores: MUC, B-cubed, CEAF-e (via scorch), their mean (CoNLL F1), and LEA.

Mention ids are any hashable values; across documents they must include the
document, e.g. `(doc_id, start, end)`, so that corpus scores pool every mention
as the official CoNLL-2012 scorer does (not an average of per-document scores).
Every score is returned in percent (0-100).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Sequence

import numpy
from scorch import scores

Clusters = Sequence[Iterable[Hashable]]
#: clusters of (start, end) token spans
SpanClusters = Sequence[Sequence[tuple[int, int]]]


def clusters_to_mention_ids(doc_id: str, clusters: Iterable[Iterable[tuple[int, int]]]) -> list[set]:
    """Token-span clusters -> sets of `(doc_id, start, end)`, unique across a corpus."""
    return [{(doc_id, start, end) for start, end in cluster} for cluster in clusters]


def drop_singletons(clusters: Iterable[Sequence]) -> list:
    """Clusters of two or more mentions: OntoNotes-style evaluation ignores singletons."""
    return [cluster for cluster in clusters if len(cluster) > 1]


def _harmonic_mean(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _lea_side(clusters: list[set], other: list[set]) -> tuple[float, float]:
    """Numerator and denominator of LEA recall (or, swapping the arguments, precision)."""
    cluster_of = {mention: index for index, cluster in enumerate(other) for mention in cluster}
    numerator = 0.0
    for cluster in clusters:
        if len(cluster) == 1:
            (mention,) = cluster
            resolved = float(mention in cluster_of and len(other[cluster_of[mention]]) == 1)
        else:
            shared = Counter(cluster_of[mention] for mention in cluster if mention in cluster_of)
            found_links = sum(n * (n - 1) / 2 for n in shared.values())
            resolved = found_links / (len(cluster) * (len(cluster) - 1) / 2)
        numerator += len(cluster) * resolved
    return numerator, float(sum(len(cluster) for cluster in clusters))


def lea(key: Clusters, response: Clusters) -> tuple[float, float, float]:
    """LEA, the link-based entity-aware metric (Moosavi & Strube, ACL 2016): (R, P, F1) in 0-1.

    Each key entity counts with its size as importance, times the fraction of its
    coreference links (n(n-1)/2 for n mentions) found in the response; precision is
    the same with key and response swapped. A singleton has one self-link, found
    when its mention is a singleton in the other clustering too (as in the paper's
    reference implementation). Unlike MUC it rewards entities, unlike B-cubed it
    does not reward a mention for being merged with wrong ones.
    """
    key_sets, response_sets = _as_sets(key), _as_sets(response)
    recall_num, recall_den = _lea_side(key_sets, response_sets)
    precision_num, precision_den = _lea_side(response_sets, key_sets)
    recall = recall_num / recall_den if recall_den else 0.0
    precision = precision_num / precision_den if precision_den else 0.0
    return recall, precision, _harmonic_mean(precision, recall)


def _as_sets(clusters: Clusters) -> list[set]:
    """Non-empty clusters as sets (scorch needs sets; an empty cluster has no mention to score)."""
    return [set(cluster) for cluster in clusters if cluster]


#: the metrics whose counts `document_counts` gives, in its column order (4 columns each)
POOLED_METRICS = ("muc", "b3", "ceafe", "lea")
#: the metrics whose F1 the CoNLL F1 averages
CONLL_METRICS = ("muc", "b3", "ceafe")


def document_counts(key: list[set], response: list[set]) -> numpy.ndarray:
    """One document's (recall numerator, recall denominator, precision numerator, precision denominator)
    of each metric in POOLED_METRICS, as a row of 16 floats.

    scorch returns ratios; multiplying back by the known denominators lets documents be pooled exactly:
    no cluster spans two documents, so each metric's sums (and CEAF's optimal alignment) split into
    per-document parts. Corpus scores are the scores of the rows' sum (`scores_from_counts`); drawing the
    rows again with replacement gives a bootstrap (`bootstrap_interval`). Scoring document by document
    also keeps scorch's all-pairs loops small.
    """
    denominators = {
        "muc": (sum(len(k) - 1 for k in key), sum(len(r) - 1 for r in response)),
        "b3": (sum(len(k) for k in key), sum(len(r) for r in response)),
        "ceafe": (len(key), len(response)),  # phi4(k, k) = 1 for every cluster
    }
    shares_mentions = not set().union(*key).isdisjoint(set().union(*response))
    row = []
    for name, metric in (("muc", scores.muc), ("b3", scores.b_cubed), ("ceafe", scores.ceaf_e)):
        if name == "ceafe" and not shares_mentions:
            # scorch 0.2.0's ceaf_e raises StatisticsError when no cluster pair overlaps;
            # the alignment then scores 0.
            recall = precision = 0.0
        else:
            recall, precision, _ = metric(key, response)
        recall_den, precision_den = denominators[name]
        row += [float(recall) * recall_den, recall_den, float(precision) * precision_den, precision_den]
    row += [*_lea_side(key, response), *_lea_side(response, key)]
    return numpy.asarray(row, dtype="float64")


def _recall_precision_f1(totals: numpy.ndarray) -> numpy.ndarray:
    """[..., 16] summed counts -> [..., 4 metrics, (R, P, F1)] in 0-1 (0 where a denominator is 0)."""
    counts = totals.reshape(*totals.shape[:-1], len(POOLED_METRICS), 4)
    with numpy.errstate(divide="ignore", invalid="ignore"):
        recall = numpy.where(counts[..., 1] > 0, counts[..., 0] / counts[..., 1], 0.0)
        precision = numpy.where(counts[..., 3] > 0, counts[..., 2] / counts[..., 3], 0.0)
        both = precision + recall
        f1 = numpy.where(both > 0, 2 * precision * recall / both, 0.0)
    return numpy.stack([recall, precision, f1], axis=-1)


def scores_from_counts(totals: numpy.ndarray) -> dict:
    """MUC, B-cubed, CEAF-e, LEA ({"p", "r", "f"} each) and their CoNLL F1, in percent, of counts summed
    over documents (`document_counts` rows)."""
    ratios = _recall_precision_f1(numpy.asarray(totals, dtype="float64"))
    result: dict = {
        name: _percent(float(recall), float(precision), float(f1))
        for name, (recall, precision, f1) in zip(POOLED_METRICS, ratios)
    }
    result["conll_f1"] = sum(result[name]["f"] for name in CONLL_METRICS) / len(CONLL_METRICS)
    return result


def _percent(recall: float, precision: float, f1: float) -> dict[str, float]:
    return {"p": 100 * precision, "r": 100 * recall, "f": 100 * f1}


def coref_scores(key: Clusters, response: Clusters) -> dict:
    """MUC, B-cubed, CEAF-e, LEA ({"p", "r", "f"} each) and their CoNLL F1, in percent.

    For a whole corpus, use mention ids that include the document, or `corpus_scores`.
    """
    return scores_from_counts(document_counts(_as_sets(key), _as_sets(response)))


def corpus_scores(
    documents: Iterable[tuple[str, SpanClusters, SpanClusters]], drop_gold_singletons: bool = False
) -> dict:
    """Scores of (doc_id, gold clusters, predicted clusters) triples pooled over the corpus.

    Clusters are lists of (start, end) token spans; each doc_id must be unique (it keeps
    the documents' mentions apart). `drop_gold_singletons` scores a corpus that annotates
    singletons (LitBank) the OntoNotes way.
    """
    return scores_from_counts(corpus_counts(documents, drop_gold_singletons).sum(axis=0))


def corpus_counts(
    documents: Iterable[tuple[str, SpanClusters, SpanClusters]], drop_gold_singletons: bool = False
) -> numpy.ndarray:
    """`document_counts` of each (doc_id, gold clusters, predicted clusters) triple: [n documents, 16]."""
    rows = []
    for doc_id, gold, predicted in documents:
        if drop_gold_singletons:
            gold = drop_singletons(gold)
        key = _as_sets(clusters_to_mention_ids(doc_id, gold))
        rows.append(document_counts(key, _as_sets(clusters_to_mention_ids(doc_id, predicted))))
    return numpy.asarray(rows, dtype="float64").reshape(len(rows), 4 * len(POOLED_METRICS))


def _resampled_scores(counts: numpy.ndarray, weights: numpy.ndarray) -> dict[str, numpy.ndarray]:
    """CoNLL F1 and LEA F1 (percent) of each resample: `weights` [resamples, n documents] counts how
    often each document was drawn."""
    f1 = _recall_precision_f1(weights @ counts)[..., 2] * 100
    conll = [POOLED_METRICS.index(name) for name in CONLL_METRICS]
    return {"conll_f1": f1[:, conll].mean(axis=1), "lea": f1[:, POOLED_METRICS.index("lea")]}


class StrataError(ValueError):
    """Strata that a stratified bootstrap cannot draw from (a stratum of one document, or one stratum)."""


def check_strata(labels: Sequence[Hashable]) -> None:
    """Refuse strata that a stratified bootstrap cannot use (StrataError): a stratum of one document
    (it would be the same in every resample), or a single stratum (that is the whole corpus)."""
    sizes = Counter(labels)
    lonely = [str(label) for label, size in sizes.items() if size < 2]
    if lonely:
        raise StrataError(
            "each stratum needs two documents or more to be drawn again, and these have one: "
            f"{', '.join(lonely)} (resample the whole corpus instead: no strata, no --within-genres)"
        )
    if len(sizes) < 2:
        raise StrataError(
            f"every document is in one stratum ({next(iter(sizes), '')!s}): drawing within it is drawing "
            "from the whole corpus (no strata, no --within-genres)"
        )


def _draws(
    n_documents: int, resamples: int, rng: numpy.random.Generator, strata: Sequence[Hashable] | None = None
) -> numpy.ndarray:
    """The weight of each document in each resample [resamples, n documents].

    Without `strata`: how often it is drawn among n documents drawn with replacement. With `strata` (a
    label per document, e.g. its genre): each stratum of m documents is resampled on its own, m - 1 draws
    each weighing m / (m - 1) (Rao and Wu's rescaled bootstrap; drawing m of m would understate the
    spread of a stratum of two documents by half its variance). A corpus sampled evenly from its genres,
    as OntoGUM's test and dev sets are (two documents each), varies only within them.
    """
    if strata is None:
        return rng.multinomial(n_documents, numpy.full(n_documents, 1.0 / n_documents), size=resamples).astype(
            "float64"
        )
    labels = list(strata)
    if len(labels) != n_documents:
        raise ValueError(f"strata must label each of the {n_documents} documents, got {len(labels)} labels")
    check_strata(labels)
    members = {label: numpy.flatnonzero([other == label for other in labels]) for label in dict.fromkeys(labels)}
    weights = numpy.zeros((resamples, n_documents))
    for rows in members.values():
        m = len(rows)
        weights[:, rows] = rng.multinomial(m - 1, numpy.full(m, 1.0 / m), size=resamples) * (m / (m - 1))
    return weights


def _runs_scores(runs: numpy.ndarray, weights: numpy.ndarray, rng: numpy.random.Generator) -> dict[str, numpy.ndarray]:
    """Each resample's score of a recipe: the documents drawn by `weights`, and as many of its runs
    (seeds) drawn again with replacement, their scores averaged. One run: its score on the drawn documents."""
    per_run = [_resampled_scores(counts, weights) for counts in runs]
    if len(runs) == 1:
        return per_run[0]
    picks = rng.integers(0, len(runs), size=(len(weights), len(runs)))
    resample = numpy.arange(len(weights))[:, None]
    return {
        name: numpy.stack([scores[name] for scores in per_run])[picks, resample].mean(axis=1) for name in per_run[0]
    }


def _mean_score(runs: numpy.ndarray) -> dict[str, float]:
    """CoNLL F1 and LEA of the whole corpus, the mean over the runs."""
    scores = [scores_from_counts(counts.sum(axis=0)) for counts in runs]
    return {
        "conll_f1": float(numpy.mean([s["conll_f1"] for s in scores])),
        "lea": float(numpy.mean([s["lea"]["f"] for s in scores])),
    }


def bootstrap_interval(
    counts: numpy.ndarray,
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    strata: Sequence[Hashable] | None = None,
) -> dict[str, dict[str, float]]:
    """How much a corpus score owes to which documents the corpus happens to hold.

    `counts` are `corpus_counts` rows [n documents, 16] of one model, or of several runs of one recipe
    (seeds) on the same documents [n runs, n documents, 16]. The documents are drawn again with
    replacement, `resamples` times, and each draw is scored like a corpus; with several runs the runs are
    drawn again too and their scores averaged, so the interval is that of the mean of that many seeds (a
    single new seed varies more, and 3 runs have only 10 distinct draws). Documents are drawn from the
    whole corpus, or with `strata` (a label per document, such as its genre) within each stratum
    (`_draws`). The interval is the middle `confidence` of those scores (a percentile bootstrap).
    RETURNS {"conll_f1": {"score", "low", "high"}, "lea": {...}}, in percent; "score" is the whole
    corpus's (the mean over the runs).
    """
    runs = _checked_runs(counts, resamples, confidence)
    rng = numpy.random.default_rng(seed)
    resampled = _runs_scores(runs, _draws(runs.shape[1], resamples, rng, strata), rng)
    point = _mean_score(runs)
    out = {}
    for name, values in resampled.items():
        low, high = _middle(values, confidence)
        out[name] = {"score": point[name], "low": low, "high": high}
    return out


def paired_bootstrap(
    baseline: numpy.ndarray,
    system: numpy.ndarray,
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    strata: Sequence[Hashable] | None = None,
) -> dict[str, dict[str, float]]:
    """Whether `system` scores higher than `baseline` on documents like these, not only on these.

    Both are `corpus_counts` of the same documents in the same order: of one model [n documents, 16], or
    of several runs of one recipe [n runs, n documents, 16] (the two sides may have different numbers of
    runs). Each resample draws the same documents for both (a paired bootstrap), so what the two share,
    the documents' difficulty, cancels; each side's runs are drawn again too, and `strata` draw the
    documents within each stratum (`bootstrap_interval`).
    RETURNS per score ("conll_f1", "lea"): "baseline", "system" (the whole corpus's scores, the mean over
    the runs), "difference" (system minus baseline), "low" and "high" (the middle `confidence` of the
    resampled differences), "system_higher" and "system_lower" (the shares of resamples where the system
    scored higher, and lower; the rest are ties, as when the documents that differ were not drawn).
    """
    baseline_runs = _checked_runs(baseline, resamples, confidence)
    system_runs = _checked_runs(system, resamples, confidence)
    if baseline_runs.shape[1] != system_runs.shape[1]:
        raise ValueError(
            "paired_bootstrap needs counts of the same documents: "
            f"{baseline_runs.shape[1]} against {system_runs.shape[1]} rows"
        )
    rng = numpy.random.default_rng(seed)
    weights = _draws(baseline_runs.shape[1], resamples, rng, strata)
    before, after = _runs_scores(baseline_runs, weights, rng), _runs_scores(system_runs, weights, rng)
    first, second = _mean_score(baseline_runs), _mean_score(system_runs)
    out = {}
    for name in ("conll_f1", "lea"):
        differences = after[name] - before[name]
        low, high = _middle(differences, confidence)
        out[name] = {
            "baseline": first[name],
            "system": second[name],
            "difference": second[name] - first[name],
            "low": low,
            "high": high,
            "system_higher": float((differences > 0).mean()),
            "system_lower": float((differences < 0).mean()),
        }
    return out


def _middle(values: numpy.ndarray, confidence: float) -> tuple[float, float]:
    """The bounds of the middle `confidence` of the resampled values (a percentile interval)."""
    tail = 100 * (1 - confidence) / 2
    low, high = numpy.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def _checked_runs(counts: numpy.ndarray, resamples: int, confidence: float) -> numpy.ndarray:
    """`corpus_counts` of one model or of several runs, as [n runs, n documents, 16]."""
    runs = numpy.asarray(counts, dtype="float64")
    if runs.ndim == 2:
        runs = runs[None]
    if runs.ndim != 3 or runs.shape[2] != 4 * len(POOLED_METRICS) or 0 in runs.shape:
        raise ValueError(
            f"expected corpus_counts rows (at least one document), or a stack of them, got an array of shape "
            f"{numpy.shape(counts)}"
        )
    if resamples < 1 or not 0 < confidence < 1:
        raise ValueError(f"resamples must be >= 1 and confidence in (0, 1), got {resamples} and {confidence}")
    return runs


def cluster_scores(examples, span_cluster_prefix: str) -> dict:
    """spaCy Scorer-style scores of `Example`s whose docs carry clusters in `doc.spans[prefix_N]`.

    RETURNS (dict): coref_f (CoNLL F1), coref_p, coref_r (means over MUC, B-cubed, CEAF-e),
        and coref_{muc,b3,ceafe,lea}_{p,r,f}, all in 0-1 like spaCy's other scores.
    """
    documents = []
    for k, example in enumerate(examples):
        documents.append(
            (
                str(k),
                _span_group_clusters(example.reference, span_cluster_prefix),
                _span_group_clusters(example.predicted, span_cluster_prefix),
            )
        )
    result = corpus_scores(documents)
    out = {"coref_f": result["conll_f1"] / 100}
    for side in ("p", "r"):
        out[f"coref_{side}"] = sum(result[m][side] for m in CONLL_METRICS) / (100 * len(CONLL_METRICS))
    for metric in POOLED_METRICS:
        for side in ("p", "r", "f"):
            out[f"coref_{metric}_{side}"] = result[metric][side] / 100
    return out


def _span_group_clusters(doc, prefix: str) -> list:
    return [
        [(span.start, span.end) for span in group] for key, group in doc.spans.items() if key.startswith(prefix + "_")
    ]
