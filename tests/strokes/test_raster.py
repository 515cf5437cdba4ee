"""Rendering: Google-exact bitmaps on real data, batch/single agreement, edge cases, fallback."""

from __future__ import annotations

import json
from itertools import islice

import numpy as np
import pytest

from seqdoodle.errors import DataFormatError
from seqdoodle.strokes import raster
from seqdoodle.strokes.points import strokes_to_points
from seqdoodle.strokes.raster import render_bitmap, render_bitmaps, render_points

SQUARE = [[[0, 255, 255, 0, 0], [0, 0, 255, 255, 0]]]
FACE = [
    [[10, 60, 120, 200, 240, 230, 150, 60, 10], [120, 30, 5, 20, 110, 200, 250, 230, 120]],
    [[80], [90]],
    [[170], [90]],
    [[70, 100, 140, 170], [170, 195, 195, 170]],
]

# Bitmap row i is the drawing on line i of the simplified file, except that eye's bitmap file
# holds one extra drawing (row 45) that is absent from simplified/eye.ndjson.
GOOGLE_CASES = [("apple", 100, 0), ("eye", 100, 1)] + [
    (name, 25, 0) for name in ("bicycle", "cat", "fish", "diamond", "cloud", "train", "smiley face")
]


def read_simplified(folder, name, n):
    with open(folder / "simplified" / f"{name}.ndjson", encoding="utf-8") as f:
        return [json.loads(line)["drawing"] for line in islice(f, n)]


@pytest.mark.parametrize("name, n, extra_rows", GOOGLE_CASES)
def test_matches_google_bitmaps_byte_for_byte(shared_quickdraw, name, n, extra_rows):
    drawings = read_simplified(shared_quickdraw, name, n)
    bitmaps = np.load(shared_quickdraw / "bitmap" / f"{name}.npy", mmap_mode="r")
    bitmaps = np.asarray(bitmaps[: n + extra_rows]).reshape(-1, 28, 28)
    row, skipped = 0, 0
    for i, strokes in enumerate(drawings):
        image = render_bitmap(strokes)
        while not np.array_equal(image, bitmaps[row]) and skipped < extra_rows:
            row, skipped = row + 1, skipped + 1
        assert np.array_equal(image, bitmaps[row]), f"{name} line {i} != bitmap row {row}"
        row += 1
    assert len(drawings) == n


def test_batch_equals_single_and_points_form(shared_quickdraw):
    drawings = read_simplified(shared_quickdraw, "cat", 25) + [SQUARE, FACE]
    batch = render_bitmaps(drawings)
    assert batch.shape == (len(drawings), 28, 28) and batch.dtype == np.uint8
    for strokes, image in zip(drawings, batch):
        assert np.array_equal(image, render_bitmap(strokes))
        assert np.array_equal(image, render_points(strokes_to_points(strokes)))


def test_other_sizes_scale_the_same_geometry():
    small, large = render_bitmap(FACE, 28), render_bitmap(FACE, 64)
    assert large.shape == (64, 64) and large.dtype == np.uint8
    assert large.max() == 255 and (large > 0).sum() > (small > 0).sum()

    def centroid(image):
        ys, xs = np.indices(image.shape)
        w = image.astype(float)
        return np.array([(xs * w).sum(), (ys * w).sum()]) / w.sum() / image.shape[0]

    assert np.allclose(centroid(small), centroid(large), atol=0.02)


def test_single_point_is_a_centred_dot():
    image = render_bitmap([[[100], [100]]], size=38)  # scale 1/8
    # Google centres on the max: (256 - 100) / 2 + 100 + 24 = 202 units = pixel 25.25
    ys, xs = np.nonzero(image)
    assert len(xs) > 0 and image.max() > 100
    assert set(xs) <= {24, 25, 26} and set(ys) <= {24, 25, 26}
    assert np.array_equal(render_bitmap([[[100, 100], [100, 100]]], size=38), image)


def test_empty_strokes_are_skipped():
    with_empty = [[[], []], *FACE, [[], []]]
    assert np.array_equal(render_bitmap(with_empty), render_bitmap(FACE))


@pytest.mark.parametrize(
    "bad",
    [
        [],
        [[[], []]],
        [[[0, 1], [0]]],
        [[[0, 1]]],
        [[[0, float("nan")], [0, 1]]],
        [[[0, float("inf")], [0, 1]]],
        [[["a", "b"], [0, 1]]],
        "not strokes",
        5,
    ],
)
def test_bad_drawings_raise_data_format_error(bad):
    with pytest.raises(DataFormatError):
        render_bitmap(bad)


def test_batch_error_names_the_drawing():
    with pytest.raises(DataFormatError, match="drawing 1"):
        render_bitmaps([SQUARE, []])


@pytest.mark.parametrize("size, backend", [(0, "auto"), (28.5, "auto"), (28, "opengl")])
def test_bad_options_raise(size, backend):
    with pytest.raises(DataFormatError):
        render_bitmap(SQUARE, size=size, backend=backend)


def test_numpy_backend_is_close_to_cairo():
    drawings = [SQUARE, FACE, [[[30], [200]]], [[[0, 255], [0, 120]]]]
    exact = render_bitmaps(drawings, backend="cairo")
    approx = render_bitmaps(drawings, backend="numpy")
    assert approx.shape == exact.shape and approx.dtype == np.uint8
    error = np.abs(approx.astype(int) - exact)
    assert error.mean() < 2.0 and error.max() < 48
    assert np.corrcoef(approx.ravel(), exact.ravel())[0, 1] > 0.99


@pytest.mark.slow
def test_process_pool_gives_the_same_images():
    drawings = [FACE, SQUARE, [[[5], [9]]]] * 700  # 2,100 drawings: above the pool threshold
    single = render_bitmaps(drawings)
    assert np.array_equal(render_bitmaps(drawings, workers=2), single)
    assert raster.cairo_available()
