"""Seeded stroke augmentation: random scale and stretch, small rotation, point dropping.

All randomness comes from the `np.random.Generator` passed in, so the same generator state gives
the same result.
"""

from __future__ import annotations

import numpy as np

from seqdoodle.errors import DataFormatError
from seqdoodle.strokes.points import points_to_strokes, strokes_to_points
from seqdoodle.strokes.stroke3_batch import check_point_batch


def augment_points(
    points: np.ndarray,
    rng: np.random.Generator,
    scale: tuple[float, float] = (0.9, 1.1),
    stretch: float = 0.1,
    rotate_deg: float = 10.0,
    drop_prob: float = 0.1,
) -> np.ndarray:
    """Randomly transform one drawing in point form; returns a new `(m, 3) float32` array.

    The drawing is scaled by one factor drawn from `scale`, each axis stretched by
    `1 + U(-stretch, stretch)`, and rotated by `U(-rotate_deg, rotate_deg)` degrees, all about the
    centre of its bounding box. Then every point that is neither the first nor the last of its
    stroke is dropped with probability `drop_prob`, so the stroke count is unchanged.

    Args:
        points: np.ndarray. `(n, 3)` rows (x, y, end-of-stroke flag), any numeric dtype.
        rng: np.random.Generator. Source of all randomness.
        scale: tuple of 2 floats. Range of the uniform scale factor. Defaults to (0.9, 1.1).
        stretch: float. Per-axis stretch range, in [0, 1). Defaults to 0.1.
        rotate_deg: float. Largest rotation in degrees. Defaults to 10.
        drop_prob: float. Probability of dropping an inner point, in [0, 1]. Defaults to 0.1.

    Returns:
        `(m, 3) float32` with m <= n: transformed x, y and the end flags (1 on each stroke's
        last point; the last row is always an end).

    Example:
    >>> pts = np.array([[0, 0, 0], [50, 10, 0], [100, 0, 1], [20, 80, 1]], dtype=np.int16)
    >>> out = augment_points(pts, np.random.default_rng(0))
    >>> out.dtype, int(out[:, 2].sum())
    (dtype('float32'), 2)
    """
    if not isinstance(rng, np.random.Generator):
        raise DataFormatError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    points = np.asarray(points)
    if points.ndim != 2 or points.shape[1] != 3 or len(points) == 0:
        raise DataFormatError(f"points must have shape (n, 3) with n >= 1, got {points.shape}")
    low, high = _check_options(scale, stretch, drop_prob)
    xy = points[:, :2].astype(np.float64)
    if not np.isfinite(xy).all():
        raise DataFormatError("points have NaN or infinite coordinates")
    end = points[:, 2] > 0
    end[-1] = True

    factor = rng.uniform(low, high) * (1.0 + rng.uniform(-stretch, stretch, size=2))
    angle = np.deg2rad(rng.uniform(-rotate_deg, rotate_deg))
    cos, sin = np.cos(angle), np.sin(angle)
    rotation = np.array([[cos, -sin], [sin, cos]])
    centre = (xy.min(axis=0) + xy.max(axis=0)) / 2.0
    moved = ((xy - centre) * factor) @ rotation.T + centre

    start = np.ones(len(xy), dtype=bool)
    start[1:] = end[:-1]
    keep = start | end | (rng.random(len(xy)) >= drop_prob)
    out = np.empty((int(keep.sum()), 3), dtype=np.float32)
    out[:, :2] = moved[keep]
    out[:, 2] = end[keep]
    return out


def augment_strokes(strokes, rng: np.random.Generator, **options) -> list[list[list[float]]]:
    """`augment_points` on Google strokes; returns strokes `[[xs, ys], ...]` of floats.

    Args:
        strokes: list. Strokes `[xs, ys]` or `[xs, ys, ts]` (times are dropped).
        rng: np.random.Generator. Source of all randomness.
        **options: the keyword arguments of `augment_points`.

    Returns:
        list of strokes with float coordinates, as many strokes as non-empty input strokes.

    Example:
    >>> len(augment_strokes([[[0, 5, 9], [0, 5, 0]], [[3], [3]]], np.random.default_rng(1)))
    2
    """
    points = strokes_to_points(strokes, dtype=np.float64)
    return points_to_strokes(augment_points(points, rng, **options))


