# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Rule-based candidate mentions, read straight from spaCy's TokenC array.

A mention is a pronoun, a named entity, or the subtree of a noun under a licensing
dependency label (plus its variant without coordinated/appositive parts). The rules
come from a language's `RuleSet`, hashed once; the walk over `doc.c` runs without the GIL.
Over 500 lines because it is one job, one extension module (mentions, features, resolution): the
walk's nogil helpers are `cdef inline` functions, which another module could only reach as calls or
as definitions in a .pxd (which only declares).
"""
from libc.stdlib cimport qsort
from libc.stdint cimport int8_t, int32_t

cimport numpy as cnp
import numpy

from cymem.cymem cimport Pool
from spacy.attrs cimport IS_BRACKET, IS_LEFT_PUNCT, IS_QUOTE, IS_RIGHT_PUNCT, IS_SPACE
from spacy.lexeme cimport Lexeme
from spacy.parts_of_speech cimport univ_pos_t, ADJ, PRON, PROPN, NOUN, PUNCT, DET, SPACE, NUM
from spacy.structs cimport LexemeC, TokenC
from spacy.tokens.doc cimport Doc
from spacy.typedefs cimport hash_t

from spacy.strings import get_string_id
from spacy import parts_of_speech

from .structs cimport *

cnp.import_array()


cdef bint hashset_contains(const HashSetC* hashes, hash_t value) noexcept nogil:
    cdef int lo = 0
    cdef int hi = hashes.length - 1
    cdef int mid
    while lo <= hi:
        mid = (lo + hi) // 2
        if hashes.items[mid] == value:
            return True
        if hashes.items[mid] < value:
            lo = mid + 1
        else:
            hi = mid - 1
    return False


cdef HashSetC _make_hashset(Pool mem, values) except *:
    cdef HashSetC out
    hashes = sorted(set(values))
    cdef hash_t* items = <hash_t*>mem.alloc(max(len(hashes), 1), sizeof(hash_t))
    for k, h in enumerate(hashes):
        items[k] = h
    out.items = items
    out.length = len(hashes)
    return out


def _string_hashes(strings):
    return [get_string_id(s) for s in strings]


def _pos_ids(names):
    return [parts_of_speech.IDS[name] for name in names if name in parts_of_speech.IDS]


cdef int governor(const TokenC* tokens, int i, int length) noexcept nogil:
    cdef int g = i + tokens[i].head
    if g < 0 or g >= length:
        return i
    return g


cdef int _compare_start_end(const void* a, const void* b) noexcept nogil:
    cdef const MentionC* x = <const MentionC*>a
    cdef const MentionC* y = <const MentionC*>b
    if x.start != y.start:
        return x.start - y.start
    if x.end != y.end:
        return x.end - y.end
    return x.head - y.head


cdef int _compare_start_longest(const void* a, const void* b) noexcept nogil:
    cdef const MentionC* x = <const MentionC*>a
    cdef const MentionC* y = <const MentionC*>b
    if x.start != y.start:
        return x.start - y.start
    return y.end - x.end


cdef class Mentions:
    """The candidate mentions of one Doc, sorted by (start, end), in C memory."""

    def __init__(self, int capacity, int doc_length):
        self.mem = Pool()
        self.c = <MentionC*>self.mem.alloc(max(capacity, 1), sizeof(MentionC))
        self.length = 0
        self.doc_length = doc_length

    def __len__(self):
        return self.length

    def columns(self):
        """start, end, head, sent_index, mention_type, speaker, blacklisted, gender, number, person: one
        array each."""
        names = ("start", "end", "head", "sent_index", "mention_type", "speaker", "blacklisted", "gender", "number",
                 "person")
        table = numpy.zeros((len(names), self.length), dtype="int32")
        cdef int32_t[:, ::1] view = table
        cdef int k
        for k in range(self.length):
            view[0, k] = self.c[k].start
            view[1, k] = self.c[k].end
            view[2, k] = self.c[k].head
            view[3, k] = self.c[k].sent_index
            view[4, k] = self.c[k].mention_type
            view[5, k] = self.c[k].speaker
            view[6, k] = self.c[k].blacklisted
            view[7, k] = self.c[k].gender
            view[8, k] = self.c[k].number
            view[9, k] = self.c[k].person
        return dict(zip(names, table))

    @property
    def starts(self):
        return self.columns()["start"]

    @property
    def ends(self):
        return self.columns()["end"]

    def spans(self):
        """(start, end) token offsets, end exclusive: for tests and Python callers."""
        return [(self.c[k].start, self.c[k].end) for k in range(self.length)]

    def as_dicts(self):
        """Every field of every mention, for tests and debugging."""
        return [dict(self.c[k]) for k in range(self.length)]


cdef class MentionExtractor:
    """Extract candidate mentions with a language's rule set.

    rules (RuleSet): the language's labels and word lists (neuralcoref.rules).
    """

    def __init__(self, rules):
        self.mem = Pool()
        self.rules = rules
        r = rules
        self.c.pronoun_words = _make_hashset(self.mem, _string_hashes(r.pronouns))
        self.c.pronoun_tags = _make_hashset(self.mem, _string_hashes(r.pronoun_tags))
        self.c.pronoun_pos = _make_hashset(self.mem, _pos_ids(r.pronoun_pos))
        by_word = r.pronoun_pos_by_word
        word_pos = [_word_pos_key(get_string_id(w), p) for w, tags in by_word.items() for p in _pos_ids(tags)]
        self.c.pronoun_pos_words = _make_hashset(self.mem, _string_hashes([w for w, tags in by_word.items() if tags]))
        self.c.pronoun_word_pos = _make_hashset(self.mem, word_pos)
        self.c.pronoun_any_pos_words = _make_hashset(
            self.mem, _string_hashes([w for w, tags in by_word.items() if not tags]))
        self.c.untrimmed_words = _make_hashset(self.mem, _string_hashes(r.untrimmed_words))
        self.c.possessive_markers = _make_hashset(self.mem, _string_hashes(r.possessive_markers))
        self.c.np_head_pos = _make_hashset(self.mem, _pos_ids(r.np_head_pos))
        self.c.np_deps = _make_hashset(self.mem, _string_hashes(r.np_deps))
        self.c.cut_deps = _make_hashset(self.mem, _string_hashes(r.cut_deps))
        self.c.conj_deps = _make_hashset(self.mem, _string_hashes(r.conj_deps))
        self.c.trim_deps = _make_hashset(self.mem, _string_hashes(r.trim_deps))
        self.c.relaxed_skip_deps = _make_hashset(self.mem, _string_hashes(r.relaxed_skip_deps))
        self.c.expletive_deps = _make_hashset(self.mem, _string_hashes(r.expletive_deps))
        self.c.subject_deps = _make_hashset(self.mem, _string_hashes(r.subject_deps))
        self.c.object_deps = _make_hashset(self.mem, _string_hashes(r.object_deps))
        self.c.oblique_deps = _make_hashset(self.mem, _string_hashes(r.oblique_deps))
        self.c.possessive_deps = _make_hashset(self.mem, _string_hashes(r.possessive_deps))
        self.c.appositive_deps = _make_hashset(self.mem, _string_hashes(r.appositive_deps))
        self.c.attribute_deps = _make_hashset(self.mem, _string_hashes(r.attribute_deps))
        self.c.definite_words = _make_hashset(self.mem, _string_hashes(r.definite_words))
        self.c.indefinite_words = _make_hashset(self.mem, _string_hashes(r.indefinite_words))
        self.c.excluded_entity_labels = _make_hashset(self.mem, _string_hashes(r.excluded_entity_labels))
        self.c.nominal_entity_labels = _make_hashset(self.mem, _string_hashes(r.nominal_entity_labels))
        self.c.pleonastic_words = _make_hashset(self.mem, _string_hashes(r.pleonastic_words))
        self.c.weather_lemmas = _make_hashset(self.mem, _string_hashes(r.weather_lemmas))
        self.c.extraposing_lemmas = _make_hashset(self.mem, _string_hashes(r.extraposing_lemmas))
        self.c.small_clause_lemmas = _make_hashset(self.mem, _string_hashes(r.small_clause_lemmas))
        self.c.passive_subject_deps = _make_hashset(self.mem, _string_hashes(r.passive_subject_deps))
        self.c.finite_clause_deps = _make_hashset(self.mem, _string_hashes(r.finite_clause_deps))
        self.c.clause_deps = _make_hashset(self.mem, _string_hashes(r.clause_deps))
        self.c.clause_markers = _make_hashset(self.mem, _string_hashes(r.clause_markers))
        self.c.blacklist = _make_hashset(self.mem, _string_hashes(r.blacklist))
        self.c.masculine_names = _make_hashset(
            self.mem, _string_hashes([w for w, g in r.first_names.items() if g == "Masc"]))
        self.c.feminine_names = _make_hashset(
            self.mem, _string_hashes([w for w, g in r.first_names.items() if g == "Fem"]))
        self.c.person_entity_labels = _make_hashset(self.mem, _string_hashes(r.person_entity_labels))
        labels = _string_hashes(r.entity_labels)
        cdef hash_t* ent = <hash_t*>self.mem.alloc(max(len(labels), 1), sizeof(hash_t))
        for k, h in enumerate(labels):
            ent[k] = h
        self.c.entity_labels = ent
        self.c.n_entity_labels = len(labels)
        self.c.line_final_punct = _make_hashset(self.mem, _string_hashes(r.line_final_punct))
        self.c.short_line_tokens = r.short_line_tokens

    def __reduce__(self):
        return (MentionExtractor, (self.rules,))

    def __call__(self, Doc doc, int8_t[::1] gender, int8_t[::1] number, int8_t[::1] person,
                 int32_t[::1] speaker):
        """Extract the mentions of a parsed Doc.

        doc (Doc): a Doc with a dependency parse.
        gender, number, person (int8 arrays): per-token grammatical values (structs.pxd codes).
        speaker (int32 array): per-token speaker id, -1 where unknown.
        RETURNS (Mentions): the candidate mentions, sorted by (start, end).
        """
        cdef int n = doc.length
        if gender.shape[0] != n or number.shape[0] != n or person.shape[0] != n or speaker.shape[0] != n:
            raise ValueError("per-token arrays must have one value per token")
        # The codes become column offsets in mention_features: out of range, they write past the rows.
        cdef int i
        for i in range(n):
            if not (0 <= gender[i] < N_GENDERS and 0 <= number[i] < N_NUMBERS and 0 <= person[i] < N_PERSONS):
                raise ValueError(f"token {i}: gender, number, person codes ({gender[i]}, {number[i]}, "
                                 f"{person[i]}) outside 0..{N_GENDERS - 1}, 0..{N_NUMBERS - 1}, 0..{N_PERSONS - 1}")
        cdef Mentions mentions = Mentions(4 * n + 4, n)
        if n == 0:
            return mentions
        cdef Pool scratch = Pool()
        cdef int32_t* sent_starts = <int32_t*>scratch.alloc(n, sizeof(int32_t))
        cdef int32_t* sent_ends = <int32_t*>scratch.alloc(n, sizeof(int32_t))
        cdef int32_t* sent_index = <int32_t*>scratch.alloc(n, sizeof(int32_t))
        cdef int32_t* newlines = <int32_t*>scratch.alloc(n, sizeof(int32_t))
        strings = doc.vocab.strings
        for i in numpy.flatnonzero(doc.to_array(IS_SPACE)).tolist():  # whitespace tokens only: a few per line
            newlines[i] = strings[doc.c[i].lex.orth].count("\n")
        with nogil:
            _find_sentences(&self.c, doc.c, n, newlines, sent_starts, sent_ends, sent_index)
            mentions.length = _extract(&self.c, doc.c, n, sent_starts, sent_ends, sent_index,
                                       &gender[0], &number[0], &person[0], &speaker[0],
                                       mentions.c)
        return mentions


cdef bint is_whitespace(const TokenC* token) noexcept nogil:
    """A whitespace token, by its characters (not its tag: a pipeline without a tagger leaves pos unset).
    Also the context features' test (features.pyx), which read past whitespace tokens."""
    return Lexeme.c_check_flag(token.lex, IS_SPACE)


