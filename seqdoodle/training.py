"""Train the bitmap CNN or the stroke model on a prepared dataset folder, resumably.

`train` streams batches straight from the prepared folder (memory-mapped uint8 bitmaps, or stroke
points turned into stroke-3 per batch, bucketed by length), fits with a cosine learning-rate
schedule and early stopping on validation accuracy, keeps the best model as the run's
`model.keras`, and after every epoch writes a checkpoint (`checkpoint/last.keras` with the optimizer
state, `checkpoint/state.json`) so that rerunning the same call continues where it stopped. At the
end the best model is scored on the test split (`metrics.json`, `test_predictions.npz`).

Writing an epoch (`_Trainer._commit_epoch`): `checkpoint/state.json` is the commit. The weights
are staged as `checkpoint/epoch-N.keras` before it and renamed to `last.keras` after it; the best
model (`model.keras`, `config.json`) and the history files follow it, except at a folder's first
commit, when the best model comes first so that a folder with a state always has a `model.keras`.
Resuming finishes whatever a stop left undone: renames a committed stage, drops an uncommitted one,
re-saves the best model from `last.keras` when the last epoch was the best, and rewrites the
history. A folder with `checkpoint/` but no state (stopped inside the first epoch) starts over.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import numbers
import os
import signal
import sys
import threading
import time
from pathlib import Path

import numpy as np

from seqdoodle.errors import DataFormatError, MissingFileError
from seqdoodle.fileio import folder_lock, save_keras, sha256_file, write_json, write_text
from seqdoodle.preprocess import (
    StrokeFeatures,
    bitmap_batch,
    bitmap_config,
    fit_stroke_features,
    stroke_batch,
)
from seqdoodle.progress import Reporter

KINDS = ("cnn", "rnn")
ARCHS = {"cnn": ("default", "baseline"), "rnn": ("default", "tutorial")}
# Sized for 2 CPU cores: ~63k 28x28 bitmaps (cnn) or ~13k stroke drawings (rnn) in < 15 minutes.
DEFAULTS = {
    "cnn": {"epochs": 10, "batch_size": 256, "lr": 2e-3, "patience": 3},
    "rnn": {"epochs": 30, "batch_size": 128, "lr": 2e-3, "patience": 5},
}
MIN_LR_FRACTION = 0.02  # the cosine schedule ends at this fraction of the initial rate
EVAL_RESERVE_S = 20.0  # kept free under the time limit for loading and scoring the best model
N_BUCKETS = 8
CHECKPOINT, STATE, LAST = "checkpoint", "state.json", "last.keras"
RUN_FILES = ("model.keras", "config.json", "classes.txt", "history.json", "history.csv",
             "training.png")  # fmt: skip
STOP_REASONS = {
    "epochs": "all epochs done",
    "early_stopping": "early stopping",
    "time_limit": "time limit",
}
HISTORY_KEYS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds")


def train(
    kind: str,
    data,
    out,
    arch: str = "default",
    epochs: int | None = None,
    batch_size: int | None = None,
    lr: float | None = None,
    seed: int = 0,
    init_from=None,
    freeze_backbone: bool = False,
    patience: int | None = None,
    progress: bool | None = None,
    max_train: int | None = None,
    time_limit: float | None = 14.0,
    callbacks: list | None = None,
) -> dict:
    """Train a model on a prepared dataset and write a run folder; rerun to resume.

    Args:
        kind: str. `"cnn"` (bitmap CNN) or `"rnn"` (stroke Conv1D + recurrent model).
        data: path. A prepared dataset folder (`seqdoodle prepare`); the stroke model needs one
            prepared from strokes.
        out: path. The run folder to write (or to resume).
        arch: str. `"default"` or `"baseline"` (cnn), `"default"` or `"tutorial"` (rnn).
            Defaults to `"default"`.
        epochs: int or None. Number of epochs; None takes 10 (cnn) or 20 (rnn). Rerunning a
            finished run with more epochs continues it. Defaults to None.
        batch_size: int or None. None takes 256 (cnn) or 128 (rnn). Defaults to None.
        lr: float or None. Initial learning rate of Adam (cosine decay per step to 2% of it);
            None takes 2e-3. Defaults to None.
        seed: int. Seed of weights, shuffling, augmentation and dropout. Defaults to 0.
        init_from: path or None. A run folder of the same kind to start from: all weights are
            reused; if its classes differ the softmax head is replaced (weights of classes both runs
            share are kept). Stroke models reuse its input encoding. Defaults to None.
        freeze_backbone: bool. Train only the head (with `init_from`). Defaults to False.
        patience: int or None. Stop after this many epochs without a better validation
            accuracy. None: 3 for the CNN, 5 for the stroke model.
        progress: bool or None. False prints nothing; otherwise Keras' progress bar on a
            terminal and one line per epoch elsewhere. Defaults to None.
        max_train: int or None. Use a seeded sample of at most this many training drawings.
            Defaults to None (all).
        time_limit: float or None. Minutes for this call. After every epoch the number of
            epochs is re-planned to what fits (the cosine schedule is stretched or squeezed to
            end with the last of them), so training stops before the epoch that would overrun.
            None for no limit. Defaults to 14.
        callbacks: list or None. Extra `keras.callbacks.Callback`s. Defaults to None.

    Returns:
        dict summary: `run`, `kind`, `arch`, `epochs_run`, `planned_epochs`, `best_epoch`,
        `best_val_accuracy`, `test_top1`, `stop_reason`, `resumed_from_epoch`, `seconds` (this
        call), `samples_per_second` (training throughput of this call), `already_finished`.

    Raises:
        MissingFileError: `data` or `init_from` does not exist.
        DataFormatError: bad arguments, a bitmap-only dataset for `"rnn"`, or `out` holds a run
            of another kind, architecture or dataset.

    Example:
    >>> summary = train("cnn", "DATASET", "runs/cnn", epochs=2)  # doctest: +SKIP
    >>> summary["test_top1"]  # doctest: +SKIP
    """
    started = time.monotonic()
    if kind not in KINDS:
        raise DataFormatError(f"unknown model kind {kind!r}; choose cnn or rnn")
    if arch not in ARCHS[kind]:
        raise DataFormatError(f"unknown {kind} arch {arch!r}; choose {' or '.join(ARCHS[kind])}")
    for name, value in (("epochs", epochs), ("batch_size", batch_size), ("max_train", max_train)):
        if value is not None and int(value) < 1:
            raise DataFormatError(f"{name} must be at least 1, got {value}")
    if lr is not None and not lr > 0:
        raise DataFormatError(f"lr must be positive, got {lr}")
    if kind in DEFAULTS and patience is None:
        patience = DEFAULTS[kind]["patience"]
    if patience is not None and patience < 1:
        raise DataFormatError(f"patience must be at least 1, got {patience}")
    if freeze_backbone and init_from is None:
        raise DataFormatError("freeze_backbone needs init_from (a trained run to start from)")
    say = Reporter(progress)

    from seqdoodle.datasets.prepared import PreparedDataset

    ds = PreparedDataset(data)
    if kind == "rnn" and not ds.has_strokes:
        raise DataFormatError(
            f"{ds.path}: prepared from bitmaps only; the stroke model needs a dataset with strokes"
        )
    if not ds.counts()["train"]:
        raise DataFormatError(f"{ds.path}: the training split is empty; nothing to train on")
    out = Path(out)
    manifest_sha = sha256_file(ds.path / "manifest.json")
    with folder_lock(out, "train"):
        state = _load_state(out, kind, arch, manifest_sha, say)
        stored = state["config"]["train"]["epochs"] if state else None
        requested = int(epochs or stored or DEFAULTS[kind]["epochs"])
        if state is not None and state["finished"] and requested <= stored:
            say(
                f"{out}: training already finished after {state['epoch']} epochs "
                f"({STOP_REASONS[state['stop_reason']]}); nothing to do "
                f"(give more than {stored} epochs to continue it)"
            )
            return {**state["summary"], "already_finished": True}
        if state is not None and requested != stored:
            if state["finished"]:
                say(f"{out}: continuing a finished run from {state['epoch']} to {requested} epochs")
            # Continue the cosine as if the run had been planned for `requested` epochs.
            position = min(state["progress"], state["epoch"] / requested)
            state.update(
                finished=False,
                stop_reason=None,
                wait=0,
                planned_epochs=requested,
                progress=position,
            )
            state["config"]["train"]["epochs"] = requested
        return _Trainer(
            kind=kind,
            ds=ds,
            out=out,
            arch=arch,
            requested_epochs=requested,
            batch_size=batch_size,
            lr=lr,
            seed=seed,
            init_from=init_from,
            freeze_backbone=freeze_backbone,
            patience=patience,
            max_train=max_train,
            time_limit=time_limit,
            manifest_sha=manifest_sha,
            state=state,
            say=say,
            progress=progress,
            started=started,
            callbacks=callbacks or [],
        ).run()


# ----------------------------------------------------------------------------- run state


def _load_state(out: Path, kind: str, arch: str, manifest_sha: str, say) -> dict | None:
    """The checkpoint state of `out`, checked against this call; None to start afresh.

    Also finishes what a stop left undone in `checkpoint/` (see the module docstring).
    """
    ckpt = out / CHECKPOINT
    path = ckpt / STATE
    if not path.exists():
        _start_over(out, say)
        return None
    state = _read_state(path)
    config = state["config"]
    if config["kind"] != kind or config["arch"] != arch:
        raise DataFormatError(
            f"{out}: holds a {config['kind']} ({config['arch']}) run, not {kind} ({arch}); "
            "use another --out"
        )
    if config["dataset"]["manifest_sha256"] != manifest_sha:
        raise DataFormatError(
            f"{out}: was trained on another dataset ({config['dataset']['path']}); "
            "use another --out"
        )
    committed = ckpt / _staged_name(state["epoch"])
    if committed.exists():  # stopped between the commit and the rename
        os.replace(committed, ckpt / LAST)
    for stale in ckpt.glob("epoch-*.keras"):  # staged, never committed
        stale.unlink()
    if not (ckpt / LAST).exists():
        raise MissingFileError(f"{ckpt / LAST}: checkpoint missing; use another --out")
    return state


def _start_over(out: Path, say) -> None:
    """Clear a folder that `train` left inside its first epoch; refuse any other run folder."""
    present = [name for name in RUN_FILES if (out / name).exists()]
    if not (out / CHECKPOINT).is_dir():
        if "config.json" in present or "model.keras" in present:
            raise DataFormatError(
                f"{out}: already holds a run without a checkpoint to resume; use another --out"
            )
        return
    leftovers = [out / name for name in present]
    leftovers += [*(out / CHECKPOINT).glob("epoch-*.keras"), out / CHECKPOINT / LAST]
    leftovers = [p for p in leftovers if p.is_file()]
    for p in leftovers:
        p.unlink()
    if leftovers:
        say(f"{out}: stopped before its first checkpoint; starting over")


def _staged_name(epoch: int) -> str:
    return f"epoch-{epoch:04d}.keras"


_NUMBER, _INT = (numbers.Real,), (numbers.Integral,)
_STATE_FIELDS = {
    "config": (dict,),
    "epoch": _INT,
    "planned_epochs": _INT,
    "progress": _NUMBER,
    "best_val_accuracy": (*_NUMBER, type(None)),
    "best_epoch": (*_INT, type(None)),
    "wait": _INT,
    "history": (dict,),
    "stop_reason": (str, type(None)),
    "finished": (bool,),
    "train_seconds": _NUMBER,
}
_CONFIG_FIELDS = {
    "kind": (str,),
    "arch": (str,),
    "classes": (list,),
    "input": (dict,),
    "dataset": (dict,),
    "train": (dict,),
}
_DATASET_FIELDS = {"path": (str,), "manifest_sha256": (str,)}
_TRAIN_FIELDS = {
    "epochs": _INT,
    "batch_size": _INT,
    "lr": _NUMBER,
    "seed": _INT,
    "patience": _INT,
    "max_train": (*_INT, type(None)),
}


def _read_state(path: Path) -> dict:
    """Read `checkpoint/state.json` and check every key the trainer uses (one-line errors)."""
    try:
        state = json.loads(path.read_text("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise DataFormatError(f"{path}: unreadable training state; use another --out") from None
    _check_fields(path, state, _STATE_FIELDS, "")
    config = state["config"]
    _check_fields(path, config, _CONFIG_FIELDS, "config.")
    _check_fields(path, config["dataset"], _DATASET_FIELDS, "config.dataset.")
    _check_fields(path, config["train"], _TRAIN_FIELDS, "config.train.")
    if config["kind"] not in KINDS:
        raise DataFormatError(f"{path}: config.kind {config['kind']!r}; expected cnn or rnn")
    if state["stop_reason"] is not None and state["stop_reason"] not in STOP_REASONS:
        raise DataFormatError(f"{path}: unknown stop_reason {state['stop_reason']!r}")
    history, epoch = state["history"], state["epoch"]
    for key in HISTORY_KEYS:
        if not isinstance(history.get(key), list) or len(history[key]) != epoch:
            raise DataFormatError(f"{path}: history.{key} is not a list of {epoch} values")
    if state["finished"] and not isinstance(state.get("summary"), dict):
        raise DataFormatError(f"{path}: a finished state without a summary; use another --out")
    return state


def _check_fields(path: Path, obj, fields: dict, prefix: str) -> None:
    if not isinstance(obj, dict):
        raise DataFormatError(f"{path}: {prefix.rstrip('.') or 'the state'} is not a JSON object")
    for name, types in fields.items():
        if name not in obj:
            raise DataFormatError(f"{path}: {prefix}{name} missing (edited?); use another --out")
        value = obj[name]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise DataFormatError(
                f"{path}: {prefix}{name} is {type(value).__name__} {value!r:.40}; "
                "not a training state (edited?)"
            )


@contextlib.contextmanager
def _defer_interrupt():
    """Hold Ctrl-C back while a checkpoint is written, then raise it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    previous = signal.signal(signal.SIGINT, lambda *args: received.append(args))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:
            raise KeyboardInterrupt


