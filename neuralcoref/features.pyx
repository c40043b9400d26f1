# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Mention features, candidate antecedent pairs and pair features, over TokenC and MentionC.

This is the single feature extractor: the runtime scorer and the PyTorch trainer both
call these functions, so what a model sees in training is what it sees at inference.
Column offsets live in structs.pxd; `MENTION_LAYOUT` / `PAIR_LAYOUT` name them for Python.
"""
from libc.stdint cimport int32_t, uint64_t
from libc.string cimport memset

cimport numpy as cnp
import numpy

from preshed.maps cimport PreshMap, map_get
from spacy.structs cimport TokenC
from spacy.tokens.doc cimport Doc
from spacy.typedefs cimport hash_t

from spacy.strings import get_string_id

from .mentions cimport Mentions, governor

from .structs cimport *

cnp.import_array()

FEATURE_LAYOUT_VERSION = LAYOUT_VERSION
WORD_SLOTS = ["head", "first", "last", "prev1", "prev2", "next1", "next2", "governor"]
TENSOR_SLOTS = ["span", "head", "before", "after"]
N_WORD_SLOTS_PY = N_WORD_SLOTS
N_TENSOR_SLOTS_PY = N_TENSOR_SLOTS
MENTION_FEATS_WIDTH_PY = MENTION_FEATS_WIDTH
PAIR_FEATS_WIDTH_PY = PAIR_FEATS_WIDTH
#: (name, offset, width) of every dense mention feature group
MENTION_LAYOUT = [
    ("type", MF_TYPE, N_MENTION_TYPES), ("length", MF_LENGTH, N_BUCKETS),
    ("position", MF_POSITION, 1), ("nested", MF_NESTED, 1), ("entity", MF_ENT, N_ENT_SLOTS),
    ("gender", MF_GENDER, N_GENDERS), ("number", MF_NUMBER, N_NUMBERS),
    ("person", MF_PERSON, N_PERSONS), ("definite", MF_DEFINITE, 1),
    ("indefinite", MF_INDEFINITE, 1), ("role", MF_ROLE, N_ROLES),
    ("has_speaker", MF_HAS_SPEAKER, 1),
]
#: (name, offset, width) of every pair feature group
PAIR_LAYOUT = [
    ("exact_match", PF_EXACT_MATCH, 1), ("relaxed_match", PF_RELAXED_MATCH, 1),
    ("head_match", PF_HEAD_MATCH, 1), ("lemma_match", PF_LEMMA_MATCH, 1),
    ("nested", PF_NESTED, 1), ("sentence_distance", PF_SENT_DIST, N_BUCKETS),
    ("mention_distance", PF_MENTION_DIST, N_BUCKETS), ("same_speaker", PF_SAME_SPEAKER, 1),
    ("other_speaker", PF_OTHER_SPEAKER, 1), ("i_i_same_speaker", PF_I_I_SAME_SPEAKER, 1),
    ("i_you_other_speaker", PF_I_YOU_OTHER_SPEAKER, 1),
    ("you_i_other_speaker", PF_YOU_I_OTHER_SPEAKER, 1), ("gender_agree", PF_GENDER_AGREE, 1),
    ("gender_clash", PF_GENDER_CLASH, 1), ("number_agree", PF_NUMBER_AGREE, 1),
    ("number_clash", PF_NUMBER_CLASH, 1), ("entity_same", PF_ENT_SAME, 1),
    ("entity_clash", PF_ENT_CLASH, 1), ("appositive", PF_APPOSITIVE, 1),
    ("predicate", PF_PREDICATE, 1), ("contains_head", PF_CONTAINS_HEAD, 1),
]


cdef inline int bucket(int value) noexcept nogil:
    """NeuralCoref's distance/length buckets: 0,1,2,3,4,5-7,8-15,16-31,32-63,64+."""
    if value < 5:
        return value if value > 0 else 0
    if value < 8:
        return 5
    if value < 16:
        return 6
    if value < 32:
        return 7
    if value < 64:
        return 8
    return 9