cdef bint _line_ends_sentence(const RulesC* r, const TokenC* tokens, const int32_t* newlines, int i) noexcept nogil:
    """Whether token i opens a line that the line break before it sets apart from the line above: a
    blank line between them, or a line above that ends in sentence-final punctuation or is short (a
    heading, a name, an interjection). `newlines`: the newlines of each whitespace token, 0 elsewhere."""
    if i == 0 or is_whitespace(&tokens[i]) or not is_whitespace(&tokens[i - 1]):
        return False
    cdef int k = i - 1
    cdef int breaks = 0
    while k >= 0 and is_whitespace(&tokens[k]):
        breaks += newlines[k]
        k -= 1
    if breaks == 0:
        return False
    if breaks >= 2 or k < 0 or hashset_contains(&r.line_final_punct, tokens[k].lex.orth):
        return True
    cdef int line_tokens = 0
    while k >= 0 and newlines[k] == 0:
        if not is_whitespace(&tokens[k]):
            line_tokens += 1
            if line_tokens > r.short_line_tokens:
                return False
        k -= 1
    return True


cdef void _find_sentences(const RulesC* r, const TokenC* tokens, int n, const int32_t* newlines,
                          int32_t* sent_starts, int32_t* sent_ends, int32_t* sent_index) noexcept nogil:
    """The parser's sentences, also split where a line break sets two lines apart (`_line_ends_sentence`)."""
    cdef int i, j, start = 0, index = 0
    for i in range(n):
        if i > 0 and (tokens[i].sent_start == 1 or _line_ends_sentence(r, tokens, newlines, i)):
            for j in range(start, i):
                sent_ends[j] = i
            start = i
            index += 1
        sent_starts[i] = start
        sent_index[i] = index
    for j in range(start, n):
        sent_ends[j] = n