# ----------------------------------------------------------------------------- data pipelines


def _chunks(indices: np.ndarray, batch_size: int) -> list[np.ndarray]:
    return [indices[i : i + batch_size] for i in range(0, len(indices), batch_size)]


class _Batches:
    """Batches of model inputs and `(b,) int32` labels for rows of a prepared dataset.

    Subclasses define `batch_indices(epoch)` (a list of sorted row arrays), `inputs(rows)` and
    `signature()`. Training batches are reshuffled each epoch with `default_rng([seed, epoch])`.
    """

    def __init__(self, ds, indices, batch_size: int, seed: int = 0, train: bool = False):
        self.ds, self.indices = ds, np.sort(np.asarray(indices, np.int64))
        self.batch_size, self.seed, self.train = int(batch_size), seed, train

    def __len__(self) -> int:
        return len(self.indices)

    def epoch(self, e: int):
        """Yield `(inputs, labels)` of every batch of epoch `e`."""
        for rows in self.batch_indices(e):
            yield self.inputs(rows), self.ds.labels[rows]

    def dataset(self, start_epoch: int = 0, repeat: bool = False):
        """A prefetched `tf.data.Dataset` of epochs `start_epoch`, ... (all of them if repeat)."""
        import tensorflow as tf

        def generate():
            e = start_epoch
            while True:
                yield from self.epoch(e)
                if not repeat:
                    return
                e += 1

        dataset = tf.data.Dataset.from_generator(generate, output_signature=self.signature())
        return dataset.prefetch(2)


