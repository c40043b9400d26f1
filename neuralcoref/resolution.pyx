# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""From scores to clusters: best antecedent per mention, then the clusters of those links.

`Linker` links one Doc's mentions; `Linker.score_and_link` is the runtime's hot loop: candidate
antecedents, pair features, the pair net (one hidden layer, `PairWeights`, the C++ kernel in
pair_kernel.hh) and the best-antecedent choice, fused, without the GIL.
`ClusterAgreement` keeps that choice from joining clusters that clash in gender or number.

Over 500 lines on purpose: the Linker's nogil loop checks the agreement pair by pair through
`ClusterAgreement`'s `cdef inline` methods; split into two modules, they would become calls through
the class's vtable in the hot loop (or definitions in a .pxd, which only declares).
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
from .structs cimport (GENDER_NEUT, GENDER_UNKNOWN, MT_NOMINAL, MT_PRONOUN, N_GENDERS, N_NUMBERS, NUMBER_UNKNOWN,
                       PAIR_FEATS_WIDTH, PERSON_1, PERSON_2, PERSON_3, LinkSettingsC, PairWeightsC)

cnp.import_array()

# Agreement codes: bit g for a mention of known gender g, bit AGREE_NUMBER_SHIFT + k for a pronoun of
# known number k (nominal number is too loose to forbid a link: "the team ... they"). A person of
# unknown gender ("the neighbor") takes the unknown gender's bit, AGREE_PERSON: it agrees with either
# gender, never with a neuter one.
cdef enum:
    AGREE_NUMBER_SHIFT = N_GENDERS
    AGREE_PERSON = 1 << GENDER_UNKNOWN
    AGREE_NEUTER = 1 << GENDER_NEUT
    AGREE_GENDER_BITS = ((1 << N_GENDERS) - 1) & ~AGREE_PERSON
    AGREE_NUMBER_BITS = ((1 << N_NUMBERS) - 1) << AGREE_NUMBER_SHIFT

