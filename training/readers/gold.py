"""What every corpus reader returns: a gold document (`GoldDoc`) in its own tokenization, and
the pieces the readers share to build one (`CorpusError`, `clusters_from_mentions`).

Kept apart from `training.corpus`, which picks a reader per file: the readers import this
module, `training.corpus` imports the readers, and neither imports the other back.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

logger = logging.getLogger(__name__)

TokenSpan = tuple[int, int]
"""A mention as (first token, end token), end exclusive."""


@dataclass
class PartialLinks:
    """What a partly annotated document (GAP) says: each of `anaphors` refers to the name at one of
    `antecedents` and not to the one at `others`; nothing about its other mentions. Training asks only
    that an anaphor rank a mention overlapping an antecedent above those overlapping the others."""

    anaphors: list[TokenSpan]
    antecedents: list[TokenSpan]
    others: list[TokenSpan]


@dataclass
class GoldDoc:
    """One annotated document in its gold tokenization.

    `clusters` are lists of token spans (end exclusive); `unaligned` counts gold
    mentions the reader could not map onto tokens, so that a score computed on
    this document can say how much of the gold it never saw.
    """

    doc_id: str
    words: list[str]
    spaces: list[bool]
    sent_starts: list[bool]
    speakers: list[str | None]
    clusters: list[list[TokenSpan]]
    genre: str | None
    source: str
    unaligned: int = 0
    #: None: every mention is annotated (clusters, and any mention outside them is a singleton or none)
    partial: PartialLinks | None = None
    #: tokens that open a paragraph, the first token aside (CorefUD's `# newpar`): the source text has a
    #: line break before each; readers of formats without paragraphs leave it empty
    paragraph_starts: list[int] = field(default_factory=list)


def with_paragraph_breaks(gold: GoldDoc) -> GoldDoc:
    """The document as its source text lays it out: a newline token before each paragraph, which is what
    spaCy's tokenizer makes of a line break in a user's text. Clusters, speakers and partial links move
    with their tokens. A document without paragraphs comes back as it is."""
    if not gold.paragraph_starts:
        return gold
    breaks = set(gold.paragraph_starts)
    words: list[str] = []
    spaces: list[bool] = []
    sent_starts: list[bool] = []
    speakers: list[str | None] = []
    new_index: list[int] = []
    for i, word in enumerate(gold.words):
        if i in breaks and words:
            spaces[-1] = False
            words.append("\n")
            spaces.append(False)
            sent_starts.append(False)
            speakers.append(speakers[-1])
        new_index.append(len(words))
        words.append(word)
        spaces.append(gold.spaces[i])
        sent_starts.append(gold.sent_starts[i])
        speakers.append(gold.speakers[i])
    new_index.append(len(words))

    def moved(spans: list[TokenSpan]) -> list[TokenSpan]:
        return [(new_index[start], new_index[end - 1] + 1) for start, end in spans]

    partial = gold.partial
    if partial is not None:
        partial = PartialLinks(moved(partial.anaphors), moved(partial.antecedents), moved(partial.others))
    return replace(
        gold,
        words=words,
        spaces=spaces,
        sent_starts=sent_starts,
        speakers=speakers,
        clusters=[moved(cluster) for cluster in gold.clusters],
        partial=partial,
        paragraph_starts=[],
    )


class CorpusError(ValueError):
    """A corpus file that cannot be read as its format says; names the file and line."""

    def __init__(self, path: str | Path, line: int, reason: str):
        self.path = str(path)
        self.line = line
        self.reason = reason
        super().__init__(f"{self.path}:{line}: {reason}")


class DisjointSets:
    """Union-find over hashable items: coreference links and shared spans join entities."""

    def __init__(self) -> None:
        self._parent: dict[Hashable, Hashable] = {}

    def find(self, item: Hashable) -> Hashable:
        """The representative of the item's set (an unseen item is its own set)."""
        self._parent.setdefault(item, item)
        while self._parent[item] != item:
            self._parent[item] = self._parent[self._parent[item]]  # path halving
            item = self._parent[item]
        return item

    def union(self, first: Hashable, second: Hashable) -> bool:
        """Join the two items' sets; False when they were already one set."""
        first, second = self.find(first), self.find(second)
        if first == second:
            return False
        self._parent[second] = first
        return True


def clusters_from_mentions(mentions: Iterable[tuple[Hashable, TokenSpan]], source: str | Path) -> list[list[TokenSpan]]:
    """Group (entity, span) pairs into sorted clusters, ordered by first mention.

    A span given to two entities is one mention, so its entities are merged
    (with a warning): the metrics assume each mention belongs to one cluster.
    """
    entities = DisjointSets()
    shared_spans: list[TokenSpan] = []
    entity_of_span: dict[TokenSpan, Hashable] = {}
    for entity, span in mentions:
        if span not in entity_of_span:
            entity_of_span[span] = entity
        elif entities.union(entity_of_span[span], entity):
            shared_spans.append(span)
    if shared_spans:
        logger.warning(
            "%s: %d token spans are mentions of two entities, which were merged (first: %s)",
            source,
            len(shared_spans),
            ", ".join(map(str, shared_spans[:5])),
        )
    grouped: dict[Hashable, list[TokenSpan]] = {}
    for span, entity in entity_of_span.items():
        grouped.setdefault(entities.find(entity), []).append(span)
    return sorted((sorted(spans) for spans in grouped.values()), key=lambda spans: spans[0])