class BitmapBatches(_Batches):
    """`(b, s, s, 1) float32` raw bitmaps gathered per batch from the uint8 memmap.

    Args:
        ds: `PreparedDataset`.
        indices: array-like of int. Rows to use.
        batch_size: int. Drawings per batch.
        seed: int. Shuffle seed. Defaults to 0.
        train: bool. Shuffle every epoch (else rows in order). Defaults to False.

    Example:
    >>> batches = BitmapBatches(ds, ds.indices("train"), 256, train=True)  # doctest: +SKIP
    >>> x, y = next(batches.epoch(0))  # doctest: +SKIP
    """

    @property
    def steps(self) -> int:
        """Batches per epoch."""
        return math.ceil(len(self.indices) / self.batch_size)

    def batch_indices(self, e: int) -> list[np.ndarray]:
        """The rows of each batch of epoch `e`, each sorted."""
        order = self.indices
        if self.train:
            order = np.random.default_rng([self.seed, e]).permutation(order)
        return [np.sort(rows) for rows in _chunks(order, self.batch_size)]

    def inputs(self, rows) -> np.ndarray:
        """Model inputs of sorted `rows`, no augmentation."""
        return bitmap_batch(self.ds.bitmaps[rows])

    def signature(self):
        import tensorflow as tf

        s = self.ds.size
        return tf.TensorSpec((None, s, s, 1), tf.float32), tf.TensorSpec((None,), tf.int32)


