"""neuralcoref.Conversation: dialogue resolved turn by turn (issue 16)."""

import json
import pickle

import numpy
import pytest
from spacy.tokens import Doc
from spacy.vocab import Vocab

import neuralcoref
from neuralcoref import Conversation, doc_from_utterances
from neuralcoref.conversation import DialogueText, read_dialogue
from neuralcoref.featurize import set_speakers
from neuralcoref.testing import write_random_model

from conftest import load_english

# a small real-style dialogue: names, first and second person across speakers, a context turn, a turn
# without mentions, speakers that do not alternate
DIALOGUE = [
    ("context", None, "Anna Lee runs a small bakery in Portland with her brother Tom."),
    ("turn", "Host", "Welcome back to the show. Today I am talking to Anna Lee."),
    ("turn", "Anna", "Thanks for having me. I have been looking forward to it."),
    ("turn", "Host", "So tell us how you started the bakery."),
    ("turn", "Anna", "My brother and I bought the place from an old baker in 2015."),
    ("turn", "Anna", "He wanted to retire, and he sold us his recipes too."),
    ("turn", "Host", "Does Tom still work there with you?"),
    ("turn", "Anna", "Yes, he bakes the bread every morning, and I run the shop."),
    ("turn", "Host", "..."),
    ("turn", "Host", "What is the best thing you sell?"),
    ("turn", "Anna", "Our rye bread. People come from all over the city for it."),
    ("turn", "Host", "I will have to try it. Anna, thank you for coming."),
]


def add_all(conv, dialogue=DIALOGUE):
    turns = []
    for kind, speaker, text in dialogue:
        turns.append(conv.add_context(text, speaker) if kind == "context" else conv.add(text, speaker=speaker))
    return turns


def clusters_of(doc):
    return sorted(sorted((m.start, m.end) for m in cluster.mentions) for cluster in doc._.coref_clusters)


def component_clusters(conv):
    """The component run once over `conv.doc` (its turns and speakers included): the conversation's clusters
    must be exactly these."""
    return clusters_of(conv.component(conv.doc.copy()))


def test_issue_example(en_nlp):
    """The issue's example, as written."""
    nlp = en_nlp
    conv = neuralcoref.Conversation(nlp, speakers_names={"user": ["Anna"]})
    first = conv.add("My sister has a dog called Rex.", speaker="user")
    t = conv.add("Does she walk him every day?", speaker="bot")
    # the casing of a replaced main mention is resolved_text's rule (doc._.coref_resolved's)
    assert t.resolved.lower() in (
        "does my sister walk rex every day?",
        "does my sister walk a dog called rex every day?",
    )
    t = conv.add("Yes, and Anna walks him too.", speaker="bot")  # "Anna" = the user: links to the user's "My"
    by_text = {m.text: c for c in t.clusters for m in c.mentions}
    anna = by_text["Anna"]
    assert [(m.doc is first.doc, m.text) for m in anna.mentions] == [(True, "My"), (False, "Anna")]
    assert any(m.doc is first.doc for m in by_text["him"].mentions)  # "him" = Rex, said in turn 1
    assert t.resolved == "Yes, and Anna walks Rex too."


@pytest.mark.parametrize("pair_hidden", [(16,), (16, 16)], ids=["fused", "numpy-path"])
@pytest.mark.parametrize("max_dist,max_dist_match", [(50, 500), (3, 7)])
def test_turn_by_turn_equals_whole_document_linking(tmp_path, pair_hidden, max_dist, max_dist_match):
    """Random weights link a lot (long chains, agreement, person and binding constraints); small windows make
    the candidate window's edges and what clusters carry from before the window matter (with this seed,
    dropping `ClusterAgreement.carry` changes the clusters): exactly those of the whole-document linking."""
    model = write_random_model(tmp_path / "model", pair_hidden=pair_hidden, bilinear_width=4, seed=5)
    nlp = load_english()
    nlp.add_pipe(
        "neuralcoref",
        config={
            "model": str(model),
            "greedyness": 0.9,
            "blacklist": False,
            "max_dist": max_dist,
            "max_dist_match": max_dist_match,
        },
    )
    conv = Conversation(nlp)
    for kind, speaker, text in DIALOGUE + DIALOGUE[1:] + DIALOGUE[1:]:
        window = conv._window()  # every candidate of the next turn's mentions: max_dist_match mentions back
        first_turn = window[0].index if window else 0
        assert sum(t.n_mentions for t in window) >= min(max_dist_match, len(conv._starts))
        assert sum(t.n_mentions for t in conv.turns[first_turn + 1 :]) < max_dist_match
        conv.add_context(text, speaker) if kind == "context" else conv.add(text, speaker=speaker)
    clusters = clusters_of(conv.doc)
    assert sum(len(c) for c in clusters) > 20
    assert clusters == component_clusters(conv)


