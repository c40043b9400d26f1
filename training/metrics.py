"""The trainer scores with the runtime's metrics (neuralcoref.metrics), so both report the same numbers."""

from neuralcoref.metrics import clusters_to_mention_ids, coref_scores, corpus_scores, drop_singletons, lea

__all__ = ["clusters_to_mention_ids", "coref_scores", "corpus_scores", "drop_singletons", "lea"]
