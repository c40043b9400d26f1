"""Mini-batches of mentions with their candidate antecedents (NeuralCoref 2 style).

A training item is one mention with all its candidate antecedents. Mentions are sorted
by their number of candidates (ties in document order, so a batch's antecedents are
mostly shared and encoded once), then packed into batches whose padded size
B * max(K, 1) stays under `max_pairs`. Batch order is shuffled each epoch with a seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List

import numpy
import torch

from neuralcoref.featurize import PERSON_CODES
from .featurize_corpus import FeatureCache


@dataclass
class MentionIndex:
    """Per global mention: its first pair and its number of candidate pairs (among the pairs trained on)."""

    pair_first: numpy.ndarray  # int64 [n], into pair_ids
    pair_count: numpy.ndarray  # int64 [n]
    pair_ant: numpy.ndarray  # int64 [P'] global antecedent index of each pair trained on
    pair_ids: numpy.ndarray | None = None  # int64 [P'] the cache's index of each pair trained on (None: all)

    @classmethod
    def from_cache(cls, cache: FeatureCache, keep: numpy.ndarray | None = None) -> "MentionIndex":
        """keep (bool [P]): the cached pairs to train on (default: all)."""
        n = cache.n_mentions
        ant, ment = cache.global_pairs()
        if len(ment) and numpy.any(numpy.diff(ment) < 0):
            raise ValueError("cached pairs are not grouped by mention")
        ids = numpy.arange(len(ment), dtype="int64") if keep is None else numpy.flatnonzero(keep).astype("int64")
        ant, ment = ant[ids], ment[ids]
        count = numpy.bincount(ment, minlength=n).astype("int64")
        first = numpy.concatenate([[0], numpy.cumsum(count)[:-1]]).astype("int64")
        return cls(first, count, ant, ids)


def far_person_pairs(cache: FeatureCache, max_dist: int) -> numpy.ndarray:
    """bool [P]: the cached pairs of first/second-person pronouns more than `max_dist` mentions apart
    (candidates only by the far same-person rule, `neuralcoref.features._far_match`)."""
    ant, ment = cache.global_pairs()
    person = numpy.asarray(cache.arrays["person"])
    speaking = (person == PERSON_CODES["1"]) | (person == PERSON_CODES["2"])  # other mentions: third person
    return (ment - ant > max_dist) & speaking[ant] & speaking[ment]


@dataclass
class Batch:
    """Indices of one mini-batch (numpy; `tensors` makes the model inputs).

    rows: the distinct global mentions to encode; ment [B] and ant [B, K] index `rows`.
    pairs [B, K]: global pair indices (0 on padding); mask [B, K]; gold [B, K+1]: column 0
    is "no antecedent" (true when no candidate is in the mention's gold cluster).
    """

    rows: numpy.ndarray
    ment: numpy.ndarray
    ant: numpy.ndarray
    pairs: numpy.ndarray
    mask: numpy.ndarray
    gold: numpy.ndarray

    @property
    def n_pairs(self) -> int:
        return int(self.mask.sum())


def pack(pair_count: numpy.ndarray, max_pairs: int) -> List[numpy.ndarray]:
    """Group mentions (sorted by number of candidates, stable) so each group's padded size fits.

    The padded size of a group is len(group) * max(max count in group, 1); a mention with
    more candidates than `max_pairs` gets a batch of its own.
    RETURNS (list): arrays of global mention indices.
    """
    order = numpy.argsort(pair_count, kind="stable")
    counts = numpy.maximum(pair_count[order], 1)
    groups, start = [], 0
    n = len(order)
    while start < n:
        # counts are ascending, so the padded size of order[start:end] is (end - start) * counts[end - 1]
        end = start + 1
        while end < n and (end + 1 - start) * counts[end] <= max_pairs:
            end += 1
        groups.append(order[start:end])
        start = end
    return groups


def make_batch(index: MentionIndex, mentions: numpy.ndarray, gold_pair: numpy.ndarray) -> Batch:
    """The padded batch of these mentions (gold_pair: bool label of every global pair)."""
    counts = index.pair_count[mentions]
    k = int(counts.max()) if len(counts) else 0
    offsets = numpy.arange(k)[None, :]
    mask = offsets < counts[:, None]
    local = numpy.where(mask, index.pair_first[mentions][:, None] + offsets, 0)
    pairs = (
        local if index.pair_ids is None else numpy.where(mask, index.pair_ids[local] if len(index.pair_ids) else 0, 0)
    )
    ants = numpy.where(mask, index.pair_ant[local] if len(index.pair_ant) else 0, mentions[:, None])
    rows, inverse = numpy.unique(numpy.concatenate([mentions, ants.reshape(-1)]), return_inverse=True)
    inverse = inverse.reshape(-1)
    ment = inverse[: len(mentions)]
    ant = inverse[len(mentions) :].reshape(len(mentions), k)
    gold = numpy.zeros((len(mentions), k + 1), dtype=bool)
    gold[:, 1:] = mask & (gold_pair[pairs] if len(gold_pair) else False)
    gold[:, 0] = ~gold[:, 1:].any(axis=1)
    return Batch(rows, ment, ant, pairs, mask, gold)


class Batcher:
    """Epochs of shuffled batches over a feature cache: its trained mentions (all but the unannotated
    mentions of partly annotated documents), each with its known candidates (`keep` can remove more).

    word_rows (ndarray): int32 [n, 8] embedding rows of every cached mention.
    """

    def __init__(
        self,
        cache: FeatureCache,
        word_rows: numpy.ndarray,
        max_pairs: int,
        seed: int = 0,
        keep: numpy.ndarray | None = None,
    ):
        self.cache = cache
        self.word_rows = word_rows
        known = numpy.asarray(cache.arrays["pair_known"], dtype=bool)  # all, unless a document is partly annotated
        if not known.all():
            keep = known if keep is None else keep & known
        self.index = MentionIndex.from_cache(cache, keep)
        self.gold_pair = numpy.asarray(cache.arrays["pair_label"], dtype=bool)
        trained = numpy.flatnonzero(numpy.asarray(cache.arrays["mention_trained"], dtype=bool))
        self.groups = [trained[group] for group in pack(self.index.pair_count[trained], max_pairs)]
        self.seed = seed

    def __len__(self):
        return len(self.groups)

    def epoch(self, epoch: int):
        """The batches of an epoch, in an order fixed by (seed, epoch)."""
        order = numpy.random.default_rng([self.seed, epoch]).permutation(len(self.groups))
        for g in order:
            yield make_batch(self.index, self.groups[g], self.gold_pair)

    def mention_weights(self, batch: Batch, device="cpu") -> torch.Tensor | None:
        """Loss weight of each of the batch's mentions (`data.partial_weight` for those of partly annotated
        documents, `train.weigh_partial_documents`); None when every mention weighs 1."""
        if "mention_weight" not in self.cache.arrays:
            return None
        return torch.from_numpy(self.cache.arrays["mention_weight"][batch.rows[batch.ment]]).to(device)

    def per_column(
        self, batch: Batch, per_mention: numpy.ndarray, per_pair: numpy.ndarray, device="cpu"
    ) -> torch.Tensor:
        """The batch's [B, K+1] view of values over the whole cache (the reward-rescaled costs,
        `training.rewards.blended_costs`; a teacher's scores, `training.distill`): column 0 from the
        per-mention values (its "no antecedent" column), the others from the per-pair values; 0 on padding."""
        values = numpy.zeros(batch.gold.shape, dtype="float32")
        values[:, 0] = per_mention[batch.rows[batch.ment]]
        values[:, 1:] = numpy.where(batch.mask, per_pair[batch.pairs], 0.0)
        return torch.from_numpy(values).to(device)

    def tensors(self, batch: Batch, device="cpu") -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """Model inputs of a batch (see `CorefScorer.forward`) and its gold matrix."""
        arrays = self.cache.arrays
        rows = batch.rows
        return {
            "word_rows": torch.from_numpy(numpy.ascontiguousarray(self.word_rows[rows], dtype="int64")).to(device),
            "tensor_feats": torch.from_numpy(numpy.ascontiguousarray(arrays["tensor_feats"][rows])).to(device),
            "mention_feats": torch.from_numpy(numpy.ascontiguousarray(arrays["mention_feats"][rows])).to(device),
            "ment": torch.from_numpy(batch.ment.astype("int64")).to(device),
            "ant": torch.from_numpy(batch.ant.astype("int64")).to(device),
            "pair_feats": torch.from_numpy(arrays["pair_feats"][batch.pairs].astype("float32")).to(device),
            "mask": torch.from_numpy(batch.mask).to(device),
        }, torch.from_numpy(batch.gold).to(device)