def test_real_dialogue_with_the_shipped_model(en_nlp):
    conv = Conversation(en_nlp)
    turns = add_all(conv)
    whole = conv.doc
    assert whole.text == " ".join(t.text for t in turns)
    assert whole._.coref_speakers[turns[1].start] == "Host" and whole._.coref_speakers[0] is None
    assert whole._.coref_turns == [t.end for t in turns]
    assert len(whole._.coref_clusters) > 3
    assert clusters_of(whole) == component_clusters(conv)


@pytest.mark.parametrize("greedyness", [0.2, 0.8])
def test_conversation_uses_the_models_greedyness_calibration(greedyness):
    """At any greedyness the conversation links as the component does: both turn greedyness into the same
    score offset, with the model's calibration (a conversation without it linked differently at 0.2/0.8)."""
    nlp = load_english()
    nlp.add_pipe("neuralcoref", config={"greedyness": greedyness})
    conv = Conversation(nlp)
    add_all(conv, DIALOGUE + DIALOGUE[1:])
    assert clusters_of(conv.doc) == component_clusters(conv)


def test_turns_stop_what_features_read(en_nlp):
    """A mention at the end of a turn reads no word or tensor row of the next turn, and its position is over
    the mentions so far: its features are those of the turns up to its own, parsed as one Doc."""
    from neuralcoref.features import mention_features

    conv = Conversation(en_nlp)
    turns = add_all(conv)
    doc = conv.doc
    resolver = conv.component.resolver
    whole = resolver._features(doc, resolver.featurizer.mentions(doc))
    for t in (2, 5, 9):
        prefix = Doc.from_docs([u.doc for u in turns[: t + 1]], exclude=["user_data", "spans"])
        set_speakers(prefix, utterances=[(u.start, u.end, u.speaker) for u in turns[: t + 1]])
        alone = resolver._features(prefix, resolver.featurizer.mentions(prefix))
        n = len(alone[0])
        first = turns[t].first_mention
        for k in range(3):
            numpy.testing.assert_array_equal(whole[k][first:n], alone[k][first:n])
    # without the turns, the last mentions of a turn read the next one (what set_turns prevents)
    mentions = resolver.featurizer.mentions(doc)
    plain = mention_features(doc, mentions, doc.tensor)
    marked = mention_features(doc, mentions, doc.tensor, turn_ends=doc._.coref_turns)
    assert not numpy.array_equal(plain[2], marked[2]) and not numpy.array_equal(plain[0], marked[0])
    with pytest.raises(ValueError, match="ascending"):
        mention_features(doc, mentions, None, turn_ends=[5, 3])


def test_turn_outputs(en_nlp):
    conv = Conversation(en_nlp)
    turns = add_all(conv)
    he = turns[5]
    clusters = he.clusters
    earlier_mains = [c.main.text for c in clusters if c.main.doc is not he.doc]
    assert earlier_mains and all(main in he.resolved for main in earlier_mains) and he.resolved != he.text
    assert all(any(m.doc is he.doc for m in c.mentions) for c in clusters)
    assert any(m.doc is not he.doc for c in clusters for m in c.mentions)
    assert [c.i for c in clusters] == list(range(len(clusters)))
    # conv.clusters are conv.doc's clusters; mentions are Spans of the turns' Docs
    assert len(conv.clusters) == len(conv.doc._.coref_clusters)
    for cluster, doc_cluster in zip(conv.clusters, conv.doc._.coref_clusters):
        assert [m.text for m in cluster.mentions] == [m.text for m in doc_cluster.mentions]
        assert cluster.main.text == doc_cluster.main.text
    assert turns[8].resolved == "..." and turns[8].clusters == []


def test_speakers_alternate_and_context_does_not_count(en_nlp):
    conv = Conversation(en_nlp)
    assert [conv.add("Hi there.").speaker, conv.add("Hello.").speaker, conv.add("How are you?").speaker] == [
        "A",
        "B",
        "A",
    ]
    assert conv.add_context("A note.").speaker is None
    assert conv.add("Fine.").speaker == "B"
    conv.reset()
    assert conv.turns == [] and conv.clusters == [] and len(conv.doc) == 0
    conv.add("I am the user.", speaker="user")
    assert [conv.add("Hi.").speaker, conv.add("Hey.").speaker] == ["A", "user"]


