"""Reward-rescaled mistake costs (Clark & Manning 2016, "Deep Reinforcement Learning for
Mention-Ranking Coreference Models").

The heuristic costs of the ranking loss price every false link alike. Here an action's cost is
how much the reward would lose if the mention took it instead of its best action, every other
mention keeping the current model's decision: a link that merges two large clusters costs more
than one that adds a stray mention to a small one. The reward is the mean of the corpus's MUC and
B-cubed F1 (CEAF-e needs an alignment of whole clusters). B-cubed alone, with one-mention
clusters dropped as the CoNLL scoring of OntoNotes does, rewards linking two gold mentions of
different entities that are otherwise left alone: each gains recall 1 / |its gold cluster|.

Changing mention i's action moves i together with the mentions linked to it, directly or
through others (its subtree in the forest of predicted links): from its cluster C to the cluster
D of the new antecedent, or to a cluster of its own. So each action changes two clusters, and
the metrics' sums change by those clusters' terms only. The corpus F1 is linearised around the
current precision and recall, so one action's change is the same whichever document it is in.

Tried for the English recipe and not made its default (docs/accuracy.md): `costs.rescaled`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy

_PAIR_CHUNK = 8192


def _f1_gradient(p: float, r: float) -> tuple[float, float]:
    """(d F1 / d precision, d F1 / d recall); precision and recall alike when both are 0."""
    if p + r == 0:
        p = r = 0.5
    return 2 * r * r / (p + r) ** 2, 2 * p * p / (p + r) ** 2


@dataclass
class RewardWeights:
    """The gradient of the reward, the mean of MUC's and B-cubed's corpus F1, with respect to the sums
    that clusters add to: B-cubed's precision numerator, precision denominator and recall numerator,
    MUC's correct links (both numerators) and precision denominator. `muc` or `b3` 0 leaves a metric out."""

    b3_p_num: float
    b3_p_den: float
    b3_r_num: float
    muc_links: float
    muc_p_den: float

    @classmethod
    def at(cls, totals: numpy.ndarray, b3: float = 0.5, muc: float = 0.5) -> "RewardWeights":
        """totals: the corpus's sums (`_DocForest.totals`, then the gold counts: B-cubed's mentions,
        MUC's links (sum of |K| - 1))."""
        p_num, p_den, r_num, links, muc_p_den, n_gold, muc_r_den = (float(x) for x in totals)
        p, muc_p = (p_num / p_den if p_den else 0.0), (links / muc_p_den if muc_p_den else 0.0)
        dp, dr = _f1_gradient(p, r_num / n_gold if n_gold else 0.0)
        mp, mr = _f1_gradient(muc_p, links / muc_r_den if muc_r_den else 0.0)
        return cls(
            b3 * dp / max(p_den, 1.0),
            -b3 * dp * p / max(p_den, 1.0),
            b3 * dr / max(n_gold, 1.0),
            muc * (mp / max(muc_p_den, 1.0) + mr / max(muc_r_den, 1.0)),
            -muc * mp * muc_p / max(muc_p_den, 1.0),
        )


@dataclass
class _Clusters:
    """What the metrics read of some clusters: sizes and, from their gold counts g, sum g^2,
    sum g^2 / |K|, sum g and the number of gold clusters they touch."""

    size: numpy.ndarray
    squares: numpy.ndarray
    weighted: numpy.ndarray
    gold: numpy.ndarray
    touched: numpy.ndarray

    def terms(self) -> numpy.ndarray:
        """[5, n] sums these clusters add to (the order of `RewardWeights.at`'s totals, without the
        two gold counts): clusters of one mention add nothing (the component drops them)."""
        scored = self.size >= 2
        return numpy.stack(
            [
                numpy.where(scored, self.squares / numpy.maximum(self.size, 1), 0.0),
                numpy.where(scored, self.size, 0.0),
                numpy.where(scored, self.weighted, 0.0),
                self.gold - self.touched,  # MUC's correct links; 0 for one mention
                numpy.maximum(self.size - 1, 0),  # MUC's precision denominator
            ]
        )

    def value(self, w: RewardWeights) -> numpy.ndarray:
        t = self.terms()
        return w.b3_p_num * t[0] + w.b3_p_den * t[1] + w.b3_r_num * t[2] + w.muc_links * t[3] + w.muc_p_den * t[4]


