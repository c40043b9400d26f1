"""Running the pipeline over chunks of records, the same way in every back end.

:func:`process_chunk` turns ``(id, text)`` items into ``("ok", payload)`` or ``("error", reason)``
results, one per item, with per-record error isolation. A :class:`ChunkExecutor` maps chunks to
results in input order, with crash isolation (a chunk whose task failed is re-run one record at a
time): :class:`LocalExecutor` (this process), :class:`ProcessExecutor` (``--n-process N``) and,
in :mod:`neuralcoref.batch.dask_executor`, the Dask back end.
"""

from __future__ import annotations

import collections
import concurrent.futures
import logging
import multiprocessing
import os
from typing import Any, Iterable, Iterator, List, Optional, Sequence, Tuple

from ..conversation import process_text, process_texts
from ..lifecycle import exit_with_parent
from .errors import PipelineLoadError, describe_exception
from .formats import convert
from .pipeline import PipelineSpec, get_pipeline, using_pipeline

logger = logging.getLogger("neuralcoref.batch")

Item = Tuple[Any, str]  # (id, text)
Result = Tuple[str, Any]  # ("ok", payload) or ("error", reason)


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


def process_chunk_with_spec(
    spec: PipelineSpec, items: Sequence[Item], fmt: str = "jsonl", batch_size: int = 64
) -> List[Result]:
    """:func:`process_chunk` with the pipeline of ``spec`` (loaded once per process)."""
    with using_pipeline(spec) as nlp:
        return process_chunk(nlp, items, fmt, batch_size)


def run_task(spec: PipelineSpec, fmt: str, batch_size: int, items: List[Item]) -> List[Result]:
    """The task a worker process (or Dask worker) runs: a module-level function, pickled by name."""
    return process_chunk_with_spec(spec, items, fmt, batch_size)


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
                logger.warning(
                    "a chunk of %d documents failed as a whole (%s); retrying them one by one",
                    len(items),
                    describe_exception(exc),
                )
                if self.recover():
                    # the other in-flight chunks were lost with the worker: resubmit them
                    pending = collections.deque((t, its, self.submit(its)) for t, its, _ in pending)
                results = self._run_isolated(items, exc)
            yield tag, results


def _task_failure(exc: BaseException) -> str:
    if isinstance(exc, concurrent.futures.BrokenExecutor) or type(exc).__name__ == "KilledWorker":
        return f"the worker process died processing this document ({describe_exception(exc)})"
    return f"processing failed: {describe_exception(exc)}"


class Done:
    """A future that is already done (a result computed here, or the exception a submit raised)."""

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
            return Done(process_chunk_with_spec(self.spec, items, self.fmt, self.batch_size))
        except Exception as exc:
            return Done(exc=exc)


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
            max_workers=self.n_process, mp_context=ctx, initializer=_worker_init, initargs=(self.spec, os.getpid())
        )

    def submit(self, items):
        try:
            return self._pool.submit(run_task, self.spec, self.fmt, self.batch_size, items)
        except concurrent.futures.BrokenExecutor as exc:
            return Done(exc=exc)

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
