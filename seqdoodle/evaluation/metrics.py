"""Metrics of the evaluation harness, over `(y_true, probs)` arrays.

Every metric takes integer labels `y_true` `(n,)` and class probabilities `probs` `(n, k)`, so a
bitmap CNN, a stroke model and an ensemble are scored by the same code.

Ranking rule (top-k, MAP@3, predicted class): classes are ordered by
`np.argsort(-probs, axis=1, kind="stable")`, so among equal probabilities the lower class index
ranks first. `np.argmax` follows the same rule.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from seqdoodle.errors import DataFormatError

_ROWS_PER_CHUNK = 4096


# ----------------------------------------------------------------------------- input checks


def check_predictions(y_true, probs, where: str = "predictions") -> tuple[np.ndarray, np.ndarray]:
    """Validate labels and probabilities; return `(n,) int64` labels and `(n, k)` float scores.

    Args:
        y_true: array-like `(n,)` of ints. True class indices in `[0, k)`.
        probs: array-like `(n, k)` of floats. Class scores (probabilities) per drawing.
        where: str. What the arrays are (a file name or a model name), named in errors.
            Defaults to `"predictions"`.

    Returns:
        `(y_true, probs)`: `(n,) int64` and `(n, k)` floats (float32 stays float32, so large
        prediction arrays are not copied; other dtypes become float64).

    Raises:
        DataFormatError: wrong shape or dtype, non-finite scores, or labels out of range.

    Example:
    >>> y, p = check_predictions([0, 1], [[0.9, 0.1], [0.2, 0.8]])
    >>> y.dtype, p.shape
    (dtype('int64'), (2, 2))
    """
    y = np.asarray(y_true)
    p = np.asarray(probs)
    if y.ndim != 1:
        raise DataFormatError(f"{where}: y_true must be 1-D (n,), got shape {y.shape}")
    if y.size and not np.issubdtype(y.dtype, np.integer):
        raise DataFormatError(f"{where}: y_true must hold integer class indices, got {y.dtype}")
    if p.ndim != 2 or p.shape[1] == 0:
        raise DataFormatError(f"{where}: probs must be 2-D (n, k) with k >= 1, got shape {p.shape}")
    if p.shape[0] != y.shape[0]:
        raise DataFormatError(
            f"{where}: y_true has {y.shape[0]} rows but probs has {p.shape[0]}; they must match"
        )
    if not np.issubdtype(p.dtype, np.number) or np.issubdtype(p.dtype, np.complexfloating):
        raise DataFormatError(f"{where}: probs must be real numbers, got {p.dtype}")
    if not np.issubdtype(p.dtype, np.floating):
        p = p.astype(np.float64)
    if not np.all(np.isfinite(p)):
        raise DataFormatError(f"{where}: probs contain NaN or infinite values")
    y = y.astype(np.int64, copy=False)
    if y.size and (y.min() < 0 or y.max() >= p.shape[1]):
        bad = int(y[(y < 0) | (y >= p.shape[1])][0])
        raise DataFormatError(f"{where}: label {bad} is outside the {p.shape[1]} classes [0, k)")
    return y, p


def _check_classes(classes, k: int, where: str) -> list[str]:
    classes = [str(c) for c in classes]
    if len(classes) != k:
        raise DataFormatError(f"{where}: {len(classes)} class names for {k} probability columns")
    if len(set(classes)) != len(classes):
        raise DataFormatError(f"{where}: class names are not unique")
    return classes


# ----------------------------------------------------------------------------- metrics


def top_k_classes(probs, k: int) -> np.ndarray:
    """The `k` highest-scoring classes of each row, best first (ties: lower index first).

    Args:
        probs: array-like `(n, n_classes)` of floats.
        k: int. How many classes to keep; at most `n_classes`.

    Returns:
        `(n, k) int64` class indices.

    Example:
    >>> top_k_classes([[0.2, 0.5, 0.3], [0.4, 0.4, 0.2]], 2).tolist()
    [[1, 2], [0, 1]]
    """
    p = np.asarray(probs)
    if p.ndim != 2:
        raise DataFormatError(f"probs must be 2-D (n, k), got shape {p.shape}")
    if not 1 <= k <= p.shape[1]:
        raise DataFormatError(f"k={k} must be between 1 and the number of classes {p.shape[1]}")
    out = np.empty((p.shape[0], k), dtype=np.int64)
    for start in range(0, p.shape[0], _ROWS_PER_CHUNK):  # bounded memory for large n * k
        rows = p[start : start + _ROWS_PER_CHUNK]
        out[start : start + len(rows)] = _top_k_rows(rows, k)
    return out


def _top_k_rows(rows: np.ndarray, k: int) -> np.ndarray:
    if k > 8:
        return np.argsort(-rows, axis=1, kind="stable")[:, :k]
    # Repeated argmax (first maximum wins) gives the same order as the stable argsort, faster.
    rows = rows.astype(np.float64)
    index = np.arange(len(rows))
    top = np.empty((len(rows), k), dtype=np.int64)
    for j in range(k):
        top[:, j] = np.argmax(rows, axis=1)
        rows[index, top[:, j]] = -np.inf
    return top


def predicted_labels(probs) -> np.ndarray:
    """The top-1 class of each row as `(n,) int64` (ties: lower index first, like `np.argmax`).

    Example:
    >>> predicted_labels([[0.1, 0.9], [0.5, 0.5]]).tolist()
    [1, 0]
    """
    return np.argmax(np.asarray(probs), axis=1).astype(np.int64)


def top_k_accuracy(y_true, probs, k: int) -> float:
    """Fraction of drawings whose true class is among the `k` highest-scoring classes.

    Args:
        y_true: array-like `(n,)` of ints. True class indices.
        probs: array-like `(n, n_classes)` of floats.
        k: int. 1 gives plain accuracy.

    Returns:
        float in [0, 1] (NaN when n == 0).

    Example:
    >>> top_k_accuracy([0, 1], [[0.6, 0.3, 0.1], [0.6, 0.3, 0.1]], k=2)
    1.0
    """
    y, p = check_predictions(y_true, probs)
    if y.size == 0:
        return math.nan
    hits = top_k_classes(p, k) == y[:, None]
    return float(hits.any(axis=1).mean())


def map_at_3(y_true, probs) -> float:
    """Mean average precision at 3, the Kaggle "Quick, Draw!" challenge score.

    A drawing scores 1, 1/2 or 1/3 when its true class is ranked 1st, 2nd or 3rd, else 0; the
    scores are averaged over drawings.

    Args:
        y_true: array-like `(n,)` of ints. True class indices.
        probs: array-like `(n, n_classes)` of floats. With fewer than 3 classes all are ranked.

    Returns:
        float in [0, 1] (NaN when n == 0).

    Example:
    >>> map_at_3([0, 1, 2, 3], [[.4, .3, .2, .1]] * 4)
    0.4583333333333333
    """
    y, p = check_predictions(y_true, probs)
    if y.size == 0:
        return math.nan
    top = top_k_classes(p, min(3, p.shape[1]))
    weights = 1.0 / np.arange(1, top.shape[1] + 1)
    return float(((top == y[:, None]) * weights).sum(axis=1).mean())


def macro_f1(y_true, probs) -> float:
    """Unweighted mean F1 over the classes that occur in `y_true` or among the predictions.

    A class absent from both the labels and the predictions is left out (its F1 is undefined);
    a class that is predicted but absent from the labels counts with F1 = 0.

    Args:
        y_true: array-like `(n,)` of ints. True class indices.
        probs: array-like `(n, n_classes)` of floats; the top-1 class is the prediction.

    Returns:
        float in [0, 1] (NaN when n == 0).

    Example:
    >>> macro_f1([0, 0, 1], [[.9, .1, 0], [.2, .8, 0], [.1, .9, 0]])
    0.6666666666666666
    """
    y, p = check_predictions(y_true, probs)
    if y.size == 0:
        return math.nan
    pred = predicted_labels(p)
    labels = np.union1d(y, pred)
    from sklearn import metrics as skm  # imported here: serving pools without scikit-learn

    return float(skm.f1_score(y, pred, labels=labels, average="macro", zero_division=0))


def per_class_accuracy(y_true, probs, classes: Sequence[str]) -> dict[str, float | None]:
    """Top-1 accuracy (recall) of each class; None for a class with no drawing in `y_true`.

    Args:
        y_true: array-like `(n,)` of ints. True class indices.
        probs: array-like `(n, n_classes)` of floats.
        classes: list of `n_classes` str. Class names in column order.

    Returns:
        dict from class name to accuracy in [0, 1] or None, in class order.

    Example:
    >>> per_class_accuracy([0, 0, 1], [[.9, .1], [.2, .8], [.1, .9]], ["cat", "dog"])
    {'cat': 0.5, 'dog': 1.0}
    """
    y, p = check_predictions(y_true, probs)
    classes = _check_classes(classes, p.shape[1], "per_class_accuracy")
    k = p.shape[1]
    right = np.bincount(y[predicted_labels(p) == y], minlength=k)
    total = np.bincount(y, minlength=k)
    return {
        name: (float(right[i] / total[i]) if total[i] else None) for i, name in enumerate(classes)
    }


def confusion_matrix(y_true, probs) -> np.ndarray:
    """Counts of (true class, predicted top-1 class); rows are true classes, columns predicted.

    Args:
        y_true: array-like `(n,)` of ints. True class indices.
        probs: array-like `(n, n_classes)` of floats.

    Returns:
        `(n_classes, n_classes) int64`; classes absent from `y_true` give rows of zeros.

    Example:
    >>> confusion_matrix([0, 0, 1], [[.9, .1, 0], [.2, .8, 0], [.1, .9, 0]]).tolist()
    [[1, 1, 0], [0, 1, 0], [0, 0, 0]]
    """
    y, p = check_predictions(y_true, probs)
    k = p.shape[1]
    if y.size == 0:
        return np.zeros((k, k), dtype=np.int64)
    from sklearn import metrics as skm

    cm = skm.confusion_matrix(y, predicted_labels(p), labels=np.arange(k))
    return cm.astype(np.int64)


def expected_calibration_error(y_true, probs, n_bins: int = 15) -> float:
    """Expected calibration error of the top-1 confidence.

    Confidences (the top probability) fall in `n_bins` equal-width bins `(i/B, (i+1)/B]` (a
    confidence of 0 goes to the first bin); ECE = sum over bins of
    `(bin size / n) * |accuracy in bin - mean confidence in bin|`.

    Args:
        y_true: array-like `(n,)` of ints. True class indices.
        probs: array-like `(n, n_classes)` of floats, rows summing to 1.
        n_bins: int. Number of confidence bins. Defaults to 15.

    Returns:
        float in [0, 1] (NaN when n == 0).

    Raises:
        DataFormatError: bad arrays, or `probs` given first (labels must come first, as in
            every other metric).

    Example:
    >>> expected_calibration_error([0, 1], [[0.9, 0.1], [0.9, 0.1]], n_bins=10)
    0.4
    """
    if np.ndim(y_true) == 2 and np.ndim(probs) == 1:
        raise DataFormatError(
            "expected_calibration_error(y_true, probs): labels come first; got (n, k) "
            "probabilities as y_true"
        )
    y, p = check_predictions(y_true, probs)
    if n_bins < 1:
        raise DataFormatError(f"n_bins must be at least 1, got {n_bins}")
    if y.size == 0:
        return math.nan
    pred = predicted_labels(p)
    conf = p[np.arange(len(y)), pred]
    correct = (pred == y).astype(np.float64)
    bins = np.clip(np.ceil(conf * n_bins).astype(np.int64) - 1, 0, n_bins - 1)
    conf_sum = np.bincount(bins, weights=conf, minlength=n_bins)
    right_sum = np.bincount(bins, weights=correct, minlength=n_bins)
    return float(np.abs(right_sum - conf_sum).sum() / len(y))
