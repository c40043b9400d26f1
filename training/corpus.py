"""Gold documents as every corpus reader returns them, and their conversion to spaCy Docs.

Readers keep the corpus's own tokenization so gold mention spans stay exact; the
spaCy pipeline then runs over those tokens (tagger, parser, NER decide the rest,
including sentence boundaries, exactly as they would at inference).
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from neuralcoref.featurize import set_speakers

logger = logging.getLogger(__name__)

TokenSpan = tuple[int, int]
"""A mention as (first token, end token), end exclusive."""


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


def clusters_from_mentions(
    mentions: Iterable[tuple[Hashable, TokenSpan]], source: str | Path
) -> list[list[TokenSpan]]:
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
            source, len(shared_spans), ", ".join(map(str, shared_spans[:5])),
        )
    grouped: dict[Hashable, list[TokenSpan]] = {}
    for span, entity in entity_of_span.items():
        grouped.setdefault(entities.find(entity), []).append(span)
    return sorted((sorted(spans) for spans in grouped.values()), key=lambda spans: spans[0])


def gold_to_doc(gold: GoldDoc, nlp: Language) -> Doc:
    """Run every pipeline component over the gold tokens (sentences left to the parser)."""
    return next(gold_docs_to_docs([gold], nlp, skip_coref=False))


def gold_docs_to_docs(golds: Iterable[GoldDoc], nlp: Language, batch_size: int = 32,
                      skip_coref: bool = True, gold_speakers: bool = True) -> Iterator[Doc]:
    """The pipeline's components (not `nlp.pipe`, which would re-tokenize) over the gold tokens,
    batched per component as `nlp.pipe` does, with the gold speakers set before they run
    (`doc._.coref_speakers` lives in `doc.user_data`, which the components keep).

    skip_coref: leave out a `neuralcoref` component (featurizing); else it runs too (evaluating).
    gold_speakers: set the corpus's speakers; False: plain text, as a user's Doc comes.
    """
    def make(gold: GoldDoc) -> Doc:
        doc = Doc(nlp.vocab, words=gold.words, spaces=gold.spaces)
        if gold_speakers and any(speaker is not None for speaker in gold.speakers):
            set_speakers(doc, gold.speakers)
        return doc

    docs: Iterable[Doc] = (make(gold) for gold in golds)
    for name, proc in nlp.pipeline:
        if skip_coref and nlp.get_pipe_meta(name).factory == "neuralcoref":
            continue
        docs = proc.pipe(docs, batch_size=batch_size) if hasattr(proc, "pipe") else map(proc, docs)
    return iter(docs)


def _corpus_format(path: Path) -> str | None:
    name = path.name
    if name.endswith("_conll") or path.suffix == ".conll":
        return "conll2012"
    if path.suffix == ".conllu":
        return "corefud"
    if path.suffix in (".ann", ".txt"):
        return "brat"
    return None


def read_corpus(path: str | Path, nlp: Language | None = None, lang: str | None = None) -> Iterator[GoldDoc]:
    """Read a corpus file or directory, choosing the reader by file extension.

    `*_conll`/`.conll` are CoNLL-2012, `.conllu` is CorefUD, `.ann`+`.txt` pairs are
    brat standoff. A directory is read recursively in sorted path order, its brat
    pairs found through their `.ann` files. Brat text has no tokens, so it needs
    `nlp` (its tokenizer is used) or a `lang` for `spacy.blank`.
    """
    from .readers import read_brat, read_conll2012, read_corefud

    path = Path(path)
    if path.is_dir():
        files = [file for file in sorted(path.rglob("*")) if file.is_file() and file.suffix != ".txt"]
    else:
        if _corpus_format(path) is None:
            raise ValueError(f"{path}: unsupported corpus file (expected *_conll, .conll, .conllu, .ann or .txt)")
        files = [path]
    for file in files:
        corpus_format = _corpus_format(file)
        if corpus_format == "conll2012":
            yield from read_conll2012(file)
        elif corpus_format == "corefud":
            yield from read_corefud(file)
        elif corpus_format == "brat":
            yield read_brat(file.with_suffix(".txt"), file.with_suffix(".ann"), nlp=nlp, lang=lang)
        else:
            logger.debug("%s: not a corpus file, skipped", file)
