"""Tests of the procedural doodle generator."""

from __future__ import annotations

import re

import ndjson
import numpy as np
import pytest

from seqdoodle.datasets.categories import all_categories
from seqdoodle.datasets.synthetic import (
    SYNTHETIC_CLASSES,
    iter_synthetic,
    synthetic_drawings,
    write_synthetic,
)
from seqdoodle.errors import DataFormatError, UnknownClassError


def _json(drawings):
    return [d.to_json() for d in drawings]


def test_classes_are_distinct_quickdraw_categories():
    assert len(SYNTHETIC_CLASSES) >= 10
    assert len(set(SYNTHETIC_CLASSES)) == len(SYNTHETIC_CLASSES)
    assert set(SYNTHETIC_CLASSES) <= set(all_categories())


@pytest.mark.parametrize("fmt", ["simplified", "raw"])
def test_same_seed_gives_identical_drawings(fmt):
    for cls in SYNTHETIC_CLASSES:
        assert _json(synthetic_drawings(cls, 4, seed=3, fmt=fmt)) == _json(
            synthetic_drawings(cls, 4, seed=3, fmt=fmt)
        )


def test_different_seeds_and_indexes_give_different_drawings():
    for cls in SYNTHETIC_CLASSES:
        a = [d.strokes for d in synthetic_drawings(cls, 5, seed=0)]
        b = [d.strokes for d in synthetic_drawings(cls, 5, seed=1)]
        assert all(x != y for x, y in zip(a, b)), cls
        assert len({str(s) for s in a}) == 5, cls


def test_prefix_stability_and_start():
    long = _json(synthetic_drawings("sun", 100, seed=7))
    assert _json(synthetic_drawings("sun", 50, seed=7)) == long[:50]
    assert _json(synthetic_drawings("sun", 50, seed=7, start=50)) == long[50:]


def _extremes(strokes):
    """(min x, min y, max over x and y) of a simplified drawing, after checking its types."""
    assert len(strokes) >= 1
    xs, ys = [], []
    for stroke in strokes:
        assert len(stroke) == 2
        assert len(stroke[0]) == len(stroke[1]) >= 1
        for v in (*stroke[0], *stroke[1]):
            assert type(v) is int and 0 <= v <= 255
        xs += stroke[0]
        ys += stroke[1]
    return min(xs), min(ys), max(max(xs), max(ys))


def test_simplified_format_is_googles():
    # Google aligns and scales before Ramer-Douglas-Peucker, which may drop the extreme point:
    # in Google's files ~20% of drawings have a minimum of 1-2 or a maximum of 253-254.
    exact = []
    for cls in SYNTHETIC_CLASSES:
        for d in synthetic_drawings(cls, 40, seed=2):
            assert d.word == cls
            min_x, min_y, top = _extremes(d.strokes)
            assert min_x <= 3 and min_y <= 3 and top >= 252, (cls, min_x, min_y, top)
            exact.append(min_x == 0 and min_y == 0 and top == 255)
    assert np.mean(exact) > 0.7


def test_raw_format_has_pixels_and_plausible_times():
    from seqdoodle.strokes.simplify import simplify_strokes

    intervals = []
    for cls in SYNTHETIC_CLASSES:
        raw = synthetic_drawings(cls, 10, seed=4, fmt="raw")
        simplified = synthetic_drawings(cls, 10, seed=4)
        for r, s in zip(raw, simplified):
            times = []
            for xs, ys, ts in r.strokes:
                assert len(xs) == len(ys) == len(ts) >= 2
                assert all(type(v) is int and v >= 0 for v in (*xs, *ys, *ts))
                assert all(b >= a for a, b in zip(ts, ts[1:]))
                intervals += np.diff(ts).tolist()
                times += ts
            assert times[0] == 0 and times == sorted(times)
            assert r.strokes[0][2][-1] < r.strokes[-1][2][0] or len(r.strokes) == 1
            # same drawing in both formats: same metadata, simplified = simplify(raw)
            assert {**r.to_json(), "drawing": None} == {**s.to_json(), "drawing": None}
            assert simplify_strokes(r.strokes) == s.strokes
    assert 12 <= np.median(intervals) <= 25  # a touch screen samples every ~17 ms


def test_metadata_looks_like_googles():
    drawings = list(iter_synthetic(per_class=100, seed=5, fmt="raw"))
    keys = [d.key_id for d in drawings]
    assert all(re.fullmatch(r"[1-9]\d{15}", k) for k in keys)
    assert len(set(keys)) == len(keys)
    assert not set(keys) & {d.key_id for d in iter_synthetic(per_class=100, seed=6, fmt="raw")}
    stamp = r"2017-\d\d-\d\d \d\d:\d\d:\d\d\.\d{5} UTC"
    assert all(re.fullmatch(stamp, d.timestamp) for d in drawings)
    assert all(re.fullmatch(r"[A-Z]{2}", d.countrycode) for d in drawings)
    assert len({d.countrycode for d in drawings}) >= 5
    recognized = [d.recognized for d in drawings]
    assert all(isinstance(r, bool) for r in recognized)
    assert 0.85 < np.mean(recognized) < 1.0


