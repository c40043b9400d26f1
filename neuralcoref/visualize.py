"""An HTML view of the coreference clusters: ``neuralcoref.render(doc)``.

The output is one self-contained piece of HTML (inline CSS and a few lines of JS, no external
asset, no URL): every mention of a cluster is underlined in its cluster's colour and tagged with
the cluster number; nested mentions get stacked underlines; hovering (or clicking) a mention shows
its candidate antecedents and their scores when the component kept them (``store_scores``).

    html = neuralcoref.render(doc)                  # a fragment: Jupyter shows it (_repr_html_)
    Path("out.html").write_text(neuralcoref.render(docs, page=True))   # a whole page

For displaCy, :func:`add_displacy_spans` puts every mention in one span group labelled with its
cluster number: ``displacy.render(doc, style="span", options=add_displacy_spans(doc))``.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from jinja2 import Environment
from markupsafe import Markup, escape
from spacy.tokens import Doc, Span

DISPLACY_KEY = "coref_mentions"
MAX_CANDIDATES = 6  # candidate antecedents listed per mention (the best-scored ones)

# 12 colours that stay apart for the common colour-vision deficiencies (Okabe-Ito + Tol's muted set)
PALETTE = (
    "#0072b2",
    "#d55e00",
    "#009e73",
    "#cc79a7",
    "#e69f00",
    "#56b4e9",
    "#882255",
    "#117733",
    "#aa4499",
    "#332288",
    "#999933",
    "#44aa99",
)

CSS = """
.nc-doc { font: 16px/2.6 system-ui, sans-serif; white-space: pre-wrap; color: #222; margin: 0 0 1.5em; }
.nc-title { font: bold 13px system-ui, sans-serif; color: #666; margin: 0 0 0.3em; }
.nc-m { position: relative; border-bottom: 3px solid var(--nc-c); background: var(--nc-bg);
        padding-bottom: calc(var(--nc-h) * 5px - 4px); border-radius: 2px; cursor: pointer; }
.nc-id { font: bold 10px/1 system-ui, sans-serif; color: #fff; background: var(--nc-c);
         border-radius: 6px; padding: 1px 4px; margin-left: 2px; vertical-align: super; }
.nc-tip { display: none; position: absolute; left: 0; top: 100%; z-index: 10; margin-top: 4px;
          min-width: 16em; max-width: 30em; padding: 6px 8px; white-space: normal; cursor: auto;
          font: 12px/1.4 system-ui, sans-serif; color: #222; background: #fff;
          border: 1px solid #bbb; border-top: 3px solid var(--nc-c); box-shadow: 0 2px 6px #0003; }
.nc-tip table { border-collapse: collapse; width: 100%; }
.nc-tip td { padding: 1px 4px; vertical-align: top; }
.nc-tip td.nc-score { text-align: right; font-variant-numeric: tabular-nums; }
.nc-tip tr.nc-linked { font-weight: bold; }
.nc-m:hover:not(:has(.nc-m:hover)) > .nc-tip, .nc-m.nc-pinned > .nc-tip { display: block; }
"""

# click pins a mention's scores (hover shows them without JS); one listener however many views
SCRIPT = """
if (!window.ncCorefClick) {
  window.ncCorefClick = function (event) {
    var mention = event.target.closest ? event.target.closest(".nc-m") : null;
    if (!mention || event.target.closest(".nc-tip")) return;
    mention.classList.toggle("nc-pinned");
    event.stopPropagation();
  };
  document.addEventListener("click", window.ncCorefClick);
}
"""

_ENV = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)

_FRAGMENT = _ENV.from_string("""\
<div class="nc-view">
<style>{{ css }}</style>
<script>{{ script }}</script>
{% for title, body in docs %}
{% if title %}<div class="nc-title">{{ title }}</div>{% endif %}
<div class="nc-doc">{{ body }}</div>
{% endfor %}
</div>""")

_PAGE = _ENV.from_string("""\
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ title }}</title></head>
<body>
{{ fragment }}
</body>
</html>
""")

_TIP = _ENV.from_string("""\
<span class="nc-tip"><b>{{ text }}</b> &middot; cluster {{ cluster }}
{% if rows is none %}<br>no scores (store_scores=False)
{% else %}<table>
<tr><td colspan="2"><i>antecedent scores (bold: same cluster)</i></td></tr>
{% for label, score, linked in rows %}
<tr{% if linked %} class="nc-linked"{% endif %}>\
<td>{{ label }}</td><td class="nc-score">{{ "%.2f"|format(score) }}</td></tr>
{% endfor %}
</table>
{% endif %}</span>""")


class HTML(str):
    """A str of HTML that Jupyter displays as HTML (``_repr_html_``)."""

    def _repr_html_(self) -> str:
        return str(self)


def render(
    docs: Union[Doc, Iterable[Doc]],
    *,
    page: bool = False,
    titles: Optional[Sequence[str]] = None,
    title: str = "neuralcoref",
) -> HTML:
    """HTML showing the clusters of one Doc or several (processed by the neuralcoref component).

    page: a whole ``<!DOCTYPE html>`` document (for a file) instead of a fragment (for Jupyter or
        for inserting into a page). titles: one heading per Doc (e.g. the document ids).
    """
    docs = [docs] if isinstance(docs, Doc) else list(docs)
    if titles is not None and len(titles) != len(docs):
        raise ValueError(f"render: {len(titles)} titles for {len(docs)} docs")
    bodies = [(titles[i] if titles is not None else None, doc_markup(doc)) for i, doc in enumerate(docs)]
    fragment = _FRAGMENT.render(css=Markup(CSS), script=Markup(SCRIPT), docs=bodies)
    return HTML(_PAGE.render(title=title, fragment=Markup(fragment)) if page else fragment)


def _cluster_mentions(doc: Doc) -> List[Tuple[int, int, int, Span]]:
    """(start_char, end_char, cluster number from 1, span) of every distinct mention of every cluster."""
    out, seen = [], set()
    for cluster in doc._.coref_clusters or []:
        for m in cluster.mentions:
            if (m.start, m.end) not in seen:
                seen.add((m.start, m.end))
                out.append((m.start_char, m.end_char, cluster.i + 1, m))
    return out


def doc_markup(doc: Doc) -> Markup:
    """The Doc's text with its cluster mentions as nested ``<span class="nc-m">`` elements.

    The text is cut at every mention boundary; each piece is wrapped in the mentions covering it,
    outermost first. Properly nested mentions become nested elements; a mention crossing another
    one is split into pieces (each with the mention's colour, the last with its number and scores).
    One sweep over the cuts, keeping the mentions open at each: linear in the text and the mentions.
    """
    mentions = _cluster_mentions(doc)
    text = doc.text  # built from the tokens on each access: read once
    if not mentions:
        return escape(text)
    heights = _heights(mentions)
    members: Dict[int, set] = {}  # cluster number -> its mentions' token offsets
    for _, _, cluster, span in mentions:
        members.setdefault(cluster, set()).add((span.start, span.end))
    tips = {k: _tip(mentions[k], members[mentions[k][2]]) for k in range(len(mentions))}
    cuts = sorted({0, len(text)} | {m[0] for m in mentions} | {m[1] for m in mentions})
    order = sorted(range(len(mentions)), key=lambda k: (mentions[k][0], -mentions[k][1], k))
    out: List[str] = []
    stack: List[int] = []
    covering: List[int] = []  # the mentions over the current piece, in `order`: outermost first
    next_in_order = 0
    for a, b in zip(cuts, cuts[1:]):
        if any(mentions[k][1] <= a for k in covering):
            covering = [k for k in covering if mentions[k][1] > a]
        while next_in_order < len(order) and mentions[order[next_in_order]][0] <= a:
            covering.append(order[next_in_order])  # starts at a (every start is a cut)
            next_in_order += 1
        keep = 0
        while keep < min(len(stack), len(covering)) and stack[keep] == covering[keep]:
            keep += 1
        while len(stack) > keep:
            out.append(_close(mentions, stack.pop(), a, tips))
        for k in covering[keep:]:
            start, end, cluster, _ = mentions[k]
            colour = PALETTE[(cluster - 1) % len(PALETTE)]
            out.append(
                f'<span class="nc-m" data-cluster="{cluster}" data-start="{start}" data-end="{end}" '
                f'style="--nc-c:{colour};--nc-bg:{colour}1a;--nc-h:{heights[k]}">'
            )
            stack.append(k)
        out.append(str(escape(text[a:b])))
    while stack:
        out.append(_close(mentions, stack.pop(), len(text), tips))
    return Markup("".join(out))


def _close(mentions, k: int, position: int, tips: Dict[int, Markup]) -> str:
    """End tag of mention k; where the mention really ends, its cluster number and score box first."""
    end, cluster = mentions[k][1:3]
    if position < end:  # cut by a crossing mention: continued in the next piece
        return "</span>"
    return f'<span class="nc-id">{cluster}</span>{tips[k]}</span>'


def _heights(mentions) -> List[int]:
    """1 + the number of mentions nested inside, on the deepest line: the underline's offset.

    Shortest first, so a mention's inner mentions have their heights; the inner mentions of one are
    found among the mentions that start inside it (by bisection), not among all of them."""
    by_start = sorted(range(len(mentions)), key=lambda k: mentions[k][0])
    starts = [mentions[k][0] for k in by_start]
    heights = [1] * len(mentions)
    for k in sorted(range(len(mentions)), key=lambda k: (mentions[k][1] - mentions[k][0], k)):
        a, b = mentions[k][:2]
        for j in by_start[bisect_left(starts, a) : bisect_left(starts, b)]:
            c, d = mentions[j][:2]
            if d <= b and (c, d) != (a, b):
                heights[k] = max(heights[k], heights[j] + 1)
    return heights


def _tip(mention: Tuple[int, int, int, Span], same_cluster: set) -> Markup:
    cluster, span = mention[2:]
    scores = span._.coref_scores
    rows = None
    if scores is not None:
        single = [("no antecedent", score, False) for m, score in scores.items() if m == span]
        candidates = sorted(((m, score) for m, score in scores.items() if m != span), key=lambda x: -x[1])
        rows = single + [(m.text, score, (m.start, m.end) in same_cluster) for m, score in candidates[:MAX_CANDIDATES]]
    return Markup(_TIP.render(text=span.text, cluster=cluster, rows=rows))


def add_displacy_spans(doc: Doc, key: str = DISPLACY_KEY) -> Dict[str, Any]:
    """Put every cluster mention in ``doc.spans[key]``, labelled with its cluster number; returns
    displaCy's options for that group in the colours of :func:`render`:
    ``displacy.render(doc, style="span", options=add_displacy_spans(doc))``.

    The component's own groups (``coref_clusters_1``, ...) hold one cluster each; this one holds them all.
    """
    clusters = doc._.coref_clusters or []
    doc.spans[key] = [Span(doc, m.start, m.end, label=str(c.i + 1)) for c in clusters for m in c.mentions]
    return {"spans_key": key, "colors": {str(c.i + 1): PALETTE[c.i % len(PALETTE)] + "66" for c in clusters}}
