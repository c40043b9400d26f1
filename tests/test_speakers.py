"""Speakers inferred from plain text (`infer_speakers`), and the person constraint at linking."""

import pytest

from neuralcoref.speakers import infer_speakers


def test_transcript_lines_give_each_line_its_speaker(en_nlp_base):
    doc = en_nlp_base("Anna: I saw your brother yesterday.\nBen: Did he say hello?\nAnna: He did.")
    speakers = infer_speakers(doc)
    by_word = {t.text: s for t, s in zip(doc, speakers) if t.text in ("saw", "say", "did")}
    assert by_word == {"saw": "anna", "say": "ben", "did": "anna"}


def test_quotes_are_said_by_the_subject_of_their_reporting_verb(en_nlp_base):
    doc = en_nlp_base('"I am tired," said John. He went to bed. Anna said, "I will call you."')
    speakers = infer_speakers(doc)
    said = {t.i: s for t, s in zip(doc, speakers)}
    assert said[1] == "john"  # I (first quote)
    assert said[[t.i for t in doc if t.text == "He"][0]] is None  # narration
    assert said[[t.i for t in doc if t.text == "call"][0]] == "anna"


@pytest.mark.parametrize(
    "text,word,speaker",
    [
        ("\u201cI am tired,\u201d said John. He went to bed.", "tired", "john"),  # curly quotation marks
        ("Q: Where were you?\n\nA: At home.\n\nQ: Alone?", "home", "a"),  # blank lines between turns
        ("Anna: Hi.\n  Ben: Hello there.\n", "there", "ben"),  # indented line
    ],
)
def test_speakers_read_from_curly_quotes_and_blank_lines(en_nlp_base, text, word, speaker):
    """The quotation marks and line breaks are found from the Doc's arrays (`Doc.to_array`), not by
    string tests on each token: every mark and every newline token the parse holds counts."""
    doc = en_nlp_base(text)
    speakers = infer_speakers(doc)
    assert speakers is not None
    assert speakers[[t.i for t in doc if t.text == word][0]] == speaker


def test_a_letters_fields_are_not_transcript_turns(en_nlp_base):
    """`Phone:` and `Copyright Information:` lines label fields, not turns: read as turns they made the
    letter writer's *I* three speakers (OntoGUM dev's GUM_letter_wiki read with its line breaks)."""
    letter = (
        "Student Government\nPhone: 814.863.1874\nFax: 814.863.6874\nDear Dr. Pangborn,\n"
        "I hope all is well, and I look forward to our meeting.\nThe letters outline the benefits.\n"
        "Copyright Information: http://www.psu.edu/copyright.html\nI am committed to accuracy.\n"
        "The wiki was never proposed as a source of official information.\nSincerely,\nGeorge"
    )
    assert infer_speakers(en_nlp_base(letter)) is None


def test_a_blank_line_of_two_whitespace_tokens_counts_its_next_line_once(en_nlp_base):
    """A Doc made from words can hold two newline tokens in a row. The line after them was read twice,
    so a letter's one `Phone:` field became a label that comes back, and every word after it was
    spoken by "phone"."""
    from spacy.tokens import Doc

    words = ["Dear", "Ann", ",", "\n", "\n", "Phone", ":", "123", "\n", "I", "wrote", "to", "you", "."]
    words += ["\n", "I", "hope", "you", "are", "well", ".", "\n", "Yours", ",", "Bob"]
    doc = en_nlp_base(Doc(en_nlp_base.vocab, words=words, spaces=[False] * len(words)))
    assert infer_speakers(doc) is None


def test_turns_of_several_lines_are_still_a_transcript(en_nlp_base):
    """Fewer labelled lines than half, but a label comes back: turns of a few lines each."""
    doc = en_nlp_base("Anna: I left early.\nThe bus was late.\nIt rained.\nBen: Oh no.\nAnna: I got home at ten.")
    speakers = infer_speakers(doc)
    assert speakers is not None
    by_word = {t.text: s for t, s in zip(doc, speakers) if t.text in ("bus", "no", "home")}
    assert by_word == {"bus": "anna", "no": "ben", "home": "anna"}