cdef inline bint _is_trimmed(const RulesC* r, const TokenC* t) noexcept nogil:
    return (t.pos == PUNCT or t.pos == SPACE or hashset_contains(&r.trim_deps, t.dep)) \
        and not hashset_contains(&r.untrimmed_words, t.lex.lower)


cdef int _span_head(const TokenC* tokens, int start, int end, int n) noexcept nogil:
    """The first token of the span whose governor is outside it (or itself)."""
    cdef int i, g
    for i in range(start, end):
        g = governor(tokens, i, n)
        if g == i or g < start or g >= end:
            return i
    return start


cdef int _add(MentionC* out, int count, int start, int end, int head, int mention_type) noexcept nogil:
    out[count].start = start
    out[count].end = end
    out[count].head = head
    out[count].mention_type = mention_type
    return count + 1


cdef inline bint _is_possessive_marker(const RulesC* r, const TokenC* tokens, int k, int start, int end,
                                      int n) noexcept nogil:
    """Whether token k is a possessive marker depending on a token of start..end-1 (a closing
    quote written like the plural marker "'" is punctuation, not a marker)."""
    cdef int g
    if tokens[k].pos == PUNCT or not hashset_contains(&r.possessive_markers, tokens[k].lex.lower):
        return False
    g = governor(tokens, k, n)
    return start <= g < end and g != k


