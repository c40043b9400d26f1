"""Speakers of a plain text, inferred when nobody gave them (the component's `infer_speakers`).

Who says what matters for *I*, *you* and *we*: the narrator's "he" and John's "I" in
`"I am tired," said John. He went to bed.` are one person, and the person constraint at linking
(first- and third-person pronouns of one speaker never share a cluster) needs to know that the
"I" is John's, not the narrator's. Two kinds of evidence, read from the parse:

- transcript lines: two or more lines that start with a short name and a colon (`Anna: ...`,
  `Q: ...`, `DR. SMITH: ...`): each line, up to the next such line, is that name's.
- quotations between double quotes: the quote is said by the subject of the verb that the quote
  depends on outside the quotation marks (`"...," said John` / `Anna said, "..."`); a quote with no
  such verb alternates between two anonymous speakers, as an exchange of lines does.

Everything else (narration) has no speaker. Speakers given by the user (`set_speakers`) always win.

The default is the language's (`RuleSet.speaker_inference`): on for English, whose model is trained
with these speakers (three seeds: OntoGUM dev +0.48 over the recipe without them; docs/accuracy.md,
"Speakers inferred by default"), off for French, whose guillemets and dashes are not read here.
"""

from dataclasses import dataclass
from typing import List, Optional, Tuple

import numpy
from spacy.attrs import IS_SPACE, ORTH, POS
from spacy.strings import get_string_id
from spacy.symbols import AUX, PROPN, VERB
from spacy.tokens import Doc, Token

#: the Doc extension that holds the speakers a user gave (`featurize.set_speakers`)
SPEAKERS_EXTENSION = "coref_speakers"
#: words of a name that many people share, left out when two quotations' speakers are compared by name
NAME_TITLES = {"mr", "mr.", "mrs", "mrs.", "ms", "ms.", "miss", "dr", "dr.", "sir", "lady", "lord", "madam"}
NAME_TITLES |= {"madame", "monsieur", "captain", "professor", "uncle", "aunt", "father", "mother", "saint", "st."}
#: double quotation marks, as tokens: straight, curly and the PTB forms
OPENING_QUOTES = {'"', "\u201c", "``", "\u201e"}
CLOSING_QUOTES = {'"', "\u201d", "''"}
#: at most this many tokens of a name before the colon of a transcript line
MAX_NAME_TOKENS = 3
SUBJECT_DEPS = {"nsubj", "nsubjpass", "nsubj:pass"}
#: their hashes, as Token.dep holds them (ids, not names: see `_quotations`)
SUBJECT_DEP_IDS = {get_string_id(dep) for dep in SUBJECT_DEPS}
#: the quotation marks' ORTH ids: the Doc is scanned as arrays (`Doc.to_array`), since building a Token
#: object per word made speaker inference about 5% of the component's time
OPENING_QUOTE_IDS = {get_string_id(mark) for mark in OPENING_QUOTES}
CLOSING_QUOTE_IDS = {get_string_id(mark) for mark in CLOSING_QUOTES}
_QUOTE_IDS = numpy.asarray(sorted(OPENING_QUOTE_IDS | CLOSING_QUOTE_IDS), dtype="uint64")


@dataclass(frozen=True, eq=False)  # compared by identity: `named_quotes` is an array
class SpeakerReading:
    """Who speaks each token of a Doc, and what is known of the speakers: read once per Doc
    (`read_speakers`), when its mentions are extracted, and kept on them (`Mentions.speakers`) for the
    linking constraints.

    speakers: one speaker (a string) or None per token; None: one voice (plain text).
    people: whether each speaker names one person: given (`set_speakers`, a `Conversation`'s turns) or
        read from transcript lines. Speakers guessed from quotations are not: an unattributed quote
        alternates between two guesses, and "said Herncastle" and "he said" are two speakers for one man.
    labels: the (start, end) token spans of transcript lines' names (`BOB:`), each a person's name.
    named_quotes: per token (int64), a number for the person who says it where a quotation is attributed
        to a name ("...," said Anna), -1 elsewhere; None when no quotation is. Names that share a word
        (titles aside: "Herncastle", "Mr. Herncastle", "John Herncastle") get one number, since they may
        be one person; "he said" and unattributed quotations get none.
    """

    speakers: Optional[List[Optional[str]]] = None
    people: bool = False
    labels: Tuple[Tuple[int, int], ...] = ()
    named_quotes: Optional[numpy.ndarray] = None


#: a Doc read as one voice
ONE_VOICE = SpeakerReading()


def read_speakers(doc: Doc, infer: bool = True) -> SpeakerReading:
    """The Doc's speakers: those the user gave (`set_speakers`), else (with `infer`) those its transcript
    lines or quotations show, else one voice."""
    given = doc._.get(SPEAKERS_EXTENSION) if Doc.has_extension(SPEAKERS_EXTENSION) else None
    if given:
        return SpeakerReading(list(given), people=True)
    return _inferred(doc) if infer else ONE_VOICE


def infer_speakers(doc: Doc) -> Optional[List[Optional[str]]]:
    """One speaker (a lowercase name, or an anonymous "quote speaker N") or None per token; None
    when the text shows no transcript lines and no quotations (then nothing changes)."""
    return _inferred(doc).speakers


