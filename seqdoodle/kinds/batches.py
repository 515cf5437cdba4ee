"""Batches over a prepared dataset: the one input path for training and prediction.

`Batches` turns rows of a `PreparedDataset` into model inputs and `(b,) int32` labels, one batch
at a time, for `model.fit` (a prefetched `tf.data.Dataset`) and for prediction
(`seqdoodle.runs.inference`). Each model kind makes its own (`ModelKind.batches`): `BitmapBatches`
gathers uint8 bitmaps from the memory-mapped array, `StrokeBatches` encodes stroke points as
stroke-3 per batch, bucketed by length. Stroke encoding goes through one function,
`encode_stroke_rows`, so a faster encoder can replace it in one place.
"""

from __future__ import annotations

import math

import numpy as np

from seqdoodle.errors import DataFormatError
from seqdoodle.kinds.inputs import bitmap_batch, stroke_batch

N_BUCKETS = 8


def _chunks(indices: np.ndarray, batch_size: int) -> list[np.ndarray]:
    return [indices[i : i + batch_size] for i in range(0, len(indices), batch_size)]


class Batches:
    """Batches of model inputs and `(b,) int32` labels for rows of a prepared dataset.

    Subclasses define `batch_indices(epoch)` (a list of sorted row arrays), `inputs(rows)` and
    `signature()`. Training batches are reshuffled each epoch with `default_rng([seed, epoch])`.

    Args:
        ds: `PreparedDataset`.
        indices: array-like of int. Rows to use (kept sorted).
        batch_size: int. Drawings per batch.
        seed: int. Seed of shuffling (and augmentation). Defaults to 0.
        train: bool. Shuffle (and augment) every epoch; else rows in a fixed order.
            Defaults to False.
    """

    pad_multiple: int | None = None  # pad the time axis of prediction inputs to a multiple

    def __init__(self, ds, indices, batch_size: int, seed: int = 0, train: bool = False):
        if int(batch_size) < 1:
            raise DataFormatError(f"batch_size must be at least 1, got {batch_size}")
        self.ds, self.indices = ds, np.sort(np.asarray(indices, np.int64))
        self.batch_size, self.seed, self.train = int(batch_size), seed, train

    def __len__(self) -> int:
        return len(self.indices)

    @property
    def steps(self) -> int:
        """Batches per epoch."""
        return math.ceil(len(self.indices) / self.batch_size)

    def batch_indices(self, e: int) -> list[np.ndarray]:
        """The rows of each batch of epoch `e`, each sorted."""
        raise NotImplementedError

    def inputs(self, rows) -> np.ndarray:
        """Model inputs of sorted `rows`, no augmentation."""
        raise NotImplementedError

    def signature(self):
        """`(inputs, labels)` `tf.TensorSpec`s of one batch."""
        raise NotImplementedError

    def batch(self, e: int, i: int, rows) -> tuple[np.ndarray, np.ndarray]:
        """`(inputs, labels)` of batch `i` of epoch `e` (its sorted `rows`); a function of
        `(seed, e, i)` only, so batches can be made in any order, in parallel."""
        return self.inputs(rows), self.ds.labels[rows]

    def epoch(self, e: int):
        """Yield `(inputs, labels)` of every batch of epoch `e`."""
        for i, rows in enumerate(self.batch_indices(e)):
            yield self.batch(e, i, rows)

    def dataset(self, start_epoch: int = 0, repeat: bool = False):
        """A prefetched `tf.data.Dataset` of epochs `start_epoch`, ... (all of them if repeat),
        its batches made in parallel threads (`seqdoodle.kinds.pipeline.batch_dataset`)."""
        from seqdoodle.kinds.pipeline import batch_dataset

        return batch_dataset(self, start_epoch=start_epoch, repeat=repeat)


class BitmapBatches(Batches):
    """`(b, s, s, 1) float32` raw bitmaps gathered per batch from the uint8 memmap.

    Example:
    >>> batches = BitmapBatches(ds, ds.indices("train"), 256, train=True)  # doctest: +SKIP
    >>> x, y = next(batches.epoch(0))  # doctest: +SKIP
    """

    def batch_indices(self, e: int) -> list[np.ndarray]:
        order = self.indices
        if self.train:
            order = np.random.default_rng([self.seed, e]).permutation(order)
        return [np.sort(rows) for rows in _chunks(order, self.batch_size)]

    def inputs(self, rows) -> np.ndarray:
        return bitmap_batch(self.ds.bitmaps[rows])

    def signature(self):
        import tensorflow as tf

        s = self.ds.size
        return tf.TensorSpec((None, s, s, 1), tf.float32), tf.TensorSpec((None,), tf.int32)


