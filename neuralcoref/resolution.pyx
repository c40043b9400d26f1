# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""From scores to clusters: best antecedent per mention, then the clusters of those links.

`score_and_link` is the runtime's hot loop: candidate antecedents, pair features, the
pair net (one hidden layer) and the best-antecedent choice, fused, without the GIL.
`ClusterAgreement` keeps that choice from joining clusters that clash in gender or number.
"""
from libc.stdint cimport int8_t, int32_t, int64_t, uint8_t, uint64_t

cimport cython

cimport numpy as cnp
import numpy

from cymem.cymem cimport Pool
from spacy.structs cimport SpanC
from spacy.tokens.doc cimport Doc
from spacy.tokens.span_group cimport SpanGroup

from .features cimport PairRules, _candidates, _pair_active
from .features import candidate_range
from .mentions cimport Mentions
from .structs cimport (GENDER_NEUT, GENDER_UNKNOWN, MT_PRONOUN, N_GENDERS, N_NUMBERS, NUMBER_UNKNOWN,
                       PAIR_FEATS_WIDTH, PERSON_1, PERSON_2, PERSON_3)

cnp.import_array()

# Agreement codes: bit g for a mention of known gender g, bit AGREE_NUMBER_SHIFT + k for a pronoun of
# known number k (nominal number is too loose to forbid a link: "the team ... they").
cdef enum:
    AGREE_NUMBER_SHIFT = N_GENDERS
    AGREE_GENDER_BITS = (1 << N_GENDERS) - 1
    AGREE_NUMBER_BITS = ((1 << N_NUMBERS) - 1) << AGREE_NUMBER_SHIFT

#: the bits of an agreement code that hold a gender, and those that hold a pronoun's number
AGREEMENT_GENDER_MASK = AGREE_GENDER_BITS
AGREEMENT_NUMBER_MASK = AGREE_NUMBER_BITS


def agreement_codes(gender, number, mention_type):
    """The agreement code of each mention (uint8), from its gender, number and mention type codes
    (`Mentions.columns()`, or the one-hot columns of cached mention features)."""
    gender = numpy.asarray(gender, dtype="int64")
    number = numpy.asarray(number, dtype="int64")
    pronoun = numpy.asarray(mention_type) == MT_PRONOUN
    if gender.shape != number.shape or gender.shape != pronoun.shape:
        raise ValueError("gender, number and mention_type differ in length")
    codes = numpy.where(gender != GENDER_UNKNOWN, 1 << gender.clip(0, N_GENDERS - 1), 0)
    number_bit = 1 << (AGREE_NUMBER_SHIFT + number.clip(0, N_NUMBERS - 1))
    codes |= numpy.where(pronoun & (number != NUMBER_UNKNOWN), number_bit, 0)
    return codes.astype("uint8")


def mention_agreement_codes(columns):
    """`agreement_codes` of a Doc's mentions, from their `Mentions.columns()`; with a "time_entity"
    column (`constraints.constraint_columns`), dates and times are neuter: never a person."""
    gender = numpy.asarray(columns["gender"])
    if "time_entity" in columns:
        gender = numpy.where(numpy.asarray(columns["time_entity"]) != 0, GENDER_NEUT, gender)
    return agreement_codes(gender, columns["number"], columns["mention_type"])


#: persons that the person constraint keeps apart within one speaker's text
CONSTRAINED_PERSONS = (PERSON_1, PERSON_2, PERSON_3)
#: speakers are told apart by a bit of a 64-bit set: speaker ids beyond 63 share bits (modulo 64),
#: which can only forbid a link, never allow one
N_SPEAKER_BITS = 64


def pronoun_persons(person, mention_type):
    """Per mention, the person that the person constraint checks (int8): the person code of a pronoun
    of known first, second or third person, -1 for every other mention (names and nominals are not
    constrained: "I, John Smith, ...")."""
    person = numpy.asarray(person, dtype="int64")
    pronoun = numpy.asarray(mention_type) == MT_PRONOUN
    if person.shape != pronoun.shape:
        raise ValueError("person and mention_type differ in length")
    known = numpy.isin(person, CONSTRAINED_PERSONS)
    return numpy.where(pronoun & known, person, -1).astype("int8")


def speaker_bits(speaker):
    """Per mention, the bit of its speaker in a 64-bit speaker set (uint64); unknown speakers (-1)
    are one speaker, the narrator: plain text is one speaker's text."""
    speaker = numpy.asarray(speaker, dtype="int64")
    return (numpy.uint64(1) << ((speaker + 1) % N_SPEAKER_BITS).astype("uint64")).astype("uint64")


