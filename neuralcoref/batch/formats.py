"""Output formats of ``neuralcoref batch``: a processed Doc -> its output record, a pure function of
the Doc, so that every back end (one process, ``--n-process``, Dask) writes the same bytes.

* ``jsonl``: :func:`doc_to_record` (``{"id", "clusters", "mentions_text", "resolved"}``);
* ``conll2012``: :func:`doc_to_conll2012`, the reference scorer's format;
* ``corefud``: :func:`doc_to_corefud`, CorefUD 1.x (CoNLL-U).

:data:`CONVERTERS` maps a format name to its function; :func:`convert` looks it up at call time.
"""

from __future__ import annotations

import collections
import re
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

FORMATS = ("jsonl", "conll2012", "corefud")


def _clusters(doc) -> list:
    return list(doc._.coref_clusters or [])


def mention_spans(doc) -> List[List[Any]]:
    """Mentions of each cluster, duplicates (same span) removed, order kept."""
    out = []
    for cluster in _clusters(doc):
        seen = set()
        spans = []
        for m in cluster.mentions:
            if (m.start, m.end) not in seen:
                seen.add((m.start, m.end))
                spans.append(m)
        out.append(spans)
    return out


def doc_to_record(doc, doc_id: Any = None, *, with_id: bool = True) -> Dict[str, Any]:
    """The JSONL output record of a processed Doc.

    ``clusters`` are ``[start_char, end_char]`` offsets into ``doc.text`` (the
    original text), ``mentions_text`` the matching strings, ``resolved`` the
    text with every mention replaced by its cluster's main mention.
    """
    clusters = mention_spans(doc)
    resolved = doc._.coref_resolved
    record: Dict[str, Any] = {}
    if with_id:
        record["id"] = doc_id
    record["clusters"] = [[[m.start_char, m.end_char] for m in ms] for ms in clusters]
    record["mentions_text"] = [[m.text for m in ms] for ms in clusters]
    record["resolved"] = resolved if resolved is not None else doc.text
    return record


def _trim(span) -> Optional[Tuple[int, int]]:
    """Token offsets of span without leading/trailing whitespace tokens; None if nothing is left."""
    doc = span.doc
    start, end = span.start, span.end
    while start < end and doc[start].is_space:
        start += 1
    while end > start and doc[end - 1].is_space:
        end -= 1
    return (start, end) if start < end else None


def _column_safe(text: str) -> str:
    return "_".join(str(text).split()) or "_"


def _sentences(doc) -> List[Tuple[int, int]]:
    if len(doc) == 0:
        return []
    if doc.has_annotation("SENT_START"):
        return [(s.start, s.end) for s in doc.sents]
    return [(0, len(doc))]


def doc_to_conll2012(doc, doc_id: Any, *, clusters: Optional[Sequence[Sequence[Any]]] = None) -> str:
    """One ``#begin document`` ... ``#end document`` block in CoNLL-2012 format.

    Columns: document id, part, word number, word, POS, parse bit, lemma,
    frameset, sense, speaker, named entity, coreference. Whitespace tokens are
    left out; cluster numbers are the cluster indices. The reference scorer
    only reads the words and the last column, and needs the same tokenization
    in key and response. ``clusters`` (lists of Spans of ``doc``) replace the
    component's clusters (the trainer's silver documents, ``training/silver.py``).
    """
    name = _column_safe(doc_id)
    column_name = "_" + name if name.startswith("#") else name  # a line starting with '#' is a comment
    opens: Dict[int, List[Tuple[int, int]]] = collections.defaultdict(list)
    closes: Dict[int, List[Tuple[int, int]]] = collections.defaultdict(list)
    singles: Dict[int, List[int]] = collections.defaultdict(list)
    for ci, mentions in enumerate(mention_spans(doc) if clusters is None else clusters):
        for m in mentions:
            trimmed = _trim(m)
            if trimmed is None:
                continue
            start, end = trimmed
            if end - start == 1:
                singles[start].append(ci)
            else:
                opens[start].append((end, ci))
                closes[end - 1].append((start, ci))
    lines = [f"#begin document ({' '.join(str(doc_id).split())}); part 000"]
    for s_start, s_end in _sentences(doc):
        word_no = 0
        wrote = False
        for tok in doc[s_start:s_end]:
            if tok.is_space:
                continue
            i = tok.i
            # closing first: a mention that ends here opened before any that opens here, which matters
            # when both are of one cluster (crossing mentions; the reader closes the last one opened)
            parts = [f"{ci})" for _, ci in sorted(closes[i], key=lambda x: (-x[0], x[1]))]
            parts += [f"({ci}" for _, ci in sorted(opens[i], key=lambda x: (-x[0], x[1]))]
            parts += [f"({ci})" for ci in sorted(singles[i])]
            coref = "|".join(parts) or "-"
            lines.append(
                "\t".join(
                    [
                        column_name,
                        "0",
                        str(word_no),
                        _column_safe(tok.text),
                        _column_safe(tok.tag_ or "-"),
                        "*",
                        "-",
                        "-",
                        "-",
                        "-",
                        "*",
                        coref,
                    ]
                )
            )
            word_no += 1
            wrote = True
        if wrote:
            lines.append("")
    lines.append("#end document")
    return "\n".join(lines) + "\n"


