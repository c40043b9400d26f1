"""Evaluation: of cached features (during training) and of the real component (the CLI).

`predict_cached` runs the component's own driver (`neuralcoref.linking.link_mentions`: the same
blocks, pair scorer, link rule, constraints and clustering as `CorefResolver`) over cached arrays
with an exported `CorefModel`, so a dev score during training is the score the exported model gets
in the component. `evaluate_model` runs the component itself over
gold-tokenized documents (predicted mentions) and scores it with `training.metrics`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path

import numpy
from spacy.language import Language
from spacy.tokens import Doc

from neuralcoref.config import DEFAULTS
from neuralcoref.features import MENTION_LAYOUT, N_TENSOR_SLOTS_PY as N_TENSOR_SLOTS, WordTable
from neuralcoref.model_io import CorefModel
from neuralcoref.greedyness import CALIBRATION_KEY, greedyness_offset
from neuralcoref.linking import cluster_lists, fused_weights, link_mentions, numpy_pair_scores
from neuralcoref.resolution import LinkSettings, PairWeights, agreement_codes, linking_constraints
from neuralcoref.rules import get_rules
from neuralcoref.scorer import Scorer
from .corpus import gold_docs_to_docs
from .readers.gold import with_paragraph_breaks
from .featurize_corpus import CONSTRAINT_ARRAYS, FeatureCache, load_pipeline
from .metrics import (
    bootstrap_interval,
    check_strata,
    corpus_counts,
    corpus_scores,
    paired_bootstrap,
    scores_from_counts,
)


def word_rows_for(cache: FeatureCache, words: Sequence[str]) -> numpy.ndarray:
    """Embedding rows of every cached mention's word slots, as the runtime looks them up."""
    hashes = numpy.ascontiguousarray(cache.arrays["word_hashes"], dtype="uint64")
    return WordTable(words).lookup(hashes)


def predict_cached(
    cache: FeatureCache,
    word_rows: numpy.ndarray,
    model: CorefModel,
    greedyness: float = DEFAULTS["greedyness"],
    blacklist: bool = DEFAULTS["blacklist"],
    require_agreement: bool | None = DEFAULTS["require_agreement"],
) -> list[list[list[tuple[int, int]]]]:
    """Predicted clusters (token spans) of every cached document, linked by the component's own driver
    from the cached features (`cached_links`; `require_agreement` None: the rule set's default, as in
    the component)."""
    offset = greedyness_offset(greedyness, model.meta.get(CALIBRATION_KEY))
    arrays = cache.arrays
    out: list = []
    for ms, linker, _ in cached_links(cache, word_rows, model, offset, blacklist, require_agreement, False):
        spans = list(zip(arrays["starts"][ms].tolist(), arrays["ends"][ms].tolist()))
        out.append([[spans[m] for m in cluster] for cluster in cluster_lists(*linker.clusters())])
    return out


def cached_links(
    cache: FeatureCache,
    word_rows: numpy.ndarray,
    model: CorefModel,
    threshold_offset: float,
    blacklist: bool,
    require_agreement: bool | None,
    store_scores: bool,
):
    """Per cached document: (mention slice, its `Linker` once linked, [(mentions, pair scores)] of its
    blocks when `store_scores`), linked by the component's driver `neuralcoref.linking.link_mentions`:
    the same blocks, scorer, link rule and constraints as the component, the pair features from the cache."""
    require_agreement = get_rules(model.lang).requires_agreement(require_agreement)
    settings = LinkSettings(threshold_offset, cache.meta["max_dist"], cache.meta["max_dist_match"], blacklist)
    scorer = Scorer(model.weights)
    weights = fused_weights(scorer)
    columns = cached_constraint_columns(cache)
    for d in range(len(cache)):
        ms, ps = cache.doc_slice(d)
        agreement = (
            linking_constraints({name: values[ms] for name, values in columns.items()}, require_agreement)
            if ms.stop > ms.start
            else None
        )
        stored: list | None = [] if store_scores else None
        yield (
            ms,
            _link_cached_doc(
                cache, word_rows, ms, ps, model.tensor_width, scorer, weights, settings, agreement, stored
            ),
            stored,
        )


