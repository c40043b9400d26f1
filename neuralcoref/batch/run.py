"""The batch run: records in, resumable output and errors file out (:func:`run_batch`), the same
bytes whichever back end processes the chunks.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

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
    errors_path = _check_arguments(inputs, output, fmt, errors_path, batch_size, n_process)
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
        executor = _make_executor(spec, fmt, batch_size, n_process, dask_address)
        writer.start()
        prog = Progress(count_records(inputs), enabled=progress, interval=log_interval)
        run = _Run(writer, errlog, stats, prog, done, reported)
        records = iter_records(inputs, id_field=id_field, text_field=text_field, encoding=encoding, stdin=stdin)
        for batch, results in executor.map(run.chunks(records, batch_size)):
            run.write(batch, results)
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
    _log_summary(stats, errors_path)
    return stats


def _check_arguments(
    inputs: Sequence[str], output: str, fmt: str, errors_path: Optional[str], batch_size: int, n_process: int
) -> str:
    """Refuse a run that cannot start (UsageError). RETURNS the errors file's path."""
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
    return errors_path


def _make_executor(
    spec: PipelineSpec, fmt: str, batch_size: int, n_process: int, dask_address: Optional[str]
) -> ChunkExecutor:
    """The back end: a Dask cluster, local worker processes, or this process."""
    if dask_address:
        return DaskExecutor(dask_address, spec, fmt, batch_size, n_workers=n_process)
    if n_process > 1:
        return ProcessExecutor(spec, fmt, batch_size, n_process)
    return LocalExecutor(spec, fmt, batch_size)


#: a record, whether it may duplicate an earlier one, and whether it goes to the pipeline
TaggedRecord = Tuple[Record, bool, bool]


class _Run:
    """One run's bookkeeping: which records still need processing, and where each result goes.

    Duplicate ids: the first readable record with an id is the one written; a later one is an errors
    entry naming both places, unless the first failed (then the next one is written). Decided when
    results are written, in input order, so --n-process and resuming cannot change it; ``kept`` says
    where the record that holds (or claims) each id is.
    """

    def __init__(self, writer, errlog: ErrorLog, stats: BatchStats, prog: Progress, done: set, reported: set):
        self.writer, self.errlog, self.stats, self.prog = writer, errlog, stats, prog
        self.done, self.reported = done, reported
        self.kept: Dict[str, str] = {}

    def todo(self, records: Iterable[Record]) -> Iterator[Tuple[Record, bool]]:
        """(record, whether it may duplicate an earlier one) for every record still to do; bad
        records too, reported in input order with the others (the same errors file for any -n)."""
        for rec in records:
            if rec.position in self.reported:
                self.stats.previously_failed += 1
                self.prog.update(1, failed=1, skipped=True)
                continue
            if rec.error is not None:
                yield rec, False
                continue
            later = rec.key in self.kept
            if not later:
                self.kept[rec.key] = rec.where
                if rec.key in self.done:
                    self.stats.skipped += 1
                    self.prog.update(1, skipped=True)
                    continue
            yield rec, later

    def chunks(
        self, records: Iterable[Record], batch_size: int
    ) -> Iterator[Tuple[List[TaggedRecord], List[Tuple[str, str]]]]:
        """(tagged records, the (id, text) pairs of those the pipeline processes) per chunk."""
        for batch in minibatch(self.todo(records), batch_size):
            # a later duplicate of a record already written needs no processing
            tagged = [(rec, later, rec.error is None and not (later and rec.key in self.done)) for rec, later in batch]
            yield tagged, [(rec.id, rec.text) for rec, _, run in tagged if run]

    def write(self, batch: List[TaggedRecord], results) -> None:
        """Write a chunk's results, or report its records, in input order."""
        n_words = 0
        n_failed = 0
        results_iter = iter(results)
        for rec, later, processed in batch:
            result = next(results_iter) if processed else None
            if rec.error is not None:
                self.report(rec)
                n_failed += 1
                continue
            if later and rec.key in self.done:
                self.report(rec, f"duplicate id: the record with this id at {self.kept[rec.key]} is kept")
                n_failed += 1
                continue
            assert result is not None  # no result only for records that were not processed
            status, payload = result
            if status != "ok":
                self.report(rec, payload)
                n_failed += 1
                continue
            try:
                self.writer.write(rec.id, payload)
            except ValueError as exc:  # not JSON-serializable (a custom pipeline's payload): this record only
                self.report(rec, f"cannot write the output record: {describe_exception(exc)}")
                n_failed += 1
                continue
            self.done.add(rec.key)
            self.kept[rec.key] = rec.where
            self.stats.written += 1
            words = len((rec.text or "").split())
            n_words += words
            self.stats.words += words
        self.prog.update(len(batch), n_words, failed=n_failed)

    def report(self, rec: Record, reason: Optional[str] = None) -> None:
        if reason and "[E088]" in reason:  # spaCy's nlp.max_length
            reason += " (neuralcoref batch: raise the limit with --max-chars)"
        self.errlog.write(rec.error_entry(reason))
        self.reported.add(rec.position)
        self.stats.failed += 1


def _log_summary(stats: BatchStats, errors_path: str) -> None:
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
