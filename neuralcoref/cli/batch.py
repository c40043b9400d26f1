"""``neuralcoref batch``: a corpus into a JSONL (or CoNLL-2012 / CorefUD) file, resumably (neuralcoref.batch)."""

from __future__ import annotations

import enum
import logging
from typing import List, Optional

from .. import batch as _batch
from ._util import EXIT_CODES, Arg, Opt, PipelineOptions, app, pipeline_command

logger = logging.getLogger("neuralcoref")

Format = enum.Enum("Format", {name: name for name in _batch.FORMATS}, type=str)  # type: ignore[misc]


@app.command(
    "batch", epilog=EXIT_CODES, short_help="process a corpus into a JSONL (or CoNLL-2012 / CorefUD) file, resumably"
)
@pipeline_command()
def batch_cli(
    inputs: List[str] = Arg(
        ..., metavar="INPUT", show_default=False, help=".txt file, folder of .txt files, JSONL file, or -"
    ),
    output: str = Opt(
        ...,
        "-o",
        "--output",
        metavar="FILE",
        show_default=False,
        help="output file; appended to and resumed if it exists",
    ),
    fmt: Format = Opt(
        Format("jsonl"),
        "--format",
        help=(
            "jsonl: one JSON record per document; conll2012 / corefud: files a coreference scorer reads "
            "(plus FILE.index.jsonl for resuming)"
        ),
    ),
    errors: Optional[str] = Opt(None, "--errors", metavar="FILE", help="errors file (default: OUTPUT.errors.jsonl)"),
    retry_errors: bool = Opt(
        False,
        "--retry-errors",
        help=(
            "retry the records listed in the errors file (it is emptied first; the ones that succeed are appended "
            "at the end of the output); by default they are skipped like the ones already written"
        ),
    ),
    id_field: str = Opt("id", "--id-field", metavar="NAME", help="id field of JSONL records"),
    text_field: str = Opt("text", "--text-field", metavar="NAME", help="text field of JSONL records"),
    encoding: str = Opt("utf-8", "--encoding", metavar="NAME", help="encoding of .txt files"),
    n_process: int = Opt(
        1,
        "--n-process",
        min=1,
        metavar="N",
        help=(
            "worker processes on this machine, each loading the pipeline once; with --dask local, the number "
            "of Dask workers"
        ),
    ),
    batch_size: int = Opt(
        64, "--batch-size", min=1, metavar="N", help="documents per nlp.pipe batch and per task sent to a worker"
    ),
    dask: Optional[str] = Opt(
        None,
        "--dask",
        metavar="ADDRESS",
        help=(
            "process on a Dask cluster: scheduler address (tcp://host:8786), or 'local' for a LocalCluster of "
            "--n-process workers; output is identical to a single-process run"
        ),
    ),
    max_chars: Optional[int] = Opt(
        None,
        "--max-chars",
        min=1,
        metavar="N",
        show_default=False,
        help=(
            "longest document in characters (spaCy's nlp.max_length, default 1,000,000); longer ones are errors "
            "entries. Plan about 2 GB of memory per 100,000 words of one document, per process"
        ),
    ),
    no_progress: bool = Opt(False, "--no-progress", help="no progress bar or progress log lines"),
    log_interval: float = Opt(
        30.0,
        "--log-interval",
        metavar="SECONDS",
        help="seconds between progress log lines when stderr is not a terminal",
    ),
    *,
    options: PipelineOptions,
) -> int:
    """Process a corpus. INPUT is any mix of .txt files, folders (every .txt file under them; the id is the
    path relative to the folder), JSONL files (.jsonl/.ndjson, one object a line with an id and a text
    field) and '-' (JSONL on standard input). Rerunning with the same --output skips documents already
    written; bad records go to the errors file and the run goes on.
    """
    if dask and dask != "local" and n_process > 1:
        logger.warning("--n-process is ignored with a Dask scheduler address: the cluster's workers are used")
    stats = _batch.run_batch(
        inputs,
        output,
        spec=options.spec(max_length=max_chars),
        fmt=fmt.value,
        errors_path=errors,
        retry_errors=retry_errors,
        id_field=id_field,
        text_field=text_field,
        encoding=encoding,
        batch_size=batch_size,
        n_process=n_process,
        dask_address=dask,
        progress=not no_progress,
        log_interval=log_interval,
    )
    return stats.exit_code
