"""One model from several trained with one recipe: their exact ensemble (`python -m training ensemble`).

Seeds of one recipe disagree on many decisions, and the mean of their scores resolves better than any
one of them (three seeds of the English recipe: OntoGUM test 57.91 / 56.61 / 57.60 alone, 58.85 as an
ensemble; docs/accuracy.md). The scorer (neuralcoref/scorer.py) is ReLU units read by linear output
layers, so the members stack into one model of the same file format whose scores are exactly the mean
of theirs: each hidden layer is the members' layers side by side (block-diagonal weights, each member
reading only its own units), the output layers are averaged, and each side of the bilinear term is
scaled by 1/sqrt(n). The runtime reads the file like any other and skips the zero blocks
(`neuralcoref.scorer.Linear`), but it still pays for every member: scoring time grows with their
number, which is why the shipped model is one member.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy

from neuralcoref.features import N_WORD_SLOTS_PY as N_WORD_SLOTS
from neuralcoref.model_io import CorefModel
from neuralcoref.scorer import layer_count

#: meta fields every member must share: what the features and the embedding rows mean
SHARED_META = ("lang", "layout_version", "tensor_width", "n_word_slots", "n_tensor_slots")


def ensemble_models(models: Sequence[CorefModel]) -> CorefModel:
    """The exact ensemble of `models` (two or more of one language, vocabulary and layer depths).

    Members with the same embedding table share it; otherwise the tables are put side by side (each
    member's encoder reads its own columns), which widens the encoder's input. Fallbacks are not
    combined: attach one to the result with `python -m training fallback`."""
    if len(models) < 2:
        raise ValueError("an ensemble needs two or more models")
    first = models[0]
    for k, model in enumerate(models[1:], 1):
        for key in SHARED_META:
            if model.meta.get(key) != first.meta.get(key):
                raise ValueError(
                    f"model {k + 1}: meta '{key}' is {model.meta.get(key)!r}, model 1's {first.meta.get(key)!r}"
                )
        if model.words != first.words:
            raise ValueError(
                f"model {k + 1}: its vocabulary differs from model 1's (train the members on the same data)"
            )
        for prefix in ("single", "pair"):
            if layer_count(model.weights, prefix) != layer_count(first.weights, prefix):
                raise ValueError(f"model {k + 1}: its {prefix} net has another number of layers than model 1's")
        for optional in ("pair.sim.W", "pair.bi_ant.W"):
            if (optional in model.weights) != (optional in first.weights):
                raise ValueError(f"model {k + 1}: '{optional}' is in one member and not in the other")
    weights = [m.weights for m in models]
    n = len(models)
    out = _embedding_and_encoder(weights)
    n_single = layer_count(weights[0], "single")
    for k in range(n_single):
        _stack_layer(out, weights, f"single.{k}", last=k == n_single - 1)
    for name in ("pair.ant.W", "pair.ment.W"):
        out[name] = block_diag(*[w[name] for w in weights])
    out["pair.feat.W"] = numpy.concatenate([w["pair.feat.W"] for w in weights])
    out["pair.0.b"] = numpy.concatenate([w["pair.0.b"] for w in weights])
    if "pair.sim.W" in weights[0]:
        for name in ("pair.sim_ant.W", "pair.sim_ment.W", "pair.sim.W"):
            out[name] = block_diag(*[w[name] for w in weights])
    if "pair.bi_ant.W" in weights[0]:
        scale = 1.0 / numpy.sqrt(n)  # (a / sqrt n) . (m / sqrt n) summed over members: their mean
        for name in ("pair.bi_ant.W", "pair.bi_ment.W"):
            out[name] = block_diag(*[w[name] for w in weights]) * scale
    for k in range(1, layer_count(weights[0], "pair")):
        _stack_layer(out, weights, f"pair.{k}", last=False)
    _stack_layer(out, weights, "pair.out", last=True)
    meta = _ensemble_meta(models, embed_dim=out["embed"].shape[1])
    stored = {"embed": first.stored_dtypes["embed"]} if "embed" in first.stored_dtypes else {}
    model = CorefModel(
        meta, list(first.words), {k: numpy.ascontiguousarray(v, dtype="float32") for k, v in out.items()}, None, stored
    )
    model.check_shapes("<ensemble>")
    return model


def block_diag(*arrays: numpy.ndarray) -> numpy.ndarray:
    """The 2-d arrays along the diagonal of one zero matrix (as scipy.linalg.block_diag; numpy has none)."""
    out = numpy.zeros((sum(a.shape[0] for a in arrays), sum(a.shape[1] for a in arrays)), dtype="float32")
    row = col = 0
    for a in arrays:
        out[row : row + a.shape[0], col : col + a.shape[1]] = a
        row, col = row + a.shape[0], col + a.shape[1]
    return out


def _embedding_and_encoder(weights: list) -> dict:
    """The embedding table (shared, or the members' side by side) and the stacked encoder rows."""
    dims = [w["embed"].shape[1] for w in weights]
    shared = all(numpy.array_equal(weights[0]["embed"], w["embed"]) for w in weights[1:])
    total = dims[0] if shared else sum(dims)
    rows = []
    for k, w in enumerate(weights):
        words, rest = w["enc.W"][:, : N_WORD_SLOTS * dims[k]], w["enc.W"][:, N_WORD_SLOTS * dims[k] :]
        if not shared:  # slot s of member k reads columns s * total + offset .. + dims[k]
            wide = numpy.zeros((words.shape[0], N_WORD_SLOTS * total), dtype="float32")
            offset = sum(dims[:k])
            for slot in range(N_WORD_SLOTS):
                start = slot * total + offset
                wide[:, start : start + dims[k]] = words[:, slot * dims[k] : (slot + 1) * dims[k]]
            words = wide
        rows.append(numpy.concatenate([words, rest], axis=1))
    return {
        "embed": weights[0]["embed"] if shared else numpy.concatenate([w["embed"] for w in weights], axis=1),
        "enc.W": numpy.concatenate(rows),
        "enc.b": numpy.concatenate([w["enc.b"] for w in weights]),
    }


def _stack_layer(out: dict, weights: list, name: str, last: bool) -> None:
    """A hidden layer side by side (block-diagonal), or the output layer averaged over the members."""
    if last:
        out[f"{name}.W"] = numpy.concatenate([w[f"{name}.W"] for w in weights], axis=1) / len(weights)
        out[f"{name}.b"] = sum(w[f"{name}.b"] for w in weights) / len(weights)
    else:
        out[f"{name}.W"] = block_diag(*[w[f"{name}.W"] for w in weights])
        out[f"{name}.b"] = numpy.concatenate([w[f"{name}.b"] for w in weights])


def _ensemble_meta(models: Sequence[CorefModel], embed_dim: int) -> dict:
    """Model 1's meta with the summed sizes; each member's training record under "ensemble_of". The
    greedyness calibration and the dev scores are the members' own, so they are left out: calibrate
    the ensemble (`bin/calibrate-greedyness`) and score it (`python -m training evaluate`)."""
    meta = {k: v for k, v in models[0].meta.items() if k not in ("greedyness_calibration", "training", "scores")}
    meta["embed_dim"] = embed_dim
    meta["encoder_width"] = sum(m.meta["encoder_width"] for m in models)
    for key in ("single_hidden", "pair_hidden"):
        meta[key] = [int(x) for x in numpy.sum([m.meta[key] for m in models], axis=0)]
    for key in ("similarity_width", "bilinear_width"):
        meta[key] = sum(m.meta.get(key, 0) for m in models)
    meta["ensemble_of"] = [m.meta.get("training") for m in models]
    return meta


def write_ensemble(model_paths: Sequence[str | Path], out: str | Path) -> CorefModel:
    """Read the members (model directories or model.msgpack files), write their ensemble to `out`."""
    model = ensemble_models([CorefModel.from_disk(path) for path in model_paths])
    model.to_disk(out)
    return model