def cached_doc_inputs(cache: FeatureCache, ms: slice, ps: slice, tensor_width: int) -> tuple[numpy.ndarray, ...]:
    """A cached document's scorer inputs as a model of `tensor_width` reads them, contiguous: tensor_feats
    and mention_feats of its mentions, then pair_ant and pair_ment (int32, indices within the document)
    and pair_feats of its pairs. A model without tensor input (tensor_width 0) reads none of the cached
    tensor columns."""
    arrays = cache.arrays
    return (
        numpy.ascontiguousarray(arrays["tensor_feats"][ms][:, : tensor_width * N_TENSOR_SLOTS]),
        numpy.ascontiguousarray(arrays["mention_feats"][ms]),
        numpy.ascontiguousarray(arrays["pair_ant"][ps], dtype="int32"),
        numpy.ascontiguousarray(arrays["pair_ment"][ps], dtype="int32"),
        numpy.ascontiguousarray(arrays["pair_feats"][ps], dtype="uint8"),
    )


def _link_cached_doc(
    cache: FeatureCache,
    word_rows: numpy.ndarray,
    ms: slice,
    ps: slice,
    tensor_width: int,
    scorer: Scorer,
    weights: PairWeights | None,
    settings: LinkSettings,
    agreement,
    stored: list | None,
):
    """One cached document through `link_mentions` (see `cached_links`); (mentions, scores) of each block
    go into `stored` unless it is None. RETURNS the Linker."""
    arrays = cache.arrays
    n = ms.stop - ms.start
    rows = word_rows[ms]
    tensor_feats, mention_feats, ant, ment, pair_feats = cached_doc_inputs(cache, ms, ps, tensor_width)
    if settings.blacklist:
        listed = numpy.asarray(arrays["blacklisted"][ms], dtype=bool)
        keep = ~(listed[ant] | listed[ment])
        ant, ment, pair_feats = ant[keep], ment[keep], pair_feats[keep]

    def encode_block(first, last):
        encoded = scorer.encode(rows[first:last], tensor_feats[first:last], mention_feats[first:last])
        return scorer.single_scores(encoded), scorer.pair_projections(encoded)

    def link_block(linker, first, last, base, as_ant, as_ment):
        block = slice(*numpy.searchsorted(ment, [first, last]).tolist())  # the pairs of mentions first..last-1
        if block.stop <= block.start:
            return
        if weights is not None:
            scores = numpy.empty(block.stop - block.start, dtype="float32") if stored is not None else None
            linker.link_cached(
                weights, ant[block], ment[block], pair_feats[block], base, as_ant, first, as_ment, scores
            )
        else:
            scores = numpy_pair_scores(scorer, base, as_ant, first, as_ment, ant[block], ment[block], pair_feats[block])
            linker.link_scored(ant[block], ment[block], scores)
        if stored is not None:
            stored.append((ment[block], scores))

    return link_mentions(n, settings, agreement, encode_block, link_block)


def cached_margins(
    cache: FeatureCache, word_rows: numpy.ndarray, model: CorefModel, blacklist: bool = DEFAULTS["blacklist"]
) -> numpy.ndarray:
    """Each cached mention's margin, best candidate's pair score minus its "no antecedent" score
    (mentions without a candidate left out): what `greedyness` is calibrated on."""
    out: list = []
    for _, linker, stored in cached_links(cache, word_rows, model, 0.0, blacklist, None, True):
        single = linker.single_scores
        best = numpy.full(len(single), -numpy.inf, dtype="float64")
        for ment, scores in stored:
            numpy.maximum.at(best, ment, scores)
        has = numpy.isfinite(best)
        out.append(best[has] - single[has])
    return numpy.concatenate(out) if out else numpy.zeros(0)


def cached_constraint_columns(cache: FeatureCache) -> dict[str, numpy.ndarray]:
    """The columns that `linking_constraints` reads, for every cached mention: gender and number from
    the one-hot features that the runtime's extractor wrote (the same MentionC fields the runtime
    reads), the others as cached (`Mentions.columns()` and `constraints.constraint_columns`)."""
    layout = {name: (offset, width) for name, offset, width in MENTION_LAYOUT}
    feats = cache.arrays["mention_feats"]
    (g, g_width), (k, k_width) = layout["gender"], layout["number"]
    return {
        "gender": numpy.asarray(feats[:, g : g + g_width]).argmax(axis=1),
        "number": numpy.asarray(feats[:, k : k + k_width]).argmax(axis=1),
        "mention_type": numpy.asarray(cache.arrays["mention_type"]),
        "start": numpy.asarray(cache.arrays["starts"]),
        "end": numpy.asarray(cache.arrays["ends"]),
        **{name: numpy.asarray(cache.arrays[name]) for name in ("person", "speaker", "sent_index") + CONSTRAINT_ARRAYS},
    }


