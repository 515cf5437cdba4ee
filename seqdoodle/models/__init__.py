"""Models: bitmap CNN (`cnn`), stroke Conv1D+RNN (`rnn`) and their public encoder layers."""

from seqdoodle.models.cnn import build_bitmap_backbone, build_bitmap_classifier
from seqdoodle.models.encoders import BitmapEncoder, StrokeEncoder, add_classifier_head
from seqdoodle.models.rnn import build_stroke_classifier, build_stroke_encoder

__all__ = [
    "BitmapEncoder",
    "StrokeEncoder",
    "add_classifier_head",
    "build_bitmap_backbone",
    "build_bitmap_classifier",
    "build_stroke_classifier",
    "build_stroke_encoder",
]
