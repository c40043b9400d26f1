"""CorefUD reader: CoNLL-U with coreference in the MISC column's `Entity=` attribute.

Bracket syntax (CorefUD 1.x): `(e1-person-1` opens a mention of entity `e1` (the
id ends at the first `-`), `e1)` closes it, `(e1-person-1)` is a one-token mention;
several brackets are concatenated, e.g. `Entity=(e5-person(e6)e6)`.

Choices:
- Tokens are the syntactic words: multiword-token lines (`1-2`) are skipped but
  their `SpaceAfter=No` applies to their last word, and the words inside one are
  joined without spaces, so the text is reproduced exactly. Empty nodes (`1.1`)
  are skipped.
- A discontinuous mention (parts `e1[1/2]` ... `e1[2/2]`) becomes one span from
  the start of its first part to the end of its last part: the runtime only
  predicts contiguous spans.
- `# speaker = X` applies to the tokens of its sentence only.
- Tokens before any `# newdoc` form a document named after the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from .gold import CorpusError, GoldDoc, TokenSpan, clusters_from_mentions

_N_COLUMNS = 10
_ENTITY_VALUE = re.compile(r"(?:\([^()]+\)?|[^()]+\))+")
_BRACKET = re.compile(r"(?P<open>\()?(?P<body>[^()]+)(?P<close>\))?")
_DISCONTINUOUS_PART = re.compile(r"(?P<entity>.+)\[(?P<part>\d+)/(?P<parts>\d+)\]")
_GUM_GENRE = re.compile(r"GUM_([a-z]+)_")


class _DocumentBuilder:
    """Accumulates the tokens and mentions of one `# newdoc`."""

    def __init__(self, path: Path, doc_id: str):
        self.path = path
        self.doc_id = doc_id
        genre = _GUM_GENRE.match(doc_id)
        self.genre = genre.group(1) if genre else None
        self.words: list[str] = []
        self.spaces: list[bool] = []
        self.sent_starts: list[bool] = []
        self.speakers: list[str | None] = []
        self.open: dict[str, list[tuple[int, int]]] = {}  # bracket id -> stack of (start token, line)
        self.parts: dict[str, list[TokenSpan]] = {}  # entity -> closed parts of a discontinuous mention
        self.mentions: list[tuple[str, TokenSpan]] = []
        self.paragraph_starts: list[int] = []

    def add_token(
        self, word: str, space: bool, sent_start: bool, speaker: str | None, entity: str | None, line_no: int
    ) -> None:
        index = len(self.words)
        self.words.append(word)
        self.spaces.append(space)
        self.sent_starts.append(sent_start)
        self.speakers.append(speaker)
        if entity is None:
            return
        if not _ENTITY_VALUE.fullmatch(entity):
            raise CorpusError(self.path, line_no, f"malformed Entity value {entity!r}")
        for bracket in _BRACKET.finditer(entity):
            bracket_id = bracket["body"].split("-", 1)[0]
            if bracket["open"]:
                self.open.setdefault(bracket_id, []).append((index, line_no))
            if bracket["close"]:
                if not self.open.get(bracket_id):
                    raise CorpusError(self.path, line_no, f"closing bracket for {bracket_id!r} with no open bracket")
                start, _ = self.open[bracket_id].pop()
                self._add_mention(bracket_id, (start, index + 1))

    def _add_mention(self, bracket_id: str, span: TokenSpan) -> None:
        part = _DISCONTINUOUS_PART.fullmatch(bracket_id)
        if not part:
            self.mentions.append((bracket_id, span))
            return
        entity = part["entity"]
        self.parts.setdefault(entity, []).append(span)
        if part["part"] == part["parts"]:
            spans = self.parts.pop(entity)
            self.mentions.append((entity, (min(s for s, _ in spans), max(e for _, e in spans))))

    def finish(self, line_no: int) -> GoldDoc:
        for bracket_id, stack in self.open.items():
            if stack:
                _, opened_at = stack[0]
                raise CorpusError(
                    self.path,
                    opened_at,
                    f"mention of {bracket_id!r} opened here is never closed (document ends at line {line_no})",
                )
        for entity in self.parts:
            raise CorpusError(self.path, line_no, f"discontinuous mention of {entity!r} is missing its last part")
        return GoldDoc(
            doc_id=self.doc_id,
            words=self.words,
            spaces=self.spaces,
            sent_starts=self.sent_starts,
            speakers=self.speakers,
            clusters=clusters_from_mentions(self.mentions, self.path),
            paragraph_starts=self.paragraph_starts,
            genre=self.genre,
            source=str(self.path),
        )


def _parse_range(token_id: str, path: Path, line_no: int) -> tuple[int, int]:
    first, _, last = token_id.partition("-")
    if not (first.isdigit() and last.isdigit()):
        raise CorpusError(path, line_no, f"malformed multiword token id {token_id!r}")
    return int(first), int(last)


def read_corefud(path: str | Path) -> Iterator[GoldDoc]:
    """Yield every document (`# newdoc`) of a CorefUD CoNLL-U file."""
    path = Path(path)
    builder: _DocumentBuilder | None = None
    speaker: str | None = None
    sent_start = True
    multiword: tuple[int, int, bool] | None = None  # first word, last word, space after the last
    line_no = 0
    with open(path, encoding="utf-8") as lines:
        for line_no, line in enumerate(lines, 1):
            line = line.rstrip("\r\n")
            if line.startswith("#"):
                key, _, value = line[1:].partition("=")
                key, value = key.strip(), value.strip()
                if key.startswith("newdoc"):
                    if builder is not None:
                        yield builder.finish(line_no - 1)
                    builder = _DocumentBuilder(path, value or path.stem)
                elif key == "meta::genre" and builder is not None:
                    builder.genre = value
                elif key == "speaker":
                    speaker = value or None
                elif (key == "newpar" or key.startswith("newpar ")) and builder is not None and builder.words:
                    builder.paragraph_starts.append(len(builder.words))
                continue
            if not line.strip():
                speaker, sent_start, multiword = None, True, None
                continue
            columns = line.split("\t")
            if len(columns) != _N_COLUMNS:
                raise CorpusError(path, line_no, f"expected {_N_COLUMNS} tab-separated columns, found {len(columns)}")
            token_id, word, misc = columns[0], columns[1], columns[9].split("|")
            space = "SpaceAfter=No" not in misc
            if "-" in token_id:
                multiword = (*_parse_range(token_id, path, line_no), space)
                continue
            if "." in token_id:
                continue
            if not token_id.isdigit():
                raise CorpusError(path, line_no, f"malformed token id {token_id!r}")
            if multiword is not None and multiword[0] <= int(token_id) <= multiword[1]:
                space = int(token_id) == multiword[1] and multiword[2]
            entity = next((item[len("Entity=") :] for item in misc if item.startswith("Entity=")), None)
            if builder is None:
                builder = _DocumentBuilder(path, path.stem)
            builder.add_token(word, space, sent_start, speaker, entity, line_no)
            sent_start = False
    if builder is not None:
        yield builder.finish(line_no)
