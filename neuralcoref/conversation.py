"""Dialogue: a conversation resolved turn by turn, with speakers (NeuralCoref 3's `continuous_coref`).

    conv = Conversation(nlp, speakers_names={"user": ["Anna"]})
    conv.add("My sister has a dog called Rex.", speaker="user")
    turn = conv.add("Does she walk him every day?", speaker="bot")
    turn.resolved, turn.clusters, conv.clusters, conv.doc

`add` parses only the new turn and scores only its mentions against the earlier ones. A mention's
features are what the component computes on the conversation up to the end of its turn, and its
link is the component's linking rule (`resolution.Linker`, `ClusterAgreement`) over the candidate
window. Rules (docs/dialogue.md):

* Window: the earlier turns that hold the `max_dist_match` mentions before the new turn (every
  candidate the component would see), at most `max_history_tokens` tokens of them, plus the turns
  that hold the 5 tokens before the new turn (the context features read them). Older turns stay in
  `conv.doc` and in the clusters; they are no longer candidates.
* The links are exactly the component's on `conv.doc` (tested): `conv.doc` carries its turns
  (`featurize.set_turns`), and the component gives each mention of a Doc of turns the features it had
  at the end of its turn (its position over the mentions so far; no words or `doc.tensor` rows of the
  next turn), which is all a turn can know when it is resolved.
* `speakers_names` {speaker: [names]}: a mention that is one of those names, that speaker's own
  singular first-person pronouns (I, me, my...) and the singular "you" of the turns that answer
  that speaker are one entity, joined after the model's links.
* Not thread-safe: one thread at a time per Conversation; Conversations of one `nlp` may run in
  different threads (the component is thread-safe, see docs/robustness.md).

Over 500 lines: `Conversation` is one object whose candidate window, speakers' names and joined Doc
change together (about 430 lines); below it, the utterance formats that `resolve --dialogue`, batch
records and `POST /resolve` turn into a conversation.
"""

from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union, cast

import numpy
from spacy.attrs import SPACY
from spacy.language import Language
from spacy.tokens import Doc

from .component import Cluster, NeuralCoref, _main_mention
from .resolved import DATA_KEY, resolved_text
from .constraints import constraint_columns
from .errors import Errors
from .features import MENTION_LAYOUT, candidate_pairs, pair_features
from .featurize import NUMBER_CODES, PERSON_CODES, set_speakers, set_turns
from .linking import fused_weights, numpy_pair_scores
from .resolution import (
    SINGULAR_FIRST_COLUMN,
    SPEAKER_COLUMNS,
    Linker,
    LinkSettings,
    cluster_members,
    linking_constraints,
    mention_agreement_codes,
    pronoun_persons,
    speaker_bits,
)
from .resolver import Prediction
from .speakers import SpeakerReading

# Doc.from_docs takes `exclude` (spaCy >= 3.3) but spaCy's doc.pyi lacks it: those calls say type: ignore[call-arg].
#: speakers of turns added without one, in turn
DEFAULT_SPEAKERS = ("A", "B")
#: what the linking constraints know of a conversation's speakers (the mentions' speaker ids are the turns'):
#: each names one person, so another speaker's "I" is someone else
TURN_SPEAKERS = SpeakerReading(people=True)
#: the cap on the candidate window: about 2.8 times the ~1,800 tokens that hold the component's
#: max_dist_match (500) candidate mentions in OntoGUM's dialogue (3.6 tokens a mention, docs/dialogue.md),
#: so that it only binds in text with few mentions
DEFAULT_MAX_HISTORY_TOKENS = 5000
#: tokens before a mention that its features read (structs.pxd CONTEXT_WINDOW)
CONTEXT_TOKENS = 5
_POSITION_COLUMN = next(offset for name, offset, _ in MENTION_LAYOUT if name == "position")
_PRONOUN, _PROPER, _NOMINAL, _LIST = 0, 1, 2, 3  # mention types (structs.pxd), in the order a main mention is chosen

Utterances = Sequence[Union[Dict[str, object], Tuple[object, object]]]


