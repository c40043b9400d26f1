# cython: language_level=3
from cymem.cymem cimport Pool
from preshed.maps cimport PreshMap
from spacy.typedefs cimport hash_t


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