def cached_agreement_codes(cache: FeatureCache) -> numpy.ndarray:
    """`agreement_codes` of every cached mention (see `cached_constraint_columns`)."""
    columns = cached_constraint_columns(cache)
    return agreement_codes(columns["gender"], columns["number"], columns["mention_type"])


def gold_clusters(doc_record: dict) -> list[list[tuple[int, int]]]:
    return [[tuple(span) for span in cluster] for cluster in doc_record["clusters"]]


def score_cache(cache: FeatureCache, predictions, drop_gold_singletons: bool = True) -> dict:
    """Corpus scores of cached predictions against the cache's gold clusters."""
    triples = [
        (f"{k}:{d['doc_id']}", gold_clusters(d), pred) for k, (d, pred) in enumerate(zip(cache.docs, predictions))
    ]
    return corpus_scores(triples, drop_gold_singletons=drop_gold_singletons)


# -- the real component ------------------------------------------------------------------------------------


def evaluate_model(
    model_dir: str | Path,
    data: Sequence[str | Path],
    *,
    drop_gold_singletons: bool = False,
    per_genre: bool = False,
    bootstrap: int = 0,
    within_genres: bool = False,
    **settings,
) -> dict:
    """Run the `neuralcoref` component with the model at `model_dir` over the gold-tokenized corpora and
    score its clusters; `settings` say how the component runs and how the text reaches it
    (`predict_corpus`: greedyness, paragraphs, gold speakers...).

    `drop_gold_singletons` scores a corpus that annotates singletons (LitBank) the OntoNotes way.
    `bootstrap` > 0 adds a 95% interval over the documents drawn that many times
    (`neuralcoref.metrics.bootstrap_interval`), from the whole corpus or, `within_genres`, from each
    genre (for a corpus sampled evenly from its genres, as OntoGUM's test and dev sets are).
    RETURNS (dict): "overall" scores, "genres" (genre -> scores, if per_genre), "bootstrap" (if asked),
    "n_docs", "n_tokens", "seconds", "settings", and the per-document rows (`PER_DOCUMENT_KEYS`):
    "documents" (doc id -> its `corpus_counts` row, what `compare_models` pairs) and "document_genres"
    (their genres, in the same order).
    """
    predicted = predict_corpus(model_dir, data, **settings)
    triples, genres = predicted["triples"], predicted["genres"]
    counts = corpus_counts(triples, drop_gold_singletons=drop_gold_singletons)
    result: dict = {
        "overall": scores_from_counts(counts.sum(axis=0)),
        "n_docs": len(triples),
        "n_tokens": predicted["n_tokens"],
        "seconds": predicted["seconds"],
        "settings": {**predicted["settings"], "drop_gold_singletons": drop_gold_singletons},
        "documents": {doc_id: row.tolist() for (doc_id, _, _), row in zip(triples, counts)},
        "document_genres": list(genres),
    }
    if bootstrap:
        add_bootstrap(result, bootstrap, within_genres=within_genres)
    if per_genre:
        result["genres"] = {}
        for genre in sorted(set(genres)):
            rows = counts[[g == genre for g in genres]]
            result["genres"][genre] = {**scores_from_counts(rows.sum(axis=0)), "n_docs": len(rows)}
    return result


def add_bootstrap(result: dict, resamples: int, within_genres: bool = False) -> dict:
    """Add to `evaluate_model`'s result its 95% intervals over the documents drawn `resamples` times,
    from the whole corpus or within each genre (StrataError: a genre of one document, or one genre)."""
    counts = numpy.asarray(list(result["documents"].values()), dtype="float64")
    strata = result["document_genres"] if within_genres else None
    result["bootstrap"] = {
        "resamples": resamples,
        "within_genres": within_genres,
        **bootstrap_interval(counts, resamples=resamples, strata=strata),
    }
    return result