class Turn:
    """One turn of a Conversation.

    doc (Doc): the turn, parsed alone. speaker (str or None). index (int): its place in `conv.turns`.
    start, end (int): its tokens in `conv.doc`. is_context (bool): added with `add_context`.
    resolved (str): the turn's text with each mention replaced by its cluster's main mention, which
        may be in an earlier turn (`component.resolved_text`'s rules).
    """

    def __init__(
        self,
        conversation: "Conversation",
        index: int,
        doc: Doc,
        speaker: Optional[str],
        start: int,
        first_mention: int,
        n_mentions: int,
        is_context: bool,
    ):
        self._conversation = conversation
        self.index = index
        self.doc = doc
        self.speaker = speaker
        self.start = start
        self.end = start + len(doc)
        self.first_mention = first_mention
        self.n_mentions = n_mentions
        self.is_context = is_context
        self.resolved = doc.text
        self._parts: Optional[_TurnArrays] = None  # while the turn is in the candidate window

    @property
    def text(self) -> str:
        return self.doc.text

    @property
    def clusters(self) -> List[Cluster]:
        """The clusters that have a mention in this turn, with their mentions up to the end of this turn
        (Spans of the turns' Docs), in order of their first mention; `i` numbers them in this list."""
        return self._conversation._clusters_of(self)

    def __repr__(self):
        return f"Turn({self.index}, {self.speaker!r}: {self.doc.text!r})"


