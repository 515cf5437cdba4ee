"""Google's simplification of raw Quick, Draw! drawings into the "simplified" format.

The four documented steps, with the details that reproduce Google's files (found by comparing
the raw and simplified versions of the 7,992 drawings present in both formats; run
`python -m experiments.studies.simplify_report`; 99.97% come out identical, point for point):

1. Align: subtract the minimum x and y over all points of the drawing.
2. Scale uniformly: multiply by 255, then divide by the larger of width and height (in that order
   of float operations). A drawing whose points all coincide is left unscaled (all zeros).
3. Resample each stroke at 1-unit spacing along its arc length, starting at the first point, and
   ending with the exact last point. Segment lengths are `sqrt(dx*dx + dy*dy)`; a sample at arc
   length s on segment j is `p[j] * (1 - t) + p[j + 1] * t`. A stroke of one point, or of zero
   length, becomes that point twice (Google has no one-point strokes).
4. Ramer-Douglas-Peucker with epsilon 2.0, distance measured to the infinite line through the
   two ends (`|dx * (sy - py) - dy * (sx - px)| / length`; to the start point when both ends
   coincide), the first of equally distant points wins, a point is kept when its distance is
   strictly greater than epsilon.
5. Round half to even (Python's `round`) to integers.

The result is only approximately aligned: resampling cuts corners and the line-distance RDP can
drop an extreme point, so the longer side may end at 253 or 254, or an axis start above 0 (in
Google's files and ours alike, about 12% of drawings do not reach 255 and 20% do not start at 0
on both axes). Simplifying a simplified drawing again is therefore not exactly idempotent; it
re-rounds and drops points, moving none by more than rounding (a property test checks this).

Speed: a drawing's strokes are handled as one array. Resampling interpolates every sample of every
stroke in one step; RDP runs breadth-first, each round measuring the distances of the inner points
of every open segment of every stroke in one vectorised step (a segmented arg-max picks each
segment's farthest point). The arithmetic is element for element that of the straightforward
per-stroke, per-segment version, so the output is identical (`tests/strokes/test_simplify.py`
checks it against that version on real raw drawings); the server spends far less time here.
"""

from __future__ import annotations

import numpy as np

from seqdoodle.errors import DataFormatError

EPSILON = 2.0
SPACING = 1.0
TARGET_MAX = 255.0


def simplify_strokes(raw_strokes, epsilon: float = EPSILON) -> list[list[list[int]]]:
    """Turn raw strokes (any scale, float coordinates) into Google's simplified strokes.

    Args:
        raw_strokes: list. Strokes `[xs, ys]` or `[xs, ys, ts]` (times are dropped), lists or
            arrays of any numeric type. Empty strokes are dropped.
        epsilon: float. RDP tolerance in the 0..255 frame. Defaults to 2.0 (Google's).

    Returns:
        list of strokes `[xs, ys]` of Python ints in 0..255, at least 2 points each, aligned to
        the top-left corner with the longer side spanning 0..255.

    Raises:
        DataFormatError: malformed strokes, NaN/infinite coordinates, a span beyond float64,
            or no points at all.

    Example:
    >>> simplify_strokes([[[100, 150, 300], [200, 201, 250]], [[120], [240]]])
    [[[0, 64, 255], [0, 1, 64]], [[26, 26], [51, 51]]]
    """
    strokes = _raw_to_arrays(raw_strokes)
    allxy = np.concatenate(strokes) if len(strokes) > 1 else strokes[0]
    low = allxy.min(axis=0)
    with np.errstate(over="ignore", invalid="ignore"):
        extent = float((allxy - low).max())
    if not np.isfinite(extent):
        raise DataFormatError("coordinates span more than float64 can hold")
    xy = allxy - low
    if extent > 0:
        xy = xy * TARGET_MAX / extent
    lengths = np.fromiter((len(s) for s in strokes), np.int64, len(strokes))
    dense, bounds = _resample_all(xy, lengths)
    keep = _rdp_keep(dense, bounds, epsilon)
    ints = np.round(dense[keep]).astype(np.int64)
    ends = np.cumsum(np.add.reduceat(keep, bounds[:-1]))
    xs, ys = ints[:, 0].tolist(), ints[:, 1].tolist()
    out, start = [], 0
    for end in ends.tolist():
        out.append([xs[start:end], ys[start:end]])
        start = end
    return out


