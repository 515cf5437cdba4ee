"""Render strokes to multi-channel images that keep the drawing order, with Google's geometry.

A bitmap loses the order in which a drawing was made. This module draws the same strokes with the
same geometry as `seqdoodle.strokes.raster` (cairo, antialiasing BEST, round caps and joins, line
diameter 16 and padding 16 in the 256-unit space, centred the way Google centres) into several
channels, each a grey image `0..255`:

- `"ink"`: Google's numpy_bitmap image, byte for byte equal to `render_bitmap` of the strokes.
- `"order"`: stroke order. Stroke i is drawn at grey `255 - 13 * min(i, 10)` (first stroke 255,
  the eleventh and later 125), later strokes painted over earlier ones.
- `"index"`: the position of each point along the whole drawing. Segment j (from point j to
  point j + 1 of all the points in drawing order) is drawn at `255 * (1 - 0.75 * j / (n - 1))`,
  so the first point is 255 and the last about 64.
- `"speed"`: pen speed, where the strokes carry times (`[xs, ys, ts]`, ms): each segment is drawn
  at `255 * min(distance / elapsed / 2.0, 1)` (2 units of the 256 frame per ms is white). Strokes
  without times (simplified drawings, prepared datasets) leave the channel black.

Cairo composites every colour channel with the same coverage, so the ink and order channels come
from one pass over whole strokes (Google's exact procedure, blue byte = ink, green byte = order)
and the index and speed channels from a second pass over single segments. Without libcairo a
numpy fallback composites `seqdoodle.strokes.raster`'s approximate coverage the same way (slow).
"""

from __future__ import annotations

import threading

import numpy as np

from seqdoodle.errors import DataFormatError
from seqdoodle.strokes import raster as _raster

CHANNELS = ("ink", "order", "index", "speed")
DEFAULT_CHANNELS = ("ink", "order", "index")
ORDER_STEP = 13.0 / 255.0
ORDER_STEPS = 10
INDEX_SPAN = 0.75
SPEED_WHITE = 2.0  # units of the 256 frame per millisecond drawn at full intensity
_PASS_STROKES = ("ink", "order")
_PASS_SEGMENTS = ("index", "speed")


def check_channels(channels) -> tuple[str, ...]:
    """Validate channel names; return them as a tuple.

    Raises:
        DataFormatError: no channel, an unknown or a repeated name.

    Example:
    >>> check_channels(["ink", "order"])
    ('ink', 'order')
    """
    if isinstance(channels, str):
        channels = tuple(c.strip() for c in channels.split(","))
    channels = tuple(channels)
    if not channels:
        raise DataFormatError("channels: give at least one of " + ", ".join(CHANNELS))
    for name in channels:
        if name not in CHANNELS:
            raise DataFormatError(f"channel {name!r}: unknown; choose from {', '.join(CHANNELS)}")
    if len(set(channels)) != len(channels):
        raise DataFormatError(f"channels {list(channels)}: a channel is repeated")
    return channels


def render_channels(
    strokes, size: int = 28, channels=DEFAULT_CHANNELS, backend: str = "auto"
) -> np.ndarray:
    """Render one drawing to a `(size, size, n_channels) uint8` image (0 background).

    Args:
        strokes: list. Google's `drawing` field: strokes `[xs, ys]` or `[xs, ys, ts]` in the 0..255
            frame of the simplified format. Empty strokes are skipped.
        size: int. Side of the image in pixels. Defaults to 28 (Google's bitmap size).
        channels: sequence of str. Any of `CHANNELS`, in the order wanted. Defaults to
            `("ink", "order", "index")`.
        backend: str. "cairo" (exact), "numpy" (approximate) or "auto". Defaults to "auto".

    Returns:
        `(size, size, len(channels)) uint8` array; channel `"ink"` equals `render_bitmap`.

    Raises:
        DataFormatError: malformed strokes, no points, unknown channel.

    Example:
    >>> image = render_channels([[[0, 255], [0, 255]], [[0, 255], [255, 0]]])
    >>> image.shape, image.dtype
    ((28, 28, 3), dtype('uint8'))
    """
    channels = check_channels(channels)
    xy, lengths, times = _drawing_arrays(strokes)
    return _draw(xy, lengths, times, size, channels, backend)


def render_channels_batch(
    drawings, size: int = 28, channels=DEFAULT_CHANNELS, backend: str = "auto"
) -> np.ndarray:
    """Render many drawings to `(n, size, size, n_channels) uint8`.

    Args:
        drawings: iterable of strokes lists (each as in `render_channels`).
        size: int. Side of each image. Defaults to 28.
        channels: sequence of str. Defaults to `("ink", "order", "index")`.
        backend: str. "cairo", "numpy" or "auto". Defaults to "auto".

    Returns:
        `(n, size, size, len(channels)) uint8` array.

    Raises:
        DataFormatError: a drawing is malformed; the message names its position.

    Example:
    >>> render_channels_batch([[[[0, 9], [0, 9]]], [[[5], [5]]]], channels=["ink"]).shape
    (2, 28, 28, 1)
    """
    channels = check_channels(channels)
    drawings = list(drawings)
    out = np.empty((len(drawings), size, size, len(channels)), dtype=np.uint8)
    for i, strokes in enumerate(drawings):
        try:
            xy, lengths, times = _drawing_arrays(strokes)
        except DataFormatError as e:
            raise DataFormatError(f"drawing {i}: {e}") from None
        out[i] = _draw(xy, lengths, times, size, channels, backend)
    return out


