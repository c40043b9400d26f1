"""Per-mention inputs of the linking constraints that need the parse (`resolution.ClusterAgreement`).

- Binding: a subject and an object of the same predicate are two entities unless one of them is
  reflexive ("John saw him", "He saw John", "the red car hit the blue car"; "John saw himself" is
  one).
- Modifier clash: two nominal mentions with the same head and modifiers of their own that neither
  contains ("the land surface" / "the warm sea surface", "the 1990 election" / "the 1994 election",
  "the Indian government" / "the French government") are not linked to each other; "the surface" /
  "the warm sea surface" may be.

- Animacy (rule sets with `person_nouns` / `neuter_nouns`): a nominal headed by a person noun ("the
  neighbor") never shares a cluster with *it* or a date; one headed by a neuter noun ("the new phone")
  never with *he*, *she* or a person.

- Time expressions (`time_entity`): a name or nominal headed by a DATE or TIME entity or a time word
  never shares a cluster with a name or nominal that is none, unless its antecedent shares its head
  ("Monday" / "the budget", even through an *it* linked to *Monday*; "Monday" / "that day" may link);
  pronouns are free.

- Coordination (rule sets with `conj_deps`): two conjuncts of one coordination are two entities, and
  no conjunct but the first (whose head the list shares) is the list ("John and I": *John* is not *I*;
  "Tom, Dick and Harry").

- Speakers known to be people (given by the user, read from transcript lines, or quotations attributed
  to a name): two singular first-person pronouns of different speakers are two people ("Alice: I lost my
  keys. / Bob: I can help"; Bob's *I* is not Alice's; '"I am tired," said Anna. "I know," Tom replied.').

- Distinct names (rule sets with `person_entity_labels`): two names of people that share no word, titles
  aside, are two people ("Mr. Brown" / "Mr. Green"; "John came home. When he arrived, Bill was asleep.": *Bill*
  does not join John's *he*); a name is checked against the cluster's first name of its kind, with a title
  or without, so a title with a surname may still join a first name ("Mrs Verloc" may be "Winnie");
  "John Smith", "Smith" and "Mr. Smith" may be one, and so may a nickname and its full name (`name_variants`:
  "Beth" / "Elizabeth").

- Cataphora (rule sets with `cataphora_deps` and `cataphora_pronouns`), the one rule that adds a link: a name
  or nominal subject left new takes a personal pronoun of a clause or phrase before it in its sentence, when
  the pronoun was left new too and the subject may join it ("Because they were hungry, the children ate.").

- Indefinite nominals (rule sets with `indefinite_nominal_constraint`): a nominal mention with no
  definite word first and no possessive ("a study", "limited exposure", "librarians") never takes a
  nominal antecedent ("one study ... one study"); a pronoun or a name may still be its antecedent.

Read once per Doc from `doc.to_array`; the trainer caches the same columns, so its dev score links
exactly as the component does.
"""

from functools import lru_cache
from typing import Dict, List, Optional, Tuple

import numpy
from spacy.attrs import DEP, ENT_TYPE, HEAD, IS_TITLE, LEMMA, LOWER
from spacy.strings import get_string_id
from spacy.tokens import Doc

from .featurize import GENDER_UNKNOWN, NUMBER_UNKNOWN, PERSON_CODES
from .rules import RuleSet
from .speakers import NAME_TITLES, ONE_VOICE, SpeakerReading

#: the mention type codes of pronouns, names and nominals (structs.pxd MT_PRONOUN, MT_PROPER, MT_NOMINAL)
MT_PRONOUN = 0
MT_PROPER = 1
MT_NOMINAL = 2
#: the number codes of singulars and plurals (structs.pxd NUMBER_SING, NUMBER_PLUR)
NUMBER_SING, NUMBER_PLUR = 0, 1
#: the person code of the first person (structs.pxd PERSON_1)
PERSON_1 = 0
#: modifiers kept per mention for the modifier clash (more are rare: "the big old red wooden barn")
MAX_MODIFIERS = 4
#: `core_role` codes: not a core argument (or reflexive), a subject, an object
ROLE_NONE, ROLE_SUBJECT, ROLE_OBJECT = 0, 1, 2


