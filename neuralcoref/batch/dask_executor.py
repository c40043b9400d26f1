"""The Dask back end of ``neuralcoref batch --dask ADDRESS``: chunks of records go to the workers of
a Dask cluster, the client reads the inputs and writes the resumable output as in the other back
ends. Dask is imported when a :class:`DaskExecutor` is made, so importing this module is cheap and
needs no Dask. The Dask bag API (``resolve_bag``) is :mod:`neuralcoref.distributed`.
"""

from __future__ import annotations

import logging
from typing import List

from .errors import UsageError
from .executor import ChunkExecutor, Done, Item, Result, run_task
from .pipeline import PipelineSpec

logger = logging.getLogger("neuralcoref.distributed")


def require_dask() -> None:
    """Raise UsageError, saying what to install, when dask.distributed is not installed."""
    try:
        import dask.bag  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        raise UsageError(
            "the Dask back end needs dask[distributed], which a plain install leaves out: "
            'pip install "neuralcoref[dask]"'
        ) from exc


class DaskExecutor(ChunkExecutor):
    """The ``--dask ADDRESS`` back end of ``neuralcoref batch``.

    ``address`` is a scheduler address (``tcp://host:8786``) or ``local`` to
    start a ``LocalCluster`` of ``n_workers`` single-threaded processes here.
    """

    def __init__(self, address: str, spec: PipelineSpec, fmt: str, batch_size: int, n_workers: int = 1):
        require_dask()
        from distributed import Client, LocalCluster

        self.spec, self.fmt, self.batch_size = spec, fmt, batch_size
        self._cluster = None
        try:
            if address == "local":
                self._cluster = LocalCluster(
                    n_workers=max(1, n_workers),
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=":0",  # no fixed port: 8787 may be taken
                )
                self.client = Client(self._cluster)
            else:
                self.client = Client(address, timeout="30s")
        except (OSError, TimeoutError) as exc:
            self._close_cluster()
            raise UsageError(f"cannot connect to the Dask scheduler at {address}: {exc}") from exc
        n_threads = sum(self.client.nthreads().values()) or 1
        self.max_in_flight = max(2 * n_threads, 2)
        logger.info("Dask: %s, %d worker thread(s)", address, n_threads)

    def submit(self, items: List[Item]):
        try:
            return self.client.submit(run_task, self.spec, self.fmt, self.batch_size, items, pure=False)
        except Exception as exc:  # client closed, ...
            return Done(exc=exc)

    def result(self, future) -> List[Result]:
        return future.result()

    def _close_cluster(self):
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
            self.client = None  # type: ignore[assignment]  # closed
        self._close_cluster()
