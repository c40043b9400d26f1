"""neuralcoref.render: one self-contained HTML view of the clusters (and resolve --html)."""

import html.parser
import re
import subprocess
import sys
from pathlib import Path

import pytest
from spacy import displacy

import neuralcoref
from neuralcoref.cli import main
from neuralcoref.visualize import add_displacy_spans

TEXT = "My sister has a dog. She loves him. My sister's dog is happy and she says the dog's name is Rex."


class Elements(html.parser.HTMLParser):
    """Checks that tags are balanced and collects the mention elements (attributes, text inside) and the
    Doc's text (inside the nc-doc element, outside the number badges and score boxes)."""

    VOID = {"meta", "br", "link", "img", "input"}

    def __init__(self):
        super().__init__()
        self.stack, self.mentions, self.urls, self.doc_text = [], [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.urls += [v for k, v in attrs.items() if k in ("src", "href")]
        if tag in self.VOID:
            return
        self.stack.append((tag, attrs, []))
        if "nc-m" in (attrs.get("class") or "").split():
            self.mentions.append(attrs)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        opened, _, _ = self.stack.pop()
        assert opened == tag, f"</{tag}> closes <{opened}>"

    def handle_data(self, data):
        classes = [set((attrs.get("class") or "").split()) for _, attrs, _ in self.stack]
        if any("nc-doc" in c for c in classes) and not any(c & {"nc-id", "nc-tip"} for c in classes):
            self.doc_text.append(data)


def parse(markup: str) -> Elements:
    parser = Elements()
    parser.feed(markup)
    parser.close()
    assert parser.stack == [], "unclosed tags"
    return parser


@pytest.fixture(scope="module")
def doc(en_nlp):
    return en_nlp(TEXT)


def test_every_mention_is_marked_with_its_cluster(doc):
    markup = neuralcoref.render(doc)
    marked = {(int(m["data-start"]), int(m["data-end"]), int(m["data-cluster"])) for m in parse(markup).mentions}
    expected = {(m.start_char, m.end_char, c.i + 1) for c in doc._.coref_clusters for m in c}
    assert marked == expected and len(expected) >= 6
    for start, end, cluster in expected:  # the cluster number follows each mention
        assert re.search(
            rf'data-start="{start}" data-end="{end}"[^>]*>.*?<span class="nc-id">{cluster}</span>', markup, re.S
        )
    # the visible text is the Doc's text
    text_only = re.sub(r'<span class="nc-(id|tip)">.*?</span>(</table>\s*</span>)?', "", markup, flags=re.S)
    assert TEXT in re.sub(r"<[^>]+>", "", text_only).replace("&#39;", "'")


def test_nested_mentions_are_nested_elements_with_stacked_underlines(doc):
    markup = str(neuralcoref.render(doc))
    outer = next(m for c in doc._.coref_clusters for m in c if m.text == "My sister's dog")
    inner = next(m for c in doc._.coref_clusters for m in c if m.text == "My sister's")
    opening = re.search(
        rf'<span class="nc-m"[^>]*data-start="{outer.start_char}" data-end="{outer.end_char}"'
        rf'[^>]*--nc-h:(\d+)">\s*<span class="nc-m"[^>]*data-start="{inner.start_char}" '
        rf'data-end="{inner.end_char}"[^>]*--nc-h:(\d+)">',
        markup,
    )
    assert opening, "the inner mention is inside the outer one"
    assert int(opening.group(1)) == int(opening.group(2)) + 1, "the outer underline sits one step lower"


def test_hover_box_lists_candidate_antecedents_and_scores(doc):
    she = next(m for c in doc._.coref_clusters for m in c if m.text == "she")
    markup = str(neuralcoref.render(doc))
    element = re.search(rf'data-start="{she.start_char}".*?<span class="nc-tip">(.*?)</span></span>', markup, re.S)
    rows = re.findall(r'<tr( class="nc-linked")?><td>(.*?)</td><td class="nc-score">(-?[\d.]+)</td>', element.group(1))
    scores = she._.coref_scores
    assert rows[0][1:] == ("no antecedent", f"{scores[she]:.2f}")
    candidates = sorted(((m.text, s) for m, s in scores.items() if m != she), key=lambda x: -x[1])
    assert [(text.replace("&#39;", "'"), float(score)) for _, text, score in rows[1:]] == [
        (t, round(s, 2)) for t, s in candidates[: len(rows) - 1]
    ]
    assert any(linked for linked, _, _ in rows), "the antecedents in her cluster are marked"


def test_without_stored_scores_the_box_says_so(make_nlp):
    nlp = make_nlp(store_scores=False, greedyness=1.0)
    doc = nlp(TEXT)
    assert doc._.coref_clusters
    markup = neuralcoref.render(doc)
    assert "no scores (store_scores=False)" in markup and "nc-score" not in markup.replace(".nc-tip td.nc-score", "")


def test_self_contained_page_and_fragment(doc, en_nlp):
    page = neuralcoref.render([doc, en_nlp("No coreference here.")], page=True, titles=["a", "b"])
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page and "<script>" in page
    assert "http" not in page.lower() and "//" not in re.sub(r"<script>.*?</script>", "", page, flags=re.S)
    assert parse(page).urls == []
    assert '<div class="nc-title">b</div><div class="nc-doc">No coreference here.</div>' in page
    fragment = neuralcoref.render(doc)
    assert fragment._repr_html_() == fragment and not fragment.startswith("<!DOCTYPE")  # Jupyter shows it
    with pytest.raises(ValueError, match="1 titles for 2 docs"):
        neuralcoref.render([doc, doc], titles=["a"])


def test_text_is_escaped(en_nlp):
    doc = en_nlp("<u>Anna</u> said <script>alert(1)</script> she & I agree.")
    markup = neuralcoref.render(doc)
    assert "<u>" not in markup and "<script>alert" not in markup and "&lt;u&gt;" in markup
    parse(markup)


def test_crossing_mentions_are_split_not_lost(doc):
    """Mentions that overlap without nesting: the second is cut into two pieces, tags stay balanced."""
    crossing = doc.copy()
    crossing.user_data["neuralcoref"] = {
        "lang": "en",
        "clusters": [[[0, 2], [6, 7]], [[1, 4], [9, 10]]],
        "mains": [0, 0],
    }
    pieces = parse(neuralcoref.render(crossing)).mentions
    second = [m for m in pieces if m["data-cluster"] == "2" and m["data-start"] == str(crossing[1].idx)]
    assert len(second) == 2


@pytest.mark.parametrize("seed", range(20))
def test_random_nested_and_crossing_mentions(doc, seed):
    """The one-sweep markup on random layouts (nested, crossing, shared starts and ends): tags balance,
    the text comes back whole, each mention is closed once with its number, and each underline's height
    is 1 + the deepest chain of mentions nested inside it."""
    import random

    from neuralcoref.visualize import _cluster_mentions, _heights

    rng = random.Random(seed)
    spans = {(a, min(a + rng.randint(1, 6), len(doc))) for a in (rng.randrange(len(doc) - 1) for _ in range(12))}
    spans = sorted(spans)
    rng.shuffle(spans)
    clusters = [spans[k : k + 3] for k in range(0, len(spans), 3)]
    layout = doc.copy()
    layout.user_data["neuralcoref"] = {"lang": "en", "clusters": clusters, "mains": [0] * len(clusters)}

    markup = neuralcoref.render(layout)

    parsed = parse(markup)
    elements = parsed.mentions
    assert "".join(parsed.doc_text) == layout.text
    mentions = _cluster_mentions(layout)
    closed = re.findall(r'<span class="nc-id">(\d+)</span>', markup)
    assert sorted(closed) == sorted(str(m[2]) for m in mentions)
    assert {(int(e["data-start"]), int(e["data-end"])) for e in elements} == {m[:2] for m in mentions}

    def depth(k):  # the deepest chain of mentions strictly inside mention k, by definition
        a, b = mentions[k][:2]
        inner = [j for j, m in enumerate(mentions) if a <= m[0] and m[1] <= b and m[:2] != (a, b)]
        return 1 + max((depth(j) for j in inner), default=0)

    assert _heights(mentions) == [depth(k) for k in range(len(mentions))]


def test_displacy_span_view_shows_every_cluster(doc):
    options = add_displacy_spans(doc)
    labels = [str(c.i + 1) for c in doc._.coref_clusters]
    spans = doc.spans[options["spans_key"]]
    assert sorted({s.label_ for s in spans}) == labels and len(spans) == sum(len(c) for c in doc._.coref_clusters)
    markup = displacy.render(doc, style="span", options=options, page=False)
    assert sorted(set(re.findall(r">\s*(\d+)\s*</span>", markup))) == labels
    assert all(options["colors"][label] in markup for label in labels)


def test_resolve_writes_an_html_page(tmp_path, capsys):
    out = tmp_path / "clusters.html"
    assert main(["resolve", "--html", str(out), "My sister has a dog. She loves him."]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "http" not in page
    assert re.search(r'<span class="nc-m" data-cluster="1" data-start="0" data-end="9"', page)
    assert "Resolved:" in capsys.readouterr().out  # the usual output too


def test_resolve_html_to_an_unwritable_path_is_a_usage_error(tmp_path, capsys):
    assert main(["resolve", "--html", str(tmp_path / "missing" / "x.html"), "She sings."]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_the_python_examples_of_docs_serving_run(tmp_path):
    text = (Path(__file__).parent.parent / "docs" / "serving.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 2
    script = tmp_path / "example.py"
    script.write_text("\n".join(blocks) + "\nprint(len(markup))\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-W", "error", str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "clusters.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<div class="nc-title">second</div>' in page
    assert int(result.stdout) > 1000  # the displaCy markup