#: the token attributes the constraints read, in `token_array`'s column order
TOKEN_ATTRS = [HEAD, DEP, LOWER, LEMMA, ENT_TYPE, IS_TITLE]
_HEAD, _DEP, _LOWER, _LEMMA, _ENT_TYPE, _IS_TITLE = range(len(TOKEN_ATTRS))


def _hashes(words) -> numpy.ndarray:
    """The StringStore hashes of a rule set's words or labels, as int64 like `token_array`'s columns
    (read-only: shared by every Doc)."""
    return _hashes_of(tuple(words))


@lru_cache(maxsize=256)
def _hashes_of(words: Tuple[str, ...]) -> numpy.ndarray:
    # a string's hash does not depend on the StringStore, so the hundreds of person and neuter nouns
    # are hashed once per process, not once per Doc (about 1 ms a Doc when they were); sorted for `_hashed_in`
    hashes = numpy.unique(numpy.asarray([get_string_id(w) for w in words], dtype="uint64").astype("int64"))
    hashes.flags.writeable = False
    return hashes


#: above this many words, `_hashed_in` searches the sorted hashes instead of calling `numpy.isin`
_SEARCHED_TABLE = 32


def _hashed_in(values: numpy.ndarray, words) -> numpy.ndarray:
    """Whether each of `values` (int64 hashes, as `token_array` holds them) is the hash of one of `words`.
    For the long word lists (person, neuter and time nouns) a binary search in their
    sorted hashes, since `numpy.isin` sorts the list again on every call (the constraint columns of LitBank
    dev's 21,018 words: 16 ms with it, 14 ms with the search). Short lists (labels) stay with `numpy.isin`,
    whose comparison loop is faster for them."""
    table = _hashes(words)
    if len(table) <= _SEARCHED_TABLE:
        return numpy.isin(values, table)
    at = numpy.searchsorted(table, values)
    at[at == len(table)] = 0
    return table[at] == values


def token_array(doc: Doc) -> numpy.ndarray:
    """`doc.to_array(TOKEN_ATTRS)` as int64, read once per Doc for every constraint column (HEAD is
    an offset, which spaCy wraps to uint64: int64 unwraps it)."""
    return doc.to_array(TOKEN_ATTRS).astype("int64")


def binding_columns(
    doc: Doc, heads: numpy.ndarray, rules: RuleSet, array: Optional[numpy.ndarray] = None
) -> Dict[str, numpy.ndarray]:
    """For mentions with head tokens `heads`: "governor" (int32, the head token's syntactic head) and
    "core_role" (int8, ROLE_SUBJECT / ROLE_OBJECT by the rule set's clause labels; ROLE_NONE for any
    other label, for a reflexive pronoun, and for every mention when the rule set has no labels)."""
    heads = numpy.asarray(heads, dtype="int64")
    roles = numpy.zeros(len(heads), dtype="int8")
    if len(heads) == 0 or not (rules.clause_subject_deps and rules.clause_object_deps):
        return {"governor": numpy.full(len(heads), -1, dtype="int32"), "core_role": roles}
    array = token_array(doc) if array is None else array
    governor = (heads + array[heads, _HEAD]).astype("int32")

    deps, words = array[heads, _DEP], array[heads, _LOWER]
    roles[_hashed_in(deps, rules.clause_subject_deps)] = ROLE_SUBJECT
    roles[_hashed_in(deps, rules.clause_object_deps)] = ROLE_OBJECT
    roles[_hashed_in(words, rules.reflexive_words)] = ROLE_NONE
    return {"governor": governor, "core_role": roles}


