"""Stroke-3 encoding, decoding, padding and bucketing."""

from __future__ import annotations

import numpy as np
import pytest

from seqdoodle.errors import DataFormatError
from seqdoodle.strokes.padding import bucket_boundaries, pad_sequences
from seqdoodle.strokes.points import strokes_to_points
from seqdoodle.strokes.stroke3 import drawing_to_stroke3, points_to_stroke3, stroke3_to_drawing

# width 200 (x 10..210), height 100 (y 20..120)
DRAWING = [
    [[10, 110, 210], [20, 20, 120]],
    [[60], [70]],
    [[10, 10, 60, 60, 60], [120, 120, 120, 120, 70]],
]


def test_aspect_encoding_by_hand():
    seq = drawing_to_stroke3(DRAWING)
    assert seq.dtype == np.float32
    # duplicates inside stroke 3 dropped: 3 + 1 + 3 points
    expected = [
        [0.0, 0.0, 0],  # (10, 20) -> origin
        [0.5, 0.0, 0],
        [0.5, 0.5, 1],
        [-0.75, -0.25, 1],  # one-point stroke at (60, 70)
        [-0.25, 0.25, 0],  # (10, 120)
        [0.25, 0.0, 0],
        [0.0, -0.25, 1],
    ]
    assert np.allclose(seq, expected)


def test_start_flag_marks_first_points():
    end = drawing_to_stroke3(DRAWING, flag="end")
    start = drawing_to_stroke3(DRAWING, flag="start")
    assert np.array_equal(start[:, :2], end[:, :2])
    assert start[:, 2].tolist() == [1, 0, 0, 1, 1, 0, 0]
    assert not np.any(np.all(start == 0, axis=1))  # no row looks like padding


def test_normalizations():
    per_axis = np.cumsum(drawing_to_stroke3(DRAWING, normalize="per_axis")[:, :2], axis=0)
    assert np.allclose(per_axis.min(axis=0), 0) and np.allclose(per_axis.max(axis=0), 1)
    aspect = np.cumsum(drawing_to_stroke3(DRAWING)[:, :2], axis=0)
    assert np.allclose(aspect.max(axis=0), [1.0, 0.5])
    raw = np.cumsum(drawing_to_stroke3(DRAWING, normalize="none")[:, :2], axis=0)
    assert raw[:3].tolist() == [[10, 20], [110, 20], [210, 120]]


def test_points_form_gives_the_same_sequence():
    points = strokes_to_points(DRAWING)
    for flag in ("end", "start"):
        for normalize in ("aspect", "per_axis", "none"):
            a = points_to_stroke3(points, normalize=normalize, flag=flag)
            b = drawing_to_stroke3(DRAWING, normalize=normalize, flag=flag)
            assert np.array_equal(a, b)


def test_round_trip_in_simplified_frame():
    drawing = [[[0, 100, 255], [0, 30, 40]], [[20], [200]], [[5, 6, 7], [250, 251, 250]]]
    for flag in ("end", "start"):
        seq = drawing_to_stroke3(drawing, flag=flag)
        assert stroke3_to_drawing(seq, flag=flag) == drawing
        padded = pad_sequences([seq], max_len=len(seq) + 5)[0]
        assert stroke3_to_drawing(padded, flag=flag) == drawing
    floats = stroke3_to_drawing(drawing_to_stroke3(drawing), scale=None)
    assert isinstance(floats[0][0][1], float)


def test_truncate_end_keeps_first_points_and_closes_the_stroke():
    full = drawing_to_stroke3(DRAWING)
    cut = drawing_to_stroke3(DRAWING, max_len=5)
    assert np.array_equal(cut[:4], full[:4])
    assert np.array_equal(cut[4, :2], full[4, :2]) and cut[4, 2] == 1