class StrokeBatches(_Batches):
    """`(b, T, F) float32` stroke-3 batches, bucketed by length, augmented when training.

    Drawings are grouped into up to 8 length buckets (quantiles of their point counts) and batches
    are made within a bucket, so short drawings are not padded to long ones; the order of the
    batches is shuffled. Training batches go through `augment_points` with the generator
    `default_rng([seed, epoch, 1])`.

    Args:
        ds: `PreparedDataset` with strokes.
        indices: array-like of int. Rows to use.
        batch_size: int. Drawings per batch.
        features: `StrokeFeatures`.
        seed: int. Seed of shuffling and augmentation. Defaults to 0.
        train: bool. Shuffle and augment (else buckets in order, no augmentation).
            Defaults to False.
    """

    def __init__(self, ds, indices, batch_size: int, features, seed: int = 0, train=False):
        super().__init__(ds, indices, batch_size, seed, train)
        self.features = features
        lengths = np.minimum(np.diff(ds.offsets)[self.indices], features.max_len)
        self.buckets = _length_buckets(self.indices, lengths, N_BUCKETS)
        self._rngs: dict[int, np.random.Generator] = {}

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

    def epoch(self, e: int):
        rng = np.random.default_rng([self.seed, e, 1]) if self.train else None
        for rows in self.batch_indices(e):
            yield self._encode(rows, rng), self.ds.labels[rows]

    def inputs(self, rows) -> np.ndarray:
        """Model inputs of sorted `rows`, no augmentation."""
        return self._encode(rows, None)

    def _encode(self, rows, rng) -> np.ndarray:
        offsets = self.ds.offsets
        start, stop = offsets[rows[0]], offsets[rows[-1] + 1]
        block = np.asarray(self.ds.points[start:stop])  # one read for the whole (sorted) batch
        points_list = [block[offsets[i] - start : offsets[i + 1] - start] for i in rows]
        return stroke_batch(points_list, self.features, rng=rng, augment=rng is not None)

    def signature(self):
        import tensorflow as tf

        width = self.features.n_features
        return tf.TensorSpec((None, None, width), tf.float32), tf.TensorSpec((None,), tf.int32)