class Conversation:
    """A conversation resolved turn by turn (see the module docstring for the rules).

    nlp (Language): a pipeline with a parser and the `neuralcoref` component (its settings apply).
    speakers_names (dict): speaker -> the names that speaker is called by, e.g. {"A": ["Anna"]}.
    max_history_tokens (int): the most tokens of earlier turns that are candidate antecedents.
    """

    def __init__(
        self,
        nlp: Language,
        *,
        speakers_names: Optional[Dict[str, Iterable[str]]] = None,
        max_history_tokens: int = DEFAULT_MAX_HISTORY_TOKENS,
    ):
        if not isinstance(max_history_tokens, int) or max_history_tokens < 0:
            raise ValueError(Errors.E060.format(value=max_history_tokens))
        self.nlp = nlp
        self.component = _coref_component(nlp)
        self.speakers_names = _check_names(speakers_names)
        self.max_history_tokens = max_history_tokens
        self.reset()

    def reset(self) -> None:
        """Forget every turn."""
        self.turns: List[Turn] = []
        self._n_tokens = 0
        # per mention of the conversation, by index in conversation order
        self._starts: List[int] = []  # token offsets in conv.doc
        self._ends: List[int] = []
        self._types: List[int] = []
        self._turn_of: List[int] = []
        self._root: List[int] = []  # the first mention of its model cluster
        # what ClusterAgreement knows of its model cluster up to and with it: (agreement codes, speakers of
        # its first-, second-, third-person pronouns, speakers of its singular first-person pronouns)
        self._prefix_state: List[Tuple[int, ...]] = []
        self._cluster_state: Dict[int, Tuple[int, ...]] = {}  # model cluster root -> the same
        # clusters: model clusters joined by speaker identities (union-find over model roots)
        self._joined: Dict[int, int] = {}
        # representative -> {"members": sorted mentions, "first": {mention type: its first mention}}, for clusters
        # of >= 2 mentions only (and singletons a speaker identity joins)
        self._entities: Dict[int, dict] = {}
        self._speaker_entity: Dict[str, int] = {}  # speaker -> a model root of its entity
        self._speaker_ids: Dict[str, int] = {}
        self._window_start = 0  # the first turn that may be in a candidate window
        # antecedent projections of the mentions that may still be candidates
        self._projections: Optional[numpy.ndarray] = None
        self._projections_first = 0
        self._doc: Optional[Doc] = None

    # -- adding turns -------------------------------------------------------------------------------
    def add(self, text: Union[str, Doc], speaker: Optional[str] = None) -> Turn:
        """Parse the turn, resolve its mentions against the earlier turns, and return it.

        text (str or Doc): the turn (a Doc: its tokens are kept, the pipeline runs over them).
        speaker (str or None): who says it; None: the other of the last two speakers ("A", "B" at first).
        """
        return self._add(text, self._next_speaker() if speaker is None else speaker, False)

    def add_context(self, text: Union[str, Doc], speaker: Optional[str] = None) -> Turn:
        """Add text that only serves as antecedents (a persona, a document being discussed): resolved like
        a turn, but it does not take part in the speakers' alternation. speaker None: unknown."""
        return self._add(text, speaker, True)

    def _add(self, text, speaker, is_context: bool) -> Turn:
        if speaker is not None and not isinstance(speaker, str):
            raise TypeError(Errors.E061.format(type=type(speaker).__name__))
        doc = self._parse(text)
        # everything below only reads the history until `_commit`, so a failure loses nothing
        window = self._window()
        links, features = self._link(doc, speaker, window)
        turn = Turn(self, len(self.turns), doc, speaker, self._n_tokens, len(self._starts), len(links), is_context)
        self._commit(turn, links, features)
        turn.resolved = self._resolved(turn)
        return turn

    def _parse(self, text) -> Doc:
        if isinstance(text, Doc):
            if text.vocab is not self.nlp.vocab:
                raise ValueError(Errors.E062.format(type="a Doc of another Vocab"))
            doc = text
        elif isinstance(text, str):
            if len(text) > self.nlp.max_length:
                raise ValueError(Errors.E063.format(length=len(text), max_length=self.nlp.max_length))
            doc = self.nlp.make_doc(text)
        else:
            raise TypeError(Errors.E062.format(type=type(text).__name__))
        if len(doc) == 0 or all(t.is_space for t in doc):
            raise ValueError(Errors.E064)
        for _, proc in self.nlp.pipeline:
            if not isinstance(proc, NeuralCoref):
                doc = proc(doc)
        return doc

    def _speaker_id(self, speaker: Optional[str]) -> int:
        """A number per speaker for the features (-1: unknown), as `featurize.numbered_speakers` numbers them."""
        return -1 if speaker is None else self._speaker_ids.get(speaker, len(self._speaker_ids))

    def _next_speaker(self) -> str:
        """The speaker before the last one, else the default speaker the last one is not."""
        last = None
        for turn in reversed(self.turns):
            if turn.is_context or turn.speaker is None:
                continue
            if last is None:
                last = turn.speaker
            elif turn.speaker != last:
                return turn.speaker
        return DEFAULT_SPEAKERS[1] if last == DEFAULT_SPEAKERS[0] else DEFAULT_SPEAKERS[0]

    def _window(self) -> List[Turn]:
        """The earlier turns whose mentions are candidates (see the module docstring)."""
        resolver = self.component.resolver
        wanted = max(resolver.max_dist, resolver.max_dist_match)
        chosen: List[Turn] = []
        tokens = mentions = 0
        for turn in reversed(self.turns):
            if turn._parts is None or (
                tokens >= CONTEXT_TOKENS and (mentions >= wanted or tokens + len(turn.doc) > self.max_history_tokens)
            ):
                break
            chosen.append(turn)
            tokens += len(turn.doc)
            mentions += turn.n_mentions
        return chosen[::-1]

    def _link(self, doc: Doc, speaker: Optional[str], window: List[Turn]):
        """The new turn's mentions and their links: (links, features), nothing stored yet."""
        parts = _TurnArrays(doc, self._speaker_id(speaker))
        joined, speakers = _join_turns([cast(_TurnArrays, t._parts) for t in window] + [parts], self.nlp.vocab)
        offset = len(joined) - len(doc)
        # a tensor the model cannot read: the model's tensorless fallback (W004), else zeros for the context
        # features (W003). One nlp makes every turn, so a conversation keeps one reader.
        resolver = self.component.resolver.for_doc(joined)
        mentions = resolver.featurizer.extractor(joined, *resolver.featurizer.token_grammar(joined), speakers)
        columns = mentions.columns()
        n_old = int(numpy.searchsorted(columns["start"], offset))
        first_global = window[0].first_mention if window else len(self._starts)
        if n_old != len(self._starts) - first_global:
            raise RuntimeError(
                f"the window's mentions ({n_old}) differ from those stored ({len(self._starts) - first_global})"
            )
        n = len(columns["start"])
        new = slice(n_old, n)
        if n == n_old:  # no mention in the turn
            return [], (
                parts,
                numpy.zeros((0, resolver.scorer.projection_width), dtype="float32"),
                first_global,
                [],
                window,
            )
        words, tensor_feats, dense = resolver._features(joined, mentions, n_old, n)
        n_total = first_global + n  # mentions of the conversation up to this turn
        dense[:, _POSITION_COLUMN] = numpy.arange(first_global + n_old, n_total, dtype="float32") / numpy.float32(
            n_total
        )
        single_new, (as_ant_new, as_ment) = resolver._encode(words, tensor_feats, dense)
        # the model clusters of the window's mentions, as ClusterAgreement would have built them over the
        # whole conversation: each old mention links to the first window mention of its cluster, which
        # carries what the members before the window brought to the cluster
        # each turn's speaker is a person (given, or DEFAULT_SPEAKERS): another speaker's "I" is someone else
        constrained = constraint_columns(joined, columns, resolver.featurizer.rules, TURN_SPEAKERS)
        agreement = linking_constraints(constrained, resolver.require_agreement)
        best = numpy.full(n, -1, dtype="int32")
        if n_old:
            roots = numpy.asarray(self._root[first_global : first_global + n_old])
            _, first_of_root, inverse = numpy.unique(roots, return_index=True, return_inverse=True)
            best[:n_old] = first_of_root[inverse]
            best[:n_old][best[:n_old] == numpy.arange(n_old)] = -1
            carried = numpy.zeros((n, 1 + SPEAKER_COLUMNS), dtype="uint64")
            carried[first_of_root] = numpy.asarray(
                self._prefix_state[first_global : first_global + n_old], dtype="uint64"
            )[first_of_root]
            if not resolver.require_agreement:
                carried[:, 0] = 0
            agreement.carry(carried[:, 0].astype("uint8"), numpy.ascontiguousarray(carried[:, 1:]))
        codes = mention_agreement_codes(constrained)  # with the time and person bits, as linking saw them
        persons = pronoun_persons(columns["person"], columns["mention_type"])
        bits = speaker_bits(columns["speaker"])
        # the two-speakers constraint's bit of each singular first-person pronoun (0 for other mentions), as
        # linking_constraints gave it to ClusterAgreement
        singular_bits = numpy.where(
            constrained["singular_first"] != 0, speaker_bits(constrained["first_person_speaker"]), 0
        ).astype("uint64")
        single = numpy.zeros(n, dtype="float32")
        single[new] = single_new
        best_scores = numpy.zeros(n, dtype="float32")
        old_rows = (
            as_ant_new[:0]
            if not n_old or self._projections is None
            else self._projections[first_global - self._projections_first :]
        )
        as_ant = numpy.ascontiguousarray(numpy.concatenate([old_rows, as_ant_new]))
        settings = LinkSettings(
            resolver.threshold_offset(), resolver.max_dist, resolver.max_dist_match, resolver.blacklist
        )
        linker = Linker(settings, single, agreement, best, best_scores)
        weights = fused_weights(resolver.scorer)
        if weights is not None:
            linker.score_and_link(
                joined, mentions, resolver.featurizer.pair_rules, weights, n_old, n, 0, as_ant, as_ment
            )
        else:
            ant, ment = candidate_pairs(
                mentions, n_old, n, settings.max_dist, settings.max_dist_match, settings.blacklist
            )
            if len(ant):
                feats = pair_features(joined, mentions, ant, ment, resolver.featurizer.pair_rules)
                linker.link_scored(
                    ant, ment, numpy_pair_scores(resolver.scorer, 0, as_ant, n_old, as_ment, ant, ment, feats)
                )
        linker.finish()
        antecedents = numpy.where(best[new] >= 0, best[new] + first_global, -1)
        links = list(
            zip(
                (columns["start"][new] - offset).tolist(),
                (columns["end"][new] - offset).tolist(),
                columns["mention_type"][new].tolist(),
                antecedents.tolist(),
                codes[new].tolist(),
                persons[new].tolist(),
                bits[new].tolist(),
                singular_bits[new].tolist(),
            )
        )
        heads = (columns["head"][new] - offset).tolist()
        return links, (parts, as_ant_new, first_global, heads, window)

    def _commit(self, turn: Turn, links, features) -> None:
        parts, as_ant_new, first_global, heads, window = features
        turn._parts = parts
        window_start = window[0].index if window else len(self.turns)
        for earlier in self.turns[self._window_start : window_start]:  # out of the window from now on
            earlier._parts = None
        self._window_start = window_start
        self.turns.append(turn)
        if turn.speaker is not None:
            self._speaker_ids.setdefault(turn.speaker, len(self._speaker_ids))
        self._n_tokens = turn.end
        self._doc = None
        if self._projections is None:
            self._projections = as_ant_new
        else:
            keep = self._projections[max(0, first_global - self._projections_first) :]
            self._projections = numpy.concatenate([keep, as_ant_new])
        self._projections_first = first_global
        identities = self._identities(turn, links, heads) if self.speakers_names else [None] * len(links)
        for (start, end, mention_type, antecedent, code, person, bit, singular_bit), identity in zip(links, identities):
            if identity is not None and mention_type != _PRONOUN and identity in self._speaker_entity:
                antecedent = -1  # a speaker's name is that speaker: it wins over the model's antecedent
            j = len(self._starts)
            root = self._root[antecedent] if antecedent >= 0 else j
            self._starts.append(turn.start + start)
            self._ends.append(turn.start + end)
            self._types.append(mention_type)
            self._turn_of.append(turn.index)
            self._root.append(root)
            state = list(self._cluster_state.get(root, (0,) * (1 + SPEAKER_COLUMNS)))
            state[0] |= code
            if person >= 0:
                state[1 + person] |= bit
            state[1 + SINGULAR_FIRST_COLUMN] |= singular_bit
            self._cluster_state[root] = tuple(state)
            self._prefix_state.append(self._cluster_state[root])
            if antecedent >= 0:
                entity = self._entity(self._find(root))
                entity["members"].append(j)
                entity["first"].setdefault(mention_type, j)
            if identity is not None:
                if identity in self._speaker_entity:
                    self._merge_entities(self._speaker_entity[identity], root)
                else:
                    self._speaker_entity[identity] = root

    # -- clusters: model clusters joined by speaker identity ----------------------------------------
    def _find(self, root: int) -> int:
        while self._joined.get(root, root) != root:
            root = self._joined[root]
        return root

    def _entity(self, representative: int) -> dict:
        """The entity of a representative; a mention alone so far gets one."""
        if representative not in self._entities:
            self._entities[representative] = {
                "members": [representative],
                "first": {self._types[representative]: representative},
            }
        return self._entities[representative]

    def _merge_entities(self, a: int, b: int) -> None:
        a, b = self._find(a), self._find(b)
        if a == b:
            return
        if b < a:
            a, b = b, a
        self._joined[b] = a
        kept, gone = self._entity(a), self._entity(b)
        del self._entities[b]
        kept["members"] = sorted(kept["members"] + gone["members"])
        for mention_type, j in gone["first"].items():
            kept["first"][mention_type] = min(j, kept["first"].get(mention_type, j))

    def _main(self, entity: dict) -> int:
        """The component's main mention: the first proper mention, else nominal, else list, else the first."""
        for wanted in (_PROPER, _NOMINAL, _LIST):
            if wanted in entity["first"]:
                return entity["first"][wanted]
        return entity["members"][0]

    def _identities(self, turn: Turn, links, heads: List[int]) -> List[Optional[str]]:
        """The speaker each new mention stands for (only speakers with names in speakers_names), or None:
        a singular first-person pronoun is the turn's speaker, a singular "you" the speaker it answers,
        any other mention whose words are one of a speaker's names is that speaker."""
        resolver = self.component.resolver
        _, number, person = resolver.featurizer.token_grammar(turn.doc)
        addressee = self._addressee(turn)
        names = {
            _normalized_name(name.split()): speaker for speaker, names in self.speakers_names.items() for name in names
        }
        out: List[Optional[str]] = []
        for (start, end, mention_type, *_), head in zip(links, heads):
            if mention_type == _PRONOUN:
                identity = None
                if number[head] != NUMBER_CODES["Plur"]:
                    identity = {PERSON_CODES["1"]: turn.speaker, PERSON_CODES["2"]: addressee}.get(int(person[head]))
            else:
                end = resolver.featurizer.rules.end_without_possessive_marker(turn.doc, start, end)
                identity = names.get(_normalized_name(t.text for t in turn.doc[start:end]))
            out.append(identity if identity in self.speakers_names else None)
        return out

    def _addressee(self, turn: Turn) -> Optional[str]:
        """Who "you" is in this turn: the last earlier speaker other than this turn's."""
        for k in range(turn.index - 1, -1, -1):
            earlier = self.turns[k]
            if not earlier.is_context and earlier.speaker is not None and earlier.speaker != turn.speaker:
                return earlier.speaker
        return None

    # -- outputs ------------------------------------------------------------------------------------
    def _entity_lists(self, last: Optional[int] = None, roots: Optional[Iterable[int]] = None) -> List[List[int]]:
        """Clusters (of >= 2 mentions up to mention `last`, exclusive), ordered by first mention."""
        last = len(self._starts) if last is None else last
        keys = self._entities if roots is None else dict.fromkeys(self._find(r) for r in roots)
        out = []
        for key in keys:
            if key not in self._entities:  # a mention alone
                continue
            members = self._entities[key]["members"]
            members = members[: int(numpy.searchsorted(members, last))]
            if len(members) > 1:
                out.append(members)
        return sorted(out)

    def _cluster(self, i: int, members: List[int]) -> Cluster:
        spans = []
        for j in members:
            turn = self.turns[self._turn_of[j]]
            spans.append(turn.doc[self._starts[j] - turn.start : self._ends[j] - turn.start])
        return Cluster(i, spans[_main_mention(self._types, members)], spans)

    def _clusters_of(self, turn: Turn) -> List[Cluster]:
        mentions = range(turn.first_mention, turn.first_mention + turn.n_mentions)
        lists = self._entity_lists(turn.first_mention + turn.n_mentions, (self._root[j] for j in mentions))
        return [self._cluster(i, members) for i, members in enumerate(lists)]

    @property
    def clusters(self) -> List[Cluster]:
        """Every cluster of the conversation (mentions are Spans of the turns' Docs)."""
        return [self._cluster(i, members) for i, members in enumerate(self._entity_lists())]

    @property
    def doc(self) -> Doc:
        """The whole conversation as one Doc, with its speakers (`doc._.coref_speakers`) and the
        conversation's clusters (`doc._.coref_clusters`, `doc.spans`), as the component stores them."""
        if self._doc is None:
            if not self.turns:
                return self.nlp.make_doc("")
            doc = Doc.from_docs([t.doc for t in self.turns], exclude=["user_data"])  # type: ignore[call-arg]
            set_speakers(doc, utterances=[(t.start, t.end, t.speaker) for t in self.turns])
            set_turns(doc, [t.end for t in self.turns])
            self.component._set_annotations(doc, self._prediction())
            self._doc = doc
        return self._doc

    def _prediction(self) -> Prediction:
        lists = self._entity_lists()
        antecedents = numpy.full(len(self._starts), -1, dtype="int32")
        for cluster in lists:
            antecedents[cluster[1:]] = cluster[:-1]
        members, offsets = cluster_members(antecedents)
        return Prediction(
            numpy.asarray(self._starts, dtype="int32"),
            numpy.asarray(self._ends, dtype="int32"),
            antecedents,
            lists,
            numpy.asarray(self._types, dtype="int32"),
            cluster_members=members,
            cluster_offsets=offsets,
        )

    def _resolved(self, turn: Turn) -> str:
        """The turn resolved by `component.resolved_text` over the turns that hold its clusters' mains."""
        in_turn: Dict[int, List[int]] = {}  # entity -> its mentions in this turn (not all its members)
        for j in range(turn.first_mention, turn.first_mention + turn.n_mentions):
            key = self._find(self._root[j])
            if key in self._entities:
                in_turn.setdefault(key, []).append(j)
        if not in_turn:
            return turn.doc.text
        mains = [self._main(self._entities[key]) for key in in_turn]
        turns = sorted({self._turn_of[m] for m in mains} | {turn.index})
        doc = Doc.from_docs([self.turns[t].doc for t in turns], exclude=["user_data", "spans"])  # type: ignore[call-arg]
        shift, position = {}, 0
        for t in turns:
            shift[t] = position - self.turns[t].start
            position += len(self.turns[t].doc)
        clusters, main_index = [], []
        for own, main in zip(in_turn.values(), mains):
            members = [main] + [j for j in own if j != main]
            clusters.append(
                [[self._starts[j] + shift[self._turn_of[j]], self._ends[j] + shift[self._turn_of[j]]] for j in members]
            )
            main_index.append(0)
        doc.user_data[DATA_KEY] = {"lang": self.component.lang, "clusters": clusters, "mains": main_index}
        return resolved_text(doc, len(doc) - len(turn.doc), len(doc))

    def __len__(self):
        return len(self.turns)

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_doc"] = None
        return state


