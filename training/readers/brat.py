"""Brat standoff reader (LitBank-style coreference): `X.txt` raw text, `X.ann` annotations.

- `T5<TAB>PER 10 25<TAB>text` is a mention by character offsets (a discontinuous
  one, `10 15;17 25`, becomes the span from its first start to its last end).
- `R3<TAB>Coreference Arg1:T1 Arg2:T2` links two mentions, and `*<TAB>Coreference T1 T2 ...`
  links several; clusters are the connected components. Mentions in no link are
  singletons (LitBank annotates them).
- Other line types (attributes, notes, other relations) are skipped.
- Ids restarting from T1/R1 mid-file mean several .ann files were concatenated:
  ids are then resolved within each part (see `_read_annotations`).

The text is tokenized with the given pipeline's tokenizer; offsets are mapped to
tokens with `Doc.char_span(..., alignment_mode="expand")`. A mention that maps to
no token, or to tokens much longer than itself, is counted in `GoldDoc.unaligned`
and logged, never silently dropped. Brat has no sentences: sentence starts come
from spaCy's rule-based sentencizer (the parser decides the real ones later).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.pipeline import Sentencizer
from spacy.tokens import Doc

from .gold import CorpusError, DisjointSets, GoldDoc, TokenSpan, clusters_from_mentions

logger = logging.getLogger(__name__)

_MENTION_ID = re.compile(r"T\d+")
_OFFSETS = re.compile(r"\d+ \d+(?:;\d+ \d+)*")
_COREFERENCE = "Coreference"
_MIN_COVERAGE = 0.5
"""The annotated characters must make up at least this share of the aligned tokens' text."""


_Key = tuple[int, str]
"""A mention's (part of the .ann file, T id): ids are unique only within a part."""


@dataclass
class _Mention:
    line_no: int
    start: int
    end: int


def _whitespace_free(text: str) -> str:
    """Brat's text field drops newlines and joins fragments with spaces: compare without any."""
    return "".join(text.split())


def _parse_mention(fields: list[str], text: str, path: Path, line_no: int) -> tuple[_Mention, bool]:
    """Parse a T line; the flag says whether its text field matches the .txt slice."""
    if len(fields) < 2:
        raise CorpusError(path, line_no, "mention line needs an id, 'TYPE START END' and the text")
    _, _, offsets = fields[1].partition(" ")
    if not _OFFSETS.fullmatch(offsets):
        raise CorpusError(path, line_no, f"malformed mention offsets {offsets!r}")
    fragments = [tuple(map(int, fragment.split())) for fragment in offsets.split(";")]
    for start, end in fragments:
        if not start <= end <= len(text):
            raise CorpusError(
                path, line_no, f"mention offsets {start}-{end} out of range (text has {len(text)} characters)"
            )
    mention = _Mention(line_no, min(s for s, _ in fragments), max(e for _, e in fragments))
    annotated = fields[2] if len(fields) > 2 else ""
    matches = _whitespace_free(annotated) == _whitespace_free("".join(text[s:e] for s, e in fragments))
    return mention, matches


def _link_ids(fields: list[str], path: Path, line_no: int) -> list[str] | None:
    """Mention ids that an R or * coreference line links; None for other relation types."""
    if len(fields) < 2 or not fields[1].split():
        raise CorpusError(path, line_no, "relation line needs an id and 'TYPE ARGS'")
    relation, *arguments = fields[1].split()
    if relation != _COREFERENCE:
        return None
    if fields[0].startswith("R"):
        if len(arguments) != 2 or not all(argument.startswith(("Arg1:", "Arg2:")) for argument in arguments):
            raise CorpusError(path, line_no, f"malformed relation arguments {' '.join(arguments)!r}")
        arguments = [argument.split(":", 1)[1] for argument in arguments]
    elif len(arguments) < 2:
        raise CorpusError(path, line_no, "equivalence line needs at least two mention ids")
    for argument in arguments:
        if not _MENTION_ID.fullmatch(argument):
            raise CorpusError(path, line_no, f"relation argument {argument!r} is not a mention id")
    return arguments


