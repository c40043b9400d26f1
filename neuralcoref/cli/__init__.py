"""The ``neuralcoref`` command (also ``python -m neuralcoref``), on typer, one module per command.

    neuralcoref resolve "My sister has a dog. She loves him."
    neuralcoref batch corpus/ docs.jsonl --output out.jsonl
    neuralcoref serve --port 8000
    neuralcoref train --train corpus/train --dev corpus/dev --out runs/en   (needs neuralcoref[train])

Exit codes: 0 all records done, 1 some records failed (see the errors file),
2 usage or setup error (nothing was processed), 130 interrupted (Ctrl-C),
143 terminated (SIGTERM), 70 an internal error (a bug: the traceback is printed).
Rerunning the same command after 130 or 143 resumes the run.

A command is a module that registers itself on `app` when imported (the import line below); a new
command is a new module and its name on that line.
"""

from __future__ import annotations

from typing import Optional, Sequence

import typer

# the commands: importing a command's module registers it on `app`
from . import batch, resolve, serve, train  # noqa: F401
from ._util import EXIT_CODES, EXIT_INTERNAL_ERROR, NAME, app

__all__ = ["EXIT_CODES", "EXIT_INTERNAL_ERROR", "app", "main"]


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line on `argv` (default: sys.argv[1:]); returns the exit code (does not call sys.exit)."""
    command = typer.main.get_command(app)
    try:
        command.main(args=None if argv is None else list(argv), prog_name=NAME)
    except SystemExit as exc:  # every outcome: the commands, --help, --version, usage errors (2)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    return 0
