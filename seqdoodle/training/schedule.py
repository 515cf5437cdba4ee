"""The learning-rate schedule and the time-limit plan of a `train` call, and the Keras callback
that applies them.

The rate follows a cosine from the initial rate to `MIN_LR_FRACTION` of it, per step. With a
time limit, the number of epochs is re-planned after every epoch to what still fits
(`epochs_that_fit`), and the rest of the cosine is stretched or squeezed over them, so training
stops before the epoch that would overrun. `monitor_callback` sets the rate before every step and
hands each finished epoch to the trainer (`Trainer.end_epoch`).
"""

from __future__ import annotations

import math
import time

import numpy as np

MIN_LR_FRACTION = 0.02  # the cosine schedule ends at this fraction of the initial rate
EVAL_RESERVE_S = 20.0  # kept free under the time limit for loading and scoring the best model


def cosine_lr(lr: float, progress: float) -> float:
    """Learning rate at `progress` (0..1) of the cosine schedule from `lr` to 2% of it.

    Example:
    >>> cosine_lr(1.0, 0.0), round(cosine_lr(1.0, 1.0), 3)
    (1.0, 0.02)
    """
    progress = min(1.0, max(0.0, progress))
    return lr * (MIN_LR_FRACTION + (1 - MIN_LR_FRACTION) * 0.5 * (1 + math.cos(math.pi * progress)))


def epochs_that_fit(
    cycle_seconds: list[float], left_seconds: float, epochs_done: int, requested: int
) -> int:
    """The epochs to plan for: as many as fit in `left_seconds`, at most `requested`.

    An epoch is judged by the typical one of this call (the median of `cycle_seconds`, the
    seconds from one epoch's end to the next, checkpoint included); the first one also builds
    the graphs, so it is used alone only while there is no other.

    Args:
        cycle_seconds: list of float. The epochs of this call so far (at least one).
        left_seconds: float. Seconds left under the limit, the final scoring's reserve taken off.
        epochs_done: int. Epochs the run has finished (resumed ones included).
        requested: int. Epochs asked for.

    Returns:
        int. Planned epochs, `epochs_done` (stop now) to `requested`.

    Example:
    >>> epochs_that_fit([30.0, 10.0, 12.0], 25.0, 3, 10)
    5
    """
    typical = float(np.median(cycle_seconds[1:] or cycle_seconds))
    fits = max(0, int(left_seconds // typical))
    return min(int(requested), int(epochs_done) + fits)


def monitor_callback(trainer):
    """The `keras.callbacks.Callback` of a `Trainer`: the rate per step, bookkeeping per epoch.

    Before every step it sets the optimizer's rate to `trainer.lr_at(fraction of the epoch)`; at
    each epoch's end it calls `trainer.end_epoch` (which checkpoints) and stops training when
    that says so. Training seconds exclude validation (`on_test_begin` marks where it starts).
    """
    import keras

    class Monitor(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.steps = trainer.train_batches.steps

        def on_epoch_begin(self, epoch, logs=None):
            self.t_epoch = time.monotonic()
            self.t_train = None
            trainer.begin_epoch(epoch)
            self.epoch_lr = trainer.lr_at(0.0)

        def on_train_batch_begin(self, batch, logs=None):
            self.model.optimizer.learning_rate = trainer.lr_at(batch / self.steps)

        def on_test_begin(self, logs=None):
            if self.t_train is None:
                self.t_train = time.monotonic() - self.t_epoch

        def on_epoch_end(self, epoch, logs=None):
            seconds = time.monotonic() - self.t_epoch
            train_seconds = self.t_train if self.t_train is not None else seconds
            if trainer.end_epoch(epoch, logs or {}, seconds, train_seconds, self.epoch_lr):
                self.model.stop_training = True

    return Monitor()
