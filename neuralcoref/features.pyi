"""Type stubs of features.pyx (the compiled module): what Python code may call."""

from typing import Any, Callable, Iterable, Optional

import numpy
import numpy.typing as npt
from spacy.strings import StringStore
from spacy.tokens import Doc

from .mentions import Mentions
from .rules import RuleSet

FEATURE_LAYOUT_VERSION: int
WORD_SLOTS: list[str]
TENSOR_SLOTS: list[str]
N_WORD_SLOTS_PY: int
N_TENSOR_SLOTS_PY: int
MENTION_FEATS_WIDTH_PY: int
PAIR_FEATS_WIDTH_PY: int
#: (name, first column, width) of each mention / pair feature group
MENTION_LAYOUT: list[tuple[str, int, int]]
PAIR_LAYOUT: list[tuple[str, int, int]]

class WordTable:
    """Vocabulary of the embedding table: lowercase word hash -> row (0: no word, 1: unknown)."""

    @property
    def n_rows(self) -> int: ...
    @property
    def words(self) -> list[str]: ...
    def __init__(self, words: Iterable[str]) -> None: ...
    def add_alias(self, word: str, row: int) -> None: ...
    def lookup(self, hashes: npt.NDArray[numpy.uint64]) -> npt.NDArray[numpy.int32]: ...

class PairRules:
    """The dependency labels the pair features look at, hashed."""

    @property
    def rules(self) -> RuleSet: ...
    def __init__(self, rules: RuleSet) -> None: ...

class GrammarTable:
    """Per-token gender, number and person codes, cached by morph (and word, for lexicon words)."""

    @property
    def compute(self) -> Callable[[StringStore, int, Optional[int]], tuple[int, int, int]]: ...
    def __init__(
        self, lexicon: Iterable[int], compute: Callable[[StringStore, int, Optional[int]], tuple[int, int, int]]
    ) -> None: ...
    def fill(
        self,
        doc: Doc,
        gender: npt.NDArray[numpy.int8],
        number: npt.NDArray[numpy.int8],
        person: npt.NDArray[numpy.int8],
    ) -> None: ...

def mention_features(
    doc: Doc,
    mentions: Mentions,
    tensor: Optional[npt.NDArray[Any]],
    first: Optional[int] = None,
    last: Optional[int] = None,
) -> tuple[npt.NDArray[numpy.uint64], npt.NDArray[numpy.float32], npt.NDArray[numpy.float32]]: ...
def count_pairs(
    mentions: Mentions, first: int, last: int, max_dist: int, max_dist_match: int, blacklist: bool
) -> int: ...
def candidate_range(
    mentions: Mentions, first: int, last: int, max_dist: int, max_dist_match: int
) -> tuple[int, int, int, int]: ...
def candidate_pairs(
    mentions: Mentions, first: int, last: int, max_dist: int, max_dist_match: int, blacklist: bool
) -> tuple[npt.NDArray[numpy.int32], npt.NDArray[numpy.int32]]: ...
def pair_features(
    doc: Doc,
    mentions: Mentions,
    ant: npt.NDArray[numpy.int32],
    ment: npt.NDArray[numpy.int32],
    rules: PairRules,
) -> npt.NDArray[numpy.float32]: ...
