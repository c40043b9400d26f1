"""What a Doc holds once the component ran: its stored results, and its text resolved from them.

The component stores plain data in `doc.user_data[DATA_KEY]` (token offsets of every cluster's
mentions and its main mention); `doc._.coref_resolved`, `Conversation`'s resolved turns and the
batch records read it through `stored_results` and `resolved_text`. Kept apart from component.py
so that the rules of the resolved text (possessives, casing, nesting) are one module's job.
"""

from bisect import bisect_left
from typing import Dict, Optional, Tuple

from spacy.symbols import PRON, PROPN, X
from spacy.tokens import Doc, Span, Token

from .rules import get_rules

DATA_KEY = "neuralcoref"


def stored_results(doc: Doc) -> dict:
    """The results stored on this Doc; {} when they were copied from another Doc.

    `Span.as_doc(copy_user_data=True)` copies `user_data` (token offsets into the original Doc)
    but not `doc.spans` (spaCy 3.8): such data would give wrong spans, so the Doc reads as having
    no clusters, as its (empty) span groups say and as `Span.as_doc()` without user data gives.
    """
    data = doc.user_data.get(DATA_KEY) or {}
    if data and not _belongs_to(doc, data):
        return {}
    return data


def _belongs_to(doc: Doc, data: dict) -> bool:
    n_tokens = data.get("n_tokens")  # absent in data stored by earlier versions
    if n_tokens is not None and n_tokens != len(doc):
        return False
    prefix = data.get("span_prefix")
    return prefix is None or not data.get("clusters") or f"{prefix}_1" in doc.spans


def resolved_text(doc: Doc, start: int = 0, end: Optional[int] = None) -> str:
    """The text of the tokens doc[start:end] with each mention inside that range replaced by its
    cluster's main mention, which may lie outside the range (a turn of a conversation resolved
    against earlier turns). `doc._.coref_resolved` is the whole-Doc case.

    Only a name or a nominal replaces anything: a cluster whose main mention is a pronoun is left
    as written ("We started. Our plan worked." stays). A possessive pronoun takes the possessive
    form ("his" -> "John's"), a main mention with its possessive marker loses it ("John's" ...
    "he" -> "John"), and the first letter follows the place: capitalised at a sentence start,
    lower-cased when a common-noun mention leaves one ("The dog ... its tail" -> "the dog's tail").
    A main mention that holds a mention of another cluster is written resolved ("his keys" ...
    "them" -> "John's keys").
    """
    range_end = len(doc) if end is None else end
    data = stored_results(doc)
    if not data.get("clusters"):
        return doc.text if start == 0 and end is None else doc[start:range_end].text
    lang = data.get("lang", doc.lang_)
    rules = get_rules(lang) if lang else None
    return _Resolver(doc, data, rules).text(start, range_end, nested=True, whole=start == 0 and end is None)


