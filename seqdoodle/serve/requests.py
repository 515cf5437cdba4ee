"""Parse and check a `POST /predict` body: every bad input becomes one `RequestError` line.

The body is parsed by hand rather than by pydantic, so that each refusal is a single line that
names what is wrong (`"stroke 3: x has 5 values but y has 4"`), NaN and infinity are refused
(Python's `json` accepts them), and size limits apply before any work is done.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

FORMATS = ("auto", "raw", "simplified")
MAX_BODY_BYTES = 1_000_000
MAX_POINTS = 20_000
MAX_STROKES = 1_000
MAX_TOP_K = 1_000
FIELDS = ("drawing", "format", "top_k")


class RequestError(ValueError):
    """A refused request: `status` is the HTTP status, the message one line."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class PredictRequest:
    """A checked `/predict` request.

    Args:
        strokes: list of strokes `[xs, ys]` or `[xs, ys, ts]`, lists of Python numbers.
        format: str. `"auto"`, `"raw"` or `"simplified"`.
        top_k: int. Classes per model, at least 1.
        n_points: int. Points over all strokes.
    """

    strokes: list
    format: str
    top_k: int
    n_points: int


def _no_constant(name: str):
    raise RequestError(f"drawing: {name} is not allowed; coordinates must be finite numbers")


def parse_body(body: bytes) -> dict:
    """The JSON object of a request body.

    Raises:
        RequestError: over `MAX_BODY_BYTES` (413), not JSON or not UTF-8 (400), NaN/Infinity
            literals (422), or not an object (422).
    """
    if len(body) > MAX_BODY_BYTES:
        raise RequestError(
            f"request body of {len(body)} bytes; at most {MAX_BODY_BYTES} are accepted", 413
        )
    if not body.strip():
        raise RequestError("empty request body; send a JSON object with a 'drawing'", 400)
    try:
        data = json.loads(body, parse_constant=_no_constant)
    except RequestError:
        raise
    except UnicodeDecodeError:
        raise RequestError("request body is not UTF-8 text", 400) from None
    except json.JSONDecodeError as e:
        raise RequestError(
            f"malformed JSON: {e.msg} at line {e.lineno} column {e.colno}", 400
        ) from None
    except RecursionError:
        raise RequestError("malformed JSON: nested too deeply", 400) from None
    if not isinstance(data, dict):
        raise RequestError(f"request body must be a JSON object, got {_json_type(data)}")
    return data


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _is_number(value) -> bool:
    kind = type(value)
    return kind is int or kind is float


def _check_axis(axis, s: int, name: str, simplified: bool) -> None:
    if not isinstance(axis, list):
        raise RequestError(f"stroke {s}: {name} must be a list of numbers, got {_json_type(axis)}")
    for value in axis:
        if not _is_number(value):
            raise RequestError(
                f"stroke {s}: {name} holds {_json_type(value)}; coordinates must be numbers "
                "(a stroke is [xs, ys] or [xs, ys, ts])"
            )
        if not math.isfinite(value):
            raise RequestError(f"stroke {s}: {name} holds {value}; numbers must be finite")
    if simplified and name != "t":
        for value in axis:
            if value < 0 or value > 255 or value != int(value):
                raise RequestError(
                    f"stroke {s}: {name} holds {value}; the simplified format takes integers "
                    "0..255 (send format 'raw' or 'auto' for raw drawings)"
                )


def check_drawing(drawing, simplified: bool = False) -> int:
    """Check Google's `drawing` field; return its number of points.

    Args:
        drawing: the decoded JSON value.
        simplified: bool. Also require integer coordinates 0..255. Defaults to False.

    Raises:
        RequestError: wrong nesting, an empty drawing or stroke, axes of different lengths,
            non-finite numbers, more than `MAX_STROKES` strokes or `MAX_POINTS` points (422).
    """
    if not isinstance(drawing, list):
        raise RequestError(f"'drawing' must be a list of strokes, got {_json_type(drawing)}")
    if not drawing:
        raise RequestError("'drawing' is empty; send at least one stroke")
    if len(drawing) > MAX_STROKES:
        raise RequestError(
            f"'drawing' has {len(drawing)} strokes; at most {MAX_STROKES} are accepted"
        )
    n_points = 0
    for s, stroke in enumerate(drawing, start=1):
        if isinstance(stroke, list) and not stroke:
            raise RequestError(f"stroke {s} is empty; every stroke needs at least one point")
        if not isinstance(stroke, list) or len(stroke) not in (2, 3):
            what = f"{len(stroke)} lists" if isinstance(stroke, list) else _json_type(stroke)
            raise RequestError(f"stroke {s}: must be [xs, ys] or [xs, ys, ts], got {what}")
        lengths = [len(axis) if isinstance(axis, list) else -1 for axis in stroke]
        for axis, name in zip(stroke, ("x", "y", "t")):
            if not isinstance(axis, list):
                raise RequestError(
                    f"stroke {s}: {name} must be a list of numbers, got {_json_type(axis)}"
                )
        if lengths[0] == 0:
            raise RequestError(f"stroke {s} is empty; every stroke needs at least one point")
        if len(set(lengths)) != 1:
            names = ", ".join(f"{n} has {k}" for n, k in zip(("x", "y", "t"), lengths))
            raise RequestError(f"stroke {s}: its lists differ in length ({names} values)")
        n_points += lengths[0]
        if n_points > MAX_POINTS:
            raise RequestError(
                f"'drawing' has more than {MAX_POINTS} points; at most {MAX_POINTS} are accepted"
            )
        for axis, name in zip(stroke, ("x", "y", "t")):
            _check_axis(axis, s, name, simplified)
    return n_points


def parse_predict(body: bytes, max_top_k: int = MAX_TOP_K) -> PredictRequest:
    """Parse and check a whole `/predict` body.

    Args:
        body: bytes. The request body.
        max_top_k: int. Larger `top_k` values are lowered to this. Defaults to 1000.

    Returns:
        `PredictRequest`.

    Raises:
        RequestError: any bad input (status 400, 413 or 422, one-line message).

    Example:
    >>> parse_predict(b'{"drawing": [[[0, 10], [0, 5]]]}').n_points
    2
    """
    data = parse_body(body)
    unknown = [k for k in data if k not in FIELDS]
    if unknown:
        raise RequestError(f"unknown field {unknown[0]!r}; a request has {', '.join(FIELDS)}")
    if "drawing" not in data:
        raise RequestError("missing field 'drawing' (a list of strokes [xs, ys] or [xs, ys, ts])")
    fmt = data.get("format", "auto")
    if fmt not in FORMATS:
        shown = fmt if isinstance(fmt, str) else _json_type(fmt)
        raise RequestError(f"unknown format {shown!r}; choose {', '.join(FORMATS)}")
    top_k = data.get("top_k", 3)
    if not (type(top_k) is int or (type(top_k) is float and top_k.is_integer())):
        raise RequestError(f"'top_k' must be an integer, got {_json_type(top_k)}")
    top_k = int(top_k)
    if top_k < 1:
        raise RequestError(f"'top_k' must be at least 1, got {top_k}")
    drawing = data["drawing"]
    n_points = check_drawing(drawing, simplified=fmt == "simplified")
    return PredictRequest(drawing, fmt, min(top_k, max_top_k), n_points)
