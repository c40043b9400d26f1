"""Per-language mention rules: the only place where a language's labels and word lists live.

The Cython extractor is language-independent: it hashes the strings of a `RuleSet`
once (`MentionExtractor(rules)`) and then only compares hashes. A new language is a
new module in `neuralcoref/lang/` that builds a `RuleSet` and registers it.
"""

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from .errors import Errors

#: word -> (gender, number, person); values as in spaCy's morphology ("Masc", "Sing", "3"), "" = unknown
PronounLexicon = Dict[str, Tuple[str, str, str]]


@dataclass(frozen=True)
class RuleSet:
    """Which tokens and spans are candidate mentions, and how to read them.

    Every list holds spaCy strings (tags, dependency labels, entity labels, lowercase words).
    """

    lang: str
    #: lowercase pronouns that are mentions on their own, with their grammatical values
    pronouns: PronounLexicon
    #: lowercase nouns whose referent's gender is fixed: word -> "Masc" or "Fem". Like the pronoun
    #: lexicon, only a fallback for tokens whose Token.morph has no Gender (English nouns never have one),
    #: so that "my sister" ... "him" is a gender clash
    gendered_nouns: Dict[str, str] = field(default_factory=dict)
    #: lowercase first names whose bearers are (nearly) all of one gender: name -> "Masc" or "Fem".
    #: A proper-noun mention whose head has no gender takes the first gendered word before or at its
    #: head: a title or gendered noun ("[Mr. Smith]", "[Queen Victoria]") or, on a proper noun that
    #: is a person or no entity, a first name ("[Marie Curie]" ... "she"; not "[Virginia Tech]")
    first_names: Dict[str, str] = field(default_factory=dict)
    #: entity labels of people (the first-name rule skips tokens of other entity types)
    person_entity_labels: List[str] = field(default_factory=list)
    #: lowercase nicknames -> the full first names they shorten ("beth" -> ["bethena", "elizabeth"]): the
    #: distinct-names constraint reads a nickname and its full name, when both occur in a Doc, as one word
    #: ("Beth" may be "Elizabeth"); two nicknames of one name are not joined ("Jim" / "Jimmy")
    name_variants: Dict[str, List[str]] = field(default_factory=dict)
    #: coarse POS that a pronoun mention must have (a pronoun word tagged otherwise is skipped)
    pronoun_pos: List[str] = field(default_factory=lambda: ["PRON"])
    #: fine-grained tags that also make a pronoun-lexicon word a mention (e.g. English PRP$)
    pronoun_tags: List[str] = field(default_factory=list)
    #: per-word replacement of pronoun_pos: word -> the coarse POS it must have to be a mention
    #: (French "son" -> ["DET"], while the article "le" must stay ["PRON"]); an empty list accepts
    #: any POS, for unambiguous forms that a weak tagger mislabels (French "tu", "-elle")
    pronoun_pos_by_word: Dict[str, List[str]] = field(default_factory=dict)
    #: coarse POS of noun-phrase heads
    np_head_pos: List[str] = field(default_factory=lambda: ["NOUN", "PROPN"])
    #: dependency labels under which a noun heads a mention (its subtree)
    np_deps: List[str] = field(default_factory=list)
    #: dependents cut off to form the shorter variant of a mention (coordination, apposition)
    cut_deps: List[str] = field(default_factory=list)
    #: dependency label of a conjunct (the full phrase becomes a LIST mention)
    conj_deps: List[str] = field(default_factory=lambda: ["conj"])
    #: dependents trimmed from both ends of a span (case markers, punctuation, conjunctions)
    trim_deps: List[str] = field(default_factory=lambda: ["case", "punct", "cc"])
    #: lowercase words never trimmed although their label is in trim_deps: a preposition fused with
    #: an article belongs to the mention (French "du", "au"; German "im", "zum")
    untrimmed_words: List[str] = field(default_factory=list)
    #: lowercase possessive markers that stay at the end of the mention they depend on, as OntoNotes
    #: annotates them ("[John 's] dog"; English "'s"); every other trailing case marker is trimmed
    possessive_markers: List[str] = field(default_factory=list)
    #: dependents skipped by the relaxed string match (determiners, possessives)
    relaxed_skip_deps: List[str] = field(default_factory=lambda: ["det", "poss", "predet"])
    #: dependency labels of expletives ("it rains"): never mentions
    expletive_deps: List[str] = field(default_factory=lambda: ["expl"])
    #: grammatical roles read from the head's dependency label
    subject_deps: List[str] = field(default_factory=list)
    object_deps: List[str] = field(default_factory=list)
    oblique_deps: List[str] = field(default_factory=list)
    possessive_deps: List[str] = field(default_factory=list)
    appositive_deps: List[str] = field(default_factory=lambda: ["appos"])
    attribute_deps: List[str] = field(default_factory=list)
    #: binding (`neuralcoref.constraints`): a subject and an object of the same predicate never
    #: corefer unless one is reflexive ("John saw him", "He saw John"; "John saw himself" does);
    #: empty lists turn the constraint off for the language
    clause_subject_deps: List[str] = field(default_factory=list)
    clause_object_deps: List[str] = field(default_factory=list)
    reflexive_words: List[str] = field(default_factory=list)
    #: cataphora inside a sentence (`neuralcoref.constraints.cataphora_column`): one of `cataphora_pronouns` in
    #: a dependent under one of `cataphora_deps` that comes before its predicate's subject ("Because [they]
    #: were hungry, [the children] ate."), left without antecedent by the model, is the antecedent of that
    #: subject when the model leaves the subject new too and the two agree. Personal pronouns only: a
    #: demonstrative (*that*) or an *it* there is more often no mention's ("As it chanced, ..."); empty: off
    cataphora_deps: List[str] = field(default_factory=list)
    cataphora_pronouns: List[str] = field(default_factory=list)
    #: modifier clash (`neuralcoref.constraints`): the dependents of a noun that tell two things with
    #: the same head apart ("the [land] surface" / "the [warm] [sea] surface"); empty: no constraint
    modifier_deps: List[str] = field(default_factory=list)
    #: first words that make a mention definite / indefinite
    definite_words: List[str] = field(default_factory=list)
    indefinite_words: List[str] = field(default_factory=list)
    #: entity labels that give mentions; their order fixes the entity feature slots
    entity_labels: List[str] = field(default_factory=list)
    #: entity labels that are never mentions on their own (numbers, amounts)
    excluded_entity_labels: List[str] = field(default_factory=list)
    #: pleonastic pronouns that the parser labels as subjects ("it rained", "it is likely that ..."):
    #: the pronoun words, the verbs whose subject they are without referring (weather), the predicates
    #: that extrapose a clause, the clausal labels and the words that open such a clause; empty
    #: `pleonastic_words`: no detection
    pleonastic_words: List[str] = field(default_factory=list)
    weather_lemmas: List[str] = field(default_factory=list)
    extraposing_lemmas: List[str] = field(default_factory=list)
    #: verbs whose object can be a pleonastic pronoun before a predicate adjective with an extraposed
    #: clause ("found it hard to say", "made it clear that ..."): the small clause's subject, as the
    #: parser reads it, or the verb's object; empty: no detection
    small_clause_lemmas: List[str] = field(default_factory=list)
    #: a pleonastic pronoun as the passive subject of a verb with an extraposed finite clause ("it was
    #: agreed that ...", "it is said that ..."): the passive-subject labels, and the labels of such a
    #: clause (not an infinitive: "it was designed to fly" refers); empty: no detection
    passive_subject_deps: List[str] = field(default_factory=list)
    finite_clause_deps: List[str] = field(default_factory=list)
    clause_deps: List[str] = field(default_factory=list)
    clause_markers: List[str] = field(default_factory=list)
    #: entity labels of common nouns, not names ("the morning", "last year"): their mentions are
    #: nominal, so "the morning ... the morning" is matched as nominals are, not as a name
    nominal_entity_labels: List[str] = field(default_factory=list)
    #: head words of time expressions that the NER may leave untagged ("every day", "that morning"): a
    #: mention headed by one is a time, neuter at linking as the `nominal_entity_labels` entities are, and
    #: a name or nominal that is a time never shares a cluster with one that is none ("the budget" never
    #: joins "Monday"; `resolution.ClusterAgreement`) (leave out words that are also given names: English
    #: has no "summer", "autumn")
    time_words: List[str] = field(default_factory=list)
    #: lowercase lemmas of nouns whose referent is a person of either gender ("the neighbor", "the chief
    #: executive", "engineers"): a mention headed by one whose gender is unknown is a person at linking,
    #: and a person never shares a cluster with a neuter mention (*it*, *its*, a date). Leave out nouns
    #: that corpora refer to as *it* too ("child", "baby")
    person_nouns: List[str] = field(default_factory=list)
    #: lowercase lemmas of nouns whose referent is a thing ("phone", "house", "company"): a nominal
    #: mention headed by one is neuter at linking, never *he* or *she*. Leave out nouns that texts
    #: personify ("ship", "country") and body parts, which stand for their owners
    neuter_nouns: List[str] = field(default_factory=list)
    #: a line break ends a sentence, for mentions and sentence distances, where the parser may have run two
    #: lines into one (a heading into its paragraph, "Ooh" into a turn): after a blank line, after a line
    #: ending in one of `line_final_punct`, and after a line of at most `short_line_tokens` tokens.
    #: A line of a hard-wrapped paragraph (longer, ending mid-sentence) still runs on into the next
    line_final_punct: List[str] = field(default_factory=lambda: [".", "!", "?", ":", ";", "…", "..."])
    short_line_tokens: int = 3
    #: words left unresolved when the component's `blacklist` option is on
    blacklist: List[str] = field(default_factory=list)
    #: the default of the component's `require_agreement`: whether a mention may only join a cluster
    #: that agrees with it in gender and, for pronouns, number. On where gender is the referent's
    #: (English: OntoGUM test 54.56 -> 55.10), off where nouns carry grammatical gender ("la victime
    #: ... il"; French LitBank dev 36.83 -> 33.94 with it on, the shipped French model)
    cluster_agreement: bool = False
    #: whether an indefinite or bare nominal (no definite word first, no possessive: "a study",
    #: "limited exposure", "librarians") never takes a nominal antecedent: OntoNotes-style corpora do not
    #: link repeated generic or non-specific noun phrases ("one study ... one study"), which the model's
    #: string match does. English, on the shipped weights: OntoGUM dev 57.78 -> 58.01, test 56.84 -> 56.99,
    #: LitBank dev 60.46 -> 60.74; off for French, where articles mark nouns differently (French LitBank dev
    #: 36.83 -> 36.80 with it, the shipped French model)
    indefinite_nominal_constraint: bool = False
    #: the default of the component's `infer_speakers`: whether a Doc without speakers gets them from
    #: transcript lines and quotations (`neuralcoref.speakers`). The trainer featurizes with it too, so a
    #: model is trained as it runs. On for English (docs/accuracy.md); off for French, whose quotations
    #: (guillemets, dashes) the inference does not read
    speaker_inference: bool = False
    #: how `coref_resolved` writes a cluster's main mention in place of a possessive pronoun
    possessive_form: str = "{}"

    def __post_init__(self):
        for name in ("pronoun_pos", "np_head_pos", "np_deps", "entity_labels"):
            if not getattr(self, name):
                raise ValueError(Errors.E010.format(lang=self.lang, field=name))
        for name in ("gendered_nouns", "first_names"):  # another value would be ignored without a word
            for word, gender in getattr(self, name).items():
                if gender not in ("Masc", "Fem"):
                    raise ValueError(Errors.E012.format(lang=self.lang, field=name, word=word, value=gender))

    def requires_agreement(self, setting: Optional[bool]) -> bool:
        """The component's `require_agreement` setting resolved: None is this language's `cluster_agreement`."""
        return self.cluster_agreement if setting is None else bool(setting)

    def infers_speakers(self, setting: Optional[bool]) -> bool:
        """The component's `infer_speakers` setting resolved: None is this language's `speaker_inference`."""
        return self.speaker_inference if setting is None else bool(setting)

    def end_without_possessive_marker(self, doc, start: int, end: int) -> int:
        """The end of the mention doc[start:end] without a trailing possessive marker ("Melanie 's" ->
        "Melanie"), as `coref_resolved` writes a main mention and as schemes that leave the marker
        out (LitBank) span it; `end` when the mention has none."""
        if end - start > 1 and doc[end - 1].lower_ in self.possessive_markers:
            return end - 1
        return end

    def grammar_lexicon(self) -> PronounLexicon:
        """word -> (gender, number, person) for the words whose values do not come from Token.morph
        alone: the gendered nouns (gender only), then the pronouns (which win for a word in both)."""
        words = {w: (gender, "", "") for w, gender in self.gendered_nouns.items()}
        words.update(self.pronouns)
        return words


_RULE_SETS: Dict[str, RuleSet] = {}


def register_rules(rules: RuleSet) -> RuleSet:
    _RULE_SETS[rules.lang] = rules
    return rules


def get_rules(lang: str) -> RuleSet:
    """The rule set for a language code, importing `neuralcoref.lang.<lang>` on first use."""
    if lang not in _RULE_SETS:
        import importlib

        try:
            importlib.import_module(f"neuralcoref.lang.{lang}")
        except ImportError:
            pass
    if lang not in _RULE_SETS:
        raise ValueError(Errors.E011.format(lang=lang, available=", ".join(available_languages())))
    return _RULE_SETS[lang]


def available_languages() -> List[str]:
    import pkgutil

    from . import lang as lang_pkg

    return sorted(m.name for m in pkgutil.iter_modules(lang_pkg.__path__) if not m.name.startswith("_"))