def predict_corpus(
    model_dir: str | Path,
    data: Sequence[str | Path],
    pipeline: str | None = None,
    greedyness: float = DEFAULTS["greedyness"],
    blacklist: bool = DEFAULTS["blacklist"],
    batch_size: int = 32,
    progress: bool = True,
    strip_possessive: bool = False,
    require_agreement: bool | None = DEFAULTS["require_agreement"],
    infer_speakers: bool | None = DEFAULTS["infer_speakers"],
    gold_speakers: bool = False,
    drop_tensor: bool = False,
    paragraphs: bool = False,
) -> dict:
    """The component's clusters for every gold document of the corpora, its mentions predicted.

    `strip_possessive` scores mentions without a trailing possessive marker ("Melanie 's" -> "Melanie"),
    for corpora whose guidelines leave it out (LitBank; the component follows OntoNotes). `gold_speakers`
    gives the component the corpus's speakers (a labelled second row: by default the text comes plain, as
    a user's does). `drop_tensor` empties doc.tensor before the component, as a pipeline without a
    tok2vec leaves it (another labelled row). `paragraphs` puts a newline token before each paragraph, as
    a user's text has its line breaks (a labelled row; the corpora's other rows run the words on).
    RETURNS (dict): "triples" ((doc id, gold clusters, predicted clusters) per document, as
    `corpus_scores` reads them), "genres", "n_tokens", "seconds", "settings"."""
    from .corpus import read_corpus

    nlp = pipeline_with_component(model_dir, pipeline, greedyness, blacklist, require_agreement, infer_speakers)
    if drop_tensor:
        nlp.add_pipe(EMPTY_TENSOR_PIPE, before="neuralcoref")
    golds = [gold for path in data for gold in read_corpus(path, nlp=nlp)]
    if paragraphs:
        golds = [with_paragraph_breaks(gold) for gold in golds]
    start = time.time()
    docs = gold_docs_to_docs(golds, nlp, batch_size=batch_size, skip_coref=False, gold_speakers=gold_speakers)
    if progress:
        from tqdm import tqdm

        docs = tqdm(docs, total=len(golds), desc="evaluate", unit="doc")
    rules = get_rules(nlp.lang) if strip_possessive else None
    triples, genres = [], []
    for k, (gold, doc) in enumerate(zip(golds, docs)):
        predicted = [[scored_span(m, rules) for m in cluster.mentions] for cluster in doc._.coref_clusters or []]
        triples.append((f"{k}:{gold.doc_id}", gold.clusters, predicted))
        genres.append(gold.genre or "-")
    resolver = nlp.get_pipe("neuralcoref").resolver
    return {
        "triples": triples,
        "genres": genres,
        "n_tokens": sum(len(g.words) for g in golds),
        "seconds": round(time.time() - start, 1),
        "settings": {
            "model": str(model_dir),
            "data": [str(p) for p in data],
            "pipeline": f"{nlp.meta['lang']}_{nlp.meta['name']}",
            "greedyness": greedyness,
            "blacklist": blacklist,
            "require_agreement": resolver.require_agreement,
            "infer_speakers": resolver.featurizer.infer_speakers,
            "strip_possessive": strip_possessive,
            "gold_speakers": gold_speakers,
            "drop_tensor": drop_tensor,
            "paragraphs": paragraphs,
        },
    }


#: the keys of `evaluate_model`'s result that hold a row per document (left out of model files and summaries)
PER_DOCUMENT_KEYS = ("documents", "document_genres")
#: the scores that the bootstrap gives intervals of, with their printed names
INTERVAL_SCORES = (("conll_f1", "CoNLL F1"), ("lea", "LEA"))
#: below this many documents a bootstrap interval over them is rough (a few documents decide each draw)
FEW_DOCUMENTS = 20


def compare_models(
    recipes: Sequence[str | Path | Sequence[str | Path]],
    data: Sequence[str | Path],
    resamples: int = 1000,
    within_genres: bool = False,
    **settings,
) -> dict:
    """Each model, or each recipe's runs (seeds), against the first on the same documents, with a paired
    bootstrap over documents (`neuralcoref.metrics.paired_bootstrap`, which draws a recipe's runs again
    too): is a difference more than which documents, and which seeds, the comparison happened to get?

    `recipes`: model paths, or lists of the model paths of one recipe's runs. `within_genres` draws the
    documents within each genre (`evaluate_model`). `settings` are `evaluate_model`'s (the same for every
    model). RETURNS (dict): "recipes" (for each: "models", its "results" (`evaluate_model`'s, without the
    per-document rows), and its own "conll_f1" and "lea" intervals), "comparisons" (for the second on:
    "models", and per score the baseline, system, difference, interval and system_higher), "resamples",
    "within_genres", "n_docs", "n_genres".
    """
    groups = [[str(recipe)] if isinstance(recipe, (str, Path)) else [str(m) for m in recipe] for recipe in recipes]
    if len(groups) < 2 or not all(groups):
        raise ValueError("compare needs two models (or recipes) or more: the first is the baseline")
    baseline = groups[0][0]
    results = {baseline: evaluate_model(baseline, data, **settings)}
    if within_genres:  # refuse the genres before the other models are scored
        check_strata(results[baseline]["document_genres"])
    for path in (path for group in groups for path in group):
        if path not in results:
            results[path] = evaluate_model(path, data, **settings)
    doc_ids = list(results[baseline]["documents"])
    for path, result in results.items():
        if list(result["documents"]) != doc_ids:
            raise ValueError(f"{path} was scored on other documents than {baseline}")
    runs = [numpy.asarray([list(results[path]["documents"].values()) for path in group]) for group in groups]
    strata = results[baseline]["document_genres"] if within_genres else None
    return {
        "recipes": [
            {
                "models": group,
                "results": [without_per_document_rows(results[path]) for path in group],
                **bootstrap_interval(counts, resamples=resamples, strata=strata),
            }
            for group, counts in zip(groups, runs)
        ],
        "comparisons": [
            {"models": group, **paired_bootstrap(runs[0], counts, resamples=resamples, strata=strata)}
            for group, counts in zip(groups[1:], runs[1:])
        ],
        "resamples": resamples,
        "within_genres": within_genres,
        "n_docs": len(doc_ids),
        "n_genres": len(set(results[baseline]["document_genres"])),
    }


