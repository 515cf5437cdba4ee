"""Saved predictions: labels and probabilities in an `.npz`, so every number can be recomputed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqdoodle.errors import DataFormatError, MissingFileError
from seqdoodle.evaluation.metrics import _check_classes, check_predictions
from seqdoodle.fileio import atomic_write


@dataclass
class Predictions:
    """Predictions read back by `load_predictions`.

    Args:
        y_true: `(n,) int64` true class indices.
        probs: `(n, n_classes) float32` class probabilities.
        classes: list of str. Class names in column order.
        ids: `(n,)` array (ints or str) or None. Drawing ids, e.g. rows of the prepared dataset.
    """

    y_true: np.ndarray
    probs: np.ndarray
    classes: list[str]
    ids: np.ndarray | None = None


def save_predictions(path, y_true, probs, classes: Sequence[str], ids=None) -> None:
    """Save labels and probabilities as an `.npz` so every metric and figure can be recomputed.

    The file holds `y_true` `(n,) int64`, `probs` `(n, k) float32`, `classes` `(k,)` unicode and,
    if given, `ids` `(n,)`; no pickled objects. It is written atomically.

    Args:
        path: str or Path. Target `.npz` file (the name is used as given).
        y_true: array-like `(n,)` of ints.
        probs: array-like `(n, k)` of floats.
        classes: list of `k` str.
        ids: array-like `(n,)` of ints or str, or None. Defaults to None.

    Example:
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "p.npz"
    >>> save_predictions(f, [1], [[0.3, 0.7]], ["cat", "dog"])
    >>> load_predictions(f).classes
    ['cat', 'dog']
    """
    y, p = check_predictions(y_true, probs, where=str(path))
    classes = _check_classes(classes, p.shape[1], str(path))
    arrays = {
        "y_true": y,
        "probs": p.astype(np.float32),
        "classes": np.asarray(classes, dtype=np.str_),
    }
    if ids is not None:
        ids = np.asarray(ids)
        if ids.shape != y.shape or ids.dtype == object:
            raise DataFormatError(f"{path}: ids must be (n,) ints or strings, got {ids.shape}")
        arrays["ids"] = ids
    with atomic_write(path, "wb") as f:
        np.savez(f, **arrays)


def load_predictions(path) -> Predictions:
    """Read an `.npz` written by `save_predictions` (no pickles are loaded).

    Args:
        path: str or Path. The `.npz` file.

    Returns:
        `Predictions` with `y_true`, `probs`, `classes` and `ids` (None if not saved).

    Raises:
        MissingFileError: the file does not exist.
        DataFormatError: not a predictions file, or its arrays do not agree.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"{path}: predictions file not found")
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [k for k in ("y_true", "probs", "classes") if k not in data.files]
            if missing:
                raise DataFormatError(
                    f"{path}: not a predictions file (lacks {', '.join(missing)})"
                )
            y, probs, classes = data["y_true"], data["probs"], data["classes"].tolist()
            ids = data["ids"] if "ids" in data.files else None
    except DataFormatError:
        raise
    except (OSError, ValueError, EOFError) as e:
        raise DataFormatError(f"{path}: cannot read as .npz ({type(e).__name__}: {e})") from None
    y, _ = check_predictions(y, probs, where=str(path))
    classes = _check_classes(classes, probs.shape[1], str(path))
    return Predictions(y_true=y, probs=probs, classes=classes, ids=ids)