cdef inline bint _heads_noun_phrase(const RulesC* r, const TokenC* t) noexcept nogil:
    """Whether the token heads a noun-phrase mention (its subtree): a noun under a licensing label."""
    return hashset_contains(&r.np_head_pos, <hash_t>t.pos) and hashset_contains(&r.np_deps, t.dep)


cdef bint _np_adds_only_determiners(const RulesC* r, const TokenC* tokens, int head, int start, int end,
                                    int s_start, int s_end) noexcept nogil:
    """Whether `head` heads a noun-phrase mention that is start..end-1 with at most determiners or
    possessives before it (trimmed as `_add_trimmed` trims)."""
    cdef int np_start, np_end
    if not _heads_noun_phrase(r, &tokens[head]):
        return False
    np_start = max(<int>tokens[head].l_edge, s_start)
    np_end = min(<int>tokens[head].r_edge + 1, s_end)
    while np_end > end and _is_trimmed(r, &tokens[np_end - 1]):
        np_end -= 1
    while np_start < start and (tokens[np_start].pos == DET or _is_trimmed(r, &tokens[np_start])
                                or hashset_contains(&r.relaxed_skip_deps, tokens[np_start].dep)):
        np_start += 1
    return np_start == start and np_end == end


cdef inline bint _same_pair_kind(const LexemeC* a, const LexemeC* b) noexcept nogil:
    return Lexeme.c_check_flag(a, IS_QUOTE) == Lexeme.c_check_flag(b, IS_QUOTE) \
        and Lexeme.c_check_flag(a, IS_BRACKET) == Lexeme.c_check_flag(b, IS_BRACKET)


