"""Padding stroke-3 sequences to one length, and length buckets for `tf.data`."""

from __future__ import annotations

import numpy as np

from seqdoodle.errors import DataFormatError


def pad_sequences(sequences, max_len: int | None = None) -> np.ndarray:
    """Stack sequences into one zero-padded `(batch, T, F) float32` array.

    Args:
        sequences: list of `(n_i, F)` arrays (same F).
        max_len: int or None. T; longer sequences keep their first `max_len` rows. Defaults to
            None (the longest length).

    Returns:
        `(batch, T, F) float32`, row i holding sequence i followed by zero rows.

    Example:
    >>> pad_sequences([np.ones((2, 3)), np.ones((1, 3))]).shape
    (2, 2, 3)
    """
    arrays = [np.asarray(s, dtype=np.float32) for s in sequences]
    if not arrays:
        raise DataFormatError("pad_sequences: no sequences given")
    features = {a.shape[1] if a.ndim == 2 else None for a in arrays}
    if len(features) != 1 or None in features:
        raise DataFormatError(
            f"pad_sequences: sequences must be 2-D with one width, got {features}"
        )
    longest = max(len(a) for a in arrays)
    width = longest if max_len is None else int(max_len)
    if width < 0:
        raise DataFormatError(f"pad_sequences: max_len must be >= 0, got {max_len}")
    out = np.zeros((len(arrays), width, features.pop()), dtype=np.float32)
    for i, a in enumerate(arrays):
        n = min(len(a), width)
        out[i, :n] = a[:n]
    return out


def bucket_boundaries(lengths, n_buckets: int) -> list[int]:
    """Quantile-based length boundaries for `tf.data`'s `bucket_by_sequence_length`.

    Bucket 0 holds lengths below `boundaries[0]`, bucket i lengths in
    `[boundaries[i-1], boundaries[i])`, the last bucket the rest; each holds about
    `1 / n_buckets` of the sequences.

    Args:
        lengths: array-like of ints. Sequence lengths (of the training split).
        n_buckets: int. Wanted number of buckets (>= 1). Ties can merge buckets.

    Returns:
        Strictly increasing list of at most `n_buckets - 1` ints.

    Example:
    >>> bucket_boundaries([1, 2, 3, 4, 5, 6, 7, 8], 2)
    [5]
    """
    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or lengths.size == 0:
        raise DataFormatError("bucket_boundaries: lengths must be a non-empty 1-D list")
    if int(n_buckets) < 1:
        raise DataFormatError(f"bucket_boundaries: n_buckets must be >= 1, got {n_buckets}")
    q = np.arange(1, int(n_buckets)) / int(n_buckets)
    cuts = np.floor(np.quantile(lengths, q, method="lower")).astype(np.int64) + 1
    cuts = cuts[(cuts > lengths.min()) & (cuts <= lengths.max())]
    return np.unique(cuts).tolist()
