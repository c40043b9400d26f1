"""Process lifetime for ``neuralcoref batch``: SIGTERM in the main process, parent death in workers.

* :func:`sigterm_raises` turns SIGTERM (``kill PID``, a supervisor, ``docker stop``) into a
  :class:`Terminated` exception in the main thread, so the run stops like Ctrl-C does: the
  workers are stopped, the files are closed, the exit code is 143.
* :func:`exit_with_parent` (called in each worker process) makes a worker exit when the
  process that started it dies without stopping it (SIGKILL, OOM killer): at once on Linux
  (``prctl(PR_SET_PDEATHSIG)``), else within a second (a thread polling the parent pid).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys
import threading
from typing import Iterator

EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM
PARENT_POLL_SECONDS = 1.0
_PR_SET_PDEATHSIG = 1


class Terminated(BaseException):
    """SIGTERM was received (a BaseException, like KeyboardInterrupt: ``except Exception`` lets it through)."""


def _raise_terminated(signum, frame):
    raise Terminated()


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` in the main thread (no-op elsewhere)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def exit_with_parent(parent_pid: int) -> None:
    """Make this (worker) process exit when ``parent_pid`` is no longer its parent.

    Also leaves Ctrl-C to the parent: SIGINT is ignored here, the parent stops its workers.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no libc.prctl: the thread below still works
            pass
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="neuralcoref-parent-watch", daemon=True).start()


def _watch_parent(parent_pid: int) -> None:
    stop = threading.Event()
    while not stop.wait(PARENT_POLL_SECONDS):
        if os.getppid() != parent_pid:
            os._exit(1)
