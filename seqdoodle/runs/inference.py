"""Prediction with a Keras model over batches: the one path for training, runs and reports.

`predict_batches` runs a model over any `Batches` (`seqdoodle.kinds.batches`), `predict_dataset`
over rows of a prepared dataset, and `predict_drawings` over `Drawing` records, each batched the
way the run's kind batches its input.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from seqdoodle.errors import DataFormatError
from seqdoodle.kinds.batches import Batches


def pad_time(x: np.ndarray, multiple: int | None) -> np.ndarray:
    """Zero-pad axis 1 of `(batch, time, features)` up to a multiple of `multiple`.

    Fewer distinct shapes means fewer graph retraces when predicting batch by batch.
    """
    if not multiple or x.ndim != 3:
        return x
    extra = -x.shape[1] % multiple
    if extra == 0:
        return x
    return np.pad(x, ((0, 0), (0, extra), (0, 0)))


def predict_on_batch(model, x: np.ndarray, pad_multiple: int | None = None) -> np.ndarray:
    """`model.predict_on_batch(x)` as float32, `x` padded in time first when asked."""
    return np.asarray(model.predict_on_batch(pad_time(x, pad_multiple)), dtype=np.float32)


def predict_batches(model, batches: Batches, progress: Callable | None = None) -> np.ndarray:
    """Class probabilities `(len(batches), k) float32` for `batches.indices`, in that order.

    Args:
        model: keras.Model.
        batches: `Batches` (made with `train=False`).
        progress: callable or None. Called with the number of drawings done after each batch.
            Defaults to None.
    """
    parts, rows_seen = [], []
    for rows in batches.batch_indices(0):
        parts.append(predict_on_batch(model, batches.inputs(rows), batches.pad_multiple))
        rows_seen.append(rows)
        if progress is not None:
            progress(len(rows))
    if not parts:
        return np.zeros((0, model.output_shape[-1]), np.float32)
    probs = np.concatenate(parts)
    position = np.searchsorted(batches.indices, np.concatenate(rows_seen))
    out = np.empty_like(probs)
    out[position] = probs
    return out


def predict_dataset(
    run, ds, rows=None, batch_size: int = 256, progress: Callable | None = None
) -> np.ndarray:
    """Class probabilities of a run for rows of a prepared dataset, read straight from its arrays.

    Args:
        run: `seqdoodle.runs.folder.Run`.
        ds: `PreparedDataset`. Its classes need not match the run's.
        rows: array-like of int or None. Rows to predict, in any order (repeats allowed).
            Defaults to None (all rows).
        batch_size: int. Drawings per model call. Defaults to 256.
        progress: callable or None. Called with the number of drawings done after each batch.
            Defaults to None.

    Returns:
        `(len(rows), len(run.classes)) float32` probabilities, rows in the order of `rows`.

    Raises:
        DataFormatError: a dataset the run cannot read (no strokes for a stroke run, another
            bitmap size), or a bad batch size.

    Example:
    >>> probs = predict_dataset(load_run("runs/cnn"), ds, ds.indices("test"))  # doctest: +SKIP
    """
    from seqdoodle.kinds import get_kind

    if int(batch_size) < 1:
        raise DataFormatError(f"batch_size must be at least 1, got {batch_size}")
    rows = np.arange(len(ds)) if rows is None else np.asarray(rows, np.int64).reshape(-1)
    kind = get_kind(run.kind)
    config = run.input_config
    kind.check_dataset(ds, config, who=f"the {kind.title} {run.path}")
    unique = np.unique(rows)
    if unique.size == 0:
        return np.zeros((0, len(run.classes)), np.float32)
    batches = kind.batches(ds, unique, batch_size, config, train=False)
    batches.pad_multiple = kind.pad_multiple
    probs = predict_batches(run.model, batches, progress)
    return probs[np.searchsorted(unique, rows)]


def predict_drawings(
    run, drawings, batch_size: int = 256, progress: Callable | None = None
) -> np.ndarray:
    """Class probabilities of a run for `Drawing` records, preprocessed as in training.

    Drawings are batched in the kind's `prediction_order` (strokes: by length, so little padding
    is computed) and the results put back in input order.

    Args:
        run: `seqdoodle.runs.folder.Run`.
        drawings: list of `Drawing`.
        batch_size: int. Drawings per model call. Defaults to 256.
        progress: callable or None. Called with the number of drawings done after each batch.
            Defaults to None.

    Returns:
        `(len(drawings), len(run.classes)) float32` probabilities, rows in input order.
    """
    if int(batch_size) < 1:
        raise DataFormatError(f"batch_size must be at least 1, got {batch_size}")
    drawings = list(drawings)
    kind, config = run.model_kind, run.input_config
    order = kind.prediction_order(drawings)
    probs = np.zeros((len(drawings), len(run.classes)), dtype=np.float32)
    for start in range(0, len(drawings), batch_size):
        rows = order[start : start + batch_size]
        x = kind.drawing_inputs([drawings[i] for i in rows], config)
        probs[rows] = predict_on_batch(run.model, x, kind.pad_multiple)
        if progress is not None:
            progress(len(rows))
    return probs