def _read_annotations(ann_path: Path, text: str) -> tuple[dict[_Key, _Mention], list[tuple[int, list[_Key]]]]:
    """Mentions by key and coreference links (with their line numbers) of an .ann file.

    Some .ann files are several annotation files concatenated, each numbering its
    ids from T1/R1 again (fr-litbank's Balzac texts): an id seen twice starts a new
    part, and ids are resolved within their part. Parts annotating the same span
    are joined later, when identical spans are merged.
    """
    mentions: dict[_Key, _Mention] = {}
    links: list[tuple[int, list[_Key]]] = []
    text_mismatches: list[str] = []
    part, ids_in_part = 0, set[str]()
    with open(ann_path, encoding="utf-8") as lines:
        for line_no, line in enumerate(lines, 1):
            fields = line.rstrip("\r\n").split("\t")
            annotation_id = fields[0]
            if not annotation_id.strip():
                continue
            if annotation_id in ids_in_part:
                part, ids_in_part = part + 1, set()
            if annotation_id != "*":
                ids_in_part.add(annotation_id)
            if annotation_id.startswith("T"):
                if not _MENTION_ID.fullmatch(annotation_id):
                    raise CorpusError(ann_path, line_no, f"malformed mention id {annotation_id!r}")
                mentions[part, annotation_id], matches = _parse_mention(fields, text, ann_path, line_no)
                if not matches:
                    text_mismatches.append(f"{annotation_id} (line {line_no})")
            elif annotation_id.startswith(("R", "*")):
                linked = _link_ids(fields, ann_path, line_no)
                if linked is None:
                    logger.debug("%s:%d: relation %r is not coreference, skipped", ann_path, line_no, fields[1])
                else:
                    links.append((line_no, [(part, mention_id) for mention_id in linked]))
            else:
                logger.debug("%s:%d: annotation type %r skipped", ann_path, line_no, annotation_id[:1])
    if part:
        logger.warning(
            "%s: annotation ids restart %d times (concatenated .ann files): ids resolved within each part",
            ann_path,
            part,
        )
    if text_mismatches:
        logger.warning(
            "%s: %d mention texts differ from the .txt at their offsets (offsets used): %s",
            ann_path,
            len(text_mismatches),
            ", ".join(text_mismatches),
        )
    return mentions, links


def _align(doc: Doc, text: str, mention: _Mention) -> TokenSpan | None:
    """Token span of a mention, or None when no tokens cover its characters well enough."""
    annotated = text[mention.start : mention.end]
    start = mention.start + len(annotated) - len(annotated.lstrip())
    end = mention.end - (len(annotated) - len(annotated.rstrip()))
    if start >= end:
        return None
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None or (end - start) < _MIN_COVERAGE * len(span.text.strip()):
        return None
    return span.start, span.end


def read_brat(
    txt_path: str | Path, ann_path: str | Path, nlp: Language | None = None, lang: str | None = None
) -> GoldDoc:
    """Read one brat document; tokenize with `nlp.tokenizer`, or `spacy.blank(lang)` without nlp."""
    txt_path, ann_path = Path(txt_path), Path(ann_path)
    if nlp is None:
        if lang is None:
            raise ValueError("read_brat needs an nlp (for its tokenizer) or a language code")
        nlp = spacy.blank(lang)
    with open(txt_path, encoding="utf-8", newline="") as file:
        text = file.read()  # newline="" keeps "\r\n" as two characters, as brat offsets count them
    mentions, links = _read_annotations(ann_path, text)

    entities = DisjointSets()
    for line_no, linked in links:
        for key in linked:
            if key not in mentions:
                raise CorpusError(ann_path, line_no, f"link to undefined mention {key[1]}")
            entities.union(linked[0], key)

    doc = Sentencizer()(nlp.make_doc(text))
    aligned: list[tuple[Hashable, TokenSpan]] = []
    unaligned = 0
    for key, mention in mentions.items():
        span = _align(doc, text, mention)
        if span is None:
            unaligned += 1
            logger.warning(
                "%s:%d: mention %s (characters %d-%d, %r) does not align with the tokens",
                ann_path,
                mention.line_no,
                key[1],
                mention.start,
                mention.end,
                text[mention.start : mention.end],
            )
        else:
            aligned.append((entities.find(key), span))
    return GoldDoc(
        doc_id=ann_path.stem,
        words=[token.text for token in doc],
        spaces=[bool(token.whitespace_) for token in doc],
        sent_starts=[bool(token.is_sent_start) for token in doc],
        speakers=[None] * len(doc),
        clusters=clusters_from_mentions(aligned, ann_path),
        genre=None,
        source=str(ann_path),
        unaligned=unaligned,
    )
