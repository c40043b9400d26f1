"""Cluster agreement at linking time (`require_agreement`): a mention only joins a cluster that agrees
with it in gender (any mention of known gender) and, for pronouns, number."""

import numpy
import pytest

from neuralcoref.featurize import Featurizer
from neuralcoref.lang.en import RULES
from neuralcoref.resolution import (
    AGREEMENT_GENDER_MASK,
    AGREEMENT_NEUTER_BIT,
    AGREEMENT_PERSON_BIT,
    AGREEMENT_NUMBER_MASK,
    ClusterAgreement,
    agreement_codes,
    best_antecedents,
    mention_agreement_codes,
)
from neuralcoref.resolver import CorefResolver
from neuralcoref.testing import clashing_clusters, random_model

# gender codes (structs.pxd): MASC 0, FEM 1, NEUT 2, UNKNOWN 3; number: SING 0, PLUR 1, UNKNOWN 2;
# mention types: PRONOUN 0, PROPER 1, NOMINAL 2, LIST 3
MASC, FEM, NEUT, NO_GENDER = 0, 1, 2, 3
SING, PLUR, NO_NUMBER = 0, 1, 2
PRONOUN, PROPER, NOMINAL = 0, 1, 2


def _link(ant, ment, scores, n, codes=None, blocks=None, offset=0.0):
    best = numpy.full(n, -1, "int32")
    best_scores = numpy.zeros(n, "float32")
    agreement = None if codes is None else ClusterAgreement(codes)
    single = numpy.zeros(n, "float32")
    ant, ment, scores = (numpy.asarray(a, dtype) for a, dtype in ((ant, "int32"), (ment, "int32"), (scores, "float32")))
    for lo, hi in blocks or [(0, len(ant))]:
        best_antecedents(ant[lo:hi], ment[lo:hi], scores[lo:hi], single, best, best_scores, offset, agreement)
    return best.tolist()


def test_codes_keep_gender_of_every_mention_and_number_of_pronouns():
    codes = agreement_codes(
        [MASC, FEM, NO_GENDER, NO_GENDER, NEUT],
        [SING, SING, PLUR, PLUR, NO_NUMBER],
        [PRONOUN, PROPER, PRONOUN, NOMINAL, PRONOUN],
    )
    assert codes.dtype == numpy.uint8
    # he: masc + singular; Mary: fem only (a name's number does not constrain); they: plural;
    # "the teams": nothing ("the team ... they" is common); "it" without number: neuter
    assert codes.tolist() == [0b0010001, 0b0000010, 0b0100000, 0, 0b0000100]


def test_the_doctor_he_she():
    """[the doctor] ... he ... she: both pronouns score best with "the doctor"; "she" may not join the
    cluster that "he" made, so it takes its best agreeing candidate (mention 1, "Mary") instead."""
    codes = agreement_codes([NO_GENDER, FEM, MASC, FEM], [SING, SING, SING, SING], [NOMINAL, PROPER, PRONOUN, PRONOUN])
    ant = [0, 0, 1, 0, 1, 2]
    ment = [1, 2, 2, 3, 3, 3]
    scores = [-1.0, 5.0, 1.0, 6.0, 2.0, 4.0]
    assert _link(ant, ment, scores, 4) == [-1, -1, 0, 0]
    assert _link(ant, ment, scores, 4, codes) == [-1, -1, 0, 1]


