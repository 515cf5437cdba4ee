"""The ASGI app of `seqdoodle serve`: FastAPI routes over an `Engine`.

```
GET  /          the drawing page (one HTML file, no external assets)
POST /predict   {"drawing": [[xs, ys(, ts)], ...], "format": "auto", "top_k": 3, "image": false}
GET  /classes   each model's kind, title and classes, and the ensemble's shared classes
GET  /health    {"status": "ok", "models": [...], "ensemble": {"weighting", ...} or null,
                 "queues": {"requests": ..., "models": ...}}
GET  /docs      OpenAPI documentation (FastAPI's own page)
```
Every error is a JSON object `{"error": "<one line>"}` with a 4xx status, or 503 with a
`Retry-After` header when a new drawing's expected wait is over `--max-wait-ms` or the server
already holds `--max-queue` drawings (refused before the body is parsed; see
`seqdoodle.serve.batcher`). No route reads a file chosen by the request: the page is
read once from the package at start-up.
"""

from __future__ import annotations

import asyncio
from importlib import resources
from typing import Annotated, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from seqdoodle.serve.batcher import Overloaded
from seqdoodle.serve.requests import (
    MAX_BODY_BYTES,
    MAX_STROKES,
    MAX_VALUE,
    RequestError,
    parse_predict,
)

SPEC_ENV = "SEQDOODLE_SERVE_SPEC"  # how worker processes learn what to serve

PAGE_FILE = "page.html"
BODY_TIMEOUT_S = 20.0  # most seconds to receive a request body


Axis = Annotated[list[Annotated[float, Field(ge=-MAX_VALUE, le=MAX_VALUE)]], Field(min_length=1)]


class PredictBody(BaseModel):
    """The `/predict` request (documentation only; the body is checked by `parse_predict`).

    The schema says what it can: 1 to 1,000 strokes of 2 or 3 non-empty axes of finite numbers,
    no other fields. What it cannot (the axes of a stroke have one length; at most 20,000 points;
    a body of at most 1 MB) `parse_predict` checks, refusing with one line.
    """

    model_config = ConfigDict(extra="forbid")

    drawing: list[Annotated[list[Axis], Field(min_length=2, max_length=3)]] = Field(
        min_length=1,
        max_length=MAX_STROKES,
        description="Strokes in Google's format: [xs, ys] (simplified, integers 0..255) or "
        "[xs, ys, ts] (raw: any scale, ts in ms); the axes of a stroke have one length.",
        examples=[[[[10, 200, 120], [20, 30, 220], [0, 120, 260]]]],
    )
    format: Literal["auto", "raw", "simplified"] = Field(
        "auto",
        description="raw: simplified as Google did; simplified: taken as it is; auto: raw when "
        "it has times or coordinates that are not integers 0..255.",
    )
    top_k: int = Field(3, ge=1, description="Classes per model.")
    image: bool = Field(False, description="Also answer with the 28x28 bitmap (PNG, base64).")


class ClassProbability(BaseModel):
    class_: str = Field(alias="class")
    probability: float


class ModelAnswer(BaseModel):
    top: list[ClassProbability]


class PredictAnswer(BaseModel):
    models: dict[str, ModelAnswer] = Field(
        description="One entry per run (its folder name), plus 'ensemble' with 2+ runs: the "
        "geometric mean of their probabilities over their shared classes, renormalised."
    )
    simplified: list[list[list[int]]] = Field(description="The simplified strokes predicted on.")
    bitmap: str | None = Field(
        None, description="The 28x28 bitmap the CNN sees, PNG, base64 (only with image: true)."
    )


class ErrorAnswer(BaseModel):
    error: str


def page_html() -> str:
    """The drawing page, from the package."""
    return resources.files("seqdoodle.serve").joinpath(PAGE_FILE).read_text("utf-8")