cdef class WordTable:
    """Vocabulary of the embedding table: lowercase word hash -> row.

    Row 0 is "no word" (outside the doc), row 1 "unknown word"; known words start at 2.
    """

    def __init__(self, words):
        self.rows = PreshMap()
        self.words = list(words)
        for k, word in enumerate(self.words):
            self.rows.set(get_string_id(word), <void*><size_t>(k + 2))
        self.n_rows = len(self.words) + 2

    def __reduce__(self):
        return (WordTable, (self.words,))

    def add_alias(self, str word, int row):
        """Make `word` use an existing row (conv_dict stand-ins are appended rows)."""
        self.rows.set(get_string_id(word), <void*><size_t>row)

    def lookup(self, uint64_t[:, ::1] hashes):
        """Rows for an array of word hashes (0 stays 0, unknown words give 1)."""
        out = numpy.zeros((hashes.shape[0], hashes.shape[1]), dtype="int32")
        cdef int32_t[:, ::1] rows = out
        cdef Py_ssize_t i, j
        cdef size_t row
        with nogil:
            for i in range(hashes.shape[0]):
                for j in range(hashes.shape[1]):
                    if hashes[i, j] == 0:
                        continue
                    row = <size_t>map_get(self.rows.c_map, hashes[i, j])
                    rows[i, j] = <int32_t>row if row != 0 else 1
        return out


def mention_features(Doc doc, Mentions mentions, tensor):
    """Features of every mention.

    doc (Doc): the parsed Doc the mentions come from.
    mentions (Mentions): its candidate mentions.
    tensor (ndarray or None): float32 [len(doc), width] token vectors (doc.tensor), or None.
    RETURNS (tuple): word hashes uint64 [n, N_WORD_SLOTS], tensor features float32
        [n, N_TENSOR_SLOTS * width], dense features float32 [n, MENTION_FEATS_WIDTH].
    """
    cdef int n = mentions.length
    if mentions.doc_length != doc.length:
        raise ValueError("mentions do not belong to this Doc")
    cdef int width = 0
    if tensor is not None and tensor.size > 0:
        tensor = numpy.ascontiguousarray(tensor, dtype="float32")
        if tensor.ndim != 2 or tensor.shape[0] != doc.length:
            raise ValueError(f"doc.tensor has shape {tensor.shape}, expected ({doc.length}, width)")
        width = tensor.shape[1]
    word_hashes = numpy.zeros((n, N_WORD_SLOTS), dtype="uint64")
    tensor_feats = numpy.zeros((n, N_TENSOR_SLOTS * width), dtype="float32")
    dense = numpy.zeros((n, MENTION_FEATS_WIDTH), dtype="float32")
    if n == 0:
        return word_hashes, tensor_feats, dense
    cdef uint64_t[:, ::1] words_view = word_hashes
    cdef float[:, ::1] dense_view = dense
    cdef const float[:, ::1] tensor_view
    cdef float[:, ::1] tensor_out
    cdef const float* tensor_ptr = NULL
    cdef float* tensor_out_ptr = NULL
    if width > 0:
        tensor_view = tensor
        tensor_out = tensor_feats
        tensor_ptr = &tensor_view[0, 0]
        tensor_out_ptr = &tensor_out[0, 0]
    with nogil:
        _mention_features(doc.c, doc.length, mentions.c, n, &words_view[0, 0], &dense_view[0, 0],
                          tensor_ptr, width, tensor_out_ptr)
    return word_hashes, tensor_feats, dense


cdef inline void _average(const float* tensor, int width, int start, int end, float* out) noexcept nogil:
    cdef int i, d
    if end <= start:
        return
    for i in range(start, end):
        for d in range(width):
            out[d] += tensor[i * width + d]
    for d in range(width):
        out[d] /= (end - start)


cdef void _mention_features(const TokenC* tokens, int n_tokens, const MentionC* mentions, int n,
                            uint64_t* words, float* dense, const float* tensor, int width,
                            float* tensor_out) noexcept nogil:
    cdef int k, g
    cdef const MentionC* m
    cdef uint64_t* w
    cdef float* f
    cdef float* t
    for k in range(n):
        m = &mentions[k]
        w = &words[k * N_WORD_SLOTS]
        w[W_HEAD] = tokens[m.head].lex.lower
        w[W_FIRST] = tokens[m.start].lex.lower
        w[W_LAST] = tokens[m.end - 1].lex.lower
        w[W_PREV1] = tokens[m.start - 1].lex.lower if m.start >= 1 else 0
        w[W_PREV2] = tokens[m.start - 2].lex.lower if m.start >= 2 else 0
        w[W_NEXT1] = tokens[m.end].lex.lower if m.end < n_tokens else 0
        w[W_NEXT2] = tokens[m.end + 1].lex.lower if m.end + 1 < n_tokens else 0
        g = governor(tokens, m.head, n_tokens)
        w[W_GOVERNOR] = tokens[g].lex.lower if g != m.head else 0
        f = &dense[k * MENTION_FEATS_WIDTH]
        f[MF_TYPE + m.mention_type] = 1
        f[MF_LENGTH + bucket(m.end - m.start)] = 1
        f[MF_POSITION] = <float>k / <float>n
        f[MF_NESTED] = m.nested
        if m.ent_slot >= 0:
            f[MF_ENT + m.ent_slot] = 1
        f[MF_GENDER + m.gender] = 1
        f[MF_NUMBER + m.number] = 1
        f[MF_PERSON + m.person] = 1
        f[MF_DEFINITE] = m.definite == 1
        f[MF_INDEFINITE] = m.definite == -1
        f[MF_ROLE + m.role] = 1
        f[MF_HAS_SPEAKER] = m.speaker >= 0
        if width > 0:
            t = &tensor_out[k * N_TENSOR_SLOTS * width]
            _average(tensor, width, m.start, m.end, &t[T_SPAN * width])
            _average(tensor, width, m.head, m.head + 1, &t[T_HEAD * width])
            _average(tensor, width, max(0, m.start - CONTEXT_WINDOW), m.start, &t[T_BEFORE * width])
            _average(tensor, width, m.end, min(n_tokens, m.end + CONTEXT_WINDOW), &t[T_AFTER * width])


