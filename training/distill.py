"""Distillation from a teacher model: its antecedent distribution as a second training target.

An ensemble of the recipe's seeds scores higher than any one of them but costs its members' time at
inference. Its scores on the training documents, computed once, give a single student a soft target
for every mention beside the ranking loss's gold one (`training.distill_from`). Mentions where the
teacher's best choice is not a gold one keep the ranking loss alone, so that a teacher's mistake never
pulls against the annotation (the silver GAP documents correct the teacher's pronouns; their gold is
exactly where it is wrong).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy
import torch

from neuralcoref.linking import numpy_pair_scores
from neuralcoref.model_io import CorefModel
from neuralcoref.scorer import Scorer

from .evaluate import cached_doc_inputs, word_rows_for
from .featurize_corpus import FeatureCache


def teacher_scores(cache: FeatureCache, model: CorefModel) -> tuple[numpy.ndarray, numpy.ndarray]:
    """The teacher's raw scores of every cached mention's "no antecedent" [n_mentions] and of every
    cached pair [n_pairs], from the cache's features (the same scorer as the component's, without
    linking: the scores, not decisions)."""
    scorer = Scorer(model.weights)
    rows = word_rows_for(cache, model.words)
    new = numpy.zeros(cache.n_mentions, dtype="float32")
    pair = numpy.zeros(len(cache.arrays["pair_ant"]), dtype="float32")
    for d in range(len(cache)):
        ms, ps = cache.doc_slice(d)
        if ms.stop <= ms.start:
            continue
        tensor_feats, mention_feats, ant, ment, pair_feats = cached_doc_inputs(cache, ms, ps, model.tensor_width)
        encoded = scorer.encode(rows[ms], tensor_feats, mention_feats)
        new[ms] = scorer.single_scores(encoded)
        if ps.stop > ps.start:
            as_ant, as_ment = scorer.pair_projections(encoded)
            pair[ps] = numpy_pair_scores(scorer, 0, as_ant, 0, as_ment, ant, ment, pair_feats)
    return new, pair


def load_teacher(path: str | Path, cache: FeatureCache) -> tuple[numpy.ndarray, numpy.ndarray]:
    """`teacher_scores` of the model at `path` (a model directory or model.msgpack) on `cache`, with a
    clear error when its inputs do not match the cache's (another pipeline's tensor width)."""
    model = CorefModel.from_disk(path)
    if model.tensor_width not in (0, cache.meta["tensor_width"]):
        raise ValueError(
            f"teacher {path} reads doc.tensor {model.tensor_width} wide; the training features are "
            f"{cache.meta['tensor_width']} wide (another pipeline)"
        )
    return teacher_scores(cache, model)


def distill_settings(training: dict) -> tuple[float, float]:
    """(`training.distill_weight`, default 2; `training.distill_temperature`, default 0.5), checked
    before any teacher is scored: a weight below 0 or a temperature that is not above 0 is refused."""
    weight, temperature = training.get("distill_weight", 2.0), training.get("distill_temperature", 0.5)
    for name, value, low_ok in (("distill_weight", weight, True), ("distill_temperature", temperature, False)):
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or value < 0
            or (value == 0 and not low_ok)
        ):
            raise ValueError(f"training.{name} must be a number {'>=' if low_ok else '>'} 0, got {value!r}")
    return float(weight), float(temperature)


def distillation_loss(
    scores: torch.Tensor, teacher: torch.Tensor, gold: torch.Tensor, temperature: float
) -> torch.Tensor:
    """Cross-entropy of the student's antecedent distribution against the teacher's, both at
    `temperature` over each mention's valid columns [B, K+1] (column 0: no antecedent), for the mentions
    whose teacher's best column is gold. RETURNS per mention [B] (0 for the others)."""
    valid = torch.isfinite(scores)
    low = torch.finfo(torch.float32).min
    target = torch.softmax(teacher.masked_fill(~valid, low) / temperature, dim=1)
    log_student = torch.log_softmax(scores.masked_fill(~valid, low) / temperature, dim=1)
    per_mention = -(target * log_student.masked_fill(~valid, 0.0)).sum(dim=1)
    teacher_right = gold.gather(1, target.argmax(dim=1, keepdim=True)).squeeze(1)
    return per_mention * teacher_right
