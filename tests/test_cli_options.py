"""The command line's options (neuralcoref/cli/, on typer): one flag per component setting, generated from
neuralcoref.config, and typer's own usage errors. The end-to-end runs are in test_cli.py."""

import dataclasses
import json
import re
from pathlib import Path

import pytest

import neuralcoref
from neuralcoref import batch
from neuralcoref.cli import main
from neuralcoref.config import DEFAULTS, CorefSettings, describe

COMMANDS = ["resolve", "batch", "serve"]
TEXT = "My sister has a dog. She loves him."


def squeezed(text):
    """`text` without whitespace: help is wrapped to the terminal's width (and may break after a hyphen)."""
    return "".join(text.split())


@pytest.mark.parametrize("command", COMMANDS)
def test_every_setting_is_a_flag_with_its_meaning_and_default(command, capsys):
    assert main([command, "--help"]) == 0
    text = squeezed(capsys.readouterr().out)
    for setting in dataclasses.fields(CorefSettings):
        flag = "--" + setting.name.replace("_", "-")
        assert flag in text, flag
        assert squeezed(f"{describe()[setting.name]} (default: {json.dumps(DEFAULTS[setting.name])})") in text
        if setting.type in ("bool", "Optional[bool]"):
            assert f"{flag}/--no-{flag[2:]}" in text


@pytest.fixture
def settings_given(monkeypatch):
    """Runs `resolve` with some flags up to the pipeline load; returns the component settings it would load."""

    def run(*flags):
        specs = []

        def get_pipeline(spec):
            specs.append(spec)
            raise batch.UsageError("(test) no pipeline")

        monkeypatch.setattr(batch, "get_pipeline", get_pipeline)
        assert main(["resolve", TEXT, *flags]) == 2
        (spec,) = specs
        return spec.config

    return run


def test_settings_not_given_are_left_to_the_component(settings_given):
    """No flag: no setting, so the component's defaults, or those saved with a pipeline, apply."""
    assert settings_given() == {}


def test_require_agreement_is_tri_state(settings_given):
    assert settings_given("--require-agreement") == {"require_agreement": True}
    assert settings_given("--no-require-agreement") == {"require_agreement": False}


def test_every_kind_of_setting_flag(settings_given, tmp_path):
    conv = tmp_path / "conv.json"
    conv.write_text('{"Angela": ["woman", "girl"]}')
    given = settings_given(
        "--greedyness",
        "0.4",
        "--max-dist",
        "20",
        "--max-dist-match",
        "40",
        "--blacklist",
        "--infer-speakers",
        "--no-store-scores",
        "--span-cluster-prefix",
        "chains",
        "--conv-dict",
        f"@{conv}",
    )
    assert given == {
        "greedyness": 0.4,
        "max_dist": 20,
        "max_dist_match": 40,
        "blacklist": True,
        "infer_speakers": True,
        "store_scores": False,
        "span_cluster_prefix": "chains",
        "conv_dict": {"Angela": ["woman", "girl"]},
    }
    assert set(given) | {"require_agreement", "model"} == set(DEFAULTS)


def test_no_require_agreement_reaches_the_component(capsys, monkeypatch):
    """English links only agreeing mentions by default; --no-require-agreement turns that off."""
    loaded = []
    load = batch.get_pipeline
    monkeypatch.setattr(batch, "get_pipeline", lambda spec: loaded.append(load(spec)) or loaded[-1])
    for flags in ([], ["--no-require-agreement"]):
        assert main(["resolve", "--json", TEXT, "--pipeline", batch.default_pipeline(), *flags, "-q"]) == 0
        assert set(json.loads(capsys.readouterr().out)) == {"clusters", "mentions_text", "resolved"}
    assert [nlp.get_pipe("neuralcoref").resolver.require_agreement for nlp in loaded] == [True, False]


@pytest.mark.parametrize(
    "value, reason",
    [
        ("[1]", "must be a JSON object"),
        ("{no", "not valid JSON"),
        ("@/no/such/file.json", "cannot read /no/such/file.json"),
    ],
)
def test_bad_conv_dict_is_a_usage_error(value, reason, capsys):
    assert main(["resolve", TEXT, "--conv-dict", value]) == 2
    err = capsys.readouterr().err
    assert f"Error: Invalid value for '--conv-dict': {reason}" in err


def test_usage_errors_of_the_parser(capsys):
    assert main(["resolve", "--no-such-flag", TEXT]) == 2
    assert "Error: No such option: --no-such-flag" in capsys.readouterr().err
    assert main(["batch", "in.jsonl", "-o", "out.jsonl", "--format", "xml"]) == 2
    assert "Error: Invalid value for '--format'" in capsys.readouterr().err
    assert main(["serve", "--workers", "0"]) == 2
    assert "Error: Invalid value for '--workers'" in capsys.readouterr().err
    assert main([]) == 2  # no command: the help, which lists the commands, on stderr
    err = capsys.readouterr().err
    assert all(f"\n  {command} " in err for command in COMMANDS)


def test_version_and_short_help(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"neuralcoref {neuralcoref.__version__}\n"
    assert main(["resolve", "-h"]) == 0
    assert "--dialogue FILE" in capsys.readouterr().out


def test_documented_batch_flags_exist(capsys):
    """Every flag the options table of docs/processing.md names is a flag of `neuralcoref batch`."""
    doc = (Path(__file__).parent.parent / "docs" / "processing.md").read_text(encoding="utf-8")
    table = [line for line in doc.splitlines() if line.startswith("| `--")]
    flags = {flag.replace("[no-]", "") for line in table for flag in re.findall(r"--[\w\[\]-]+", line.split(" | ")[0])}
    assert len(flags) >= 20
    assert main(["batch", "--help"]) == 0
    listed = set(re.findall(r"--[\w-]+", capsys.readouterr().out))
    assert flags <= listed, flags - listed