def modifier_columns(
    doc: Doc, starts, ends, heads, mention_types, rules: RuleSet, array: Optional[numpy.ndarray] = None
) -> Dict[str, numpy.ndarray]:
    """For each mention: "head_lemma" (uint64 hash of the head's lemma, or of its lowercase form in a
    pipeline without a lemmatizer, whose lemmas are all 0: every head would be the same) and "modifiers" (uint64
    [n, MAX_MODIFIERS]): the lowercase hashes of the tokens inside the mention that depend on its
    head under the rule set's `modifier_deps`, sorted, then zeros (the first MAX_MODIFIERS of them);
    pronouns have none."""
    n = len(heads)
    lemmas = numpy.zeros(n, dtype="uint64")
    modifiers = numpy.zeros((n, MAX_MODIFIERS), dtype="uint64")
    if n == 0 or not rules.modifier_deps:
        return {"head_lemma": lemmas, "modifiers": modifiers}
    array = token_array(doc) if array is None else array
    heads = numpy.asarray(heads, dtype="int64")
    lemmas[:] = numpy.where(array[heads, _LEMMA] != 0, array[heads, _LEMMA], array[heads, _LOWER]).astype("uint64")
    starts, ends = numpy.asarray(starts, dtype="int64"), numpy.asarray(ends, dtype="int64")
    # every (mention, modifier token of its head) pair, without a loop over mentions: the modifier tokens
    # sorted by their head, and for each mention the run of those whose head is its head
    tokens = numpy.flatnonzero(_hashed_in(array[:, _DEP], rules.modifier_deps))
    token_heads = tokens + array[tokens, _HEAD]
    order = numpy.argsort(token_heads, kind="stable")
    tokens, token_heads = tokens[order], token_heads[order]
    first = numpy.searchsorted(token_heads, heads, side="left")
    counts = numpy.searchsorted(token_heads, heads, side="right") - first
    counts[numpy.asarray(mention_types) == MT_PRONOUN] = 0
    mention = numpy.repeat(numpy.arange(n), counts)
    token = tokens[
        numpy.repeat(first, counts) + numpy.arange(counts.sum()) - numpy.repeat(counts.cumsum() - counts, counts)
    ]
    inside = (token >= starts[mention]) & (token < ends[mention])
    mention, word = mention[inside], array[token[inside], _LOWER].astype("uint64")
    # per mention: its distinct words, sorted, the first MAX_MODIFIERS of them
    order = numpy.lexsort((word, mention))
    mention, word = mention[order], word[order]
    distinct = numpy.ones(len(word), dtype=bool)
    distinct[1:] = (mention[1:] != mention[:-1]) | (word[1:] != word[:-1])
    mention, word = mention[distinct], word[distinct]
    rank = numpy.arange(len(mention)) - numpy.searchsorted(mention, mention, side="left")
    kept = rank < MAX_MODIFIERS
    modifiers[mention[kept], rank[kept]] = word[kept]
    return {"head_lemma": lemmas, "modifiers": modifiers}


def time_entity_column(
    doc: Doc, heads, rules: RuleSet, array: Optional[numpy.ndarray] = None
) -> Dict[str, numpy.ndarray]:
    """ "time_entity" (int8): 1 for a mention headed by an entity of the rule set's
    `nominal_entity_labels` (DATE, TIME) or by one of its `time_words` ("every day", which the NER
    leaves untagged in "I see him every day"): never a person, so agreement reads it as neuter and it
    never joins a cluster of *she*, *Olga* or *him* ("Earlier this year, Olga ... She ...")."""
    heads = numpy.asarray(heads, dtype="int64")
    flags = numpy.zeros(len(heads), dtype="int8")
    if len(heads) and (rules.nominal_entity_labels or rules.time_words):
        array = token_array(doc) if array is None else array
        flags[_hashed_in(array[heads, _ENT_TYPE], rules.nominal_entity_labels)] = 1
        flags[_hashed_in(array[heads, _LOWER], rules.time_words)] = 1
    return {"time_entity": flags}