def _coref_component(nlp: Language) -> NeuralCoref:
    for _, proc in nlp.pipeline:
        if isinstance(proc, NeuralCoref):
            return proc
    raise ValueError(Errors.E065.format(pipe_names=nlp.pipe_names))


def _check_names(speakers_names) -> Dict[str, List[str]]:
    if speakers_names is None:
        return {}
    if not isinstance(speakers_names, dict):
        raise TypeError(Errors.E066.format(value=speakers_names))
    out = {}
    for speaker, names in speakers_names.items():
        if isinstance(names, str):
            names = [names]
        if (
            not isinstance(speaker, str)
            or not isinstance(names, (list, tuple))
            or not all(isinstance(n, str) and n.strip() for n in names)
        ):
            raise TypeError(Errors.E066.format(value={speaker: names}))
        out[speaker] = list(names)
    return out


def _normalized_name(words: Iterable[str]) -> str:
    """ "Mr. Smith" and "mr smith" alike: lowercase words without trailing dots or punctuation tokens."""
    kept = (w.lower().rstrip(".") for w in words)
    return " ".join(w for w in kept if any(c.isalnum() for c in w))


def _utterances(utterances: Utterances) -> List[Tuple[Optional[str], str]]:
    """(speaker, text) pairs from {"speaker", "text"} objects or pairs, checked."""
    if isinstance(utterances, (str, bytes)) or not isinstance(utterances, Sequence):
        raise TypeError(Errors.E067.format(index="list", reason=f"got {type(utterances).__name__}, not a list"))
    out = []
    for k, item in enumerate(utterances):
        if isinstance(item, dict):
            speaker, text = item.get("speaker"), item.get("text")
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            speaker, text = item
        else:
            raise TypeError(Errors.E067.format(index=k, reason=f"got {type(item).__name__}"))
        if speaker is not None and not isinstance(speaker, str):
            raise TypeError(Errors.E067.format(index=k, reason=f"the speaker is a {type(speaker).__name__}"))
        if not isinstance(text, str):
            raise TypeError(Errors.E067.format(index=k, reason=f"the text is a {type(text).__name__}"))
        if not text.strip():
            raise ValueError(Errors.E067.format(index=k, reason="the text is empty"))
        out.append((speaker, text))
    return out


