"""Where a model's errors are: its score with one kind of its decisions made gold (`python -m training oracle`).

A mention-ranking model makes one decision per mention: an antecedent among its candidates, or none.
Replacing one kind of decision by the gold one (the closest candidate of the mention's gold cluster,
or none when no candidate is) and scoring again says how many CoNLL F1 points that kind costs: the
pronouns' choices, the nominals left new while a right candidate was there, the links from mentions
outside every gold cluster. The gains do not add up (they overlap, and the metrics are not linear);
each says how much a perfect fix of its kind alone would give. The decisions are the component's (the
same linking, constraints and greedyness, from the feature cache: `evaluate.cached_links`), so the
first row is what `python -m training evaluate` prints on the same mentions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy

from neuralcoref.config import DEFAULTS
from neuralcoref.greedyness import CALIBRATION_KEY, greedyness_offset
from neuralcoref.linking import cluster_lists
from neuralcoref.model_io import CorefModel
from neuralcoref.resolution import cluster_members

from .evaluate import cached_links, score_cache, word_rows_for
from .featurize_corpus import FeatureCache

#: the groups of mentions the table reports: pronouns split by person (the speakers decide the first
#: and second person's), then the runtime's other mention types (neuralcoref/structs.pxd)
MENTION_GROUPS = {
    0: "first- and second-person pronouns",
    1: "third-person pronouns",
    2: "names",
    3: "nominals",
    4: "lists",
}


def mention_groups(mention_type: numpy.ndarray, person: numpy.ndarray) -> numpy.ndarray:
    """Each mention's MENTION_GROUPS code, from its mention type (0 pronoun, 1 name, 2 nominal, 3 list)
    and person (0 first, 1 second, 2 third or none)."""
    mention_type, person = numpy.asarray(mention_type), numpy.asarray(person)
    return numpy.where(mention_type == 0, numpy.where(person < 2, 0, 1), mention_type + 1)


@dataclass
class Decisions:
    """One document's decisions (one entry per mention, in mention order)."""

    predicted: numpy.ndarray  # int32: the model's antecedent, -1: none
    gold_link: numpy.ndarray  # int32: the closest candidate of its gold cluster, -1: none among its candidates
    gold_cluster: numpy.ndarray  # the mention's gold cluster, -1: in none
    group: numpy.ndarray  # the mention's MENTION_GROUPS code

    @property
    def right(self) -> numpy.ndarray:
        """Whether each predicted link joins two mentions of one gold cluster."""
        p = self.predicted
        linked = p >= 0
        same = numpy.zeros(len(p), dtype=bool)
        same[linked] = (self.gold_cluster[p[linked]] == self.gold_cluster[linked]) & (self.gold_cluster[linked] >= 0)
        return same

    @property
    def correct(self) -> numpy.ndarray:
        """A right link, or no link when no candidate is right."""
        return self.right | ((self.predicted < 0) & (self.gold_link < 0))

    @property
    def false_new(self) -> numpy.ndarray:
        """Left without antecedent while a right candidate was there."""
        return (self.predicted < 0) & (self.gold_link >= 0)

    @property
    def wrong_antecedent(self) -> numpy.ndarray:
        """Linked to a wrong candidate while a right one was there."""
        return (self.predicted >= 0) & ~self.right & (self.gold_link >= 0)

    @property
    def wrong_link(self) -> numpy.ndarray:
        """Linked while no candidate was right (a mention outside every gold cluster, or whose antecedents
        are out of reach)."""
        return (self.predicted >= 0) & ~self.right & (self.gold_link < 0)


#: which mentions take the gold decision -> a boolean mask over one document's mentions
Oracle = Callable[[Decisions], numpy.ndarray]


def _in_group(code: int, error: str | None = None) -> Oracle:
    """The mentions of group `code` (those with the `Decisions` property `error` only, if given)."""

    def mask(d: Decisions) -> numpy.ndarray:
        members = d.group == code
        return members if error is None else members & getattr(d, error)

    return mask


def _every(d: Decisions) -> numpy.ndarray:
    return numpy.ones(len(d.predicted), dtype=bool)


def _links_from_outside(d: Decisions) -> numpy.ndarray:
    return (d.predicted >= 0) & (d.gold_cluster < 0)


