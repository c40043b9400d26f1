"""Feature ablation: train the same model with one feature group zeroed at a time.

Each group gets its own run (`OUT/<group>/`), with the same config, data, seed and epoch budget as
the baseline run (`OUT/none/`); the table is the best dev CoNLL F1 of each run and its difference
from the baseline, so it says what each group adds under that budget.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from .model import FEATURE_GROUPS
from .train import DEFAULT_CONFIG, train

BASELINE = "none"


def ablate(
    train_paths: Sequence[str | Path],
    dev_paths: Sequence[str | Path],
    out_dir: str | Path,
    groups: Sequence[str] = (BASELINE, *FEATURE_GROUPS),
    config: str | Path = DEFAULT_CONFIG,
    overrides: dict | None = None,
    cache_dir: str | Path | None = None,
    device: str = "cpu",
    progress: bool = True,
) -> dict:
    """Train one model per group (BASELINE: nothing zeroed); RETURNS group -> dev scores, also
    written to OUT/ablation.json, merged with the groups of earlier calls (runs can be split)."""
    out_dir = Path(out_dir)
    unknown = set(groups) - set(FEATURE_GROUPS) - {BASELINE}
    if unknown:
        raise ValueError(f"unknown feature groups {sorted(unknown)}; known: {sorted(FEATURE_GROUPS)}")
    cache_dir = cache_dir or out_dir / "cache"  # one feature cache for every run: the inputs are the same
    summary_path = out_dir / "ablation.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    for group in groups:
        run_overrides = dict(overrides or {}, **{"model.zero_groups": [] if group == BASELINE else [group]})
        model = train(
            train_paths,
            dev_paths,
            out_dir / group,
            config=config,
            overrides=run_overrides,
            cache_dir=cache_dir,
            device=device,
            progress=progress,
        )
        assert model is not None  # without stop_after, train exports a model
        training = model.meta["training"]
        summary[group] = {
            "select": round(model.meta["scores"]["select"], 2),
            "dev": {name: round(s["conll_f1"], 2) for name, s in model.meta["scores"]["dev"].items()},
            "best_epoch": training["best_epoch"],
            "epochs": training["epochs"],
        }
        out_dir.mkdir(parents=True, exist_ok=True)
        summary_path.write_text(json.dumps(summary, indent=2))
    return summary


def format_ablation(summary: dict) -> str:
    """A Markdown table: dev CoNLL F1 of each run and its difference from the baseline."""
    devs = sorted({name for s in summary.values() for name in s["dev"]})
    base = summary.get(BASELINE)
    lines = ["| zeroed group | " + " | ".join(devs) + " | best epoch |", "|---" * (len(devs) + 2) + "|"]
    for group, s in summary.items():
        cells = []
        for name in devs:
            score = s["dev"].get(name)
            delta = "" if base is None or group == BASELINE or score is None else f" ({score - base['dev'][name]:+.2f})"
            cells.append(f"{score:.2f}{delta}" if score is not None else "-")
        lines.append(f"| {group} | " + " | ".join(cells) + f" | {s['best_epoch']} |")
    return "\n".join(lines)
