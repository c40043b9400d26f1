"""Type stubs of features.pyx (the compiled module): what Python code may call."""

from typing import Any, Callable, Iterable, Optional, Sequence

import numpy
import numpy.typing as npt
from spacy.strings import StringStore
from spacy.tokens import Doc

from .mentions import Mentions
from .rules import RuleSet

# numpy arrays by dtype (the .pyx takes C-contiguous typed memoryviews of them)
_Int8s = npt.NDArray[numpy.int8]
_Int32s = npt.NDArray[numpy.int32]
_UInt64s = npt.NDArray[numpy.uint64]
_Float32s = npt.NDArray[numpy.float32]

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
    def lookup(self, hashes: _UInt64s) -> _Int32s: ...

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
    def fill(self, doc: Doc, gender: _Int8s, number: _Int8s, person: _Int8s) -> None: ...

def mention_features(
    doc: Doc,
    mentions: Mentions,
    tensor: Optional[npt.NDArray[Any]],
    first: Optional[int] = None,
    last: Optional[int] = None,
    turn_ends: Optional[Sequence[int]] = None,
) -> tuple[_UInt64s, _Float32s, _Float32s]: ...
def count_pairs(
    mentions: Mentions, first: int, last: int, max_dist: int, max_dist_match: int, blacklist: bool
) -> int: ...
def candidate_range(
    mentions: Mentions, first: int, last: int, max_dist: int, max_dist_match: int
) -> tuple[int, int, int, int]: ...
def candidate_pairs(
    mentions: Mentions, first: int, last: int, max_dist: int, max_dist_match: int, blacklist: bool
) -> tuple[_Int32s, _Int32s]: ...
def pair_features(doc: Doc, mentions: Mentions, ant: _Int32s, ment: _Int32s, rules: PairRules) -> _Float32s: ...
