"""The evaluation report: one code path for any model, over `(y_true, probs)` arrays.

`evaluate_predictions` scores labels and probabilities with every metric of
`seqdoodle.evaluation.metrics` (a bitmap CNN, a stroke model and an ensemble go through the same
code) into an `EvaluationReport`. Predicting with a run first is `seqdoodle.runs.evaluate`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from seqdoodle.errors import DataFormatError
from seqdoodle.evaluation.metrics import (  # noqa: F401 (re-exported: the harness's metrics)
    _check_classes,
    check_predictions,
    confusion_matrix,
    expected_calibration_error,
    macro_f1,
    map_at_3,
    per_class_accuracy,
    predicted_labels,
    top_k_accuracy,
    top_k_classes,
)
from seqdoodle.evaluation.predictions import (  # noqa: F401 (re-exported)
    Predictions,
    load_predictions,
    save_predictions,
)

LATENCY_KEYS = ("batch1_p50", "batch1_p95", "batched_per_drawing")


# ----------------------------------------------------------------------------- the report


@dataclass
class EvaluationReport:
    """Every number the harness gives for one model on one set of drawings.

    Args:
        name: str. Model name, e.g. a run folder's name.
        kind: str or None. A registered model kind, `"ensemble"` or None.
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
    >>> r = evaluate_predictions([0, 1], [[.9, .1], [.3, .7]], ["cat", "dog"], name="m")
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
        from seqdoodle.reports import evaluation_markdown

        return evaluation_markdown(self)


def _json_float(x):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def evaluate_predictions(
    y_true, probs, classes: Sequence[str], name: str = "model", kind: str | None = None
) -> EvaluationReport:
    """Score one model's predictions with every metric of the harness.

    Args:
        y_true: array-like `(n,)` of ints. True class indices.
        probs: array-like `(n, n_classes)` of floats. The model's class probabilities.
        classes: list of `n_classes` str. Class names in column order.
        name: str. Model name for the report. Defaults to `"model"`.
        kind: str or None. Model kind (a registered kind or `"ensemble"`). Defaults to None.

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
        ece=expected_calibration_error(y, p),
    )


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


# ----------------------------------------------------------------------------- a saved run