@dataclass
class _DocForest:
    """One document's predicted links as clusters and subtrees, with their gold counts."""

    cluster: numpy.ndarray  # int [n] the root mention of each mention's cluster
    sub_size: numpy.ndarray  # float [n] mentions in each mention's subtree
    sub_gold: numpy.ndarray  # float [n, k] gold mentions of each gold cluster in each subtree
    inverse_size: numpy.ndarray  # float [k] 1 / |gold cluster|

    @classmethod
    def build(cls, antecedents: numpy.ndarray, gold: numpy.ndarray, gold_sizes: numpy.ndarray) -> "_DocForest":
        n, k = len(antecedents), len(gold_sizes)
        sub_gold = numpy.zeros((n, k))
        has_gold = gold >= 0
        sub_gold[numpy.flatnonzero(has_gold), gold[has_gold]] = 1.0
        sub_size = numpy.ones(n)
        for j in range(n - 1, -1, -1):  # an antecedent comes before its mention: children first
            a = antecedents[j]
            if a >= 0:
                sub_gold[a] += sub_gold[j]
                sub_size[a] += sub_size[j]
        cluster = numpy.arange(n)
        for j in range(n):
            if antecedents[j] >= 0:
                cluster[j] = cluster[antecedents[j]]
        inverse_size = 1.0 / numpy.maximum(gold_sizes, 1)
        return cls(cluster, sub_size, sub_gold, inverse_size)

    def clusters(self, size: numpy.ndarray, counts: numpy.ndarray) -> _Clusters:
        return _Clusters(
            size,
            (counts**2).sum(axis=-1),
            (counts**2 * self.inverse_size).sum(axis=-1),
            counts.sum(axis=-1),
            (counts > 0).sum(axis=-1),
        )

    def totals(self) -> numpy.ndarray:
        """[5] the sums of the predicted clusters (`_Clusters.terms`)."""
        roots = numpy.flatnonzero(self.cluster == numpy.arange(len(self.cluster)))
        return self.clusters(self.sub_size[roots], self.sub_gold[roots]).terms().sum(axis=1)

    def gains(self, pair_ant: numpy.ndarray, pair_ment: numpy.ndarray, w: RewardWeights):
        """Change of the linearised reward when each mention starts a cluster of its own ([n]) and when
        it links to each candidate ([P]), against the current decisions."""
        root = self.cluster
        rest = self.clusters(self.sub_size[root] - self.sub_size, self.sub_gold[root] - self.sub_gold)
        subtree = self.clusters(self.sub_size, self.sub_gold)  # a root's subtree is its cluster
        c_value, s_value, rest_value = subtree.value(w)[root], subtree.value(w), rest.value(w)
        new_gain = numpy.where(root == numpy.arange(len(root)), 0.0, rest_value + s_value - c_value)
        link_gain = numpy.zeros(len(pair_ant))
        for start in range(0, len(pair_ant), _PAIR_CHUNK):  # [chunk, k] products at a time
            d = root[pair_ant[start : start + _PAIR_CHUNK]]  # a link to a candidate in cluster D:
            m = pair_ment[start : start + _PAIR_CHUNK]  # clusters C and D become C \ S and D + S
            product = self.sub_gold[d] * self.sub_gold[m]
            merged = _Clusters(
                subtree.size[d] + subtree.size[m],
                subtree.squares[d] + subtree.squares[m] + 2 * product.sum(axis=-1),
                subtree.weighted[d] + subtree.weighted[m] + 2 * (product * self.inverse_size).sum(axis=-1),
                subtree.gold[d] + subtree.gold[m],
                subtree.touched[d] + subtree.touched[m] - (product > 0).sum(axis=-1),
            )
            gain = rest_value[m] + merged.value(w) - c_value[m] - c_value[d]
            # a candidate in the mention's own cluster: the clusters stay as they are
            link_gain[start : start + _PAIR_CHUNK] = numpy.where(d == root[m], 0.0, gain)
        return new_gain, link_gain


