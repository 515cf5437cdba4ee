"""Scoring over `(y_true, probs)`: metrics, the evaluation report, saved predictions,
ensemble pooling and early recognition. Nothing here loads a model.

Public names are imported lazily from the modules listed below.
"""

from __future__ import annotations

from seqdoodle._compat import lazy_exports

_EXPORTS = {
    "EvaluationReport": "seqdoodle.evaluation.report",
    "Predictions": "seqdoodle.evaluation.predictions",
    "check_pool": "seqdoodle.evaluation.ensembles",
    "check_predictions": "seqdoodle.evaluation.metrics",
    "confusion_matrix": "seqdoodle.evaluation.metrics",
    "dataset_drawings": "seqdoodle.evaluation.early",
    "ensemble_probs": "seqdoodle.evaluation.ensembles",
    "ensemble_subsets": "seqdoodle.evaluation.ensembles",
    "evaluate_partial": "seqdoodle.evaluation.early",
    "evaluate_predictions": "seqdoodle.evaluation.report",
    "expected_calibration_error": "seqdoodle.evaluation.metrics",
    "fit_ensemble_weight": "seqdoodle.evaluation.ensembles",
    "fit_ensemble_weights": "seqdoodle.evaluation.ensembles",
    "load_predictions": "seqdoodle.evaluation.predictions",
    "log_loss": "seqdoodle.evaluation.ensembles",
    "macro_f1": "seqdoodle.evaluation.metrics",
    "map_at_3": "seqdoodle.evaluation.metrics",
    "mix_probs": "seqdoodle.evaluation.ensembles",
    "normalize_drawing": "seqdoodle.evaluation.early",
    "partial_drawings": "seqdoodle.evaluation.early",
    "partial_markdown": "seqdoodle.evaluation.early",
    "partial_section": "seqdoodle.evaluation.early",
    "per_class_accuracy": "seqdoodle.evaluation.metrics",
    "plot_partial": "seqdoodle.evaluation.early",
    "point_prefix": "seqdoodle.evaluation.early",
    "pool_probs": "seqdoodle.evaluation.ensembles",
    "predicted_labels": "seqdoodle.evaluation.metrics",
    "report_from_predictions": "seqdoodle.evaluation.report",
    "save_predictions": "seqdoodle.evaluation.predictions",
    "stroke_prefix": "seqdoodle.evaluation.early",
    "top_k_accuracy": "seqdoodle.evaluation.metrics",
    "top_k_classes": "seqdoodle.evaluation.metrics",
}

# moved to seqdoodle.runs.evaluate (they load runs); kept here for one release
_DEPRECATED = {
    "RunEvaluation": "seqdoodle.runs.evaluate",
    "evaluate": "seqdoodle.runs.evaluate",
    "evaluate_run": "seqdoodle.runs.evaluate",
    "measure_latency": "seqdoodle.runs.evaluate",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, deprecated=_DEPRECATED)

__all__ = sorted(_EXPORTS)