def test_no_quotes_no_transcript_no_speakers(en_nlp_base):
    assert infer_speakers(en_nlp_base("My sister has a dog. She loves him.")) is None
    assert infer_speakers(en_nlp_base('The so-called "experts" disagree.')) is None  # not speech


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"require_agreement": False},
        {"greedyness": 1.0},
        {"greedyness": 0.9, "require_agreement": False, "max_dist": 5},
    ],
)
def test_no_cluster_mixes_first_and_third_person_of_one_speaker(make_nlp, en_nlp, config):
    """Under any setting (here with a random model that links eagerly, and the shipped one), a cluster
    never holds a first- or second-person pronoun and a third-person one said by the same speaker."""
    first = {"i", "me", "my", "mine", "myself", "we", "us", "our", "ours", "ourselves"}
    second = {"you", "your", "yours", "yourself", "yourselves"}
    third = {"he", "him", "his", "she", "her", "hers", "it", "its", "they", "them", "their", "theirs"}
    texts = [
        "My sister has a dog. She loves him. My sister is happy.",
        "I told him that we would meet them at their house, and you said it was mine.",
        "We started. Our plan worked. They said it would, and I knew they were right about us.",
    ]
    for nlp in (make_nlp(**config), en_nlp):
        for text in texts:
            for cluster in nlp(text)._.coref_clusters:
                words = {m.text.lower() for m in cluster}
                persons = [bool(words & first), bool(words & second), bool(words & third)]
                assert sum(persons) <= 1, (text, cluster)


def test_english_infers_speakers_by_default(en_nlp_base):
    """The English default (`infer_speakers` null: the rule set's `speaker_inference`) reads who speaks
    a quotation, so John's "I" and the narrator's "He" are one entity; with `infer_speakers` false the
    person constraint keeps the two pronouns apart (plain text is one speaker's)."""
    nlp = en_nlp_base
    cases = {
        '"I am tired," said John. He went to bed.': {("I", "John", "He")},
        'Anna said, "I will call you tomorrow." She never did.': {("Anna", "I", "She")},
    }

    def clusters(config: dict, text: str) -> set:
        coref = nlp.create_pipe("neuralcoref", config=config)  # not added: the shared pipeline stays as it is
        return {tuple(m.text for m in c) for c in coref(nlp(text))._.coref_clusters}

    for text, expected in cases.items():
        assert clusters({}, text) == expected
        found = clusters({"infer_speakers": False}, text)
        assert not any({"I", "He"} <= set(c) or {"I", "She"} <= set(c) for c in found), found


def test_speaker_inference_is_the_languages_default():
    """English infers speakers unless told not to; French does not (its guillemets and dashes are not
    read), and an explicit setting wins either way."""
    from neuralcoref.featurize import Featurizer
    from neuralcoref.rules import get_rules

    assert Featurizer(get_rules("en")).infer_speakers is True
    assert Featurizer(get_rules("fr")).infer_speakers is False
    assert Featurizer(get_rules("en"), infer_speakers=False).infer_speakers is False
    assert Featurizer(get_rules("fr"), infer_speakers=True).infer_speakers is True


def test_pos_ids_without_a_name_do_not_stop_the_inference(en_nlp_base):
    """A Doc filled by `from_array` may hold POS ids that spaCy has no name for (`Token.pos_` raises
    KeyError on them; the fuzzer found this): the inference reads ids, so it still attributes the quote."""
    from spacy.attrs import POS

    doc = en_nlp_base('"I am tired," said John.')
    pos = doc.to_array([POS]).astype("uint64")
    pos[1] = 287  # "I": an id with no name
    doc.from_array([POS], pos.reshape(-1, 1))
    with pytest.raises(KeyError):
        assert doc[1].pos_  # spaCy has no name for it
    assert infer_speakers(doc)[1:4] == ["john"] * 3


