"""Stroke-3 of many drawings at once, from points kept one drawing after another.

A batch of drawings is `(m, 3)` points (x, y, end-of-stroke flag) of the drawings one after
another plus their point counts: `gather_points` reads one from a prepared dataset's points,
`check_point_batch` checks one, and `points_to_stroke3_batch` encodes all of it without a Python
loop per drawing, equal bit for bit to `seqdoodle.strokes.stroke3` one drawing at a time.
"""

from __future__ import annotations

import numpy as np

from seqdoodle.errors import DataFormatError
from seqdoodle.strokes.stroke3 import FLAGS, NORMALIZE, TRUNCATE, _check_option


def gather_points(points: np.ndarray, offsets: np.ndarray, rows) -> tuple[np.ndarray, np.ndarray]:
    """The points of several drawings of a prepared dataset, read in one fancy-index pass.

    Args:
        points: np.ndarray. `(n_points, 3)` point rows of all drawings (a memmap is read only
            where needed).
        offsets: np.ndarray. `(n + 1,) int64`; drawing i is `points[offsets[i]:offsets[i + 1]]`.
        rows: array-like of int. The drawings wanted, in the order wanted.

    Returns:
        `(m, 3)` points of the drawings one after another (dtype of `points`) and their
        `(len(rows),) int64` point counts.

    Example:
    >>> pts = np.array([[0, 0, 1], [5, 5, 0], [6, 6, 1]], np.int16)
    >>> flat, lengths = gather_points(pts, np.array([0, 1, 3]), [1, 0])
    >>> flat[:, 0].tolist(), lengths.tolist()
    ([5, 6, 0], [2, 1])
    """
    rows = np.asarray(rows, dtype=np.int64)
    starts = offsets[rows]
    lengths = offsets[rows + 1] - starts
    firsts = np.cumsum(lengths) - lengths
    index = np.arange(int(lengths.sum()), dtype=np.int64) + np.repeat(starts - firsts, lengths)
    return np.asarray(points[index]), lengths


def check_point_batch(points, lengths) -> tuple[np.ndarray, np.ndarray]:
    """Check a batch of drawings given as concatenated `(m, 3)` points and per-drawing lengths.

    Returns:
        `(points, lengths)` as arrays, lengths `(n,) int64`.
    """
    points = np.asarray(points)
    lengths = np.asarray(lengths, dtype=np.int64).reshape(-1)
    if points.ndim != 2 or points.shape[1] != 3:
        raise DataFormatError(f"points must have shape (m, 3), got {points.shape}")
    if lengths.sum() != len(points) or (lengths < 1).any():
        raise DataFormatError(
            f"lengths must be >= 1 and sum to the {len(points)} points, got {lengths.sum()}"
        )
    return points, lengths


