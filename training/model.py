"""The antecedent scorer in PyTorch: the same network as `neuralcoref.scorer.Scorer`.

    x      = [embed[word_rows] flattened, tensor_feats, mention_feats]
    e      = dropout(relu(enc(x)))
    single = MLP_single(e)                                   "no antecedent" score
    h      = relu(pair_ant(e_ant) + pair_ment(e_ment) + pair_feat(pair_feats) + pair_b
                  + pair_sim(sim_ant(e_ant) * sim_ment(e_ment)))      (similarity_width > 0)
    pair   = pair_out(MLP_tail(h)) + bi_ant(e_ant) . bi_ment(e_ment)       (bilinear_width > 0)

Rows of the embedding table past `n_words - n_frozen` are a fixed buffer (pretrained vectors kept
as they are, see training/vectors.py); the rows before them are trained.

`export_weights` gives the runtime's weight names ("embed", "enc.W", "single.0.W",
"pair.ant.W", ..., "pair.out.b"); `load_weights` reads them back. Feature groups can
be switched off (ablation): their inputs are zeroed here and their weights zeroed on
export, so the exported model computes exactly what was trained; without the tensor group,
the exported model has no tensor input at all (tensor_width 0), so it runs with any pipeline.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, Sequence

import numpy
import torch
from torch import nn

from neuralcoref.features import (
    MENTION_LAYOUT,
    MENTION_FEATS_WIDTH_PY as MENTION_FEATS_WIDTH,
    N_TENSOR_SLOTS_PY as N_TENSOR_SLOTS,
    N_WORD_SLOTS_PY as N_WORD_SLOTS,
    PAIR_FEATS_WIDTH_PY as PAIR_FEATS_WIDTH,
    PAIR_LAYOUT,
)

#: ablation groups -> (mention feature groups, pair feature groups); "words" and "tensor" are whole blocks
FEATURE_GROUPS = {
    "words": ((), ()),
    "tensor": ((), ()),
    "distance": (("position",), ("sentence_distance", "mention_distance")),
    "string_match": ((), ("exact_match", "relaxed_match", "head_match", "lemma_match", "contains_head")),
    "speaker": (
        ("has_speaker",),
        ("same_speaker", "other_speaker", "i_i_same_speaker", "i_you_other_speaker", "you_i_other_speaker"),
    ),
    "grammar": (("gender", "number", "person"), ("gender_agree", "gender_clash", "number_agree", "number_clash")),
}


def _columns(layout, names: Iterable[str]) -> list:
    wanted = set(names)
    return [c for name, offset, width in layout if name in wanted for c in range(offset, offset + width)]


def feature_masks(zero_groups: Sequence[str], tensor_width: int):
    """(keep words, keep tensor, mention column mask [55], pair column mask [PAIR_FEATS_WIDTH]) for an ablation."""
    unknown = set(zero_groups) - set(FEATURE_GROUPS)
    if unknown:
        raise ValueError(f"unknown feature groups {sorted(unknown)}; known: {sorted(FEATURE_GROUPS)}")
    mention_mask = numpy.ones(MENTION_FEATS_WIDTH, dtype="float32")
    pair_mask = numpy.ones(PAIR_FEATS_WIDTH, dtype="float32")
    for group in zero_groups:
        mention_groups, pair_groups = FEATURE_GROUPS[group]
        mention_mask[_columns(MENTION_LAYOUT, mention_groups)] = 0
        pair_mask[_columns(PAIR_LAYOUT, pair_groups)] = 0
    return "words" not in zero_groups, "tensor" not in zero_groups, mention_mask, pair_mask


class CorefScorer(nn.Module):
    """Mention encoder, single-mention scorer and pair scorer (sizes as in the model meta)."""

    sizes: Dict[str, Any]
    # Buffers, typed here: nn.Module's __getattr__ types them as Tensor | Module.
    frozen_embed: torch.Tensor
    mention_mask: torch.Tensor
    pair_mask: torch.Tensor
    # nn.Linear or None (no similarity / bilinear term); Any: the code tests one of each group for None
    sim_ant: Any
    sim_ment: Any
    pair_sim: Any
    bi_ant: Any
    bi_ment: Any

    def __init__(
        self,
        n_words: int,
        tensor_width: int = 96,
        embed_dim: int = 50,
        encoder_width: int = 256,
        single_hidden: Sequence[int] = (128,),
        pair_hidden: Sequence[int] = (128,),
        dropout: float = 0.3,
        zero_groups: Sequence[str] = (),
        similarity_width: int = 0,
        bilinear_width: int = 0,
        n_frozen: int = 0,
    ):
        super().__init__()
        if not pair_hidden:
            raise ValueError("pair_hidden needs at least one layer")
        self.sizes = {
            "tensor_width": tensor_width,
            "embed_dim": embed_dim,
            "encoder_width": encoder_width,
            "single_hidden": list(single_hidden),
            "pair_hidden": list(pair_hidden),
            "similarity_width": int(similarity_width),
            "bilinear_width": int(bilinear_width),
        }
        self.input_width = embed_dim * N_WORD_SLOTS + tensor_width * N_TENSOR_SLOTS + MENTION_FEATS_WIDTH
        if not 0 <= n_frozen <= n_words - 2:
            raise ValueError(f"n_frozen {n_frozen}: rows 0 and 1 of {n_words} are always trained")
        self.embed = nn.Embedding(n_words - n_frozen, embed_dim, padding_idx=0)
        self.register_buffer("frozen_embed", torch.zeros(n_frozen, embed_dim))
        self.enc = nn.Linear(self.input_width, encoder_width)
        sizes = [encoder_width] + list(single_hidden) + [1]
        self.single = nn.ModuleList(nn.Linear(sizes[k], sizes[k + 1]) for k in range(len(sizes) - 1))
        first = pair_hidden[0]
        self.pair_ant = nn.Linear(encoder_width, first, bias=False)
        self.pair_ment = nn.Linear(encoder_width, first, bias=False)
        self.pair_feat = nn.Linear(PAIR_FEATS_WIDTH, first, bias=False)
        self.pair_b = nn.Parameter(torch.zeros(first))
        self.sim_ant = self.sim_ment = self.pair_sim = None
        if similarity_width:
            self.sim_ant = nn.Linear(encoder_width, similarity_width, bias=False)
            self.sim_ment = nn.Linear(encoder_width, similarity_width, bias=False)
            self.pair_sim = nn.Linear(similarity_width, first, bias=False)
        self.bi_ant = self.bi_ment = None
        if bilinear_width:
            self.bi_ant = nn.Linear(encoder_width, bilinear_width, bias=False)
            self.bi_ment = nn.Linear(encoder_width, bilinear_width, bias=False)
        self.pair_hidden = nn.ModuleList(
            nn.Linear(pair_hidden[k - 1], pair_hidden[k]) for k in range(1, len(pair_hidden))
        )
        self.pair_out = nn.Linear(pair_hidden[-1], 1)
        self.drop = nn.Dropout(dropout)
        self.zero_groups = list(zero_groups)
        keep_words, keep_tensor, mention_mask, pair_mask = feature_masks(zero_groups, tensor_width)
        self.keep_words, self.keep_tensor = keep_words, keep_tensor
        self.register_buffer("mention_mask", torch.from_numpy(mention_mask), persistent=False)
        self.register_buffer("pair_mask", torch.from_numpy(pair_mask), persistent=False)
        self.reset_parameters()

    @classmethod
    def from_config(cls, model_cfg: dict, n_words: int, tensor_width: int, n_frozen: int = 0) -> "CorefScorer":
        """The scorer of a training config's [model] section (sizes, dropout, ablation, similarity term);
        the last `n_frozen` of the n_words rows are fixed."""
        return cls(
            n_words,
            tensor_width=tensor_width,
            embed_dim=model_cfg["embed_dim"],
            encoder_width=model_cfg["encoder_width"],
            single_hidden=list(model_cfg["single_hidden"]),
            pair_hidden=list(model_cfg["pair_hidden"]),
            dropout=model_cfg["dropout"],
            zero_groups=model_cfg.get("zero_groups") or [],
            similarity_width=int(model_cfg.get("similarity_width") or 0),
            bilinear_width=int(model_cfg.get("bilinear_width") or 0),
            n_frozen=n_frozen,
        )

    def reset_parameters(self):
        nn.init.normal_(self.embed.weight, std=0.1)
        with torch.no_grad():
            self.embed.weight[0].zero_()
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.kaiming_uniform_(module.weight, nonlinearity="relu")
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
        nn.init.xavier_uniform_(self.single[-1].weight)
        nn.init.xavier_uniform_(self.pair_out.weight)
        if self.bi_ant is not None:
            # small: the dot product starts near 0 and does not swamp the pair net's score
            nn.init.normal_(self.bi_ant.weight, std=0.02)
            nn.init.normal_(self.bi_ment.weight, std=0.02)

    def set_pretrained(self, rows: numpy.ndarray, vectors: numpy.ndarray) -> None:
        """Start the embedding rows `rows` [k] from `vectors` [k, embed_dim] (fixed ones included)."""
        if not len(rows):
            return
        index = torch.as_tensor(numpy.asarray(rows, dtype="int64"))
        values = torch.as_tensor(numpy.asarray(vectors, dtype="float32"))
        n_trained = self.embed.num_embeddings
        trained = index < n_trained
        with torch.no_grad():
            self.embed.weight[index[trained]] = values[trained]
            self.frozen_embed[index[~trained] - n_trained] = values[~trained]

    def fix_embedding_table(self, table: numpy.ndarray) -> None:
        """Take the whole embedding table [n_words, embed_dim] as given and never train it (`model.embed_from`)."""
        expected = (self.embed.num_embeddings + self.frozen_embed.shape[0], self.embed.embedding_dim)
        if table.shape != expected:
            raise ValueError(f"embedding table of shape {table.shape}, this model's is {expected}")
        values = torch.as_tensor(numpy.asarray(table, dtype="float32"))
        n_trained = self.embed.num_embeddings
        with torch.no_grad():
            self.embed.weight.copy_(values[:n_trained])
            self.frozen_embed.copy_(values[n_trained:])
        self.embed.weight.requires_grad_(False)

    def embedding_table(self) -> torch.Tensor:
        """The whole table [n_words, embed_dim]: trained rows, then fixed ones."""
        return torch.cat([self.embed.weight, self.frozen_embed])

    def embed_rows(self, word_rows: torch.Tensor) -> torch.Tensor:
        """Embeddings of table rows (trained or fixed) [..., embed_dim]."""
        if not self.frozen_embed.shape[0]:
            return self.embed(word_rows)
        n_trained = self.embed.num_embeddings
        trained = self.embed(word_rows.clamp(max=n_trained - 1))
        fixed = self.frozen_embed[(word_rows - n_trained).clamp(min=0)]
        return torch.where((word_rows >= n_trained).unsqueeze(-1), fixed, trained)

    # -- forward pieces (the numpy Scorer's, plus dropout) ------------------------------------------------
    def encode(self, word_rows: torch.Tensor, tensor_feats: torch.Tensor, mention_feats: torch.Tensor):
        """Shared mention encoding e [n, encoder_width]."""
        n = word_rows.shape[0]
        embedded = self.embed_rows(word_rows).reshape(n, -1)
        if not self.keep_words:
            embedded = torch.zeros_like(embedded)
        if not self.keep_tensor:
            tensor_feats = torch.zeros_like(tensor_feats)
        x = torch.cat([embedded, tensor_feats, mention_feats * self.mention_mask], dim=1)
        return self.drop(torch.relu(self.enc(self.drop(x))))

    def single_scores(self, encoded: torch.Tensor) -> torch.Tensor:
        h = encoded
        for k, layer in enumerate(self.single):
            h = layer(h)
            if k < len(self.single) - 1:
                h = self.drop(torch.relu(h))
        return h[..., 0]

    def _pair_dropout(self, h: torch.Tensor) -> torch.Tensor:
        """Dropout with one mask per mention shared by its candidates ([B, K, H] -> mask [B, 1, H]).

        Random numbers are slow on CPU; per-pair masks cost more than the rest of the pair net.
        """
        p = self.drop.p
        if not self.training or p == 0:
            return h
        shape = (h.shape[0], 1, h.shape[-1]) if h.ndim == 3 else h.shape
        mask = (torch.rand(shape, device=h.device) >= p).to(h.dtype) / (1.0 - p)
        return h * mask

    def pair_scores(
        self,
        as_antecedent: torch.Tensor,
        as_mention: torch.Tensor,
        pair_feats: torch.Tensor,
        sim_antecedent: torch.Tensor | None = None,
        sim_mention: torch.Tensor | None = None,
        bilinear_antecedent: torch.Tensor | None = None,
        bilinear_mention: torch.Tensor | None = None,
    ):
        """Pair scores from the projected halves (broadcastable shapes [..., first]) and pair features;
        with a similarity term, also the similarity projections (broadcastable [..., similarity_width]);
        with a bilinear term, the bilinear projections (broadcastable [..., bilinear_width])."""
        h = as_antecedent + as_mention + self.pair_feat(pair_feats * self.pair_mask) + self.pair_b
        if self.pair_sim is not None:
            h = h + self.pair_sim(sim_antecedent * sim_mention)  # type: ignore[operator]  # given with pair_sim
        h = torch.relu(h)
        h = self._pair_dropout(h)
        for layer in self.pair_hidden:
            h = self._pair_dropout(torch.relu(layer(h)))
        scores = self.pair_out(h)[..., 0]
        if self.bi_ant is not None:
            scores = scores + (bilinear_antecedent * bilinear_mention).sum(-1)  # type: ignore[operator]
        return scores

    def forward(self, word_rows, tensor_feats, mention_feats, ment, ant, pair_feats, mask):
        """Padded score matrix [B, K+1]: column 0 the single score, then one column per candidate.

        word_rows/tensor_feats/mention_feats: the batch's distinct mentions; ment [B] and ant [B, K]
        index them; pair_feats [B, K, width]; mask [B, K] (False: padding, scored -inf).
        """
        encoded = self.encode(word_rows, tensor_feats, mention_feats)
        single = self.single_scores(encoded[ment])
        # index_select: its backward is index_add_, much faster on CPU than advanced indexing's
        as_ant = torch.index_select(self.pair_ant(encoded), 0, ant.reshape(-1)).reshape(*ant.shape, -1)
        as_ment = self.pair_ment(encoded[ment])[:, None, :]
        sim_ant = sim_ment = bi_ant = bi_ment = None
        if self.pair_sim is not None:
            sim_ant = torch.index_select(self.sim_ant(encoded), 0, ant.reshape(-1)).reshape(*ant.shape, -1)
            sim_ment = self.sim_ment(encoded[ment])[:, None, :]
        if self.bi_ant is not None:
            bi_ant = torch.index_select(self.bi_ant(encoded), 0, ant.reshape(-1)).reshape(*ant.shape, -1)
            bi_ment = self.bi_ment(encoded[ment])[:, None, :]
        pair = self.pair_scores(as_ant, as_ment, pair_feats, sim_ant, sim_ment, bi_ant, bi_ment)
        pair = pair.masked_fill(~mask, float("-inf"))
        return torch.cat([single[:, None], pair], dim=1)

    # -- export ----------------------------------------------------------------------------------------------
    def export_weights(self) -> Dict[str, numpy.ndarray]:
        """The runtime's weight dict (float32 numpy); ablated inputs get zero weights."""

        def np(t):
            return t.detach().float().cpu().numpy().copy()

        emb = self.sizes["embed_dim"] * N_WORD_SLOTS
        tw = self.sizes["tensor_width"] * N_TENSOR_SLOTS
        enc_w = np(self.enc.weight)
        enc_w[:, emb + tw :] *= self.mention_mask.cpu().numpy()[None, :]
        if not self.keep_tensor:  # no doc.tensor input at all (`exported_tensor_width` 0): any pipeline will do
            enc_w = numpy.delete(enc_w, numpy.s_[emb : emb + tw], axis=1)
        embed = np(self.embedding_table())
        embed[0] = 0
        if not self.keep_words:
            embed[:] = 0
        weights = {"embed": embed, "enc.W": enc_w, "enc.b": np(self.enc.bias)}
        for k, layer in enumerate(self.single):
            weights[f"single.{k}.W"], weights[f"single.{k}.b"] = np(layer.weight), np(layer.bias)
        weights["pair.ant.W"] = np(self.pair_ant.weight)
        weights["pair.ment.W"] = np(self.pair_ment.weight)
        weights["pair.feat.W"] = np(self.pair_feat.weight) * self.pair_mask.cpu().numpy()[None, :]
        weights["pair.0.b"] = np(self.pair_b)
        if self.pair_sim is not None:
            weights["pair.sim_ant.W"] = np(self.sim_ant.weight)
            weights["pair.sim_ment.W"] = np(self.sim_ment.weight)
            weights["pair.sim.W"] = np(self.pair_sim.weight)
        if self.bi_ant is not None:
            weights["pair.bi_ant.W"] = np(self.bi_ant.weight)
            weights["pair.bi_ment.W"] = np(self.bi_ment.weight)
        for k, layer in enumerate(self.pair_hidden, start=1):
            weights[f"pair.{k}.W"], weights[f"pair.{k}.b"] = np(layer.weight), np(layer.bias)
        weights["pair.out.W"], weights["pair.out.b"] = np(self.pair_out.weight), np(self.pair_out.bias)
        return weights

    @property
    def exported_tensor_width(self) -> int:
        """The tensor width of the exported model: 0 when the tensor group is zeroed."""
        return self.sizes["tensor_width"] if self.keep_tensor else 0

    def load_weights(self, weights: Dict[str, numpy.ndarray]) -> None:
        """Set the parameters from a runtime weight dict (the inverse of `export_weights`)."""
        weights = dict(weights)
        if not self.keep_tensor:  # exported without the tensor columns: they are zeros here
            emb = self.sizes["embed_dim"] * N_WORD_SLOTS
            tw = self.sizes["tensor_width"] * N_TENSOR_SLOTS
            enc = numpy.asarray(weights["enc.W"], dtype="float32")
            weights["enc.W"] = numpy.concatenate(
                [enc[:, :emb], numpy.zeros((enc.shape[0], tw), "float32"), enc[:, emb:]], axis=1
            )

        def put(param, name):
            value = torch.as_tensor(numpy.asarray(weights[name], dtype="float32"))
            if tuple(value.shape) != tuple(param.shape):
                raise ValueError(f"weight {name}: expected {tuple(param.shape)}, found {tuple(value.shape)}")
            with torch.no_grad():
                param.copy_(value)

        table = numpy.asarray(weights["embed"], dtype="float32")
        n_trained = self.embed.num_embeddings
        if table.shape[0] != n_trained + self.frozen_embed.shape[0]:
            raise ValueError(
                f"weight embed: expected {n_trained + self.frozen_embed.shape[0]} rows, found {table.shape[0]}"
            )
        weights["embed"], weights["frozen_embed"] = table[:n_trained], table[n_trained:]
        put(self.embed.weight, "embed")
        put(self.frozen_embed, "frozen_embed")
        put(self.enc.weight, "enc.W")
        put(self.enc.bias, "enc.b")
        for k, layer in enumerate(self.single):
            put(layer.weight, f"single.{k}.W")
            put(layer.bias, f"single.{k}.b")
        put(self.pair_ant.weight, "pair.ant.W")
        put(self.pair_ment.weight, "pair.ment.W")
        put(self.pair_feat.weight, "pair.feat.W")
        put(self.pair_b, "pair.0.b")
        if self.pair_sim is not None:
            put(self.sim_ant.weight, "pair.sim_ant.W")
            put(self.sim_ment.weight, "pair.sim_ment.W")
            put(self.pair_sim.weight, "pair.sim.W")
        if self.bi_ant is not None:
            put(self.bi_ant.weight, "pair.bi_ant.W")
            put(self.bi_ment.weight, "pair.bi_ment.W")
        for k, layer in enumerate(self.pair_hidden, start=1):
            put(layer.weight, f"pair.{k}.W")
            put(layer.bias, f"pair.{k}.b")
        put(self.pair_out.weight, "pair.out.W")
        put(self.pair_out.bias, "pair.out.b")