COREFUD_GLOBAL_ENTITY = "eid-etype-head-other-infstat-minspan-identity"


def doc_to_corefud(doc, doc_id: Any) -> str:
    """The Doc as a CorefUD 1.x (CoNLL-U) document: ``# newdoc id``, one block a sentence.

    Coreference is in MISC as ``Entity=(d1_e1--2`` ... ``d1_e1)`` (entity ids are
    the document id, made safe, plus ``_e<cluster number>``, so they are unique in
    a file of many documents) with the mention's head (1-based, within the
    mention) from the dependency parse. Whitespace
    tokens are left out; a mention crossing a sentence boundary is cut to the
    sentence of its first token (CorefUD has no cross-sentence mentions).
    """
    sents = _sentences(doc)
    # udapi reads "a/b" in a sent_id as bundle "a", zone "b": keep sent ids to plain characters;
    # the scorer reads a whole file as one document, so entity ids carry the document's id too
    sent_prefix = re.sub(r"[^A-Za-z0-9_.-]", "_", str(doc_id)) or "_"
    eid_prefix = re.sub(r"[^A-Za-z0-9_.]", "_", str(doc_id)) or "_"
    sent_of: Dict[int, int] = {}
    for si, (a, b) in enumerate(sents):
        for i in range(a, b):
            sent_of[i] = si
    # chunks per token: opening (needs length), closing, single-word
    opening: Dict[int, List[Tuple[int, str]]] = collections.defaultdict(list)
    closing: Dict[int, List[Tuple[int, str]]] = collections.defaultdict(list)
    single: Dict[int, List[str]] = collections.defaultdict(list)
    for ci, mentions in enumerate(mention_spans(doc)):
        eid = f"{eid_prefix}_e{ci + 1}"
        for m in mentions:
            trimmed = _trim(m)
            if trimmed is None:
                continue
            start, end = trimmed
            s_end = sents[sent_of[start]][1]
            end = min(end, s_end)
            words = [t.i for t in doc[start:end] if not t.is_space]
            if not words:
                continue
            head_tok = doc[start:end].root
            while head_tok.is_space and head_tok.head.i != head_tok.i and start <= head_tok.head.i < end:
                head_tok = head_tok.head
            head = words.index(head_tok.i) + 1 if head_tok.i in words else 1
            label = f"({eid}--{head}"
            if len(words) == 1:
                single[words[0]].append(label + ")")
            else:
                opening[words[0]].append((len(words), label))
                closing[words[-1]].append((len(words), f"{eid})"))
    has_dep = doc.has_annotation("DEP")
    out = [f"# newdoc id = {_column_safe(doc_id)}", f"# global.Entity = {COREFUD_GLOBAL_ENTITY}"]
    for si, (s_start, s_end) in enumerate(sents):
        kept = [t for t in doc[s_start:s_end] if not t.is_space]
        if not kept:
            continue
        ids = {t.i: n for n, t in enumerate(kept, 1)}
        text = " ".join(doc[s_start:s_end].text.split())
        out.append(f"# sent_id = {sent_prefix}-{si + 1}")
        out.append(f"# text = {text}")
        for t in kept:
            if has_dep:
                head = t.head
                while head.is_space and head.head.i != head.i:
                    head = head.head
                if head.i == t.i or head.i not in ids:
                    head_id, deprel = "0", "root"
                else:
                    head_id, deprel = str(ids[head.i]), (t.dep_ or "dep")
            else:
                head_id, deprel = "0", "_"
            misc = []
            ents = ""
            if opening[t.i] or not closing[t.i]:
                ents = "".join(c for _, c in sorted(closing[t.i], key=lambda x: x[0]))
                ents += "".join(o for _, o in sorted(opening[t.i], key=lambda x: -x[0]))
                ents += "".join(single[t.i])
            else:
                ents = "".join(single[t.i]) + "".join(c for _, c in sorted(closing[t.i], key=lambda x: x[0]))
            if ents:
                misc.append(f"Entity={ents}")
            if not t.whitespace_ and t.i + 1 < len(doc) and not doc[t.i + 1].is_space:
                misc.append("SpaceAfter=No")
            out.append(
                "\t".join(
                    [
                        str(ids[t.i]),
                        t.text,
                        _column_safe(t.lemma_ or "_"),
                        _column_safe(t.pos_ or "_"),
                        _column_safe(t.tag_ or "_"),
                        "_",
                        head_id,
                        _column_safe(deprel),
                        "_",
                        "|".join(misc) or "_",
                    ]
                )
            )
        out.append("")
    return "\n".join(out) + "\n"


CONVERTERS: Dict[str, Callable[..., Any]] = {
    "jsonl": doc_to_record,
    "conll2012": doc_to_conll2012,
    "corefud": doc_to_corefud,
}


def convert(doc, doc_id: Any, fmt: str = "jsonl"):
    """Output payload of a Doc: a dict for ``jsonl``, a text block otherwise."""
    return CONVERTERS[fmt](doc, doc_id)