def without_per_document_rows(result: dict) -> dict:
    """`evaluate_model`'s result without its rows per document (`PER_DOCUMENT_KEYS`)."""
    return {key: value for key, value in result.items() if key not in PER_DOCUMENT_KEYS}


def _drawn_from(within_genres: bool, n_docs: int, genres: int | None = None) -> str:
    """How the bootstrap drew its documents, for the printed intervals."""
    if not within_genres:
        return f"the {n_docs} documents drawn again"
    among = f" of {genres} genres" if genres else ""
    return f"the {n_docs} documents{among} drawn again within each genre (n - 1 of n, rescaled)"


def format_comparison(comparison: dict) -> str:
    """Each model's (or recipe's mean) CoNLL F1 and LEA with its 95% interval, then each one's difference
    from the first with the interval of the difference over the resampled documents (and runs)."""

    def name(models: list) -> str:
        return models[0] if len(models) == 1 else f"{','.join(models)} (mean of {len(models)} runs)"

    n_docs = comparison["n_docs"]
    drawn = _drawn_from(comparison.get("within_genres", False), n_docs, comparison.get("n_genres"))
    lines = [f"{comparison['resamples']} paired resamples of {drawn}"]
    for k, recipe in enumerate(comparison["recipes"]):
        scores = "; ".join(
            f"{label} {recipe[key]['score']:.2f} (95% interval {recipe[key]['low']:.2f} to {recipe[key]['high']:.2f})"
            for key, label in INTERVAL_SCORES
        )
        lines.append(f"{'baseline' if k == 0 else 'model'} {name(recipe['models'])}: {scores}")
    for row in comparison["comparisons"]:
        cells = [
            f"{label} {row[key]['difference']:+.2f} (95% interval {row[key]['low']:+.2f} to {row[key]['high']:+.2f}, "
            f"higher in {100 * row[key]['system_higher']:.0f}%, lower in {100 * row[key]['system_lower']:.0f}% "
            "of resamples)"
            for key, label in INTERVAL_SCORES
        ]
        lines.append(f"{name(row['models'])} against the baseline: " + "; ".join(cells))
    if n_docs < FEW_DOCUMENTS:
        lines.append(
            f"(with fewer than {FEW_DOCUMENTS} documents the intervals are rough: a few documents decide each draw)"
        )
    return "\n".join(lines)


EMPTY_TENSOR_PIPE = "neuralcoref_empty_tensor"


@Language.component(EMPTY_TENSOR_PIPE)
def empty_tensor(doc: Doc) -> Doc:
    """Empty doc.tensor, as a pipeline without a tok2vec (a transformer or custom one) leaves it."""
    doc.tensor = numpy.zeros((0, 0), dtype="float32")
    return doc


def pipeline_with_component(
    model_dir, pipeline, greedyness: float, blacklist: bool, require_agreement: bool | None, infer_speakers: bool | None
):
    """The spaCy pipeline with the `neuralcoref` component of this model and these settings added."""
    nlp = load_pipeline(pipeline)
    nlp.add_pipe(
        "neuralcoref",
        config={
            "model": str(model_dir),
            "greedyness": greedyness,
            "blacklist": blacklist,
            "require_agreement": require_agreement,
            "infer_speakers": infer_speakers,
            "store_scores": False,
        },
    )
    return nlp


