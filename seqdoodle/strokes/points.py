"""Compact point form of a drawing: one `(n_points, 3)` array of x, y, end-of-stroke flag."""

from __future__ import annotations

import numpy as np

from seqdoodle.errors import DataFormatError


def strokes_to_points(strokes, dtype=np.int16) -> np.ndarray:
    """Flatten Google strokes into `(n_points, 3)` rows (x, y, end flag on a stroke's last point).

    Args:
        strokes: list of `[xs, ys]` or `[xs, ys, ts]` (times are dropped).
        dtype: numpy dtype of the result. Defaults to int16 (simplified coordinates 0..255).

    Returns:
        `(n_points, 3)` array of `dtype`. Empty strokes are skipped.

    Example:
    >>> strokes_to_points([[[0, 10], [0, 5]], [[3], [4]]]).tolist()
    [[0, 0, 0], [10, 5, 1], [3, 4, 1]]
    """
    parts = []
    for i, stroke in enumerate(strokes):
        if len(stroke) < 2 or len(stroke[0]) != len(stroke[1]):
            raise DataFormatError(f"stroke {i}: x and y must be two arrays of equal length")
        xs = np.asarray(stroke[0], dtype=np.float64)
        ys = np.asarray(stroke[1], dtype=np.float64)
        if xs.size == 0:
            continue
        end = np.zeros(xs.size)
        end[-1] = 1
        parts.append(np.stack([xs, ys, end], axis=1))
    if not parts:
        return np.zeros((0, 3), dtype=dtype)
    return np.concatenate(parts).astype(dtype)


def points_to_strokes(points: np.ndarray) -> list[list[list]]:
    """Inverse of `strokes_to_points`: `(n, 3)` rows back to Google strokes `[[xs, ys], ...]`.

    Example:
    >>> points_to_strokes(np.array([[0, 0, 0], [10, 5, 1], [3, 4, 1]]))
    [[[0, 10], [0, 5]], [[3], [4]]]
    """
    points = np.asarray(points)
    ends = np.flatnonzero(points[:, 2]) + 1
    if ends.size == 0 or ends[-1] != len(points):
        ends = np.append(ends, len(points))
    strokes, start = [], 0
    for stop in ends:
        if stop > start:
            seg = points[start:stop]
            strokes.append([seg[:, 0].tolist(), seg[:, 1].tolist()])
        start = stop
    return strokes
