"""Public encoders for other tasks: `from seqdoodle.encoders import StrokeEncoder`."""

from seqdoodle.models.encoders import BitmapEncoder, StrokeEncoder, add_classifier_head

__all__ = ["BitmapEncoder", "StrokeEncoder", "add_classifier_head"]