cdef bint _closes_open_pair(const TokenC* tokens, int start, int end, int s_end) noexcept nogil:
    """Whether token `end`, inside the sentence that ends at `s_end`, closes a quotation mark or bracket
    opened inside start..end-1 and left open there ('his "protégé"', 'knowledge (of old movies)'): the
    annotation's span keeps the closer, as it keeps the opener. A straight quote (both an opener and a
    closer) closes one the span holds an odd number of; a one-sided closer, one more opener of its kind
    than closers. A closer in the next sentence is not the mention's (a line break may end the sentence
    before it, which the parser's sentence starts do not say)."""
    cdef const LexemeC* closer
    cdef const LexemeC* lex
    cdef int k, depth = 0
    if end >= s_end:
        return False
    closer = tokens[end].lex
    if not Lexeme.c_check_flag(closer, IS_RIGHT_PUNCT):
        return False
    if Lexeme.c_check_flag(closer, IS_LEFT_PUNCT):
        for k in range(start, end):
            if tokens[k].lex.orth == closer.orth:
                depth += 1
        return depth % 2 == 1
    for k in range(start, end):
        lex = tokens[k].lex
        if not _same_pair_kind(lex, closer):
            continue
        if Lexeme.c_check_flag(lex, IS_LEFT_PUNCT) and not Lexeme.c_check_flag(lex, IS_RIGHT_PUNCT):
            depth += 1
        elif Lexeme.c_check_flag(lex, IS_RIGHT_PUNCT) and not Lexeme.c_check_flag(lex, IS_LEFT_PUNCT) \
                and depth > 0:
            depth -= 1
    return depth > 0


cdef int _add_trimmed(const RulesC* r, const TokenC* tokens, MentionC* out, int count,
                      int start, int end, int head, int mention_type, int s_end, int n) noexcept nogil:
    while start < end and start != head and _is_trimmed(r, &tokens[start]):
        start += 1
    while end > start and end - 1 != head and _is_trimmed(r, &tokens[end - 1]) \
            and not _is_possessive_marker(r, tokens, end - 1, start, end - 1, n):
        end -= 1
    if start >= end or head < start or head >= end:
        return count
    if _closes_open_pair(tokens, start, end, s_end):
        end += 1
    return _add(out, count, start, end, head, mention_type)


cdef inline hash_t _word_pos_key(hash_t word, hash_t pos) noexcept nogil:
    return _mix(word, pos + <hash_t>1)


cdef bint _is_pronoun(const RulesC* r, const TokenC* t) noexcept nogil:
    if not hashset_contains(&r.pronoun_words, t.lex.lower):
        return False
    if hashset_contains(&r.pronoun_any_pos_words, t.lex.lower):
        return True
    if hashset_contains(&r.pronoun_pos_words, t.lex.lower):
        return hashset_contains(&r.pronoun_word_pos, _word_pos_key(t.lex.lower, <hash_t>t.pos))
    return hashset_contains(&r.pronoun_pos, <hash_t>t.pos) or hashset_contains(&r.pronoun_tags, t.tag)


cdef bint _has_extraposed_clause(const RulesC* r, const TokenC* tokens, int v, int after, int s_start,
                                 int s_end, int n, const HashSetC* clause_deps, bint finite) noexcept nogil:
    """Whether token v has a clausal dependent (a label of `clause_deps`) after token `after` that opens
    with a marker ("that", "to", "whether"): "it is likely [that ...]", "it seems [to ...]". `finite`: a
    finite clause, whose marker is no determiner: "it was agreed [that ...]", not "it's got [that vibe]"."""
    cdef int k, first
    for k in range(after + 1, s_end):
        if governor(tokens, k, n) == v and hashset_contains(clause_deps, tokens[k].dep):
            first = max(<int>tokens[k].l_edge, s_start)
            if hashset_contains(&r.clause_markers, tokens[first].lex.lower) \
                    and not (finite and tokens[first].pos == DET):
                return True
    return False


