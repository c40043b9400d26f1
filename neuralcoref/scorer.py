"""The antecedent scorer in numpy: the forward pass of training/model.py, no torch.

    x      = [embed[word_rows] flattened, tensor_feats, mention_feats]      per mention
    e      = relu(x @ enc.W.T + enc.b)                                      shared encoder
    single = MLP_single(e)                                                  "no antecedent"
    h      = relu(e[ant] @ pair.ant.W.T + e[ment] @ pair.ment.W.T
                  + pair_feats @ pair.feat.W.T + pair.0.b                  first pair layer,
                  + ((e[ant] @ pair.sim_ant.W.T) * (e[ment] @ pair.sim_ment.W.T)) @ pair.sim.W.T)
    pair   = MLP_tail(h) [+ (e[ant] @ pair.bi_ant.W.T) . (e[ment] @ pair.bi_ment.W.T)]   split by input block

`e @ pair.ant.W.T` is computed once per mention, not once per pair, so scoring the
pairs costs one small layer each. Without the optional terms the first pair layer only adds
what it knows of each mention, and "these two mentions name the same thing" must come from the
pair features. The bilinear term (meta `bilinear_width` > 0; the shipped English model has
one) is a multiplicative interaction that costs one dot product per pair, scored in the fused
C loop; the similarity term (meta `similarity_width` > 0) is a richer one inside the first
pair layer that only the numpy path scores (about 5x slower).
Weight names are the contract with the trainer.
"""

from typing import Dict, List, Optional, Tuple, Union

import numpy

Weights = Dict[str, numpy.ndarray]
#: rows or columns of a block: a slice when consecutive (a view), else an index array
Index = Union[slice, numpy.ndarray]


def relu(x):
    return numpy.maximum(x, 0, out=x)


class Linear:
    """x @ W.T + b, computed block by block when W is mostly zeros in blocks.

    An ensemble (`python -m training ensemble`) stacks its members' layers side by side: each member's
    rows read only its own columns (and the inputs all members read), the rest of the matrix is zeros.
    The rows are grouped by the columns they read (their nonzero pattern). When the groups skip at
    least a quarter of the products, the columns that every group reads are one product for all rows,
    and each group's own columns one product for its rows: the dense product without its zero terms.
    A single model's rows read every column: one group, the plain dense product.
    """

    def __init__(self, W: numpy.ndarray, b: Optional[numpy.ndarray] = None):
        self.out_width, self.in_width = W.shape
        self.b = b
        self.W_T = W.T  # a view: the dense product is the one numpy computed before blocks existed
        self.common: Optional[Tuple[Index, numpy.ndarray]] = None
        self.blocks: Optional[List[Tuple[Index, Index, numpy.ndarray]]] = None
        nonzero = W != 0
        groups: Dict[bytes, List[int]] = {}
        for row in range(self.out_width):
            groups.setdefault(nonzero[row].tobytes(), []).append(row)
        if len(groups) < 2:
            return
        reads = [nonzero[rows[0]] for rows in groups.values()]
        common = numpy.logical_and.reduce(reads)
        cost = int(common.sum()) * self.out_width + sum(
            len(rows) * int((r & ~common).sum()) for rows, r in zip(groups.values(), reads)
        )
        if cost > 0.75 * W.size:
            return
        if common.any():
            cols = numpy.flatnonzero(common)
            self.common = (_as_slice(cols), numpy.ascontiguousarray(W[:, cols].T))
        self.blocks = []
        for row_list, r in zip(groups.values(), reads):
            rows, cols = numpy.asarray(row_list), numpy.flatnonzero(r & ~common)
            if len(cols):
                self.blocks.append(
                    (_as_slice(rows), _as_slice(cols), numpy.ascontiguousarray(W[numpy.ix_(rows, cols)].T))
                )

    def __call__(self, x: numpy.ndarray) -> numpy.ndarray:
        if self.blocks is None:
            out = x @ self.W_T
        elif self.common is not None:
            cols, W_T = self.common
            out = x[:, cols] @ W_T
        else:
            out = numpy.zeros((x.shape[0], self.out_width), dtype=numpy.result_type(x, self.W_T))
        for rows, cols, W_T in self.blocks or ():
            out[:, rows] += x[:, cols] @ W_T
        if self.b is not None:
            out += self.b
        return out


def _as_slice(index: numpy.ndarray) -> Index:
    """A slice for consecutive indices (a view, no copy), else the index array."""
    if len(index) and index[-1] - index[0] == len(index) - 1:
        return slice(int(index[0]), int(index[-1]) + 1)
    return index


