"""A recipe for other sequence tasks: `build_sequence_classifier` and `fit_sequences`.

The stroke encoder is a general encoder of padded `(time, features)` sequences. This module puts
it to work on any labelled set of variable-length sequences (sensor traces, time series, gestures)
with what small datasets need:

- per-channel standardisation fitted on the training data and saved inside the model as a
  `keras.layers.Normalization` layer, so the saved model takes raw values;
- explicit lengths (the model's second input), so a real step whose values are all zero is never
  mistaken for padding; batches are padded to their longest sequence and bucketed by length; the
  standardised log length joins the pooled features (global pooling would lose it), and first
  differences of the standardised channels join the input channels;
- time-series augmentation of the training batches: jitter and per-channel scaling by default,
  window cropping and time stretching on request;
- a stratified validation split taken from the training data, early stopping on it and the best
  weights restored; with `ensemble=k`, k models each hold out a different part of the training
  data and their probabilities are averaged (one `.keras` file); with `candidates`, the first
  model tries each architecture on the same fold and the highest validation accuracy (then the
  lowest loss) picks the one every model uses;
- cosine learning-rate decay, and a `.keras` file that reloads with `safe_mode=True`.

Example:
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> seqs = [rng.normal(k, 1, (int(rng.integers(8, 20)), 2)) for k in [0, 3] * 10]
>>> tiny = {"conv_filters": [8], "conv_kernels": [3], "conv_strides": [1], "conv_dilations": [1]}
>>> fit = fit_sequences(seqs, ["low", "high"] * 10, epochs=2, arch_settings=tiny)
>>> fit.predict_proba(seqs[:3]).shape
(3, 2)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from seqdoodle.errors import DataFormatError
from seqdoodle.fileio import save_keras
from seqdoodle.models.encoders import StrokeEncoder
from seqdoodle.sequences.data import (
    Augmentation,
    SequenceBatches,
    as_sequences,
    fit_standardization,
    pad_sequences,
    stratified_folds,
)

__all__ = [
    "Augmentation",
    "SequenceFit",
    "build_sequence_classifier",
    "fit_sequences",
    "pad_sequences",
    "predict_sequences",
]


DEFAULT_AUGMENTATION = Augmentation()


@keras.saving.register_keras_serializable(package="seqdoodle")
class TimeDifferences(keras.layers.Layer):
    """Append first differences over time (`x[t] - x[t-1]`, 0 at the first step) as channels."""

    def call(self, inputs):
        previous = keras.ops.concatenate([inputs[:, :1], inputs[:, :-1]], axis=1)
        return keras.ops.concatenate([inputs, inputs - previous], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], None if input_shape[-1] is None else 2 * input_shape[-1])


@keras.saving.register_keras_serializable(package="seqdoodle")
class LengthFeature(keras.layers.Layer):
    """`(batch,)` lengths -> `(batch, 1)` standardised log length (mean/std of the training set).

    Global pooling makes the encoder blind to how long a sequence is; where the length carries
    information (gestures of different durations) this feature gives it back.
    """

    def __init__(self, mean=0.0, std=1.0, **kwargs):
        super().__init__(**kwargs)
        self.mean, self.std = float(mean), float(std)

    def call(self, lengths):
        logs = keras.ops.log(keras.ops.maximum(keras.ops.cast(lengths, "float32"), 1.0))
        return keras.ops.reshape((logs - self.mean) / self.std, (-1, 1))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 1)

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "std": self.std}


def build_sequence_classifier(
    n_features: int,
    n_classes: int,
    mean=None,
    variance=None,
    arch: str | tuple = "timeseries",
    arch_settings: dict | list | None = None,
    differences: bool = True,
    head_dropout: float = 0.2,
    log_length: tuple[float, float] | None = None,
    name: str = "sequence_classifier",
) -> keras.Model:
    """Build a sequence classifier: standardisation, `StrokeEncoder`, dropout, softmax.

    Args:
        n_features: int. Channels per step.
        n_classes: int. Number of classes (at least 2).
        mean: sequence of float or None. Per-channel mean of the training data; None for 0.
        variance: sequence of float or None. Per-channel variance; None for 1.
        arch: str or tuple of str. `StrokeEncoder` preset; several presets build encoders side by
            side on the same input, their features concatenated (a multi-scale front end).
            Defaults to `"timeseries"` (a dilated convolution stack that sees 127 steps;
            `"timeseries_local"` is a wider stack that sees 15).
        arch_settings: dict, list of dict or None. `StrokeEncoder` arguments put over the
            preset (one dict for every encoder, or one each).
        differences: bool. Append first differences of the standardised channels. Defaults to
            True.
        head_dropout: float. Dropout before the softmax layer. Defaults to 0.2.
        log_length: (mean, std) or None. When given, the standardised log length of each
            sequence joins the pooled features (see `LengthFeature`). Defaults to None.
        name: str. Model name.

    Returns:
        Uncompiled `keras.Model` with inputs `[values, lengths]`: `(batch, time, n_features)`
        float32 raw values padded at the end (padding may hold anything) and `(batch,)` int32
        real steps per row; output `(batch, n_classes)` float32 probabilities.

    Example:
    >>> build_sequence_classifier(3, 4).output_shape
    (None, 4)
    """
    n_features, n_classes = int(n_features), int(n_classes)
    if n_features < 1:
        raise DataFormatError(f"n_features {n_features}: must be at least 1")
    if n_classes < 2:
        raise DataFormatError(f"n_classes {n_classes}: a classifier needs at least 2 classes")
    mean = np.zeros(n_features) if mean is None else np.asarray(mean, "float64").ravel()
    variance = np.ones(n_features) if variance is None else np.asarray(variance, "float64").ravel()
    if mean.shape != (n_features,) or variance.shape != (n_features,):
        raise DataFormatError(
            f"mean/variance shapes {mean.shape}/{variance.shape}: expected ({n_features},)"
        )
    values = keras.Input((None, n_features), dtype="float32", name="values")
    lengths = keras.Input((), dtype="int32", name="lengths")
    x = keras.layers.Normalization(
        axis=-1, mean=mean.tolist(), variance=variance.tolist(), name="standardize"
    )(values)
    if differences:
        x = TimeDifferences(name="differences")(x)
    archs = [arch] if isinstance(arch, str) else list(arch)
    settings = arch_settings if isinstance(arch_settings, list | tuple) else [arch_settings]
    if len(settings) == 1:
        settings = settings * len(archs)
    if len(settings) != len(archs) or not archs:
        raise DataFormatError(
            f"arch_settings: {len(settings)} dicts for {len(archs)} encoders; give one or one each"
        )
    names = ["encoder"] if len(archs) == 1 else [f"encoder_{i}" for i in range(len(archs))]
    branches = [
        StrokeEncoder(arch=a, **(extra or {}), name=n)(x, lengths=lengths)
        for a, extra, n in zip(archs, settings, names)
    ]
    features = branches[0] if len(branches) == 1 else keras.layers.Concatenate()(branches)
    if log_length is not None:
        length = LengthFeature(*log_length, name="length_feature")(lengths)
        features = keras.layers.Concatenate(name="with_length")([features, length])
    if head_dropout:
        features = keras.layers.Dropout(head_dropout, name="head_dropout")(features)
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="predictions")(features)
    return keras.Model([values, lengths], outputs, name=name)


@dataclass
class SequenceFit:
    """What `fit_sequences` returns: the model, its classes and how training went."""

    model: keras.Model
    classes: list
    best_epochs: list = field(default_factory=list)  # per member, 1-based
    val_accuracy: list = field(default_factory=list)  # per member, at the best epoch
    history: list = field(default_factory=list)  # per member: Keras history dicts
    chosen: int = 0  # index of the candidate architecture kept (0 without candidates)
    candidate_val_loss: list = field(default_factory=list)  # per candidate, first member's fold
    candidate_val_accuracy: list = field(default_factory=list)  # the same, accuracy
    seconds: float = 0.0

    def predict_proba(self, sequences, batch_size: int = 64) -> np.ndarray:
        """`(n, n_classes)` probabilities of raw sequences (see `predict_sequences`)."""
        return predict_sequences(self.model, sequences, batch_size)

    def predict(self, sequences, batch_size: int = 64) -> list:
        """The predicted class (one of `classes`) of each sequence."""
        return [self.classes[i] for i in self.predict_proba(sequences, batch_size).argmax(1)]


def predict_sequences(model: keras.Model, sequences, batch_size: int = 64) -> np.ndarray:
    """Probabilities of a `[values, lengths]` model on raw variable-length sequences.

    Args:
        model: keras.Model. A model from `build_sequence_classifier` or `fit_sequences`.
        sequences: list of `(time, features)` (or `(time,)`) arrays, or one `(n, time, features)`
            array.
        batch_size: int. Rows per prediction batch. Defaults to 64.

    Returns:
        `(n, n_classes)` float32.
    """
    values, lengths = pad_sequences(sequences)
    return model.predict([values, lengths], batch_size=int(batch_size), verbose=0)


class _TimeLimit(keras.callbacks.Callback):
    def __init__(self, seconds):
        super().__init__()
        self.deadline = time.monotonic() + seconds

    def on_epoch_end(self, epoch, logs=None):
        if time.monotonic() > self.deadline:
            self.model.stop_training = True


def fit_sequences(
    sequences,
    labels,
    epochs: int = 300,
    batch_size: int = 16,
    min_batches: int = 10,
    lr: float = 2e-3,
    validation: float = 0.2,
    patience: int | None = None,
    min_epochs: int | None = None,
    augment: Augmentation | None = DEFAULT_AUGMENTATION,
    ensemble: int = 1,
    label_smoothing: float = 0.1,
    arch: str | tuple = "timeseries",
    arch_settings: dict | list | None = None,
    differences: bool = True,
    head_dropout: float = 0.2,
    length_feature: bool = True,
    candidates: list | None = None,
    time_limit: float | None = None,
    seed: int = 0,
    path=None,
    verbose: int = 0,
) -> SequenceFit:
    """Train a sequence classifier with the recipe (see the module docstring).

    Args:
        sequences: list of `(time, features)` (or `(time,)`) float arrays of any lengths, or one
            `(n, time, features)` array of equal-length sequences. Raw values; no padding.
        labels: sequence of hashable. One class label per sequence.
        epochs: int. Most epochs per model (the learning rate decays over them). Defaults to 300.
        batch_size: int. Sequences per batch. Defaults to 16.
        min_batches: int. Fewest batches per epoch: a small training set is passed over several
            times per epoch (each pass augmented afresh). Defaults to 10.
        lr: float. Peak Adam learning rate (cosine decay to 1% of it). Defaults to 2e-3.
        validation: float. Fraction of each class held out for early stopping (0 < v < 0.5).
            Defaults to 0.2.
        patience: int or None. Epochs without a lower validation loss before stopping; None for
            a quarter of `epochs`.
        min_epochs: int or None. Epochs before early stopping may act (and before the best
            weights are looked for): a validation fold of a few series is too noisy to stop on
            early. None for half of `epochs`.
        augment: Augmentation or None. Training-batch augmentation; None for none.
        ensemble: int. Models trained on different validation folds, probabilities averaged.
            Defaults to 1.
        label_smoothing: float. Label smoothing of the cross-entropy. Defaults to 0.1.
        arch, arch_settings, differences, head_dropout: see `build_sequence_classifier`.
        length_feature: bool. Give the classifier the (log) length of each sequence, fitted on
            the training lengths; off when every training sequence has the same length.
            Defaults to True.
        candidates: list of (arch, arch_settings) or None. Architectures to choose from: the
            first model is trained once with each (same fold, same seed) and the one with the
            highest validation accuracy (ties: the lowest validation loss) is kept for every model
            of the ensemble. None for `(arch, arch_settings)` alone.
        time_limit: float or None. Seconds of training per model; None for no limit.
        seed: int. Seed of the split, the weights and the augmentation. Defaults to 0.
        path: str, PathLike or None. Where to save the model (`.keras`, atomically).
        verbose: int. Keras verbosity. Defaults to 0.

    Returns:
        SequenceFit.
    """
    seqs = as_sequences(sequences)
    labels = list(labels)
    if len(labels) != len(seqs):
        raise DataFormatError(f"labels: {len(labels)} labels for {len(seqs)} sequences")
    classes = sorted(set(labels), key=str)
    if len(classes) < 2:
        raise DataFormatError(f"labels: {len(classes)} distinct class; need at least 2")
    if not 0.0 < validation < 0.5:
        raise DataFormatError(f"validation {validation}: must be between 0 and 0.5")
    if int(ensemble) < 1 or int(epochs) < 1 or int(batch_size) < 1:
        raise DataFormatError(
            f"ensemble/epochs/batch_size {ensemble}/{epochs}/{batch_size}: must be at least 1"
        )
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[v] for v in labels], "int64")
    folds = stratified_folds(y, max(int(round(1 / validation)), 2), seed)
    mean, variance = fit_standardization(seqs)
    logs = np.log([len(s) for s in seqs])
    log_length = (float(logs.mean()), float(logs.std())) if logs.std() > 0 else None
    log_length = log_length if length_feature else None
    patience = max(int(epochs) // 4, 5) if patience is None else int(patience)
    min_epochs = int(epochs) // 2 if min_epochs is None else int(min_epochs)
    started = time.monotonic()
    result = SequenceFit(model=None, classes=classes)
    options = [(arch, arch_settings)] if not candidates else [tuple(c) for c in candidates]
    n_folds = folds.max() + 1

    def train_member(member, member_arch, member_settings):
        member_seed = seed + 1000 * member
        keras.utils.set_random_seed(member_seed)
        held = folds == member % n_folds
        model = build_sequence_classifier(
            seqs[0].shape[1], len(classes), mean, variance, member_arch, member_settings,
            differences, head_dropout, log_length, name=f"member_{member}",
        )  # fmt: skip
        train = SequenceBatches(
            [seqs[i] for i in np.flatnonzero(~held)], y[~held], len(classes), batch_size,
            augment=augment, scale=np.sqrt(variance), mean=mean, seed=member_seed,
            min_batches=min_batches,
        )  # fmt: skip
        val = SequenceBatches([seqs[i] for i in np.flatnonzero(held)], y[held], len(classes), 64)
        schedule = keras.optimizers.schedules.CosineDecay(
            lr, decay_steps=int(epochs) * len(train), alpha=0.01
        )
        model.compile(
            optimizer=keras.optimizers.Adam(schedule),
            loss=keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing),
            metrics=["accuracy"],
        )
        callbacks = [
            keras.callbacks.EarlyStopping(
                "val_loss", patience=patience, restore_best_weights=True,
                start_from_epoch=min_epochs,
            )
        ]  # fmt: skip
        if time_limit:
            callbacks.append(_TimeLimit(float(time_limit)))
        history = model.fit(
            train.dataset(),
            validation_data=val.dataset(),
            epochs=int(epochs),
            shuffle=False,  # the batches shuffle themselves
            callbacks=callbacks,
            verbose=verbose,
        ).history
        start = min(min_epochs, len(history["val_loss"]) - 1)  # a time limit may stop sooner
        best = start + int(np.argmin(history["val_loss"][start:]))
        return model, history, best

    members = []
    for member in range(int(ensemble)):
        # The first member tries every candidate on the same fold and seed; the highest
        # validation accuracy (then the lowest loss) decides the architecture of every member.
        # Loss alone misleads: an over-confident model can have the higher loss and the better
        # accuracy.
        tried = [train_member(member, *option) for option in (options if member == 0 else [])]
        if tried:
            losses = [float(history["val_loss"][best]) for _, history, best in tried]
            accs = [float(history["val_accuracy"][best]) for _, history, best in tried]
            result.chosen = min(range(len(tried)), key=lambda i: (-accs[i], losses[i]))
            result.candidate_val_loss, result.candidate_val_accuracy = losses, accs
            model, history, best = tried[result.chosen]
        else:
            model, history, best = train_member(member, *options[result.chosen])
        result.best_epochs.append(best + 1)
        result.val_accuracy.append(float(history["val_accuracy"][best]))
        result.history.append(history)
        members.append(model)
    result.model = members[0] if len(members) == 1 else _average(members, seqs[0].shape[1])
    result.seconds = time.monotonic() - started
    if path is not None:
        save_keras(result.model, Path(path))
    return result


def _average(members: list, n_features: int) -> keras.Model:
    """One model averaging the probabilities of `members` (same inputs)."""
    values = keras.Input((None, n_features), dtype="float32", name="values")
    lengths = keras.Input((), dtype="int32", name="lengths")
    probs = [member([values, lengths]) for member in members]
    outputs = keras.layers.Average(name="predictions")(probs)
    return keras.Model([values, lengths], outputs, name="sequence_ensemble")