cdef inline bint _far_match(const MentionC* a, const MentionC* b) noexcept nogil:
    """Whether a mention beyond max_dist is still a candidate: same head word or text, no pronouns."""
    if a.is_pronoun or b.is_pronoun:
        return False
    return a.head_hash == b.head_hash or a.text_hash == b.text_hash


cdef int _candidates(const MentionC* mentions, int j, int max_dist, int max_dist_match,
                     bint blacklist, int32_t* out) noexcept nogil:
    """Candidate antecedents of mention j, nearest first is not needed: ascending order."""
    cdef int i, count = 0
    cdef int near = max(0, j - max_dist)
    cdef int far = max(0, j - max_dist_match)
    if blacklist and mentions[j].blacklisted:
        return 0
    for i in range(far, near):
        if _far_match(&mentions[i], &mentions[j]) and not (blacklist and mentions[i].blacklisted):
            if out != NULL:
                out[count] = i
            count += 1
    for i in range(near, j):
        if not (blacklist and mentions[i].blacklisted):
            if out != NULL:
                out[count] = i
            count += 1
    return count


def candidate_pairs(Mentions mentions, int first, int last, int max_dist, int max_dist_match,
                    bint blacklist):
    """Candidate (antecedent, mention) pairs for mentions first..last-1, grouped by mention.

    Antecedents are the `max_dist` previous mentions, plus mentions up to `max_dist_match`
    back that share the head word or the text (never pronouns), so the number of pairs is
    linear in the number of mentions.
    RETURNS (tuple): int32 arrays (antecedent, mention) of the same length.
    """
    first = max(0, first)
    last = min(last, mentions.length)
    max_dist = max(0, max_dist)
    max_dist_match = max(max_dist, max_dist_match)
    cdef int j
    cdef Py_ssize_t total = 0
    with nogil:
        for j in range(first, last):
            total += _candidates(mentions.c, j, max_dist, max_dist_match, blacklist, NULL)
    ant = numpy.zeros(total, dtype="int32")
    ment = numpy.zeros(total, dtype="int32")
    if total == 0:
        return ant, ment
    cdef int32_t[::1] ant_view = ant
    cdef int32_t[::1] ment_view = ment
    cdef Py_ssize_t pos = 0
    cdef int count, c
    with nogil:
        for j in range(first, last):
            count = _candidates(mentions.c, j, max_dist, max_dist_match, blacklist, &ant_view[pos])
            for c in range(count):
                ment_view[pos + c] = j
            pos += count
    return ant, ment


def pair_features(Doc doc, Mentions mentions, int32_t[::1] ant, int32_t[::1] ment, PairRules rules):
    """Features of (antecedent, mention) pairs.

    rules (PairRules): the rule set's labels that pair features read, hashed.
    RETURNS (ndarray): float32 [len(ant), PAIR_FEATS_WIDTH].
    """
    cdef Py_ssize_t n_pairs = ant.shape[0]
    if ment.shape[0] != n_pairs:
        raise ValueError("antecedent and mention arrays differ in length")
    out = numpy.zeros((n_pairs, PAIR_FEATS_WIDTH), dtype="float32")
    if n_pairs == 0:
        return out
    cdef Py_ssize_t p
    for p in range(n_pairs):
        if not (0 <= ant[p] < mentions.length and 0 <= ment[p] < mentions.length):
            raise IndexError(f"pair {p} refers to a mention outside 0..{mentions.length - 1}")
    cdef float[:, ::1] out_view = out
    with nogil:
        for p in range(n_pairs):
            _pair_features(doc.c, doc.length, &mentions.c[ant[p]], &mentions.c[ment[p]],
                           ment[p] - ant[p], &rules.c, &out_view[p, 0])
    return out


