"""A corpus file or folder read with the reader of its format, and gold documents turned into spaCy Docs.

Readers keep the corpus's own tokenization so gold mention spans stay exact; the
spaCy pipeline then runs over those tokens (tagger, parser, NER decide the rest,
including sentence boundaries, exactly as they would at inference).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from neuralcoref.featurize import set_speakers

from .readers import read_brat, read_conll2012, read_corefud, read_gap_golds
from .readers.gold import CorpusError, DisjointSets, GoldDoc, PartialLinks, TokenSpan, clusters_from_mentions

__all__ = [
    "CorpusError",
    "DisjointSets",
    "GoldDoc",
    "PartialLinks",
    "TokenSpan",
    "clusters_from_mentions",
    "gold_to_doc",
    "gold_docs_to_docs",
    "read_corpus",
]

logger = logging.getLogger(__name__)


def gold_to_doc(gold: GoldDoc, nlp: Language) -> Doc:
    """Run every pipeline component over the gold tokens (sentences left to the parser)."""
    return next(gold_docs_to_docs([gold], nlp, skip_coref=False))


def gold_docs_to_docs(
    golds: Iterable[GoldDoc], nlp: Language, batch_size: int = 32, skip_coref: bool = True, gold_speakers: bool = True
) -> Iterator[Doc]:
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
    if path.suffix == ".tsv":
        return "gap"
    return None


def read_corpus(path: str | Path, nlp: Language | None = None, lang: str | None = None) -> Iterator[GoldDoc]:
    """Read a corpus file or directory, choosing the reader by file extension.

    `*_conll`/`.conll` are CoNLL-2012, `.conllu` is CorefUD, `.ann`+`.txt` pairs are
    brat standoff, `.tsv` is GAP (partly annotated: `read_gap_golds`). A directory is read recursively in sorted path order, its brat
    pairs found through their `.ann` files. Brat text has no tokens, so it needs
    `nlp` (its tokenizer is used) or a `lang` for `spacy.blank`.
    """
    path = Path(path)
    if path.is_dir():
        files = [file for file in sorted(path.rglob("*")) if file.is_file() and file.suffix != ".txt"]
    else:
        if _corpus_format(path) is None:
            raise ValueError(
                f"{path}: unsupported corpus file (expected *_conll, .conll, .conllu, .ann, .txt or a GAP .tsv)"
            )
        files = [path]
    for file in files:
        corpus_format = _corpus_format(file)
        if corpus_format == "conll2012":
            yield from read_conll2012(file)
        elif corpus_format == "corefud":
            yield from read_corefud(file)
        elif corpus_format == "brat":
            yield read_brat(file.with_suffix(".txt"), file.with_suffix(".ann"), nlp=nlp, lang=lang)
        elif corpus_format == "gap":
            yield from read_gap_golds(file, nlp=nlp, lang=lang or "en")
        else:
            logger.debug("%s: not a corpus file, skipped", file)