def oracles() -> list[tuple[str, Oracle]]:
    """The table's rows after the model's own: (what is made gold, which mentions; of them, only the
    wrong decisions change)."""
    rows: list[tuple[str, Oracle]] = [("every decision", _every)]
    rows += [(f"the {name}' decisions", _in_group(code)) for code, name in MENTION_GROUPS.items()]
    for code, name in MENTION_GROUPS.items():
        rows.append((f"{name} left new with a right candidate", _in_group(code, "false_new")))
        rows.append((f"{name} linked wrongly with a right candidate", _in_group(code, "wrong_antecedent")))
        rows.append((f"{name} linked with no right candidate", _in_group(code, "wrong_link")))
    rows.append(("links from mentions outside every gold cluster", _links_from_outside))
    return rows


def gold_links(pair_ant: numpy.ndarray, pair_ment: numpy.ndarray, gold_cluster: numpy.ndarray) -> numpy.ndarray:
    """Per mention, its closest candidate antecedent of the same gold cluster (-1: none), from the
    document's candidate pairs (document-local indices)."""
    out = numpy.full(len(gold_cluster), -1, dtype=numpy.int32)
    right = (gold_cluster[pair_ant] == gold_cluster[pair_ment]) & (gold_cluster[pair_ment] >= 0)
    numpy.maximum.at(out, pair_ment[right], pair_ant[right])
    return out


def cached_decisions(
    cache: FeatureCache,
    model: CorefModel,
    greedyness: float = DEFAULTS["greedyness"],
    blacklist: bool = DEFAULTS["blacklist"],
) -> list[Decisions]:
    """The component's decisions on every cached document, beside the gold ones."""
    offset = greedyness_offset(greedyness, model.meta.get(CALIBRATION_KEY))
    arrays = cache.arrays
    out = []
    rows = word_rows_for(cache, model.words)
    for d, (ms, linker, _) in enumerate(cached_links(cache, rows, model, offset, blacklist, None, False)):
        ps = cache.doc_slice(d)[1]
        gold = numpy.asarray(arrays["gold_cluster"][ms], dtype=numpy.int64)
        ant = numpy.asarray(arrays["pair_ant"][ps], dtype=numpy.int64)
        ment = numpy.asarray(arrays["pair_ment"][ps], dtype=numpy.int64)
        out.append(
            Decisions(
                numpy.array(linker.antecedents, dtype=numpy.int32),
                gold_links(ant, ment, gold),
                gold,
                mention_groups(arrays["mention_type"][ms], arrays["person"][ms]),
            )
        )
    return out


def oracle_table(cache: FeatureCache, decisions: Sequence[Decisions], drop_gold_singletons: bool = False) -> list[dict]:
    """Rows of {"gold": what is made gold, "mentions": how many wrong decisions it changes, "conll_f1", "gain"}, the
    model's own first (gain 0)."""
    arrays = cache.arrays
    doc_spans = []
    for d in range(len(decisions)):
        ms = cache.doc_slice(d)[0]
        doc_spans.append(list(zip(arrays["starts"][ms].tolist(), arrays["ends"][ms].tolist())))

    def score(masks: list[numpy.ndarray] | None) -> float:
        """CoNLL F1 of the model's links, with the masked mentions' links made gold."""
        predictions = []
        for d, (decided, spans) in enumerate(zip(decisions, doc_spans)):
            links = decided.predicted if masks is None else numpy.where(masks[d], decided.gold_link, decided.predicted)
            predictions.append([[spans[m] for m in cluster] for cluster in cluster_lists(*cluster_members(links))])
        return score_cache(cache, predictions, drop_gold_singletons=drop_gold_singletons)["conll_f1"]

    base = score(None)
    table = [{"gold": "none (the model)", "mentions": 0, "conll_f1": round(base, 2), "gain": 0.0}]
    for name, oracle in oracles():
        masks = [oracle(decided) & ~decided.correct for decided in decisions]
        f1 = score(masks)
        table.append(
            {
                "gold": name,
                "mentions": int(sum(mask.sum() for mask in masks)),
                "conll_f1": round(f1, 2),
                "gain": round(f1 - base, 2),
            }
        )
    return table


def format_oracle_table(table: list[dict]) -> str:
    lines = ["| decisions made gold | mentions changed | CoNLL F1 | gain |", "|---|---|---|---|"]
    for row in table:
        lines.append(f"| {row['gold']} | {row['mentions']} | {row['conll_f1']:.2f} | {row['gain']:+.2f} |")
    return "\n".join(lines)
