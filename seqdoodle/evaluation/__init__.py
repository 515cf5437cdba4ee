"""Scoring over `(y_true, probs)`: metrics, the evaluation report, saved predictions, ensemble
pooling and early recognition. Nothing here loads a model: `seqdoodle.runs` predicts with runs,
and its `evaluate_run` scores a saved run with what is here.
"""

from __future__ import annotations

from seqdoodle._compat import lazy_exports

_EXPORTS = {
    "EvaluationReport": "seqdoodle.evaluation.report",
    "Predictions": "seqdoodle.evaluation.predictions",
    "confusion_matrix": "seqdoodle.evaluation.metrics",
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
    "partial_drawings": "seqdoodle.evaluation.early",
    "per_class_accuracy": "seqdoodle.evaluation.metrics",
    "plot_partial": "seqdoodle.evaluation.early",
    "point_prefix": "seqdoodle.evaluation.early",
    "pool_probs": "seqdoodle.evaluation.ensembles",
    "report_from_predictions": "seqdoodle.evaluation.report",
    "save_predictions": "seqdoodle.evaluation.predictions",
    "stroke_prefix": "seqdoodle.evaluation.early",
    "top_k_accuracy": "seqdoodle.evaluation.metrics",
    "top_k_classes": "seqdoodle.evaluation.metrics",
}

# names of the old `seqdoodle.evaluation` module that live elsewhere now; kept for one release
_DEPRECATED = {
    "LATENCY_KEYS": "seqdoodle.evaluation.report",
    "RunEvaluation": "seqdoodle.runs.evaluate",
    "evaluate": "seqdoodle.runs.evaluate",
    "evaluate_run": "seqdoodle.runs.evaluate",
    "measure_latency": "seqdoodle.runs.evaluate",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, deprecated=_DEPRECATED)

__all__ = sorted(_EXPORTS)
