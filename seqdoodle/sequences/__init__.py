"""Encoders and a recipe for other sequence tasks (`from seqdoodle.sequences import StrokeEncoder`).

Public names are imported lazily from the modules listed below.
"""

from __future__ import annotations

from seqdoodle._compat import lazy_exports

_EXPORTS = {
    "Augmentation": "seqdoodle.sequences.data",
    "BitmapEncoder": "seqdoodle.models.encoders",
    "LengthFeature": "seqdoodle.sequences.recipe",
    "SequenceBatches": "seqdoodle.sequences.data",
    "SequenceFit": "seqdoodle.sequences.recipe",
    "StrokeEncoder": "seqdoodle.models.encoders",
    "TimeDifferences": "seqdoodle.sequences.recipe",
    "add_classifier_head": "seqdoodle.models.encoders",
    "as_sequences": "seqdoodle.sequences.data",
    "build_sequence_classifier": "seqdoodle.sequences.recipe",
    "fit_sequences": "seqdoodle.sequences.recipe",
    "fit_standardization": "seqdoodle.sequences.data",
    "lengths_to_mask": "seqdoodle.models.encoders",
    "pad_sequences": "seqdoodle.sequences.data",
    "predict_sequences": "seqdoodle.sequences.recipe",
    "stratified_folds": "seqdoodle.sequences.data",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = sorted(_EXPORTS)
