"""The batch run: records in, resumable output and errors file out (:func:`run_batch`), the same
bytes whichever back end processes the chunks.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from typing import Dict, Iterator, Optional, Sequence, Tuple

from spacy.util import minibatch

from .dask_executor import DaskExecutor
from .errors import EXIT_FAILED_RECORDS, EXIT_OK, UsageError, describe_exception
from .executor import ChunkExecutor, LocalExecutor, ProcessExecutor
from .formats import FORMATS
from .ledger import ErrorLog, make_writer
from .pipeline import PipelineSpec
from .progress import Progress, format_duration
from .records import Record, check_inputs, count_records, iter_records

logger = logging.getLogger("neuralcoref.batch")


@dataclasses.dataclass
class BatchStats:
    """What a run did, counted in documents (``previously_failed``: skipped, reported by an earlier run)."""

    written: int = 0
    skipped: int = 0
    failed: int = 0
    previously_failed: int = 0
    words: int = 0
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        return EXIT_FAILED_RECORDS if (self.failed or self.previously_failed) else EXIT_OK


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
            executor = DaskExecutor(dask_address, spec, fmt, batch_size, n_workers=n_process)
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
            for batch in minibatch(todo(), batch_size):
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
        stats.written,
        stats.skipped,
        stats.failed,
        f", {stats.previously_failed} failed in an earlier run" if stats.previously_failed else "",
        format_duration(stats.seconds),
        f"{stats.words / max(stats.seconds, 1e-9):,.0f}",
    )
    if stats.failed or stats.previously_failed:
        logger.info("failed records are listed in %s", errors_path)
    return stats
