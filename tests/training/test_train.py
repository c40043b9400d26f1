"""End to end on the hand-written fixture documents: featurize, train every stage, export, run in spaCy."""

import contextlib
import json
import shutil
from pathlib import Path

import msgpack
import numpy
import pytest

torch = pytest.importorskip("torch")

from neuralcoref.featurize import Featurizer  # noqa: E402
from neuralcoref.model_io import CorefModel  # noqa: E402
from neuralcoref.resolution import mention_agreement_codes  # noqa: E402
from neuralcoref.rules import get_rules  # noqa: E402
from training.__main__ import main  # noqa: E402
from training.corpus import gold_docs_to_docs, read_corpus  # noqa: E402
from training.evaluate import cached_agreement_codes, predict_cached, word_rows_for  # noqa: E402
from training.featurize_corpus import (  # noqa: E402
    FeatureCache,
    build_vocabulary,
    featurize_corpus,
    load_pipeline,
)
from training.train import train  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "train"
GAP = Path(__file__).parent / "fixtures" / "gap.tsv"
SMALL = {
    "training.max_pairs": 120,
    "data.min_word_count": 1,
    "training.stages": ["allpairs", "toppairs", "ranking"],  # the whole schedule (en.cfg ships ranking only)
    "stages.allpairs.max_epochs": 5,
    "stages.allpairs.patience": 10,
    "stages.toppairs.max_epochs": 2,
    "stages.ranking.max_epochs": 2,
    "training.ema_decay": 0.0,  # a few dozen steps: an average over them would hardly move (tested apart)
}


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny batches: one thread is faster, and immune to other processes on the CPU cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def nlp():
    return load_pipeline()


@pytest.fixture(scope="module")
def run(tmp_path_factory, nlp):
    out = tmp_path_factory.mktemp("run")
    model = train([FIXTURES], [FIXTURES], out, overrides=SMALL, nlp=nlp, progress=False)
    return out, model


def read_log(out):
    return [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]


def test_cache_records_mentions_pairs_and_gold(tmp_path, nlp):
    meta = featurize_corpus([FIXTURES], tmp_path, nlp, progress=False)
    cache = FeatureCache.load(tmp_path, mmap=True)
    golds = list(read_corpus(FIXTURES))
    assert meta["n_docs"] == len(cache) == len(golds) == 5
    assert meta["n_gold_mentions"] == sum(len(c) for g in golds for c in g.clusters)
    assert 80 < meta["mention_recall"] <= 100 and 0 < meta["mention_precision"] <= 100
    assert meta["n_mentions"] == len(cache.arrays["starts"]) == cache.arrays["doc_mentions"][-1]
    assert cache.arrays["pair_feats"].dtype == numpy.uint8
    # labels: same gold cluster; spans and clusters as in the gold
    for d, gold in enumerate(golds):
        ms, ps = cache.doc_slice(d)
        spans = list(zip(cache.arrays["starts"][ms].tolist(), cache.arrays["ends"][ms].tolist()))
        cluster_of = {span: k for k, c in enumerate(gold.clusters) for span in c}
        expected = [cluster_of.get(s, -1) for s in spans]
        assert cache.arrays["gold_cluster"][ms].tolist() == expected
        for a, m, label in zip(
            cache.arrays["pair_ant"][ps], cache.arrays["pair_ment"][ps], cache.arrays["pair_label"][ps]
        ):
            assert a < m
            assert bool(label) == (expected[a] >= 0 and expected[a] == expected[m])
    # the agreement codes read back from the cached one-hot features are the runtime's own
    featurizer = Featurizer(get_rules("en"))
    for d, doc in enumerate(gold_docs_to_docs(golds, nlp)):
        expected = mention_agreement_codes(featurizer.mentions(doc).columns())
        numpy.testing.assert_array_equal(cached_agreement_codes(cache)[cache.doc_slice(d)[0]], expected)
    # speakers reach the features: the interview fixture has them, the others not
    has_speaker = [bool(cache.arrays["mention_feats"][cache.doc_slice(d)[0], -1].any()) for d in range(len(cache))]
    assert has_speaker == [g.doc_id.startswith("tc/") for g in golds]
    words = build_vocabulary(cache, min_count=2)
    assert "he" in words and "the" in words and words == [w.lower() for w in words]


