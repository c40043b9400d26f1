"""Every setting of the neuralcoref component, with its default and its meaning: the one place they are stated.

The factory's `default_config`, `NeuralCoref`, `CorefResolver`, the CLI flags, batch, the trainer and the
evaluation take their defaults from `CorefSettings` (`tests/test_config.py` fails when one of them states a
default of its own), and the README's settings table is checked against it. A new setting is one field here.

`scorer` (the function `nlp.evaluate` calls, `{"@scorers": "neuralcoref.coref_scorer.v1"}`) is a factory
argument, not a setting: spaCy's components take their scorer that way, and it says how the component is
scored, not how it resolves.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Mapping, Optional


def _setting(default: Any, doc: str, *, factory=None) -> Any:
    """A dataclass field whose `metadata["doc"]` is the one-line meaning shown in --help and the README."""
    if factory is not None:
        return field(default_factory=factory, metadata={"doc": doc})
    return field(default=default, metadata={"doc": doc})


def check_ranges(greedyness: float, max_dist: int, max_dist_match: int) -> None:
    """The value ranges the component accepts (also checked for `neuralcoref serve`'s per-request settings)."""
    if not 0.0 <= greedyness <= 1.0:
        raise ValueError(f"greedyness must be between 0 and 1, got {greedyness}")
    if max_dist < 1 or max_dist_match < max_dist:
        raise ValueError(f"need 1 <= max_dist <= max_dist_match, got {max_dist}, {max_dist_match}")


@dataclass(frozen=True)
class CorefSettings:
    """The component's settings (`nlp.add_pipe("neuralcoref", config={...})`); the defaults are what a user gets."""

    greedyness: float = _setting(
        0.5, "0-1: how readily mentions are linked; 0.5 is the model's own decision (calibrated per model)"
    )
    max_dist: int = _setting(50, "how many previous mentions are candidate antecedents")
    max_dist_match: int = _setting(
        500, "how far back a mention with the same head or text, or a same-speaker I/you, is still a candidate"
    )
    blacklist: bool = _setting(
        False, "true: leave first/second-person words (English: i, me, my, you, your) unresolved, as NeuralCoref 4"
    )
    require_agreement: Optional[bool] = _setting(
        None,
        "null: the language's default (on for English); on: a mention only joins a cluster that agrees "
        "with it in gender and number",
    )
    infer_speakers: Optional[bool] = _setting(
        None,
        "null: the language's default (on for English); on: infer speakers from transcript lines and "
        "reported speech when a Doc has none",
    )
    store_scores: bool = _setting(True, "keep every candidate's score for doc._.coref_scores (memory per pair)")
    conv_dict: Dict[str, List[str]] = _setting(
        None, "rare word -> common words whose embeddings stand in for it (null: none)", factory=dict
    )
    span_cluster_prefix: str = _setting("coref_clusters", "key prefix of the SpanGroups in doc.spans")
    model: Optional[str] = _setting(None, "path of a model directory or file; null: the model shipped for nlp.lang")

    def __post_init__(self) -> None:
        check_ranges(self.greedyness, self.max_dist, self.max_dist_match)
        if self.conv_dict is None:  # NeuralCoref 4 wrote conv_dict=None for "none"
            object.__setattr__(self, "conv_dict", {})

    def replace(self, **changes: Any) -> "CorefSettings":
        """A copy with `changes` applied (and checked)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> Dict[str, Any]:
        """{setting: value}, a copy (changing it changes no settings object)."""
        return {f.name: copy.deepcopy(getattr(self, f.name)) for f in dataclasses.fields(self)}


def defaults() -> Dict[str, Any]:
    """{setting: default} for every setting: the factory's `default_config`."""
    return CorefSettings().to_dict()


class _Defaults(Mapping[str, Any]):
    """Read-only {setting: default}. Each lookup returns a copy, so no caller can change the default
    `conv_dict` that another caller gets."""

    def __init__(self) -> None:
        self._values = defaults()

    def __getitem__(self, name: str) -> Any:
        return copy.deepcopy(self._values[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"DEFAULTS({self._values!r})"


#: the default of every setting: `DEFAULTS["max_dist"]` is what a function, a CLI flag or a script
#: that needs a setting's default uses (`tests/test_config.py` fails on a literal copy)
DEFAULTS: Mapping[str, Any] = _Defaults()


def describe() -> Dict[str, str]:
    """{setting: one-line meaning}, for --help texts and the README table."""
    return {f.name: f.metadata["doc"] for f in dataclasses.fields(CorefSettings)}
