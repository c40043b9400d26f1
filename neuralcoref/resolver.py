"""Doc -> clusters with a loaded model: featurize, score (numpy), link, cluster.

Scoring runs over blocks of mentions so memory stays linear in the document: only the
per-mention projections are kept for the whole document, pair arrays live one block at a time.
"""

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, cast
import warnings

import numpy
from spacy.tokens import Doc

from .config import DEFAULTS
from .constraints import constraint_columns
from .errors import Errors, Warnings
from .featurize import Featurizer, turn_ends
from .features import (
    N_TENSOR_SLOTS_PY as N_TENSOR_SLOTS,
    WordTable,
    candidate_pairs,
    count_pairs,
    mention_features,
    pair_features,
)
from .greedyness import CALIBRATION_KEY, greedyness_offset
from .mentions import Mentions
from .model_io import CorefModel
from .linking import MENTION_BLOCK, cluster_lists, fused_weights, link_mentions, numpy_pair_scores
from .resolution import LinkSettings, linking_constraints
from .rules import get_rules
from .scorer import Scorer

__all__ = ["MENTION_BLOCK", "CorefResolver", "Prediction"]


@dataclass
class Prediction:
    """Mentions (token offsets), each mention's antecedent (-1: none), clusters of >= 2 mentions."""

    starts: numpy.ndarray
    ends: numpy.ndarray
    antecedents: numpy.ndarray
    clusters: List[List[int]]
    mention_types: numpy.ndarray
    single_scores: Optional[numpy.ndarray] = None
    pairs: Optional[Dict[str, numpy.ndarray]] = field(default=None, repr=False)
    #: the clusters as arrays: cluster k is cluster_members[cluster_offsets[k]:cluster_offsets[k + 1]]
    cluster_members: Optional[numpy.ndarray] = field(default=None, repr=False)
    cluster_offsets: Optional[numpy.ndarray] = field(default=None, repr=False)


