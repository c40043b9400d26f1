# cython: language_level=3
"""C structs and feature-layout constants shared by mentions, features and resolution.

The feature layout is defined here once: features.pyx writes these columns and
exposes their names to Python (`neuralcoref.layout`), which the trainer imports.
Change a column and LAYOUT_VERSION must change with it.
"""
from libc.stdint cimport int8_t, int32_t, uint64_t

from spacy.typedefs cimport hash_t


cdef enum:
    LAYOUT_VERSION = 1

# Mention types
cdef enum:
    MT_PRONOUN = 0
    MT_PROPER = 1
    MT_NOMINAL = 2
    MT_LIST = 3
    N_MENTION_TYPES = 4

# Grammatical values per token/mention (read from Token.morph, then the rule set's lexicons)
cdef enum:
    GENDER_MASC = 0
    GENDER_FEM = 1
    GENDER_NEUT = 2
    GENDER_UNKNOWN = 3
    N_GENDERS = 4
    NUMBER_SING = 0
    NUMBER_PLUR = 1
    NUMBER_UNKNOWN = 2
    N_NUMBERS = 3
    PERSON_1 = 0
    PERSON_2 = 1
    PERSON_3 = 2
    PERSON_UNKNOWN = 3
    N_PERSONS = 4

# Grammatical role of the mention head
cdef enum:
    ROLE_SUBJ = 0
    ROLE_OBJ = 1
    ROLE_OBL = 2
    ROLE_POSS = 3
    ROLE_OTHER = 4
    N_ROLES = 5

cdef enum:
    N_BUCKETS = 10
    N_ENT_SLOTS = 20   # entity labels of the rule set; the last slot is "other label"

# Embedding slots per mention: head, first, last, 2 before, 2 after, head's governor
cdef enum:
    W_HEAD = 0
    W_FIRST = 1
    W_LAST = 2
    W_PREV1 = 3
    W_PREV2 = 4
    W_NEXT1 = 5
    W_NEXT2 = 6
    W_GOVERNOR = 7
    N_WORD_SLOTS = 8

# Averages of doc.tensor per mention: span, head, 5 tokens before, 5 tokens after
cdef enum:
    T_SPAN = 0
    T_HEAD = 1
    T_BEFORE = 2
    T_AFTER = 3
    N_TENSOR_SLOTS = 4
    CONTEXT_WINDOW = 5

# Dense mention feature columns (offsets)
cdef enum:
    MF_TYPE = 0
    MF_LENGTH = MF_TYPE + N_MENTION_TYPES
    MF_POSITION = MF_LENGTH + N_BUCKETS
    MF_NESTED = MF_POSITION + 1
    MF_ENT = MF_NESTED + 1
    MF_GENDER = MF_ENT + N_ENT_SLOTS
    MF_NUMBER = MF_GENDER + N_GENDERS
    MF_PERSON = MF_NUMBER + N_NUMBERS
    MF_DEFINITE = MF_PERSON + N_PERSONS
    MF_INDEFINITE = MF_DEFINITE + 1
    MF_ROLE = MF_INDEFINITE + 1
    MF_HAS_SPEAKER = MF_ROLE + N_ROLES
    MENTION_FEATS_WIDTH = MF_HAS_SPEAKER + 1

# Dense pair feature columns (offsets)
cdef enum:
    PF_EXACT_MATCH = 0
    PF_RELAXED_MATCH = 1
    PF_HEAD_MATCH = 2
    PF_LEMMA_MATCH = 3
    PF_NESTED = 4
    PF_SENT_DIST = 5
    PF_MENTION_DIST = PF_SENT_DIST + N_BUCKETS
    PF_SAME_SPEAKER = PF_MENTION_DIST + N_BUCKETS
    PF_OTHER_SPEAKER = PF_SAME_SPEAKER + 1
    PF_I_I_SAME_SPEAKER = PF_OTHER_SPEAKER + 1
    PF_I_YOU_OTHER_SPEAKER = PF_I_I_SAME_SPEAKER + 1
    PF_YOU_I_OTHER_SPEAKER = PF_I_YOU_OTHER_SPEAKER + 1
    PF_GENDER_AGREE = PF_YOU_I_OTHER_SPEAKER + 1
    PF_GENDER_CLASH = PF_GENDER_AGREE + 1
    PF_NUMBER_AGREE = PF_GENDER_CLASH + 1
    PF_NUMBER_CLASH = PF_NUMBER_AGREE + 1
    PF_ENT_SAME = PF_NUMBER_CLASH + 1
    PF_ENT_CLASH = PF_ENT_SAME + 1
    PF_APPOSITIVE = PF_ENT_CLASH + 1
    PF_PREDICATE = PF_APPOSITIVE + 1
    PF_CONTAINS_HEAD = PF_PREDICATE + 1
    PAIR_FEATS_WIDTH = PF_CONTAINS_HEAD + 1


cdef struct MentionC:
    int32_t start          # first token (doc index)
    int32_t end            # one past the last token
    int32_t head           # head token (doc index)
    int32_t sent_start
    int32_t sent_end
    int32_t sent_index
    int32_t mention_type
    int32_t ent_slot       # -1: no entity label
    int8_t gender
    int8_t number
    int8_t person
    int8_t role
    int8_t definite        # 1 definite determiner, -1 indefinite, 0 none
    int8_t nested          # inside another mention
    int8_t blacklisted     # matches the rule set's blacklist (I, you, ...)
    int8_t is_pronoun
    int32_t speaker        # -1: unknown
    hash_t text_hash       # lowercased words
    hash_t relaxed_hash    # lowercased words without determiners/possessives, up to the head
    hash_t head_hash       # head lowercase
    hash_t head_lemma



cdef struct HashSetC:
    # A sorted array of hashes: the rule sets are small, binary search is enough.
    const hash_t* items
    int length


cdef struct PairWeightsC:
    # A one-hidden-layer pair net (`Scorer.fused_pair_weights`), borrowed from the numpy arrays of a
    # `resolution.PairWeights`, which keeps them alive.
    const float* feat_weights  # [PAIR_FEATS_WIDTH, width]: pair.feat.W transposed
    const float* bias          # [width]: pair.0.b
    const float* out_weights   # [width]: pair.out.W
    float out_bias
    int32_t width              # hidden units
    int32_t bilinear_width     # columns of the bilinear projections after the hidden ones (0: none)


cdef struct LinkSettingsC:
    # The linking settings of one component (`resolution.LinkSettings`).
    float threshold_offset     # added to each "no antecedent" score (`greedyness.greedyness_offset`)
    int32_t max_dist           # candidate antecedents: the max_dist mentions before,
    int32_t max_dist_match     # and those up to max_dist_match before with a matching head or text
    int8_t blacklist           # blacklisted mentions (I, you, ...) neither take nor give an antecedent