cdef bint _is_small_clause_pleonastic(const RulesC* r, const TokenC* tokens, int i, int v, int s_start,
                                      int s_end, int n) noexcept nogil:
    """Pronoun i (governor v) before a predicate adjective whose clause is extraposed, in the small clause
    of a verb like "find" or "make": "found it necessary to leave", "made it clear that ...". The parser
    makes the pronoun the adjective's subject, or the verb's object with the adjective beside it."""
    cdef int w, k
    if tokens[v].pos == ADJ and v > i:  # found [it necessary] to ...
        w = governor(tokens, v, n)
        return w != v and w < i and hashset_contains(&r.small_clause_lemmas, tokens[w].lemma) \
            and _has_extraposed_clause(r, tokens, v, v, s_start, s_end, n, &r.clause_deps, False)
    if v < i and hashset_contains(&r.small_clause_lemmas, tokens[v].lemma):  # found it [necessary] to ...
        for k in range(i + 1, s_end):
            if governor(tokens, k, n) == v and tokens[k].pos == ADJ \
                    and _has_extraposed_clause(r, tokens, k, k, s_start, s_end, n, &r.clause_deps, False):
                return True
    return False


cdef bint _is_pleonastic(const RulesC* r, const TokenC* tokens, int i, int s_start, int s_end, int n) noexcept nogil:
    """A non-referential pronoun that the parser did not label expletive: the subject of a weather verb
    ("it rained") or of a predicate whose clause is extraposed ("it is likely that ...", "it seems
    that ...", "it is hard to say"), or the object of a verb like "find" before such a predicate
    ("found it hard to say", `_is_small_clause_pleonastic`), or the passive subject of a verb whose finite
    clause is extraposed ("it was agreed that ..."). Never a mention."""
    if not hashset_contains(&r.pleonastic_words, tokens[i].lex.lower):
        return False
    cdef int v = governor(tokens, i, n)
    if v == i:
        return False
    if _is_small_clause_pleonastic(r, tokens, i, v, s_start, s_end, n):
        return True
    if not hashset_contains(&r.subject_deps, tokens[i].dep):
        return False
    if hashset_contains(&r.weather_lemmas, tokens[v].lemma):
        return True
    if hashset_contains(&r.passive_subject_deps, tokens[i].dep) \
            and _has_extraposed_clause(r, tokens, v, i, s_start, s_end, n, &r.finite_clause_deps, True):
        return True
    if not hashset_contains(&r.extraposing_lemmas, tokens[v].lemma):
        return False
    if _has_extraposed_clause(r, tokens, v, i, s_start, s_end, n, &r.clause_deps, False):
        return True
    cdef int k
    for k in range(v + 1, s_end):  # "it is [likely] that": the clause hangs off the predicate adjective
        if governor(tokens, k, n) == v and (tokens[k].pos == ADJ or hashset_contains(&r.attribute_deps,
                                                                                    tokens[k].dep)):
            if _has_extraposed_clause(r, tokens, k, k, s_start, s_end, n, &r.clause_deps, False):
                return True
    return False