def linking_constraints(columns, bint require_agreement):
    """The `ClusterAgreement` of a Doc's mentions: the person and binding constraints always, gender
    and number agreement with `require_agreement`. columns (dict): "gender", "number", "mention_type",
    "person", "speaker", "sent_index" (`Mentions.columns()`), "governor", "core_role"
    (`constraints.binding_columns`), "head_lemma" and "modifiers" (`constraints.modifier_columns`),
    "time_entity" (`constraints.time_entity_column`, optional) per mention, mentions in document order; or the trainer's cached
    arrays of the same names."""
    codes = mention_agreement_codes(columns)
    if not require_agreement:
        codes = numpy.zeros_like(codes)
    sent_index = numpy.asarray(columns["sent_index"])
    sentence_first = numpy.searchsorted(sent_index, sent_index, side="left").astype("int32")
    agreement = ClusterAgreement(codes, pronoun_persons(columns["person"], columns["mention_type"]),
                                 speaker_bits(columns["speaker"]),
                                 numpy.ascontiguousarray(columns["governor"], dtype="int32"),
                                 numpy.ascontiguousarray(columns["core_role"], dtype="int8"), sentence_first)
    agreement.set_spans(numpy.ascontiguousarray(columns["start"], dtype="int32"),
                        numpy.ascontiguousarray(columns["end"], dtype="int32"),
                        numpy.ascontiguousarray(numpy.asarray(columns["mention_type"]) == MT_PRONOUN, dtype="int8"))
    agreement.set_modifiers(numpy.ascontiguousarray(columns["head_lemma"], dtype="uint64"),
                            numpy.ascontiguousarray(columns["modifiers"], dtype="uint64"))
    return agreement


