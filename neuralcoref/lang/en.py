"""English mention rules for pipelines with ClearNLP dependency labels (en_core_web_*)."""
from nicknames import NickNamer

from ..rules import RuleSet, register_rules
from .en_first_names import FEMININE as _FEMININE_NAMES
from .en_first_names import MASCULINE as _MASCULINE_NAMES

_M, _F, _N = "Masc", "Fem", "Neut"
_S, _P = "Sing", "Plur"

PRONOUNS = {
    "i": ("", _S, "1"), "me": ("", _S, "1"), "my": ("", _S, "1"), "mine": ("", _S, "1"),
    "myself": ("", _S, "1"),
    "we": ("", _P, "1"), "us": ("", _P, "1"), "our": ("", _P, "1"), "ours": ("", _P, "1"),
    "ourselves": ("", _P, "1"),
    "you": ("", "", "2"), "your": ("", "", "2"), "yours": ("", "", "2"), "yourself": ("", _S, "2"),
    "yourselves": ("", _P, "2"), "y'all": ("", _P, "2"),
    "he": (_M, _S, "3"), "him": (_M, _S, "3"), "his": (_M, _S, "3"), "himself": (_M, _S, "3"),
    "she": (_F, _S, "3"), "her": (_F, _S, "3"), "hers": (_F, _S, "3"), "herself": (_F, _S, "3"),
    "it": (_N, _S, "3"), "its": (_N, _S, "3"), "itself": (_N, _S, "3"),
    "they": ("", _P, "3"), "them": ("", _P, "3"), "their": ("", _P, "3"), "theirs": ("", _P, "3"),
    "themselves": ("", _P, "3"), "themself": ("", _S, "3"),
    "this": (_N, _S, "3"), "that": (_N, _S, "3"), "these": ("", _P, "3"), "those": ("", _P, "3"),
    "one": ("", _S, "3"), "oneself": ("", _S, "3"),
}

_MASCULINE_NOUNS = (
    "man men boy boys father fathers dad dads daddy son sons brother brothers husband husbands uncle uncles "
    "nephew nephews grandfather grandfathers grandson grandsons king kings prince princes duke dukes lord lords "
    "emperor emperors gentleman gentlemen sir mr mr. monk monks priest priests boyfriend boyfriends "
    "stepfather stepson widower waiter waiters actor actors bridegroom groom fiance"
)
_FEMININE_NOUNS = (
    "woman women girl girls mother mothers mom moms mum mums mommy daughter daughters sister sisters wife wives "
    "aunt aunts niece nieces grandmother grandmothers granddaughter granddaughters queen queens princess "
    "princesses duchess duchesses lady ladies empress madam mrs mrs. ms ms. miss nun nuns girlfriend girlfriends "
    "stepmother stepdaughter widow widows waitress waitresses actress actresses bride fiancee"
)
#: nouns whose referent is a person of either gender, as lemmas: never the antecedent of *it* ("Tim Cook,
#: Apple's chief executive, ... it"). Without "child", "baby", "infant", "kid", "orphan", which the
#: training corpora also refer to as *it*, and nouns that also name things or organizations ("player",
#: "speaker", "partner", "buyer", "owner", "host", "fan", "driver", "developer", "editor", "assistant",
#: "fighter", "agent", "principal", "general", "character")
PERSON_NOUNS = (
    "person people human individual guy folk adult teenager youngster youth elder ancestor descendant "
    "parent grandparent sibling cousin relative spouse friend neighbor neighbour "
    "roommate classmate colleague coworker companion comrade acquaintance stranger newcomer visitor guest "
    "tourist traveler traveller passenger pedestrian resident inhabitant citizen immigrant refugee "
    "voter volunteer participant member reader viewer listener user "
    "student pupil learner graduate undergraduate scholar teacher tutor instructor lecturer professor dean "
    "researcher scientist expert specialist historian philosopher economist psychologist "
    "psychiatrist therapist counselor counsellor doctor physician surgeon nurse dentist pharmacist "
    "midwife caregiver patient "
    "author writer novelist poet playwright journalist reporter columnist narrator "
    "artist painter sculptor photographer filmmaker musician singer composer dancer comedian "
    "engineer architect designer programmer technician mechanic electrician plumber carpenter "
    "farmer gardener baker chef butcher cashier clerk secretary employee worker laborer labourer "
    "servant slave maid master mistress landlord landlady tenant shopkeeper merchant "
    "manager boss executive director chairperson chairman chairwoman ceo founder entrepreneur "
    "consultant analyst accountant banker lawyer attorney solicitor barrister prosecutor judge juror "
    "defendant plaintiff petitioner appellant witness suspect victim criminal thief murderer killer prisoner "
    "president vice-president minister senator congressman congresswoman governor mayor lawmaker legislator "
    "politician diplomat ambassador official spokesman spokeswoman spokesperson delegate leader ruler "
    "soldier officer captain commander sergeant lieutenant colonel admiral veteran guard policeman "
    "policewoman cop detective sheriff spy knight warrior hunter "
    "priest pastor rabbi imam bishop monk nun saint prophet "
    "pilot sailor coach athlete rookie teammate opponent rival enemy hero heroine villain "
    "protagonist suitor lover fool wretch fellow lad chap"
)
#: nouns whose referent is a thing, as lemmas: never *he* or *she* ("Tim Cook praised the new phone. He
#: said ..."). Without nouns that texts personify ("ship", "boat", "country", "nation", "church") and body
#: parts, which stand for their owners ("his hand")
NEUTER_NOUNS = (
    "house home room building apartment flat place city town village state river lake sea ocean island "
    "mountain hill road street bridge car truck bus train plane airplane bike bicycle phone telephone "
    "smartphone computer laptop machine device tool book letter paper document report article story novel "
    "poem song film movie video picture painting photo photograph box bag bottle cup glass table chair "
    "desk door window wall floor roof bed kitchen garden field farm park forest tree plant flower company "
    "firm business organization organisation institution government agency school university college "
    "hospital museum library shop store restaurant hotel office factory market bank system process program "
    "programme project plan policy law rule bill act idea theory concept question problem issue answer "
    "result study research test experiment method model data information money price cost fund budget tax "
    "product item object thing stuff material water food drink meal bread wine coffee tea oil gas fire "
    "light sound word name language text message email website site page internet network software app "
    "game sport show event meeting conference war battle election campaign crisis storm hurricane cyclone "
    "earthquake flood disease virus vaccine drug medicine cell gene brain blood bone skin hair"
)
#: nouns whose referent's gender is fixed (English morphology gives nouns none)
GENDERED_NOUNS = {**{w: _M for w in _MASCULINE_NOUNS.split()}, **{w: _F for w in _FEMININE_NOUNS.split()}}