def test_gold_spans_without_the_possessive_marker_still_label_mentions(nlp):
    """LitBank leaves "'s" out of its mentions, the extractor keeps it (OntoNotes): both schemes align."""
    from neuralcoref.featurize import Featurizer
    from neuralcoref.rules import get_rules
    from training.corpus import GoldDoc
    from training.featurize_corpus import featurize_doc

    words = ["Melanie", "'s", "mom", "called", ".", "Melanie", "was", "out", "."]
    for scheme, first in (("ontonotes", (0, 2)), ("litbank", (0, 1))):
        gold = GoldDoc(
            scheme,
            words,
            [False, True, True, False, True, True, True, False, False],
            [False] * 9,
            [None] * 9,
            [[first, (5, 6)]],
            None,
            "",
        )
        doc = next(gold_docs_to_docs([gold], nlp))
        arrays = featurize_doc(doc, gold, Featurizer(get_rules("en")), 50, 500)
        spans = list(zip(arrays["starts"].tolist(), arrays["ends"].tolist()))
        assert (0, 2) in spans and (0, 1) not in spans
        labelled = {span for span, k in zip(spans, arrays["gold_cluster"].tolist()) if k == 0}
        assert labelled == {(0, 2), (5, 6)}, scheme
        assert arrays["pair_label"][
            (arrays["pair_ant"] == spans.index((0, 2))) & (arrays["pair_ment"] == spans.index((5, 6)))
        ].tolist() == [1]


def test_strip_possessive_scores_mentions_without_the_marker(nlp):
    from neuralcoref.rules import get_rules
    from training.evaluate import scored_span

    doc = nlp("Melanie's mom and the parents' house.")
    rules = get_rules("en")
    assert scored_span(doc[0:2], rules) == (0, 1)
    assert scored_span(doc[0:2]) == (0, 2)
    assert scored_span(doc[4:7], rules) == (4, 6)  # the parents '
    assert scored_span(doc[1:2], rules) == (1, 2)  # a lone marker stays a one-token span


def test_training_lowers_the_loss_and_runs_every_stage(run):
    out, model = run
    log = read_log(out)
    assert [r["stage"] for r in log] == ["allpairs"] * 5 + ["toppairs"] * 2 + ["ranking"] * 2
    allpairs = [r["loss"] for r in log if r["stage"] == "allpairs"]
    assert allpairs[-1] < 0.7 * allpairs[0] and max(allpairs[2:]) < allpairs[0], allpairs
    toppairs = [r["loss"] for r in log if r["stage"] == "toppairs"]
    assert toppairs[-1] < toppairs[0]
    assert all(numpy.isfinite(r["loss"]) for r in log)
    assert log[-1]["select"] > log[0]["select"]
    assert model.meta["training"]["epochs"] == {"allpairs": 5, "toppairs": 2, "ranking": 2}
    assert model.meta["scores"]["dev"]["fixtures_train"]["conll_f1"] == pytest.approx(
        max(r["dev"]["fixtures_train"]["conll_f1"] for r in log), abs=1e-3
    )
    assert (out / "checkpoint.pt").exists()


def test_exported_model_runs_in_spacy_and_matches_the_trainer(run, nlp):
    out, _ = run
    model = CorefModel.from_disk(out / "model")
    assert model.meta["pipeline"]["name"].startswith("en_core_web_sm")
    cache = FeatureCache.load(out / "cache" / "fixtures_train")
    rows = word_rows_for(cache, model.words)
    for blacklist, agreement in ((True, True), (False, True), (False, False)):
        trainer_clusters = predict_cached(cache, rows, model, blacklist=blacklist, require_agreement=agreement)
        assert _component_clusters(out / "model", blacklist=blacklist, require_agreement=agreement) == trainer_clusters
    assert any(trainer_clusters), "the tiny model links nothing: the comparison would be vacuous"


def test_trainer_and_component_link_alike_in_small_blocks(run, nlp, monkeypatch):
    """Documents scored in several blocks (MENTION_BLOCK 8): the trainer's cached path and the component
    still give the same clusters, through the one driver `neuralcoref.linking.link_mentions`."""
    import neuralcoref.linking
    import neuralcoref.resolver

    for module in (neuralcoref.linking, neuralcoref.resolver):
        monkeypatch.setattr(module, "MENTION_BLOCK", 8)
    out, _ = run
    model = CorefModel.from_disk(out / "model")
    cache = FeatureCache.load(out / "cache" / "fixtures_train")
    assert max(cache.doc_slice(d)[0].stop - cache.doc_slice(d)[0].start for d in range(len(cache))) > 16
    trainer_clusters = predict_cached(cache, word_rows_for(cache, model.words), model, blacklist=False)
    assert _component_clusters(out / "model", blacklist=False) == trainer_clusters
    assert any(trainer_clusters)