def doc_from_utterances(nlp: Language, utterances: Utterances, component: Optional[NeuralCoref] = None) -> Doc:
    """The conversation as one resolved Doc, for a batch or a server: each utterance parsed alone, joined
    (`Doc.from_docs`: a space after an utterance that does not end in whitespace), speakers set
    (`doc._.coref_speakers`; a missing speaker is unknown), and the coreference component run once over it.

    utterances (list): {"speaker": str or None, "text": str} objects, or (speaker, text) pairs.
    component (NeuralCoref): the coreference component to run (default: the pipeline's), e.g. a copy with
        other settings (`neuralcoref serve`'s per-request config).
    RETURNS (Doc): the Doc, with `doc._.coref_clusters` etc. over the whole conversation.
    """
    pairs = _utterances(utterances)
    component = component if component is not None else _coref_component(nlp)
    if not pairs:
        return component(nlp.make_doc(""))
    for _, text in pairs:
        if len(text) > nlp.max_length:
            raise ValueError(Errors.E063.format(length=len(text), max_length=nlp.max_length))
    docs = [nlp.make_doc(text) for _, text in pairs]
    for _, proc in nlp.pipeline:
        if not isinstance(proc, NeuralCoref):
            docs = list(proc.pipe(docs)) if hasattr(proc, "pipe") else [proc(d) for d in docs]
    doc = Doc.from_docs(docs, exclude=["user_data"])  # type: ignore[call-arg]
    bounds = numpy.cumsum([0] + [len(d) for d in docs]).tolist()
    set_speakers(doc, utterances=[(bounds[k], bounds[k + 1], speaker) for k, (speaker, _) in enumerate(pairs)])
    set_turns(doc, bounds[1:])
    return component(doc)


