"""Run the server: load runs and serve them with uvicorn, in one process or several workers."""

from __future__ import annotations

import json
import os

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def serve(
    runs,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    max_batch: int = 32,
    backend: str = "auto",
    workers: int = 1,
    log_level: str = "warning",
    access_log: bool = False,
    ready=None,
    max_queue: int | None = None,
    max_wait_ms: float | None = None,
) -> None:
    """Load run folders and serve them with uvicorn until interrupted.

    Args:
        runs: list of str or PathLike. Run folders.
        host: str. Address to bind. Defaults to `"127.0.0.1"` (this machine only).
        port: int. TCP port. Defaults to 8000.
        max_batch: int. Most drawings per model call. Defaults to 32.
        backend: str. `"auto"` (onnxruntime where it works), `"onnx"` or `"keras"`.
            Defaults to `"auto"`.
        workers: int. Server processes, each with its own copy of the models (more than one
            uses more cores for the Python part of a request). Defaults to 1.
        log_level: str. uvicorn's log level. Defaults to `"warning"`.
        access_log: bool. Log every request. Defaults to False.
        ready: callable or None. Called with the engine once the runs are loaded (with one
            worker; with several, with None before the workers start). Defaults to None.
        max_queue: int or None. Most drawings in progress per worker; beyond it a request is
            answered 503 with `Retry-After` at once. None takes
            `seqdoodle.serve.batcher.MAX_QUEUE` (16). Defaults to None.
        max_wait_ms: float or None. Most expected milliseconds in the server for a new request
            (per worker; see `seqdoodle.serve.batcher.Admission`); 0 turns it off. None takes
            `MAX_WAIT_MS` (50). Defaults to None.

    Example:
    >>> serve(["runs/cnn", "runs/rnn"], port=8000)  # doctest: +SKIP
    """
    import uvicorn

    from seqdoodle.errors import DataFormatError
    from seqdoodle.serve.batcher import MAX_QUEUE, MAX_WAIT_MS

    max_queue = MAX_QUEUE if max_queue is None else max_queue
    max_wait_ms = MAX_WAIT_MS if max_wait_ms is None else max_wait_ms
    if workers < 1:
        raise DataFormatError(f"workers must be at least 1, got {workers}")
    options = dict(
        host=host,
        port=port,
        log_level=log_level,
        access_log=access_log,
        timeout_graceful_shutdown=3,
    )
    if workers > 1:
        from seqdoodle.runs.folder import load_run
        from seqdoodle.serve.app import SPEC_ENV

        for run in runs:  # refuse a bad run folder here, in one line, not in every worker
            load_run(run)
        spec = {
            "runs": [str(r) for r in runs],
            "max_batch": max_batch,
            "backend": backend,
            "max_queue": max_queue,
            "max_wait_ms": max_wait_ms,
        }
        os.environ[SPEC_ENV] = json.dumps(spec)
        if ready is not None:
            ready(None)
        uvicorn.run("seqdoodle.serve.app:app_from_env", factory=True, workers=workers, **options)
        return

    from seqdoodle.serve.app import create_app
    from seqdoodle.serve.engine import load_engine

    engine = load_engine(
        runs, max_batch=max_batch, backend=backend, max_queue=max_queue, max_wait_ms=max_wait_ms
    )
    if ready is not None:
        ready(engine)
    try:
        uvicorn.run(create_app(engine), **options)
    finally:
        engine.close()
