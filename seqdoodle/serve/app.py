"""The ASGI app of `seqdoodle serve`: FastAPI routes over an `Engine`.

```
GET  /          the drawing page (one HTML file, no external assets)
POST /predict   {"drawing": [[xs, ys(, ts)], ...], "format": "auto", "top_k": 3}
GET  /classes   each model's kind, title and classes, and the ensemble's shared classes
GET  /health    {"status": "ok", "models": [...]}
GET  /docs      OpenAPI documentation (FastAPI's own page)
```
Every error is a JSON object `{"error": "<one line>"}` with a 4xx status. No route reads a file
chosen by the request: the page is read once from the package at start-up.
"""

from __future__ import annotations

from importlib import resources
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from seqdoodle.serve.requests import MAX_BODY_BYTES, RequestError, parse_predict

SPEC_ENV = "SEQDOODLE_SERVE_SPEC"  # how worker processes learn what to serve

PAGE_FILE = "page.html"


class PredictBody(BaseModel):
    """The `/predict` request (documentation only; the body is checked by `parse_predict`)."""

    drawing: list[list[list[float]]] = Field(
        description="Strokes in Google's format: [xs, ys] (simplified, integers 0..255) or "
        "[xs, ys, ts] (raw: any scale, ts in ms).",
        examples=[[[[10, 200, 120], [20, 30, 220], [0, 120, 260]]]],
    )
    format: Literal["auto", "raw", "simplified"] = Field(
        "auto",
        description="raw: simplified as Google did; simplified: taken as it is; auto: raw when "
        "it has times or coordinates that are not integers 0..255.",
    )
    top_k: int = Field(3, ge=1, description="Classes per model.")


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
    bitmap: str = Field(description="The 28x28 bitmap the CNN sees, PNG, base64.")


class ErrorAnswer(BaseModel):
    error: str


def page_html() -> str:
    """The drawing page, from the package."""
    return resources.files("seqdoodle.serve").joinpath(PAGE_FILE).read_text("utf-8")


async def _read_body(request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, refused with 413 as soon as it passes `limit` bytes."""
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
    errors = {400: {"model": ErrorAnswer}, 413: {"model": ErrorAnswer}, 422: {"model": ErrorAnswer}}

    @app.exception_handler(RequestError)
    async def _request_error(request: Request, exc: RequestError):
        return JSONResponse({"error": str(exc)}, status_code=exc.status)

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
        req = parse_predict(body)
        try:
            answer = await engine.predict_async(req.strokes, req.format, req.top_k)
        except (ValueError, RequestError) as e:  # e.g. DataFormatError from simplification
            raise RequestError(" ".join(str(e).split())) from None
        return JSONResponse(answer)

    @app.get("/classes", summary="Each model's kind and classes; the ensemble's classes")
    async def classes():
        return engine.classes_info()

    @app.get("/health", summary="Liveness and the served models")
    async def health():
        return {"status": "ok", "models": engine.names}

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

    from seqdoodle.models.runtime import import_tensorflow_quietly
    from seqdoodle.serve.engine import load_engine

    import_tensorflow_quietly()
    spec = json.loads(os.environ[SPEC_ENV])
    engine = load_engine(spec["runs"], max_batch=spec["max_batch"], backend=spec["backend"])
    return create_app(engine)
