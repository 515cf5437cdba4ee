"""The evaluation harness: one code path for any model, over `(y_true, probs)` arrays.

Every metric takes integer labels `y_true` `(n,)` and class probabilities `probs` `(n, k)`, so a
bitmap CNN, a stroke RNN and an ensemble are scored by the same code.

Ranking rule (top-k, MAP@3, predicted class): classes are ordered by
`np.argsort(-probs, axis=1, kind="stable")`, so among equal probabilities the lower class index
ranks first. `np.argmax` follows the same rule.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from sklearn import metrics as skm

from seqdoodle.errors import DataFormatError, MissingFileError
from seqdoodle.fileio import atomic_write

LATENCY_KEYS = ("batch1_p50", "batch1_p95", "batched_per_drawing")
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
    cm = skm.confusion_matrix(y, predicted_labels(p), labels=np.arange(k))
    return cm.astype(np.int64)


def expected_calibration_error(probs, y_true, n_bins: int = 15) -> float:
    """Expected calibration error of the top-1 confidence (note: `probs` comes first).

    Confidences (the top probability) fall in `n_bins` equal-width bins `(i/B, (i+1)/B]` (a
    confidence of 0 goes to the first bin); ECE = sum over bins of
    `(bin size / n) * |accuracy in bin - mean confidence in bin|`.

    Args:
        probs: array-like `(n, n_classes)` of floats, rows summing to 1.
        y_true: array-like `(n,)` of ints. True class indices.
        n_bins: int. Number of confidence bins. Defaults to 15.

    Returns:
        float in [0, 1] (NaN when n == 0).

    Example:
    >>> expected_calibration_error([[0.9, 0.1], [0.9, 0.1]], [0, 1], n_bins=10)
    0.4
    """
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


# ----------------------------------------------------------------------------- the report


@dataclass
class EvaluationReport:
    """Every number the harness gives for one model on one set of drawings.

    Args:
        name: str. Model name, e.g. `"cnn"`.
        kind: str or None. `"cnn"`, `"rnn"`, `"ensemble"` or None.
        n: int. Number of drawings scored.
        classes: list of str. Class names in column order.
        top1: float. Top-1 accuracy.
        top3: float. Top-3 accuracy.
        map3: float. Kaggle MAP@3.
        macro_f1: float. See `macro_f1`.
        per_class: dict. Class name to top-1 accuracy (None where the class has no drawing).
        confusion: list of lists of int. `confusion[true][predicted]` counts.
        ece: float. Expected calibration error (15 bins).
        latency_ms: dict or None. `batch1_p50`, `batch1_p95`, `batched_per_drawing` in ms.
        n_params: int or None. Number of model weights.
        saved_size_bytes: int or None. Size of the saved model file.
        predictions: dict or None. Where the predictions behind the report are, e.g.
            `{"path": "cnn_predictions.npz"}`.

    Example:
    >>> r = evaluate_predictions([0, 1], [[.9, .1], [.3, .7]], ["cat", "dog"], name="cnn")
    >>> r.top1, EvaluationReport.from_json(r.to_json()) == r
    (1.0, True)
    """

    name: str
    kind: str | None
    n: int
    classes: list[str]
    top1: float
    top3: float
    map3: float
    macro_f1: float
    per_class: dict[str, float | None]
    confusion: list[list[int]]
    ece: float
    latency_ms: dict[str, float] | None = None
    n_params: int | None = None
    saved_size_bytes: int | None = None
    predictions: dict | None = field(default=None)

    def to_json(self) -> dict:
        """The report as a JSON-ready dict (one key per field; NaN becomes None)."""
        out = asdict(self)
        for key in ("top1", "top3", "map3", "macro_f1", "ece"):
            out[key] = _json_float(out[key])
        return out

    @classmethod
    def from_json(cls, obj: dict, source: str = "report") -> EvaluationReport:
        """Rebuild a report from `to_json()` output.

        Args:
            obj: dict. As written by `to_json`.
            source: str. Where `obj` came from (a file name), named in errors.
                Defaults to `"report"`.

        Raises:
            DataFormatError: a field is missing or has the wrong type.
        """
        if not isinstance(obj, dict):
            raise DataFormatError(f"{source}: a report must be a JSON object")
        names = [f for f in cls.__dataclass_fields__]
        required = names[: names.index("latency_ms")]
        missing = [k for k in required if k not in obj]
        if missing:
            raise DataFormatError(f"{source}: report lacks the field(s) {', '.join(missing)}")
        kwargs = {k: obj.get(k) for k in names}
        for key in ("top1", "top3", "map3", "macro_f1", "ece"):
            value = kwargs[key]
            if value is not None and not isinstance(value, (int, float)):
                raise DataFormatError(f"{source}: field {key} must be a number, got {value!r}")
            kwargs[key] = math.nan if value is None else float(value)
        if not isinstance(kwargs["per_class"], dict) or not isinstance(kwargs["classes"], list):
            raise DataFormatError(f"{source}: per_class must be an object and classes a list")
        kwargs["n"] = int(kwargs["n"])
        return cls(**kwargs)

    def to_markdown(self) -> str:
        """A short markdown summary: a metrics table and the per-class accuracies."""
        lines = [
            f"### {self.name}" + (f" ({self.kind})" if self.kind else ""),
            "",
            "| metric | value |",
            "| --- | ---: |",
            f"| drawings | {self.n} |",
            f"| top-1 | {_pct(self.top1)} |",
            f"| top-3 | {_pct(self.top3)} |",
            f"| MAP@3 | {_num(self.map3)} |",
            f"| macro-F1 | {_num(self.macro_f1)} |",
            f"| ECE (15 bins) | {_num(self.ece)} |",
        ]
        if self.latency_ms:
            lat = self.latency_ms
            lines.append(
                f"| latency batch 1, p50 / p95 | {lat['batch1_p50']:.2f} / "
                f"{lat['batch1_p95']:.2f} ms |"
            )
            lines.append(f"| latency batched, per drawing | {lat['batched_per_drawing']:.3f} ms |")
        if self.n_params is not None:
            lines.append(f"| parameters | {self.n_params:,} |")
        if self.saved_size_bytes is not None:
            lines.append(f"| saved size | {self.saved_size_bytes / 2**20:.2f} MiB |")
        lines += ["", "| class | top-1 accuracy |", "| --- | ---: |"]
        lines += [f"| {c} | {_pct(a)} |" for c, a in self.per_class.items()]
        return "\n".join(lines) + "\n"


def _json_float(x):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _pct(x) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}%"


def _num(x) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.4f}"


def evaluate_predictions(
    y_true, probs, classes: Sequence[str], name: str = "model", kind: str | None = None
) -> EvaluationReport:
    """Score one model's predictions with every metric of the harness.

    Args:
        y_true: array-like `(n,)` of ints. True class indices.
        probs: array-like `(n, n_classes)` of floats. The model's class probabilities.
        classes: list of `n_classes` str. Class names in column order.
        name: str. Model name for the report. Defaults to `"model"`.
        kind: str or None. Model kind (`"cnn"`, `"rnn"`, `"ensemble"`). Defaults to None.

    Returns:
        An `EvaluationReport` (latency, size and parameter fields are None; fill them in later).

    Example:
    >>> evaluate_predictions([0, 1, 1], [[.9, .1], [.6, .4], [.2, .8]], ["a", "b"]).top1
    0.6666666666666666
    """
    y, p = check_predictions(y_true, probs, where=name)
    classes = _check_classes(classes, p.shape[1], name)
    return EvaluationReport(
        name=name,
        kind=kind,
        n=int(y.size),
        classes=classes,
        top1=top_k_accuracy(y, p, 1),
        top3=top_k_accuracy(y, p, min(3, p.shape[1])),
        map3=map_at_3(y, p),
        macro_f1=macro_f1(y, p),
        per_class=per_class_accuracy(y, p, classes),
        confusion=confusion_matrix(y, p).tolist(),
        ece=expected_calibration_error(p, y),
    )


# ----------------------------------------------------------------------------- saved predictions


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


def report_from_predictions(path, name: str | None = None, kind: str | None = None):
    """Recompute an `EvaluationReport` from a saved predictions file.

    Args:
        path: str or Path. An `.npz` written by `save_predictions`.
        name: str or None. Model name; defaults to the file name without `.npz`.
        kind: str or None. Model kind. Defaults to None.

    Returns:
        `EvaluationReport` whose `predictions` field is `{"path": str(path)}`.
    """
    path = Path(path)
    pred = load_predictions(path)
    report = evaluate_predictions(
        pred.y_true, pred.probs, pred.classes, name=name or path.stem, kind=kind
    )
    report.predictions = {"path": str(path)}
    return report


# ----------------------------------------------------------------------------- latency


def measure_latency(
    predict_fn: Callable,
    inputs,
    batch_size: int = 256,
    repeats: int = 50,
    warmup: int = 3,
) -> dict[str, float]:
    """Time a predict function: single-drawing latency and batched cost per drawing.

    `predict_fn` gets slices of `inputs` (`inputs[i:i + m]`), so it can include preprocessing
    (rendering, stroke encoding) as well as the model.

    Args:
        predict_fn: callable. Maps a slice of `inputs` to predictions.
        inputs: sliceable sequence (list of drawings, numpy array) with at least one item.
        batch_size: int. Batch size of the throughput run. Defaults to 256.
        repeats: int. Number of timed single-drawing calls. Defaults to 50.
        warmup: int. Untimed calls before timing (builds graphs, fills caches). Defaults to 3.

    Returns:
        dict with `batch1_p50`, `batch1_p95` (ms per call of one drawing) and
        `batched_per_drawing` (ms per drawing over one pass through `inputs` in batches).

    Example:
    >>> lat = measure_latency(lambda x: x, list(range(10)), batch_size=4, repeats=5)
    >>> sorted(lat)
    ['batch1_p50', 'batch1_p95', 'batched_per_drawing']
    """
    n = len(inputs)
    if n == 0:
        raise DataFormatError("measure_latency: inputs are empty")
    if batch_size < 1 or repeats < 1 or warmup < 0:
        raise DataFormatError("measure_latency: batch_size and repeats must be >= 1, warmup >= 0")
    for i in range(warmup):
        predict_fn(inputs[i % n : i % n + 1])
    if warmup:
        predict_fn(inputs[:batch_size])
    single = np.empty(repeats)
    for r in range(repeats):
        i = r % n
        start = time.perf_counter()
        predict_fn(inputs[i : i + 1])
        single[r] = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(0, n, batch_size):
        predict_fn(inputs[i : i + batch_size])
    batched = (time.perf_counter() - start) / n
    return {
        "batch1_p50": float(np.percentile(single, 50) * 1e3),
        "batch1_p95": float(np.percentile(single, 95) * 1e3),
        "batched_per_drawing": float(batched * 1e3),
    }


def evaluate(
    model,
    inputs,
    y_true,
    classes: Sequence[str],
    name: str = "model",
    kind: str | None = None,
    latency: bool = True,
    batch_size: int = 256,
    n_params: int | None = None,
    saved_size_bytes: int | None = None,
) -> EvaluationReport:
    """Predict with any model and score it: the harness entry point for one model.

    Args:
        model: an object with `predict_proba(inputs) -> (n, k)` (e.g. a loaded run) or a
            callable with the same contract.
        inputs: sliceable sequence of `n` drawings (whatever `model` accepts).
        y_true: array-like `(n,)` of ints. True class indices.
        classes: list of `k` str. Class names in column order.
        name: str. Model name. Defaults to `"model"`.
        kind: str or None. Model kind. Defaults to None.
        latency: bool. Whether to measure latency on `inputs`. Defaults to True.
        batch_size: int. Batch size of prediction and of the throughput timing. Defaults to 256.
        n_params: int or None. Weight count; when None, taken from `model.n_params` or
            `model.model.count_params()` where the model has them. Defaults to None.
        saved_size_bytes: int or None. Size of the saved model file; when None, taken from
            `model.saved_size_bytes` where present. Defaults to None.

    Returns:
        `EvaluationReport`.

    Example:
    >>> table = np.eye(2, dtype=np.float32)
    >>> evaluate(lambda x: table[np.asarray(x)], [0, 1], [0, 1], ["a", "b"], latency=False).top1
    1.0
    """
    predict = getattr(model, "predict_proba", model)
    if not callable(predict):
        raise DataFormatError(f"{name}: model has no predict_proba and is not callable")
    parts = [
        np.asarray(predict(inputs[i : i + batch_size])) for i in range(0, len(inputs), batch_size)
    ]
    probs = np.concatenate(parts) if parts else np.zeros((0, len(classes)))
    report = evaluate_predictions(y_true, probs, classes, name=name, kind=kind)
    if latency and len(inputs):
        report.latency_ms = measure_latency(predict, inputs, batch_size=batch_size)
    if n_params is None:
        n_params = getattr(model, "n_params", None)
        counter = getattr(getattr(model, "model", None), "count_params", None)
        if n_params is None and callable(counter):
            n_params = counter()
    if saved_size_bytes is None:
        saved_size_bytes = getattr(model, "saved_size_bytes", None)
    report.n_params = None if n_params is None else int(n_params)
    report.saved_size_bytes = None if saved_size_bytes is None else int(saved_size_bytes)
    return report
