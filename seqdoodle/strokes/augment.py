"""Seeded stroke augmentation: random scale and stretch, small rotation, point dropping.

All randomness comes from the `np.random.Generator` passed in, so the same generator state gives
the same result.
"""

from __future__ import annotations

import numpy as np

from seqdoodle.errors import DataFormatError
from seqdoodle.strokes.points import points_to_strokes, strokes_to_points


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
    low, high = float(scale[0]), float(scale[1])
    if not 0 < low <= high:
        raise DataFormatError(
            f"scale must be a range (low, high) with 0 < low <= high, got {scale}"
        )
    if not 0 <= stretch < 1:
        raise DataFormatError(f"stretch must be in [0, 1), got {stretch}")
    if not 0 <= drop_prob <= 1:
        raise DataFormatError(f"drop_prob must be in [0, 1], got {drop_prob}")
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