def document_gold(cache, d: int, ms: slice, drop_gold_singletons: bool) -> tuple[numpy.ndarray, numpy.ndarray]:
    """(gold cluster of each cached mention, -1 for none; size of each gold cluster) of document d,
    gold singletons read as no gold mention when `drop_gold_singletons`."""
    sizes = numpy.array([len(c) for c in cache.docs[d]["clusters"]], dtype="int64")
    gold = numpy.asarray(cache.arrays["gold_cluster"][ms], dtype="int64")
    if not drop_gold_singletons:
        return gold, sizes
    kept = sizes >= 2
    renumbered = numpy.where(kept, numpy.cumsum(kept) - 1, -1)  # gold clusters of two or more, numbered 0..
    return numpy.where(gold >= 0, renumbered[numpy.maximum(gold, 0)], -1), sizes[kept]


def rescaled_costs(
    cache, antecedents: list[numpy.ndarray], drop_gold_singletons: bool = True, b3: float = 0.5, muc: float = 0.5
) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Reward-rescaled costs of every cached mention's actions, given the current decisions.

    antecedents: per document, each mention's predicted antecedent (document-local, -1: none).
    RETURNS (new_cost float32 [n], pair_cost float32 [P]): max gain over the mention's actions minus
    the action's gain, in units of corpus F1 (`b3` x B-cubed's + `muc` x MUC's; the caller scales them).
    """
    forests = []
    totals = numpy.zeros(7)
    for d in range(len(cache)):
        ms, _ = cache.doc_slice(d)
        gold, sizes = document_gold(cache, d, ms, drop_gold_singletons)
        forest = _DocForest.build(numpy.asarray(antecedents[d], dtype="int64"), gold, sizes)
        totals += numpy.concatenate([forest.totals(), [sizes.sum(), numpy.maximum(sizes - 1, 0).sum()]])
        forests.append(forest)
    weights = RewardWeights.at(totals, b3, muc)
    new_cost = numpy.zeros(cache.n_mentions, dtype="float32")
    pair_cost = numpy.zeros(len(cache.arrays["pair_ant"]), dtype="float32")
    for d, forest in enumerate(forests):
        ms, ps = cache.doc_slice(d)
        ant = numpy.asarray(cache.arrays["pair_ant"][ps], dtype="int64")
        ment = numpy.asarray(cache.arrays["pair_ment"][ps], dtype="int64")
        new_gain, link_gain = forest.gains(ant, ment, weights)
        best = new_gain.copy()
        numpy.maximum.at(best, ment, link_gain)
        new_cost[ms] = best - new_gain
        pair_cost[ps] = best[ment] - link_gain
    return new_cost, pair_cost


@dataclass
class RescalingSettings:
    """The `[costs]` keys of reward rescaling, none of them in the shipped configs (docs/training.md,
    "Reward-rescaled costs"): `rescaled` (share of the rescaled costs, 0-1; 0, the default, is off),
    `rescaled_from_epoch` (the first 0-based ranking epoch that uses them, 2), `rescaled_by_kind` (false)
    and `rescaled_b3` (B-cubed's share of the reward, MUC's the rest, 0.5)."""

    share: float = 0.0
    from_epoch: int = 2
    by_kind: bool = False
    b3: float = 0.5

    @classmethod
    def from_costs(cls, costs: dict) -> "RescalingSettings":
        """Read and check the keys, before anything is featurized."""
        share, b3 = costs.get("rescaled", 0.0), costs.get("rescaled_b3", 0.5)
        for key, value in (("rescaled", share), ("rescaled_b3", b3)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise ValueError(f"costs.{key} must be a number from 0 to 1, got {value!r}")
        from_epoch, by_kind = costs.get("rescaled_from_epoch", 2), costs.get("rescaled_by_kind", False)
        if isinstance(from_epoch, bool) or not isinstance(from_epoch, int) or from_epoch < 0:
            raise ValueError(f"costs.rescaled_from_epoch must be an integer >= 0, got {from_epoch!r}")
        if not isinstance(by_kind, bool):
            raise ValueError(f"costs.rescaled_by_kind must be true or false, got {by_kind!r}")
        return cls(float(share), from_epoch, by_kind, float(b3))


def require_full_annotation(cache) -> None:
    """Refuse partly annotated documents (GAP): their clusters are not the whole truth a metric needs."""
    if not numpy.asarray(cache.arrays["mention_trained"], dtype=bool).all():
        raise ValueError(
            "reward-rescaled costs need fully annotated documents (the training data has partly annotated ones)"
        )


#: the kinds of mistake, in the order `mistake_kinds` numbers them (-1: a gold action)
MISTAKES = ("false_new", "false_link", "wrong_link")


def mistake_kinds(cache) -> numpy.ndarray:
    """The kind of mistake (an index into MISTAKES, -1 for a gold action) of every cached action: the
    mentions' "no antecedent" [n], then the pairs' links [P], as `ranking_costs` prices them."""
    label = numpy.asarray(cache.arrays["pair_label"], dtype=bool)
    _, ment = cache.global_pairs()
    anaphoric = numpy.zeros(cache.n_mentions, dtype=bool)
    anaphoric[ment[label]] = True
    new_kind = numpy.where(anaphoric, 0, -1)
    pair_kind = numpy.where(label, -1, numpy.where(anaphoric[ment], 2, 1))
    return numpy.concatenate([new_kind, pair_kind])


def _fixed_costs(kinds: numpy.ndarray, costs: dict) -> numpy.ndarray:
    prices = numpy.array([costs[name] for name in MISTAKES], dtype="float32")
    return numpy.where(kinds >= 0, prices[numpy.maximum(kinds, 0)], 0.0).astype("float32")


def heuristic_costs(cache, costs: dict) -> tuple[numpy.ndarray, numpy.ndarray]:
    """The config's fixed costs (`ranking_costs`) of every cached mention's actions: (new_cost [n],
    pair_cost [P]); 0 for a gold action."""
    fixed = _fixed_costs(mistake_kinds(cache), costs)
    return fixed[: cache.n_mentions], fixed[cache.n_mentions :]


def blended_costs(
    cache,
    antecedents: list[numpy.ndarray],
    costs: dict,
    share: float,
    drop_gold_singletons: bool = True,
    by_kind: bool = False,
    b3: float = 0.5,
) -> tuple[numpy.ndarray, numpy.ndarray]:
    """(1 - share) x the fixed costs + share x the rescaled ones, scaled so that their mean over the
    wrong actions is the fixed costs' mean there (the loss keeps its size, and the learning rate its
    meaning); `by_kind`: scaled so for each kind of mistake (false new, false link, wrong link) on its
    own, which keeps the fixed costs' balance between links and "no antecedent" and takes from the
    metrics only which mistakes of a kind matter more; `b3`: B-cubed's share of the reward, MUC's the
    rest. RETURNS (new_cost [n], pair_cost [P]), float32."""
    require_full_annotation(cache)
    kinds = mistake_kinds(cache)
    fixed = _fixed_costs(kinds, costs)
    rescaled = numpy.concatenate(rescaled_costs(cache, antecedents, drop_gold_singletons, b3=b3, muc=1 - b3))
    groups = kinds if by_kind else numpy.where(kinds >= 0, 0, -1)  # the mistakes scaled together
    scale = numpy.zeros(len(kinds))  # gold actions: 0
    for group in range(len(MISTAKES)):
        members = groups == group
        total = rescaled[members].sum()
        scale[members] = fixed[members].sum() / total if total > 0 else 0.0
    blended = ((1 - share) * fixed + share * scale * rescaled).astype("float32")
    return blended[: cache.n_mentions], blended[cache.n_mentions :]
