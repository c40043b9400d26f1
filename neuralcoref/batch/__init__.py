"""Corpus processing for ``neuralcoref batch``, ``neuralcoref serve`` and the Dask API.

Everything the three back ends (one process, ``--n-process N``, Dask) share lives here, so that
they produce byte-identical output. One job per module:

* :mod:`.records`: input records ``(id, text)`` from ``.txt`` files, folders and JSONL, bad ones
  reported instead of raised;
* :mod:`.formats`: a processed Doc -> its output record (JSONL, CoNLL-2012, CorefUD);
* :mod:`.pipeline`: what to load (:class:`PipelineSpec`), loaded once per process;
* :mod:`.executor`, :mod:`.dask_executor`: chunks of records through the pipeline, in this
  process, a process pool or a Dask cluster, with per-record error isolation;
* :mod:`.ledger`: the resumable output and errors files;
* :mod:`.progress`: a tqdm bar, or log lines when stderr is not a terminal;
* :mod:`.run`: :func:`run_batch`, the run that ties them together;
* :mod:`.errors`: usage errors and exit codes.

The names below are the package's public API; import them from ``neuralcoref.batch``.
"""

from .dask_executor import DaskExecutor, require_dask
from .errors import EXIT_FAILED_RECORDS, EXIT_OK, EXIT_USAGE, PipelineLoadError, UsageError, describe_exception
from .executor import (
    ChunkExecutor,
    Done,
    Item,
    LocalExecutor,
    ProcessExecutor,
    Result,
    process_chunk,
    process_chunk_with_spec,
    run_task,
)
from .formats import CONVERTERS, FORMATS, convert, doc_to_conll2012, doc_to_corefud, doc_to_record, mention_spans
from .ledger import BlockWriter, ErrorLog, JsonlWriter, json_line, make_writer
from .pipeline import (
    DEFAULT_PIPELINE,
    FACTORY,
    FALLBACK_PIPELINE,
    PipelineSpec,
    default_pipeline,
    get_pipeline,
    import_code,
    load_pipeline,
    loaded_pipelines,
    pipeline_loads,
    using_pipeline,
)
from .progress import Progress
from .records import Record, check_inputs, count_records, iter_records, record_key, valid_id
from .run import BatchStats, run_batch

__all__ = [
    "BatchStats",
    "BlockWriter",
    "CONVERTERS",
    "ChunkExecutor",
    "DEFAULT_PIPELINE",
    "DaskExecutor",
    "Done",
    "EXIT_FAILED_RECORDS",
    "EXIT_OK",
    "EXIT_USAGE",
    "ErrorLog",
    "FACTORY",
    "FALLBACK_PIPELINE",
    "FORMATS",
    "Item",
    "JsonlWriter",
    "LocalExecutor",
    "PipelineLoadError",
    "PipelineSpec",
    "ProcessExecutor",
    "Progress",
    "Record",
    "Result",
    "UsageError",
    "check_inputs",
    "convert",
    "count_records",
    "default_pipeline",
    "describe_exception",
    "doc_to_conll2012",
    "doc_to_corefud",
    "doc_to_record",
    "get_pipeline",
    "import_code",
    "iter_records",
    "json_line",
    "load_pipeline",
    "loaded_pipelines",
    "make_writer",
    "mention_spans",
    "pipeline_loads",
    "process_chunk",
    "process_chunk_with_spec",
    "record_key",
    "require_dask",
    "run_batch",
    "run_task",
    "using_pipeline",
    "valid_id",
]
