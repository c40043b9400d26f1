"""The antecedent scorer in numpy: the forward pass of training/model.py, no torch.

    x      = [embed[word_rows] flattened, tensor_feats, mention_feats]      per mention
    e      = relu(x @ enc.W.T + enc.b)                                      shared encoder
    single = MLP_single(e)                                                  "no antecedent"
    h      = relu(e[ant] @ pair.ant.W.T + e[ment] @ pair.ment.W.T
                  + pair_feats @ pair.feat.W.T + pair.0.b                  first pair layer,
                  + ((e[ant] @ pair.sim_ant.W.T) * (e[ment] @ pair.sim_ment.W.T)) @ pair.sim.W.T)
    pair   = MLP_tail(h)                                                    split by input block

`e @ pair.ant.W.T` is computed once per mention, not once per pair, so scoring the
pairs costs one small layer each. The similarity term (optional: models whose meta has
`similarity_width` > 0) is the only multiplicative interaction between the two mentions:
without it the first pair layer only adds what it knows of each mention, and "these two
mentions name the same thing" must come from the string-match features alone.
Weight names are the contract with the trainer.
"""
from typing import Dict, List

import numpy

Weights = Dict[str, numpy.ndarray]


def relu(x):
    return numpy.maximum(x, 0, out=x)


def _mlp(x, weights: Weights, prefix: str, start: int, n_layers: int):
    """Layers prefix.start .. prefix.(start+n_layers-1), ReLU between, none after the last."""
    for k in range(start, start + n_layers):
        x = x @ weights[f"{prefix}.{k}.W"].T + weights[f"{prefix}.{k}.b"]
        if k < start + n_layers - 1:
            x = relu(x)
    return x


def layer_count(weights: Weights, prefix: str) -> int:
    k = 0
    while f"{prefix}.{k}.b" in weights:
        k += 1
    return k


class Scorer:
    """Mention and pair scores from DocFeatures arrays.

    weights (dict): name -> float32 array (see the module docstring).
    """

    def __init__(self, weights: Weights):
        self.weights = {k: numpy.ascontiguousarray(v, dtype="float32") for k, v in weights.items()}
        self.n_single_layers = layer_count(self.weights, "single")
        self.n_pair_layers = layer_count(self.weights, "pair")
        self.embed_dim = self.weights["embed"].shape[1]
        self.pair_width = self.weights["pair.0.b"].shape[0]
        self.similarity_width = self.weights["pair.sim.W"].shape[1] if "pair.sim.W" in self.weights else 0
        # one product gives both halves of a mention's projection: [pair part | similarity part]
        self._ant_W = self.weights["pair.ant.W"]
        self._ment_W = self.weights["pair.ment.W"]
        if self.similarity_width:
            self._ant_W = numpy.concatenate([self._ant_W, self.weights["pair.sim_ant.W"]])
            self._ment_W = numpy.concatenate([self._ment_W, self.weights["pair.sim_ment.W"]])
        self._ant_W = numpy.ascontiguousarray(self._ant_W.T)
        self._ment_W = numpy.ascontiguousarray(self._ment_W.T)
        self._fused = None
        if self.n_pair_layers == 1 and not self.similarity_width:
            self._fused = (numpy.ascontiguousarray(self.weights["pair.feat.W"].T), self.weights["pair.0.b"],
                           numpy.ascontiguousarray(self.weights["pair.out.W"][0]),
                           float(self.weights["pair.out.b"][0]))

    @property
    def input_width(self) -> int:
        return self.weights["enc.W"].shape[1]

    def encode(self, word_rows, tensor_feats, mention_feats):
        """Shared mention encoding e [n, H]."""
        n = word_rows.shape[0]
        embedded = self.weights["embed"][word_rows].reshape(n, -1)
        x = numpy.concatenate([embedded, tensor_feats, mention_feats], axis=1)
        return relu(x @ self.weights["enc.W"].T + self.weights["enc.b"])

    def single_scores(self, encoded):
        return _mlp(encoded, self.weights, "single", 0, self.n_single_layers)[:, 0]

    def pair_projections(self, encoded):
        """Per-mention halves of the first pair layer: (as antecedent, as mention), each
        [n, pair_width + similarity_width] (the similarity projections after the pair part)."""
        return encoded @ self._ant_W, encoded @ self._ment_W

    def fused_pair_weights(self):
        """(pair.feat.W transposed, pair.0.b, pair.out.W row, pair.out.b) for `resolution.score_and_link`,
        or None when the pair net has more than one hidden layer or a similarity term (then
        `pair_scores` is used)."""
        return self._fused

    def pair_scores(self, as_antecedent, as_mention, ant, ment, pair_feats):
        width = self.pair_width
        if self.similarity_width:
            a, m = as_antecedent[ant], as_mention[ment]
            h = a[:, :width] + m[:, :width]
            h += (a[:, width:] * m[:, width:]) @ self.weights["pair.sim.W"].T
        else:
            h = as_antecedent[ant]
            h += as_mention[ment]
        h += pair_feats @ self.weights["pair.feat.W"].T
        h += self.weights["pair.0.b"]
        relu(h)
        if self.n_pair_layers == 1:
            return h @ self.weights["pair.out.W"][0] + self.weights["pair.out.b"][0]
        h = _mlp(h, self.weights, "pair", 1, self.n_pair_layers - 1)
        h = relu(h)
        return h @ self.weights["pair.out.W"][0] + self.weights["pair.out.b"][0]


def expected_shapes(input_width: int, pair_width: int, n_words: int, embed_dim: int,
                    encoder_width: int, single_hidden: List[int], pair_hidden: List[int], similarity_width: int = 0):
    """Every weight name and shape of a model with these sizes (checked when loading)."""
    shapes = {"embed": (n_words, embed_dim), "enc.W": (encoder_width, input_width), "enc.b": (encoder_width,)}
    sizes = [encoder_width] + list(single_hidden) + [1]
    for k in range(len(sizes) - 1):
        shapes[f"single.{k}.W"] = (sizes[k + 1], sizes[k])
        shapes[f"single.{k}.b"] = (sizes[k + 1],)
    first = pair_hidden[0]
    shapes.update({"pair.ant.W": (first, encoder_width), "pair.ment.W": (first, encoder_width),
                   "pair.feat.W": (first, pair_width), "pair.0.b": (first,)})
    if similarity_width:
        shapes.update({"pair.sim_ant.W": (similarity_width, encoder_width),
                       "pair.sim_ment.W": (similarity_width, encoder_width),
                       "pair.sim.W": (first, similarity_width)})
    for k in range(1, len(pair_hidden)):
        shapes[f"pair.{k}.W"] = (pair_hidden[k], pair_hidden[k - 1])
        shapes[f"pair.{k}.b"] = (pair_hidden[k],)
    shapes["pair.out.W"] = (1, pair_hidden[-1])
    shapes["pair.out.b"] = (1,)
    return shapes
