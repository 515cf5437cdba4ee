"""Stroke-3 sequences: rows of (dx, dy, pen flag), the input of the stroke model.

A drawing becomes one row per point. The first row holds the first point's position relative to
the normalised origin (0, 0); every later row the offset from the previous point. The pen flag
is 1 on the last point of each stroke (`flag="end"`, TensorFlow's RNN tutorial) or on the first
point of each stroke (`flag="start"`). Consecutive duplicate points within a stroke are dropped:
they carry no information and would give a zero row, which looks like padding.

Zero rows can still occur with `flag="end"` when a stroke starts exactly where the previous one
ended, or when the first point is the origin; build padding masks from sequence lengths, not from
zero rows. With `flag="start"` no row of an encoded drawing is all zeros. Many drawings at once:
`seqdoodle.strokes.stroke3_batch`.
"""

from __future__ import annotations

import numpy as np

from seqdoodle.errors import DataFormatError

NORMALIZE = ("aspect", "per_axis", "none")
FLAGS = ("end", "start")
TRUNCATE = ("end", "uniform")
MAX_TIME_DELTA = 5.0  # seconds; longer pauses are clipped to this


def drawing_to_stroke3(
    strokes,
    normalize: str = "aspect",
    flag: str = "end",
    max_len: int | None = None,
    truncate: str = "end",
    time: bool = False,
) -> np.ndarray:
    """Encode Google strokes as a stroke-3 sequence `(n, 3) float32` (`(n, 4)` with time).

    Args:
        strokes: list. Google's `drawing` field: strokes `[xs, ys]` or `[xs, ys, ts]` (lists or
            arrays; ts in milliseconds). Empty strokes are skipped.
        normalize: str. "aspect": subtract the minimum and divide both axes by the larger side,
            so the drawing fits [0, 1] keeping its aspect ratio. "per_axis": scale each axis to
            [0, 1] separately (TensorFlow's RNN tutorial). "none": raw units, origin (0, 0).
            An axis of zero extent is not scaled. Defaults to "aspect".
        flag: str. "end": pen flag 1 on the last point of each stroke; "start": on the first
            point of each stroke. Defaults to "end".
        max_len: int or None. Keep at most this many rows. Defaults to None (keep all).
        truncate: str. How to shorten to `max_len`: "end" keeps the first `max_len` points;
            "uniform" keeps evenly spaced points, always keeping the first and last point of
            every stroke (if those alone exceed `max_len`, evenly spaced ones among them).
            Strokes keep their boundaries either way. Defaults to "end".
        time: bool. Add a 4th column: seconds since the previous kept point (first row 0),
            clipped to [0, 5]. Needs raw strokes with times. Defaults to False.

    Returns:
        `(n, 3) float32` rows (dx, dy, flag), or `(n, 4) float32` rows (dx, dy, flag, dt).

    Raises:
        DataFormatError: no points, malformed strokes, NaN/infinite values, `time=True` on
            strokes without times, or an unknown option.

    Example:
    >>> drawing_to_stroke3([[[0, 10, 10], [0, 0, 5]], [[0], [10]]]).tolist()
    [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.5, 1.0], [-1.0, 0.5, 1.0]]
    """
    points, times = _strokes_to_points(strokes, time)
    return _encode(points, normalize, flag, max_len, truncate, times)


