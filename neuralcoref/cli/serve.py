"""``neuralcoref serve``: a page and a JSON API over HTTP (neuralcoref.serve; needs ``neuralcoref[serve]``)."""

from __future__ import annotations

from ..serve import DEFAULT_MAX_BYTES, DEFAULT_WORKERS  # the module imports its web stack lazily
from ._util import Opt, PipelineOptions, app, pipeline_command


@app.command("serve", short_help="serve a page and a JSON API (POST /resolve) over HTTP (needs neuralcoref[serve])")
@pipeline_command(sigterm=False)  # uvicorn handles SIGTERM itself
def serve_cli(
    host: str = Opt("127.0.0.1", "--host", help="address to listen on"),
    port: int = Opt(8000, "--port", min=0, metavar="N", help="port"),
    workers: int = Opt(
        DEFAULT_WORKERS,
        "--workers",
        min=1,
        metavar="N",
        help="documents processed at the same time, in threads sharing the pipeline",
    ),
    max_bytes: int = Opt(
        DEFAULT_MAX_BYTES, "--max-bytes", min=1, metavar="N", help="largest request body accepted; larger ones get 413"
    ),
    *,
    options: PipelineOptions,
) -> int:
    """Serve GET / (a page to try texts), POST /resolve (batch records as JSON), GET /health and
    GET /version. See docs/serving.md.
    """
    from .. import serve  # Starlette and uvicorn: imported only for this command

    nlp = options.load()
    verbosity = options.verbosity
    serve.serve(
        nlp,
        host=host,
        port=port,
        workers=workers,
        max_bytes=max_bytes,
        log_level="warning" if verbosity < 0 else "debug" if verbosity > 0 else "info",
    )
    return 0
