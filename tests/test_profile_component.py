"""bin/profile-component runs and accounts for the component's time (it is documented in
docs/performance.md, whose benchmark blocks run only with --slow). Its word-table timer once hid its
own name in a class body and the script died with a NameError before timing anything."""

import json
import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).parent.parent


def test_profile_component_times_every_stage_of_a_corpus(tmp_path):
    out = tmp_path / "profile.json"
    corpus = ROOT / "tests" / "training" / "fixtures" / "train"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bin" / "profile-component"), str(corpus), "--repeat", "1", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())
    stages = {stage["stage"]: stage for stage in report["stages"]}
    assert report["documents"] == 5 and report["words"] > 200
    for timed in ("word table lookup", "mention encoder (embed gather, concat, GEMM)", "mention extraction"):
        assert stages[timed]["calls"] == report["documents"], timed
    # self times: the stages account for part of the pass and never for more than all of it
    assert 0.3 < sum(stage["share"] for stage in report["stages"]) <= 1.0 + 1e-6