def test_speaker_ids_number_speakers_in_order_of_appearance(en_nlp_base):
    """A speaker who speaks again gets the id of their first turn; tokens without a speaker get -1."""
    from neuralcoref.featurize import SPEAKERS_EXTENSION, numbered_speakers, set_speakers
    from neuralcoref.speakers import read_speakers

    def speaker_ids(doc):
        return numbered_speakers(read_speakers(doc, infer=False), len(doc))

    doc = en_nlp_base.make_doc("Hi Bob . Hi Ann . Look ! Bye Bob .")
    set_speakers(doc, utterances=[(0, 3, "ann"), (3, 6, "bob"), (8, 11, "ann")])
    assert speaker_ids(doc).tolist() == [0, 0, 0, 1, 1, 1, -1, -1, 0, 0, 0]
    doc._.set(SPEAKERS_EXTENSION, None)
    assert speaker_ids(doc).tolist() == [-1] * 11


def test_a_reporting_subject_in_a_cycle_of_heads_ends():
    """Fuzz finding (tests/fixtures/fuzz_regressions/reporting-subject-of-a-cycle): a hand-built Doc whose
    heads run in a cycle through the reporting verb's subject made Token.subtree loop for ever. The subject
    is now read between its edges; the check runs in a thread so that the old hang fails instead of hanging."""
    import threading

    import spacy
    from spacy.tokens import Doc

    words = ['"', "I", "am", "tired", '"', "said", "John", "."]
    heads = [2, 2, 5, 2, 2, 7, 5, 6]  # said -> "." -> John -> said
    deps = ["punct", "nsubj", "ccomp", "acomp", "punct", "ROOT", "nsubj", "punct"]
    pos = ["PUNCT", "PRON", "AUX", "ADJ", "PUNCT", "VERB", "PROPN", "PUNCT"]
    doc = Doc(spacy.blank("en").vocab, words=words, heads=heads, deps=deps, pos=pos)
    found = []
    worker = threading.Thread(target=lambda: found.append(infer_speakers(doc)), daemon=True)
    worker.start()
    worker.join(30)
    assert not worker.is_alive() and found
    assert found[0][1:4] == [found[0][1]] * 3 and found[0][1] is not None  # the quotation has one speaker


TRANSCRIPT = "Alice: I lost my keys.\nBob: Oh no. I can help you find them.\nAlice: Thank you, I really need them."


def _cluster_of(doc, i):
    """The (start, text) of each mention of the cluster that holds the mention starting at token i (empty: none)."""
    clusters = [{(m.start, m.text) for m in cluster} for cluster in doc._.coref_clusters]
    return next((cluster for cluster in clusters if any(start == i for start, _ in cluster)), set())


def test_two_speakers_of_a_transcript_are_two_people(en_nlp):
    """Bob's "I" is not Alice's: the shipped model had put every "I" of the transcript in one cluster (Bob's
    "I" scores Alice's above the label *Bob*). Alice's "you" is Bob's "I", Bob's "you" Alice's."""
    doc = en_nlp(TRANSCRIPT)
    alice_i, bob_i, alice_i_again = [t.i for t in doc if t.text == "I"]
    alice, bob = _cluster_of(doc, alice_i), _cluster_of(doc, bob_i)
    assert bob and alice != bob
    assert (alice_i_again, "I") in alice and (bob_i, "I") not in alice
    you = [t.i for t in doc if t.text in ("you", "You")]
    assert (you[0], "you") in alice and (you[1], "you") in bob  # "help you" is Alice; "Thank you" is Bob


def test_two_speakers_of_a_conversation_are_two_people(en_nlp):
    """The same turn by turn (`Conversation`), where each turn's speaker is given."""
    from neuralcoref import Conversation

    conv = Conversation(en_nlp)
    for speaker, text in [("Alice", "I lost my keys."), ("Bob", "Oh no. I can help you find them.")]:
        conv.add(text, speaker=speaker)
    conv.add("Thank you, I really need them.", speaker="Alice")
    doc = conv.doc
    first, bob_i, last = [t.i for t in doc if t.text == "I"]
    assert _cluster_of(doc, first) and _cluster_of(doc, first) == _cluster_of(doc, last)
    assert (bob_i, "I") not in _cluster_of(doc, first)