def scored_span(mention, rules=None) -> tuple[int, int]:
    """(start, end) of a predicted mention as scored: without a trailing possessive marker when a
    rule set is given ("Melanie 's" -> "Melanie", for LitBank's guidelines)."""
    if rules is None:
        return mention.start, mention.end
    return mention.start, rules.end_without_possessive_marker(mention.doc, mention.start, mention.end)


def format_table(result: dict) -> str:
    """MUC, B3, CEAF-e (P/R/F), LEA F and CoNLL F1, overall and per genre."""
    header = (
        f"{'':<14}{'MUC P':>7}{'R':>7}{'F':>7}{'B3 P':>7}{'R':>7}{'F':>7}{'CEAFe P':>9}{'R':>7}{'F':>7}"
        f"{'LEA F':>7}{'CoNLL':>7}"
    )
    lines = [header]

    def row(name, s):
        cells = "".join(
            f"{s[m][k]:>7.2f}" if not (m == "ceafe" and k == "p") else f"{s[m][k]:>9.2f}"
            for m in ("muc", "b3", "ceafe")
            for k in ("p", "r", "f")
        )
        return f"{name:<14}{cells}{s['lea']['f']:>7.2f}{s['conll_f1']:>7.2f}"

    lines.append(row("overall", result["overall"]))
    for genre, scores in (result.get("genres") or {}).items():
        lines.append(row(f"{genre} ({scores['n_docs']})", scores))
    return "\n".join(lines)


def format_bootstrap(result: dict) -> str:
    """The 95% interval lines of `evaluate_model(..., bootstrap=N)`."""
    interval = result["bootstrap"]
    drawn = _drawn_from(interval.get("within_genres", False), result["n_docs"], len(set(result["document_genres"])))
    lines = [
        f"{label} {interval[name]['score']:.2f}: 95% interval {interval[name]['low']:.2f} to "
        f"{interval[name]['high']:.2f} over {drawn} "
        f"({interval['resamples']} resamples; the spread between training seeds comes on top)"
        for name, label in INTERVAL_SCORES
    ]
    if result["n_docs"] < FEW_DOCUMENTS:
        lines.append(
            f"(with fewer than {FEW_DOCUMENTS} documents the interval is rough: a few documents decide each draw)"
        )
    return "\n".join(lines)


def evaluate_gap(
    model_dir: str | Path,
    data: str | Path,
    pipeline: str | None = None,
    greedyness: float = DEFAULTS["greedyness"],
    blacklist: bool = DEFAULTS["blacklist"],
    require_agreement: bool | None = DEFAULTS["require_agreement"],
    infer_speakers: bool | None = DEFAULTS["infer_speakers"],
) -> dict:
    """GAP F1 (overall, masculine, feminine) and bias of the component with this model."""
    from .gap import gap_scores, predict_gap, read_gap

    nlp = pipeline_with_component(model_dir, pipeline, greedyness, blacklist, require_agreement, infer_speakers)
    examples = read_gap(data)
    start = time.time()
    predictions = predict_gap(nlp, examples)
    result = gap_scores(examples, predictions)
    result["n_examples"] = len(examples)
    result["seconds"] = round(time.time() - start, 1)
    return result


def record_scores(model_path: str | Path, name: str, result: dict) -> Path:
    """Store an evaluation's result in the model's meta record, under meta["scores"][name].
    RETURNS the model file."""
    # plain data, without the per-document rows (they belong with the corpus, not in the model file)
    record = json.loads(json.dumps(without_per_document_rows(result)))
    return update_meta(model_path, lambda meta: meta.setdefault("scores", {}).__setitem__(name, record))


def update_meta(model_path: str | Path, change) -> Path:
    """Apply `change(meta)` to the model's meta record and rewrite the file.

    Only the meta record changes: the file is checked by the runtime's loader, then its msgpack
    message is rewritten with the same words and the same weight bytes (a float16 table stays
    float16). RETURNS the model file.
    """
    import msgpack

    from neuralcoref.model_io import MODEL_FILENAME, CorefModel

    path = Path(model_path)
    file = path / MODEL_FILENAME if path.is_dir() else path
    data = file.read_bytes()
    CorefModel.from_bytes(data, path=file)  # a clear error for a file that is not a valid model
    message = msgpack.unpackb(data, raw=False, strict_map_key=True)
    change(message["meta"])
    file.write_bytes(msgpack.packb(message, use_bin_type=True))
    CorefModel.from_bytes(file.read_bytes(), path=file)  # still a valid model
    return file


def write_json(result: dict, path: str | Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(result, indent=2))