def test_iter_synthetic_streams_the_same_drawings_in_class_order():
    stream = _json(iter_synthetic(["wheel", "star"], per_class=20, seed=1, chunk=7))
    expected = _json(synthetic_drawings("wheel", 20, seed=1) + synthetic_drawings("star", 20, 1))
    assert stream == expected
    assert [d.word for d in iter_synthetic("zigzag, circle", per_class=2)] == [
        "zigzag",
        "zigzag",
        "circle",
        "circle",
    ]


@pytest.mark.parametrize("fmt", ["simplified", "raw"])
def test_write_synthetic_round_trip(tmp_path, fmt):
    paths = write_synthetic(
        tmp_path / "syn", per_class=15, seed=2, classes=["circle", "house"], fmt=fmt
    )
    assert [p.name for p in paths] == ["circle.ndjson", "house.ndjson"]
    assert sorted(p.name for p in (tmp_path / "syn").iterdir()) == [p.name for p in paths]
    for path, cls in zip(paths, ["circle", "house"]):
        with open(path) as f:
            rows = ndjson.load(f)
        assert rows == _json(synthetic_drawings(cls, 15, seed=2, fmt=fmt))
        assert set(rows[0]) == {
            "word",
            "countrycode",
            "timestamp",
            "recognized",
            "key_id",
            "drawing",
        }


def test_unknown_class_and_bad_arguments_raise(tmp_path):
    with pytest.raises(UnknownClassError, match="circle"):
        synthetic_drawings("circel", 3)
    with pytest.raises(UnknownClassError, match="cat"):
        synthetic_drawings("cat", 3)  # a real category, but not a synthetic one
    with pytest.raises(UnknownClassError):
        list(iter_synthetic(["sun", "moon"], per_class=2))
    with pytest.raises(UnknownClassError, match="square"):
        write_synthetic(tmp_path / "out", classes=["squar"])
    assert not (tmp_path / "out").exists()
    with pytest.raises(DataFormatError, match="format"):
        synthetic_drawings("sun", 3, fmt="bitmap")
    with pytest.raises(DataFormatError, match="seed"):
        synthetic_drawings("sun", 3, seed=-1)
    with pytest.raises(DataFormatError, match="n must"):
        synthetic_drawings("sun", -3)


def test_variation_in_strokes_and_shape():
    for cls in SYNTHETIC_CLASSES:
        drawings = synthetic_drawings(cls, 60, seed=8)
        counts = {len(d.strokes) for d in drawings}
        assert len(counts) >= 2, (cls, counts)  # one stroke vs several, stray marks
        widths = [max(max(s[0]) for s in d.strokes) for d in drawings]
        heights = [max(max(s[1]) for s in d.strokes) for d in drawings]
        assert np.std(np.log(np.add(widths, 1) / np.add(heights, 1))) > 0.03, cls


def _outward_fraction(cls, n=150):
    """Among radial lines (start and end at clearly different distances from the bbox centre),
    the fraction drawn outwards."""
    out = []
    for d in synthetic_drawings(cls, n, seed=9):
        pts = np.concatenate([np.array(s[:2]).T for s in d.strokes])
        centre = (pts.min(0) + pts.max(0)) / 2
        for s in d.strokes:
            if len(s[0]) == 2:
                r0, r1 = (np.hypot(*(np.array([s[0][i], s[1][i]]) - centre)) for i in (0, -1))
                if abs(r1 - r0) > 20:
                    out.append(r1 > r0)
    return np.mean(out), len(out)


def test_stroke_direction_informative_for_sun_not_for_wheel():
    sun, n_sun = _outward_fraction("sun")
    wheel, n_wheel = _outward_fraction("wheel")
    assert n_sun > 300 and n_wheel > 100
    assert sun > 0.75
    assert 0.3 < wheel < 0.7


def test_lightning_is_drawn_top_down():
    starts_high = [
        d.strokes[0][1][0] < d.strokes[0][1][-1] or d.strokes[0][1][0] < 80
        for d in synthetic_drawings("lightning", 100, seed=3)
    ]
    assert np.mean(starts_high) > 0.85


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:self.within_class_std_dev_")
def test_classes_are_distinguishable_but_not_trivially():
    from sklearn.neighbors import NearestCentroid

    from seqdoodle.strokes.raster import render_bitmaps

    def data(seed, n):
        x = [render_bitmaps([d.strokes for d in synthetic_drawings(c, n, seed)]) for c in names]
        return np.concatenate(x).reshape(len(names) * n, -1) / 255.0, np.repeat(names, n)

    names = np.array(SYNTHETIC_CLASSES)
    x_train, y_train = data(0, 80)
    x_test, y_test = data(1, 40)
    pred = NearestCentroid().fit(x_train, y_train).predict(x_test)
    accuracy = np.mean(pred == y_test)
    # a nearest-centroid model on 28x28 bitmaps gets ~0.78 (logistic regression ~0.85, a small
    # MLP ~0.92): far above chance, far from perfect
    assert 6 / len(names) < accuracy < 0.92, accuracy
    # and its errors fall mostly inside the designed look-alike groups
    groups = [
        {"circle", "hexagon", "octagon", "wheel", "sun"},
        {"square", "envelope", "house"},
        {"zigzag", "lightning", "star", "triangle"},
        {"triangle", "house"},
    ]
    errors = [{a, b} for a, b in zip(y_test, pred) if a != b]
    assert np.mean([any(e <= g for g in groups) for e in errors]) > 0.6