def test_two_named_speakers_of_quotations_are_two_people(en_nlp):
    """Quotations attributed to two names: Anna's "I" is not Tom's (the shipped model had made one cluster of
    both and *Anna*). Names that share a word may be one person, so "Anna Smith" may join Anna."""
    doc = en_nlp('"I am tired," said Anna. "I know," Tom replied.')
    anna_i, tom_i = [t.i for t in doc if t.text == "I"]
    assert (tom_i, "I") not in _cluster_of(doc, anna_i)
    doc = en_nlp('"I am tired," said Anna. "I will rest now," said Anna Smith.')
    first, second = [t.i for t in doc if t.text == "I"]
    assert (second, "I") in _cluster_of(doc, first)


def test_a_transcript_name_in_capitals_is_one_person(en_nlp):
    """`en_core_web_sm` tags the label `BOB` a plural common noun, and *them* (Alice's keys) joined it. A
    transcript line's name is one person's: singular, and never neuter."""
    doc = en_nlp(TRANSCRIPT.replace("Alice", "ALICE").replace("Bob", "BOB"))
    bob = next(t.i for t in doc if t.text == "BOB")
    them = [t.i for t in doc if t.text == "them"]
    assert not {start for start, _ in _cluster_of(doc, bob)} & set(them)
    keys = _cluster_of(doc, them[0])
    assert {(start, text) for start, text in keys if text == "them"} == {(i, "them") for i in them}
    assert any(text == "my keys" for _, text in keys)


def test_the_transcript_names_are_read_with_the_speakers(en_nlp_base):
    """`read_speakers` gives the spans of the lines' names; the featurizer reads them as singular, the
    linking constraints as people."""
    from neuralcoref.constraints import constraint_columns
    from neuralcoref.featurize import NUMBER_SING, Featurizer
    from neuralcoref.rules import get_rules
    from neuralcoref.speakers import read_speakers

    doc = en_nlp_base("ALICE: I lost my keys.\nBOB: Oh no.\nALICE: Thank you.")
    reading = read_speakers(doc)
    assert reading.people and [doc[start:end].text for start, end in reading.labels] == ["ALICE", "BOB", "ALICE"]
    mentions = Featurizer(get_rules("en")).mentions(doc)
    assert mentions.speakers.labels == reading.labels and mentions.speakers.people
    columns = mentions.columns()
    bob = [k for k, start in enumerate(columns["start"]) if doc[start].text == "BOB"]
    assert bob and columns["number"][bob[0]] == NUMBER_SING
    people = constraint_columns(doc, columns, get_rules("en"), mentions.speakers)["person_noun"]
    assert people[bob[0]] == 1  # a person: never joined by *it*
    plain = read_speakers(en_nlp_base("My sister has a dog. She loves him."))
    assert plain.speakers is None and not plain.people and not plain.labels


def test_a_docs_speakers_are_read_once(en_nlp, monkeypatch):
    """The featurizer reads the speakers and the linking constraints reuse that reading
    (`Mentions.speakers`): the quotations and the transcript lines were read twice per Doc, about 2% of the
    component's time on LitBank dev."""
    from neuralcoref import speakers

    calls = {"quotations": 0, "transcript": 0}
    for name, key in (("_quotations", "quotations"), ("_line_starts", "transcript")):
        original = getattr(speakers, name)

        def counted(doc, original=original, key=key):
            calls[key] += 1
            return original(doc)

        monkeypatch.setattr(speakers, name, counted)
    doc = en_nlp('"I am tired," said Anna. "I know," Tom replied.')
    assert calls == {"quotations": 1, "transcript": 1}
    assert doc._.coref_clusters  # resolved