class CorefResolver:
    """Featurizer + scorer + linking, with the component's settings.

    model (CorefModel): the loaded model.
    conv_dict (dict): rare word -> common words whose embeddings stand in for it.
    require_agreement (bool or None): a mention only joins a cluster that agrees with it in gender and,
        for pronouns, number (`resolution.ClusterAgreement`); None: the rule set's `cluster_agreement`.
        The person constraint (no first- and third-person pronouns of one speaker in a cluster) holds
        whatever this says.
    infer_speakers (bool or None): infer speakers from transcript lines and quotations when a Doc has
        none; None: the rule set's `speaker_inference`.
    """

    def __init__(
        self,
        model: CorefModel,
        greedyness: float = DEFAULTS["greedyness"],
        max_dist: int = DEFAULTS["max_dist"],
        max_dist_match: int = DEFAULTS["max_dist_match"],
        blacklist: bool = DEFAULTS["blacklist"],
        conv_dict: Optional[Dict[str, List[str]]] = None,
        require_agreement: Optional[bool] = DEFAULTS["require_agreement"],
        infer_speakers: Optional[bool] = DEFAULTS["infer_speakers"],
    ):
        self.model = model
        rules = get_rules(model.lang)
        self.featurizer = Featurizer(rules, infer_speakers=infer_speakers)
        weights = dict(model.weights)
        self.word_table = WordTable(model.words)
        if conv_dict:
            weights["embed"] = self._add_conv_dict(weights["embed"], conv_dict)
        self.scorer = Scorer(weights)
        self.greedyness = greedyness
        self.max_dist = max_dist
        self.max_dist_match = max_dist_match
        self.blacklist = blacklist
        self.require_agreement = rules.requires_agreement(require_agreement)
        #: the resolver of the model's tensorless fallback (`CorefModel.fallback`), with these settings
        self.fallback: Optional[CorefResolver] = None
        if model.fallback is not None:
            self.fallback = CorefResolver(
                model.fallback,
                greedyness,
                max_dist,
                max_dist_match,
                blacklist,
                conv_dict,
                require_agreement,
                infer_speakers,
            )

    def _add_conv_dict(self, embed, conv_dict):
        rows = []
        index = {w: k + 2 for k, w in enumerate(self.model.words)}
        for word, stand_ins in conv_dict.items():
            if not isinstance(stand_ins, (list, tuple)) or not all(isinstance(w, str) for w in stand_ins):
                raise ValueError(Errors.E050.format(key=word, value=stand_ins))
            known = [index[w.lower()] for w in stand_ins if w.lower() in index]
            if known:
                rows.append(embed[known].mean(axis=0))
                self.word_table.add_alias(word.lower(), len(embed) + len(rows) - 1)
        return numpy.concatenate([embed, numpy.asarray(rows, dtype="float32")]) if rows else embed

    def for_doc(self, doc: Doc) -> "CorefResolver":
        """The resolver that reads this Doc: self when the Doc's tensor is the width the model reads (or
        the model reads none). When it is not (a pipeline without a tok2vec, a transformer or custom
        pipeline), warn, and return the model's tensorless fallback if it ships one (W004), else self,
        which resolves the Doc with zeros for the context features (W003, `_features`): never refused."""
        width = self.model.tensor_width
        if not width or self._model_tensor(doc) is not None:
            return self
        tensor: Any = getattr(doc, "tensor", None)
        found = tensor.shape[1] if getattr(tensor, "ndim", 0) == 2 and tensor.size else 0
        message = Warnings.W003 if self.fallback is None else Warnings.W004
        pipeline = self.model.meta.get("pipeline", {}).get("name")
        warnings.warn(message.format(expected=width, found=found, pipeline=pipeline), stacklevel=2)
        return self if self.fallback is None else self.fallback

    def _model_tensor(self, doc: Doc):
        """doc.tensor when the model reads one and it has the model's width, one row per token; else None."""
        width = self.model.tensor_width
        tensor: Any = getattr(doc, "tensor", None)
        usable = width and getattr(tensor, "ndim", 0) == 2 and tensor.shape == (len(doc), width)
        return tensor if usable else None

    def threshold_offset(self) -> float:
        """What `greedyness` adds to each "no antecedent" score, with the model's calibration: the one
        conversion of the setting (the component and `Conversation` link with it)."""
        return greedyness_offset(self.greedyness, self.model.meta.get(CALIBRATION_KEY))

    def _features(self, doc: Doc, mentions: Mentions, first=None, last=None):
        """`mention_features` of mentions first..last, with zeros for the tensor features when the Doc has
        no tensor of the model's width (see `for_doc`)."""
        width = self.model.tensor_width
        word_hashes, tensor_feats, mention_feats = mention_features(
            doc, mentions, self._model_tensor(doc), first, last, turn_ends=turn_ends(doc)
        )
        if tensor_feats.shape[1] != width * N_TENSOR_SLOTS:
            tensor_feats = numpy.zeros((len(tensor_feats), width * N_TENSOR_SLOTS), dtype="float32")
        return word_hashes, tensor_feats, mention_feats

    def predict(self, doc: Doc, store_scores: bool = False) -> Prediction:  # own default: scores when asked
        resolver = self.for_doc(doc)
        return resolver._predict_mentions(doc, resolver.featurizer.mentions(doc), store_scores)

    def _predict_mentions(self, doc: Doc, mentions: Mentions, store_scores: bool) -> Prediction:
        """Encode the mentions block by block as they are resolved (their features are never all in memory)."""

        def encode_block(first, last):
            return self._encode(*self._features(doc, mentions, first, last))

        return self._resolve(doc, mentions, encode_block, store_scores)

    def predict_many(self, docs: List[Doc], store_scores: bool = False) -> List[Prediction]:  # own default: as predict
        """`predict` for several Docs, encoding the mentions of small Docs together.

        The encoder's matrix product has a fixed cost per call (OpenBLAS packs the weight matrix),
        which dominates for Docs of a few sentences: Docs are grouped up to MENTION_BLOCK mentions
        and encoded in one product. Larger Docs go through `predict`. The results equal `predict`'s
        up to float rounding (the product's rows are rounded differently in a larger matrix).
        Docs whose tensor the model cannot read go to the fallback's resolver (`for_doc`).
        """
        readers = [self.for_doc(doc) for doc in docs]
        out: List[Optional[Prediction]] = [None] * len(docs)
        for resolver in {id(r): r for r in readers}.values():
            mine = [i for i, r in enumerate(readers) if r is resolver]
            for i, prediction in zip(mine, resolver._predict_grouped([docs[i] for i in mine], store_scores)):
                out[i] = prediction
        return cast(List[Prediction], out)  # every slot is filled

    def _predict_grouped(self, docs: List[Doc], store_scores: bool) -> List[Prediction]:
        """`predict_many` of Docs that this resolver reads (see `for_doc`)."""
        out: List[Optional[Prediction]] = [None] * len(docs)
        group: List[tuple] = []
        n_rows = 0

        def flush():
            if not group:
                return
            inputs = [self._features(doc, mentions) for _, doc, mentions in group]
            if len(inputs) == 1:
                single, (as_ant, as_ment) = self._encode(*inputs[0])
            else:
                single, (as_ant, as_ment) = self._encode(*(numpy.concatenate([x[k] for x in inputs]) for k in range(3)))
            start = 0
            for (i, doc, mentions), x in zip(group, inputs):
                rows = slice(start, start + len(x[0]))
                start += len(x[0])

                def encode_block(first, last, rows=rows):
                    return single[rows][first:last], (as_ant[rows][first:last], as_ment[rows][first:last])

                out[i] = self._resolve(doc, mentions, encode_block, store_scores)
            group.clear()

        for i, doc in enumerate(docs):
            mentions = self.featurizer.mentions(doc)
            if len(mentions) > MENTION_BLOCK:
                out[i] = self._predict_mentions(doc, mentions, store_scores)
                continue
            if n_rows + len(mentions) > MENTION_BLOCK:
                flush()
                n_rows = 0
            group.append((i, doc, mentions))
            n_rows += len(mentions)
        flush()
        return cast(List[Prediction], out)  # every slot is filled

    def _encode(self, word_hashes, tensor_feats, mention_feats):
        """(single scores, (antecedent projections, mention projections)) of a block of mentions."""
        encoded = self.scorer.encode(self.word_table.lookup(word_hashes), tensor_feats, mention_feats)
        return self.scorer.single_scores(encoded), self.scorer.pair_projections(encoded)

    def _resolve(self, doc: Doc, mentions: Mentions, encode_block, store_scores: bool) -> Prediction:
        """Encode mentions block by block, then score and link each block's pairs.

        The driver is `linking.link_mentions` (the trainer's dev score runs through it too). With a
        one-hidden-layer pair net (the shipped sizes), pairs are scored by the fused nogil loop
        `Linker.score_and_link` as soon as their block is encoded: only the antecedent projections of
        the last `max_dist_match` mentions are kept, and no pair array exists unless scores are stored.
        """
        n = len(mentions)
        columns = mentions.columns()
        if n == 0:
            return Prediction(
                columns["start"], columns["end"], numpy.full(0, -1, dtype="int32"), [], numpy.zeros(0, dtype="int32")
            )
        settings = LinkSettings(self.threshold_offset(), self.max_dist, self.max_dist_match, self.blacklist)
        agreement = linking_constraints(
            constraint_columns(doc, columns, self.featurizer.rules, mentions.speakers), self.require_agreement
        )
        weights = fused_weights(self.scorer)
        rules = self.featurizer.pair_rules
        stored = []
        if weights is not None and store_scores:  # one allocation: blocks write their pairs into slices
            total = count_pairs(mentions, 0, n, settings.max_dist, settings.max_dist_match, settings.blacklist)
            stored.append((numpy.empty(total, "int32"), numpy.empty(total, "int32"), numpy.empty(total, "float32")))
        position = 0

        def link_block(linker, first, last, base, as_ant, as_ment):
            nonlocal position
            if weights is not None:
                outputs = [a[position:] for a in stored[0]] if store_scores else [None, None, None]
                position += linker.score_and_link(
                    doc, mentions, rules, weights, first, last, base, as_ant, as_ment, *outputs
                )
                return
            ant, ment = candidate_pairs(
                mentions, first, last, settings.max_dist, settings.max_dist_match, settings.blacklist
            )
            if len(ant):
                scores = numpy_pair_scores(
                    self.scorer, base, as_ant, first, as_ment, ant, ment, pair_features(doc, mentions, ant, ment, rules)
                )
                linker.link_scored(ant, ment, scores)
                if store_scores:
                    stored.append((ant, ment, scores))

        linker = link_mentions(n, settings, agreement, encode_block, link_block)
        antecedents, single = linker.antecedents, linker.single_scores
        members, offsets = linker.clusters()
        clusters = cluster_lists(members, offsets)
        pairs = None
        if store_scores:

            def joined(k, dtype):
                return (
                    stored[0][k]
                    if len(stored) == 1
                    else numpy.concatenate([s[k] for s in stored])
                    if stored
                    else numpy.zeros(0, dtype)
                )

            pairs = {"ant": joined(0, "int32"), "ment": joined(1, "int32"), "score": joined(2, "float32")}
        return Prediction(
            columns["start"],
            columns["end"],
            antecedents,
            clusters,
            columns["mention_type"],
            single,
            pairs,
            members,
            offsets,
        )
