"""Parse and check a `POST /predict` body: every bad input becomes one `RequestError` line.

The body is parsed by hand rather than by pydantic, so that each refusal is a single line that
names what is wrong (`"stroke 3: arrays of unequal length 5/4 (x has 5, y has 4 values)"`), NaN
and infinity are refused (Python's `json` accepts them), and size limits apply before any work is
done. The drawing is checked by the same validator as every file reader
(`seqdoodle.datasets.formats.base.validate_strokes`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from seqdoodle.datasets.formats.base import json_type, shown, validate_strokes
from seqdoodle.errors import DataFormatError

FORMATS = ("auto", "raw", "simplified")
MAX_BODY_BYTES = 1_000_000
MAX_POINTS = 20_000
MAX_STROKES = 1_000
MAX_TOP_K = 1_000
MAX_VALUE = 2**53  # larger coordinates or times are refused (as by every file reader)
FIELDS = ("drawing", "format", "top_k", "image")


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
        image: bool. Answer with the 28x28 bitmap as a PNG too. Defaults to False.
    """

    strokes: list
    format: str
    top_k: int
    n_points: int
    image: bool = False


def _no_constant(name: str):
    raise RequestError(f"drawing: {name} is not allowed; coordinates must be finite numbers")


def parse_body(body: bytes) -> dict:
    """The JSON object of a request body.

    Raises:
        RequestError: over `MAX_BODY_BYTES` (413), not JSON or not UTF-8 (400), nested too
            deeply or an integer of more digits than Python converts (400), NaN/Infinity
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
    except ValueError as e:  # an integer past sys.get_int_max_str_digits() (4300 digits)
        reason = " ".join(str(e).split(";")[0].split())
        raise RequestError(f"malformed JSON: {reason}", 400) from None
    if not isinstance(data, dict):
        raise RequestError(f"request body must be a JSON object, got {json_type(data)}")
    return data


def check_drawing(drawing, simplified: bool = False) -> int:
    """Check Google's `drawing` field with the readers' validator; return its number of points.

    Args:
        drawing: the decoded JSON value.
        simplified: bool. Also require integer coordinates 0..255. Defaults to False.

    Raises:
        RequestError: wrong nesting, an empty drawing or stroke, axes of different lengths,
            values that are not finite numbers (within +-2**53), more than `MAX_STROKES` strokes
            or `MAX_POINTS` points (422).
    """
    if isinstance(drawing, list) and len(drawing) > MAX_STROKES:
        raise RequestError(
            f"'drawing' has {len(drawing)} strokes; at most {MAX_STROKES} are accepted"
        )
    try:
        strokes = validate_strokes(
            drawing,
            "simplified" if simplified else "raw",
            times_optional=True,
            drop_empty=False,
            max_points=MAX_POINTS,
        )
    except DataFormatError as e:
        raise RequestError(str(e)) from None
    return sum(len(stroke[0]) for stroke in strokes)


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
        raise RequestError(f"unknown field {shown(unknown[0])}; a request has {', '.join(FIELDS)}")
    if "drawing" not in data:
        raise RequestError("missing field 'drawing' (a list of strokes [xs, ys] or [xs, ys, ts])")
    fmt = data.get("format", "auto")
    if fmt not in FORMATS:
        what = shown(fmt) if isinstance(fmt, str) else repr(json_type(fmt))
        raise RequestError(f"unknown format {what}; choose {', '.join(FORMATS)}")
    top_k = data.get("top_k", 3)
    if not (type(top_k) is int or (type(top_k) is float and top_k.is_integer())):
        raise RequestError(f"'top_k' must be an integer, got {json_type(top_k)}")
    top_k = int(top_k)
    if top_k < 1:
        raise RequestError(f"'top_k' must be at least 1, got {top_k}")
    drawing = data["drawing"]
    n_points = check_drawing(drawing, simplified=fmt == "simplified")
    image = data.get("image", False)
    if type(image) is not bool:
        raise RequestError(f"'image' must be true or false, got {json_type(image)}")
    return PredictRequest(drawing, fmt, min(top_k, max_top_k), n_points, image)
