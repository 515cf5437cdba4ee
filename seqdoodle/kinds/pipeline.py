"""Batches to `tf.data`: built in parallel worker threads, prefetched, deterministic for a seed.

A `Batches` object (`seqdoodle.batches`) says which rows make batch `i` of epoch `e`
(`batch_indices(e)`) and how to turn them into model inputs; `batch_dataset` makes the
`tf.data.Dataset` that feeds `Model.fit` (or a distributed loop) from it: a dataset of global step
numbers mapped in parallel (`num_parallel_calls`, order kept) to `(inputs, labels)`, then
prefetched. Every batch depends only on `(seed, e, i)`, never on which thread made it or on the
batches before it, so a run resumed at epoch `e` sees exactly the batches of an uninterrupted run.
The work per batch is vectorised numpy (one fancy-index read of the memory maps, stroke encoding
and augmentation for the whole batch at once), which releases the GIL for most of its time.
"""

from __future__ import annotations

import os
import threading

import numpy as np

DEFAULT_PARALLEL = 4  # threads making batches; more rarely helps, the work is mostly numpy


def batch_dataset(
    batches,
    start_epoch: int = 0,
    repeat: bool = False,
    steps: int | None = None,
    parallel: int | None = None,
    prefetch: int | None = None,
):
    """A `tf.data.Dataset` of `(inputs, labels)` batches of epochs `start_epoch`, ...

    Args:
        batches: `seqdoodle.batches.Batches`. Its `batch(e, i, rows)` (if defined; otherwise
            `inputs(rows)` and the dataset's labels) makes batch `i` of epoch `e`.
        start_epoch: int. First epoch. Defaults to 0.
        repeat: bool. Go on with the next epochs forever (else one epoch). Defaults to False.
        steps: int or None. Batches per epoch; fewer than `batches.steps` drops the last ones
            of every epoch (workers of a multi-worker run must agree on it). Defaults to None
            (all).
        parallel: int or None. Threads making batches. Defaults to None (`min(4, cpus)`).
        prefetch: int or None. Batches made ahead. Defaults to None (tf.data's autotuning).

    Returns:
        `tf.data.Dataset` with `batches.signature()` as its element spec.

    Example:
    >>> batches = kind.batches(ds, rows, 256, config, train=True)  # doctest: +SKIP
    >>> data = batch_dataset(batches, repeat=True)  # doctest: +SKIP
    """
    import tensorflow as tf

    steps = int(batches.steps if steps is None else steps)
    if steps < 1:
        raise ValueError(f"batch_dataset: {steps} steps per epoch; no batch to make")
    x_spec, y_spec = batches.signature()
    x_dtype, y_dtype = x_spec.dtype.as_numpy_dtype, y_spec.dtype.as_numpy_dtype
    rows_of = _EpochRows(batches)
    make = getattr(batches, "batch", None)

    def build(step):
        epoch, i = divmod(int(step), steps)
        rows = rows_of(epoch)[i]
        if make is not None:
            x, y = make(epoch, i, rows)
        else:
            x, y = batches.inputs(rows), batches.ds.labels[rows]
        return np.asarray(x, x_dtype), np.asarray(y, y_dtype)

    def mapped(step):
        x, y = tf.numpy_function(build, [step], (x_spec.dtype, y_spec.dtype), stateful=False)
        x.set_shape(x_spec.shape)
        y.set_shape(y_spec.shape)
        return x, y

    first = int(start_epoch) * steps
    last = np.iinfo(np.int64).max if repeat else first + steps
    threads = int(parallel or min(DEFAULT_PARALLEL, os.cpu_count() or 1))
    data = tf.data.Dataset.range(first, last).map(
        mapped, num_parallel_calls=threads, deterministic=True
    )
    data = data.prefetch(tf.data.AUTOTUNE if prefetch is None else int(prefetch))
    options = tf.data.Options()
    options.deterministic = True
    # Rows are sharded per worker before batching (seqdoodle.training.distribute.shard_rows).
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
    return data.with_options(options)


class _EpochRows:
    """`batches.batch_indices(e)`, computed once per epoch and shared by the threads."""

    def __init__(self, batches):
        self.batches = batches
        self.lock = threading.Lock()
        self.cache: dict[int, list] = {}

    def __call__(self, epoch: int) -> list:
        with self.lock:
            if epoch not in self.cache:
                self.cache[epoch] = self.batches.batch_indices(epoch)
                for old in [e for e in self.cache if e < epoch - 1]:
                    del self.cache[old]
            return self.cache[epoch]


def rate(data, n_batches: int, warmup: int = 2) -> float:
    """Drawings per second read from `data` (a `tf.data.Dataset`), after `warmup` batches."""
    import time

    iterator = iter(data)
    for _ in range(warmup):
        next(iterator)
    started, drawings = time.perf_counter(), 0
    for _ in range(n_batches):
        drawings += int(next(iterator)[1].shape[0])
    return drawings / (time.perf_counter() - started)
