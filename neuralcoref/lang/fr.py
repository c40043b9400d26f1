"""French mention rules for pipelines with UD dependency labels (fr_core_news_*).

Tuned on fr-litbank train with fr_core_news_sm 3.8 (gold mention recall 62% with a plain UD rule set,
84% with this one; dev 84%): possessive determiners are DET, clitics are separate tokens ("l'",
"-elle"), the model mistags frequent pronouns ("tu" as ADV/ADP, curly-apostrophe forms as NOUN/PROPN),
and labels many referential "il" as expl:subj, so no label is treated as expletive. "en", "y" and the
reflexive "se" are left out (rarely annotated: 11%, 19%, 2% of their occurrences); relative "qui",
"dont", "où" are in (41%, 36%, 40%: fr-litbank annotates them).
"""
from ..rules import RuleSet, register_rules

_M, _F = "Masc", "Fem"
_S, _P = "Sing", "Plur"

PRONOUNS = {
    # subject
    "je": ("", _S, "1"), "j'": ("", _S, "1"), "tu": ("", _S, "2"),
    "il": (_M, _S, "3"), "elle": (_F, _S, "3"), "on": ("", "", "3"),
    "nous": ("", _P, "1"), "vous": ("", "", "2"), "ils": (_M, _P, "3"), "elles": (_F, _P, "3"),
    # object clitics
    "me": ("", _S, "1"), "m'": ("", _S, "1"), "te": ("", _S, "2"), "t'": ("", _S, "2"),
    "le": (_M, _S, "3"), "la": (_F, _S, "3"), "l'": ("", _S, "3"), "les": ("", _P, "3"),
    "lui": ("", _S, "3"), "leur": ("", _P, "3"),
    # stressed
    "moi": ("", _S, "1"), "toi": ("", _S, "2"), "eux": (_M, _P, "3"),
    # possessive determiners: the values are the possessor's
    "mon": ("", _S, "1"), "ma": ("", _S, "1"), "mes": ("", _S, "1"),
    "ton": ("", _S, "2"), "ta": ("", _S, "2"), "tes": ("", _S, "2"),
    "son": ("", _S, "3"), "sa": ("", _S, "3"), "ses": ("", _S, "3"),
    "notre": ("", _P, "1"), "nos": ("", _P, "1"), "votre": ("", "", "2"), "vos": ("", "", "2"),
    "leurs": ("", _P, "3"),
    # possessive pronouns (with their article: "le sien")
    "mien": (_M, _S, "1"), "mienne": (_F, _S, "1"), "miens": (_M, _S, "1"), "miennes": (_F, _S, "1"),
    "tien": (_M, _S, "2"), "tienne": (_F, _S, "2"), "tiens": (_M, _S, "2"), "tiennes": (_F, _S, "2"),
    "sien": (_M, _S, "3"), "sienne": (_F, _S, "3"), "siens": (_M, _S, "3"), "siennes": (_F, _S, "3"),
    "nôtre": ("", _P, "1"), "nôtres": ("", _P, "1"), "vôtre": ("", "", "2"), "vôtres": ("", "", "2"),
    # relative pronouns
    "qui": ("", "", "3"), "dont": ("", "", "3"), "où": ("", "", "3"),
    "lequel": (_M, _S, "3"), "laquelle": (_F, _S, "3"), "lesquels": (_M, _P, "3"),
    "lesquelles": (_F, _P, "3"), "duquel": (_M, _S, "3"), "auquel": (_M, _S, "3"),
    # reflexive-emphatic
    "moi-même": ("", _S, "1"), "toi-même": ("", _S, "2"), "lui-même": (_M, _S, "3"),
    "elle-même": (_F, _S, "3"), "soi-même": ("", _S, "3"), "nous-mêmes": ("", _P, "1"),
    "vous-même": ("", _S, "2"), "vous-mêmes": ("", _P, "2"), "eux-mêmes": (_M, _P, "3"),
    "elles-mêmes": (_F, _P, "3"),
    "chacun": (_M, _S, "3"), "chacune": (_F, _S, "3"),
}
# inverted subjects keep their hyphen ("dit-elle"), curly apostrophes are common in literary text
for _word in ("je", "tu", "il", "elle", "on", "nous", "vous", "ils", "elles", "moi", "toi", "lui",
              "le", "la", "les", "leur", "eux"):
    PRONOUNS["-" + _word] = PRONOUNS[_word]
for _word in ("j'", "m'", "t'", "l'"):
    PRONOUNS[_word.replace("'", "\u2019")] = PRONOUNS[_word]