class _TurnArrays:
    """What `Doc.from_docs` reads of a turn, read once: the candidate window is rebuilt at every turn
    from these (`_join_turns`), without going through the turns' Tokens again."""

    ATTRS = list(Doc._get_array_attrs()) + ([] if SPACY in Doc._get_array_attrs() else [SPACY])  # as Doc.from_docs

    def __init__(self, doc: Doc, speaker_id: int):
        self.words = [t.text for t in doc]
        self.spaces = [bool(t.whitespace_) for t in doc]
        self.array = doc.to_array(self.ATTRS)
        self.tensor = doc.tensor
        self.pad = not doc[-1].is_space  # Doc.from_docs adds a space after it when another Doc follows
        self.speakers = numpy.full(len(doc), speaker_id, dtype="int32")


def _join_turns(parts: List[_TurnArrays], vocab) -> Tuple[Doc, numpy.ndarray]:
    """The Doc that `Doc.from_docs` makes of these turns (without user data and spans), and the
    speaker id of each token."""
    words, spaces, arrays = [], [], []
    space_column = _TurnArrays.ATTRS.index(SPACY)
    for k, part in enumerate(parts):
        words.extend(part.words)
        spaces.extend(part.spaces)
        array = part.array
        if part.pad and k < len(parts) - 1:
            spaces[-1] = True
            array = array.copy()
            array[-1, space_column] = 1
        arrays.append(array)
    doc = Doc(vocab, words=words, spaces=spaces)
    doc.from_array(_TurnArrays.ATTRS, numpy.concatenate(arrays))  # type: ignore[arg-type]  # stub wants thinc's Ints2d
    if all(getattr(part.tensor, "ndim", 0) == 2 and len(part.tensor) == len(part.words) for part in parts):
        doc.tensor = numpy.vstack([part.tensor for part in parts])
    speakers = numpy.concatenate([part.speakers for part in parts])
    return doc, speakers


