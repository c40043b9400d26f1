"""The ``neuralcoref`` command (also ``python -m neuralcoref``).

    neuralcoref resolve "My sister has a dog. She loves him."
    neuralcoref batch corpus/ docs.jsonl --output out.jsonl
    neuralcoref serve --port 8000

Exit codes: 0 all records done, 1 some records failed (see the errors file),
2 usage or setup error (nothing was processed), 130 interrupted (Ctrl-C),
143 terminated (SIGTERM), 70 an internal error (a bug: the traceback is printed).
Rerunning the same command after 130 or 143 resumes the run.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import traceback
from typing import Any, Dict, Optional, Sequence

from . import batch as _batch
from .batch import DEFAULT_PIPELINE, FALLBACK_PIPELINE, FORMATS, UsageError
from .serve import DEFAULT_MAX_BYTES, DEFAULT_WORKERS  # the module imports its web stack lazily
from .lifecycle import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated, sigterm_raises

logger = logging.getLogger("neuralcoref")

EXIT_INTERNAL_ERROR = 70  # EX_SOFTWARE: distinct from 1, "some records failed"
EXIT_CODES = ("Exit codes: 0 ok, 1 some records failed (listed in the errors file), 2 usage or setup error, "
              "130 interrupted, 143 terminated (rerun the same command to resume), 70 internal error.")


def _version() -> str:
    try:
        from .about import __version__

        return __version__
    except Exception:  # about.py missing or broken: still usable
        try:
            from importlib.metadata import version

            return version("neuralcoref")
        except Exception:
            return "unknown"


def _positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {value!r}")
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value}")
    return n


def _non_negative_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {value!r}")
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {value}")
    return n


def _float(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}")


def _json_object(value: str) -> Dict[str, Any]:
    text = value
    if value.startswith("@"):
        try:
            with open(value[1:], encoding="utf-8") as f:
                text = f.read()
        except OSError as exc:
            raise argparse.ArgumentTypeError(f"cannot read {value[1:]}: {exc.strerror}")
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON: {exc}")
    if not isinstance(obj, dict):
        raise argparse.ArgumentTypeError("must be a JSON object")
    return obj


def _add_pipeline_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("pipeline and component options")
    g.add_argument(
        "--pipeline",
        metavar="NAME_OR_PATH",
        help=f"spaCy pipeline (package name or path) to run before the coreference component "
        f"(default: {DEFAULT_PIPELINE}, or {FALLBACK_PIPELINE} when {DEFAULT_PIPELINE} is not installed)",
    )
    g.add_argument("--model", metavar="PATH", help="neuralcoref model folder (default: the shipped model)")
    g.add_argument("--greedyness", type=_float, metavar="FLOAT",
                   help="how eagerly mentions are linked, 0..1 (component default if not given)")
    g.add_argument("--max-dist", type=_non_negative_int, metavar="N",
                   help="how many mentions back to look for an antecedent")
    g.add_argument("--max-dist-match", type=_non_negative_int, metavar="N",
                   help="how many mentions back to look for a matching noun/proper noun")
    g.add_argument("--blacklist", action=argparse.BooleanOptionalAction, default=None,
                   help="leave the blacklisted pronouns (I, me, my, you, your) unresolved "
                   "(component default if not given: off)")
    g.add_argument("--conv-dict", type=_json_object, metavar="JSON",
                   help='conversion dictionary for rare words, e.g. \'{"Angela": ["woman", "girl"]}\' '
                   "(or @file.json)")
    g.add_argument("--code", action="append", default=[], metavar="FILE.py",
                   help="Python file to import first (custom spaCy components); may be repeated")


def _add_logging_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("logging")
    g.add_argument("-q", "--quiet", action="count", default=0, help="less output on stderr")
    g.add_argument("-v", "--verbose", action="count", default=0, help="more output on stderr")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="neuralcoref",
        description="Neural coreference resolution with spaCy.",
        epilog=EXIT_CODES,
    )
    parser.add_argument("--version", action="version", version=f"neuralcoref {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    r = sub.add_parser(
        "resolve",
        help="resolve one text (argument or standard input)",
        description="Print the coreference clusters and the resolved text of one text.",
    )
    r.add_argument("text", nargs="*", help="the text (read from standard input when omitted)")
    r.add_argument("--json", action="store_true",
                   help='print {"clusters", "mentions_text", "resolved"} as JSON (the batch record format)')
    r.add_argument("--dialogue", metavar="FILE",
                   help="resolve a conversation turn by turn: FILE ('-': standard input) has one 'Speaker: text' "
                   "line per turn; prints each turn resolved")
    r.add_argument("--html", metavar="FILE",
                   help="also write the clusters as a self-contained HTML page (neuralcoref.render) to FILE")
    _add_pipeline_options(r)
    _add_logging_options(r)

    b = sub.add_parser(
        "batch",
        help="process a corpus into a JSONL (or CoNLL-2012 / CorefUD) file, resumably",
        description=(
            "Process a corpus. INPUT is any mix of .txt files, folders (every .txt file under "
            "them; the id is the path relative to the folder), JSONL files (.jsonl/.ndjson, "
            "one object a line with an id and a text field) and '-' (JSONL on standard input). "
            "Rerunning with the same --output skips documents already written; bad records go "
            "to the errors file and the run goes on."
        ),
        epilog=EXIT_CODES,
    )
    b.add_argument("inputs", nargs="+", metavar="INPUT", help=".txt file, folder of .txt files, JSONL file, or -")
    b.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="output file; appended to and resumed if it exists")
    b.add_argument("--format", choices=FORMATS, default="jsonl",
                   help="jsonl (default): one JSON record per document; conll2012 / corefud: files a "
                   "coreference scorer reads (plus FILE.index.jsonl for resuming)")
    b.add_argument("--errors", metavar="FILE", help="errors file (default: OUTPUT.errors.jsonl)")
    b.add_argument("--retry-errors", action="store_true",
                   help="retry the records listed in the errors file (it is emptied first; the ones that "
                   "succeed are appended at the end of the output); by default they are skipped like the "
                   "ones already written")
    b.add_argument("--id-field", default="id", metavar="NAME", help="id field of JSONL records (default: id)")
    b.add_argument("--text-field", default="text", metavar="NAME", help="text field of JSONL records (default: text)")
    b.add_argument("--encoding", default="utf-8", help="encoding of .txt files (default: utf-8)")
    b.add_argument("--n-process", type=_positive_int, default=1, metavar="N",
                   help="worker processes on this machine, each loading the pipeline once (default: 1); "
                   "with --dask local, the number of Dask workers")
    b.add_argument("--batch-size", type=_positive_int, default=64, metavar="N",
                   help="documents per nlp.pipe batch and per task sent to a worker (default: 64)")
    b.add_argument("--dask", metavar="ADDRESS",
                   help="process on a Dask cluster: scheduler address (tcp://host:8786), or 'local' for a "
                   "LocalCluster of --n-process workers; output is identical to a single-process run")
    b.add_argument("--max-chars", type=_positive_int, default=None, metavar="N",
                   help="longest document in characters (spaCy's nlp.max_length, default 1,000,000); "
                   "longer ones are errors entries. Plan about 2 GB of memory per 100,000 words of one "
                   "document, per process")
    b.add_argument("--no-progress", action="store_true", help="no progress bar or progress log lines")
    b.add_argument("--log-interval", type=_float, default=30.0, metavar="SECONDS",
                   help="seconds between progress log lines when stderr is not a terminal (default: 30)")
    _add_pipeline_options(b)
    _add_logging_options(b)

    s = sub.add_parser(
        "serve",
        help="serve a page and a JSON API (POST /resolve) over HTTP (needs neuralcoref[serve])",
        description="Serve GET / (a page to try texts), POST /resolve (batch records as JSON), "
        "GET /health and GET /version. See docs/serving.md.",
    )
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    s.add_argument("--port", type=_non_negative_int, default=8000, help="port (default: 8000)")
    s.add_argument("--workers", type=_positive_int, default=DEFAULT_WORKERS, metavar="N",
                   help="documents processed at the same time, in threads sharing the pipeline "
                   "(default: %(default)s)")
    s.add_argument("--max-bytes", type=_positive_int, default=DEFAULT_MAX_BYTES, metavar="N",
                   help="largest request body accepted; larger ones get 413 (default: %(default)s)")
    _add_pipeline_options(s)
    _add_logging_options(s)
    return parser


def _component_config(args: argparse.Namespace) -> Dict[str, Any]:
    cfg = {
        "greedyness": args.greedyness,
        "max_dist": args.max_dist,
        "max_dist_match": args.max_dist_match,
        "blacklist": args.blacklist,
        "conv_dict": args.conv_dict,
        "model": args.model,
    }
    return {k: v for k, v in cfg.items() if v is not None}


def _spec(args: argparse.Namespace) -> _batch.PipelineSpec:
    return _batch.PipelineSpec.create(args.pipeline, _component_config(args), args.code,
                                      max_length=getattr(args, "max_chars", None))


def _format_resolve(record: Dict[str, Any]) -> str:
    lines = []
    if not record["clusters"]:
        lines.append("No coreference found.")
    else:
        lines.append("Clusters:")
        for n, (offsets, texts) in enumerate(zip(record["clusters"], record["mentions_text"])):
            mentions = ", ".join(f"{t!r} [{a}:{b}]" for (a, b), t in zip(offsets, texts))
            lines.append(f"  {n}: {mentions}")
    lines.append("")
    lines.append("Resolved:")
    lines.append(record["resolved"])
    return "\n".join(lines)


def cmd_resolve(args: argparse.Namespace, stdin=None, stdout=None) -> int:
    stdin = stdin if stdin is not None else sys.stdin
    stdout = stdout if stdout is not None else sys.stdout
    if args.dialogue is not None:
        return _resolve_dialogue(args, stdin, stdout)
    if args.text:
        text = " ".join(args.text)
    else:
        if getattr(stdin, "isatty", lambda: False)():
            raise UsageError("no text given: pass it as an argument or on standard input")
        text = stdin.read()
    nlp = _batch.get_pipeline(_spec(args))
    try:
        doc = nlp(text)
        record = _batch.doc_to_record(doc, with_id=False)
    except Exception as exc:
        print(f"neuralcoref: error: the text could not be processed: {_batch.describe_exception(exc)}",
              file=sys.stderr)
        return _batch.EXIT_FAILED_RECORDS
    if args.html:
        from .visualize import render

        try:
            with open(args.html, "w", encoding="utf-8") as f:
                f.write(render(doc, page=True))
        except OSError as exc:
            raise UsageError(f"cannot write {args.html}: {exc.strerror or exc}")
    if args.json:
        stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    else:
        stdout.write(_format_resolve(record) + "\n")
    stdout.flush()
    return 0


def _resolve_dialogue(args: argparse.Namespace, stdin, stdout) -> int:
    """`resolve --dialogue FILE`: each turn through neuralcoref.Conversation, printed as it is resolved."""
    from .conversation import Conversation, read_dialogue

    if args.text:
        raise UsageError("give either a text or --dialogue FILE, not both")
    try:
        if args.dialogue == "-":
            lines = stdin.read().splitlines()
        else:
            with open(args.dialogue, encoding="utf-8") as f:
                lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {args.dialogue}: {exc}")
    conversation = Conversation(_batch.get_pipeline(_spec(args)))
    for speaker, text in read_dialogue(lines):
        try:
            turn = conversation.add(text, speaker=speaker)
        except (TypeError, ValueError) as exc:
            print(f"neuralcoref: error: turn {len(conversation.turns) + 1} could not be processed: {exc}",
                  file=sys.stderr)
            return _batch.EXIT_FAILED_RECORDS
        stdout.write(f"{turn.speaker}: {turn.resolved}\n")
    stdout.flush()
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from . import serve  # Starlette and uvicorn: imported only for this command

    nlp = _batch.get_pipeline(_spec(args))
    verbosity = args.verbose - args.quiet
    serve.serve(nlp, host=args.host, port=args.port, workers=args.workers, max_bytes=args.max_bytes,
                log_level="warning" if verbosity < 0 else "debug" if verbosity > 0 else "info")
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    if args.dask and args.dask != "local" and args.n_process > 1:
        logger.warning("--n-process is ignored with a Dask scheduler address: the cluster's workers are used")
    stats = _batch.run_batch(
        args.inputs,
        args.output,
        spec=_spec(args),
        fmt=args.format,
        errors_path=args.errors,
        retry_errors=args.retry_errors,
        id_field=args.id_field,
        text_field=args.text_field,
        encoding=args.encoding,
        batch_size=args.batch_size,
        n_process=args.n_process,
        dask_address=args.dask,
        progress=not args.no_progress,
        log_interval=args.log_interval,
    )
    return stats.exit_code


class _StderrHandler(logging.StreamHandler):
    """Writes to the sys.stderr of the moment (so redirections and test capture work)."""

    def __init__(self):
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


def _setup_logging(verbosity: int) -> logging.Handler:
    level = logging.INFO - 10 * verbosity
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("neuralcoref: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(max(logging.DEBUG, min(level, logging.CRITICAL)))
    logger.propagate = False
    return handler


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit code (does not call sys.exit)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors (argparse exits with 2)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    handler = _setup_logging(args.verbose - args.quiet)
    try:
        if args.command == "serve":
            return cmd_serve(args)  # uvicorn handles SIGTERM itself
        with sigterm_raises():
            if args.command == "resolve":
                return cmd_resolve(args)
            return cmd_batch(args)
    except UsageError as exc:
        print(f"neuralcoref: error: {exc}", file=sys.stderr)
        return _batch.EXIT_USAGE
    except KeyboardInterrupt:
        print("neuralcoref: interrupted; rerun the same command to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated:
        print("neuralcoref: terminated; rerun the same command to resume", file=sys.stderr)
        return EXIT_TERMINATED
    except Exception:  # a bug: say so, with an exit code no normal outcome uses
        traceback.print_exc()
        print("neuralcoref: internal error (a bug; please report it with the traceback above); "
              "rerun the same command to resume", file=sys.stderr)
        return EXIT_INTERNAL_ERROR
    finally:
        logger.removeHandler(handler)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
