"""Data side of the sequence recipe: checks, padding, standardisation, folds, augmentation, batches.

Sequences are `(time, features)` float arrays of any lengths. Batches carry the lengths with the
padded values, so the models never guess padding from the values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from seqdoodle.errors import DataFormatError

# Batches are padded to a multiple of this many steps: fewer distinct shapes to trace.
PAD_MULTIPLE = 8


def as_sequences(sequences) -> list[np.ndarray]:
    """`sequences` as a list of `(time, features)` float32 arrays, checked.

    Accepts a list of `(time, features)` or `(time,)` arrays (one channel), or one
    `(n, time, features)` array.
    """
    if isinstance(sequences, np.ndarray) and sequences.ndim == 3:
        sequences = list(sequences)
    out = []
    for i, seq in enumerate(sequences):
        seq = np.asarray(seq, dtype="float32")
        if seq.ndim == 1:
            seq = seq[:, None]
        if seq.ndim != 2 or seq.shape[0] < 1:
            raise DataFormatError(
                f"sequence {i}: shape {seq.shape}; expected (time, features) with time >= 1"
            )
        if not np.all(np.isfinite(seq)):
            raise DataFormatError(f"sequence {i}: holds NaN or infinite values")
        if out and seq.shape[1] != out[0].shape[1]:
            raise DataFormatError(
                f"sequence {i}: {seq.shape[1]} features; sequence 0 has {out[0].shape[1]}"
            )
        out.append(seq)
    if not out:
        raise DataFormatError("sequences: empty; expected at least one sequence")
    return out


def pad_sequences(sequences, length: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pad (or cut) sequences at the end to one length.

    Args:
        sequences: see `as_sequences`.
        length: int or None. Steps of the result; None for the longest sequence.

    Returns:
        `(values, lengths)`: `(n, length, features)` float32 zero-padded and `(n,)` int32 real
        steps (after cutting).

    Example:
    >>> values, lengths = pad_sequences([np.ones((3, 2)), np.ones((5, 2))])
    >>> values.shape, lengths.tolist()
    ((2, 5, 2), [3, 5])
    """
    seqs = as_sequences(sequences)
    lengths = np.array([len(s) for s in seqs], "int32")
    steps = int(lengths.max()) if length is None else int(length)
    if steps < 1:
        raise DataFormatError(f"length {length}: must be at least 1")
    lengths = np.minimum(lengths, steps)
    values = np.zeros((len(seqs), steps, seqs[0].shape[1]), "float32")
    for i, (seq, n) in enumerate(zip(seqs, lengths)):
        values[i, :n] = seq[:n]
    return values, lengths