def render_points_batch(
    points: np.ndarray,
    offsets: np.ndarray,
    rows,
    size: int = 28,
    channels=DEFAULT_CHANNELS,
    backend: str = "auto",
) -> np.ndarray:
    """Render drawings stored as a prepared dataset stores them (points + offsets).

    Args:
        points: np.ndarray. `(P, 3)` rows of (x, y, end-of-stroke flag) of all drawings.
        offsets: np.ndarray. `(N + 1,)` int: drawing i is `points[offsets[i]:offsets[i + 1]]`.
        rows: sequence of int. The drawings to render, in the order wanted.
        size: int. Side of each image. Defaults to 28.
        channels: sequence of str. Defaults to `("ink", "order", "index")`.
        backend: str. "cairo", "numpy" or "auto". Defaults to "auto".

    Returns:
        `(len(rows), size, size, len(channels)) uint8` array.

    Example:
    >>> pts = np.array([[0, 0, 0], [255, 255, 1], [9, 9, 1]])
    >>> render_points_batch(pts, np.array([0, 2, 3]), [1, 0]).shape
    (2, 28, 28, 3)
    """
    channels = check_channels(channels)
    rows = np.asarray(rows, dtype=np.int64)
    out = np.empty((len(rows), size, size, len(channels)), dtype=np.uint8)
    for i, row in enumerate(rows.tolist()):
        try:
            xy, lengths = _raster._points_to_arrays(points[offsets[row] : offsets[row + 1]])
        except DataFormatError as e:
            raise DataFormatError(f"drawing {row}: {e}") from None
        out[i] = _draw(xy, lengths, None, size, channels, backend)
    return out


def _drawing_arrays(strokes):
    """Points `(n, 2) float64`, points per stroke, and times `(n,) float64` or None."""
    xy, lengths = _raster._strokes_to_arrays(strokes)
    timed = [s for s in strokes if len(s[0])]
    if not timed or any(len(s) < 3 for s in timed):
        return xy, lengths, None
    try:
        times = np.concatenate([np.asarray(s[2], dtype=np.float64) for s in timed])
    except (TypeError, ValueError):
        raise DataFormatError("drawing has times that are not numbers") from None
    if times.shape != (len(xy),) or not np.isfinite(times).all():
        raise DataFormatError("drawing's times do not match its points")
    return xy, lengths, times


def _stroke_values(lengths: np.ndarray) -> np.ndarray:
    """Grey level (0..1) of each stroke in the order channel."""
    i = np.minimum(np.arange(len(lengths)), ORDER_STEPS)
    return 1.0 - ORDER_STEP * i


def _segments(xy: np.ndarray, lengths: np.ndarray, times):
    """Every segment (a one-point stroke is a dot) with its index and speed values (0..1).

    Returns `(starts (m, 2), ends (m, 2), index (m,), speed (m,))` float64.
    """
    n = len(xy)
    ends = np.cumsum(lengths)
    starts = ends - lengths
    first = np.concatenate([np.arange(s, max(e - 1, s + 1)) for s, e in zip(starts, ends)])
    second = np.minimum(first + 1, np.repeat(ends - 1, np.maximum(lengths - 1, 1)))
    index = 1.0 - INDEX_SPAN * first / max(n - 1, 1)
    if times is None:
        speed = np.zeros(len(first))
    else:
        distance = np.hypot(*(xy[second] - xy[first]).T)
        elapsed = np.abs(times[second] - times[first])
        speed = np.where(elapsed > 0, distance / np.maximum(elapsed, 1e-9), 0.0)
        speed = np.minimum(speed / SPEED_WHITE, 1.0)
    return xy[first], xy[second], index, speed


def _draw(xy, lengths, times, size, channels, backend) -> np.ndarray:
    _raster._renderer(size, backend)  # validates size and backend
    out = np.zeros((int(size), int(size), len(channels)), dtype=np.uint8)
    cairo = backend != "numpy" and _raster.cairo_available()
    stroke_pass = segment_pass = None
    if any(c in _PASS_STROKES for c in channels):
        stroke_pass = (_canvas(size).strokes if cairo else _numpy_strokes)(xy, lengths, size)
    if any(c in _PASS_SEGMENTS for c in channels):
        segments = _segments(xy, lengths, times)
        segment_pass = (_canvas(size).segments if cairo else _numpy_segments)(xy, segments, size)
    for k, name in enumerate(channels):
        if name in _PASS_STROKES:
            out[..., k] = stroke_pass[_PASS_STROKES.index(name)]
        else:
            out[..., k] = segment_pass[_PASS_SEGMENTS.index(name)]
    return out