def animacy_columns(
    doc: Doc, heads, mention_types, rules: RuleSet, array: Optional[numpy.ndarray] = None
) -> Dict[str, numpy.ndarray]:
    """ "person_noun" (int8): 1 for a name or nominal mention headed by one of the rule set's
    `person_nouns` (by lemma or lowercase form: "the chief executive", "engineers"): a person, so
    agreement never puts it in a cluster with a neuter mention ("Tim Cook, Apple's chief executive,
    called it ..."; *it* stays apart). "neuter_noun" (int8): 1 for a nominal mention headed by one of
    its `neuter_nouns` ("the new phone", "a house"): a thing, neuter at linking, never *he* or *she*.

    PERSON entities are not read: `en_core_web_sm` tags places and events as people too often
    (*Cyclone Phailin*, *Penn State*, *Athens* on OntoGUM dev, which then lost their *it*s: OntoGUM dev
    58.17 -> 57.97 with them)."""
    heads = numpy.asarray(heads, dtype="int64")
    columns = {
        "person_noun": numpy.zeros(len(heads), dtype="int8"),
        "neuter_noun": numpy.zeros(len(heads), dtype="int8"),
    }
    if not len(heads) or not (rules.person_nouns or rules.neuter_nouns):
        return columns
    array = token_array(doc) if array is None else array
    mention_types = numpy.asarray(mention_types)

    def headed_by(words) -> numpy.ndarray:
        return _hashed_in(array[heads, _LEMMA], words) | _hashed_in(array[heads, _LOWER], words)

    columns["person_noun"][headed_by(rules.person_nouns) & numpy.isin(mention_types, (MT_PROPER, MT_NOMINAL))] = 1
    columns["neuter_noun"][headed_by(rules.neuter_nouns) & (mention_types == MT_NOMINAL)] = 1
    return columns


def coordination_columns(
    doc: Doc, heads, rules: RuleSet, array: Optional[numpy.ndarray] = None
) -> Dict[str, numpy.ndarray]:
    """ "coordination" (int32): for a mention whose head is a conjunct (a `conj_deps` dependent, or the
    word that has one), the first conjunct of its coordination (conjuncts chain: "Tom, Dick and Harry"
    makes *Harry* depend on *Dick*, *Dick* on *Tom*); -1 for any other mention. "conjunct" (int32): the
    mention's head where "coordination" is set, else -1. Two mentions of one coordination with different
    conjuncts never share a cluster; a list mention has the first conjunct's head, so no other member joins it."""
    heads = numpy.asarray(heads, dtype="int64")
    coordination = numpy.full(len(heads), -1, dtype="int32")
    conjunct = numpy.full(len(heads), -1, dtype="int32")
    if not len(heads) or not rules.conj_deps:
        return {"coordination": coordination, "conjunct": conjunct}
    array = token_array(doc) if array is None else array
    is_conj = _hashed_in(array[:, _DEP], rules.conj_deps)
    tokens = numpy.arange(len(array), dtype="int64")
    governors = tokens + array[:, _HEAD]
    in_coordination = is_conj.copy()
    in_coordination[governors[is_conj]] = True
    # climb conj links to the first conjunct by pointer doubling: log2(chain) steps, so a chain of
    # thousands of conjuncts (an unpunctuated text) costs a dozen passes, not one pass per conjunct
    # (bounded: a Doc built from arrays may hold a loop of heads)
    first = numpy.where(is_conj, governors, tokens)
    for _ in range(len(array).bit_length()):
        further = first[first]
        if numpy.array_equal(further, first):
            break
        first = further
    coordinated = in_coordination[heads]
    coordination[coordinated] = first[heads[coordinated]]
    conjunct[coordinated] = heads[coordinated]
    return {"coordination": coordination, "conjunct": conjunct}


