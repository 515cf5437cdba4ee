"""Models: bitmap CNN (`cnn`), stroke Conv1D+RNN (`rnn`), their public layers and the task.

Names are imported lazily, so `import seqdoodle.models.cnn` (the kind registry does) stays free of
Keras until a model is built.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "BitmapEncoder": "seqdoodle.models.encoders",
    "StrokeEncoder": "seqdoodle.models.encoders",
    "add_classifier_head": "seqdoodle.models.encoders",
    "StrokeScale": "seqdoodle.models.layers",
    "build_bitmap_backbone": "seqdoodle.models.cnn",
    "build_bitmap_classifier": "seqdoodle.models.cnn",
    "build_stroke_classifier": "seqdoodle.models.rnn",
    "build_stroke_encoder": "seqdoodle.models.rnn",
    "StrokeTransformer": "seqdoodle.models.transformer",
    "build_transformer_classifier": "seqdoodle.models.transformer",
    "build_transformer_encoder": "seqdoodle.models.transformer",
    "compile_classifier": "seqdoodle.models.task",
    "replace_head": "seqdoodle.models.task",
    "freeze_backbone": "seqdoodle.models.task",
}


def register_layers() -> None:
    """Import every module that registers serializable seqdoodle layers (before loading)."""
    importlib.import_module("seqdoodle.models.encoders")
    importlib.import_module("seqdoodle.models.layers")
    importlib.import_module("seqdoodle.models.transformer")


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'seqdoodle.models' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + list(_EXPORTS))


__all__ = sorted(_EXPORTS)