async def _read_body(request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body: 413 as soon as it passes `limit` bytes, 408 past `BODY_TIMEOUT_S`.

    A client that sends its body slowly (a byte a second, say) would otherwise hold its
    connection and buffer for as long as it likes.
    """
    try:
        return await asyncio.wait_for(_stream_body(request, limit), BODY_TIMEOUT_S)
    except asyncio.TimeoutError:
        raise RequestError(
            f"request body not received within {BODY_TIMEOUT_S:g} s; send it at once", 408
        ) from None


async def _stream_body(request, limit: int) -> bytes:
    length = request.headers.get("content-length")
    if length is not None:
        try:
            declared = int(length)
        except ValueError:
            raise RequestError("Content-Length is not a number", 400) from None
        if declared > limit:
            raise RequestError(
                f"request body of {declared} bytes; at most {limit} are accepted", 413
            )
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestError(
                f"request body over {limit} bytes; at most {limit} are accepted", 413
            )
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(engine):
    """The FastAPI app serving `engine` (a `seqdoodle.serve.engine.Engine`).

    Example:
    >>> from fastapi.testclient import TestClient  # doctest: +SKIP
    >>> client = TestClient(create_app(load_engine(["runs/cnn", "runs/rnn"])))  # doctest: +SKIP
    >>> client.get("/health").json()["status"]  # doctest: +SKIP
    'ok'
    """
    page = page_html()
    app = FastAPI(
        **_no_telemetry(),
        title="seqdoodle",
        summary="Classify Quick, Draw! doodles with a bitmap CNN and a stroke model, live.",
        version=_version(),
    )
    app.state.engine = engine
    errors = {code: {"model": ErrorAnswer} for code in (400, 408, 413, 422, 503)}

    @app.exception_handler(RequestError)
    async def _request_error(request: Request, exc: RequestError):
        return JSONResponse({"error": str(exc)}, status_code=exc.status)

    @app.exception_handler(Overloaded)
    async def _overloaded(request: Request, exc: Overloaded):
        headers = {"Retry-After": str(exc.retry_after)}
        return JSONResponse({"error": str(exc)}, status_code=503, headers=headers)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException):
        message = exc.detail if isinstance(exc.detail, str) else "request refused"
        if exc.status_code == 404:
            message = (
                f"no such page: {request.url.path} (try /, /predict, /classes, /health, /docs)"
            )
        return JSONResponse({"error": message}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return JSONResponse({"error": f"{where}: {first.get('msg', 'invalid')}"}, status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        text = " ".join(str(exc).split())[:200]
        return JSONResponse({"error": f"internal error: {type(exc).__name__}: {text}"}, 500)

    @app.get("/", response_class=HTMLResponse, summary="The drawing page")
    async def index():
        return HTMLResponse(page, headers={"Cache-Control": "no-cache"})

    @app.post(
        "/predict",
        summary="Classify one drawing with every served model",
        response_model=PredictAnswer,
        responses=errors,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": PredictBody.model_json_schema()}},
            }
        },
    )
    async def predict(request: Request):
        body = await _read_body(request)
        with engine.admission.admit():  # Overloaded (503): over --max-wait-ms or --max-queue
            req = parse_predict(body)
            try:
                answer = await engine.predict_async(
                    req.strokes, req.format, req.top_k, image=req.image
                )
            except (ValueError, RequestError) as e:  # e.g. DataFormatError from simplification
                raise RequestError(" ".join(str(e).split())) from None
            return JSONResponse(answer)

    @app.get("/classes", summary="Each model's kind and classes; the ensemble's classes")
    async def classes():
        return engine.classes_info()

    @app.get("/health", summary="Liveness, the served models and their queues")
    async def health():
        return {
            "status": "ok",
            "models": engine.names,
            "ensemble": engine.ensemble_info(),
            "queues": engine.queues(),
        }

    return app


def _no_telemetry() -> dict:
    """FastAPI's OpenTelemetry hooks off: they look up the tracer provider on every request."""
    import inspect

    if "telemetry" not in inspect.signature(FastAPI.__init__).parameters:
        return {}
    off = ("tracing", "metrics", "logs", "operation_spans")
    return {"telemetry": dict.fromkeys(off, False)}


def _version() -> str:
    from seqdoodle import __version__

    return __version__


def app_from_env():
    """The app of one worker process: what to serve is JSON in `$SEQDOODLE_SERVE_SPEC`."""
    import json
    import os

    from seqdoodle.models.runtime import quiet_tensorflow, use_onednn
    from seqdoodle.serve.batcher import MAX_QUEUE, MAX_WAIT_MS
    from seqdoodle.serve.engine import load_engine

    quiet_tensorflow()  # imported only if a run has no cached ONNX export (or for --backend keras)
    use_onednn()
    spec = json.loads(os.environ[SPEC_ENV])
    engine = load_engine(
        spec["runs"],
        max_batch=spec["max_batch"],
        backend=spec["backend"],
        max_queue=spec.get("max_queue", MAX_QUEUE),
        max_wait_ms=spec.get("max_wait_ms", MAX_WAIT_MS),
    )
    return create_app(engine)