# -- batch and command line -------------------------------------------------------------------------


class DialogueText(str):
    """A conversation of a batch record ({"utterances": [...]}): a str, the utterances joined as
    `doc_from_utterances` joins them (the text that output offsets refer to), that knows its utterances."""

    utterances: List[Tuple[Optional[str], str]]

    def __new__(cls, utterances: Utterances):
        pairs = _utterances(utterances)
        joined = "".join(
            text if text[-1:].isspace() or k == len(pairs) - 1 else text + " " for k, (_, text) in enumerate(pairs)
        )
        self = super().__new__(cls, joined)
        self.utterances = pairs
        return self

    def __reduce__(self):
        return (DialogueText, (self.utterances,))


def record_dialogue(utterances) -> Tuple[Optional[DialogueText], Optional[str]]:
    """(the record's DialogueText, None), or (None, why it is not a valid list of utterances)."""
    try:
        return DialogueText(utterances), None
    except (TypeError, ValueError) as exc:
        return None, str(exc)


def process_text(nlp: Language, text: str) -> Doc:
    """`nlp(text)`, or `doc_from_utterances` for a DialogueText."""
    return doc_from_utterances(nlp, text.utterances) if isinstance(text, DialogueText) else nlp(text)


def process_texts(nlp: Language, texts: Sequence[str], batch_size: int) -> List[Doc]:
    """`nlp.pipe(texts)`, with each DialogueText through `doc_from_utterances`; in order."""
    plain = iter(nlp.pipe([t for t in texts if not isinstance(t, DialogueText)], batch_size=batch_size))
    return [doc_from_utterances(nlp, t.utterances) if isinstance(t, DialogueText) else next(plain) for t in texts]


def read_dialogue(lines: Iterable[str]) -> List[Tuple[Optional[str], str]]:
    """(speaker, text) of each `Speaker: text` line; a line without ':' has no speaker (they alternate),
    blank lines are skipped."""
    out: List[Tuple[Optional[str], str]] = []
    for line in lines:
        line = line.strip()
        if not line:
            continue
        speaker, sep, text = line.partition(":")
        out.append((speaker.strip(), text.strip()) if sep and speaker.strip() else (None, line))
    return out
