"""``neuralcoref resolve``: the clusters and the resolved text of one text, or of a dialogue turn by turn."""

from __future__ import annotations

import json
import sys
from typing import Any, Dict, List, Optional

from .. import batch as _batch
from ._util import NAME, Arg, Opt, PipelineOptions, app, pipeline_command


@app.command("resolve", short_help="resolve one text (argument or standard input)")
@pipeline_command()
def resolve_cli(
    text: Optional[List[str]] = Arg(
        None, metavar="TEXT", show_default=False, help="the text (read from standard input when omitted)"
    ),
    as_json: bool = Opt(
        False, "--json", help='print {"clusters", "mentions_text", "resolved"} as JSON (the batch record format)'
    ),
    dialogue: Optional[str] = Opt(
        None,
        "--dialogue",
        metavar="FILE",
        help=(
            "resolve a conversation turn by turn: FILE ('-': standard input) has one 'Speaker: text' line per "
            "turn; prints each turn resolved"
        ),
    ),
    html: Optional[str] = Opt(
        None,
        "--html",
        metavar="FILE",
        help=("also write the clusters as a self-contained HTML page (neuralcoref.render) to FILE"),
    ),
    *,
    options: PipelineOptions,
) -> int:
    """Print the coreference clusters and the resolved text of one text."""
    if dialogue is not None:
        return _resolve_dialogue(text, dialogue, options)
    if text:
        joined = " ".join(text)
    else:
        if getattr(sys.stdin, "isatty", lambda: False)():
            raise _batch.UsageError("no text given: pass it as an argument or on standard input")
        joined = sys.stdin.read()
    nlp = options.load()
    try:
        doc = nlp(joined)
        record = _batch.doc_to_record(doc, with_id=False)
    except Exception as exc:
        print(f"{NAME}: error: the text could not be processed: {_batch.describe_exception(exc)}", file=sys.stderr)
        return _batch.EXIT_FAILED_RECORDS
    if html:
        from ..visualize import render

        try:
            with open(html, "w", encoding="utf-8") as f:
                f.write(render(doc, page=True))
        except OSError as exc:
            raise _batch.UsageError(f"cannot write {html}: {exc.strerror or exc}")
    sys.stdout.write((json.dumps(record, ensure_ascii=False) if as_json else format_record(record)) + "\n")
    sys.stdout.flush()
    return 0


def format_record(record: Dict[str, Any]) -> str:
    """The human-readable output: each cluster's mentions with their character offsets, then the resolved text."""
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


def _resolve_dialogue(text: Optional[List[str]], path: str, options: PipelineOptions) -> int:
    """`resolve --dialogue FILE`: each turn through neuralcoref.Conversation, printed as it is resolved."""
    from ..conversation import Conversation, read_dialogue

    if text:
        raise _batch.UsageError("give either a text or --dialogue FILE, not both")
    try:
        if path == "-":
            lines = sys.stdin.read().splitlines()
        else:
            with open(path, encoding="utf-8") as f:
                lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise _batch.UsageError(f"cannot read {path}: {exc}")
    conversation = Conversation(options.load())
    for speaker, turn_text in read_dialogue(lines):
        try:
            turn = conversation.add(turn_text, speaker=speaker)
        except (TypeError, ValueError) as exc:
            print(f"{NAME}: error: turn {len(conversation.turns) + 1} could not be processed: {exc}", file=sys.stderr)
            return _batch.EXIT_FAILED_RECORDS
        sys.stdout.write(f"{turn.speaker}: {turn.resolved}\n")
    sys.stdout.flush()
    return 0