def _raw_to_arrays(raw_strokes) -> list[np.ndarray]:
    if isinstance(raw_strokes, (str, bytes)) or not hasattr(raw_strokes, "__len__"):
        raise DataFormatError(
            f"drawing must be a list of strokes, got {type(raw_strokes).__name__}"
        )
    strokes = []
    for i, stroke in enumerate(raw_strokes):
        if len(stroke) < 2 or len(stroke[0]) != len(stroke[1]):
            raise DataFormatError(f"stroke {i}: expected [xs, ys] or [xs, ys, ts] of equal length")
        try:
            xy = np.array([stroke[0], stroke[1]], dtype=np.float64).T
        except (TypeError, ValueError):
            raise DataFormatError(f"stroke {i}: coordinates are not numbers") from None
        if xy.ndim != 2:
            raise DataFormatError(f"stroke {i}: x and y must be flat lists")
        if not np.isfinite(xy).all():
            raise DataFormatError(f"stroke {i}: NaN or infinite coordinates")
        if len(xy):
            strokes.append(xy)
    if not strokes:
        raise DataFormatError("drawing has no points")
    return strokes


def _resample_all(xy: np.ndarray, lengths: np.ndarray):
    """Resample every stroke of `xy` (strokes of `lengths` points, one after another).

    Each stroke gets a point at every whole unit of its arc length (`SPACING` is 1), starting at
    its first point, and ends with its exact last point; a stroke of one point or of zero length
    becomes its first point twice. Segment lengths are `sqrt(dx*dx + dy*dy)`, summed in order
    along each stroke; a sample at arc length s on segment j is `p[j] * (1 - t) + p[j + 1] * t`
    with `t = (s - cum[j]) / len[j]`, j the last point whose arc length is at most s.

    Returns:
        `(dense (m, 2) float64, bounds (n_strokes + 1,) int64)`: stroke k is
        `dense[bounds[k]:bounds[k + 1]]`.
    """
    n_points, n_strokes = len(xy), len(lengths)
    starts = np.cumsum(lengths) - lengths
    step = np.diff(xy, axis=0)
    seg = np.zeros(n_points, np.float64)  # seg[i]: point i to point i + 1 of its stroke
    seg[:-1] = np.sqrt(step[:, 0] ** 2 + step[:, 1] ** 2)
    # Arc length at every point, summed in order within each stroke (a padded table, so that
    # each stroke's running sum adds exactly the same numbers in the same order).
    width = int(lengths.max())
    table = np.zeros((n_strokes, width), np.float64)
    inside = np.arange(width) < lengths[:, None]
    shifted = inside.copy()
    shifted[:, 0] = False
    shifted[:, 1:] &= inside[:, 1:]
    before = np.repeat(starts, lengths - 1) + _ranks(lengths - 1)  # segment before each point
    table[shifted] = seg[before]
    np.cumsum(table, axis=1, out=table)
    cum = table[inside]  # (n_points,)
    total = cum[starts + lengths - 1]
    real = (lengths > 1) & (total > 0)
    # Samples at arc lengths 0, 1, ..., ceil(total) - 1 and then total; degenerate strokes: 2.
    ceil_total = np.ceil(total).astype(np.int64)
    sizes = np.where(real, ceil_total + 1, 2)
    bounds = np.zeros(n_strokes + 1, np.int64)
    np.cumsum(sizes, out=bounds[1:])
    stroke = np.repeat(np.arange(n_strokes), sizes)
    rank = _ranks(sizes)  # each sample's position in its stroke
    # j = (points of the stroke with cum <= s) - 1: a point counts from sample ceil(cum) on.
    counted = np.repeat(real, lengths)
    owner = np.repeat(np.arange(n_strokes), lengths)[counted]
    first_sample = bounds[owner] + np.ceil(cum[counted]).astype(np.int64)
    upto = np.cumsum(np.bincount(first_sample, minlength=len(stroke)))
    passed = np.zeros(n_strokes, np.int64)
    np.cumsum((lengths * real)[:-1], out=passed[1:])
    j = upto - 1 - passed[stroke]
    j = np.minimum(j, lengths[stroke] - 2)
    j = np.where(real[stroke], j, 0) + starts[stroke]
    at = rank.astype(np.float64)
    at[bounds[1:] - 1] = np.where(real, total, 0.0)
    s = seg[j]
    with np.errstate(invalid="ignore"):
        t = (at - cum[j]) / np.where(s > 0, s, 1.0)
    t[~real[stroke]] = 0.0
    following = np.minimum(j + 1, n_points - 1)
    dense = xy[j] * (1.0 - t)[:, None] + xy[following] * t[:, None]
    dense[bounds[:-1]] = xy[starts]
    dense[bounds[1:] - 1] = xy[np.where(real, starts + lengths - 1, starts)]
    return dense, bounds