def _component_clusters(model_dir, **config):
    """Clusters (token spans) of the component with this model and config over the fixtures' documents."""
    runtime = load_pipeline()
    runtime.add_pipe("neuralcoref", config={"model": str(model_dir), **config})
    docs = gold_docs_to_docs(list(read_corpus(FIXTURES)), runtime, skip_coref=False)
    return [[[(m.start, m.end) for m in c] for c in doc._.coref_clusters] for doc in docs]


def test_model_without_tensor_input_runs_in_spacy_and_matches_the_trainer(tmp_path, nlp):
    """Trained with the tensor group zeroed, the model is exported with tensor_width 0: the component
    needs no doc.tensor, and it links exactly as the trainer's dev evaluation does."""
    overrides = {
        **SMALL,
        "training.stages": ["ranking"],
        "stages.ranking.max_epochs": 2,
        "model.zero_groups": ["tensor"],
    }
    model = train([FIXTURES], [FIXTURES], tmp_path, overrides=overrides, nlp=nlp, progress=False)
    assert model.tensor_width == 0 and model.meta["ablation"] == ["tensor"]
    cache = FeatureCache.load(tmp_path / "cache" / "fixtures_train")
    trainer_clusters = predict_cached(cache, word_rows_for(cache, model.words), model, blacklist=False)
    assert _component_clusters(tmp_path / "model", blacklist=False) == trainer_clusters
    assert any(trainer_clusters)


