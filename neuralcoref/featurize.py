"""Doc -> DocFeatures: the one path from a parsed Doc to scorer inputs.

The runtime component and the trainer both call `Featurizer`, so a model is always
trained on exactly the features it sees at inference.
"""

import itertools
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy
from spacy.symbols import DET, PRON
from spacy.tokens import Doc

from .config import DEFAULTS
from .errors import Errors
from .features import GrammarTable, PairRules, candidate_pairs, mention_features, pair_features
from .mentions import MentionExtractor, Mentions
from .rules import RuleSet
from .speakers import SPEAKERS_EXTENSION, SpeakerReading, read_speakers

# Codes shared with structs.pxd
GENDER_CODES = {"Masc": 0, "Fem": 1, "Neut": 2}
GENDER_UNKNOWN = 3
NUMBER_CODES = {"Sing": 0, "Plur": 1}
NUMBER_SING = NUMBER_CODES["Sing"]
NUMBER_UNKNOWN = 2
PERSON_CODES = {"1": 0, "2": 1, "3": 2}
PERSON_UNKNOWN = 3

TURNS_EXTENSION = "coref_turns"


@dataclass
class DocFeatures:
    """Scorer inputs for one Doc (see docs/ARCHITECTURE.md for the contract)."""

    mentions: Mentions
    starts: numpy.ndarray
    ends: numpy.ndarray
    word_hashes: numpy.ndarray
    tensor_feats: numpy.ndarray
    mention_feats: numpy.ndarray

    def __len__(self):
        return len(self.starts)


def _grammar_codes(morph: str, lexicon_values) -> tuple:
    feats = dict(kv.split("=", 1) for kv in morph.split("|") if "=" in kv) if morph else {}
    lex_gender, lex_number, lex_person = lexicon_values or ("", "", "")
    gender = GENDER_CODES.get(feats.get("Gender", "").split(",")[0], GENDER_CODES.get(lex_gender, GENDER_UNKNOWN))
    number = NUMBER_CODES.get(feats.get("Number", "").split(",")[0], NUMBER_CODES.get(lex_number, NUMBER_UNKNOWN))
    person = PERSON_CODES.get(feats.get("Person", ""), PERSON_CODES.get(lex_person, PERSON_UNKNOWN))
    return gender, number, person


class Featurizer:
    """Mentions and features of a Doc, with a language's rule set.

    rules (RuleSet): the language's mention rules.
    infer_speakers (bool or None): when a Doc has no speakers (`set_speakers`), infer them from
        transcript lines and quotations (`neuralcoref.speakers`); None: the rule set's `speaker_inference`.
    """

    def __init__(self, rules: RuleSet, infer_speakers: Optional[bool] = DEFAULTS["infer_speakers"]):
        self.rules = rules
        self.infer_speakers = rules.infers_speakers(infer_speakers)
        self.extractor = MentionExtractor(rules)
        self.pair_rules = PairRules(rules)
        self._grammar: Optional[GrammarTable] = None  # codes cached by morph (and word, for the pronoun lexicon)

    def __reduce__(self):
        return (Featurizer, (self.rules, self.infer_speakers))

    def token_grammar(self, doc: Doc) -> Tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
        """Per-token gender, number, person codes: Token.morph first, the pronoun and gendered-noun lexicons second."""
        n = len(doc)
        gender, number, person = (numpy.empty(n, dtype="int8") for _ in range(3))
        if n == 0:
            return gender, number, person
        if self._grammar is None:
            lexicon = {doc.vocab.strings.add(w): v for w, v in self.rules.grammar_lexicon().items()}

            def compute(strings, morph_key, word_key):
                # only lexicon words are looked up with their word: for any other token the lexicon
                # gives nothing, so its codes depend on its morph alone (cached once per morph)
                morph = strings[morph_key] if morph_key else ""
                return _grammar_codes(morph, lexicon.get(word_key))

            self._grammar = GrammarTable(list(lexicon), compute)
        self._grammar.fill(doc, gender, number, person)
        return gender, number, person

    def mentions(self, doc: Doc) -> Mentions:
        """The Doc's candidate mentions, with the speakers they were read with (`Mentions.speakers`, which
        the linking constraints read: the Doc's speakers are read once)."""
        reading = read_speakers(doc, infer=self.infer_speakers)
        gender, number, person = self.token_grammar(doc)
        for start, end in reading.labels:  # a transcript line's name is one person's ("BOB:", tagged plural)
            for k in range(start, end):
                if doc[k].pos not in (PRON, DET):  # "ALL:", "BOTH:" speak for several
                    number[k] = NUMBER_SING
        mentions = self.extractor(doc, gender, number, person, numbered_speakers(reading, len(doc)))
        mentions.speakers = reading
        return mentions

    def featurize(self, doc: Doc, use_tensor: bool = True) -> DocFeatures:
        mentions = self.mentions(doc)
        tensor = doc.tensor if use_tensor and getattr(doc, "tensor", None) is not None else None
        word_hashes, tensor_feats, dense = mention_features(doc, mentions, tensor, turn_ends=turn_ends(doc))
        columns = mentions.columns()
        return DocFeatures(mentions, columns["start"], columns["end"], word_hashes, tensor_feats, dense)

    def pairs(self, features: DocFeatures, first: int, last: int, max_dist: int, max_dist_match: int, blacklist: bool):
        """Candidate (antecedent, mention) pairs of mentions first..last-1 (see features.candidate_pairs)."""
        ant, ment = candidate_pairs(features.mentions, first, last, max_dist, max_dist_match, blacklist)
        return ant, ment

    def pair_features(self, doc: Doc, features: DocFeatures, ant, ment):
        return pair_features(doc, features.mentions, ant, ment, self.pair_rules)