cdef class PairRules:
    """The few dependency labels the pair features look at, hashed (fixed-size C arrays)."""

    def __init__(self, rules):
        self.rules = rules
        memset(&self.c, 0, sizeof(PairRulesC))
        for k, label in enumerate(rules.subject_deps[:16]):
            self.c.subject_dep_items[k] = get_string_id(label)
        self.c.n_subject = min(len(rules.subject_deps), 16)
        for k, label in enumerate(rules.appositive_deps[:8]):
            self.c.appositive_dep_items[k] = get_string_id(label)
        self.c.n_appositive = min(len(rules.appositive_deps), 8)
        for k, label in enumerate(rules.attribute_deps[:8]):
            self.c.attribute_dep_items[k] = get_string_id(label)
        self.c.n_attribute = min(len(rules.attribute_deps), 8)

    def __reduce__(self):
        return (PairRules, (self.rules,))


cdef inline bint _in(const hash_t* items, int n, hash_t value) noexcept nogil:
    cdef int k
    for k in range(n):
        if items[k] == value:
            return True
    return False


cdef bint _span_has_word(const TokenC* tokens, const MentionC* m, hash_t word) noexcept nogil:
    cdef int i
    for i in range(m.start, m.end):
        if tokens[i].lex.lower == word:
            return True
    return False


cdef void _pair_features(const TokenC* tokens, int n_tokens, const MentionC* a, const MentionC* m,
                         int mention_distance, const PairRulesC* rules, float* f) noexcept nogil:
    cdef bint content = not a.is_pronoun and not m.is_pronoun
    f[PF_EXACT_MATCH] = a.text_hash == m.text_hash
    f[PF_RELAXED_MATCH] = content and a.relaxed_hash != 0 and a.relaxed_hash == m.relaxed_hash
    f[PF_HEAD_MATCH] = content and a.head_hash == m.head_hash
    f[PF_LEMMA_MATCH] = content and a.head_lemma != 0 and a.head_lemma == m.head_lemma
    f[PF_NESTED] = (a.start <= m.start and m.end <= a.end) or (m.start <= a.start and a.end <= m.end)
    f[PF_SENT_DIST + bucket(m.sent_index - a.sent_index)] = 1
    f[PF_MENTION_DIST + bucket(mention_distance)] = 1
    if a.speaker >= 0 and m.speaker >= 0:
        f[PF_SAME_SPEAKER] = a.speaker == m.speaker
        f[PF_OTHER_SPEAKER] = a.speaker != m.speaker
        f[PF_I_I_SAME_SPEAKER] = a.person == PERSON_1 and m.person == PERSON_1 and a.speaker == m.speaker
        f[PF_I_YOU_OTHER_SPEAKER] = a.person == PERSON_1 and m.person == PERSON_2 and a.speaker != m.speaker
        f[PF_YOU_I_OTHER_SPEAKER] = a.person == PERSON_2 and m.person == PERSON_1 and a.speaker != m.speaker
    if a.gender != GENDER_UNKNOWN and m.gender != GENDER_UNKNOWN:
        f[PF_GENDER_AGREE] = a.gender == m.gender
        f[PF_GENDER_CLASH] = a.gender != m.gender
    if a.number != NUMBER_UNKNOWN and m.number != NUMBER_UNKNOWN:
        f[PF_NUMBER_AGREE] = a.number == m.number
        f[PF_NUMBER_CLASH] = a.number != m.number
    if a.ent_slot >= 0 and m.ent_slot >= 0:
        f[PF_ENT_SAME] = a.ent_slot == m.ent_slot
        f[PF_ENT_CLASH] = a.ent_slot != m.ent_slot
    cdef const TokenC* ah = &tokens[a.head]
    cdef const TokenC* mh = &tokens[m.head]
    f[PF_APPOSITIVE] = (_in(rules.appositive_dep_items, rules.n_appositive, mh.dep)
                        and governor(tokens, m.head, n_tokens) == a.head)
    f[PF_PREDICATE] = (_in(rules.subject_dep_items, rules.n_subject, ah.dep)
                       and ((_in(rules.attribute_dep_items, rules.n_attribute, mh.dep)
                             and governor(tokens, m.head, n_tokens) == governor(tokens, a.head, n_tokens))
                            or governor(tokens, a.head, n_tokens) == m.head))
    f[PF_CONTAINS_HEAD] = content and (_span_has_word(tokens, a, m.head_hash)
                                       or _span_has_word(tokens, m, a.head_hash))