def _feed_forward(layers: List[Linear], x: numpy.ndarray) -> numpy.ndarray:
    """The layers in turn, ReLU between them, none after the last."""
    for k, layer in enumerate(layers):
        x = layer(x)
        if k < len(layers) - 1:
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
        self.bilinear_width = self.weights["pair.bi_ant.W"].shape[0] if "pair.bi_ant.W" in self.weights else 0
        # one product gives all parts of a mention's projection: [pair | similarity | bilinear]
        ant_parts = [self.weights["pair.ant.W"]]
        ment_parts = [self.weights["pair.ment.W"]]
        if self.similarity_width:
            ant_parts.append(self.weights["pair.sim_ant.W"])
            ment_parts.append(self.weights["pair.sim_ment.W"])
        if self.bilinear_width:
            ant_parts.append(self.weights["pair.bi_ant.W"])
            ment_parts.append(self.weights["pair.bi_ment.W"])
        self._encoder = Linear(self.weights["enc.W"], self.weights["enc.b"])
        self._single = [
            Linear(self.weights[f"single.{k}.W"], self.weights[f"single.{k}.b"]) for k in range(self.n_single_layers)
        ]
        # the pair net's hidden layers after the first (which is split into the per-mention projections)
        self._pair_tail = [
            Linear(self.weights[f"pair.{k}.W"], self.weights[f"pair.{k}.b"]) for k in range(1, self.n_pair_layers)
        ]
        # stored transposed and contiguous ([encoder width, projection width]), as the product reads them
        self._as_antecedent = Linear(numpy.ascontiguousarray(numpy.concatenate(ant_parts).T).T)
        self._as_mention = Linear(numpy.ascontiguousarray(numpy.concatenate(ment_parts).T).T)
        self._fused = None
        if self.n_pair_layers == 1 and not self.similarity_width:
            self._fused = (
                numpy.ascontiguousarray(self.weights["pair.feat.W"].T),
                self.weights["pair.0.b"],
                numpy.ascontiguousarray(self.weights["pair.out.W"][0]),
                float(self.weights["pair.out.b"][0]),
                self.bilinear_width,
            )

    @property
    def input_width(self) -> int:
        return self.weights["enc.W"].shape[1]

    def encode(self, word_rows, tensor_feats, mention_feats):
        """Shared mention encoding e [n, H]."""
        n = word_rows.shape[0]
        embedded = self.weights["embed"][word_rows].reshape(n, -1)
        x = numpy.concatenate([embedded, tensor_feats, mention_feats], axis=1)
        return relu(self._encoder(x))

    def single_scores(self, encoded):
        return _feed_forward(self._single, encoded)[:, 0]

    @property
    def projection_width(self) -> int:
        """Columns of each of `pair_projections`' arrays."""
        return self._as_antecedent.out_width

    def pair_projections(self, encoded):
        """Per-mention halves of the first pair layer: (as antecedent, as mention), each
        [n, pair_width + similarity_width + bilinear_width] (the pair part, then the similarity and
        bilinear projections)."""
        return self._as_antecedent(encoded), self._as_mention(encoded)

    def fused_pair_weights(self):
        """(pair.feat.W transposed, pair.0.b, pair.out.W row, pair.out.b, bilinear width) for
        `resolution.score_and_link`, or None when the pair net has more than one hidden layer or a
        similarity term (then `pair_scores` is used)."""
        return self._fused

    def pair_scores(self, as_antecedent, as_mention, ant, ment, pair_feats):
        width, sim_end = self.pair_width, self.pair_width + self.similarity_width
        if self.similarity_width or self.bilinear_width:
            a, m = as_antecedent[ant], as_mention[ment]
            h = a[:, :width] + m[:, :width]
            if self.similarity_width:
                h += (a[:, width:sim_end] * m[:, width:sim_end]) @ self.weights["pair.sim.W"].T
        else:
            h = as_antecedent[ant]
            h += as_mention[ment]
        h += pair_feats @ self.weights["pair.feat.W"].T
        h += self.weights["pair.0.b"]
        relu(h)
        if self.n_pair_layers > 1:
            h = relu(_feed_forward(self._pair_tail, h))
        scores = h @ self.weights["pair.out.W"][0] + self.weights["pair.out.b"][0]
        if self.bilinear_width:
            scores += numpy.einsum("pk,pk->p", a[:, sim_end:], m[:, sim_end:])
        return scores


def expected_shapes(
    input_width: int,
    pair_width: int,
    n_words: int,
    embed_dim: int,
    encoder_width: int,
    single_hidden: List[int],
    pair_hidden: List[int],
    similarity_width: int = 0,
    bilinear_width: int = 0,
):
    """Every weight name and shape of a model with these sizes (checked when loading)."""
    shapes = {"embed": (n_words, embed_dim), "enc.W": (encoder_width, input_width), "enc.b": (encoder_width,)}
    sizes = [encoder_width] + list(single_hidden) + [1]
    for k in range(len(sizes) - 1):
        shapes[f"single.{k}.W"] = (sizes[k + 1], sizes[k])
        shapes[f"single.{k}.b"] = (sizes[k + 1],)
    first = pair_hidden[0]
    shapes.update(
        {
            "pair.ant.W": (first, encoder_width),
            "pair.ment.W": (first, encoder_width),
            "pair.feat.W": (first, pair_width),
            "pair.0.b": (first,),
        }
    )
    if similarity_width:
        shapes.update(
            {
                "pair.sim_ant.W": (similarity_width, encoder_width),
                "pair.sim_ment.W": (similarity_width, encoder_width),
                "pair.sim.W": (first, similarity_width),
            }
        )
    if bilinear_width:
        shapes.update(
            {"pair.bi_ant.W": (bilinear_width, encoder_width), "pair.bi_ment.W": (bilinear_width, encoder_width)}
        )
    for k in range(1, len(pair_hidden)):
        shapes[f"pair.{k}.W"] = (pair_hidden[k], pair_hidden[k - 1])
        shapes[f"pair.{k}.b"] = (pair_hidden[k],)
    shapes["pair.out.W"] = (1, pair_hidden[-1])
    shapes["pair.out.b"] = (1,)
    return shapes