def indefinite_nominal_column(
    doc: Doc, starts, ends, heads, mention_types, numbers, rules: RuleSet, array: Optional[numpy.ndarray] = None
) -> Dict[str, numpy.ndarray]:
    """ "indefinite_nominal" (int8): 1 for a nominal mention whose first token is not one of the rule
    set's `definite_words` and whose head has no possessive dependent (`possessive_deps`) inside it
    ("a study", "limited exposure", "librarians"; not "the study", "Melanie 's mom", nor one capitalized
    singular word, used as a name: "Mom"); 0 for every mention when the rule set has no
    `indefinite_nominal_constraint`."""
    n = len(heads)
    flags = numpy.zeros(n, dtype="int8")
    nominal = numpy.asarray(mention_types) == MT_NOMINAL
    if n == 0 or not rules.indefinite_nominal_constraint or not nominal.any():
        return {"indefinite_nominal": flags}
    array = token_array(doc) if array is None else array
    starts, ends, heads = (numpy.asarray(x, dtype="int64") for x in (starts, ends, heads))
    flags[nominal & ~_hashed_in(array[starts, _LOWER], rules.definite_words)] = 1
    # one capitalized word, not plural, is used as a name: "Mom", "Dad", "Doctor" (not "Librarians")
    flags[(ends - starts == 1) & (array[starts, _IS_TITLE] != 0) & (numpy.asarray(numbers) != NUMBER_PLUR)] = 0
    # a possessive dependent of the head inside the mention makes it definite ("Melanie 's mom"); a head
    # has at most one, so each head's possessive dependent (-1: none) says it
    possessors = numpy.flatnonzero(_hashed_in(array[:, _DEP], rules.possessive_deps))
    possessor_of = numpy.full(len(doc), -1, dtype="int64")
    possessor_of[possessors + array[possessors, _HEAD]] = possessors
    possessor = possessor_of[heads]
    flags[(possessor >= starts) & (possessor < ends)] = 0
    return {"indefinite_nominal": flags}


#: words kept per person's name for the distinct-names constraint ("John Fitzgerald Kennedy Jr")
MAX_NAME_WORDS = 4
#: tokens of a name read for its words (a longer name's later tokens are not)
_NAME_SPAN = 16