def points_to_stroke3_batch(
    points: np.ndarray,
    lengths,
    normalize: str = "aspect",
    flag: str = "end",
    max_len: int | None = None,
    truncate: str = "end",
    scale: tuple[float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """`points_to_stroke3` of many drawings at once, zero-padded: no Python loop per drawing.

    Row for row the result equals `points_to_stroke3` of each drawing followed by the division
    by `scale` in float32 (bit for bit), so batches made here and one drawing at a time agree.

    Args:
        points: np.ndarray. `(m, 3)` points (x, y, end flag) of the drawings one after another,
            any numeric dtype (see `gather_points`).
        lengths: array-like of int. `(b,)` point counts, each >= 1, summing to m.
        normalize: str. "aspect", "per_axis" or "none". Defaults to "aspect".
        flag: str. "end" or "start". Defaults to "end".
        max_len: int or None. Keep at most this many rows a drawing. Defaults to None.
        truncate: str. "end" or "uniform", as in `drawing_to_stroke3`. Defaults to "end".
        scale: tuple of 2 floats or None. Divisors of dx and dy. Defaults to None (none).

    Returns:
        `(b, T, 3) float32` (T the longest sequence, at least 1; zero rows after a drawing's end)
        and the `(b,) int64` sequence lengths.

    Example:
    >>> pts = np.array([[0, 0, 0], [10, 0, 1], [3, 4, 1]])
    >>> seqs, n = points_to_stroke3_batch(pts, [2, 1])
    >>> seqs.shape, n.tolist()
    ((2, 2, 3), [2, 1])
    """
    _check_option("normalize", normalize, NORMALIZE)
    _check_option("flag", flag, FLAGS)
    _check_option("truncate", truncate, TRUNCATE)
    points, lengths = check_point_batch(points, lengths)
    if max_len is not None and int(max_len) < 1:
        raise DataFormatError(f"max_len must be >= 1, got {max_len}")
    n = len(lengths)
    if n == 0:
        return np.zeros((0, 1, 3), np.float32), lengths
    x, y = points[:, 0].astype(np.float64), points[:, 1].astype(np.float64)
    if points.dtype.kind == "f" and not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise DataFormatError("drawing has NaN or infinite values")
    starts = np.cumsum(lengths) - lengths
    end = points[:, 2] > 0
    end[starts + lengths - 1] = True  # the last point always ends a stroke
    stroke = np.zeros(len(x), np.int64)
    np.cumsum(end[:-1], out=stroke[1:])  # global stroke ids: a drawing always starts a new one
    drawing = np.repeat(np.arange(n), lengths)
    x, y = _normalize_segments(x, y, starts, drawing, normalize)
    keep = np.ones(len(x), dtype=bool)
    keep[1:] = (stroke[1:] != stroke[:-1]) | (x[1:] != x[:-1]) | (y[1:] != y[:-1])
    counts = lengths
    if not keep.all():
        x, y, stroke, drawing = x[keep], y[keep], stroke[keep], drawing[keep]
        counts = np.bincount(drawing, minlength=n)
    if max_len is not None and (counts > int(max_len)).any():
        rows = _select_rows_batch(stroke, drawing, counts, int(max_len), truncate)
        x, y, stroke, drawing = x[rows], y[rows], stroke[rows], drawing[rows]
        counts = np.bincount(drawing, minlength=n)
    first = np.ones(len(x), dtype=bool)
    first[1:] = stroke[1:] != stroke[:-1]
    starts = np.cumsum(counts) - counts
    width = max(1, int(counts.max()))
    out = np.zeros(n * width * 3, np.float32)
    at = (np.arange(len(x)) + np.repeat(np.arange(n) * width - starts, counts)) * 3
    for column, values in ((0, x), (1, y)):
        delta = np.empty_like(values)
        delta[1:] = values[1:] - values[:-1]
        delta[starts] = values[starts] - 0.0
        delta = delta.astype(np.float32)
        if scale is not None:
            delta /= scale[column]
        out[at + column] = delta
    if flag == "end":
        out[at[:-1] + 2] = first[1:]
        out[at[-1] + 2] = 1.0
    else:
        out[at + 2] = first
    return out.reshape(n, width, 3), counts


def _normalize_segments(x, y, starts, drawing, normalize: str):
    """`_normalize` of every drawing (rows `starts[i]:` of drawing i), in one pass."""
    if normalize == "none":
        return x, y
    low_x, low_y = np.minimum.reduceat(x, starts), np.minimum.reduceat(y, starts)
    extent_x = np.maximum.reduceat(x, starts) - low_x
    extent_y = np.maximum.reduceat(y, starts) - low_y
    if normalize == "aspect":
        side = np.maximum(extent_x, extent_y)
        side = np.where(side > 0, side, 1.0)
        side_x = side_y = side
    else:
        side_x = np.where(extent_x > 0, extent_x, 1.0)
        side_y = np.where(extent_y > 0, extent_y, 1.0)
    return (x - low_x[drawing]) / side_x[drawing], (y - low_y[drawing]) / side_y[drawing]


def _select_rows_batch(stroke, drawing, counts, max_len: int, truncate: str) -> np.ndarray:
    """`_select_rows` of every drawing at once: the sorted indices of the rows kept."""
    starts = np.cumsum(counts) - counts
    long = counts > max_len
    keep = ~long[drawing]
    if truncate == "end":
        keep |= (np.arange(len(stroke)) - starts[drawing]) < max_len
        return np.flatnonzero(keep)
    boundary = np.ones(len(stroke), dtype=bool)  # first or last point of its stroke
    boundary[1:-1] = (stroke[1:-1] != stroke[:-2]) | (stroke[1:-1] != stroke[2:])
    n_ends = np.bincount(drawing, weights=boundary, minlength=len(counts)).astype(np.int64)
    among_ends = long & (n_ends >= max_len)
    with_others = long & ~among_ends
    keep |= with_others[drawing] & boundary
    for pool, chosen, k in (
        (boundary & among_ends[drawing], among_ends, np.full(len(counts), max_len)),
        (~boundary & with_others[drawing], with_others, max_len - n_ends),
    ):
        if not chosen.any():
            continue
        where = np.flatnonzero(pool)
        size = np.bincount(drawing[where], minlength=len(counts))[chosen]
        k = k[chosen]
        picks = _evenly_batch(size, k) + np.repeat(np.cumsum(size) - size, k)
        keep[where[picks]] = True
    return np.flatnonzero(keep)


def _evenly_batch(n: np.ndarray, k: np.ndarray) -> np.ndarray:
    """`_evenly(n[i], k[i])` for every i, concatenated (same float64 arithmetic as linspace)."""
    i = np.arange(int(k.sum()), dtype=np.int64) - np.repeat(np.cumsum(k) - k, k)
    spread = k > 1
    step = np.zeros(len(k))
    step[spread] = (n[spread] - 1.0) / (k[spread] - 1)
    y = i * np.repeat(step, k)
    lasts = (np.cumsum(k) - 1)[spread]
    y[lasts] = n[spread] - 1.0
    return np.floor(y + 0.5).astype(np.int64)