cdef int _extract(const RulesC* r, const TokenC* tokens, int n, const int32_t* sent_starts,
                  const int32_t* sent_ends, const int32_t* sent_index,
                  const int8_t* gender, const int8_t* number, const int8_t* person,
                  const int32_t* speaker, MentionC* out) noexcept nogil:
    cdef int i, k, j, start, end, cut, g, s_start, s_end, count = 0
    cdef bint has_conj
    cdef const TokenC* t
    for i in range(n):
        t = &tokens[i]
        s_start = sent_starts[i]
        s_end = sent_ends[i]
        if hashset_contains(&r.expletive_deps, t.dep):
            continue
        # Pronouns (with their determiner, as in French "le sien"), not pleonastic ones
        if _is_pronoun(r, t):
            if _is_pleonastic(r, tokens, i, s_start, s_end, n):
                continue
            start = i
            for k in range(max(s_start, i - 2), i):
                if tokens[k].pos == DET and governor(tokens, k, n) == i:
                    start = k
                    break
            count = _add(out, count, start, i + 1, i, MT_PRONOUN)
            continue
        # Named entities, from their first token. Not an entity that its noun phrase only extends by a
        # determiner ("[the Senate]": "Senate" would be a second mention of one thing, which no
        # annotation has and which makes exact name matches unreliable), nor one headed by an
        # adjective or a particle ("the [Greek] state", a tagger's "n't")
        if t.ent_iob == 3 and t.ent_type != 0 and not hashset_contains(&r.excluded_entity_labels, t.ent_type):
            end = i + 1
            while end < s_end and tokens[end].ent_iob == 1:
                end += 1
            if end < s_end and _is_possessive_marker(r, tokens, end, i, end, n):
                end += 1  # "[Melanie 's] mom": the entity annotation leaves the marker out
            g = _span_head(tokens, i, end, n)
            if (hashset_contains(&r.np_head_pos, <hash_t>tokens[g].pos) or tokens[g].pos == NUM) \
                    and not _np_adds_only_determiners(r, tokens, g, i, end, s_start, s_end):
                count = _add_trimmed(r, tokens, out, count, i, end, g,
                                     MT_NOMINAL if hashset_contains(&r.nominal_entity_labels, t.ent_type)
                                     else MT_PROPER, s_end, n)
        # Noun phrases: the subtree of a noun under a licensing dependency label
        if _heads_noun_phrase(r, t):
            start = max(<int>t.l_edge, s_start)
            end = min(<int>t.r_edge + 1, s_end)
            if start > i:
                start = i
            if end <= i:
                end = i + 1
            cut = end
            has_conj = False
            for k in range(i + 1, end):
                if governor(tokens, k, n) == i and hashset_contains(&r.cut_deps, tokens[k].dep):
                    if hashset_contains(&r.conj_deps, tokens[k].dep):
                        has_conj = True
                    # cut before the dependent's whole subtree ("the man | who came", "X, | the Y")
                    j = <int>tokens[k].l_edge
                    if j <= i or j > k:
                        j = k
                    if j < cut:
                        cut = j
            # a conjunct that is itself a conj dependent is a link of a chained list ("apples, [pears, plums
            # and cherries]": each conjunct depends on the one before): its subtree is the rest of the
            # list, no entity; the whole list is the first conjunct's mention. (Without this a list of n
            # items also made n - 2 such tails, of n / 2 words on average: quadratic in the list.)
            if not (has_conj and hashset_contains(&r.conj_deps, t.dep)):
                count = _add_trimmed(r, tokens, out, count, start, end, i,
                                     MT_LIST if has_conj else (MT_PROPER if t.pos == PROPN else MT_NOMINAL),
                                     s_end, n)
            if cut < end:
                count = _add_trimmed(r, tokens, out, count, start, cut, i, MT_NOMINAL, s_end, n)
    if count == 0:
        return 0
    # Nested: sorted by (start, longest first), a mention is nested when an earlier one reaches past it
    qsort(out, count, sizeof(MentionC), _compare_start_longest)
    cdef int max_end = -1
    cdef int prev_start = -1, prev_end = -1
    for k in range(count):
        if out[k].start == prev_start and out[k].end == prev_end:
            out[k].nested = out[k - 1].nested  # a copy of the same span: nested as the first copy is
        else:
            out[k].nested = max_end >= out[k].end
        if out[k].end > max_end:
            max_end = out[k].end
        prev_start = out[k].start
        prev_end = out[k].end
    qsort(out, count, sizeof(MentionC), _compare_start_end)
    # Deduplicate identical spans, keeping the most specific type (pronoun < proper < nominal < list)
    j = 0
    for k in range(count):
        if j > 0 and out[k].start == out[j - 1].start and out[k].end == out[j - 1].end:
            if out[k].mention_type < out[j - 1].mention_type:
                out[j - 1].mention_type = out[k].mention_type
            continue
        out[j] = out[k]
        j += 1
    count = j
    for k in range(count):
        _fill_attributes(r, tokens, n, &out[k], sent_starts, sent_ends, sent_index,
                         gender, number, person, speaker)
    return count


