"""Seeded stroke augmentation."""

from __future__ import annotations

import numpy as np
import pytest

from seqdoodle.errors import DataFormatError
from seqdoodle.strokes.augment import augment_points, augment_strokes
from seqdoodle.strokes.points import points_to_strokes, strokes_to_points

DRAWING = [
    [list(range(0, 200, 5)), [int(100 + 60 * np.sin(i / 6)) for i in range(40)]],
    [[30], [30]],
    [[10, 60, 120, 180], [200, 180, 190, 240]],
]
POINTS = strokes_to_points(DRAWING)
IDENTITY = {"scale": (1.0, 1.0), "stretch": 0.0, "rotate_deg": 0.0}


def stroke_ends(points):
    return [(s[0][0], s[1][0], s[0][-1], s[1][-1]) for s in points_to_strokes(points)]


def test_same_seed_same_result_other_seed_differs():
    a = augment_points(POINTS, np.random.default_rng(7))
    b = augment_points(POINTS, np.random.default_rng(7))
    c = augment_points(POINTS, np.random.default_rng(8))
    assert a.dtype == np.float32 and a.shape[1] == 3
    assert np.array_equal(a, b)
    assert a.shape != c.shape or not np.allclose(a, c)


def test_dropping_keeps_stroke_ends_and_count():
    for seed in range(20):
        out = augment_points(POINTS, np.random.default_rng(seed), drop_prob=0.5, **IDENTITY)
        assert len(points_to_strokes(out)) == 3
        assert stroke_ends(out) == stroke_ends(POINTS)
        assert len(out) < len(POINTS)  # 38 droppable points at p=0.5
        rows = {tuple(r) for r in POINTS.astype(np.float32).tolist()}
        assert all(tuple(r) in rows for r in out.tolist())  # a subset, in place
    only_ends = augment_points(POINTS, np.random.default_rng(0), drop_prob=1.0, **IDENTITY)
    assert len(only_ends) == 2 + 1 + 2


def test_no_drop_identity_returns_the_points_as_float32():
    out = augment_points(POINTS, np.random.default_rng(0), drop_prob=0.0, **IDENTITY)
    assert np.array_equal(out, POINTS.astype(np.float32))
    assert POINTS.dtype == np.int16  # input untouched


def test_rotation_keeps_distances_and_scale_scales_them():
    def span(p):
        return np.linalg.norm(p[0, :2] - p[-1, :2])

    rotated = augment_points(
        POINTS, np.random.default_rng(3), scale=(1, 1), stretch=0, rotate_deg=30, drop_prob=0
    )
    assert np.isclose(span(rotated), span(POINTS.astype(float)), rtol=1e-5)
    assert not np.allclose(rotated[:, :2], POINTS[:, :2])
    doubled = augment_points(
        POINTS, np.random.default_rng(3), scale=(2, 2), stretch=0, rotate_deg=0, drop_prob=0
    )
    assert np.isclose(span(doubled), 2 * span(POINTS.astype(float)), rtol=1e-5)


def test_default_transform_stays_near_the_original():
    for seed in range(10):
        out = augment_points(POINTS, np.random.default_rng(seed), drop_prob=0)
        centre = (POINTS[:, :2].min(axis=0) + POINTS[:, :2].max(axis=0)) / 2
        assert np.abs(out[:, :2] - POINTS[:, :2]).max() < 0.5 * np.ptp(POINTS[:, :2]) + 1
        assert np.allclose(out[:, :2].mean(axis=0), POINTS[:, :2].mean(axis=0), atol=40)
        assert np.allclose((out[:, :2].min(0) + out[:, :2].max(0)) / 2, centre, atol=40)


def test_augment_strokes_wrapper():
    out = augment_strokes(DRAWING, np.random.default_rng(1), drop_prob=0.3)
    assert len(out) == 3 and len(out[1][0]) == 1
    assert isinstance(out[0][0][0], float)


@pytest.mark.parametrize(
    "options",
    [{"scale": (0, 1)}, {"scale": (1.2, 1.1)}, {"stretch": 1.5}, {"drop_prob": -0.1}],
)
def test_bad_parameters_raise(options):
    with pytest.raises(DataFormatError):
        augment_points(POINTS, np.random.default_rng(0), **options)


def test_bad_inputs_raise():
    with pytest.raises(DataFormatError):
        augment_points(POINTS, 42)
    with pytest.raises(DataFormatError):
        augment_points(np.zeros((0, 3)), np.random.default_rng(0))
    with pytest.raises(DataFormatError):
        augment_points(np.array([[0, np.nan, 1]]), np.random.default_rng(0))