def test_a_person_of_unknown_gender_agrees_with_she_and_never_with_it():
    """[the neighbor] ... [a car] ... it ... she: *it* scores best with "the neighbor", a person, so it
    takes "a car"; *she* may join the neighbor's cluster (a person of either gender), never the car's."""
    columns = {
        "gender": [NO_GENDER, NO_GENDER, NEUT, FEM],
        "number": [SING, SING, SING, SING],
        "mention_type": [NOMINAL, NOMINAL, PRONOUN, PRONOUN],
        "person_noun": [1, 0, 0, 0],
    }
    codes = mention_agreement_codes(columns)
    assert codes[0] == AGREEMENT_PERSON_BIT and codes[1] == 0 and codes[2] & AGREEMENT_NEUTER_BIT
    assert mention_agreement_codes({**columns, "person_noun": [0, 0, 0, 0]})[0] == 0
    ant = [0, 0, 1, 0, 1, 2]
    ment = [1, 2, 2, 3, 3, 3]
    scores = [-1.0, 5.0, 1.0, 6.0, 2.0, 4.0]
    assert _link(ant, ment, scores, 4) == [-1, -1, 0, 0]
    assert _link(ant, ment, scores, 4, codes) == [-1, -1, 1, 0]
    # a thing ("the phone") is neuter: it clashes with *she* and with a person
    things = mention_agreement_codes({**columns, "neuter_noun": [0, 1, 0, 0]})
    assert things[1] == 1 << NEUT and clashing_clusters(things, [[1, 3], [0, 1], [1, 2]]) == [[1, 3], [0, 1]]
    # a known gender wins: "the neighbor" who is "she" is no person bit beside Fem
    assert mention_agreement_codes({**columns, "gender": [FEM, NO_GENDER, NEUT, FEM]})[0] == 1 << FEM
    assert clashing_clusters(codes, [[0, 3], [1, 2], [0, 2]]) == [[0, 2]]


def test_no_agreeing_candidate_above_the_threshold_means_no_link():
    codes = agreement_codes([MASC, FEM], [SING, SING], [PRONOUN, PRONOUN])
    assert _link([0], [1], [3.0], 2) == [-1, 0]
    assert _link([0], [1], [3.0], 2, codes) == [-1, -1]


def test_number_constrains_pronouns_only():
    # they (0) ... [the team] (1) ... it (2): "the team" may join "they", "it" may not join them
    codes = agreement_codes([NO_GENDER, NO_GENDER, NEUT], [PLUR, SING, SING], [PRONOUN, NOMINAL, PRONOUN])
    assert _link([0, 0, 1], [1, 2, 2], [2.0, 1.0, 3.0], 3, codes) == [-1, 0, -1]


def _reference(ant, ment, scores, codes, n, offset):
    """Best agreeing candidate per mention, clusters as union of links, written plainly."""
    best, best_score, cluster = [-1] * n, [0.0] * n, list(range(n))
    members = {k: [k] for k in range(n)}
    for j in range(n):
        for i, s in ((a, s) for a, m, s in zip(ant, ment, scores) if m == j):
            theirs = 0
            for k in members[cluster[i]]:
                theirs |= int(codes[k])
            mine = int(codes[j])
            clash = any(
                mine & mask and theirs & mask & ~mine for mask in (AGREEMENT_GENDER_MASK, AGREEMENT_NUMBER_MASK)
            )
            if not clash and s > offset and (best[j] < 0 or s > best_score[j]):
                best[j], best_score[j] = i, s
        if best[j] >= 0:
            cluster[j] = cluster[best[j]]
            members[cluster[j]].append(j)
    return best


@pytest.mark.parametrize("seed", range(5))
def test_matches_a_plain_reference_across_blocks(seed):
    rng = numpy.random.default_rng(seed)
    n = 60
    codes = agreement_codes(rng.integers(0, 4, n), rng.integers(0, 3, n), rng.integers(0, 3, n))
    ant, ment = zip(*[(i, j) for j in range(n) for i in range(max(0, j - 8), j)])
    scores = rng.standard_normal(len(ant)).astype("float32")
    expected = _reference(ant, ment, scores.tolist(), codes, n, 0.3)
    cut = numpy.searchsorted(numpy.asarray(ment), [0, 17, 40, n])  # block boundaries between mentions
    blocks = list(zip(cut[:-1], cut[1:]))
    assert _link(ant, ment, scores, n, codes, blocks=blocks, offset=0.3) == expected
    assert _link(ant, ment, scores, n, offset=0.3) != expected  # agreement changed something


