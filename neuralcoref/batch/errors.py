"""What a batch run reports when it cannot run (usage errors) and how it exits."""

from __future__ import annotations

MAX_REASON_CHARS = 2000

# exit codes of a batch run (interrupted and terminated runs: neuralcoref.lifecycle)
EXIT_OK = 0
EXIT_FAILED_RECORDS = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """A problem with the command line or the environment: nothing can be processed."""


class PipelineLoadError(UsageError):
    """The spaCy pipeline (or the neuralcoref component) could not be loaded."""


def describe_exception(exc: BaseException) -> str:
    """``Type: message``, cut to MAX_REASON_CHARS: the reason an errors-file entry gives."""
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= MAX_REASON_CHARS else text[: MAX_REASON_CHARS - 3] + "..."