def fit_standardization(seqs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and variance over every real step of `seqs` (variance floored at 1e-8)."""
    steps = np.concatenate(seqs, axis=0).astype("float64")
    return steps.mean(axis=0), np.maximum(steps.var(axis=0), 1e-8)


def stratified_folds(y: np.ndarray, n_folds: int, seed: int) -> np.ndarray:
    """Fold number (0..n_folds-1) of each row, each class spread evenly over the folds."""
    rng = np.random.default_rng(seed)
    folds = np.zeros(len(y), "int64")
    offset = 0
    for label in np.unique(y):
        rows = rng.permutation(np.flatnonzero(y == label))
        folds[rows] = (offset + np.arange(len(rows))) % n_folds
        offset += len(rows)  # small classes do not all land in fold 0
    return folds


@dataclass(frozen=True)
class Augmentation:
    """Random changes to each training sequence, drawn afresh every epoch.

    The defaults (jitter and scaling, no crops, no stretching) are what cross-validation on the
    training sets of `experiments.studies.encoder_benchmark` favoured: crops and stretching cost 5-6
    points on shape series (ArrowHead, PickupGestureWiimoteZ); turn them on where the position or
    speed of a pattern in a sequence does not matter.

    Attributes:
        jitter: float. Standard deviation of Gaussian noise, in channel standard deviations.
        scaling: float. Standard deviation of a per-channel factor around 1, applied around the
            channel mean.
        crop: float. Keep a random window of at least this fraction of the steps (1 for none),
            with probability `p`.
        stretch: float. Resample time by a factor in `[1 - stretch, 1 + stretch]` (0 for none),
            with probability `p`.
        p: float. Probability of cropping and of stretching, each.
    """

    jitter: float = 0.03
    scaling: float = 0.1
    crop: float = 1.0
    stretch: float = 0.0
    p: float = 0.5

    def __post_init__(self):
        for name in ("jitter", "scaling", "stretch"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise DataFormatError(
                    f"Augmentation {name} {getattr(self, name)}: must be in [0, 1)"
                )
        if not 0.0 < self.crop <= 1.0 or not 0.0 <= self.p <= 1.0:
            raise DataFormatError(f"Augmentation crop {self.crop} / p {self.p}: must be in (0, 1]")

    def apply(self, seq, mean, scale, rng: np.random.Generator) -> np.ndarray:
        """One augmented copy of `seq` (`(time, features)`); `mean`/`scale` per channel."""
        n = len(seq)
        if self.crop < 1.0 and n > 2 and rng.random() < self.p:
            keep = max(2, int(round(n * rng.uniform(self.crop, 1.0))))
            start = int(rng.integers(0, n - keep + 1))
            seq = seq[start : start + keep]
        if self.stretch and len(seq) > 2 and rng.random() < self.p:
            new = max(2, int(round(len(seq) * rng.uniform(1 - self.stretch, 1 + self.stretch))))
            where = np.linspace(0, len(seq) - 1, new)
            seq = np.stack(
                [np.interp(where, np.arange(len(seq)), seq[:, c]) for c in range(seq.shape[1])], 1
            )
        if self.scaling:
            factor = rng.normal(1.0, self.scaling, seq.shape[1])
            seq = mean + (seq - mean) * factor
        if self.jitter:
            seq = seq + rng.normal(0.0, self.jitter, seq.shape) * scale
        return seq.astype("float32")


class SequenceBatches:
    """`((values, lengths), one_hot)` batches, bucketed by length, augmented when asked.

    Rows of similar length share a batch (sorted by a noisy length, so the buckets change every
    epoch), each batch is padded to its longest row (rounded up to `PAD_MULTIPLE`), and the batch
    order is shuffled; with `min_batches` an epoch makes as many passes over the rows as it takes to
    have at least that many batches. Without `augment` the order is fixed (validation,
    prediction) and there is one pass.
    `dataset()` serves the batches as a `tf.data.Dataset` with dynamic time dimension, a fresh
    plan every epoch.
    """

    def __init__(
        self, seqs, y, n_classes, batch_size, augment=None, scale=None, mean=None, seed=0,
        min_batches=1,
    ):  # fmt: skip
        self.seqs, self.y = seqs, np.asarray(y)
        # Tiny training sets: several augmented passes per epoch, so an epoch is enough updates.
        passes = math.ceil(int(min_batches) / math.ceil(len(seqs) / int(batch_size)))
        self.passes = max(1, passes) if augment is not None else 1
        self.n_classes, self.batch_size = int(n_classes), int(batch_size)
        self.augment, self.scale, self.mean = augment, scale, mean
        self.rng = np.random.default_rng(seed)
        self.lengths = np.array([len(s) for s in seqs], "float64")
        self._plan()

    def _plan(self):
        self.batches = []
        for _ in range(self.passes):
            if self.augment is None:
                order = np.argsort(self.lengths, kind="stable")
            else:
                noise = self.rng.uniform(0.8, 1.25, len(self.lengths))
                order = np.argsort(self.lengths * noise, kind="stable")
            size = self.batch_size
            self.batches += [order[i : i + size] for i in range(0, len(order), size)]
        if self.augment is not None:
            self.rng.shuffle(self.batches)

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, i):
        rows = self.batches[i]
        seqs = [self.seqs[r] for r in rows]
        if self.augment is not None:
            seqs = [self.augment.apply(s, self.mean, self.scale, self.rng) for s in seqs]
        longest = max(len(s) for s in seqs)
        values, lengths = pad_sequences(seqs, PAD_MULTIPLE * math.ceil(longest / PAD_MULTIPLE))
        one_hot = np.eye(self.n_classes, dtype="float32")[self.y[rows]]
        return (values, lengths), one_hot

    def on_epoch_end(self):
        if self.augment is not None:
            self._plan()

    def dataset(self):
        """The batches as a `tf.data.Dataset` (iterated once per epoch)."""
        import tensorflow as tf

        n_features = self.seqs[0].shape[1]
        signature = (
            (
                tf.TensorSpec((None, None, n_features), tf.float32),
                tf.TensorSpec((None,), tf.int32),
            ),
            tf.TensorSpec((None, self.n_classes), tf.float32),
        )

        def batches():
            for i in range(len(self)):
                yield self[i]
            self.on_epoch_end()

        data = tf.data.Dataset.from_generator(batches, output_signature=signature)
        return data.apply(tf.data.experimental.assert_cardinality(len(self))).prefetch(2)
