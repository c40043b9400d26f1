"""`python -m training oracle`: the kinds of a model's errors, on hand-made decisions and on the fixtures."""

from pathlib import Path

import numpy
import pytest

from neuralcoref.linking import cluster_lists
from neuralcoref.model_io import CorefModel, shipped_model_path
from neuralcoref.resolution import cluster_members
from training.__main__ import main
from training.calibrate import load_cache
from training.evaluate import predict_cached, score_cache, word_rows_for
from training.oracle import MENTION_GROUPS, Decisions, cached_decisions, gold_links, mention_groups, oracle_table

FIXTURES = Path(__file__).parent / "fixtures" / "train"


def ints(*values):
    return numpy.array(values, dtype=numpy.int64)


def test_gold_link_is_the_closest_candidate_of_the_gold_cluster():
    # mentions 0..4; gold clusters: {0, 2, 4}, {1, 3}; candidates of 4 are 0..3, of 3 only 2
    gold = ints(0, 1, 0, 1, 0)
    pair_ant, pair_ment = ints(0, 0, 1, 2, 0, 1, 2, 3), ints(1, 2, 2, 3, 4, 4, 4, 4)
    assert gold_links(pair_ant, pair_ment, gold).tolist() == [-1, -1, 0, -1, 2]


def test_each_wrong_decision_is_of_one_kind():
    # gold clusters {0, 1, 2}; mention 3 is in none; 4 and 5 form {4, 5}
    gold = ints(0, 0, 0, -1, 1, 1)
    decided = Decisions(
        predicted=ints(-1, -1, 0, 1, 3, -1),
        gold_link=ints(-1, 0, 1, -1, -1, 4),
        gold_cluster=gold,
        group=ints(0, 1, 1, 3, 2, 3),
    )
    # 1 left new with a right candidate; 2 right (another mention of its cluster); 3 linked from outside
    # every cluster; 4 linked to a mention outside its cluster with no right candidate; 5 left new wrongly
    assert decided.right.tolist() == [False, False, True, False, False, False]
    assert decided.correct.tolist() == [True, False, True, False, False, False]
    assert decided.false_new.tolist() == [False, True, False, False, False, True]
    assert decided.wrong_antecedent.tolist() == [False] * 6
    assert decided.wrong_link.tolist() == [False, False, False, True, True, False]
    wrong = decided.false_new.astype(int) + decided.wrong_antecedent + decided.wrong_link
    assert (wrong == ~decided.correct).all()

    linked_wrongly = Decisions(ints(-1, -1, 0, 1), ints(-1, -1, 0, -1), ints(0, 1, 0, 1), ints(1, 1, 1, 1))
    assert linked_wrongly.wrong_antecedent.tolist() == [False] * 4
    linked_wrongly.predicted[2] = 1
    assert linked_wrongly.wrong_antecedent.tolist() == [False, False, True, False]


def test_pronouns_split_by_person_and_other_types_keep_theirs():
    mention_type = ints(0, 0, 0, 1, 2, 3)
    person = ints(0, 1, 2, 2, 2, 2)
    groups = mention_groups(mention_type, person)
    assert [MENTION_GROUPS[g] for g in groups.tolist()] == [
        "first- and second-person pronouns",
        "first- and second-person pronouns",
        "third-person pronouns",
        "names",
        "nominals",
        "lists",
    ]


def test_clusters_follow_chains_of_links():
    # the table scores its links with the runtime's clustering, which must follow chains of them
    def clusters(*links):
        return cluster_lists(*cluster_members(numpy.array(links, dtype=numpy.int32)))

    assert clusters(-1, 0, -1, 1, 2, -1) == [[0, 1, 3], [2, 4]]
    assert clusters(-1, -1) == []


@pytest.fixture(scope="module")
def fixture_cache(tmp_path_factory):
    return load_cache([str(FIXTURES)], str(tmp_path_factory.mktemp("cache")), None, "en", progress=False)


def test_table_starts_from_the_components_score_and_every_row_is_a_gain(fixture_cache):
    model = CorefModel.from_disk(shipped_model_path("en"))
    decisions = cached_decisions(fixture_cache, model)
    table = oracle_table(fixture_cache, decisions)
    rows = {row["gold"]: row for row in table}

    predicted = predict_cached(fixture_cache, word_rows_for(fixture_cache, model.words), model)
    component = score_cache(fixture_cache, predicted, drop_gold_singletons=False)["conll_f1"]
    assert rows["none (the model)"]["conll_f1"] == round(component, 2)

    errors = int(sum((~d.correct).sum() for d in decisions))
    assert errors > 0  # the shipped model is not perfect on the fixtures: the table has something to show
    assert rows["every decision"]["mentions"] == errors
    assert rows["every decision"]["gain"] > 0
    assert all(row["conll_f1"] <= rows["every decision"]["conll_f1"] for row in table)
    for name in MENTION_GROUPS.values():
        kinds = [
            f"{name} left new with a right candidate",
            f"{name} linked wrongly with a right candidate",
            f"{name} linked with no right candidate",
        ]
        assert rows[f"the {name}' decisions"]["mentions"] == sum(rows[kind]["mentions"] for kind in kinds)
    assert sum(rows[f"the {name}' decisions"]["mentions"] for name in MENTION_GROUPS.values()) == errors


def test_oracle_command_prints_the_table(tmp_path, capsys):
    out_json = tmp_path / "oracle.json"
    argv = ["oracle", "--model", str(shipped_model_path("en")), "--data", str(FIXTURES), "--json", str(out_json)]
    assert main(argv + ["--cache", str(tmp_path / "cache")]) == 0
    printed = capsys.readouterr().out
    assert printed.splitlines()[0] == "| decisions made gold | mentions changed | CoNLL F1 | gain |"
    assert "| every decision |" in printed
    assert '"gold": "every decision"' in out_json.read_text()
