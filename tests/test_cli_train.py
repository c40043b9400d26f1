"""`neuralcoref train`: the installed trainer behind the package's command, or a clear word when torch is missing."""

import importlib
import importlib.util

import pytest

from neuralcoref.cli import main
from neuralcoref.cli.train import TRAIN_EXTRA_HINT


def test_train_help_lists_the_trainers_options(capsys):
    assert main(["train", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: neuralcoref train")
    for option in ("--train", "--dev", "--out", "--config", "--set", "--export", "--force", "--device"):
        assert option in out


def test_train_forwards_every_argument_to_the_trainer(monkeypatch):
    trainer = importlib.import_module("neuralcoref.training.__main__")
    seen = {}

    def fake_main(argv, prog=None):
        seen.update(argv=argv, prog=prog)
        return 0

    monkeypatch.setattr(trainer, "main", fake_main)
    argv = ["--train", "a.conll", "--dev", "b.conll", "--out", "run", "--set", "training.seed=1", "--stop-after", "2"]
    assert main(["train", *argv]) == 0
    assert seen == {"argv": ["train", *argv], "prog": "neuralcoref"}


def test_train_usage_error_exits_2(capsys):
    pytest.importorskip("torch")
    assert main(["train", "--dev", "b.conll"]) == 2
    assert "--train" in capsys.readouterr().err


def test_train_without_torch_names_the_extra(monkeypatch, capsys):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real_find_spec(name, *a)
    )
    assert main(["train", "--train", "a", "--dev", "b", "--out", "c"]) == 2
    err = capsys.readouterr().err
    assert TRAIN_EXTRA_HINT in err and 'pip install "neuralcoref[train]"' in err
