"""Silver training documents from GAP: a teacher model's clusters over each GAP text, with the pronoun's
links set by GAP's gold answer, written as CoNLL-2012 for `python -m training train --train`.

Why: read as partly annotated documents (`read_gap_golds`), GAP teaches one pronoun decision a text and
says nothing of the text's other mentions. A silver document gives every mention of the text a
decision: the teacher's, except the pronoun's, which is GAP's. The student then trains on the whole
text, as on OntoGUM and LitBank, and the extra text is Wikipedia's (docs/accuracy.md, "Silver GAP").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from spacy.tokens import Doc, Span

from neuralcoref.batch.formats import doc_to_conll2012
from neuralcoref.config import DEFAULTS

from .readers.gap import GapExample, read_gap

#: a character span [start, end) of the GAP text
CharSpan = tuple[int, int]
#: how many characters longer than a GAP name a teacher's mention that holds it may be ("Simon Smith, 42")
_NAME_SLACK = 25


def _cluster_of(clusters: Sequence[Sequence[CharSpan]], name: CharSpan) -> tuple[int | None, CharSpan]:
    """(index of the cluster, its mention) of the teacher's mention of a GAP name: the same span, else the
    first mention (in cluster order) that holds the name, shares its first or last character and is at
    most `_NAME_SLACK` characters longer; (None, name) when no cluster mentions it."""
    for index, cluster in enumerate(clusters):
        if name in cluster:
            return index, name
    for index, cluster in enumerate(clusters):
        for start, end in cluster:
            holds = start <= name[0] and name[1] <= end and (start == name[0] or end == name[1])
            if holds and end - start <= name[1] - name[0] + _NAME_SLACK:
                return index, (start, end)
    return None, name


def gap_corrected_clusters(example: GapExample, clusters: Iterable[Iterable[CharSpan]]) -> list[list[CharSpan]]:
    """The teacher's clusters (character spans of the example's text) with GAP's answer imposed: the
    pronoun leaves its cluster; it joins the cluster of each name GAP says it refers to (a new cluster of
    the name and the pronoun when the teacher has none), and the other name leaves that cluster (GAP says
    the pronoun, so the entity, is not it). A pronoun that refers to neither name stays out of every
    cluster. Clusters left with one mention are dropped."""
    pronoun = (example.pronoun_offset, example.pronoun_offset + len(example.pronoun))
    names = {
        "A": (example.a_offset, example.a_offset + len(example.a)),
        "B": (example.b_offset, example.b_offset + len(example.b)),
    }
    refers = {"A": example.a_coref, "B": example.b_coref}
    corrected = [[span for span in cluster if span != pronoun] for cluster in clusters]
    for name, other in (("A", "B"), ("B", "A")):
        if not refers[name]:
            continue
        index, _ = _cluster_of(corrected, names[name])
        if index is None:
            corrected.append([names[name]])
            index = len(corrected) - 1
        corrected[index].append(pronoun)
        other_index, other_mention = _cluster_of(corrected, names[other])
        if other_index == index and not refers[other]:
            corrected[index].remove(other_mention)
    deduplicated = [sorted(set(cluster)) for cluster in corrected]
    return [cluster for cluster in deduplicated if len(cluster) > 1]


def token_spans(doc: Doc, clusters: Iterable[Iterable[CharSpan]]) -> list[list[Span]]:
    """The clusters' character spans as Spans of `doc`; a mention whose characters are not whole tokens
    is left out."""
    spans = [[doc.char_span(start, end) for start, end in cluster] for cluster in clusters]
    return [[span for span in cluster if span is not None] for cluster in spans]


def write_silver_gap(
    model_dir: str | Path, data: str | Path, out: str | Path, pipeline: str | None = None, batch_size: int = 64
) -> dict:
    """Run the component with the teacher at `model_dir` (default settings, plain text) over every GAP
    example of `data`, correct its clusters with GAP's answers and write them to `out` (a `.conll` file).
    RETURNS (dict): "documents", "links" (mentions that have an antecedent) and "corrected" (documents
    whose clusters GAP's answer changed)."""
    from .evaluate import pipeline_with_component

    out = Path(out)
    if out.suffix != ".conll":
        raise ValueError(f"{out}: name the silver file *.conll, the name `--train` reads as CoNLL-2012")
    nlp = pipeline_with_component(
        model_dir,
        pipeline,
        DEFAULTS["greedyness"],
        DEFAULTS["blacklist"],
        DEFAULTS["require_agreement"],
        DEFAULTS["infer_speakers"],
    )
    examples = read_gap(data)
    links = corrected_documents = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as file:
        docs = nlp.pipe((example.text for example in examples), batch_size=batch_size)
        for example, doc in zip(examples, docs):
            teacher = sorted(
                sorted((m.start_char, m.end_char) for m in cluster.mentions) for cluster in doc._.coref_clusters or []
            )
            clusters = gap_corrected_clusters(example, teacher)
            corrected_documents += sorted(clusters) != teacher
            links += sum(len(cluster) - 1 for cluster in clusters)
            file.write(doc_to_conll2012(doc, example.id, clusters=token_spans(doc, clusters)))
    return {"documents": len(examples), "links": links, "corrected": corrected_documents}
