"""Helpers for tests and benchmarks: a model with random weights of the shipped sizes, and the
invariant of `require_agreement` that the tests and bin/fuzz check.

A random model exercises every code path (features, scoring, linking, serialization)
without depending on trained weights; tests about accuracy use the shipped model.
"""

from pathlib import Path
from typing import Sequence

import numpy

from .features import PAIR_FEATS_WIDTH_PY as PAIR_FEATS_WIDTH
from .model_io import CorefModel, base_meta
from .resolution import AGREEMENT_GENDER_MASK, AGREEMENT_NEUTER_BIT, AGREEMENT_NUMBER_MASK, AGREEMENT_PERSON_BIT
from .scorer import expected_shapes


def random_model(
    lang: str = "en",
    words: Sequence[str] = ("dog", "sister", "she", "he"),
    tensor_width: int = 96,
    embed_dim: int = 16,
    encoder_width: int = 32,
    single_hidden=(16,),
    pair_hidden=(16,),
    similarity_width: int = 0,
    bilinear_width: int = 0,
    seed: int = 0,
) -> CorefModel:
    meta = base_meta(
        lang, tensor_width, embed_dim, encoder_width, single_hidden, pair_hidden, similarity_width, bilinear_width
    )
    meta["pipeline"] = {"name": None, "version": None}  # no pipeline: no mismatch warning
    model = CorefModel(meta, list(words), {})
    shapes = expected_shapes(
        model.input_width(),
        PAIR_FEATS_WIDTH,
        len(words) + 2,
        embed_dim,
        encoder_width,
        single_hidden,
        pair_hidden,
        similarity_width,
        bilinear_width,
    )
    rng = numpy.random.default_rng(seed)
    model.weights = {name: (rng.standard_normal(shape) * 0.3).astype("float32") for name, shape in shapes.items()}
    return model


def write_random_model(path, **kwargs) -> Path:
    path = Path(path)
    random_model(**kwargs).to_disk(path)
    return path


def clashing_clusters(codes, clusters) -> list:
    """The clusters (lists of mention indices) whose members' agreement codes hold two genders, two
    pronoun numbers, or a person and a neuter mention: what linking with `require_agreement` must never
    make."""
    codes = numpy.asarray(codes)
    person_and_neuter = AGREEMENT_PERSON_BIT | AGREEMENT_NEUTER_BIT
    out = []
    for cluster in clusters:
        union = int(numpy.bitwise_or.reduce(codes[list(cluster)]))
        if any(bin(union & mask).count("1") > 1 for mask in (AGREEMENT_GENDER_MASK, AGREEMENT_NUMBER_MASK)):
            out.append(cluster)
        elif union & person_and_neuter == person_and_neuter:
            out.append(cluster)
    return out
