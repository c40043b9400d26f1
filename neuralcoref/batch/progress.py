"""Progress of a batch run: a ``tqdm`` bar when stderr is a terminal, else a plain log line every
``interval`` seconds (``progress: 12/40 docs (30.0%), 2,345 words/s, ETA 00:37, 0 failed,
elapsed 00:16``): a bar's carriage returns would garble a log file or a CI job's output.

Documents skipped because an earlier run did them count towards the total but not towards the
rates and the ETA of the log lines.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Optional, TextIO

from tqdm import tqdm

logger = logging.getLogger("neuralcoref.batch")

format_duration = tqdm.format_interval  # seconds -> "MM:SS" or "H:MM:SS"


class Progress:
    """Counts documents, words and failures; shows them as a bar or as log lines."""

    def __init__(
        self, total: Optional[int], *, enabled: bool = True, interval: float = 30.0, stream: Optional[TextIO] = None
    ):
        self.total = total
        self.done = 0  # all documents accounted for (processed, failed, skipped)
        self.processed = 0  # documents run through the pipeline in this run
        self.words = 0
        self.failed = 0
        self.interval = interval
        self.enabled = enabled
        self.start = time.monotonic()
        self._last_log = self.start
        self._last_postfix = 0.0
        self._bar: Optional[tqdm] = None
        if enabled and _isatty(stream):
            self._bar = tqdm(
                total=total, unit="doc", file=stream, dynamic_ncols=True, desc="neuralcoref", smoothing=0.1
            )

    def update(self, docs: int, words: int = 0, *, failed: int = 0, skipped: bool = False) -> None:
        self.done += docs
        self.failed += failed
        if not skipped:
            self.processed += docs
            self.words += words
        now = time.monotonic()
        if self._bar is not None:
            self._bar.update(docs)
            if now - self._last_postfix >= 0.5:
                self._bar.set_postfix_str(self._postfix(), refresh=False)
                self._last_postfix = now
        elif self.enabled and now - self._last_log >= self.interval:
            self._last_log = now
            logger.info("progress: %s", self.line())

    def _postfix(self) -> str:
        return f"{self.words_per_second():,.0f} words/s, {self.failed} failed"

    def words_per_second(self) -> float:
        return self.words / max(time.monotonic() - self.start, 1e-9)

    def line(self) -> str:
        """The plain progress line: documents done (of the total), words/s, ETA, failures, time."""
        elapsed = time.monotonic() - self.start
        if self.total:
            pct = 100.0 * min(self.done, self.total) / self.total
            parts = [f"{self.done}/{self.total} docs ({pct:.1f}%)"]
        else:
            parts = [f"{self.done} docs"]
        parts.append(f"{self.words_per_second():,.0f} words/s")
        if self.total and self.processed > 0:
            remaining = max(self.total - self.done, 0)
            parts.append(f"ETA {format_duration(remaining * elapsed / self.processed)}")
        parts.append(f"{self.failed} failed")
        parts.append(f"elapsed {format_duration(elapsed)}")
        return ", ".join(parts)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(self._postfix(), refresh=False)
            self._bar.close()
            self._bar = None


def _isatty(stream: Optional[TextIO]) -> bool:
    """Whether ``stream`` (default: stderr, looked up now: tests and the CLI may replace it) is a terminal."""
    stream = stream if stream is not None else sys.stderr
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