@pytest.mark.parametrize("averaging", [{}, {"training.ema_decay": 0.9, "stages.allpairs.lr_decay": 0.5}])
def test_resume_continues_exactly(tmp_path, nlp, averaging):
    """Also with a moving average of the weights and a decaying learning rate (both in the checkpoint)."""
    overrides = dict(
        SMALL,
        **{"stages.allpairs.max_epochs": 2, "stages.toppairs.max_epochs": 1, "stages.ranking.max_epochs": 1},
        **averaging,
    )

    def run_to(out, **options):
        return train(
            [FIXTURES],
            [FIXTURES],
            tmp_path / out,
            overrides=overrides,
            nlp=nlp,
            progress=False,
            cache_dir=tmp_path / "cache",
            **options,
        )

    straight = run_to("a")
    assert run_to("b", stop_after=2) is None
    assert len(read_log(tmp_path / "b")) == 2
    resumed = run_to("b", resume=True)
    assert [r["stage"] for r in read_log(tmp_path / "b")] == ["allpairs", "allpairs", "toppairs", "ranking"]
    for name, value in straight.weights.items():
        numpy.testing.assert_allclose(resumed.weights[name], value, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("select, expected", [("first", 50.0), ("mean", 55.0)])
def test_epochs_are_selected_on_the_first_or_the_mean_dev_score(tmp_path, nlp, select, expected):
    """en.cfg selects on the mean of its dev corpora (OntoGUM and LitBank): on OntoGUM alone, epochs
    0.05 apart decided which one a run shipped."""
    from training.train import Trainer, load_config, prepare_caches

    cfg = load_config(overrides=dict(SMALL, **{"training.select": select}))
    cache = FeatureCache.concat(prepare_caches([FIXTURES], tmp_path / "cache", nlp, cfg, progress=False))
    trainer = Trainer(cfg, cache, {}, tmp_path / "out", progress=False)
    dev = {"ontogum_dev": {"conll_f1": 50.0}, "litbank_dev": {"conll_f1": 60.0}}
    assert trainer.select_score(dev) == pytest.approx(expected)
    assert load_config()["training"]["select"] == "mean"


def test_partly_annotated_documents_weigh_partial_weight(tmp_path, nlp):
    """`data.partial_weight`: GAP's pronouns can weigh less in the loss than fully annotated text."""
    from training.batching import Batcher
    from training.train import load_config, prepare_caches, weigh_partial_documents

    cfg = load_config(overrides=SMALL)
    caches = prepare_caches([FIXTURES, GAP], tmp_path / "cache", nlp, cfg, progress=False)
    cache = weigh_partial_documents(FeatureCache.concat(caches), 0.5)
    n_full = caches[0].n_mentions
    expected = numpy.where(numpy.arange(cache.n_mentions) < n_full, 1.0, 0.5)
    numpy.testing.assert_array_equal(cache.arrays["mention_weight"], expected)
    word_rows = numpy.zeros((cache.n_mentions, 8), dtype="int32")
    batcher = Batcher(cache, word_rows, max_pairs=120)
    weights = []
    for batch in batcher.epoch(0):
        rows = batch.rows[batch.ment]
        numpy.testing.assert_array_equal(batcher.mention_weights(batch).numpy(), expected[rows])
        weights.extend(expected[rows])
    assert set(weights) == {0.5, 1.0}  # both kinds were trained
    unweighted = weigh_partial_documents(FeatureCache.concat(caches), 1.0)
    assert Batcher(unweighted, word_rows, max_pairs=120).mention_weights(batch) is None


@pytest.mark.parametrize("weight", [-1.0, float("nan"), "half", True])
def test_partial_weight_is_checked_before_featurizing(tmp_path, nlp, weight):
    with pytest.raises(ValueError, match="partial_weight"):
        train([FIXTURES, GAP], [FIXTURES], tmp_path, overrides=dict(SMALL, **{"data.partial_weight": weight}), nlp=nlp)
    assert not (tmp_path / "cache").exists()


def test_moving_average_is_what_gets_evaluated_and_exported(tmp_path, nlp):
    from training.train import Trainer, load_config, prepare_caches

    cfg = load_config(
        overrides=dict(
            SMALL,
            **{
                "training.ema_decay": 0.5,
                "stages.allpairs.max_epochs": 1,
                "training.stages": ["allpairs"],
                "stages.allpairs.lr_decay": 0.5,
            },
        )
    )
    cache = FeatureCache.concat(prepare_caches([FIXTURES], tmp_path / "cache", nlp, cfg, progress=False))
    trainer = Trainer(cfg, cache, {}, tmp_path / "out", progress=False)
    lr = trainer.optimizer.param_groups[0]["lr"]
    trainer.train_epoch()
    assert trainer.optimizer.param_groups[0]["lr"] == pytest.approx(lr * 0.5)
    raw = trainer.model.export_weights()
    averaged = trainer.evaluated_model.export_weights()
    exported = trainer.exported().weights
    assert trainer.evaluated_model is not trainer.model
    assert not numpy.allclose(raw["enc.W"], averaged["enc.W"])
    numpy.testing.assert_array_equal(exported["enc.W"], averaged["enc.W"])


def test_evaluate_and_gap_commands(run, tmp_path, capsys):
    out, _ = run
    assert (
        main(
            [
                "evaluate",
                "--model",
                str(out / "model"),
                "--data",
                str(FIXTURES),
                "--per-genre",
                "--json",
                str(tmp_path / "scores.json"),
                "--no-progress",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "CoNLL" in printed and "overall" in printed
    scores = json.loads((tmp_path / "scores.json").read_text())
    assert scores["n_docs"] == 5
    assert set(scores["genres"]) == {"nw", "tc", "-"}
    assert 0 <= scores["overall"]["conll_f1"] <= 100
    assert main(["gap", "--model", str(out / "model"), "--data", str(GAP), "--json", str(tmp_path / "gap.json")]) == 0
    gap = json.loads((tmp_path / "gap.json").read_text())
    assert gap["n_examples"] == 3 and "bias" in gap


def test_evaluate_bootstrap_and_compare_commands(run, tmp_path, capsys):
    """`--bootstrap N` adds an interval over the documents; `compare` scores models on the same documents
    and bootstraps their difference: a model against itself differs by nothing, in every resample."""
    out, _ = run
    model = str(out / "model")
    argv = ["evaluate", "--model", model, "--data", str(FIXTURES), "--no-progress", "--bootstrap", "200"]
    assert main(argv + ["--json", str(tmp_path / "scores.json")]) == 0
    assert "95% interval" in capsys.readouterr().out
    scores = json.loads((tmp_path / "scores.json").read_text())
    interval = scores["bootstrap"]["conll_f1"]
    assert interval["score"] == pytest.approx(scores["overall"]["conll_f1"])
    assert interval["low"] <= interval["score"] <= interval["high"]
    assert len(scores["documents"]) == scores["n_docs"] == 5

    # a model against itself, and against a "recipe" of two runs (here the same model twice)
    argv = ["compare", "--model", model, "--model", model, "--model", f"{model},{model}", "--data", str(FIXTURES)]
    assert main(argv + ["--no-progress", "--resamples", "100", "--json", str(tmp_path / "compare.json")]) == 0
    printed = capsys.readouterr().out
    assert "baseline" in printed and "+0.00" in printed and "(mean of 2 runs)" in printed
    comparison = json.loads((tmp_path / "compare.json").read_text())
    assert [row["models"] for row in comparison["comparisons"]] == [[model], [model, model]]
    for row in comparison["comparisons"]:
        assert row["conll_f1"]["difference"] == row["conll_f1"]["low"] == row["conll_f1"]["high"] == 0
        assert row["conll_f1"]["baseline"] == pytest.approx(scores["overall"]["conll_f1"])
    baseline = comparison["recipes"][0]
    assert baseline["conll_f1"]["low"] <= baseline["conll_f1"]["score"] <= baseline["conll_f1"]["high"]
    assert comparison["n_docs"] == 5 and comparison["resamples"] == 100
    assert main(["compare", "--model", model, "--data", str(FIXTURES), "--no-progress"]) == 2
    assert "two --model" in capsys.readouterr().err
    assert main(["compare", "--model", model, "--model", ",", "--data", str(FIXTURES)]) == 2
    assert "names no model" in capsys.readouterr().err
    # drawing within genres needs two documents of each genre (the fixtures hold one each of "tc" and "nw"):
    # compare refuses after the first model, evaluate still prints and writes the scores
    assert main(argv + ["--no-progress", "--within-genres"]) == 2
    assert "these have one: tc, nw (resample the whole corpus instead" in capsys.readouterr().err
    refused = tmp_path / "refused.json"
    bootstrap = ["--bootstrap", "50", "--within-genres", "--no-progress", "--json", str(refused)]
    assert main(["evaluate", "--model", model, "--data", str(FIXTURES)] + bootstrap) == 2
    printed = capsys.readouterr()
    assert "overall" in printed.out and "these have one" in printed.err
    assert "bootstrap" not in json.loads(refused.read_text()) and json.loads(refused.read_text())["n_docs"] == 5
    assert main(["evaluate", "--model", model, "--data", str(FIXTURES), "--within-genres"]) == 2
    assert "give --bootstrap N" in capsys.readouterr().err
    for bad in (["compare", "--model", model, "--model", model, "--resamples", "0"], ["evaluate", "--bootstrap", "-1"]):
        with pytest.raises(SystemExit):  # refused by the parser, before any model is loaded
            main(bad + ["--model", model, "--data", str(FIXTURES)])
        assert "must be at least" in capsys.readouterr().err


def test_evaluate_and_compare_within_genres(run, tmp_path, capsys):
    """Four fixture documents renamed into two genres of two: each genre is drawn again on its own."""
    out, _ = run
    model = str(out / "model")
    corpus = tmp_path / "genres"
    corpus.mkdir()
    for name, genre in (("academic_study", "nw"), ("news_smith", "nw"), ("bio_curie", "tc"), ("interview_cook", "tc")):
        text = (FIXTURES / f"{name}.v4_gold_conll").read_text()
        first, rest = text.split("\n", 1)
        (corpus / f"{name}.v4_gold_conll").write_text(f"#begin document ({genre}/{name}); part 000\n{rest}")
    argv = ["evaluate", "--model", model, "--data", str(corpus), "--no-progress", "--bootstrap", "100"]
    assert main(argv + ["--within-genres", "--json", str(tmp_path / "scores.json")]) == 0
    assert "the 4 documents of 2 genres drawn again within each genre" in capsys.readouterr().out
    scores = json.loads((tmp_path / "scores.json").read_text())
    assert scores["bootstrap"]["within_genres"] is True
    assert sorted(scores["document_genres"]) == ["nw", "nw", "tc", "tc"]
    interval = scores["bootstrap"]["conll_f1"]
    assert interval["low"] <= interval["score"] <= interval["high"]
    argv = ["compare", "--model", model, "--model", model, "--data", str(corpus), "--no-progress", "--within-genres"]
    assert main(argv + ["--resamples", "100", "--json", str(tmp_path / "compare.json")]) == 0
    assert "paired resamples of the 4 documents of 2 genres drawn again within each genre" in capsys.readouterr().out
    comparison = json.loads((tmp_path / "compare.json").read_text())
    assert comparison["within_genres"] is True and comparison["n_genres"] == 2


def test_evaluate_drop_tensor_resolves_what_a_tensorless_pipeline_gives(run, tmp_path):
    """`--drop-tensor` empties doc.tensor before the component: a model without a fallback then links with
    zeros for the context features, and says so (W003); without the flag nothing warns."""
    out, _ = run
    scores = {}
    for flag in ([], ["--drop-tensor"]):
        path = tmp_path / f"scores{len(flag)}.json"
        with pytest.warns(UserWarning, match="W003") if flag else contextlib.nullcontext():
            argv = ["evaluate", "--model", str(out / "model"), "--data", str(FIXTURES), "--no-progress"]
            assert main(argv + ["--json", str(path)] + flag) == 0
        scores[bool(flag)] = json.loads(path.read_text())
    assert scores[True]["settings"]["drop_tensor"] and not scores[False]["settings"]["drop_tensor"]


def test_record_stores_scores_in_the_model_meta(run, tmp_path):
    """`--record NAME` keeps the weights and adds the scores to the model's meta record."""
    out, _ = run
    model_dir = tmp_path / "model"
    shutil.copytree(out / "model", model_dir)
    before = CorefModel.from_disk(model_dir)
    assert (
        main(
            [
                "evaluate",
                "--model",
                str(model_dir),
                "--data",
                str(FIXTURES),
                "--no-progress",
                "--record",
                "fixture_test",
            ]
        )
        == 0
    )
    assert main(["gap", "--model", str(model_dir), "--data", str(GAP), "--record", "gap_fixture"]) == 0
    after = CorefModel.from_disk(model_dir)
    recorded = after.meta["scores"]["fixture_test"]
    assert recorded["n_docs"] == 5 and 0 <= recorded["overall"]["conll_f1"] <= 100
    assert "documents" not in recorded  # the per-document rows stay with the corpus
    assert after.meta["scores"]["gap_fixture"]["n_examples"] == 3
    assert after.meta["scores"]["dev"] == before.meta["scores"]["dev"]
    assert set(after.weights) == set(before.weights)
    for name, value in before.weights.items():
        numpy.testing.assert_array_equal(after.weights[name], value, err_msg=name)
    stored = msgpack.unpackb((out / "model" / "model.msgpack").read_bytes())
    rewritten = msgpack.unpackb((model_dir / "model.msgpack").read_bytes())
    assert rewritten["weights"] == stored["weights"]  # the same bytes and dtypes (float16 stays float16)
    assert rewritten["words"] == stored["words"]


def test_ablate_command_trains_one_run_per_group(tmp_path, capsys):
    overrides = [
        "--set",
        "training.max_pairs=120",
        "--set",
        "data.min_word_count=1",
        "--set",
        "stages.ranking.max_epochs=1",
    ]
    args = [
        "ablate",
        "--train",
        str(FIXTURES),
        "--dev",
        str(FIXTURES),
        "--out",
        str(tmp_path / "ablation"),
        "--cache",
        str(tmp_path / "cache"),
        "--group",
        "none",
        "--group",
        "speaker",
        "--no-progress",
        *overrides,
    ]
    assert main(args) == 0
    table = capsys.readouterr().out
    summary = json.loads((tmp_path / "ablation" / "ablation.json").read_text())
    assert list(summary) == ["none", "speaker"]
    assert "| speaker |" in table and "(" in table.split("| speaker |")[1]  # difference from the baseline
    speaker_model = CorefModel.from_disk(tmp_path / "ablation" / "speaker" / "model")
    assert speaker_model.meta["ablation"] == ["speaker"]
    assert "ablation" not in CorefModel.from_disk(tmp_path / "ablation" / "none" / "model").meta
    with pytest.raises(ValueError, match="unknown feature groups"):
        main(
            [
                "ablate",
                "--train",
                str(FIXTURES),
                "--dev",
                str(FIXTURES),
                "--out",
                str(tmp_path / "x"),
                "--group",
                "colour",
            ]
        )


def test_featurize_command_uses_the_pipelines_rule_set(tmp_path, capsys):
    """`featurize` picks the rule set from nlp.lang (French text gets the French rules) unless --lang says."""
    import spacy.util

    if not spacy.util.is_package("fr_core_news_sm"):
        pytest.skip("fr_core_news_sm not installed")
    brat = Path(__file__).parent / "fixtures" / "brat"
    assert main(["featurize", "--data", str(brat), "--out", str(tmp_path / "fr"), "--pipeline", "fr_core_news_sm"]) == 0
    meta = json.loads(capsys.readouterr().out)
    assert meta["lang"] == "fr" and meta["n_docs"] == 1 and meta["n_mentions"] > 0
    assert (
        main(
            [
                "featurize",
                "--data",
                str(brat),
                "--out",
                str(tmp_path / "en"),
                "--pipeline",
                "fr_core_news_sm",
                "--lang",
                "en",
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["lang"] == "en"


def test_export_into_the_installed_package_needs_force(tmp_path, capsys):
    """Under an editable install neuralcoref/models/<lang> is the shipped model: a trial export must not replace it."""
    import neuralcoref
    from training.train import check_export_targets

    shipped_fr = Path(neuralcoref.__file__).parent / "models" / "fr"
    before = (shipped_fr / "model.msgpack").read_bytes()
    argv = [
        "train",
        "--train",
        str(FIXTURES),
        "--dev",
        str(FIXTURES),
        "--out",
        str(tmp_path / "run"),
        "--export",
        str(shipped_fr),
        "--no-progress",
    ]
    assert main(argv) == 2
    assert "--force" in capsys.readouterr().err
    assert (shipped_fr / "model.msgpack").read_bytes() == before
    assert not (tmp_path / "run").exists()  # refused before featurizing anything
    with pytest.raises(ValueError, match="installed neuralcoref package"):
        train([FIXTURES], [FIXTURES], tmp_path / "run", export_to=[shipped_fr / "sub"], overrides=SMALL)
    check_export_targets([shipped_fr], force=True)  # allowed when asked for
    check_export_targets([tmp_path / "models" / "fr"])  # anywhere else needs nothing


def test_fallback_command_stores_and_removes_a_tensorless_model(tmp_path, capsys):
    import neuralcoref
    from neuralcoref.testing import write_random_model

    main_model = write_random_model(tmp_path / "main", tensor_width=96)
    tensorless = write_random_model(tmp_path / "tensorless", tensor_width=0, seed=1)
    assert (
        main(["fallback", "--model", str(main_model), "--fallback", str(tensorless), "--out", str(tmp_path / "c")]) == 0
    )
    combined = CorefModel.from_disk(tmp_path / "c")
    assert combined.fallback is not None and combined.fallback.tensor_width == 0
    assert "a fallback of 4 words" in capsys.readouterr().out
    assert main(["fallback", "--model", str(tmp_path / "c"), "--fallback", "none", "--out", str(tmp_path / "d")]) == 0
    assert CorefModel.from_disk(tmp_path / "d").fallback is None
    with pytest.raises(ValueError, match="E030"):  # a model that reads doc.tensor is no fallback
        main(["fallback", "--model", str(main_model), "--fallback", str(main_model), "--out", str(tmp_path / "e")])
    shipped_en = Path(neuralcoref.__file__).parent / "models" / "en"
    before = (shipped_en / "model.msgpack").read_bytes()
    argv = ["fallback", "--model", str(main_model), "--fallback", str(tensorless), "--out", str(shipped_en)]
    assert main(argv) == 2 and "--force" in capsys.readouterr().err
    assert (shipped_en / "model.msgpack").read_bytes() == before


def test_members_trained_from_one_embedding_table_share_it_in_an_ensemble(run, tmp_path, nlp):
    """`model.embed_from`: a second seed keeps the first model's whole embedding table (under the moving
    average too), so their ensemble stores one table; another vocabulary is refused."""
    from training.ensemble import ensemble_models

    out, first = run
    overrides = {
        **SMALL,
        "training.stages": ["ranking"],
        "training.ema_decay": 0.9,
        "training.seed": 1,
        "model.embed_from": str(out / "model"),
    }
    second = train([FIXTURES], [FIXTURES], tmp_path / "second", overrides=overrides, nlp=nlp, progress=False)
    numpy.testing.assert_array_equal(second.weights["embed"], first.weights["embed"])
    assert not numpy.array_equal(second.weights["enc.W"], first.weights["enc.W"])
    combined = ensemble_models([first, second])
    assert combined.weights["embed"].shape == first.weights["embed"].shape  # stored once, not side by side
    with pytest.raises(ValueError, match="vocabulary"):
        train(
            [FIXTURES],
            [FIXTURES],
            tmp_path / "other",
            overrides={**overrides, "data.min_word_count": 2},
            nlp=nlp,
            progress=False,
        )
