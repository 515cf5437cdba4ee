"""Whole-batch stroke encoding and augmentation, and the parallel tf.data pipeline."""

from __future__ import annotations

import json

import numpy as np
import pytest

from seqdoodle.errors import DataFormatError
from seqdoodle.strokes.augment import augment_points_batch
from seqdoodle.strokes.points import points_to_strokes, strokes_to_points
from seqdoodle.strokes.stroke3 import points_to_stroke3
from seqdoodle.strokes.stroke3_batch import gather_points, points_to_stroke3_batch


def random_drawings(n: int, seed: int = 0) -> list[np.ndarray]:
    """Point arrays with long drawings, repeated points, single-point strokes and flat axes."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        strokes = []
        for _ in range(int(rng.integers(1, 12))):
            k = int(rng.integers(1, 60 if i % 7 else 400))
            xs = rng.integers(0, 256, k)
            ys = np.full(k, 7) if i % 11 == 0 else rng.integers(0, 256, k)
            if k > 3:
                xs[1], ys[1] = xs[0], ys[0]  # a repeated point is dropped
            strokes.append([xs.tolist(), ys.tolist()])
        out.append(strokes_to_points(strokes))
    return out


def reference(points, scale, **options):
    seq = points_to_stroke3(points, **options).astype(np.float32, copy=False)
    if scale is not None:
        seq[:, 0] /= scale[0]
        seq[:, 1] /= scale[1]
    return seq


DRAWINGS = random_drawings(120)


@pytest.mark.parametrize("normalize", ["aspect", "per_axis", "none"])
@pytest.mark.parametrize("flag", ["end", "start"])
@pytest.mark.parametrize("max_len,truncate", [(None, "end"), (1, "uniform"), (2, "uniform"),
                                              (7, "uniform"), (40, "uniform"), (40, "end"),
                                              (200, "uniform")])  # fmt: skip
def test_batch_encoding_is_bit_exact_with_one_drawing_at_a_time(normalize, flag, max_len, truncate):
    scale = (0.07, 0.11) if normalize != "none" else None
    options = dict(normalize=normalize, flag=flag, max_len=max_len, truncate=truncate)
    out, lengths = points_to_stroke3_batch(
        np.concatenate(DRAWINGS), [len(p) for p in DRAWINGS], scale=scale, **options
    )
    assert out.dtype == np.float32 and out.shape[0] == len(DRAWINGS)
    for i, points in enumerate(DRAWINGS):
        ref = reference(points, scale, **options)
        assert lengths[i] == len(ref)
        assert np.array_equal(out[i, : lengths[i]], ref), i
        assert not out[i, lengths[i] :].any()
    assert out.shape[1] == lengths.max()


def test_batch_encoding_equals_preprocess_stroke_batch():
    from seqdoodle.kinds.inputs import StrokeFeatures, stroke_batch

    features = StrokeFeatures(scale=(0.05, 0.09))
    old = stroke_batch(DRAWINGS[:64], features)
    new, _ = points_to_stroke3_batch(
        np.concatenate(DRAWINGS[:64]), [len(p) for p in DRAWINGS[:64]],
        features.normalize, features.flag, features.max_len, features.truncate, features.scale,
    )  # fmt: skip
    assert np.array_equal(old, new)


def test_batch_encoding_of_real_drawings(shared_quickdraw):
    lines = (shared_quickdraw / "simplified" / "monkey.ndjson").read_text().splitlines()
    drawings = [strokes_to_points(json.loads(line)["drawing"]) for line in lines[:400]]
    out, lengths = points_to_stroke3_batch(
        np.concatenate(drawings), [len(p) for p in drawings], max_len=50, truncate="uniform"
    )
    truncated = 0
    for i, points in enumerate(drawings):
        ref = reference(points, None, max_len=50, truncate="uniform")
        truncated += len(points) > 50
        assert np.array_equal(out[i, : lengths[i]], ref)
    assert truncated > 10  # the uniform truncation was exercised


def test_batch_encoding_rejects_bad_input():
    with pytest.raises(DataFormatError, match="sum to the 3 points"):
        points_to_stroke3_batch(np.zeros((3, 3)), [2, 2])
    with pytest.raises(DataFormatError, match="shape"):
        points_to_stroke3_batch(np.zeros((3, 2)), [3])
    with pytest.raises(DataFormatError, match="NaN"):
        points_to_stroke3_batch(np.array([[0.0, np.nan, 1]]), [1])
    with pytest.raises(DataFormatError, match="truncate"):
        points_to_stroke3_batch(np.zeros((1, 3)), [1], truncate="middle")
    empty, lengths = points_to_stroke3_batch(np.zeros((0, 3)), [])
    assert empty.shape == (0, 1, 3) and lengths.size == 0


def test_gather_points_reads_rows_in_the_order_given():
    points = np.concatenate(DRAWINGS[:5])
    offsets = np.concatenate([[0], np.cumsum([len(p) for p in DRAWINGS[:5]])])
    flat, lengths = gather_points(points, offsets, [3, 0, 4])
    assert lengths.tolist() == [len(DRAWINGS[i]) for i in (3, 0, 4)]
    assert np.array_equal(flat, np.concatenate([DRAWINGS[i] for i in (3, 0, 4)]))


IDENTITY = {"scale": (1.0, 1.0), "stretch": 0.0, "rotate_deg": 0.0}


def test_batch_augmentation_is_seeded_and_keeps_strokes():
    flat, lengths = np.concatenate(DRAWINGS[:30]), [len(p) for p in DRAWINGS[:30]]
    a = augment_points_batch(flat, lengths, np.random.default_rng([0, 5]))
    b = augment_points_batch(flat, lengths, np.random.default_rng([0, 5]))
    c = augment_points_batch(flat, lengths, np.random.default_rng([0, 6]))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert a[0].shape != c[0].shape or not np.allclose(a[0], c[0])
    out, new_lengths = a
    assert out.dtype == np.float32 and new_lengths.sum() == len(out)
    assert (new_lengths <= np.asarray(lengths)).all() and (new_lengths < lengths).any()
    starts = np.concatenate([[0], np.cumsum(new_lengths)])
    for i, points in enumerate(DRAWINGS[:30]):
        mine = out[starts[i] : starts[i + 1]]
        assert len(points_to_strokes(mine)) == len(points_to_strokes(points))


def test_batch_augmentation_identity_and_pure_scaling():
    flat, lengths = np.concatenate(DRAWINGS[:10]), [len(p) for p in DRAWINGS[:10]]
    same, n = augment_points_batch(flat, lengths, np.random.default_rng(0), drop_prob=0, **IDENTITY)
    assert np.array_equal(same, flat.astype(np.float32)) and n.tolist() == lengths
    grown, _ = augment_points_batch(
        flat, lengths, np.random.default_rng(0), scale=(2.0, 2.0), stretch=0.0, rotate_deg=0.0,
        drop_prob=0.0,
    )  # fmt: skip
    starts = np.concatenate([[0], np.cumsum(lengths)])
    for i in range(10):
        before, after = flat[starts[i] : starts[i + 1], :2], grown[starts[i] : starts[i + 1], :2]
        extent = before.max(0) - before.min(0)
        assert np.allclose(after.max(0) - after.min(0), 2 * extent, atol=1e-3)
        assert np.allclose((after.max(0) + after.min(0)) / 2, (before.max(0) + before.min(0)) / 2)


def test_batch_augmentation_rejects_bad_options():
    flat = np.zeros((2, 3))
    with pytest.raises(DataFormatError, match="rng"):
        augment_points_batch(flat, [2], 0)
    with pytest.raises(DataFormatError, match="drop_prob"):
        augment_points_batch(flat, [2], np.random.default_rng(0), drop_prob=2)
    with pytest.raises(DataFormatError, match="sum to"):
        augment_points_batch(flat, [3], np.random.default_rng(0))


class _ToyBatches:
    """The part of the `Batches` interface `batch_dataset` uses."""

    def __init__(self, n=50, batch_size=8):
        self.x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
        self.batch_size, self.n = batch_size, n
        self.steps = -(-n // batch_size)

    def batch_indices(self, e):
        order = np.random.default_rng([1, e]).permutation(self.n)
        return [np.sort(order[i : i + self.batch_size]) for i in range(0, self.n, self.batch_size)]

    def batch(self, e, i, rows):
        noise = np.random.default_rng([1, e, 1, i]).normal(size=(len(rows), 2))
        return self.x[rows] + noise.astype(np.float32), rows.astype(np.int32)

    def signature(self):
        import tensorflow as tf

        return tf.TensorSpec((None, 2), tf.float32), tf.TensorSpec((None,), tf.int32)


def test_batch_dataset_is_parallel_ordered_and_resumable():
    from seqdoodle.kinds.pipeline import batch_dataset

    toy = _ToyBatches()

    def read(data):
        return [(x.numpy(), y.numpy()) for x, y in data]

    def same(a, b):
        return np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])

    whole = read(batch_dataset(toy, repeat=True, parallel=4).take(3 * toy.steps))
    again = read(batch_dataset(toy, repeat=True, parallel=1).take(3 * toy.steps))
    assert all(same(a, b) for a, b in zip(whole, again))
    resumed = read(batch_dataset(toy, start_epoch=2).take(99))
    assert len(resumed) == toy.steps  # one epoch without repeat
    assert all(same(a, b) for a, b in zip(whole[2 * toy.steps :], resumed))
    epoch0 = np.sort(np.concatenate([y for _, y in whole[: toy.steps]]))
    assert epoch0.tolist() == list(range(toy.n))  # every row once per epoch
    short = list(batch_dataset(toy, steps=2))
    assert len(short) == 2