_ANY: list = []  # any POS: unambiguous forms that fr_core_news_sm often mistags ("tu" as ADV, "-elle" as ADJ)
POS_BY_WORD = {
    # possessive determiners are DET (Poss=Yes); "leur" is also the clitic "to them"
    **{w: ["DET", "PRON"] for w in ("mon", "ma", "mes", "ta", "son", "sa", "ses", "notre", "nos",
                                     "votre", "vos", "leur", "leurs")},
    "ton": ["DET", "PRON", "ADJ", "ADV"],  # the noun "ton" (tone) is rare in the corpus
    # le, la, les, l' stay PRON only (as DET they are articles)
    **{w: _ANY for w in ("je", "j'", "j\u2019", "tu", "il", "elle", "ils", "elles", "nous", "vous", "on",
                         "me", "m'", "m\u2019", "te", "t'", "t\u2019", "moi", "toi", "lui", "eux", "tes")},
    **{w: _ANY for w in PRONOUNS if w.startswith("-") or w.endswith(("-même", "-mêmes"))},
    **{w: _ANY for w in ("mien", "mienne", "miens", "miennes", "tien", "tienne", "tiens", "tiennes", "sien",
                         "sienne", "siens", "siennes", "nôtre", "nôtres", "vôtre", "vôtres", "lequel",
                         "laquelle", "lesquels", "lesquelles", "duquel", "auquel")},
}

RULES = register_rules(
    RuleSet(
        lang="fr",
        pronouns=PRONOUNS,
        pronoun_pos=["PRON"],
        pronoun_tags=[],
        pronoun_pos_by_word=POS_BY_WORD,
        np_head_pos=["NOUN", "PROPN"],
        np_deps=[
            "nsubj", "nsubj:pass", "obj", "iobj", "obl", "obl:arg", "obl:mod", "obl:agent", "nmod",
            "appos", "conj", "ROOT", "vocative", "dislocated", "dep", "xcomp", "csubj",
        ],
        # fr-litbank spans leave out relative clauses (693 of 707 times in train) and mostly appositions and
        # participial modifiers; the clausal labels under a noun are usually parse errors of fr_core_news_sm
        cut_deps=["conj", "cc", "appos", "acl:relcl", "acl", "punct", "dep", "advmod", "advcl", "parataxis",
                  "ccomp", "obj", "xcomp", "obl:mod", "obl:arg", "nsubj"],
        trim_deps=["case", "punct", "cc", "mark"],
        # de + le, à + le, à + les, de + les: part of the mention ("du boulevard")
        untrimmed_words=["du", "au", "aux", "des"],
        relaxed_skip_deps=["det", "case", "nmod:poss"],
        expletive_deps=[],
        subject_deps=["nsubj", "nsubj:pass", "csubj", "obl:agent"],
        object_deps=["obj", "iobj", "xcomp"],
        oblique_deps=["obl", "obl:arg", "obl:mod", "nmod"],
        possessive_deps=["nmod:poss"],
        clause_subject_deps=["nsubj", "nsubj:pass"],
        clause_object_deps=["obj", "iobj"],
        reflexive_words=["se", "s'", "s\u2019", "soi", "soi-même", "lui-même", "elle-même", "eux-mêmes",
                         "elles-mêmes", "moi-même", "toi-même", "nous-mêmes", "vous-même", "vous-mêmes"],
        appositive_deps=["appos"],
        attribute_deps=["xcomp"],
        definite_words=["le", "la", "l'", "l\u2019", "les", "du", "au", "aux", "ce", "cet", "cette", "ces",
                        "mon", "ma", "mes", "ton", "ta", "tes", "son", "sa", "ses", "notre", "nos",
                        "votre", "vos", "leur", "leurs"],
        indefinite_words=["un", "une", "des", "quelque", "quelques", "plusieurs", "aucun", "aucune", "certains",
                          "certaines", "chaque", "nul", "nulle"],
        entity_labels=["PER", "LOC", "ORG", "MISC"],
        excluded_entity_labels=[],
        # first and second person, as NeuralCoref's English "i, me, my, you, your"
        blacklist=["je", "j'", "j\u2019", "me", "m'", "m\u2019", "moi", "mon", "ma", "mes",
                   "tu", "te", "t'", "t\u2019", "toi", "ton", "ta", "tes", "vous", "votre", "vos",
                   "-je", "-moi", "-tu", "-toi", "-vous"],
        possessive_form="{}",
    )
)