#: the bits of an agreement code that hold a gender, and those that hold a pronoun's number
AGREEMENT_GENDER_MASK = AGREE_GENDER_BITS
AGREEMENT_NUMBER_MASK = AGREE_NUMBER_BITS
#: the bit of a person of unknown gender, which a neuter gender bit clashes with
AGREEMENT_PERSON_BIT = AGREE_PERSON
AGREEMENT_NEUTER_BIT = AGREE_NEUTER


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
    column (`constraints.constraint_columns`), dates and times are neuter: never a person; so are the
    nominals of a "neuter_noun" column whose gender is unknown ("the phone"); with a "person_noun"
    column, a person of unknown gender ("the neighbor") gets AGREEMENT_PERSON_BIT."""
    gender = numpy.asarray(columns["gender"])
    if "time_entity" in columns:
        gender = numpy.where(numpy.asarray(columns["time_entity"]) != 0, GENDER_NEUT, gender)
    if "neuter_noun" in columns:
        thing = (numpy.asarray(columns["neuter_noun"]) != 0) & (gender == GENDER_UNKNOWN)
        gender = numpy.where(thing, GENDER_NEUT, gender)
    codes = agreement_codes(gender, columns["number"], columns["mention_type"])
    if "person_noun" in columns:
        person = (numpy.asarray(columns["person_noun"]) != 0) & (gender == GENDER_UNKNOWN)
        codes[person] |= AGREE_PERSON
    return codes


# `ClusterAgreement._time_kind` bits: a name or nominal that is a time expression, or one that is not
cdef enum:
    TIME_KIND_TIME = 1
    TIME_KIND_OTHER = 2

# `ClusterAgreement.set_nominal_kinds` codes
cdef enum:
    KIND_NOT_NOMINAL = 0
    KIND_NOMINAL = 1
    KIND_INDEFINITE_NOMINAL = 2

NOT_NOMINAL, NOMINAL, INDEFINITE_NOMINAL = KIND_NOT_NOMINAL, KIND_NOMINAL, KIND_INDEFINITE_NOMINAL


def nominal_kinds(mention_type, indefinite_nominal=None):
    """Per mention (int8): INDEFINITE_NOMINAL where `indefinite_nominal` (`constraints.indefinite_nominal_column`)
    is set, NOMINAL for the other nominals, NOT_NOMINAL for pronouns, names and lists."""
    nominal = numpy.asarray(mention_type) == MT_NOMINAL
    kinds = numpy.where(nominal, NOMINAL, NOT_NOMINAL).astype("int8")
    if indefinite_nominal is not None:
        kinds[nominal & (numpy.asarray(indefinite_nominal) != 0)] = INDEFINITE_NOMINAL
    return kinds


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


#: `ClusterAgreement`'s speaker columns per cluster: one per person, then SINGULAR_FIRST
cdef enum:
    SINGULAR_FIRST = 3
    N_SPEAKER_COLUMNS = 4

SPEAKER_COLUMNS, SINGULAR_FIRST_COLUMN = N_SPEAKER_COLUMNS, SINGULAR_FIRST


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
    "time_entity" (`constraints.time_entity_column`, optional), "coordination" and "conjunct"
    (`constraints.coordination_columns`, optional), "cataphor" (`constraints.cataphora_column`, optional),
    "indefinite_nominal" (`constraints.indefinite_nominal_column`, optional), "person_name" and
    "person_name_titled" (`constraints.person_name_column`, optional) per mention, mentions in document order;
    or the trainer's cached arrays of the same names."""
    codes = mention_agreement_codes(columns)
    if not require_agreement:
        codes = numpy.zeros_like(codes)
    sent_index = numpy.asarray(columns["sent_index"])
    sentence_first = numpy.searchsorted(sent_index, sent_index, side="left").astype("int32")
    agreement = ClusterAgreement(codes, pronoun_persons(columns["person"], columns["mention_type"]),
                                 speaker_bits(columns["speaker"]),
                                 numpy.ascontiguousarray(columns["governor"], dtype="int32"),
                                 numpy.ascontiguousarray(columns["core_role"], dtype="int8"), sentence_first)
    if "singular_first" in columns:
        agreement.set_singular_first(numpy.ascontiguousarray(columns["singular_first"], dtype="int8"),
                                     speaker_bits(columns.get("first_person_speaker", columns["speaker"])))
    agreement.set_spans(numpy.ascontiguousarray(columns["start"], dtype="int32"),
                        numpy.ascontiguousarray(columns["end"], dtype="int32"),
                        numpy.ascontiguousarray(numpy.asarray(columns["mention_type"]) == MT_PRONOUN, dtype="int8"))
    agreement.set_modifiers(numpy.ascontiguousarray(columns["head_lemma"], dtype="uint64"),
                            numpy.ascontiguousarray(columns["modifiers"], dtype="uint64"))
    agreement.set_nominal_kinds(nominal_kinds(columns["mention_type"], columns.get("indefinite_nominal")))
    if "time_entity" in columns:
        agreement.set_time_expressions(numpy.ascontiguousarray(columns["time_entity"], dtype="int8"))
    if "person_name" in columns:
        agreement.set_person_names(numpy.ascontiguousarray(columns["person_name"], dtype="uint64"),
                                   numpy.ascontiguousarray(columns["person_name_titled"], dtype="int8"))
    if "coordination" in columns:
        agreement.set_coordination(numpy.ascontiguousarray(columns["coordination"], dtype="int32"),
                                   numpy.ascontiguousarray(columns["conjunct"], dtype="int32"))
    if "cataphor" in columns:
        agreement.set_cataphors(numpy.ascontiguousarray(columns["cataphor"], dtype="int32"))
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
    - coordination (with `set_coordination`): two conjuncts of one coordination never share a cluster,
      nor does a conjunct join the list mention that holds it ("John and I are friends": *I* is not
      *John*; `constraints.coordination_columns`).
    - i-within-i (always, pair by pair): a mention and a pronoun inside it ("[My] sister" / "My") are
      never antecedent and anaphor.
    - modifier clash (always, pair by pair): a nominal never takes as antecedent a mention with the
      same head and modifiers that neither contains ("the land surface" / "the warm sea surface").
    - indefinite nominals (pair by pair, where the rule set marks them): an indefinite or bare nominal
      never takes a nominal antecedent ("one study ... one study"; `constraints.indefinite_nominal_column`).
    - time expressions (with spans): a name or nominal that is a time expression never joins a
      cluster holding a name or nominal that is none, nor the reverse, unless the candidate shares its
      head ("The committee met on Monday. It approved the budget.": *the budget* joins neither *Monday*
      nor an *It* linked to it; "Monday ... that day" may link, as *day* is a time word;
      `constraints.time_entity_column`). Pronouns are free (*it* may be a date). What `carry` brings
      from before a window does not include it.
    - distinct names (with `set_person_names`): a person's name never joins a cluster whose first name of
      its kind (with a title, or without) shares none of its words, titles aside ("Mr. Brown" / "Mr. Green";
      "John ... he ... Bill": *Bill* does not join *he*; "John Smith" / "Mr. Smith" and "Mrs Verloc" /
      "Winnie" may link; `constraints.person_name_column`). What `carry`
      brings from before a window does not include it either.
    - cataphora (with `set_cataphors`), the one rule that adds a link: a name or nominal subject left new
      takes the pronoun of a clause before it in its sentence, when that pronoun was left new too and every
      constraint above lets the subject join it ("Because they were hungry, the children ate.").

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
    cdef int32_t[::1] same_start_from  # per mention: the first mention that starts where it does
    cdef const uint64_t[::1] head_lemmas
    cdef const uint64_t[:, ::1] modifiers  # per mention: sorted hashes, then zeros
    cdef const int8_t[::1] nominal_kinds  # per mention: NOT_NOMINAL, NOMINAL or INDEFINITE_NOMINAL
    cdef const int8_t[::1] time_expressions  # per mention: 1 for a time expression (a date, "every day")
    cdef const int32_t[::1] coordinations  # per mention: the first conjunct of its head's coordination, or -1
    cdef const int32_t[::1] conjuncts  # per mention: its head where coordinations is set, else -1
    cdef const uint64_t[:, ::1] name_words  # per mention: a person's name's words, sorted, then zeros
    cdef const int8_t[::1] name_titled  # per mention: 1 for a person's name with a title ("Mr. Brown")
    cdef const int32_t[::1] cataphors  # per mention: the earlier pronoun it takes when both are left new, or -1
    cdef int32_t[:, ::1] cluster_names  # per cluster (first mention): its first untitled and first titled person's
    # name (columns 0 and 1), or -1
    cdef bint has_persons
    cdef int32_t[::1] cluster_of   # per finished mention: the first mention of its cluster
    cdef int32_t[::1] clause_mates_from  # per mention j: clause_mates[clause_mates_from[j]:...[j + 1]] ...
    cdef int32_t[::1] clause_mates  # ... are the earlier mentions that binding keeps apart from it
    cdef int32_t[::1] last_coordinated  # per cluster (first mention): its last finished member in a coordination
    cdef int32_t[::1] previous_coordinated  # per such member: the one of its cluster before it, or -1
    cdef uint8_t[::1] cluster_codes  # per cluster (first mention): the union of its members' codes
    cdef uint8_t[::1] cluster_times  # per cluster (first mention): the union of its members' time kinds
    cdef uint64_t[:, ::1] cluster_speakers  # per cluster and person: the speakers of its pronouns; column
    # SINGULAR_FIRST: the speakers of its singular first-person pronouns
    cdef const int8_t[::1] singular_first  # per mention: 1 for a singular first-person pronoun ("I", "my")
    cdef const uint64_t[::1] singular_speakers  # ... and its speaker's bit for that constraint
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
        self.last_coordinated = numpy.full(n, -1, dtype="int32")
        self.previous_coordinated = numpy.full(n, -1, dtype="int32")
        self.cluster_codes = numpy.zeros(n, dtype="uint8")
        self.cluster_times = numpy.zeros(n, dtype="uint8")
        self.cluster_speakers = numpy.zeros((n, N_SPEAKER_COLUMNS), dtype="uint64")
        self.singular_first = numpy.zeros(n, dtype="int8")
        self.singular_speakers = self.speakers
        self.n_finished = 0
        self.set_modifiers(numpy.zeros(n, dtype="uint64"), numpy.zeros((n, 1), dtype="uint64"))
        self.set_nominal_kinds(numpy.zeros(n, dtype="int8"))
        self.set_time_expressions(numpy.zeros(n, dtype="int8"))
        self.set_coordination(numpy.full(n, -1, dtype="int32"), numpy.full(n, -1, dtype="int32"))
        self.set_person_names(numpy.zeros((n, 1), dtype="uint64"), numpy.zeros(n, dtype="int8"))
        self.set_cataphors(numpy.full(n, -1, dtype="int32"))
        self.cluster_names = numpy.full((n, 2), -1, dtype="int32")
        self._index_clause_mates()

    def set_spans(self, const int32_t[::1] starts, const int32_t[::1] ends, const int8_t[::1] pronouns):
        """Token spans and pronoun flags of the mentions, for the i-within-i constraint: a mention never
        takes as antecedent a pronoun inside it, nor a mention that holds it ("[My] sister" / "My")."""
        n = self.codes.shape[0]
        if starts.shape[0] != n or ends.shape[0] != n or pronouns.shape[0] != n:
            raise ValueError(f"starts, ends and pronouns must cover the {n} mentions")
        self.starts, self.ends, self.pronouns, self.has_spans = starts, ends, pronouns, True
        self.same_start_from = numpy.arange(n, dtype="int32")
        cdef int j
        for j in range(1, n):  # mentions come in document order: those with one start are neighbours
            if starts[j] == starts[j - 1]:
                self.same_start_from[j] = self.same_start_from[j - 1]

    def set_singular_first(self, const int8_t[::1] flags, const uint64_t[::1] speakers=None):
        """Per mention, 1 for a singular first-person pronoun: two of them with different speakers never
        share a cluster (A's "I" is not B's "I"; `constraints.singular_first_column`). speakers: their
        `speaker_bits` for this constraint (None: the person constraint's)."""
        n = self.codes.shape[0]
        if flags.shape[0] != n or (speakers is not None and speakers.shape[0] != n):
            raise ValueError(f"singular first-person flags and speakers must cover the {n} mentions")
        self.singular_first = flags
        self.singular_speakers = self.speakers if speakers is None else speakers

    def set_modifiers(self, const uint64_t[::1] head_lemmas, const uint64_t[:, ::1] modifiers):
        """The modifier clash's inputs (`constraints.modifier_columns`): each mention's head lemma and
        its modifier hashes, sorted, then zeros."""
        n = self.codes.shape[0]
        if head_lemmas.shape[0] != n or modifiers.shape[0] != n or modifiers.shape[1] < 1:
            raise ValueError(f"head_lemmas and modifiers must cover the {n} mentions")
        self.head_lemmas, self.modifiers = head_lemmas, modifiers

    def set_nominal_kinds(self, const int8_t[::1] kinds):
        """The indefinite-nominal constraint's input (`nominal_kinds`): per mention NOT_NOMINAL, NOMINAL
        or INDEFINITE_NOMINAL (which never takes a NOMINAL or INDEFINITE_NOMINAL antecedent)."""
        if kinds.shape[0] != self.codes.shape[0]:
            raise ValueError(f"nominal kinds must cover the {self.codes.shape[0]} mentions")
        self.nominal_kinds = kinds

    def set_time_expressions(self, const int8_t[::1] flags):
        """The time-expression constraint's input (`constraints.time_entity_column`): per mention 1 for a
        time expression; checked against names and nominals only, so it needs `set_spans`' pronoun flags."""
        if flags.shape[0] != self.codes.shape[0]:
            raise ValueError(f"time expressions must cover the {self.codes.shape[0]} mentions")
        self.time_expressions = flags

    def set_coordination(self, const int32_t[::1] coordinations, const int32_t[::1] conjuncts):
        """The coordination constraint's inputs (`constraints.coordination_columns`): per mention the first
        conjunct of its coordination and its own conjunct (-1 outside a coordination). Conjuncts are in one
        sentence, so only the mentions of the anaphor's sentence are checked (`sentence_first`)."""
        n = self.codes.shape[0]
        if coordinations.shape[0] != n or conjuncts.shape[0] != n:
            raise ValueError(f"coordinations and conjuncts must cover the {n} mentions")
        self.coordinations, self.conjuncts = coordinations, conjuncts

    def set_person_names(self, const uint64_t[:, ::1] words, const int8_t[::1] titled):
        """The distinct-names constraint's inputs (`constraints.person_name_column`): per mention the hashes of
        the words of a person's name, titles aside, sorted, then zeros (a row of zeros: no person's name), and
        1 where the name has a title. A name never joins a cluster whose first name of its kind (titled or
        not) shares none of its words: a title and a surname may name the person a first name names ("Mr.
        Brown" / "Mr. Green" and "John" / "Bill" are two people; "Mrs Verloc" / "Winnie" may be one)."""
        if words.shape[0] != self.codes.shape[0] or words.shape[1] < 1 or titled.shape[0] != self.codes.shape[0]:
            raise ValueError(f"person names and their titles must cover the {self.codes.shape[0]} mentions")
        self.name_words, self.name_titled = words, titled

    def set_cataphors(self, const int32_t[::1] cataphors):
        """Cataphora inside a sentence (`constraints.cataphora_column`): per mention an earlier pronoun of its
        sentence, or -1. A mention that the model leaves new takes that pronoun as its antecedent when the
        pronoun was left new too and the mention may join it ("Because [they] were hungry, [the children]
        ate."): the one link that linking adds rather than forbids, decided when the mention is finished."""
        cdef Py_ssize_t j, n = self.codes.shape[0]
        if cataphors.shape[0] != n:
            raise ValueError(f"cataphors must cover the {n} mentions")
        for j in range(n):
            if not -1 <= cataphors[j] < j:
                raise ValueError(f"mention {j}'s cataphor {cataphors[j]} is not an earlier mention")
        self.cataphors = cataphors

    cdef int _index_clause_mates(self) except -1:
        """For each mention with a role, the earlier mentions with the same governor and another role
        (`_binds`), found by sorting the mentions by governor: linking checks these few, not every mention
        of the sentence (in an unpunctuated text of one 40,000-word sentence that had made it quadratic)."""
        cdef Py_ssize_t n = self.codes.shape[0]
        roles, governors = numpy.asarray(self.roles), numpy.asarray(self.governors)
        by_governor = numpy.lexsort((numpy.arange(n), governors))  # runs of one governor, in mention order
        members = numpy.ascontiguousarray(by_governor[roles[by_governor] != 0], dtype="int32")
        counts = numpy.zeros(n, dtype="int32")
        _clause_mates(self, members, counts, None, None)  # two passes: count, then fill
        self.clause_mates_from = numpy.concatenate([[0], numpy.cumsum(counts)]).astype("int32")
        self.clause_mates = numpy.zeros(self.clause_mates_from[n], dtype="int32")
        _clause_mates(self, members, None, numpy.array(self.clause_mates_from[:n], dtype="int32"), self.clause_mates)
        return 0

    def __len__(self):
        return self.codes.shape[0]

    def carry(self, const uint8_t[::1] codes, const uint64_t[:, ::1] speakers):
        """What the clusters bring from mentions before these (a window of a longer text, as
        `neuralcoref.conversation` links one): when mention k is finished, its cluster also gets the
        agreement codes `codes[k]` and, per person p, the pronoun speakers `speakers[k, p]`, then in column
        SINGULAR_FIRST_COLUMN the speakers of its singular first-person pronouns. Give them at the first
        mention of each cluster in the window; call before any linking."""
        n = self.codes.shape[0]
        if codes.shape[0] != n or speakers.shape[0] != n or speakers.shape[1] != N_SPEAKER_COLUMNS:
            raise ValueError(
                f"carried codes and speakers must cover the {n} mentions ([n] and [n, {N_SPEAKER_COLUMNS}])")
        if self.n_finished:
            raise ValueError("carry before linking")
        self.carried_codes, self.carried_speakers, self.has_carried = codes, speakers, True

    cdef inline uint8_t _time_kind(self, int k) noexcept nogil:
        """TIME_KIND_TIME for a name or nominal that is a time expression, TIME_KIND_OTHER for one that is
        not, 0 for a pronoun (free) or when the spans, which say what a pronoun is, are not given."""
        if not self.has_spans or self.pronouns[k]:
            return 0
        return TIME_KIND_TIME if self.time_expressions[k] else TIME_KIND_OTHER

    cdef inline bint _constrains(self, int j) noexcept nogil:
        """Whether mention j has anything to check (most nominals do not)."""
        return (self.codes[j] != 0 or self.persons[j] >= 0 or self.singular_first[j] or self.roles[j] != 0
                or self.modifiers[j, 0] != 0 or self.nominal_kinds[j] == KIND_INDEFINITE_NOMINAL or self.has_spans
                or self.coordinations[j] >= 0 or self.name_words[j, 0] != 0)

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

    cdef inline bint _share_name_word(self, int a, int b) noexcept nogil:
        """Whether the names of mentions a and b (sorted hashes, then zeros) have a word in common."""
        cdef int width = self.name_words.shape[1]
        cdef int x = 0, y = 0
        while x < width and y < width and self.name_words[a, x] != 0 and self.name_words[b, y] != 0:
            if self.name_words[a, x] == self.name_words[b, y]:
                return True
            if self.name_words[a, x] < self.name_words[b, y]:
                x += 1
            else:
                y += 1
        return False

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
        if ((mine & AGREE_NEUTER) and (theirs & AGREE_PERSON)) or ((mine & AGREE_PERSON) and (theirs & AGREE_NEUTER)):
            return False
        if (mine & AGREE_NUMBER_BITS) and (theirs & AGREE_NUMBER_BITS & ~mine):
            return False
        if person >= 0:
            for other in range(3):
                if other != person and self.cluster_speakers[root, other] & self.speakers[j]:
                    return False
        if self.singular_first[j] and (self.cluster_speakers[root, SINGULAR_FIRST] & ~self.singular_speakers[j]):
            return False  # another speaker's "I"
        if self._modifiers_clash(i, j):
            return False
        cdef int name = self.cluster_names[root, self.name_titled[j] != 0] if self.name_words[j, 0] != 0 else -1
        if name >= 0 and not self._share_name_word(j, name):
            return False  # two people's names: "Mr. Brown" / "Mr. Green", even through a "he" linked to one
        if self.nominal_kinds[j] == KIND_INDEFINITE_NOMINAL and self.nominal_kinds[i] != KIND_NOT_NOMINAL:
            return False
        cdef uint8_t time_kind = self._time_kind(j)
        if time_kind and (self.cluster_times[root] & ~time_kind) \
                and not (self.head_lemmas[i] != 0 and self.head_lemmas[i] == self.head_lemmas[j]):
            return False  # a date and a thing: "Monday" / "the budget"
        if self.has_spans and (self.pronouns[i] or self.pronouns[j]) and self.starts[i] < self.ends[j] \
                and self.starts[j] < self.ends[i]:  # one inside the other, one a pronoun: "[My] sister"
            return False
        cdef int k
        if self.has_spans:  # nor a cluster that holds it: "her" / "[her] mother" (a possessive at the start)
            for k in range(self.same_start_from[j], j):
                if self.cluster_of[k] == root and (self.pronouns[j] or self.pronouns[k]):
                    return False
        # the parse keeps two mentions of one sentence apart: a subject and an object of one predicate ("John
        # saw him"; binding), or two conjuncts of one coordination ("John and I"). Mentions before j are finished
        for k in range(self.clause_mates_from[j], self.clause_mates_from[j + 1]):
            if self.cluster_of[self.clause_mates[k]] == root:
                return False
        if self.coordinations[j] >= 0:  # the cluster's coordinated members in this sentence, last first: a
            k = self.last_coordinated[root]  # cluster holds one conjunct of a coordination, so they are few
            while k >= self.sentence_first[j]:
                if self.coordinations[k] == self.coordinations[j] and self.conjuncts[k] != self.conjuncts[j]:
                    return False
                k = self.previous_coordinated[k]
        return True

    cdef inline bint _binds(self, int k, int j) noexcept nogil:
        """Whether mentions k and j are a subject and an object of one predicate (binding)."""
        return self.roles[j] and self.roles[k] and self.roles[k] != self.roles[j] \
            and self.governors[k] == self.governors[j]

    cdef inline void _finish_before(self, int j, int32_t[::1] best) noexcept nogil:
        """Add every mention before j that is not finished yet to its antecedent's cluster; one left new
        takes its cataphor, when that pronoun was left new too and the mention may join it (`set_cataphors`)."""
        cdef int k, root, p, cataphor
        while self.n_finished < j:
            k = self.n_finished
            cataphor = self.cataphors[k]
            if best[k] < 0 and cataphor >= 0 and best[cataphor] < 0 and self._agrees(cataphor, k):
                best[k] = cataphor
            root = self.cluster_of[best[k]] if 0 <= best[k] < k else k
            self.cluster_of[k] = root
            if self.coordinations[k] >= 0:
                self.previous_coordinated[k] = self.last_coordinated[root]
                self.last_coordinated[root] = k
            self.cluster_codes[root] |= self.codes[k]
            self.cluster_times[root] |= self._time_kind(k)
            if self.name_words[k, 0] != 0 and self.cluster_names[root, self.name_titled[k] != 0] < 0:
                self.cluster_names[root, self.name_titled[k] != 0] = k  # any nonzero flag is column 1
            if self.persons[k] >= 0:
                self.cluster_speakers[root, self.persons[k]] |= self.speakers[k]
            if self.singular_first[k]:
                self.cluster_speakers[root, SINGULAR_FIRST] |= self.singular_speakers[k]
            if self.has_carried:
                self.cluster_codes[root] |= self.carried_codes[k]
                for p in range(N_SPEAKER_COLUMNS):
                    self.cluster_speakers[root, p] |= self.carried_speakers[k, p]
            self.n_finished += 1


