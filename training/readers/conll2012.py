"""CoNLL-2012 reader (OntoNotes, LitBank): one token a line, a blank line between sentences.

Columns are space-aligned (OntoNotes) or tab-separated (LitBank, whose last,
coreference, column may be empty). Word in column 4, speaker in column 10 (when
the file has 11 columns or more), coreference brackets in the last column:
`(12`, `12)`, `(12)`, joined by `|`; `-`, `_` or empty for none. Other `#` lines
than `#begin document`/`#end document` are comments. The format carries no
spacing, so every token is followed by a space.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from .gold import CorpusError, GoldDoc, TokenSpan, clusters_from_mentions

_BEGIN = re.compile(r"#begin document \((?P<name>.*)\)(?:;\s*part\s+(?P<part>\d+))?\s*$")
_BRACKET = re.compile(r"(?P<open>\()?(?P<id>[^()]*)(?P<close>\))?$")
_ONTONOTES_GENRE = re.compile(r"(bc|bn|mz|nw|pt|tc|wb)/")
_NO_VALUE = ("-", "_", "")
_WORD, _SPEAKER = 3, 9


class _DocumentBuilder:
    """Accumulates one `#begin document` ... `#end document` block."""

    def __init__(self, path: Path, name: str, part: int):
        self.path = path
        self.name = name
        self.part = part
        self.n_columns: int | None = None
        self.words: list[str] = []
        self.sent_starts: list[bool] = []
        self.speakers: list[str | None] = []
        self.at_sentence_start = True
        self.open: dict[int, list[tuple[int, int]]] = {}  # entity -> stack of (start token, line)
        self.mentions: list[tuple[int, TokenSpan]] = []

    def end_sentence(self) -> None:
        self.at_sentence_start = True

    def add_token(self, columns: list[str], line_no: int) -> None:
        if self.n_columns is None:
            if len(columns) < 5:
                raise CorpusError(self.path, line_no, f"expected at least 5 columns, found {len(columns)}")
            self.n_columns = len(columns)
        elif len(columns) != self.n_columns:
            raise CorpusError(
                self.path,
                line_no,
                f"expected {self.n_columns} columns like the document's first token line, found {len(columns)}",
            )
        index = len(self.words)
        self.words.append(columns[_WORD])
        self.sent_starts.append(self.at_sentence_start)
        self.at_sentence_start = False
        speaker = columns[_SPEAKER] if len(columns) >= 11 else "-"
        self.speakers.append(None if speaker in _NO_VALUE else speaker)
        if columns[-1] not in _NO_VALUE:
            for bracket in columns[-1].split("|"):
                self._add_bracket(bracket, index, line_no)

    def _add_bracket(self, bracket: str, index: int, line_no: int) -> None:
        match = _BRACKET.match(bracket)
        if not match or not (match["open"] or match["close"]):
            raise CorpusError(self.path, line_no, f"malformed coreference bracket {bracket!r}")
        if not match["id"].isdigit():
            raise CorpusError(self.path, line_no, f"non-integer entity id in coreference bracket {bracket!r}")
        entity = int(match["id"])
        if match["open"]:
            self.open.setdefault(entity, []).append((index, line_no))
        if match["close"]:
            if not self.open.get(entity):
                raise CorpusError(self.path, line_no, f"closing bracket for entity {entity} with no open bracket")
            start, _ = self.open[entity].pop()
            self.mentions.append((entity, (start, index + 1)))

    def finish(self, line_no: int) -> GoldDoc:
        for entity, stack in self.open.items():
            if stack:
                _, opened_at = stack[0]
                raise CorpusError(
                    self.path,
                    opened_at,
                    f"bracket for entity {entity} opened here is never closed (document ends at line {line_no})",
                )
        genre = _ONTONOTES_GENRE.match(self.name)
        return GoldDoc(
            doc_id=f"{self.name}_{self.part:03d}",
            words=self.words,
            spaces=[True] * len(self.words),
            sent_starts=self.sent_starts,
            speakers=self.speakers,
            clusters=clusters_from_mentions(self.mentions, self.path),
            genre=genre.group(1) if genre else None,
            source=str(self.path),
        )


def _columns(text: str) -> list[str]:
    """Split on tabs when there are any, so that an empty last column still counts."""
    if "\t" in text:
        return [column.strip() for column in text.split("\t")]
    return text.split()


def read_conll2012(path: str | Path) -> Iterator[GoldDoc]:
    """Yield every document (each `part` is one document) of a CoNLL-2012 file."""
    path = Path(path)
    builder: _DocumentBuilder | None = None
    line_no = 0
    with open(path, encoding="utf-8") as lines:
        for line_no, line in enumerate(lines, 1):
            text = line.strip()
            if text.startswith("#begin document"):
                if builder is not None:
                    raise CorpusError(path, line_no, f"#begin document while document {builder.name!r} is still open")
                match = _BEGIN.match(text)
                if not match:
                    raise CorpusError(path, line_no, "malformed #begin document line")
                builder = _DocumentBuilder(path, match["name"], int(match["part"] or 0))
            elif text.startswith("#end document"):
                if builder is None:
                    raise CorpusError(path, line_no, "#end document with no open document")
                yield builder.finish(line_no)
                builder = None
            elif not text:
                if builder is not None:
                    builder.end_sentence()
            elif text.startswith("#"):
                continue
            elif builder is None:
                raise CorpusError(path, line_no, "token line outside a document (no #begin document before it)")
            else:
                builder.add_token(_columns(line.rstrip("\r\n")), line_no)
    if builder is not None:
        raise CorpusError(path, line_no, f"document {builder.name!r} has no #end document")
