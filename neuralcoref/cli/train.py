"""``neuralcoref train``: the trainer's ``train`` command (``python -m neuralcoref.training train``).

Every argument goes to the trainer unchanged (its argparse parser owns the options, their defaults
come from `neuralcoref.config`): ``neuralcoref train --help`` prints them. The trainer needs PyTorch,
which only ``pip install "neuralcoref[train]"`` installs; without it the command says so and exits 2.
The trainer's other commands (featurize, evaluate, gap, ablate) run as
``python -m neuralcoref.training COMMAND``.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import List

import typer

from ..batch import EXIT_USAGE
from ._util import NAME, app

TRAIN_EXTRA_HINT = (
    "neuralcoref train needs PyTorch, which the [train] extra installs: "
    'pip install "neuralcoref[train]" (docs/training.md: the CPU-only wheel)'
)


@app.command(
    "train",
    add_help_option=False,
    short_help="train a model on annotated corpora (needs neuralcoref[train])",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def train_cli(ctx: typer.Context) -> None:
    """Train a model: allpairs -> toppairs -> ranking, then export it (see docs/training.md)."""
    raise typer.Exit(run_trainer(["train", *ctx.args]))


def run_trainer(argv: List[str]) -> int:
    """The trainer's `main` on `argv`; RETURNS its exit code, or EXIT_USAGE when PyTorch is missing."""
    if importlib.util.find_spec("torch") is None:
        print(f"error: {TRAIN_EXTRA_HINT}", file=sys.stderr)
        return EXIT_USAGE
    trainer = importlib.import_module("neuralcoref.training.__main__")  # the repo's training/, as installed
    return trainer.main(argv, prog=NAME)