cdef void _clause_mates(ClusterAgreement agreement, const int32_t[::1] members, int32_t[::1] counts,
                        int32_t[::1] fill, int32_t[::1] mates):
    """`members`: the mentions with a role, sorted by (governor, index), so each governor's mentions are a
    run; mention j's clause mates are the earlier members of its run that `_binds` keeps apart from it.
    With `counts`, count them per mention; else write them at `fill[j]` in `mates`."""
    cdef Py_ssize_t p, q, run = 0
    cdef int j, k
    for p in range(members.shape[0]):
        j = members[p]
        if p > 0 and agreement.governors[j] != agreement.governors[members[p - 1]]:
            run = p
        for q in range(run, p):
            k = members[q]
            if k >= agreement.sentence_first[j] and agreement._binds(k, j):
                if counts is not None:
                    counts[j] += 1
                else:
                    mates[fill[j]] = k
                    fill[j] += 1


cdef int _check_agreement(ClusterAgreement agreement, Py_ssize_t n, int first) except -1:
    if agreement is None:
        return 0
    if len(agreement) != n:
        raise ValueError(f"the agreement codes cover {len(agreement)} mentions, the Doc has {n}")
    if first < agreement.n_finished:
        raise ValueError(f"mention {first} was already linked: blocks must come in mention order")
    return 0