_LOCAL = threading.local()


def _canvas(size: int) -> _ChannelCanvas:
    canvases = _LOCAL.__dict__.setdefault("canvases", {})
    if size not in canvases:
        canvases[size] = _ChannelCanvas(int(size))
    return canvases[size]


class _ChannelCanvas:
    """The raster module's Google-configured cairo canvas, read as all four bytes of a pixel.

    Byte 0 (blue) carries the first value, byte 1 (green) the second: cairo composites each
    colour channel with the same coverage, so byte 0 drawn white is exactly Google's image.
    """

    def __init__(self, size: int):
        base = _raster._CairoCanvas(size)
        self._base = base  # keeps the surface alive
        self._lib, self._ffi, self._ctx = base._lib, base._ffi, base._ctx
        self._surface = base._surface
        data = self._lib.cairo_image_surface_get_data(self._surface)
        stride = base.surface.get_stride()
        pixels = np.frombuffer(self._ffi.buffer(data, stride * size), dtype=np.uint8)
        self._pixels = pixels.reshape(size, stride)[:, : 4 * size].reshape(size, size, 4)
        self._path = base._path

    def _clear(self):
        self._lib.cairo_set_source_rgb(self._ctx, 0.0, 0.0, 0.0)
        self._lib.cairo_paint(self._ctx)

    def _read(self) -> np.ndarray:
        self._lib.cairo_surface_flush(self._surface)
        status = self._lib.cairo_status(self._ctx)
        if status:  # pragma: no cover - cairo only fails on memory errors
            raise DataFormatError(f"cairo failed to render the drawing (status {status})")
        return np.moveaxis(self._pixels[..., :2], -1, 0).copy()

    def strokes(self, xy, lengths, size):
        """Whole strokes as Google draws them: blue = ink (white), green = order value."""
        lib, ctx, path = self._lib, self._ctx, self._path
        xy = xy + _raster._centre_offset(xy)
        elements, first = _raster._path_elements(xy, lengths)
        base = self._ffi.cast("cairo_path_data_t *", self._ffi.from_buffer(elements))
        self._clear()
        path.status = 0
        values = _stroke_values(lengths).tolist()
        spans = zip((2 * first).tolist(), (2 * (lengths + 1)).tolist())
        for value, (start, count) in zip(values, spans):
            lib.cairo_set_source_rgb(ctx, 0.0, value, 1.0)
            path.data = base + start
            path.num_data = count
            lib.cairo_append_path(ctx, path)
            lib.cairo_stroke(ctx)
        return self._read()

    def segments(self, xy, segments, size):
        """One stroke per segment: blue = index value, green = speed value."""
        lib, ctx = self._lib, self._ctx
        offset = _raster._centre_offset(xy)
        starts, ends, index, speed = segments
        starts = (starts + offset).tolist()
        ends = (ends + offset).tolist()
        self._clear()
        for (x0, y0), (x1, y1), b, g in zip(starts, ends, index.tolist(), speed.tolist()):
            lib.cairo_set_source_rgb(ctx, 0.0, g, b)
            lib.cairo_move_to(ctx, x0, y0)
            lib.cairo_line_to(ctx, x1, y1)
            lib.cairo_stroke(ctx)
        return self._read()


def _composite(parts, size) -> np.ndarray:
    """Paint `(xy, lengths, values)` parts in order over black with the numpy coverage."""
    image = np.zeros((len(parts[0][2]), size, size), dtype=np.float64) if parts else None
    for xy, lengths, values, offset in parts:
        # _draw_numpy centres the part on its own max; shift it so that it lands at `offset`.
        shift = 2.0 * offset - _raster.ORIGINAL_SIDE + xy.max(axis=0)
        cover = _raster._draw_numpy(xy + shift, lengths, size)
        cover = cover.astype(np.float64) / 255.0
        values = np.asarray(values, dtype=np.float64)[:, None, None]
        image = cover * values + (1.0 - cover) * image
    return np.round(image * 255.0).astype(np.uint8)


def _numpy_strokes(xy, lengths, size):
    offset = _raster._centre_offset(xy)
    ends = np.cumsum(lengths)
    values = _stroke_values(lengths)
    parts = [
        (xy[e - n : e], np.array([n]), [1.0, v], offset)
        for n, e, v in zip(lengths.tolist(), ends.tolist(), values.tolist())
    ]
    return _composite(parts, size)


def _numpy_segments(xy, segments, size):
    offset = _raster._centre_offset(xy)
    starts, ends, index, speed = segments
    parts = [
        (np.stack([a, b]), np.array([2]), [i, s], offset)
        for a, b, i, s in zip(starts, ends, index.tolist(), speed.tolist())
    ]
    return _composite(parts, size)
