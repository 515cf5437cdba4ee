"""Public encoders for other tasks: `from seqdoodle.encoders import StrokeEncoder`.

`StrokeEncoder` and `BitmapEncoder` are Keras layers; `build_sequence_classifier` and
`fit_sequences` are a recipe that trains the stroke encoder on any labelled sequences
(see `seqdoodle.sequences`).
"""

from seqdoodle.models.encoders import (
    BitmapEncoder,
    StrokeEncoder,
    add_classifier_head,
    lengths_to_mask,
)
from seqdoodle.sequences import (
    Augmentation,
    SequenceFit,
    build_sequence_classifier,
    fit_sequences,
    pad_sequences,
    predict_sequences,
)

__all__ = [
    "Augmentation",
    "BitmapEncoder",
    "SequenceFit",
    "StrokeEncoder",
    "add_classifier_head",
    "build_sequence_classifier",
    "fit_sequences",
    "lengths_to_mask",
    "pad_sequences",
    "predict_sequences",
]
