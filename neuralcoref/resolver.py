"""Doc -> clusters with a loaded model: featurize, score (numpy), link, cluster.

Scoring runs over blocks of mentions so memory stays linear in the document: only the
per-mention projections are kept for the whole document, pair arrays live one block at a time.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import numpy
from spacy.tokens import Doc

from .errors import Errors
from .featurize import DocFeatures, Featurizer
from .features import WordTable
from .model_io import CorefModel
from .resolution import best_antecedents, cluster_ids
from .rules import get_rules
from .scorer import Scorer

MENTION_BLOCK = 2048


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


def greedyness_offset(greedyness: float) -> float:
    """NeuralCoref's greedyness: a link needs pair score > single score + 50 * (0.5 - greedyness)."""
    return 50.0 * (0.5 - greedyness)


class CorefResolver:
    """Featurizer + scorer + linking, with the component's settings.

    model (CorefModel): the loaded model.
    conv_dict (dict): rare word -> common words whose embeddings stand in for it.
    """

    def __init__(self, model: CorefModel, greedyness=0.5, max_dist=50, max_dist_match=500,
                 blacklist=True, conv_dict=None):
        self.model = model
        self.featurizer = Featurizer(get_rules(model.lang))
        weights = dict(model.weights)
        self.word_table = WordTable(model.words)
        if conv_dict:
            weights["embed"] = self._add_conv_dict(weights["embed"], conv_dict)
        self.scorer = Scorer(weights)
        self.greedyness = greedyness
        self.max_dist = max_dist
        self.max_dist_match = max_dist_match
        self.blacklist = blacklist

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

    def check_tensor(self, doc: Doc):
        width = self.model.tensor_width
        found = doc.tensor.shape[1] if getattr(doc.tensor, "ndim", 0) == 2 and doc.tensor.size else 0
        if width and found != width:
            raise ValueError(Errors.E023.format(expected=width, found=found,
                                                pipeline=self.model.meta.get("pipeline", {}).get("name")))

    def predict(self, doc: Doc, store_scores: bool = False) -> Prediction:
        self.check_tensor(doc)
        feats = self.featurizer.featurize(doc, use_tensor=self.model.tensor_width > 0)
        return self.predict_features(doc, feats, store_scores)

    def predict_features(self, doc: Doc, feats: DocFeatures, store_scores: bool = False) -> Prediction:
        n = len(feats)
        antecedents = numpy.full(n, -1, dtype="int32")
        if n == 0:
            return Prediction(feats.starts, feats.ends, antecedents, [], numpy.zeros(0, dtype="int32"))
        single = numpy.empty(n, dtype="float32")
        as_ant = as_ment = None
        for first in range(0, n, MENTION_BLOCK):
            block = slice(first, min(n, first + MENTION_BLOCK))
            rows = self.word_table.lookup(feats.word_hashes[block])
            encoded = self.scorer.encode(rows, feats.tensor_feats[block], feats.mention_feats[block])
            single[block] = self.scorer.single_scores(encoded)
            a, m = self.scorer.pair_projections(encoded)
            if as_ant is None:
                as_ant = numpy.empty((n, a.shape[1]), dtype="float32")
                as_ment = numpy.empty((n, m.shape[1]), dtype="float32")
            as_ant[block], as_ment[block] = a, m
        best_scores = numpy.zeros(n, dtype="float32")
        offset = greedyness_offset(self.greedyness)
        stored = []
        for first in range(0, n, MENTION_BLOCK):
            ant, ment = self.featurizer.pairs(feats, first, first + MENTION_BLOCK, self.max_dist,
                                              self.max_dist_match, self.blacklist)
            if len(ant) == 0:
                continue
            pair_feats = self.featurizer.pair_features(doc, feats, ant, ment)
            scores = numpy.ascontiguousarray(self.scorer.pair_scores(as_ant, as_ment, ant, ment, pair_feats),
                                             dtype="float32")
            best_antecedents(ant, ment, scores, single, antecedents, best_scores, offset)
            if store_scores:
                stored.append((ant, ment, scores))
        ids = cluster_ids(antecedents)
        order = numpy.argsort(ids, kind="stable")
        boundaries = numpy.flatnonzero(numpy.diff(ids[order])) + 1
        groups = [g for g in numpy.split(order, boundaries) if len(g) > 1]
        clusters = sorted((sorted(g.tolist()) for g in groups), key=lambda g: g[0])
        pairs = None
        if store_scores:
            pairs = {
                "ant": numpy.concatenate([s[0] for s in stored]) if stored else numpy.zeros(0, "int32"),
                "ment": numpy.concatenate([s[1] for s in stored]) if stored else numpy.zeros(0, "int32"),
                "score": numpy.concatenate([s[2] for s in stored]) if stored else numpy.zeros(0, "float32"),
            }
        return Prediction(feats.starts, feats.ends, antecedents, clusters, feats.mentions.columns()["mention_type"],
                          single, pairs)