def test_blocks_out_of_order_and_wrong_lengths_are_errors():
    codes = agreement_codes([MASC, FEM, MASC], [SING] * 3, [PRONOUN] * 3)
    agreement = ClusterAgreement(codes)
    best, best_scores, single = numpy.full(3, -1, "int32"), numpy.zeros(3, "float32"), numpy.zeros(3, "float32")
    best_antecedents(
        numpy.array([0, 1], "int32"),
        numpy.array([2, 2], "int32"),
        numpy.ones(2, "float32"),
        single,
        best,
        best_scores,
        0.0,
        agreement,
    )
    with pytest.raises(ValueError, match="already linked"):
        best_antecedents(
            numpy.array([0], "int32"),
            numpy.array([1], "int32"),
            numpy.ones(1, "float32"),
            single,
            best,
            best_scores,
            0.0,
            agreement,
        )
    with pytest.raises(ValueError, match="cover"):
        best_antecedents(
            numpy.array([0], "int32"),
            numpy.array([1], "int32"),
            numpy.ones(1, "float32"),
            numpy.zeros(4, "float32"),
            numpy.full(4, -1, "int32"),
            numpy.zeros(4, "float32"),
            0.0,
            ClusterAgreement(codes),
        )
    with pytest.raises(ValueError, match="ascending"):
        best_antecedents(
            numpy.array([1, 0], "int32"),
            numpy.array([2, 1], "int32"),
            numpy.ones(2, "float32"),
            single,
            numpy.full(3, -1, "int32"),
            numpy.zeros(3, "float32"),
            0.0,
            ClusterAgreement(codes),
        )
    with pytest.raises(ValueError, match="differ in length"):
        agreement_codes([MASC], [SING, SING], [PRONOUN])


TEXT = (
    "John met Mary and her brothers in Paris. He told her that they liked the city. She said he was right, "
    "and her brothers agreed with him. The doctor arrived later; she greeted them, and he thanked her. "
) * 4


def _clashes(doc, prediction, resolver):
    codes = mention_agreement_codes(resolver.featurizer.mentions(doc).columns())
    return len(clashing_clusters(codes, prediction.clusters))


@pytest.mark.parametrize("fused", [True, False])
def test_resolver_clusters_never_clash(en_nlp_base, fused):
    """A random model that links readily makes clashing clusters; with agreement (the default) none is
    left, on the fused C path and on the numpy path alike."""
    doc = en_nlp_base(TEXT)
    model = random_model(
        words=["john", "mary", "he", "she", "her", "they", "doctor"],
        seed=5,
        embed_dim=8,
        encoder_width=32,
        single_hidden=(16,),
        pair_hidden=(16,),
        bilinear_width=4,
    )
    loose = CorefResolver(model, greedyness=0.7, blacklist=False, require_agreement=False)
    strict = CorefResolver(model, greedyness=0.7, blacklist=False)
    assert strict.require_agreement
    if not fused:
        loose.scorer._fused = strict.scorer._fused = None
    assert _clashes(doc, loose.predict(doc), loose) > 0
    prediction = strict.predict(doc)
    assert len(prediction.clusters) > 0 and _clashes(doc, prediction, strict) == 0


@pytest.mark.parametrize("lang,default", [("en", True), ("fr", False)])
def test_the_default_is_the_languages(lang, default):
    """English gender is the referent's; French nouns carry grammatical gender ("la victime ... il")."""
    assert CorefResolver(random_model(lang=lang)).require_agreement is default
    assert CorefResolver(random_model(lang=lang), require_agreement=not default).require_agreement is (not default)


def test_component_setting_round_trips(make_nlp):
    nlp = make_nlp(require_agreement=False)
    assert nlp.get_pipe("neuralcoref").resolver.require_agreement is False
    restored = nlp.get_pipe("neuralcoref").from_bytes(nlp.get_pipe("neuralcoref").to_bytes())
    assert restored.cfg["require_agreement"] is False


def test_mentions_columns_carry_gender_and_number(en_nlp_base):
    doc = en_nlp_base("She met them.")
    columns = Featurizer(RULES).mentions(doc).columns()
    assert columns["gender"].tolist() == [FEM, NO_GENDER] and columns["number"].tolist() == [SING, PLUR]
