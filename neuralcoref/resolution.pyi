"""Type stubs of resolution.pyx (the compiled module): what Python code may call."""

from collections.abc import Mapping, Sequence
from typing import Any, Optional

import numpy
import numpy.typing as npt
from spacy.tokens import Doc, SpanGroup

from .features import PairRules
from .mentions import Mentions

# numpy arrays by dtype (the .pyx takes C-contiguous typed memoryviews of them)
_Int8s = npt.NDArray[numpy.int8]
_Int32s = npt.NDArray[numpy.int32]
_Int64s = npt.NDArray[numpy.int64]
_UInt8s = npt.NDArray[numpy.uint8]
_UInt64s = npt.NDArray[numpy.uint64]
_Float32s = npt.NDArray[numpy.float32]

AGREEMENT_GENDER_MASK: int
AGREEMENT_NUMBER_MASK: int
AGREEMENT_PERSON_BIT: int
AGREEMENT_NEUTER_BIT: int
SPEAKER_COLUMNS: int
SINGULAR_FIRST_COLUMN: int
CONSTRAINED_PERSONS: tuple[int, int, int]
N_SPEAKER_BITS: int
SIMD_NAMES: dict[int, str]

class ClusterAgreement:
    """What the clusters of one Doc hold so far, so that linking never joins clashing clusters."""

    @property
    def n_finished(self) -> int: ...
    def __init__(
        self,
        codes: _UInt8s,
        persons: Optional[_Int8s] = None,
        speakers: Optional[_UInt64s] = None,
        governors: Optional[_Int32s] = None,
        roles: Optional[_Int8s] = None,
        sentence_first: Optional[_Int32s] = None,
    ) -> None: ...
    def set_spans(self, starts: _Int32s, ends: _Int32s, pronouns: _Int8s) -> None: ...
    def set_modifiers(self, head_lemmas: _UInt64s, modifiers: _UInt64s) -> None: ...
    def set_nominal_kinds(self, kinds: _Int8s) -> None: ...
    def set_singular_first(self, flags: _Int8s, speakers: _UInt64s | None = None) -> None: ...
    def set_time_expressions(self, flags: _Int8s) -> None: ...
    def set_coordination(self, coordinations: _Int32s, conjuncts: _Int32s) -> None: ...
    def set_cataphors(self, cataphors: _Int32s) -> None: ...
    def __len__(self) -> int: ...
    def carry(self, codes: _UInt8s, speakers: _UInt64s) -> None: ...

def agreement_codes(gender: npt.ArrayLike, number: npt.ArrayLike, mention_type: npt.ArrayLike) -> _UInt8s: ...
def mention_agreement_codes(columns: Mapping[str, Any]) -> _UInt8s: ...

NOT_NOMINAL: int
NOMINAL: int
INDEFINITE_NOMINAL: int

def nominal_kinds(mention_type: npt.ArrayLike, indefinite_nominal: Optional[npt.ArrayLike] = None) -> _Int8s: ...
def pronoun_persons(person: npt.ArrayLike, mention_type: npt.ArrayLike) -> _Int8s: ...
def speaker_bits(speaker: npt.ArrayLike) -> _UInt64s: ...
def linking_constraints(columns: Mapping[str, Any], require_agreement: bool) -> ClusterAgreement: ...
def best_antecedents(
    pair_ant: _Int32s,
    pair_ment: _Int32s,
    pair_scores: _Float32s,
    single_scores: _Float32s,
    best: _Int32s,
    best_scores: _Float32s,
    threshold_offset: float,
    agreement: Optional[ClusterAgreement] = None,
) -> None: ...
def simd(level: Optional[int] = None) -> int: ...

class PairWeights:
    """A one-hidden-layer pair net as the C pair scorer reads it (`structs.PairWeightsC`)."""

    def __init__(
        self,
        feat_weights: npt.ArrayLike,
        bias: npt.ArrayLike,
        out_weights: npt.ArrayLike,
        out_bias: float,
        bilinear_width: int = 0,
    ) -> None: ...
    @property
    def width(self) -> int: ...
    @property
    def stride(self) -> int: ...

class LinkSettings:
    """Which pairs are candidates and when a pair links (`structs.LinkSettingsC`)."""

    def __init__(self, threshold_offset: float, max_dist: int, max_dist_match: int, blacklist: bool) -> None: ...
    @property
    def threshold_offset(self) -> float: ...
    @property
    def max_dist(self) -> int: ...
    @property
    def max_dist_match(self) -> int: ...
    @property
    def blacklist(self) -> bool: ...

class Linker:
    """The linking of one Doc's mentions: every way of scoring pairs ends in the same loop."""

    single_scores: _Float32s
    antecedents: _Int32s
    best_scores: _Float32s
    def __init__(
        self,
        settings: LinkSettings,
        single_scores: _Float32s,
        agreement: Optional[ClusterAgreement] = None,
        antecedents: Optional[_Int32s] = None,
        best_scores: Optional[_Float32s] = None,
    ) -> None: ...
    def __len__(self) -> int: ...
    def finish(self) -> None: ...
    def link_scored(self, pair_ant: _Int32s, pair_ment: _Int32s, pair_scores: _Float32s) -> None: ...
    def link_cached(
        self,
        weights: PairWeights,
        pair_ant: _Int32s,
        pair_ment: _Int32s,
        pair_feats: _UInt8s,
        base: int,
        as_ant: _Float32s,
        first: int,
        as_ment: _Float32s,
        out_scores: Optional[_Float32s] = None,
    ) -> None: ...
    def score_and_link(
        self,
        doc: Doc,
        mentions: Mentions,
        rules: PairRules,
        weights: PairWeights,
        first: int,
        last: int,
        base: int,
        as_ant: _Float32s,
        as_ment: _Float32s,
        out_ant: Optional[_Int32s] = None,
        out_ment: Optional[_Int32s] = None,
        out_scores: Optional[_Float32s] = None,
    ) -> int: ...
    def clusters(self) -> tuple[_Int32s, _Int64s]: ...

def cluster_members(best: _Int32s) -> tuple[_Int32s, _Int64s]: ...
def span_groups(
    doc: Doc, starts: _Int32s, ends: _Int32s, members: _Int32s, offsets: _Int64s, names: Sequence[str]
) -> list[SpanGroup]: ...