def points_to_stroke3(
    points: np.ndarray,
    normalize: str = "aspect",
    flag: str = "end",
    max_len: int | None = None,
    truncate: str = "end",
) -> np.ndarray:
    """Encode the compact point form (`seqdoodle.strokes.points`) as stroke-3, `(n, 3) float32`.

    Args:
        points: np.ndarray. `(n_points, 3)` rows (x, y, end-of-stroke flag), any numeric dtype
            (int16 in prepared datasets, float32 after augmentation).
        normalize: str. "aspect", "per_axis" or "none", as in `drawing_to_stroke3`.
            Defaults to "aspect".
        flag: str. "end" or "start". Defaults to "end".
        max_len: int or None. Keep at most this many rows. Defaults to None.
        truncate: str. "end" or "uniform". Defaults to "end".

    Returns:
        `(n, 3) float32`, equal to `drawing_to_stroke3` of the same strokes.

    Example:
    >>> points_to_stroke3(np.array([[0, 0, 0], [10, 0, 1]]), flag="start").tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    points = np.asarray(points)
    if points.ndim != 2 or points.shape[1] != 3:
        raise DataFormatError(f"points must have shape (n, 3), got {points.shape}")
    points = points.astype(np.float64)
    if len(points):
        points[-1, 2] = 1  # the last point always ends a stroke
    return _encode(points, normalize, flag, max_len, truncate, None)


def stroke3_to_drawing(seq: np.ndarray, flag: str = "end", scale: float | None = 255):
    """Decode a stroke-3 sequence back to Google strokes `[[xs, ys], ...]`.

    Args:
        seq: np.ndarray. `(n, 3)` or `(n, 4)` stroke-3 rows (a time column is ignored). Trailing
            all-zero rows (padding) are dropped.
        flag: str. The pen-flag convention the sequence was encoded with, "end" or "start".
            Defaults to "end".
        scale: float or None. Multiply positions by this and round to Python ints (255 gives
            the simplified frame for "aspect" sequences); None keeps floats. Defaults to 255.

    Returns:
        list of strokes `[xs, ys]`.

    Example:
    >>> stroke3_to_drawing(np.array([[0, 0, 0], [1, 0, 0], [0, .5, 1], [-1, .5, 1]]))
    [[[0, 255, 255], [0, 0, 128]], [[0], [255]]]
    """
    _check_option("flag", flag, FLAGS)
    seq = np.asarray(seq, dtype=np.float64)
    if seq.ndim != 2 or seq.shape[1] not in (3, 4):
        raise DataFormatError(
            f"stroke-3 sequence must have shape (n, 3) or (n, 4), got {seq.shape}"
        )
    nonzero = np.flatnonzero(np.any(seq[:, :3] != 0, axis=1))
    seq = seq[: nonzero[-1] + 1] if nonzero.size else seq[:0]
    positions = np.cumsum(seq[:, :2], axis=0)
    if scale is not None:
        positions = np.round(positions * scale).astype(np.int64)
    marks = seq[:, 2] > 0.5
    if flag == "end":
        cuts = np.flatnonzero(marks) + 1
    else:
        cuts = np.flatnonzero(marks)
    bounds = np.unique(np.concatenate([[0], cuts, [len(seq)]]))
    return [
        [positions[a:b, 0].tolist(), positions[a:b, 1].tolist()]
        for a, b in zip(bounds[:-1], bounds[1:])
        if b > a
    ]


def _strokes_to_points(strokes, with_time: bool):
    """Strokes -> `(n, 3) float64` (x, y, end) points and `(n,) float64` times or None."""
    if isinstance(strokes, (str, bytes)) or not hasattr(strokes, "__len__"):
        raise DataFormatError(f"drawing must be a list of strokes, got {type(strokes).__name__}")
    xs, ys, ts, ends = [], [], [], []
    for i, stroke in enumerate(strokes):
        if len(stroke) < 2 or len(stroke[0]) != len(stroke[1]):
            raise DataFormatError(f"stroke {i}: expected [xs, ys] or [xs, ys, ts] of equal length")
        n = len(stroke[0])
        if with_time:
            if len(stroke) < 3 or len(stroke[2]) != n:
                raise DataFormatError(
                    f"stroke {i}: time=True needs [xs, ys, ts] with a time a point"
                )
            ts.extend(stroke[2])
        if n:
            xs.extend(stroke[0])
            ys.extend(stroke[1])
            ends.extend([0] * (n - 1) + [1])
    try:
        points = np.array([xs, ys, ends], dtype=np.float64).T.reshape(-1, 3)
        times = np.array(ts, dtype=np.float64) if with_time else None
    except (TypeError, ValueError):
        raise DataFormatError("drawing has values that are not numbers") from None
    return points, times


def _encode(points, normalize, flag, max_len, truncate, times):
    _check_option("normalize", normalize, NORMALIZE)
    _check_option("flag", flag, FLAGS)
    _check_option("truncate", truncate, TRUNCATE)
    if len(points) == 0:
        raise DataFormatError("drawing has no points")
    if not np.isfinite(points).all() or (times is not None and not np.isfinite(times).all()):
        raise DataFormatError("drawing has NaN or infinite values")
    stroke_id = np.concatenate([[0], np.cumsum(points[:-1, 2] > 0)])
    xy = points[:, :2]
    keep = np.ones(len(xy), dtype=bool)
    keep[1:] = (stroke_id[1:] != stroke_id[:-1]) | np.any(xy[1:] != xy[:-1], axis=1)
    xy, stroke_id = _normalize(xy, normalize)[keep], stroke_id[keep]
    if times is not None:
        times = times[keep]
    if max_len is not None:
        if int(max_len) < 1:
            raise DataFormatError(f"max_len must be >= 1, got {max_len}")
        rows = _select_rows(stroke_id, int(max_len), truncate)
        xy, stroke_id = xy[rows], stroke_id[rows]
        times = None if times is None else times[rows]
    first = np.ones(len(xy), dtype=bool)
    first[1:] = stroke_id[1:] != stroke_id[:-1]
    last = np.ones(len(xy), dtype=bool)
    last[:-1] = first[1:]
    columns = [np.diff(xy, axis=0, prepend=np.zeros((1, 2))), (last if flag == "end" else first)]
    if times is not None:
        dt = np.diff(times, prepend=times[:1]) / 1000.0
        columns.append(np.clip(dt, 0.0, MAX_TIME_DELTA))
    return np.column_stack(columns).astype(np.float32)


def _normalize(xy: np.ndarray, normalize: str) -> np.ndarray:
    if normalize == "none":
        return xy
    low = xy.min(axis=0)
    extent = xy.max(axis=0) - low
    if normalize == "aspect":
        side = extent.max()
        return (xy - low) / (side if side > 0 else 1.0)
    return (xy - low) / np.where(extent > 0, extent, 1.0)


def _select_rows(stroke_id: np.ndarray, max_len: int, truncate: str) -> np.ndarray:
    """Indices of the rows kept when shortening to `max_len` (sorted)."""
    n = len(stroke_id)
    if n <= max_len:
        return np.arange(n)
    if truncate == "end":
        return np.arange(max_len)
    boundary = np.ones(n, dtype=bool)
    boundary[1:-1] = (stroke_id[1:-1] != stroke_id[:-2]) | (stroke_id[1:-1] != stroke_id[2:])
    ends, others = np.flatnonzero(boundary), np.flatnonzero(~boundary)
    if len(ends) >= max_len:
        return ends[_evenly(len(ends), max_len)]
    return np.sort(np.concatenate([ends, others[_evenly(len(others), max_len - len(ends))]]))


def _evenly(n: int, k: int) -> np.ndarray:
    """k distinct evenly spaced indices into range(n), first and last included (k <= n)."""
    if k == 1:
        return np.zeros(1, dtype=np.int64)
    return np.floor(np.linspace(0, n - 1, k) + 0.5).astype(np.int64)


def _check_option(name: str, value, allowed) -> None:
    if value not in allowed:
        raise DataFormatError(f"{name} must be one of {allowed}, got {value!r}")
