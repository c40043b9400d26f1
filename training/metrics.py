"""The trainer scores with the runtime's metrics (neuralcoref.metrics), so both report the same numbers."""

from neuralcoref.metrics import (
    StrataError,
    bootstrap_interval,
    check_strata,
    clusters_to_mention_ids,
    coref_scores,
    corpus_counts,
    corpus_scores,
    drop_singletons,
    lea,
    paired_bootstrap,
    scores_from_counts,
)

__all__ = [
    "StrataError",
    "bootstrap_interval",
    "check_strata",
    "clusters_to_mention_ids",
    "coref_scores",
    "corpus_counts",
    "corpus_scores",
    "drop_singletons",
    "lea",
    "paired_bootstrap",
    "scores_from_counts",
]
