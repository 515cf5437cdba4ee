"""Tests of the shared preprocessing: bitmap and stroke batches, fitted scale, drawing inputs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from seqdoodle.datasets.prepared import DatasetWriter, PreparedDataset
from seqdoodle.datasets.records import Drawing
from seqdoodle.datasets.synthetic import synthetic_drawings
from seqdoodle.errors import DataFormatError
from seqdoodle.kinds.inputs import (
    StrokeFeatures,
    bitmap_batch,
    bitmap_config,
    drawing_inputs,
    fit_stroke_features,
    is_raw,
    stroke_batch,
)
from seqdoodle.strokes.points import strokes_to_points
from seqdoodle.strokes.stroke3 import points_to_stroke3


def _points(n: int, rng: np.random.Generator, span: int = 255) -> np.ndarray:
    """A random drawing of `n` points in two strokes, `(n, 3) int16`."""
    xy = rng.integers(0, span + 1, (n, 2))
    xy[0] = (0, 0)
    xy[1] = (span, span)  # the drawing spans the whole frame
    end = np.zeros(n, int)
    end[n // 2] = end[-1] = 1
    return np.column_stack([xy, end]).astype(np.int16)


def _dataset(path, split_points: dict[int, list[np.ndarray]]) -> PreparedDataset:
    """A 1-class-per-split-code dataset whose drawings are given per split code (0, 1, 2)."""
    writer = DatasetWriter(path, ["a", "b"], has_strokes=True, args={"fixture": 1})
    for position in range(2):
        points, splits = [], []
        for code, drawings in split_points.items():
            half = drawings[position::2]
            points += half
            splits += [code] * len(half)
        n = len(points)
        writer.write_part(
            position,
            np.zeros((n, 28, 28), np.uint8),
            np.array(splits, np.uint8),
            np.arange(n),
            points,
            {"counts": {}},
        )
    writer.finalize({"args": {}})
    return PreparedDataset(path)


# ----------------------------------------------------------------------------- bitmaps


def test_bitmap_batch_adds_channel_and_keeps_raw_values():
    bitmaps = np.arange(2 * 28 * 28, dtype=np.int64).reshape(2, 28, 28).astype(np.uint8)
    x = bitmap_batch(bitmaps)
    assert x.shape == (2, 28, 28, 1) and x.dtype == np.float32
    np.testing.assert_array_equal(x[..., 0], bitmaps.astype(np.float32))
    with pytest.raises(DataFormatError, match="uint8"):
        bitmap_batch(bitmaps.astype(np.float32))
    with pytest.raises(DataFormatError, match="shape"):
        bitmap_batch(np.zeros((2, 784), np.uint8))


# ----------------------------------------------------------------------------- stroke batches


def test_stroke_batch_pads_with_zeros_to_the_longest():
    rng = np.random.default_rng(0)
    drawings = [_points(n, rng) for n in (7, 30, 12)]
    features = StrokeFeatures(scale=(0.5, 0.25))
    x = stroke_batch(drawings, features)
    expected = [points_to_stroke3(p, truncate="uniform", max_len=200) for p in drawings]
    longest = max(len(e) for e in expected)
    assert x.shape == (3, longest, 3) and x.dtype == np.float32
    for row, seq in zip(x, expected):
        n = len(seq)
        np.testing.assert_allclose(row[:n, 0], seq[:, 0] / 0.5, rtol=1e-6)
        np.testing.assert_allclose(row[:n, 1], seq[:, 1] / 0.25, rtol=1e-6)
        np.testing.assert_array_equal(row[:n, 2], seq[:, 2])
        assert not row[n:].any()


def test_stroke_batch_truncates_long_drawings_keeping_stroke_ends():
    rng = np.random.default_rng(1)
    long = _points(500, rng)
    x = stroke_batch([long], StrokeFeatures(max_len=40))
    assert x.shape == (1, 40, 3)
    assert x[0, :, 2].sum() == 2  # both strokes still end
    assert x[0, -1, 2] == 1


def test_stroke_batch_augmentation_is_seeded_and_needs_rng():
    rng = np.random.default_rng(2)
    drawings = [_points(40, rng) for _ in range(4)]
    features = StrokeFeatures()
    plain = stroke_batch(drawings, features)
    a = stroke_batch(drawings, features, rng=np.random.default_rng(5), augment=True)
    b = stroke_batch(drawings, features, rng=np.random.default_rng(5), augment=True)
    np.testing.assert_array_equal(a, b)
    assert a.shape[1] <= plain.shape[1]
    assert not np.allclose(a[:, : a.shape[1]], plain[:, : a.shape[1]])
    with pytest.raises(DataFormatError, match="rng"):
        stroke_batch(drawings, features, augment=True)


def test_stroke_features_config_round_trip_and_checks():
    features = StrokeFeatures(max_len=120, scale=(0.12, 0.1))
    config = json.loads(json.dumps(features.to_config()))
    assert config["type"] == "stroke3"
    assert StrokeFeatures.from_config(config) == features
    assert features.n_features == 3
    with pytest.raises(DataFormatError, match="unknown stroke option"):
        StrokeFeatures.from_config({**config, "colour": 1})
    with pytest.raises(DataFormatError, match="not a stroke3"):
        StrokeFeatures.from_config(bitmap_config())
    with pytest.raises(DataFormatError, match="scale"):
        StrokeFeatures(scale=(0.0, 1.0))


# ----------------------------------------------------------------------------- fitted scale


def test_scale_is_fitted_on_the_training_split_only(tmp_path):
    rng = np.random.default_rng(3)
    train = [_points(30, rng) for _ in range(20)]
    val_test = {1: [_points(30, rng) for _ in range(6)], 2: [_points(30, rng) for _ in range(6)]}
    ds1 = _dataset(tmp_path / "one", {0: train, **val_test})
    # Same training drawings; validation and test drawings made much smaller (small deltas).
    tiny = {code: [_points(30, rng, span=20) for _ in range(6)] for code in (1, 2)}
    ds2 = _dataset(tmp_path / "two", {0: train, **tiny})
    f1 = fit_stroke_features(ds1, ds1.indices("train"))
    f2 = fit_stroke_features(ds2, ds2.indices("train"))
    assert f1.scale == f2.scale
    rows = np.concatenate([points_to_stroke3(p, truncate="uniform", max_len=200) for p in train])
    np.testing.assert_allclose(f1.scale, rows[:, :2].std(axis=0), rtol=1e-5)
    # Fitting on all rows (val and test included) would give another scale.
    f_all = fit_stroke_features(ds2, np.arange(len(ds2)))
    assert f_all.scale != f2.scale


def test_fit_samples_at_most_max_drawings(tmp_path):
    rng = np.random.default_rng(4)
    ds = _dataset(tmp_path / "d", {0: [_points(20 + i, rng) for i in range(30)]})
    a = fit_stroke_features(ds, ds.indices("train"), max_drawings=5, seed=0)
    b = fit_stroke_features(ds, ds.indices("train"), max_drawings=5, seed=0)
    c = fit_stroke_features(ds, ds.indices("train"), max_drawings=5, seed=1)
    assert a == b and a.scale != c.scale


# ----------------------------------------------------------------------------- drawing inputs


def test_raw_and_simplified_drawings_give_the_same_inputs():
    raw = synthetic_drawings("star", 3, seed=0, fmt="raw")
    simplified = synthetic_drawings("star", 3, seed=0, fmt="simplified")
    assert all(is_raw(d.strokes) for d in raw)
    assert not any(is_raw(d.strokes) for d in simplified)
    features = StrokeFeatures(scale=(0.1, 0.1)).to_config()
    np.testing.assert_allclose(
        drawing_inputs(raw, "rnn", features), drawing_inputs(simplified, "rnn", features)
    )
    np.testing.assert_array_equal(
        drawing_inputs(raw, "cnn", bitmap_config()),
        drawing_inputs(simplified, "cnn", bitmap_config()),
    )


def test_real_raw_and_simplified_drawings_are_close(shared_quickdraw):
    def by_key(path):
        with open(path) as f:
            rows = [json.loads(line) for line in f]
        return {r["key_id"]: r for r in rows if "key_id" in r}

    raw = by_key(shared_quickdraw / "raw" / "apple.ndjson")
    simplified = by_key(shared_quickdraw / "simplified" / "apple.ndjson")
    keys = sorted(set(raw) & set(simplified))[:10]
    assert keys, "no key_id in both formats"
    as_raw = [Drawing("apple", strokes=raw[k]["drawing"]) for k in keys]
    as_simple = [Drawing("apple", strokes=simplified[k]["drawing"]) for k in keys]
    a = drawing_inputs(as_raw, "cnn", bitmap_config())[..., 0] / 255.0
    b = drawing_inputs(as_simple, "cnn", bitmap_config())[..., 0] / 255.0
    for x, y in zip(a, b):
        assert np.corrcoef(x.ravel(), y.ravel())[0, 1] > 0.8
        assert np.abs(x - y).max() == 0  # same bitmap: raw is simplified as Google does


def test_cnn_inputs_use_bitmaps_as_given_and_render_strokes():
    bitmap = np.zeros((28, 28), np.uint8)
    bitmap[3:9, 3:9] = 200
    strokes = synthetic_drawings("square", 1, seed=0)[0].strokes
    drawings = [Drawing("x", bitmap=bitmap), Drawing("y", strokes=strokes)]
    x = drawing_inputs(drawings, "cnn", bitmap_config())
    assert x.shape == (2, 28, 28, 1)
    np.testing.assert_array_equal(x[0, ..., 0], bitmap)
    assert x[1].max() == 255 and x[1].min() == 0
    with pytest.raises(DataFormatError, match=r"\(28, 28\) uint8"):
        drawing_inputs([Drawing("x", bitmap=np.zeros((32, 32), np.uint8))], "cnn", bitmap_config())


def test_bitmap_only_drawing_for_the_stroke_model_is_refused():
    drawing = Drawing("cat", bitmap=np.zeros((28, 28), np.uint8), source="cat.npy[4]")
    with pytest.raises(DataFormatError) as info:
        drawing_inputs([drawing], "rnn", StrokeFeatures().to_config())
    message = str(info.value)
    assert message == "stroke model needs strokes; cat.npy[4] has only a bitmap"


def test_rnn_inputs_follow_the_point_form():
    strokes = synthetic_drawings("zigzag", 2, seed=1)
    features = StrokeFeatures(scale=(0.2, 0.3))
    x = drawing_inputs(strokes, "rnn", features.to_config())
    expected = stroke_batch([strokes_to_points(d.strokes) for d in strokes], features)
    np.testing.assert_array_equal(x, expected)
    with pytest.raises(DataFormatError, match="unknown model kind"):
        drawing_inputs(strokes, "gru", features.to_config())


def test_split_fixture_has_expected_codes(tmp_path):
    # Guards the helper above: each split code lands where it was asked for.
    rng = np.random.default_rng(5)
    ds = _dataset(tmp_path / "d", {0: [_points(9, rng)] * 4, 2: [_points(9, rng)] * 2})
    assert ds.counts() == {"train": 4, "val": 0, "test": 2}


def test_scale_in_model_leaves_dx_dy_unscaled_and_round_trips():
    drawings = [_points(12, np.random.default_rng(7))]
    outside = StrokeFeatures(scale=(0.5, 0.25))
    inside = StrokeFeatures(scale=(0.5, 0.25), scale_in_model=True)
    assert inside.external_scale == (1.0, 1.0) and outside.external_scale == (0.5, 0.25)
    a, b = stroke_batch(drawings, outside), stroke_batch(drawings, inside)
    np.testing.assert_allclose(a[..., 0] * 0.5, b[..., 0], atol=1e-6)
    np.testing.assert_allclose(a[..., 1] * 0.25, b[..., 1], atol=1e-6)
    np.testing.assert_array_equal(a[..., 2], b[..., 2])
    assert StrokeFeatures.from_config(inside.to_config()) == inside
    old = {k: v for k, v in outside.to_config().items() if k != "scale_in_model"}
    assert StrokeFeatures.from_config(old) == outside  # configs saved before the flag
