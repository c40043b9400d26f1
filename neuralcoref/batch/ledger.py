"""The resumable files of a batch run: the output (:class:`JsonlWriter`, :class:`BlockWriter`) and
the errors file (:class:`ErrorLog`), each also the ledger of what an earlier run did.

Every record is written by one unbuffered ``write``, so a kill leaves at most one torn record at the
end; opening a file again cuts it away and returns the keys already
done, so a resumed run neither repeats nor loses a document.

Lines are written and read with ``json`` rather than ``srsly``: ``srsly.json_dumps`` (ujson) writes
other bytes (no spaces after separators, non-ASCII escaped), and outputs must stay byte-identical to
those of earlier runs being resumed; ``srsly.json_loads`` rejects ids beyond 64 bits that ``json``
wrote.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, BinaryIO, Dict, List, Optional, Tuple

from .errors import UsageError
from .records import record_key

logger = logging.getLogger("neuralcoref.batch")


def json_line(obj: Any) -> bytes:
    """One JSON line as UTF-8. Text that UTF-8 cannot encode (a lone surrogate from a JSON
    ``"\\ud800"`` or from a file name with a byte that is not UTF-8) is written escaped (``\\udce9``):
    valid JSON that reads back as the same string, so resuming finds the record."""
    line = json.dumps(obj, ensure_ascii=False) + "\n"
    try:
        return line.encode("utf-8")
    except UnicodeEncodeError:
        return (json.dumps(obj, ensure_ascii=True) + "\n").encode("ascii")


def _make_parent(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)


def _write_all(f, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = f.write(view)
        view = view[n:]


def _read_lines_repairing(path: Path, what: str, strict: bool) -> Tuple[List[Any], int]:
    """Parse a JSONL file written by us (streaming); repair a torn last line.

    Returns the parsed objects and the byte length of the valid prefix, to
    which the file is truncated. A torn last line (no trailing newline, or
    invalid JSON) is cut away and logged. An invalid line elsewhere raises
    UsageError when ``strict`` (the file is not ours), else it is skipped.
    """
    if not path.exists():
        return [], 0
    objs: List[Any] = []
    offset = 0  # end of the lines read so far
    keep = 0  # end of the part of the file to keep
    bad_line: Optional[int] = None  # an invalid complete line, cut away if it is the last one
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, 1):
            if bad_line is not None:  # the invalid line was not the last one
                if strict:
                    raise UsageError(
                        f"{what} {path} exists but line {bad_line} is not valid JSON; "
                        f"refusing to append to it (choose another --output)"
                    )
                logger.warning("%s %s: skipping invalid line %d", what, path, bad_line)
                keep = offset
                bad_line = None
            if not raw.endswith(b"\n"):
                logger.warning(
                    "%s %s: removing an incomplete last line (%d bytes) left by an interrupted run",
                    what,
                    path,
                    len(raw),
                )
                break
            end = offset + len(raw)
            if raw.strip():
                try:
                    objs.append(json.loads(raw))
                except ValueError:
                    bad_line = lineno
                    offset = end
                    continue
            offset = keep = end
        size = f.seek(0, os.SEEK_END)
    if bad_line is not None:
        logger.warning("%s %s: removing an invalid last line left by an interrupted run", what, path)
    if keep != size:
        with open(path, "r+b") as f:
            f.truncate(keep)
    return objs, keep


class JsonlWriter:
    """Appends one JSON line per document; a line is written by a single write() (unbuffered).

    ``open()`` repairs the file left by an interrupted run and returns the keys
    of the documents in it; ``start()`` (once the pipeline is loaded) creates it.
    """

    def __init__(self, path: str):
        self.path = Path(path)
        self._f: Optional[BinaryIO] = None

    def open(self) -> set:
        """Repair the file if needed and return the keys of the documents already in it."""
        objs, _ = _read_lines_repairing(self.path, "output", strict=True)
        done = set()
        for obj in objs:
            if not isinstance(obj, dict) or "id" not in obj:
                raise UsageError(
                    f"output {self.path} exists but is not a neuralcoref JSONL output "
                    f"(a line without an 'id'); choose another --output"
                )
            done.add(record_key(obj["id"]))
        return done

    def start(self) -> None:
        """Open (create) the file for appending."""
        if self._f is None:
            _make_parent(self.path)
            self._f = open(self.path, "ab", buffering=0)

    def write(self, doc_id: Any, payload: Dict[str, Any]) -> None:
        self.start()
        _write_all(self._f, json_line(payload))

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            self._f = None


class BlockWriter:
    """Writes one text block per document (CoNLL-2012, CorefUD) plus an index file.

    The index ``<output>.index.jsonl`` gets ``{"id": ..., "end": byte offset}``
    after each block is written; on resume the output is cut back to the last
    indexed offset, so a block torn by a kill is removed and redone.
    """

    def __init__(self, path: str):
        self.path = Path(path)
        self.index_path = Path(str(path) + ".index.jsonl")
        self._f: Optional[BinaryIO] = None
        self._index: Optional[BinaryIO] = None
        self._offset = 0

    def open(self) -> set:
        entries, _ = _read_lines_repairing(self.index_path, "index", strict=False)
        done = set()
        end = 0
        for e in entries:
            if isinstance(e, dict) and "id" in e and isinstance(e.get("end"), int):
                done.add(record_key(e["id"]))
                end = max(end, e["end"])
        size = self.path.stat().st_size if self.path.exists() else 0
        if size < end:
            raise UsageError(
                f"output {self.path} is shorter than its index {self.index_path} says; remove both to start again"
            )
        if size > end:
            if not entries and size:
                raise UsageError(
                    f"output {self.path} exists but has no index {self.index_path}; "
                    f"refusing to overwrite it (choose another --output)"
                )
            logger.warning(
                "output %s: removing %d bytes of an incomplete document left by an interrupted run",
                self.path,
                size - end,
            )
            with open(self.path, "r+b") as f:
                f.truncate(end)
        self._offset = end
        return done

    def start(self) -> None:
        """Open (create) the output and its index for appending."""
        if self._f is None:
            _make_parent(self.path)
            self._f = open(self.path, "ab", buffering=0)
            self._index = open(self.index_path, "ab", buffering=0)

    def write(self, doc_id: Any, payload: str) -> None:
        self.start()
        data = payload.encode("utf-8", "backslashreplace")  # an id UTF-8 cannot encode, escaped
        _write_all(self._f, data)
        self._offset += len(data)
        _write_all(self._index, json_line({"id": doc_id, "end": self._offset}))

    def close(self) -> None:
        for f in (self._f, self._index):
            if f is not None:
                f.close()
        self._f = self._index = None


def make_writer(path: str, fmt: str):
    return JsonlWriter(path) if fmt == "jsonl" else BlockWriter(path)


class ErrorLog:
    """``<output>.errors.jsonl``: one ``{"id", "source", "line", "reason"}`` line per bad record.

    Created on the first error only; appended to by later runs. Its ledger is keyed by the
    record's position (file and line), not its id: a bad record never hides a valid one that
    has the same id.
    """

    def __init__(self, path: str):
        self.path = Path(path)
        self._f: Optional[BinaryIO] = None

    def open(self, reset: bool = False) -> set:
        """Return the positions of the records already reported (none if ``reset``: the file is emptied)."""
        if reset and self.path.exists():
            self.path.write_bytes(b"")
        objs, _ = _read_lines_repairing(self.path, "errors file", strict=False)
        keys = set()
        for e in objs:
            if isinstance(e, dict):
                keys.add(record_key(None, e.get("source"), e.get("line")))
        return keys

    def write(self, entry: Dict[str, Any]) -> None:
        if self._f is None:
            _make_parent(self.path)
            self._f = open(self.path, "ab", buffering=0)
        _write_all(self._f, json_line(entry))

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            self._f = None