def test_truncate_uniform_keeps_stroke_ends():
    long_stroke = [list(range(0, 100, 3)), [int(50 + 40 * np.sin(i)) for i in range(34)]]
    drawing = [long_stroke, [[5, 90], [5, 5]], [[40], [60]]]
    seq = drawing_to_stroke3(drawing, normalize="none", max_len=12, truncate="uniform")
    assert seq.shape == (12, 3)
    back = stroke3_to_drawing(seq, scale=1)
    assert len(back) == 3
    for original, kept in zip(drawing, back):
        assert kept[0][0] == original[0][0] and kept[0][-1] == original[0][-1]
        assert kept[1][0] == original[1][0] and kept[1][-1] == original[1][-1]
    # more stroke ends than max_len: evenly spaced ends, still the first point
    many = [[[i, i + 1], [0, 5]] for i in range(10)]
    short = drawing_to_stroke3(many, normalize="none", max_len=5, truncate="uniform")
    assert short.shape == (5, 3) and short[0, :2].tolist() == [0, 0]


def test_time_channel():
    raw = [[[0, 1, 2], [0, 0, 0], [0, 16, 40]], [[5, 5], [5, 9], [9000, 9016]]]
    seq = drawing_to_stroke3(raw, time=True)
    assert seq.shape == (5, 4)
    assert np.allclose(seq[:, 3], [0, 0.016, 0.024, 5.0, 0.016])  # 8.96 s pause clipped to 5
    backwards = [[[0, 1], [0, 1], [100, 50]]]
    assert drawing_to_stroke3(backwards, time=True)[1, 3] == 0
    with pytest.raises(DataFormatError, match="time"):
        drawing_to_stroke3(DRAWING, time=True)


def test_single_point_drawing():
    seq = drawing_to_stroke3([[[30], [40]]])
    assert seq.tolist() == [[0, 0, 1]]
    assert drawing_to_stroke3([[[30], [40]]], normalize="none").tolist() == [[30, 40, 1]]


@pytest.mark.parametrize(
    "bad, options",
    [
        ([], {}),
        ([[[], []]], {}),
        ([[[0, float("nan")], [0, 1]]], {}),
        ([[[0, 1], [0]]], {}),
        (DRAWING, {"normalize": "minmax"}),
        (DRAWING, {"flag": "middle"}),
        (DRAWING, {"truncate": "random"}),
        (DRAWING, {"max_len": 0}),
        ("abc", {}),
    ],
)
def test_bad_input_raises(bad, options):
    with pytest.raises(DataFormatError):
        drawing_to_stroke3(bad, **options)


def test_points_and_decoder_validate_shapes():
    with pytest.raises(DataFormatError):
        points_to_stroke3(np.zeros((4, 2)))
    with pytest.raises(DataFormatError):
        stroke3_to_drawing(np.zeros((4, 5)))


def test_pad_sequences():
    a, b = np.ones((3, 3)), np.full((5, 3), 2.0)
    batch = pad_sequences([a, b])
    assert batch.shape == (2, 5, 3) and batch.dtype == np.float32
    assert np.array_equal(batch[0, :3], a) and not batch[0, 3:].any()
    assert np.array_equal(batch[1], b)
    cut = pad_sequences([a, b], max_len=4)
    assert cut.shape == (2, 4, 3) and np.array_equal(cut[1], b[:4])
    with pytest.raises(DataFormatError):
        pad_sequences([a, np.ones((2, 4))])
    with pytest.raises(DataFormatError):
        pad_sequences([])


def test_bucket_boundaries_split_evenly():
    lengths = np.random.default_rng(0).geometric(0.03, size=5000)
    bounds = bucket_boundaries(lengths, 4)
    assert len(bounds) == 3 and bounds == sorted(set(bounds))
    counts = np.bincount(np.searchsorted(bounds, lengths, side="right"))
    assert counts.min() > 0.2 * len(lengths) and counts.max() < 0.3 * len(lengths)
    assert bucket_boundaries(lengths, 1) == []
    assert bucket_boundaries([7] * 10, 3) == []
    with pytest.raises(DataFormatError):
        bucket_boundaries([], 3)