def _length_buckets(indices: np.ndarray, lengths: np.ndarray, n_buckets: int) -> list[np.ndarray]:
    """Group `indices` into up to `n_buckets` sorted groups of similar length (quantiles)."""
    from seqdoodle.strokes.sequence import bucket_boundaries

    if len(indices) == 0:
        return []
    bucket_of = np.searchsorted(bucket_boundaries(lengths, n_buckets), lengths, side="right")
    return [indices[bucket_of == b] for b in np.unique(bucket_of)]


def predict_rows(model, batches: _Batches) -> np.ndarray:
    """Class probabilities `(len(batches), k) float32` for `batches.indices`, in that order."""
    parts, rows_seen = [], []
    for rows in batches.batch_indices(0):
        parts.append(np.asarray(model.predict_on_batch(batches.inputs(rows)), np.float32))
        rows_seen.append(rows)
    if not parts:
        return np.zeros((0, model.output_shape[-1]), np.float32)
    probs = np.concatenate(parts)
    position = np.searchsorted(batches.indices, np.concatenate(rows_seen))
    out = np.empty_like(probs)
    out[position] = probs
    return out


# ----------------------------------------------------------------------------- models


def build_model(
    kind: str, arch: str, num_classes: int, n_features: int = 3, seed=None, size: int = 28
):
    """A new uncompiled classifier of `kind` (`"cnn"` or `"rnn"`) and `arch`.

    `size` is the bitmap side of a CNN's input; `n_features` the stroke model's feature count.
    """
    if kind == "cnn":
        from seqdoodle.models.cnn import build_bitmap_classifier

        return build_bitmap_classifier(
            num_classes, arch=arch, input_shape=(size, size, 1), seed=seed
        )
    from seqdoodle.models.rnn import build_stroke_classifier

    return build_stroke_classifier(num_classes, arch=arch, n_features=n_features, seed=seed)


def replace_head(model, old_classes, new_classes):
    """Swap the final dense softmax layer of `model` for one over `new_classes`.

    The backbone is the model up to the layer before the head; its weights are shared, not
    copied. Head weights of classes in both lists are kept, the others are freshly initialised.

    Args:
        model: keras.Model. A classifier whose last layer is a `Dense` softmax.
        old_classes: list of str. The model's classes.
        new_classes: list of str. The classes of the new head.

    Returns:
        keras.Model with output `(batch, len(new_classes))`.

    Example:
    >>> model = build_model("cnn", "baseline", 2)  # doctest: +SKIP
    >>> replace_head(model, ["a", "b"], ["a", "b", "c"]).output_shape  # doctest: +SKIP
    (None, 3)
    """
    import keras

    head = model.layers[-1]
    if not isinstance(head, keras.layers.Dense):
        raise DataFormatError(
            f"model {model.name}: last layer {head.name} is not a Dense head; cannot replace it"
        )
    new_head = keras.layers.Dense(
        len(new_classes), activation="softmax", dtype="float32", name=head.name
    )
    outputs = new_head(head.input)
    new_model = keras.Model(model.inputs, outputs, name=model.name)
    kernel, bias = head.get_weights()
    new_kernel, new_bias = new_head.get_weights()
    old_position = {c: i for i, c in enumerate(old_classes)}
    for j, c in enumerate(new_classes):
        if c in old_position:
            new_kernel[:, j] = kernel[:, old_position[c]]
            new_bias[j] = bias[old_position[c]]
    new_head.set_weights([new_kernel, new_bias])
    return new_model


def _init_from(path, kind: str, classes: list[str], freeze: bool, say):
    """Model and input config of a fresh run that starts from the run at `path`."""
    from seqdoodle.artifacts import load_run

    source = load_run(path)
    if source.kind != kind:
        raise DataFormatError(
            f"{path}: holds a {source.kind!r} model; cannot start a {kind!r} model from it"
        )
    model = source.model
    if list(source.classes) != list(classes):
        shared = len(set(source.classes) & set(classes))
        say(
            f"{path}: new head for {len(classes)} classes "
            f"({shared} shared with the run's {len(source.classes)})"
        )
        model = replace_head(model, source.classes, classes)
    if freeze:
        for layer in model.layers[:-1]:
            layer.trainable = False
    return model, source.input_config


# ----------------------------------------------------------------------------- the trainer


def cosine_lr(lr: float, progress: float) -> float:
    """Learning rate at `progress` (0..1) of the cosine schedule from `lr` to 2% of it.

    Example:
    >>> cosine_lr(1.0, 0.0), round(cosine_lr(1.0, 1.0), 3)
    (1.0, 0.02)
    """
    progress = min(1.0, max(0.0, progress))
    return lr * (MIN_LR_FRACTION + (1 - MIN_LR_FRACTION) * 0.5 * (1 + math.cos(math.pi * progress)))