@cython.final
cdef class ClusterAgreement:
    """What the clusters of one Doc hold so far, so that linking never joins a cluster that clashes
    with the mention. Two constraints:

    - agreement (`require_agreement`): another gender among its members of known gender, or, for a
      pronoun, another number among its pronouns. Pairs are scored one at a time; without this,
      "[the doctor] ... he ... she" can link both pronouns to "the doctor" and make one entity of two.
    - person (always): within one speaker's text, first-, second- and third-person pronouns never
      share a cluster ("My sister has a dog. She loves him.": *My* is not *him*). Across speakers
      they do: A's "I" is B's "you" and C's "she".
    - binding (always): a subject and an object of one predicate (`constraints.binding_columns`)
      never share a cluster unless one is reflexive ("John saw him"; "John saw himself").
    - i-within-i (always, pair by pair): a mention and a pronoun inside it ("[My] sister" / "My") are
      never antecedent and anaphor.
    - modifier clash (always, pair by pair): a nominal never takes as antecedent a mention with the
      same head and modifiers that neither contains ("the land surface" / "the warm sea surface").

    Linking goes through mentions in order; a mention is finished (its cluster known) once every
    pair of it has been seen, which `_finish_before` records for all mentions before the next one.
    codes (uint8 [n]): `agreement_codes` of the Doc's mentions (all 0: agreement not required).
    persons (int8 [n]) and speakers (uint64 [n]): `pronoun_persons` and `speaker_bits` (None: no
        person constraint, for callers that only test agreement).
    governors (int32 [n]), roles (int8 [n]) and sentence_first (int32 [n], the first mention of each
        mention's sentence): the binding constraint's inputs (None: no binding constraint).
    """
    cdef const uint8_t[::1] codes
    cdef const int8_t[::1] persons
    cdef const uint64_t[::1] speakers
    cdef const int32_t[::1] governors
    cdef const int8_t[::1] roles
    cdef const int32_t[::1] sentence_first
    cdef const int32_t[::1] starts
    cdef const int32_t[::1] ends
    cdef const int8_t[::1] pronouns
    cdef bint has_spans
    cdef const uint64_t[::1] head_lemmas
    cdef const uint64_t[:, ::1] modifiers  # per mention: sorted hashes, then zeros
    cdef bint has_persons
    cdef int32_t[::1] cluster_of   # per finished mention: the first mention of its cluster
    cdef uint8_t[::1] cluster_codes  # per cluster (first mention): the union of its members' codes
    cdef uint64_t[:, ::1] cluster_speakers  # per cluster and person: the speakers of its pronouns
    cdef const uint8_t[::1] carried_codes  # per mention: what its cluster's members before a window add
    cdef const uint64_t[:, ::1] carried_speakers
    cdef bint has_carried
    cdef readonly int n_finished

    def __init__(self, const uint8_t[::1] codes, const int8_t[::1] persons=None,
                 const uint64_t[::1] speakers=None, const int32_t[::1] governors=None,
                 const int8_t[::1] roles=None, const int32_t[::1] sentence_first=None):
        n = codes.shape[0]
        if roles is not None:
            if governors is None or sentence_first is None or governors.shape[0] != n or roles.shape[0] != n \
                    or sentence_first.shape[0] != n:
                raise ValueError(f"governors, roles and sentence_first must all cover the {n} mentions")
            self.governors, self.roles, self.sentence_first = governors, roles, sentence_first
        else:
            self.governors = numpy.full(n, -1, dtype="int32")
            self.roles = numpy.zeros(n, dtype="int8")
            self.sentence_first = numpy.zeros(n, dtype="int32")
        self.has_carried = False
        self.has_persons = persons is not None
        if self.has_persons:
            if speakers is None or persons.shape[0] != n or speakers.shape[0] != n:
                raise ValueError(f"persons and speakers must both cover the {n} mentions")
            self.persons = persons
            self.speakers = speakers
        else:
            self.persons = numpy.full(n, -1, dtype="int8")
            self.speakers = numpy.zeros(n, dtype="uint64")
        self.codes = codes
        self.cluster_of = numpy.zeros(n, dtype="int32")
        self.cluster_codes = numpy.zeros(n, dtype="uint8")
        self.cluster_speakers = numpy.zeros((n, 3), dtype="uint64")
        self.n_finished = 0
        self.set_modifiers(numpy.zeros(n, dtype="uint64"), numpy.zeros((n, 1), dtype="uint64"))

    def set_spans(self, const int32_t[::1] starts, const int32_t[::1] ends, const int8_t[::1] pronouns):
        """Token spans and pronoun flags of the mentions, for the i-within-i constraint: a mention never
        takes as antecedent a pronoun inside it, nor a mention that holds it ("[My] sister" / "My")."""
        n = self.codes.shape[0]
        if starts.shape[0] != n or ends.shape[0] != n or pronouns.shape[0] != n:
            raise ValueError(f"starts, ends and pronouns must cover the {n} mentions")
        self.starts, self.ends, self.pronouns, self.has_spans = starts, ends, pronouns, True

    def set_modifiers(self, const uint64_t[::1] head_lemmas, const uint64_t[:, ::1] modifiers):
        """The modifier clash's inputs (`constraints.modifier_columns`): each mention's head lemma and
        its modifier hashes, sorted, then zeros."""
        n = self.codes.shape[0]
        if head_lemmas.shape[0] != n or modifiers.shape[0] != n or modifiers.shape[1] < 1:
            raise ValueError(f"head_lemmas and modifiers must cover the {n} mentions")
        self.head_lemmas, self.modifiers = head_lemmas, modifiers

    def __len__(self):
        return self.codes.shape[0]

    def carry(self, const uint8_t[::1] codes, const uint64_t[:, ::1] speakers):
        """What the clusters bring from mentions before these (a window of a longer text, as
        `neuralcoref.conversation` links one): when mention k is finished, its cluster also gets the
        agreement codes `codes[k]` and, per person p, the pronoun speakers `speakers[k, p]`. Give them
        at the first mention of each cluster in the window; call before any linking."""
        n = self.codes.shape[0]
        if codes.shape[0] != n or speakers.shape[0] != n or speakers.shape[1] != 3:
            raise ValueError(f"carried codes and speakers must cover the {n} mentions ([n] and [n, 3])")
        if self.n_finished:
            raise ValueError("carry before linking")
        self.carried_codes, self.carried_speakers, self.has_carried = codes, speakers, True

    cdef inline bint _constrains(self, int j) noexcept nogil:
        """Whether mention j has anything to check (most nominals do not)."""
        return (self.codes[j] != 0 or self.persons[j] >= 0 or self.roles[j] != 0 or self.modifiers[j, 0] != 0
                or self.has_spans)

    cdef inline bint _contains(self, int a, int b) noexcept nogil:
        """Whether mention a's modifiers include all of mention b's (both sorted, then zeros)."""
        cdef int width = self.modifiers.shape[1]
        cdef int x = 0, y = 0
        while y < width and self.modifiers[b, y] != 0:
            while x < width and self.modifiers[a, x] != 0 and self.modifiers[a, x] < self.modifiers[b, y]:
                x += 1
            if x == width or self.modifiers[a, x] != self.modifiers[b, y]:
                return False
            y += 1
        return True

    cdef inline bint _modifiers_clash(self, int i, int j) noexcept nogil:
        """Same head, and modifiers of their own that neither mention's include."""
        if self.head_lemmas[i] != self.head_lemmas[j] or self.modifiers[i, 0] == 0 or self.modifiers[j, 0] == 0:
            return False
        return not (self._contains(i, j) or self._contains(j, i))

    cdef inline bint _agrees(self, int i, int j) noexcept nogil:
        """Whether mention j may join the cluster of finished mention i."""
        cdef int root = self.cluster_of[i]
        cdef uint8_t mine = self.codes[j]
        cdef uint8_t theirs = self.cluster_codes[root]
        cdef int person = self.persons[j]
        cdef int other
        if (mine & AGREE_GENDER_BITS) and (theirs & AGREE_GENDER_BITS & ~mine):
            return False
        if (mine & AGREE_NUMBER_BITS) and (theirs & AGREE_NUMBER_BITS & ~mine):
            return False
        if person >= 0:
            for other in range(3):
                if other != person and self.cluster_speakers[root, other] & self.speakers[j]:
                    return False
        if self._modifiers_clash(i, j):
            return False
        if self.has_spans and (self.pronouns[i] or self.pronouns[j]) and self.starts[i] < self.ends[j] \
                and self.starts[j] < self.ends[i]:  # one inside the other, one a pronoun: "[My] sister"
            return False
        cdef int role = self.roles[j]
        cdef int k
        if role:  # a clause-mate of the other role already in the cluster (mentions before j are finished)
            for k in range(self.sentence_first[j], j):
                if self.cluster_of[k] == root and self.roles[k] and self.roles[k] != role \
                        and self.governors[k] == self.governors[j]:
                    return False
        return True

    cdef inline void _finish_before(self, int j, const int32_t[::1] best) noexcept nogil:
        """Add every mention before j that is not finished yet to its antecedent's cluster."""
        cdef int k, root, p
        while self.n_finished < j:
            k = self.n_finished
            root = self.cluster_of[best[k]] if 0 <= best[k] < k else k
            self.cluster_of[k] = root
            self.cluster_codes[root] |= self.codes[k]
            if self.persons[k] >= 0:
                self.cluster_speakers[root, self.persons[k]] |= self.speakers[k]
            if self.has_carried:
                self.cluster_codes[root] |= self.carried_codes[k]
                for p in range(3):
                    self.cluster_speakers[root, p] |= self.carried_speakers[k, p]
            self.n_finished += 1