def cataphora_column(
    doc: Doc, columns: Dict[str, numpy.ndarray], rules: RuleSet, array: Optional[numpy.ndarray] = None
) -> Dict[str, numpy.ndarray]:
    """ "cataphor" (int32): for a name or nominal that is the subject (`clause_subject_deps`) of a predicate, the
    first of the rule set's `cataphora_pronouns` before it inside one of that predicate's dependents under
    `cataphora_deps` that comes before the subject, agrees with it where both have a known gender and number,
    and follows no mention of that dependent that it agrees with so ("Because [they] were hungry, [the
    children] ate."; "After [his] speech, [the president] left."); -1 for every other mention. Linking reads
    it only where the model leaves both mentions new (`resolution.ClusterAgreement.set_cataphors`)."""
    n = len(columns["head"])
    cataphor = numpy.full(n, -1, dtype="int32")
    if n == 0 or not (rules.cataphora_deps and rules.cataphora_pronouns and rules.clause_subject_deps):
        return {"cataphor": cataphor}
    array = token_array(doc) if array is None else array
    heads, starts = numpy.asarray(columns["head"], dtype="int64"), numpy.asarray(columns["start"], dtype="int64")
    types = numpy.asarray(columns["mention_type"])
    gender, number = numpy.asarray(columns["gender"]), numpy.asarray(columns["number"])
    single = (numpy.asarray(columns["end"]) - starts) == 1
    pronouns = numpy.flatnonzero(
        (types == MT_PRONOUN) & single & _hashed_in(array[heads, _LOWER], rules.cataphora_pronouns)
    )
    subject_token = _hashed_in(array[:, _DEP], rules.clause_subject_deps)
    subjects = numpy.flatnonzero(((types == MT_PROPER) | (types == MT_NOMINAL)) & subject_token[heads])
    if len(pronouns) == 0 or len(subjects) == 0:
        return {"cataphor": cataphor}
    tokens = numpy.arange(len(array), dtype="int64")
    governors = tokens + array[:, _HEAD]
    # the subject mention of each predicate: the first of the mentions headed by its subject
    subject_of = numpy.full(len(array), -1, dtype="int64")
    subject_of[governors[heads[subjects[::-1]]]] = subjects[::-1]
    cataphora_dep = _hashed_in(array[:, _DEP], rules.cataphora_deps)
    # climb from each pronoun to the dependent of a predicate whose subject comes after it (every pronoun at
    # once, a step at a time; bounded, since a Doc built from arrays may hold a loop of heads)
    found = numpy.full(len(pronouns), -1, dtype="int64")
    at = heads[pronouns]
    for _ in range(min(len(array), 64)):
        subject = subject_of[governors[at]]
        hit = (found < 0) & cataphora_dep[at] & (subject >= 0) & (governors[at] != at)
        hit[hit] = (at[hit] < heads[subject[hit]]) & (heads[pronouns[hit]] < starts[subject[hit]])
        found[hit] = subject[hit]
        climbing = (found < 0) & (governors[at] != at)
        if not climbing.any():
            break
        at = numpy.where(climbing, governors[at], at)
    ends = numpy.asarray(columns["end"], dtype="int64")
    known_values = ((gender, GENDER_UNKNOWN), (number, NUMBER_UNKNOWN))

    def compatible(a: int, b: int) -> bool:
        """Whether mentions a and b have no known gender or number that differs."""
        return not any(v[a] != unknown and v[b] != unknown and v[a] != v[b] for v, unknown in known_values)

    third = ~numpy.isin(numpy.asarray(columns["person"]), (PERSON_CODES["1"], PERSON_CODES["2"]))  # not "I", "you"
    for pronoun, subject, dependent in zip(pronouns.tolist(), found.tolist(), at.tolist()):
        if subject < 0 or cataphor[subject] >= 0 or not compatible(pronoun, subject):
            continue
        # a mention before the pronoun in its clause that may be its antecedent leaves it alone ("as darkness
        # drew its veil, the sounds ..."; "To Mr. Pett, never at his ease, Ogden Ford was ..."): the model
        # chose none there, and the subject is no better a guess (a word that heads several mentions, "Mrs.
        # Pontellier" and "Pontellier", clashes if one of them does)
        before = numpy.flatnonzero((starts >= doc[dependent].left_edge.i) & (ends <= starts[pronoun]) & third)
        clashing = {heads[m] for m in before.tolist() if not compatible(pronoun, m)}
        if any(heads[m] not in clashing for m in before.tolist()):
            continue
        cataphor[subject] = pronoun
    return {"cataphor": cataphor}


def person_name_column(
    doc: Doc, starts, ends, heads, mention_types, rules: RuleSet, array: Optional[numpy.ndarray] = None
) -> Dict[str, numpy.ndarray]:
    """ "person_name" (uint64 [n, MAX_NAME_WORDS]): for a name whose head is a person entity (the rule set's
    `person_entity_labels`), the lowercase hashes of its words of that entity, titles aside ("Mr. Brown":
    *brown*), sorted, then zeros; zeros for every other mention. "person_name_titled" (int8): 1 where such a
    name has a title in it ("Mr. Brown", "Mrs Verloc"). Two names that share no word are two people, unless
    one has a title and the other none ("Mrs Verloc" may be "Winnie", "Mr. Brown" "John"): linking keeps a
    name out of a cluster whose first name of its kind (titled or not) shares none of its words."""
    n = len(heads)
    names = numpy.zeros((n, MAX_NAME_WORDS), dtype="uint64")
    titled = numpy.zeros(n, dtype="int8")
    if n == 0 or not rules.person_entity_labels:
        return {"person_name": names, "person_name_titled": titled}
    array = token_array(doc) if array is None else array
    heads = numpy.asarray(heads, dtype="int64")
    person_token = _hashed_in(array[:, _ENT_TYPE], rules.person_entity_labels)
    title = _hashed_in(array[:, _LOWER], NAME_TITLES)
    name_word = person_token & ~title
    named = numpy.flatnonzero((numpy.asarray(mention_types) == MT_PROPER) & person_token[heads])
    if len(named) == 0:
        return {"person_name": names, "person_name_titled": titled}
    # each named mention's tokens as a row (at most _NAME_SPAN of them), name words kept, sorted, repeats and
    # other tokens zeroed, then the nonzero hashes moved first: no Python loop over a novel's names
    starts = numpy.asarray(starts, dtype="int64")[named]
    ends = numpy.asarray(ends, dtype="int64")[named]
    width = int(min(_NAME_SPAN, max(1, (ends - starts).max())))
    tokens = starts[:, None] + numpy.arange(width)
    inside = tokens < ends[:, None]
    tokens = numpy.minimum(tokens, len(array) - 1)
    words = numpy.where(inside & name_word[tokens], array[tokens, _LOWER].astype("uint64"), numpy.uint64(0))
    words = _sorted_distinct_first(words)
    names[named, : min(width, MAX_NAME_WORDS)] = words[:, :MAX_NAME_WORDS]
    titled[named] = (inside & title[tokens]).any(axis=1)
    if rules.name_variants:
        _join_name_variants(names, rules.name_variants)
    return {"person_name": names, "person_name_titled": titled}


