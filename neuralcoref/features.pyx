# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Mention features, candidate antecedent pairs and pair features, over TokenC and MentionC.

This is the single feature extractor: the runtime scorer and the PyTorch trainer both
call these functions, so what a model sees in training is what it sees at inference.
Column offsets live in structs.pxd; `MENTION_LAYOUT` / `PAIR_LAYOUT` name them for Python.
About 500 lines: one job, one extension module (mentions, features, resolution).
"""
from libc.stdint cimport int8_t, int32_t, uint64_t
from libc.string cimport memcpy, memset

cimport numpy as cnp
import numpy

from preshed.maps cimport PreshMap, PreshMapArray, map_get
from spacy.structs cimport TokenC
from spacy.tokens.doc cimport Doc
from spacy.typedefs cimport hash_t

from spacy.strings import get_string_id

from .mentions cimport Mentions, governor, is_whitespace

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


def mention_features(Doc doc, Mentions mentions, tensor, first=None, last=None, turn_ends=None):
    """Features of every mention (or of mentions first..last-1: the runtime works in blocks).

    doc (Doc): the parsed Doc the mentions come from.
    mentions (Mentions): its candidate mentions.
    tensor (ndarray or None): float32 [len(doc), width] token vectors (doc.tensor), or None.
    first, last (int): the block of mentions (default: all); features do not depend on the block.
    turn_ends (sequence of int or None): for a Doc of turns resolved one after the other (a conversation,
        `featurize.set_turns`): the token offset where each turn ends, ascending. A mention's features
        are then what they were at the end of its turn: its next words and following tensor rows stop at
        the turn's end, and its position is over the mentions that start before it. None: one turn.
    RETURNS (tuple): word hashes uint64 [n, N_WORD_SLOTS], tensor features float32
        [n, N_TENSOR_SLOTS * width], dense features float32 [n, MENTION_FEATS_WIDTH].
    """
    cdef int n_total = mentions.length
    cdef int start = 0 if first is None else max(0, min(<int>first, n_total))
    cdef int stop = n_total if last is None else max(start, min(<int>last, n_total))
    cdef int n = stop - start
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
    cdef const int32_t* context_end_ptr = NULL
    cdef const int32_t* visible_ptr = NULL
    cdef int32_t[::1] context_end_view, visible_view
    if turn_ends is not None and len(turn_ends):
        context_end, visible = _turn_limits(mentions, doc.length, turn_ends)
        context_end_view = context_end
        visible_view = visible
        context_end_ptr = &context_end_view[0]
        visible_ptr = &visible_view[0]
    with nogil:
        _mention_features(doc.c, doc.length, mentions.c, n_total, start, stop, &words_view[0, 0],
                          &dense_view[0, 0], tensor_ptr, width, tensor_out_ptr, context_end_ptr, visible_ptr)
    return word_hashes, tensor_feats, dense


def _turn_limits(Mentions mentions, int n_tokens, turn_ends):
    """Per mention: the end of its turn (int32, where its context stops) and the number of mentions that
    start before that end (int32, its position's denominator). A mention belongs to the turn it starts in."""
    ends = numpy.asarray(turn_ends, dtype="int64")
    if ends.ndim != 1 or (len(ends) and (ends[0] < 0 or ends[-1] > n_tokens or numpy.any(numpy.diff(ends) < 0))):
        raise ValueError(f"turn_ends must be ascending token offsets within 0..{n_tokens}")
    ends = numpy.append(ends[ends < n_tokens], n_tokens)
    starts = mentions.columns()["start"]
    context_end = ends[numpy.searchsorted(ends, starts, side="right")]
    visible = numpy.searchsorted(starts, context_end, side="left")
    return (numpy.ascontiguousarray(context_end, dtype="int32"), numpy.ascontiguousarray(visible, dtype="int32"))


cdef inline int _word_before(const TokenC* tokens, int i) noexcept nogil:
    """The nearest token before i that is not whitespace, or -1. A paragraph break ("\\n") is a token of
    its own in a user's text; the context words and vectors read past it, as in the text without it."""
    i -= 1
    while i >= 0 and is_whitespace(&tokens[i]):
        i -= 1
    return i


cdef inline int _word_after(const TokenC* tokens, int i, int end) noexcept nogil:
    """The nearest token from i on that is not whitespace, or `end`."""
    while i < end and is_whitespace(&tokens[i]):
        i += 1
    return i


cdef inline void _average_words(const TokenC* tokens, const float* tensor, int width, int start, int end,
                                float* out) noexcept nogil:
    """The mean tensor row of the tokens start..end-1 that are not whitespace, added to the zeroed `out`
    (left zero when there are none, as before a Doc's first word)."""
    cdef int i, d, count = 0
    for i in range(start, end):
        if not is_whitespace(&tokens[i]):
            count += 1
            for d in range(width):
                out[d] += tensor[i * width + d]
    if count == 0:
        return
    for d in range(width):
        out[d] /= count


cdef void _mention_features(const TokenC* tokens, int n_tokens, const MentionC* mentions, int n,
                            int first, int last, uint64_t* words, float* dense, const float* tensor,
                            int width, float* tensor_out, const int32_t* context_ends,
                            const int32_t* visible) noexcept nogil:
    """Features of mentions first..last-1 (of n) into rows 0..last-first-1 of the outputs. context_ends,
    visible (per mention, or NULL: the Doc's end and n): where the mention's context stops and the number
    of mentions its position is counted over (`mention_features`' turn_ends)."""
    cdef int k, g, row, end, total, prev1, prev2, next1, next2, window, c
    cdef const MentionC* m
    cdef uint64_t* w
    cdef float* f
    cdef float* t
    for k in range(first, last):
        m = &mentions[k]
        row = k - first
        end = context_ends[k] if context_ends != NULL else n_tokens
        total = visible[k] if visible != NULL else n
        w = &words[row * N_WORD_SLOTS]
        w[W_HEAD] = tokens[m.head].lex.lower
        w[W_FIRST] = tokens[m.start].lex.lower
        w[W_LAST] = tokens[m.end - 1].lex.lower
        prev1 = _word_before(tokens, m.start)
        prev2 = _word_before(tokens, prev1) if prev1 >= 0 else -1
        next1 = _word_after(tokens, m.end, end)
        next2 = _word_after(tokens, next1 + 1, end) if next1 < end else end
        w[W_PREV1] = tokens[prev1].lex.lower if prev1 >= 0 else 0
        w[W_PREV2] = tokens[prev2].lex.lower if prev2 >= 0 else 0
        w[W_NEXT1] = tokens[next1].lex.lower if next1 < end else 0
        w[W_NEXT2] = tokens[next2].lex.lower if next2 < end else 0
        g = governor(tokens, m.head, n_tokens)
        w[W_GOVERNOR] = tokens[g].lex.lower if g != m.head else 0
        f = &dense[row * MENTION_FEATS_WIDTH]
        f[MF_TYPE + m.mention_type] = 1
        f[MF_LENGTH + bucket(m.end - m.start)] = 1
        f[MF_POSITION] = <float>k / <float>total
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
            t = &tensor_out[row * N_TENSOR_SLOTS * width]
            _average_words(tokens, tensor, width, m.start, m.end, &t[T_SPAN * width])
            memcpy(&t[T_HEAD * width], &tensor[m.head * width], width * sizeof(float))
            # the CONTEXT_WINDOW words before and after, whitespace tokens skipped
            window = m.start
            for c in range(CONTEXT_WINDOW):
                window = _word_before(tokens, window)
                if window < 0:
                    window = 0
                    break
            _average_words(tokens, tensor, width, window, m.start, &t[T_BEFORE * width])
            window = m.end
            for c in range(CONTEXT_WINDOW):
                window = _word_after(tokens, window, end) + 1
                if window >= end:
                    window = end
                    break
            _average_words(tokens, tensor, width, m.end, window, &t[T_AFTER * width])


cdef inline bint _far_match(const MentionC* a, const MentionC* b) noexcept nogil:
    """Whether a mention beyond max_dist is still a candidate: same head word or text (not pronouns),
    or first/second-person pronouns of the same person, number and speaker ("I" ... "my" of one
    narrator or speaker: a chain that a gap of max_dist mentions would otherwise split)."""
    if a.is_pronoun or b.is_pronoun:
        return (a.is_pronoun and b.is_pronoun and (a.person == PERSON_1 or a.person == PERSON_2)
                and a.person == b.person and a.number == b.number and a.speaker == b.speaker)
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


cdef Py_ssize_t _count_candidate_pairs(const MentionC* mentions, int first, int last, int max_dist,
                                       int max_dist_match, bint blacklist) noexcept nogil:
    cdef Py_ssize_t total = 0
    cdef int j
    for j in range(first, last):
        total += _candidates(mentions, j, max_dist, max_dist_match, blacklist, NULL)
    return total


def count_pairs(Mentions mentions, int first, int last, int max_dist, int max_dist_match, bint blacklist):
    """The number of candidate pairs of mentions first..last-1 (what `candidate_pairs` would return)."""
    first, last, max_dist, max_dist_match = candidate_range(mentions, first, last, max_dist, max_dist_match)
    cdef Py_ssize_t total
    with nogil:
        total = _count_candidate_pairs(mentions.c, first, last, max_dist, max_dist_match, blacklist)
    return total


def candidate_range(Mentions mentions, int first, int last, int max_dist, int max_dist_match):
    """(first, last, max_dist, max_dist_match) clamped as every pair function reads them."""
    max_dist = max(0, max_dist)
    return max(0, first), min(last, mentions.length), max_dist, max(max_dist, max_dist_match)


def candidate_pairs(Mentions mentions, int first, int last, int max_dist, int max_dist_match,
                    bint blacklist):
    """Candidate (antecedent, mention) pairs for mentions first..last-1, grouped by mention.

    Antecedents are the `max_dist` previous mentions, plus mentions up to `max_dist_match`
    back that share the head word or the text (never pronouns), so the number of pairs is
    linear in the number of mentions.
    RETURNS (tuple): int32 arrays (antecedent, mention) of the same length.
    """
    first, last, max_dist, max_dist_match = candidate_range(mentions, first, last, max_dist, max_dist_match)
    cdef int j
    cdef Py_ssize_t total
    with nogil:
        total = _count_candidate_pairs(mentions.c, first, last, max_dist, max_dist_match, blacklist)
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
    """Write the pair's features into a zeroed row `f` (every feature is 0 or 1)."""
    cdef int32_t active[PAIR_FEATS_WIDTH]
    cdef int k, count = _pair_active(tokens, n_tokens, a, m, mention_distance, rules, active)
    for k in range(count):
        f[active[k]] = 1


cdef int _pair_active(const TokenC* tokens, int n_tokens, const MentionC* a, const MentionC* m,
                      int mention_distance, const PairRulesC* rules, int32_t* active) noexcept nogil:
    """The pair feature columns that are 1, in ascending order (all others are 0).

    This is the one definition of the pair features: `pair_features` scatters these columns
    into rows, the fused scorer (resolution.pyx) sums the weight rows of these columns.
    RETURNS (int): the number of columns written to `active` (at most PAIR_FEATS_WIDTH).
    """
    cdef int n = 0
    cdef bint content = not a.is_pronoun and not m.is_pronoun
    if a.text_hash == m.text_hash:
        active[n] = PF_EXACT_MATCH; n += 1
    if content and a.relaxed_hash != 0 and a.relaxed_hash == m.relaxed_hash:
        active[n] = PF_RELAXED_MATCH; n += 1
    if content and a.head_hash == m.head_hash:
        active[n] = PF_HEAD_MATCH; n += 1
    if content and a.head_lemma != 0 and a.head_lemma == m.head_lemma:
        active[n] = PF_LEMMA_MATCH; n += 1
    if (a.start <= m.start and m.end <= a.end) or (m.start <= a.start and a.end <= m.end):
        active[n] = PF_NESTED; n += 1
    active[n] = PF_SENT_DIST + bucket(m.sent_index - a.sent_index); n += 1
    active[n] = PF_MENTION_DIST + bucket(mention_distance); n += 1
    if a.speaker >= 0 and m.speaker >= 0:
        if a.speaker == m.speaker:
            active[n] = PF_SAME_SPEAKER; n += 1
        else:
            active[n] = PF_OTHER_SPEAKER; n += 1
        if a.person == PERSON_1 and m.person == PERSON_1 and a.speaker == m.speaker:
            active[n] = PF_I_I_SAME_SPEAKER; n += 1
        if a.person == PERSON_1 and m.person == PERSON_2 and a.speaker != m.speaker:
            active[n] = PF_I_YOU_OTHER_SPEAKER; n += 1
        if a.person == PERSON_2 and m.person == PERSON_1 and a.speaker != m.speaker:
            active[n] = PF_YOU_I_OTHER_SPEAKER; n += 1
    if a.gender != GENDER_UNKNOWN and m.gender != GENDER_UNKNOWN:
        if a.gender == m.gender:
            active[n] = PF_GENDER_AGREE; n += 1
        else:
            active[n] = PF_GENDER_CLASH; n += 1
    if a.number != NUMBER_UNKNOWN and m.number != NUMBER_UNKNOWN:
        if a.number == m.number:
            active[n] = PF_NUMBER_AGREE; n += 1
        else:
            active[n] = PF_NUMBER_CLASH; n += 1
    if a.ent_slot >= 0 and m.ent_slot >= 0:
        if a.ent_slot == m.ent_slot:
            active[n] = PF_ENT_SAME; n += 1
        else:
            active[n] = PF_ENT_CLASH; n += 1
    cdef const TokenC* ah = &tokens[a.head]
    cdef const TokenC* mh = &tokens[m.head]
    if _in(rules.appositive_dep_items, rules.n_appositive, mh.dep) and governor(tokens, m.head, n_tokens) == a.head:
        active[n] = PF_APPOSITIVE; n += 1
    if (_in(rules.subject_dep_items, rules.n_subject, ah.dep)
            and ((_in(rules.attribute_dep_items, rules.n_attribute, mh.dep)
                  and governor(tokens, m.head, n_tokens) == governor(tokens, a.head, n_tokens))
                 or governor(tokens, a.head, n_tokens) == m.head)):
        active[n] = PF_PREDICATE; n += 1
    if content and (_span_has_word(tokens, a, m.head_hash) or _span_has_word(tokens, m, a.head_hash)):
        active[n] = PF_CONTAINS_HEAD; n += 1
    return n


cdef class GrammarTable:
    """Per-token gender, number and person codes, cached by the token's morph (and, for the words of
    `RuleSet.grammar_lexicon()`, by morph and word), so that a Doc costs one lookup per token.

    lexicon (list): the lexicon words' hashes (lowercase).
    compute (callable): (strings, morph_key, word_key or None) -> (gender, number, person), for cache
        misses (strings: the Doc's StringStore).
    """
    cdef PreshMap by_morph
    cdef PreshMap lexicon
    cdef PreshMapArray by_word_morph
    cdef readonly object compute

    def __init__(self, lexicon, compute):
        self.by_morph = PreshMap()
        self.lexicon = PreshMap()
        words = list(dict.fromkeys(lexicon))
        for k, word in enumerate(words):
            self.lexicon.set(<uint64_t>word, <void*><size_t>(k + 1))
        self.by_word_morph = PreshMapArray(max(1, len(words)))
        self.compute = compute

    def fill(self, Doc doc, int8_t[::1] gender, int8_t[::1] number, int8_t[::1] person):
        """Write each token's codes; codes not cached yet come from `compute`."""
        cdef int i, n = doc.length
        if gender.shape[0] != n or number.shape[0] != n or person.shape[0] != n:
            raise ValueError("per-token arrays must have one value per token")
        cdef const TokenC* t
        cdef size_t slot, packed
        strings = doc.vocab.strings
        for i in range(n):
            t = &doc.c[i]
            slot = <size_t>self.lexicon.get(t.lex.lower)
            if slot == 0:
                packed = <size_t>self.by_morph.get(t.morph)
                if packed == 0:
                    packed = self._pack(self.compute(strings, t.morph, None))
                    self.by_morph.set(t.morph, <void*>packed)
            else:
                packed = <size_t>self.by_word_morph.get(slot - 1, t.morph)
                if packed == 0:
                    packed = self._pack(self.compute(strings, t.morph, t.lex.lower))
                    self.by_word_morph.set(slot - 1, t.morph, <void*>packed)
            gender[i] = <int8_t>((packed - 1) & 0xff)
            number[i] = <int8_t>(((packed - 1) >> 8) & 0xff)
            person[i] = <int8_t>(((packed - 1) >> 16) & 0xff)

    cdef size_t _pack(self, codes) except 0:
        gender, number, person = codes
        if not (0 <= gender < 256 and 0 <= number < 256 and 0 <= person < 256):
            raise ValueError(f"grammar codes out of range: {codes}")
        return 1 + <size_t>gender + (<size_t>number << 8) + (<size_t>person << 16)
