# cython: language_level=3
from cymem.cymem cimport Pool
from libc.stdint cimport int32_t
from preshed.maps cimport PreshMap
from spacy.structs cimport TokenC
from spacy.typedefs cimport hash_t

from .structs cimport MentionC


cdef class WordTable:
    cdef PreshMap rows
    cdef readonly int n_rows
    cdef readonly list words


cdef struct PairRulesC:
    hash_t subject_dep_items[16]
    int n_subject
    hash_t appositive_dep_items[8]
    int n_appositive
    hash_t attribute_dep_items[8]
    int n_attribute


cdef class PairRules:
    cdef PairRulesC c
    cdef readonly object rules


# Shared with resolution.pyx: the fused pair scorer computes candidates and pair features in place,
# through these very functions, so it sees exactly the features `pair_features` returns.
cdef int _candidates(const MentionC* mentions, int j, int max_dist, int max_dist_match,
                     bint blacklist, int32_t* out) noexcept nogil
cdef void _pair_features(const TokenC* tokens, int n_tokens, const MentionC* a, const MentionC* m,
                         int mention_distance, const PairRulesC* rules, float* f) noexcept nogil
cdef int _pair_active(const TokenC* tokens, int n_tokens, const MentionC* a, const MentionC* m,
                      int mention_distance, const PairRulesC* rules, int32_t* active) noexcept nogil
