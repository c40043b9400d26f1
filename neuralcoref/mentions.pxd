# cython: language_level=3
from cymem.cymem cimport Pool
from spacy.structs cimport TokenC
from spacy.tokens.doc cimport Doc
from spacy.typedefs cimport hash_t

from .structs cimport HashSetC, MentionC


cdef bint hashset_contains(const HashSetC* hashes, hash_t value) noexcept nogil
cdef int governor(const TokenC* tokens, int i, int length) noexcept nogil
cdef bint is_whitespace(const TokenC* token) noexcept nogil


cdef struct RulesC:
    HashSetC pronoun_words
    HashSetC pronoun_tags
    HashSetC pronoun_pos      # univ_pos_t values stored as hashes of their ids
    HashSetC pronoun_pos_words    # words whose POS is checked against pronoun_word_pos instead
    HashSetC pronoun_word_pos     # _word_pos_key(word, pos) of each allowed pair
    HashSetC pronoun_any_pos_words
    HashSetC untrimmed_words
    HashSetC possessive_markers
    HashSetC np_head_pos
    HashSetC np_deps
    HashSetC cut_deps
    HashSetC conj_deps
    HashSetC trim_deps
    HashSetC relaxed_skip_deps
    HashSetC expletive_deps
    HashSetC subject_deps
    HashSetC object_deps
    HashSetC oblique_deps
    HashSetC possessive_deps
    HashSetC appositive_deps
    HashSetC attribute_deps
    HashSetC definite_words
    HashSetC indefinite_words
    HashSetC excluded_entity_labels
    HashSetC nominal_entity_labels
    HashSetC pleonastic_words
    HashSetC weather_lemmas
    HashSetC extraposing_lemmas
    HashSetC small_clause_lemmas
    HashSetC passive_subject_deps
    HashSetC finite_clause_deps
    HashSetC clause_deps
    HashSetC clause_markers
    HashSetC blacklist
    HashSetC masculine_names
    HashSetC feminine_names
    HashSetC person_entity_labels
    const hash_t* entity_labels
    int n_entity_labels
    HashSetC line_final_punct
    int short_line_tokens


cdef class MentionExtractor:
    cdef Pool mem
    cdef RulesC c
    cdef readonly object rules


cdef class Mentions:
    cdef Pool mem
    cdef MentionC* c
    cdef readonly int length
    cdef readonly int doc_length
    # the Doc's speakers as the mentions were extracted with them (a speakers.SpeakerReading, or None):
    # read by the linking constraints, so that a Doc's speakers are read once
    cdef public object speakers
