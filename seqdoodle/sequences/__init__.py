"""The stroke encoder at work on other sequence tasks: sensor traces, time series, gestures.

`fit_sequences` trains a classifier of labelled variable-length `(time, features)` sequences with
the recipe in `sequences.recipe`; `sequences.data` pads, standardises, folds, augments and
batches them. The encoders themselves (Keras layers) come from `seqdoodle.models.encoders`.
"""

from __future__ import annotations

from seqdoodle._compat import lazy_exports

_EXPORTS = {
    "Augmentation": "seqdoodle.sequences.data",
    "BitmapEncoder": "seqdoodle.models.encoders",
    "DEFAULT_AUGMENTATION": "seqdoodle.sequences.recipe",
    "LengthFeature": "seqdoodle.sequences.recipe",
    "SequenceBatches": "seqdoodle.sequences.data",
    "SequenceFit": "seqdoodle.sequences.recipe",
    "StrokeEncoder": "seqdoodle.models.encoders",
    "TimeDifferences": "seqdoodle.sequences.recipe",
    "add_classifier_head": "seqdoodle.models.encoders",
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
