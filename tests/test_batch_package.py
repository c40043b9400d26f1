"""The parts of ``neuralcoref.batch`` that need no pipeline: JSONL records, output lines, progress."""

import io
import json
import logging
import types

from neuralcoref.batch import JsonlWriter, Progress, iter_records, json_line, progress as progress_module


def test_jsonl_records_keep_what_the_json_module_reads(tmp_path):
    """Records are parsed with ``json``, not srsly's ujson: an id beyond 64 bits and a NaN in another
    field are read, and a broken line's reason says where it breaks."""
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"id": 18446744073709551616, "text": "A.", "score": NaN}\n{"id": 2, "text" "B."}\n')
    big, broken = iter_records([str(src)])
    assert (big.id, big.text, big.error) == (2**64, "A.", None)
    assert (broken.line, broken.text) == (2, None)
    assert broken.error.startswith("invalid JSON: ") and broken.error.endswith("line 1 column 18 (char 17)")


def test_output_lines_are_json_dumps_bytes(tmp_path):
    """Output lines are the bytes ``json.dumps`` writes (spaces after separators, UTF-8 text), so a
    run that resumes an earlier run's file appends lines of the same form; a lone surrogate is escaped."""
    record = {"id": "café", "clusters": [[[0, 4], [9, 12]]], "resolved": "Anna … Anna"}
    assert json_line(record) == (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    assert json_line({"id": "\ud800"}) == b'{"id": "\\ud800"}\n'
    out = tmp_path / "out.jsonl"
    writer = JsonlWriter(str(out))
    writer.open()
    writer.write("café", record)
    writer.close()
    assert out.read_bytes() == json_line(record)
    assert JsonlWriter(str(out)).open() == {json.dumps("café", ensure_ascii=False)}


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_on_a_terminal(caplog):
    """stderr a terminal: a tqdm bar with words/s and failures, and no log lines."""
    stream = _Terminal()
    with caplog.at_level(logging.INFO, logger="neuralcoref.batch"):
        progress = Progress(4, interval=0, stream=stream)
        progress.update(1, skipped=True)
        progress.update(3, 30, failed=1)
        progress.close()
    shown = stream.getvalue()
    assert "neuralcoref" in shown and "4/4" in shown and "words/s, 1 failed" in shown
    assert not [r for r in caplog.records if r.getMessage().startswith("progress:")]


def test_progress_lines_when_not_a_terminal(caplog, monkeypatch):
    """Not a terminal: log lines; skipped documents count in the total but not in the ETA."""
    now = [100.0]
    monkeypatch.setattr(progress_module, "time", types.SimpleNamespace(monotonic=lambda: now[0]))
    with caplog.at_level(logging.INFO, logger="neuralcoref.batch"):
        progress = Progress(10, interval=15, stream=io.StringIO())
        now[0] = 110.0
        progress.update(4, skipped=True)  # 4 done by an earlier run; under the interval: no line
        now[0] = 120.0
        progress.update(2, 200, failed=1)  # 2 processed in 20 s, 4 left: ETA 40 s
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("progress:")]
    assert line == "progress: 6/10 docs (60.0%), 10 words/s, ETA 00:40, 1 failed, elapsed 00:20"