def _sorted_distinct_first(rows: numpy.ndarray) -> numpy.ndarray:
    """Each row of hashes sorted, repeats zeroed, then its nonzero hashes moved first (the layout
    `ClusterAgreement._share_name_word` merges); sorts `rows` in place."""
    rows.sort(axis=1)
    rows[:, 1:][rows[:, 1:] == rows[:, :-1]] = 0
    return numpy.take_along_axis(rows, numpy.argsort(rows == 0, axis=1, kind="stable"), axis=1)


#: per rule set's `name_variants` (by identity): the dict itself, kept so that its id stays its own, and its
#: (nickname, full name) hash pairs, sorted
_VARIANT_PAIRS: Dict[int, Tuple[object, numpy.ndarray]] = {}


def _name_variant_pairs(variants: Dict[str, List[str]]) -> numpy.ndarray:
    """uint64 [k, 2]: the hashes of each (nickname, full name) pair of a rule set, once per process."""
    cached = _VARIANT_PAIRS.get(id(variants))
    if cached is None or cached[0] is not variants:
        pairs = [(get_string_id(nick), get_string_id(full)) for nick, fulls in variants.items() for full in fulls]
        table = numpy.unique(numpy.asarray(pairs, dtype="uint64").reshape(-1, 2), axis=0)
        table.flags.writeable = False
        cached = _VARIANT_PAIRS[id(variants)] = (variants, table)
    return cached[1]


def _join_name_variants(names: numpy.ndarray, variants: Dict[str, List[str]]) -> None:
    """`person_name`'s rows with each nickname and the full names it shortens that occur in the same Doc
    written as one word (the smallest hash of the group), then sorted and deduplicated again, in place. Only
    the pairs present in the Doc are joined, so "Jo" joins "Josephine" in *Little Women* without making
    "Josephine" and "Joanna" one name elsewhere."""
    present = numpy.unique(names[names != 0])
    if len(present) < 2:
        return
    pairs = _name_variant_pairs(variants)
    pairs = pairs[numpy.isin(pairs[:, 0], present) & numpy.isin(pairs[:, 1], present)]
    if len(pairs) == 0:
        return
    group = {int(word): int(word) for word in pairs.ravel()}  # a union-find over the few words joined

    def root(word: int) -> int:
        while group[word] != word:
            word = group[word]
        return word

    for nick, full in pairs.tolist():
        a, b = root(nick), root(full)
        group[max(a, b)] = min(a, b)
    words = numpy.asarray(sorted(group), dtype="uint64")
    roots = numpy.asarray([root(int(word)) for word in words], dtype="uint64")
    at = numpy.searchsorted(words, names)
    at[at == len(words)] = 0
    joined = words[at] == names
    names[joined] = roots[at[joined]]
    names[:] = _sorted_distinct_first(names)


