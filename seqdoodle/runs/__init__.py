"""A trained run: its folder, its inputs, predicting and evaluating with it.

Public names are imported lazily from the modules listed below.
"""

from __future__ import annotations

from seqdoodle._compat import lazy_exports

_EXPORTS = {
    "LabelledPredictions": "seqdoodle.runs.predict",
    "Run": "seqdoodle.runs.folder",
    "RunEvaluation": "seqdoodle.runs.evaluate",
    "check_inputs_for": "seqdoodle.runs.inputs",
    "check_keras_file": "seqdoodle.runs.folder",
    "dataset_predictions": "seqdoodle.runs.predict",
    "evaluate": "seqdoodle.runs.evaluate",
    "evaluate_run": "seqdoodle.runs.evaluate",
    "expand_inputs": "seqdoodle.runs.inputs",
    "folder_drawings": "seqdoodle.runs.predict",
    "folder_predictions": "seqdoodle.runs.predict",
    "inference_model": "seqdoodle.runs.folder",
    "input_size": "seqdoodle.runs.inputs",
    "iter_inputs": "seqdoodle.runs.inputs",
    "iter_predictions": "seqdoodle.runs.predict",
    "load_inputs": "seqdoodle.runs.inputs",
    "load_keras_model": "seqdoodle.runs.folder",
    "load_run": "seqdoodle.runs.folder",
    "measure_latency": "seqdoodle.runs.evaluate",
    "pad_time": "seqdoodle.runs.inference",
    "predict": "seqdoodle.runs.predict",
    "predict_batches": "seqdoodle.runs.inference",
    "predict_dataset": "seqdoodle.runs.inference",
    "predict_drawings": "seqdoodle.runs.inference",
    "predict_on_batch": "seqdoodle.runs.inference",
    "save_run": "seqdoodle.runs.folder",
    "top_classes": "seqdoodle.runs.predict",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = sorted(_EXPORTS)
