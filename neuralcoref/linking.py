"""The resolver driver: one Doc's mentions, block by block, from scores to links and clusters.

The component (`resolver.CorefResolver`) and the trainer's dev score (`training.evaluate.predict_cached`)
both link through `link_mentions`: the mentions are encoded MENTION_BLOCK at a time, only the
antecedent projections that the next block can reach are kept, and each block's pairs are linked by
a `resolution.Linker` (the link rule and the linking constraints, in C). The two differ only in where
a block's pair features come from: the Doc (`Linker.score_and_link`) or the feature cache
(`Linker.link_cached`), so a linking rule exists once.
"""

from typing import Callable, List, Optional, Tuple

import numpy

from .resolution import ClusterAgreement, Linker, LinkSettings, PairWeights

#: mentions encoded and linked at a time: memory stays linear in the document
MENTION_BLOCK = 2048

#: (first, last) -> ("no antecedent" scores, (antecedent projections, mention projections)) of those mentions
EncodeBlock = Callable[[int, int], Tuple[numpy.ndarray, Tuple[numpy.ndarray, numpy.ndarray]]]
#: (linker, first, last, base, as_ant of mentions base.., as_ment of mentions first..) -> None: link the
#: pairs of mentions first..last-1
LinkBlock = Callable[[Linker, int, int, int, numpy.ndarray, numpy.ndarray], None]


def link_mentions(
    n: int,
    settings: LinkSettings,
    agreement: Optional[ClusterAgreement],
    encode_block: EncodeBlock,
    link_block: LinkBlock,
) -> Linker:
    """Encode and link the n mentions of a Doc, MENTION_BLOCK at a time. RETURNS the Linker (its
    `antecedents`, `single_scores`, `clusters()`)."""
    linker = Linker(settings, numpy.zeros(n, dtype="float32"), agreement)
    window, window_first = None, 0  # antecedent projections of mentions window_first..
    for first in range(0, n, MENTION_BLOCK):
        last = min(n, first + MENTION_BLOCK)
        linker.single_scores[first:last], (as_ant, as_ment) = encode_block(first, last)
        base = max(0, first - settings.max_dist_match)
        window = as_ant if window is None else numpy.concatenate([window[base - window_first :], as_ant])
        window_first = base
        link_block(linker, first, last, base, window, as_ment)
    linker.finish()
    return linker


def fused_weights(scorer) -> Optional[PairWeights]:
    """The scorer's pair net for the C pair scorer, or None when it has more than one hidden layer or a
    similarity term (then pairs are scored in numpy: `numpy_pair_scores`)."""
    fused = scorer.fused_pair_weights()
    return None if fused is None else PairWeights(*fused)


def numpy_pair_scores(
    scorer,
    base: int,
    as_ant: numpy.ndarray,
    first: int,
    as_ment: numpy.ndarray,
    ant: numpy.ndarray,
    ment: numpy.ndarray,
    pair_feats: numpy.ndarray,
) -> numpy.ndarray:
    """Scores (float32) of the pairs (ant, ment) of a block, by the numpy `Scorer` (any pair net), from
    the projection rows of mentions base.. (as_ant) and first.. (as_ment)."""
    scores = scorer.pair_scores(
        as_ant, as_ment, ant - base, ment - first, numpy.ascontiguousarray(pair_feats, dtype="float32")
    )
    return numpy.ascontiguousarray(scores, dtype="float32")


def cluster_lists(members: numpy.ndarray, offsets: numpy.ndarray) -> List[List[int]]:
    """The clusters of `resolution.cluster_members` as lists of mention indices."""
    member_list, offset_list = members.tolist(), offsets.tolist()
    return [member_list[offset_list[k] : offset_list[k + 1]] for k in range(len(offset_list) - 1)]