cdef inline bint _beats(int32_t j, float score, const float[::1] single_scores, float threshold_offset,
                        const int32_t[::1] best, const float[::1] best_scores) noexcept nogil:
    """NeuralCoref's link rule: mention j takes a candidate whose pair score beats its "no antecedent"
    score plus the greedyness offset and every candidate seen before."""
    return score > single_scores[j] + threshold_offset and (best[j] < 0 or score > best_scores[j])


cdef extern from "pair_kernel.hh":
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


cdef inline float _pair_score(const PairWeightsC* weights, int simd_level, const float* ant_row,
                              const float* ment_row, const int32_t* active, int n_active) noexcept nogil:
    """One pair's score from its two projection rows and its active pair feature columns."""
    cdef float score = nc_pair_score(simd_level, ant_row, ment_row, weights.feat_weights, active, n_active,
                                     weights.bias, weights.out_weights, weights.out_bias, weights.width)
    if weights.bilinear_width:
        score += nc_dot(ant_row + weights.width, ment_row + weights.width, weights.bilinear_width)
    return score


@cython.final
cdef class PairWeights:
    """A pair net with one hidden layer (`Scorer.fused_pair_weights`) as the C pair scorer reads it: the
    float32 arrays live here, the C side borrows them (`structs.PairWeightsC`), filled once per model.

    feat_weights (float32 [PAIR_FEATS_WIDTH, H]): pair.feat.W transposed. bias (float32 [H]): pair.0.b.
    out_weights (float32 [H]), out_bias: pair.out. bilinear_width: columns of bilinear projections that
    follow the H hidden ones in the projection rows (0: none).
    """
    cdef PairWeightsC c
    cdef const float[:, ::1] _feat_weights
    cdef const float[::1] _bias
    cdef const float[::1] _out_weights

    def __init__(self, feat_weights, bias, out_weights, float out_bias, int bilinear_width=0):
        self._feat_weights = numpy.ascontiguousarray(feat_weights, dtype="float32")
        self._bias = numpy.ascontiguousarray(bias, dtype="float32")
        self._out_weights = numpy.ascontiguousarray(out_weights, dtype="float32")
        cdef int width = self._bias.shape[0]
        if width < 1 or bilinear_width < 0 or self._feat_weights.shape[0] != PAIR_FEATS_WIDTH \
                or self._feat_weights.shape[1] != width or self._out_weights.shape[0] != width:
            raise ValueError(f"pair weights differ in width: feat_weights {tuple(self._feat_weights.shape)[:2]}, "
                             f"bias ({width},), out_weights ({self._out_weights.shape[0]},), "
                             f"{PAIR_FEATS_WIDTH} pair features")
        self.c.feat_weights = &self._feat_weights[0, 0]
        self.c.bias = &self._bias[0]
        self.c.out_weights = &self._out_weights[0]
        self.c.out_bias = out_bias
        self.c.width = width
        self.c.bilinear_width = bilinear_width

    @property
    def width(self):
        """Hidden units."""
        return self.c.width

    @property
    def stride(self):
        """Columns of a projection row: the hidden units, then the bilinear projection."""
        return self.c.width + self.c.bilinear_width