class _Trainer:
    """One call of `train`: set-up or resume, fit, bookkeeping per epoch, final scoring."""

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)
        self.ckpt = self.out / CHECKPOINT
        self.epoch_train_seconds: list[float] = []  # per epoch of this call, without validation
        self.cycle_seconds: list[float] = []  # from one epoch's end (or the start) to the next

    # -- set-up

    def run(self) -> dict:
        import keras

        ds = self.ds
        if self.state is None:
            model, config = self._fresh(keras)
        else:
            model, config = self._resume(keras)
        self.config = config
        train_cfg = config["train"]
        train_idx = ds.indices("train")
        if train_cfg.get("max_train") and len(train_idx) > train_cfg["max_train"]:
            rng = np.random.default_rng([train_cfg["seed"], 3])
            train_idx = np.sort(rng.choice(train_idx, train_cfg["max_train"], replace=False))
        val_idx, test_idx = ds.indices("val"), ds.indices("test")
        self.n_test = len(test_idx)
        self.train_batches = self._batches(train_idx, train=True)
        self.val_batches = self._batches(val_idx, train=False) if len(val_idx) else None
        self.model = model
        if self.state["stop_reason"] is None and self.state["epoch"] < self.requested_epochs:
            self._fit()
        if self.state["stop_reason"] is None:
            self.state["stop_reason"] = "epochs"
        return self._finish(test_idx)

    def _batches(self, indices, train: bool) -> _Batches:
        cfg = self.config["train"]
        if self.kind == "cnn":
            return BitmapBatches(self.ds, indices, cfg["batch_size"], cfg["seed"], train)
        return StrokeBatches(self.ds, indices, cfg["batch_size"], self.features, cfg["seed"], train)

    def _fresh(self, keras):
        kind, ds = self.kind, self.ds
        defaults = DEFAULTS[kind]
        keras.utils.set_random_seed(self.seed)
        input_config = None
        if self.init_from is not None:
            model, input_config = _init_from(
                self.init_from, kind, ds.classes, self.freeze_backbone, self.say
            )
        if kind == "cnn":
            if input_config and int(input_config.get("size", 28)) != ds.size:
                raise DataFormatError(
                    f"{self.init_from}: takes {input_config.get('size')}px bitmaps; "
                    f"{ds.path} has {ds.size}px"
                )
            input_config = bitmap_config(ds.size)
        else:
            if input_config:
                self.features = StrokeFeatures.from_config(
                    input_config, f"{self.init_from}/config.json"
                )
            else:
                self.features = fit_stroke_features(ds, ds.indices("train"), seed=self.seed)
            input_config = self.features.to_config()
        if self.init_from is None:
            n_features = getattr(getattr(self, "features", None), "n_features", 3)
            model = build_model(
                kind, self.arch, len(ds.classes), n_features, seed=self.seed, size=ds.size
            )
        config = {
            "kind": kind,
            "arch": self.arch,
            "classes": list(ds.classes),
            "input": input_config,
            "dataset": {"path": str(ds.path), "manifest_sha256": self.manifest_sha},
            "train": {
                "epochs": self.requested_epochs,
                "batch_size": int(self.batch_size or defaults["batch_size"]),
                "lr": float(self.lr or defaults["lr"]),
                "seed": int(self.seed),
                "patience": int(self.patience),
                "max_train": self.max_train,
                "time_limit": self.time_limit,
                "init_from": None if self.init_from is None else str(self.init_from),
                "freeze_backbone": bool(self.freeze_backbone),
                "schedule": f"cosine to {MIN_LR_FRACTION:g} x lr",
            },
        }
        from seqdoodle import __version__

        config["seqdoodle_version"] = __version__
        model.compile(
            optimizer=keras.optimizers.Adam(config["train"]["lr"]),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        self.state = {
            "config": config,
            "epoch": 0,
            "planned_epochs": self.requested_epochs,
            "progress": 0.0,
            "best_val_accuracy": None,
            "best_epoch": None,
            "wait": 0,
            "history": {key: [] for key in HISTORY_KEYS},
            "stop_reason": None,
            "finished": False,
            "train_seconds": 0.0,
        }
        self.resumed_from = 0
        return model, config

    def _resume(self, keras):
        from seqdoodle.artifacts import load_keras_model, save_run

        state, config = self.state, self.state["config"]
        cfg = config["train"]
        ignored = [
            f"{name} {value}"
            for name, value in (("batch_size", self.batch_size), ("lr", self.lr))
            if value is not None and value != cfg[name]
        ]
        if ignored:
            self.say(f"{self.out}: resuming with the run's settings; ignored {', '.join(ignored)}")
        self.say(f"{self.out}: resuming after epoch {state['epoch']}")
        last = self.ckpt / LAST
        model = load_keras_model(last, compile=True)  # with the optimizer state
        width = model.output_shape[-1]
        if width != len(config["classes"]):
            raise DataFormatError(
                f"{last}: the model outputs {width} scores but {self.ckpt / STATE} lists "
                f"{len(config['classes'])} classes"
            )
        if self.kind == "rnn":
            self.features = StrokeFeatures.from_config(config["input"], str(self.ckpt / STATE))
        # A stop right after the commit can leave these behind the state (see _commit_epoch).
        if state["best_epoch"] == state["epoch"]:
            save_run(self.out, model, config, config["classes"])
        self._write_history()
        keras.utils.set_random_seed(cfg["seed"] * 1000 + state["epoch"])
        self.resumed_from = state["epoch"]
        return model, config

    # -- training

    def _fit(self):
        state = self.state
        progress = self.progress
        if progress is False:
            verbose = 0
        else:
            verbose = 1 if sys.stdout.isatty() else 2
        monitor = _make_monitor(self)
        self.last_plan = time.monotonic()
        self.model.fit(
            self.train_batches.dataset(start_epoch=state["epoch"], repeat=True),
            steps_per_epoch=self.train_batches.steps,
            epochs=self.requested_epochs,
            initial_epoch=state["epoch"],
            validation_data=self.val_batches.dataset(repeat=True) if self.val_batches else None,
            validation_steps=self.val_batches.steps if self.val_batches else None,
            shuffle=False,
            callbacks=[monitor, *self.callbacks],
            verbose=verbose,
        )

    def begin_epoch(self, epoch: int) -> None:
        """Fix this epoch's stretch of the schedule: from `progress` to 1 over the epochs left."""
        state = self.state
        self.progress_start = state["progress"]
        self.epochs_left = max(1, state["planned_epochs"] - epoch)

    def lr_at(self, fraction: float) -> float:
        """Learning rate at `fraction` (0..1) of the current epoch."""
        progress = self.progress_start + (1 - self.progress_start) * fraction / self.epochs_left
        return cosine_lr(self.config["train"]["lr"], progress)

    def end_epoch(self, epoch: int, logs: dict, seconds: float, train_seconds: float, lr: float):
        """Record one finished epoch, keep the best model, plan, checkpoint; True to stop."""
        state, cfg = self.state, self.config["train"]
        history = state["history"]
        entry = {
            "epoch": epoch + 1,
            "loss": logs.get("loss"),
            "accuracy": logs.get("accuracy"),
            "val_loss": logs.get("val_loss"),
            "val_accuracy": logs.get("val_accuracy"),
            "lr": lr,
            "seconds": seconds,
        }
        for key in HISTORY_KEYS:
            value = entry[key]
            history[key].append(
                None if value is None else int(value) if key == "epoch" else float(value)
            )
        state["epoch"] = epoch + 1
        state["progress"] = self.progress_start + (1 - self.progress_start) / self.epochs_left
        state["train_seconds"] += seconds
        self.epoch_train_seconds.append(train_seconds)
        score = entry["val_accuracy"] if self.val_batches else entry["accuracy"]
        best = state["best_val_accuracy"]
        improved = best is None or (score is not None and score > best)
        if improved:
            state.update(best_val_accuracy=float(score), best_epoch=epoch + 1, wait=0)
        else:
            state["wait"] += 1
        stop = None
        limit = None if not self.time_limit else 60.0 * self.time_limit
        elapsed = time.monotonic() - self.started
        # The final test evaluation takes about as long as a validation pass scaled to its size.
        n_val = len(self.val_batches) if self.val_batches else 0
        reserve = EVAL_RESERVE_S + (seconds - train_seconds) * self.n_test / max(1, n_val)
        now = time.monotonic()
        self.cycle_seconds.append(now - self.last_plan)  # the epoch plus the last checkpoint
        self.last_plan = now
        if limit:
            # Re-plan after every epoch: as many epochs as fit, judged by the typical epoch of
            # this call (the first one also builds the graphs, so it is used alone only at first).
            typical = float(np.median(self.cycle_seconds[1:] or self.cycle_seconds))
            fits = max(0, int((limit - elapsed - reserve) // typical))
            planned = min(self.requested_epochs, state["epoch"] + fits)
            if planned < self.requested_epochs and len(self.cycle_seconds) == 1:
                self.say(
                    f"time limit {self.time_limit:g} min: about {planned} of "
                    f"{self.requested_epochs} epochs fit; the learning-rate schedule follows"
                )
            state["planned_epochs"] = planned
        if state["epoch"] >= state["planned_epochs"]:
            stop = "epochs" if state["planned_epochs"] >= self.requested_epochs else "time_limit"
        elif state["wait"] >= cfg["patience"]:
            stop = "early_stopping"
        state["stop_reason"] = stop
        with _defer_interrupt():  # Ctrl-C waits; a SIGKILL anywhere leaves a resumable folder
            self._commit_epoch(improved)
        return stop is not None

    def _commit_epoch(self, improved: bool) -> None:
        """Write one epoch: staged weights, the state (the commit), then what follows from it.

        Before the commit nothing the resume relies on changes: the weights go to
        `checkpoint/epoch-N.keras`. After it, the stage becomes `last.keras`, and the best model
        and history are written; `_load_state` and `_resume` redo these when a stop cut them off.
        Only the first commit of a folder writes the best model before it (there is no earlier
        best to lose), so a folder with a state always has a loadable `model.keras`.
        """
        from seqdoodle.artifacts import save_run

        first = not (self.ckpt / STATE).exists()
        self.ckpt.mkdir(parents=True, exist_ok=True)  # marks the folder as train's
        if improved and first:
            save_run(self.out, self.model, self.config, self.config["classes"])
        staged = self.ckpt / _staged_name(self.state["epoch"])
        save_keras(self.model, staged)
        write_json(self.ckpt / STATE, self.state)
        os.replace(staged, self.ckpt / LAST)
        if improved and not first:
            save_run(self.out, self.model, self.config, self.config["classes"])
        self._write_history()

    def _write_history(self):
        from seqdoodle.plots import save_figure
        from seqdoodle.plots.training import plot_history

        history = self.state["history"]
        write_json(self.out / "history.json", history)
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(HISTORY_KEYS)
        for row in zip(*(history[k] for k in HISTORY_KEYS)):
            writer.writerow("" if v is None else v for v in row)
        write_text(self.out / "history.csv", text.getvalue())
        save_figure(plot_history(history), self.out / "training.png")

    # -- the end

    def _finish(self, test_idx) -> dict:
        from seqdoodle.artifacts import load_run
        from seqdoodle.evaluation import evaluate_predictions, save_predictions

        state, out = self.state, self.out
        run = load_run(out)
        test_top1 = None
        if len(test_idx):
            probs = predict_rows(run.model, self._batches(test_idx, train=False))
            y = self.ds.labels[test_idx]
            report = evaluate_predictions(y, probs, run.classes, name=out.name, kind=self.kind)
            report.n_params = run.n_params
            report.saved_size_bytes = run.saved_size_bytes
            report.predictions = {"path": "test_predictions.npz"}
            save_predictions(out / "test_predictions.npz", y, probs, run.classes, ids=test_idx)
            metrics = {**report.to_json(), "split": "test", "best_epoch": state["best_epoch"]}
            write_json(out / "metrics.json", metrics)
            test_top1 = report.top1
        else:
            self.say(f"{self.ds.path}: the test split is empty; no metrics.json written")
        n_epochs = len(self.epoch_train_seconds)
        train_seconds = sum(self.epoch_train_seconds)
        summary = {
            "run": str(out),
            "kind": self.kind,
            "arch": self.config["arch"],
            "epochs_run": state["epoch"],
            "planned_epochs": state["planned_epochs"],
            "best_epoch": state["best_epoch"],
            "best_val_accuracy": state["best_val_accuracy"],
            "test_top1": test_top1,
            "stop_reason": state["stop_reason"],
            "resumed_from_epoch": self.resumed_from,
            "seconds": time.monotonic() - self.started,
            "samples_per_second": (
                n_epochs * len(self.train_batches) / train_seconds if train_seconds else None
            ),
            "already_finished": False,
        }
        state.update(finished=True, summary=summary)
        write_json(self.ckpt / STATE, state)
        top1 = "-" if test_top1 is None else f"{100 * test_top1:.1f}%"
        best = state["best_val_accuracy"]
        self.say(
            f"{out}: {state['epoch']} epochs ({STOP_REASONS[state['stop_reason']]}), "
            f"best val accuracy {100 * (best or 0):.1f}% (epoch {state['best_epoch']}), "
            f"test top-1 {top1}"
        )
        return summary


def _monitor_class():
    import keras

    class Monitor(keras.callbacks.Callback):
        """Learning rate per step, bookkeeping and checkpoints at each epoch's end."""

        def __init__(self, trainer):
            super().__init__()
            self.trainer = trainer
            self.steps = trainer.train_batches.steps

        def on_epoch_begin(self, epoch, logs=None):
            self.t_epoch = time.monotonic()
            self.t_train = None
            self.trainer.begin_epoch(epoch)
            self.epoch_lr = self.trainer.lr_at(0.0)

        def on_train_batch_begin(self, batch, logs=None):
            self.model.optimizer.learning_rate = self.trainer.lr_at(batch / self.steps)

        def on_test_begin(self, logs=None):
            if self.t_train is None:
                self.t_train = time.monotonic() - self.t_epoch

        def on_epoch_end(self, epoch, logs=None):
            seconds = time.monotonic() - self.t_epoch
            train_seconds = self.t_train if self.t_train is not None else seconds
            if self.trainer.end_epoch(epoch, logs or {}, seconds, train_seconds, self.epoch_lr):
                self.model.stop_training = True

    return Monitor


def _make_monitor(trainer):
    return _monitor_class()(trainer)
