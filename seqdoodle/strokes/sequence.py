"""Stroke-3 sequences: rows of (dx, dy, pen flag), the input of the stroke model.

A drawing becomes one row per point. The first row holds the first point's position relative to
the normalised origin (0, 0); every later row the offset from the previous point. The pen flag
is 1 on the last point of each stroke (`flag="end"`, TensorFlow's RNN tutorial) or on the first
point of each stroke (`flag="start"`). Consecutive duplicate points within a stroke are dropped:
they carry no information and would give a zero row, which looks like padding.

Zero rows can still occur with `flag="end"` when a stroke starts exactly where the previous one
ended, or when the first point is the origin; build padding masks from sequence lengths, not from
zero rows. With `flag="start"` no row of an encoded drawing is all zeros.
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


def pad_sequences(sequences, max_len: int | None = None) -> np.ndarray:
    """Stack sequences into one zero-padded `(batch, T, F) float32` array.

    Args:
        sequences: list of `(n_i, F)` arrays (same F).
        max_len: int or None. T; longer sequences keep their first `max_len` rows. Defaults to
            None (the longest length).

    Returns:
        `(batch, T, F) float32`, row i holding sequence i followed by zero rows.

    Example:
    >>> pad_sequences([np.ones((2, 3)), np.ones((1, 3))]).shape
    (2, 2, 3)
    """
    arrays = [np.asarray(s, dtype=np.float32) for s in sequences]
    if not arrays:
        raise DataFormatError("pad_sequences: no sequences given")
    features = {a.shape[1] if a.ndim == 2 else None for a in arrays}
    if len(features) != 1 or None in features:
        raise DataFormatError(
            f"pad_sequences: sequences must be 2-D with one width, got {features}"
        )
    longest = max(len(a) for a in arrays)
    width = longest if max_len is None else int(max_len)
    if width < 0:
        raise DataFormatError(f"pad_sequences: max_len must be >= 0, got {max_len}")
    out = np.zeros((len(arrays), width, features.pop()), dtype=np.float32)
    for i, a in enumerate(arrays):
        n = min(len(a), width)
        out[i, :n] = a[:n]
    return out


def bucket_boundaries(lengths, n_buckets: int) -> list[int]:
    """Quantile-based length boundaries for `tf.data`'s `bucket_by_sequence_length`.

    Bucket 0 holds lengths below `boundaries[0]`, bucket i lengths in
    `[boundaries[i-1], boundaries[i])`, the last bucket the rest; each holds about
    `1 / n_buckets` of the sequences.

    Args:
        lengths: array-like of ints. Sequence lengths (of the training split).
        n_buckets: int. Wanted number of buckets (>= 1). Ties can merge buckets.

    Returns:
        Strictly increasing list of at most `n_buckets - 1` ints.

    Example:
    >>> bucket_boundaries([1, 2, 3, 4, 5, 6, 7, 8], 2)
    [5]
    """
    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or lengths.size == 0:
        raise DataFormatError("bucket_boundaries: lengths must be a non-empty 1-D list")
    if int(n_buckets) < 1:
        raise DataFormatError(f"bucket_boundaries: n_buckets must be >= 1, got {n_buckets}")
    q = np.arange(1, int(n_buckets)) / int(n_buckets)
    cuts = np.floor(np.quantile(lengths, q, method="lower")).astype(np.int64) + 1
    cuts = cuts[(cuts > lengths.min()) & (cuts <= lengths.max())]
    return np.unique(cuts).tolist()


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


# ----------------------------------------------------------------------------- whole batches


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