def _inferred(doc: Doc) -> SpeakerReading:
    transcript = _transcript(doc)
    if transcript is not None:
        return transcript
    quotes = _quotations(doc)
    if not quotes:
        return ONE_VOICE
    speakers: List[Optional[str]] = [None] * len(doc)
    unattributed = 0
    names: List[Tuple[int, int, set]] = []
    for start, end in quotes:
        subject = _reporting_subject_tokens(doc, start, end)
        speaker = " ".join(t.text for t in subject).lower() or None
        if speaker is None:
            speaker = f"quote speaker {unattributed % 2 + 1}"
            unattributed += 1
        speakers[start:end] = [speaker] * (end - start)
        words = {t.lower_ for t in subject if t.pos == PROPN} - NAME_TITLES
        if words:
            names.append((start, end, words))
    return SpeakerReading(speakers, named_quotes=_named_quote_numbers(len(doc), names) if names else None)


def _line_starts(doc: Doc) -> List[int]:
    """Token indices that begin a non-blank line of the text: the first token that is not whitespace
    after a whitespace token holding a newline (a Doc's trailing whitespace is at most one space, so
    newlines are always tokens of their own). Each line once, however many whitespace tokens come
    before it (a Doc made from words can hold "\n", "\n"); a blank end of the text is no line."""
    starts: List[int] = []
    if not len(doc):
        return starts
    is_space = doc.to_array(IS_SPACE)
    breaks = [0] + [int(i) + 1 for i in numpy.flatnonzero(is_space[:-1]) if "\n" in doc[int(i)].text]
    for start in breaks:
        while start < len(doc) and is_space[start]:
            start += 1
        if start < len(doc) and (not starts or starts[-1] != start):
            starts.append(start)
    return starts


def _transcript(doc: Doc) -> Optional[SpeakerReading]:
    """Speakers of a transcript: two or more labelled lines that are the text's turns. Labels that
    each occur once on a few of many lines are a letter's or form's fields (`Phone: ...`,
    `Copyright Information: ...`), not turns: a transcript repeats a label (`Q:` ... `Q:`) or labels at
    least half of its lines, else nobody is speaking and the text keeps one voice."""
    labelled: List[Tuple[int, int, str]] = []
    n_lines = 0
    for start in _line_starts(doc):
        n_lines += 1
        for colon in range(start + 1, min(len(doc), start + MAX_NAME_TOKENS + 1)):
            if doc[colon].text == ":":
                label = doc[start:colon]
                if all(t.is_alpha or t.text == "." for t in label) and label[0].text[:1].isupper():
                    labelled.append((start, colon, label.text.lower()))
                break
    names = [name for _, _, name in labelled]
    if len(labelled) < 2 or (len(set(names)) == len(names) and 2 * len(labelled) < n_lines):
        return None
    speakers: List[Optional[str]] = [None] * len(doc)
    bounds = [start for start, _, _ in labelled[1:]] + [len(doc)]
    for (start, _, name), end in zip(labelled, bounds):
        speakers[start:end] = [name] * (end - start)
    return SpeakerReading(speakers, people=True, labels=tuple((start, colon) for start, colon, _ in labelled))


def _quotations(doc: Doc) -> List[Tuple[int, int]]:
    """(start, end) token spans of the quoted text, the quotation marks left out."""
    if not len(doc):
        return []
    orths = doc.to_array(ORTH)
    marks = numpy.flatnonzero(numpy.isin(orths, _QUOTE_IDS))
    if not len(marks):
        return []
    # speech, not "scare quotes": a verb inside. POS ids, not names: a Doc filled by `from_array` may
    # hold ids that have no name
    pos = doc.to_array(POS)
    verbs_before = numpy.concatenate([[0], numpy.cumsum((pos == VERB) | (pos == AUX))])
    spans = []
    opened = -1
    for i in marks.tolist():
        orth = int(orths[i])
        if opened < 0 and orth in OPENING_QUOTE_IDS:
            opened = i
        elif opened >= 0 and orth in CLOSING_QUOTE_IDS:
            if verbs_before[i] > verbs_before[opened + 1]:
                spans.append((opened + 1, i))
            opened = -1
    return spans


def _reporting_subject_tokens(doc: Doc, start: int, end: int) -> List[Token]:
    """The words of the subject of the verb outside the quote that the quote depends on (none: no such
    verb, or no subject), punctuation and the quote's own words left out."""
    for token in doc[start:end]:
        head = token.head
        if start <= head.i < end or head.i == token.i:
            continue
        for child in head.children:
            if child.dep in SUBJECT_DEP_IDS and not (start <= child.i < end):
                # the subject's edges, not Token.subtree, which never ends on a Doc whose heads form a cycle
                phrase = doc[child.left_edge.i : child.right_edge.i + 1]
                return [t for t in phrase if not t.is_punct and not (start <= t.i < end)]
        return []
    return []


def _named_quote_numbers(n_tokens: int, names: List[Tuple[int, int, set]]) -> numpy.ndarray:
    """`SpeakerReading.named_quotes` from the quotations attributed to names: (start, end, the name's
    words); one number per group of names that share a word (a union of the overlapping word sets)."""
    number_of_word: dict = {}
    numbers = list(range(len(names)))

    def find(k: int) -> int:
        while numbers[k] != k:
            numbers[k] = numbers[numbers[k]]
            k = numbers[k]
        return k

    for k, (_, _, words) in enumerate(names):
        for word in words:
            other = number_of_word.setdefault(word, k)
            numbers[find(k)] = find(other)
    ids = numpy.full(n_tokens, -1, dtype="int64")
    for k, (start, end, _) in enumerate(names):
        ids[start:end] = find(k)
    return ids
