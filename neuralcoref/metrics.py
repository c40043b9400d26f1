"""Coreference scores: MUC, B-cubed, CEAF-e (via scorch), their mean (CoNLL F1), and LEA.

Mention ids are any hashable values; across documents they must include the
document, e.g. `(doc_id, start, end)`, so that corpus scores pool every mention
as the official CoNLL-2012 scorer does (not an average of per-document scores).
Every score is returned in percent (0-100).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Sequence

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


def _scorch_counts(key: list[set], response: list[set]) -> dict[str, tuple[float, int, float, int]]:
    """Per metric (recall numerator, recall denominator, precision numerator, precision denominator).

    scorch returns ratios; multiplying back by the known denominators lets several
    documents be pooled exactly: no cluster spans two documents, so each metric's
    sums (and CEAF's optimal alignment) split into per-document parts. Scoring
    document by document keeps scorch's all-pairs loops small.
    """
    denominators = {
        "muc": (sum(len(k) - 1 for k in key), sum(len(r) - 1 for r in response)),
        "b3": (sum(len(k) for k in key), sum(len(r) for r in response)),
        "ceafe": (len(key), len(response)),  # phi4(k, k) = 1 for every cluster
    }
    shares_mentions = not set().union(*key).isdisjoint(set().union(*response))
    counts = {}
    for name, metric in (("muc", scores.muc), ("b3", scores.b_cubed), ("ceafe", scores.ceaf_e)):
        if name == "ceafe" and not shares_mentions:
            # scorch 0.2.0's ceaf_e raises StatisticsError when no cluster pair overlaps;
            # the alignment then scores 0.
            recall = precision = 0.0
        else:
            recall, precision, _ = metric(key, response)
        recall_den, precision_den = denominators[name]
        counts[name] = (float(recall) * recall_den, recall_den, float(precision) * precision_den, precision_den)
    return counts


def _pooled_scores(documents: Iterable[tuple[list[set], list[set]]]) -> dict:
    totals = {name: [0.0, 0.0, 0.0, 0.0] for name in ("muc", "b3", "ceafe")}
    all_key: list[set] = []
    all_response: list[set] = []
    for key, response in documents:
        for name, counts in _scorch_counts(key, response).items():
            totals[name] = [total + count for total, count in zip(totals[name], counts)]
        all_key.extend(key)
        all_response.extend(response)
    result: dict = {}
    for name, (recall_num, recall_den, precision_num, precision_den) in totals.items():
        recall = recall_num / recall_den if recall_den else 0.0
        precision = precision_num / precision_den if precision_den else 0.0
        result[name] = _percent(recall, precision, _harmonic_mean(precision, recall))
    result["conll_f1"] = sum(result[name]["f"] for name in ("muc", "b3", "ceafe")) / 3
    result["lea"] = _percent(*lea(all_key, all_response))
    return result


def _percent(recall: float, precision: float, f1: float) -> dict[str, float]:
    return {"p": 100 * precision, "r": 100 * recall, "f": 100 * f1}


def coref_scores(key: Clusters, response: Clusters) -> dict:
    """MUC, B-cubed, CEAF-e, LEA ({"p", "r", "f"} each) and their CoNLL F1, in percent.

    For a whole corpus, use mention ids that include the document, or `corpus_scores`.
    """
    return _pooled_scores([(_as_sets(key), _as_sets(response))])


def corpus_scores(
    documents: Iterable[tuple[str, SpanClusters, SpanClusters]], drop_gold_singletons: bool = False
) -> dict:
    """Scores of (doc_id, gold clusters, predicted clusters) triples pooled over the corpus.

    Clusters are lists of (start, end) token spans. `drop_gold_singletons` scores a
    corpus that annotates singletons (LitBank) the OntoNotes way.
    """
    pooled = []
    for doc_id, gold, predicted in documents:
        if drop_gold_singletons:
            gold = drop_singletons(gold)
        pooled.append(
            (_as_sets(clusters_to_mention_ids(doc_id, gold)), _as_sets(clusters_to_mention_ids(doc_id, predicted)))
        )
    return _pooled_scores(pooled)


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
        out[f"coref_{side}"] = sum(result[m][side] for m in ("muc", "b3", "ceafe")) / 300
    for metric in ("muc", "b3", "ceafe", "lea"):
        for side in ("p", "r", "f"):
            out[f"coref_{metric}_{side}"] = result[metric][side] / 100
    return out


def _span_group_clusters(doc, prefix: str) -> list:
    return [
        [(span.start, span.end) for span in group] for key, group in doc.spans.items() if key.startswith(prefix + "_")
    ]