def test_speakers_names_rule(en_nlp):
    """A speaker's names, their I/me/my and the other speakers' singular "you" to them are one entity."""
    conv = Conversation(en_nlp, speakers_names={"Ben": ["Ben", "Mr. Smith"]})
    conv.add("I bought a new car yesterday.", speaker="Ben")
    conv.add("Did you pay much for it?", speaker="Ann")
    t = conv.add("Mr Smith never tells me anything, and Ben's wife knows it.", speaker="Ann")
    texts = sorted(sorted(m.text for m in c.mentions) for c in t.clusters)
    assert ["Ben's", "I", "Mr Smith", "you"] in texts
    assert all("me" not in group or "I" not in group for group in texts)  # Ann's "me" is not Ben


def test_bad_input_loses_nothing(en_nlp):
    conv = Conversation(en_nlp)
    conv.add("My sister has a dog.", speaker="user")
    conv.add("She loves him.", speaker="bot")
    before = (conv.doc.text, clusters_of(conv.doc), len(conv.turns))
    with pytest.raises(ValueError, match="E064"):
        conv.add("")
    with pytest.raises(ValueError, match="E064"):
        conv.add("  \n\t ")
    with pytest.raises(TypeError, match="E061"):
        conv.add("Hello.", speaker=7)
    with pytest.raises(TypeError, match="E062"):
        conv.add(b"bytes")
    with pytest.raises(ValueError, match="E062"):
        conv.add(Doc(Vocab(), words=["Hi"]))
    big = "word " * (1 << 18)  # 1.3 MB, over nlp.max_length
    with pytest.raises(ValueError, match="E063"):
        conv.add(big)
    assert (conv.doc.text, clusters_of(conv.doc), len(conv.turns)) == before
    punctuation = conv.add("?!...", speaker="user")
    assert punctuation.resolved == "?!..." and punctuation.clusters == []
    t = conv.add("Does she walk him?", speaker="bot")
    assert t.resolved.lower().startswith("does my sister walk")


def test_bad_settings(en_nlp, en_nlp_base):
    with pytest.raises(ValueError, match="E065"):
        Conversation(en_nlp_base)
    with pytest.raises(TypeError, match="E066"):
        Conversation(en_nlp, speakers_names={"A": [3]})
    with pytest.raises(ValueError, match="E060"):
        Conversation(en_nlp, max_history_tokens=-1)


def test_history_window_is_bounded(en_nlp):
    conv = Conversation(en_nlp, max_history_tokens=40)
    for _ in range(8):
        add_all(conv, DIALOGUE[1:4])
    window = conv._window()
    assert 5 <= sum(len(t.doc) for t in window) <= 40
    # the arrays of turns older than the last turn's window are dropped...
    kept = [t for t in conv.turns if t._parts is not None]
    assert kept == conv.turns[conv._window_start :] and conv._window_start <= window[0].index
    assert sum(len(t.doc) for t in kept[:-1]) <= 40
    assert len(conv._projections) == len(conv._starts) - kept[0].first_mention
    assert len(conv.doc) == sum(len(t.doc) for t in conv.turns)  # ...but the turns stay in conv.doc


def test_pickle_round_trip(en_nlp):
    conv = Conversation(en_nlp, speakers_names={"user": ["Anna"]})
    add_all(conv, DIALOGUE[:5])
    copy = pickle.loads(pickle.dumps(conv))
    for c in (conv, copy):
        add_all(c, DIALOGUE[5:])
    assert clusters_of(copy.doc) == clusters_of(conv.doc)
    assert [t.resolved for t in copy.turns] == [t.resolved for t in conv.turns]


def test_doc_from_utterances_is_the_whole_document_run(en_nlp):
    utterances = [{"speaker": s, "text": t} for kind, s, t in DIALOGUE if kind == "turn"]
    doc = doc_from_utterances(en_nlp, utterances)
    conv = Conversation(en_nlp)
    for u in utterances:
        conv.add(u["text"], speaker=u["speaker"])
    once = en_nlp.get_pipe("neuralcoref")(conv.doc.copy())
    assert doc.text == conv.doc.text == DialogueText(utterances)
    assert clusters_of(doc) == clusters_of(once)
    assert doc._.coref_speakers == conv.doc._.coref_speakers
    assert len(doc_from_utterances(en_nlp, [])) == 0
    with pytest.raises(TypeError, match="E067"):
        doc_from_utterances(en_nlp, [{"speaker": 1, "text": "Hi"}])
    with pytest.raises(ValueError, match="E067"):
        doc_from_utterances(en_nlp, [("A", " ")])