def augment_points_batch(
    points: np.ndarray,
    lengths,
    rng: np.random.Generator,
    scale: tuple[float, float] = (0.9, 1.1),
    stretch: float = 0.1,
    rotate_deg: float = 10.0,
    drop_prob: float = 0.1,
) -> tuple[np.ndarray, np.ndarray]:
    """`augment_points` for many drawings at once (no Python loop per drawing).

    Every drawing gets its own scale, stretch and rotation (about the centre of its bounding
    box) and loses inner points with probability `drop_prob`, as in `augment_points`; the random
    numbers are drawn in blocks (factors, stretches, angles, then one uniform per point), so the
    result depends only on the generator's state and the input, not on how it was batched before.

    Args:
        points: np.ndarray. `(m, 3)` points (x, y, end flag) of the drawings one after another.
        lengths: array-like of int. `(b,)` point counts, each >= 1, summing to m.
        rng: np.random.Generator. Source of all randomness.
        scale: tuple of 2 floats. Range of the uniform scale factor. Defaults to (0.9, 1.1).
        stretch: float. Per-axis stretch range, in [0, 1). Defaults to 0.1.
        rotate_deg: float. Largest rotation in degrees. Defaults to 10.
        drop_prob: float. Probability of dropping an inner point, in [0, 1]. Defaults to 0.1.

    Returns:
        `(m', 3) float32` points (end flag 1 on each stroke's last point and on each drawing's
        last point) and the `(b,) int64` new point counts.

    Example:
    >>> pts = np.array([[0, 0, 0], [50, 10, 0], [100, 0, 1], [20, 80, 1]], dtype=np.int16)
    >>> out, n = augment_points_batch(pts, [3, 1], np.random.default_rng(0), drop_prob=1.0)
    >>> n.tolist()
    [2, 1]
    """
    if not isinstance(rng, np.random.Generator):
        raise DataFormatError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    points, lengths = check_point_batch(points, lengths)
    low, high = _check_options(scale, stretch, drop_prob)
    n = len(lengths)
    x, y = points[:, 0].astype(np.float64), points[:, 1].astype(np.float64)
    if points.dtype.kind == "f" and not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise DataFormatError("points have NaN or infinite coordinates")
    if n == 0:
        return np.zeros((0, 3), np.float32), lengths
    starts = np.cumsum(lengths) - lengths
    drawing = np.repeat(np.arange(n), lengths)
    end = points[:, 2] > 0
    end[starts + lengths - 1] = True

    factor = rng.uniform(low, high, n)[:, None] * (1.0 + rng.uniform(-stretch, stretch, (n, 2)))
    angle = np.deg2rad(rng.uniform(-rotate_deg, rotate_deg, n))
    centre_x = (np.minimum.reduceat(x, starts) + np.maximum.reduceat(x, starts)) / 2.0
    centre_y = (np.minimum.reduceat(y, starts) + np.maximum.reduceat(y, starts)) / 2.0
    # Per drawing: p' = R (F (p - c)) + c = A p + b, with A = R F and b = c - A c.
    cos, sin = np.cos(angle), np.sin(angle)
    a11, a12 = cos * factor[:, 0], -sin * factor[:, 1]
    a21, a22 = sin * factor[:, 0], cos * factor[:, 1]
    b1 = centre_x - a11 * centre_x - a12 * centre_y
    b2 = centre_y - a21 * centre_x - a22 * centre_y

    start = np.ones(len(x), dtype=bool)
    start[1:] = end[:-1]
    keep = start | end | (rng.random(len(x)) >= drop_prob)
    index = np.flatnonzero(keep)
    x, y, kept = x[index], y[index], drawing[index]
    out = np.empty((len(index), 3), dtype=np.float32)
    out[:, 0] = a11[kept] * x + a12[kept] * y + b1[kept]
    out[:, 1] = a21[kept] * x + a22[kept] * y + b2[kept]
    out[:, 2] = end[index]
    return out, np.bincount(kept, minlength=n).astype(np.int64)


def _check_options(scale, stretch: float, drop_prob: float) -> tuple[float, float]:
    low, high = float(scale[0]), float(scale[1])
    if not 0 < low <= high:
        raise DataFormatError(
            f"scale must be a range (low, high) with 0 < low <= high, got {scale}"
        )
    if not 0 <= stretch < 1:
        raise DataFormatError(f"stretch must be in [0, 1), got {stretch}")
    if not 0 <= drop_prob <= 1:
        raise DataFormatError(f"drop_prob must be in [0, 1], got {drop_prob}")
    return low, high
