"""GAP (Webster et al., 2018): gender-balanced ambiguous pronouns in Wikipedia text.

Each example asks whether a pronoun refers to name A, to name B, or to neither.
The official metric is F1 over those binary decisions (true/false positives and
negatives pooled over A and B), overall and by the pronoun's gender, with the
feminine/masculine F1 ratio as the bias measure.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from spacy.language import Language
from spacy.tokens import Doc, Span

from .readers.gap import GapExample, read_gap

__all__ = ["GapExample", "gap_scores", "predict_gap", "read_gap", "resolve_gap_example"]


def _f1(true_positives: int, false_positives: int, false_negatives: int) -> float:
    predicted, gold = true_positives + false_positives, true_positives + false_negatives
    if not true_positives:
        return 0.0
    precision, recall = true_positives / predicted, true_positives / gold
    return 100 * 2 * precision * recall / (precision + recall)


def gap_scores(examples: Iterable[GapExample], predictions: Mapping[str, tuple[bool, bool]]) -> dict[str, float]:
    """Overall, masculine and feminine F1 (percent) and bias (feminine F1 / masculine F1).

    `predictions` maps each example id to (refers to A, refers to B); every example needs one.
    """
    examples = list(examples)
    missing = [example.id for example in examples if example.id not in predictions]
    if missing:
        raise ValueError(f"no prediction for {len(missing)} GAP examples, e.g. {', '.join(missing[:5])}")
    counts: dict = {group: Counter() for group in ("overall", "masculine", "feminine")}
    for example in examples:
        groups = ["overall"] + ([example.gender] if example.gender else [])
        for gold, predicted in zip((example.a_coref, example.b_coref), predictions[example.id]):
            outcome = "tp" if gold and predicted else "fp" if predicted else "fn" if gold else "tn"
            for group in groups:
                counts[group][outcome] += 1
    result = {group: _f1(count["tp"], count["fp"], count["fn"]) for group, count in counts.items()}
    result["bias"] = result["feminine"] / result["masculine"] if result["masculine"] else math.nan
    return result


def resolve_gap_example(example: GapExample, doc: Doc, clusters: Iterable) -> tuple[bool, bool]:
    """(refers to A, refers to B): whether a cluster holds the pronoun and a mention overlapping the name.

    `clusters` are objects with `.mentions` (spaCy Spans of `doc`), as `doc._.coref_clusters`.
    The pronoun must be a mention by itself (not inside "his mother"); a name only
    needs to overlap a mention, as a mention may be longer ("Dr. Smith") or shorter.
    """
    pronoun = doc.char_span(
        example.pronoun_offset, example.pronoun_offset + len(example.pronoun), alignment_mode="expand"
    )
    if pronoun is None:
        raise ValueError(f"GAP example {example.id}: pronoun offset {example.pronoun_offset} is outside the text")

    def mentions_name(mentions: Sequence[Span], name: str, offset: int) -> bool:
        return any(mention.start_char < offset + len(name) and offset < mention.end_char for mention in mentions)

    refers_a = refers_b = False
    for cluster in clusters:
        mentions = list(cluster.mentions)
        if any(mention.start == pronoun.start and mention.end == pronoun.end for mention in mentions):
            refers_a = refers_a or mentions_name(mentions, example.a, example.a_offset)
            refers_b = refers_b or mentions_name(mentions, example.b, example.b_offset)
    return refers_a, refers_b


def predict_gap(nlp: Language, examples: Sequence[GapExample], batch_size: int = 32) -> dict[str, tuple[bool, bool]]:
    """Run a pipeline with the `neuralcoref` component on every example and decide A and B."""
    docs = nlp.pipe((example.text for example in examples), batch_size=batch_size)
    return {
        example.id: resolve_gap_example(example, doc, doc._.coref_clusters or [])
        for example, doc in zip(examples, docs)
    }