cdef int _check_agreement(ClusterAgreement agreement, Py_ssize_t n, int first) except -1:
    if agreement is None:
        return 0
    if len(agreement) != n:
        raise ValueError(f"the agreement codes cover {len(agreement)} mentions, the Doc has {n}")
    if first < agreement.n_finished:
        raise ValueError(f"mention {first} was already linked: blocks must come in mention order")
    return 0


cdef inline void _link_if_better(int32_t j, int32_t i, float score, const float[::1] single_scores,
                                 float threshold_offset, int32_t[::1] best, float[::1] best_scores) noexcept nogil:
    """NeuralCoref's link rule: mention j takes candidate i when the pair score beats its "no
    antecedent" score plus the greedyness offset and every candidate seen before."""
    if score > single_scores[j] + threshold_offset and (best[j] < 0 or score > best_scores[j]):
        best[j] = i
        best_scores[j] = score


def best_antecedents(const int32_t[::1] pair_ant, const int32_t[::1] pair_ment,
                     const float[::1] pair_scores, const float[::1] single_scores,
                     int32_t[::1] best, float[::1] best_scores, float threshold_offset,
                     ClusterAgreement agreement=None):
    """Pick each mention's antecedent among its scored candidate pairs.

    Pairs must be grouped by mention. A mention links to its best-scoring candidate when
    that score beats its own "no antecedent" score plus `threshold_offset` (NeuralCoref's
    greedyness: offset = 50 * (0.5 - greedyness)). Results go into `best` (-1: none) and
    `best_scores`, indexed by mention.
    agreement (ClusterAgreement or None): the Doc's; then only candidates whose cluster agrees
        count, pairs must come in ascending mention order, and blocks of a Doc in order.
    """
    cdef Py_ssize_t n_pairs = pair_ant.shape[0]
    cdef Py_ssize_t n = best.shape[0]
    if pair_ment.shape[0] != n_pairs or pair_scores.shape[0] != n_pairs:
        raise ValueError("pair arrays differ in length")
    if single_scores.shape[0] != n or best_scores.shape[0] != n:
        raise ValueError("mention arrays differ in length")
    cdef Py_ssize_t p
    for p in range(n_pairs):
        if not (0 <= pair_ant[p] < pair_ment[p] < n):
            raise IndexError(f"pair {p} ({pair_ant[p]}, {pair_ment[p]}) is not an earlier mention")
        if agreement is not None and p > 0 and pair_ment[p] < pair_ment[p - 1]:
            raise ValueError(f"pair {p}: pairs must come in ascending mention order")
    if n_pairs > 0:
        _check_agreement(agreement, n, pair_ment[0])
    cdef bint constrained = agreement is not None
    cdef int32_t i, j
    cdef float score
    with nogil:
        for p in range(n_pairs):
            i = pair_ant[p]
            j = pair_ment[p]
            score = pair_scores[p]
            if constrained:
                agreement._finish_before(j, best)
                if agreement._constrains(j) and not agreement._agrees(i, j):
                    continue
            _link_if_better(j, i, score, single_scores, threshold_offset, best, best_scores)


cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>

    /* One pair through a pair net with one hidden layer, in the numpy Scorer's order of operations:
       h = ((as_ant + as_ment) + feats @ feat_weights) + bias; relu; h @ out_weights + out_bias.
       Pair features are 0/1, so `feats @ feat_weights` is the sum of the weight rows of the active
       columns, added in column order as the matrix product adds them. The dot product keeps 8
       partial sums (lane k % 8), then adds them in a fixed tree. Every variant below (AVX2, SSE/NEON
       through the compiler's vector extension, plain C) does the same float operations in the same
       order (no fused multiply-add), so all give the same bits. */
    #if defined(__GNUC__) || defined(__clang__)
    #define NC_VECTOR_EXTENSION 1
    #if defined(__GNUC__) && !defined(__clang__)
    #pragma GCC diagnostic ignored "-Wpsabi"  /* 32-byte vectors only live inside always_inline code */
    #endif
    typedef float nc_v4 __attribute__((vector_size(16)));
    typedef int32_t nc_v4i __attribute__((vector_size(16)));
    typedef float nc_v8 __attribute__((vector_size(32)));
    typedef int32_t nc_v8i __attribute__((vector_size(32)));

    template <typename V>
    static inline __attribute__((always_inline)) V nc_load(const float* p) {
        V v;
        memcpy(&v, p, sizeof(V));
        return v;
    }

    template <typename V, typename VI>
    static inline __attribute__((always_inline)) float nc_pair_score_vec(
            const float* as_ant, const float* as_ment, const float* feat_weights, const int32_t* active,
            int n_active, const float* bias, const float* out_weights, float out_bias, int width) {
        const int L = sizeof(V) / sizeof(float), Q = 8 / L;
        const V zero = {};
        V acc[Q];
        float lanes[8];
        int k = 0, q, f;
        for (q = 0; q < Q; q++) acc[q] = zero;
        for (; k + 8 <= width; k += 8) {
            for (q = 0; q < Q; q++) {
                const int o = k + q * L;
                V v = nc_load<V>(as_ant + o) + nc_load<V>(as_ment + o);
                if (n_active > 0) {
                    V sum = nc_load<V>(feat_weights + (size_t)active[0] * width + o);
                    for (f = 1; f < n_active; f++) sum += nc_load<V>(feat_weights + (size_t)active[f] * width + o);
                    v += sum;
                } else {
                    v += zero;
                }
                v += nc_load<V>(bias + o);
                v = (V)((VI)v & (VI)(v > zero));
                acc[q] += v * nc_load<V>(out_weights + o);
            }
        }
        memcpy(lanes, acc, sizeof(lanes));
        for (; k < width; k++) {
            float sum = 0.0f, value = as_ant[k] + as_ment[k];
            for (f = 0; f < n_active; f++) {
                const float w = feat_weights[(size_t)active[f] * width + k];
                sum = f == 0 ? w : sum + w;
            }
            value = (value + sum) + bias[k];
            lanes[0] += (value > 0.0f ? value : 0.0f) * out_weights[k];
        }
        return (((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7])))
               + out_bias;
    }
    #if defined(__x86_64__) || defined(__i386__)
    #define NC_HAVE_AVX2_PATH 1
    __attribute__((target("avx2"))) static float nc_pair_score_avx2(
            const float* as_ant, const float* as_ment, const float* feat_weights, const int32_t* active,
            int n_active, const float* bias, const float* out_weights, float out_bias, int width) {
        return nc_pair_score_vec<nc_v8, nc_v8i>(as_ant, as_ment, feat_weights, active, n_active, bias,
                                                out_weights, out_bias, width);
    }
    static int nc_avx2 = -1;  /* -1: not checked yet */
    static int nc_use_avx2(void) {
        if (nc_avx2 < 0) {
            __builtin_cpu_init();
            nc_avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
        }
        return nc_avx2;
    }
    #else
    #define NC_HAVE_AVX2_PATH 0
    static int nc_avx2 = 0;
    static int nc_use_avx2(void) { return 0; }
    #endif
    #else  /* no vector extension (MSVC): plain C, same operations */
    #define NC_VECTOR_EXTENSION 0
    #define NC_HAVE_AVX2_PATH 0
    static int nc_avx2 = 0;
    static int nc_use_avx2(void) { return 0; }
    #endif

    static float nc_pair_score_scalar(const float* as_ant, const float* as_ment, const float* feat_weights,
                                      const int32_t* active, int n_active, const float* bias,
                                      const float* out_weights, float out_bias, int width) {
        float lanes[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
        int k, f, n8 = width - width % 8;
        for (k = 0; k < width; k++) {
            float sum = 0.0f, value = as_ant[k] + as_ment[k];
            for (f = 0; f < n_active; f++) {
                const float w = feat_weights[(size_t)active[f] * width + k];
                sum = f == 0 ? w : sum + w;
            }
            value = (value + sum) + bias[k];
            lanes[k < n8 ? k % 8 : 0] += (value > 0.0f ? value : 0.0f) * out_weights[k];
        }
        return (((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7])))
               + out_bias;
    }

    /* The bilinear term of the pair score, a . b over `width` floats: 8 partial sums (lane k % 8) added
       in the same fixed tree as above, in plain C for every instruction set (the compiler may
       vectorize the lanes; it may not reorder the additions), so all levels give the same bits. */
    static inline float nc_dot(const float* a, const float* b, int width) {
        float lanes[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
        int k;
        for (k = 0; k < width; k++) lanes[k % 8] += a[k] * b[k];
        return ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
    }

    /* 0: plain C, 1: compiler vector extension (SSE2/NEON), 2: AVX2 where the CPU has it */
    static int nc_simd_level = -1;

    static int nc_get_simd(void) {
        if (nc_simd_level < 0) nc_simd_level = nc_use_avx2() ? 2 : NC_VECTOR_EXTENSION;
        return nc_simd_level;
    }

    static int nc_set_simd(int level) {
        int best = nc_use_avx2() ? 2 : NC_VECTOR_EXTENSION;
        nc_simd_level = level < 0 || level > best ? best : level;
        return nc_simd_level;
    }

    static inline float nc_pair_score(int simd, const float* as_ant, const float* as_ment,
                                      const float* feat_weights, const int32_t* active, int n_active,
                                      const float* bias, const float* out_weights, float out_bias, int width) {
    #if NC_VECTOR_EXTENSION
    #if NC_HAVE_AVX2_PATH
        if (simd == 2) return nc_pair_score_avx2(as_ant, as_ment, feat_weights, active, n_active, bias,
                                                 out_weights, out_bias, width);
    #endif
        if (simd >= 1) return nc_pair_score_vec<nc_v4, nc_v4i>(as_ant, as_ment, feat_weights, active, n_active,
                                                               bias, out_weights, out_bias, width);
    #endif
        return nc_pair_score_scalar(as_ant, as_ment, feat_weights, active, n_active, bias, out_weights,
                                    out_bias, width);
    }
    """
    int nc_get_simd() noexcept nogil
    int nc_set_simd(int level) noexcept nogil
    float nc_pair_score(int simd, const float* as_ant, const float* as_ment, const float* feat_weights,
                        const int32_t* active, int n_active, const float* bias, const float* out_weights,
                        float out_bias, int width) noexcept nogil
    float nc_dot(const float* a, const float* b, int width) noexcept nogil


SIMD_NAMES = {0: "plain C", 1: "vector extension (SSE2/NEON)", 2: "AVX2"}


def simd(level=None):
    """The pair scorer's instruction set: 0 plain C, 1 128-bit vectors, 2 AVX2 (the best the CPU has
    is the default). With `level`, use at most that one (all give the same bits; for tests).
    RETURNS (int): the level in use.
    """
    return nc_get_simd() if level is None else nc_set_simd(level)


def score_and_link(Doc doc, Mentions mentions, PairRules rules, int first, int last, int base,
                   const float[:, ::1] as_ant, const float[:, ::1] as_ment,
                   const float[:, ::1] feat_weights, const float[::1] bias, const float[::1] out_weights,
                   float out_bias, const float[::1] single_scores, float threshold_offset,
                   int max_dist, int max_dist_match, bint blacklist,
                   int32_t[::1] best, float[::1] best_scores, int32_t[::1] out_ant=None,
                   int32_t[::1] out_ment=None, float[::1] out_scores=None, int bilinear_width=0,
                   ClusterAgreement agreement=None):
    """Candidates, pair features, pair scores and best antecedents of mentions first..last-1, in one
    pass without the GIL, for a pair net with one hidden layer (`Scorer.fused_pair_weights`).

    The same result as `candidate_pairs` + `pair_features` + `Scorer.pair_scores` +
    `best_antecedents` (up to float rounding in the output dot product), with no pair arrays.
    as_ant (float32 [rows, H + B]): antecedent projections of mentions base.., enough rows to
        reach back `max_dist_match` mentions from `first` (base <= first - max_dist_match); the
        last B = `bilinear_width` columns are the bilinear projections (`Scorer.pair_projections`).
    as_ment (float32 [last - first, H + B]): mention projections of mentions first..last-1.
    feat_weights (float32 [PAIR_FEATS_WIDTH, H]): pair.feat.W transposed. bias: pair.0.b.
    out_weights (float32 [H]), out_bias: pair.out.
    single_scores, best, best_scores, agreement: per mention of the Doc, as in `best_antecedents`.
    out_ant, out_ment, out_scores: optional, at least `count_pairs(...)` long: every pair's
        antecedent, mention and score, in `candidate_pairs` order.
    RETURNS (int): the number of pairs scored.
    """
    cdef int n = mentions.length
    cdef int width = bias.shape[0]
    cdef int stride = width + bilinear_width
    if mentions.doc_length != doc.length:
        raise ValueError("mentions do not belong to this Doc")
    first, last, max_dist, max_dist_match = candidate_range(mentions, first, last, max_dist, max_dist_match)
    if single_scores.shape[0] != n or best.shape[0] != n or best_scores.shape[0] != n:
        raise ValueError("mention arrays differ in length")
    if bilinear_width < 0 or as_ant.shape[1] != stride or as_ment.shape[1] != stride or feat_weights.shape[1] != width \
            or out_weights.shape[0] != width or feat_weights.shape[0] != PAIR_FEATS_WIDTH:
        raise ValueError("pair weights and projections differ in width")
    if last <= first:
        return 0
    _check_agreement(agreement, n, first)
    if base < 0 or base > max(0, first - max_dist_match) or as_ant.shape[0] < last - base \
            or as_ment.shape[0] < last - first:
        raise ValueError(f"projection rows do not cover mentions {first}..{last - 1} (base {base})")
    cdef bint store = out_ant is not None or out_ment is not None or out_scores is not None
    cdef Py_ssize_t capacity = 0
    if store:
        if out_ant is None or out_ment is None or out_scores is None:
            raise ValueError("give all of out_ant, out_ment, out_scores, or none")
        capacity = min(out_ant.shape[0], out_ment.shape[0], out_scores.shape[0])
    cdef Pool mem = Pool()
    cdef int32_t* candidates = <int32_t*>mem.alloc(max(1, max_dist_match), sizeof(int32_t))
    cdef int32_t active[PAIR_FEATS_WIDTH]
    cdef const float* ant_rows = &as_ant[0, 0]
    cdef const float* ment_rows = &as_ment[0, 0]
    cdef Py_ssize_t pos = 0
    cdef int j, count, c, i, n_active
    cdef float score
    cdef bint overflow = False
    cdef int simd_level = nc_get_simd()
    cdef bint constrained = agreement is not None
    cdef bint checked
    with nogil:
        for j in range(first, last):
            checked = False
            if constrained:
                agreement._finish_before(j, best)
                checked = agreement._constrains(j)  # most nominals: nothing to check
            count = _candidates(mentions.c, j, max_dist, max_dist_match, blacklist, candidates)
            if store and pos + count > capacity:
                overflow = True
                break
            for c in range(count):
                i = candidates[c]
                n_active = _pair_active(doc.c, doc.length, &mentions.c[i], &mentions.c[j], j - i, &rules.c,
                                        active)
                score = nc_pair_score(simd_level, &ant_rows[(i - base) * stride], &ment_rows[(j - first) * stride],
                                      &feat_weights[0, 0], active, n_active, &bias[0], &out_weights[0],
                                      out_bias, width)
                if bilinear_width:
                    score += nc_dot(&ant_rows[(i - base) * stride + width],
                                    &ment_rows[(j - first) * stride + width], bilinear_width)
                if store:
                    out_ant[pos] = i
                    out_ment[pos] = j
                    out_scores[pos] = score
                pos += 1
                if checked and not agreement._agrees(i, j):
                    continue
                _link_if_better(j, i, score, single_scores, threshold_offset, best, best_scores)
    if overflow:
        raise ValueError(f"the output arrays hold {capacity} pairs, fewer than mentions {first}..{last - 1} have")
    return pos


def cluster_members(const int32_t[::1] best):
    """The clusters of >= 2 mentions, as (members, offsets): cluster k is members[offsets[k]:offsets[k+1]].

    A mention joins its antecedent's cluster (antecedents come first); clusters are ordered by
    their first mention and list their mentions in ascending order.
    """
    cdef Py_ssize_t n = best.shape[0]
    cdef Pool mem = Pool()
    cdef int32_t* ids = <int32_t*>mem.alloc(max(n, 1), sizeof(int32_t))
    cdef int64_t* size = <int64_t*>mem.alloc(max(n, 1), sizeof(int64_t))  # per cluster root, then its slot
    cdef Py_ssize_t j, n_clusters = 0, n_members = 0
    with nogil:
        for j in range(n):  # cluster id = its antecedent's, or its own index
            ids[j] = ids[best[j]] if 0 <= best[j] < j else <int32_t>j
            size[ids[j]] += 1
        for j in range(n):
            if size[j] > 1:
                n_clusters += 1
                n_members += size[j]
    members = numpy.empty(n_members, dtype="int32")
    offsets = numpy.empty(n_clusters + 1, dtype="int64")
    if n_clusters == 0:
        offsets[0] = 0
        return members, offsets
    cdef int32_t[::1] member_view = members
    cdef int64_t[::1] offset_view = offsets
    cdef int64_t position = 0
    cdef Py_ssize_t k = 0
    with nogil:
        offset_view[0] = 0
        for j in range(n):  # size[root] becomes the root's next free position in `members` (-1: no cluster)
            if size[j] > 1:
                position += size[j]
                size[j] = position - size[j]
                k += 1
                offset_view[k] = position
            else:
                size[j] = -1
        for j in range(n):
            if size[ids[j]] >= 0:
                member_view[size[ids[j]]] = <int32_t>j
                size[ids[j]] += 1
    return members, offsets


def span_groups(Doc doc, const int32_t[::1] starts, const int32_t[::1] ends, const int32_t[::1] members,
                const int64_t[::1] offsets, names):
    """One SpanGroup per cluster, members[offsets[k]:offsets[k+1]] of the mentions (starts, ends).

    The same groups as `SpanGroup(doc, name=names[k], spans=[doc[s:e] for each member])`, built
    from SpanC structs directly: spaCy's Span constructor makes three Token objects to find the
    character offsets, which costs more than all the rest of the annotation.
    RETURNS (list): the SpanGroups, in cluster order.
    """
    cdef Py_ssize_t n_clusters = offsets.shape[0] - 1
    if len(names) != n_clusters:
        raise ValueError("one name per cluster")
    cdef Py_ssize_t k, p
    cdef int32_t m, start, end
    for p in range(members.shape[0]):
        m = members[p]
        if not (0 <= m < starts.shape[0] and m < ends.shape[0] and 0 <= starts[m] < ends[m] <= doc.length):
            raise IndexError(f"mention {m} is not a span of this Doc")
    cdef SpanGroup group
    cdef SpanC span
    span.id = 0
    span.label = 0
    span.kb_id = 0
    out = []
    for k in range(n_clusters):
        group = SpanGroup(doc, name=names[k])
        for p in range(offsets[k], offsets[k + 1]):
            m = members[p]
            start = starts[m]
            end = ends[m]
            span.start = start
            span.end = end
            span.start_char = doc.c[start].idx
            span.end_char = doc.c[end - 1].idx + doc.c[end - 1].lex.length
            group.push_back(span)
        out.append(group)
    return out