def test_read_dialogue():
    assert read_dialogue(["Anna: Hi: there", "", "no speaker line", " : x"]) == [
        ("Anna", "Hi: there"),
        (None, "no speaker line"),
        (None, ": x"),
    ]


def test_cli_dialogue(tmp_path, capsys):
    from neuralcoref.cli import main

    path = tmp_path / "dialogue.txt"
    path.write_text("user: My sister has a dog called Rex.\nbot: Does she walk him every day?\n", encoding="utf-8")
    assert main(["resolve", "--dialogue", str(path), "-q"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "user: My sister has a dog called Rex."
    assert lines[1].lower() == "bot: does my sister walk rex every day?"


def test_batch_utterances_record(tmp_path):
    from neuralcoref.batch import PipelineSpec, run_batch

    inputs = tmp_path / "in.jsonl"
    records = [
        {
            "id": "c",
            "utterances": [
                {"speaker": "user", "text": "My sister has a dog called Rex."},
                {"speaker": "bot", "text": "Does she walk him every day?"},
            ],
        },
        {"id": "t", "text": "My sister has a dog. She loves him."},
        {"id": "bad", "utterances": [{"speaker": "user", "text": ""}]},
    ]
    inputs.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    run_batch([str(inputs)], str(out), spec=PipelineSpec.create(None, {}, []), progress=False)
    written = {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    text = "My sister has a dog called Rex. Does she walk him every day?"
    assert written["c"]["mentions_text"][0] == ["My sister", "she"]
    assert [text[a:b] for a, b in written["c"]["clusters"][0]] == ["My sister", "she"]
    assert written["t"]["mentions_text"] == [["My sister", "She"], ["a dog", "him"]]
    errors = [json.loads(line) for line in (tmp_path / "out.jsonl.errors.jsonl").read_text().splitlines()]
    assert [e["id"] for e in errors] == ["bad"] and "E067" in errors[0]["reason"]
    dialogue = DialogueText(records[0]["utterances"])  # records travel to worker processes pickled
    copy = pickle.loads(pickle.dumps(dialogue))
    assert copy == dialogue == text and copy.utterances == dialogue.utterances


def test_readme_dialogue_section_runs_as_written(tmp_path):
    from test_readme import run_and_compare, section_code

    run_and_compare(section_code("Dialogue and chatbots"), tmp_path, n_prints=3)


def test_conversations_of_one_nlp_in_threads(en_nlp):
    """The documented thread rule: one thread per Conversation, several Conversations of one nlp at once."""
    from concurrent.futures import ThreadPoolExecutor

    def run(dialogue):
        conv = Conversation(en_nlp)
        return [t.resolved for t in add_all(conv, dialogue)], clusters_of(conv.doc)

    dialogues = [DIALOGUE, DIALOGUE[1:] + DIALOGUE[:1], DIALOGUE[::-1], DIALOGUE]
    expected = [run(d) for d in dialogues]
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(run, dialogues)) == expected


def test_clusters_carry_time_and_person_bits_past_the_window(tmp_path):
    """A person noun ("the neighbor") or a time ("every morning") whose cluster goes on after its turn has
    left the candidate window still keeps *it* out of that cluster: the agreement a cluster carries from
    before the window is the one whole-document linking builds (dates neuter, persons never neuter), so
    turn by turn gives the whole document's clusters. With this seed, carrying codes without the time and
    person bits (as before) made other clusters."""
    words = ("dog", "sister", "she", "he", "kim", "neighbor", "it")
    model = write_random_model(tmp_path / "model", bilinear_width=4, seed=9, words=words)
    nlp = load_english()
    nlp.add_pipe("neuralcoref", config={"model": str(model), "greedyness": 0.9, "max_dist": 3, "max_dist_match": 7})
    dialogue = [
        ("turn", "A", "The neighbor came by every morning."),
        ("turn", "B", "Kim? The engineer from the bridge?"),
        ("turn", "A", "Yes, Kim. The morning was cold and the bridge was closed."),
        ("turn", "B", "Did Kim open it later, or did Kim keep it closed?"),
        ("turn", "A", "Kim opened it. Kim said it was safe, and Kim drove across it."),
        ("turn", "B", "So Kim saw it that morning. It was Kim's bridge."),
    ]
    conv = Conversation(nlp)
    add_all(conv, dialogue)
    assert clusters_of(conv.doc) == component_clusters(conv)