cdef int8_t _proper_name_gender(const RulesC* r, const TokenC* tokens, const MentionC* m,
                                const int8_t* gender) noexcept nogil:
    """The gender of the first title, gendered noun or first name from the mention's start to its
    head ("[Mr. Smith]", "[Marie Curie]"); GENDER_UNKNOWN when there is none."""
    cdef int i
    cdef const TokenC* t
    for i in range(m.start, m.head + 1):
        t = &tokens[i]
        if t.pos != NOUN and t.pos != PROPN:
            continue
        if gender[i] != GENDER_UNKNOWN:
            return gender[i]
        if t.pos == PROPN and (t.ent_type == 0 or hashset_contains(&r.person_entity_labels, t.ent_type)):
            if hashset_contains(&r.masculine_names, t.lex.lower):
                return GENDER_MASC
            if hashset_contains(&r.feminine_names, t.lex.lower):
                return GENDER_FEM
    return GENDER_UNKNOWN


cdef hash_t _mix(hash_t h, hash_t value) noexcept nogil:
    return (h ^ value) * <hash_t>1099511628211 + <hash_t>0x9E3779B97F4A7C15


cdef void _fill_attributes(const RulesC* r, const TokenC* tokens, int n, MentionC* m,
                           const int32_t* sent_starts, const int32_t* sent_ends,
                           const int32_t* sent_index, const int8_t* gender,
                           const int8_t* number, const int8_t* person,
                           const int32_t* speaker) noexcept nogil:
    cdef int i, k
    cdef const TokenC* head = &tokens[m.head]
    cdef hash_t text = 0, relaxed = 0
    m.sent_start = sent_starts[m.head]
    m.sent_end = sent_ends[m.head]
    m.sent_index = sent_index[m.head]
    m.is_pronoun = m.mention_type == MT_PRONOUN
    if m.mention_type == MT_NOMINAL and (head.pos == PROPN or (
            head.ent_type != 0 and not hashset_contains(&r.nominal_entity_labels, head.ent_type))):
        m.mention_type = MT_PROPER
    m.gender = gender[m.head]
    if m.gender == GENDER_UNKNOWN and head.pos == PROPN and m.mention_type != MT_LIST:
        m.gender = _proper_name_gender(r, tokens, m, gender)
    m.number = NUMBER_PLUR if m.mention_type == MT_LIST else number[m.head]
    m.person = person[m.head] if m.is_pronoun else PERSON_3
    m.speaker = speaker[m.head]
    m.head_hash = head.lex.lower
    m.head_lemma = head.lemma
    m.ent_slot = -1
    if head.ent_type != 0:
        m.ent_slot = N_ENT_SLOTS - 1
        for k in range(min(r.n_entity_labels, N_ENT_SLOTS - 1)):
            if r.entity_labels[k] == head.ent_type:
                m.ent_slot = k
                break
    if hashset_contains(&r.subject_deps, head.dep):
        m.role = ROLE_SUBJ
    elif hashset_contains(&r.object_deps, head.dep):
        m.role = ROLE_OBJ
    elif hashset_contains(&r.oblique_deps, head.dep):
        m.role = ROLE_OBL
    elif hashset_contains(&r.possessive_deps, head.dep):
        m.role = ROLE_POSS
    else:
        m.role = ROLE_OTHER
    m.definite = 0
    if hashset_contains(&r.definite_words, tokens[m.start].lex.lower):
        m.definite = 1
    elif hashset_contains(&r.indefinite_words, tokens[m.start].lex.lower):
        m.definite = -1
    for i in range(m.start, m.end):
        text = _mix(text, tokens[i].lex.lower)
        if i <= m.head and not hashset_contains(&r.relaxed_skip_deps, tokens[i].dep) \
                and tokens[i].pos != DET and tokens[i].pos != PUNCT:
            relaxed = _mix(relaxed, tokens[i].lex.lower)
    m.text_hash = text
    m.relaxed_hash = relaxed
    m.blacklisted = (m.end - m.start == 1) and hashset_contains(&r.blacklist, head.lex.lower)


def token_c_fields(Doc doc):
    """TokenC fields as this extension reads them (the layout check in _compat compares them)."""
    out = []
    cdef int i
    for i in range(doc.length):
        t = &doc.c[i]
        out.append((t.lex.lower, <int>t.pos, t.dep, t.head, t.ent_type, t.ent_iob, <int>t.l_edge, <int>t.r_edge))
    return out
