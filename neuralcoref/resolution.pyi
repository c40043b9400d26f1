"""Type stubs of resolution.pyx (the compiled module): what Python code may call."""

from collections.abc import Mapping, Sequence
from typing import Any, Optional

import numpy
import numpy.typing as npt
from spacy.tokens import Doc, SpanGroup

from .features import PairRules
from .mentions import Mentions

AGREEMENT_GENDER_MASK: int
AGREEMENT_NUMBER_MASK: int
CONSTRAINED_PERSONS: tuple[int, int, int]
N_SPEAKER_BITS: int
SIMD_NAMES: dict[int, str]

class ClusterAgreement:
    """What the clusters of one Doc hold so far, so that linking never joins clashing clusters."""

    @property
    def n_finished(self) -> int: ...
    def __init__(
        self,
        codes: npt.NDArray[numpy.uint8],
        persons: Optional[npt.NDArray[numpy.int8]] = None,
        speakers: Optional[npt.NDArray[numpy.uint64]] = None,
        governors: Optional[npt.NDArray[numpy.int32]] = None,
        roles: Optional[npt.NDArray[numpy.int8]] = None,
        sentence_first: Optional[npt.NDArray[numpy.int32]] = None,
    ) -> None: ...
    def set_spans(
        self, starts: npt.NDArray[numpy.int32], ends: npt.NDArray[numpy.int32], pronouns: npt.NDArray[numpy.int8]
    ) -> None: ...
    def set_modifiers(self, head_lemmas: npt.NDArray[numpy.uint64], modifiers: npt.NDArray[numpy.uint64]) -> None: ...
    def __len__(self) -> int: ...
    def carry(self, codes: npt.NDArray[numpy.uint8], speakers: npt.NDArray[numpy.uint64]) -> None: ...

def agreement_codes(
    gender: npt.ArrayLike, number: npt.ArrayLike, mention_type: npt.ArrayLike
) -> npt.NDArray[numpy.uint8]: ...
def mention_agreement_codes(columns: Mapping[str, Any]) -> npt.NDArray[numpy.uint8]: ...
def pronoun_persons(person: npt.ArrayLike, mention_type: npt.ArrayLike) -> npt.NDArray[numpy.int8]: ...
def speaker_bits(speaker: npt.ArrayLike) -> npt.NDArray[numpy.uint64]: ...
def linking_constraints(columns: Mapping[str, Any], require_agreement: bool) -> ClusterAgreement: ...
def best_antecedents(
    pair_ant: npt.NDArray[numpy.int32],
    pair_ment: npt.NDArray[numpy.int32],
    pair_scores: npt.NDArray[numpy.float32],
    single_scores: npt.NDArray[numpy.float32],
    best: npt.NDArray[numpy.int32],
    best_scores: npt.NDArray[numpy.float32],
    threshold_offset: float,
    agreement: Optional[ClusterAgreement] = None,
) -> None: ...
def simd(level: Optional[int] = None) -> int: ...
def score_and_link(
    doc: Doc,
    mentions: Mentions,
    rules: PairRules,
    first: int,
    last: int,
    base: int,
    as_ant: npt.NDArray[numpy.float32],
    as_ment: npt.NDArray[numpy.float32],
    feat_weights: npt.NDArray[numpy.float32],
    bias: npt.NDArray[numpy.float32],
    out_weights: npt.NDArray[numpy.float32],
    out_bias: float,
    single_scores: npt.NDArray[numpy.float32],
    threshold_offset: float,
    max_dist: int,
    max_dist_match: int,
    blacklist: bool,
    best: npt.NDArray[numpy.int32],
    best_scores: npt.NDArray[numpy.float32],
    out_ant: Optional[npt.NDArray[numpy.int32]] = None,
    out_ment: Optional[npt.NDArray[numpy.int32]] = None,
    out_scores: Optional[npt.NDArray[numpy.float32]] = None,
    bilinear_width: int = 0,
    agreement: Optional[ClusterAgreement] = None,
) -> int: ...
def cluster_members(best: npt.NDArray[numpy.int32]) -> tuple[npt.NDArray[numpy.int32], npt.NDArray[numpy.int64]]: ...
def span_groups(
    doc: Doc,
    starts: npt.NDArray[numpy.int32],
    ends: npt.NDArray[numpy.int32],
    members: npt.NDArray[numpy.int32],
    offsets: npt.NDArray[numpy.int64],
    names: Sequence[str],
) -> list[SpanGroup]: ...