def set_turns(doc: Doc, ends: Sequence[int]) -> Doc:
    """Mark a Doc as turns that were parsed and resolved one after the other (a conversation): the token
    offsets where the turns end, ascending. The component then gives each mention the features it had
    at the end of its turn (nothing after the turn: `features.mention_features`' turn_ends), so that the
    Doc resolved at once has the clusters of the turns resolved one by one (`Conversation`).
    `Conversation.doc` and `doc_from_utterances` set them; a Doc parsed as one text has one turn.
    """
    n = len(doc)
    ends = [int(e) for e in ends]
    if any(not 0 <= e <= n for e in ends) or ends != sorted(ends):
        raise ValueError(Errors.E068.format(n_tokens=n, ends=ends))
    if not Doc.has_extension(TURNS_EXTENSION):
        Doc.set_extension(TURNS_EXTENSION, default=None)
    doc._.set(TURNS_EXTENSION, ends)
    return doc


def turn_ends(doc: Doc) -> Optional[List[int]]:
    """The turn ends `set_turns` stored, or None (one turn)."""
    return doc._.get(TURNS_EXTENSION) if Doc.has_extension(TURNS_EXTENSION) else None


def numbered_speakers(reading: SpeakerReading, n_tokens: int) -> numpy.ndarray:
    """Per-token speaker ids (int32, in order of first appearance; -1 unknown) of a `SpeakerReading`."""
    speakers = reading.speakers
    if not speakers:
        return numpy.full(n_tokens, -1, dtype="int32")
    if len(speakers) != n_tokens:
        raise ValueError(Errors.E040.format(n_tokens=n_tokens, n_speakers=len(speakers)))
    ids: Dict[object, int] = {}
    out = numpy.empty(n_tokens, dtype="int32")
    start = 0
    for speaker, run in itertools.groupby(speakers):  # one Python step per utterance, not per token
        end = start + len(list(run))
        out[start:end] = -1 if speaker is None else ids.setdefault(speaker, len(ids))
        start = end
    return out


def set_speakers(doc: Doc, speakers: Optional[Sequence] = None, utterances: Optional[Sequence] = None) -> Doc:
    """Say who speaks each token, for dialogue: before the coreference component runs.

    doc (Doc): the Doc, e.g. from `nlp.make_doc(text)`; run `nlp(doc)` afterwards.
    speakers (list): one speaker (any hashable, None for unknown) per token, or
    utterances (list): (start_token, end_token, speaker) triples, end exclusive.
    RETURNS (Doc): the same Doc.
    """
    n = len(doc)
    if utterances is not None:
        per_token = [None] * n
        for start, end, speaker in utterances:
            if not (0 <= start <= end <= n):
                raise ValueError(Errors.E041.format(start=start, end=end, n_tokens=n))
            per_token[start:end] = [speaker] * (end - start)
        speakers = per_token
    if speakers is None or len(speakers) != n:
        raise ValueError(Errors.E040.format(n_tokens=n, n_speakers=None if speakers is None else len(speakers)))
    if not Doc.has_extension(SPEAKERS_EXTENSION):
        Doc.set_extension(SPEAKERS_EXTENSION, default=None)
    doc._.set(SPEAKERS_EXTENSION, [None if s is None else str(s) for s in speakers])
    return doc