def singular_first_column(columns: Dict[str, numpy.ndarray], speakers: SpeakerReading) -> Dict[str, numpy.ndarray]:
    """ "singular_first" (int8): 1 for a singular first-person pronoun ("I", "me", "my") whose speaker is
    known to be a person, and "first_person_speaker" (int64): that speaker's number. Its speaker is its
    referent, so two of them with different speakers never share a cluster. Known: every speaker of a Doc
    whose speakers name people (`SpeakerReading.people`: given, or transcript lines); in a Doc whose
    speakers were guessed from quotations, only quotations attributed to a name, compared by name
    (`SpeakerReading.named_quotes`). The other inferred speakers are guesses: an unattributed quote
    alternates between two, and "said Herncastle" and "he said" are two speakers for one man (read, they
    cost LitBank dev 0.25)."""
    person, number = numpy.asarray(columns["person"]), numpy.asarray(columns["number"])
    flags = (numpy.asarray(columns["mention_type"]) == MT_PRONOUN) & (person == PERSON_1) & (number == NUMBER_SING)
    speaker = numpy.asarray(columns["speaker"], dtype="int64")
    if (speaker < 0).all() or not flags.any():  # plain text (one voice), or no "I"
        flags[:] = False
    elif not speakers.people:
        # quotations: only those attributed to a name, each name group one person
        named = speakers.named_quotes
        starts = numpy.asarray(columns["start"], dtype="int64")
        speaker = named[starts] if named is not None else numpy.full(len(flags), -1, dtype="int64")
        flags &= speaker >= 0
    return {"singular_first": flags.astype("int8"), "first_person_speaker": speaker}


def speaker_label_people(heads, person_noun: numpy.ndarray, speakers: SpeakerReading) -> numpy.ndarray:
    """`person_noun` with the mentions headed inside a transcript line's name (`BOB:`) set: the name of the
    line's speaker is a person whatever its tags (`en_core_web_sm` reads a capitalized `BOB` as a plural
    common noun), so agreement keeps *it* out of its cluster, unless its noun is a thing (a neuter noun:
    `COMPUTER:`), which agreement reads first."""
    if speakers.labels and len(heads):
        heads = numpy.asarray(heads, dtype="int64")
        for start, end in speakers.labels:
            person_noun[(heads >= start) & (heads < end)] = 1
    return person_noun


def constraint_columns(
    doc: Doc, columns: Dict[str, numpy.ndarray], rules: RuleSet, speakers: Optional[SpeakerReading] = None
) -> Dict[str, numpy.ndarray]:
    """A Doc's `Mentions.columns()` with the binding, modifier, time-entity, animacy, coordination,
    speaker, indefinite-nominal and person-name columns added: everything `resolution.linking_constraints` reads.
    `speakers`: what the mentions were extracted with (`Mentions.speakers`); None reads nothing of the
    speakers (no two-speakers constraint, no transcript names)."""
    speakers = ONE_VOICE if speakers is None else speakers
    array = token_array(doc) if len(doc) else None
    animacy = animacy_columns(doc, columns["head"], columns["mention_type"], rules, array)
    animacy["person_noun"] = speaker_label_people(columns["head"], animacy["person_noun"], speakers)
    return {
        **columns,
        **binding_columns(doc, columns["head"], rules, array),
        **modifier_columns(
            doc, columns["start"], columns["end"], columns["head"], columns["mention_type"], rules, array
        ),
        **time_entity_column(doc, columns["head"], rules, array),
        **animacy,
        **coordination_columns(doc, columns["head"], rules, array),
        **singular_first_column(columns, speakers),
        **person_name_column(
            doc, columns["start"], columns["end"], columns["head"], columns["mention_type"], rules, array
        ),
        **cataphora_column(doc, columns, rules, array),
        **indefinite_nominal_column(
            doc,
            columns["start"],
            columns["end"],
            columns["head"],
            columns["mention_type"],
            columns["number"],
            rules,
            array,
        ),
    }
