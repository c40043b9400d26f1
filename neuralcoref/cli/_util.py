"""What every ``neuralcoref`` command shares: the typer app, the pipeline, setting and logging options, exit codes.

A command module defines one function and registers it with ``@app.command(...)`` and
``@pipeline_command()``; the latter appends the common options to its signature (``--pipeline``,
``--code``, one flag per :class:`neuralcoref.config.CorefSettings` field, ``-v``/``-q``) and
hands the function their values as one :class:`PipelineOptions`. The setting flags are generated
from the dataclass, so a new setting is a new flag, with its meaning and default from ``config.py``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import json
import logging
import sys
import traceback
import typing
from typing import Any, Callable, Dict, List, Optional, Tuple

import typer

from .. import batch as _batch  # attribute access at call time: tests patch batch.run_batch & co
from ..config import DEFAULTS, CorefSettings, describe
from ..lifecycle import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated, sigterm_raises

logger = logging.getLogger("neuralcoref")

NAME = "neuralcoref"
EXIT_INTERNAL_ERROR = 70  # EX_SOFTWARE: distinct from 1, "some records failed"
EXIT_CODES = (
    "Exit codes: 0 ok, 1 some records failed (listed in the errors file), 2 usage or setup error, "
    "130 interrupted, 143 terminated (rerun the same command to resume), 70 internal error."
)

# spaCy's names for typer's parameter declarations (spacy/cli/_util.py)
Arg = typer.Argument
Opt = typer.Option

app = typer.Typer(
    name=NAME,
    help="Neural coreference resolution with spaCy.",
    epilog=EXIT_CODES,
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,  # plain click help and errors, as spaCy's CLI: stable text for pipes and tests
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version() -> str:
    try:
        from ..about import __version__

        return __version__
    except Exception:  # about.py missing or broken: still usable
        try:
            from importlib.metadata import version

            return version("neuralcoref")
        except Exception:
            return "unknown"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"{NAME} {_version()}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = Opt(False, "--version", callback=_print_version, is_eager=True, help="print the version and exit"),
) -> None:
    """Neural coreference resolution with spaCy."""


# --------------------------------------------------------------------------- logging and exit codes


class _StderrHandler(logging.StreamHandler):
    """Writes to the sys.stderr of the moment (so redirections and test capture work)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