class _Resolver:
    """One Doc's replacements, indexed once: each call costs the mentions inside its range (a main
    mention written resolved reads only the mentions it holds), not every mention of the Doc, so a
    long Doc resolves in O(mentions log mentions)."""

    def __init__(self, doc: Doc, data: dict, rules) -> None:
        self.doc, self.rules = doc, rules
        self.form = rules.possessive_form if rules else "{}"
        self.clusters = list(zip(data["clusters"], data["mains"]))
        # every mention that may be replaced (not its cluster's main), by start: (start, end, cluster)
        self.entries = sorted(
            (m_start, m_end, c)
            for c, (mentions, main) in enumerate(self.clusters)
            for k, (m_start, m_end) in enumerate(mentions)
            if k != main
        )
        self.starts = [entry[0] for entry in self.entries]
        self.main_texts: Dict[Tuple[int, bool], Optional[str]] = {}  # by (cluster, nested)
        self.replacing: Dict[int, bool] = {}  # by cluster

    def unmarked_end(self, start: int, end: int) -> int:
        """The end before a possessive marker: "[Melanie 's]" ends at "Melanie"."""
        return self.rules.end_without_possessive_marker(self.doc, start, end) if self.rules else end

    def main_text(self, cluster: int, nested: bool) -> Optional[str]:
        """The cluster's main mention as it replaces others; None for a pronoun, which replaces nothing."""
        key = (cluster, nested)
        if key not in self.main_texts:
            main_start, main_end = self.main_span(cluster)
            if not self.replaces(cluster):
                text = None
            elif nested:  # one level of nesting: "[[his] keys]"
                text = self.text(main_start, main_end, False, whole=False)
            else:
                text = self.doc[main_start:main_end].text
            self.main_texts[key] = text
        return self.main_texts[key]

    def replaces(self, cluster: int) -> bool:
        """Whether the cluster's main mention is a name or a nominal (read once per cluster)."""
        if cluster not in self.replacing:
            main_start, main_end = self.main_span(cluster)
            self.replacing[cluster] = not _is_pronoun_span(self.doc[main_start:main_end], self.rules)
        return self.replacing[cluster]

    def main_span(self, cluster: int) -> Tuple[int, int]:
        """The main mention's tokens, without a possessive marker."""
        mentions, main = self.clusters[cluster]
        main_start, main_end = mentions[main]
        return main_start, self.unmarked_end(main_start, main_end)

    def text(self, start: int, range_end: int, nested: bool, whole: bool) -> str:
        doc = self.doc
        replacements = []
        for m_start, m_end, cluster in self.entries[
            bisect_left(self.starts, start) : bisect_left(self.starts, range_end)
        ]:
            if m_end > range_end:
                continue  # ends outside the range
            main_text = self.main_text(cluster, nested)
            if main_text is None:
                continue
            mentions, main = self.clusters[cluster]
            text = _cased(main_text, doc[mentions[main][0]], doc[m_start])
            if (m_end - m_start == 1 and _is_possessive(doc[m_start])) or self.unmarked_end(m_start, m_end) != m_end:
                text = _possessive(self.form, text)
            replacements.append((m_start, m_end, text))
        replacements.sort()
        pieces, position = [], start
        for m_start, m_end, text in replacements:
            if m_start < position:
                continue  # nested inside a mention already replaced
            pieces.append(doc[position:m_start].text_with_ws if m_start > position else "")
            pieces.append(text + doc[m_end - 1].whitespace_)
            position = m_end
        pieces.append(doc[position:range_end].text_with_ws if position < range_end else "")
        resolved = "".join(pieces)
        return resolved if whole else resolved.rstrip()


def _possessive(form: str, text: str) -> str:
    """English "{}'s" after a final s is a bare apostrophe: "the students'" (not "the students's")."""
    if form.endswith("'s") and text.endswith("s"):
        return form[:-1].format(text)
    return form.format(text)


def _is_possessive(token: Token) -> bool:
    return token.tag_ == "PRP$" or "Yes" in token.morph.get("Poss", [])


def _is_pronoun_span(span: Span, rules) -> bool:
    """Whether every word of the span is a pronoun (a cluster with only pronouns has no better name)."""
    words = [t for t in span if not (t.is_punct or t.is_space)]
    return bool(words) and all(
        t.pos == PRON or t.tag_ in ("PRP", "PRP$") or (rules is not None and t.lower_ in rules.pronouns) for t in words
    )


def _cased(text: str, first: Token, place: Token) -> str:
    """The main mention's text with its first letter fitted to the place it is written at."""
    if not text:
        return text
    if place.is_sent_start:
        return text[0].upper() + text[1:]
    if (
        first.is_sent_start
        and first.is_title
        and first.pos not in (0, PROPN, X)
        and not first.ent_type
        and first.text != "I"
    ):  # a tagged common word, capitalised only because it began a sentence
        return text[0].lower() + text[1:]
    return text
