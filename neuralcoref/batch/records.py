"""Input records for ``neuralcoref batch``: ``(id, text)`` from ``.txt`` files, folders of them and
JSONL files (or standard input), bad inputs yielded as records with a reason instead of raised.

JSON is parsed with the standard library, not ``srsly`` (ujson): ujson rejects integer ids beyond
64 bits and ``NaN`` values that ``json`` reads, and its error messages do not say where a line
is broken; the errors file would lose both.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, Optional, Sequence

from ..conversation import record_dialogue
from .errors import UsageError

TEXT_SUFFIXES = (".txt",)
JSONL_SUFFIXES = (".jsonl", ".ndjson")


@dataclasses.dataclass(frozen=True)
class Record:
    """One input document, or one bad input (``error`` set, ``text`` None)."""

    id: Any
    text: Optional[str]
    source: str
    line: Optional[int] = None
    error: Optional[str] = None

    @property
    def key(self) -> str:
        """Canonical bookkeeping key: the JSON of the id, or of [source, line]."""
        return record_key(self.id, self.source, self.line)

    @property
    def position(self) -> str:
        """Where the record is (its file, and line for JSONL): the key of the errors ledger, so that
        a failed or duplicate record never makes a valid record with the same id look failed."""
        return record_key(None, self.source, self.line)

    @property
    def where(self) -> str:
        return self.source + (f":{self.line}" if self.line else "")

    def error_entry(self, reason: Optional[str] = None) -> Dict[str, Any]:
        entry: Dict[str, Any] = {"id": self.id, "source": self.source}
        if self.line is not None:
            entry["line"] = self.line
        entry["reason"] = reason if reason is not None else self.error
        return entry


def record_key(doc_id: Any, source: Optional[str] = None, line: Optional[int] = None) -> str:
    if doc_id is not None:
        return json.dumps(doc_id, ensure_ascii=False)
    return json.dumps([source, line], ensure_ascii=False)


def valid_id(value: Any) -> bool:
    """A record id is a string or an integer (not a bool, which JSON would write as true/false)."""
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def is_jsonl(path: Path) -> bool:
    return path.suffix.lower() in JSONL_SUFFIXES


def check_inputs(inputs: Sequence[str]) -> None:
    """Raise UsageError for inputs that do not exist (almost always a typo)."""
    if not inputs:
        raise UsageError("no input given")
    for name in inputs:
        if name == "-":
            continue
        if not os.path.exists(name):
            raise UsageError(f"input not found: {name}")


def walk_text_files(folder: Path) -> Iterator[Path]:
    """``.txt`` files under folder, recursively, in a deterministic order, hidden ones skipped."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and name.lower().endswith(TEXT_SUFFIXES):
                yield Path(root) / name


def iter_records(
    inputs: Sequence[str],
    *,
    id_field: str = "id",
    text_field: str = "text",
    encoding: str = "utf-8",
    stdin: Optional[Any] = None,
) -> Iterator[Record]:
    """Yield a :class:`Record` for every document (or bad input) in ``inputs``.

    * a folder: every ``.txt`` file under it, recursively; id = path relative to
      the folder (``/``-separated);
    * a ``.jsonl``/``.ndjson`` file: one JSON object a line with ``id_field`` and
      ``text_field``; blank lines are skipped;
    * ``-``: JSONL read from standard input;
    * any other file: one text document; id = the file name.

    Unreadable files, invalid JSON lines, missing or mistyped fields are yielded
    as records with ``error`` set; this function does not raise for them.
    """
    for name in inputs:
        if name == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            yield from _iter_jsonl_stream(stream, "<stdin>", id_field, text_field)
            continue
        path = Path(name)
        if path.is_dir():
            for file in walk_text_files(path):
                yield _read_text_record(file, file.relative_to(path).as_posix(), encoding)
        elif is_jsonl(path):
            try:
                stream = open(path, "rb")
            except OSError as exc:
                yield Record(None, None, name, None, f"cannot open file: {exc.strerror or exc}")
                continue
            with stream:
                yield from _iter_jsonl_stream(stream, name, id_field, text_field)
        else:
            yield _read_text_record(path, path.name, encoding)


def _read_text_record(path: Path, doc_id: str, encoding: str) -> Record:
    source = str(path)
    try:
        # newline="" keeps "\r\n" as is: character offsets refer to the file's text
        with open(path, encoding=encoding, newline="") as f:
            text = f.read()
    except UnicodeDecodeError as exc:
        return Record(doc_id, None, source, None, f"cannot decode file as {encoding}: {exc.reason} at byte {exc.start}")
    except (OSError, LookupError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        return Record(doc_id, None, source, None, f"cannot read file: {reason}")
    return Record(doc_id, text, source)


def _iter_jsonl_stream(stream, source: str, id_field: str, text_field: str) -> Iterator[Record]:
    lineno = 0
    while True:
        try:
            raw = stream.readline()
        except OSError as exc:
            yield Record(None, None, source, lineno + 1, f"cannot read file: {exc.strerror or exc}")
            return
        if not raw:
            return
        lineno += 1
        if isinstance(raw, bytes):
            try:
                line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                yield Record(None, None, source, lineno, f"line is not valid UTF-8: {exc.reason} at byte {exc.start}")
                continue
        else:
            line = raw
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            yield Record(None, None, source, lineno, f"invalid JSON: {exc}")
            continue
        if not isinstance(obj, dict):
            yield Record(None, None, source, lineno, f"expected a JSON object, got {type(obj).__name__}")
            continue
        doc_id = obj.get(id_field)
        if id_field not in obj:
            yield Record(None, None, source, lineno, f"missing id field {id_field!r}")
            continue
        if not valid_id(doc_id):
            yield Record(
                None,
                None,
                source,
                lineno,
                f"id field {id_field!r} must be a string or an integer, got {type(doc_id).__name__}",
            )
            continue
        if text_field not in obj and "utterances" in obj:  # a conversation: neuralcoref.conversation
            text, error = record_dialogue(obj["utterances"])
            yield Record(doc_id, text, source, lineno, error)
            continue
        if text_field not in obj:
            yield Record(doc_id, None, source, lineno, f"missing text field {text_field!r}")
            continue
        text = obj[text_field]
        if not isinstance(text, str):
            yield Record(
                doc_id, None, source, lineno, f"text field {text_field!r} must be a string, got {type(text).__name__}"
            )
            continue
        yield Record(doc_id, text, source, lineno)


def count_records(inputs: Sequence[str]) -> Optional[int]:
    """Cheap upper bound of the number of records (for the progress ETA); None if unknown."""
    total = 0
    for name in inputs:
        if name == "-":
            return None
        path = Path(name)
        try:
            if path.is_dir():
                total += sum(1 for _ in walk_text_files(path))
            elif is_jsonl(path):
                with open(path, "rb") as f:
                    total += sum(1 for raw in f if raw.strip())
            else:
                total += 1
        except OSError:
            total += 1
    return total