def _ranks(sizes: np.ndarray) -> np.ndarray:
    """`[0, 1, ..., sizes[0] - 1, 0, 1, ..., sizes[1] - 1, ...]` as int64."""
    sizes = np.asarray(sizes, np.int64)
    return np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)


def _rdp_keep(xy: np.ndarray, bounds: np.ndarray, epsilon: float) -> np.ndarray:
    """Ramer-Douglas-Peucker keep-mask of every stroke at once (line distance), breadth-first.

    Each round takes every open segment `(a, b)` of every stroke, measures the distance of its
    inner points to the line through `xy[a]` and `xy[b]` (to `xy[a]` when the two coincide),
    keeps each segment's farthest point (the first of equals) when it is farther than `epsilon`
    and splits the segment there.

    Args:
        xy: `(m, 2) float64`. The resampled strokes, one after another.
        bounds: `(n_strokes + 1,) int64`. Stroke k is `xy[bounds[k]:bounds[k + 1]]`.
        epsilon: float. The tolerance.

    Returns:
        `(m,) bool`.
    """
    keep = np.zeros(len(xy), dtype=bool)
    a, b = bounds[:-1], bounds[1:] - 1
    keep[a] = keep[b] = True
    x, y = xy[:, 0], xy[:, 1]
    while True:
        inner = b - a - 1
        open_ = inner > 0
        if not open_.all():
            a, b, inner = a[open_], b[open_], inner[open_]
        if not len(a):
            return keep
        starts = inner.cumsum() - inner
        at = np.arange(int(starts[-1] + inner[-1])) + (a + 1 - starts).repeat(inner)
        sx, sy = x[a], y[a]
        dx, dy = x[b] - sx, y[b] - sy
        length = np.sqrt(dx * dx + dy * dy)
        px, py = x[at], y[at]
        # |dx * (sy - py) - dy * (sx - px)| / length, in place, point by point
        dist = sy.repeat(inner) - py
        dist *= dx.repeat(inner)
        across = sx.repeat(inner) - px
        across *= dy.repeat(inner)
        dist -= across
        np.abs(dist, out=dist)
        if length.all():
            dist /= length.repeat(inner)
        else:  # segments whose ends coincide: the distance to that point
            point = (length == 0).repeat(inner)
            dist[~point] /= length.repeat(inner)[~point]
            qx, qy = sx.repeat(inner)[point], sy.repeat(inner)[point]
            dist[point] = np.sqrt((px[point] - qx) ** 2 + (py[point] - qy) ** 2)
        best = np.maximum.reduceat(dist, starts)
        ties = np.flatnonzero(dist == best.repeat(inner))
        first = ties[ties.searchsorted(starts)]  # each segment's first farthest point
        split = best > epsilon
        m = at[first[split]]
        keep[m] = True
        a = np.concatenate([a[split], m])
        b = np.concatenate([m, b[split]])