@cython.final
cdef class LinkSettings:
    """The settings that decide which pairs are candidates and when a pair links (`structs.LinkSettingsC`).

    threshold_offset: added to each "no antecedent" score (`greedyness.greedyness_offset`).
    max_dist, max_dist_match: candidate antecedents (`features.candidate_pairs`), clamped as it does.
    blacklist: blacklisted mentions (I, you, ...) neither take nor give an antecedent.
    """
    cdef LinkSettingsC c

    def __init__(self, float threshold_offset, int max_dist, int max_dist_match, bint blacklist):
        self.c.threshold_offset = threshold_offset
        self.c.max_dist = max(0, max_dist)
        self.c.max_dist_match = max(self.c.max_dist, max_dist_match)
        self.c.blacklist = blacklist

    @property
    def threshold_offset(self):
        return self.c.threshold_offset

    @property
    def max_dist(self):
        return self.c.max_dist

    @property
    def max_dist_match(self):
        return self.c.max_dist_match

    @property
    def blacklist(self):
        return bool(self.c.blacklist)


@cython.final
cdef class Linker:
    """The linking of one Doc's mentions: each mention's best antecedent so far, by NeuralCoref's rule
    under the Doc's `ClusterAgreement`. Every way of scoring pairs ends in the same loop (`_consider`):
    the component's fused pair scorer (`score_and_link`), the trainer's cached pair features
    (`link_cached`) and pairs scored in numpy by a deeper pair net (`link_scored`), so a linking rule
    added here holds for the component and for the trainer's dev score alike.

    settings (LinkSettings): the component's.
    single_scores (float32 [n]): each mention's "no antecedent" score, read as pairs are linked (a
        caller may fill it block by block, before linking the block's pairs).
    agreement (ClusterAgreement or None): the Doc's linking constraints (None: none).
    antecedents (int32 [n], -1: none), best_scores (float32 [n]): the links so far (default: none),
        written in place.
    """
    cdef LinkSettingsC settings
    cdef ClusterAgreement _agreement
    cdef bint constrained
    cdef const float[::1] _single
    cdef int32_t[::1] _best
    cdef float[::1] _best_scores
    cdef readonly object single_scores
    cdef readonly object antecedents
    cdef readonly object best_scores

    def __init__(self, LinkSettings settings not None, single_scores, ClusterAgreement agreement=None,
                 antecedents=None, best_scores=None):
        self.settings = settings.c
        self._single = single_scores
        cdef Py_ssize_t n = self._single.shape[0]
        if antecedents is None:
            antecedents = numpy.full(n, -1, dtype="int32")
        if best_scores is None:
            best_scores = numpy.zeros(n, dtype="float32")
        self._best = antecedents
        self._best_scores = best_scores
        if self._best.shape[0] != n or self._best_scores.shape[0] != n:
            raise ValueError("mention arrays differ in length")
        if agreement is not None and len(agreement) != n:
            raise ValueError(f"the agreement codes cover {len(agreement)} mentions, the Doc has {n}")
        self._agreement = agreement
        self.constrained = agreement is not None
        self.single_scores, self.antecedents, self.best_scores = single_scores, antecedents, best_scores

    def __len__(self):
        return self._single.shape[0]

    cdef inline bint _start_mention(self, int j) noexcept nogil:
        """Finish the clusters of the mentions before j; RETURNS whether j has a constraint to check
        (most nominals do not)."""
        if not self.constrained:
            return False
        self._agreement._finish_before(j, self._best)
        return self._agreement._constrains(j)

    cdef inline void _consider(self, int32_t i, int32_t j, float score, bint checked) noexcept nogil:
        """Candidate i of mention j with this pair score: a link if it agrees and beats the others."""
        if not _beats(j, score, self._single, self.settings.threshold_offset, self._best, self._best_scores):
            return  # the score first: most candidates lose there, before the constraints' loops
        if checked and not self._agreement._agrees(i, j):
            return
        self._best[j] = i
        self._best_scores[j] = score

    cdef int _check_pairs(self, const int32_t[::1] pair_ant, const int32_t[::1] pair_ment,
                          Py_ssize_t n_pairs) except -1:
        """Pairs of earlier mentions, in ascending mention order, none before a mention already linked."""
        cdef Py_ssize_t p, n = self._single.shape[0]
        if pair_ant.shape[0] != n_pairs or pair_ment.shape[0] != n_pairs:
            raise ValueError("pair arrays differ in length")
        for p in range(n_pairs):
            if not (0 <= pair_ant[p] < pair_ment[p] < n):
                raise IndexError(f"pair {p} ({pair_ant[p]}, {pair_ment[p]}) is not an earlier mention")
            if self.constrained and p > 0 and pair_ment[p] < pair_ment[p - 1]:
                raise ValueError(f"pair {p}: pairs must come in ascending mention order")
        if n_pairs > 0:
            _check_agreement(self._agreement, n, pair_ment[0])
        return 0

    def link_scored(self, const int32_t[::1] pair_ant, const int32_t[::1] pair_ment, const float[::1] pair_scores):
        """Link pairs scored elsewhere (a pair net the C scorer does not run), grouped by mention."""
        self._check_pairs(pair_ant, pair_ment, pair_scores.shape[0])
        cdef Py_ssize_t p
        cdef int32_t j
        with nogil:
            for p in range(pair_scores.shape[0]):
                j = pair_ment[p]
                self._consider(pair_ant[p], j, pair_scores[p], self._start_mention(j))

    def link_cached(self, PairWeights weights not None, const int32_t[::1] pair_ant, const int32_t[::1] pair_ment,
                    const uint8_t[:, ::1] pair_feats, int base, const float[:, ::1] as_ant, int first,
                    const float[:, ::1] as_ment, float[::1] out_scores=None):
        """Score pairs from their cached 0/1 pair features with the C pair scorer, and link them: the
        trainer's path, the same arithmetic and linking as `score_and_link` (grouped by mention).
        as_ant: projection rows of mentions base.., as_ment: of mentions first.. (`score_and_link`).
        out_scores (float32, at least as long as the pairs): optional, every pair's score.
        """
        cdef Py_ssize_t n_pairs = pair_feats.shape[0]
        self._check_pairs(pair_ant, pair_ment, n_pairs)
        if pair_feats.shape[1] != PAIR_FEATS_WIDTH:
            raise ValueError(f"pair features are {pair_feats.shape[1]} wide, not {PAIR_FEATS_WIDTH}")
        _check_rows(weights, as_ant, as_ment)
        cdef Py_ssize_t p
        for p in range(n_pairs):
            if not (base <= pair_ant[p] < base + as_ant.shape[0] and first <= pair_ment[p] < first + as_ment.shape[0]):
                raise ValueError(f"projection rows do not cover pair {p} ({pair_ant[p]}, {pair_ment[p]})")
        if out_scores is not None and out_scores.shape[0] < n_pairs:
            raise ValueError(f"out_scores holds {out_scores.shape[0]} pairs, fewer than {n_pairs}")
        cdef bint store = out_scores is not None
        cdef int32_t active[PAIR_FEATS_WIDTH]
        cdef int simd_level = nc_get_simd()
        cdef int f, n_active
        cdef int32_t i, j
        cdef float score
        with nogil:
            for p in range(n_pairs):
                i, j = pair_ant[p], pair_ment[p]
                n_active = 0
                for f in range(PAIR_FEATS_WIDTH):
                    if pair_feats[p, f]:
                        active[n_active] = f
                        n_active += 1
                score = _pair_score(&weights.c, simd_level, &as_ant[i - base, 0], &as_ment[j - first, 0], active,
                                    n_active)
                if store:
                    out_scores[p] = score
                self._consider(i, j, score, self._start_mention(j))

    def score_and_link(self, Doc doc, Mentions mentions, PairRules rules, PairWeights weights not None, int first,
                       int last, int base, const float[:, ::1] as_ant, const float[:, ::1] as_ment,
                       int32_t[::1] out_ant=None, int32_t[::1] out_ment=None, float[::1] out_scores=None):
        """Candidates, pair features, pair scores and links of mentions first..last-1, in one pass
        without the GIL: the component's path.

        The same result as `candidate_pairs` + `pair_features` + `Scorer.pair_scores` + `link_scored`
        (up to float rounding in the output dot product), with no pair arrays.
        as_ant (float32 [rows, weights.stride]): antecedent projections of mentions base.., enough rows
            to reach back `max_dist_match` mentions from `first` (base <= first - max_dist_match).
        as_ment (float32 [last - first, weights.stride]): mention projections of mentions first..last-1.
        out_ant, out_ment, out_scores: optional, at least `count_pairs(...)` long: every pair's
            antecedent, mention and score, in `candidate_pairs` order.
        RETURNS (int): the number of pairs scored.
        """
        cdef int n = mentions.length
        if mentions.doc_length != doc.length:
            raise ValueError("mentions do not belong to this Doc")
        if self._single.shape[0] != n:
            raise ValueError("mention arrays differ in length")
        cdef int max_dist, max_dist_match
        first, last, max_dist, max_dist_match = candidate_range(mentions, first, last, self.settings.max_dist,
                                                                self.settings.max_dist_match)
        _check_rows(weights, as_ant, as_ment)
        if last <= first:
            return 0
        _check_agreement(self._agreement, n, first)
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
        cdef Py_ssize_t pos = 0
        cdef int j, count, c, i, n_active
        cdef float score
        cdef bint overflow = False
        cdef int simd_level = nc_get_simd()
        cdef bint checked
        cdef bint blacklist = self.settings.blacklist
        with nogil:
            for j in range(first, last):
                checked = self._start_mention(j)
                count = _candidates(mentions.c, j, max_dist, max_dist_match, blacklist, candidates)
                if store and pos + count > capacity:
                    overflow = True
                    break
                for c in range(count):
                    i = candidates[c]
                    n_active = _pair_active(doc.c, doc.length, &mentions.c[i], &mentions.c[j], j - i, &rules.c,
                                            active)
                    score = _pair_score(&weights.c, simd_level, &as_ant[i - base, 0], &as_ment[j - first, 0],
                                        active, n_active)
                    if store:
                        out_ant[pos] = i
                        out_ment[pos] = j
                        out_scores[pos] = score
                    pos += 1
                    self._consider(i, j, score, checked)
        if overflow:
            raise ValueError(f"the output arrays hold {capacity} pairs, fewer than mentions {first}..{last - 1} have")
        return pos

    def finish(self):
        """Finish the clusters of every mention, once all pairs are linked: a mention is finished when the
        next one starts, so the last ones wait for this, and a mention left new may still take its cataphor
        (`ClusterAgreement.set_cataphors`). Linking may not go on after it."""
        if self.constrained:
            self._agreement._finish_before(self._single.shape[0], self._best)

    def clusters(self):
        """The clusters of >= 2 mentions of the links so far, as `cluster_members` gives them."""
        return cluster_members(self._best)