def encode_stroke_rows(ds, rows, features, rng=None) -> np.ndarray:
    """Sorted `rows` of a prepared dataset as one zero-padded stroke-3 batch `(b, T, F) float32`.

    The one stroke encoder of training and prediction, vectorised over the batch: one
    fancy-index read of `points.npy`, `augment_points_batch` when `rng` is given, then
    `points_to_stroke3_batch` (without augmentation bit for bit `preprocess.stroke_batch`).
    """
    if features.n_features == 3:
        from seqdoodle.strokes.augment import augment_points_batch
        from seqdoodle.strokes.stroke3_batch import gather_points, points_to_stroke3_batch

        points, lengths = gather_points(ds.points, ds.offsets, rows)
        if rng is not None:
            points, lengths = augment_points_batch(points, lengths, rng)
        scale = features.external_scale
        x, _ = points_to_stroke3_batch(
            points, lengths, features.normalize, features.flag, features.max_len,
            features.truncate, None if scale == (1.0, 1.0) else scale,
        )  # fmt: skip
        return x
    offsets = ds.offsets
    start, stop = offsets[rows[0]], offsets[rows[-1] + 1]
    block = np.asarray(ds.points[start:stop])
    points_list = [block[offsets[i] - start : offsets[i + 1] - start] for i in rows]
    return stroke_batch(points_list, features, rng=rng, augment=rng is not None)


class StrokeBatches(Batches):
    """`(b, T, F) float32` stroke-3 batches, bucketed by length, augmented when training.

    Drawings are grouped into up to 8 length buckets (quantiles of their point counts) and batches
    are made within a bucket, so short drawings are not padded to long ones; the order of the
    batches is shuffled. Training batch i of epoch e goes through `augment_points_batch` with
    the generator `default_rng([seed, e, 1, i])`.

    Args:
        ds: `PreparedDataset` with strokes.
        indices: array-like of int. Rows to use.
        batch_size: int. Drawings per batch.
        features: `StrokeFeatures`. The encoding applied outside the model (its `scale` is (1, 1)
            when the model scales dx/dy itself).
        seed: int. Seed of shuffling and augmentation. Defaults to 0.
        train: bool. Shuffle and augment (else buckets in order, no augmentation).
            Defaults to False.
    """

    def __init__(self, ds, indices, batch_size: int, features, seed: int = 0, train=False):
        super().__init__(ds, indices, batch_size, seed, train)
        self.features = features
        lengths = np.minimum(np.diff(ds.offsets)[self.indices], features.max_len)
        self.buckets = _length_buckets(self.indices, lengths, N_BUCKETS)

    @property
    def steps(self) -> int:
        """Batches per epoch (every bucket ends with one short batch at most)."""
        return sum(math.ceil(len(b) / self.batch_size) for b in self.buckets)

    def batch_indices(self, e: int) -> list[np.ndarray]:
        """The rows of each batch of epoch `e` (one bucket each), each sorted."""
        if not self.train:
            return [np.sort(r) for b in self.buckets for r in _chunks(b, self.batch_size)]
        rng = np.random.default_rng([self.seed, e])
        batches = [r for b in self.buckets for r in _chunks(rng.permutation(b), self.batch_size)]
        return [np.sort(batches[i]) for i in rng.permutation(len(batches))]

    def batch(self, e: int, i: int, rows):
        rng = np.random.default_rng([self.seed, e, 1, i]) if self.train else None
        return encode_stroke_rows(self.ds, rows, self.features, rng), self.ds.labels[rows]

    def inputs(self, rows) -> np.ndarray:
        return encode_stroke_rows(self.ds, rows, self.features)

    def signature(self):
        import tensorflow as tf

        width = self.features.n_features
        return tf.TensorSpec((None, None, width), tf.float32), tf.TensorSpec((None,), tf.int32)


class SoftTargetBatches:
    """Training `Batches` whose labels become `(b, 1 + C) float32`: the label, then soft targets.

    Wraps a kind's `Batches` (same rows, inputs and order); for distillation
    (`seqdoodle.training.distill`), whose loss and accuracy take either label shape.

    Args:
        inner: `Batches`. Its rows must all be in `rows`.
        rows: `(n,) int` sorted dataset rows that `targets` belong to.
        targets: `(n, C) float32` per-row soft targets.
    """

    def __init__(self, inner, rows, targets):
        self.inner, self.rows = inner, np.asarray(rows)
        self.targets = np.asarray(targets, np.float32)

    def __getattr__(self, name):  # steps, ds, batch_indices, inputs, ... of the inner batches
        return getattr(self.inner, name)

    def __len__(self) -> int:
        return len(self.inner)

    def batch(self, e: int, i: int, rows):
        x, y = self.inner.batch(e, i, rows)
        soft = self.targets[np.searchsorted(self.rows, rows)]
        return x, np.concatenate([np.asarray(y, np.float32)[:, None], soft], axis=1)

    def signature(self):
        import tensorflow as tf

        x_spec, _ = self.inner.signature()
        return x_spec, tf.TensorSpec((None, 1 + self.targets.shape[1]), tf.float32)

    def dataset(self, start_epoch: int = 0, repeat: bool = False):
        from seqdoodle.kinds.pipeline import batch_dataset

        return batch_dataset(self, start_epoch=start_epoch, repeat=repeat)


def _length_buckets(indices: np.ndarray, lengths: np.ndarray, n_buckets: int) -> list[np.ndarray]:
    """Group `indices` into up to `n_buckets` sorted groups of similar length (quantiles)."""
    from seqdoodle.strokes.padding import bucket_boundaries

    if len(indices) == 0:
        return []
    bucket_of = np.searchsorted(bucket_boundaries(lengths, n_buckets), lengths, side="right")
    return [indices[bucket_of == b] for b in np.unique(bucket_of)]