def _setup_logging(verbosity: int) -> logging.Handler:
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter(f"{NAME}: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(max(logging.DEBUG, min(logging.INFO - 10 * verbosity, logging.CRITICAL)))
    logger.propagate = False
    return handler


def run(body: Callable[[], int], verbosity: int, *, sigterm: bool = True) -> int:
    """Run a command's body with logging on stderr and turn its outcome into an exit code (see EXIT_CODES).

    `sigterm`: SIGTERM raises Terminated in the body (exit 143); off for servers that handle it themselves.
    """
    # the logger as the caller had it, restored after the command (a program or test that runs commands
    # in-process keeps its own logging: propagation to the root logger, and its level)
    propagate, level = logger.propagate, logger.level
    handler = _setup_logging(verbosity)
    try:
        with sigterm_raises() if sigterm else contextlib.nullcontext():
            return body()
    except _batch.UsageError as exc:
        print(f"{NAME}: error: {exc}", file=sys.stderr)
        return _batch.EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{NAME}: interrupted; rerun the same command to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated:
        print(f"{NAME}: terminated; rerun the same command to resume", file=sys.stderr)
        return EXIT_TERMINATED
    except Exception:  # a bug: say so, with an exit code no normal outcome uses
        traceback.print_exc()
        print(
            f"{NAME}: internal error (a bug; please report it with the traceback above); "
            "rerun the same command to resume",
            file=sys.stderr,
        )
        return EXIT_INTERNAL_ERROR
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
        logger.setLevel(level)


# --------------------------------------------------------------------------- the common options


@dataclasses.dataclass(frozen=True)
class PipelineOptions:
    """The values of a command's common options."""

    pipeline: Optional[str]
    code: Tuple[str, ...]
    settings: Dict[str, Any]  # the component settings given on the command line, and only those
    verbosity: int  # number of -v minus number of -q

    def spec(self, max_length: Optional[int] = None) -> "_batch.PipelineSpec":
        return _batch.PipelineSpec.create(self.pipeline, self.settings, self.code, max_length=max_length)

    def load(self, max_length: Optional[int] = None):
        """The pipeline, loaded once per process (batch's cache)."""
        return _batch.get_pipeline(self.spec(max_length))


def _json_object(value: Optional[str]) -> Optional[Dict[str, Any]]:
    """A JSON object given inline or as @file.json (the value of --conv-dict)."""
    if value is None:
        return None
    text = value
    if value.startswith("@"):
        try:
            with open(value[1:], encoding="utf-8") as f:
                text = f.read()
        except OSError as exc:
            raise typer.BadParameter(f"cannot read {value[1:]}: {exc.strerror}")
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise typer.BadParameter(f"not valid JSON: {exc}")
    if not isinstance(obj, dict):
        raise typer.BadParameter("must be a JSON object")
    return obj


def _without_none(hint: Any) -> Any:
    """`Optional[X]` -> `X`."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    return args[0] if typing.get_origin(hint) is typing.Union and len(args) == 1 else hint


_METAVARS = {float: "FLOAT", int: "N", str: "TEXT"}


def _setting_option(name: str, hint: Any) -> Tuple[Any, Any]:
    """(annotation, typer option) of the flag of one setting. Not given: None, so that the component's
    default, or the setting saved with a pipeline, applies; the help says which default that is."""
    flag = "--" + name.replace("_", "-")
    kind = _without_none(hint)
    help_text = f"{describe()[name]} (default: {json.dumps(DEFAULTS[name])})"
    if kind is bool:
        return Optional[bool], Opt(None, f"{flag}/--no-{flag[2:]}", help=help_text, show_default=False)
    if kind in _METAVARS:
        metavar = "PATH" if name == "model" else _METAVARS[kind]
        return Optional[kind], Opt(None, flag, help=help_text, metavar=metavar, show_default=False)
    # anything else (conv_dict, a mapping) is given as JSON
    return Optional[str], Opt(
        None,
        flag,
        metavar="JSON",
        callback=_json_object,
        show_default=False,
        help=f'{help_text}; JSON, e.g. \'{{"Angela": ["woman", "girl"]}}\', or @file.json',
    )


def _common_options() -> Dict[str, Tuple[Any, Any]]:
    """{parameter: (annotation, typer option)} of the options every command has, in --help order."""
    pipeline = (
        f"spaCy pipeline (package name or path) to run before the coreference component (default: "
        f"{_batch.DEFAULT_PIPELINE}, or {_batch.FALLBACK_PIPELINE} when {_batch.DEFAULT_PIPELINE} is "
        "not installed); a pipeline saved with a neuralcoref component keeps its settings, except "
        "those given here"
    )
    options: Dict[str, Tuple[Any, Any]] = {
        "pipeline": (Optional[str], Opt(None, "--pipeline", metavar="NAME_OR_PATH", help=pipeline)),
        "code": (
            Optional[List[str]],
            Opt(
                None,
                "--code",
                metavar="FILE.py",
                help=("Python file to import first (custom spaCy components); may be repeated"),
            ),
        ),
    }
    hints = typing.get_type_hints(CorefSettings)
    for setting in dataclasses.fields(CorefSettings):
        options[setting.name] = _setting_option(setting.name, hints[setting.name])
    options["verbose"] = (
        int,
        Opt(0, "-v", "--verbose", count=True, show_default=False, help="more output on stderr (repeatable)"),
    )
    options["quiet"] = (
        int,
        Opt(0, "-q", "--quiet", count=True, show_default=False, help="less output on stderr (repeatable)"),
    )
    return options


def pipeline_command(*, sigterm: bool = True) -> Callable[[Callable[..., int]], Callable[..., None]]:
    """Give a command the common options (as its `options: PipelineOptions` parameter) and exit codes.

    The command returns its exit code; `run` maps exceptions to theirs. Put it below `@app.command`.
    """

    def decorate(command: Callable[..., int]) -> Callable[..., None]:
        hints = typing.get_type_hints(command)
        own = [
            p.replace(annotation=hints[p.name])
            for p in inspect.signature(command).parameters.values()
            if p.name != "options"
        ]
        common = _common_options()
        settings = [name for name in common if name in DEFAULTS]

        @functools.wraps(command)
        def wrapper(**values: Any) -> None:
            given = {name: values.pop(name) for name in settings}
            options = PipelineOptions(
                pipeline=values.pop("pipeline"),
                code=tuple(values.pop("code") or ()),
                settings={name: value for name, value in given.items() if value is not None},
                verbosity=values.pop("verbose") - values.pop("quiet"),
            )
            raise typer.Exit(run(lambda: command(**values, options=options), options.verbosity, sigterm=sigterm))

        parameters = own + [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=annotation)
            for name, (annotation, option) in common.items()
        ]
        wrapper.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
        return wrapper

    return decorate