cdef int _check_rows(PairWeights weights, const float[:, ::1] as_ant, const float[:, ::1] as_ment) except -1:
    cdef int stride = weights.c.width + weights.c.bilinear_width
    if as_ant.shape[1] != stride or as_ment.shape[1] != stride:
        raise ValueError(f"projection rows are {as_ant.shape[1]} and {as_ment.shape[1]} wide, the pair weights "
                         f"read {stride}")
    return 0


def best_antecedents(const int32_t[::1] pair_ant, const int32_t[::1] pair_ment,
                     const float[::1] pair_scores, const float[::1] single_scores,
                     int32_t[::1] best, float[::1] best_scores, float threshold_offset,
                     ClusterAgreement agreement=None):
    """Pick each mention's antecedent among its scored candidate pairs (`Linker.link_scored` over
    these arrays).

    Pairs must be grouped by mention. A mention links to its best-scoring candidate when
    that score beats its own "no antecedent" score plus `threshold_offset` (NeuralCoref's
    greedyness: offset = 50 * (0.5 - greedyness)). Results go into `best` (-1: none) and
    `best_scores`, indexed by mention.
    agreement (ClusterAgreement or None): the Doc's; then only candidates whose cluster agrees
        count, pairs must come in ascending mention order, and blocks of a Doc in order. Its cataphors
        (`ClusterAgreement.set_cataphors`) are decided as mentions are finished: the block's last mentions
        wait for the next block, or for `Linker.finish`.
    """
    linker = Linker(LinkSettings(threshold_offset, 0, 0, False), single_scores, agreement, best, best_scores)
    linker.link_scored(pair_ant, pair_ment, pair_scores)


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
