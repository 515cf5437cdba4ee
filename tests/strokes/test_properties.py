"""Property tests (hypothesis) for stroke-3, rendering and simplification."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from seqdoodle.strokes.raster import render_bitmap
from seqdoodle.strokes.simplify import simplify_strokes
from seqdoodle.strokes.stroke3 import drawing_to_stroke3, stroke3_to_drawing

SETTINGS = settings(max_examples=60, deadline=None)


def strokes_of(values, max_strokes=5, max_points=15):
    """Drawings of 1..max_strokes strokes, each 1..max_points points drawn from `values`."""
    point = st.tuples(values, values)
    stroke = st.lists(point, min_size=1, max_size=max_points).map(
        lambda pts: [[p[0] for p in pts], [p[1] for p in pts]]
    )
    return st.lists(stroke, min_size=1, max_size=max_strokes)


INT_DRAWINGS = strokes_of(st.integers(0, 255))
FLOAT_DRAWINGS = strokes_of(st.floats(0, 255, allow_nan=False))
RAW_DRAWINGS = strokes_of(st.floats(-1000, 1000, allow_nan=False), max_points=30)


def to_simplified_frame(drawing):
    """Align to 0 and scale the longer side to exactly 0..255 (integers), as stroke-3 decodes."""
    xy = np.concatenate([np.array(s).T for s in drawing]).astype(float)
    low, side = xy.min(axis=0), max(float(np.ptp(xy, axis=0).max()), 1.0)
    return [
        [
            [round((x - low[0]) * 255 / side) for x in s[0]],
            [round((y - low[1]) * 255 / side) for y in s[1]],
        ]
        for s in drawing
    ]


def without_repeats(drawing):
    """Drop consecutive duplicate points inside each stroke (what the encoder does)."""
    out = []
    for xs, ys in drawing:
        pts = [p for i, p in enumerate(zip(xs, ys)) if i == 0 or p != (xs[i - 1], ys[i - 1])]
        out.append([[p[0] for p in pts], [p[1] for p in pts]])
    return out


@SETTINGS
@given(INT_DRAWINGS, st.sampled_from(["end", "start"]))
def test_stroke3_round_trip(drawing, flag):
    # raw units: decode gives the drawing back, encode gives the sequence back, exactly
    seq = drawing_to_stroke3(drawing, normalize="none", flag=flag)
    back = stroke3_to_drawing(seq, flag=flag, scale=1)
    assert back == without_repeats(drawing)
    assert np.array_equal(drawing_to_stroke3(back, normalize="none", flag=flag), seq)
    # the simplified frame with aspect normalisation: same, through the 0..1 scale
    framed = to_simplified_frame(drawing)
    seq = drawing_to_stroke3(framed, flag=flag)
    back = stroke3_to_drawing(seq, flag=flag, scale=255)
    assert back == without_repeats(framed)
    assert np.array_equal(drawing_to_stroke3(back, flag=flag), seq)


@SETTINGS
@given(FLOAT_DRAWINGS, st.sampled_from([8, 28, 64]))
def test_any_valid_drawing_renders(drawing, size):
    image = render_bitmap(drawing, size=size)
    assert image.shape == (size, size) and image.dtype == np.uint8
    assert image.max() > 0  # every drawing leaves ink, one-point strokes included


@SETTINGS
@given(INT_DRAWINGS, st.integers(0, 2), st.integers(0, 2))
def test_render_translation(drawing, steps_x, steps_y):
    """Google centres on the bounding box using the max only (it assumes min = 0), so:

    - an aligned drawing renders the same wherever it was before alignment;
    - translating an in-frame drawing by t moves the image by t / 2 units (half of the
      translation is cancelled by the centring). At size 38 one pixel is 8 units, so t = 16
      moves the image by exactly one pixel.
    """
    aligned = to_simplified_frame(drawing)
    moved_aligned = to_simplified_frame(
        [[[x + 37 for x in xs], [y + 11 for y in ys]] for xs, ys in drawing]
    )
    assert np.array_equal(render_bitmap(moved_aligned), render_bitmap(aligned))

    small = [[[x * 0.8 for x in xs], [y * 0.8 for y in ys]] for xs, ys in drawing]  # 0..204
    tx, ty = 16 * steps_x, 16 * steps_y
    moved = [[[x + tx for x in xs], [y + ty for y in ys]] for xs, ys in small]
    before, after = render_bitmap(small, size=38), render_bitmap(moved, size=38)
    assert np.array_equal(after[steps_y:, steps_x:], before[: 38 - steps_y, : 38 - steps_x])
    assert after.sum() == before.sum()  # nothing pushed out of the frame


@SETTINGS
@given(RAW_DRAWINGS)
def test_simplify_is_idempotent_within_rounding(raw):
    """Simplifying a simplified drawing only re-rounds and drops points.

    Exact idempotence does not hold (nor for Google's files: re-simplifying them changes most
    drawings, because resampling cuts corners and the longer side can end at 254). What holds:
    the same strokes, ends within rounding, every point within rounding of the first result.
    """
    once = simplify_strokes(raw)
    twice = simplify_strokes(once)
    assert len(twice) == len(once)
    xy = np.concatenate([np.array(s).T for s in once]).astype(float)
    low, side = xy.min(axis=0), np.ptp(xy, axis=0).max()
    factor = 255.0 / side if side > 0 else 1.0
    for first, second in zip(once, twice):
        reference = (np.array(first, dtype=float).T - low) * factor
        points = np.array(second, dtype=float).T
        assert np.abs(points[[0, -1]] - reference[[0, -1]]).max() <= 0.5
        assert distance_to_polyline(points, reference).max() <= 0.75  # sqrt(0.5) + float slack


def distance_to_polyline(points: np.ndarray, polyline: np.ndarray) -> np.ndarray:
    a, b = polyline[:-1], polyline[1:]
    if len(polyline) == 1:
        a = b = polyline
    d = b - a
    dd = np.where((d**2).sum(axis=1) > 0, (d**2).sum(axis=1), 1.0)
    rel = points[:, None, :] - a[None]
    t = np.clip((rel * d[None]).sum(axis=2) / dd, 0, 1)
    return np.sqrt(((rel - t[..., None] * d[None]) ** 2).sum(axis=2)).min(axis=1)
