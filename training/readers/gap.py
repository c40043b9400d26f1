"""GAP (Webster et al., 2018) files: gender-balanced ambiguous pronouns in Wikipedia text, as examples
(`read_gap`, for `training.gap`'s official scoring) and as partly annotated training documents
(`read_gap_golds`): each example names a pronoun and whether it refers to name A and to name B,
and says nothing about the text's other mentions.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import spacy
from spacy.language import Language

from .gold import CorpusError, GoldDoc, PartialLinks, TokenSpan

_COLUMNS = ["ID", "Text", "Pronoun", "Pronoun-offset", "A", "A-offset", "A-coref", "B", "B-offset", "B-coref", "URL"]
_MASCULINE = frozenset({"he", "him", "his", "himself"})
_FEMININE = frozenset({"she", "her", "hers", "herself"})
_BOOLEANS = {"TRUE": True, "FALSE": False}


@dataclass(frozen=True)
class GapExample:
    """One GAP row; offsets are character offsets into `text`."""

    id: str
    text: str
    pronoun: str
    pronoun_offset: int
    a: str
    a_offset: int
    a_coref: bool
    b: str
    b_offset: int
    b_coref: bool
    url: str

    @property
    def gender(self) -> str | None:
        """'masculine' or 'feminine' from the pronoun (None for any other pronoun)."""
        pronoun = self.pronoun.lower()
        if pronoun in _MASCULINE:
            return "masculine"
        if pronoun in _FEMININE:
            return "feminine"
        return None


def _parse_row(row: list[str], path: Path, line_no: int) -> GapExample:
    if len(row) != len(_COLUMNS):
        raise CorpusError(path, line_no, f"expected {len(_COLUMNS)} tab-separated columns, found {len(row)}")
    fields = dict(zip(_COLUMNS, row))
    offsets = {}
    for column, name_column in (("Pronoun-offset", "Pronoun"), ("A-offset", "A"), ("B-offset", "B")):
        if not fields[column].isdigit():
            raise CorpusError(path, line_no, f"{column} {fields[column]!r} is not a character offset")
        offset = int(fields[column])
        if fields["Text"][offset : offset + len(fields[name_column])] != fields[name_column]:
            raise CorpusError(path, line_no, f"{name_column} {fields[name_column]!r} is not at offset {offset}")
        offsets[column] = offset
    for column in ("A-coref", "B-coref"):
        if fields[column].upper() not in _BOOLEANS:
            raise CorpusError(path, line_no, f"{column} {fields[column]!r} is not TRUE or FALSE")
    return GapExample(
        id=fields["ID"],
        text=fields["Text"],
        pronoun=fields["Pronoun"],
        pronoun_offset=offsets["Pronoun-offset"],
        a=fields["A"],
        a_offset=offsets["A-offset"],
        a_coref=_BOOLEANS[fields["A-coref"].upper()],
        b=fields["B"],
        b_offset=offsets["B-offset"],
        b_coref=_BOOLEANS[fields["B-coref"].upper()],
        url=fields["URL"],
    )


def read_gap(path: str | Path) -> list[GapExample]:
    """Read a GAP TSV file (with its header line); offsets are checked against the text."""
    path = Path(path)
    with open(path, encoding="utf-8", newline="") as file:
        rows = csv.reader(file, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(rows, None)
        if header != _COLUMNS:
            raise CorpusError(path, 1, f"expected the GAP header {' '.join(_COLUMNS)!r}")
        return [_parse_row(row, path, rows.line_num) for row in rows if row]


def _token_span(doc, start: int, length: int) -> TokenSpan | None:
    span = doc.char_span(start, start + length, alignment_mode="expand")
    return None if span is None else (span.start, span.end)


def read_gap_golds(path: str | Path, nlp: Language | None = None, lang: str = "en") -> list[GoldDoc]:
    """GAP examples as training documents, tokenized with `nlp.tokenizer` (or `spacy.blank(lang)`).

    Only an example whose pronoun refers to A or to B is kept: its document holds one cluster (that
    name and the pronoun) and a `PartialLinks` record, so that training asks one thing of it: that
    the pronoun choose the mention of the right name over the other's (an example that refers to
    neither says only where the antecedent is not, and is left out).
    """
    tokenizer = (nlp or spacy.blank(lang)).tokenizer
    golds = []
    for example in read_gap(path):
        if example.a_coref == example.b_coref:  # neither (both is not a GAP label)
            continue
        doc = tokenizer(example.text)
        pronoun = _token_span(doc, example.pronoun_offset, len(example.pronoun))
        a = _token_span(doc, example.a_offset, len(example.a))
        b = _token_span(doc, example.b_offset, len(example.b))
        if pronoun is None or a is None or b is None:
            continue
        antecedent, other = (a, b) if example.a_coref else (b, a)
        golds.append(
            GoldDoc(
                doc_id=example.id,
                words=[token.text for token in doc],
                spaces=[bool(token.whitespace_) for token in doc],
                sent_starts=[token.i == 0 for token in doc],
                speakers=[None] * len(doc),
                clusters=[sorted([antecedent, pronoun])],
                genre="gap",
                source=str(path),
                partial=PartialLinks(anaphors=[pronoun], antecedents=[antecedent], others=[other]),
            )
        )
    return golds