RULES = register_rules(
    RuleSet(
        lang="en",
        pronouns=PRONOUNS,
        gendered_nouns=GENDERED_NOUNS,
        first_names={**{w: _M for w in _MASCULINE_NAMES}, **{w: _F for w in _FEMININE_NAMES}},
        person_entity_labels=["PERSON"],
        # Carlton Northern's hand-curated English nicknames (the `nicknames` package, Apache-2.0); sorted, since
        # the package builds its lookup from sets, whose order changes with the hash seed (the trainer's cache
        # fingerprint hashes the rule set's repr)
        name_variants={nick: sorted(full) for nick, full in sorted(NickNamer().canonical_lookup.items())},
        person_nouns=sorted(set(PERSON_NOUNS.split())),
        neuter_nouns=sorted(set(NEUTER_NOUNS.split())),
        cluster_agreement=True,
        speaker_inference=True,
        indefinite_nominal_constraint=True,
        pronoun_pos=["PRON"],
        pronoun_tags=["PRP", "PRP$"],
        np_head_pos=["NOUN", "PROPN"],
        np_deps=[
            "nsubj", "nsubjpass", "dobj", "iobj", "dative", "pobj", "attr", "appos", "conj",
            "oprd", "poss", "ROOT", "npadvmod", "nmod", "agent", "csubj", "dep",
        ],
        cut_deps=["conj", "cc", "appos"],
        trim_deps=["case", "punct", "cc", "prep"],
        possessive_markers=["'s", "’s", "'", "’"],
        relaxed_skip_deps=["det", "poss", "predet"],
        expletive_deps=["expl"],
        subject_deps=["nsubj", "nsubjpass", "csubj", "csubjpass", "agent"],
        object_deps=["dobj", "iobj", "dative", "oprd", "attr"],
        oblique_deps=["pobj", "npadvmod"],
        possessive_deps=["poss"],
        clause_subject_deps=["nsubj", "nsubjpass"],
        clause_object_deps=["dobj", "iobj", "dative"],
        reflexive_words=["myself", "yourself", "himself", "herself", "itself", "ourselves", "yourselves",
                         "themselves", "themself", "oneself"],
        # a fronted clause or prepositional phrase: "Because they were hungry, the children ate."
        cataphora_deps=["advcl", "prep"],
        cataphora_pronouns=["he", "him", "his", "she", "her", "its", "they", "them", "their"],
        modifier_deps=["amod", "compound", "nummod"],
        appositive_deps=["appos"],
        attribute_deps=["attr", "oprd"],
        definite_words=["the", "this", "that", "these", "those", "my", "your", "his", "her", "its", "our", "their"],
        indefinite_words=["a", "an", "some", "any", "another", "no"],
        entity_labels=[
            "PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW",
            "LANGUAGE", "DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL",
        ],
        excluded_entity_labels=["CARDINAL", "ORDINAL", "PERCENT", "MONEY", "QUANTITY"],
        nominal_entity_labels=["DATE", "TIME"],
        time_words=[
            "minute", "minutes", "hour", "hours", "day", "days", "week", "weeks", "weekend",
            "weekends", "month", "months", "year", "years", "decade", "decades", "century", "centuries",
            "morning", "mornings", "afternoon", "afternoons", "evening", "evenings", "night", "nights", "midnight",
            "noon", "today", "tonight", "yesterday", "tomorrow", "monday", "tuesday", "wednesday", "thursday",
            "friday", "saturday", "sunday",
        ],
        pleonastic_words=["it"],
        weather_lemmas=["rain", "snow", "hail", "drizzle", "sleet", "thunder", "pour", "storm", "freeze"],
        extraposing_lemmas=["be", "seem", "appear", "happen", "turn", "matter", "remain", "become", "occur",
                            "take", "make"],
        small_clause_lemmas=["find", "make", "consider", "think", "believe", "deem", "judge", "feel"],
        passive_subject_deps=["nsubjpass"],
        finite_clause_deps=["ccomp"],
        clause_deps=["ccomp", "xcomp", "csubj", "advcl"],
        clause_markers=["that", "to", "whether", "if", "for", "how", "why"],
        blacklist=["i", "me", "my", "you", "your"],
        possessive_form="{}'s",
    )
)
