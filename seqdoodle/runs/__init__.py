"""A trained run: its folder, the inputs it reads, predicting and evaluating with it.

`load_run` opens a run folder as a `Run`; `predict` classifies drawing files with it and
`evaluate_run` scores it on labelled drawings. Every Keras model is loaded through `folder`.
`fit_ensemble` pools several runs with weights fitted on a validation split into an ensemble
folder, and `load_model` opens a run or an ensemble folder behind one interface (`Run` or
`Ensemble`).
"""

from __future__ import annotations

from seqdoodle._compat import lazy_exports

_EXPORTS = {
    "Ensemble": "seqdoodle.runs.ensemble",
    "fit_ensemble": "seqdoodle.runs.ensemble",
    "load_ensemble": "seqdoodle.runs.ensemble",
    "load_model": "seqdoodle.runs.ensemble",
    "save_ensemble": "seqdoodle.runs.ensemble_folder",
    "LabelledPredictions": "seqdoodle.runs.predict",
    "Run": "seqdoodle.runs.folder",
    "RunEvaluation": "seqdoodle.runs.evaluate",
    "dataset_predictions": "seqdoodle.runs.predict",
    "evaluate": "seqdoodle.runs.evaluate",
    "evaluate_run": "seqdoodle.runs.evaluate",
    "folder_predictions": "seqdoodle.runs.predict",
    "iter_inputs": "seqdoodle.runs.inputs",
    "iter_predictions": "seqdoodle.runs.predict",
    "load_inputs": "seqdoodle.runs.inputs",
    "load_run": "seqdoodle.runs.folder",
    "measure_latency": "seqdoodle.runs.evaluate",
    "predict": "seqdoodle.runs.predict",
    "predict_batches": "seqdoodle.runs.inference",
    "predict_dataset": "seqdoodle.runs.inference",
    "predict_drawings": "seqdoodle.runs.inference",
    "save_run": "seqdoodle.runs.folder",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = sorted(_EXPORTS)
