"""`seqdoodle serve`: a JSON API and a live drawing page over one or more runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from seqdoodle.cli.app import app, handle_errors
from seqdoodle.serve.batcher import MAX_QUEUE, MAX_WAIT_MS


@app.command("serve")
@handle_errors
def serve_command(
    runs: Annotated[
        list[Path],
        typer.Argument(
            metavar="RUN...", help="Run folders to serve (a CNN and a stroke run, say)."
        ),
    ],
    host: Annotated[
        str, typer.Option(help="Address to bind; 0.0.0.0 opens the server to the network.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port.")] = 8000,
    max_batch: Annotated[
        int, typer.Option("--max-batch", min=1, help="Most concurrent drawings per model call.")
    ] = 32,
    backend: Annotated[
        str,
        typer.Option(help="auto (onnxruntime where it works, else Keras), onnx or keras."),
    ] = "auto",
    workers: Annotated[
        int, typer.Option(min=1, help="Server processes, each with its own copy of the models.")
    ] = 1,
    access_log: Annotated[bool, typer.Option("--access-log", help="Log every request.")] = False,
    max_queue: Annotated[
        int,
        typer.Option(
            "--max-queue",
            min=1,
            help="Most drawings in progress per worker, whatever their wait; beyond it /predict "
            "answers 503 with Retry-After at once.",
        ),
    ] = MAX_QUEUE,
    max_wait_ms: Annotated[
        float,
        typer.Option(
            "--max-wait-ms",
            min=0,
            help="Most expected milliseconds in the server for a new drawing (requests in "
            "progress x measured seconds per request); beyond it 503 at once. 0: off.",
        ),
    ] = MAX_WAIT_MS,
) -> None:
    """Serve runs: POST /predict (JSON), a drawing page at /, API docs at /docs.

    The page guesses while you draw, showing each model's top 3 classes, their ensemble and the
    28x28 bitmap the CNN sees. Raw drawings are simplified exactly as `prepare` does, so answers
    equal `seqdoodle predict`.
    """
    from seqdoodle.errors import DataFormatError
    from seqdoodle.serve import serve
    from seqdoodle.serve.backends import BACKENDS

    if backend not in BACKENDS:
        raise DataFormatError(f"unknown --backend {backend!r}; choose {', '.join(BACKENDS)}")
    # TensorFlow is imported only where needed: a run without a cached ONNX export, or Keras.

    def ready(engine) -> None:
        shown = f"[{host}]" if ":" in host else host
        if engine is None:
            typer.echo(f"Starting {workers} workers, each loading {len(runs)} runs")
            typer.echo(f"Draw at http://{shown}:{port}/  (API docs at /docs; Ctrl-C stops)")
            return
        for line in engine.notes:
            typer.secho(f"Note: {line}", fg=typer.colors.YELLOW, err=True)
        names = ", ".join(
            f"{s.name} ({s.title}, {len(s.classes)} classes, {s.backend})" for s in engine.served
        )
        typer.echo(f"Serving {names}")
        typer.echo(f"Draw at http://{shown}:{port}/  (API docs at /docs; Ctrl-C stops)")

    serve(
        runs,
        host=host,
        port=port,
        max_batch=max_batch,
        backend=backend,
        workers=workers,
        access_log=access_log,
        ready=ready,
        max_queue=max_queue,
        max_wait_ms=max_wait_ms,
    )
