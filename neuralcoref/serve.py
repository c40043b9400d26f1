"""``neuralcoref serve``: a page to look at the clusters and a JSON API, on Starlette + uvicorn.

    pip install "neuralcoref[serve]"
    neuralcoref serve --port 8000
    curl -s localhost:8000/resolve -d '{"text": "My sister has a dog. She loves him."}'

* ``GET /``: a text box and a button; the clusters are drawn by :func:`neuralcoref.render`.
* ``POST /resolve``: ``{"text": ..., "id": ..., "config": {...}}`` or a list of them -> the record
  (or list of records) ``neuralcoref batch`` writes (:func:`neuralcoref.batch.doc_to_record`).
  ``config`` holds per-request component settings (``greedyness``, ``max_dist``, ...), checked
  against the factory's types and ranges; they apply to that document only.
* ``POST /render``: the same request -> the HTML fragment the page shows.
* ``GET /health``, ``GET /version``.

Documents are processed in a bounded pool of threads (``--workers``); each document is processed
alone, so answers do not depend on what else the server is doing. Starlette and uvicorn are
imported here only: ``import neuralcoref`` does not need them.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import logging
import threading
import typing
from typing import Any, Dict, List, Optional, Tuple

from jinja2 import Environment
from markupsafe import Markup
from pydantic import TypeAdapter, ValidationError  # a spaCy dependency

from . import batch as _batch
from .about import __version__
from .config import CorefSettings, check_ranges
from .conversation import DialogueText, doc_from_utterances, record_dialogue
from .visualize import CSS, SCRIPT, render

logger = logging.getLogger("neuralcoref.serve")

DEFAULT_MAX_BYTES = 10_000_000
DEFAULT_WORKERS = 2
# factory settings a request may not change: which files are read, and where results are stored
NOT_PER_REQUEST = ("model", "span_cluster_prefix")
MAX_VARIANTS = 16  # configured copies of the component kept for per-request settings


class RequestError(Exception):
    """A request the server cannot process: HTTP status, the offending field, a message."""

    def __init__(self, status: int, message: str, field: Optional[str] = None):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field

    def payload(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"error": self.message}
        if self.field is not None:
            out["field"] = self.field
        return out


@dataclasses.dataclass(frozen=True)
class DocumentRequest:
    """One document to resolve: its id (echoed in the record), its text, its component settings."""

    id: Any
    text: str
    settings: Tuple[Tuple[str, str], ...] = ()  # sorted (name, JSON of value): hashable, a cache key


def _setting_types() -> Dict[str, Any]:
    hints = typing.get_type_hints(CorefSettings)
    return {f.name: hints[f.name] for f in dataclasses.fields(CorefSettings) if f.name not in NOT_PER_REQUEST}


SETTING_TYPES = _setting_types()
_ADAPTERS = {name: TypeAdapter(annotation) for name, annotation in SETTING_TYPES.items()}


def validate_settings(config: Any, defaults: Dict[str, Any], field: str = "config") -> Tuple[Tuple[str, str], ...]:
    """Per-request settings checked like the factory checks its config: known names, the factory's
    types (strictly: no "0.5" for a float, no true for an int), its ranges given ``defaults``."""
    if not isinstance(config, dict):
        raise RequestError(400, f"{field}: must be an object, got {_json_type(config)}", field)
    checked = {}
    for name, value in config.items():
        if name not in SETTING_TYPES:
            allowed = ", ".join(sorted(SETTING_TYPES))
            raise RequestError(400, f"{field}.{name}: unknown setting (allowed: {allowed})", f"{field}.{name}")
        try:
            checked[name] = _ADAPTERS[name].validate_python(value, strict=True)
        except ValidationError as exc:
            reason = exc.errors()[0]["msg"]
            raise RequestError(400, f"{field}.{name}: {reason}, got {json.dumps(value)}", f"{field}.{name}")
    merged = {**defaults, **checked}
    try:
        check_ranges(merged["greedyness"], merged["max_dist"], merged["max_dist_match"])
    except ValueError as exc:
        raise RequestError(400, f"{field}: {exc}", field)
    return tuple(sorted((name, json.dumps(value, sort_keys=True)) for name, value in checked.items()))


def _json_type(value: Any) -> str:
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        type(None): "null",
        int: "a number",
        float: "a number",
    }.get(type(value), type(value).__name__)


def parse_request(payload: Any, defaults: Dict[str, Any]) -> Tuple[List[DocumentRequest], bool]:
    """The documents of a ``/resolve`` or ``/render`` body, and whether it was a list.

    An object ``{"text": str, "id": str | int | null, "config": {...}}`` or a list of them; a
    conversation has ``"utterances": [{"speaker": str | null, "text": str}, ...]`` instead of
    ``text`` (the batch record's format: `conversation.doc_from_utterances` resolves it).
    Raises :class:`RequestError` (400) naming the first bad field. The one place that reads the
    request format.
    """
    is_list = isinstance(payload, list)
    objects = payload if is_list else [payload]
    if is_list and not objects:
        raise RequestError(400, "the list of documents is empty", "body")
    out = []
    for n, obj in enumerate(objects):
        where = f"[{n}]." if is_list else ""
        if not isinstance(obj, dict):
            what = f"[{n}]" if is_list else "body"
            raise RequestError(400, f"{what}: must be an object with a text field, got {_json_type(obj)}", what)
        unknown = sorted(set(obj) - {"id", "text", "utterances", "config"})
        if unknown:
            raise RequestError(
                400, f"{where}{unknown[0]}: unknown field (expected text or utterances, id, config)", where + unknown[0]
            )
        if "text" in obj and "utterances" in obj:
            raise RequestError(400, f"{where}utterances: give text or utterances, not both", where + "utterances")
        if "utterances" in obj:
            dialogue, error = record_dialogue(obj["utterances"])
            if error is not None or dialogue is None:
                raise RequestError(400, f"{where}utterances: {error}", where + "utterances")
            text: str = dialogue
        elif "text" not in obj:
            raise RequestError(400, f"{where}text: missing", where + "text")
        elif not isinstance(obj["text"], str):
            raise RequestError(400, f"{where}text: must be a string, got {_json_type(obj['text'])}", where + "text")
        else:
            text = obj["text"]
        doc_id = obj.get("id")
        if doc_id is not None and not _batch.valid_id(doc_id):
            raise RequestError(
                400, f"{where}id: must be a string or an integer, got {_json_type(doc_id)}", where + "id"
            )
        settings = validate_settings(obj["config"], defaults, where + "config") if "config" in obj else ()
        out.append(DocumentRequest(doc_id, text, settings))
    return out, is_list


class CorefService:
    """The loaded pipeline and what runs a document through it, with per-request settings.

    The pipeline is shared by the worker threads. A request with settings runs the pipeline
    without the coreference component, then a copy of the component with those settings (sharing
    the loaded model), kept in a small cache: the shared component is never changed.
    """

    def __init__(self, nlp):
        self.nlp = nlp
        names = [name for name in nlp.pipe_names if nlp.get_pipe_meta(name).factory == _batch.FACTORY]
        if not names:
            raise _batch.UsageError("the pipeline has no neuralcoref component")
        self.component_name = names[-1]
        self.component = nlp.get_pipe(self.component_name)
        self.defaults = {name: self.component.cfg[name] for name in SETTING_TYPES}
        self._variants: "collections.OrderedDict[tuple, Any]" = collections.OrderedDict()
        self._lock = threading.Lock()

    def variant(self, settings: Tuple[Tuple[str, str], ...]):
        """The component with ``settings`` applied (the shared one when there are none)."""
        if not settings:
            return self.component
        with self._lock:
            found = self._variants.get(settings)
            if found is not None:
                self._variants.move_to_end(settings)
                return found
        shared_model = self.component._ensure_model()
        component = object.__new__(type(self.component))  # not copy.copy: __reduce__ would copy the model
        component.__dict__.update(self.component.__dict__)
        component.cfg = {**self.component.cfg, **{name: json.loads(value) for name, value in settings}}
        component._model = shared_model  # read-only
        component._resolver = None
        _ = component.resolver  # built now (conv_dict rows...), outside the request's timing of others
        with self._lock:
            self._variants[settings] = component
            while len(self._variants) > MAX_VARIANTS:
                self._variants.popitem(last=False)
        return component

    def process(self, request: DocumentRequest):
        """The processed Doc. Raises RequestError (422) for a text over the pipeline's max_length."""
        if len(request.text) > self.nlp.max_length:
            raise RequestError(
                422,
                f"text: {len(request.text)} characters, more than the pipeline's max_length ({self.nlp.max_length})",
                "text",
            )
        if isinstance(request.text, DialogueText):
            component = self.variant(request.settings) if request.settings else None
            return doc_from_utterances(self.nlp, request.text.utterances, component=component)
        if not request.settings:
            return self.nlp(request.text)
        component = self.variant(request.settings)
        return component(self.nlp(request.text, disable=[self.component_name]))

    def version(self) -> Dict[str, Any]:
        import spacy

        meta = self.nlp.meta
        model_meta = self.component._ensure_model().meta
        return {
            "neuralcoref": __version__,
            "spacy": spacy.__version__,
            "pipeline": {"name": f"{meta.get('lang', '')}_{meta.get('name', '')}", "version": meta.get("version")},
            "model": {
                "path": self.component.cfg.get("model") or "shipped",
                "lang": model_meta.get("lang"),
                "trained_with": model_meta.get("pipeline"),
            },
        }


PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>neuralcoref</title>
<style>
body { font: 15px system-ui, sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em; color: #222; }
textarea { width: 100%; box-sizing: border-box; font: 15px/1.4 system-ui, sans-serif; padding: 6px; }
button { font: 15px system-ui, sans-serif; padding: 4px 16px; margin: 6px 0 16px; }
#nc-error { color: #b00020; }
</style>
<style>{{ css }}</style>
<script>{{ script }}</script>
</head>
<body>
<h1>neuralcoref</h1>
<p>Type a text and press <b>Resolve</b>: mentions of one entity share a colour and a number;
hover over (or click) a mention for its candidate antecedents and their scores.</p>
<textarea id="nc-text" rows="4">My sister has a dog. She loves him. My sister is happy.</textarea>
<br><button id="nc-resolve">Resolve</button> <span id="nc-error"></span>
<div id="nc-result"></div>
<script>
document.getElementById("nc-resolve").addEventListener("click", async function () {
  var error = document.getElementById("nc-error"), result = document.getElementById("nc-result");
  error.textContent = "";
  try {
    var response = await fetch("render", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({text: document.getElementById("nc-text").value})});
    if (!response.ok) { error.textContent = (await response.json()).error; return; }
    result.innerHTML = await response.text();
  } catch (e) { error.textContent = String(e); }
});
</script>
</body>
</html>
"""


def create_app(nlp, *, workers: int = DEFAULT_WORKERS, max_bytes: int = DEFAULT_MAX_BYTES):
    """The Starlette application serving ``nlp`` (a pipeline with a neuralcoref component)."""
    import anyio
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.responses import HTMLResponse, JSONResponse
    from starlette.routing import Route

    if workers < 1 or max_bytes < 1:
        raise ValueError(f"need workers >= 1 and max_bytes >= 1, got {workers}, {max_bytes}")
    service = CorefService(nlp)
    limiter = anyio.CapacityLimiter(workers)
    page = Environment(autoescape=True).from_string(PAGE).render(css=Markup(CSS), script=Markup(SCRIPT))

    async def read_json(request) -> Any:
        declared = request.headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                raise RequestError(400, "Content-Length is not a number", "Content-Length")
            if int(declared) > max_bytes:  # decided before reading any of it
                raise RequestError(413, f"body of {declared} bytes, more than the limit ({max_bytes})")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_bytes:  # no (or a false) Content-Length: stop reading at the limit
                raise RequestError(413, f"body over the limit ({max_bytes} bytes)")
            chunks.append(chunk)
        try:
            return json.loads(b"".join(chunks))
        except ValueError as exc:
            raise RequestError(400, f"body: not valid JSON ({exc})", "body")

    async def run_documents(request):
        """(processed Docs, the parsed DocumentRequests, whether the body was a list)."""
        documents, is_list = parse_request(await read_json(request), service.defaults)
        docs = []
        for document in documents:
            try:
                docs.append(await anyio.to_thread.run_sync(service.process, document, limiter=limiter))
            except RequestError:
                raise
            except Exception as exc:  # the document fails, the server goes on
                logger.exception("document %s failed (%d characters)", json.dumps(document.id), len(document.text))
                raise RequestError(
                    500, f"document {json.dumps(document.id)} could not be processed: {_batch.describe_exception(exc)}"
                )
        return docs, documents, is_list

    def errors_as_json(endpoint):
        async def wrapped(request):
            try:
                return await endpoint(request)
            except RequestError as exc:
                return JSONResponse(exc.payload(), status_code=exc.status)

        return wrapped

    @errors_as_json
    async def resolve(request):
        docs, documents, is_list = await run_documents(request)
        records = [_batch.doc_to_record(doc, document.id) for doc, document in zip(docs, documents)]
        return JSONResponse(records if is_list else records[0])

    @errors_as_json
    async def render_fragment(request):
        docs, documents, is_list = await run_documents(request)
        titles = [str(d.id) if d.id is not None else "" for d in documents] if is_list else None
        return HTMLResponse(str(render(docs, titles=titles)))

    async def index(request):
        return HTMLResponse(page)

    async def health(request):
        return JSONResponse({"status": "ok"})

    async def version(request):
        return JSONResponse(service.version())

    async def http_error(request, exc):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/resolve", resolve, methods=["POST"]),
            Route("/render", render_fragment, methods=["POST"]),
            Route("/health", health),
            Route("/version", version),
        ],
        exception_handlers={HTTPException: http_error},
    )
    app.state.service = service
    return app


def serve(
    nlp,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = DEFAULT_WORKERS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    log_level: str = "info",
) -> None:
    """Run the server until interrupted."""
    try:
        import starlette  # noqa: F401
        import uvicorn
    except ImportError as exc:
        raise _batch.UsageError(
            f'neuralcoref serve needs uvicorn and starlette ({exc}): pip install "neuralcoref[serve]"'
        )
    app = create_app(nlp, workers=workers, max_bytes=max_bytes)
    uvicorn.run(app, host=host, port=port, log_level=log_level)
